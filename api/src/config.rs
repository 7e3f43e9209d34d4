//! Configuration from the environment. Every setting is listed in `docs/configuration.md`; an unusable value
//! stops the service at start with a message naming the variable.

use std::path::PathBuf;
use std::time::Duration;

use app::db::DatabaseUrl;

/// Default SQLite database when `DATABASE_URL` is unset.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://data/retiree-service.db";
/// Default listen address.
pub const DEFAULT_BIND_ADDR: &str = "127.0.0.1:8080";
/// Shortest accepted HMAC secret.
pub const MIN_SECRET_BYTES: usize = 32;

/// How tokens are signed.
#[derive(Clone)]
pub enum JwtKeys {
    /// HS256 with a shared secret.
    Secret(Vec<u8>),
    /// RS256, ES256 or EdDSA with a PEM key pair.
    KeyPair {
        /// Algorithm.
        algorithm: jsonwebtoken::Algorithm,
        /// PEM of the private key.
        private_pem: Vec<u8>,
        /// PEM of the public key.
        public_pem: Vec<u8>,
    },
}

impl std::fmt::Debug for JwtKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            JwtKeys::Secret(_) => f.write_str("JwtKeys::Secret(<redacted>)"),
            JwtKeys::KeyPair { algorithm, .. } => write!(f, "JwtKeys::KeyPair({algorithm:?})"),
        }
    }
}

/// All settings.
#[derive(Debug, Clone)]
pub struct Config {
    /// `DATABASE_URL`.
    pub database_url: DatabaseUrl,
    /// `DATABASE_READ_URL`: a PostgreSQL read replica for lists, reports, exports and the change feed (issue 28).
    pub read_database_url: Option<DatabaseUrl>,
    /// `READ_REPLICA_MAX_LAG_SECONDS`, `READ_YOUR_WRITES_SECONDS`, `READ_REPLICA_CHECK_MS`.
    pub replica: app::replica::ReplicaSettings,
    /// `BIND_ADDR`.
    pub bind_addr: String,
    /// `JWT_SECRET` or `JWT_PRIVATE_KEY_FILE` + `JWT_PUBLIC_KEY_FILE` (+ `JWT_ALGORITHM`).
    pub jwt_keys: JwtKeys,
    /// `JWT_ISSUER`.
    pub jwt_issuer: String,
    /// `JWT_AUDIENCE`.
    pub jwt_audience: String,
    /// `TOKEN_TTL_SECONDS`.
    pub token_ttl: Duration,
    /// `DB_POOL_SIZE`.
    pub pool_size: u32,
    /// `DB_POOL_TIMEOUT_SECONDS`.
    pub pool_timeout: Duration,
    /// `JSON_BODY_LIMIT_BYTES`.
    pub json_body_limit: usize,
    /// `IMPORT_BODY_LIMIT_BYTES`.
    pub import_body_limit: usize,
    /// `IMPORT_UNPACKED_LIMIT_BYTES`: a gzip upload may unpack to this much.
    pub import_unpacked_limit: u64,
    /// `HTTP_CLIENT_TIMEOUT_SECONDS`: time for a request's head, and for its body before the minimum rate applies.
    pub client_timeout: Duration,
    /// `HTTP_BODY_MIN_BYTES_PER_SECOND`.
    pub body_min_rate: u64,
    /// `LOGIN_MAX_FAILURES`.
    pub login_max_failures: i32,
    /// `LOGIN_FAILURE_WINDOW_SECONDS`.
    pub login_failure_window: Duration,
    /// `LOGIN_LOCK_SECONDS`: the first delay once the limit is reached (it doubles with each further failure).
    pub login_lock: Duration,
    /// `LOGIN_LOCK_MAX_SECONDS`: the longest delay.
    pub login_lock_max: Duration,
    /// `LOGIN_ADDRESS_MAX_FAILURES`: failed logins from one client address before its delays start.
    pub login_address_max_failures: i32,
    /// `TRUSTED_PROXIES`: peers whose forwarding headers name the client (issue 21.6).
    pub trusted_proxies: crate::client_address::TrustedProxies,
    /// Retention of the change feed and of webhook attempts (issue 21.12).
    pub retention: app::retention::Retention,
    /// The monthly partitions of the audit log and the change feed on PostgreSQL (issue 28): months ahead,
    /// audit retention and archive, run period.
    pub partitioning: app::partitions::Partitioning,
    /// `HTTP_WORKERS` (0: one per core).
    pub workers: usize,
    /// Webhook delivery settings.
    pub webhooks: WebhookConfig,
    /// `WEBHOOK_CA_BUNDLE`: a PEM file of the CAs `https` webhook receivers' certificates must chain to (only
    /// those); unset, the operating system's roots. Checked at start: it must hold at least one certificate.
    pub webhook_ca_bundle: Option<PathBuf>,
    /// `AUDIT_BATCH_MAX` (entries per group commit, default 512) and `AUDIT_BATCH_WAIT_MS` (how long a batch
    /// gathers after its first entry, default 0: what queued while the previous batch committed) (issue 20).
    pub audit_writer: app::audit_writer::AuditWriterOptions,
    /// `SQLITE_BULK_CACHE_MIB`: the page cache of a SQLite connection during an import or a certification run
    /// (default 16, 0 = SQLite's 2 MiB; docs/performance.md, "SQLite bulk page cache"). Ignored on PostgreSQL.
    pub sqlite_bulk_cache_mib: u32,
    /// `BUSINESS_DATE` (YYYY-MM-DD): pins today in China to this date for training installations and tests (the
    /// time of day keeps running); unset, the system clock.
    pub clock: app::Clock,
    /// `DATA_KEYS`, `DATA_KEY_ID`, `DATA_HASH_KEY`: the keys sealing resident ID numbers and phones at rest (issue
    /// 21.10). Required on PostgreSQL; on SQLite without them, a generated key file beside the database.
    pub data_keys: std::sync::Arc<app::data_keys::DataKeys>,
}

