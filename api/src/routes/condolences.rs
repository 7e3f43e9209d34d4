//! Condolences (慰问): one person's condolence with the policy amount and yearly cap (XM Art. 14, 21(1)-(3), 22;
//! CS Art. 25(2); JN Art. 31(2)), and festival lists: everybody eligible in a node for a festival, recorded in bulk.
//! The use cases are `app::care::condolences` and `app::care::festivals`.

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use domain::Permission;
use domain::policy::CondolenceKind;
use serde::Deserialize;
use utoipa::IntoParams;

use super::common::{Page, enum_filter, finish, next_cursor};
use crate::auth::Caller;
use crate::error::ApiError;
use crate::extract::{Json, page, parse_date};
use crate::state::AppState;

use app::care::condolences::{CondolenceResponse, CreateCondolenceRequest};
use app::care::festivals::{CreateFestivalListRequest, EligibleList, FestivalListResponse};

/// Records a condolence (慰问) to one person. The amount is the policy's on the day at the person's community
/// (XM Art. 21(2): hospital 200 yuan; 21(3): death 500 yuan to the family); a kind the policy does not name is 422
/// `condolence_kind_not_in_policy`. A paid condolence beyond the yearly cap of its kind in that calendar year (XM
/// Art. 21(2): hospital at most twice) is 422 `condolence_cap_exceeded`, unless recorded as a visit without payment
/// (`paid: false`). A `death` condolence needs a verified death report (409 `death_not_verified`), is not dated
/// before the death (422 `before_death`) and is paid once per deceased, whatever the year (XM Art. 21(3): 409
/// `condolence_already_paid`); any other kind dated on or after a verified death is 409 `retiree_deceased`. A
/// condolence dated before the person's retirement date is 422 `before_retirement`.
#[utoipa::path(tag = "care", security(("bearer" = ["retiree.write"])), request_body = CreateCondolenceRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "Replays return the first answer")),
    responses((status = 201, body = CondolenceResponse, headers(("Location" = String))), crate::openapi::CondolenceErrors))]
#[post("/condolences")]
pub async fn create(
    req: HttpRequest,
    caller: Caller,
    state: web::Data<AppState>,
    body: Json<CreateCondolenceRequest>,
) -> Result<HttpResponse, ApiError> {
    let today = state.clock.today();
    caller.require(Permission::RetireeWrite)?;
    let body = body.0;
    let input = app::care::condolences::check(&body, today).map_err(ApiError::validation)?;
    let fingerprint = crate::idempotency::fingerprint("POST /condolences", &body);
    let key = crate::extract::idempotency_key(&req)?;
    let c = caller.0.clone();
    crate::idempotency::create(&state, &caller, key, fingerprint, move |conn| {
        let saved = app::care::condolences::record(conn, &c, input)?;
        Ok(crate::idempotency::Created {
            location: format!("/api/v1/condolences/{}", saved.id),
            version: 1,
            body: serde_json::to_value(saved).map_err(ApiError::internal)?,
        })
    })
    .await
}

/// Filters of the condolence list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// A node in the caller's subtree (default: the caller's node).
    pub jurisdiction: Option<String>,
    /// One person.
    pub retiree_id: Option<i64>,
    /// Kind.
    pub kind: Option<String>,
    /// Calendar year.
    pub year: Option<i32>,
    /// Recorded with this festival list.
    pub festival_list_id: Option<i64>,
    /// Page size, 1-500 (default 50).
    pub limit: Option<String>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// Condolences in the caller's subtree, by id.
#[utoipa::path(tag = "care", security(("bearer" = ["retiree.read"])), params(ListQuery),
    responses((status = 200, body = Page<CondolenceResponse>), crate::openapi::ReadErrors))]
#[get("/condolences")]
pub async fn list(
    caller: Caller,
    state: web::Data<AppState>,
    query: web::Query<ListQuery>,
) -> Result<web::Json<Page<CondolenceResponse>>, ApiError> {
    caller.require(Permission::RetireeRead)?;
    let q = query.into_inner();
    let mut errors = Vec::new();
    let (limit, after) = page::<i64>("cd", q.limit.as_deref(), q.cursor.as_deref(), &mut errors);
    let kind = enum_filter("kind", q.kind.as_deref(), CondolenceKind::parse, CondolenceKind::codes(), &mut errors);
    finish(errors)?;
    let code = q.jurisdiction.unwrap_or_else(|| caller.jurisdiction_code.clone());
    let filter = app::care::condolences::CondolenceQuery {
        retiree_id: q.retiree_id,
        kind,
        year: q.year,
        festival_list_id: q.festival_list_id,
    };
    let c = caller.0.clone();
    let items =
        crate::db::run(&state.pool, move |conn| app::care::condolences::list(conn, &c, &code, &filter, after, limit))
            .await?;
    let next = next_cursor(&items, limit, "cd", |v| v.id.to_string());
    Ok(web::Json(Page { items, next_cursor: next }))
}

