//! Effective-dated policy versions bound to jurisdiction nodes. Versions are only ever added: a change is a new
//! version from a date, which supersedes the open-ended one before it.

use diesel::prelude::*;
use time::{Date, PrimitiveDateTime};

use crate::schema::policy_versions;
use crate::{DbConnection, RepoResult, now_utc};

/// A stored version.
#[derive(Debug, Clone, Queryable, Selectable, PartialEq)]
#[diesel(table_name = policy_versions)]
#[diesel(check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct PolicyVersion {
    /// Row id.
    pub id: i64,
    /// Node it is bound to.
    pub jurisdiction_code: String,
    /// 1, 2, … per node.
    pub version: i32,
    /// First day in force.
    pub valid_from: Date,
    /// Last day in force as stated; `None` until superseded.
    pub valid_to: Option<Date>,
    /// Preset it was made from.
    pub preset: Option<String>,
    /// The parameters as JSON.
    pub parameters: String,
    /// Why.
    pub note: Option<String>,
    /// Who.
    pub created_by: String,
    /// When.
    pub created_at: PrimitiveDateTime,
    /// Bound from a preset beyond the term of the preset's document (XM Art. 29, CS Art. 36).
    pub extends_beyond_term: bool,
}

impl PolicyVersion {
    /// The last day the version applies: its stated end and, unless it was extended, its preset's term
    /// ([`domain::policy::term::version_end`]). A preset name this build does not know is corrupt data.
    pub fn last_day(&self) -> RepoResult<Option<Date>> {
        domain::policy::term::version_end(self.preset.as_deref(), self.valid_to, self.extends_beyond_term)
            .map_err(|e| crate::typed::corrupt("policy_versions", self.id, "preset", format!("unknown preset {}", e.0)))
    }
}

/// A new version.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = policy_versions)]
pub struct NewPolicyVersion {
    /// Node.
    pub jurisdiction_code: String,
    /// Next number for the node.
    pub version: i32,
    /// First day.
    pub valid_from: Date,
    /// Last day, if stated.
    pub valid_to: Option<Date>,
    /// Preset name.
    pub preset: Option<String>,
    /// JSON parameters.
    pub parameters: String,
    /// Note.
    pub note: Option<String>,
    /// Who.
    pub created_by: String,
    /// Bound beyond the preset's term.
    pub extends_beyond_term: bool,
}

/// Versions bound to one node, oldest first.
pub fn of_node(conn: &mut DbConnection, code: &str) -> RepoResult<Vec<PolicyVersion>> {
    Ok(policy_versions::table
        .filter(policy_versions::jurisdiction_code.eq(code))
        .order(policy_versions::valid_from)
        .select(PolicyVersion::as_select())
        .load(conn)?)
}

/// Adds a version.
pub fn create(conn: &mut DbConnection, new: &NewPolicyVersion) -> RepoResult<PolicyVersion> {
    diesel::insert_into(policy_versions::table)
        .values((new, policy_versions::created_at.eq(now_utc())))
        .execute(conn)?;
    Ok(policy_versions::table
        .filter(policy_versions::jurisdiction_code.eq(&new.jurisdiction_code))
        .filter(policy_versions::version.eq(new.version))
        .select(PolicyVersion::as_select())
        .first(conn)?)
}

/// The version in force on `on` at each of `codes` (the latest that started on or before `on` and has not ended).
pub fn in_force(conn: &mut DbConnection, codes: &[String], on: Date) -> RepoResult<Vec<PolicyVersion>> {
    let candidates: Vec<PolicyVersion> = policy_versions::table
        .filter(policy_versions::jurisdiction_code.eq_any(codes))
        .filter(policy_versions::valid_from.le(on))
        .order((policy_versions::jurisdiction_code, policy_versions::valid_from.desc()))
        .select(PolicyVersion::as_select())
        .load(conn)?;
    latest_per_node(candidates, on)
}

/// The version in force on `on` at every node that has one (the table holds a few versions per city).
pub fn all_in_force(conn: &mut DbConnection, on: Date) -> RepoResult<Vec<PolicyVersion>> {
    let candidates: Vec<PolicyVersion> = policy_versions::table
        .filter(policy_versions::valid_from.le(on))
        .order((policy_versions::jurisdiction_code, policy_versions::valid_from.desc()))
        .select(PolicyVersion::as_select())
        .load(conn)?;
    latest_per_node(candidates, on)
}

fn latest_per_node(candidates: Vec<PolicyVersion>, on: Date) -> RepoResult<Vec<PolicyVersion>> {
    let mut out: Vec<PolicyVersion> = Vec::new();
    for v in candidates {
        // The latest start per node decides; if it has ended, nothing older revives.
        if out.last().is_some_and(|last| last.jurisdiction_code == v.jurisdiction_code) {
            continue;
        }
        out.push(v);
    }
    let mut kept = Vec::with_capacity(out.len());
    for v in out {
        if v.last_day()?.is_none_or(|last| last >= on) {
            kept.push(v);
        }
    }
    Ok(kept)
}

/// Codes of a node and its ancestors from its materialised path, the node first.
pub fn lineage(path: &str) -> Vec<String> {
    let mut codes: Vec<String> = path.split('/').filter(|c| !c.is_empty()).map(str::to_owned).collect();
    codes.reverse();
    codes
}

/// The version that applies at the node with `path` on `on`: the one in force at the nearest node on the way up.
pub fn resolve(conn: &mut DbConnection, path: &str, on: Date) -> RepoResult<Option<PolicyVersion>> {
    let lineage = lineage(path);
    let in_force = in_force(conn, &lineage, on)?;
    Ok(lineage.iter().find_map(|c| in_force.iter().find(|v| &v.jurisdiction_code == c)).cloned())
}
