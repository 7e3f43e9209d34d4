//! Small helpers shared by the route modules.

use actix_web::HttpResponse;
use actix_web::http::header;
use serde::{Deserialize, Serialize};
use time::{OffsetDateTime, PrimitiveDateTime};
use utoipa::IntoParams;

use crate::error::{ApiError, FieldError};

/// A page of a list.
#[derive(Debug, Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct Page<T> {
    /// Items of this page.
    pub items: Vec<T>,
    /// Cursor for the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

/// Stored UTC timestamp as an instant.
pub fn instant(ts: PrimitiveDateTime) -> OffsetDateTime {
    ts.assume_utc()
}

/// 200 with an `ETag`.
pub fn ok_with_etag<T: Serialize>(body: &T, version: i64) -> HttpResponse {
    HttpResponse::Ok().insert_header((header::ETAG, crate::extract::etag(version))).json(body)
}

/// 201 with the new resource's `Location` and `ETag`.
pub fn created_with_etag<T: Serialize>(location: String, body: &T, version: i64) -> HttpResponse {
    HttpResponse::Created()
        .insert_header((header::LOCATION, location))
        .insert_header((header::ETAG, crate::extract::etag(version)))
        .json(body)
}

/// Fails with every collected field error, if any.
pub fn finish(errors: Vec<FieldError>) -> Result<(), ApiError> {
    if errors.is_empty() { Ok(()) } else { Err(ApiError::validation(errors)) }
}

/// Builds the next cursor when the page is full.
pub fn next_cursor<T>(items: &[T], limit: i64, kind: &str, key: impl Fn(&T) -> String) -> Option<String> {
    if items.len() as i64 == limit {
        items.last().map(|last| crate::extract::encode_cursor(kind, &key(last)))
    } else {
        None
    }
}

/// Parses an enumeration code from a query parameter, collecting a field error naming the allowed codes.
pub fn enum_filter<T: Copy>(
    name: &str,
    value: Option<&str>,
    parse: fn(&str) -> Option<T>,
    codes: Vec<&'static str>,
    errors: &mut Vec<FieldError>,
) -> Option<T> {
    let value = value?;
    let parsed = parse(value);
    if parsed.is_none() {
        errors.push(FieldError::new(
            name,
            "invalid_enum",
            format!("{name} 取值应为 {}", codes.join("、")),
            format!("{name} must be one of {}", codes.join(", ")),
        ));
    }
    parsed
}

/// `Some(code)` when `value` is one of the codes `allowed` (string filters without an enum of their own), else a
/// 422 `invalid_enum` naming `field`, as [`enum_filter`] does for enums.
pub fn code_filter(field: &str, value: Option<&str>, allowed: &[&str], errors: &mut Vec<FieldError>) -> Option<String> {
    let v = value?;
    if allowed.contains(&v) {
        Some(v.to_owned())
    } else {
        errors.push(FieldError::new(
            field,
            "invalid_enum",
            format!("{field} 取值应为 {}", allowed.join("、")),
            format!("{field} must be one of {}", allowed.join(", ")),
        ));
        None
    }
}

/// A `true`/`false` query parameter (absent: `false`), collecting a field error `invalid_value` for anything else.
pub fn flag(name: &str, v: Option<&str>, errors: &mut Vec<FieldError>) -> bool {
    match v {
        None | Some("false") => false,
        Some("true") => true,
        Some(_) => {
            errors.push(FieldError::with(name, domain::ErrorCode::InvalidValue, "应为 true 或 false", "true or false"));
            false
        }
    }
}

/// Page parameters of a list: one `PageQuery` for every route module.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// Page size, 1-500 (default 50).
    pub limit: Option<String>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// Page parameters of a list within a node of the caller's subtree (transfers, reductions).
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct NodePageQuery {
    /// A node in the caller's subtree (default: the caller's node).
    pub jurisdiction: Option<String>,
    /// Page size, 1-500 (default 50).
    pub limit: Option<String>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}