/// One condolence (the read of one person's record is audited).
#[utoipa::path(tag = "care", security(("bearer" = ["retiree.read"])), params(("id" = i64, Path, description = "Condolence id")),
    responses((status = 200, body = CondolenceResponse), crate::openapi::ReadErrors))]
#[get("/condolences/{id}")]
pub async fn get_one(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> Result<web::Json<CondolenceResponse>, ApiError> {
    caller.require(Permission::RetireeRead)?;
    let id = path.into_inner();
    let c = caller.0.clone();
    let found = crate::db::read_audited(&state, move |conn| app::care::condolences::read(conn, &c, id)).await?;
    Ok(web::Json(found))
}

// ---------------------------------------------------------------------------------------------------------------
// Festival lists

/// Which festival list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EligibleQuery {
    /// A node in the caller's subtree (default: the caller's node).
    pub jurisdiction: Option<String>,
    /// `spring_festival`, `double_ninth` or `other_festival`.
    pub kind: Option<String>,
    /// Day of the condolence (YYYY-MM-DD), default today.
    pub on_date: Option<String>,
}

/// Who is eligible in a node for a festival condolence on a day under its policy (not yet recorded): everybody on
/// the rolls whose pension is paid or suspended and who is under the yearly cap of the kind (XM Art. 14, 21(1):
/// Spring Festival and Double Ninth, once a year each; CS Art. 25(2), JN Art. 31(2): major festivals). A kind the
/// node's policy does not name is 422 `condolence_kind_not_in_policy`.
#[utoipa::path(tag = "care", security(("bearer" = ["retiree.read"])), params(EligibleQuery),
    responses((status = 200, body = EligibleList), crate::openapi::ReadErrors))]
#[get("/festival-lists/eligible")]
pub async fn eligible_list(
    caller: Caller,
    state: web::Data<AppState>,
    query: web::Query<EligibleQuery>,
) -> Result<web::Json<EligibleList>, ApiError> {
    let today = state.clock.today();
    caller.require(Permission::RetireeRead)?;
    let q = query.into_inner();
    let mut errors = Vec::new();
    let kind = app::care::festivals::festival_kind(q.kind.as_deref(), &mut errors, "kind");
    let on = match q.on_date.as_deref() {
        Some(t) => parse_date("on_date", t).map_err(|e| errors.push(e)).ok(),
        None => Some(today),
    };
    finish(errors)?;
    let (Some(kind), Some(on)) = (kind, on) else { return Err(ApiError::internal("unchecked query")) };
    let code = q.jurisdiction.unwrap_or_else(|| caller.jurisdiction_code.clone());
    let c = caller.0.clone();
    let found =
        crate::db::run(&state.pool, move |conn| app::care::festivals::eligible(conn, &c, &code, kind, on)).await?;
    Ok(web::Json(found))
}

/// Records a festival condolence for everybody eligible in the node (as `GET /festival-lists/eligible` lists
/// them), each with the amount of the policy of their community, in one transaction. People already at the cap
/// (e.g. a second Spring Festival list in a year) are left out, so a repeated list records nobody twice.
#[utoipa::path(tag = "care", security(("bearer" = ["retiree.write"])), request_body = CreateFestivalListRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "Replays return the first answer")),
    responses((status = 201, body = FestivalListResponse, headers(("Location" = String))), crate::openapi::CondolenceErrors))]
#[post("/festival-lists")]
pub async fn create_list(
    req: HttpRequest,
    caller: Caller,
    state: web::Data<AppState>,
    body: Json<CreateFestivalListRequest>,
) -> Result<HttpResponse, ApiError> {
    let today = state.clock.today();
    caller.require(Permission::RetireeWrite)?;
    let body = body.0;
    let input = app::care::festivals::check_list(&body, today).map_err(ApiError::validation)?;
    let fingerprint = crate::idempotency::fingerprint("POST /festival-lists", &body);
    let key = crate::extract::idempotency_key(&req)?;
    let c = caller.0.clone();
    crate::idempotency::create(&state, &caller, key, fingerprint, move |conn| {
        let batch = app::care::festivals::create_list(conn, &c, input)?;
        Ok(crate::idempotency::Created {
            location: format!("/api/v1/festival-lists/{}", batch.id),
            version: 1,
            body: serde_json::to_value(batch).map_err(ApiError::internal)?,
        })
    })
    .await
}

/// One festival list (its condolences: `GET /condolences?festival_list_id=`).
#[utoipa::path(tag = "care", security(("bearer" = ["retiree.read"])), params(("id" = i64, Path, description = "Festival list id")),
    responses((status = 200, body = FestivalListResponse), crate::openapi::ReadErrors))]
#[get("/festival-lists/{id}")]
pub async fn get_list(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> Result<web::Json<FestivalListResponse>, ApiError> {
    caller.require(Permission::RetireeRead)?;
    let id = path.into_inner();
    let c = caller.0.clone();
    let b = crate::db::run(&state.pool, move |conn| app::care::festivals::read_list(conn, &c, id)).await?;
    Ok(web::Json(b))
}
