//! Death of a retiree (GUIDE 四; CS Art. 16(4), 31, 32; JN Art. 7(4), 23(3)): the report and its deadline, where a
//! report stands (reported, verified, withdrawn, reversed) and what verifying or reversing it does to the pension,
//! the months paid after it, and the death benefits. The recovery ledger lives in [`crate::overpayment`], the
//! support of dependants in [`crate::support`] (re-exported here). Plain rules; amounts in fen, months as first
//! days.

use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use time::Date;

use crate::RuleViolation;
use crate::calendar::Calendar;
use crate::pension::{self, PensionState, Transition, TransitionError, add_months, month_of, months_between};
use crate::policy::{BenefitBasis, BenefitFormula};

pub use crate::overpayment::{LedgerError, RecoveryKind, check_entry};
pub use crate::support::{
    SupportApplicationStatus, SupportEndReason, SupportError, SupportStep, after_step, application_deadline,
    last_support_month, receives_in,
};

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

/// The last day on which a death on `date_of_death` may be reported in time: `working_days` working days later
/// on the calendar (CS Art. 16(4): "20个工作日内"). `None` only past the calendar's end.
pub fn report_deadline(calendar: &Calendar, date_of_death: Date, working_days: u32) -> Option<Date> {
    calendar.add_working_days(date_of_death, working_days)
}

/// Whether a report on `reported_on` is late against `deadline`.
pub fn is_late(reported_on: Date, deadline: Date) -> bool {
    reported_on > deadline
}

/// Whether a report by `reporter` on `reported_on` is flagged late against `deadline`. The 20-working-day duty is
/// the relatives' (CS Art. 16(4): "其亲属应在退休人员死亡之日起20个工作日内…报告"): a report opened from a death
/// record of the data platform is never late, whenever the record arrives.
pub fn report_is_late(reporter: ReporterKind, reported_on: Date, deadline: Date) -> bool {
    reporter != ReporterKind::Feed && is_late(reported_on, deadline)
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
    /// Where a death report stands.
    DeathReportStatus {
        /// Reported, awaiting verification; nothing changes for the pension yet.
        Reported = "reported": "待核实",
        /// Verified: the pension is stopped from the month after death (GUIDE 四; CS Art. 32).
        Verified = "verified": "已核实",
        /// Withdrawn before verification (the wrong person was reported).
        Withdrawn = "withdrawn": "已撤回",
        /// Verification reversed (the death was wrongly recorded).
        Reversed = "reversed": "已撤销核实",
    }
}

/// An action on a death report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeathAction {
    /// Verify the death of a person whose pension stands at `pension`.
    Verify {
        /// The pension state before the verification.
        pension: PensionState,
    },
    /// Withdraw the report before verification.
    Withdraw,
    /// Reverse a verification.
    Reverse,
    /// Assess the death benefits (funeral grant, survivor benefit), `assessed` already or not.
    AssessBenefits {
        /// Whether the benefits are assessed already.
        assessed: bool,
    },
}

/// What an action does to the pension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PensionEffect {
    /// Nothing.
    None,
    /// The pension moves to this state (stopped on a verified death, CS Art. 32).
    Stop(PensionState),
    /// The state before the verification is restored as it was, the overpayment is void and the person is back on
    /// the roll: a correction of a wrong record, not a transition of CS Art. 32.
    RestorePrior,
}

/// The outcome of an action on a report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeathOutcome {
    /// The report's status after it.
    pub status: DeathReportStatus,
    /// What happens to the pension.
    pub pension: PensionEffect,
}

/// Why an action on a death report is refused (409).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeathError {
    /// Verifying a report that is not awaiting verification.
    NotPending,
    /// Withdrawing a report that is not awaiting verification (a verified one can only be reversed).
    NotWithdrawable,
    /// Reversing a report that is not verified.
    NotReversible,
    /// Assessing benefits of a report that is not verified.
    NotVerified,
    /// The benefits are assessed already (once per report).
    BenefitsAssessed,
    /// The pension cannot be stopped (or a death reported): it is stopped or transferred out already.
    Pension(TransitionError),
}

