//! Feeds from the data platform (信息比对): `POST /feeds/{kind}` with a batch of records (NDJSON or CSV),
//! idempotent per `batch_id`; the stored batches and their unmatched lines. Semantics in `crate::feeds` and
//! `docs/feeds.md`.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use domain::{ErrorCode, Permission};
use serde::Deserialize;
use utoipa::IntoParams;

use super::common::{Page, PageQuery, finish, next_cursor};
use crate::auth::Caller;
use crate::error::{ApiError, FieldError};
use crate::extract::{BodyLimits, page};
use crate::state::AppState;
use app::feeds::{self, FeedAnswer, FeedKind, FeedLine, Submission, Submitted};

use app::feeds::batches::FeedBatchItem;

/// Options of a batch.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SubmitQuery {
    /// The sender's id of the batch, 1-100 characters: the same batch sent again (same id, same body) answers
    /// the stored answer; the id with another body is 422 `batch_id_reused`.
    pub batch_id: Option<String>,
}

fn kind_of(path: &str) -> Result<FeedKind, ApiError> {
    FeedKind::parse(path).ok_or_else(ApiError::not_found)
}

fn check_batch_id(value: Option<&str>) -> Result<String, ApiError> {
    let Some(value) = value else {
        return Err(ApiError::field(FieldError::with(
            "batch_id",
            ErrorCode::Required,
            "缺少 batch_id（批次号）",
            "batch_id is required",
        )));
    };
    let count = value.chars().count();
    if count == 0 || count > feeds::MAX_BATCH_ID || value.trim().is_empty() {
        return Err(ApiError::field(FieldError::with(
            "batch_id",
            ErrorCode::Length,
            format!("batch_id 应为1至{}个字符", feeds::MAX_BATCH_ID),
            format!("batch_id must be 1 to {} characters", feeds::MAX_BATCH_ID),
        )));
    }
    if value.chars().any(char::is_control) {
        return Err(ApiError::field(FieldError::with(
            "batch_id",
            ErrorCode::ControlCharacters,
            "batch_id 不能包含控制字符",
            "batch_id must not contain control characters",
        )));
    }
    Ok(value.to_owned())
}

/// Submits a batch of records from the data platform (信息比对).
///
/// One record per NDJSON line or CSV row with `id_number` (resident ID), `date` (`YYYY-MM-DD`: the visit, use or
/// trip; the date of death; the start of the sentence), `source` (the source system, at most 100 characters) and
/// optional `reference` (the record's id there, at most 100). CSV: UTF-8, UTF-8 with BOM or GB18030, a header
/// row, Chinese headers accepted (公民身份号码, 日期, 来源, 编号).
///
/// Records are matched by resident ID to the retirees of the caller's subtree; others are unmatched
/// (`not_found`), whether or not they exist elsewhere.
/// - `medical_visit`, `insurance_use`, `travel` (XM Art. 15(1), CS Art. 27): a record newer than the
///   certification on file certifies the person by data comparison on its date for one policy period; a pension
///   suspended for an overdue certification resumes in the month of the record, with the back-pay the policy
///   grants (CS Art. 32(1)). Older records are `stale`.
/// - `death`: a paid pension is suspended (`suspected_death`) from the month after the date of death, pending
///   verification.
/// - `imprisonment` (CS Art. 32(3)): a paid pension is suspended (`imprisoned`) from the month the sentence
///   starts.
///
/// A batch is all or nothing: one malformed line refuses it whole (422 with every line's errors, at most 1000
/// listed). Records dated after today are rejected per line (`date_in_future`). A new batch answers 201 with
/// `Location`; the same batch again answers 200 with the stored answer and `Idempotent-Replayed: true`.
#[utoipa::path(tag = "feeds", security(("bearer" = ["feed.submit"])),
    params(("kind" = FeedKind, Path, description = "Kind of records"),
        ("batch_id" = String, Query, description = "The sender's batch id, 1-100 characters; idempotency key of the batch",
            min_length = 1, max_length = 100, example = "his-20260715-001")),
    request_body(content = String, description = "The records", content(
        (String = "application/x-ndjson", example = "{\"id_number\":\"350203195501010016\",\"date\":\"2026-07-15\",\"source\":\"厦门市医保平台\",\"reference\":\"MV-20260715-0001\"}\n"),
        (String = "text/csv", example = "id_number,date,source,reference\n350203195501010016,2026-07-15,厦门市医保平台,MV-20260715-0001\n"))),
    responses(
        (status = 201, description = "A new batch, processed", body = FeedAnswer, headers(("Location" = String))),
        (status = 200, description = "The same batch again: the stored answer", body = FeedAnswer,
            headers(("Location" = String), ("Idempotent-Replayed" = String))),
        crate::openapi::WriteErrors))]
