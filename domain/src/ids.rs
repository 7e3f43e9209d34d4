//! Ids that cross the layers typed (issue 18): a use case, a repository and a route handler name a retiree by
//! [`RetireeId`], not by a bare `i64` that could be any table's id. The JSON is the number itself
//! (`serde(transparent)`), so the contract does not change (`integer`, `int64`); the Diesel glue lives in
//! `persistence::typed` (the domain stays free of Diesel).

use std::fmt;

use serde::{Deserialize, Serialize};

/// The id of a retiree (`retirees.id`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RetireeId(i64);

impl RetireeId {
    /// The id as stored.
    pub const fn new(id: i64) -> Self {
        Self(id)
    }

    /// The number.
    pub const fn get(self) -> i64 {
        self.0
    }
}

impl From<i64> for RetireeId {
    fn from(id: i64) -> Self {
        Self(id)
    }
}

impl From<RetireeId> for i64 {
    fn from(id: RetireeId) -> Self {
        id.0
    }
}

impl fmt::Display for RetireeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl PartialEq<i64> for RetireeId {
    fn eq(&self, other: &i64) -> bool {
        self.0 == *other
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_is_the_number() {
        let id = RetireeId::from(42);
        assert_eq!(serde_json::to_string(&id).ok().as_deref(), Some("42"));
        assert_eq!(serde_json::from_str::<RetireeId>("42").ok(), Some(id));
        assert!(serde_json::from_str::<RetireeId>("\"42\"").is_err());
    }

    #[test]
    fn shows_and_converts() {
        let id = RetireeId::new(7);
        assert_eq!(id.to_string(), "7");
        assert_eq!(id.get(), 7);
        assert_eq!(i64::from(id), 7);
        assert_eq!(id, 7);
        assert!(RetireeId::new(1) < RetireeId::new(2));
    }
}
