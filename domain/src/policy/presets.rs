//! Presets: every value each regulation states, with its article; values a regulation leaves open are the
//! defaults of [`defaults`] and say `not stated`.
//!
//! # Sources
//! - `XM Art. 21(2)`: 厦门市退休人员社会化管理服务办法 (厦府规〔2025〕2号), 第二十一条（二）. `CS …` is the Changsha
//!   measures (长政办发〔2020〕10号), `JN …` the Jinning implementation measures (晋政办通〔2020〕18号). A paragraph
//!   without a number is `para. N` (`CS Art. 10 para. 1` = 第十条第一款); several articles are `XM Art. 14, 22`.
//! - `GUIDE <section>`: the training guide on socialized management (`training-guide.txt`). It is no city's
//!   regulation, but it describes the national practice all three texts implement, so it applies to all three
//!   presets alike. The rule, the same in every preset: **the city's own article wins; where the city's text is
//!   silent and the GUIDE states a value, the preset takes the GUIDE's value and cites the GUIDE; where neither
//!   states it, the value is the [`defaults`] value and says `not stated`.** The GUIDE sections cited:
//!   - `GUIDE 资格认证工作`: 第三章第二节四「开展领取养老金资格认证工作」 (at least one certification a year);
//!   - `GUIDE 走访制度`: 第三章第三节二「退休人员社会化管理走访制度」 (visits, the 70-year threshold, hardship visits);
//!   - `GUIDE 接待制度`: 第三章第三节三「退休人员社会化管理接待制度」 (answer deadlines);
//!   - `GUIDE 供养待遇申领规定`: 第三章第三节五「退休人员供养直系亲属有关待遇申领规定」 (dependants apply within a month).
//!
//! # Readings
//! - Days are calendar days unless a text says working days (CS Art. 16(4) does). A month counts as 30 days and a
//!   quarter as 90 where a parameter is in days; "once a year" is a 12-month certification period.
//! - A range (GUIDE 接待制度: 1-3 days, 7-10 days) is entered as its upper bound: the latest answer still on time.
//! - A condolence kind or visit group is in a preset when its texts name it. [`defaults`] lists every kind and
//!   group so that each value a text leaves open has exactly one chosen fallback. A condolence kind carries the
//!   article that establishes it on its `yearly_cap` (a visit "on each serious illness" is no cap; a festival is
//!   once a year; a death once); an amount no text sets stays `0.00`, `not stated`. A visit group's presence has
//!   no field of its own to cite: the comments in each preset give the article.

use rust_decimal::Decimal;

use super::*;

/// Names of the presets, as `POST /jurisdictions/{code}/policies` takes them.
pub const NAMES: [&str; 3] = ["xiamen-2025", "changsha-2020", "jinning-2020"];

/// GUIDE 第三章第二节四: "社会保险（退管）经办机构每年至少集中开展一次企业退休人员领取养老金资格认证".
const GUIDE_CERTIFICATION: &str = "GUIDE 资格认证工作";
/// GUIDE 第三章第三节二, the visit rules.
const GUIDE_VISITS: &str = "GUIDE 走访制度";
/// GUIDE 第三章第三节三, the reception rules.
const GUIDE_RECEPTION: &str = "GUIDE 接待制度";
/// GUIDE 第三章第三节五: "由退休人员亲属在一月内向社区劳动就业社会保障服务站提出供养申请".
const GUIDE_DEPENDANTS: &str = "GUIDE 供养待遇申领规定";

/// A preset by name.
pub fn by_name(name: &str) -> Option<Policy> {
    match name {
        "xiamen-2025" => Some(xiamen_2025()),
        "changsha-2020" => Some(changsha_2020()),
        "jinning-2020" => Some(jinning_2020()),
        _ => None,
    }
}

fn money(text: &str) -> Money {
    Money::parse(text).unwrap_or_default()
}

fn ratio(text: &str) -> Decimal {
    text.parse().unwrap_or_default()
}

fn d<T>(value: T) -> Sourced<T> {
    Sourced::default_value(value)
}

fn s<T>(value: T, source: &str) -> Sourced<T> {
    Sourced::stated(value, source)
}

/// Default back-pay on resumption, where no text says which suspension reason earns it.
pub fn default_back_pay(reason: SuspensionReason) -> bool {
    match reason {
        // The entitlement never lapsed, only its proof was late: paid back once certified.
        SuspensionReason::CertificationOverdue => true,
        // Entitled throughout once the person is shown to be alive.
        SuspensionReason::MissingUnreported => true,
        // National practice: no basic pension for the months served in prison.
        SuspensionReason::Imprisoned => false,
        // The months were already paid by the other payer; paying them back would pay them twice.
        SuspensionReason::DuplicateReceipt => false,
        // Decided case by case; the default follows CS Art. 32's "恢复发放或补发" and pays back.
        SuspensionReason::OtherLegal => true,
        // A death record that proves wrong: the person was entitled throughout.
        SuspensionReason::SuspectedDeath => true,
    }
}

/// Default yearly cap of a condolence kind, where the text naming the kind does not state one.
fn default_condolence_cap(kind: CondolenceKind) -> Option<u32> {
    match kind {
        // The festival comes once a year.
        CondolenceKind::SpringFestival | CondolenceKind::DoubleNinth => Some(1),
        // Which and how many "major festivals" is open.
        CondolenceKind::OtherFestival => None,
        // A visit on each hospital stay unless a text caps it.
        CondolenceKind::Hospital => None,
        // A person dies once.
        CondolenceKind::Death => Some(1),
        // A visit on each hardship that befalls the family.
        CondolenceKind::Hardship => None,
    }
}