/// Webhook delivery (issue 11).
pub use app::webhooks::WebhookConfig;

/// A setting that cannot be used.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ConfigError(pub String);

type Env<'a> = &'a dyn Fn(&str) -> Option<String>;

impl Config {
    /// Reads the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(&|k| std::env::var(k).ok().filter(|v| !v.trim().is_empty()))
    }

    /// Reads settings through `env` (tests pass a map).
    pub fn from_lookup(env: Env<'_>) -> Result<Self, ConfigError> {
        let database_url = DatabaseUrl::parse(&env("DATABASE_URL").unwrap_or_else(|| DEFAULT_DATABASE_URL.into()))
            .map_err(ConfigError)?;
        let read_database_url = match env("DATABASE_READ_URL") {
            None => None,
            Some(text) => match (DatabaseUrl::parse(&text).map_err(ConfigError)?, &database_url) {
                (read @ DatabaseUrl::Postgres(_), DatabaseUrl::Postgres(_)) => Some(read),
                _ => {
                    return Err(ConfigError(
                        "DATABASE_READ_URL: a read replica is a PostgreSQL standby of the PostgreSQL DATABASE_URL"
                            .into(),
                    ));
                }
            },
        };
        let jwt_keys = jwt_keys(env, &database_url)?;
        let data_keys = std::sync::Arc::new(data_keys(env, &database_url)?);
        let bind_addr = env("BIND_ADDR").unwrap_or_else(|| DEFAULT_BIND_ADDR.into());
        if bind_addr.parse::<std::net::SocketAddr>().is_err() {
            return Err(ConfigError(format!("BIND_ADDR: '{bind_addr}' is not host:port, e.g. 127.0.0.1:8080")));
        }
        let clock = match env("BUSINESS_DATE") {
            None => app::Clock::System,
            Some(text) => {
                let format = time::macros::format_description!("[year]-[month]-[day]");
                let date = time::Date::parse(text.trim(), &format)
                    .map_err(|_| ConfigError(format!("BUSINESS_DATE: '{text}' is not a date YYYY-MM-DD")))?;
                app::Clock::shifted_to(date)
            }
        };
        let webhook_ca_bundle = env("WEBHOOK_CA_BUNDLE").map(|p| PathBuf::from(p.trim()));
        if let Some(path) = &webhook_ca_bundle {
            crate::webhook_dispatch::trust_roots(Some(path)).map_err(ConfigError)?;
        }
        Ok(Self {
            webhook_ca_bundle,
            clock,
            database_url,
            read_database_url,
            replica: app::replica::ReplicaSettings {
                max_lag: Duration::from_secs(number(env, "READ_REPLICA_MAX_LAG_SECONDS", 10, 1, 3600)?),
                read_your_writes: Duration::from_secs(number(env, "READ_YOUR_WRITES_SECONDS", 5, 0, 3600)?),
                check_every: Duration::from_millis(number(env, "READ_REPLICA_CHECK_MS", 1000, 50, 60_000)?),
            },
            bind_addr,
            jwt_keys,
            data_keys,
            jwt_issuer: env("JWT_ISSUER").unwrap_or_else(|| "retiree-service".into()),
            jwt_audience: env("JWT_AUDIENCE").unwrap_or_else(|| "retiree-api".into()),
            token_ttl: Duration::from_secs(number(env, "TOKEN_TTL_SECONDS", 3600, 60, 86_400)?),
            pool_size: number(env, "DB_POOL_SIZE", 10, 1, 500)? as u32,
            pool_timeout: Duration::from_secs(number(env, "DB_POOL_TIMEOUT_SECONDS", 5, 1, 300)?),
            json_body_limit: number(env, "JSON_BODY_LIMIT_BYTES", 256 * 1024, 1024, 64 << 20)? as usize,
            import_body_limit: number(env, "IMPORT_BODY_LIMIT_BYTES", 512 << 20, 1024, 16 << 30)? as usize,
            import_unpacked_limit: number(env, "IMPORT_UNPACKED_LIMIT_BYTES", 2 << 30, 1 << 20, 1 << 40)?,
            client_timeout: Duration::from_secs(number(env, "HTTP_CLIENT_TIMEOUT_SECONDS", 10, 1, 3600)?),
            body_min_rate: number(env, "HTTP_BODY_MIN_BYTES_PER_SECOND", 4096, 1, 1 << 30)?,
            login_max_failures: number(env, "LOGIN_MAX_FAILURES", 5, 1, 1000)? as i32,
            login_failure_window: Duration::from_secs(number(env, "LOGIN_FAILURE_WINDOW_SECONDS", 900, 1, 86_400)?),
            login_lock: Duration::from_secs(number(env, "LOGIN_LOCK_SECONDS", 30, 1, 86_400)?),
            login_lock_max: Duration::from_secs(number(env, "LOGIN_LOCK_MAX_SECONDS", 900, 1, 86_400)?),
            login_address_max_failures: number(env, "LOGIN_ADDRESS_MAX_FAILURES", 100, 1, 100_000)? as i32,
            trusted_proxies: crate::client_address::TrustedProxies::parse(&env("TRUSTED_PROXIES").unwrap_or_default())
                .map_err(|e| ConfigError(format!("TRUSTED_PROXIES: {e}")))?,
            retention: app::retention::Retention {
                event_days: days(env, "EVENT_RETENTION_DAYS", None)?,
                webhook_attempt_days: days(env, "WEBHOOK_ATTEMPT_RETENTION_DAYS", Some(90))?,
                every: Duration::from_secs(number(env, "RETENTION_SWEEP_SECONDS", 3600, 10, 7 * 86_400)?),
                batch: number(env, "RETENTION_BATCH_ROWS", 5000, 1, 1_000_000)? as i64,
            },
            partitioning: app::partitions::Partitioning {
                enabled: on_off(env, "PARTITION_JOB", true)?,
                months_ahead: number(env, "PARTITION_MONTHS_AHEAD", 3, 1, 24)? as u32,
                audit_retention_months: audit_months(env)?,
                archive_dir: env("AUDIT_ARCHIVE_DIR").map(PathBuf::from),
                event_days: days(env, "EVENT_RETENTION_DAYS", None)?,
                every: Duration::from_secs(number(env, "PARTITION_JOB_SECONDS", 3600, 10, 7 * 86_400)?),
            },
            workers: number(env, "HTTP_WORKERS", 0, 0, 256)? as usize,
            audit_writer: app::audit_writer::AuditWriterOptions {
                max_batch: number(env, "AUDIT_BATCH_MAX", 512, 1, 100_000)? as usize,
                max_wait: Duration::from_millis(number(env, "AUDIT_BATCH_WAIT_MS", 0, 0, 1000)?),
            },
            sqlite_bulk_cache_mib: number(
                env,
                "SQLITE_BULK_CACHE_MIB",
                u64::from(app::db::DEFAULT_SQLITE_BULK_CACHE_MIB),
                0,
                16_384,
            )? as u32,
            webhooks: WebhookConfig {
                allowed_hosts: env("WEBHOOK_ALLOWED_HOSTS")
                    .map(|v| v.split(',').map(|h| h.trim().to_ascii_lowercase()).filter(|h| !h.is_empty()).collect())
                    .unwrap_or_default(),
                dispatch: on_off(env, "WEBHOOK_DISPATCH", true)?,
                poll: Duration::from_millis(number(env, "WEBHOOK_POLL_MS", 1000, 10, 60_000)?),
                timeout: Duration::from_millis(number(env, "WEBHOOK_TIMEOUT_MS", 5000, 100, 120_000)?),
                retry_base: Duration::from_millis(number(env, "WEBHOOK_RETRY_BASE_MS", 2000, 10, 3_600_000)?),
                retry_max: Duration::from_secs(number(env, "WEBHOOK_RETRY_MAX_SECONDS", 3600, 1, 86_400)?),
            },
        })
    }
}

