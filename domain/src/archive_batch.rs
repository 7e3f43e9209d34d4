//! Digitisation batches (数字化批次; XM Art. 16 "推进人事档案数字化，实现便捷的线上利用"; JN Art. 8(7) "区档案馆
//! 制定整理和数字化标准…集中存放，逐步实现网络化利用"): the archives of one repository sent together for scanning,
//! by a vendor or operator, each coming back digitised with its pages referenced (URI, page count, checksum), and
//! the batch completed or cancelled. The rules: which archives may join a batch, the batch's state machine, and the
//! progress of a batch.

use crate::RuleViolation;
use crate::archive::ArchiveStatus;

crate::code_enum! {
    /// Where a digitisation batch stands.
    BatchStatus {
        /// Sent for scanning; results are recorded as archives come back (扫描中).
        Open = "open": "扫描中",
        /// Finished: every archive came back, digitised or not (已完成).
        Completed = "completed": "已完成",
        /// Called off; archives not yet digitised are released (已取消).
        Cancelled = "cancelled": "已取消",
    }
}

/// An action on a batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BatchAction {
    /// Record scanning results (archives digitised) while it runs.
    Record,
    /// Finish it.
    Complete,
    /// Call it off.
    Cancel,
}

/// Why a batch action is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BatchError {
    /// The batch is completed or cancelled (409 `batch_wrong_status`).
    WrongStatus(BatchStatus),
    /// The archive is not in store (out on loan, in transit, transferred, disposed of) and cannot be sent for
    /// scanning (409 `archive_wrong_status`).
    ArchiveNotInStore(ArchiveStatus),
    /// The archive is digitised already (409 `archive_digitised`).
    AlreadyDigitised,
    /// The archive is in another open batch (409 `archive_in_batch`).
    InOtherBatch,
}

impl RuleViolation for BatchError {
    fn code(&self) -> &'static str {
        match self {
            Self::WrongStatus(_) => "batch_wrong_status",
            Self::ArchiveNotInStore(_) => "archive_wrong_status",
            Self::AlreadyDigitised => "archive_digitised",
            Self::InOtherBatch => "archive_in_batch",
        }
    }

    fn message_zh(&self) -> String {
        match self {
            Self::WrongStatus(s) => format!("数字化批次当前状态（{}）不能办理此操作", s.label_zh()),
            Self::ArchiveNotInStore(s) => format!("档案当前状态（{}）不能送扫描", s.label_zh()),
            Self::AlreadyDigitised => "该档案已完成数字化".into(),
            Self::InOtherBatch => "该档案已在另一个进行中的数字化批次中".into(),
        }
    }

    fn message_en(&self) -> String {
        match self {
            Self::WrongStatus(s) => format!("the batch is {}; this action does not apply", s.as_str()),
            Self::ArchiveNotInStore(s) => format!("the archive is {}; it cannot be sent for scanning", s.as_str()),
            Self::AlreadyDigitised => "the archive is digitised already".into(),
            Self::InOtherBatch => "the archive is in another open batch".into(),
        }
    }
}

/// The status of a batch after `action` (XM Art. 16): results are recorded and the batch completed or cancelled
/// only while it is open; a completed or cancelled batch stays as it is.
pub fn apply_batch(status: BatchStatus, action: BatchAction) -> Result<BatchStatus, BatchError> {
    match (status, action) {
        (BatchStatus::Open, BatchAction::Record) => Ok(BatchStatus::Open),
        (BatchStatus::Open, BatchAction::Complete) => Ok(BatchStatus::Completed),
        (BatchStatus::Open, BatchAction::Cancel) => Ok(BatchStatus::Cancelled),
        (s, _) => Err(BatchError::WrongStatus(s)),
    }
}

/// Whether an archive may join a batch (JN Art. 8(7): the archive authority digitises what it stores): it is on its
/// shelf (in store), not digitised yet, and not in another open batch.
pub fn may_join(archive: ArchiveStatus, digitised: bool, in_open_batch: bool) -> Result<(), BatchError> {
    if archive != ArchiveStatus::InStore {
        return Err(BatchError::ArchiveNotInStore(archive));
    }
    if digitised {
        return Err(BatchError::AlreadyDigitised);
    }
    if in_open_batch {
        return Err(BatchError::InOtherBatch);
    }
    Ok(())
}

/// The progress of a batch: archives digitised of those in it, per mille (rounded down; 0 of 0 is 0).
pub fn progress_per_mille(digitised: i64, archives: i64) -> i64 {
    crate::archive::digitised_per_mille(digitised, archives)
}

#[cfg(test)]
mod tests {
    use super::*;

    // XM Art. 16: a batch records results while open and is completed or cancelled once.
    #[test]
    fn a_batch_runs_open_then_completed_or_cancelled_once_xm_16() {
        assert_eq!(apply_batch(BatchStatus::Open, BatchAction::Record), Ok(BatchStatus::Open));
        assert_eq!(apply_batch(BatchStatus::Open, BatchAction::Complete), Ok(BatchStatus::Completed));
        assert_eq!(apply_batch(BatchStatus::Open, BatchAction::Cancel), Ok(BatchStatus::Cancelled));
        for done in [BatchStatus::Completed, BatchStatus::Cancelled] {
            for action in [BatchAction::Record, BatchAction::Complete, BatchAction::Cancel] {
                let e = apply_batch(done, action).unwrap_err();
                assert_eq!(e, BatchError::WrongStatus(done));
                assert_eq!(e.code(), "batch_wrong_status");
            }
        }
    }

    // JN Art. 8(7): only archives on the shelf, not digitised, not in another open batch, go for scanning.
    #[test]
    fn only_stored_undigitised_archives_join_a_batch_jn_8_7() {
        assert_eq!(may_join(ArchiveStatus::InStore, false, false), Ok(()));
        for s in
            [ArchiveStatus::OnLoan, ArchiveStatus::InTransit, ArchiveStatus::TransferredOut, ArchiveStatus::Disposed]
        {
            assert_eq!(may_join(s, false, false), Err(BatchError::ArchiveNotInStore(s)));
        }
        assert_eq!(may_join(ArchiveStatus::InStore, true, false), Err(BatchError::AlreadyDigitised));
        assert_eq!(may_join(ArchiveStatus::InStore, false, true), Err(BatchError::InOtherBatch));
        assert_eq!(BatchError::InOtherBatch.code(), "archive_in_batch");
        assert_eq!(BatchError::AlreadyDigitised.code(), "archive_digitised");
    }

    // XM Art. 16: progress is the share digitised.
    #[test]
    fn progress_is_the_share_digitised_xm_16() {
        assert_eq!(progress_per_mille(0, 0), 0);
        assert_eq!(progress_per_mille(1, 3), 333);
        assert_eq!(progress_per_mille(3, 3), 1000);
    }
}
