//! Every policy version in force on one date, loaded once, so that set-based work (imports, certification runs,
//! feeds, lists) resolves the policy of any node without a query per node. Resolution is the same as
//! [`persistence::policies::resolve`]: the version at the nearest node on the way up, else the defaults.

use std::collections::HashMap;

use domain::policy::{Policy, presets};
use persistence::DbConnection;
use persistence::policies::{self as repo, lineage};
use time::Date;

use crate::error::AppError;

/// The policies in force on one date.
#[derive(Debug, Clone)]
pub struct PolicyBook {
    on: Date,
    by_node: HashMap<String, Policy>,
    defaults: Policy,
}

/// What a person's own community's policy says, as lists and single views need it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LocalRules {
    /// Advanced-age threshold in years (GUIDE 走访制度).
    pub advanced_age: i32,
    /// Months between certifications (CS Art. 16(2)).
    pub period_months: u32,
    /// Days before the last valid day from which a person is due soon.
    pub due_soon_days: u32,
}

impl PolicyBook {
    /// Loads the versions in force on `on`.
    pub fn load(conn: &mut DbConnection, on: Date) -> Result<Self, AppError> {
        let mut by_node = HashMap::new();
        for v in repo::all_in_force(conn, on)? {
            let policy: Policy = serde_json::from_str(&v.parameters).map_err(AppError::internal)?;
            by_node.insert(v.jurisdiction_code, policy);
        }
        Ok(Self { on, by_node, defaults: presets::defaults() })
    }

    /// The date the book holds.
    pub fn on(&self) -> Date {
        self.on
    }

    /// The policy at the node with materialised `path`: the nearest version up the tree, else the defaults.
    pub fn at(&self, path: &str) -> &Policy {
        lineage(path).iter().find_map(|code| self.by_node.get(code)).unwrap_or(&self.defaults)
    }

    /// The rules of the node with `path`.
    pub fn rules_at(&self, path: &str) -> LocalRules {
        rules_of(self.at(path))
    }
}

/// The rules a policy sets for one person.
pub fn rules_of(p: &Policy) -> LocalRules {
    LocalRules {
        advanced_age: i32::try_from(p.advanced_age_years.value).unwrap_or(i32::MAX),
        period_months: p.certification.period_months.value,
        due_soon_days: p.certification.due_soon_days.value,
    }
}

/// The policy in force at one node on one date, else the defaults (one query).
pub fn policy_at(conn: &mut DbConnection, path: &str, on: Date) -> Result<Policy, AppError> {
    Ok(parameters_at(conn, path, on)?.unwrap_or_else(presets::defaults))
}

/// The version in force at the nearest node up from `path` on `on`, parsed; `None` when no node has one.
pub fn parameters_at(conn: &mut DbConnection, path: &str, on: Date) -> Result<Option<Policy>, AppError> {
    match repo::resolve(conn, path, on)? {
        Some(v) => Ok(Some(serde_json::from_str(&v.parameters).map_err(AppError::internal)?)),
        None => Ok(None),
    }
}

/// The advanced-age threshold at a node on a date: from the policy in force, else the default (GUIDE 走访制度).
pub fn advanced_age_at(conn: &mut DbConnection, path: &str, on: Date) -> Result<i32, AppError> {
    let years = match parameters_at(conn, path, on)? {
        Some(p) => p.advanced_age_years.value,
        None => presets::defaults().advanced_age_years.value,
    };
    Ok(i32::try_from(years).unwrap_or(i32::MAX))
}

/// The rules at one node on one date (one query).
pub fn rules_at(conn: &mut DbConnection, path: &str, on: Date) -> Result<LocalRules, AppError> {
    Ok(rules_of(&policy_at(conn, path, on)?))
}