/// Default visit interval of a group, where the text naming the group gives none.
fn default_visit_days(group: VisitGroup) -> u32 {
    match group {
        // A month after arrival, as the GUIDE's "纳入社区当月内".
        VisitGroup::NewRetiree => 30,
        // A quarter, as the GUIDE's "每季度上门走访一次".
        VisitGroup::WidowedChildless => 90,
        // "定期" (regularly) without an interval: the GUIDE's only regular rhythm, a quarter.
        VisitGroup::AdvancedAge
        | VisitGroup::SeriouslyIll
        | VisitGroup::SevereHardship
        | VisitGroup::LivingAlone
        | VisitGroup::Disabled => 90,
        // The GUIDE says "不定期" (irregular) visits or calls; at least one contact a year is the floor chosen.
        VisitGroup::LivingElsewhere => 365,
    }
}

/// Defaults where a regulation is silent. Each says `not stated`; the comments give the reasoning.
pub fn defaults() -> Policy {
    Policy {
        certification: Certification {
            // Once a year: CS Art. 16(2) and GUIDE 资格认证工作 say so; XM and JN are silent.
            period_months: d(12),
            // No text has a reminder window: a month before the due date.
            due_soon_days: d(30),
        },
        // CS Art. 32 says "恢复发放或补发" for all five reasons without saying which earns back-pay.
        back_pay: SuspensionReason::ALL
            .iter()
            .map(|r| BackPayRule { reason: *r, back_pay: d(default_back_pay(*r)) })
            .collect(),
        // CS Art. 32(2) is the only text with a number; six months is also the national rule.
        missing_person_months: d(6),
        service_fund: ServiceFund {
            // No figure is chosen: a jurisdiction without a stated amount has to enter its own.
            per_retiree_per_year: d(money("0")),
            // Shared equally, as XM Art. 21 does for everyone and CS Art. 10 for city-managed retirees.
            splits: ManagementLevel::ALL
                .iter()
                .map(|l| FundSplit {
                    management_level: *l,
                    city_share: d(ratio("0.5")),
                    district_share: d(ratio("0.5")),
                })
                .collect(),
            // Every use, so that a jurisdiction without a text is not blocked; a preset names its own.
            allowed_uses: default_allowed_uses(),
        },
        // Every kind, amount 0.00 (only a text sets an amount); caps as [`default_condolence_cap`].
        condolences: CondolenceKind::ALL
            .iter()
            .map(|k| Condolence { kind: *k, amount: d(money("0")), yearly_cap: d(default_condolence_cap(*k)) })
            .collect(),
        group_leaders: GroupLeaders {
            // Only XM Art. 23 pays leaders; elsewhere nothing.
            monthly_allowance: d(money("0")),
            // Shared equally where no text divides it.
            allowance_city_share: d(ratio("0.5")),
            allowance_district_share: d(ratio("0.5")),
            // No award scheme unless a text sets one (XM Art. 24 does).
            excellent_ratio: d(ratio("0")),
            // No text rounds; rounding down never names more leaders than the ratio allows.
            excellent_rounding: d(Rounding::Down),
            // No award unless a text sets one.
            excellent_award: d(money("0")),
        },
        death: Death {
            // CS Art. 16(4)'s 20 working days, the only figure any text gives.
            report_deadline_working_days: d(20),
            // GUIDE 供养待遇申领规定's "一月内".
            dependant_application_months: d(1),
            // The texts say who declares the funeral grant and survivor benefit (JN Art. 7(4), 23(3)), never how
            // much: national and provincial rules set them.
            funeral_grant: d(BenefitFormula { basis: BenefitBasis::PerProvincialRules, months: None, amount: None }),
            survivor_benefit: d(BenefitFormula { basis: BenefitBasis::PerProvincialRules, months: None, amount: None }),
            // CS Art. 31(1) sets a deadline ("限期") without a number.
            recovery_deadline_days: d(90),
        },
        // Every group, with the intervals of [`default_visit_days`].
        visits: VisitGroup::ALL
            .iter()
            .map(|g| VisitInterval { group: *g, interval_days: d(default_visit_days(*g)) })
            .collect(),
        // GUIDE 走访制度's "70岁以上高龄退休人员".
        advanced_age_years: d(70),
        // GUIDE 接待制度's upper bounds: 1-3 days, 7-10 days, a week, 15 days.
        petitions: Petitions {
            general_answer_days: d(3),
            escalated_answer_days: d(10),
            major_policy_answer_days: d(7),
            letter_answer_days: d(15),
            // No text gives an acknowledgement deadline, a reopen window or a collective threshold.
            acknowledge_days: default_acknowledge_days(),
            reopen_window_days: default_reopen_window_days(),
            collective_min_people: default_collective_min_people(),
            counting: default_petition_counting(),
        },
        // JN Art. 11, 12 and 20's figures, the only ones any text gives.
        staffing: Staffing {
            retirees_per_worker: d(1500),
            part_time_below: d(500),
            district_office_extra_workers: d(2),
            street_extra_workers: d(2),
            archive_volumes_per_keeper: d(10_000),
            archive_m2_per_10000_volumes: d(60),
        },
        // No text gives a loan period or a review deadline for archives (JN Art. 7(12), 27 name the work only).
        archives: default_archives(),
        // GUIDE 第二部分六 gives no number for elderly care: see [`default_elder_care`].
        elder_care: default_elder_care(),
        // No text sets age bands for the monthly report: see [`default_reports`].
        reports: default_reports(),
        // No text gives a health-record interval or age (GUIDE 第五部分第四章四; CS Art. 7(3)6; JN Art. 25).
        health: default_health(),
        // JN Art. 7(7) names the high-age allowance; no text gives its ages or amounts: not set until a city does.
        high_age_allowance: default_high_age_allowance(),
        // No text gives days for an errand (JN Art. 7(5), 24); the GUIDE's card age is set in [`guide`].
        errands: default_errands(),
        // GUIDE 交接制度 says "及时" for party relations; no text gives the days: not set until a city does.
        party: super::default_party(),
    }
}

/// The condolence kinds a text names, each with its amount and cap, in [`CondolenceKind::ALL`] order.
fn condolences(mut list: Vec<Condolence>) -> Vec<Condolence> {
    list.sort_by_key(|c| c.kind);
    list
}

