//! Effective-dated policy parameters (XM Art. 25, CS Art. 10: standards change over time). A policy is one
//! typed set of every amount, ratio, cap, interval and deadline the service applies; each value carries the
//! article it comes from, or `not stated` when the regulation leaves it open and the value is a chosen default.
//! Versions are bound to jurisdiction nodes and inherited down the tree (resolution lives in the app layer); a
//! preset carries the term of its document ([`term`]).

pub mod presets;
pub mod term;
mod validation;
pub use validation::PolicyViolation;
// Community services (issue 25): high-age allowance.
pub mod high_age;
// Community services (issue 25): party members.
pub mod party;

pub use high_age::{AllowanceBand, HighAgeAllowance, default_high_age_allowance};
// Community services (issue 25): tracked errands.
pub mod errands;
pub use errands::{ErrandDue, Errands, default_errands};
pub use party::{Party, default_party};

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::{ManagementLevel, Money};

/// `source` of a value the regulation leaves open.
pub const NOT_STATED: &str = "not stated";

/// A value with the article it comes from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Sourced<T> {
    /// The value.
    pub value: T,
    /// Where it comes from, e.g. `XM Art. 21(2)`, or `not stated`.
    pub source: String,
}

impl<T> Sourced<T> {
    /// A value stated by an article.
    pub fn stated(value: T, source: &str) -> Self {
        Self { value, source: source.to_owned() }
    }

    /// A default chosen where the regulation is silent.
    pub fn default_value(value: T) -> Self {
        Self { value, source: NOT_STATED.to_owned() }
    }
}

/// A share between 0 and 1 (`"0.5"`).
pub type Ratio = Decimal;

crate::code_enum! {
    /// Why a pension is suspended (CS Art. 32, JN Art. 34).
    SuspensionReason {
        CertificationOverdue = "certification_overdue": "未按时认证",
        MissingUnreported = "missing_unreported": "失踪超过6个月未报告",
        Imprisoned = "imprisoned": "服刑",
        DuplicateReceipt = "duplicate_receipt": "重复领取",
        OtherLegal = "other_legal": "其他依法暂停情形",
        /// A death record from the data platform awaits verification (CS Art. 27, 28).
        SuspectedDeath = "suspected_death": "疑似死亡待核实",
    }
}

crate::code_enum! {
    /// Kinds of condolence visit and payment (XM Art. 14, 21; CS Art. 25(2); JN Art. 31(2)).
    CondolenceKind {
        SpringFestival = "spring_festival": "春节慰问",
        DoubleNinth = "double_ninth": "重阳节慰问",
        OtherFestival = "other_festival": "其他节日慰问",
        Hospital = "hospital": "住院慰问",
        Death = "death": "亡故家属慰问",
        Hardship = "hardship": "困难慰问",
    }
}

crate::code_enum! {
    /// What the service fund may pay for (XM Art. 21(1)-(7); CS Art. 10 para. 2; JN Art. 15).
    FundUse {
        FestivalCondolence = "festival_condolence": "春节、重阳节节日慰问",
        HospitalCondolence = "hospital_condolence": "住院慰问",
        DeathCondolence = "death_condolence": "亡故退休人员家属慰问",
        Activities = "activities": "文体健康活动",
        ExcellentLeaderAward = "excellent_leader_award": "优秀小组长奖励金",
        LeaderTraining = "leader_training": "小组长培训",
        LeaderInsurance = "leader_insurance": "小组长人身意外险",
        Certification = "certification": "养老金领取资格认证",
        VisitsCondolences = "visits_condolences": "走访慰问活动",
        OfficeEquipment = "office_equipment": "办公设备购买",
        InformationSystem = "information_system": "信息系统维护",
        FraudCheck = "fraud_check": "死亡冒领情况核查",
        ServiceBase = "service_base": "服务基地建设",
        PurchasedServices = "purchased_services": "政府购买社会服务",
        StaffTraining = "staff_training": "业务学习培训",
    }
}

