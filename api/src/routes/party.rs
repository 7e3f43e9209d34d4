//! Party members' organisation relations (issue 25; CS Art. 12(3), 24; JN Art. 21(2), 22, 29; GUIDE 交接制度):
//! branches, relations (established, transferred, accepted; a person's history), organisation life and the
//! worklist. The roster file and its import are in [`super::party_files`]. The use cases are in [`app::party`].

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use domain::Permission;
use serde::Deserialize;
use utoipa::IntoParams;

use super::common::{Page, finish, next_cursor};
use crate::auth::Caller;
use crate::error::ApiError;
use crate::extract::{Json, optional_if_match, page};
use crate::state::AppState;

use app::party::branches::{BranchInput, BranchView, CloseInput};
use app::party::meetings::{MeetingInput, MeetingView};
use app::party::relations::{AcceptInput, History, RelationInput, RelationView, TransferInput, WithdrawInput};
use app::party::worklist::Item as WorklistItem;
pub use domain::party::{MeetingKind, RelationStatus as PartyRelationStatus};

const BRANCH_CURSOR: &str = "pb";
const MEETING_CURSOR: &str = "pm";
const WORKLIST_CURSOR: &str = "pw";

/// Paging of a list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PartyPageQuery {
    /// Page size, 1-500 (default 50).
    pub limit: Option<String>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// Sets up a party branch at a street or community node of the caller's subtree (CS Art. 12(3), 24; JN Art. 29;
/// another level: 422 `party_branch_level`; the same name at the node: 409 `conflict`).
#[utoipa::path(tag = "party", security(("bearer" = ["party.manage"])), request_body = BranchInput,
    responses((status = 201, body = BranchView, headers(("Location" = String), ("ETag" = String))),
        crate::openapi::WriteErrors))]
#[post("/party-branches")]
pub async fn create_branch(
    caller: Caller,
    state: web::Data<AppState>,
    body: Json<BranchInput>,
) -> Result<HttpResponse, ApiError> {
    let today = state.clock.today();
    caller.require(Permission::PartyManage)?;
    let asked = app::party::branches::check(&body.0, today).map_err(ApiError::validation)?;
    let c = caller.0.clone();
    let v = crate::db::write(&state.pool, move |conn| app::party::branches::create(conn, &c, asked)).await?;
    Ok(crate::routes::common::created_with_etag(format!("/api/v1/party-branches/{}", v.id), &v, v.version))
}

/// The branches at nodes of the caller's subtree, by id.
#[utoipa::path(tag = "party", security(("bearer" = ["retiree.read"])), params(PartyPageQuery),
    responses((status = 200, body = Page<BranchView>), crate::openapi::ReadErrors))]
#[get("/party-branches")]
pub async fn list_branches(
    caller: Caller,
    state: web::Data<AppState>,
    query: web::Query<PartyPageQuery>,
) -> Result<web::Json<Page<BranchView>>, ApiError> {
    app::party::require_read(&caller)?;
    let mut errors = Vec::new();
    let (limit, after) = page::<i64>(BRANCH_CURSOR, query.limit.as_deref(), query.cursor.as_deref(), &mut errors);
    finish(errors)?;
    let c = caller.0.clone();
    let items =
        crate::db::read(&state, &caller.login, move |conn| app::party::branches::list(conn, &c, after, limit)).await?;
    let next = next_cursor(&items, limit, BRANCH_CURSOR, |v| v.id.to_string());
    Ok(web::Json(Page { items, next_cursor: next }))
}

/// One branch at a node of the caller's subtree.
#[utoipa::path(tag = "party", security(("bearer" = ["retiree.read"])),
    params(("id" = i64, Path, description = "Branch id")),
    responses((status = 200, body = BranchView, headers(("ETag" = String))), crate::openapi::ReadErrors))]
#[get("/party-branches/{id}")]
pub async fn get_branch(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    app::party::require_read(&caller)?;
    let id = path.into_inner();
    let c = caller.0.clone();
    let v = crate::db::read(&state, &caller.login, move |conn| app::party::branches::get(conn, &c, id)).await?;
    Ok(crate::routes::common::ok_with_etag(&v, v.version))
}

