//! Dependants' support after a retiree's death (供养直系亲属待遇, GUIDE 五): the application window, the three
//! steps (the community investigates, the street reviews, the bureau approves) and who may take each, the end of
//! support, and the stop for suspected fraud. Plain rules; months as first days.

use time::Date;

use crate::pension::{add_months, month_of};
use crate::{Permission, Role, RuleViolation};

crate::code_enum! {
    /// Why dependants' support ends (GUIDE 五).
    SupportEndReason {
        /// The dependant died.
        Died = "died": "供养亲属死亡",
        /// The dependant lost eligibility.
        Ineligible = "ineligible": "失去供养条件",
        /// The retiree's death was reversed: the support has no ground (issue 19.13).
        DeathReversed = "death_reversed": "死亡核实已撤销",
    }
}

/// The last day on which dependants of a person who died on `date_of_death` may apply for support: `months`
/// months later (GUIDE 五, one month).
pub fn application_deadline(date_of_death: Date, months: u32) -> Date {
    add_months(date_of_death, months).unwrap_or(Date::MAX)
}

crate::code_enum! {
    /// Where an application for dependants' support stands (GUIDE 五).
    SupportApplicationStatus {
        /// Applied, awaiting the community's investigation.
        Applied = "applied": "已申请",
        /// The community investigated and confirmed.
        Investigated = "investigated": "社区已调查",
        /// The street reviewed and forwarded.
        Reviewed = "reviewed": "街道已审核",
        /// Approved by the HR and social security bureau: support is paid.
        Approved = "approved": "已批准",
        /// Rejected at a step, with a reason.
        Rejected = "rejected": "未通过",
        /// Payment stopped pending review of suspected fraud (GUIDE 五: "弄虚作假骗领或冒领").
        FraudReview = "fraud_review": "疑似骗领，暂停发放待核查",
        /// Support ended: the dependant died or lost eligibility.
        Terminated = "terminated": "已终止",
    }
}

crate::code_enum! {
    /// A step of the application (GUIDE 五: community investigates, street reviews, bureau approves).
    SupportStep {
        Investigation = "investigation": "社区调查",
        Review = "review": "街道审核",
        Approval = "approval": "人社部门批准",
    }
}

/// Why a step or action is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SupportError {
    /// The step is not the next one.
    OutOfOrder,
    /// The application is closed (rejected or terminated).
    Closed,
    /// Only approved support can be terminated or flagged.
    NotApproved,
    /// Only support under fraud review can be cleared.
    NotUnderReview,
    /// Support cannot end before the month it started.
    EndsBeforeSupport,
}

impl RuleViolation for SupportError {
    fn code(&self) -> &'static str {
        match self {
            Self::OutOfOrder => "step_out_of_order",
            Self::Closed => "application_closed",
            Self::NotApproved => "support_not_approved",
            Self::NotUnderReview => "not_under_fraud_review",
            Self::EndsBeforeSupport => "before_support",
        }
    }

    fn message_zh(&self) -> String {
        match self {
            Self::OutOfOrder => "须按社区调查、街道审核、人社批准的顺序办理".into(),
            Self::Closed => "该申请已结束".into(),
            Self::NotApproved => "供养待遇未获批准".into(),
            Self::NotUnderReview => "该供养待遇未处于疑似骗领核查中".into(),
            Self::EndsBeforeSupport => "终止日期不能早于供养开始月份".into(),
        }
    }

    fn message_en(&self) -> String {
        match self {
            Self::OutOfOrder => "steps go investigation, review, approval, in that order".into(),
            Self::Closed => "the application is closed".into(),
            Self::NotApproved => "the support is not approved".into(),
            Self::NotUnderReview => "the support is not under fraud review".into(),
            Self::EndsBeforeSupport => "support cannot end before it started".into(),
        }
    }
}

/// The status after `step` with outcome `passed` from `from` (GUIDE 五).
pub fn after_step(
    from: SupportApplicationStatus,
    step: SupportStep,
    passed: bool,
) -> Result<SupportApplicationStatus, SupportError> {
    use SupportApplicationStatus as S;
    let expected = match step {
        SupportStep::Investigation => S::Applied,
        SupportStep::Review => S::Investigated,
        SupportStep::Approval => S::Reviewed,
    };
    if matches!(from, S::Rejected | S::Terminated) {
        return Err(SupportError::Closed);
    }
    if from != expected {
        return Err(SupportError::OutOfOrder);
    }
    Ok(match (step, passed) {
        (_, false) => S::Rejected,
        (SupportStep::Investigation, true) => S::Investigated,
        (SupportStep::Review, true) => S::Reviewed,
        (SupportStep::Approval, true) => S::Approved,
    })
}