fn number(env: Env<'_>, key: &str, default: u64, min: u64, max: u64) -> Result<u64, ConfigError> {
    let Some(text) = env(key) else { return Ok(default) };
    match text.trim().parse::<u64>() {
        Ok(v) if (min..=max).contains(&v) => Ok(v),
        _ => Err(ConfigError(format!("{key}: '{text}' is not a whole number from {min} to {max}"))),
    }
}

/// A switch: `on`/`true`/`1` or `off`/`false`/`0`; unset, `default`.
fn on_off(env: Env<'_>, key: &str, default: bool) -> Result<bool, ConfigError> {
    match env(key).as_deref().map(str::trim) {
        None => Ok(default),
        Some("on") | Some("true") | Some("1") => Ok(true),
        Some("off") | Some("false") | Some("0") => Ok(false),
        Some(other) => Err(ConfigError(format!("{key}: '{other}' is not on or off"))),
    }
}

/// `AUDIT_RETENTION_MONTHS`: `keep` or unset (never drop), or whole months from 6 (Cybersecurity Law Art. 21: network
/// logs are kept no less than six months) to 1200.
fn audit_months(env: Env<'_>) -> Result<Option<u32>, ConfigError> {
    const KEY: &str = "AUDIT_RETENTION_MONTHS";
    let Some(text) = env(KEY) else { return Ok(None) };
    let text = text.trim();
    if text.eq_ignore_ascii_case("keep") {
        return Ok(None);
    }
    match text.parse::<u32>() {
        Ok(v) if (6..=1200).contains(&v) => Ok(Some(v)),
        _ => Err(ConfigError(format!(
            "{KEY}: '{text}' is not keep or a whole number of months from 6 (Cybersecurity Law Art. 21) to 1200"
        ))),
    }
}

