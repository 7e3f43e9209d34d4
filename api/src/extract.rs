//! Request extractors that answer in problem+json: JSON bodies with per-field errors, `If-Match`,
//! `Idempotency-Key`, cursors and limits.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::web::{self, BytesMut};
use actix_web::{FromRequest, HttpRequest};
use futures_util::StreamExt;
use serde::de::DeserializeOwned;
use utoipa::ToSchema;

use crate::error::{ApiError, FieldError};
use domain::ErrorCode;

/// Body size limits shared by the extractors.
#[derive(Debug, Clone, Copy)]
pub struct BodyLimits {
    /// JSON bodies.
    pub json: usize,
    /// Imported files.
    pub import: usize,
    /// An imported file once unpacked (gzip).
    pub unpacked: u64,
    /// How long a body may take before [`BodyLimits::min_rate`] applies to the rest (`HTTP_CLIENT_TIMEOUT_SECONDS`).
    pub timeout: std::time::Duration,
    /// Bytes a second a body must keep up after the first [`BodyLimits::timeout`]
    /// (`HTTP_BODY_MIN_BYTES_PER_SECOND`).
    pub min_rate: u64,
}

impl Default for BodyLimits {
    fn default() -> Self {
        Self {
            json: 256 * 1024,
            import: 512 << 20,
            unpacked: 2 << 30,
            timeout: std::time::Duration::from_secs(10),
            min_rate: 4096,
        }
    }
}

/// Reads the next chunk of a body, or answers 408 when the client is too slow: the body as a whole may take
/// `timeout` plus one second per `min_rate` bytes received (so a client sending a byte a second is cut off after
/// `timeout`, while a large upload at a normal rate is not).
pub async fn next_chunk<S, E>(
    payload: &mut S,
    limits: &BodyLimits,
    started: std::time::Instant,
    received: usize,
) -> Result<Option<web::Bytes>, ApiError>
where
    S: futures_util::Stream<Item = Result<web::Bytes, E>> + Unpin,
    E: std::fmt::Display,
{
    let allowed = limits.timeout + std::time::Duration::from_secs(received as u64 / limits.min_rate.max(1));
    let left = allowed.saturating_sub(started.elapsed());
    match actix_web::rt::time::timeout(left, payload.next()).await {
        Err(_) => Err(ApiError::request_timeout()),
        Ok(None) => Ok(None),
        Ok(Some(Err(e))) => Err(ApiError::with(
            ErrorCode::InvalidBody,
            format!("请求体读取失败：{e}"),
            format!("cannot read body: {e}"),
        )),
        Ok(Some(Ok(chunk))) => Ok(Some(chunk)),
    }
}

/// A JSON body. Unlike actix's `Json`, a body that does not fit the schema is answered 422 with the JSON pointer
/// of the offending field and every required field that is missing ([`crate::body_check`]); unreadable JSON is
/// 400, a wrong `Content-Type` 415 and an oversized body 413.
pub struct Json<T>(pub T);

impl<T: DeserializeOwned + ToSchema + 'static> FromRequest for Json<T> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let limits = req.app_data::<web::Data<BodyLimits>>().map(|l| *l.get_ref()).unwrap_or_default();
        let limit = limits.json;
        let json_type = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(|v| {
                let essence = v.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
                essence == "application/json" || essence.ends_with("+json")
            })
            .unwrap_or(false);
        let declared = req
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<usize>().ok());
        let mut payload = payload.take();
        Box::pin(async move {
            if !json_type {
                return Err(ApiError::unsupported_media_type("application/json"));
            }
            if declared.is_some_and(|n| n > limit) {
                return Err(ApiError::payload_too_large(limit));
            }
            let mut body = BytesMut::new();
            let started = std::time::Instant::now();
            while let Some(chunk) = next_chunk(&mut payload, &limits, started, body.len()).await? {
                if body.len() + chunk.len() > limit {
                    return Err(ApiError::payload_too_large(limit));
                }
                body.extend_from_slice(&chunk);
            }
            parse_json_checked(&body, &crate::body_check::BodySchema::of::<T>()).map(Json)
        })
    }
}

/// Deserialises `bytes`, turning serde's complaint into a field error with a JSON pointer. Strings holding a
/// NUL character are refused (PostgreSQL cannot store them, and no field of this API needs one).
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    parse_json_checked(bytes, &crate::body_check::BodySchema::default())
}

