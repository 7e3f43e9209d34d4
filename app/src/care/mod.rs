//! Care of the retirees on the rolls and the fund that pays for it: condolences and festival lists (XM Art. 14,
//! 21-22; CS Art. 25(2); JN Art. 31(2)), visit tasks and recorded visits (GUIDE 走访制度; CS Art. 25(1); JN Art.
//! 31(1)), self-management groups and their leaders (XM Art. 12, 21(6)-(7); CS Art. 19; JN Art. 32), and the
//! service fund: budgets, allowances, awards, the ledger, statements and the staffing report (XM Art. 21-24; CS
//! Art. 10; JN Art. 11-20).

pub mod condolences;
pub mod festivals;
pub mod funding;
pub mod groups;
pub mod visit_tasks;
pub mod visits;

use domain::ErrorCode;
use persistence::DbConnection;
use persistence::retirees::Retiree;
use time::Date;

use crate::caller::Caller;
use crate::error::{AppError, FieldError};

/// The person named in a request, with their community's path, if in the caller's subtree; otherwise 422
/// `retiree_not_found` on `/retiree_id` (absent and out of scope are not told apart).
pub fn retiree_in_scope(conn: &mut DbConnection, caller: &Caller, id: i64) -> Result<(Retiree, String), AppError> {
    crate::scope::referenced_retiree(conn, caller, id, "/retiree_id")
}

/// 422 `before_retirement` on `field` when `on` is before the person's retirement date: care is for retirees, and
/// nobody is on a roll before retiring (XM Art. 14, 21; GUIDE 走访制度).
pub fn not_before_retirement(retiree: &Retiree, field: &str, on: Date) -> Result<(), AppError> {
    if on >= retiree.retirement_date {
        return Ok(());
    }
    let retired = retiree.retirement_date;
    Err(AppError::field(FieldError::with(
        field,
        ErrorCode::BeforeRetirement,
        format!("{} 不能早于退休日期{retired}", field.trim_start_matches('/')),
        format!("{} cannot be before the retirement date {retired}", field.trim_start_matches('/')),
    )))
}