/// Days to keep: a whole number of days, or `keep` (never delete); unset, `default` (`None`: keep).
fn days(env: Env<'_>, key: &str, default: Option<u32>) -> Result<Option<u32>, ConfigError> {
    let Some(text) = env(key) else { return Ok(default) };
    let text = text.trim();
    if text.eq_ignore_ascii_case("keep") {
        return Ok(None);
    }
    match text.parse::<u32>() {
        Ok(v) if (1..=36_500).contains(&v) => Ok(Some(v)),
        _ => Err(ConfigError(format!("{key}: '{text}' is not keep or a whole number of days from 1 to 36500"))),
    }
}

fn jwt_keys(env: Env<'_>, database_url: &DatabaseUrl) -> Result<JwtKeys, ConfigError> {
    if let Some(private) = env("JWT_PRIVATE_KEY_FILE") {
        let public = env("JWT_PUBLIC_KEY_FILE")
            .ok_or_else(|| ConfigError("JWT_PUBLIC_KEY_FILE must be set with JWT_PRIVATE_KEY_FILE".into()))?;
        let algorithm = match env("JWT_ALGORITHM").as_deref().unwrap_or("RS256") {
            "RS256" => jsonwebtoken::Algorithm::RS256,
            "ES256" => jsonwebtoken::Algorithm::ES256,
            "EdDSA" => jsonwebtoken::Algorithm::EdDSA,
            other => {
                return Err(ConfigError(format!("JWT_ALGORITHM: '{other}' is not one of RS256, ES256, EdDSA")));
            }
        };
        let read = |key: &str, path: &str| {
            std::fs::read(path).map_err(|e| ConfigError(format!("{key}: cannot read {path}: {e}")))
        };
        let keys = JwtKeys::KeyPair {
            algorithm,
            private_pem: read("JWT_PRIVATE_KEY_FILE", &private)?,
            public_pem: read("JWT_PUBLIC_KEY_FILE", &public)?,
        };
        crate::auth::TokenKeys::new(&keys).map_err(|e| ConfigError(format!("JWT key files: {e}")))?;
        return Ok(keys);
    }
    if let Some(secret) = env("JWT_SECRET") {
        if secret.len() < MIN_SECRET_BYTES {
            return Err(ConfigError(format!(
                "JWT_SECRET is {} bytes; it must be at least {MIN_SECRET_BYTES} bytes (e.g. `openssl rand -hex 32`)",
                secret.len()
            )));
        }
        return Ok(JwtKeys::Secret(secret.into_bytes()));
    }
    match database_url {
        DatabaseUrl::Sqlite(path) => local_secret(path).map(JwtKeys::Secret),
        DatabaseUrl::Postgres(_) => Err(ConfigError(
            "JWT_SECRET (at least 32 bytes) or JWT_PRIVATE_KEY_FILE and JWT_PUBLIC_KEY_FILE must be set when \
             running on PostgreSQL, so that every replica signs and checks tokens with the same key"
                .into(),
        )),
    }
}

