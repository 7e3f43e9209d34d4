//! Death of a retiree, recovery of pension paid after it, death benefits, and the support of dependants (GUIDE
//! 四、五; CS Art. 16(4), 31, 32; JN Art. 7(4), 23(3)). Plain rules; amounts in fen, months as first days.

use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use time::Date;

use crate::RuleViolation;
use crate::calendar::Calendar;
use crate::pension::{add_months, month_of, months_between};
use crate::policy::{BenefitBasis, BenefitFormula};

crate::code_enum! {
    /// Who reported a death (GUIDE 四: the relatives or guardian report to the community station).
    ReporterKind {
        /// A relative or guardian, with the death certificate.
        Relative = "relative": "亲属或监护人",
        /// The community station.
        Community = "community": "社区",
        /// A death record of the data platform (a suspected death, CS Art. 27).
        Feed = "feed": "信息比对",
    }
}

crate::code_enum! {
    /// Why dependants' support ends (GUIDE 五).
    SupportEndReason {
        /// The dependant died.
        Died = "died": "供养亲属死亡",
        /// The dependant lost eligibility.
        Ineligible = "ineligible": "失去供养条件",
    }
}

/// The last day on which a death on `date_of_death` may be reported in time: `working_days` working days later
/// on the calendar (CS Art. 16(4): "20个工作日内"). `None` only past the calendar's end.
pub fn report_deadline(calendar: &Calendar, date_of_death: Date, working_days: u32) -> Option<Date> {
    calendar.add_working_days(date_of_death, working_days)
}

/// Whether a report on `reported_on` is late against `deadline`.
pub fn is_late(reported_on: Date, deadline: Date) -> bool {
    reported_on > deadline
}

/// The first month for which no pension is due: the month after death (GUIDE 四: "基本养老金从其死亡次月起停发").
pub fn stop_month(date_of_death: Date) -> Date {
    let month = month_of(date_of_death);
    add_months(month, 1).unwrap_or(month)
}

/// Months paid for nothing: from `stop_month` through `paid_through` (the last month paid), both included; 0 when
/// the payments ended before the stop month.
pub fn overpaid_months(stop_month: Date, paid_through: Date) -> u32 {
    if month_of(paid_through) < stop_month { 0 } else { months_between(stop_month, paid_through) + 1 }
}

/// The amount overpaid: months × monthly pension in fen, exact; `None` beyond range.
pub fn overpayment_fen(months: u32, monthly_pension_fen: i64) -> Option<i64> {
    monthly_pension_fen.checked_mul(i64::from(months))
}

/// Why a benefit cannot be computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BenefitError {
    /// The formula leaves the amount to the case (provincial rules, average wage): it must be entered.
    AmountRequired,
    /// The formula is computed from the pension, and no monthly pension is on record.
    PensionUnknown,
    /// The formula gives a fixed amount or the pension basis; an amount entered by hand would contradict it.
    AmountNotAllowed,
    /// Out of range.
    OutOfRange,
}

impl RuleViolation for BenefitError {
    fn code(&self) -> &'static str {
        match self {
            Self::AmountRequired => "benefit_amount_required",
            Self::PensionUnknown => "monthly_pension_unknown",
            Self::AmountNotAllowed => "benefit_amount_by_formula",
            Self::OutOfRange => "amount_out_of_range",
        }
    }

    fn message_zh(&self) -> String {
        match self {
            Self::AmountRequired => "该项待遇按省规定或社平工资计发，须填写核定金额".into(),
            Self::PensionUnknown => "未登记本人月养老金，无法按月数计发".into(),
            Self::AmountNotAllowed => "该项待遇按政策公式计发，不应另填金额".into(),
            Self::OutOfRange => "金额超出范围".into(),
        }
    }

    fn message_en(&self) -> String {
        match self {
            Self::AmountRequired => "the policy leaves this benefit to the case: enter the amount".into(),
            Self::PensionUnknown => "no monthly pension on record to compute this benefit from".into(),
            Self::AmountNotAllowed => "the policy computes this benefit; an entered amount is not accepted".into(),
            Self::OutOfRange => "amount out of range".into(),
        }
    }
}

