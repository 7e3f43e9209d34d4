//! High-age allowance (高龄补贴; JN Art. 7(7): "协助做好高龄补贴发放"): who is paid how much for which month, and the
//! application's status machine (applied → approved or refused with a reason). The age thresholds and monthly
//! amounts are effective-dated policy values ([`crate::policy::HighAgeAllowance`]); the regulations leave them to
//! local rules, so an unset policy refuses (409 `allowance_policy_unset`) instead of paying nothing.
//!
//! Payment starts with the month in which the person reaches the first band's age (a person reaching it on any
//! day of the month is paid for the whole month) and stops with the death flow's stop month, the month after
//! death (GUIDE 四: "从其死亡次月起停发"): the stop month itself is not paid.

use time::Date;

use crate::RuleViolation;
use crate::pension::{add_months, month_of};
use crate::policy::{AllowanceBand, HighAgeAllowance};
use crate::{Money, age_on, day_turning};

crate::code_enum! {
    /// Where an allowance application stands.
    ApplicationStatus {
        Applied = "applied": "已申请",
        Approved = "approved": "已批准",
        Refused = "refused": "不予批准",
    }
}

crate::code_enum! {
    /// A decision on an application.
    Decision {
        Approve = "approve": "批准",
        Refuse = "refuse": "不予批准",
    }
}

/// Why an allowance step is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AllowanceError {
    /// The policy in force sets no bands (409; JN Art. 7(7) leaves them to local rules).
    PolicyUnset,
    /// The person does not reach the first band's age by the end of the month (422).
    NotEligible {
        /// The first band's age.
        from_age: u32,
    },
    /// The decision does not fit the status (409).
    WrongStatus(ApplicationStatus),
}

impl RuleViolation for AllowanceError {
    fn code(&self) -> &'static str {
        match self {
            Self::PolicyUnset => "allowance_policy_unset",
            Self::NotEligible { .. } => "allowance_not_eligible",
            Self::WrongStatus(_) => "allowance_wrong_status",
        }
    }

    fn message_zh(&self) -> String {
        match self {
            Self::PolicyUnset => "本地尚未规定高龄补贴的年龄段和标准（JN Art. 7(7)），请先在政策参数中设置".into(),
            Self::NotEligible { from_age } => format!("本月底未满{from_age}周岁，不符合高龄补贴条件"),
            Self::WrongStatus(s) => format!("该申请已{}，不能再审批", s.label_zh()),
        }
    }

    fn message_en(&self) -> String {
        match self {
            Self::PolicyUnset => {
                "no local rule sets the high-age allowance's bands (JN Art. 7(7)); set them in the policy first".into()
            }
            Self::NotEligible { from_age } => format!("the person is not {from_age} by the end of this month"),
            Self::WrongStatus(s) => format!("the application is {s} already"),
        }
    }
}

/// The bands of a policy, or [`AllowanceError::PolicyUnset`].
pub fn bands(policy: &HighAgeAllowance) -> Result<&[AllowanceBand], AllowanceError> {
    if policy.is_set() { Ok(&policy.bands.value) } else { Err(AllowanceError::PolicyUnset) }
}

/// The last day of the month starting on `month` (a first of the month).
fn last_day(month: Date) -> Date {
    add_months(month, 1).and_then(|next| next.previous_day()).unwrap_or(month)
}

/// The age that counts for `month`: the age reached by its last day.
pub fn age_in_month(birth: Date, month: Date) -> i32 {
    age_on(birth, last_day(month_of(month)))
}

/// The band of a person of `age`: the highest whose age is reached.
pub fn band_for(bands: &[AllowanceBand], age: i32) -> Option<&AllowanceBand> {
    bands.iter().rev().find(|b| i64::from(b.from_age) <= i64::from(age))
}

/// The first month paid: the month in which the person reaches the first band's age.
pub fn start_month(birth: Date, bands: &[AllowanceBand]) -> Result<Date, AllowanceError> {
    let first = bands.first().ok_or(AllowanceError::PolicyUnset)?;
    Ok(month_of(day_turning(birth, i32::try_from(first.from_age).unwrap_or(i32::MAX))))
}

/// Whether a person born on `birth` may apply in the month of `today`: the first band's age reached by its end.
pub fn check_eligible(birth: Date, bands: &[AllowanceBand], today: Date) -> Result<Date, AllowanceError> {
    let start = start_month(birth, bands)?;
    let from_age = bands.first().map_or(0, |b| b.from_age);
    if start <= month_of(today) { Ok(start) } else { Err(AllowanceError::NotEligible { from_age }) }
}

/// What is paid for `month` to a person born on `birth` whose approved payment starts with `from_month` and whose
/// death flow stops payments from `stop_month`: the age counted and the band's amount, or `None` (before the start,
/// from the stop month on, or below every band).
pub fn payable(
    birth: Date,
    bands: &[AllowanceBand],
    month: Date,
    from_month: Date,
    stop_month: Option<Date>,
) -> Option<(i32, Money)> {
    let month = month_of(month);
    if month < from_month || stop_month.is_some_and(|s| month >= s) {
        return None;
    }
    let age = age_in_month(birth, month);
    band_for(bands, age).map(|b| (age, b.monthly_amount))
}