/// The last month of support ended on `ended_on` (the dependant died or lost eligibility): that month; from the
/// next month the dependant is no longer listed as receiving support.
pub fn last_support_month(ended_on: Date) -> Date {
    month_of(ended_on)
}

/// Whether a dependant's support has started on `on` (GUIDE 五: "退休人员辞世后…享受供养待遇"): an application
/// approved (or approved and under fraud review) whose support runs from a month on or before `on`, the month
/// after the retiree's death. Before that a supported dependant is registered, not paid: there is no support for
/// a certification run to suspend (issue 19.10). Restated in SQL by `persistence::rules::support_started_sql`.
pub fn support_started(status: SupportApplicationStatus, support_from: Option<Date>, on: Date) -> bool {
    matches!(status, SupportApplicationStatus::Approved | SupportApplicationStatus::FraudReview)
        && support_from.is_some_and(|f| f <= on)
}

/// The month before `month`'s month (a first day).
fn month_before(month: Date) -> Date {
    month_of(month).previous_day().map_or(month_of(month), month_of)
}

/// Whether support running from `from` (a month) through `until` (a month, if ended) is paid in `month`.
pub fn receives_in(from: Date, until: Option<Date>, month: Date) -> bool {
    let m = month_of(month);
    from <= m && until.is_none_or(|u| m <= u)
}
/// Whether `role` may take `step` (GUIDE 五: the community station investigates, the street centre reviews, the
/// HR and social security bureau approves; the levels above may act for the level below; the approval is for the
/// centres that may stop and start a pension).
pub fn may_take(role: Role, step: SupportStep) -> bool {
    match step {
        SupportStep::Investigation => {
            matches!(role, Role::Community | Role::Street | Role::DistrictCentre | Role::CityCentre)
        }
        SupportStep::Review => matches!(role, Role::Street | Role::DistrictCentre | Role::CityCentre),
        SupportStep::Approval => role.allows(Permission::PensionManage),
    }
}

/// An action on an application for support.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SupportAction {
    /// The next step, passed or not.
    Step {
        /// Which step.
        step: SupportStep,
        /// Its outcome.
        passed: bool,
    },
    /// The dependant died or lost eligibility on `ended_on`; support was paid from `support_from` (a month).
    Terminate {
        /// Day of the death or of the loss of eligibility.
        ended_on: Date,
        /// First month of support, when approved.
        support_from: Option<Date>,
    },
    /// Payment stops pending review of a suspected fraud.
    FlagFraud,
    /// The review cleared the suspicion: payment resumes.
    ClearFraud,
    /// A death record of the dependant from the data platform (issue 19.13): an open application closes;
    /// support that was approved is paid through the month of the death, never before it started.
    DependantDied {
        /// Day of the death.
        died_on: Date,
        /// First month of support, when approved.
        support_from: Option<Date>,
    },
    /// The retiree's verified death was reversed on `on` (issue 19.13): the application closes, approved support
    /// is paid no more from the month of the reversal (the months already paid stay as history).
    DeathReversed {
        /// Day of the reversal.
        on: Date,
        /// First month of support, when approved.
        support_from: Option<Date>,
    },
}

/// What an action leads to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SupportOutcome {
    /// The new status.
    pub status: SupportApplicationStatus,
    /// Support starts (from the month after the death): the application was just approved.
    pub starts: bool,
    /// The last month of support, when it ends.
    pub until: Option<Date>,
    /// Whether the dependant is now `supported` (`None`: unchanged).
    pub supported: Option<bool>,
}

