//! The working-day calendar: list a year's holidays and make-up working days, import the State Council's
//! arrangements as CSV, and answer working-day counts and deadlines with the rule the service applies
//! (`domain::calendar`). The bundled 2025-2026 arrangements are loaded when the table is empty at start.

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use domain::Permission;
use serde::Deserialize;
use utoipa::IntoParams;

use crate::auth::Caller;
use crate::error::ApiError;
use crate::extract::BodyLimits;
use crate::state::AppState;

use app::calendar::{CalendarImportReport, CalendarYearResponse, DeadlineResponse, WorkingDaysResponse, parse_csv};

/// Which year.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct YearQuery {
    /// Year, 1900-2100.
    #[param(example = "2026")]
    pub year: Option<String>,
}

/// Lists a year's public holidays and make-up working days (调休上班), in date order. Everyone signed in may read.
#[utoipa::path(tag = "calendar", security(("bearer" = [])), params(YearQuery),
    responses((status = 200, body = CalendarYearResponse, example = json!({"year": 2026, "covered": true, "items": [
        {"date": "2026-02-14", "kind": "workday", "name": "春节调休上班"},
        {"date": "2026-02-15", "kind": "holiday", "name": "春节"}]})), crate::openapi::ReadErrors))]
#[get("/calendar/holidays")]
pub async fn holidays(
    _caller: Caller,
    state: web::Data<AppState>,
    query: web::Query<YearQuery>,
) -> Result<web::Json<CalendarYearResponse>, ApiError> {
    let year = app::calendar::parse_year("year", query.year.as_deref()).map_err(ApiError::field)?;
    Ok(web::Json(crate::db::run(&state.pool, move |conn| app::calendar::holidays(conn, year)).await?))
}

/// Two dates.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct BetweenQuery {
    /// First date (not counted), `YYYY-MM-DD`, years 1900-2100.
    #[param(example = "2026-02-13")]
    pub from: Option<String>,
    /// Last date (counted), `YYYY-MM-DD`, years 1900-2100.
    #[param(example = "2026-02-28")]
    pub to: Option<String>,
}

/// Counts the working days after `from` up to and including `to` (weekends and listed holidays off, listed
/// make-up working days on).
#[utoipa::path(tag = "calendar", security(("bearer" = [])), params(BetweenQuery),
    responses((status = 200, body = WorkingDaysResponse), crate::openapi::ReadErrors))]
#[get("/calendar/working-days")]
pub async fn working_days(
    _caller: Caller,
    state: web::Data<AppState>,
    query: web::Query<BetweenQuery>,
) -> Result<web::Json<WorkingDaysResponse>, ApiError> {
    let (from, to) =
        app::calendar::check_between(query.from.as_deref(), query.to.as_deref()).map_err(ApiError::validation)?;
    Ok(web::Json(crate::db::run(&state.pool, move |conn| app::calendar::working_days(conn, from, to)).await?))
}

/// A deadline.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeadlineQuery {
    /// Day of the event (not counted), `YYYY-MM-DD`, years 1900-2100.
    #[param(example = "2026-02-13")]
    pub from: Option<String>,
    /// Deadline in working days (工作日), 0-3660. Give this or `days`.
    #[param(example = "2")]
    pub working_days: Option<String>,
    /// Deadline in calendar days (日), 0-3660. Give this or `working_days`.
    pub days: Option<String>,
}

/// Answers the due date of a deadline of N working days (or N calendar days) from an event: the day of the event
/// is not counted, the deadline is the Nth working day after it.
#[utoipa::path(tag = "calendar", security(("bearer" = [])), params(DeadlineQuery),
    responses((status = 200, body = DeadlineResponse, example = json!({"from": "2026-02-13", "working_days": 2,
        "due": "2026-02-24", "due_is_working_day": true, "uncovered_years": []})), crate::openapi::ReadErrors))]
#[get("/calendar/deadline")]
pub async fn deadline(
    _caller: Caller,
    state: web::Data<AppState>,
    query: web::Query<DeadlineQuery>,
) -> Result<web::Json<DeadlineResponse>, ApiError> {
    let ask =
        app::calendar::check_deadline(query.from.as_deref(), query.working_days.as_deref(), query.days.as_deref())
            .map_err(ApiError::validation)?;
    Ok(web::Json(crate::db::run(&state.pool, move |conn| app::calendar::deadline(conn, ask)).await?))
}