/// The status after `decision` on an application in `status`: only an application awaiting a decision is decided.
pub fn decide(status: ApplicationStatus, decision: Decision) -> Result<ApplicationStatus, AllowanceError> {
    match (status, decision) {
        (ApplicationStatus::Applied, Decision::Approve) => Ok(ApplicationStatus::Approved),
        (ApplicationStatus::Applied, Decision::Refuse) => Ok(ApplicationStatus::Refused),
        (other, _) => Err(AllowanceError::WrongStatus(other)),
    }
}

#[cfg(test)]
mod tests {
    use time::macros::date;

    use super::*;
    use crate::policy::Sourced;

    fn jn_local() -> HighAgeAllowance {
        // A city's local rule (JN Art. 7(7) leaves the numbers to it): 80-89 100 yuan, 90-99 200, 100+ 500.
        let band = |age, yuan| AllowanceBand { from_age: age, monthly_amount: Money::parse(yuan).unwrap() };
        HighAgeAllowance {
            bands: Sourced::stated(vec![band(80, "100"), band(90, "200"), band(100, "500")], "local rule"),
        }
    }

    #[test]
    fn an_unset_policy_refuses_jn_art_7_7() {
        // JN Art. 7(7): "协助做好高龄补贴发放" — no ages, no amounts: not computed as zero.
        let unset = crate::policy::default_high_age_allowance();
        assert_eq!(bands(&unset), Err(AllowanceError::PolicyUnset));
        assert_eq!(start_month(date!(1940 - 01 - 01), &[]), Err(AllowanceError::PolicyUnset));
    }

    #[test]
    fn paid_from_the_month_the_age_is_reached_jn_art_7_7() {
        // JN Art. 7(7): born 1946-12-20, 80 on 2026-12-20: December 2026 is paid in full, November is not.
        let p = jn_local();
        let b = bands(&p).unwrap();
        let birth = date!(1946 - 12 - 20);
        assert_eq!(start_month(birth, b), Ok(date!(2026 - 12 - 01)));
        assert_eq!(check_eligible(birth, b, date!(2026 - 12 - 01)), Ok(date!(2026 - 12 - 01)));
        assert_eq!(check_eligible(birth, b, date!(2026 - 11 - 30)), Err(AllowanceError::NotEligible { from_age: 80 }));
        let from = date!(2026 - 12 - 01);
        assert_eq!(payable(birth, b, date!(2026 - 11 - 01), from, None), None);
        assert_eq!(payable(birth, b, date!(2026 - 12 - 01), from, None), Some((80, Money::parse("100").unwrap())));
        // The next band from the month of the 90th birthday.
        assert_eq!(payable(birth, b, date!(2036 - 11 - 01), from, None).map(|p| p.0), Some(89));
        assert_eq!(payable(birth, b, date!(2036 - 12 - 01), from, None), Some((90, Money::parse("200").unwrap())));
    }

    #[test]
    fn stops_with_the_death_flows_stop_month_guide_4() {
        // GUIDE 四: payments stop from the month after death; died 2027-03-15: March paid, April not.
        let p = jn_local();
        let b = bands(&p).unwrap();
        let stop = crate::death::stop_month(date!(2027 - 03 - 15));
        let birth = date!(1940 - 05 - 01);
        assert!(payable(birth, b, date!(2027 - 03 - 01), date!(2020 - 05 - 01), Some(stop)).is_some());
        assert_eq!(payable(birth, b, date!(2027 - 04 - 01), date!(2020 - 05 - 01), Some(stop)), None);
    }

    #[test]
    fn leap_day_births_reach_the_age_in_march_of_common_years() {
        // Born 29 Feb 1948: 80 on 1 March 2028? 2028 is a leap year: 29 Feb 2028, so February is paid.
        let p = jn_local();
        assert_eq!(start_month(date!(1948 - 02 - 29), bands(&p).unwrap()), Ok(date!(2028 - 02 - 01)));
        // Born 29 Feb 1944: 2024 is leap too; born 29 Feb 1952 → 2032 leap. A common year: 1947 has no 29 Feb.
        assert_eq!(age_in_month(date!(1948 - 02 - 29), date!(2027 - 02 - 01)), 78);
    }

    #[test]
    fn only_an_application_awaiting_a_decision_is_decided() {
        use ApplicationStatus::*;
        assert_eq!(decide(Applied, Decision::Approve), Ok(Approved));
        assert_eq!(decide(Applied, Decision::Refuse), Ok(Refused));
        assert_eq!(decide(Approved, Decision::Refuse), Err(AllowanceError::WrongStatus(Approved)));
        assert_eq!(decide(Refused, Decision::Approve), Err(AllowanceError::WrongStatus(Refused)));
    }
}
