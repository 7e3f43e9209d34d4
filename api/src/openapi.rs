//! The OpenAPI document: info, security, shared error responses. Paths and schemas are collected from the
//! route tree by utoipa-actix-web, so nothing served goes undocumented.

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{IntoResponses, Modify, OpenApi};

use crate::error::{Problem, ProblemField};

/// Root of the document.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "退休人员社会化管理服务信息系统 API",
        version = "1.0.0",
        description = "Retiree socialized management service. Every error is `application/problem+json` \
(RFC 9457) with a stable `code`; send `Accept-Language: en` for English messages. Resident ID numbers never \
travel in URLs: use `POST /api/v1/retirees/search`. Lists take `limit` (1-500, default 50) and the opaque \
`cursor` from the previous page's `next_cursor`. Writes to existing resources need `If-Match` with the ETag read \
(412 when stale, 428 when missing); creating POSTs accept `Idempotency-Key`."
    ),
    modifiers(&BearerAuth),
    components(schemas(Problem, ProblemField)),
    tags(
        (name = "auth", description = "Tokens and the current caller"),
        (name = "accounts", description = "Users and service accounts (admins, within their subtree)"),
        (name = "jurisdictions", description = "The tree of city, district, street and community nodes"),
        (name = "imports", description = "File imports"),
        (name = "exports", description = "Retiree rosters as CSV or XLSX files, in the import columns"),
        (name = "feeds", description = "Records from the data platform (信息比对): certification by data comparison, suspected deaths, imprisonment"),
        (name = "policies", description = "Effective-dated policy parameters per jurisdiction, and presets"),
        (name = "calendar", description = "Working-day calendar: holidays and make-up working days"),
        (name = "retirees", description = "The retiree registry, dependents and timelines"),
        (name = "certification", description = "Certification runs: everybody overdue in a subtree suspended at once (CS Art. 32(1))"),
        (name = "death", description = "Death reports, overpaid pension and its recovery, death benefits, dependants' support (GUIDE 四、五; CS Art. 16(4), 31, 32)"),
        (name = "movements", description = "Handover of new retirees, transfers between communities, reductions, visit tasks of new arrivals, the monthly movement report (GUIDE 交接制度; JN Art. 4, 21, 22)"),
        (name = "events", description = "The change feed in commit order and signed webhooks for the data platform (CS Art. 27, 30; JN Art. 33)"),
        (name = "care", description = "Condolences and festival lists, visit rules and recorded visits, self-management groups and their leaders (XM Art. 12, 14, 21-24; CS Art. 19, 25; JN Art. 31-32; GUIDE 走访制度)"),
        (name = "funding", description = "The service fund: budgets from headcounts and the per-retiree standard, city/district splits, leader allowances, excellent-leader quotas and awards, the expenditure ledger, reproducible statements, the staffing report (XM Art. 21-24; CS Art. 10; JN Art. 11-20)"),
        (name = "audit", description = "The append-only audit log"),
        (name = "meta", description = "Enumerations with Chinese labels"),
        (name = "operations", description = "Health, readiness and metrics")
    )
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .description(Some("Access token from POST /api/v1/auth/token"))
                    .build(),
            ),
        );
    }
}

/// Errors any authenticated read may answer.
#[derive(IntoResponses)]
#[allow(dead_code)]
pub enum ReadErrors {
    /// Unreadable query string.
    #[response(status = 400, content_type = "application/problem+json", example = json!({
        "type": "urn:retiree-service:problem:invalid_query", "title": "请求无法解析", "status": 400,
        "detail": "查询参数无法解析", "instance": "/api/v1/retirees", "code": "invalid_query", "request_id": "a1b2c3"}))]
    BadRequest(Problem),
    /// Missing, expired or invalid token.
    #[response(status = 401, content_type = "application/problem+json", example = json!({
        "type": "urn:retiree-service:problem:token_expired", "title": "未认证", "status": 401,
        "detail": "令牌已过期，请重新获取", "instance": "/api/v1/retirees", "code": "token_expired", "request_id": "a1b2c3"}))]
    Unauthorized(Problem),
    /// The role may not do this.
    #[response(status = 403, content_type = "application/problem+json", example = json!({
        "type": "urn:retiree-service:problem:forbidden", "title": "无权操作", "status": 403,
        "detail": "当前角色无权执行此操作", "instance": "/api/v1/audit-log", "code": "forbidden", "request_id": "a1b2c3"}))]
    Forbidden(Problem),
    /// Absent or outside the caller's subtree.
    #[response(status = 404, content_type = "application/problem+json", example = json!({
        "type": "urn:retiree-service:problem:not_found", "title": "资源不存在", "status": 404,
        "detail": "资源不存在", "instance": "/api/v1/retirees/42", "code": "not_found", "request_id": "a1b2c3"}))]
    NotFound(Problem),
    /// A query parameter breaks a rule.
    #[response(status = 422, content_type = "application/problem+json", example = json!({
        "type": "urn:retiree-service:problem:limit_range", "title": "请求数据未通过校验", "status": 422,
        "detail": "limit 应为1至500的整数", "instance": "/api/v1/retirees", "code": "limit_range", "request_id": "a1b2c3",
        "errors": [{"field": "limit", "code": "limit_range", "message": "limit 应为1至500的整数"}]}))]
    Unprocessable(Problem),
    /// The path and query exceed 8 KiB.
    #[response(status = 414, content_type = "application/problem+json")]
    UriTooLong(Problem),
    /// Database busy; retry after the seconds in `Retry-After`.
    #[response(status = 503, content_type = "application/problem+json")]
    Unavailable(Problem),
}

