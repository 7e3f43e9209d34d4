//! Reductions (减退; XM Art. 10(2), 11(3)): a person taken off the rolls.

use actix_web::{HttpResponse, get, post, web};
use domain::Permission;

use super::common::{NodePageQuery, Page, finish, next_cursor};
use crate::auth::Caller;
use crate::error::ApiError;
use crate::extract::{Json, page};
use crate::state::AppState;

use app::reductions::{CreateReductionRequest, ReductionResponse};

/// Takes a person off the rolls (减退; XM Art. 10(2), 11(3)): moved out of the city (the pension becomes
/// `transferred_out`, remote certification) or another reason, with reason and effective month; counted as
/// reduced in that month, not on the roll from the next. Deaths come from the death workflow.
#[utoipa::path(tag = "movements", security(("bearer" = ["retiree.write"])), request_body = CreateReductionRequest,
    responses((status = 201, body = ReductionResponse, headers(("Location" = String))), crate::openapi::WriteErrors))]
#[post("/reductions")]
pub async fn reduce(
    caller: Caller,
    state: web::Data<AppState>,
    body: Json<CreateReductionRequest>,
) -> Result<HttpResponse, ApiError> {
    let today = state.clock.today();
    caller.require(Permission::RetireeWrite)?;
    let c = caller.clone();
    let r = crate::db::write(&state.pool, move |conn| app::reductions::reduce(conn, &c, today, body.0)).await?;
    Ok(HttpResponse::Created().insert_header(("Location", format!("/api/v1/reductions/{}", r.id))).json(r))
}

/// Reductions in the caller's subtree, by id.
#[utoipa::path(tag = "movements", security(("bearer" = ["retiree.read"])), params(NodePageQuery),
    responses((status = 200, body = Page<ReductionResponse>), crate::openapi::ReadErrors))]
#[get("/reductions")]
pub async fn list_reductions(
    caller: Caller,
    state: web::Data<AppState>,
    query: web::Query<NodePageQuery>,
) -> Result<web::Json<Page<ReductionResponse>>, ApiError> {
    caller.require(Permission::RetireeRead)?;
    let q = query.into_inner();
    let mut errors = Vec::new();
    let (limit, after) = page::<i64>("rd", q.limit.as_deref(), q.cursor.as_deref(), &mut errors);
    finish(errors)?;
    let code = q.jurisdiction.unwrap_or_else(|| caller.jurisdiction_code.clone());
    let c = caller.clone();
    let items = crate::db::run(&state.pool, move |conn| app::reductions::list(conn, &c, &code, after, limit)).await?;
    let next = next_cursor(&items, limit, "rd", |r| r.id.to_string());
    Ok(web::Json(Page { items, next_cursor: next }))
}