/// The data keys (issue 21.10): from `DATA_KEYS` / `DATA_KEY_ID` / `DATA_HASH_KEY`; on SQLite without them, the
/// development key file `data-keys` beside the database (generated on first start); on PostgreSQL, required.
fn data_keys(env: Env<'_>, database_url: &DatabaseUrl) -> Result<app::data_keys::DataKeys, ConfigError> {
    match (env("DATA_KEYS"), env("DATA_KEY_ID"), env("DATA_HASH_KEY")) {
        (Some(keys), Some(active), Some(hash)) => {
            app::data_keys::DataKeys::parse(&keys, &active, &hash).map_err(|e| ConfigError(e.to_string()))
        }
        (None, None, None) => match database_url {
            DatabaseUrl::Sqlite(path) => {
                let dir = std::path::Path::new(path).parent().map(PathBuf::from).unwrap_or_default();
                let file = dir.join("data-keys");
                let (keys, created) = app::data_keys::dev_key_file(&file).map_err(ConfigError)?;
                if created {
                    log::warn!(
                        "DATA_KEYS is not set: sealing ID numbers and phones with generated development keys kept in \
                         {} (back it up apart from the database; set DATA_KEYS in production)",
                        file.display()
                    );
                }
                Ok(keys)
            }
            DatabaseUrl::Postgres(_) => Err(ConfigError(
                "DATA_KEYS, DATA_KEY_ID and DATA_HASH_KEY must be set when running on PostgreSQL: resident ID \
                 numbers and phones are encrypted at rest with them (docs/configuration.md)"
                    .into(),
            )),
        },
        _ => Err(ConfigError("DATA_KEYS, DATA_KEY_ID and DATA_HASH_KEY are set together or not at all".into())),
    }
}

