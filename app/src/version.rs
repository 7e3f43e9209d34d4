//! Optimistic concurrency: the version a write to an existing resource must find.

use crate::error::AppError;

/// The version the write must find, given the current one: `if_match` is the version an `If-Match` header names
/// (`None` when none was sent or it was `*`); a different current version is 412.
pub fn expected(current: i64, if_match: Option<i64>) -> Result<i64, AppError> {
    match if_match {
        Some(v) if v != current => Err(AppError::precondition_failed()),
        _ => Ok(current),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stale_version_is_412_and_none_takes_the_current_one() {
        assert_eq!(expected(3, None).ok(), Some(3));
        assert_eq!(expected(3, Some(3)).ok(), Some(3));
        assert_eq!(expected(3, Some(2)).map_err(|e| e.status()).err(), Some(412));
    }
}
