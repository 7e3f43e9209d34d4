//! A read of one person's data and the audit entries that must be committed before it leaves the service (issue 20;
//! PIPL Art. 51, XM Art. 29). A use case that reads personal data answers [`Audited`]; the value inside can only be
//! taken out by committing the entries: in the caller's own transaction ([`Audited::commit`]), or through the
//! group-committed writer ([`read`], what the HTTP reads use), which batches the entries of many requests into one
//! transaction and answers each only after its batch committed. Either way no personal data is answered without its
//! audit row committed, and a read no longer needs a write transaction of its own.

use persistence::audit::{self, NewAuditEntry};
use persistence::{DbConnection, Pool};

use crate::AppError;
use crate::audit_writer::AuditWriter;

/// A value read from personal data, held until its audit entries are committed.
#[must_use = "the value leaves only through commit or read, which commit its audit entries"]
#[derive(Debug)]
pub struct Audited<T> {
    value: T,
    entries: Vec<NewAuditEntry>,
}

impl<T> Audited<T> {
    /// `value`, to be answered once `entry` has committed.
    pub fn new(value: T, entry: NewAuditEntry) -> Self {
        Self { value, entries: vec![entry] }
    }

    /// The entries waiting to be committed.
    pub fn entries(&self) -> &[NewAuditEntry] {
        &self.entries
    }

    /// Appends the entries on `conn` (inside the caller's transaction, which must then commit before the value is
    /// sent) and gives the value.
    pub fn commit(self, conn: &mut DbConnection) -> Result<T, AppError> {
        for entry in &self.entries {
            audit::append(conn, entry)?;
        }
        Ok(self.value)
    }
}

/// Runs the read `f` on a pooled connection outside any write transaction, hands its audit entries to the
/// group-committed `writer`, and answers the value only once they committed; when they do not, the answer is the
/// error and nothing of the value.
pub async fn read<T, F>(pool: &Pool, writer: &AuditWriter, f: F) -> Result<T, AppError>
where
    F: FnOnce(&mut DbConnection) -> Result<Audited<T>, AppError> + Send + 'static,
    T: Send + 'static,
{
    let Audited { value, entries } = crate::db::run(pool, f).await?;
    writer.commit(entries).await?;
    Ok(value)
}
