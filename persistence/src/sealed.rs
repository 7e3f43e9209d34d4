//! Encryption at rest of resident ID numbers and phone numbers (issue 21.10).
//!
//! A sealed value is stored in the column that held the clear text, as `v1:<key id>:<base64(nonce ‖ ciphertext)>`:
//! AES-256-GCM (RustCrypto `aes-gcm`) under the data key `key id`, with a random 96-bit nonce drawn from the
//! operating system for every value, so equal numbers never give equal stored text. Equality, uniqueness and search
//! go through a separate keyed hash column (`id_number_hash`: hex HMAC-SHA256 under the hash key, which is not a
//! data key), never through the ciphertext.
//!
//! Reading opens a value under any configured key id; an unknown key id or a value that fails authentication is a
//! deserialization error, hence [`crate::RepoError::Corrupt`] naming the field, logged, never a default. A value
//! without the `v1:` prefix is a row written before this format (clear text): it reads as it is until
//! `retiree-service encrypt-data` (`crate::sealing`) has sealed it; an ID number or a phone never starts with `v`.
//!
//! The keys are installed once per process ([`install`]) from the environment (`DATA_KEYS`, `DATA_KEY_ID`,
//! `DATA_HASH_KEY`, see docs/configuration.md); models read sealed columns through [`Opened`] /
//! [`OptOpened`], and repositories seal with [`seal`] / [`seal_opt`] and hash with [`hash`] before writing.

use std::fmt;
use std::sync::{Arc, RwLock};

use aes_gcm::aead::{Aead, AeadCore, KeyInit, OsRng};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use diesel::backend::Backend;
use diesel::deserialize::{self, FromSql, FromSqlRow};
use diesel::sql_types::{Nullable, Text};
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::{RepoError, RepoResult};

/// The format tag of sealed values.
pub const PREFIX: &str = "v1:";

/// Why keys could not be built or a value could not be opened.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    /// A configuration value is malformed.
    #[error("{0}")]
    Config(String),
    /// The stored value names a key id that is not configured.
    #[error("sealed value under unknown key id {0:?}")]
    UnknownKey(String),
    /// The stored value is not `v1:<key id>:<base64>` or fails authentication.
    #[error("sealed value under key id {0:?} does not open (damaged or not sealed with this key)")]
    Damaged(String),
}

/// The data keys (by id), the active one and the hash key.
pub struct DataKeys {
    keys: Vec<(String, Aes256Gcm)>,
    active: usize,
    hash_key: Vec<u8>,
}

impl fmt::Debug for DataKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ids: Vec<&str> = self.keys.iter().map(|(id, _)| id.as_str()).collect();
        f.debug_struct("DataKeys").field("ids", &ids).field("active", &self.active_id()).finish_non_exhaustive()
    }
}

