//! The one error type of the API. Every 4xx and 5xx leaves as RFC 9457 `application/problem+json` with a stable
//! `code`, per-field `errors` for validation, and messages in Chinese or English (`Accept-Language`).

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, ResponseError};
use app::db::RepoError;
use domain::{ErrorCode, RuleViolation};
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
    /// Any status with a code and message (prefer [`ApiError::of`] and [`ApiError::with`]: codes belong in the
    /// catalogue).
    pub fn new(status: StatusCode, code: impl Into<String>, detail: Msg) -> Self {
        Self(AppError::new(status.as_u16(), code, detail))
    }

    /// The catalogue's code with its status and default message.
    pub fn of(code: ErrorCode) -> Self {
        Self(AppError::of(code))
    }

    /// The catalogue's code with its status and a message with values.
    pub fn with(code: ErrorCode, zh: impl Into<String>, en: impl Into<String>) -> Self {
        Self(AppError::with(code, zh, en))
    }

    /// A domain rule violation as the whole answer, with its catalogued status.
    pub fn violation(violation: &dyn RuleViolation) -> Self {
        Self(AppError::violation(violation))
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
    /// The code should be catalogued (`api::error::tests::every_literal_code_is_catalogued_with_its_status`
    /// checks literal ones); with a literal code, prefer [`Self::with`].
    pub fn bad_request(code: &str, zh: impl Into<String>, en: impl Into<String>) -> Self {
        Self(AppError::bad_request(code, zh, en))
    }

    /// 401.
    /// The code should be catalogued (`api::error::tests::every_literal_code_is_catalogued_with_its_status`
    /// checks literal ones); with a literal code, prefer [`Self::with`].
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
    /// The code should be catalogued (`api::error::tests::every_literal_code_is_catalogued_with_its_status`
    /// checks literal ones); with a literal code, prefer [`Self::with`].
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
        title(self.0.status(), lang)
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

/// The `title` of a problem with `status`: the catalogue's Chinese title, or the English reason phrase.
pub fn title(status: u16, lang: Lang) -> String {
    match lang {
        Lang::Zh => domain::error_code::status_title_zh(status).to_owned(),
        Lang::En => to_status(status).canonical_reason().unwrap_or("Error").to_owned(),
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
    let mut res = ApiError::with(
        ErrorCode::MethodNotAllowed,
        format!("该地址不支持 {} 方法，可用：{}", req.method(), allowed.join(", ")),
        format!("{} is not allowed here; allowed: {}", req.method(), allowed.join(", ")),
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
    ApiError::with(
        ErrorCode::InvalidQuery,
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
        other => ApiError::with(
            ErrorCode::InvalidJson,
            format!("请求体不是有效的JSON：{other}"),
            format!("request body is not valid JSON: {other}"),
        )
        .into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Constructor calls whose arguments name a code: the call, which argument is the code, and the status it
    /// answers with (`None`: a field rule, which travels in a 422 `errors` list whatever its own status).
    const CALLS: [(&str, usize, Option<u16>); 9] = [
        ("FieldError::new(", 1, None),
        ("row_error(", 2, None),
        ("err(", 0, None),
        ("unprocessable(", 0, Some(422)),
        ("::conflict(", 0, Some(409)),
        ("::bad_request(", 0, Some(400)),
        ("::unauthorized(", 0, Some(401)),
        ("AppError::new(", 1, None),
        ("ApiError::new(", 1, None),
    ];

    /// The top-level arguments of the call whose `(` is at the start of `text`, as written.
    fn arguments(text: &str) -> Vec<&str> {
        let (mut depth, mut in_string, mut escaped, mut start) = (0usize, false, false, 1);
        let mut out = Vec::new();
        for (i, c) in text.char_indices() {
            if in_string {
                match (escaped, c) {
                    (true, _) => escaped = false,
                    (false, '\\') => escaped = true,
                    (false, '"') => in_string = false,
                    _ => {}
                }
                continue;
            }
            match c {
                '"' => in_string = true,
                '(' | '[' | '{' => depth += 1,
                ')' | ']' | '}' => {
                    depth -= 1;
                    if depth == 0 {
                        out.push(text[start..i].trim());
                        return out;
                    }
                }
                ',' if depth == 1 => {
                    out.push(text[start..i].trim());
                    start = i + 1;
                }
                _ => {}
            }
        }
        out
    }

    /// Codes written as string literals in constructor calls of `source` (tests excluded), with their status.
    fn literal_codes(source: &str) -> Vec<(String, Option<u16>)> {
        let source = source.split("#[cfg(test)]").next().unwrap_or_default();
        let mut out = Vec::new();
        for (call, index, status) in CALLS {
            for (at, _) in source.match_indices(call) {
                let args = arguments(&source[at + call.len() - 1..]);
                let Some(code) = args.get(index).and_then(|a| a.strip_prefix('"')?.strip_suffix('"')) else { continue };
                let status = status.or_else(|| {
                    let name = args.first()?.rsplit("::").next()?;
                    STATUS_NAMES.iter().find(|(n, _)| *n == name).map(|(_, s)| *s)
                });
                out.push((code.to_owned(), status));
            }
        }
        out
    }

    const STATUS_NAMES: [(&str, u16); 4] =
        [("BAD_REQUEST", 400), ("CONFLICT", 409), ("UNPROCESSABLE_ENTITY", 422), ("METHOD_NOT_ALLOWED", 405)];

    fn rust_files(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                rust_files(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }

    #[test]
    fn arguments_split_at_top_level_commas() {
        assert_eq!(
            arguments(r#"(field, "code", format!("a{}, b", x), "q\"(,")) + 1"#),
            ["field", "\"code\"", "format!(\"a{}, b\", x)", "\"q\\\"(,\""]
        );
        let found = literal_codes(
            r#"AppError::conflict("visit_done", "z", "e"); FieldError::new("/x", "phone_format", "z", "e");
            ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "budget_exceeded", m); FieldError::rule("date", &e);"#,
        );
        assert_eq!(
            found,
            [
                ("phone_format".to_owned(), None),
                ("visit_done".to_owned(), Some(409)),
                ("budget_exceeded".to_owned(), Some(422))
            ]
        );
    }

    /// Every code the sources of `api` and `app` raise by its literal name is in the catalogue, and raised with
    /// the catalogue's status when it is the whole answer.
    #[test]
    fn every_literal_code_is_catalogued_with_its_status() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut files = Vec::new();
        rust_files(&root.join("src"), &mut files);
        rust_files(&root.join("../app/src"), &mut files);
        let mut problems = Vec::new();
        let scanned = files.len();
        for file in files {
            let source = std::fs::read_to_string(&file).unwrap();
            for (code, status) in literal_codes(&source) {
                match ErrorCode::parse(&code) {
                    None => problems.push(format!("{}: `{code}` is not catalogued", file.display())),
                    Some(c) if status.is_some_and(|s| s != c.status()) => problems.push(format!(
                        "{}: `{code}` is raised with {status:?}, catalogued with {}",
                        file.display(),
                        c.status()
                    )),
                    Some(_) => {}
                }
            }
        }
        assert!(problems.is_empty(), "{}", problems.join("\n"));
        // The walk reached both crates (the scanner itself is tested on a sample above).
        assert!(scanned > 60, "only {scanned} files scanned");
    }

    #[test]
    fn titles_come_from_the_catalogue_statuses() {
        assert_eq!(title(412, Lang::Zh), "版本不一致");
        assert_eq!(title(412, Lang::En), "Precondition Failed");
        assert_eq!(title(500, Lang::Zh), "服务器内部错误");
    }
}