impl RuleViolation for DeathError {
    fn code(&self) -> &'static str {
        match self {
            Self::NotPending | Self::NotWithdrawable => "death_report_not_pending",
            Self::NotReversible | Self::NotVerified => "death_report_not_verified",
            Self::BenefitsAssessed => "benefits_assessed",
            Self::Pension(e) => e.code(),
        }
    }

    fn message_zh(&self) -> String {
        match self {
            Self::NotPending => "该死亡报告不在待核实状态".into(),
            Self::NotWithdrawable => "已核实的死亡报告不能撤回，只能撤销核实".into(),
            Self::NotReversible => "只有已核实的死亡报告可以撤销核实".into(),
            Self::NotVerified => "死亡报告尚未核实".into(),
            Self::BenefitsAssessed => "丧葬抚恤待遇已核定".into(),
            Self::Pension(e) => e.message_zh(),
        }
    }

    fn message_en(&self) -> String {
        match self {
            Self::NotPending => "the report is not awaiting verification".into(),
            Self::NotWithdrawable => "a verified report cannot be withdrawn, only reversed".into(),
            Self::NotReversible => "only a verified report can be reversed".into(),
            Self::NotVerified => "the report is not verified".into(),
            Self::BenefitsAssessed => "the benefits are assessed already".into(),
            Self::Pension(e) => e.message_en(),
        }
    }
}

/// Whether a death may be reported for a person whose pension stands at `pension`: not when it is stopped already
/// or the person moved out of the city (CS Art. 28, 32). A new report starts `reported`.
pub fn open(pension: PensionState) -> Result<DeathReportStatus, DeathError> {
    match pension {
        PensionState::Stopped => Err(DeathError::Pension(TransitionError::Stopped)),
        PensionState::TransferredOut => Err(DeathError::Pension(TransitionError::TransferredOut)),
        PensionState::Normal | PensionState::Suspended(_) => Ok(DeathReportStatus::Reported),
    }
}