impl DataKeys {
    /// Keys from raw bytes: `keys` (id, 32-byte key), the active id, the hash key (at least 32 bytes).
    pub fn new(keys: &[(String, Vec<u8>)], active: &str, hash_key: Vec<u8>) -> Result<Self, KeyError> {
        let mut out = Vec::new();
        for (id, bytes) in keys {
            if id.is_empty() || !id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') {
                return Err(KeyError::Config(format!("data key id {id:?}: letters, digits, '-' or '_' only")));
            }
            if bytes.len() != 32 {
                return Err(KeyError::Config(format!("data key {id:?}: {} bytes, AES-256 needs 32", bytes.len())));
            }
            if out.iter().any(|(k, _): &(String, Aes256Gcm)| k == id) {
                return Err(KeyError::Config(format!("data key id {id:?} given twice")));
            }
            let cipher = Aes256Gcm::new_from_slice(bytes)
                .map_err(|_| KeyError::Config(format!("data key {id:?}: not an AES-256 key")))?;
            out.push((id.clone(), cipher));
        }
        let active = out
            .iter()
            .position(|(id, _)| id == active)
            .ok_or_else(|| KeyError::Config(format!("DATA_KEY_ID {active:?} is not one of DATA_KEYS")))?;
        if hash_key.len() < 32 {
            return Err(KeyError::Config(format!("DATA_HASH_KEY: {} bytes, at least 32 needed", hash_key.len())));
        }
        Ok(Self { keys: out, active, hash_key })
    }

    /// Keys from the configuration's text: `data_keys` = `id:base64,id:base64…`, the active id, the hash key in
    /// base64.
    pub fn parse(data_keys: &str, active: &str, hash_key: &str) -> Result<Self, KeyError> {
        let mut keys = Vec::new();
        for part in data_keys.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (id, b64) = part
                .split_once(':')
                .ok_or_else(|| KeyError::Config("DATA_KEYS: each entry is <key id>:<base64 key>".to_owned()))?;
            let bytes = B64
                .decode(b64.trim())
                .map_err(|e| KeyError::Config(format!("DATA_KEYS: key {id:?} is not base64 ({e})")))?;
            keys.push((id.trim().to_owned(), bytes));
        }
        if keys.is_empty() {
            return Err(KeyError::Config("DATA_KEYS is empty".to_owned()));
        }
        let hash =
            B64.decode(hash_key.trim()).map_err(|e| KeyError::Config(format!("DATA_HASH_KEY is not base64 ({e})")))?;
        Self::new(&keys, active.trim(), hash)
    }

    /// Fresh random keys (one data key `dev1`) as the three configuration values, for a development key file.
    pub fn generate() -> (String, String, String) {
        let key = Aes256Gcm::generate_key(OsRng);
        let hash = Aes256Gcm::generate_key(OsRng);
        (format!("dev1:{}", B64.encode(key)), "dev1".to_owned(), B64.encode(hash))
    }

    /// Fixed keys for tests: `t1` (active) and `t2`, and a fixed hash key. Never for real data.
    pub fn for_tests() -> Self {
        Self::for_tests_active("t1")
    }

    /// The test keys with `active` (`t1` or `t2`) as the active key.
    pub fn for_tests_active(active: &str) -> Self {
        let keys = [("t1".to_owned(), vec![0x11; 32]), ("t2".to_owned(), vec![0x22; 32])];
        // The test keys are valid by construction.
        Self::new(&keys, active, vec![0x33; 32]).unwrap_or_else(|_| unreachable!("fixed test keys are valid"))
    }

    /// The active key id (new values are sealed under it).
    pub fn active_id(&self) -> &str {
        &self.keys[self.active].0
    }

    /// Whether `id` is a configured key id.
    pub fn knows(&self, id: &str) -> bool {
        self.keys.iter().any(|(k, _)| k == id)
    }

    /// Seals `clear` under the active key with a fresh random nonce.
    pub fn seal(&self, clear: &str) -> String {
        let (id, cipher) = &self.keys[self.active];
        let nonce = Aes256Gcm::generate_nonce(&mut OsRng);
        // AES-GCM refuses only plaintexts over 64 GiB.
        let ct = cipher.encrypt(&nonce, clear.as_bytes()).unwrap_or_default();
        let mut blob = Vec::with_capacity(12 + ct.len());
        blob.extend_from_slice(&nonce);
        blob.extend_from_slice(&ct);
        format!("{PREFIX}{id}:{}", B64.encode(blob))
    }

    /// Opens a stored value: a sealed one under any configured key, a value without the `v1:` prefix as it is
    /// (written before encryption at rest).
    pub fn open(&self, stored: &str) -> Result<String, KeyError> {
        let Some(rest) = stored.strip_prefix(PREFIX) else { return Ok(stored.to_owned()) };
        let (id, b64) = rest.split_once(':').ok_or_else(|| KeyError::Damaged(String::new()))?;
        let cipher = self
            .keys
            .iter()
            .find(|(k, _)| k == id)
            .map(|(_, c)| c)
            .ok_or_else(|| KeyError::UnknownKey(id.to_owned()))?;
        let blob = B64.decode(b64).map_err(|_| KeyError::Damaged(id.to_owned()))?;
        if blob.len() < 12 + 16 {
            return Err(KeyError::Damaged(id.to_owned()));
        }
        let (nonce, ct) = blob.split_at(12);
        let nonce: [u8; 12] = nonce.try_into().map_err(|_| KeyError::Damaged(id.to_owned()))?;
        let clear = cipher.decrypt(&Nonce::from(nonce), ct).map_err(|_| KeyError::Damaged(id.to_owned()))?;
        String::from_utf8(clear).map_err(|_| KeyError::Damaged(id.to_owned()))
    }

    /// The keyed hash of a clear value (lower-case hex HMAC-SHA256 under the hash key): equal values, equal hashes.
    pub fn hash(&self, clear: &str) -> String {
        // HMAC takes keys of any length.
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.hash_key).unwrap_or_else(|_| unreachable!());
        mac.update(clear.as_bytes());
        mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect()
    }
}

