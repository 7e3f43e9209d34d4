//! The retiree registry: create, read (audited), update with If-Match, list with filters, search by resident
//! ID, and the person's timeline.

use actix_web::{HttpRequest, HttpResponse, get, patch, post, web};
use domain::{Permission, RetireeId};

use super::common::{Page, finish, next_cursor, ok_with_etag};
use crate::auth::Caller;
use crate::error::ApiError;
use crate::extract::{Json, if_match, page};
use crate::state::AppState;

use app::retirees::list::{ListQuery, SearchRequest, SearchResponse, filter_from_query};
use app::retirees::registration::{CreateRetireeRequest, UpdateRetireeRequest, validate_new};
use app::retirees::view::RetireeResponse;

/// Registers a retiree in a community of the caller's subtree. Pension status starts `normal`.
#[utoipa::path(tag = "retirees", security(("bearer" = ["retiree.write"])), request_body = CreateRetireeRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "Replays return the first answer")),
    responses((status = 201, body = RetireeResponse, headers(("Location" = String), ("ETag" = String))), crate::openapi::WriteErrors))]
#[post("/retirees")]
pub async fn create(
    req: HttpRequest,
    caller: Caller,
    state: web::Data<AppState>,
    body: Json<CreateRetireeRequest>,
) -> Result<HttpResponse, ApiError> {
    let today = state.clock.today();
    caller.require(Permission::RetireeWrite)?;
    let body = body.0;
    let fingerprint = crate::idempotency::fingerprint("POST /retirees", &body);
    let key = crate::extract::idempotency_key(&req)?;
    let (data, flags, last) = validate_new(body, today).map_err(ApiError::validation)?;
    let c = caller.0.clone();
    crate::idempotency::create(&state, &caller, key, fingerprint, move |conn| {
        let retiree = app::retirees::register::register(conn, &c, today, &data, flags, last)?;
        Ok(crate::idempotency::Created {
            location: format!("/api/v1/retirees/{}", retiree.id),
            version: retiree.version,
            body: serde_json::to_value(retiree).map_err(ApiError::internal)?,
        })
    })
    .await
}

/// One retiree in the single-person view (sensitive fields per the role table). The read is audited.
#[utoipa::path(tag = "retirees", security(("bearer" = ["retiree.read"])), params(("id" = i64, Path, description = "Retiree id")),
    responses((status = 200, body = RetireeResponse, headers(("ETag" = String))), crate::openapi::ReadErrors))]
#[get("/retirees/{id}")]
pub async fn get_one(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let today = state.clock.today();
    caller.require(Permission::RetireeRead)?;
    let id = RetireeId::from(path.into_inner());
    let c = caller.0.clone();
    let retiree = app::retirees::view::read_audited(&state.pool, &state.audit, &state.cache, c, today, id).await?;
    let version = retiree.version;
    Ok(ok_with_etag(&retiree, version))
}

/// Changes a retiree. Absent fields stay; `null` clears optional ones; `special_groups` replaces all flags.
/// Needs `If-Match` (412 when stale, 428 when missing).
#[utoipa::path(tag = "retirees", security(("bearer" = ["retiree.write"])), request_body = UpdateRetireeRequest,
    params(("id" = i64, Path, description = "Retiree id"), ("If-Match" = String, Header, description = "ETag read before")),
    responses((status = 200, body = RetireeResponse, headers(("ETag" = String))), crate::openapi::WriteErrors))]
#[patch("/retirees/{id}")]
pub async fn update(
    req: HttpRequest,
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    body: Json<UpdateRetireeRequest>,
) -> Result<HttpResponse, ApiError> {
    let today = state.clock.today();
    caller.require(Permission::RetireeWrite)?;
    let if_match = if_match(&req)?;
    let id = RetireeId::from(path.into_inner());
    let patch = body.0;
    let c = caller.0.clone();
    let retiree = crate::db::write(&state.pool, move |conn| {
        app::retirees::register::update(conn, &c, today, id, if_match, patch)
    })
    .await?;
    let version = retiree.version;
    Ok(ok_with_etag(&retiree, version))
}

const CURSOR: &str = "r";

/// Retirees in the caller's subtree (or a node inside it), filtered, by id. Sensitive fields follow the list
/// column of the role table.
#[utoipa::path(tag = "retirees", security(("bearer" = ["retiree.read"])), params(ListQuery),
    responses((status = 200, body = Page<RetireeResponse>), crate::openapi::ReadErrors))]
#[get("/retirees")]
pub async fn list(
    caller: Caller,
    state: web::Data<AppState>,
    query: web::Query<ListQuery>,
) -> Result<web::Json<Page<RetireeResponse>>, ApiError> {
    let today = state.clock.today();
    caller.require(Permission::RetireeRead)?;
    let q = query.into_inner();
    let mut errors = Vec::new();
    let (limit, after) = page::<i64>(CURSOR, q.limit.as_deref(), q.cursor.as_deref(), &mut errors);
    let pending = filter_from_query(&caller, &q, today, &mut errors);
    finish(errors)?;
    let c = caller.0.clone();
    let cache = state.cache.clone();
    let items = crate::db::read(&state, &caller.login, move |conn| {
        let book = cache.policy_book(conn, today)?;
        app::retirees::list::list(conn, &c, &book, pending, after, limit)
    })
    .await?;
    let next = next_cursor(&items, limit, CURSOR, |r| r.id.to_string());
    Ok(web::Json(Page { items, next_cursor: next }))
}

/// Finds the retiree with a resident ID in the caller's subtree. The search is audited.
#[utoipa::path(tag = "retirees", security(("bearer" = ["retiree.read"])), request_body = SearchRequest,
    responses((status = 200, body = SearchResponse), crate::openapi::WriteErrors))]
#[post("/retirees/search")]
pub async fn search(
    caller: Caller,
    state: web::Data<AppState>,
    body: Json<SearchRequest>,
) -> Result<web::Json<SearchResponse>, ApiError> {
    let today = state.clock.today();
    caller.require(Permission::RetireeRead)?;
    let id = app::retirees::list::search_key(&body.0, today)?;
    let c = caller.0.clone();
    let found = crate::db::read_audited(&state, move |conn| app::retirees::list::search(conn, &c, today, &id)).await?;
    Ok(web::Json(found))
}

#[cfg(test)]
mod tests {
    use app::audit::changes;
    use app::input::check_phone;
    use serde::Serialize;

    #[test]
    fn phones() {
        let mut errors = Vec::new();
        check_phone("/phone", "13812345678", &mut errors);
        check_phone("/phone", "0592-1234567", &mut errors);
        assert!(errors.is_empty());
        check_phone("/phone", "12345", &mut errors);
        check_phone("/phone", "138abc45678", &mut errors);
        assert_eq!(errors.len(), 2);
    }

    #[test]
    fn changes_mask_sensitive_values() {
        #[derive(Serialize)]
        struct S {
            phone: String,
            name: String,
        }
        let diff = changes(
            Some(&S { phone: "13812345678".into(), name: "a".into() }),
            &S { phone: "13900001111".into(), name: "a".into() },
        );
        assert_eq!(diff.len(), 1);
        assert_eq!(diff["phone"]["from"], "138****5678");
        assert_eq!(diff["phone"]["to"], "139****1111");
    }
}
