//! The one handler shape of the small registers imported as a file through [`app::imports::register`]
//! (`POST /imports/{kind}`: health institutions, party members, archives, care institutions, caregivers): the
//! `on_conflict` option, the accepted content types, the upload (mode, size, `Idempotency-Key`) and the 200 answer
//! with the module's [`RegisterReport`], replayed for the same key. Each route keeps its path, operation id,
//! permission, OpenAPI and the use case it calls; it hands that use case to [`import`].

use actix_web::{HttpRequest, HttpResponse, web};
use app::db::DbConnection;
use app::imports::Mode;
use app::imports::register::{RegisterReport, Upload};

use super::common::code_filter;
use crate::auth::Caller;
use crate::error::{ApiError, AppError, FieldError};
use crate::extract::BodyLimits;
use crate::state::AppState;

/// The media types a register may be sent as.
pub const REGISTER_TYPES: [&str; 5] = [
    "text/csv",
    "application/csv",
    "application/gzip",
    "application/x-gzip",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
];

/// A received register, as the module's use case reads it.
#[derive(Debug, Clone, Copy)]
pub struct Received<'a> {
    /// `atomic` or `partial`.
    pub mode: Mode,
    /// Where the file is and how it is read.
    pub file: Upload<'a>,
}

/// `on_conflict`: `error` or `skip` parsed by the module's own `parse` (absent: its default), collecting a field
/// error `invalid_enum` for anything else.
pub fn on_conflict<T: Default>(value: Option<&str>, parse: fn(&str) -> Option<T>, errors: &mut Vec<FieldError>) -> T {
    code_filter("on_conflict", value, &["error", "skip"], errors).and_then(|c| parse(&c)).unwrap_or_default()
}

/// Receives the register (`mode`, content type among [`REGISTER_TYPES`], size, `Idempotency-Key`; the fingerprint
/// covers `operation`, which names the path and the options) and runs `use_case` on it in one transaction,
/// answering 200 with its report (the first answer again for a replayed key).
#[allow(clippy::too_many_arguments)] // the extractors of the route, passed on as they are
pub async fn import<F>(
    req: &HttpRequest,
    caller: &Caller,
    state: &AppState,
    limits: &BodyLimits,
    mode: Option<&str>,
    payload: web::Payload,
    operation: &str,
    use_case: F,
) -> Result<HttpResponse, ApiError>
where
    F: FnOnce(&mut DbConnection, Received<'_>) -> Result<RegisterReport, AppError> + Send + 'static,
{
    let upload = crate::upload::receive(req, mode, payload, limits.import, &REGISTER_TYPES, operation).await?;
    let xlsx = upload.content_type == app::exports::XLSX_TYPE;
    let (mode, dir, raw, unpacked_limit) = (upload.mode, upload.dir, upload.path, upload.unpacked_limit);
    crate::idempotency::answer(state, caller, upload.key, upload.fingerprint, move |conn| {
        let file = Received { mode, file: Upload { raw: &raw, dir: dir.path(), xlsx, unpacked_limit } };
        let report = use_case(conn, file)?;
        Ok(crate::idempotency::Answered {
            status: 200,
            body: serde_json::to_value(&report).map_err(ApiError::internal)?,
        })
    })
    .await
}
