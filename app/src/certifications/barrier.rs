//! Certification at home (XM Art. 15(3): 上门认证): the barrier that keeps a person from coming to certify, and
//! the worklist of home-visit tasks of the communities that visit.

use domain::pension::{self, CertificationBarrier};
use persistence::pension::{self as repo, Task};
use persistence::retirees as people;
use persistence::{DbConnection, audit};
use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};
use utoipa::ToSchema;

use crate::caller::Caller;
use crate::error::AppError;
use crate::pension::{PensionStatusResponse, status_response};
use crate::policy_book::rules_at;
use crate::precondition::IfMatch;
use crate::scope::node_in_scope;

/// Why a person must be certified at home.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"barrier": "bedridden"}))]
pub struct BarrierRequest {
    /// Bedridden, mobility-impaired, in a care home or a psychiatric hospital (XM Art. 15(3)).
    pub barrier: CertificationBarrier,
}

/// Sets (`Some`) or clears (`None`) the home-certification barrier of one person in the caller's subtree, at the
/// version `if_match` asks for, judged on `today`. Setting it opens a home-visit task at once when the person is
/// due within the policy's reminder window; clearing it cancels an open one. Answers the status after it.
pub fn set(
    conn: &mut DbConnection,
    caller: &Caller,
    today: Date,
    id: i64,
    if_match: IfMatch,
    barrier: Option<CertificationBarrier>,
) -> Result<PensionStatusResponse, AppError> {
    let (retiree, path) = people::find_in_scope(conn, id, &caller.scope_path)?;
    let expected = if_match.expect(retiree.version)?;
    let code = barrier.map(|b| b.as_str());
    repo::set_barrier(conn, id, Some(expected), code)?;
    let rules = rules_at(conn, &path, today)?;
    let mut opened = 0;
    if barrier.is_some() {
        let due_by = pension::due_soon_until(today, rules.due_soon_days);
        opened = repo::create_due_task_for(conn, id, &path, due_by, &caller.login)?;
    }
    let mut entry = caller.audit("certification.barrier", "retiree", id, &path);
    entry.retiree_id = Some(id);
    entry.detail = Some(
        serde_json::json!({"changes": {"certification_barrier": {"from": retiree.certification_barrier, "to": code}},
            "tasks_opened": opened})
        .to_string(),
    );
    audit::append(conn, &entry)?;
    let (after, _) = people::find_in_scope(conn, id, &caller.scope_path)?;
    Ok(status_response(&after, rules.due_soon_days, today))
}

/// A home-visit certification task.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TaskResponse {
    /// Id.
    #[schema(example = 3)]
    pub id: i64,
    /// Retiree id.
    #[schema(example = 42)]
    pub retiree_id: i64,
    /// Name.
    #[schema(example = "张三")]
    pub name: String,
    /// Community that visits.
    #[schema(example = "350203001001")]
    pub community_code: String,
    /// Why at home.
    pub barrier: CertificationBarrier,
    /// Visit and certify on or before this day (the last valid day).
    #[schema(value_type = String, format = Date, example = "2027-01-31")]
    pub due_on: Date,
    /// Who or what opened it (a login, or `run:{id}`).
    pub created_by: String,
    /// Opened.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

fn task_response(t: Task, name: String) -> TaskResponse {
    TaskResponse {
        id: t.id,
        retiree_id: t.retiree_id,
        name,
        community_code: t.community_code,
        barrier: t.barrier,
        due_on: t.due_on,
        created_by: t.created_by,
        created_at: t.created_at.assume_utc(),
    }
}

/// A page of the open home-visit tasks (XM Art. 15(3)) under the node `jurisdiction` (default the caller's
/// subtree; 422 `jurisdiction_not_found` outside it), earliest due first, after the task `after` (due day, id).
pub fn open_tasks(
    conn: &mut DbConnection,
    caller: &Caller,
    jurisdiction: Option<&str>,
    after: Option<(Date, i64)>,
    limit: i64,
) -> Result<Vec<TaskResponse>, AppError> {
    let scope = match jurisdiction {
        Some(code) => node_in_scope(conn, caller, code, "jurisdiction")?.path,
        None => caller.scope_path.clone(),
    };
    Ok(repo::open_tasks(conn, &scope, after, limit)?.into_iter().map(|(t, n)| task_response(t, n)).collect())
}