/// Errors any authenticated write may answer.
#[derive(IntoResponses)]
#[allow(dead_code)]
pub enum WriteErrors {
    /// Unreadable body or header.
    #[response(status = 400, content_type = "application/problem+json", example = json!({
        "type": "urn:retiree-service:problem:invalid_json", "title": "请求无法解析", "status": 400,
        "detail": "请求体不是有效的JSON", "instance": "/api/v1/retirees", "code": "invalid_json", "request_id": "a1b2c3"}))]
    BadRequest(Problem),
    /// Missing, expired or invalid token.
    #[response(status = 401, content_type = "application/problem+json")]
    Unauthorized(Problem),
    /// The role may not do this.
    #[response(status = 403, content_type = "application/problem+json")]
    Forbidden(Problem),
    /// Absent or outside the caller's subtree.
    #[response(status = 404, content_type = "application/problem+json")]
    NotFound(Problem),
    /// Conflicts with existing data (duplicate resident ID, login name, code).
    #[response(status = 409, content_type = "application/problem+json", example = json!({
        "type": "urn:retiree-service:problem:id_number_taken", "title": "与现有数据冲突", "status": 409,
        "detail": "该公民身份号码已登记", "instance": "/api/v1/retirees", "code": "id_number_taken", "request_id": "a1b2c3"}))]
    Conflict(Problem),
    /// `If-Match` names an older version.
    #[response(status = 412, content_type = "application/problem+json", example = json!({
        "type": "urn:retiree-service:problem:version_mismatch", "title": "版本不一致", "status": 412,
        "detail": "资源已被修改", "instance": "/api/v1/retirees/42", "code": "version_mismatch", "request_id": "a1b2c3"}))]
    PreconditionFailed(Problem),
    /// The body arrived too slowly (`HTTP_CLIENT_TIMEOUT_SECONDS`, `HTTP_BODY_MIN_BYTES_PER_SECOND`).
    #[response(status = 408, content_type = "application/problem+json")]
    TooSlow(Problem),
    /// Body over the limit.
    #[response(status = 413, content_type = "application/problem+json")]
    TooLarge(Problem),
    /// Wrong `Content-Type`.
    #[response(status = 415, content_type = "application/problem+json")]
    UnsupportedMediaType(Problem),
    /// A field breaks a rule; `errors` names each field and rule.
    #[response(status = 422, content_type = "application/problem+json", example = json!({
        "type": "urn:retiree-service:problem:id_number_checksum", "title": "请求数据未通过校验", "status": 422,
        "detail": "公民身份号码校验码错误：应为X，实际为1（GB 11643 ISO 7064 MOD 11-2）", "instance": "/api/v1/retirees",
        "code": "id_number_checksum", "request_id": "a1b2c3",
        "errors": [{"field": "/id_number", "code": "id_number_checksum",
                    "message": "公民身份号码校验码错误：应为X，实际为1（GB 11643 ISO 7064 MOD 11-2）"}]}))]
    Unprocessable(Problem),
    /// A write to an existing resource without `If-Match`.
    #[response(status = 428, content_type = "application/problem+json")]
    PreconditionRequired(Problem),
    /// The path and query exceed 8 KiB.
    #[response(status = 414, content_type = "application/problem+json")]
    UriTooLong(Problem),
    /// Database busy; retry after the seconds in `Retry-After`.
    #[response(status = 503, content_type = "application/problem+json")]
    Unavailable(Problem),
}