#[post("/feeds/{kind}")]
pub async fn submit_feed(
    req: HttpRequest,
    caller: Caller,
    state: web::Data<AppState>,
    limits: web::Data<BodyLimits>,
    path: web::Path<String>,
    query: web::Query<SubmitQuery>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    caller.require(Permission::FeedSubmit)?;
    let kind = kind_of(&path)?;
    let batch_id = check_batch_id(query.batch_id.as_deref())?;
    let limit = limits.import.min(feeds::MAX_BODY_BYTES);
    let operation = format!("/feeds/{}", kind.as_str());
    let upload = crate::upload::receive(&req, None, payload, limit, &feeds::CONTENT_TYPES, &operation).await?;
    let mut submission = Submission {
        kind,
        batch_id,
        sha256: String::new(),
        ndjson: upload.content_type == "application/x-ndjson",
        raw: upload.path.clone(),
        dir: upload.dir.path().to_owned(),
        caller: caller.0,
        today: state.clock.today(),
        unpacked_limit: upload.unpacked_limit,
    };
    let dir = upload.dir;
    let submitted = crate::db::run(&state.pool, move |conn| {
        submission.sha256 = feeds::sha256_of(&submission.raw)?;
        let answer = feeds::submit(conn, &submission);
        drop(dir);
        answer
    })
    .await?;
    let metrics = &state.metrics;
    match &submitted {
        Submitted::Created(_, body) => {
            let answer: serde_json::Value = serde_json::from_str(body).map_err(ApiError::internal)?;
            let mut records = Vec::with_capacity(3);
            for field in ["matched", "unmatched", "rejected"] {
                let n =
                    answer[field].as_u64().ok_or_else(|| ApiError::internal(format!("feed answer without {field}")))?;
                records.push((field, n));
            }
            metrics.feed_batch(kind.as_str(), true, &records);
        }
        Submitted::Replayed(..) => metrics.feed_batch(kind.as_str(), false, &[]),
    }
    let (status, id, body, replayed) = match submitted {
        Submitted::Created(id, body) => (StatusCode::CREATED, id, body, false),
        Submitted::Replayed(id, body) => (StatusCode::OK, id, body, true),
    };
    let mut response = HttpResponse::build(status);
    response.insert_header((header::LOCATION, feeds::links(kind, id).batch));
    if replayed {
        response.insert_header(("Idempotent-Replayed", "true"));
    }
    Ok(response.content_type("application/json").body(body))
}

/// Batches of a kind matched within the caller's subtree, newest first.
#[utoipa::path(tag = "feeds", security(("bearer" = ["feed.submit"])),
    params(("kind" = FeedKind, Path, description = "Kind of records"), PageQuery),
    responses((status = 200, body = Page<FeedBatchItem>), crate::openapi::ReadErrors))]
#[get("/feeds/{kind}/batches")]
pub async fn list_feed_batches(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<String>,
    query: web::Query<PageQuery>,
) -> Result<web::Json<Page<FeedBatchItem>>, ApiError> {
    caller.require(Permission::FeedSubmit)?;
    let kind = kind_of(&path)?;
    let mut problems = Vec::new();
    let (limit, before) = page::<i64>("fb", query.limit.as_deref(), query.cursor.as_deref(), &mut problems);
    finish(problems)?;
    let c = caller.0.clone();
    let items = crate::db::run(&state.pool, move |conn| feeds::batches::list(conn, &c, kind, before, limit)).await?;
    let next = next_cursor(&items, limit, "fb", |b| b.id.to_string());
    Ok(web::Json(Page { items, next_cursor: next }))
}

/// One batch: the answer it was given.
#[utoipa::path(tag = "feeds", security(("bearer" = ["feed.submit"])),
    params(("kind" = FeedKind, Path, description = "Kind of records"), ("id" = i64, Path, description = "Batch id")),
    responses((status = 200, body = FeedAnswer), crate::openapi::ReadErrors))]
#[get("/feeds/{kind}/batches/{id}")]
pub async fn get_feed_batch(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<(String, i64)>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Permission::FeedSubmit)?;
    let (kind, id) = path.into_inner();
    let kind = kind_of(&kind)?;
    let c = caller.0.clone();
    let summary = crate::db::run(&state.pool, move |conn| feeds::batches::answer(conn, &c, kind, id)).await?;
    Ok(HttpResponse::Ok().content_type("application/json").body(summary))
}

/// Every unmatched (`not_found`) and rejected (`date_in_future`) line of a batch, by line.
#[utoipa::path(tag = "feeds", security(("bearer" = ["feed.submit"])),
    params(("kind" = FeedKind, Path, description = "Kind of records"), ("id" = i64, Path, description = "Batch id"),
        PageQuery),
    responses((status = 200, body = Page<FeedLine>), crate::openapi::ReadErrors))]
#[get("/feeds/{kind}/batches/{id}/unmatched")]
pub async fn list_feed_unmatched(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<(String, i64)>,
    query: web::Query<PageQuery>,
) -> Result<web::Json<Page<FeedLine>>, ApiError> {
    caller.require(Permission::FeedSubmit)?;
    let (kind, id) = path.into_inner();
    let kind = kind_of(&kind)?;
    let mut problems = Vec::new();
    let (limit, after) = page::<i64>("fu", query.limit.as_deref(), query.cursor.as_deref(), &mut problems);
    finish(problems)?;
    let c = caller.0.clone();
    let items =
        crate::db::run(&state.pool, move |conn| feeds::batches::unmatched(conn, &c, kind, id, after, limit)).await?;
    let next = next_cursor(&items, limit, "fu", |l| l.line.to_string());
    Ok(web::Json(Page { items, next_cursor: next }))
}
