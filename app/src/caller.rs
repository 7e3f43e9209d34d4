//! Who asks: the authenticated account with its role and the subtree of the division tree it sees. Every use case
//! takes it; scope checks and audit entries come from it.

use domain::{Permission, Role};
use persistence::audit::NewAuditEntry;

use crate::error::AppError;

/// The authenticated caller: account, role, node and the path of its subtree.
#[derive(Debug, Clone)]
pub struct Caller {
    /// Account id.
    pub account_id: i64,
    /// Login.
    pub login: String,
    /// `user` or `service`.
    pub kind: String,
    /// Role (as stored now, not as at token issue).
    pub role: Role,
    /// Jurisdiction node.
    pub jurisdiction_code: String,
    /// Path of that node: the caller sees the subtree under it.
    pub scope_path: String,
    /// Caller's address.
    pub client_ip: Option<String>,
    /// Request id.
    pub request_id: String,
}

impl Caller {
    /// 403 unless the role has `permission`.
    pub fn require(&self, permission: Permission) -> Result<(), AppError> {
        if self.role.allows(permission) { Ok(()) } else { Err(AppError::forbidden()) }
    }

    /// Whether a node path lies in the caller's subtree.
    pub fn sees(&self, path: &str) -> bool {
        persistence::jurisdictions::path_in_scope(path, &self.scope_path)
    }

    /// An audit entry for a successful action by this caller.
    pub fn audit(&self, action: &str, object_type: &str, object_id: impl ToString, scope_path: &str) -> NewAuditEntry {
        NewAuditEntry {
            actor: self.login.clone(),
            actor_role: Some(self.role.as_str().to_owned()),
            action: action.to_owned(),
            object_type: object_type.to_owned(),
            object_id: Some(object_id.to_string()),
            retiree_id: None,
            scope_path: scope_path.to_owned(),
            outcome: "success".to_owned(),
            client_ip: self.client_ip.clone(),
            request_id: Some(self.request_id.clone()),
            detail: None,
        }
    }
}
