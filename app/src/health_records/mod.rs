//! Health records (issue 25; GUIDE 第五部分第四章四「建立健康档案」; CS Art. 7(3)6; JN Art. 7(11), 25): the
//! community health service institutions of a node with their cooperation agreement ([`institutions`]), one record
//! per person created and kept by an institution under an agreement in force, examinations filed on it, the
//! worklists of records due for an update and of people of the policy age without a record, and the exports
//! ([`records`]). The rules are `domain::health`; every number comes from the policy section `health`.
//!
//! Health data is sensitive personal information (PIPL Art. 28): only roles with `health.read` see a record's
//! institution, conditions, disability level and examinations; a role with `retiree.read` alone sees the masked
//! summary (a record exists, last updated, next due), in the single view, the lists and the files alike. Every read
//! of a record, list or file is audited; the feed's events carry no health data.
//!
//! Scope: an institution belongs to a node and is seen from its subtree; a record is seen from the subtree holding
//! the person's community.

pub mod files;
pub mod institutions;
pub mod records;

use domain::Permission;

use crate::caller::Caller;
use crate::error::AppError;

/// Whether `caller` reads health data (else the masked summary only).
pub fn reads_health(caller: &Caller) -> bool {
    caller.role.allows(Permission::HealthRead)
}

/// 403 unless the caller reads health records at all: the masked summary needs `retiree.read` or `health.read`.
pub fn require_read(caller: &Caller) -> Result<(), AppError> {
    if caller.role.allows(Permission::RetireeRead) || reads_health(caller) {
        Ok(())
    } else {
        Err(AppError::forbidden())
    }
}
