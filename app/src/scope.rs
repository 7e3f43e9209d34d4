//! The caller's jurisdiction as a use case sees it: a node or a person named in a request is answered only when it
//! lies in the caller's subtree, and one outside it cannot be told from one that does not exist.

use persistence::jurisdictions::{self, Jurisdiction};
use persistence::retirees::{self as people, Dependent, Retiree};
use persistence::{DbConnection, RepoError};

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
        Ok(_) | Err(RepoError::NotFound) => {
            Err(AppError::field(FieldError::of(field, ErrorCode::JurisdictionNotFound)))
        }
        Err(e) => Err(e.into()),
    }
}

/// The person `id` named in a request body at `field` (a JSON pointer such as `/retiree_id`), with their community's
/// path, if they lie in the caller's subtree; otherwise 422 `retiree_not_found` on `field` (issue 19.4). An absent id
/// and one outside the subtree cost the same one query and answer the same status, code and message
/// (`docs/api-conventions.md`, "Ids in the path and ids in the body"). Any other failure of the read is answered as such (503, 500).
pub fn referenced_retiree(
    conn: &mut DbConnection,
    caller: &Caller,
    id: i64,
    field: &str,
) -> Result<(Retiree, String), AppError> {
    people::find_in_scope(conn, id, &caller.scope_path).map_err(|e| match e {
        RepoError::NotFound => AppError::field(FieldError::of(field, ErrorCode::RetireeNotFound)),
        other => other.into(),
    })
}

/// The dependant `id` named in a request body at `field`, with their retiree and the retiree's community path, if
/// the retiree lies in the caller's subtree; otherwise 422 `dependent_not_found` on `field`, the same for an absent
/// id and one outside the subtree (issue 19.4).
pub fn referenced_dependent(
    conn: &mut DbConnection,
    caller: &Caller,
    id: i64,
    field: &str,
) -> Result<(Dependent, Retiree, String), AppError> {
    people::find_dependent_in_scope(conn, id, &caller.scope_path).map_err(|e| match e {
        RepoError::NotFound => AppError::field(FieldError::of(field, ErrorCode::DependentNotFound)),
        other => other.into(),
    })
}

/// The path of the node `code` (the node must exist: it is read from a stored row).
pub fn path_of(conn: &mut DbConnection, code: &str) -> Result<String, AppError> {
    Ok(jurisdictions::find(conn, code)?.path)
}
