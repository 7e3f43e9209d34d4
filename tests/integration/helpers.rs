//! `TestApp`: the real service on port 0 against a fresh database, SQLite (always) or PostgreSQL (when
//! `TEST_POSTGRES_URL` is set; without it a PostgreSQL run is skipped, or fails under `REQUIRE_POSTGRES=1`), with a
//! small Xiamen fixture tree, one account per role and typed helpers. Each PostgreSQL test database is dropped with
//! its app (also on panic); leftovers of crashed runs are swept at a process's first PostgreSQL use.

use std::collections::HashMap;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use api::config::Config;
use awc::http::StatusCode;
use diesel::prelude::*;
use persistence::accounts::{self, NewAccount};
use persistence::jurisdictions::{self, NodeRow};
use persistence::{DatabaseUrl, DbConnection, Pool};
use serde_json::Value;

/// Secret the test servers sign with.
pub const SECRET: &str = "test-secret-0123456789abcdef-0123456789";
/// Password of every fixture user.
pub const PASSWORD: &str = "test-password-123";
/// Issuer and audience.
pub const ISSUER: &str = "retiree-service";
pub const AUDIENCE: &str = "retiree-api";

/// Which database a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The fixture tree: (code, name, parent).
pub const TREE: [(&str, &str, Option<&str>); 11] = [
    ("3502", "厦门市", None),
    ("350203", "思明区", Some("3502")),
    ("350206", "湖里区", Some("3502")),
    ("350203001", "厦港街道", Some("350203")),
    ("350203003", "中华街道", Some("350203")),
    ("350206001", "湖里街道", Some("350206")),
    ("350203001001", "鸿山社区居委会", Some("350203001")),
    ("350203001004", "蜂巢山社区居委会", Some("350203001")),
    ("350203003001", "仁安社区居委会", Some("350203003")),
    ("350206001001", "湖里社区居委会", Some("350206001")),
    ("350206001002", "村里社区居委会", Some("350206001")),
];

/// Fixture accounts: (login, kind, role, node).
pub const ACCOUNTS: [(&str, &str, &str, &str); 15] = [
    ("admin", "user", "admin", "3502"),
    ("city", "user", "city_centre", "3502"),
    ("siming", "user", "district_centre", "350203"),
    ("huli", "user", "district_centre", "350206"),
    ("xiagang", "user", "street", "350203001"),
    ("hongshan", "user", "community", "350203001001"),
    ("fengchaoshan", "user", "community", "350203001004"),
    ("leader", "user", "group_leader", "350203001001"),
    ("archivist", "user", "archivist", "3502"),
    ("finance", "user", "finance", "3502"),
    ("auditor", "user", "auditor", "3502"),
    ("importer", "user", "importer", "3502"),
    ("platform", "service", "integration", "3502"),
    ("siming_admin", "user", "admin", "350203"),
    ("siming_auditor", "user", "auditor", "350203"),
];

fn password_hash() -> &'static str {
    static HASH: OnceLock<String> = OnceLock::new();
    HASH.get_or_init(|| api::auth::hash_secret(PASSWORD).expect("hash"))
}

/// A response, read whole.
#[derive(Debug)]
pub struct Resp {
    pub status: StatusCode,
    pub headers: HashMap<String, String>,
    pub body: Value,
    pub text: String,
    /// The body as received.
    pub bytes: Vec<u8>,
}