crate::code_enum! {
    /// How a fractional count of excellent group leaders is rounded (XM Art. 24: 10% of leaders).
    Rounding {
        Down = "down": "向下取整",
        HalfUp = "half_up": "四舍五入",
        Up = "up": "向上取整",
    }
}

crate::code_enum! {
    /// Whose visits have a regular interval (GUIDE 走访制度; CS Art. 25(1); JN Art. 31(1)).
    VisitGroup {
        NewRetiree = "new_retiree": "新接收退休人员",
        WidowedChildless = "widowed_childless": "鳏寡孤独",
        AdvancedAge = "advanced_age": "高龄",
        SeriouslyIll = "seriously_ill": "重病住院",
        SevereHardship = "severe_hardship": "特困",
        LivingAlone = "living_alone": "独居",
        Disabled = "disabled": "伤残",
        LivingElsewhere = "living_elsewhere": "异地居住",
    }
}

crate::code_enum! {
    /// What a death benefit is computed from.
    BenefitBasis {
        /// A number of months of the retiree's own pension.
        MonthsOfPension = "months_of_pension": "按本人月养老金计发",
        /// A number of months of the provincial average wage.
        MonthsOfAverageWage = "months_of_average_wage": "按全省上年度职工月平均工资计发",
        /// A fixed amount.
        Fixed = "fixed": "定额",
        /// As the provincial rules say; the amount is entered per case.
        PerProvincialRules = "per_provincial_rules": "按省规定执行",
    }
}

/// Eligibility certification (CS Art. 16(2); XM Art. 15).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Certification {
    /// Months between certifications.
    pub period_months: Sourced<u32>,
    /// Days before the due date from which a person counts as "due soon".
    pub due_soon_days: Sourced<u32>,
}

/// Whether resumption after a suspension pays the months missed (补发).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct BackPayRule {
    /// The suspension reason.
    pub reason: SuspensionReason,
    /// Whether the months suspended are paid back.
    pub back_pay: Sourced<bool>,
}

/// How one management level's service fund splits between city and district (CS Art. 10; XM Art. 21).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct FundSplit {
    /// Management level.
    pub management_level: ManagementLevel,
    /// City share, 0-1.
    #[cfg_attr(feature = "openapi", schema(value_type = Sourced<String>))]
    pub city_share: Sourced<Ratio>,
    /// District share, 0-1; city + district = 1.
    #[cfg_attr(feature = "openapi", schema(value_type = Sourced<String>))]
    pub district_share: Sourced<Ratio>,
}

/// The service fund (退休人员社会化管理服务经费).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ServiceFund {
    /// Yuan per retiree per year.
    #[cfg_attr(feature = "openapi", schema(value_type = Sourced<String>))]
    pub per_retiree_per_year: Sourced<Money>,
    /// One split per management level.
    pub splits: Vec<FundSplit>,
    /// What the fund may pay for; an expense of another category is refused. Versions stored before this value
    /// existed read the defaults (every category, not stated).
    #[serde(default = "default_allowed_uses")]
    pub allowed_uses: Vec<Sourced<FundUse>>,
}

/// The allowed uses of versions stored before they existed: every category, not stated.
pub fn default_allowed_uses() -> Vec<Sourced<FundUse>> {
    FundUse::ALL.iter().map(|u| Sourced::default_value(*u)).collect()
}

/// One kind of condolence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Condolence {
    /// Kind.
    pub kind: CondolenceKind,
    /// Yuan per occasion (`"0.00"` when the regulation sets a visit without an amount).
    #[cfg_attr(feature = "openapi", schema(value_type = Sourced<String>))]
    pub amount: Sourced<Money>,
    /// Most occasions per person per year; `null` for no cap.
    pub yearly_cap: Sourced<Option<u32>>,
}

