//! The one error type of the API. Every 4xx and 5xx leaves as RFC 9457 `application/problem+json` with a stable
//! `code`, per-field `errors` for validation, and messages in Chinese or English (`Accept-Language`).

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, ResponseError};
use persistence::RepoError;
use serde::Serialize;
use utoipa::ToSchema;

use crate::context::{self, Lang};

/// Content type of every error body.
pub const PROBLEM_JSON: &str = "application/problem+json";

pub use app::error::{AppError, FieldError, Msg};

fn pick(msg: &Msg, lang: Lang) -> &str {
    match lang {
        Lang::Zh => &msg.zh,
        Lang::En => &msg.en,
    }
}

/// Problem details (RFC 9457) as sent.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "type": "urn:retiree-service:problem:id_number_checksum",
    "title": "请求数据未通过校验",
    "status": 422,
    "detail": "公民身份号码校验码错误：应为X，实际为1（GB 11643 ISO 7064 MOD 11-2）",
    "instance": "/api/v1/retirees",
    "code": "id_number_checksum",
    "request_id": "5f0c2a9e3b1d4c7a8e6f1a2b",
    "errors": [{"field": "/id_number", "code": "id_number_checksum",
                "message": "公民身份号码校验码错误：应为X，实际为1（GB 11643 ISO 7064 MOD 11-2）"}]
}))]
pub struct Problem {
    /// URI of the problem type: `urn:retiree-service:problem:<code>`.
    #[serde(rename = "type")]
    pub type_uri: String,
    /// Short summary of the status.
    pub title: String,
    /// HTTP status.
    pub status: u16,
    /// What went wrong, for people.
    pub detail: String,
    /// Path of the request.
    pub instance: String,
    /// Stable machine code.
    pub code: String,
    /// Id of the request (also in the `X-Request-Id` header and the logs).
    pub request_id: String,
    /// Broken rules, one per field (validation errors only).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<ProblemField>,
}

/// One entry of `errors`.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProblemField {
    /// JSON pointer of the field (`/id_number`), or a query parameter's name.
    #[schema(example = "/id_number")]
    pub field: String,
    /// Stable rule code.
    #[schema(example = "id_number_checksum")]
    pub code: String,
    /// What is wrong, for people.
    pub message: String,
    /// Line of an imported file, where the error is about a file row.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
}

/// An error answer: a use case's [`AppError`], rendered as problem+json.
#[derive(Debug)]
pub struct ApiError(AppError);

fn to_status(code: u16) -> StatusCode {
    StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}

impl ApiError {
    /// Any status with a code and message.
    pub fn new(status: StatusCode, code: impl Into<String>, detail: Msg) -> Self {
        Self(AppError::new(status.as_u16(), code, detail))
    }

    /// 422 with the broken rules; the top-level code is the rule when exactly one field failed.
    pub fn validation(errors: Vec<FieldError>) -> Self {
        Self(AppError::validation(errors))
    }

    /// 422 with broken rules tied to file lines.
    pub fn validation_at(errors: Vec<(FieldError, Option<u64>)>) -> Self {
        Self(AppError::validation_at(errors))
    }

    /// The same error with another `detail`.
    pub fn with_detail(self, zh: impl Into<String>, en: impl Into<String>) -> Self {
        Self(self.0.with_detail(zh, en))
    }

    /// 422 for one field.
    pub fn field(error: FieldError) -> Self {
        Self(AppError::field(error))
    }

    /// 400 for a request that cannot be read at all.
    pub fn bad_request(code: &str, zh: impl Into<String>, en: impl Into<String>) -> Self {
        Self(AppError::bad_request(code, zh, en))
    }

    /// 401.
    pub fn unauthorized(code: &str, zh: &str, en: &str) -> Self {
        Self(AppError::unauthorized(code, zh, en))
    }

    /// 403: the role may not do this (inside its own subtree).
    pub fn forbidden() -> Self {
        Self(AppError::forbidden())
    }

    /// 404: absent, or outside the caller's subtree (the two are not told apart).
    pub fn not_found() -> Self {
        Self(AppError::not_found())
    }

    /// 409.
    pub fn conflict(code: &str, zh: impl Into<String>, en: impl Into<String>) -> Self {
        Self(AppError::conflict(code, zh, en))
    }