impl Resp {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(&name.to_ascii_lowercase()).map(String::as_str)
    }

    /// Asserts the status, printing the body when it differs.
    #[track_caller]
    pub fn expect(self, status: u16) -> Self {
        assert_eq!(self.status.as_u16(), status, "unexpected status; body: {}", self.text);
        self
    }

    /// Asserts a problem+json answer with this status and code.
    #[track_caller]
    pub fn problem(self, status: u16, code: &str) -> Self {
        assert_eq!(self.status.as_u16(), status, "unexpected status; body: {}", self.text);
        assert_eq!(self.header("content-type"), Some("application/problem+json"), "{}", self.text);
        assert_eq!(self.body["code"], code, "{}", self.text);
        assert_eq!(self.body["status"], status);
        self
    }

    /// The `field` of the first entry of `errors`.
    pub fn first_field(&self) -> &str {
        self.body["errors"][0]["field"].as_str().unwrap_or_default()
    }

    /// Every `(field, code)` pair of `errors`, sorted.
    pub fn fields(&self) -> Vec<(String, String)> {
        let mut v: Vec<(String, String)> = self.body["errors"]
            .as_array()
            .expect("errors")
            .iter()
            .map(|e| {
                (e["field"].as_str().unwrap_or_default().to_owned(), e["code"].as_str().unwrap_or_default().to_owned())
            })
            .collect();
        v.sort();
        v
    }
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// A running service.
pub struct TestApp {
    pub backend: Backend,
    pub base: String,
    pub pool: Pool,
    client: awc::Client,
    _dir: Option<tempfile::TempDir>,
    handle: actix_web::dev::ServerHandle,
    /// The database URL (a second replica can start on it).
    pub url: String,
    dispatcher: Option<api::webhook_dispatch::Dispatcher>,
    /// Last, so it drops after the pool: the PostgreSQL database goes with the app, also when a test panics.
    pg: Option<PgDatabase>,
}

pub use persistence::testing::{postgres_required, with_database};

/// `TEST_POSTGRES_URL`, or `None` when it is not set: the caller then skips its PostgreSQL run. Panics instead of
/// answering `None` under `REQUIRE_POSTGRES=1`.
pub fn pg_base_url() -> Option<String> {
    pg_url_or_skip(std::env::var("TEST_POSTGRES_URL").ok(), postgres_required())
}

/// The PostgreSQL URL to test on, `None` to skip; a skip when PostgreSQL is `required` is a panic.
pub fn pg_url_or_skip(url: Option<String>, required: bool) -> Option<String> {
    let url = url.filter(|u| !u.trim().is_empty());
    assert!(
        url.is_some() || !required,
        "REQUIRE_POSTGRES=1 but TEST_POSTGRES_URL is not set: the PostgreSQL run would be skipped \
         (set TEST_POSTGRES_URL, e.g. postgres://postgres@127.0.0.1:5432/postgres, or unset REQUIRE_POSTGRES)"
    );
    url
}

/// Migrations hash: a new migration gives a new template database.
fn migrations_fingerprint() -> String {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/persistence/migrations/postgres");
    let mut entries: Vec<_> = walk(std::path::Path::new(root));
    entries.sort();
    for path in entries {
        path.hash(&mut hasher);
        std::fs::read(&path).unwrap_or_default().hash(&mut hasher);
    }
    format!("{:x}", hasher.finish())
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() { out.extend(walk(&p)) } else { out.push(p) }
        }
    }
    out
}

/// A PostgreSQL test database, dropped (its connections ended) when this is dropped: after [`TestApp::finish`],
/// and also when a test panics, so a failing test leaves nothing behind.
pub struct PgDatabase {
    /// URL of the `postgres` maintenance database on the same server.
    pub admin_url: String,
    /// Database name, `retiree_test_<tag>_<pid>_<unix seconds>_<counter>` (see [`TestDbName`]).
    pub name: String,
    /// URL of this database.
    pub url: String,
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        drop_pg_database(&self.admin_url, &self.name);
    }
}

/// Prefix of every per-test database; the sweep touches no other name.
const TEST_DB_PREFIX: &str = "retiree_test_";
/// A test database older than this is a leftover whoever made it (no test runs this long).
const STALE_AFTER_SECS: u64 = 6 * 3600;

/// What a per-test database name says about the process that created it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TestDbName {
    /// `retiree_test_<tag>_<pid>_<secs>_<n>`: `tag` names the machine and pid namespace ([`process_namespace_tag`]),
    /// so `pid` can be looked up in `/proc` only when the tag is ours; `secs` is the creation time.
    Tagged { tag: String, pid: u32, created: u64 },
    /// `retiree_test_<pid>_<n>_<nanos>`, as named before the tag: no creation time, no machine.
    Legacy { pid: u32 },
}

