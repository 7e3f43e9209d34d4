//! Special-group ledgers, step 3 "compare" (GUIDE 第四章五; issue 27, reports27): the people of a ledger whom the
//! deaths feed and death reports say are dead, as a page and as a file. The use cases are
//! `app::reports::comparison`.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use domain::Permission;
use serde::Deserialize;
use utoipa::IntoParams;

use super::common::{Page, finish, next_cursor};
use super::files::FileParams;
use crate::auth::Caller;
use crate::error::{ApiError, FieldError};
use crate::extract::Json;
use crate::state::AppState;

use app::feeds::ledgers::{LedgerFeedAnswer, LedgerFeedBatch, LedgerFeedKind};
use app::reports::comparison::ComparisonEntry;

const CURSOR: &str = "lc";

/// The query of a comparison page.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ComparisonQuery {
    /// A node in the caller's subtree (default: the caller's node).
    pub jurisdiction: Option<String>,
    /// Page size, 1-500 (default 50).
    pub limit: Option<String>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// The ledger of a special group compared with the deaths feed and death reports (GUIDE 第四章五 step 3): people
/// computed or recorded a member for whom a death report stands (`reported` pending verification, from the feed or
/// a person; `verified`), finding `reported_dead`, by person id. Unknown group: 404; node outside the subtree: 422
/// `jurisdiction_not_found`.
#[utoipa::path(tag = "reports", security(("bearer" = ["retiree.read"])),
    params(("group" = String, Path, description = "Ledger group"), ComparisonQuery),
    responses((status = 200, body = Page<ComparisonEntry>), crate::openapi::LedgerComparisonErrors))]
#[get("/ledgers/{group}/comparison")]
pub async fn comparison(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<String>,
    query: web::Query<ComparisonQuery>,
) -> Result<web::Json<Page<ComparisonEntry>>, ApiError> {
    let today = state.clock.today();
    caller.require(Permission::RetireeRead)?;
    let group = app::reports::ledgers::ledger_group(&path.into_inner())?;
    let q = query.into_inner();
    let mut errors = Vec::new();
    let (limit, after) = crate::extract::page::<i64>(CURSOR, q.limit.as_deref(), q.cursor.as_deref(), &mut errors);
    finish(errors)?;
    let code = q.jurisdiction.unwrap_or_else(|| caller.jurisdiction_code.clone());
    let c = caller.0.clone();
    let items = crate::db::run(&state.pool, move |conn| {
        app::reports::comparison::comparison(conn, &c, today, group, &code, after.unwrap_or(0), limit)
    })
    .await?;
    let next = next_cursor(&items, limit, CURSOR, |v| v.retiree_id.to_string());
    Ok(web::Json(Page { items, next_cursor: next }))
}

/// The node of a comparison file.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ComparisonNodeQuery {
    /// A node in the caller's subtree (default: the caller's node).
    pub jurisdiction: Option<String>,
}

/// The comparison of a special group's ledger as a file (XLSX with the group, node and day in the title and Chinese
/// headers, or CSV), at most 100,000 rows (413 `too_many_rows`). Audited `ledger.comparison_export`.
#[utoipa::path(tag = "reports", security(("bearer" = ["retiree.read"])),
    params(("group" = String, Path, description = "Ledger group"), ComparisonNodeQuery, FileParams),
    responses((status = 200, description = "The comparison file",
        content(
            (String = "text/csv", example = json!("retiree_id,community_code,computed,recorded,finding,death_report_id,date_of_death,report_status,from_feed\r\n42,350203001001,true,true,reported_dead,7,2026-11-20,reported,true\r\n")),
            (super::exports::XlsxFile = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        )),
        crate::openapi::LedgerComparisonErrors))]
#[get("/exports/ledgers/{group}/comparison")]
pub async fn export_comparison(
    req: HttpRequest,
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<String>,
    query: web::Query<ComparisonNodeQuery>,
    params: web::Query<FileParams>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Permission::RetireeRead)?;
    let jurisdiction = query.into_inner().jurisdiction;
    super::files::ledger_file(
        &req,
        &caller,
        &state,
        &path.into_inner(),
        jurisdiction,
        &params,
        app::reports::comparison::export,
    )
    .await
}

