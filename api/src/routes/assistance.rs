//! Assistance referral 低保/特困转介 (issue 25 part 4; JN Art. 7(8); GUIDE 走访制度): referrals to civil affairs linked
//! to the visit that found the hardship, civil affairs' answers, the worklist of open referrals and the file. The use
//! cases are in [`app::assistance`].

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use domain::Permission;
use domain::assistance::ReferralStatus;
use serde::Deserialize;
use utoipa::IntoParams;

use super::common::{Page, code_filter, finish, next_cursor};
use super::files::{self, FileParams};
use crate::auth::Caller;
use crate::error::ApiError;
use crate::extract::{Json, optional_if_match, page};
use crate::state::AppState;

use app::assistance::{ReferralAnswerInput, ReferralInput, ReferralView};
pub use domain::assistance::{AssistanceKind, ReferralAction, ReferralStatus as AssistanceReferralStatus};

const CURSOR: &str = "ar";

/// Refers a person in hardship to civil affairs for 低保 (`minimum_living`) or 特困 (`extreme_poverty`), linked to the
/// visit that found it (a visit of this person in the caller's subtree; else 422 `visit_not_found`). One open
/// referral per person and kind (409 `referral_open`). Emits `assistance.referred`.
#[utoipa::path(tag = "assistance", security(("bearer" = ["assistance.manage"])), request_body = ReferralInput,
    responses((status = 201, body = ReferralView, headers(("Location" = String), ("ETag" = String))),
        crate::openapi::WriteErrors))]
#[post("/assistance-referrals")]
pub async fn refer(
    caller: Caller,
    state: web::Data<AppState>,
    body: Json<ReferralInput>,
) -> Result<HttpResponse, ApiError> {
    let today = state.clock.today();
    caller.require(Permission::AssistanceManage)?;
    let asked = app::assistance::check(&body.0, today).map_err(ApiError::validation)?;
    let c = caller.0.clone();
    let v = crate::db::write(&state.pool, move |conn| app::assistance::refer(conn, &c, asked)).await?;
    Ok(crate::routes::common::created_with_etag(format!("/api/v1/assistance-referrals/{}", v.id), &v, v.version))
}

/// Filters of the referral list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReferralQuery {
    /// `true`: the worklist, referrals civil affairs has still to answer (`referred`, `accepted`).
    pub open: Option<String>,
    /// Only this status: `referred`, `accepted`, `refused`, `granted`.
    pub status: Option<String>,
    /// Page size, 1-500 (default 50).
    pub limit: Option<String>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

fn statuses(open: Option<&str>, status: Option<&str>, errors: &mut Vec<app::error::FieldError>) -> Vec<ReferralStatus> {
    let open = code_filter("open", open, &["true", "false"], errors).is_some_and(|v| v == "true");
    let codes: Vec<&str> = ReferralStatus::ALL.iter().map(|s| s.as_str()).collect();
    let one = code_filter("status", status, &codes, errors).and_then(|s| ReferralStatus::parse(&s));
    match (open, one) {
        (_, Some(s)) => vec![s],
        (true, None) => ReferralStatus::ALL.iter().copied().filter(|s| s.is_open()).collect(),
        (false, None) => Vec::new(),
    }
}

/// Referrals of the people in the caller's subtree, by id; `open=true` is the worklist. An audited read
/// (`assistance.list`).
#[utoipa::path(tag = "assistance", security(("bearer" = ["retiree.read"])), params(ReferralQuery),
    responses((status = 200, body = Page<ReferralView>), crate::openapi::ReadErrors))]
#[get("/assistance-referrals")]
pub async fn list(
    caller: Caller,
    state: web::Data<AppState>,
    query: web::Query<ReferralQuery>,
) -> Result<web::Json<Page<ReferralView>>, ApiError> {
    app::assistance::require_read(&caller)?;
    let q = query.into_inner();
    let mut errors = Vec::new();
    let (limit, after) = page::<i64>(CURSOR, q.limit.as_deref(), q.cursor.as_deref(), &mut errors);
    let wanted = statuses(q.open.as_deref(), q.status.as_deref(), &mut errors);
    finish(errors)?;
    let c = caller.0.clone();
    let items = crate::db::read_audited_listing(&state, &caller.login, move |conn| {
        app::assistance::list(conn, &c, &wanted, after, limit)
    })
    .await?;
    let next = next_cursor(&items, limit, CURSOR, |v| v.id.to_string());
    Ok(web::Json(Page { items, next_cursor: next }))
}

