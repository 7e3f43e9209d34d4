//! The first admin of an installation (`retiree-service create-admin`): an admin user bound to a node; on an empty
//! tree the node is created as the root.

use domain::{ErrorCode, JurisdictionCode, Role};
use persistence::accounts::{self, KIND_USER, NewAccount};
use persistence::jurisdictions::{self, NodeRow};
use persistence::{DbConnection, write_tx};

use super::secrets::hash_secret;
use crate::error::AppError;

/// Creates the admin `username` at the node `code`. When the tree is empty the node is created as its root,
/// named `name` or as in the bundled division files ([`crate::seed::bundled_name`]); a node missing from a tree
/// that is not empty is 422 `jurisdiction_missing`, a username in use 409 `login_taken`.
pub fn create_admin(
    conn: &mut DbConnection,
    username: &str,
    password: &str,
    code: &JurisdictionCode,
    name: Option<String>,
) -> Result<(), AppError> {
    let hash = hash_secret(password)?;
    write_tx(conn, |conn| -> Result<(), AppError> {
        if jurisdictions::find(conn, code.as_str()).is_err() {
            if !jurisdictions::is_empty(conn)? {
                return Err(AppError::with(
                    ErrorCode::JurisdictionMissing,
                    "区划不存在",
                    format!("jurisdiction {code} does not exist; import the division tree first"),
                ));
            }
            let root_name =
                name.clone().or_else(|| crate::seed::bundled_name(code.as_str())).unwrap_or_else(|| code.to_string());
            let row = NodeRow {
                code: code.to_string(),
                name: root_name,
                level: code.level().as_str().into(),
                parent_code: None,
                path: domain::jurisdiction::child_path(None, code.as_str()),
            };
            jurisdictions::create(conn, &row, "cli")?;
        }
        if accounts::find_by_login(conn, username)?.is_some() {
            return Err(AppError::with(
                ErrorCode::LoginTaken,
                "用户名已被使用",
                format!("user {username} exists already"),
            ));
        }
        accounts::create(
            conn,
            &NewAccount {
                kind: KIND_USER.into(),
                login: username.into(),
                secret_hash: hash,
                display_name: username.into(),
                role: Role::Admin.as_str().into(),
                jurisdiction_code: code.to_string(),
            },
        )?;
        Ok(())
    })
}
