//! Health records of retirees (健康档案; GUIDE 第五部分第四章四「建立健康档案」; CS Art. 7(3)6; JN Art. 7(11), 25).
//! The GUIDE's flow: register the community health service institution, agree the cooperation (an agreement with
//! dates), collect health information, create the record, update it regularly, adjust it. A record may be created
//! or updated with an institution only while its agreement is in force; it is due for an update one policy interval
//! after its last update; people from the policy's age on without a record are a worklist. Health data is sensitive
//! personal information (PIPL Art. 28): who reads it is decided by the permission `health.read`, not here.
//! Every number comes from the effective-dated policy ([`crate::policy::Health`]).

use time::Date;

use crate::RuleViolation;
use crate::policy::Health;

crate::code_enum! {
    /// The disability level recorded at an examination (残疾等级, the four grades of GB/T 26341, grade 1 the most
    /// severe), or none.
    DisabilityLevel {
        /// No disability.
        Absent = "none": "无",
        /// 一级 (most severe).
        Grade1 = "grade_1": "一级",
        /// 二级.
        Grade2 = "grade_2": "二级",
        /// 三级.
        Grade3 = "grade_3": "三级",
        /// 四级.
        Grade4 = "grade_4": "四级",
    }
}

/// Why a health-record step is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HealthError {
    /// The agreement ends before it starts (422).
    AgreementOrder,
    /// The institution has no cooperation agreement in force on the day (422; GUIDE 四 2(5) before (7)).
    AgreementInactive(Date),
}

impl RuleViolation for HealthError {
    fn code(&self) -> &'static str {
        match self {
            Self::AgreementOrder => "agreement_order",
            Self::AgreementInactive(_) => "health_agreement_inactive",
        }
    }

    fn message_zh(&self) -> String {
        match self {
            Self::AgreementOrder => "协议终止日期不能早于生效日期".into(),
            Self::AgreementInactive(d) => format!("该卫生服务机构在{d}没有有效的合作协议"),
        }
    }

    fn message_en(&self) -> String {
        match self {
            Self::AgreementOrder => "the agreement must end on or after the day it starts".into(),
            Self::AgreementInactive(d) => format!("the institution has no cooperation agreement in force on {d}"),
        }
    }
}

/// The checks of an agreement running from `from` to `until` (open-ended when `None`).
pub fn check_agreement(from: Date, until: Option<Date>) -> Result<(), HealthError> {
    match until {
        Some(u) if u < from => Err(HealthError::AgreementOrder),
        _ => Ok(()),
    }
}

/// Whether an agreement from `from` to `until` (both days included) is in force on `on`.
pub fn agreement_active(from: Option<Date>, until: Option<Date>, on: Date) -> bool {
    from.is_some_and(|f| f <= on) && until.is_none_or(|u| on <= u)
}

/// The check that an institution with the agreement `from`-`until` may create or update a record on `on`
/// (GUIDE 第五部分第四章四 2: 签订协议 comes before 建立健康档案).
pub fn require_agreement(from: Option<Date>, until: Option<Date>, on: Date) -> Result<(), HealthError> {
    if agreement_active(from, until, on) { Ok(()) } else { Err(HealthError::AgreementInactive(on)) }
}

/// The day a record last updated on `last_updated` is next due (GUIDE 四 2(8) 进行定期更新; the policy's
/// `update_interval_days`).
pub fn next_due(p: &Health, last_updated: Date) -> Option<Date> {
    last_updated.checked_add(time::Duration::days(i64::from(p.update_interval_days.value)))
}

/// Whether a record last updated on `last_updated` is due for an update on `today` (the due day included).
pub fn is_due(p: &Health, last_updated: Date, today: Date) -> bool {
    next_due(p, last_updated).is_none_or(|d| d <= today)
}

/// Whether a person born on `birth` is of the age from which a missing record is on the worklist on `today`.
pub fn should_have_record(p: &Health, birth: Date, today: Date) -> bool {
    i64::from(crate::age_on(birth, today)) >= i64::from(p.record_age_years.value)
}

/// The last birth date of a person who is of the worklist age on `today` (for a query on birth dates).
pub fn born_on_or_before(p: &Health, today: Date) -> Option<Date> {
    let years = i32::try_from(p.record_age_years.value).ok()?;
    let year = today.year().checked_sub(years)?;
    // 29 February of a leap year has no twin in a common year: the person born on it is of age on 1 March.
    Date::from_calendar_date(year, today.month(), today.day())
        .or_else(|_| Date::from_calendar_date(year, today.month(), 28))
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::default_health;
    use time::macros::date;

    #[test]
    fn agreement_must_be_in_force_guide_part5_ch4_4_2() {
        // GUIDE 第五部分第四章四 2(5): the agreement is signed before the records are built (7).
        let from = Some(date!(2026 - 01 - 01));
        let until = Some(date!(2026 - 12 - 31));
        assert!(agreement_active(from, until, date!(2026 - 12 - 31)));
        assert!(!agreement_active(from, until, date!(2027 - 01 - 01)));
        assert!(!agreement_active(from, until, date!(2025 - 12 - 31)));
        assert!(agreement_active(from, None, date!(2030 - 01 - 01)));
        assert!(!agreement_active(None, None, date!(2026 - 01 - 01)));
        assert_eq!(
            require_agreement(from, until, date!(2027 - 01 - 01)),
            Err(HealthError::AgreementInactive(date!(2027 - 01 - 01)))
        );
        assert_eq!(
            check_agreement(date!(2026 - 02 - 01), Some(date!(2026 - 01 - 31))),
            Err(HealthError::AgreementOrder)
        );
        assert_eq!(check_agreement(date!(2026 - 02 - 01), Some(date!(2026 - 02 - 01))), Ok(()));
    }

    #[test]
    fn due_one_interval_after_the_last_update_guide_part5_ch4_4_2_8() {
        // GUIDE 第五部分第四章四 2(8) 进行定期更新: the interval is not stated; the default is 365 days.
        let p = default_health();
        assert_eq!(p.update_interval_days.value, 365);
        assert_eq!(next_due(&p, date!(2025 - 12 - 06)), Some(date!(2026 - 12 - 06)));
        assert!(is_due(&p, date!(2025 - 12 - 06), date!(2026 - 12 - 06)));
        assert!(!is_due(&p, date!(2025 - 12 - 07), date!(2026 - 12 - 06)));
    }

    #[test]
    fn people_of_the_policy_age_need_a_record_jn_art_25() {
        // JN Art. 25 and CS Art. 7(3)6 name no age; the default worklist age is 70 (not stated).
        let p = default_health();
        assert!(should_have_record(&p, date!(1956 - 12 - 06), date!(2026 - 12 - 06)));
        assert!(!should_have_record(&p, date!(1956 - 12 - 07), date!(2026 - 12 - 06)));
        assert_eq!(born_on_or_before(&p, date!(2026 - 12 - 06)), Some(date!(1956 - 12 - 06)));
        assert_eq!(born_on_or_before(&p, date!(2028 - 02 - 29)), Some(date!(1958 - 02 - 28)));
    }

    #[test]
    fn disability_levels_have_codes() {
        assert_eq!(DisabilityLevel::parse("grade_2"), Some(DisabilityLevel::Grade2));
        assert_eq!(DisabilityLevel::Grade1.label_zh(), "一级");
    }
}
