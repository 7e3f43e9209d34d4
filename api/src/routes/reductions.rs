//! Reductions (减退; XM Art. 10(2), 11(3)): a person taken off the rolls.

use actix_web::{HttpResponse, get, post, web};
use domain::Permission;
use domain::movement::ReductionKind;
use domain::pension::{self as pension_rules};
use persistence::movement::{self as repo, Reduction};
use persistence::retirees::{self as people};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;

use super::common::{Page, finish, instant, next_cursor, node_in_scope};
use super::pension::{month_text, parse_month};
use super::transfers::{ListQuery, leave_city};
use crate::auth::Caller;
use crate::error::{ApiError, FieldError};
use crate::extract::{Json, page};
use crate::state::AppState;

/// A reduction to record.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"retiree_id": 42, "kind": "other", "reason": "转由军休机构管理", "effective_month": "2026-05"}))]
pub struct CreateReductionRequest {
    /// The person.
    pub retiree_id: i64,
    /// `moved_out` or `other`; deaths are reduced by the verification of a death report (409 `death_via_report`).
    pub kind: ReductionKind,
    /// Reason, 1-500 characters.
    pub reason: String,
    /// Month it takes effect (`YYYY-MM`), default this month; the person is not counted from the next month.
    #[schema(example = "2026-05")]
    pub effective_month: Option<String>,
}

/// A reduction.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ReductionResponse {
    /// Id.
    pub id: i64,
    /// The person.
    pub retiree_id: i64,
    /// Their community.
    pub community_code: String,
    /// Why.
    pub kind: ReductionKind,
    /// Reason.
    pub reason: String,
    /// Month (`YYYY-MM`).
    pub effective_month: String,
    /// What made it (`reduction`, `death_report`).
    pub source_type: String,
    /// Its id.
    pub source_id: Option<i64>,
    /// Reversed (a death report reversed).
    pub reversed: bool,
    /// Who.
    pub created_by: String,
    /// Recorded.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

fn reduction_response(r: Reduction) -> ReductionResponse {
    ReductionResponse {
        id: r.id,
        retiree_id: r.retiree_id,
        community_code: r.community_code,
        kind: r.kind,
        reason: r.reason,
        effective_month: month_text(r.effective_month),
        source_type: r.source_type,
        source_id: r.source_id,
        reversed: r.reversed,
        created_by: r.created_by,
        created_at: instant(r.created_at),
    }
}

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
    let body = body.0;
    let this_month = pension_rules::month_of(today);
    let mut errors = Vec::new();
    let reason = super::common::check_name("/reason", &body.reason, 500, &mut errors);
    let month = match body.effective_month.as_deref() {
        Some(m) => parse_month("/effective_month", m).map_err(|e| errors.push(e)).ok(),
        None => Some(this_month),
    };
    if month.is_some_and(|m| m > this_month) {
        errors.push(FieldError::new(
            "/effective_month",
            "month_in_future",
            "生效月份不能晚于本月",
            "the effective month cannot be after this month",
        ));
    }
    finish(errors)?;
    if body.kind == ReductionKind::Death {
        return Err(ApiError::of(domain::ErrorCode::DeathViaReport));
    }
    let month = month.unwrap_or(this_month);
    let c = caller.clone();
    let r = crate::db::write(&state.pool, move |conn| {
        let (retiree, path) = people::find_in_scope(conn, body.retiree_id, &c.scope_path).map_err(|e| match e {
            persistence::RepoError::NotFound => ApiError::field(FieldError::new(
                "/retiree_id",
                "retiree_not_found",
                "退休人员不存在或不在您的管辖范围内",
                "no such retiree in your jurisdiction",
            )),
            other => other.into(),
        })?;
        if !repo::on_roll(conn, retiree.id)? {
            return Err(ApiError::of(domain::ErrorCode::NotOnRoll));
        }
        if body.kind == ReductionKind::MovedOut {
            leave_city(conn, &c, &retiree, &path, month, &reason)?;
            repo::relocate(conn, retiree.id, &retiree.community_code, false, true)?;
        }
        let r = repo::reduce(
            conn,
            retiree.id,
            &retiree.community_code,
            body.kind.as_str(),
            &reason,
            month,
            ("reduction", None),
            &c.login,
        )?;
        let mut entry = c.audit("reduction.create", "reduction", r.id, &path);
        entry.retiree_id = Some(retiree.id);
        entry.detail =
            Some(serde_json::json!({"kind": body.kind.as_str(), "effective_month": month_text(month)}).to_string());
        persistence::audit::append(conn, &entry)?;
        Ok(r)
    })
    .await?;
    Ok(HttpResponse::Created()
        .insert_header(("Location", format!("/api/v1/reductions/{}", r.id)))
        .json(reduction_response(r)))
}

/// Reductions in the caller's subtree, by id.
#[utoipa::path(tag = "movements", security(("bearer" = ["retiree.read"])), params(ListQuery),
    responses((status = 200, body = Page<ReductionResponse>), crate::openapi::ReadErrors))]
#[get("/reductions")]
pub async fn list_reductions(
    caller: Caller,
    state: web::Data<AppState>,
    query: web::Query<ListQuery>,
) -> Result<web::Json<Page<ReductionResponse>>, ApiError> {
    caller.require(Permission::RetireeRead)?;
    let q = query.into_inner();
    let mut errors = Vec::new();
    let (limit, after) = page::<i64>("rd", q.limit.as_deref(), q.cursor.as_deref(), &mut errors);
    finish(errors)?;
    let code = q.jurisdiction.unwrap_or_else(|| caller.jurisdiction_code.clone());
    let c = caller.clone();
    let found = crate::db::run(&state.pool, move |conn| -> Result<_, ApiError> {
        let node = node_in_scope(conn, &c, &code, "jurisdiction")?;
        Ok(repo::list_reductions(conn, &node.path, after, limit)?)
    })
    .await?;
    let next = next_cursor(&found, limit, "rd", |r| r.id.to_string());
    Ok(web::Json(Page { items: found.into_iter().map(reduction_response).collect(), next_cursor: next }))
}
