//! Per-request context: request id, language and path, carried in a task-local so that error rendering and
//! log lines can read them; plus the middleware that sets it, writes the access log, counts metrics and marks
//! every answer `Cache-Control: no-store` and `X-Content-Type-Options: nosniff`.

use std::time::Instant;

use actix_web::ResponseError;
use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{ACCEPT_LANGUAGE, CACHE_CONTROL, HeaderName, HeaderValue, X_CONTENT_TYPE_OPTIONS};
use actix_web::middleware::Next;
use actix_web::{Error, HttpMessage, web};

use crate::metrics::Metrics;

/// Header carrying the request id, in and out.
pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Language of messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    /// Chinese (default).
    #[default]
    Zh,
    /// English, when `Accept-Language` prefers it.
    En,
}

impl Lang {
    /// Picks the language from an `Accept-Language` value (RFC 9110 §12.5.4): the language range with the highest
    /// `q` (the first listed among equals; `q=0` means "not this one") decides: English for `en…`, Chinese
    /// otherwise. `zh-CN;q=0.5, en-US;q=0.9` is English; `*` and unknown languages leave the default, Chinese.
    pub fn from_header(value: Option<&HeaderValue>) -> Self {
        let Some(text) = value.and_then(|v| v.to_str().ok()) else { return Lang::Zh };
        Self::from_accept(text)
    }

    /// [`Lang::from_header`] on the header's text.
    pub fn from_accept(text: &str) -> Self {
        Self::preferred(text).unwrap_or_default()
    }