impl TestDbName {
    pub fn parse(name: &str) -> Option<TestDbName> {
        let parts: Vec<&str> = name.strip_prefix(TEST_DB_PREFIX)?.split('_').collect();
        let numeric = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        match parts.as_slice() {
            [tag, pid, secs, n] if tag.len() == 8 && tag.bytes().all(|b| b.is_ascii_hexdigit()) && numeric(n) => {
                Some(TestDbName::Tagged { tag: (*tag).to_owned(), pid: pid.parse().ok()?, created: secs.parse().ok()? })
            }
            [pid, n, nanos] if numeric(n) && numeric(nanos) => Some(TestDbName::Legacy { pid: pid.parse().ok()? }),
            _ => None,
        }
    }

    /// Whether the database is a leftover: its process is gone, or it is older than [`STALE_AFTER_SECS`].
    /// `alive` answers for a pid of this machine and pid namespace, `None` where `/proc` cannot tell.
    pub fn is_stale(&self, our_tag: &str, now: u64, alive: &dyn Fn(u32) -> Option<bool>) -> bool {
        match self {
            TestDbName::Tagged { tag, pid, created } => {
                now.saturating_sub(*created) > STALE_AFTER_SECS || (tag == our_tag && alive(*pid) == Some(false))
            }
            // Made by the code before the tag, which ran on this machine (the test server is local).
            TestDbName::Legacy { pid } => alive(*pid) == Some(false),
        }
    }
}

/// Eight hex digits naming this machine's boot and this process's pid namespace: two processes with the same tag
/// see each other's pids in `/proc`.
pub fn process_namespace_tag() -> String {
    use std::hash::{Hash, Hasher};
    static TAG: OnceLock<String> = OnceLock::new();
    TAG.get_or_init(|| {
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        std::fs::read_to_string("/proc/sys/kernel/random/boot_id").unwrap_or_default().trim().hash(&mut hasher);
        std::fs::read_link("/proc/self/ns/pid").map(|p| p.display().to_string()).unwrap_or_default().hash(&mut hasher);
        format!("{:08x}", hasher.finish() as u32)
    })
    .clone()
}

/// Whether process `pid` exists, or `None` without a `/proc` to ask.
fn pid_alive(pid: u32) -> Option<bool> {
    std::path::Path::new("/proc/self").exists().then(|| std::path::Path::new(&format!("/proc/{pid}")).exists())
}

pub fn unix_secs() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

/// A fresh name for a per-test database.
fn new_test_db_name() -> String {
    format!(
        "{TEST_DB_PREFIX}{}_{}_{}_{}",
        process_namespace_tag(),
        std::process::id(),
        unix_secs(),
        COUNTER.fetch_add(1, Ordering::SeqCst)
    )
}

/// Once per test process, at its first PostgreSQL use: drops the test databases that earlier runs left behind
/// (a crashed or killed process never drops its own). Safe beside concurrent test processes (cargo nextest runs one
/// per test): a database whose creating process is alive is kept unless it is hours old.
fn sweep_leftover_databases(admin: &mut DbConnection) {
    static SWEPT: std::sync::Once = std::sync::Once::new();
    SWEPT.call_once(|| {
        sweep_now(admin);
    });
}

/// Drops every stale test database now; returns their names.
pub fn sweep_now(admin: &mut DbConnection) -> Vec<String> {
    let our_tag = process_namespace_tag();
    let now = unix_secs();
    let mut dropped = Vec::new();
    for name in test_database_names(admin) {
        if TestDbName::parse(&name).is_some_and(|n| n.is_stale(&our_tag, now, &pid_alive)) {
            let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).execute(admin);
            dropped.push(name);
        }
    }
    dropped
}

/// Names of the per-test databases on the server.
pub fn test_database_names(admin: &mut DbConnection) -> Vec<String> {
    #[derive(QueryableByName)]
    struct Name {
        #[diesel(sql_type = diesel::sql_types::Text)]
        datname: String,
    }
    diesel::sql_query(format!(
        "SELECT datname::text AS datname FROM pg_database WHERE starts_with(datname, '{TEST_DB_PREFIX}') ORDER BY 1"
    ))
    .load::<Name>(admin)
    .expect("list test databases")
    .into_iter()
    .map(|n| n.datname)
    .collect()
}

/// Connects to the maintenance database of `base`'s server and sweeps leftovers (once per process).
pub fn connect_admin(base: &str) -> (String, DbConnection) {
    let admin_url = with_database(base, "postgres");
    let mut admin =
        persistence::connection::establish(&DatabaseUrl::Postgres(admin_url.clone())).expect("connect to PostgreSQL");
    sweep_leftover_databases(&mut admin);
    (admin_url, admin)
}