/// On the embedded database with no key configured, a random secret is kept beside the database file
/// (`jwt-secret`, mode 0600), so that `cargo run` works on a bare machine and tokens survive restarts.
fn local_secret(db_path: &str) -> Result<Vec<u8>, ConfigError> {
    let dir = std::path::Path::new(db_path).parent().map(PathBuf::from).unwrap_or_default();
    let path = dir.join("jwt-secret");
    if let Ok(existing) = std::fs::read(&path)
        && existing.len() >= MIN_SECRET_BYTES
    {
        return Ok(existing);
    }
    let mut bytes = [0u8; 48];
    rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut bytes);
    let secret = base64::Engine::encode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, bytes).into_bytes();
    if !dir.as_os_str().is_empty() {
        std::fs::create_dir_all(&dir).map_err(|e| ConfigError(format!("cannot create {}: {e}", dir.display())))?;
    }
    write_private(&path, &secret).map_err(|e| ConfigError(format!("cannot write {}: {e}", path.display())))?;
    log::warn!("JWT_SECRET is not set: signing tokens with a generated secret kept in {}", path.display());
    Ok(secret)
}

#[cfg(unix)]
fn write_private(path: &std::path::Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new().write(true).create(true).truncate(true).mode(0o600).open(path)?;
    file.write_all(bytes)
}