/// Import options.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ImportQuery {
    /// `atomic` (default: all rows or none) or `partial` (good rows kept, bad rows reported).
    pub mode: Option<String>,
}

/// Largest calendar file accepted.
const CALENDAR_FILE_LIMIT: usize = 4 << 20;

/// Imports holiday arrangements: CSV `date,kind,name` (UTF-8, UTF-8 with BOM or GB18030; lines starting with
/// `#` are comments). `kind` is `holiday` (a day off) or `workday` (a Saturday or Sunday that is a working day,
/// 调休上班). A date imported again is updated, never duplicated; dates are never removed. Needs a city-level role.
#[utoipa::path(tag = "imports", security(("bearer" = ["calendar.write"])), params(ImportQuery,
        ("Idempotency-Key" = Option<String>, Header, description = "Replays return the first answer")),
    request_body(content = String, content_type = "text/csv", description = "Holiday arrangement CSV",
        example = "# 国务院办公厅关于2026年部分节假日安排的通知\ndate,kind,name\n2026-02-14,workday,春节调休上班\n2026-02-15,holiday,春节\n"),
    responses((status = 200, body = CalendarImportReport, example = json!({"mode": "atomic", "rows": 2, "created": 2,
        "updated": 0, "unchanged": 0, "rejected": 0, "years": [2026], "errors": []})), crate::openapi::WriteErrors))]
#[post("/imports/calendar")]
pub async fn import(
    req: HttpRequest,
    caller: Caller,
    state: web::Data<AppState>,
    limits: web::Data<BodyLimits>,
    query: web::Query<ImportQuery>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    caller.require(Permission::CalendarWrite)?;
    // A calendar file is small: a century of arrangements is about 100 KiB.
    let limit = limits.import.min(CALENDAR_FILE_LIMIT);
    let upload = crate::upload::receive(
        &req,
        query.mode.as_deref(),
        payload,
        limit,
        &["text/csv", "application/csv"],
        "/imports/calendar",
    )
    .await?;
    let text = read_text(&upload)?;
    let (mode, key, fingerprint) = (upload.mode, upload.key, upload.fingerprint);
    let parsed = parse_csv(&text)?;
    let c = caller.0.clone();
    crate::idempotency::answer(&state, &caller, key, fingerprint, move |conn| {
        let report = app::calendar::import(conn, &c, parsed, mode)?;
        Ok(crate::idempotency::Answered {
            status: 200,
            body: serde_json::to_value(&report).map_err(ApiError::internal)?,
        })
    })
    .await
}

/// UTF-8 (a BOM is dropped) or, when the bytes are not UTF-8, GB18030 as Excel writes it.
/// The upload as UTF-8 text without BOM, through the same normalisation as division files (gzip, GB18030).
fn read_text(upload: &crate::upload::Upload) -> Result<String, ApiError> {
    let normalised = upload.dir.path().join("calendar.csv");
    app::files::normalise(&upload.path, &normalised, upload.unpacked_limit)?;
    let text = std::fs::read_to_string(&normalised).map_err(ApiError::internal)?;
    Ok(text.strip_prefix('\u{feff}').map(str::to_owned).unwrap_or(text))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn upload_of(bytes: &[u8]) -> crate::upload::Upload {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("upload");
        std::fs::write(&path, bytes).unwrap();
        crate::upload::Upload {
            mode: app::imports::Mode::Atomic,
            content_type: "text/csv".into(),
            key: None,
            fingerprint: String::new(),
            dir,
            path,
            unpacked_limit: 1 << 20,
        }
    }

    #[test]
    fn bom_and_gb18030_are_read() {
        let mut bytes = vec![0xEF, 0xBB, 0xBF];
        bytes.extend_from_slice("date,kind,name\n2026-02-15,holiday,春节\n".as_bytes());
        let parsed = parse_csv(&read_text(&upload_of(&bytes)).unwrap()).unwrap();
        assert_eq!(parsed.good.len(), 1);
        let (gbk, _, _) = encoding_rs::GB18030.encode("date,kind,name\n2026-02-15,holiday,春节\n");
        let parsed = parse_csv(&read_text(&upload_of(&gbk)).unwrap()).unwrap();
        assert_eq!(parsed.good[0].1.name, "春节");
    }
}
