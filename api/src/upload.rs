//! What every file import shares: the `mode` parameter, the accepted content types, the size limit, and the
//! upload streamed to a temporary file while its fingerprint (for `Idempotency-Key`) is computed.

use std::io::Write;
use std::path::PathBuf;

use actix_web::http::header;
use actix_web::{HttpRequest, web};
use sha2::{Digest, Sha256};

use crate::error::{ApiError, FieldError};
use crate::extract::{BodyLimits, next_chunk};
use app::imports::Mode;
use domain::ErrorCode;

/// An upload on disk.
pub struct Upload {
    /// `atomic` or `partial`.
    pub mode: Mode,
    /// The media type sent (lower case, without parameters), one of those accepted.
    pub content_type: String,
    /// `Idempotency-Key`, if sent.
    pub key: Option<String>,
    /// Hash of the operation, mode and bytes.
    pub fingerprint: String,
    /// The temporary directory (removed when dropped).
    pub dir: tempfile::TempDir,
    /// The raw bytes as received.
    pub path: PathBuf,
    /// The most bytes the file may unpack to (gzip).
    pub unpacked_limit: u64,
}

/// Reads `mode` (default `atomic`).
pub fn mode(value: Option<&str>) -> Result<Mode, ApiError> {
    match value {
        None | Some("atomic") => Ok(Mode::Atomic),
        Some("partial") => Ok(Mode::Partial),
        Some(_) => Err(ApiError::field(FieldError::with(
            "mode",
            ErrorCode::InvalidEnum,
            "mode 取值应为 atomic 或 partial",
            "mode must be atomic or partial",
        ))),
    }
}

/// Checks the content type, then streams the body to a temporary file (never whole in memory), refusing more
/// than `limit` bytes (413) and an empty body (422).
pub async fn receive(
    req: &HttpRequest,
    mode_param: Option<&str>,
    mut payload: web::Payload,
    limit: usize,
    content_types: &[&str],
    operation: &str,
) -> Result<Upload, ApiError> {
    let mode = mode(mode_param)?;
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.split(';').next().unwrap_or_default().trim().to_ascii_lowercase())
        .unwrap_or_default();
    if !content_types.contains(&content_type.as_str()) {
        return Err(ApiError::unsupported_media_type(content_types.first().copied().unwrap_or("text/csv")));
    }
    let key = crate::extract::idempotency_key(req)?;
    let dir = tempfile::tempdir().map_err(ApiError::internal)?;
    let path = dir.path().join("upload");
    let mut file = std::io::BufWriter::new(std::fs::File::create(&path).map_err(ApiError::internal)?);
    let mut hasher = Sha256::new();
    hasher.update(format!("POST {operation}?mode={mode:?}").as_bytes());
    let mut size = 0usize;
    let limits = req.app_data::<web::Data<BodyLimits>>().map(|l| *l.get_ref()).unwrap_or_default();
    let started = std::time::Instant::now();
    while let Some(chunk) = next_chunk(&mut payload, &limits, started, size).await? {
        size += chunk.len();
        if size > limit {
            return Err(ApiError::payload_too_large(limit));
        }
        hasher.update(&chunk);
        file.write_all(&chunk).map_err(ApiError::internal)?;
    }
    file.flush().map_err(ApiError::internal)?;
    if size == 0 {
        return Err(ApiError::field(FieldError::of("header", ErrorCode::EmptyFile)));
    }
    let fingerprint = hasher.finalize().iter().map(|b| format!("{b:02x}")).collect();
    Ok(Upload { mode, content_type, key, fingerprint, dir, path, unpacked_limit: limits.unpacked })
}