/// The outcome of `action` on an application standing at `from` (GUIDE 五): the steps in order, a rejection
/// closing the application; approval starts support; approved support (also under fraud review) ends by
/// termination, paid through the month of the end, never before it started; a fraud flag stops approved support
/// and its clearance resumes it.
pub fn apply(from: SupportApplicationStatus, action: SupportAction) -> Result<SupportOutcome, SupportError> {
    use SupportApplicationStatus as S;
    let plain = |status| SupportOutcome { status, starts: false, until: None, supported: None };
    match action {
        SupportAction::Step { step, passed } => {
            let status = after_step(from, step, passed)?;
            let starts = status == S::Approved;
            Ok(SupportOutcome { status, starts, until: None, supported: starts.then_some(true) })
        }
        SupportAction::Terminate { ended_on, support_from } => {
            if !matches!(from, S::Approved | S::FraudReview) {
                return Err(SupportError::NotApproved);
            }
            let until = last_support_month(ended_on);
            if support_from.is_some_and(|f| until < f) {
                return Err(SupportError::EndsBeforeSupport);
            }
            Ok(SupportOutcome { status: S::Terminated, starts: false, until: Some(until), supported: Some(false) })
        }
        SupportAction::FlagFraud if from == S::Approved => Ok(plain(S::FraudReview)),
        SupportAction::FlagFraud => Err(SupportError::NotApproved),
        SupportAction::ClearFraud if from == S::FraudReview => Ok(plain(S::Approved)),
        SupportAction::ClearFraud => Err(SupportError::NotUnderReview),
        SupportAction::DependantDied { died_on, support_from } => {
            if matches!(from, S::Rejected | S::Terminated) {
                return Err(SupportError::Closed);
            }
            // Paid through the month of the death; a death before the first month leaves no month paid.
            let until = support_from.map(|f| last_support_month(died_on).max(month_before(f)));
            Ok(SupportOutcome { status: S::Terminated, starts: false, until, supported: Some(false) })
        }
        SupportAction::DeathReversed { on, support_from } => {
            if matches!(from, S::Rejected | S::Terminated) {
                return Err(SupportError::Closed);
            }
            // Nothing from the month of the reversal on; the dependant stays registered (the retiree lives).
            let until = support_from.map(|f| month_before(month_of(on).max(f)));
            Ok(SupportOutcome { status: S::Terminated, starts: false, until, supported: None })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn dependants_apply_within_a_month_and_pass_three_steps() {
        // GUIDE 五: apply within one month; community investigates, street reviews, bureau approves.
        assert_eq!(application_deadline(date!(2026 - 03 - 15), 1), date!(2026 - 04 - 15));
        assert_eq!(application_deadline(date!(2026 - 01 - 31), 1), date!(2026 - 02 - 28));
        use SupportApplicationStatus as S;
        assert_eq!(after_step(S::Applied, SupportStep::Investigation, true), Ok(S::Investigated));
        assert_eq!(after_step(S::Investigated, SupportStep::Review, true), Ok(S::Reviewed));
        assert_eq!(after_step(S::Reviewed, SupportStep::Approval, true), Ok(S::Approved));
        assert_eq!(after_step(S::Investigated, SupportStep::Review, false), Ok(S::Rejected));
        assert_eq!(after_step(S::Applied, SupportStep::Approval, true), Err(SupportError::OutOfOrder));
        assert_eq!(after_step(S::Rejected, SupportStep::Investigation, true), Err(SupportError::Closed));
    }

    #[test]
    fn terminated_support_stops_from_the_next_month() {
        // GUIDE 五: support ends when the dependant dies or loses eligibility.
        let until = last_support_month(date!(2026 - 06 - 20));
        assert!(receives_in(date!(2026 - 05 - 01), Some(until), date!(2026 - 06 - 01)));
        assert!(!receives_in(date!(2026 - 05 - 01), Some(until), date!(2026 - 07 - 01)));
        assert!(!receives_in(date!(2026 - 05 - 01), None, date!(2026 - 04 - 01)));
    }
    #[test]
    fn each_level_takes_its_own_step() {
        // GUIDE 五: "社区…进行调查并确认…街道…进行调查和认定…到人力资源和社会保障行政部门办理批准手续".
        assert!(may_take(Role::Community, SupportStep::Investigation));
        assert!(!may_take(Role::Community, SupportStep::Review));
        assert!(may_take(Role::Street, SupportStep::Review));
        assert!(!may_take(Role::Street, SupportStep::Approval));
        assert!(may_take(Role::DistrictCentre, SupportStep::Approval));
        assert!(may_take(Role::CityCentre, SupportStep::Investigation));
        assert!(!may_take(Role::GroupLeader, SupportStep::Investigation));
        assert!(!may_take(Role::Admin, SupportStep::Approval));
    }

    #[test]
    fn approval_starts_support_and_a_rejection_closes_the_application() {
        // GUIDE 五: approved dependants "享受供养直系亲属待遇".
        use SupportApplicationStatus as S;
        let approve = SupportAction::Step { step: SupportStep::Approval, passed: true };
        assert_eq!(
            apply(S::Reviewed, approve),
            Ok(SupportOutcome { status: S::Approved, starts: true, until: None, supported: Some(true) })
        );
        let reject = SupportAction::Step { step: SupportStep::Review, passed: false };
        assert_eq!(
            apply(S::Investigated, reject),
            Ok(SupportOutcome { status: S::Rejected, starts: false, until: None, supported: None })
        );
        assert_eq!(apply(S::Rejected, approve), Err(SupportError::Closed));
        assert_eq!(apply(S::Applied, approve), Err(SupportError::OutOfOrder));
    }

    #[test]
    fn support_ends_in_the_month_of_death_or_lost_eligibility() {
        // GUIDE 五: "供养直系亲属辞世或失去供养条件后…办理终止领取待遇的手续".
        use SupportApplicationStatus as S;
        let end = |ended_on| SupportAction::Terminate { ended_on, support_from: Some(date!(2026 - 04 - 01)) };
        let ended = SupportOutcome {
            status: S::Terminated,
            starts: false,
            until: Some(date!(2026 - 06 - 01)),
            supported: Some(false),
        };
        assert_eq!(apply(S::Approved, end(date!(2026 - 06 - 20))), Ok(ended));
        assert_eq!(apply(S::FraudReview, end(date!(2026 - 06 - 20))), Ok(ended));
        assert_eq!(apply(S::Reviewed, end(date!(2026 - 06 - 20))), Err(SupportError::NotApproved));
        assert_eq!(apply(S::Terminated, end(date!(2026 - 06 - 20))), Err(SupportError::NotApproved));
        // In the month support started it is paid that month; before it, the end is impossible.
        assert_eq!(apply(S::Approved, end(date!(2026 - 04 - 30))).map(|o| o.until), Ok(Some(date!(2026 - 04 - 01))));
        assert_eq!(apply(S::Approved, end(date!(2026 - 03 - 31))), Err(SupportError::EndsBeforeSupport));
        assert_eq!(SupportError::EndsBeforeSupport.code(), "before_support");
    }

    #[test]
    fn support_starts_only_after_the_retirees_death_and_its_approval() {
        // GUIDE 五: "退休人员辞世后…享受供养待遇"; issue 19.10: before that the dependant is registered, not paid.
        use SupportApplicationStatus as S;
        let from = Some(date!(2026 - 04 - 01));
        assert!(!support_started(S::Approved, from, date!(2026 - 03 - 31)));
        assert!(support_started(S::Approved, from, date!(2026 - 04 - 01)));
        assert!(support_started(S::FraudReview, from, date!(2026 - 05 - 10)));
        assert!(!support_started(S::Approved, None, date!(2026 - 05 - 10)));
        for s in [S::Applied, S::Investigated, S::Reviewed, S::Rejected, S::Terminated] {
            assert!(!support_started(s, from, date!(2026 - 05 - 10)), "{s:?}");
        }
    }

    #[test]
    fn a_dependants_death_record_ends_support_and_a_reversal_stops_it() {
        // Issue 19.13; GUIDE 五: support ends when the dependant dies, paid through the month of the death.
        use SupportApplicationStatus as S;
        let from = Some(date!(2026 - 04 - 01));
        let died = |died_on| SupportAction::DependantDied { died_on, support_from: from };
        let o = apply(S::Approved, died(date!(2026 - 06 - 20))).map(|o| (o.status, o.until, o.supported));
        assert_eq!(o, Ok((S::Terminated, Some(date!(2026 - 06 - 01)), Some(false))));
        // Died before the first month: no month paid.
        let o = apply(S::Approved, died(date!(2026 - 03 - 20))).map(|o| o.until);
        assert_eq!(o, Ok(Some(date!(2026 - 03 - 01))));
        let pending = SupportAction::DependantDied { died_on: date!(2026 - 03 - 20), support_from: None };
        assert_eq!(apply(S::Reviewed, pending).map(|o| (o.status, o.until)), Ok((S::Terminated, None)));
        assert_eq!(apply(S::Rejected, pending), Err(SupportError::Closed));
        // A reversal in August: paid April to July, nothing from August; the dependant stays supported.
        let reversed = |on| SupportAction::DeathReversed { on, support_from: from };
        let o = apply(S::FraudReview, reversed(date!(2026 - 08 - 05))).map(|o| (o.status, o.until, o.supported));
        assert_eq!(o, Ok((S::Terminated, Some(date!(2026 - 07 - 01)), None)));
        // Reversed before support started: no month paid.
        let o = apply(S::Approved, reversed(date!(2026 - 03 - 25))).map(|o| o.until);
        assert_eq!(o, Ok(Some(date!(2026 - 03 - 01))));
        assert!(!receives_in(date!(2026 - 04 - 01), Some(date!(2026 - 03 - 01)), date!(2026 - 04 - 01)));
        assert_eq!(apply(S::Terminated, reversed(date!(2026 - 08 - 05))), Err(SupportError::Closed));
    }

    #[test]
    fn a_suspected_fraud_stops_payment_pending_review() {
        // GUIDE 五: "对弄虚作假骗领或冒领供养待遇的将依据有关规定给予处理".
        use SupportApplicationStatus as S;
        let plain = |status| Ok(SupportOutcome { status, starts: false, until: None, supported: None });
        assert_eq!(apply(S::Approved, SupportAction::FlagFraud), plain(S::FraudReview));
        assert_eq!(apply(S::FraudReview, SupportAction::ClearFraud), plain(S::Approved));
        assert_eq!(apply(S::FraudReview, SupportAction::FlagFraud), Err(SupportError::NotApproved));
        assert_eq!(apply(S::Approved, SupportAction::ClearFraud), Err(SupportError::NotUnderReview));
        assert_eq!(apply(S::Terminated, SupportAction::ClearFraud), Err(SupportError::NotUnderReview));
    }
}
