//! Users and service accounts (one table, told apart by `kind`), and the login throttle.

use diesel::prelude::*;
use time::PrimitiveDateTime;

use crate::schema::{accounts, jurisdictions, login_throttle};
use crate::typed::Stored;
use crate::{DbConnection, RepoError, RepoResult, now_utc};

/// `user` (password) or `service` (client credentials).
pub const KIND_USER: &str = "user";
/// Service account kind.
pub const KIND_SERVICE: &str = "service";

/// An account as stored.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = accounts)]
#[diesel(check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct Account {
    /// Id.
    pub id: i64,
    /// `user` or `service`.
    pub kind: String,
    /// Username or client id.
    pub login: String,
    /// Argon2 PHC string of the password or client secret.
    pub secret_hash: String,
    /// Name shown to people.
    pub display_name: String,
    /// Role code.
    #[diesel(deserialize_as = Stored<domain::Role>)]
    pub role: domain::Role,
    /// Jurisdiction node.
    pub jurisdiction_code: String,
    /// Whether it may log in.
    pub active: bool,
    /// Version (ETag).
    pub version: i64,
    /// Created.
    pub created_at: PrimitiveDateTime,
    /// Last changed.
    pub updated_at: PrimitiveDateTime,
    /// Generation of the credentials: raised by a password change or secret rotation; a token names the generation
    /// it was issued for.
    pub token_generation: i64,
}

/// A new account.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = accounts)]
pub struct NewAccount {
    /// `user` or `service`.
    pub kind: String,
    /// Username or client id.
    pub login: String,
    /// Argon2 PHC string.
    pub secret_hash: String,
    /// Display name.
    pub display_name: String,
    /// Role code.
    pub role: String,
    /// Jurisdiction node.
    pub jurisdiction_code: String,
}

/// Fields an update may change; `None` leaves a field as is.
#[derive(Debug, Clone, Default, AsChangeset)]
#[diesel(table_name = accounts)]
pub struct AccountChanges {
    /// Display name.
    pub display_name: Option<String>,
    /// Role.
    pub role: Option<String>,
    /// Jurisdiction.
    pub jurisdiction_code: Option<String>,
    /// Active flag.
    pub active: Option<bool>,
    /// New secret hash.
    pub secret_hash: Option<String>,
    /// New credentials generation (with a new secret hash: the tokens issued before stop working).
    pub token_generation: Option<i64>,
}

/// Inserts an account.
pub fn create(conn: &mut DbConnection, new: &NewAccount) -> RepoResult<Account> {
    let now = now_utc();
    diesel::insert_into(accounts::table)
        .values((new, accounts::created_at.eq(now), accounts::updated_at.eq(now)))
        .execute(conn)?;
    Ok(accounts::table.filter(accounts::login.eq(&new.login)).select(Account::as_select()).first(conn)?)
}

/// By id and kind.
pub fn find(conn: &mut DbConnection, kind: &str, id: i64) -> RepoResult<Account> {
    Ok(accounts::table
        .filter(accounts::id.eq(id))
        .filter(accounts::kind.eq(kind))
        .select(Account::as_select())
        .first(conn)?)
}

/// By id and kind, with the path of its jurisdiction.
pub fn find_with_path(conn: &mut DbConnection, kind: &str, id: i64) -> RepoResult<(Account, String)> {
    Ok(accounts::table
        .inner_join(jurisdictions::table)
        .filter(accounts::id.eq(id))
        .filter(accounts::kind.eq(kind))
        .select((Account::as_select(), jurisdictions::path))
        .first(conn)?)
}

/// By login name, with the path of its jurisdiction.
pub fn find_by_login(conn: &mut DbConnection, login: &str) -> RepoResult<Option<(Account, String)>> {
    Ok(accounts::table
        .inner_join(jurisdictions::table)
        .filter(accounts::login.eq(login))
        .select((Account::as_select(), jurisdictions::path))
        .first(conn)
        .optional()?)
}

/// Accounts of one kind whose node lies in the subtree at `scope_path`, by id after `after`.
pub fn list(
    conn: &mut DbConnection,
    kind: &str,
    scope_path: &str,
    after: Option<i64>,
    limit: i64,
) -> RepoResult<Vec<Account>> {
    let mut query = accounts::table
        .inner_join(jurisdictions::table)
        .filter(accounts::kind.eq(kind))
        .filter(crate::jurisdictions::in_subtree(scope_path))
        .select(Account::as_select())
        .order(accounts::id)
        .limit(limit)
        .into_boxed();
    if let Some(after) = after {
        query = query.filter(accounts::id.gt(after));
    }
    Ok(query.load(conn)?)
}

/// Applies `changes` if the version is still `expected_version`.
pub fn update(
    conn: &mut DbConnection,
    id: i64,
    expected_version: i64,
    changes: &AccountChanges,
) -> RepoResult<Account> {
    let updated =
        diesel::update(accounts::table.filter(accounts::id.eq(id)).filter(accounts::version.eq(expected_version)))
            .set((changes, accounts::version.eq(accounts::version + 1), accounts::updated_at.eq(now_utc())))
            .execute(conn)?;
    if updated == 0 {
        return Err(RepoError::VersionMismatch);
    }
    Ok(accounts::table.find(id).select(Account::as_select()).first(conn)?)
}

/// Lock state of a login name.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = login_throttle)]
#[diesel(check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct Throttle {
    /// Login name tried.
    pub login: String,
    /// Failures in the current window.
    pub failures: i32,
    /// Start of the window.
    pub window_started_at: PrimitiveDateTime,
    /// Until when logins are refused.
    pub locked_until: Option<PrimitiveDateTime>,
}

/// When the login is locked, until when.
pub fn locked_until(
    conn: &mut DbConnection,
    login: &str,
    now: PrimitiveDateTime,
) -> RepoResult<Option<PrimitiveDateTime>> {
    let row: Option<Throttle> =
        login_throttle::table.find(login).select(Throttle::as_select()).first(conn).optional()?;
    Ok(row.and_then(|t| t.locked_until).filter(|until| *until > now))
}

/// Counts a failed login; after `max_failures` within `window` the login is locked for `lock`. Returns the lock
/// end when this failure set one.
pub fn register_failure(
    conn: &mut DbConnection,
    login: &str,
    now: PrimitiveDateTime,
    max_failures: i32,
    window: time::Duration,
    lock: time::Duration,
) -> RepoResult<Option<PrimitiveDateTime>> {
    let row: Option<Throttle> =
        login_throttle::table.find(login).select(Throttle::as_select()).first(conn).optional()?;
    let (failures, started) = match row {
        Some(t) if now - t.window_started_at <= window => (t.failures + 1, t.window_started_at),
        _ => (1, now),
    };
    let locked_until = (failures >= max_failures).then_some(now + lock);
    let (failures, started) = if locked_until.is_some() { (0, now) } else { (failures, started) };
    diesel::delete(login_throttle::table.find(login)).execute(conn)?;
    diesel::insert_into(login_throttle::table)
        .values((
            login_throttle::login.eq(login),
            login_throttle::failures.eq(failures),
            login_throttle::window_started_at.eq(started),
            login_throttle::locked_until.eq(locked_until),
        ))
        .execute(conn)?;
    Ok(locked_until)
}

/// Forgets failures after a successful login.
pub fn clear_failures(conn: &mut DbConnection, login: &str) -> RepoResult<()> {
    diesel::delete(login_throttle::table.find(login)).execute(conn)?;
    Ok(())
}
