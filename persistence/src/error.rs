//! Errors of the persistence layer, classified so the API can answer 404, 409 or 503.

use diesel::result::{DatabaseErrorKind, Error as DieselError};

/// What went wrong talking to the database.
#[derive(Debug, thiserror::Error)]
pub enum RepoError {
    /// No such row (in the caller's scope).
    #[error("not found")]
    NotFound,
    /// A unique constraint refused the write; holds the constraint or column text the database gave.
    #[error("unique violation: {0}")]
    Unique(String),
    /// A foreign key refused the write.
    #[error("foreign key violation: {0}")]
    ForeignKey(String),
    /// The row changed since the caller read it (optimistic concurrency).
    #[error("version mismatch")]
    VersionMismatch,
    /// The pool had no connection in time, or the database is down.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// Migrations failed.
    #[error("migration failed: {0}")]
    Migration(String),
    /// Stored data did not parse into a domain type.
    #[error("corrupt stored value: {0}")]
    Corrupt(String),
    /// Anything else from Diesel.
    #[error(transparent)]
    Db(DieselError),
}

impl From<DieselError> for RepoError {
    fn from(e: DieselError) -> Self {
        match e {
            DieselError::NotFound => RepoError::NotFound,
            DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, info) => {
                RepoError::Unique(info.constraint_name().unwrap_or(info.message()).to_owned())
            }
            DieselError::DatabaseError(DatabaseErrorKind::ForeignKeyViolation, info) => {
                RepoError::ForeignKey(info.message().to_owned())
            }
            DieselError::DatabaseError(DatabaseErrorKind::ClosedConnection, info) => {
                RepoError::Unavailable(info.message().to_owned())
            }
            DieselError::DeserializationError(cause) => {
                log::error!("corrupt stored value: {cause}");
                RepoError::Corrupt(cause.to_string())
            }
            other => RepoError::Db(other),
        }
    }
}

impl From<diesel::r2d2::PoolError> for RepoError {
    fn from(e: diesel::r2d2::PoolError) -> Self {
        RepoError::Unavailable(e.to_string())
    }
}

/// Result of a repository call.
pub type RepoResult<T> = Result<T, RepoError>;