    /// 412: `If-Match` names an older version.
    pub fn precondition_failed() -> Self {
        Self(AppError::precondition_failed())
    }

    /// 428: a write to an existing resource without `If-Match`.
    pub fn precondition_required() -> Self {
        Self(AppError::precondition_required())
    }

    /// 413.
    pub fn payload_too_large(limit: usize) -> Self {
        Self(AppError::payload_too_large(limit))
    }

    /// 413 for a file that unpacks (gzip) to more than `limit` bytes.
    pub fn unpacked_too_large(limit: u64) -> Self {
        Self(AppError::unpacked_too_large(limit))
    }

    /// 414: the path and query are longer than `limit` bytes.
    pub fn uri_too_long(limit: usize) -> Self {
        Self(AppError::uri_too_long(limit))
    }

    /// 408: the client sent its body too slowly.
    pub fn request_timeout() -> Self {
        Self(AppError::request_timeout())
    }

    /// 415.
    pub fn unsupported_media_type(expected: &str) -> Self {
        Self(AppError::unsupported_media_type(expected))
    }

    /// 429 with `Retry-After`.
    pub fn too_many_requests(retry_after: u64) -> Self {
        Self(AppError::too_many_requests(retry_after))
    }

    /// 503 with `Retry-After` (database or pool exhausted).
    pub fn unavailable() -> Self {
        Self(AppError::unavailable())
    }

    /// 500; the cause goes to the log, never to the client.
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        Self(AppError::internal(cause))
    }

    /// The stable code.
    pub fn code(&self) -> &str {
        self.0.code()
    }

    /// The use case's error inside.
    pub fn into_inner(self) -> AppError {
        self.0
    }

    fn title(&self, lang: Lang) -> String {
        let zh = match self.0.status() {
            400 => "请求无法解析",
            401 => "未认证",
            403 => "无权操作",
            404 => "资源不存在",
            405 => "方法不允许",
            408 => "请求超时",
            409 => "与现有数据冲突",
            412 => "版本不一致",
            413 => "请求体过大",
            414 => "地址过长",
            415 => "不支持的媒体类型",
            422 => "请求数据未通过校验",
            428 => "缺少前置条件",
            429 => "请求过于频繁",
            503 => "服务暂不可用",
            _ => "服务器内部错误",
        };
        match lang {
            Lang::Zh => zh.to_owned(),
            Lang::En => to_status(self.0.status()).canonical_reason().unwrap_or("Error").to_owned(),
        }
    }

    /// The body as sent in the current request's language.
    pub fn problem(&self) -> Problem {
        let ctx = context::current();
        Problem {
            type_uri: format!("urn:retiree-service:problem:{}", self.0.code()),
            title: self.title(ctx.lang),
            status: self.0.status(),
            detail: pick(self.0.detail(), ctx.lang).to_owned(),
            instance: ctx.path,
            code: self.0.code().to_owned(),
            request_id: ctx.request_id,
            errors: self
                .0
                .errors()
                .iter()
                .map(|(e, line)| ProblemField {
                    field: e.field.clone(),
                    code: e.code.clone(),
                    message: pick(&e.message, ctx.lang).to_owned(),
                    line: *line,
                })
                .collect(),
        }
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl From<AppError> for ApiError {
    fn from(e: AppError) -> Self {
        Self(e)
    }
}

impl From<ApiError> for AppError {
    fn from(e: ApiError) -> Self {
        e.0
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        to_status(self.0.status())
    }

    fn error_response(&self) -> HttpResponse {
        let mut builder = HttpResponse::build(self.status_code());
        builder.insert_header((header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON)));
        if let Some(secs) = self.0.retry_after() {
            builder.insert_header((header::RETRY_AFTER, secs.to_string()));
        }
        match serde_json::to_string(&self.problem()) {
            Ok(body) => builder.body(body),
            Err(_) => builder.finish(),
        }
    }
}

impl From<RepoError> for ApiError {
    fn from(e: RepoError) -> Self {
        Self(AppError::from(e))
    }
}

impl From<actix_web::error::BlockingError> for ApiError {
    fn from(e: actix_web::error::BlockingError) -> Self {
        ApiError::internal(e)
    }
}

