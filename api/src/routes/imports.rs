//! `POST /imports/jurisdictions`: division CSV upload, streamed to a temporary file.

use std::io::Write;

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, post, web};
use domain::Permission;
use futures_util::StreamExt;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use utoipa::IntoParams;

use crate::auth::Caller;
use crate::error::{ApiError, FieldError};
use crate::extract::BodyLimits;
use crate::imports::{ImportReport, Mode};
use crate::state::AppState;

/// Import options.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ImportQuery {
    /// `atomic` (default: all rows or none) or `partial` (good rows kept, bad rows reported).
    pub mode: Option<String>,
}

/// Imports a division tree: CSV `code,name,level,parent_code` (UTF-8, UTF-8 with BOM or GB18030; gzip
/// accepted). Existing codes are updated, never duplicated; a node whose parent is in neither the file nor the
/// tree becomes a root. Every node must land in the caller's subtree.
#[utoipa::path(tag = "imports", security(("bearer" = [])), params(ImportQuery,
        ("Idempotency-Key" = Option<String>, Header, description = "Replays return the first answer")),
    request_body(content = String, content_type = "text/csv", description = "Division CSV",
        example = "code,name,level,parent_code\n3502,厦门市,city,35\n350203,思明区,district,3502\n"),
    responses((status = 200, body = ImportReport, example = json!({"mode": "atomic", "rows": 616, "created": 616, "updated": 0,
        "unchanged": 0, "rejected": 0, "errors": []})), crate::openapi::WriteErrors))]
#[post("/imports/jurisdictions")]
pub async fn jurisdictions(
    req: HttpRequest,
    caller: Caller,
    state: web::Data<AppState>,
    limits: web::Data<BodyLimits>,
    query: web::Query<ImportQuery>,
    mut payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    caller.require(Permission::JurisdictionImport)?;
    let mode = match query.mode.as_deref() {
        None | Some("atomic") => Mode::Atomic,
        Some("partial") => Mode::Partial,
        Some(_) => {
            return Err(ApiError::field(FieldError::new(
                "mode",
                "invalid_enum",
                "mode 取值应为 atomic 或 partial",
                "mode must be atomic or partial",
            )));
        }
    };
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.split(';').next().unwrap_or_default().trim().to_ascii_lowercase())
        .unwrap_or_default();
    if !matches!(content_type.as_str(), "text/csv" | "application/csv" | "application/gzip" | "application/x-gzip") {
        return Err(ApiError::unsupported_media_type("text/csv"));
    }
    let key = crate::extract::idempotency_key(&req)?;
    let dir = tempfile::tempdir().map_err(ApiError::internal)?;
    let raw_path = dir.path().join("upload");
    let mut raw = std::io::BufWriter::new(std::fs::File::create(&raw_path).map_err(ApiError::internal)?);
    let mut hasher = Sha256::new();
    hasher.update(format!("POST /imports/jurisdictions?mode={mode:?}").as_bytes());
    let mut size = 0usize;
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| {
            ApiError::bad_request("invalid_body", format!("请求体读取失败：{e}"), format!("cannot read body: {e}"))
        })?;
        size += chunk.len();
        if size > limits.import {
            return Err(ApiError::payload_too_large(limits.import));
        }
        hasher.update(&chunk);
        raw.write_all(&chunk).map_err(ApiError::internal)?;
    }
    raw.flush().map_err(ApiError::internal)?;
    drop(raw);
    if size == 0 {
        return Err(ApiError::field(FieldError::new("header", "empty_file", "文件为空", "the file is empty")));
    }
    let fingerprint: String = hasher.finalize().iter().map(|b| format!("{b:02x}")).collect();
    let c = caller.clone();
    crate::idempotency::answer(&state, &caller, key, fingerprint, move |conn| {
        let normalised = dir.path().join("import.csv");
        crate::imports::normalise(&raw_path, &normalised)?;
        let report = crate::imports::import(conn, &normalised, mode, &c.scope_path, &c.login)?;
        let mut entry = c.audit("jurisdiction.import", "jurisdiction_import", "", &c.scope_path);
        entry.object_id = None;
        entry.detail = Some(
            serde_json::json!({"mode": report.mode, "rows": report.rows, "created": report.created,
                "updated": report.updated, "unchanged": report.unchanged, "rejected": report.rejected})
            .to_string(),
        );
        persistence::audit::append(conn, &entry)?;
        Ok(crate::idempotency::Answered {
            status: 200,
            body: serde_json::to_value(&report).map_err(ApiError::internal)?,
        })
    })
    .await
}
