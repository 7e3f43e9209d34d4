//! Reading errands: one errand (audited), the list with its filters and the overdue worklist, the worklist of people
//! at the senior card's age without a card or a card errand (GUIDE 走访制度), and the file with Chinese headers.

use domain::errand::{self, ErrandKind, ErrandStatus};
use persistence::DbConnection;
use persistence::errands::{self as repo, Filter};
use serde::{Deserialize, Serialize};
use time::Date;
use utoipa::ToSchema;

use super::{ErrandView, require_read, view};
use crate::audited::Audited;
use crate::caller::Caller;
use crate::error::AppError;
use crate::exports::table::{self, Column, File, Table};
use crate::exports::{Encoding, Format, Labels};
use crate::policy_book::policy_at;
use crate::scope::node_in_scope;

/// Most rows in a file.
const MAX_FILE_ROWS: i64 = 50_000;

/// What an errand list asks for (parsed by the API).
#[derive(Debug, Clone, Default)]
pub struct ErrandListQuery {
    /// Only this kind.
    pub kind: Option<ErrandKind>,
    /// Only this status.
    pub status: Option<ErrandStatus>,
    /// Only errands handled in the subtree of this node (in the caller's subtree; else 422
    /// `jurisdiction_not_found`).
    pub jurisdiction: Option<String>,
    /// Only the overdue ones: pending and past the due date.
    pub overdue: bool,
}

/// A person at the senior card's age without a card or a pending card errand.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"retiree_id": 42, "name": "张三", "community": "350203001001", "age": 70}))]
pub struct CandidateView {
    /// The person.
    pub retiree_id: i64,
    /// Name.
    pub name: String,
    /// Community.
    pub community: String,
    /// Age at the end of the month.
    pub age: i32,
}

fn rows(
    conn: &mut DbConnection,
    caller: &Caller,
    today: Date,
    q: &ErrandListQuery,
    after: Option<i64>,
    limit: i64,
) -> Result<Vec<ErrandView>, AppError> {
    let root = match q.jurisdiction.as_deref() {
        Some(code) => node_in_scope(conn, caller, code, "jurisdiction")?.path,
        None => caller.scope_path.clone(),
    };
    let filter = Filter {
        kinds: q.kind.into_iter().collect(),
        statuses: q.status.into_iter().collect(),
        overdue_on: q.overdue.then_some(today),
    };
    repo::list(conn, &root, &filter, after, limit)?.into_iter().map(|r| view(r, today)).collect()
}

/// One errand handled in the caller's subtree (else 404); audited `errand.read`.
pub fn get(conn: &mut DbConnection, caller: &Caller, today: Date, id: i64) -> Result<Audited<ErrandView>, AppError> {
    require_read(caller)?;
    let row = repo::find_in_scope(conn, id, &caller.scope_path)?;
    let path = row.path.clone();
    let v = view(row, today)?;
    let mut entry = caller.audit("errand.read", "errand", id, &path);
    entry.retiree_id = Some(v.retiree_id);
    Ok(Audited::new(v, entry))
}

/// A page of the errands handled in the caller's subtree, by id, as `q` asks (`overdue`: the worklist of errands
/// pending past their due date). Audited `errand.list`.
pub fn list(
    conn: &mut DbConnection,
    caller: &Caller,
    today: Date,
    q: &ErrandListQuery,
    after: Option<i64>,
    limit: i64,
) -> Result<Audited<Vec<ErrandView>>, AppError> {
    require_read(caller)?;
    let items = rows(conn, caller, today, q, after, limit)?;
    let mut entry = caller.audit("errand.list", "errand", "list", &caller.scope_path);
    entry.detail = Some(serde_json::json!({"rows": items.len(), "overdue": q.overdue}).to_string());
    Ok(Audited::new(items, entry))
}

/// A page of the people on the roll in the caller's subtree, pension not stopped, who are of the senior card's age
/// (the policy at the caller's node) by the end of this month and have no senior-card errand open, submitted or
/// approved, by id (GUIDE 走访制度: "及时帮助办理老年人优惠证、卡"). Audited `errand.candidates`.
pub fn candidates(
    conn: &mut DbConnection,
    caller: &Caller,
    today: Date,
    after: Option<i64>,
    limit: i64,
) -> Result<Audited<Vec<CandidateView>>, AppError> {
    require_read(caller)?;
    let policy = policy_at(conn, &caller.scope_path, today)?;
    let born_by = errand::senior_card_born_by(policy.errands.senior_card_age_years.value, today);
    let month_end = errand::month_end(today);
    let items: Vec<CandidateView> = repo::senior_card_candidates(conn, &caller.scope_path, born_by, after, limit)?
        .into_iter()
        .map(|c| CandidateView {
            retiree_id: c.retiree_id,
            name: c.name,
            community: c.community_code,
            age: domain::age_on(c.birth_date, month_end),
        })
        .collect();
    let mut entry = caller.audit("errand.candidates", "errand", "list", &caller.scope_path);
    entry.detail = Some(serde_json::json!({"rows": items.len()}).to_string());
    Ok(Audited::new(items, entry))
}

const COLUMNS: [Column; 15] = [
    Column::text("id", "事项编号"),
    Column::text("retiree_id", "人员编号"),
    Column::text("name", "姓名"),
    Column::text("community", "所属社区"),
    Column::text("kind", "事项类别"),
    Column::text("jurisdiction", "经办单位"),
    Column::text("materials", "申报材料"),
    Column::date("opened_on", "受理日期"),
    Column::date("submitted_on", "提交日期"),
    Column::date("due_on", "办理期限"),
    Column::text("status", "办理状态"),
    Column::text("overdue", "是否逾期"),
    Column::date("closed_on", "办结日期"),
    Column::text("reason", "原因"),
    Column::text("transfer_id", "转移编号"),
];

/// The errands as `q` asks, as a file with Chinese headers; audited `errand.export`.
pub fn export(
    conn: &mut DbConnection,
    caller: &Caller,
    today: Date,
    q: &ErrandListQuery,
    format: Format,
    encoding: Encoding,
    labels: Labels,
) -> Result<Audited<File>, AppError> {
    require_read(caller)?;
    let rows: Vec<Vec<String>> = rows(conn, caller, today, q, None, MAX_FILE_ROWS)?
        .into_iter()
        .map(|v| {
            vec![
                v.id.to_string(),
                v.retiree_id.to_string(),
                v.name,
                v.community,
                table::label(v.kind.as_str(), v.kind.label_zh(), labels),
                v.jurisdiction,
                v.materials.join("、"),
                v.opened_on.to_string(),
                v.submitted_on.map(|d| d.to_string()).unwrap_or_default(),
                v.due_on.map(|d| d.to_string()).unwrap_or_default(),
                table::label(v.status.as_str(), v.status.label_zh(), labels),
                if v.overdue { "是" } else { "否" }.to_owned(),
                v.closed_on.map(|d| d.to_string()).unwrap_or_default(),
                v.reason.unwrap_or_default(),
                v.transfer_id.map(|t| t.to_string()).unwrap_or_default(),
            ]
        })
        .collect();
    let count = rows.len();
    let file = table::render(&[Table::new("代办事项", COLUMNS.to_vec(), rows)], format, encoding, labels, "errands")?;
    let mut entry = caller.audit("errand.export", "errand", "list", &caller.scope_path);
    entry.detail = Some(serde_json::json!({"rows": count, "format": format.as_str()}).to_string());
    Ok(Audited::new(file, entry))
}