/// One referral of a person in the caller's subtree; an audited read (`assistance.read`).
#[utoipa::path(tag = "assistance", security(("bearer" = ["retiree.read"])),
    params(("id" = i64, Path, description = "Referral id")),
    responses((status = 200, body = ReferralView, headers(("ETag" = String))), crate::openapi::ReadErrors))]
#[get("/assistance-referrals/{id}")]
pub async fn get_one(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    app::assistance::require_read(&caller)?;
    let id = path.into_inner();
    let c = caller.0.clone();
    let v = crate::db::read_audited(&state, move |conn| app::assistance::get(conn, &c, id)).await?;
    Ok(crate::routes::common::ok_with_etag(&v, v.version))
}

/// Records civil affairs' answer: `accept` a referral, `refuse` it (with the reason in `note`) before or after
/// accepting, `grant` an accepted one from a day (`granted_from`). An answer that does not fit the status: 409
/// `referral_wrong_status`. `If-Match` optional (stale: 412). Emits `assistance.changed`.
#[utoipa::path(tag = "assistance", security(("bearer" = ["assistance.manage"])), request_body = ReferralAnswerInput,
    params(("id" = i64, Path, description = "Referral id"),
        ("If-Match" = Option<String>, Header, description = "ETag of the referral read")),
    responses((status = 200, body = ReferralView, headers(("ETag" = String))), crate::openapi::WriteErrors))]
#[post("/assistance-referrals/{id}/answers")]
pub async fn answer(
    req: HttpRequest,
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    body: Json<ReferralAnswerInput>,
) -> Result<HttpResponse, ApiError> {
    let today = state.clock.today();
    caller.require(Permission::AssistanceManage)?;
    let asked = app::assistance::check_answer(&body.0, today).map_err(ApiError::validation)?;
    let if_match = optional_if_match(&req)?;
    let id = path.into_inner();
    let c = caller.0.clone();
    let v = crate::db::write(&state.pool, move |conn| app::assistance::answer(conn, &c, id, if_match, asked)).await?;
    Ok(crate::routes::common::ok_with_etag(&v, v.version))
}

/// Which referrals to write.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportQuery {
    /// `true`: only the open ones (the worklist).
    pub open: Option<String>,
    /// Only this status.
    pub status: Option<String>,
}

/// The referrals as a file (CSV or XLSX; Chinese headers with `labels=zh`: 转介编号, 人员编号, 姓名, 所属社区, 救助类别,
/// 走访记录编号, 转介日期, 办理状态, 答复日期, 救助起始日期); audited (`assistance.export`).
#[utoipa::path(tag = "assistance", security(("bearer" = ["retiree.read"])), params(ExportQuery, FileParams),
    responses((status = 200, description = "The list as a file download",
        headers(("Content-Disposition" = String, description = "`attachment; filename=\"assistance-referrals.csv\"` (or `.xlsx`)")),
        content(
            (String = "text/csv", example = json!("转介编号,人员编号,姓名,所属社区,救助类别,走访记录编号,转介日期,办理状态,答复日期,救助起始日期\r\n5,42,张三,350203001001,最低生活保障（低保）,7,2026-12-05,已获救助,2026-12-06,2026-12-01\r\n")),
            (super::exports::XlsxFile = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        )),
        crate::openapi::ReadErrors))]
#[get("/exports/assistance-referrals")]
pub async fn export(
    req: HttpRequest,
    caller: Caller,
    state: web::Data<AppState>,
    query: web::Query<ExportQuery>,
    params: web::Query<FileParams>,
) -> Result<HttpResponse, ApiError> {
    app::assistance::require_read(&caller)?;
    let mut errors = Vec::new();
    let wanted = statuses(query.open.as_deref(), query.status.as_deref(), &mut errors);
    let o = params.settled(&req, errors)?;
    let c = caller.0.clone();
    files::audited_file(&state, move |conn| app::assistance::export(conn, &c, &wanted, o.format, o.encoding, o.labels))
        .await
}