/// Answers unknown paths with a 404 problem, and a known path asked with a method it does not have with 405 and
/// `Allow` (the methods are those of the OpenAPI document, which is the route tree).
pub async fn not_found_handler(req: HttpRequest) -> HttpResponse {
    let allowed = allowed_methods(req.path(), false);
    if allowed.is_empty() {
        return ApiError::not_found().error_response();
    }
    method_not_allowed(&req, &allowed)
}

fn method_not_allowed(req: &HttpRequest, allowed: &[String]) -> HttpResponse {
    let mut res = ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        Msg::new(
            format!("该地址不支持 {} 方法，可用：{}", req.method(), allowed.join(", ")),
            format!("{} is not allowed here; allowed: {}", req.method(), allowed.join(", ")),
        ),
    )
    .error_response();
    if let Ok(value) = actix_web::http::header::HeaderValue::from_str(&allowed.join(", ")) {
        res.headers_mut().insert(actix_web::http::header::ALLOW, value);
    }
    res
}

/// The methods the route tree has for `path` (upper case; empty when no route matches it); with `literal`, only
/// routes without parameters count (`/retirees/search` is not `/retirees/{id}`).
fn allowed_methods(path: &str, literal: bool) -> Vec<String> {
    static ROUTES: std::sync::OnceLock<Vec<(Vec<String>, Vec<String>)>> = std::sync::OnceLock::new();
    let routes = ROUTES.get_or_init(|| {
        crate::service::openapi()
            .paths
            .paths
            .iter()
            .map(|(template, item)| {
                let segments = template.trim_matches('/').split('/').map(str::to_owned).collect();
                let mut methods: Vec<String> = serde_json::to_value(item)
                    .ok()
                    .and_then(|v| v.as_object().map(|o| o.keys().cloned().collect()))
                    .unwrap_or_default();
                methods.retain(|m| ["get", "post", "put", "patch", "delete"].contains(&m.as_str()));
                methods.iter_mut().for_each(|m| *m = m.to_ascii_uppercase());
                (segments, methods)
            })
            .collect()
    });
    let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
    let mut out: Vec<String> = Vec::new();
    for (segments, methods) in routes {
        let matches = segments.len() == parts.len()
            && segments.iter().zip(&parts).all(|(s, p)| (!literal && s.starts_with('{') && !p.is_empty()) || s == p);
        if matches {
            out.extend(methods.iter().filter(|m| !out.contains(m)).cloned().collect::<Vec<_>>());
        }
    }
    out
}

/// actix path extractor failures: the id in the URL cannot name anything, so 404.
pub fn path_error(err: actix_web::error::PathError, req: &HttpRequest) -> actix_web::Error {
    log::debug!("path parameter rejected: {err}");
    // `GET /imports/retirees` reaches `GET /imports/{id}`: it names the upload operation, which has no GET.
    let literal = allowed_methods(req.path(), true);
    if !literal.is_empty() && !literal.iter().any(|m| m == req.method().as_str()) {
        return actix_web::error::InternalError::from_response(err, method_not_allowed(req, &literal)).into();
    }
    ApiError::not_found().into()
}

/// actix query extractor failures.
pub fn query_error(err: actix_web::error::QueryPayloadError, _req: &HttpRequest) -> actix_web::Error {
    ApiError::bad_request(
        "invalid_query",
        format!("查询参数无法解析：{err}"),
        format!("query string cannot be parsed: {err}"),
    )
    .into()
}

/// actix JSON extractor failures (the API's own `Json` extractor is used for bodies; this covers the rest).
pub fn json_error(err: actix_web::error::JsonPayloadError, _req: &HttpRequest) -> actix_web::Error {
    use actix_web::error::JsonPayloadError as J;
    match err {
        J::Overflow { limit } | J::OverflowKnownLength { limit, .. } => ApiError::payload_too_large(limit).into(),
        J::ContentType => ApiError::unsupported_media_type("application/json").into(),
        other => ApiError::bad_request(
            "invalid_json",
            format!("请求体不是有效的JSON：{other}"),
            format!("request body is not valid JSON: {other}"),
        )
        .into(),
    }
}
