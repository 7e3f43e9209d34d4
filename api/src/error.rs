//! The one error type of the API. Every 4xx and 5xx leaves as RFC 9457 `application/problem+json` with a stable
//! `code`, per-field `errors` for validation, and messages in Chinese or English (`Accept-Language`).

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, ResponseError};
use domain::RuleViolation;
use persistence::RepoError;
use serde::Serialize;
use utoipa::ToSchema;

use crate::context::{self, Lang};

/// Content type of every error body.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// A message in both languages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Msg {
    /// Chinese.
    pub zh: String,
    /// English.
    pub en: String,
}

impl Msg {
    /// Both texts.
    pub fn new(zh: impl Into<String>, en: impl Into<String>) -> Self {
        Self { zh: zh.into(), en: en.into() }
    }

    fn pick(&self, lang: Lang) -> &str {
        match lang {
            Lang::Zh => &self.zh,
            Lang::En => &self.en,
        }
    }
}

/// One broken rule on one field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// JSON pointer (`/id_number`) or, for query parameters and file rows, the parameter or column name.
    pub field: String,
    /// Stable rule code.
    pub code: String,
    /// Message.
    pub message: Msg,
}

impl FieldError {
    /// A field error with both messages.
    pub fn new(
        field: impl Into<String>,
        code: impl Into<String>,
        zh: impl Into<String>,
        en: impl Into<String>,
    ) -> Self {
        Self { field: field.into(), code: code.into(), message: Msg::new(zh, en) }
    }

