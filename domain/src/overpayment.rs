//! Pension paid after death and its recovery (CS Art. 31(1): "限期追回，到期仍未追回的应及时移交"; GUIDE 四): the
//! entries of the recovery ledger, where an overpayment stands, and when it is settled or referred.

use time::Date;

use crate::RuleViolation;

crate::code_enum! {
    /// Where an overpayment stands.
    OverpaymentStatus {
        /// Still owed, being recovered.
        Open = "open": "追回中",
        /// Nothing owed any more: recovered or written off.
        Settled = "settled": "已结清",
        /// Referred to the social insurance administration after the deadline (CS Art. 31(1)).
        Referred = "referred": "已移交行政部门",
        /// Void: its death report was reversed.
        Void = "void": "已作废",
    }
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
        /// The counter-entry of the deductions from the death benefits when the death is reversed (issue 19.13):
        /// a negative amount, booked by the service only; history is never deleted.
        DeductionReversed = "deduction_reversed": "撤销死亡核实，冲回从丧葬抚恤待遇中的扣除",
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
    /// The overpayment is settled, referred or void: it takes no entries.
    Closed,
    /// A kind the service books itself (the counter-entry of a reversal).
    ReservedKind,
}

impl RuleViolation for LedgerError {
    fn code(&self) -> &'static str {
        match self {
            Self::ExceedsBalance => "amount_exceeds_balance",
            Self::ApprovalRequired => "approval_required",
            Self::DeadlineNotPassed => "recovery_deadline_not_passed",
            Self::Settled => "overpayment_settled",
            Self::Closed => "overpayment_closed",
            Self::ReservedKind => "entry_kind_reserved",
        }
    }

    fn message_zh(&self) -> String {
        match self {
            Self::ExceedsBalance => "金额超过尚欠余额".into(),
            Self::ApprovalRequired => "核销须写明批准人".into(),
            Self::DeadlineNotPassed => "追回期限未到，不能移交".into(),
            Self::Settled => "多领养老金已结清".into(),
            Self::Closed => "该笔多领养老金已结清、移交或作废".into(),
            Self::ReservedKind => "该类分录仅由系统在撤销死亡核实时记账".into(),
        }
    }

    fn message_en(&self) -> String {
        match self {
            Self::ExceedsBalance => "the amount exceeds the balance owed".into(),
            Self::ApprovalRequired => "a write-off needs the approver".into(),
            Self::DeadlineNotPassed => "the recovery deadline has not passed: no referral yet".into(),
            Self::Settled => "nothing is owed any more".into(),
            Self::Closed => "the overpayment is settled, referred or void".into(),
            Self::ReservedKind => "this kind of entry is booked by the service when a death is reversed".into(),
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
/// The status after an entry of `kind` for `amount_fen` against a balance of `balance_fen`: a referral moves the
/// case to the administration (CS Art. 31(1)); an entry that takes the balance to zero settles it.
pub fn status_after(kind: RecoveryKind, amount_fen: i64, balance_fen: i64) -> OverpaymentStatus {
    match kind {
        RecoveryKind::Referred => OverpaymentStatus::Referred,
        _ if amount_fen == balance_fen => OverpaymentStatus::Settled,
        _ => OverpaymentStatus::Open,
    }
}

/// An entry to record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NewEntry<'a> {
    /// What kind.
    pub kind: RecoveryKind,
    /// Amount in fen; `None`: the whole balance (a referral).
    pub amount_fen: Option<i64>,
    /// Who approved a write-off.
    pub approved_by: Option<&'a str>,
    /// Day of the entry.
    pub on: Date,
}

/// What an entry does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EntryOutcome {
    /// The amount entered, fen.
    pub amount_fen: i64,
    /// The balance after it, fen.
    pub balance_fen: i64,
    /// The status after it.
    pub status: OverpaymentStatus,
}

/// The outcome of `entry` on an overpayment standing at `status` with `balance_fen` owed and the recovery deadline
/// `due_by` (CS Art. 31(1)): only an open overpayment takes entries; then the rules of [`check_entry`]; then
/// [`status_after`].
pub fn apply(
    status: OverpaymentStatus,
    balance_fen: i64,
    due_by: Date,
    entry: NewEntry<'_>,
) -> Result<EntryOutcome, LedgerError> {
    if entry.kind == RecoveryKind::DeductionReversed {
        return Err(LedgerError::ReservedKind);
    }
    if status != OverpaymentStatus::Open {
        return Err(LedgerError::Closed);
    }
    let amount = entry.amount_fen.unwrap_or(balance_fen);
    check_entry(entry.kind, amount, balance_fen, entry.approved_by, entry.on, due_by)?;
    Ok(EntryOutcome {
        amount_fen: amount,
        balance_fen: balance_fen - amount,
        status: status_after(entry.kind, amount, balance_fen),
    })
}