/// [`parse_json`], and when the body does not deserialise, every required field of `schema` that is missing is
/// named with serde's own complaint (issue 22: all of them at once, not only the first serde meets).
pub fn parse_json_checked<T: DeserializeOwned>(
    bytes: &[u8],
    schema: &crate::body_check::BodySchema,
) -> Result<T, ApiError> {
    let value: serde_json::Value = serde_json::from_slice(bytes).map_err(|inner| {
        ApiError::with(
            ErrorCode::InvalidJson,
            format!("请求体不是有效的JSON：{inner}"),
            format!("request body is not valid JSON: {inner}"),
        )
    })?;
    if let Some(pointer) = find_nul(&value, String::new()) {
        return Err(ApiError::field(FieldError::with(
            pointer,
            ErrorCode::NulCharacter,
            "文本不能包含NUL字符（\\u0000）",
            "text must not contain the NUL character (\\u0000)",
        )));
    }
    let missing = schema.missing(&value);
    match serde_path_to_error::deserialize::<_, T>(value) {
        Ok(value) => Ok(value),
        Err(err) => {
            let pointer = pointer_of(err.path());
            let first = crate::body_check::field_error_of(&pointer, &err.into_inner().to_string());
            let mut errors: Vec<FieldError> = missing.iter().map(|p| crate::body_check::missing_field(p)).collect();
            if !errors.iter().any(|e| e.field == first.field && e.code == first.code) {
                errors.push(first);
            }
            Err(ApiError::validation(errors))
        }
    }
}

/// The JSON pointer of the first string (or key) holding a NUL character.
fn find_nul(value: &serde_json::Value, at: String) -> Option<String> {
    match value {
        serde_json::Value::String(s) if s.contains('\0') => Some(if at.is_empty() { "/".into() } else { at }),
        serde_json::Value::Array(items) => items.iter().enumerate().find_map(|(i, v)| find_nul(v, format!("{at}/{i}"))),
        serde_json::Value::Object(map) => map.iter().find_map(|(k, v)| {
            let here = format!("{at}/{}", k.replace('~', "~0").replace('/', "~1"));
            if k.contains('\0') { Some(here) } else { find_nul(v, here) }
        }),
        _ => None,
    }
}

fn pointer_of(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    let mut out = String::new();
    for segment in path.iter() {
        match segment {
            Segment::Seq { index } => out.push_str(&format!("/{index}")),
            Segment::Map { key } => out.push_str(&format!("/{}", key.replace('~', "~0").replace('/', "~1"))),
            Segment::Enum { variant } => out.push_str(&format!("/{variant}")),
            Segment::Unknown => out.push_str("/?"),
        }
    }
    out
}

pub use app::precondition::IfMatch;

/// Reads a required `If-Match`: `"3"`, `W/"3"` or `*` (any); missing is 428, unreadable is 412 (it cannot match
/// any version).
pub fn if_match(req: &HttpRequest) -> Result<IfMatch, ApiError> {
    let value = req
        .headers()
        .get(header::IF_MATCH)
        .ok_or_else(ApiError::precondition_required)?
        .to_str()
        .map_err(|_| ApiError::precondition_failed())?
        .trim();
    if value == "*" {
        return Ok(IfMatch::Any);
    }
    let tag = value.strip_prefix("W/").unwrap_or(value).trim_matches('"');
    tag.parse::<i64>().map(IfMatch::Version).map_err(|_| ApiError::precondition_failed())
}

/// `If-Match` when sent, for actions that take it optionally (their state guard already refuses stale
/// transitions); sent but unreadable is 412.
pub fn optional_if_match(req: &HttpRequest) -> Result<Option<IfMatch>, ApiError> {
    if req.headers().contains_key(header::IF_MATCH) { if_match(req).map(Some) } else { Ok(None) }
}

/// The `ETag` of a version.
pub fn etag(version: i64) -> String {
    format!("\"{version}\"")
}

/// Reads `Idempotency-Key`: up to 200 visible ASCII characters.
pub fn idempotency_key(req: &HttpRequest) -> Result<Option<String>, ApiError> {
    let Some(value) = req.headers().get("idempotency-key") else { return Ok(None) };
    let text = value.to_str().unwrap_or_default().trim();
    if text.is_empty() || text.len() > 200 || !text.bytes().all(|b| (0x21..=0x7e).contains(&b)) {
        return Err(ApiError::of(ErrorCode::InvalidIdempotencyKey));
    }
    Ok(Some(text.to_owned()))
}

/// Default page size.
pub const DEFAULT_LIMIT: i64 = 50;
/// Largest page size.
pub const MAX_LIMIT: i64 = 500;

