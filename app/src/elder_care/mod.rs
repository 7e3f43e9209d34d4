//! Elderly care services (issue 26; GUIDE 第二部分六 养老护理服务): the register of institutions of each node and
//! the worklist of those whose information is stale ([`institutions`]), moving a person into an institution
//! ([`move_in`]), caregivers in the four grades with their trainings, grade changes and evaluations
//! ([`caregivers`]), the ten steps of a care request ([`requests`]: receive, check eligibility, propose and
//! confirm a caregiver, book a slot with no double booking, deliver, supervise, evaluate), the monthly summary per
//! node ([`summary`]), and the registers and lists as files ([`files`]: imports of the institution and caregiver
//! registers, exports with Chinese headers). The rules are `domain::elder_care`; every number comes
//! from the policy section `elder_care` in force at the node.
//!
//! Scope: an institution and a request belong to a node and are seen from its subtree; a caregiver is registered
//! at a node and may serve several (`areas`), and is seen from the subtree of each.

pub mod caregivers;
pub mod files;
pub mod institutions;
pub mod move_in;
pub mod requests;
pub mod summary;

use domain::Permission;
use domain::elder_care::CareItem;
use time::{PrimitiveDateTime, format_description::BorrowedFormatItem, macros::format_description};

use crate::caller::Caller;
use crate::error::{AppError, FieldError};

/// The format of a local time in China (`2026-12-08T09:00`), the time of slots and services.
pub const LOCAL_TIME: &[BorrowedFormatItem<'static>] = format_description!("[year]-[month]-[day]T[hour]:[minute]");

/// 403 unless the caller may read the care registers and requests.
pub fn require_read(caller: &Caller) -> Result<(), AppError> {
    if caller.role.allows(Permission::CareServiceRead) || caller.role.allows(Permission::CareServiceManage) {
        Ok(())
    } else {
        Err(AppError::forbidden())
    }
}

/// A local time `YYYY-MM-DDTHH:MM` (China) at `field`.
pub fn parse_local(field: &str, text: &str, errors: &mut Vec<FieldError>) -> Option<PrimitiveDateTime> {
    match PrimitiveDateTime::parse(text, LOCAL_TIME) {
        Ok(t) => Some(t),
        Err(_) => {
            errors.push(FieldError::with(
                field,
                domain::ErrorCode::InvalidValue,
                "时间格式应为 YYYY-MM-DDTHH:MM（北京时间）",
                "a time is YYYY-MM-DDTHH:MM, China time",
            ));
            None
        }
    }
}

/// A local time as text.
pub fn local_text(t: PrimitiveDateTime) -> String {
    t.format(LOCAL_TIME).unwrap_or_default()
}

/// The items of a list, each once, 1-8 entries; 422 on `field` otherwise.
pub fn check_items(field: &str, items: &[CareItem], errors: &mut Vec<FieldError>) -> Vec<CareItem> {
    let mut out = items.to_vec();
    out.sort();
    out.dedup();
    if items.is_empty() || out.len() != items.len() {
        errors.push(FieldError::with(
            field,
            domain::ErrorCode::InvalidValue,
            "服务项目应至少一项且不重复",
            "name at least one item, each once",
        ));
    }
    out
}

/// Reads a JSON column of a stored row (corrupt when it does not parse).
pub(crate) fn json<T: serde::de::DeserializeOwned>(
    table: &str,
    id: i64,
    column: &str,
    text: &str,
) -> Result<T, AppError> {
    Ok(persistence::typed::stored_json(table, id, column, text)?)
}

/// A value as a JSON column.
pub(crate) fn to_json<T: serde::Serialize>(v: &T) -> Result<String, AppError> {
    serde_json::to_string(v).map_err(AppError::internal)
}