/// Self-management group leaders (XM Art. 12, 23, 24).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct GroupLeaders {
    /// Monthly allowance per leader, yuan.
    #[cfg_attr(feature = "openapi", schema(value_type = Sourced<String>))]
    pub monthly_allowance: Sourced<Money>,
    /// City share of the allowance, 0-1.
    #[cfg_attr(feature = "openapi", schema(value_type = Sourced<String>))]
    pub allowance_city_share: Sourced<Ratio>,
    /// District share of the allowance, 0-1.
    #[cfg_attr(feature = "openapi", schema(value_type = Sourced<String>))]
    pub allowance_district_share: Sourced<Ratio>,
    /// Share of leaders named excellent each year, 0-1.
    #[cfg_attr(feature = "openapi", schema(value_type = Sourced<String>))]
    pub excellent_ratio: Sourced<Ratio>,
    /// How the count of excellent leaders is rounded.
    pub excellent_rounding: Sourced<Rounding>,
    /// Award per excellent leader, yuan.
    #[cfg_attr(feature = "openapi", schema(value_type = Sourced<String>))]
    pub excellent_award: Sourced<Money>,
}

/// A death benefit formula.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct BenefitFormula {
    /// What it is computed from.
    pub basis: BenefitBasis,
    /// Months (for the month-based bases).
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub months: Option<Decimal>,
    /// Amount (for `fixed`).
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub amount: Option<Money>,
}

/// Death, survivors and dependants (CS Art. 16(4), 32; GUIDE 四、五).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Death {
    /// Working days the relatives have to report a death.
    pub report_deadline_working_days: Sourced<u32>,
    /// Months the dependants have to apply for support.
    pub dependant_application_months: Sourced<u32>,
    /// Funeral grant (丧葬补助费).
    pub funeral_grant: Sourced<BenefitFormula>,
    /// Survivor benefit (抚恤费).
    pub survivor_benefit: Sourced<BenefitFormula>,
    /// Days the agency has to recover pension paid after a death before it refers the case to the social
    /// insurance administration (CS Art. 31(1): "限期追回，到期仍未追回的应及时移交"; no text gives the number).
    /// Versions stored before this value existed read the default.
    #[serde(default = "default_recovery_deadline")]
    pub recovery_deadline_days: Sourced<u32>,
}

/// The recovery deadline of versions stored before it existed: 90 days, not stated.
pub fn default_recovery_deadline() -> Sourced<u32> {
    Sourced { value: 90, source: NOT_STATED.to_owned() }
}

/// How often a group is visited.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct VisitInterval {
    /// Group.
    pub group: VisitGroup,
    /// Days between visits (for new retirees: days after arrival).
    pub interval_days: Sourced<u32>,
}

/// Answer deadlines for reception, petitions and letters (GUIDE 接待制度).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Petitions {
    /// Days to answer a general policy or service question.
    pub general_answer_days: Sourced<u32>,
    /// Days to answer what had to be escalated.
    pub escalated_answer_days: Sourced<u32>,
    /// Days to answer a major policy question.
    pub major_policy_answer_days: Sourced<u32>,
    /// Days to answer a letter.
    pub letter_answer_days: Sourced<u32>,
    /// Days to acknowledge a case (take it up and tell the person it is being handled); the GUIDE says "热情接待，
    /// 认真记录" without a number. Versions stored before this value existed read the default.
    #[serde(default = "default_acknowledge_days")]
    pub acknowledge_days: Sourced<u32>,
    /// Days after closing within which the person may have the case reopened (no text gives one). Versions
    /// stored before this value existed read the default.
    #[serde(default = "default_reopen_window_days")]
    pub reopen_window_days: Sourced<u32>,
    /// People from whom a case counts as a collective petition (集体上访), reported upward at once (GUIDE 接待制度).
    /// Versions stored before this value existed read the default.
    #[serde(default = "default_collective_min_people")]
    pub collective_min_people: Sourced<u32>,
    /// Whether each deadline counts calendar days (日) or working days (工作日). Versions stored before this value
    /// existed read the default.
    #[serde(default = "default_petition_counting")]
    pub counting: PetitionCounting,
}