/// The key id of a stored value, `None` for a value written in clear before encryption at rest.
pub fn key_id_of(stored: &str) -> Option<&str> {
    stored.strip_prefix(PREFIX).and_then(|rest| rest.split_once(':')).map(|(id, _)| id)
}

static KEYS: RwLock<Option<Arc<DataKeys>>> = RwLock::new(None);

/// Installs the process's keys (at start; tests install the fixed test keys, the same in every test).
pub fn install(keys: impl Into<Arc<DataKeys>>) {
    let mut slot = KEYS.write().unwrap_or_else(|p| p.into_inner());
    *slot = Some(keys.into());
}

/// Installs the fixed test keys unless keys are installed already.
pub fn install_test_keys() {
    let mut slot = KEYS.write().unwrap_or_else(|p| p.into_inner());
    if slot.is_none() {
        *slot = Some(Arc::new(DataKeys::for_tests()));
    }
}

/// The installed keys.
pub fn keys() -> RepoResult<Arc<DataKeys>> {
    KEYS.read()
        .unwrap_or_else(|p| p.into_inner())
        .clone()
        .ok_or_else(|| RepoError::Corrupt("data keys are not configured (DATA_KEYS)".to_owned()))
}

/// Seals `clear` under the installed active key.
pub fn seal(clear: &str) -> RepoResult<String> {
    Ok(keys()?.seal(clear))
}

/// Seals an optional value.
pub fn seal_opt(clear: Option<&str>) -> RepoResult<Option<String>> {
    let keys = keys()?;
    Ok(clear.map(|c| keys.seal(c)))
}

/// The keyed hash of `clear` under the installed hash key.
pub fn hash(clear: &str) -> RepoResult<String> {
    Ok(keys()?.hash(clear))
}

/// Opens a stored value with the installed keys; failure is [`RepoError::Corrupt`] naming `table`, `id` and
/// `column`, logged.
pub fn open(table: &str, id: impl fmt::Display, column: &str, stored: &str) -> RepoResult<String> {
    keys()?.open(stored).map_err(|e| crate::typed::corrupt(table, id, column, e))
}

/// Opens a stored value with `keys`; failure is [`RepoError::Corrupt`] naming `table`, `id` and `column`, logged.
pub fn open_with(
    keys: &DataKeys,
    table: &str,
    id: impl fmt::Display,
    column: &str,
    stored: &str,
) -> RepoResult<String> {
    keys.open(stored).map_err(|e| crate::typed::corrupt(table, id, column, e))
}

/// A sealed `Text` column read as its clear value (`#[diesel(deserialize_as = Opened)]` on a `String` field).
#[derive(Debug, Clone, PartialEq, Eq, FromSqlRow)]
pub struct Opened(pub String);

