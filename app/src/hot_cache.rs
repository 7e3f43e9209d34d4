//! Per-process copies of what rarely changes and every request needs (issue 20): the account behind a token
//! (role, node, active, credentials generation) and the policy book of a date.
//!
//! Invalidation that reaches every replica: triggers raise a row of `cache_versions` on every change to accounts,
//! node paths or policy versions, whichever code path makes it (`persistence::cache_versions`). A process reads
//! those versions at most every [`HotCache::check_every`] (250 ms by default), before it trusts its copies; when
//! a version moved it drops the copies of that kind. So a change committed at `t` is seen by every request that
//! starts after `t + check_every` on every replica: disabling an account, changing its node or role, a password
//! change or a secret rotation take effect everywhere within that bound (well under 1 s). It works the same on
//! SQLite and PostgreSQL, needs no listener connection, and costs one indexed read of two rows per interval.
//!
//! A copy is kept only when the version read before it was loaded is still current, so a change that commits
//! between that read and the load cannot leave a stale copy behind.

use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use persistence::DbConnection;
use persistence::cache_versions::{self, CacheVersions};
use time::Date;

use crate::accounts::login::{TokenAccount, admit, token_account};
use crate::caller::Caller;
use crate::db::LOCAL_WRITES;
use crate::error::AppError;
use crate::policy_book::PolicyBook;

/// Most accounts kept; past it the copies are dropped and loaded again as requests come.
const MAX_ACCOUNTS: usize = 100_000;

#[derive(Default)]
struct State {
    /// When the versions were last read; `None` before the first read.
    checked_at: Option<Instant>,
    /// [`crate::db::LOCAL_WRITES`] as it was just before that read.
    local_writes: u64,
    versions: CacheVersions,
    accounts: HashMap<String, TokenAccount>,
    book: Option<Arc<PolicyBook>>,
}

/// The copies of one process (shared by its workers).
pub struct HotCache {
    check_every: Duration,
    state: Mutex<State>,
}

impl Default for HotCache {
    fn default() -> Self {
        Self::new(Duration::from_millis(250))
    }
}

impl HotCache {
    /// Copies trusted for at most `check_every` between two reads of the versions.
    pub fn new(check_every: Duration) -> Self {
        Self { check_every, state: Mutex::new(State::default()) }
    }

    /// The interval between two reads of the versions.
    pub fn check_every(&self) -> Duration {
        self.check_every
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // The state holds only copies: after a panic elsewhere it is still sound to use.
        self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn fresh(&self, state: &State) -> bool {
        state.checked_at.is_some_and(|t| t.elapsed() < self.check_every)
            && state.local_writes == LOCAL_WRITES.load(Ordering::SeqCst)
    }

    /// The caller behind a token, from the copy when it is fresh, else read (one query) and kept.
    pub fn cached_caller(
        &self,
        login: &str,
        kind: &str,
        generation: i64,
        client_ip: Option<String>,
        request_id: String,
    ) -> Option<Result<Caller, AppError>> {
        let state = self.lock();
        if !self.fresh(&state) {
            return None;
        }
        let account = state.accounts.get(login)?;
        Some(admit(Some(account), kind, generation, client_ip, request_id))
    }

    /// [`crate::accounts::login::authenticate`] through the cache: on `conn` only when the copy is not fresh.
    pub fn authenticate(
        &self,
        conn: &mut DbConnection,
        login: &str,
        kind: &str,
        generation: i64,
        client_ip: Option<String>,
        request_id: String,
    ) -> Result<Caller, AppError> {
        let versions = self.check(conn)?;
        if let Some(account) = self.lock().accounts.get(login).cloned() {
            return admit(Some(&account), kind, generation, client_ip, request_id);
        }
        let account = token_account(conn, login)?;
        {
            let mut state = self.lock();
            // Unknown logins are not kept: an account created later needs no invalidation to be found.
            if let Some(found) = account.as_ref().filter(|_| state.versions.accounts == versions.accounts) {
                if state.accounts.len() >= MAX_ACCOUNTS {
                    state.accounts.clear();
                }
                state.accounts.insert(login.to_owned(), found.clone());
            }
        }
        admit(account.as_ref(), kind, generation, client_ip, request_id)
    }

    /// The policy book in force on `on`, from the copy when there is one of that date and it is fresh.
    pub fn policy_book(&self, conn: &mut DbConnection, on: Date) -> Result<Arc<PolicyBook>, AppError> {
        {
            let state = self.lock();
            if self.fresh(&state)
                && let Some(book) = state.book.as_ref().filter(|b| b.on() == on)
            {
                return Ok(book.clone());
            }
        }
        let versions = self.check(conn)?;
        if let Some(book) = self.lock().book.as_ref().filter(|b| b.on() == on) {
            return Ok(book.clone());
        }
        let book = Arc::new(PolicyBook::load(conn, on)?);
        let mut state = self.lock();
        if state.versions.policies == versions.policies {
            state.book = Some(book.clone());
        }
        Ok(book)
    }

    /// Reads the versions unless they were read within the interval; drops the copies whose version moved.
    /// Answers the versions the copies now stand for.
    fn check(&self, conn: &mut DbConnection) -> Result<CacheVersions, AppError> {
        {
            let state = self.lock();
            if self.fresh(&state) {
                return Ok(state.versions);
            }
        }
        let local_writes = LOCAL_WRITES.load(Ordering::SeqCst);
        let read = cache_versions::read(conn)?;
        let mut state = self.lock();
        let first = state.checked_at.is_none();
        // Versions only rise: a read older than the state (another worker read after it) changes nothing.
        if first || read.accounts > state.versions.accounts {
            state.accounts.clear();
            state.versions.accounts = read.accounts;
        }
        if first || read.policies > state.versions.policies {
            state.book = None;
            state.versions.policies = read.policies;
        }
        state.checked_at = Some(Instant::now());
        state.local_writes = local_writes;
        Ok(read)
    }
}