crate::code_enum! {
    /// How a deadline's days are counted (`domain::calendar`: the event's day is not counted).
    DayCount {
        /// Calendar days (日).
        Calendar = "calendar": "自然日",
        /// Working days (工作日) on the working-day calendar.
        Working = "working": "工作日",
    }
}

/// Whether each petition deadline counts calendar or working days.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PetitionCounting {
    /// `general_answer_days`.
    pub general_answer: Sourced<DayCount>,
    /// `escalated_answer_days`.
    pub escalated_answer: Sourced<DayCount>,
    /// `major_policy_answer_days`.
    pub major_policy_answer: Sourced<DayCount>,
    /// `letter_answer_days`.
    pub letter_answer: Sourced<DayCount>,
    /// `acknowledge_days`.
    pub acknowledge: Sourced<DayCount>,
    /// `reopen_window_days`.
    pub reopen_window: Sourced<DayCount>,
}

/// The acknowledgement deadline of versions stored before it existed: 1 working day, not stated.
pub fn default_acknowledge_days() -> Sourced<u32> {
    Sourced::default_value(1)
}

/// The reopen window of versions stored before it existed: 30 days, not stated.
pub fn default_reopen_window_days() -> Sourced<u32> {
    Sourced::default_value(30)
}

/// The collective threshold of versions stored before it existed: 5 people, not stated (the national 信访条例
/// asks collective visitors to send at most five representatives).
pub fn default_collective_min_people() -> Sourced<u32> {
    Sourced::default_value(5)
}

/// The counting of versions stored before it existed: the GUIDE's "日" are calendar days (presets' readings);
/// acknowledgement in working days; every value not stated.
pub fn default_petition_counting() -> PetitionCounting {
    PetitionCounting {
        general_answer: Sourced::default_value(DayCount::Calendar),
        escalated_answer: Sourced::default_value(DayCount::Calendar),
        major_policy_answer: Sourced::default_value(DayCount::Calendar),
        letter_answer: Sourced::default_value(DayCount::Calendar),
        acknowledge: Sourced::default_value(DayCount::Working),
        reopen_window: Sourced::default_value(DayCount::Calendar),
    }
}

/// Staffing and archive storage (JN Art. 11, 12, 20).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Staffing {
    /// Retirees received per full-time community worker.
    pub retirees_per_worker: Sourced<u32>,
    /// Below this many retirees a community may use a part-time worker.
    pub part_time_below: Sourced<u32>,
    /// Extra workers for the district office.
    pub district_office_extra_workers: Sourced<u32>,
    /// Extra workers per street.
    pub street_extra_workers: Sourced<u32>,
    /// Archive volumes per archive keeper.
    pub archive_volumes_per_keeper: Sourced<u32>,
    /// Square metres of archive storage per 10,000 volumes.
    pub archive_m2_per_10000_volumes: Sourced<u32>,
}

/// Elderly care services (养老护理服务; GUIDE 第二部分六). The GUIDE names the grades and the ten steps but gives no
/// number: every value here is local policy, `not stated` unless a local text states it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ElderCare {
    /// Days after its last verification from which an institution's information is stale and on the worklist
    /// (GUIDE 第二部分六 6: information collected by visits, mail, phone and online and kept current).
    pub institution_stale_days: Sourced<u32>,
    /// The top of the evaluation scale (scores 1 to this; GUIDE 第二部分六 4, step 9 评价服务).
    pub evaluation_max_score: Sourced<u32>,
    /// Per item: the grade required and who may bear the cost (step 7 资格审查). An item not listed needs the lowest
    /// grade and is received at the person's own cost only.
    pub items: Vec<CareItemRule>,
}

