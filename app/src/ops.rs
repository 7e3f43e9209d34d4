//! What operations ask of the service outside the use cases: readiness, and the audit trail of refused writes.

use persistence::DbConnection;

use crate::{AppError, Caller};

/// Readiness: the database answers a trivial query.
pub fn ready(conn: &mut DbConnection) -> Result<(), AppError> {
    Ok(persistence::connection::ping(conn)?)
}

/// Records a write that was refused (`status` 403, another 4xx, or 5xx) for an authenticated caller, with its
/// outcome (`denied`, `rejected`, `failed`); `action` names the operation (`"POST /api/v1/retirees"`), `path` the
/// request. Successful writes are audited by their use cases in the same transaction as the change.
pub fn audit_refused_write(
    conn: &mut DbConnection,
    caller: &Caller,
    action: &str,
    path: &str,
    status: u16,
) -> Result<(), AppError> {
    let outcome = match status {
        403 => "denied",
        500.. => "failed",
        _ => "rejected",
    };
    let mut entry = caller.audit(action, "request", path, &caller.scope_path);
    entry.outcome = outcome.to_owned();
    entry.detail = Some(serde_json::json!({ "status": status }).to_string());
    persistence::audit::append(conn, &entry)?;
    Ok(())
}
