//! Presets: every value each regulation states, with its article; values a regulation leaves open are the
//! defaults of [`defaults`] and say `not stated`.

use rust_decimal::Decimal;

use super::*;

/// Names of the presets, as `POST /jurisdictions/{code}/policies` takes them.
pub const NAMES: [&str; 3] = ["xiamen-2025", "changsha-2020", "jinning-2020"];

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

/// Defaults where a regulation is silent. Each says `not stated`; the comments give the reasoning.
pub fn defaults() -> Policy {
    Policy {
        certification: Certification {
            // At least once a year (CS Art. 16(2) states it; other texts are silent).
            period_months: d(12),
            due_soon_days: d(30),
        },
        // National practice: back-pay on resumption except for imprisonment.
        back_pay: SuspensionReason::ALL
            .iter()
            .map(|r| BackPayRule { reason: *r, back_pay: d(*r != SuspensionReason::Imprisoned) })
            .collect(),
        service_fund: ServiceFund {
            per_retiree_per_year: d(money("0")),
            splits: ManagementLevel::ALL
                .iter()
                .map(|l| FundSplit {
                    management_level: *l,
                    city_share: d(ratio("0.5")),
                    district_share: d(ratio("0.5")),
                })
                .collect(),
        },
        condolences: vec![],
        group_leaders: GroupLeaders {
            monthly_allowance: d(money("0")),
            allowance_city_share: d(ratio("0.5")),
            allowance_district_share: d(ratio("0.5")),
            excellent_ratio: d(ratio("0")),
            excellent_rounding: d(Rounding::Down),
            excellent_award: d(money("0")),
        },
        death: Death {
            report_deadline_working_days: d(20),
            dependant_application_months: d(1),
            funeral_grant: d(BenefitFormula { basis: BenefitBasis::PerProvincialRules, months: None, amount: None }),
            survivor_benefit: d(BenefitFormula { basis: BenefitBasis::PerProvincialRules, months: None, amount: None }),
        },
        visits: vec![],
        advanced_age_years: d(70),
        petitions: Petitions {
            general_answer_days: d(3),
            escalated_answer_days: d(10),
            major_policy_answer_days: d(7),
            letter_answer_days: d(15),
        },
        staffing: Staffing {
            retirees_per_worker: d(1500),
            part_time_below: d(500),
            district_office_extra_workers: d(2),
            street_extra_workers: d(2),
            archive_volumes_per_keeper: d(10_000),
            archive_m2_per_10000_volumes: d(60),
        },
    }
}

/// 厦门市退休人员社会化管理服务办法 (厦府规〔2025〕2号).
pub fn xiamen_2025() -> Policy {
    let mut p = defaults();
    p.service_fund.per_retiree_per_year = s(money("400"), "XM Art. 21");
    for split in &mut p.service_fund.splits {
        split.city_share = s(ratio("0.5"), "XM Art. 21");
        split.district_share = s(ratio("0.5"), "XM Art. 21");
    }
    p.condolences = vec![
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
        Condolence {
            kind: CondolenceKind::Hospital,
            amount: s(money("200"), "XM Art. 21(2)"),
            yearly_cap: s(Some(2), "XM Art. 21(2)"),
        },
        Condolence {
            kind: CondolenceKind::Death,
            amount: s(money("500"), "XM Art. 21(3)"),
            yearly_cap: s(Some(1), "XM Art. 21(3)"),
        },
    ];
    p.group_leaders = GroupLeaders {
        monthly_allowance: s(money("150"), "XM Art. 23"),
        allowance_city_share: s(ratio("0.4"), "XM Art. 23"),
        allowance_district_share: s(ratio("0.6"), "XM Art. 23"),
        excellent_ratio: s(ratio("0.1"), "XM Art. 24"),
        excellent_rounding: d(Rounding::Down),
        excellent_award: s(money("400"), "XM Art. 24"),
    };
    p
}

/// 长沙市退休人员社会化管理服务办法 (长政办发〔2020〕10号).
pub fn changsha_2020() -> Policy {
    let mut p = defaults();
    p.certification.period_months = s(12, "CS Art. 16(2)");
    p.death.report_deadline_working_days = s(20, "CS Art. 16(4)");
    p.service_fund.per_retiree_per_year = s(money("100"), "CS Art. 10");
    p
}

/// 晋宁区国有企业退休人员社会化管理服务实施办法 (晋政办通〔2020〕18号).
pub fn jinning_2020() -> Policy {
    defaults()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_are_valid() {
        for name in NAMES {
            let p = by_name(name).unwrap();
            assert_eq!(p.violations(), vec![], "{name}");
        }
    }
}
