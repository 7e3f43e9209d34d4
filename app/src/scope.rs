//! The caller's jurisdiction as a use case sees it: a node or a person named in a request is answered only when it
//! lies in the caller's subtree, and one outside it cannot be told from one that does not exist.

use persistence::DbConnection;
use persistence::jurisdictions::{self, Jurisdiction};

use crate::caller::Caller;
use crate::error::{AppError, FieldError};
use domain::ErrorCode;

/// The node `code` if it lies in the caller's subtree; otherwise 422 `jurisdiction_not_found` on `field`. A node
/// named in a request that is absent and one outside the caller's subtree are not told apart.
pub fn node_in_scope(
    conn: &mut DbConnection,
    caller: &Caller,
    code: &str,
    field: &str,
) -> Result<Jurisdiction, AppError> {
    match jurisdictions::find(conn, code) {
        Ok(node) if caller.sees(&node.path) => Ok(node),
        Ok(_) | Err(persistence::RepoError::NotFound) => {
            Err(AppError::field(FieldError::of(field, ErrorCode::JurisdictionNotFound)))
        }
        Err(e) => Err(e.into()),
    }
}

/// The path of the node `code` (the node must exist: it is read from a stored row).
pub fn path_of(conn: &mut DbConnection, code: &str) -> Result<String, AppError> {
    Ok(jurisdictions::find(conn, code)?.path)
}