    /// The language the header prefers, when it names Chinese or English at all (`None` for `*` or only other
    /// languages).
    pub fn preferred(text: &str) -> Option<Self> {
        let mut best: Option<(f32, Lang)> = None;
        for item in text.split(',') {
            let mut parts = item.split(';');
            let tag = parts.next().unwrap_or_default().trim().to_ascii_lowercase();
            let q = parts
                .filter_map(|p| p.trim().strip_prefix("q=").or_else(|| p.trim().strip_prefix("Q=")))
                .find_map(|v| v.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            if tag.is_empty() || q.is_nan() || q <= 0.0 {
                continue;
            }
            let lang = if tag == "en" || tag.starts_with("en-") {
                Lang::En
            } else if tag == "zh" || tag.starts_with("zh-") {
                Lang::Zh
            } else {
                continue;
            };
            if best.is_none_or(|(b, _)| q > b) {
                best = Some((q, lang));
            }
        }
        best.map(|(_, lang)| lang)
    }
}

/// What the rest of the request may need to know about it.
#[derive(Debug, Clone, Default)]
pub struct RequestContext {
    /// Id of the request (from `X-Request-Id` when sane, else generated).
    pub request_id: String,
    /// Language for messages.
    pub lang: Lang,
    /// Path, for problem `instance`.
    pub path: String,
}

tokio::task_local! {
    static CONTEXT: RequestContext;
}

/// The context of the request being served on this task, if any.
pub fn current() -> RequestContext {
    CONTEXT.try_with(Clone::clone).unwrap_or_default()
}

/// The request id of the request being served on this task, for log lines.
pub fn current_request_id() -> Option<String> {
    CONTEXT.try_with(|c| c.request_id.clone()).ok()
}

fn new_request_id() -> String {
    let mut bytes = [0u8; 12];
    rand::RngCore::fill_bytes(&mut rand::thread_rng(), &mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn sane_request_id(value: &HeaderValue) -> Option<String> {
    let text = value.to_str().ok()?;
    (1..=64).contains(&text.len()).then_some(())?;
    text.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_').then(|| text.to_owned())
}

/// The longest path and query served (no operation needs more; longer ones are 414).
const MAX_URI_BYTES: usize = 8192;

/// Why a request's path and query cannot be served: a NUL character (PostgreSQL cannot store it and no path or
/// query of this API has one) or percent-escapes that do not decode to UTF-8 (they would silently become U+FFFD).
fn url_problem(uri: &str) -> Option<crate::error::ApiError> {
    if uri.len() > MAX_URI_BYTES {
        return Some(crate::error::ApiError::uri_too_long(MAX_URI_BYTES));
    }
    let bytes = uri.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match (bytes[i], bytes.get(i + 1).copied().and_then(hex), bytes.get(i + 2).copied().and_then(hex)) {
            (b'%', Some(hi), Some(lo)) => {
                decoded.push((hi * 16 + lo) as u8);
                i += 3;
            }
            (b, ..) => {
                decoded.push(b);
                i += 1;
            }
        }
    }
    if decoded.contains(&0) {
        return Some(crate::error::ApiError::of(domain::ErrorCode::NulCharacter));
    }
    std::str::from_utf8(&decoded).err().map(|_| crate::error::ApiError::of(domain::ErrorCode::InvalidUrlEncoding))
}

/// Sets the request context, answers with `X-Request-Id`, `Cache-Control: no-store` and
/// `X-Content-Type-Options: nosniff`, logs one access line and records metrics.
pub async fn observe(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody + 'static>>, Error> {
    let ctx = RequestContext {
        request_id: req.headers().get(&REQUEST_ID).and_then(sane_request_id).unwrap_or_else(new_request_id),
        lang: Lang::from_header(req.headers().get(ACCEPT_LANGUAGE)),
        path: req.path().to_owned(),
    };
    req.extensions_mut().insert(ctx.clone());
    let metrics = req.app_data::<web::Data<Metrics>>().cloned();
    let method = req.method().to_string();
    let started = Instant::now();
    let request_id = ctx.request_id.clone();
    let mut res = if let Some(error) = url_problem(&req.uri().to_string()) {
        let (http_req, _) = req.into_parts();
        let problem = CONTEXT.scope(ctx, async { error.error_response() }).await;
        ServiceResponse::new(http_req, problem).map_into_right_body()
    } else {
        CONTEXT.scope(ctx, next.call(req)).await?.map_into_left_body()
    };
    let elapsed = started.elapsed();
    if let Ok(value) = HeaderValue::from_str(&request_id) {
        res.headers_mut().insert(REQUEST_ID, value);
    }
    // Answers carry personal data: no cache keeps them, and no client guesses another type than the one sent.
    res.headers_mut().insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res.headers_mut().insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    let status = res.status().as_u16();
    let route = res.request().match_pattern().unwrap_or_else(|| "unmatched".to_owned());
    let peer = crate::client_address::of(res.request()).unwrap_or_else(|| "-".to_owned());
    log::info!(
        target: "access",
        "[{request_id}] {peer} \"{method} {}\" {status} {:.1}ms",
        res.request().path(),
        elapsed.as_secs_f64() * 1000.0
    );
    if let Some(metrics) = metrics {
        metrics.observe(&method, &route, status, elapsed);
    }
    note_write(&res, &method);
    audit_refused_write(&res, &method, &route, status).await;
    Ok(res)
}

/// A write by an authenticated caller sends that caller's next reads to the primary for the read-your-writes
/// window (issue 28), whatever its outcome.
fn note_write<B>(res: &ServiceResponse<B>, method: &str) {
    if !matches!(method, "POST" | "PUT" | "PATCH" | "DELETE") {
        return;
    }
    let req = res.request();
    let Some(state) = req.app_data::<web::Data<crate::state::AppState>>() else { return };
    let Some(replica) = &state.replica else { return };
    if let Some(caller) = req.extensions().get::<crate::auth::Caller>() {
        replica.wrote(&caller.login);
    }
}

/// Writes that were refused (403, 4xx, 5xx) by an authenticated caller are audited with their outcome; the
/// successful ones are audited by their handlers in the same transaction as the change.
async fn audit_refused_write<B>(res: &ServiceResponse<B>, method: &str, route: &str, status: u16) {
    if status < 400 || status == 401 || !matches!(method, "POST" | "PUT" | "PATCH" | "DELETE") {
        return;
    }
    let req = res.request();
    let caller = req.extensions().get::<crate::auth::Caller>().cloned();
    let state = req.app_data::<web::Data<crate::state::AppState>>().cloned();
    let (Some(caller), Some(state)) = (caller, state) else { return };
    let (action, path) = (format!("{method} {route}"), req.path().to_owned());
    let written =
        crate::db::run(&state.pool, move |conn| app::ops::audit_refused_write(conn, &caller, &action, &path, status))
            .await;
    if let Err(e) = written {
        log::error!("could not audit a refused write: {e}");
    }
}

/// Starts env_logger with the request id in every line written while serving a request.
pub fn init_logging() {
    use std::io::Write;
    let env = env_logger::Env::default().filter_or("RUST_LOG", "info").write_style_or("LOG_STYLE", "never");
    let _ = env_logger::Builder::from_env(env)
        .format(|buf, record| {
            let ts = buf.timestamp_millis();
            match current_request_id() {
                Some(id) => writeln!(buf, "{ts} {} {} [{id}] {}", record.level(), record.target(), record.args()),
                None => writeln!(buf, "{ts} {} {} {}", record.level(), record.target(), record.args()),
            }
        })
        .try_init();
}

#[cfg(test)]
mod tests {
    #[test]
    fn urls_with_nul_or_bad_utf8_are_refused() {
        assert_eq!(super::url_problem("/api/v1/retirees?name_prefix=%E5%BC%A0").map(|e| e.code().to_owned()), None);
        assert_eq!(super::url_problem("/a?x=%00").map(|e| e.code().to_owned()).as_deref(), Some("nul_character"));
        assert_eq!(
            super::url_problem("/a?x=%ff%FE").map(|e| e.code().to_owned()).as_deref(),
            Some("invalid_url_encoding")
        );
        assert_eq!(super::url_problem("/a?x=%zz%").map(|e| e.code().to_owned()), None);
        let long = format!("/a?x={}", "a".repeat(super::MAX_URI_BYTES));
        assert_eq!(super::url_problem(&long).map(|e| e.code().to_owned()).as_deref(), Some("uri_too_long"));
    }

    use super::*;

    #[test]
    fn english_only_when_preferred_first() {
        assert_eq!(Lang::from_header(Some(&HeaderValue::from_static("en-US,en;q=0.9"))), Lang::En);
        assert_eq!(Lang::from_header(Some(&HeaderValue::from_static("zh-CN,en;q=0.5"))), Lang::Zh);
        assert_eq!(Lang::from_header(None), Lang::Zh);
        // q-values decide, not the order (issue 22).
        assert_eq!(Lang::from_accept("zh-CN;q=0.5, en-US;q=0.9"), Lang::En);
        assert_eq!(Lang::from_accept("en-US;q=0.4, zh-CN;q=0.8"), Lang::Zh);
        assert_eq!(Lang::from_accept("en;q=0, zh"), Lang::Zh);
        assert_eq!(Lang::from_accept("fr-FR, en;q=0.7"), Lang::En);
        assert_eq!(Lang::from_accept("en, zh"), Lang::En);
        assert_eq!(Lang::from_accept("*"), Lang::Zh);
        assert_eq!(Lang::from_accept("english"), Lang::Zh);
    }

    #[test]
    fn request_ids_are_sanitised() {
        assert_eq!(sane_request_id(&HeaderValue::from_static("abc-123")), Some("abc-123".into()));
        assert_eq!(sane_request_id(&HeaderValue::from_static("a b")), None);
    }
}