/// Closes a branch (CS Art. 24): only an open branch (409 `party_branch_closed`) that no relation sits in or is on
/// its way to (409 `party_branch_not_empty`: transfer or withdraw them first), not before its founding (422
/// `party_date_order`). A closed branch takes no new relation, transfer or meeting and keeps its history.
/// `If-Match` optional (stale: 412).
#[utoipa::path(tag = "party", security(("bearer" = ["party.manage"])), request_body = CloseInput,
    params(("id" = i64, Path, description = "Branch id"),
        ("If-Match" = Option<String>, Header, description = "ETag of the branch read")),
    responses((status = 200, body = BranchView, headers(("ETag" = String))), crate::openapi::WriteErrors))]
#[post("/party-branches/{id}/close")]
pub async fn close_branch(
    req: HttpRequest,
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    body: Json<CloseInput>,
) -> Result<HttpResponse, ApiError> {
    let today = state.clock.today();
    caller.require(Permission::PartyManage)?;
    let asked = app::party::branches::check_close(&body.0, today).map_err(ApiError::validation)?;
    let if_match = optional_if_match(&req)?;
    let id = path.into_inner();
    let c = caller.0.clone();
    let v =
        crate::db::write(&state.pool, move |conn| app::party::branches::close(conn, &c, id, if_match, asked)).await?;
    Ok(crate::routes::common::ok_with_etag(&v, v.version))
}

/// Records organisation life of a branch (CS Art. 24; JN Art. 29): a branch meeting, committee meeting, party
/// lesson, theme day or study session with the attendance of members whose relation sits in the branch (another
/// person: 422 `not_in_branch`; absent without a reason: 422 `reason_required`); a closed branch: 409 `conflict`.
/// Emits `party.meeting_recorded`.
#[utoipa::path(tag = "party", security(("bearer" = ["party.manage"])), request_body = MeetingInput,
    params(("id" = i64, Path, description = "Branch id")),
    responses((status = 201, body = MeetingView, headers(("Location" = String), ("ETag" = String))),
        crate::openapi::WriteErrors))]
#[post("/party-branches/{id}/meetings")]
pub async fn record_meeting(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    body: Json<MeetingInput>,
) -> Result<HttpResponse, ApiError> {
    let today = state.clock.today();
    caller.require(Permission::PartyManage)?;
    let asked = app::party::meetings::check(&body.0, today).map_err(ApiError::validation)?;
    let id = path.into_inner();
    let c = caller.0.clone();
    let v = crate::db::write(&state.pool, move |conn| app::party::meetings::record(conn, &c, id, asked)).await?;
    Ok(crate::routes::common::created_with_etag(format!("/api/v1/party-branches/{id}/meetings"), &v, 1))
}

/// The organisation life of a branch of the caller's subtree, by id, with attendance; an audited read
/// (`party.meeting.list`).
#[utoipa::path(tag = "party", security(("bearer" = ["retiree.read"])),
    params(("id" = i64, Path, description = "Branch id"), PartyPageQuery),
    responses((status = 200, body = Page<MeetingView>), crate::openapi::ReadErrors))]
#[get("/party-branches/{id}/meetings")]
pub async fn list_meetings(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    query: web::Query<PartyPageQuery>,
) -> Result<web::Json<Page<MeetingView>>, ApiError> {
    app::party::require_read(&caller)?;
    let mut errors = Vec::new();
    let (limit, after) = page::<i64>(MEETING_CURSOR, query.limit.as_deref(), query.cursor.as_deref(), &mut errors);
    finish(errors)?;
    let id = path.into_inner();
    let c = caller.0.clone();
    let items = crate::db::read_audited_listing(&state, &caller.login, move |conn| {
        app::party::meetings::list(conn, &c, id, after, limit)
    })
    .await?;
    let next = next_cursor(&items, limit, MEETING_CURSOR, |v| v.id.to_string());
    Ok(web::Json(Page { items, next_cursor: next }))
}

