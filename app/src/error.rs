//! The one error type of the use cases. It carries what an answer needs (an HTTP-style status number, a stable
//! `code`, a message in Chinese and English, per-field rule violations) but no HTTP types: `api` renders it as
//! problem+json, the command line prints it, jobs store it in their reports. Codes, their statuses and default
//! messages come from the catalogue [`domain::ErrorCode`].

use domain::{ErrorCode, RuleViolation};
use persistence::{DieselError, RepoError};

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

    /// The catalogue's default message of `code`.
    pub fn of(code: ErrorCode) -> Self {
        Self::new(code.message_zh(), code.message_en())
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

    /// A field error with the catalogue's code and default message.
    pub fn of(field: impl Into<String>, code: ErrorCode) -> Self {
        Self::new(field, code.as_str(), code.message_zh(), code.message_en())
    }

    /// A field error with the catalogue's code and a message with values.
    pub fn with(field: impl Into<String>, code: ErrorCode, zh: impl Into<String>, en: impl Into<String>) -> Self {
        Self::new(field, code.as_str(), zh, en)
    }

    /// A field error from a domain rule violation.
    pub fn rule(field: impl Into<String>, violation: &dyn RuleViolation) -> Self {
        Self::new(field, violation.code(), violation.message_zh(), violation.message_en())
    }
}

/// Status numbers the use cases answer with (the HTTP meaning; `api` maps them one to one).
pub mod status {
    pub const BAD_REQUEST: u16 = 400;
    pub const UNAUTHORIZED: u16 = 401;
    pub const FORBIDDEN: u16 = 403;
    pub const NOT_FOUND: u16 = 404;
    pub const METHOD_NOT_ALLOWED: u16 = 405;
    pub const REQUEST_TIMEOUT: u16 = 408;
    pub const CONFLICT: u16 = 409;
    pub const PRECONDITION_FAILED: u16 = 412;
    pub const PAYLOAD_TOO_LARGE: u16 = 413;
    pub const URI_TOO_LONG: u16 = 414;
    pub const UNSUPPORTED_MEDIA_TYPE: u16 = 415;
    pub const UNPROCESSABLE_ENTITY: u16 = 422;
    pub const PRECONDITION_REQUIRED: u16 = 428;
    pub const TOO_MANY_REQUESTS: u16 = 429;
    pub const INTERNAL_SERVER_ERROR: u16 = 500;
    pub const SERVICE_UNAVAILABLE: u16 = 503;
}

/// An error of a use case (boxed: it travels in `Result`s, which should stay small).
#[derive(Debug)]
pub struct AppError(Box<ErrorData>);

#[derive(Debug)]
struct ErrorData {
    status: u16,
    code: String,
    detail: Msg,
    errors: Vec<(FieldError, Option<u64>)>,
    retry_after: Option<u64>,
}

impl AppError {
    /// Any status with a code and message (prefer [`AppError::of`] and [`AppError::with`]: codes belong in the
    /// catalogue).
    pub fn new(status: u16, code: impl Into<String>, detail: Msg) -> Self {
        Self(Box::new(ErrorData { status, code: code.into(), detail, errors: Vec::new(), retry_after: None }))
    }

    /// The catalogue's code with its status and default message.
    pub fn of(code: ErrorCode) -> Self {
        Self::new(code.status(), code.as_str(), Msg::of(code))
    }

    /// The catalogue's code with its status and a message with values.
    pub fn with(code: ErrorCode, zh: impl Into<String>, en: impl Into<String>) -> Self {
        Self::new(code.status(), code.as_str(), Msg::new(zh, en))
    }