/// The visit groups a text names: the groups with a stated interval, the others at their default.
fn visits(stated: &[(VisitGroup, u32, &str)], named: &[VisitGroup]) -> Vec<VisitInterval> {
    VisitGroup::ALL
        .iter()
        .filter_map(|g| {
            if let Some((_, days, source)) = stated.iter().find(|(sg, _, _)| sg == g) {
                Some(VisitInterval { group: *g, interval_days: s(*days, source) })
            } else if named.contains(g) {
                Some(VisitInterval { group: *g, interval_days: d(default_visit_days(*g)) })
            } else {
                None
            }
        })
        .collect()
}

/// What the GUIDE states and no city text does, the same in every preset (the module doc gives the rule).
fn guide(p: &mut Policy) {
    // "每年至少集中开展一次企业退休人员领取养老金资格认证".
    p.certification.period_months = s(12, GUIDE_CERTIFICATION);
    // "由退休人员亲属在一月内…提出供养申请".
    p.death.dependant_application_months = s(1, GUIDE_DEPENDANTS);
    // "对70岁以上高龄退休人员…定期至少上门走访一次".
    p.advanced_age_years = s(70, GUIDE_VISITS);
    // "对70岁以上的高龄退休人员…及时帮助办理老年人优惠证、卡" (issue 25: tracked errands).
    p.errands.senior_card_age_years = s(70, GUIDE_VISITS);
    // Upper bounds of "1-3日内" and "7-10日内"; "一周内" = 7 days; "15日内".
    p.petitions = Petitions {
        general_answer_days: s(3, GUIDE_RECEPTION),
        escalated_answer_days: s(10, GUIDE_RECEPTION),
        major_policy_answer_days: s(7, GUIDE_RECEPTION),
        letter_answer_days: s(15, GUIDE_RECEPTION),
        acknowledge_days: default_acknowledge_days(),
        reopen_window_days: default_reopen_window_days(),
        collective_min_people: default_collective_min_people(),
        // "日" are calendar days (readings above): the four answer deadlines count calendar days.
        counting: PetitionCounting {
            general_answer: s(DayCount::Calendar, GUIDE_RECEPTION),
            escalated_answer: s(DayCount::Calendar, GUIDE_RECEPTION),
            major_policy_answer: s(DayCount::Calendar, GUIDE_RECEPTION),
            letter_answer: s(DayCount::Calendar, GUIDE_RECEPTION),
            ..default_petition_counting()
        },
    };
}

/// The GUIDE's stated intervals: new retirees within the month of arrival, 鳏寡孤独 every quarter.
const GUIDE_INTERVALS: [(VisitGroup, u32, &str); 2] =
    [(VisitGroup::NewRetiree, 30, GUIDE_VISITS), (VisitGroup::WidowedChildless, 90, GUIDE_VISITS)];

/// 厦门市退休人员社会化管理服务办法 (厦府规〔2025〕2号).
///
/// Silent, so `not stated`: certification reminder window, back-pay, festival and hardship amounts, rounding of
/// the excellent-leader count, death report deadline, death benefits, most visit intervals, staffing. The GUIDE
/// gives the certification period, the dependants' window, two visit intervals, the 70-year threshold and the
/// answer deadlines.
pub fn xiamen_2025() -> Policy {
    let mut p = defaults();
    guide(&mut p);
    // Art. 21: "经费标准为每人每年400元,市、区财政按1:1分担" — one split for every management level.
    p.service_fund.per_retiree_per_year = s(money("400"), "XM Art. 21");
    for split in &mut p.service_fund.splits {
        split.city_share = s(ratio("0.5"), "XM Art. 21");
        split.district_share = s(ratio("0.5"), "XM Art. 21");
    }
    // Art. 21 "经费主要用于：（一）…节日慰问；（二）…住院慰问…；（三）亡故退休人员家属慰问…；（四）组织退休人员开展
    // 文体健康等活动；（五）优秀退休人员小组长奖励金；（六）组织退休人员小组长培训；（七）为尚未投保的退休人员小组长
    // 购买人身意外险".
    p.service_fund.allowed_uses = [
        (FundUse::FestivalCondolence, "XM Art. 21(1)"),
        (FundUse::HospitalCondolence, "XM Art. 21(2)"),
        (FundUse::DeathCondolence, "XM Art. 21(3)"),
        (FundUse::Activities, "XM Art. 21(4)"),
        (FundUse::ExcellentLeaderAward, "XM Art. 21(5)"),
        (FundUse::LeaderTraining, "XM Art. 21(6)"),
        (FundUse::LeaderInsurance, "XM Art. 21(7)"),
    ]
    .iter()
    .map(|(u, src)| s(*u, src))
    .collect();
    p.condolences = condolences(vec![
        // Art. 14 "在春节、重阳节对退休人员开展节日慰问", Art. 21(1) pays it; the amount is left to the city HR
        // department ("具体由市人力资源和社会保障部门另行制定").
        Condolence {
            kind: CondolenceKind::SpringFestival,
            amount: d(money("0")),
            yearly_cap: s(Some(1), "XM Art. 14, 21(1)"),
        },
        Condolence {
            kind: CondolenceKind::DoubleNinth,
            amount: d(money("0")),
            yearly_cap: s(Some(1), "XM Art. 14, 21(1)"),
        },
        // Art. 21(2) "住院慰问，每人每年不超过2次（含）,慰问金标准每人次200元".
        Condolence {
            kind: CondolenceKind::Hospital,
            amount: s(money("200"), "XM Art. 21(2)"),
            yearly_cap: s(Some(2), "XM Art. 21(2)"),
        },
        // Art. 21(3) "亡故退休人员家属慰问，慰问金标准500元".
        Condolence {
            kind: CondolenceKind::Death,
            amount: s(money("500"), "XM Art. 21(3)"),
            yearly_cap: s(Some(1), "XM Art. 21(3)"),
        },
        // Art. 14 "困难退休人员重点慰问" at the Spring Festival and Double Ninth, Art. 22 "春节、重阳节慰问困难
        // 退休人员": two occasions a year; no amount.
        Condolence { kind: CondolenceKind::Hardship, amount: d(money("0")), yearly_cap: s(Some(2), "XM Art. 14, 22") },
    ]);
    p.group_leaders = GroupLeaders {
        // Art. 23 "每人每月补贴150元…经费由市、区财政按4:6的比例承担".
        monthly_allowance: s(money("150"), "XM Art. 23"),
        allowance_city_share: s(ratio("0.4"), "XM Art. 23"),
        allowance_district_share: s(ratio("0.6"), "XM Art. 23"),
        // Art. 24 "按退休人员小组长人数的10%评选优秀组长，奖励金按每人400元"; rounding is not stated.
        excellent_ratio: s(ratio("0.1"), "XM Art. 24"),
        excellent_rounding: d(Rounding::Down),
        excellent_award: s(money("400"), "XM Art. 24"),
    };
    // XM names no visit group; the GUIDE's: new retirees, 鳏寡孤独, 70+ ("定期"), the seriously ill in hospital
    // ("及时进行慰问") and those living elsewhere ("不定期").
    p.visits =
        visits(&GUIDE_INTERVALS, &[VisitGroup::AdvancedAge, VisitGroup::SeriouslyIll, VisitGroup::LivingElsewhere]);
    p
}

