//! The version a write must find (`If-Match`), as the caller sent it: a use case reads the current version in its
//! transaction and asks [`IfMatch::expect`] which version to write against.

use crate::error::AppError;

/// What `If-Match` asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IfMatch {
    /// `*`: any current version.
    Any,
    /// That version.
    Version(i64),
}

impl IfMatch {
    /// The version the write must find, given the current one: a mismatch is 412.
    pub fn expect(self, current: i64) -> Result<i64, AppError> {
        match self {
            IfMatch::Any => Ok(current),
            IfMatch::Version(v) if v == current => Ok(v),
            IfMatch::Version(_) => Err(AppError::precondition_failed()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn any_takes_the_current_version_and_a_stale_one_is_412() {
        assert_eq!(IfMatch::Any.expect(3).ok(), Some(3));
        assert_eq!(IfMatch::Version(3).expect(3).ok(), Some(3));
        assert_eq!(IfMatch::Version(2).expect(3).map_err(|e| e.status()), Err(412));
    }
}