    /// The same error with a `Retry-After` hint in seconds.
    pub fn with_retry_after(mut self, seconds: u64) -> Self {
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
                ErrorCode::ValidationFailed.as_str().to_owned(),
                Msg::new(
                    format!("{}处数据未通过校验，详见errors", errors.len()),
                    format!("{} fields failed validation; see errors", errors.len()),
                ),
            ),
        };
        let mut error = Self::new(status::UNPROCESSABLE_ENTITY, code, detail);
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

    /// A domain rule violation as the whole answer, with the status the catalogue gives its code (422 for a code
    /// the catalogue lacks).
    pub fn violation(violation: &dyn RuleViolation) -> Self {
        let status = ErrorCode::parse(violation.code()).map_or(status::UNPROCESSABLE_ENTITY, ErrorCode::status);
        Self::new(status, violation.code(), Msg::new(violation.message_zh(), violation.message_en()))
    }

    /// 400 for a request that cannot be read at all.
    /// The code should be catalogued (`api::error::tests::every_literal_code_is_catalogued_with_its_status`
    /// checks literal ones); with a literal code, prefer [`Self::with`].
    pub fn bad_request(code: &str, zh: impl Into<String>, en: impl Into<String>) -> Self {
        Self::new(status::BAD_REQUEST, code, Msg::new(zh, en))
    }

    /// 401.
    /// The code should be catalogued (`api::error::tests::every_literal_code_is_catalogued_with_its_status`
    /// checks literal ones); with a literal code, prefer [`Self::with`].
    pub fn unauthorized(code: &str, zh: &str, en: &str) -> Self {
        Self::new(status::UNAUTHORIZED, code, Msg::new(zh, en))
    }

    /// 403: the role may not do this (inside its own subtree).
    pub fn forbidden() -> Self {
        Self::of(ErrorCode::Forbidden)
    }

    /// 404: absent, or outside the caller's subtree (the two are not told apart).
    pub fn not_found() -> Self {
        Self::of(ErrorCode::NotFound)
    }

    /// 409.
    /// The code should be catalogued (`api::error::tests::every_literal_code_is_catalogued_with_its_status`
    /// checks literal ones); with a literal code, prefer [`Self::with`].
    pub fn conflict(code: &str, zh: impl Into<String>, en: impl Into<String>) -> Self {
        Self::new(status::CONFLICT, code, Msg::new(zh, en))
    }

    /// 412: `If-Match` names an older version.
    pub fn precondition_failed() -> Self {
        Self::of(ErrorCode::VersionMismatch)
    }

    /// 428: a write to an existing resource without `If-Match`.
    pub fn precondition_required() -> Self {
        Self::of(ErrorCode::IfMatchRequired)
    }

    /// 413.
    pub fn payload_too_large(limit: usize) -> Self {
        Self::with(
            ErrorCode::PayloadTooLarge,
            format!("请求体超过上限{limit}字节"),
            format!("request body exceeds the limit of {limit} bytes"),
        )
    }

    /// 413 for a file that unpacks (gzip) to more than `limit` bytes.
    pub fn unpacked_too_large(limit: u64) -> Self {
        Self::with(
            ErrorCode::FileTooLarge,
            format!("文件解压后超过上限{limit}字节"),
            format!("the file unpacks to more than the limit of {limit} bytes"),
        )
    }

    /// 414: the path and query are longer than `limit` bytes.
    pub fn uri_too_long(limit: usize) -> Self {
        Self::with(
            ErrorCode::UriTooLong,
            format!("地址和查询参数超过{limit}字节"),
            format!("the path and query exceed {limit} bytes"),
        )
    }

    /// 408: the client sent its body too slowly.
    pub fn request_timeout() -> Self {
        Self::of(ErrorCode::RequestTimeout)
    }

    /// 415.
    pub fn unsupported_media_type(expected: &str) -> Self {
        Self::with(
            ErrorCode::UnsupportedMediaType,
            format!("Content-Type 应为 {expected}"),
            format!("Content-Type must be {expected}"),
        )
    }

    /// 429 with `Retry-After`.
    pub fn too_many_requests(retry_after: u64) -> Self {
        let seconds = retry_after.max(1);
        Self::with(
            ErrorCode::LoginThrottled,
            format!("登录失败次数过多，请{seconds}秒后再试"),
            format!("too many failed logins; retry after {seconds} seconds"),
        )
        .with_retry_after(seconds)
    }

    /// 503 with `Retry-After` (database or pool exhausted).
    pub fn unavailable() -> Self {
        Self::of(ErrorCode::ServiceUnavailable).with_retry_after(2)
    }

    /// 500; the cause goes to the log, never to the client.
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        log::error!("internal error: {cause}");
        Self::of(ErrorCode::InternalError)
    }

    /// The status number.
    pub fn status(&self) -> u16 {
        self.0.status
    }

    /// The stable code.
    pub fn code(&self) -> &str {
        &self.0.code
    }

    /// What went wrong, in both languages.
    pub fn detail(&self) -> &Msg {
        &self.0.detail
    }

    /// The broken rules, each with the file line it is about, if any.
    pub fn errors(&self) -> &[(FieldError, Option<u64>)] {
        &self.0.errors
    }

    /// Seconds after which a retry may succeed.
    pub fn retry_after(&self) -> Option<u64> {
        self.0.retry_after
    }
}

impl std::fmt::Display for AppError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}: {}", self.0.status, self.0.code, self.0.detail.en)
    }
}

impl std::error::Error for AppError {}