/// The counter-entry a reversal of the death books (issue 19.13): the deductions from the death benefits
/// (`entries`: kind and amount in fen) less what earlier counter-entries gave back, as a negative amount; `None`
/// when nothing is left to give back. The balance (amount less the sum of the entries) is then as before the
/// deductions, and the benefits whole again.
pub fn deduction_reversal(entries: &[(RecoveryKind, i64)]) -> Option<i64> {
    let deducted: i64 = entries
        .iter()
        .filter(|(k, _)| matches!(k, RecoveryKind::DeductedFromBenefits | RecoveryKind::DeductionReversed))
        .map(|(_, a)| a)
        .sum();
    (deducted > 0).then_some(-deducted)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn a_reversal_gives_the_deductions_back_once() {
        // Issue 19.13: a reversed death undoes the deductions from the benefits (GUIDE 四), by a counter-entry.
        use RecoveryKind as K;
        let entries = [(K::DeductedFromBenefits, 500_000), (K::Repaid, 100_000)];
        assert_eq!(deduction_reversal(&entries), Some(-500_000));
        let after = [(K::DeductedFromBenefits, 500_000), (K::Repaid, 100_000), (K::DeductionReversed, -500_000)];
        assert_eq!(deduction_reversal(&after), None);
        assert_eq!(deduction_reversal(&[(K::Repaid, 100_000)]), None);
        let open = OverpaymentStatus::Open;
        let manual =
            NewEntry { kind: K::DeductionReversed, amount_fen: Some(1), approved_by: None, on: date!(2026 - 08 - 01) };
        assert_eq!(apply(open, 10, date!(2026 - 09 - 30), manual), Err(LedgerError::ReservedKind));
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
    fn entry(kind: RecoveryKind, amount_fen: Option<i64>, on: Date) -> NewEntry<'static> {
        NewEntry { kind, amount_fen, approved_by: None, on }
    }

    #[test]
    fn recovered_to_zero_is_settled() {
        // GUIDE 四: the family repays; CS Art. 31(1): recovered within the deadline.
        let due = date!(2026 - 09 - 30);
        let on = date!(2026 - 08 - 01);
        let open = OverpaymentStatus::Open;
        assert_eq!(
            apply(open, 1_050_000, due, entry(RecoveryKind::Repaid, Some(300_000), on)),
            Ok(EntryOutcome { amount_fen: 300_000, balance_fen: 750_000, status: OverpaymentStatus::Open })
        );
        assert_eq!(
            apply(open, 750_000, due, entry(RecoveryKind::Repaid, Some(750_000), on)),
            Ok(EntryOutcome { amount_fen: 750_000, balance_fen: 0, status: OverpaymentStatus::Settled })
        );
        let written_off = NewEntry { approved_by: Some("张局长"), ..entry(RecoveryKind::WrittenOff, Some(10), on) };
        assert_eq!(apply(open, 10, due, written_off).map(|o| o.status), Ok(OverpaymentStatus::Settled));
        assert_eq!(status_after(RecoveryKind::DeductedFromBenefits, 500_000, 1_050_000), OverpaymentStatus::Open);
    }

    #[test]
    fn unrecovered_after_the_deadline_is_referred_whole() {
        // CS Art. 31(1): "到期仍未追回的应及时移交社会保险行政部门处理".
        let due = date!(2026 - 09 - 30);
        let open = OverpaymentStatus::Open;
        assert_eq!(
            apply(open, 550_000, due, entry(RecoveryKind::Referred, None, date!(2026 - 10 - 01))),
            Ok(EntryOutcome { amount_fen: 550_000, balance_fen: 0, status: OverpaymentStatus::Referred })
        );
        assert_eq!(
            apply(open, 550_000, due, entry(RecoveryKind::Referred, None, due)),
            Err(LedgerError::DeadlineNotPassed)
        );
    }

    #[test]
    fn a_closed_overpayment_takes_no_entries() {
        // CS Art. 31(1): once settled, referred or voided (its death reversed) nothing more is recovered here.
        let on = date!(2026 - 08 - 01);
        let due = date!(2026 - 09 - 30);
        for status in [OverpaymentStatus::Settled, OverpaymentStatus::Referred, OverpaymentStatus::Void] {
            assert_eq!(apply(status, 100, due, entry(RecoveryKind::Repaid, Some(1), on)), Err(LedgerError::Closed));
        }
        assert_eq!(LedgerError::Closed.code(), "overpayment_closed");
        assert_eq!(OverpaymentStatus::Open.as_str(), "open");
    }

    #[test]
    fn stored_and_sent_as_the_codes_of_today() {
        // The strings the database holds and the API sends are unchanged.
        let codes: Vec<String> =
            OverpaymentStatus::ALL.iter().map(|s| serde_json::to_string(s).unwrap_or_default()).collect();
        let expected: Vec<String> =
            ["open", "settled", "referred", "void"].iter().map(|c| format!("\"{c}\"")).collect();
        assert_eq!(codes, expected);
        assert_eq!(serde_json::from_str::<OverpaymentStatus>("\"settled\"").ok(), OverpaymentStatus::parse("settled"));
    }
}
