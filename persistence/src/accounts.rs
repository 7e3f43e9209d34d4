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

/// Where the login throttle counts: per login name (`login_throttle`) or per client address
/// (`login_address_throttle`). Both have the same shape and the same rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ThrottleKey {
    /// Failures of one login name.
    Login,
    /// Failures from one client address.
    Address,
}

impl ThrottleKey {
    fn table(self) -> &'static str {
        match self {
            ThrottleKey::Login => "login_throttle",
            ThrottleKey::Address => "login_address_throttle",
        }
    }

    fn column(self) -> &'static str {
        match self {
            ThrottleKey::Login => "login",
            ThrottleKey::Address => "address",
        }
    }
}

/// The rules of one throttle: the first `max_failures` attempts within `window` are free; the attempt that reaches
/// the limit and every later one start a delay of `first_delay`, doubled with each further failure up to
/// `max_delay`. The count is forgotten `window` after the last failure (or after the end of the last delay).
#[derive(Debug, Clone, Copy)]
pub struct ThrottleRule {
    /// Attempts before a delay.
    pub max_failures: i32,
    /// How long failures are remembered.
    pub window: time::Duration,
    /// The first delay.
    pub first_delay: time::Duration,
    /// The longest delay.
    pub max_delay: time::Duration,
}

impl ThrottleRule {
    /// The delay that the `failures`-th failure in a row starts, if any (doubling from the limit on, capped).
    pub fn delay(&self, failures: i32) -> Option<time::Duration> {
        if failures < self.max_failures {
            return None;
        }
        let doublings = (failures - self.max_failures).min(40) as u32;
        let secs = self.first_delay.whole_seconds().max(1).saturating_mul(1i64 << doublings.min(40));
        Some(time::Duration::seconds(secs).min(self.max_delay.max(self.first_delay)))
    }

    /// The failure counts from the limit on whose delays still differ: (count, delay); later counts get the last.
    fn steps(&self) -> Vec<(i32, time::Duration)> {
        let mut steps = Vec::new();
        let mut n = self.max_failures;
        while let Some(d) = self.delay(n) {
            steps.push((n, d));
            if d >= self.max_delay.max(self.first_delay) || steps.len() >= 48 {
                break;
            }
            n += 1;
        }
        steps
    }
}

/// An attempt as the throttle counted it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Claim {
    /// Counted (the `failures`-th in a row, this one included); `locked_until` is the delay it started, if it
    /// reached the limit: the attempt itself is still checked.
    Counted {
        /// Attempts in a row, this one included.
        failures: i32,
        /// End of the delay this attempt started.
        locked_until: Option<PrimitiveDateTime>,
    },
    /// Refused without being counted: a delay runs until then.
    Refused(PrimitiveDateTime),
}

#[derive(QueryableByName)]
struct Claimed {
    #[diesel(sql_type = diesel::sql_types::Integer)]
    failures: i32,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Timestamp>)]
    locked_until: Option<PrimitiveDateTime>,
}

/// A statement being written: its text with `?` placeholders and their binds, in order.
struct Statement<'a> {
    text: String,
    binds: Vec<crate::sql::Bind<'a>>,
}

impl<'a> Statement<'a> {
    fn push(&mut self, text: &str) {
        self.text.push_str(text);
    }

    fn bind(&mut self, bind: crate::sql::Bind<'a>) {
        self.text.push('?');
        self.binds.push(bind);
    }