/// Errors of a condolence write; 422 includes `condolence_cap_exceeded` (XM Art. 21(2)).
#[derive(IntoResponses)]
#[allow(dead_code)]
pub enum CondolenceErrors {
    /// Unreadable body or header.
    #[response(status = 400, content_type = "application/problem+json", example = json!({
        "type": "urn:retiree-service:problem:invalid_json", "title": "请求无法解析", "status": 400,
        "detail": "请求体不是有效的JSON", "instance": "/api/v1/retirees", "code": "invalid_json", "request_id": "a1b2c3"}))]
    BadRequest(Problem),
    /// Missing, expired or invalid token.
    #[response(status = 401, content_type = "application/problem+json")]
    Unauthorized(Problem),
    /// The role may not do this.
    #[response(status = 403, content_type = "application/problem+json")]
    Forbidden(Problem),
    /// Absent or outside the caller's subtree.
    #[response(status = 404, content_type = "application/problem+json")]
    NotFound(Problem),
    /// Conflicts with existing data (duplicate resident ID, login name, code).
    #[response(status = 409, content_type = "application/problem+json", example = json!({
        "type": "urn:retiree-service:problem:id_number_taken", "title": "与现有数据冲突", "status": 409,
        "detail": "该公民身份号码已登记", "instance": "/api/v1/retirees", "code": "id_number_taken", "request_id": "a1b2c3"}))]
    Conflict(Problem),
    /// `If-Match` names an older version.
    #[response(status = 412, content_type = "application/problem+json", example = json!({
        "type": "urn:retiree-service:problem:version_mismatch", "title": "版本不一致", "status": 412,
        "detail": "资源已被修改", "instance": "/api/v1/retirees/42", "code": "version_mismatch", "request_id": "a1b2c3"}))]
    PreconditionFailed(Problem),
    /// The body arrived too slowly (`HTTP_CLIENT_TIMEOUT_SECONDS`, `HTTP_BODY_MIN_BYTES_PER_SECOND`).
    #[response(status = 408, content_type = "application/problem+json")]
    TooSlow(Problem),
    /// Body over the limit.
    #[response(status = 413, content_type = "application/problem+json")]
    TooLarge(Problem),
    /// Wrong `Content-Type`.
    #[response(status = 415, content_type = "application/problem+json")]
    UnsupportedMediaType(Problem),
    /// A rule is broken: `condolence_cap_exceeded`, `condolence_kind_not_in_policy`, a field error.
    #[response(status = 422, content_type = "application/problem+json", example = json!({
        "type": "urn:retiree-service:problem:condolence_cap_exceeded", "title": "请求数据未通过校验", "status": 422,
        "detail": "2026年该人员住院慰问已达2次上限（XM Art. 21(2)），可登记为不发放慰问金的探望（paid: false）",
        "instance": "/api/v1/condolences", "code": "condolence_cap_exceeded", "request_id": "a1b2c3"}))]
    Unprocessable(Problem),
    /// A write to an existing resource without `If-Match`.
    #[response(status = 428, content_type = "application/problem+json")]
    PreconditionRequired(Problem),
    /// The path and query exceed 8 KiB.
    #[response(status = 414, content_type = "application/problem+json")]
    UriTooLong(Problem),
    /// Database busy; retry after the seconds in `Retry-After`.
    #[response(status = 503, content_type = "application/problem+json")]
    Unavailable(Problem),
}