/// Establishes the organisation relation of a party member of the caller's subtree in a branch of it (CS Art.
/// 12(3); JN Art. 21(2)): transferred in on a day from the former organisation. Not a party member: 409
/// `not_a_party_member`; a relation in the service already: 409 `party_relation_open`. When the person's handover
/// was accepted without the `party_transferred` step, the step is recorded in the same transaction. Emits
/// `party.relation_changed`.
#[utoipa::path(tag = "party", security(("bearer" = ["party.manage"])), request_body = RelationInput,
    params(("id" = i64, Path, description = "Retiree id")),
    responses((status = 201, body = RelationView, headers(("Location" = String), ("ETag" = String))),
        crate::openapi::WriteErrors))]
#[post("/retirees/{id}/party-relation")]
pub async fn establish(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    body: Json<RelationInput>,
) -> Result<HttpResponse, ApiError> {
    let today = state.clock.today();
    caller.require(Permission::PartyManage)?;
    let asked = app::party::relations::check(&body.0, today).map_err(ApiError::validation)?;
    let id = path.into_inner();
    let c = caller.0.clone();
    let v = crate::db::write(&state.pool, move |conn| app::party::relations::establish(conn, &c, id, asked)).await?;
    Ok(crate::routes::common::created_with_etag(format!("/api/v1/party-relations/{}", v.id), &v, v.version))
}

/// A person's organisation relations, the open one and every earlier one with their steps; an audited read
/// (`party.relation.read`).
#[utoipa::path(tag = "party", security(("bearer" = ["retiree.read"])),
    params(("id" = i64, Path, description = "Retiree id")),
    responses((status = 200, body = History), crate::openapi::ReadErrors))]
#[get("/retirees/{id}/party-relation")]
pub async fn history(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> Result<web::Json<History>, ApiError> {
    app::party::require_read(&caller)?;
    let id = path.into_inner();
    let c = caller.0.clone();
    let v = crate::db::read_audited(&state, move |conn| app::party::relations::history(conn, &c, id)).await?;
    Ok(web::Json(v))
}

/// The worklist (GUIDE 交接制度 "及时为退休人员中党员建立组织关系"): party members of the caller's subtree handed over
/// whose relation is not in a branch more than the policy's days (`party.relation_days`) after the handover was
/// accepted (`handover_late`), and party members on the roll who never had a relation in the service
/// (`no_relation`); by person id. While the local policy sets no days: 409 `party_policy_unset`. An audited read.
#[utoipa::path(tag = "party", security(("bearer" = ["retiree.read"])), params(PartyPageQuery),
    responses((status = 200, body = Page<WorklistItem>), crate::openapi::PartyWorklistErrors))]
#[get("/party-relations/worklist")]
pub async fn worklist(
    caller: Caller,
    state: web::Data<AppState>,
    query: web::Query<PartyPageQuery>,
) -> Result<web::Json<Page<WorklistItem>>, ApiError> {
    let today = state.clock.today();
    app::party::require_read(&caller)?;
    let mut errors = Vec::new();
    let (limit, after) = page::<i64>(WORKLIST_CURSOR, query.limit.as_deref(), query.cursor.as_deref(), &mut errors);
    finish(errors)?;
    let c = caller.0.clone();
    let items = crate::db::read_audited_listing(&state, &caller.login, move |conn| {
        app::party::worklist::list(conn, &c, today, after, limit)
    })
    .await?;
    let next = next_cursor(&items, limit, WORKLIST_CURSOR, |v| v.retiree_id.to_string());
    Ok(web::Json(Page { items, next_cursor: next }))
}

/// One relation seen from the caller's subtree (the person's community, the branch's node, or the receiving
/// branch's node while transferring); an audited read (`party.relation.read`).
#[utoipa::path(tag = "party", security(("bearer" = ["retiree.read"])),
    params(("id" = i64, Path, description = "Relation id")),
    responses((status = 200, body = RelationView, headers(("ETag" = String))), crate::openapi::ReadErrors))]
#[get("/party-relations/{id}")]
pub async fn get_relation(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    app::party::require_read(&caller)?;
    let id = path.into_inner();
    let c = caller.0.clone();
    let v = crate::db::read_audited(&state, move |conn| app::party::relations::get(conn, &c, id)).await?;
    Ok(crate::routes::common::ok_with_etag(&v, v.version))
}