/// 长沙市退休人员社会化管理服务办法 (长政办发〔2020〕10号).
///
/// Silent, so `not stated`: reminder window, back-pay (Art. 32 says "恢复发放或补发" without saying which reason
/// earns back-pay), condolence amounts, group leaders, death benefits, most visit intervals, staffing.
pub fn changsha_2020() -> Policy {
    let mut p = defaults();
    guide(&mut p);
    // Art. 16(2) "应在每一个年度内进行一次养老金领取资格认证".
    p.certification.period_months = s(12, "CS Art. 16(2)");
    // Art. 16(4) "其亲属应在退休人员死亡之日起20个工作日内向社会保险经办机构报告".
    p.death.report_deadline_working_days = s(20, "CS Art. 16(4)");
    // Art. 10 para. 1 "专项经费标准为100元/人/年"; "中央、省属驻长企业已经实行属地管理的退休人员和市本级管理的
    // 退休人员…由市财政和区县（市）财政各分担50%；区县（市）管理的退休人员…由各区县（市）财政承担".
    p.service_fund.per_retiree_per_year = s(money("100"), "CS Art. 10 para. 1");
    for split in &mut p.service_fund.splits {
        let (city, district) = match split.management_level {
            ManagementLevel::CityManaged | ManagementLevel::CentralProvincialLocal => ("0.5", "0.5"),
            ManagementLevel::DistrictManaged => ("0", "1"),
        };
        split.city_share = s(ratio(city), "CS Art. 10 para. 1");
        split.district_share = s(ratio(district), "CS Art. 10 para. 1");
    }
    // Art. 10 para. 2 "专项经费用于…包括养老金领取资格认证、退休人员文化体育健身、走访慰问活动开展、社会化管理服务
    // 工作办公设备购买、信息系统维护、死亡冒领情况核查、社会化管理服务基地建设、政府购买社会服务、业务学习培训等".
    p.service_fund.allowed_uses = [
        FundUse::Certification,
        FundUse::Activities,
        FundUse::VisitsCondolences,
        FundUse::OfficeEquipment,
        FundUse::InformationSystem,
        FundUse::FraudCheck,
        FundUse::ServiceBase,
        FundUse::PurchasedServices,
        FundUse::StaffTraining,
    ]
    .iter()
    .map(|u| s(*u, "CS Art. 10 para. 2"))
    .collect();
    p.condolences = condolences(vec![
        // Art. 25(2) "每年逢重大节日，对上述人员开展慰问活动": each major festival, which ones is open.
        Condolence { kind: CondolenceKind::OtherFestival, amount: d(money("0")), yearly_cap: s(None, "CS Art. 25(2)") },
        // Art. 25(2) "退休人员重病住院、死亡，应上门慰问、悼念": on each serious illness, once on death.
        Condolence { kind: CondolenceKind::Hospital, amount: d(money("0")), yearly_cap: s(None, "CS Art. 25(2)") },
        Condolence { kind: CondolenceKind::Death, amount: d(money("0")), yearly_cap: s(Some(1), "CS Art. 25(2)") },
        // CS is silent; GUIDE 走访制度 "家庭不幸发生特殊变故，生活发生困难…应及时上门慰问".
        Condolence { kind: CondolenceKind::Hardship, amount: d(money("0")), yearly_cap: s(None, GUIDE_VISITS) },
    ]);
    // Art. 25(1) "孤寡、重病、高龄、特困、独居、伤残等退休人员…定期进行探访" (no interval; the GUIDE's quarter for
    // 鳏寡孤独), plus the GUIDE's new retirees and those living elsewhere.
    p.visits = visits(
        &GUIDE_INTERVALS,
        &[
            VisitGroup::AdvancedAge,
            VisitGroup::SeriouslyIll,
            VisitGroup::SevereHardship,
            VisitGroup::LivingAlone,
            VisitGroup::Disabled,
            VisitGroup::LivingElsewhere,
        ],
    );
    // Art. 32(2): "下落不明超过 6 个月，其亲属或利害关系人不按规定申报的" — suspension.
    p.missing_person_months = s(6, "CS Art. 32(2)");
    p
}