impl From<RepoError> for AppError {
    fn from(e: RepoError) -> Self {
        match e {
            RepoError::NotFound => AppError::not_found(),
            RepoError::VersionMismatch => AppError::precondition_failed(),
            RepoError::Unique(what) => AppError::with(
                ErrorCode::Conflict,
                ErrorCode::Conflict.message_zh(),
                format!("conflicts with an existing record ({what})"),
            ),
            RepoError::ForeignKey(_) => AppError::of(ErrorCode::ReferencedRecordMissing),
            RepoError::Unavailable(cause) => {
                log::warn!("database unavailable: {cause}");
                AppError::unavailable()
            }
            other => AppError::internal(other),
        }
    }
}

impl From<DieselError> for AppError {
    fn from(e: DieselError) -> Self {
        AppError::from(RepoError::from(e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_field_gives_its_code_many_give_validation_failed() {
        let one = AppError::field(FieldError::new("/name", "required", "必填", "required"));
        assert_eq!((one.status(), one.code(), one.detail().en.as_str()), (422, "required", "required"));
        let two = AppError::validation(vec![
            FieldError::new("/name", "required", "必填", "required"),
            FieldError::new("/phone", "phone_format", "格式错误", "bad format"),
        ]);
        assert_eq!((two.code(), two.errors().len()), ("validation_failed", 2));
        assert_eq!(two.detail().en, "2 fields failed validation; see errors");
    }

    /// Every catalogued code is unique and `snake_case`, and answers with a status the API documents (one with a
    /// problem title: docs/api-conventions.md, "Error codes").
    #[test]
    fn catalogue_codes_are_unique_snake_case_with_documented_statuses() {
        let mut seen = std::collections::HashSet::new();
        for code in ErrorCode::ALL {
            let s = code.as_str();
            assert!(seen.insert(s), "{s} is catalogued twice");
            let snake =
                s.split('_').all(|w| !w.is_empty() && w.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit()));
            assert!(snake && s.starts_with(|c: char| c.is_ascii_lowercase()), "{s} is not snake_case");
            assert!(
                domain::error_code::STATUS_TITLES.iter().any(|(st, _)| *st == code.status()),
                "{s}: {}",
                code.status()
            );
            let error = AppError::of(*code);
            assert_eq!((error.status(), error.code(), error.detail()), (code.status(), s, &Msg::of(*code)));
        }
        assert_eq!(seen.len(), ErrorCode::ALL.len());
    }

    #[test]
    fn constructors_take_code_and_status_from_the_catalogue() {
        let e = AppError::precondition_failed();
        assert_eq!((e.status(), e.code()), (412, "version_mismatch"));
        assert_eq!(e.detail().en, "the resource changed since the version in If-Match; read it again and retry");
        let e = AppError::payload_too_large(1024);
        assert_eq!((e.status(), e.code()), (413, "payload_too_large"));
        assert_eq!(e.detail().zh, "请求体超过上限1024字节");
        let e = AppError::with(ErrorCode::BudgetExceeded, "超出预算", "over budget: 1");
        assert_eq!((e.status(), e.code(), e.detail().en.as_str()), (422, "budget_exceeded", "over budget: 1"));
        let e = AppError::too_many_requests(0);
        assert_eq!((e.status(), e.code(), e.retry_after()), (429, "login_throttled", Some(1)));
        let f = FieldError::of("/phone", ErrorCode::PhoneFormat);
        assert_eq!((f.code.as_str(), f.message.zh.as_str()), ("phone_format", ErrorCode::PhoneFormat.message_zh()));
    }

    #[test]
    fn violations_answer_with_the_catalogued_status() {
        let conflict = AppError::violation(&domain::pension::TransitionError::NotSuspended);
        assert_eq!((conflict.status(), conflict.code()), (409, "not_suspended"));
        assert_eq!(conflict.detail().en, "the pension is not suspended");
        let field = AppError::violation(&domain::MoneyError::TooPrecise);
        assert_eq!((field.status(), field.code()), (422, "money_precision"));
    }

    #[test]
    fn repository_errors_map_to_stable_codes() {
        assert_eq!(AppError::from(RepoError::NotFound).status(), 404);
        assert_eq!(AppError::from(RepoError::VersionMismatch).code(), "version_mismatch");
        let taken = AppError::from(RepoError::Unique("users.login".into()));
        assert_eq!((taken.status(), taken.code(), taken.detail().zh.as_str()), (409, "conflict", "与已有记录重复"));
        assert_eq!(taken.detail().en, "conflicts with an existing record (users.login)");
        let busy = AppError::from(RepoError::Unavailable("pool".into()));
        assert_eq!((busy.status(), busy.retry_after()), (503, Some(2)));
        let corrupt = AppError::from(RepoError::Corrupt("retirees: stored PensionStatus value \"bogus\"".into()));
        assert_eq!(
            (corrupt.status(), corrupt.code(), corrupt.detail().en.as_str()),
            (500, "internal_error", "internal server error")
        );
    }
}
