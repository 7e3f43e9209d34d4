//! `GET /events`: the change feed in commit order, scoped to the caller's subtree, resumable from any cursor
//! (issue 11; CS Art. 27, 30; JN Art. 33). One schema per event type documents the payloads ([`app::events`]).

use actix_web::{get, web};
use domain::Permission;
use serde::Deserialize;
use utoipa::IntoParams;

use crate::auth::Caller;
use crate::error::ApiError;
use crate::state::AppState;
use app::events::EventPage;

/// Query of the feed.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EventQuery {
    /// Resume after this cursor (an event id; `0` or absent: from the oldest event kept).
    pub after: Option<String>,
    /// Comma-separated event types (all when absent), e.g. `pension.suspended,pension.resumed`.
    pub types: Option<String>,
    /// Page size, 1-1000 (default 100).
    pub limit: Option<String>,
}

/// The change feed: events after `after` in commit order, in the caller's subtree (where they happened or, for
/// moves, where the person came from). No event is skipped or repeated when a consumer resumes from the
/// `next_cursor` it last stored; after a crash a consumer may see an event twice and deduplicates by `id`.
/// Personal fields are masked per role as in lists. Each page read is audited. A cursor older than what the
/// retention sweep deleted (`EVENT_RETENTION_DAYS`) is 410 `event_gone`: resynchronise from an export and read
/// from `0`, the oldest event kept.
#[utoipa::path(tag = "events", security(("bearer" = ["event.read"])), params(EventQuery),
    responses((status = 200, body = EventPage,
        example = json!({"items": [{"id": 1001, "type": "pension.suspended", "version": 1,
            "occurred_at": "2026-12-01T02:00:00Z", "jurisdiction": "350203001001",
            "subject": {"type": "retiree", "id": 42},
            "payload": {"from_status": "normal", "from_reason": null, "to_status": "suspended",
                "reason": "certification_overdue", "effective_month": "2026-12-01", "source": "run", "source_ref": 7,
                "back_pay_fen": null, "retiree": {"id": 42, "id_number": "350203195001011231", "name": "张三",
                "sex": "male", "birth_year": 1950, "retirement_date": "2010-01-01",
                "category": "enterprise_employee", "management_level": "district_managed", "community_code": "350203001001",
                "phone": null, "address": null, "pension_status": "suspended",
                "suspension_reason": "certification_overdue", "certified_until": "2026-11-30", "on_roll": true,
                "party_member": false, "version": 3}}}],
            "next_cursor": "1001", "has_more": false})),
        crate::openapi::FeedErrors))]
#[get("/events")]
pub async fn list(
    caller: Caller,
    state: web::Data<AppState>,
    query: web::Query<EventQuery>,
) -> Result<web::Json<EventPage>, ApiError> {
    caller.require(Permission::EventRead)?;
    let q = query.into_inner();
    let query = app::events::FeedQuery::parse(q.after.as_deref(), q.types.as_deref(), q.limit.as_deref())?;
    let c = caller.0.clone();
    let login = c.login.clone();
    let page = crate::db::read_audited_listing(&state, &login, move |conn| app::events::page(conn, &c, &query)).await?;
    Ok(web::Json(page))
}