    /// A field error from a domain rule violation.
    pub fn rule(field: impl Into<String>, violation: &dyn RuleViolation) -> Self {
        Self::new(field, violation.code(), violation.message_zh(), violation.message_en())
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

/// An error answer (boxed: handlers pass it around in `Result`s, which should stay small).
#[derive(Debug)]
pub struct ApiError(Box<ErrorData>);

#[derive(Debug)]
struct ErrorData {
    status: StatusCode,
    code: String,
    detail: Msg,
    errors: Vec<(FieldError, Option<u64>)>,
    retry_after: Option<u64>,
}

impl ApiError {
    /// Any status with a code and message.
    pub fn new(status: StatusCode, code: impl Into<String>, detail: Msg) -> Self {
        Self(Box::new(ErrorData { status, code: code.into(), detail, errors: Vec::new(), retry_after: None }))
    }

    fn with_retry_after(mut self, seconds: u64) -> Self {
        self.0.retry_after = Some(seconds);
        self
    }

    /// 422 with the broken rules; the top-level code is the rule when exactly one field failed.
    pub fn validation(errors: Vec<FieldError>) -> Self {
        Self::validation_at(errors.into_iter().map(|e| (e, None)).collect())
    }

    /// 422 with broken rules tied to file lines.
    pub fn validation_at(errors: Vec<(FieldError, Option<u64>)>) -> Self {
        let (code, detail) = match errors.as_slice() {
            [(only, _)] => (only.code.clone(), only.message.clone()),
            _ => (
                "validation_failed".to_owned(),
                Msg::new(
                    format!("{}处数据未通过校验，详见errors", errors.len()),
                    format!("{} fields failed validation; see errors", errors.len()),
                ),
            ),
        };
        let mut error = Self::new(StatusCode::UNPROCESSABLE_ENTITY, code, detail);
        error.0.errors = errors;
        error
    }

    /// The same error with another `detail`.
    pub fn with_detail(mut self, zh: impl Into<String>, en: impl Into<String>) -> Self {
        self.0.detail = Msg::new(zh, en);
        self
    }

    /// 422 for one field.
    pub fn field(error: FieldError) -> Self {
        Self::validation(vec![error])
    }

    /// 400 for a request that cannot be read at all.
    pub fn bad_request(code: &str, zh: impl Into<String>, en: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, Msg::new(zh, en))
    }

    /// 401.
    pub fn unauthorized(code: &str, zh: &str, en: &str) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, code, Msg::new(zh, en))
    }

    /// 403: the role may not do this (inside its own subtree).
    pub fn forbidden() -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            Msg::new("当前角色无权执行此操作", "your role may not perform this action"),
        )
    }

    /// 404: absent, or outside the caller's subtree (the two are not told apart).
    pub fn not_found() -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", Msg::new("资源不存在", "no such resource"))
    }

    /// 409.
    pub fn conflict(code: &str, zh: impl Into<String>, en: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, code, Msg::new(zh, en))
    }

    /// 412: `If-Match` names an older version.
    pub fn precondition_failed() -> Self {
        Self::new(
            StatusCode::PRECONDITION_FAILED,
            "version_mismatch",
            Msg::new(
                "资源已被修改，If-Match 中的版本已过期，请重新读取后再提交",
                "the resource changed since the version in If-Match; read it again and retry",
            ),
        )
    }

    /// 428: a write to an existing resource without `If-Match`.
    pub fn precondition_required() -> Self {
        Self::new(
            StatusCode::PRECONDITION_REQUIRED,
            "if_match_required",
            Msg::new("修改已有资源须携带 If-Match 请求头（取自 ETag）", "send If-Match with the ETag you read"),
        )
    }

    /// 413.
    pub fn payload_too_large(limit: usize) -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            Msg::new(format!("请求体超过上限{limit}字节"), format!("request body exceeds the limit of {limit} bytes")),
        )
    }

    /// 413 for a file that unpacks (gzip) to more than `limit` bytes.
    pub fn unpacked_too_large(limit: u64) -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "file_too_large",
            Msg::new(
                format!("文件解压后超过上限{limit}字节"),
                format!("the file unpacks to more than the limit of {limit} bytes"),
            ),
        )
    }

    /// 414: the path and query are longer than `limit` bytes.
    pub fn uri_too_long(limit: usize) -> Self {
        Self::new(
            StatusCode::URI_TOO_LONG,
            "uri_too_long",
            Msg::new(format!("地址和查询参数超过{limit}字节"), format!("the path and query exceed {limit} bytes")),
        )
    }

    /// 408: the client sent its body too slowly.
    pub fn request_timeout() -> Self {
        Self::new(
            StatusCode::REQUEST_TIMEOUT,
            "request_timeout",
            Msg::new("请求体发送过慢，连接已断开", "the request body arrived too slowly; the connection is closed"),
        )
    }

    /// 415.
    pub fn unsupported_media_type(expected: &str) -> Self {
        Self::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            Msg::new(format!("Content-Type 应为 {expected}"), format!("Content-Type must be {expected}")),
        )
    }

    /// 429 with `Retry-After`.
    pub fn too_many_requests(retry_after: u64) -> Self {
        let seconds = retry_after.max(1);
        Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            "login_throttled",
            Msg::new(
                format!("登录失败次数过多，请{seconds}秒后再试"),
                format!("too many failed logins; retry after {seconds} seconds"),
            ),
        )
        .with_retry_after(seconds)
    }

    /// 503 with `Retry-After` (database or pool exhausted).
    pub fn unavailable() -> Self {
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "service_unavailable",
            Msg::new("服务暂时繁忙，请稍后重试", "the service is busy; retry shortly"),
        )
        .with_retry_after(2)
    }

    /// 500; the cause goes to the log, never to the client.
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        log::error!("internal error: {cause}");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal_error",
            Msg::new("服务器内部错误", "internal server error"),
        )
    }

    /// The stable code.
    pub fn code(&self) -> &str {
        &self.0.code
    }

    fn title(&self, lang: Lang) -> String {
        let zh = match self.0.status.as_u16() {
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
            Lang::En => self.0.status.canonical_reason().unwrap_or("Error").to_owned(),
        }
    }

    /// The body as sent in the current request's language.
    pub fn problem(&self) -> Problem {
        let ctx = context::current();
        Problem {
            type_uri: format!("urn:retiree-service:problem:{}", self.0.code),
            title: self.title(ctx.lang),
            status: self.0.status.as_u16(),
            detail: self.0.detail.pick(ctx.lang).to_owned(),
            instance: ctx.path,
            code: self.0.code.clone(),
            request_id: ctx.request_id,
            errors: self
                .0
                .errors
                .iter()
                .map(|(e, line)| ProblemField {
                    field: e.field.clone(),
                    code: e.code.clone(),
                    message: e.message.pick(ctx.lang).to_owned(),
                    line: *line,
                })
                .collect(),
        }
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}: {}", self.0.status.as_u16(), self.0.code, self.0.detail.en)
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.0.status
    }

    fn error_response(&self) -> HttpResponse {
        let mut builder = HttpResponse::build(self.0.status);
        builder.insert_header((header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON)));
        if let Some(secs) = self.0.retry_after {
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
        match e {
            RepoError::NotFound => ApiError::not_found(),
            RepoError::VersionMismatch => ApiError::precondition_failed(),
            RepoError::Unique(what) => {
                ApiError::conflict("conflict", "与已有记录重复", format!("conflicts with an existing record ({what})"))
            }
            RepoError::ForeignKey(_) => ApiError::conflict(
                "referenced_record_missing",
                "引用的记录不存在或仍被引用",
                "a referenced record is missing or still referenced",
            ),
            RepoError::Unavailable(cause) => {
                log::warn!("database unavailable: {cause}");
                ApiError::unavailable()
            }
            other => ApiError::internal(other),
        }
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
        crate::app::openapi()
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
