//! Reading cases: one case (an audited read of personal data), the worklists (due today, overdue, escalated to
//! me, by category) and the monthly counts per node (answered on time, late, satisfaction) for the monthly report.

use std::collections::BTreeMap;

use domain::petition::{PetitionCategory, PetitionStatus, Satisfaction};
use domain::{ErrorCode, Permission};
use persistence::DbConnection;
use persistence::petitions::{self as repo, PetitionFilter};
use serde::{Deserialize, Serialize};
use time::Date;
use utoipa::ToSchema;

use super::{PetitionView, reopen_until_at, view};
use crate::audited::Audited;
use crate::caller::Caller;
use crate::error::{AppError, FieldError};
use crate::input::month_text;
use crate::scope::node_in_scope;

/// 403 unless the caller may read cases (register, handle or supervise).
pub fn require_read(caller: &Caller) -> Result<(), AppError> {
    let r = caller.role;
    if r.allows(Permission::PetitionRegister)
        || r.allows(Permission::PetitionHandle)
        || r.allows(Permission::PetitionSupervise)
    {
        Ok(())
    } else {
        Err(AppError::forbidden())
    }
}

/// One case seen from the caller's subtree (else 404), with its people and steps; the read is audited
/// (`petition.read`).
pub fn get(conn: &mut DbConnection, caller: &Caller, today: Date, id: i64) -> Result<Audited<PetitionView>, AppError> {
    let p = repo::find_visible(conn, id, &caller.scope_path)?;
    let persons = repo::persons_of(conn, id)?;
    let steps = repo::steps_of(conn, id)?;
    let owner_path = crate::scope::path_of(conn, &p.owner_code)?;
    let reopen_until = match p.closed_on {
        Some(c) => Some(reopen_until_at(conn, &owner_path, c)?),
        None => None,
    };
    let mut entry = caller.audit("petition.read", "petition", id, &owner_path);
    entry.retiree_id = persons.iter().find_map(|x| x.retiree_id);
    let value = view(p, persons, steps, reopen_until, today, super::text_clear(caller.role))?;
    Ok(Audited::new(value, entry))
}

/// A worklist.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Worklist {
    /// Open cases due today.
    DueToday,
    /// Open cases whose due date has passed.
    Overdue,
    /// Open cases escalated to the caller's own node.
    EscalatedToMe,
    /// Every open case.
    Open,
}

/// What to list.
#[derive(Debug, Clone)]
pub struct ListQuery {
    /// Worklist; every case seen when absent.
    pub worklist: Option<Worklist>,
    /// Only this category.
    pub category: Option<PetitionCategory>,
    /// Only cases held by this node (in the caller's subtree).
    pub owner: Option<String>,
    /// Cursor: ids above this.
    pub after: Option<i64>,
    /// Page size.
    pub limit: i64,
}

/// A page of cases seen from the caller's subtree, by id, judged on `today`. The text is shown as `***` in lists
/// (it is read, audited, in the single view).
pub fn list(
    conn: &mut DbConnection,
    caller: &Caller,
    today: Date,
    q: ListQuery,
) -> Result<Vec<PetitionView>, AppError> {
    let open: Vec<String> = [PetitionStatus::Registered, PetitionStatus::Acknowledged, PetitionStatus::InProgress]
        .iter()
        .map(|s| s.as_str().to_owned())
        .collect();
    let mut f = PetitionFilter {
        category: q.category.map(|c| c.as_str().to_owned()),
        after: q.after,
        ..PetitionFilter::default()
    };
    if let Some(code) = &q.owner {
        f.owner_code = Some(node_in_scope(conn, caller, code, "owner")?.code);
    }
    match q.worklist {
        Some(Worklist::DueToday) => {
            f.statuses = open;
            f.due_on = Some(today);
        }
        Some(Worklist::Overdue) => {
            f.statuses = open;
            f.due_before = Some(today);
        }
        Some(Worklist::EscalatedToMe) => {
            f.statuses = open;
            f.escalated = true;
            f.owner_code = Some(caller.jurisdiction_code.clone());
        }
        Some(Worklist::Open) => f.statuses = open,
        None => {}
    }
    repo::list(conn, &caller.scope_path, &f, q.limit)?
        .into_iter()
        .map(|p| view(p, Vec::new(), Vec::new(), None, today, false))
        .collect()
}

/// The counts of one node in one month.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[schema(example = json!({"node": "350203001", "month": "2026-11", "answered": 12, "on_time": 11, "late": 1,
    "satisfied": 9, "dissatisfied": 1, "not_reached": 1, "not_asked": 1}))]
pub struct NodeMonthCounts {
    /// Node holding the cases when answered.
    pub node: String,
    /// Month (`YYYY-MM`) of the answers.
    pub month: String,
    /// Cases answered in the month.
    pub answered: u32,
    /// Answered on or before `answer_due`.
    pub on_time: u32,
    /// Answered after it.
    pub late: u32,
    /// Closed with the person satisfied.
    pub satisfied: u32,
    /// Closed with the person not satisfied.
    pub dissatisfied: u32,
    /// Closed without reaching the person.
    pub not_reached: u32,
    /// Answered, not closed yet (no satisfaction asked).
    pub not_asked: u32,
}

/// The counts per node of the cases seen from the caller's subtree answered in the month starting `month` (a
/// first day), by node code. A month after this one is 422 `month_in_future` on `month`.
pub fn monthly(
    conn: &mut DbConnection,
    caller: &Caller,
    today: Date,
    month: Date,
) -> Result<Vec<NodeMonthCounts>, AppError> {
    if month > today {
        return Err(AppError::field(FieldError::of("month", ErrorCode::MonthInFuture)));
    }
    let next = domain::pension::add_months(month, 1).ok_or_else(|| AppError::internal("month out of range"))?;
    let rows = repo::answered_between(conn, &caller.scope_path, month, next)?;
    let mut by_node: BTreeMap<String, NodeMonthCounts> = BTreeMap::new();
    for (node, answered_on, due, satisfaction) in rows {
        let c = by_node.entry(node.clone()).or_insert_with(|| NodeMonthCounts {
            node,
            month: month_text(month),
            ..NodeMonthCounts::default()
        });
        c.answered += 1;
        if domain::petition::on_time(answered_on, due) {
            c.on_time += 1;
        } else {
            c.late += 1;
        }
        match satisfaction {
            Some(Satisfaction::Satisfied) => c.satisfied += 1,
            Some(Satisfaction::Dissatisfied) => c.dissatisfied += 1,
            Some(Satisfaction::NotReached) => c.not_reached += 1,
            None => c.not_asked += 1,
        }
    }
    Ok(by_node.into_values().collect())
}
