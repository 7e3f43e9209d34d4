//! Optimistic concurrency: the version a write must find (`If-Match`), as the caller sent it. A use case reads the
//! current version in its transaction and asks [`IfMatch::expect`] (or [`expect_if_sent`] where the header is
//! optional) which version to write against. The one home of this rule.

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

/// The version a write must find when `If-Match` is optional: not sent (`None`) takes the current version like
/// `*`; a stale one is 412.
pub fn expect_if_sent(if_match: Option<IfMatch>, current: i64) -> Result<i64, AppError> {
    if_match.map_or(Ok(current), |m| m.expect(current))
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

    #[test]
    fn not_sent_takes_the_current_version() {
        assert_eq!(expect_if_sent(None, 3).ok(), Some(3));
        assert_eq!(expect_if_sent(Some(IfMatch::Any), 3).ok(), Some(3));
        assert_eq!(expect_if_sent(Some(IfMatch::Version(3)), 3).ok(), Some(3));
        assert_eq!(expect_if_sent(Some(IfMatch::Version(4)), 3).map_err(|e| e.status()), Err(412));
    }
}