/// Creates a database for one test from a migrated template (made once, under an advisory lock).
pub fn create_pg_database(base: &str) -> PgDatabase {
    let (admin_url, mut admin) = connect_admin(base);
    let template = format!("retiree_tmpl_{}", migrations_fingerprint());
    diesel::sql_query("SELECT pg_advisory_lock(727274)").execute(&mut admin).expect("lock");
    #[derive(QueryableByName)]
    struct Count {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let exists = diesel::sql_query(format!("SELECT count(*) AS n FROM pg_database WHERE datname = '{template}'"))
        .get_result::<Count>(&mut admin)
        .expect("query")
        .n
        > 0;
    if !exists {
        diesel::sql_query(format!("CREATE DATABASE {template}")).execute(&mut admin).expect("create template");
        let mut conn = persistence::connection::establish(&DatabaseUrl::Postgres(with_database(base, &template)))
            .expect("connect");
        persistence::run_migrations(&mut conn).expect("migrate template");
    }
    let name = new_test_db_name();
    let created = diesel::sql_query(format!("CREATE DATABASE {name} TEMPLATE {template}")).execute(&mut admin);
    diesel::sql_query("SELECT pg_advisory_unlock(727274)").execute(&mut admin).expect("unlock");
    created.expect("create test db");
    PgDatabase { url: with_database(base, &name), admin_url, name }
}

/// Creates an empty database (no migrations run), dropped like the others.
pub fn create_empty_pg_database(base: &str) -> PgDatabase {
    let (admin_url, mut admin) = connect_admin(base);
    let name = new_test_db_name();
    diesel::sql_query(format!("CREATE DATABASE {name} TEMPLATE template0")).execute(&mut admin).expect("create db");
    PgDatabase { url: with_database(base, &name), admin_url, name }
}

/// Drops a test database (connections to it are ended); errors are ignored, a later sweep retries.
pub fn drop_pg_database(admin_url: &str, name: &str) {
    if let Ok(mut conn) = persistence::connection::establish(&DatabaseUrl::Postgres(admin_url.to_owned())) {
        let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).execute(&mut conn);
    }
}

/// The day every test server takes as today (`BUSINESS_DATE`): tests judge ages, deadlines and months on a
/// fixed day, so that a run on 1 January or 29 February sees what any other day's run sees.
pub const TODAY: &str = "2026-12-06";

/// [`TODAY`] as a date.
pub fn today() -> time::Date {
    time::Date::parse(TODAY, time::macros::format_description!("[year]-[month]-[day]")).expect("TODAY")
}

/// `DATA_KEYS` of the test servers: the fixed test keys t1 and t2.
pub const TEST_DATA_KEYS: &str =
    "t1:ERERERERERERERERERERERERERERERERERERERERERE=,t2:IiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiI=";
/// `DATA_HASH_KEY` of the test servers.
pub const TEST_HASH_KEY: &str = "MzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzM=";