#[cfg(not(unix))]
fn write_private(path: &std::path::Path, bytes: &[u8]) -> std::io::Result<()> {
    std::fs::write(path, bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    /// A configuration from `vars`, with generated data keys unless `vars` name any `DATA_*` setting (so no test
    /// writes a development key file).
    fn config(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let mut map: HashMap<String, String> = vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        if !map.keys().any(|k| k.starts_with("DATA_")) {
            let (keys, active, hash) = app::data_keys::DataKeys::generate();
            map.extend([("DATA_KEYS".into(), keys), ("DATA_KEY_ID".into(), active), ("DATA_HASH_KEY".into(), hash)]);
        }
        Config::from_lookup(&|k| map.get(k).cloned())
    }

    /// A configuration from `vars` alone.
    fn bare_config(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let map: HashMap<String, String> = vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        Config::from_lookup(&|k| map.get(k).cloned())
    }

    #[test]
    fn postgres_without_data_keys_is_refused() {
        let err = bare_config(&[("JWT_SECRET", &"s".repeat(40)), ("DATABASE_URL", "postgres://x@y/z")]).unwrap_err();
        assert!(err.0.contains("DATA_KEYS, DATA_KEY_ID and DATA_HASH_KEY must be set"), "{}", err.0);
        let (keys, active, hash) = app::data_keys::DataKeys::generate();
        let ok = bare_config(&[
            ("JWT_SECRET", &"s".repeat(40)),
            ("DATABASE_URL", "postgres://x@y/z"),
            ("DATA_KEYS", &keys),
            ("DATA_KEY_ID", &active),
            ("DATA_HASH_KEY", &hash),
        ])
        .unwrap();
        assert_eq!(ok.data_keys.active_id(), "dev1");
        let err =
            bare_config(&[("JWT_SECRET", &"s".repeat(40)), ("DATABASE_URL", "postgres://x@y/z"), ("DATA_KEYS", &keys)])
                .unwrap_err();
        assert!(err.0.contains("together"), "{}", err.0);
    }

    #[test]
    fn short_secret_is_refused() {
        let err = config(&[("JWT_SECRET", "short"), ("DATABASE_URL", "postgres://x@y/z")]).unwrap_err();
        assert!(err.0.contains("JWT_SECRET is 5 bytes"), "{}", err.0);
    }

    #[test]
    fn unknown_scheme_is_refused() {
        let err = config(&[("DATABASE_READ_URL", "postgres://x@y/z")]).unwrap_err();
        assert!(err.to_string().starts_with("DATABASE_READ_URL:"), "{err}");
        let err = config(&[("DATABASE_URL", "mysql://root@localhost/db")]).unwrap_err();
        assert!(err.0.contains("unknown scheme 'mysql'"), "{}", err.0);
    }

    #[test]
    fn postgres_needs_an_explicit_key() {
        let err = config(&[("DATABASE_URL", "postgres://postgres@127.0.0.1/db")]).unwrap_err();
        assert!(err.0.contains("JWT_SECRET"), "{}", err.0);
    }

    #[test]
    fn numbers_are_range_checked() {
        let secret = "x".repeat(32);
        let err = config(&[("JWT_SECRET", &secret), ("DB_POOL_SIZE", "0")]).unwrap_err();
        assert!(err.0.starts_with("DB_POOL_SIZE"), "{}", err.0);
        let ok = config(&[("JWT_SECRET", &secret), ("DB_POOL_SIZE", "4")]).unwrap();
        assert_eq!(ok.pool_size, 4);
        assert_eq!(ok.bind_addr, DEFAULT_BIND_ADDR);
        assert_eq!(ok.sqlite_bulk_cache_mib, 16);
        let err = config(&[("JWT_SECRET", &secret), ("SQLITE_BULK_CACHE_MIB", "-1")]).unwrap_err();
        assert!(err.0.starts_with("SQLITE_BULK_CACHE_MIB"), "{}", err.0);
        let off = config(&[("JWT_SECRET", &secret), ("SQLITE_BULK_CACHE_MIB", "0")]).unwrap();
        assert_eq!(off.sqlite_bulk_cache_mib, 0);
    }

    /// A throw-away Ed25519 pair (made with `openssl genpkey -algorithm ed25519`), for the key-file path.
    const ED_PRIVATE: &str = "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEILqNa14byI7KIipGuwcj5UQaw5pll9nV3D/do6lkvndh\n-----END PRIVATE KEY-----\n";
    const ED_PUBLIC: &str = "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEADBbAbnK6poL7SA21fEG86vSbf98v+Xl771/VT3pbxpA=\n-----END PUBLIC KEY-----\n";

    #[test]
    fn key_files_sign_and_verify() {
        let dir = tempfile::tempdir().unwrap();
        let private = dir.path().join("jwt.key");
        let public = dir.path().join("jwt.pub");
        std::fs::write(&private, ED_PRIVATE).unwrap();
        std::fs::write(&public, ED_PUBLIC).unwrap();
        let cfg = config(&[
            ("DATABASE_URL", "postgres://x@y/z"),
            ("JWT_PRIVATE_KEY_FILE", private.to_str().unwrap()),
            ("JWT_PUBLIC_KEY_FILE", public.to_str().unwrap()),
            ("JWT_ALGORITHM", "EdDSA"),
        ])
        .unwrap();
        let keys = crate::auth::TokenKeys::new(&cfg.jwt_keys).unwrap();
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        let claims = crate::auth::Claims {
            sub: "u".into(),
            kind: "user".into(),
            role: "admin".into(),
            jurisdiction: "3502".into(),
            iat: now,
            exp: now + 60,
            iss: cfg.jwt_issuer.clone(),
            aud: cfg.jwt_audience.clone(),
            generation: 0,
        };
        let token = keys.sign(&claims).unwrap();
        assert_eq!(keys.verify(&token, &cfg.jwt_issuer, &cfg.jwt_audience).unwrap(), claims);
        // An HS256 token made with the public key as secret (the classic confusion attack) is refused.
        let forged = jsonwebtoken::encode(
            &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
            &claims,
            &jsonwebtoken::EncodingKey::from_secret(ED_PUBLIC.as_bytes()),
        )
        .unwrap();
        assert!(keys.verify(&forged, &cfg.jwt_issuer, &cfg.jwt_audience).is_err());
        // Missing public key file, unknown algorithm, unreadable file.
        let err = config(&[("JWT_PRIVATE_KEY_FILE", private.to_str().unwrap())]).unwrap_err();
        assert!(err.0.contains("JWT_PUBLIC_KEY_FILE"), "{}", err.0);
        let err = config(&[
            ("JWT_PRIVATE_KEY_FILE", private.to_str().unwrap()),
            ("JWT_PUBLIC_KEY_FILE", public.to_str().unwrap()),
            ("JWT_ALGORITHM", "HS512"),
        ])
        .unwrap_err();
        assert!(err.0.contains("JWT_ALGORITHM"), "{}", err.0);
        let err =
            config(&[("JWT_PRIVATE_KEY_FILE", "/nonexistent"), ("JWT_PUBLIC_KEY_FILE", "/nonexistent")]).unwrap_err();
        assert!(err.0.contains("cannot read"), "{}", err.0);
    }

    #[test]
    fn bad_bind_address_is_refused() {
        let secret = "x".repeat(32);
        assert!(config(&[("JWT_SECRET", &secret), ("BIND_ADDR", "localhost")]).is_err());
    }
}