/// The rule of one care item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CareItemRule {
    /// The item.
    pub item: crate::elder_care::CareItem,
    /// The lowest caregiver grade that may give it.
    pub required_grade: Sourced<crate::elder_care::CaregiverGrade>,
    /// Who may bear its cost.
    pub cost_bearers: Vec<Sourced<crate::elder_care::CostBearer>>,
}

/// The elder-care values of versions stored before the section existed, and of the defaults: information stale
/// after 180 days, scores 1-5, intermediate caregivers for medical assistance and rehabilitation, senior for full
/// care, junior otherwise, every item at the person's own cost; all not stated (GUIDE 第二部分六 gives no number).
pub fn default_elder_care() -> ElderCare {
    use crate::elder_care::{CareItem, CaregiverGrade, CostBearer};
    ElderCare {
        institution_stale_days: Sourced::default_value(180),
        evaluation_max_score: Sourced::default_value(5),
        items: CareItem::ALL
            .iter()
            .map(|item| CareItemRule {
                item: *item,
                required_grade: Sourced::default_value(match item {
                    CareItem::MedicalAssistance | CareItem::Rehabilitation => CaregiverGrade::Intermediate,
                    CareItem::FullCare => CaregiverGrade::Senior,
                    _ => CaregiverGrade::Junior,
                }),
                cost_bearers: vec![Sourced::default_value(CostBearer::SelfPaid)],
            })
            .collect(),
    }
}

/// Every parameter the service applies.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Policy {
    /// Eligibility certification.
    pub certification: Certification,
    /// Back-pay on resumption, per suspension reason.
    pub back_pay: Vec<BackPayRule>,
    /// Months a retiree must be missing (and unreported) before the pension is suspended.
    pub missing_person_months: Sourced<u32>,
    /// Service fund and its split.
    pub service_fund: ServiceFund,
    /// Condolence kinds.
    pub condolences: Vec<Condolence>,
    /// Group leaders.
    pub group_leaders: GroupLeaders,
    /// Death, survivors, dependants.
    pub death: Death,
    /// Visit intervals per group.
    pub visits: Vec<VisitInterval>,
    /// Age from which a retiree counts as advanced age.
    pub advanced_age_years: Sourced<u32>,
    /// Answer deadlines.
    pub petitions: Petitions,
    /// Staffing and archive ratios.
    pub staffing: Staffing,
    /// Personnel archive work (issue 23). Versions stored before this value existed read the defaults.
    #[serde(default = "default_archives")]
    pub archives: Archives,
    /// Elderly care services (GUIDE 第二部分六). Versions stored before this section existed read the defaults.
    #[serde(default = "default_elder_care")]
    pub elder_care: ElderCare,
    /// Monthly reports and special-group ledgers (issue 27). Versions stored before this section existed read the
    /// defaults.
    #[serde(default = "default_reports")]
    pub reports: Reports,
    /// Health records (issue 25; GUIDE 第五部分第四章四). Versions stored before this section existed read the defaults.
    #[serde(default = "default_health")]
    pub health: Health,
    /// High-age allowance (issue 25; JN Art. 7(7)). Versions stored before this section existed read the defaults
    /// (no bands: not set).
    #[serde(default = "default_high_age_allowance")]
    pub high_age_allowance: HighAgeAllowance,
    /// Tracked errands (issue 25; GUIDE 走访制度; JN Art. 7(5), 24). Versions stored before this section existed read
    /// the defaults (card from 70, no due days).
    #[serde(default = "default_errands")]
    pub errands: Errands,
    /// Party members' organisation relations (issue 25; GUIDE 交接制度). Versions stored before this section existed
    /// read the defaults (no days: not set).
    #[serde(default = "default_party")]
    pub party: Party,
}

/// Monthly reports (按月计报; GUIDE 交接制度, 第四章二) and special-group ledgers (GUIDE 第四章五).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Reports {
    /// Lower bounds of the age bands of the roll counts, years, ascending (below the first is a band of its own).
    pub age_bands: Vec<Sourced<u32>>,
    /// Days after which a special-group verification is stale and the person is on the ledger worklist (GUIDE
    /// 第四章五 step 5 "维护"; no text gives a number). Versions stored before this value existed read the default.
    #[serde(default = "default_ledger_verification_days")]
    pub ledger_verification_days: Sourced<u32>,
}