/// A death benefit under `formula` (funeral grant 丧葬补助费 or survivor benefit 抚恤费): months of the person's own
/// pension (rounded half up to the fen), a fixed amount, or, where the policy leaves it to the provincial rules or
/// the average wage, the amount `entered` for the case.
pub fn benefit_fen(
    formula: &BenefitFormula,
    monthly_pension_fen: Option<i64>,
    entered: Option<i64>,
) -> Result<i64, BenefitError> {
    match formula.basis {
        BenefitBasis::MonthsOfPension => {
            if entered.is_some() {
                return Err(BenefitError::AmountNotAllowed);
            }
            let monthly = monthly_pension_fen.ok_or(BenefitError::PensionUnknown)?;
            let months = formula.months.unwrap_or(Decimal::ZERO);
            let amount = (Decimal::from(monthly) * months)
                .round_dp_with_strategy(0, rust_decimal::RoundingStrategy::MidpointAwayFromZero);
            amount.to_i64().ok_or(BenefitError::OutOfRange)
        }
        BenefitBasis::Fixed => {
            if entered.is_some() {
                return Err(BenefitError::AmountNotAllowed);
            }
            Ok(formula.amount.map_or(0, |m| m.fen()))
        }
        BenefitBasis::MonthsOfAverageWage | BenefitBasis::PerProvincialRules => match entered {
            Some(v) if v >= 0 => Ok(v),
            Some(_) => Err(BenefitError::OutOfRange),
            None => Err(BenefitError::AmountRequired),
        },
    }
}

/// How death benefits settle against an overpayment (GUIDE 四: "按规定从退休人员死亡抚恤待遇中扣除"): the overpayment
/// is deducted first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Settlement {
    /// Deducted from the benefits towards the overpayment.
    pub deducted_fen: i64,
    /// Paid to the family.
    pub net_payable_fen: i64,
    /// Overpayment still owed after the deduction.
    pub outstanding_fen: i64,
}

/// Settles `benefits_fen` against an overpayment balance of `owed_fen`.
pub fn settle(benefits_fen: i64, owed_fen: i64) -> Settlement {
    let owed = owed_fen.max(0);
    let benefits = benefits_fen.max(0);
    let deducted = benefits.min(owed);
    Settlement { deducted_fen: deducted, net_payable_fen: benefits - deducted, outstanding_fen: owed - deducted }
}

crate::code_enum! {
    /// An entry of an overpayment's recovery ledger (CS Art. 31).
    RecoveryKind {
        /// Deducted from the death benefits.
        DeductedFromBenefits = "deducted_from_benefits": "从丧葬抚恤待遇中扣除",
        /// Repaid by the family.
        Repaid = "repaid": "家属退还",
        /// Written off, with approval.
        WrittenOff = "written_off": "经批准核销",
        /// Referred to the social insurance administration after the deadline (CS Art. 31(1)).
        Referred = "referred": "逾期移交行政部门",
    }
}

/// Why a ledger entry is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LedgerError {
    /// More than is owed.
    ExceedsBalance,
    /// A write-off without an approver.
    ApprovalRequired,
    /// Referral before the recovery deadline has passed.
    DeadlineNotPassed,
    /// Nothing is owed any more.
    Settled,
}