/// Errors of a service-fund write; 422 includes `expense_category_not_allowed` and `budget_exceeded`.
#[derive(IntoResponses)]
#[allow(dead_code)]
pub enum FundErrors {
    /// Unreadable body or header.
    #[response(status = 400, content_type = "application/problem+json", example = json!({
        "type": "urn:retiree-service:problem:invalid_json", "title": "请求无法解析", "status": 400,
        "detail": "请求体不是有效的JSON", "instance": "/api/v1/retirees", "code": "invalid_json", "request_id": "a1b2c3"}))]
    BadRequest(Problem),
    /// Missing, expired or invalid token.
    #[response(status = 401, content_type = "application/problem+json")]
    Unauthorized(Problem),
    /// The role may not do this.
    #[response(status = 403, content_type = "application/problem+json")]
    Forbidden(Problem),
    /// Absent or outside the caller's subtree.
    #[response(status = 404, content_type = "application/problem+json")]
    NotFound(Problem),
    /// Conflicts with existing data (duplicate resident ID, login name, code).
    #[response(status = 409, content_type = "application/problem+json", example = json!({
        "type": "urn:retiree-service:problem:id_number_taken", "title": "与现有数据冲突", "status": 409,
        "detail": "该公民身份号码已登记", "instance": "/api/v1/retirees", "code": "id_number_taken", "request_id": "a1b2c3"}))]
    Conflict(Problem),
    /// `If-Match` names an older version.
    #[response(status = 412, content_type = "application/problem+json", example = json!({
        "type": "urn:retiree-service:problem:version_mismatch", "title": "版本不一致", "status": 412,
        "detail": "资源已被修改", "instance": "/api/v1/retirees/42", "code": "version_mismatch", "request_id": "a1b2c3"}))]
    PreconditionFailed(Problem),
    /// The body arrived too slowly (`HTTP_CLIENT_TIMEOUT_SECONDS`, `HTTP_BODY_MIN_BYTES_PER_SECOND`).
    #[response(status = 408, content_type = "application/problem+json")]
    TooSlow(Problem),
    /// Body over the limit.
    #[response(status = 413, content_type = "application/problem+json")]
    TooLarge(Problem),
    /// Wrong `Content-Type`.
    #[response(status = 415, content_type = "application/problem+json")]
    UnsupportedMediaType(Problem),
    /// A rule is broken: `expense_category_not_allowed`, `budget_exceeded`, `budget_missing`, `excellent_quota_exceeded`, `not_a_district`, a field error.
    #[response(status = 422, content_type = "application/problem+json", example = json!({
        "type": "urn:retiree-service:problem:budget_exceeded", "title": "请求数据未通过校验", "status": 422,
        "detail": "超出预算：预算1600.00元，已支出500.00元，本次1100.01元", "instance": "/api/v1/funding/expenditures",
        "code": "budget_exceeded", "request_id": "a1b2c3"}))]
    Unprocessable(Problem),
    /// A write to an existing resource without `If-Match`.
    #[response(status = 428, content_type = "application/problem+json")]
    PreconditionRequired(Problem),
    /// The path and query exceed 8 KiB.
    #[response(status = 414, content_type = "application/problem+json")]
    UriTooLong(Problem),
    /// Database busy; retry after the seconds in `Retry-After`.
    #[response(status = 503, content_type = "application/problem+json")]
    Unavailable(Problem),
}

/// Makes every `operationId` unique (OpenAPI requires it; client generators name functions after it): a handler
/// name used on several paths (`list`, `get_one` …) gets the path's resource words appended
/// (`list_retirees_dependents`).
pub fn unique_operation_ids(spec: &mut utoipa::openapi::OpenApi) {
    use std::collections::HashMap;
    let mut counts: HashMap<String, usize> = HashMap::new();
    for item in spec.paths.paths.values() {
        for op in [&item.get, &item.post, &item.put, &item.patch, &item.delete].into_iter().flatten() {
            if let Some(id) = &op.operation_id {
                *counts.entry(id.clone()).or_default() += 1;
            }
        }
    }
    for (path, item) in spec.paths.paths.iter_mut() {
        let words: Vec<&str> =
            path.trim_start_matches("/api/v1").split('/').filter(|w| !w.is_empty() && !w.starts_with('{')).collect();
        let suffix = words.join("_").replace(['-', '.'], "_");
        for op in
            [&mut item.get, &mut item.post, &mut item.put, &mut item.patch, &mut item.delete].into_iter().flatten()
        {
            if let Some(id) = &op.operation_id
                && counts.get(id).copied().unwrap_or(0) > 1
                && !suffix.is_empty()
            {
                op.operation_id = Some(format!("{id}_{suffix}"));
            }
        }
    }
}