/// Configuration of a test server.
pub fn test_config(url: &str, extra: &[(&str, &str)]) -> Config {
    let mut vars: HashMap<String, String> = [
        ("DATABASE_URL", url),
        ("BUSINESS_DATE", TODAY),
        ("JWT_SECRET", SECRET),
        ("BIND_ADDR", "127.0.0.1:0"),
        ("DB_POOL_SIZE", "4"),
        ("HTTP_WORKERS", "1"),
        ("LOGIN_MAX_FAILURES", "3"),
        ("LOGIN_LOCK_SECONDS", "120"),
        ("JSON_BODY_LIMIT_BYTES", "65536"),
        // Webhook tests turn delivery on; elsewhere no dispatcher polls the test database.
        ("WEBHOOK_ALLOWED_HOSTS", "127.0.0.1"),
        ("WEBHOOK_DISPATCH", "off"),
        // The partition tests run the job by hand (issue 28).
        ("PARTITION_JOB", "off"),
        // The fixed test data keys (persistence::sealed::DataKeys::for_tests): t1 active, t2 known (issue 21.10).
        ("DATA_KEYS", TEST_DATA_KEYS),
        ("DATA_KEY_ID", "t1"),
        ("DATA_HASH_KEY", TEST_HASH_KEY),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    for (k, v) in extra {
        vars.insert(k.to_string(), v.to_string());
    }
    Config::from_lookup(&|k| vars.get(k).cloned()).expect("test config")
}

impl TestApp {
    /// Starts on SQLite.
    pub async fn sqlite() -> TestApp {
        Self::spawn(Backend::Sqlite, &[]).await.expect("sqlite always runs")
    }

    /// Starts on PostgreSQL, or `None` without `TEST_POSTGRES_URL`.
    pub async fn postgres() -> Option<TestApp> {
        Self::spawn(Backend::Postgres, &[]).await
    }

    /// Starts a server with extra settings.
    pub async fn spawn(backend: Backend, extra: &[(&str, &str)]) -> Option<TestApp> {
        let (url, dir, pg) = match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().expect("tempdir");
                (format!("sqlite://{}/test.db", dir.path().display()), Some(dir), None)
            }
            Backend::Postgres => {
                let base = pg_base_url()?;
                let db = actix_web::rt::task::spawn_blocking(move || create_pg_database(&base)).await.expect("join");
                (db.url.clone(), None, Some(db))
            }
        };
        let config = test_config(&url, extra);
        let db_url = url.clone();
        let pool = actix_web::rt::task::spawn_blocking({
            let config = config.clone();
            move || {
                let pool = api::server::prepare(&config).expect("prepare");
                let mut conn = pool.get().expect("conn");
                seed_fixture(&mut conn);
                pool
            }
        })
        .await
        .expect("join");
        let (handle, dispatcher, addr) = serve(config, pool.clone());
        let client = awc::Client::builder().timeout(Duration::from_secs(120)).finish();
        Some(TestApp {
            backend,
            base: format!("http://{addr}"),
            pool,
            client,
            pg,
            _dir: dir,
            handle,
            url: db_url,
            dispatcher,
        })
    }

    /// Starts another replica of the service on this app's database (with `extra` settings); it stops when the
    /// returned guard is dropped.
    pub async fn replica(&self, extra: &[(&str, &str)]) -> Replica {
        let config = test_config(&self.url, extra);
        let pool = actix_web::rt::task::spawn_blocking({
            let config = config.clone();
            move || api::server::prepare(&config).expect("prepare")
        })
        .await
        .expect("join");
        let (handle, dispatcher, addr) = serve(config, pool);
        Replica { handle, _dispatcher: dispatcher, base: format!("http://{addr}") }
    }

    /// Stops the server and drops a PostgreSQL test database (dropping the app without this drops it too).
    pub async fn finish(self) {
        drop(self.dispatcher);
        self.handle.stop(false).await;
        drop(self.pool);
        if let Some(db) = self.pg {
            let _ = actix_web::rt::task::spawn_blocking(move || drop(db)).await;
        }
    }

    /// A pooled connection for direct checks of database effects.
    pub fn conn(&self) -> persistence::connection::PooledConnection {
        self.pool.get().expect("connection")
    }

    /// A token for a fixture login, signed like the service signs (no password check).
    pub fn token(&self, login: &str) -> String {
        let (_, kind, role, node) =
            ACCOUNTS.iter().find(|a| a.0 == login).copied().unwrap_or((login, "user", "admin", "3502"));
        sign(&claims(login, kind, role, node, 3600), SECRET)
    }

    pub async fn request(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        headers: &[(&str, &str)],
        body: Option<Vec<u8>>,
    ) -> Resp {
        let method = awc::http::Method::from_bytes(method.as_bytes()).expect("method");
        let mut req = self.client.request(method, format!("{}{}", self.base, path));
        if let Some(t) = token {
            req = req.insert_header(("Authorization", format!("Bearer {t}")));
        }
        for (k, v) in headers {
            req = req.insert_header((*k, *v));
        }
        let mut res = match body {
            Some(b) => req.send_body(b).await.expect("send"),
            None => req.send().await.expect("send"),
        };
        let bytes = res.body().limit(64 << 20).await.expect("body");
        let text = String::from_utf8_lossy(&bytes).to_string();
        let headers = res
            .headers()
            .iter()
            .map(|(k, v)| (k.as_str().to_ascii_lowercase(), v.to_str().unwrap_or_default().to_owned()))
            .collect();
        Resp {
            status: res.status(),
            headers,
            body: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
            text,
            bytes: bytes.to_vec(),
        }
    }

    pub async fn get(&self, path: &str, login: &str) -> Resp {
        let token = self.token(login);
        self.request("GET", path, Some(&token), &[], None).await
    }

    pub async fn post(&self, path: &str, login: &str, body: &Value) -> Resp {
        let token = self.token(login);
        self.request(
            "POST",
            path,
            Some(&token),
            &[("Content-Type", "application/json")],
            Some(body.to_string().into_bytes()),
        )
        .await
    }

    pub async fn post_with(&self, path: &str, login: &str, body: &Value, headers: &[(&str, &str)]) -> Resp {
        let token = self.token(login);
        let mut all = vec![("Content-Type", "application/json")];
        all.extend_from_slice(headers);
        self.request("POST", path, Some(&token), &all, Some(body.to_string().into_bytes())).await
    }

    pub async fn patch(&self, path: &str, login: &str, body: &Value, if_match: Option<&str>) -> Resp {
        let token = self.token(login);
        let mut headers = vec![("Content-Type", "application/json")];
        if let Some(m) = if_match {
            headers.push(("If-Match", m));
        }
        self.request("PATCH", path, Some(&token), &headers, Some(body.to_string().into_bytes())).await
    }

    /// Creates a retiree as `login` and returns the answer (expects 201).
    pub async fn create_retiree(&self, login: &str, body: &Value) -> Value {
        self.post("/api/v1/retirees", login, body).await.expect(201).body
    }

    /// Rows in the audit log with this action.
    pub fn audit_count(&self, action: &str) -> i64 {
        use persistence::schema::audit_log::dsl;
        dsl::audit_log.filter(dsl::action.eq(action)).count().get_result(&mut *self.conn()).expect("count")
    }

    /// Rows in a table.
    pub fn count(&self, table: &str) -> i64 {
        #[derive(QueryableByName)]
        struct Count {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        diesel::sql_query(format!("SELECT count(*) AS n FROM {table}"))
            .get_result::<Count>(&mut *self.conn())
            .expect("count")
            .n
    }
}