/// The outcome of `action` on a report standing at `from` (GUIDE 四; CS Art. 32): a reported death is verified
/// (the pension stops, from a suspension too) or withdrawn; a verified one can be reversed, not withdrawn, and has
/// its benefits assessed once; a withdrawn or reversed report is closed.
pub fn apply(from: DeathReportStatus, action: DeathAction) -> Result<DeathOutcome, DeathError> {
    use DeathReportStatus as S;
    let outcome = |status, pension| Ok(DeathOutcome { status, pension });
    match action {
        DeathAction::Verify { pension } => {
            if from != S::Reported {
                return Err(DeathError::NotPending);
            }
            let stopped = pension::transition(pension, Transition::Stop).map_err(DeathError::Pension)?;
            outcome(S::Verified, PensionEffect::Stop(stopped))
        }
        DeathAction::Withdraw if from == S::Reported => outcome(S::Withdrawn, PensionEffect::None),
        DeathAction::Withdraw => Err(DeathError::NotWithdrawable),
        DeathAction::Reverse if from == S::Verified => outcome(S::Reversed, PensionEffect::RestorePrior),
        DeathAction::Reverse => Err(DeathError::NotReversible),
        DeathAction::AssessBenefits { .. } if from != S::Verified => Err(DeathError::NotVerified),
        DeathAction::AssessBenefits { assessed: true } => Err(DeathError::BenefitsAssessed),
        DeathAction::AssessBenefits { assessed: false } => outcome(S::Verified, PensionEffect::None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Money;
    use crate::policy::SuspensionReason;
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
    fn only_people_report_late() {
        // CS Art. 16(4): the 20 working days bind the relatives; a data-platform record is not a late report.
        let deadline = date!(2026 - 04 - 30);
        assert!(report_is_late(ReporterKind::Relative, date!(2026 - 05 - 06), deadline));
        assert!(report_is_late(ReporterKind::Community, date!(2026 - 05 - 06), deadline));
        assert!(!report_is_late(ReporterKind::Feed, date!(2026 - 12 - 06), deadline));
        assert!(!report_is_late(ReporterKind::Relative, deadline, deadline));
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
    fn a_verified_death_stops_the_pension() {
        // GUIDE 四: "基本养老金从其死亡次月起停发"; CS Art. 32: "退休人员死亡的，停止享受基本养老金" — from a
        // suspension too.
        use DeathReportStatus as S;
        let suspended = PensionState::Suspended(SuspensionReason::SuspectedDeath);
        for pension in [PensionState::Normal, suspended] {
            assert_eq!(
                apply(S::Reported, DeathAction::Verify { pension }),
                Ok(DeathOutcome { status: S::Verified, pension: PensionEffect::Stop(PensionState::Stopped) })
            );
        }
        assert_eq!(
            apply(S::Reported, DeathAction::Verify { pension: PensionState::TransferredOut }),
            Err(DeathError::Pension(TransitionError::TransferredOut))
        );
        assert_eq!(
            apply(S::Verified, DeathAction::Verify { pension: PensionState::Stopped }),
            Err(DeathError::NotPending)
        );
        assert_eq!(
            apply(S::Withdrawn, DeathAction::Verify { pension: PensionState::Normal }),
            Err(DeathError::NotPending)
        );
        assert_eq!(DeathError::Pension(TransitionError::Stopped).code(), "pension_stopped");
    }

    #[test]
    fn a_death_is_reported_once_for_a_paid_or_suspended_pension() {
        // CS Art. 32: a stopped pension stays stopped; CS Art. 28: a person moved out is paid elsewhere.
        assert_eq!(open(PensionState::Normal), Ok(DeathReportStatus::Reported));
        assert_eq!(
            open(PensionState::Suspended(SuspensionReason::CertificationOverdue)),
            Ok(DeathReportStatus::Reported)
        );
        assert_eq!(open(PensionState::Stopped), Err(DeathError::Pension(TransitionError::Stopped)));
        assert_eq!(open(PensionState::TransferredOut), Err(DeathError::Pension(TransitionError::TransferredOut)));
    }

    #[test]
    fn withdrawn_before_verification_reversed_after_it() {
        // GUIDE 四 (the report is checked against the certificate) and CS Art. 31 (核查): a wrong report is withdrawn
        // while pending; a wrongly verified death is reversed, restoring the pension as it was.
        use DeathReportStatus as S;
        assert_eq!(
            apply(S::Reported, DeathAction::Withdraw),
            Ok(DeathOutcome { status: S::Withdrawn, pension: PensionEffect::None })
        );
        assert_eq!(apply(S::Verified, DeathAction::Withdraw), Err(DeathError::NotWithdrawable));
        assert_eq!(
            apply(S::Verified, DeathAction::Reverse),
            Ok(DeathOutcome { status: S::Reversed, pension: PensionEffect::RestorePrior })
        );
        assert_eq!(apply(S::Reported, DeathAction::Reverse), Err(DeathError::NotReversible));
        // Closed reports stay closed.
        assert_eq!(apply(S::Reversed, DeathAction::Reverse), Err(DeathError::NotReversible));
        assert_eq!(apply(S::Withdrawn, DeathAction::Withdraw), Err(DeathError::NotWithdrawable));
        assert_eq!(DeathError::NotWithdrawable.code(), "death_report_not_pending");
        assert_eq!(DeathError::NotReversible.code(), "death_report_not_verified");
    }

    #[test]
    fn benefits_are_assessed_once_for_a_verified_death() {
        // JN Art. 23(3): funeral grant and survivor benefit for the family of a deceased retiree.
        use DeathReportStatus as S;
        assert_eq!(
            apply(S::Verified, DeathAction::AssessBenefits { assessed: false }),
            Ok(DeathOutcome { status: S::Verified, pension: PensionEffect::None })
        );
        assert_eq!(
            apply(S::Verified, DeathAction::AssessBenefits { assessed: true }),
            Err(DeathError::BenefitsAssessed)
        );
        assert_eq!(apply(S::Reported, DeathAction::AssessBenefits { assessed: false }), Err(DeathError::NotVerified));
        assert_eq!(apply(S::Reversed, DeathAction::AssessBenefits { assessed: true }), Err(DeathError::NotVerified));
        assert_eq!(DeathReportStatus::parse("reversed"), Some(S::Reversed));
    }

    #[test]
    fn stored_and_sent_as_the_codes_of_today() {
        // The strings the database holds and the API sends are unchanged.
        let codes: Vec<String> =
            DeathReportStatus::ALL.iter().map(|s| serde_json::to_string(s).unwrap_or_default()).collect();
        let expected: Vec<String> =
            ["reported", "verified", "withdrawn", "reversed"].iter().map(|c| format!("\"{c}\"")).collect();
        assert_eq!(codes, expected);
        assert_eq!(
            serde_json::from_str::<DeathReportStatus>("\"verified\"").ok(),
            DeathReportStatus::parse("verified")
        );
    }
}
