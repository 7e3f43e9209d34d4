//! Tracked errands 代办事项 (issue 25): what a service body does on a retiree's behalf and follows to its end.
//!
//! - The senior preferential card 老年优待证 (GUIDE 走访制度: "对70岁以上的高龄退休人员，社区劳动就业社会保障服务站及时
//!   帮助办理老年人优惠证、卡"): for a person who is, or turns within the month, of the policy's age
//!   ([`crate::policy::Errands::senior_card_age_years`]).
//! - Chronic/special disease and special-drug qualification 门诊慢特病、特药资格认定 (JN Art. 7(5), 24(1):
//!   "慢性病、特殊病、特殊规定药品认定材料申报").
//! - Medical-insurance relation continuation 医保关系接续 (JN Art. 7(5), 24(1): "协助医保部门做好医保关系续接"), opened
//!   when a transfer between districts completes.
//!
//! The status machine: `open → submitted → approved | refused`, `open | submitted → withdrawn`; a refusal names
//! its reason. The due date is the opening day plus the policy's days for the kind, and none when no text gives a
//! number (every preset: "not stated").

use time::Date;

use crate::RuleViolation;
use crate::age_on;
use crate::pension::{add_months, month_of};

crate::code_enum! {
    /// What the errand is.
    ErrandKind {
        SeniorCard = "senior_card": "老年优待证办理",
        ChronicDiseaseQualification = "chronic_disease_qualification": "门诊慢特病资格认定",
        SpecialDrugQualification = "special_drug_qualification": "特药资格认定",
        MedicalInsuranceContinuation = "medical_insurance_continuation": "医保关系接续",
    }
}

crate::code_enum! {
    /// Where an errand stands.
    ErrandStatus {
        Open = "open": "办理中",
        Submitted = "submitted": "已提交",
        Approved = "approved": "已办结（通过）",
        Refused = "refused": "未通过",
        Withdrawn = "withdrawn": "已撤回",
    }
}

crate::code_enum! {
    /// A step on an errand.
    ErrandAction {
        Submit = "submit": "提交材料",
        Approve = "approve": "登记通过",
        Refuse = "refuse": "登记未通过",
        Withdraw = "withdraw": "撤回",
    }
}

impl ErrandStatus {
    /// Whether the errand is still being done (open or submitted): at most one per person and kind.
    pub fn is_pending(self) -> bool {
        matches!(self, Self::Open | Self::Submitted)
    }
}

/// Why an errand step is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrandError {
    /// The step does not fit the status (409 `errand_wrong_status`).
    WrongStatus(ErrandStatus, ErrandAction),
    /// A step dated before the errand was opened (422 `before_opened`).
    BeforeOpened,
    /// The person does not reach the senior card's age by the end of the month (422 `errand_below_age`).
    BelowAge {
        /// The policy's age.
        age: u32,
    },
}

impl RuleViolation for ErrandError {
    fn code(&self) -> &'static str {
        match self {
            Self::WrongStatus(..) => "errand_wrong_status",
            Self::BeforeOpened => "before_opened",
            Self::BelowAge { .. } => "errand_below_age",
        }
    }

    fn message_zh(&self) -> String {
        match self {
            Self::WrongStatus(s, a) => format!("该代办事项当前{}，不能{}", s.label_zh(), a.label_zh()),
            Self::BeforeOpened => "日期不能早于代办事项的受理日期".into(),
            Self::BelowAge { age } => format!("本月底未满{age}周岁，不能代办老年优待证"),
        }
    }

    fn message_en(&self) -> String {
        match self {
            Self::WrongStatus(s, a) => format!("an errand that is {s} cannot take the step {a}"),
            Self::BeforeOpened => "the date is before the errand was opened".into(),
            Self::BelowAge { age } => format!("the person is not {age} by the end of this month"),
        }
    }
}

/// The status after `action` (JN Art. 24(1): materials are submitted for the person, the fund or insurance office
/// answers): an open errand is submitted or withdrawn; a submitted one is approved, refused or withdrawn; an
/// approved, refused or withdrawn errand is closed.
pub fn apply(status: ErrandStatus, action: ErrandAction) -> Result<ErrandStatus, ErrandError> {
    use ErrandAction as A;
    use ErrandStatus as S;
    match (status, action) {
        (S::Open, A::Submit) => Ok(S::Submitted),
        (S::Submitted, A::Approve) => Ok(S::Approved),
        (S::Submitted, A::Refuse) => Ok(S::Refused),
        (S::Open | S::Submitted, A::Withdraw) => Ok(S::Withdrawn),
        (s, a) => Err(ErrandError::WrongStatus(s, a)),
    }
}

/// A step's date against the day the errand was opened (the date not being in the future is checked with the
/// input).
pub fn check_step_date(opened_on: Date, on: Date) -> Result<(), ErrandError> {
    if on < opened_on { Err(ErrandError::BeforeOpened) } else { Ok(()) }
}