/// The batch id of a ledger feed.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LedgerFeedQuery {
    /// The sender's id of the batch, 1-100 characters: the same batch again answers the stored answer; the id with
    /// other records is 422 `batch_id_reused`.
    pub batch_id: Option<String>,
}

/// Submits a batch of the data platform's records for the special-group ledgers (GUIDE 第四章五 step 3 "比对").
///
/// - `hardship_list`: the civil-affairs hardship list 民政特困人员名单, records with `id_number`, `name`, `status`
///   (`listed` 在册 or `withdrawn` 退出), `since` and `source_ref`; compared with the ledger `severe_hardship`.
/// - `serious_illness`: hospital records of serious illness 医院重病记录, records with `id_number`,
///   `diagnosis_category`, `date`, `institution` and `source_ref`; health data: the caller also needs
///   `health.read` (else 403); compared with the ledger `seriously_ill`.
///
/// Records are matched by resident ID to the people of the caller's subtree (others `not_found`, masked) and kept
/// once per `source_ref` (again: `duplicates`). One broken field refuses the batch (422 naming
/// `/records/{i}/{field}`). A new batch answers 201, the same batch again 200 with `Idempotent-Replayed: true`.
/// Audited `feed.hardship_list` / `feed.serious_illness`. Unknown kind: 404.
#[utoipa::path(tag = "feeds", security(("bearer" = ["feed.submit"])),
    params(("kind" = LedgerFeedKind, Path, description = "Kind of records"), LedgerFeedQuery),
    request_body = LedgerFeedBatch,
    responses(
        (status = 201, description = "A new batch, kept", body = LedgerFeedAnswer),
        (status = 200, description = "The same batch again: the stored answer", body = LedgerFeedAnswer,
            headers(("Idempotent-Replayed" = String))),
        crate::openapi::WriteErrors))]
#[post("/feeds/ledgers/{kind}")]
pub async fn submit_ledger_feed(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<String>,
    query: web::Query<LedgerFeedQuery>,
    body: Json<LedgerFeedBatch>,
) -> Result<HttpResponse, ApiError> {
    let today = state.clock.today();
    caller.require(Permission::FeedSubmit)?;
    let kind = LedgerFeedKind::parse(&path.into_inner()).ok_or_else(ApiError::not_found)?;
    if kind == LedgerFeedKind::SeriousIllness {
        caller.require(Permission::HealthRead)?;
    }
    let batch_id = match query.into_inner().batch_id {
        Some(b)
            if !b.trim().is_empty()
                && b.chars().count() <= app::feeds::MAX_BATCH_ID
                && !b.chars().any(char::is_control) =>
        {
            b
        }
        Some(_) => {
            return Err(ApiError::field(FieldError::with(
                "batch_id",
                domain::ErrorCode::Length,
                format!("batch_id 应为1至{}个可见字符", app::feeds::MAX_BATCH_ID),
                format!("batch_id must be 1 to {} visible characters", app::feeds::MAX_BATCH_ID),
            )));
        }
        None => {
            return Err(ApiError::field(FieldError::with(
                "batch_id",
                domain::ErrorCode::Required,
                "缺少 batch_id（批次号）",
                "batch_id is required",
            )));
        }
    };
    let c = caller.0.clone();
    let body = body.0;
    let submitted =
        crate::db::write(&state.pool, move |conn| app::feeds::ledgers::submit(conn, &c, today, kind, &batch_id, &body))
            .await?;
    let (status, body, replayed) = match submitted {
        app::feeds::ledgers::LedgerSubmitted::Created(_, body) => (StatusCode::CREATED, body, false),
        app::feeds::ledgers::LedgerSubmitted::Replayed(_, body) => (StatusCode::OK, body, true),
    };
    let mut response = HttpResponse::build(status);
    if replayed {
        response.insert_header(("Idempotent-Replayed", "true"));
    }
    Ok(response.content_type("application/json").body(body))
}