/// The ledger interval of versions stored before it existed: a year, not stated.
pub fn default_ledger_verification_days() -> Sourced<u32> {
    Sourced::default_value(365)
}

/// The report values of versions stored before they existed: bands from 60 in steps of ten years, not stated (no
/// text sets bands; 70 is the GUIDE's advanced age).
pub fn default_reports() -> Reports {
    Reports {
        age_bands: [60, 70, 80, 90].into_iter().map(Sourced::default_value).collect(),
        ledger_verification_days: default_ledger_verification_days(),
    }
}

impl Reports {
    /// The lower bounds, ascending.
    pub fn bands(&self) -> Vec<u32> {
        self.age_bands.iter().map(|b| b.value).collect()
    }
}

/// Health records (健康档案; GUIDE 第五部分第四章四; CS Art. 7(3)6; JN Art. 25). The texts ask for records kept and
/// updated regularly ("进行定期更新") without a number: every value here is local policy, `not stated` unless a
/// local text states it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", schema(as = HealthPolicy))]
pub struct Health {
    /// Days after its last update from which a record is due for the next (GUIDE 四 2(8) 进行定期更新).
    pub update_interval_days: Sourced<u32>,
    /// Age from which a person without a record is on the worklist (the "70+"; GUIDE 走访制度 calls 70 and
    /// above advanced age, no text ties it to health records).
    pub record_age_years: Sourced<u32>,
}

/// The health values of versions stored before the section existed, and of the defaults: a yearly update (365
/// days) and the worklist from 70; both not stated.
pub fn default_health() -> Health {
    Health { update_interval_days: Sourced::default_value(365), record_age_years: Sourced::default_value(70) }
}

/// Personnel archive work (人事档案; JN Art. 7(12), 27): how long a loan runs and how soon a supplementary material is
/// reviewed. No text gives a number; keepers and storage are in [`Staffing`] (JN Art. 12, 20).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Archives {
    /// Days an archive may stay out on loan (JN Art. 7(12) "档案利用").
    pub loan_days: Sourced<u32>,
    /// Days to review a supplementary material (JN Art. 27: "经审核后归档").
    pub supplement_review_days: Sourced<u32>,
}

/// The archive values of versions stored before they existed: a 30-day loan and 15 days to review, not stated.
pub fn default_archives() -> Archives {
    Archives { loan_days: Sourced::default_value(30), supplement_review_days: Sourced::default_value(15) }
}

impl Policy {
    /// The back-pay rule for a suspension reason; a version stored before the reason existed falls back to the
    /// default of [`presets::default_back_pay`].
    pub fn back_pay_for(&self, reason: SuspensionReason) -> bool {
        self.back_pay
            .iter()
            .find(|r| r.reason == reason)
            .map_or_else(|| presets::default_back_pay(reason), |r| r.back_pay.value)
    }

    /// The fund split of a management level.
    pub fn split_for(&self, level: ManagementLevel) -> Option<&FundSplit> {
        self.service_fund.splits.iter().find(|s| s.management_level == level)
    }

    /// Whether the service fund may pay for `category`.
    pub fn allows_use(&self, category: FundUse) -> bool {
        self.service_fund.allowed_uses.iter().any(|u| u.value == category)
    }

    /// The visit interval of a group, if the policy names the group.
    pub fn visit_interval(&self, group: VisitGroup) -> Option<u32> {
        self.visits.iter().find(|v| v.group == group).map(|v| v.interval_days.value)
    }

    /// A condolence kind.
    pub fn condolence(&self, kind: CondolenceKind) -> Option<&Condolence> {
        self.condolences.iter().find(|c| c.kind == kind)
    }
}