/// Parses `limit` (1..=500, default 50).
pub fn limit(value: Option<&str>) -> Result<i64, FieldError> {
    match value {
        None => Ok(DEFAULT_LIMIT),
        Some(text) => match text.trim().parse::<i64>() {
            Ok(n) if (1..=MAX_LIMIT).contains(&n) => Ok(n),
            _ => Err(FieldError::with(
                "limit",
                ErrorCode::LimitRange,
                format!("limit 应为1至{MAX_LIMIT}的整数"),
                format!("limit must be a whole number from 1 to {MAX_LIMIT}"),
            )),
        },
    }
}

/// An opaque cursor: base64url of `kind:value`.
pub fn encode_cursor(kind: &str, value: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("{kind}:{value}"))
}

/// Decodes a cursor made by [`encode_cursor`] with the same `kind`.
pub fn decode_cursor(kind: &str, cursor: Option<&str>) -> Result<Option<String>, FieldError> {
    use base64::Engine;
    let Some(cursor) = cursor else { return Ok(None) };
    let bad = bad_cursor;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(cursor.trim()).map_err(|_| bad())?;
    let text = String::from_utf8(bytes).map_err(|_| bad())?;
    let value = text.strip_prefix(kind).and_then(|rest| rest.strip_prefix(':')).ok_or_else(bad)?;
    Ok(Some(value.to_owned()))
}

/// Reads `limit` and `cursor` together, collecting their errors; the cursor holds a `T` (an id or a code).
pub fn page<T: std::str::FromStr>(
    kind: &str,
    limit_text: Option<&str>,
    cursor: Option<&str>,
    errors: &mut Vec<FieldError>,
) -> (i64, Option<T>) {
    let limit = limit(limit_text).map_err(|e| errors.push(e)).unwrap_or(1);
    let after = match decode_cursor(kind, cursor) {
        Ok(Some(value)) => value.parse::<T>().map_err(|_| errors.push(bad_cursor())).ok(),
        Ok(None) => None,
        Err(e) => {
            errors.push(e);
            None
        }
    };
    (limit, after)
}

fn bad_cursor() -> FieldError {
    FieldError::with(
        "cursor",
        ErrorCode::InvalidCursor,
        "cursor 无效，请使用上一页返回的 next_cursor",
        "cursor is not one this list returned",
    )
}

pub use app::input::parse_date;

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Body {
        name: String,
        items: Vec<Item>,
    }

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Item {
        n: i32,
    }

    #[test]
    fn pointers_name_the_field() {
        let err = parse_json::<Body>(br#"{"name": "a", "items": [{"n": "x"}]}"#).unwrap_err();
        assert_eq!(err.code(), "invalid_type");
        assert_eq!(err.problem().errors[0].field, "/items/0/n");
        let err = parse_json::<Body>(br#"{"items": []}"#).unwrap_err();
        assert_eq!(err.problem().errors[0].field, "/name");
        let err = parse_json::<Body>(br#"{"name": "a", "items": [], "extra": 1}"#).unwrap_err();
        assert_eq!(err.code(), "unknown_field");
        assert_eq!(err.problem().errors[0].field, "/extra");
        let err = parse_json::<Body>(b"{").unwrap_err();
        assert_eq!(err.code(), "invalid_json");
        let err = parse_json::<Body>(br#"{"name": "a\u0000b", "items": []}"#).unwrap_err();
        assert_eq!(err.code(), "nul_character");
        assert_eq!(err.problem().errors[0].field, "/name");
    }

    #[test]
    fn cursors_round_trip_and_refuse_foreign_ones() {
        let c = encode_cursor("retiree", "42");
        let mut errors = Vec::new();
        assert_eq!(page::<i64>("retiree", None, Some(&c), &mut errors), (50, Some(42)));
        assert!(errors.is_empty());
        assert_eq!(page::<i64>("user", Some("10"), Some(&c), &mut errors), (10, None));
        assert_eq!(page::<i64>("retiree", Some("0"), Some("!!"), &mut errors), (1, None));
        assert_eq!(
            errors.iter().map(|e| e.code.as_str()).collect::<Vec<_>>(),
            ["invalid_cursor", "limit_range", "invalid_cursor"]
        );
    }

    #[test]
    fn limits_are_bounded() {
        assert_eq!(limit(None).unwrap(), 50);
        assert_eq!(limit(Some("500")).unwrap(), 500);
        assert!(limit(Some("501")).is_err());
        assert!(limit(Some("0")).is_err());
    }
}