impl RuleViolation for LedgerError {
    fn code(&self) -> &'static str {
        match self {
            Self::ExceedsBalance => "amount_exceeds_balance",
            Self::ApprovalRequired => "approval_required",
            Self::DeadlineNotPassed => "recovery_deadline_not_passed",
            Self::Settled => "overpayment_settled",
        }
    }

    fn message_zh(&self) -> String {
        match self {
            Self::ExceedsBalance => "金额超过尚欠余额".into(),
            Self::ApprovalRequired => "核销须写明批准人".into(),
            Self::DeadlineNotPassed => "追回期限未到，不能移交".into(),
            Self::Settled => "多领养老金已结清".into(),
        }
    }

    fn message_en(&self) -> String {
        match self {
            Self::ExceedsBalance => "the amount exceeds the balance owed".into(),
            Self::ApprovalRequired => "a write-off needs the approver".into(),
            Self::DeadlineNotPassed => "the recovery deadline has not passed: no referral yet".into(),
            Self::Settled => "nothing is owed any more".into(),
        }
    }
}

/// Checks an entry of `kind` for `amount_fen` against a balance of `balance_fen` on `on`, with the recovery
/// deadline `due_by` (CS Art. 31(1): "限期追回，到期仍未追回的应及时移交"). A referral moves the whole balance.
pub fn check_entry(
    kind: RecoveryKind,
    amount_fen: i64,
    balance_fen: i64,
    approved_by: Option<&str>,
    on: Date,
    due_by: Date,
) -> Result<(), LedgerError> {
    if balance_fen <= 0 {
        return Err(LedgerError::Settled);
    }
    if amount_fen > balance_fen {
        return Err(LedgerError::ExceedsBalance);
    }
    match kind {
        RecoveryKind::WrittenOff if approved_by.is_none_or(|a| a.trim().is_empty()) => {
            Err(LedgerError::ApprovalRequired)
        }
        RecoveryKind::Referred if on <= due_by => Err(LedgerError::DeadlineNotPassed),
        _ => Ok(()),
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
}

impl RuleViolation for SupportError {
    fn code(&self) -> &'static str {
        match self {
            Self::OutOfOrder => "step_out_of_order",
            Self::Closed => "application_closed",
            Self::NotApproved => "support_not_approved",
            Self::NotUnderReview => "not_under_fraud_review",
        }
    }

    fn message_zh(&self) -> String {
        match self {
            Self::OutOfOrder => "须按社区调查、街道审核、人社批准的顺序办理".into(),
            Self::Closed => "该申请已结束".into(),
            Self::NotApproved => "供养待遇未获批准".into(),
            Self::NotUnderReview => "该供养待遇未处于疑似骗领核查中".into(),
        }
    }

    fn message_en(&self) -> String {
        match self {
            Self::OutOfOrder => "steps go investigation, review, approval, in that order".into(),
            Self::Closed => "the application is closed".into(),
            Self::NotApproved => "the support is not approved".into(),
            Self::NotUnderReview => "the support is not under fraud review".into(),
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

/// Whether support running from `from` (a month) through `until` (a month, if ended) is paid in `month`.
pub fn receives_in(from: Date, until: Option<Date>, month: Date) -> bool {
    let m = month_of(month);
    from <= m && until.is_none_or(|u| m <= u)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Money;
    use time::macros::date;

    fn calendar_2026() -> Calendar {
        // The 2026 Qingming and Labour Day arrangements around April (国办发明电〔2025〕7号 style): 4-6 April off,
        // 1-5 May off, 9 May a make-up working day.
        Calendar::new(
            [
                date!(2026 - 04 - 04),
                date!(2026 - 04 - 05),
                date!(2026 - 04 - 06),
                date!(2026 - 05 - 01),
                date!(2026 - 05 - 04),
                date!(2026 - 05 - 05),
            ],
            [date!(2026 - 05 - 09)],
        )
    }

    #[test]
    fn twenty_working_days_across_a_holiday() {
        // CS Art. 16(4): 20 working days. Death on Wed 1 April 2026; 4-6 April are off, so the 20th working day is
        // 30 April; a report then is in time, one on the next working day (6 May, after the May holiday) is late.
        let cal = calendar_2026();
        let deadline = report_deadline(&cal, date!(2026 - 04 - 01), 20).unwrap();
        assert_eq!(deadline, date!(2026 - 04 - 30));
        assert!(!is_late(date!(2026 - 04 - 30), deadline));
        assert!(is_late(date!(2026 - 05 - 06), deadline));
        assert_eq!(cal.working_days_between(date!(2026 - 04 - 01), date!(2026 - 05 - 06)), 21);
    }

    #[test]
    fn pension_stops_the_month_after_death() {
        // GUIDE 四: "基本养老金从其死亡次月起停发".
        assert_eq!(stop_month(date!(2026 - 03 - 15)), date!(2026 - 04 - 01));
        assert_eq!(stop_month(date!(2026 - 12 - 31)), date!(2027 - 01 - 01));
    }

    #[test]
    fn overpayment_is_exact_months_of_pension() {
        // GUIDE 四: paid for April to June after a death in March: three months.
        let stop = stop_month(date!(2026 - 03 - 15));
        assert_eq!(overpaid_months(stop, date!(2026 - 06 - 01)), 3);
        assert_eq!(overpayment_fen(3, 350_000), Some(1_050_000));
        assert_eq!(overpaid_months(stop, date!(2026 - 03 - 01)), 0);
    }

    #[test]
    fn benefits_follow_the_formula() {
        // JN Art. 23(3): per provincial rules, the amount is entered for the case.
        let provincial = BenefitFormula { basis: BenefitBasis::PerProvincialRules, months: None, amount: None };
        assert_eq!(benefit_fen(&provincial, Some(350_000), None), Err(BenefitError::AmountRequired));
        assert_eq!(benefit_fen(&provincial, None, Some(500_000)), Ok(500_000));
        let pension =
            BenefitFormula { basis: BenefitBasis::MonthsOfPension, months: Some(Decimal::new(25, 1)), amount: None };
        assert_eq!(benefit_fen(&pension, Some(350_001), None), Ok(875_003));
        assert_eq!(benefit_fen(&pension, None, None), Err(BenefitError::PensionUnknown));
        assert_eq!(benefit_fen(&pension, Some(1), Some(2)), Err(BenefitError::AmountNotAllowed));
        let fixed = BenefitFormula { basis: BenefitBasis::Fixed, months: None, amount: Some(Money::from_fen(100_000)) };
        assert_eq!(benefit_fen(&fixed, None, None), Ok(100_000));
    }

    #[test]
    fn overpayment_is_deducted_from_benefits_first() {
        // GUIDE 四: "按规定从退休人员死亡抚恤待遇中扣除".
        assert_eq!(
            settle(500_000, 1_050_000),
            Settlement { deducted_fen: 500_000, net_payable_fen: 0, outstanding_fen: 550_000 }
        );
        assert_eq!(
            settle(2_000_000, 1_050_000),
            Settlement { deducted_fen: 1_050_000, net_payable_fen: 950_000, outstanding_fen: 0 }
        );
    }

    #[test]
    fn ledger_entries() {
        // CS Art. 31(1): recovered by a deadline, else referred; a write-off needs approval.
        let due = date!(2026 - 09 - 30);
        let on = date!(2026 - 09 - 01);
        assert_eq!(check_entry(RecoveryKind::Repaid, 100, 50, None, on, due), Err(LedgerError::ExceedsBalance));
        assert_eq!(
            check_entry(RecoveryKind::WrittenOff, 50, 50, Some(" "), on, due),
            Err(LedgerError::ApprovalRequired)
        );
        assert_eq!(check_entry(RecoveryKind::WrittenOff, 50, 50, Some("张局长"), on, due), Ok(()));
        assert_eq!(check_entry(RecoveryKind::Referred, 50, 50, None, due, due), Err(LedgerError::DeadlineNotPassed));
        assert_eq!(check_entry(RecoveryKind::Referred, 50, 50, None, date!(2026 - 10 - 01), due), Ok(()));
        assert_eq!(check_entry(RecoveryKind::Repaid, 1, 0, None, on, due), Err(LedgerError::Settled));
    }

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
}