/// Transfers a relation out of its branch (JN Art. 22): to another open branch of the service (`to_branch_id`;
/// `transferring` until that branch's node accepts) or to an organisation outside the service (`destination`;
/// `left`). Not in a branch: 409 `party_relation_wrong_status`; the same branch: 422 `party_same_branch`; before
/// the relation's last step: 422 `party_date_order`. `If-Match` optional (stale: 412). Emits
/// `party.relation_changed`.
#[utoipa::path(tag = "party", security(("bearer" = ["party.manage"])), request_body = TransferInput,
    params(("id" = i64, Path, description = "Relation id"),
        ("If-Match" = Option<String>, Header, description = "ETag of the relation read")),
    responses((status = 200, body = RelationView, headers(("ETag" = String))), crate::openapi::WriteErrors))]
#[post("/party-relations/{id}/transfer")]
pub async fn transfer(
    req: HttpRequest,
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    body: Json<TransferInput>,
) -> Result<HttpResponse, ApiError> {
    let today = state.clock.today();
    caller.require(Permission::PartyManage)?;
    let asked = app::party::relations::check_transfer(&body.0, today).map_err(ApiError::validation)?;
    let if_match = optional_if_match(&req)?;
    let id = path.into_inner();
    let c = caller.0.clone();
    let v = crate::db::write(&state.pool, move |conn| app::party::relations::transfer(conn, &c, id, if_match, asked))
        .await?;
    Ok(crate::routes::common::ok_with_etag(&v, v.version))
}

/// The receiving branch's node accepts a relation transferred to it (JN Art. 22: "一律接收"): the relation sits in
/// the new branch from that day, and the handover's `party_transferred` step is recorded when due. Not
/// transferring: 409 `party_relation_wrong_status`; the receiving node outside the caller's subtree: 404 (or 409
/// for the sending side). `If-Match` optional. Emits `party.relation_changed`.
#[utoipa::path(tag = "party", security(("bearer" = ["party.manage"])), request_body = AcceptInput,
    params(("id" = i64, Path, description = "Relation id"),
        ("If-Match" = Option<String>, Header, description = "ETag of the relation read")),
    responses((status = 200, body = RelationView, headers(("ETag" = String))), crate::openapi::WriteErrors))]
#[post("/party-relations/{id}/accept")]
pub async fn accept(
    req: HttpRequest,
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    body: Json<AcceptInput>,
) -> Result<HttpResponse, ApiError> {
    let today = state.clock.today();
    caller.require(Permission::PartyManage)?;
    let on = app::party::relations::check_accept(&body.0, today).map_err(ApiError::validation)?;
    let if_match = optional_if_match(&req)?;
    let id = path.into_inner();
    let c = caller.0.clone();
    let v =
        crate::db::write(&state.pool, move |conn| app::party::relations::accept(conn, &c, id, if_match, on)).await?;
    Ok(crate::routes::common::ok_with_etag(&v, v.version))
}

/// Withdraws a pending transfer (the sending side) or returns it (the receiving side): the relation stays in its
/// branch as before the transfer, the reason kept as the step's note. Not transferring: 409
/// `party_relation_wrong_status`; before the transfer: 422 `party_date_order`; out of sight: 404. `If-Match`
/// optional. Emits `party.relation_changed` (`action` `withdraw`).
#[utoipa::path(tag = "party", security(("bearer" = ["party.manage"])), request_body = WithdrawInput,
    params(("id" = i64, Path, description = "Relation id"),
        ("If-Match" = Option<String>, Header, description = "ETag of the relation read")),
    responses((status = 200, body = RelationView, headers(("ETag" = String))), crate::openapi::WriteErrors))]
#[post("/party-relations/{id}/withdraw")]
pub async fn withdraw(
    req: HttpRequest,
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    body: Json<WithdrawInput>,
) -> Result<HttpResponse, ApiError> {
    let today = state.clock.today();
    caller.require(Permission::PartyManage)?;
    let asked = app::party::relations::check_withdraw(&body.0, today).map_err(ApiError::validation)?;
    let if_match = optional_if_match(&req)?;
    let id = path.into_inner();
    let c = caller.0.clone();
    let v = crate::db::write(&state.pool, move |conn| app::party::relations::withdraw(conn, &c, id, if_match, asked))
        .await?;
    Ok(crate::routes::common::ok_with_etag(&v, v.version))
}