/// An integration (data platform) service account bound to `node`; returns its token.
pub fn platform_at(app: &TestApp, login: &str, node: &str) -> String {
    persistence::accounts::create(
        &mut app.conn(),
        &persistence::accounts::NewAccount {
            kind: "service".into(),
            login: login.into(),
            secret_hash: "unused".into(),
            display_name: login.into(),
            role: "integration".into(),
            jurisdiction_code: node.into(),
        },
    )
    .unwrap();
    sign(&claims(login, "service", "integration", node, 3600), SECRET)
}

/// Starts the service on a free port in the test's runtime; returns its handle, dispatcher and address.
fn serve(
    config: Config,
    pool: Pool,
) -> (actix_web::dev::ServerHandle, Option<api::webhook_dispatch::Dispatcher>, std::net::SocketAddr) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let started = api::server::start(config, pool, Some(listener)).expect("start");
    let handle = started.server.handle();
    actix_web::rt::spawn(started.server);
    (handle, started.dispatcher, started.addr)
}

/// A second replica started by [`TestApp::replica`].
pub struct Replica {
    handle: actix_web::dev::ServerHandle,
    _dispatcher: Option<api::webhook_dispatch::Dispatcher>,
    /// Its address (`http://127.0.0.1:PORT`): its own `/metrics`.
    pub base: String,
}

impl Replica {
    /// Stops it.
    pub async fn stop(self) {
        self.handle.stop(false).await;
    }
}

/// Claims as the service issues them.
pub fn claims(login: &str, kind: &str, role: &str, node: &str, ttl: i64) -> api::auth::Claims {
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    api::auth::Claims {
        sub: login.into(),
        kind: kind.into(),
        role: role.into(),
        jurisdiction: node.into(),
        iat: now,
        exp: now + ttl,
        iss: ISSUER.into(),
        aud: AUDIENCE.into(),
        generation: 0,
    }
}

/// HS256-signs claims with `secret`.
pub fn sign(claims: &api::auth::Claims, secret: &str) -> String {
    jsonwebtoken::encode(
        &jsonwebtoken::Header::default(),
        claims,
        &jsonwebtoken::EncodingKey::from_secret(secret.as_bytes()),
    )
    .expect("sign")
}

