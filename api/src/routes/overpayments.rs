//! Pension paid after death and its recovery ledger (CS Art. 31: "限期追回，到期仍未追回的应及时移交"; GUIDE 四):
//! deducted from death benefits, repaid, written off with approval, referred after the deadline. The balance is
//! always the amount less the sum of the entries.

use actix_web::{HttpResponse, get, post, web};
use domain::death::RecoveryKind;
use domain::overpayment::{self as rules, LedgerError, OverpaymentStatus};
use domain::{Money, Permission};
use persistence::death::{self as repo, NewEntry, Overpayment};
use persistence::retirees as people;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::common::{Page, check_text, finish, next_cursor, node_in_scope};
use crate::auth::Caller;
use crate::error::{ApiError, FieldError};
use crate::extract::{Json, page};
use crate::state::AppState;

pub use app::overpayments::{EntryResponse, OverpaymentResponse, overpayment_response};

/// The overpayment if its person is in the caller's subtree; with the path of their community.
fn visible(conn: &mut persistence::DbConnection, caller: &Caller, id: i64) -> Result<(Overpayment, String), ApiError> {
    let o = repo::find_overpayment(conn, id)?;
    let (_, path) = people::find_in_scope(conn, o.retiree_id, &caller.scope_path)?;
    Ok((o, path))
}

/// Filters of the list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OverpaymentListQuery {
    /// A node in the caller's subtree (default: the caller's node).
    pub jurisdiction: Option<String>,
    /// `open`, `settled`, `referred` or `void`.
    pub status: Option<String>,
    /// Page size, 1-500 (default 50).
    pub limit: Option<String>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// Overpayments of people in the caller's subtree, by id, with their ledgers.
#[utoipa::path(tag = "death", security(("bearer" = ["retiree.read"])), params(OverpaymentListQuery),
    responses((status = 200, body = Page<OverpaymentResponse>), crate::openapi::ReadErrors))]
#[get("/overpayments")]
pub async fn list(
    caller: Caller,
    state: web::Data<AppState>,
    query: web::Query<OverpaymentListQuery>,
) -> Result<web::Json<Page<OverpaymentResponse>>, ApiError> {
    caller.require(Permission::RetireeRead)?;
    let q = query.into_inner();
    let mut errors = Vec::new();
    let (limit, after) = page::<i64>("op", q.limit.as_deref(), q.cursor.as_deref(), &mut errors);
    let status = super::common::code_filter(
        "status",
        q.status.as_deref(),
        &[repo::OWED, repo::SETTLED, repo::REFERRED, repo::VOID],
        &mut errors,
    );
    finish(errors)?;
    let code = q.jurisdiction.unwrap_or_else(|| caller.jurisdiction_code.clone());
    let c = caller.clone();
    let (items, next) = crate::db::run(&state.pool, move |conn| -> Result<_, ApiError> {
        let node = node_in_scope(conn, &c, &code, "jurisdiction")?;
        let found = repo::list_overpayments(conn, &node.path, status.as_deref(), after, limit)?;
        let next = next_cursor(&found, limit, "op", |o| o.id.to_string());
        let mut items = Vec::with_capacity(found.len());
        for o in found {
            let entries = repo::entries_of(conn, o.id)?;
            items.push(overpayment_response(o, entries));
        }
        Ok((items, next))
    })
    .await?;
    Ok(web::Json(Page { items, next_cursor: next }))
}

/// One overpayment with its ledger (audited read).
#[utoipa::path(tag = "death", security(("bearer" = ["retiree.read"])), params(("id" = i64, Path, description = "Overpayment id")),
    responses((status = 200, body = OverpaymentResponse), crate::openapi::ReadErrors))]