/// The due date: the opening day plus the policy's days for the kind; none when the policy gives no number.
pub fn due_on(opened_on: Date, days: Option<u32>) -> Option<Date> {
    days.and_then(|d| opened_on.checked_add(time::Duration::days(i64::from(d))))
}

/// Whether an errand is overdue on `today`: still pending and past its due date (an errand without a due date
/// never is).
pub fn is_overdue(status: ErrandStatus, due: Option<Date>, today: Date) -> bool {
    status.is_pending() && due.is_some_and(|d| d < today)
}

/// The last day of the month of `day`.
pub fn month_end(day: Date) -> Date {
    add_months(month_of(day), 1).and_then(|n| n.previous_day()).unwrap_or(day)
}

/// Whether a person born on `birth` may have the senior card done in the month of `today` (GUIDE 走访制度): the
/// policy's age reached by the month's last day.
pub fn check_senior_card_age(birth: Date, age: u32, today: Date) -> Result<(), ErrandError> {
    if age_on(birth, month_end(today)) >= i32::try_from(age).unwrap_or(i32::MAX) {
        Ok(())
    } else {
        Err(ErrandError::BelowAge { age })
    }
}

/// The latest birth date of the people at the senior card's age by the end of the month of `today`.
pub fn senior_card_born_by(age: u32, today: Date) -> Date {
    crate::born_on_or_before_for_age(month_end(today), i32::try_from(age).unwrap_or(i32::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn errand_status_machine_jn_art_24() {
        // JN Art. 24(1): materials submitted on the person's behalf, the office's answer recorded.
        use ErrandAction as A;
        use ErrandStatus as S;
        assert_eq!(apply(S::Open, A::Submit), Ok(S::Submitted));
        assert_eq!(apply(S::Submitted, A::Approve), Ok(S::Approved));
        assert_eq!(apply(S::Submitted, A::Refuse), Ok(S::Refused));
        assert_eq!(apply(S::Open, A::Withdraw), Ok(S::Withdrawn));
        assert_eq!(apply(S::Submitted, A::Withdraw), Ok(S::Withdrawn));
        assert_eq!(apply(S::Open, A::Approve), Err(ErrandError::WrongStatus(S::Open, A::Approve)));
        assert_eq!(apply(S::Open, A::Refuse), Err(ErrandError::WrongStatus(S::Open, A::Refuse)));
        assert_eq!(apply(S::Submitted, A::Submit), Err(ErrandError::WrongStatus(S::Submitted, A::Submit)));
        for closed in [S::Approved, S::Refused, S::Withdrawn] {
            assert!(!closed.is_pending());
            for a in ErrandAction::ALL {
                assert_eq!(apply(closed, *a), Err(ErrandError::WrongStatus(closed, *a)));
            }
        }
    }

    #[test]
    fn due_date_only_from_a_stated_number_jn_art_7_5() {
        // JN Art. 7(5), 24 give no number of days: no due date rather than a made-up one.
        assert_eq!(due_on(date!(2026 - 12 - 01), None), None);
        assert_eq!(due_on(date!(2026 - 12 - 01), Some(30)), Some(date!(2026 - 12 - 31)));
        assert!(is_overdue(ErrandStatus::Open, Some(date!(2026 - 12 - 05)), date!(2026 - 12 - 06)));
        assert!(is_overdue(ErrandStatus::Submitted, Some(date!(2026 - 12 - 05)), date!(2026 - 12 - 06)));
        assert!(!is_overdue(ErrandStatus::Open, Some(date!(2026 - 12 - 06)), date!(2026 - 12 - 06)));
        assert!(!is_overdue(ErrandStatus::Approved, Some(date!(2026 - 12 - 01)), date!(2026 - 12 - 06)));
        assert!(!is_overdue(ErrandStatus::Open, None, date!(2026 - 12 - 06)));
    }

    #[test]
    fn steps_not_before_opening() {
        assert_eq!(check_step_date(date!(2026 - 12 - 02), date!(2026 - 12 - 01)), Err(ErrandError::BeforeOpened));
        assert_eq!(check_step_date(date!(2026 - 12 - 02), date!(2026 - 12 - 02)), Ok(()));
    }

    #[test]
    fn senior_card_from_the_month_of_the_age_guide_visits() {
        // GUIDE 走访制度: "对70岁以上的高龄退休人员…及时帮助办理老年人优惠证、卡".
        let today = date!(2026 - 12 - 06);
        assert_eq!(check_senior_card_age(date!(1956 - 12 - 31), 70, today), Ok(()));
        assert_eq!(check_senior_card_age(date!(1950 - 01 - 01), 70, today), Ok(()));
        assert_eq!(check_senior_card_age(date!(1957 - 01 - 01), 70, today), Err(ErrandError::BelowAge { age: 70 }));
        assert_eq!(senior_card_born_by(70, today), date!(1956 - 12 - 31));
    }
}
