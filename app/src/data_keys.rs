//! Encryption at rest of resident ID numbers and phones (issue 21.10): the keys the service seals and opens with,
//! installed once per process at start, and `encrypt-data`, which seals the rows still in clear and re-seals those
//! under an older key. The mechanism lives in `persistence::sealed` and `persistence::sealing`.

use std::path::Path;

pub use persistence::sealed::{DataKeys, KeyError, install};
pub use persistence::sealing::Report;

use crate::AppError;

/// The three settings of the keys (`DATA_KEYS`, `DATA_KEY_ID`, `DATA_HASH_KEY`) as found in a development key file:
/// `NAME=value` lines.
fn read_key_file(text: &str) -> Option<(String, String, String)> {
    let get = |name: &str| {
        text.lines().find_map(|l| l.trim().strip_prefix(name).and_then(|r| r.strip_prefix('=')).map(str::to_owned))
    };
    Some((get("DATA_KEYS")?, get("DATA_KEY_ID")?, get("DATA_HASH_KEY")?))
}

/// The development keys kept in `path` (SQLite installations without `DATA_KEYS`): read if the file exists,
/// generated, written (mode 0600) and logged on first start otherwise. Returns the keys and whether they were
/// created now.
pub fn dev_key_file(path: &Path) -> Result<(DataKeys, bool), String> {
    if path.exists() {
        let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let (keys, active, hash) = read_key_file(&text)
            .ok_or_else(|| format!("{}: DATA_KEYS, DATA_KEY_ID and DATA_HASH_KEY lines expected", path.display()))?;
        let keys = DataKeys::parse(&keys, &active, &hash).map_err(|e| format!("{}: {e}", path.display()))?;
        return Ok((keys, false));
    }
    let (keys, active, hash) = DataKeys::generate();
    let text = format!(
        "# Development data keys (issue 21.10), generated on first start. Losing this file loses every sealed\n\
         # ID number and phone of the database beside it: back it up apart from the database.\n\
         DATA_KEYS={keys}\nDATA_KEY_ID={active}\nDATA_HASH_KEY={hash}\n"
    );
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    write_private(path, text.as_bytes()).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    let parsed = DataKeys::parse(&keys, &active, &hash).map_err(|e| e.to_string())?;
    Ok((parsed, true))
}

/// Seals every ID number and phone still in clear and re-seals those under another key than the active one, in
/// batches, each its own transaction (restartable, safe beside serving replicas).
pub fn encrypt_data(conn: &mut crate::db::DbConnection, keys: &DataKeys) -> Result<Report, AppError> {
    Ok(persistence::sealing::run(conn, keys)?)
}

/// Rows per table not yet under the active key (what `encrypt-data` would rewrite).
pub fn pending(conn: &mut crate::db::DbConnection, keys: &DataKeys) -> Result<Vec<(String, i64)>, AppError> {
    Ok(persistence::sealing::pending(conn, keys)?)
}

#[cfg(unix)]
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    // create_new: two processes starting at once cannot both write a key file (the loser fails and is restarted).
    let mut file = std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(path)?;
    file.write_all(bytes)
}

#[cfg(not(unix))]
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    std::fs::write(path, bytes)
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_dev_key_file_is_created_once_then_read() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub").join("data-keys");
        let (first, created) = super::dev_key_file(&path).unwrap();
        assert!(created);
        let sealed = first.seal("350203195501010016");
        let (again, created) = super::dev_key_file(&path).unwrap();
        assert!(!created);
        assert_eq!(again.open(&sealed).unwrap(), "350203195501010016");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        }
    }
}
