//! `POST /imports/jurisdictions`: division CSV upload, streamed to a temporary file.

use actix_web::{HttpRequest, HttpResponse, post, web};
use domain::Permission;
use serde::Deserialize;
use utoipa::IntoParams;

use crate::auth::Caller;
use crate::error::ApiError;
use crate::extract::BodyLimits;
use crate::imports::ImportReport;
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
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    caller.require(Permission::JurisdictionImport)?;
    let upload = crate::upload::receive(
        &req,
        query.mode.as_deref(),
        payload,
        limits.import,
        &["text/csv", "application/csv", "application/gzip", "application/x-gzip"],
        "/imports/jurisdictions",
    )
    .await?;
    let (mode, dir, raw_path) = (upload.mode, upload.dir, upload.path);
    let c = caller.clone();
    crate::idempotency::answer(&state, &caller, upload.key, upload.fingerprint, move |conn| {
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