    /// `CASE` giving the end of the delay that the count written by `count` starts: NULL below the limit, then
    /// one step per count, the last step for every count beyond.
    fn lock_case(&mut self, rule: &ThrottleRule, now: PrimitiveDateTime, count: &dyn Fn(&mut Statement<'a>)) {
        use crate::sql::Bind;
        self.push("CASE WHEN ");
        count(self);
        self.push(" < ");
        self.bind(Bind::I32(rule.max_failures));
        self.push(" THEN NULL");
        let steps = rule.steps();
        for (n, delay) in &steps {
            self.push(" WHEN ");
            count(self);
            self.push(" = ");
            self.bind(Bind::I32(*n));
            self.push(" THEN ");
            self.bind(Bind::Ts(now + *delay));
        }
        match steps.last() {
            Some((_, delay)) => {
                self.push(" ELSE ");
                self.bind(Bind::Ts(now + *delay));
                self.push(" END");
            }
            None => self.push(" ELSE NULL END"),
        }
    }
}

/// Counts an attempt for `key` ATOMICALLY, before its secret is checked (issue 21.3): one `INSERT … ON CONFLICT
/// DO UPDATE … RETURNING` statement raises the count and, at the limit, sets the delay, unless a delay runs, in
/// which case nothing changes and the attempt is refused. However many attempts arrive at once, each gets its own
/// count, so at most `max_failures` of them are checked before the delay refuses the rest.
pub fn claim(
    conn: &mut DbConnection,
    key: ThrottleKey,
    value: &str,
    now: PrimitiveDateTime,
    rule: &ThrottleRule,
) -> RepoResult<Claim> {
    use crate::sql::{self, Bind};
    let (t, k) = (key.table(), key.column());
    let cutoff = now - rule.window;
    let mut q = Statement { text: String::new(), binds: Vec::new() };
    q.push(&format!("INSERT INTO {t} ({k}, failures, window_started_at, locked_until) VALUES ("));
    q.bind(Bind::Text(value));
    q.push(", 1, ");
    q.bind(Bind::Ts(now));
    q.push(", ");
    q.lock_case(rule, now, &|q| q.push("1"));
    // The count after this attempt: 1 when the last one is older than the window (or the end of its delay).
    let count = |q: &mut Statement<'_>| {
        q.push(&format!("(CASE WHEN COALESCE({t}.locked_until, {t}.window_started_at) < "));
        q.bind(Bind::Ts(cutoff));
        q.push(&format!(" THEN 1 ELSE {t}.failures + 1 END)"));
    };
    q.push(&format!(") ON CONFLICT ({k}) DO UPDATE SET failures = "));
    count(&mut q);
    q.push(", window_started_at = ");
    q.bind(Bind::Ts(now));
    q.push(", locked_until = ");
    q.lock_case(rule, now, &count);
    q.push(&format!(" WHERE {t}.locked_until IS NULL OR {t}.locked_until <= "));
    q.bind(Bind::Ts(now));
    q.push(" RETURNING failures, locked_until");
    let rows: Vec<Claimed> = sql::load(conn, &q.text, &q.binds)?;
    if let Some(row) = rows.into_iter().next() {
        return Ok(Claim::Counted { failures: row.failures, locked_until: row.locked_until });
    }
    // A delay runs: its end, for Retry-After (a second from now if it ended in between).
    let until: Vec<Claimed> =
        sql::load(conn, &format!("SELECT failures, locked_until FROM {t} WHERE {k} = ?"), &[Bind::Text(value)])?;
    let until = until.into_iter().next().and_then(|r| r.locked_until).filter(|u| *u > now);
    Ok(Claim::Refused(until.unwrap_or(now + time::Duration::SECOND)))
}

/// A checked attempt succeeded: the login name's count is forgotten.
pub fn clear_failures(conn: &mut DbConnection, login: &str) -> RepoResult<()> {
    diesel::delete(login_throttle::table.find(login)).execute(conn)?;
    Ok(())
}

/// A checked attempt from `address` succeeded: its own count is taken back (the address's earlier failures
/// stay, so a valid account does not wipe the count of guesses made from the same place) and the delay it may
/// have started is lifted.
pub fn address_succeeded(conn: &mut DbConnection, address: &str) -> RepoResult<()> {
    use crate::schema::login_address_throttle as a;
    diesel::update(a::table.find(address).filter(a::failures.gt(0)))
        .set((a::failures.eq(a::failures - 1), a::locked_until.eq(None::<PrimitiveDateTime>)))
        .execute(conn)?;
    Ok(())
}

/// Lock state of a login name.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = login_throttle)]
#[diesel(check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct Throttle {
    /// Login name tried.
    pub login: String,
    /// Failures in a row.
    pub failures: i32,
    /// Last counted attempt.
    pub window_started_at: PrimitiveDateTime,
    /// Until when logins are refused.
    pub locked_until: Option<PrimitiveDateTime>,
}