fn seed_fixture(conn: &mut DbConnection) {
    persistence::write_tx(conn, |conn| -> Result<(), persistence::RepoError> {
        let mut paths: HashMap<&str, String> = HashMap::new();
        for (code, name, parent) in TREE {
            let path = domain::jurisdiction::child_path(parent.and_then(|p| paths.get(p)).map(String::as_str), code);
            paths.insert(code, path.clone());
            let level = domain::JurisdictionCode::parse(code).expect("code").level();
            jurisdictions::create(
                conn,
                &NodeRow {
                    code: code.into(),
                    name: name.into(),
                    level: level.as_str().into(),
                    parent_code: parent.map(Into::into),
                    path,
                },
                "fixture",
            )?;
        }
        for (login, kind, role, node) in ACCOUNTS {
            accounts::create(
                conn,
                &NewAccount {
                    kind: kind.into(),
                    login: login.into(),
                    secret_hash: password_hash().to_owned(),
                    display_name: login.into(),
                    role: role.into(),
                    jurisdiction_code: node.into(),
                },
            )?;
        }
        Ok(())
    })
    .expect("fixture");
}

/// A valid resident ID (GB 11643) for an area, birth date and sequence.
pub fn id_number(area: &str, birth: &str, seq: u16) -> String {
    let first = format!("{area}{birth}{:03}", seq % 1000);
    format!("{first}{}", domain::id_number::check_char(first.as_bytes()))
}

/// A retiree body for the community `community` with a unique ID from `seq`.
pub fn retiree_body(community: &str, seq: u16) -> Value {
    serde_json::json!({
        "name": "张三",
        "id_number": id_number("350203", "19550101", seq * 2 + 1),
        "retirement_date": "2015-01-01",
        "category": "enterprise_employee",
        "management_level": "city_managed",
        "community_code": community,
        "phone": "13812345678",
        "address": "厦门市思明区厦港街道大学路1号",
        "monthly_pension": "3500.00",
        "party_member": false
    })
}

/// (line, field, code) of each entry of a report's or problem's `errors`.
pub fn row_errors(body: &Value) -> Vec<(u64, String, String)> {
    body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["line"].as_u64().unwrap(),
                e["field"].as_str().unwrap().to_owned(),
                e["code"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// An expected `(line, field, code)`.
pub fn err(line: u64, field: &str, code: &str) -> (u64, String, String) {
    (line, field.to_owned(), code.to_owned())
}

/// Asserts the counters of an import report.
#[track_caller]
pub fn assert_report(body: &Value, mode: &str, rows: u64, created: u64, updated: u64, unchanged: u64, rejected: u64) {
    assert_eq!(body["mode"], mode, "{body}");
    assert_eq!(
        [&body["rows"], &body["created"], &body["updated"], &body["unchanged"], &body["rejected"]],
        [
            &serde_json::json!(rows),
            &serde_json::json!(created),
            &serde_json::json!(updated),
            &serde_json::json!(unchanged),
            &serde_json::json!(rejected)
        ],
        "rows, created, updated, unchanged, rejected: {body}"
    );
}

/// Runs each case on SQLite and, when `TEST_POSTGRES_URL` is set, on PostgreSQL (without it the PostgreSQL run is
/// skipped, or fails under `REQUIRE_POSTGRES=1`).
#[macro_export]
macro_rules! both_backends {
    ($(async fn $name:ident($app:ident: &TestApp) $body:block)*) => {
        $(
            mod $name {
                #[allow(unused_imports)]
                use super::*;

                async fn case($app: &$crate::helpers::TestApp) $body

                #[actix_web::test]
                async fn sqlite() {
                    let app = $crate::helpers::TestApp::sqlite().await;
                    case(&app).await;
                    app.finish().await;
                }

                #[actix_web::test]
                async fn postgres() {
                    let Some(app) = $crate::helpers::TestApp::postgres().await else {
                        eprintln!("TEST_POSTGRES_URL not set: PostgreSQL run skipped");
                        return;
                    };
                    case(&app).await;
                    app.finish().await;
                }
            }
        )*
    };
}