/// 晋宁区国有企业退休人员社会化管理服务实施办法 (晋政办通〔2020〕18号).
///
/// Silent, so `not stated`: reminder window, back-pay (Art. 34 only says "应当做有关业务处理"), the fund amount
/// (Art. 14 "具体办法由区财政局另行制定", Art. 15 "按照国家、省、市补助标准执行"/"具体标准另行通知") and the split of
/// central, provincial and city enterprises' retirees (funded at the higher levels' standards, which the type's
/// city/district split cannot say), condolence amounts, group leaders, death report deadline and benefits, most
/// visit intervals.
pub fn jinning_2020() -> Policy {
    let mut p = defaults();
    guide(&mut p);
    // Art. 15 "区级财政对乡镇（街道）或者社区（村委会）接收区属国有企业退休人员…的管理服务费用给予适当补助".
    if let Some(split) =
        p.service_fund.splits.iter_mut().find(|s| s.management_level == ManagementLevel::DistrictManaged)
    {
        split.city_share = s(ratio("0"), "JN Art. 15");
        split.district_share = s(ratio("1"), "JN Art. 15");
    }
    // Art. 15 "由乡镇（街道）或者社区（村委会）统筹用于国有企业退休人员社会化管理服务工作": any use of the service.
    p.service_fund.allowed_uses = FundUse::ALL.iter().map(|u| s(*u, "JN Art. 15")).collect();
    p.condolences = condolences(vec![
        // Art. 31(2) "每年逢重大节日，对上述人员开展慰问活动；国有企业退休人员患危重病住院、亡故，进行上门慰问".
        Condolence { kind: CondolenceKind::OtherFestival, amount: d(money("0")), yearly_cap: s(None, "JN Art. 31(2)") },
        Condolence { kind: CondolenceKind::Hospital, amount: d(money("0")), yearly_cap: s(None, "JN Art. 31(2)") },
        Condolence { kind: CondolenceKind::Death, amount: d(money("0")), yearly_cap: s(Some(1), "JN Art. 31(2)") },
        // Art. 9(10) "在重大节日和国有企业退休人员家庭困难、重病期间、逝世后，进行探访、慰问" (the enterprise's task).
        Condolence { kind: CondolenceKind::Hardship, amount: d(money("0")), yearly_cap: s(None, "JN Art. 9(10)") },
    ]);
    // Art. 31(1) "孤寡、重病、高龄、特困、独居、伤残等国有企业退休人员定期进行探访" (no interval; the GUIDE's
    // quarter for 鳏寡孤独), plus the GUIDE's new retirees and those living elsewhere.
    p.visits = visits(
        &GUIDE_INTERVALS,
        &[
            VisitGroup::AdvancedAge,
            VisitGroup::SeriouslyIll,
            VisitGroup::SevereHardship,
            VisitGroup::LivingAlone,
            VisitGroup::Disabled,
            VisitGroup::LivingElsewhere,
        ],
    );
    p.staffing = Staffing {
        // Art. 11 "按照接收人数不低于1500:1的比例增加配备工作人员，接收人数超过500人不足1500人的，增加配备1名
        // 工作人员。接收人数不足500人的社区（村委会），可由1名社区（村委会）工作人员兼任".
        retirees_per_worker: s(1500, "JN Art. 11"),
        part_time_below: s(500, "JN Art. 11"),
        // Art. 11 "区社会化管理服务办公室、街道分别增加配备工作人员不少于2人".
        district_office_extra_workers: s(2, "JN Art. 11"),
        street_extra_workers: s(2, "JN Art. 11"),
        // Art. 12 "参考每1万卷不少于1个人的标准，增加配备档案管理工作人员".
        archive_volumes_per_keeper: s(10_000, "JN Art. 12"),
        // Art. 20 "按照每万卷60平方米的标准，建设配备…人事档案管理库房".
        archive_m2_per_10000_volumes: s(60, "JN Art. 20"),
    };
    p
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use serde_json::Value;

    use super::*;

    /// Every [`Sourced`] of a policy by logical path (list entries by their kind, group, reason or level), with its
    /// JSON value and source.
    fn sourced(p: &Policy) -> BTreeMap<String, (Value, String)> {
        fn walk(path: String, v: &Value, out: &mut BTreeMap<String, (Value, String)>) {
            match v {
                Value::Object(m) if m.len() == 2 && m.contains_key("value") && m.contains_key("source") => {
                    let source = m["source"].as_str().unwrap().to_owned();
                    out.insert(path, (m["value"].clone(), source));
                }
                Value::Object(m) => {
                    for (k, x) in m {
                        walk(format!("{path}/{k}"), x, out);
                    }
                }
                Value::Array(a) => {
                    for (i, x) in a.iter().enumerate() {
                        let key = ["reason", "management_level", "kind", "group"]
                            .iter()
                            .find_map(|k| x.get(k).and_then(Value::as_str))
                            .map_or_else(|| i.to_string(), str::to_owned);
                        walk(format!("{path}/{key}"), x, out);
                    }
                }
                _ => {}
            }
        }
        let mut out = BTreeMap::new();
        walk(String::new(), &serde_json::to_value(p).unwrap(), &mut out);
        out
    }

    fn stated_count(p: &Policy) -> usize {
        sourced(p).values().filter(|(_, src)| src != NOT_STATED).count()
    }

    fn visit(p: &Policy, group: VisitGroup) -> Sourced<u32> {
        p.visits.iter().find(|v| v.group == group).unwrap().interval_days.clone()
    }

    fn kinds(p: &Policy) -> Vec<CondolenceKind> {
        p.condolences.iter().map(|c| c.kind).collect()
    }

    fn groups(p: &Policy) -> Vec<VisitGroup> {
        p.visits.iter().map(|v| v.group).collect()
    }

    fn split(p: &Policy, level: ManagementLevel) -> (Sourced<Ratio>, Sourced<Ratio>) {
        let s = p.split_for(level).unwrap();
        (s.city_share.clone(), s.district_share.clone())
    }

    /// The GUIDE values every preset carries (the city texts are silent on them).
    fn assert_guide_values(p: &Policy) {
        // GUIDE 供养待遇申领规定: "由退休人员亲属在一月内向社区劳动就业社会保障服务站提出供养申请".
        assert_eq!(p.death.dependant_application_months, s(1, "GUIDE 供养待遇申领规定"));
        // GUIDE 走访制度: "对70岁以上高龄退休人员…定期至少上门走访一次".
        assert_eq!(p.advanced_age_years, s(70, "GUIDE 走访制度"));
        // GUIDE 接待制度: "一般性政策、服务性问题…应在1-3日内给予答复" (upper bound).
        assert_eq!(p.petitions.general_answer_days, s(3, "GUIDE 接待制度"));
        // "本级难以答复或解决的，应及时逐级报告，一般在7-10日内给予答复" (upper bound).
        assert_eq!(p.petitions.escalated_answer_days, s(10, "GUIDE 接待制度"));
        // "有关重大政策问题…一般在一周内给予答复".
        assert_eq!(p.petitions.major_policy_answer_days, s(7, "GUIDE 接待制度"));
        // "对来信提出的问题…一般应在15日内作出相应答复".
        assert_eq!(p.petitions.letter_answer_days, s(15, "GUIDE 接待制度"));
        // "日内": calendar days, as every "日" of the texts (module readings).
        assert_eq!(p.petitions.counting.general_answer, s(DayCount::Calendar, "GUIDE 接待制度"));
        assert_eq!(p.petitions.counting.letter_answer, s(DayCount::Calendar, "GUIDE 接待制度"));
        // No text gives an acknowledgement deadline or a reopen window.
        assert_eq!(p.petitions.acknowledge_days, d(1));
        assert_eq!(p.petitions.reopen_window_days, d(30));
        // GUIDE 走访制度: "应在退休人员纳入社区当月内上门走访" (a month = 30 days).
        assert_eq!(visit(p, VisitGroup::NewRetiree), s(30, "GUIDE 走访制度"));
        // "对鳏寡孤独退休人员…每季度上门走访一次" (a quarter = 90 days).
        assert_eq!(visit(p, VisitGroup::WidowedChildless), s(90, "GUIDE 走访制度"));
        // "对70岁以上的高龄退休人员…及时帮助办理老年人优惠证、卡" (issue 25: tracked errands); no days for any errand.
        assert_eq!(p.errands.senior_card_age_years, s(70, "GUIDE 走访制度"));
        assert!(p.errands.due_days.iter().all(|e| e.days == d(None)));
    }

    #[test]
    fn xiamen_2025_matches_the_measures() {
        let p = xiamen_2025();
        // GUIDE 资格认证工作: "每年至少集中开展一次企业退休人员领取养老金资格认证" (XM Art. 15 gives no period).
        assert_eq!(p.certification.period_months, s(12, "GUIDE 资格认证工作"));
        // Art. 21: "经费标准为每人每年400元,市、区财政按1:1分担".
        assert_eq!(p.service_fund.per_retiree_per_year, s(money("400"), "XM Art. 21"));
        for level in ManagementLevel::ALL {
            assert_eq!(split(&p, *level), (s(ratio("0.5"), "XM Art. 21"), s(ratio("0.5"), "XM Art. 21")));
        }
        use CondolenceKind::*;
        assert_eq!(kinds(&p), vec![SpringFestival, DoubleNinth, Hospital, Death, Hardship]);
        // Art. 14: "在春节、重阳节对退休人员开展节日慰问"; Art. 21(1): "退休人员春节、重阳节节日慰问" — no amount.
        for kind in [SpringFestival, DoubleNinth] {
            let c = p.condolence(kind).unwrap();
            assert_eq!(c.yearly_cap, s(Some(1), "XM Art. 14, 21(1)"));
            assert_eq!(c.amount, d(money("0")));
        }
        // Art. 21(2): "住院慰问，每人每年不超过2次（含）,慰问金标准每人次200元".
        assert_eq!(p.condolence(Hospital).unwrap().amount, s(money("200"), "XM Art. 21(2)"));
        assert_eq!(p.condolence(Hospital).unwrap().yearly_cap, s(Some(2), "XM Art. 21(2)"));
        // Art. 21(3): "亡故退休人员家属慰问，慰问金标准500元".
        assert_eq!(p.condolence(Death).unwrap().amount, s(money("500"), "XM Art. 21(3)"));
        assert_eq!(p.condolence(Death).unwrap().yearly_cap, s(Some(1), "XM Art. 21(3)"));
        // Art. 14: "困难退休人员重点慰问"; Art. 22: "春节、重阳节慰问困难退休人员" — two occasions, no amount.
        assert_eq!(p.condolence(Hardship).unwrap().yearly_cap, s(Some(2), "XM Art. 14, 22"));
        assert_eq!(p.condolence(Hardship).unwrap().amount, d(money("0")));
        // Art. 23: "每人每月补贴150元的交通、通讯费用，经费由市、区财政按4:6的比例承担".
        let g = &p.group_leaders;
        assert_eq!(g.monthly_allowance, s(money("150"), "XM Art. 23"));
        assert_eq!(g.allowance_city_share, s(ratio("0.4"), "XM Art. 23"));
        assert_eq!(g.allowance_district_share, s(ratio("0.6"), "XM Art. 23"));
        // Art. 24: "按退休人员小组长人数的10%评选优秀组长，奖励金按每人400元" — no rounding.
        assert_eq!(g.excellent_ratio, s(ratio("0.1"), "XM Art. 24"));
        assert_eq!(g.excellent_award, s(money("400"), "XM Art. 24"));
        assert_eq!(g.excellent_rounding, d(Rounding::Down));
        assert_guide_values(&p);
        use VisitGroup::*;
        assert_eq!(groups(&p), vec![NewRetiree, WidowedChildless, AdvancedAge, SeriouslyIll, LivingElsewhere]);
        // XM says nothing of death reports or staffing.
        assert_eq!(p.death.report_deadline_working_days, d(20));
        assert_eq!(p.staffing, defaults().staffing);
        // Art. 21(1)-(7): the seven uses of the fund.
        use FundUse as U;
        let uses: Vec<FundUse> = p.service_fund.allowed_uses.iter().map(|u| u.value).collect();
        assert_eq!(
            uses,
            vec![
                U::FestivalCondolence,
                U::HospitalCondolence,
                U::DeathCondolence,
                U::Activities,
                U::ExcellentLeaderAward,
                U::LeaderTraining,
                U::LeaderInsurance
            ]
        );
        assert!(!p.allows_use(U::OfficeEquipment));
        // 1 certification + 7 fund + 7 uses + 7 condolence + 5 leader + 1 dependants + 2 visits + 1 age + 4 answers
        // + 4 answer countings + 1 senior card age (GUIDE 走访制度).
        assert_eq!(stated_count(&p), 40);
    }

    #[test]
    fn changsha_2020_matches_the_measures() {
        let p = changsha_2020();
        // Art. 16(2): "应在每一个年度内进行一次养老金领取资格认证".
        assert_eq!(p.certification.period_months, s(12, "CS Art. 16(2)"));
        // Art. 16(4): "其亲属应在退休人员死亡之日起20个工作日内向社会保险经办机构报告".
        assert_eq!(p.death.report_deadline_working_days, s(20, "CS Art. 16(4)"));
        // Art. 10 para. 1: "专项经费标准为100元/人/年".
        assert_eq!(p.service_fund.per_retiree_per_year, s(money("100"), "CS Art. 10 para. 1"));
        // "中央、省属驻长企业已经实行属地管理的退休人员和市本级管理的退休人员…由市财政和区县（市）财政各分担50%".
        let half = s(ratio("0.5"), "CS Art. 10 para. 1");
        assert_eq!(split(&p, ManagementLevel::CityManaged), (half.clone(), half.clone()));
        assert_eq!(split(&p, ManagementLevel::CentralProvincialLocal), (half.clone(), half));
        // "区县（市）管理的退休人员的社会化管理服务工作经费由各区县（市）财政承担".
        assert_eq!(
            split(&p, ManagementLevel::DistrictManaged),
            (s(ratio("0"), "CS Art. 10 para. 1"), s(ratio("1"), "CS Art. 10 para. 1"))
        );
        use CondolenceKind::*;
        assert_eq!(kinds(&p), vec![OtherFestival, Hospital, Death, Hardship]);
        // Art. 25(2): "每年逢重大节日，对上述人员开展慰问活动；退休人员重病住院、死亡，应上门慰问、悼念".
        assert_eq!(p.condolence(OtherFestival).unwrap().yearly_cap, s(None, "CS Art. 25(2)"));
        assert_eq!(p.condolence(Hospital).unwrap().yearly_cap, s(None, "CS Art. 25(2)"));
        assert_eq!(p.condolence(Death).unwrap().yearly_cap, s(Some(1), "CS Art. 25(2)"));
        // GUIDE 走访制度: "家庭不幸发生特殊变故，生活发生困难…应及时上门慰问".
        assert_eq!(p.condolence(Hardship).unwrap().yearly_cap, s(None, "GUIDE 走访制度"));
        // No amounts anywhere.
        assert!(p.condolences.iter().all(|c| c.amount == d(money("0"))));
        assert_guide_values(&p);
        // Art. 25(1): "孤寡、重病、高龄、特困、独居、伤残等退休人员基本情况，定期进行探访" — no interval.
        assert_eq!(groups(&p), VisitGroup::ALL.to_vec());
        for g in [VisitGroup::AdvancedAge, VisitGroup::SeriouslyIll, VisitGroup::LivingAlone, VisitGroup::Disabled] {
            assert_eq!(visit(&p, g), d(90));
        }
        // Art. 32: "停发或暂时停发…待其情形消失后再恢复发放或补发" — which reason earns back-pay is not stated.
        assert!(p.back_pay.iter().all(|r| r.back_pay.source == NOT_STATED));
        // No group-leader allowance (Art. 19 only has leaders elected).
        assert_eq!(p.group_leaders, defaults().group_leaders);
        // Art. 32(2): "下落不明超过 6 个月…不按规定申报的" suspends the pension.
        assert_eq!(p.missing_person_months, s(6, "CS Art. 32(2)"));
        // 1 certification + 1 report + 1 dependants + 7 fund + 4 condolence + 2 visits + 1 age + 4 answers
        // + 1 missing-person months + 9 uses (Art. 10 para. 2).
        assert!(p.allows_use(FundUse::InformationSystem) && !p.allows_use(FundUse::ExcellentLeaderAward));
        // + 4 answer countings (GUIDE 接待制度) + 1 senior card age (GUIDE 走访制度).
        assert_eq!(stated_count(&p), 36);
    }

    #[test]
    fn jinning_2020_matches_the_measures() {
        let p = jinning_2020();
        // GUIDE 资格认证工作: "每年至少集中开展一次" (JN Art. 7(3), 23(2) give no period).
        assert_eq!(p.certification.period_months, s(12, "GUIDE 资格认证工作"));
        // Art. 14 "具体办法由区财政局另行制定", Art. 15 "按照国家、省、市补助标准执行": no amount.
        assert_eq!(p.service_fund.per_retiree_per_year, d(money("0")));
        // Art. 15: "区级财政对…接收区属国有企业退休人员实行社会化管理服务的管理服务费用给予适当补助".
        assert_eq!(
            split(&p, ManagementLevel::DistrictManaged),
            (s(ratio("0"), "JN Art. 15"), s(ratio("1"), "JN Art. 15"))
        );
        assert_eq!(split(&p, ManagementLevel::CityManaged), (d(ratio("0.5")), d(ratio("0.5"))));
        assert_eq!(split(&p, ManagementLevel::CentralProvincialLocal), (d(ratio("0.5")), d(ratio("0.5"))));
        use CondolenceKind::*;
        assert_eq!(kinds(&p), vec![OtherFestival, Hospital, Death, Hardship]);
        // Art. 31(2): "每年逢重大节日，对上述人员开展慰问活动；国有企业退休人员患危重病住院、亡故，进行上门慰问".
        assert_eq!(p.condolence(OtherFestival).unwrap().yearly_cap, s(None, "JN Art. 31(2)"));
        assert_eq!(p.condolence(Hospital).unwrap().yearly_cap, s(None, "JN Art. 31(2)"));
        assert_eq!(p.condolence(Death).unwrap().yearly_cap, s(Some(1), "JN Art. 31(2)"));
        // Art. 9(10): "在重大节日和国有企业退休人员家庭困难、重病期间、逝世后，进行探访、慰问".
        assert_eq!(p.condolence(Hardship).unwrap().yearly_cap, s(None, "JN Art. 9(10)"));
        assert!(p.condolences.iter().all(|c| c.amount == d(money("0"))));
        assert_guide_values(&p);
        // Art. 31(1): "孤寡、重病、高龄、特困、独居、伤残等国有企业退休人员定期进行探访" — no interval.
        assert_eq!(groups(&p), VisitGroup::ALL.to_vec());
        // Art. 23(3), 7(4): the community declares funeral grant and survivor benefit; no deadline, no formula.
        assert_eq!(p.death.report_deadline_working_days, d(20));
        assert_eq!(p.death.funeral_grant, defaults().death.funeral_grant);
        let st = &p.staffing;
        // Art. 11: "按照接收人数不低于1500:1的比例增加配备工作人员，接收人数超过500人不足1500人的，增加配备1名
        // 工作人员。接收人数不足500人的社区（村委会），可由1名社区（村委会）工作人员兼任".
        assert_eq!(st.retirees_per_worker, s(1500, "JN Art. 11"));
        assert_eq!(st.part_time_below, s(500, "JN Art. 11"));
        // Art. 11: "区社会化管理服务办公室、街道分别增加配备工作人员不少于2人".
        assert_eq!(st.district_office_extra_workers, s(2, "JN Art. 11"));
        assert_eq!(st.street_extra_workers, s(2, "JN Art. 11"));
        // Art. 12: "参考每1万卷不少于1个人的标准，增加配备档案管理工作人员".
        assert_eq!(st.archive_volumes_per_keeper, s(10_000, "JN Art. 12"));
        // Art. 20: "按照每万卷60平方米的标准，建设配备国有企业退休人员人事档案管理库房".
        assert_eq!(st.archive_m2_per_10000_volumes, s(60, "JN Art. 20"));
        // Art. 34: "应当做有关业务处理" — no back-pay rule.
        assert!(p.back_pay.iter().all(|r| r.back_pay.source == NOT_STATED));
        // Art. 15 "统筹用于…社会化管理服务工作": every use.
        assert!(FundUse::ALL.iter().all(|u| p.allows_use(*u)));
        // 1 certification + 1 dependants + 2 fund + 15 uses + 4 condolence + 2 visits + 1 age + 4 answers + 6 staffing
        // + 4 answer countings + 1 senior card age (GUIDE 走访制度).
        assert_eq!(stated_count(&p), 41);
    }

    /// Whether `source` cites an article of regulation `reg` (which has `articles` articles) or a GUIDE section.
    fn cites_own_text(source: &str, reg: &str, articles: u32) -> bool {
        const GUIDE: [&str; 4] = [GUIDE_CERTIFICATION, GUIDE_VISITS, GUIDE_RECEPTION, GUIDE_DEPENDANTS];
        if source.starts_with("GUIDE ") {
            return GUIDE.contains(&source);
        }
        let Some(refs) = source.strip_prefix(&format!("{reg} Art. ")) else { return false };
        let number = |t: &str| t.parse::<u32>().ok().filter(|n| *n > 0);
        refs.split(", ").all(|r| {
            let (r, para) = r.split_once(" para. ").map_or((r, None), |(a, p)| (a, Some(p)));
            let (article, item) = r.split_once('(').map_or((r, None), |(a, i)| (a, Some(i)));
            number(article).is_some_and(|n| n <= articles)
                && para.is_none_or(|p| number(p).is_some())
                && item.is_none_or(|i| i.strip_suffix(')').and_then(number).is_some())
        })
    }

    #[test]
    fn stated_values_cite_their_own_regulation_or_the_guide() {
        // XM has 29 articles (第二十九条), CS 36 (第三十六条), JN 39 (第三十九条).
        for (name, reg, articles) in
            [("xiamen-2025", "XM", 29), ("changsha-2020", "CS", 36), ("jinning-2020", "JN", 39)]
        {
            for (path, (_, source)) in sourced(&by_name(name).unwrap()) {
                assert!(source == NOT_STATED || cites_own_text(&source, reg, articles), "{name} {path}: {source}");
            }
        }
        assert!(!cites_own_text("CS Art. 10", "XM", 29));
        assert!(!cites_own_text("XM Art. 30", "XM", 29));
        assert!(!cites_own_text("GUIDE 六", "XM", 29));
        assert!(cites_own_text("CS Art. 10 para. 1", "CS", 36));
    }

    #[test]
    fn defaults_are_all_not_stated() {
        for (path, (_, source)) in sourced(&defaults()) {
            assert_eq!(source, NOT_STATED, "{path}");
        }
    }

    #[test]
    fn values_left_open_are_the_defaults() {
        let defaults = sourced(&defaults());
        for name in NAMES {
            for (path, (value, source)) in sourced(&by_name(name).unwrap()) {
                if source == NOT_STATED {
                    assert_eq!(Some(&value), defaults.get(&path).map(|(v, _)| v), "{name} {path}");
                }
            }
        }
    }

    #[test]
    fn every_condolence_kind_cites_the_article_naming_it() {
        for name in NAMES {
            for c in by_name(name).unwrap().condolences {
                assert_ne!(c.yearly_cap.source, NOT_STATED, "{name} {}", c.kind);
            }
        }
    }

    #[test]
    fn presets_are_valid() {
        for name in NAMES {
            let p = by_name(name).unwrap();
            assert_eq!(p.violations(), vec![], "{name}");
        }
        assert_eq!(defaults().violations(), vec![]);
    }
}