/// The spec as YAML, as committed in `openapi.yaml`.
pub fn to_yaml(spec: &utoipa::openapi::OpenApi) -> Result<String, String> {
    spec.to_yaml().map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    /// The committed `openapi.yaml` is what the code generates. Regenerate with
    /// `UPDATE_OPENAPI=1 cargo test -p retiree-api openapi_file` (or `retiree-service openapi > openapi.yaml`).
    #[test]
    fn openapi_file_matches_code() {
        let generated = super::to_yaml(&crate::service::openapi()).unwrap();
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../openapi.yaml");
        if std::env::var_os("UPDATE_OPENAPI").is_some() {
            std::fs::write(path, &generated).unwrap();
        }
        let committed = std::fs::read_to_string(path).unwrap_or_default();
        assert!(
            committed == generated,
            "openapi.yaml differs from the code; run `UPDATE_OPENAPI=1 cargo test -p retiree-api openapi_file`"
        );
    }

    #[test]
    fn operation_ids_are_unique() {
        let json = serde_json::to_value(crate::service::openapi()).unwrap();
        let mut seen = std::collections::HashSet::new();
        for (path, item) in json["paths"].as_object().unwrap() {
            for (method, op) in item.as_object().unwrap() {
                let id = op["operationId"].as_str().unwrap_or_default().to_owned();
                assert!(seen.insert(id.clone()), "{method} {path}: operationId {id} is used twice");
            }
        }
    }

    /// Operations that need a valid token and no permission: every role may call them.
    const TOKEN_ONLY: [(&str, &str); 5] = [
        ("get", "/api/v1/auth/me"),
        ("get", "/api/v1/meta/enums"),
        ("get", "/api/v1/calendar/holidays"),
        ("get", "/api/v1/calendar/working-days"),
        ("get", "/api/v1/calendar/deadline"),
    ];

    /// What is wrong with the permission scopes of a document's bearer requirements (docs/api-conventions.md,
    /// "Permissions"): each requirement object is one alternative (OR), its scopes are all needed (AND), and each
    /// scope is a `Permission` code. Only the operations in `TOKEN_ONLY` may have a requirement without scopes.
    fn scope_problems(json: &serde_json::Value) -> Vec<String> {
        let codes: std::collections::HashSet<&str> = domain::Permission::ALL.iter().map(|p| p.as_str()).collect();
        let mut problems = Vec::new();
        let mut token_only_seen = 0;
        let paths = json["paths"].as_object().cloned().unwrap_or_default();
        for (path, item) in paths.iter().filter(|(path, _)| path.starts_with("/api/v1/")) {
            for (method, op) in item.as_object().into_iter().flatten() {
                let Some(requirements) = op.get("security").and_then(|s| s.as_array()) else { continue };
                let bearer: Vec<&Vec<serde_json::Value>> =
                    requirements.iter().filter_map(|r| r.get("bearer").and_then(|b| b.as_array())).collect();
                if bearer.is_empty() {
                    continue;
                }
                if bearer.len() != requirements.len() {
                    problems.push(format!("{method} {path}: a requirement without bearer"));
                }
                if TOKEN_ONLY.contains(&(method.as_str(), path.as_str())) {
                    token_only_seen += 1;
                    if bearer.len() != 1 || !bearer[0].is_empty() {
                        problems.push(format!("{method} {path} needs only a token; it lists scopes"));
                    }
                    continue;
                }
                for scopes in bearer {
                    if scopes.is_empty() {
                        problems.push(format!("{method} {path}: a bearer requirement without a permission scope"));
                    }
                    for scope in scopes {
                        let scope = scope.as_str().unwrap_or_default();
                        if !codes.contains(scope) {
                            problems.push(format!("{method} {path}: scope {scope:?} is not a permission code"));
                        }
                    }
                }
            }
        }
        if token_only_seen != TOKEN_ONLY.len() {
            problems.push(format!("TOKEN_ONLY names operations that are gone ({token_only_seen} found)"));
        }
        problems
    }

    #[test]
    fn every_bearer_operation_names_its_permissions() {
        let json = serde_json::to_value(crate::service::openapi()).unwrap();
        let problems = scope_problems(&json);
        assert!(problems.is_empty(), "{}", problems.join("\n"));
    }

    #[test]
    fn missing_and_unknown_scopes_are_caught() {
        let mut json = serde_json::to_value(crate::service::openapi()).unwrap();
        let ops = &mut json["paths"]["/api/v1/retirees"];
        ops["get"]["security"] = serde_json::json!([{"bearer": []}]);
        ops["post"]["security"] = serde_json::json!([{"bearer": ["retiree.write"]}, {"bearer": ["retiree.writ"]}]);
        json["paths"]["/api/v1/auth/me"]["get"]["security"] = serde_json::json!([{"bearer": ["retiree.read"]}]);
        let problems = scope_problems(&json);
        assert_eq!(
            problems,
            [
                "get /api/v1/auth/me needs only a token; it lists scopes",
                "get /api/v1/retirees: a bearer requirement without a permission scope",
                "post /api/v1/retirees: scope \"retiree.writ\" is not a permission code",
            ],
            "{problems:?}"
        );
    }

    #[test]
    fn every_operation_is_documented_with_errors_and_security() {
        let spec = crate::service::openapi();
        let json = serde_json::to_value(&spec).unwrap();
        let paths = json["paths"].as_object().unwrap();
        assert!(paths.len() >= 20, "{} paths", paths.len());
        for (path, item) in paths {
            for (method, op) in item.as_object().unwrap() {
                let responses = op["responses"].as_object().unwrap();
                assert!(responses.keys().any(|k| k.starts_with('2')), "{method} {path} has no success response");
                if path.starts_with("/api/v1/") && path != "/api/v1/auth/token" {
                    assert!(responses.contains_key("401"), "{method} {path} does not document 401");
                    assert!(op.get("security").is_some(), "{method} {path} has no security");
                }
            }
        }
    }
}
