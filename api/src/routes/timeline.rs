//! A person's timeline: every change to them and their dependants, oldest first. The use case is in
//! [`app::timeline`].

use actix_web::{get, web};
use domain::Permission;

use super::common::{Page, finish, next_cursor};
use crate::auth::Caller;
use crate::error::{ApiError, FieldError};
use crate::extract::page;
use crate::state::AppState;

use app::timeline::TimelineEntry;

/// Every change to the person and their dependents, oldest first: the writes in the audit log, the pension
/// status changes (by a user, a feed or a certification run) and the certifications.
#[utoipa::path(tag = "retirees", security(("bearer" = ["retiree.read"])), params(("id" = i64, Path, description = "Retiree id"), super::common::PageQuery),
    responses((status = 200, body = Page<TimelineEntry>), crate::openapi::ReadErrors))]
#[get("/retirees/{id}/timeline")]
pub async fn timeline(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    query: web::Query<super::common::PageQuery>,
) -> Result<web::Json<Page<TimelineEntry>>, ApiError> {
    caller.require(Permission::RetireeRead)?;
    let mut errors = Vec::new();
    let (limit, after) = page::<String>("t", query.limit.as_deref(), query.cursor.as_deref(), &mut errors);
    let cursor = after.and_then(|text| {
        let c = app::timeline::decode_cursor(&text);
        if c.is_none() {
            errors.push(FieldError::with(
                "cursor",
                domain::ErrorCode::InvalidCursor,
                "cursor 无效，请使用上一页返回的 next_cursor",
                "cursor is not one this list returned",
            ));
        }
        c
    });
    finish(errors)?;
    let id = path.into_inner();
    let c = caller.clone();
    let entries =
        crate::db::read_audited(&state, move |conn| app::timeline::timeline(conn, &c, id, cursor, limit)).await?;
    let next = next_cursor(&entries, limit, "t", |(key, _)| app::timeline::encode_cursor(*key));
    Ok(web::Json(Page { items: entries.into_iter().map(|(_, e)| e).collect(), next_cursor: next }))
}
