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
                // Diesel names the field and keeps the parse error (type and value) as the source.
                let mut message = cause.to_string();
                let mut source = cause.source();
                while let Some(s) = source {
                    message = format!("{message}: {s}");
                    source = s.source();
                }
                log::error!("corrupt stored value: {message}");
                RepoError::Corrupt(message)
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Like Diesel's field error: names the field, keeps the parse error as its source.
    #[derive(Debug, thiserror::Error)]
    #[error("Error deserializing field 'role'")]
    struct FieldError(#[source] crate::typed::UnknownCode);

    #[test]
    fn a_value_that_does_not_deserialize_is_corrupt_naming_field_type_and_value() {
        let parse = crate::typed::parse_code::<domain::Role>("superuser").unwrap_err();
        let e = RepoError::from(DieselError::DeserializationError(Box::new(FieldError(parse))));
        let RepoError::Corrupt(message) = e else { panic!("expected Corrupt, got {e:?}") };
        assert_eq!(message, "Error deserializing field 'role': stored Role value \"superuser\" is not a known code");
    }
}