#[get("/overpayments/{id}")]
pub async fn get_one(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> Result<web::Json<OverpaymentResponse>, ApiError> {
    caller.require(Permission::RetireeRead)?;
    let id = path.into_inner();
    let c = caller.clone();
    let answer = crate::db::write(&state.pool, move |conn| {
        let (o, path) = visible(conn, &c, id)?;
        let mut entry = c.audit("overpayment.read", "overpayment", id, &path);
        entry.retiree_id = Some(o.retiree_id);
        persistence::audit::append(conn, &entry)?;
        let entries = repo::entries_of(conn, id)?;
        Ok(overpayment_response(o, entries))
    })
    .await?;
    Ok(web::Json(answer))
}

/// A ledger entry to record.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"kind": "repaid", "amount": "3000.00", "entry_on": "2026-08-01", "note": "家属转账"}))]
pub struct CreateEntryRequest {
    /// `repaid`, `written_off` (needs `approved_by`), `referred` (after the deadline; the whole balance, `amount`
    /// may be omitted) or `deducted_from_benefits`.
    pub kind: RecoveryKind,
    /// Amount in yuan, positive, at most the balance.
    #[schema(example = "3000.00")]
    pub amount: Option<String>,
    /// Date (YYYY-MM-DD), default today, not in the future.
    #[schema(format = Date, example = "2026-08-01")]
    pub entry_on: Option<String>,
    /// Who approved a write-off, up to 50 characters.
    pub approved_by: Option<String>,
    /// Note, up to 500 characters.
    pub note: Option<String>,
}

/// Records an entry in the recovery ledger (CS Art. 31). The balance after it is the amount less the sum of the
/// entries; at zero the overpayment is `settled`, a referral makes it `referred`. More than the balance is 422
/// `amount_exceeds_balance`, a write-off without approver 422 `approval_required`, a referral before the deadline
/// 409 `recovery_deadline_not_passed`, anything on a settled or voided overpayment 409.
#[utoipa::path(tag = "death", security(("bearer" = ["pension.manage"])), request_body = CreateEntryRequest,
    params(("id" = i64, Path, description = "Overpayment id")),
    responses((status = 201, body = OverpaymentResponse), crate::openapi::WriteErrors))]
#[post("/overpayments/{id}/entries")]
pub async fn add_entry(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    body: Json<CreateEntryRequest>,
) -> Result<HttpResponse, ApiError> {
    let today = state.clock.today();
    caller.require(Permission::PensionManage)?;
    let id = path.into_inner();
    let body = body.0;
    let on = today;
    let mut errors = Vec::new();
    let amount = body
        .amount
        .as_deref()
        .and_then(|t| Money::parse(t).map_err(|e| errors.push(FieldError::rule("/amount", &e))).ok())
        .map(Money::fen);
    if amount.is_some_and(|a| a <= 0) {
        errors.push(FieldError::new("/amount", "amount_not_positive", "金额应大于0", "the amount must be positive"));
    }
    if amount.is_none() && body.amount.is_none() && body.kind != RecoveryKind::Referred {
        errors.push(FieldError::new("/amount", "required", "必须填写 amount", "amount is required"));
    }
    let entry_on = super::common::date_not_after("/entry_on", body.entry_on.as_deref(), on, &mut errors);
    let approved_by = check_text("/approved_by", body.approved_by.as_deref(), 50, &mut errors);
    let note = check_text("/note", body.note.as_deref(), 500, &mut errors);
    finish(errors)?;
    let c = caller.clone();
    let answer = crate::db::write(&state.pool, move |conn| {
        let (o, path) = visible(conn, &c, id)?;
        let status = o.status;
        // The balance is read only for an open overpayment (a closed one is refused before).
        let balance = if status == OverpaymentStatus::Open { repo::balance_of(conn, &o)? } else { 0 };
        let new =
            rules::NewEntry { kind: body.kind, amount_fen: amount, approved_by: approved_by.as_deref(), on: entry_on };
        let outcome = rules::apply(status, balance, o.due_by, new).map_err(|e| {
            use domain::RuleViolation;
            match e {
                LedgerError::ExceedsBalance | LedgerError::ApprovalRequired => {
                    let field = if e == LedgerError::ApprovalRequired { "/approved_by" } else { "/amount" };
                    ApiError::field(FieldError::rule(field, &e))
                }
                _ => ApiError::conflict(e.code(), e.message_zh(), e.message_en()),
            }
        })?;
        let (amount, status) = (outcome.amount_fen, outcome.status.as_str());
        repo::add_entry(
            conn,
            &o,
            &NewEntry {
                overpayment_id: id,
                kind: body.kind.as_str().to_owned(),
                amount_fen: amount,
                entry_on,
                approved_by,
                note,
                operator: c.login.clone(),
                created_at: persistence::now_utc(),
            },
            status,
        )?;
        let mut entry = c.audit("overpayment.entry", "overpayment", id, &path);
        entry.retiree_id = Some(o.retiree_id);
        entry.detail =
            Some(serde_json::json!({"kind": body.kind.as_str(), "amount_fen": amount, "status": status}).to_string());
        persistence::audit::append(conn, &entry)?;
        let o = repo::find_overpayment(conn, id)?;
        let entries = repo::entries_of(conn, id)?;
        Ok(overpayment_response(o, entries))
    })
    .await?;
    Ok(HttpResponse::Created().insert_header(("Location", format!("/api/v1/overpayments/{id}"))).json(answer))
}
