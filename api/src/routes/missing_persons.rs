//! Missing persons (issue 19.7; CS Art. 32(2)): recording that a person went missing, the person turning up, and
//! the worklist of those missing with the day a `missing_unreported` suspension becomes possible. The use cases
//! are in [`app::missing_persons`].

use actix_web::{HttpResponse, get, post, web};
use domain::Permission;
use serde::Deserialize;
use utoipa::IntoParams;

use super::common::{Page, finish, next_cursor};
use crate::auth::Caller;
use crate::error::{ApiError, FieldError};
use crate::extract::{Json, page, parse_date};
use crate::state::AppState;

use app::missing_persons::{
    FoundRequest, FoundResponse, MissingPersonItem, MissingRecordResponse, RecordMissingRequest,
};

const CURSOR: &str = "mp";

/// Records that a person went missing: the day, who reported it, a note (CS Art. 32(2)). A pension may be
/// suspended for `missing_unreported` only from `suspendable_from`, the day after the policy's
/// `missing_person_months` (6 by default) end. A person recorded missing already is 409 `already_missing`; a
/// stopped or transferred-out pension 409 `pension_stopped` / `pension_transferred_out`; a day in the future or
/// before the retirement date 422 on `/missing_since`.
#[utoipa::path(tag = "pension", security(("bearer" = ["pension.manage"])), request_body = RecordMissingRequest,
    params(("id" = i64, Path, description = "Retiree id")),
    responses((status = 201, body = MissingRecordResponse, headers(("Location" = String))), crate::openapi::WriteErrors))]
#[post("/retirees/{id}/missing")]
pub async fn record_missing(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    body: Json<RecordMissingRequest>,
) -> Result<HttpResponse, ApiError> {
    let today = state.clock.today();
    caller.require(Permission::PensionManage)?;
    let id = path.into_inner();
    let asked = app::missing_persons::check_record(&body.0, today).map_err(ApiError::validation)?;
    let c = caller.clone();
    let r = crate::db::write(&state.pool, move |conn| app::missing_persons::record(conn, &c, today, id, asked)).await?;
    Ok(HttpResponse::Created().insert_header(("Location", format!("/api/v1/retirees/{id}/missing"))).json(r))
}

/// Records that a missing person turned up: the open record closes, and a pension suspended for
/// `missing_unreported` resumes in the month found (not before the suspension month) with the back-pay the
/// policy grants for that reason, as a resumption would (CS Art. 32: "恢复发放或补发"). Without an open record:
/// 409 `not_missing`; a day before `missing_since`: 422 `before_missing_since` on `/found_on`.
#[utoipa::path(tag = "pension", security(("bearer" = ["pension.manage"])), request_body = FoundRequest,
    params(("id" = i64, Path, description = "Retiree id")),
    responses((status = 200, body = FoundResponse), crate::openapi::WriteErrors))]
#[post("/retirees/{id}/missing/found")]
pub async fn missing_found(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    body: Json<FoundRequest>,
) -> Result<HttpResponse, ApiError> {
    let today = state.clock.today();
    caller.require(Permission::PensionManage)?;
    let id = path.into_inner();
    let asked = app::missing_persons::check_found(&body.0, today).map_err(ApiError::validation)?;
    let c = caller.clone();
    let r = crate::db::write(&state.pool, move |conn| app::missing_persons::found(conn, &c, today, id, asked)).await?;
    Ok(HttpResponse::Ok().json(r))
}

/// Every missing-person record of one person, oldest first, open or closed (audited read).
#[utoipa::path(tag = "pension", security(("bearer" = ["retiree.read"])), params(("id" = i64, Path, description = "Retiree id")),
    responses((status = 200, body = Vec<MissingRecordResponse>), crate::openapi::ReadErrors))]
#[get("/retirees/{id}/missing")]
pub async fn missing_history(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> Result<web::Json<Vec<MissingRecordResponse>>, ApiError> {
    let today = state.clock.today();
    caller.require(Permission::RetireeRead)?;
    let id = path.into_inner();
    let c = caller.clone();
    let items = crate::db::read_audited(&state, move |conn| app::missing_persons::history(conn, &c, today, id)).await?;
    Ok(web::Json(items))
}

/// Worklist filters.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MissingListQuery {
    /// A node in the caller's subtree; default the caller's subtree.
    pub jurisdiction: Option<String>,
    /// Only those whose `suspendable_from` is before this day (`YYYY-MM-DD`): tomorrow's date lists everyone who
    /// may be suspended today.
    pub due_before: Option<String>,
    /// Page size, 1-500 (default 50).
    pub limit: Option<String>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// People recorded missing in the caller's subtree (by their community now), earliest `suspendable_from` first:
/// who reaches the months of CS Art. 32(2), and when, under the policy in force today at each community.
#[utoipa::path(tag = "pension", security(("bearer" = ["retiree.read"])), params(MissingListQuery),
    responses((status = 200, body = Page<MissingPersonItem>), crate::openapi::ReadErrors))]
#[get("/missing-persons")]
pub async fn missing_persons(
    caller: Caller,
    state: web::Data<AppState>,
    query: web::Query<MissingListQuery>,
) -> Result<web::Json<Page<MissingPersonItem>>, ApiError> {
    let today = state.clock.today();
    caller.require(Permission::RetireeRead)?;
    let q = query.into_inner();
    let mut errors = Vec::new();
    let (limit, after) = page::<String>(CURSOR, q.limit.as_deref(), q.cursor.as_deref(), &mut errors);
    let after = after.and_then(|a| {
        let parsed = app::missing_persons::parse_cursor(&a);
        if parsed.is_none() {
            errors.push(FieldError::with(
                "cursor",
                domain::ErrorCode::InvalidCursor,
                "cursor 无效，请使用上一页返回的 next_cursor",
                "cursor is not one this list returned",
            ));
        }
        parsed
    });
    let due_before = q.due_before.as_deref().and_then(|t| parse_date("due_before", t).map_err(|e| errors.push(e)).ok());
    finish(errors)?;
    let list = app::missing_persons::MissingList { jurisdiction: q.jurisdiction, due_before, after, limit };
    let c = caller.clone();
    let items = crate::db::run(&state.pool, move |conn| app::missing_persons::list(conn, &c, today, list)).await?;
    let next = next_cursor(&items, limit, CURSOR, |i| format!("{}|{}", i.suspendable_from, i.id));
    Ok(web::Json(Page { items, next_cursor: next }))
}