impl<DB> FromSql<Text, DB> for Opened
where
    DB: Backend,
    String: FromSql<Text, DB>,
{
    fn from_sql(bytes: DB::RawValue<'_>) -> deserialize::Result<Self> {
        let text = <String as FromSql<Text, DB>>::from_sql(bytes)?;
        let keys = keys().map_err(|e| Box::new(e) as Box<dyn std::error::Error + Send + Sync>)?;
        Ok(Opened(keys.open(&text)?))
    }
}

impl From<Opened> for String {
    fn from(o: Opened) -> Self {
        o.0
    }
}

/// A nullable sealed column (`#[diesel(deserialize_as = OptOpened)]` on an `Option<String>` field).
#[derive(Debug, Clone, PartialEq, Eq, FromSqlRow)]
pub struct OptOpened(pub Option<String>);

impl<DB> FromSql<Nullable<Text>, DB> for OptOpened
where
    DB: Backend,
    String: FromSql<Text, DB>,
{
    fn from_sql(bytes: DB::RawValue<'_>) -> deserialize::Result<Self> {
        Ok(OptOpened(Some(<Opened as FromSql<Text, DB>>::from_sql(bytes)?.0)))
    }

    fn from_nullable_sql(bytes: Option<DB::RawValue<'_>>) -> deserialize::Result<Self> {
        match bytes {
            Some(bytes) => Self::from_sql(bytes),
            None => Ok(OptOpened(None)),
        }
    }
}

impl From<OptOpened> for Option<String> {
    fn from(o: OptOpened) -> Self {
        o.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealing_is_randomised_and_opens_under_any_configured_key() {
        let k1 = DataKeys::for_tests();
        let a = k1.seal("350203195501010016");
        let b = k1.seal("350203195501010016");
        assert_ne!(a, b, "a fresh nonce per value");
        assert!(a.starts_with("v1:t1:") && !a.contains("350203"));
        assert_eq!(k1.open(&a).unwrap(), "350203195501010016");
        let k2 = DataKeys::for_tests_active("t2");
        let c = k2.seal("13812345678");
        assert_eq!(key_id_of(&c), Some("t2"));
        assert_eq!(k1.open(&c).unwrap(), "13812345678");
        assert_eq!(k1.hash("350203195501010016"), k2.hash("350203195501010016"));
        assert_ne!(k1.hash("350203195501010016"), k1.hash("350203195501010024"));
        assert_eq!(k1.hash("x").len(), 64);
    }

    #[test]
    fn unknown_keys_and_damaged_values_are_errors() {
        let k = DataKeys::for_tests();
        let sealed = k.seal("350203195501010016");
        let unknown = sealed.replacen("v1:t1:", "v1:zz:", 1);
        assert_eq!(k.open(&unknown), Err(KeyError::UnknownKey("zz".into())));
        let mut damaged = sealed.clone();
        damaged.pop();
        damaged.push(if sealed.ends_with('A') { 'B' } else { 'A' });
        assert!(matches!(k.open(&damaged), Err(KeyError::Damaged(_))));
        let other = DataKeys::new(&[("t1".into(), vec![9; 32])], "t1", vec![1; 32]).unwrap();
        assert!(matches!(other.open(&sealed), Err(KeyError::Damaged(_))), "same id, other key: fails authentication");
        assert_eq!(k.open("350203195501010016").unwrap(), "350203195501010016", "a legacy clear value");
    }

    #[test]
    fn configuration_is_checked() {
        let (keys, active, hash) = DataKeys::generate();
        let k = DataKeys::parse(&keys, &active, &hash).unwrap();
        assert_eq!(k.active_id(), "dev1");
        assert!(DataKeys::parse(&keys, "nope", &hash).is_err());
        assert!(DataKeys::parse("a:AAAA", "a", &hash).is_err(), "a short key");
        assert!(DataKeys::parse(&keys, &active, "AAAA").is_err(), "a short hash key");
        assert!(DataKeys::parse("", "a", &hash).is_err());
    }
}
