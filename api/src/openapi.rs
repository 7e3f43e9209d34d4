//! The OpenAPI document: info, security, shared error responses. Paths and schemas are collected from the
//! route tree by utoipa-actix-web, so nothing served goes undocumented.

use std::collections::BTreeMap;

use domain::ErrorCode;
use utoipa::openapi::example::ExampleBuilder;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, Ref, RefOr, Response, ResponseBuilder};
use utoipa::{IntoResponses, Modify, OpenApi};

use crate::error::{PROBLEM_JSON, Problem, ProblemField};

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
    modifiers(&BearerAuth, &ErrorCatalogue),
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
        (name = "petitions", description = "Reception, petitions and letters: registration, handling, escalation level by level, worklists, monthly counts (GUIDE 接待制度; CS Art. 21; XM Art. 11)"),
        (name = "archives", description = "Personnel archives: receipt, repositories and places, loans, supplements, transfer dispatch, digitisation, disposal (XM Art. 16; CS Art. 12(2); JN Art. 7(12), 12, 20, 21, 27)"),
        (name = "elder-care", description = "Elderly care services: institutions and the stale-information worklist, caregivers in four grades, the ten-step request flow (eligibility, matching, booking without double booking, delivery, spot checks, evaluation), moving into an institution, the monthly summary (GUIDE 第二部分六; JN Art. 7(3))"),
        (name = "audit", description = "The append-only audit log"),
        (name = "meta", description = "Enumerations with Chinese labels"),
        (name = "operations", description = "Health, readiness and metrics"),
        (name = "high-age-allowance", description = "High-age allowance: applications, approval or refusal, the monthly list of people paid and amounts per community from the local policy's age bands (JN Art. 7(7))"),
        (name = "assistance", description = "Assistance referral: people in hardship referred to civil affairs for 低保 or 特困, linked to the visit that found it, civil affairs' answers, the worklist of open referrals (JN Art. 7(8); GUIDE 走访制度)"),
        (name = "errands", description = "Tracked errands 代办事项: the senior preferential card, chronic/special disease and special-drug qualification, medical-insurance continuation (opened when a transfer between districts completes); submission, result, withdrawal, the overdue and senior-card worklists (JN Art. 7(5), 24; GUIDE 走访制度)"),
        // Community services (issue 25): party members.
        (name = "party", description = "Party members' organisation relations: branches of street and community party organisations, relations established, transferred and accepted with the handover's step, organisation life with attendance, the worklist of members without a relation, the roster as a file (CS Art. 12(3), 24; JN Art. 21(2), 22, 29; GUIDE 交接制度)")
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

/// What an error status means, for the description of its response.
fn status_meaning(status: u16) -> &'static str {
    match status {
        400 => "The request cannot be read.",
        401 => "Missing, expired or invalid token.",
        403 => "The role may not do this.",
        404 => "Absent or outside the caller's subtree.",
        405 => "The path has no such method; `Allow` lists those it has.",
        408 => "The body arrived too slowly (`HTTP_CLIENT_TIMEOUT_SECONDS`, `HTTP_BODY_MIN_BYTES_PER_SECOND`).",
        409 => "Conflicts with existing data.",
        410 => {
            "Older than the retention period (`EVENT_RETENTION_DAYS`), or an endpoint retired (`Link` names its successor)."
        }
        412 => "`If-Match` names an older version.",
        413 => "Body over the limit.",
        414 => "The path and query exceed 8 KiB.",
        415 => "Wrong `Content-Type`.",
        422 => "A rule is broken; `errors` names each field and rule.",
        428 => "A write to an existing resource without `If-Match`.",
        429 => "Too many requests; retry after the seconds in `Retry-After`.",
        500 => "Internal error; the cause is in the log under the request id, never in the body.",
        503 => "Database busy; retry after the seconds in `Retry-After`.",
        _ => "",
    }
}

/// The problem body an answer with `code` carries (in Chinese, the default language), as an example.
pub fn example_problem(code: ErrorCode) -> serde_json::Value {
    let mut body = serde_json::json!({
        "type": format!("urn:retiree-service:problem:{code}"),
        "title": crate::error::title(code.status(), crate::context::Lang::Zh),
        "status": code.status(),
        "detail": code.message_zh(),
        "instance": "/api/v1/retirees",
        "code": code.as_str(),
        "request_id": "a1b2c3",
    });
    if code == ErrorCode::ValidationFailed {
        body["detail"] = "2处数据未通过校验，详见errors".into();
        body["errors"] = serde_json::json!([
            {"field": "/name", "code": "required", "message": ErrorCode::Required.message_zh()},
            {"field": "/phone", "code": "phone_format", "message": ErrorCode::PhoneFormat.message_zh()},
        ]);
    }
    body
}

/// The error responses of `codes`, one per status: the description lists each code with its title, and the
/// problem+json content has an example per code (a reference to `components/examples/<code>`, see
/// [`ErrorCatalogue`]).
pub fn problem_responses(codes: &[ErrorCode]) -> BTreeMap<String, RefOr<Response>> {
    let mut by_status: BTreeMap<u16, Vec<ErrorCode>> = BTreeMap::new();
    for code in codes {
        let list = by_status.entry(code.status()).or_default();
        if !list.contains(code) {
            list.push(*code);
        }
    }
    by_status
        .into_iter()
        .map(|(status, codes)| {
            let list: Vec<String> = codes.iter().map(|c| format!("- `{c}`: {}", c.title())).collect();
            let description = format!("{}\n\n{}", status_meaning(status), list.join("\n"));
            let examples =
                codes.iter().map(|c| (c.as_str(), RefOr::Ref(Ref::new(format!("#/components/examples/{c}")))));
            let content = ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("Problem")))
                .examples_from_iter(examples)
                .build();
            let response = ResponseBuilder::new().description(description).content(PROBLEM_JSON, content).build();
            (status.to_string(), RefOr::T(response))
        })
        .collect()
}

/// Adds every catalogued code's example problem to `components/examples` (named by code), which the error
/// responses refer to: the document lists the whole catalogue once.
pub struct ErrorCatalogue;

impl Modify for ErrorCatalogue {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        for code in ErrorCode::ALL {
            let example = ExampleBuilder::new()
                .summary(format!("{} ({})", code.title(), code.status()))
                .value(Some(example_problem(*code)))
                .build();
            components.examples.insert(code.as_str().to_owned(), RefOr::T(example));
        }
    }
}

/// Codes any authenticated request may answer with, whatever it does.
const ANY_REQUEST: [ErrorCode; 10] = [
    ErrorCode::InvalidUrlEncoding,
    ErrorCode::NulCharacter,
    ErrorCode::MissingToken,
    ErrorCode::InvalidToken,
    ErrorCode::TokenExpired,
    ErrorCode::AccountInactive,
    ErrorCode::Forbidden,
    ErrorCode::NotFound,
    ErrorCode::UriTooLong,
    ErrorCode::ServiceUnavailable,
];

/// Codes of a read, besides [`ANY_REQUEST`]: its query string.
const READ: [ErrorCode; 7] = [
    ErrorCode::InvalidQuery,
    ErrorCode::ValidationFailed,
    ErrorCode::Required,
    ErrorCode::InvalidEnum,
    ErrorCode::InvalidDate,
    ErrorCode::LimitRange,
    ErrorCode::InvalidCursor,
];

/// Codes of a write, besides [`ANY_REQUEST`]: its headers and body.
const WRITE: [ErrorCode; 19] = [
    ErrorCode::InvalidJson,
    ErrorCode::InvalidBody,
    ErrorCode::InvalidIdempotencyKey,
    ErrorCode::RequestTimeout,
    ErrorCode::Conflict,
    ErrorCode::ReferencedRecordMissing,
    ErrorCode::VersionMismatch,
    ErrorCode::PayloadTooLarge,
    ErrorCode::UnsupportedMediaType,
    ErrorCode::ValidationFailed,
    ErrorCode::Required,
    ErrorCode::Length,
    ErrorCode::ControlCharacters,
    ErrorCode::InvalidType,
    ErrorCode::InvalidValue,
    ErrorCode::InvalidEnum,
    ErrorCode::UnknownField,
    ErrorCode::IdempotencyKeyReused,
    ErrorCode::IfMatchRequired,
];

/// Codes of a condolence write, besides those of any write (XM Art. 21(2)-(3)).
const CONDOLENCE: [ErrorCode; 12] = [
    ErrorCode::DeathNotVerified,
    ErrorCode::CondolenceAlreadyPaid,
    ErrorCode::RetireeDeceased,
    ErrorCode::BeforeRetirement,
    ErrorCode::BeforeDeath,
    ErrorCode::RetireeNotFound,
    ErrorCode::CondolenceCapExceeded,
    ErrorCode::CondolenceKindNotInPolicy,
    // Issue 27: the payment booked against the fund in the same transaction, and its cancellation.
    ErrorCode::PaymentOverBudget,
    ErrorCode::StatementClosed,
    ErrorCode::ExpenseCategoryNotAllowed,
    ErrorCode::CondolenceCancelled,
];

/// Codes of a service-fund write, besides those of any write (XM Art. 21-24; JN Art. 11-20).
const FUND: [ErrorCode; 19] = [
    ErrorCode::BudgetExists,
    ErrorCode::StatementClosed,
    ErrorCode::AlreadyAwarded,
    ErrorCode::UseLeaderAwards,
    ErrorCode::ExpenseCategoryNotAllowed,
    ErrorCode::BudgetExceeded,
    ErrorCode::BudgetMissing,
    ErrorCode::ExcellentQuotaExceeded,
    ErrorCode::NotADistrict,
    ErrorCode::LeaderNotFound,
    ErrorCode::JurisdictionNotFound,
    // Issue 27: allocations, bookings, year close.
    ErrorCode::AllocationExceedsBalance,
    ErrorCode::PaymentOverBudget,
    ErrorCode::NotAChild,
    ErrorCode::AmountNotAllowed,
    ErrorCode::YearNotOver,
    ErrorCode::ChildrenYearOpen,
    ErrorCode::YearNotClosed,
    ErrorCode::ParentYearClosed,
];

/// Errors any authenticated read may answer.
pub struct ReadErrors;

impl ReadErrors {
    /// The codes documented.
    pub fn codes() -> Vec<ErrorCode> {
        [&ANY_REQUEST[..], &READ[..]].concat()
    }
}

impl IntoResponses for ReadErrors {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        problem_responses(&Self::codes())
    }
}

/// Errors of the change feed: those of any read, and a cursor older than the retention mark (issue 21.12).
pub struct FeedErrors;

impl FeedErrors {
    /// The codes documented.
    pub fn codes() -> Vec<ErrorCode> {
        [ReadErrors::codes(), vec![ErrorCode::EventGone]].concat()
    }
}

impl IntoResponses for FeedErrors {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        problem_responses(&Self::codes())
    }
}

/// Errors any authenticated write may answer.
pub struct WriteErrors;

impl WriteErrors {
    /// The codes documented.
    pub fn codes() -> Vec<ErrorCode> {
        [&ANY_REQUEST[..], &WRITE[..]].concat()
    }
}

impl IntoResponses for WriteErrors {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        problem_responses(&Self::codes())
    }
}

/// Errors of a write that sets a feed cursor (a webhook's `after`): those of any write, and a cursor older than the
/// retention mark (issue 21.12).
pub struct CursorWriteErrors;

impl CursorWriteErrors {
    /// The codes documented.
    pub fn codes() -> Vec<ErrorCode> {
        [WriteErrors::codes(), vec![ErrorCode::EventGone]].concat()
    }
}

impl IntoResponses for CursorWriteErrors {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        problem_responses(&Self::codes())
    }
}

/// Errors of a condolence write: those of any write, and the condolence rules (XM Art. 21(2)).
pub struct CondolenceErrors;

impl CondolenceErrors {
    /// The codes documented.
    pub fn codes() -> Vec<ErrorCode> {
        [&ANY_REQUEST[..], &WRITE[..], &CONDOLENCE[..]].concat()
    }
}

impl IntoResponses for CondolenceErrors {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        problem_responses(&Self::codes())
    }
}

/// Errors of a read computed from the high-age allowance policy (issue 25 part 4; JN Art. 7(7)): those of any read,
/// and 409 while no local rule sets the age bands and amounts.
pub struct AllowanceReadErrors;

impl AllowanceReadErrors {
    /// The codes documented.
    pub fn codes() -> Vec<ErrorCode> {
        [ReadErrors::codes(), vec![ErrorCode::AllowancePolicyUnset]].concat()
    }
}

impl IntoResponses for AllowanceReadErrors {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        problem_responses(&Self::codes())
    }
}

/// Errors of a service-fund write: those of any write, and the fund's rules.
pub struct FundErrors;

impl FundErrors {
    /// The codes documented.
    pub fn codes() -> Vec<ErrorCode> {
        [&ANY_REQUEST[..], &WRITE[..], &FUND[..]].concat()
    }
}

impl IntoResponses for FundErrors {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        problem_responses(&Self::codes())
    }
}

/// Errors of the party worklist (issue 25; GUIDE 交接制度): those of any read, and 409 while no local rule sets the
/// days within which a party member's relation is to be in a branch.
pub struct PartyWorklistErrors;

impl PartyWorklistErrors {
    /// The codes documented.
    pub fn codes() -> Vec<ErrorCode> {
        [ReadErrors::codes(), vec![ErrorCode::PartyPolicyUnset]].concat()
    }
}

impl IntoResponses for PartyWorklistErrors {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        problem_responses(&Self::codes())
    }
}

// Reports, ledgers and funds (issue 27, reports27).

/// Errors of a retired endpoint: those of any request and 410 `endpoint_retired` (the successor in `Link`).
pub struct RetiredErrors;

impl RetiredErrors {
    /// The codes documented.
    pub fn codes() -> Vec<ErrorCode> {
        [&ANY_REQUEST[..], &WRITE[..], &[ErrorCode::EndpointRetired][..]].concat()
    }
}

impl IntoResponses for RetiredErrors {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        problem_responses(&Self::codes())
    }
}

/// Errors of an award's cancel: those of a write, `not_an_award`, `award_cancelled`, `statement_closed`.
pub struct AwardCancelErrors;

impl AwardCancelErrors {
    /// The codes documented.
    pub fn codes() -> Vec<ErrorCode> {
        [
            &ANY_REQUEST[..],
            &WRITE[..],
            &[ErrorCode::NotAnAward, ErrorCode::AwardCancelled, ErrorCode::StatementClosed][..],
        ]
        .concat()
    }
}

impl IntoResponses for AwardCancelErrors {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        problem_responses(&Self::codes())
    }
}

/// Errors of a ledger comparison (a read of a ledger by group): those of any read.
pub struct LedgerComparisonErrors;

impl LedgerComparisonErrors {
    /// The codes documented.
    pub fn codes() -> Vec<ErrorCode> {
        [&ANY_REQUEST[..], &READ[..], &[ErrorCode::JurisdictionNotFound, ErrorCode::TooManyRows][..]].concat()
    }
}

impl IntoResponses for LedgerComparisonErrors {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        problem_responses(&Self::codes())
    }
}

/// The spec as YAML, as committed in `openapi.yaml`.
pub fn to_yaml(spec: &utoipa::openapi::OpenApi) -> Result<String, String> {
    spec.to_yaml().map(|yaml| crate::contract::quote_yaml11(&yaml)).map_err(|e| e.to_string())
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

    use super::{CondolenceErrors, ErrorCode, FundErrors, ReadErrors, WriteErrors};
    use utoipa::IntoResponses;

    /// Every catalogued code has its example problem in `components/examples`, and every error response refers
    /// only to examples of its own status.
    #[test]
    fn error_responses_come_from_the_catalogue() {
        let json = serde_json::to_value(crate::service::openapi()).unwrap();
        let examples = json["components"]["examples"].as_object().unwrap();
        assert_eq!(examples.len(), ErrorCode::ALL.len());
        for code in ErrorCode::ALL {
            let value = &examples[code.as_str()]["value"];
            assert_eq!(
                (value["code"].as_str(), value["status"].as_u64()),
                (Some(code.as_str()), Some(code.status().into()))
            );
            let detail = if *code == ErrorCode::ValidationFailed {
                "2处数据未通过校验，详见errors"
            } else {
                code.message_zh()
            };
            assert_eq!(value["detail"], detail);
        }
        let mut refs = 0;
        for (path, item) in json["paths"].as_object().unwrap() {
            for (method, op) in item.as_object().unwrap() {
                for (status, response) in
                    op["responses"].as_object().unwrap().iter().filter(|(s, _)| s.as_str() >= "400")
                {
                    let listed = response["content"]["application/problem+json"]["examples"].as_object();
                    for (name, example) in listed.into_iter().flatten() {
                        let target = example["$ref"].as_str().unwrap_or_default();
                        assert_eq!(target, format!("#/components/examples/{name}"), "{method} {path} {status}");
                        let code = ErrorCode::parse(name).unwrap_or_else(|| panic!("{method} {path}: {name}"));
                        assert_eq!(code.status().to_string(), *status, "{method} {path}: {name}");
                        refs += 1;
                    }
                }
            }
        }
        assert!(refs > 1000, "{refs} example references");
    }

    /// Every status of the catalogue is one the API documents: it has a problem title and a meaning in the
    /// error responses' descriptions.
    #[test]
    fn every_catalogued_status_is_documented() {
        for code in ErrorCode::ALL {
            let status = code.status();
            assert!(!super::status_meaning(status).is_empty(), "{code}: {status} has no meaning");
            assert!(
                domain::error_code::STATUS_TITLES.iter().any(|(s, _)| *s == status),
                "{code}: {status} has no title"
            );
        }
        assert_eq!(super::status_meaning(418), "");
    }

    #[test]
    fn error_sets_group_their_codes_by_status() {
        let statuses = |r: std::collections::BTreeMap<String, _>| r.into_keys().collect::<Vec<String>>();
        assert_eq!(statuses(ReadErrors::responses()), ["400", "401", "403", "404", "414", "422", "503"]);
        let write = ["400", "401", "403", "404", "408", "409", "412", "413", "414", "415", "422", "428", "503"];
        assert_eq!(statuses(WriteErrors::responses()), write);
        assert_eq!(statuses(CondolenceErrors::responses()), write);
        let json = serde_json::to_value(FundErrors::responses()).unwrap();
        let conflict = &json["409"];
        let names: Vec<&String> =
            conflict["content"]["application/problem+json"]["examples"].as_object().unwrap().keys().collect();
        assert_eq!(
            names,
            [
                "allocation_exceeds_balance",
                "already_awarded",
                "budget_exists",
                "children_year_open",
                "conflict",
                "parent_year_closed",
                "payment_over_budget",
                "referenced_record_missing",
                "statement_closed",
                "use_leader_awards",
                "year_not_closed",
                "year_not_over"
            ]
        );
        assert_eq!(
            conflict["description"],
            "Conflicts with existing data.\n\n- `conflict`: Duplicates an existing record\n- `referenced_record_missing`: \
             Reference missing or still referenced\n- `budget_exists`: Budget of the year exists\n- `statement_closed`: \
             Year's statement closed\n- `already_awarded`: Leader awarded this year already\n- `use_leader_awards`: \
             Awards go through leader-awards\n- `allocation_exceeds_balance`: Allocation beyond the parent's balance \
             (XM Art. 22)\n- `payment_over_budget`: Payment beyond the fund's balance\n- `year_not_over`: Year not \
             over yet\n- `children_year_open`: Lower levels have not closed the year\n- `year_not_closed`: Year not \
             closed\n- `parent_year_closed`: The level above has closed the year"
        );
        let condolence = serde_json::to_value(CondolenceErrors::responses()).unwrap();
        let unprocessable = condolence["422"]["content"]["application/problem+json"]["examples"].as_object().unwrap();
        assert!(
            unprocessable.contains_key("condolence_cap_exceeded") && unprocessable.contains_key("validation_failed")
        );
        assert!(!unprocessable.contains_key("budget_exceeded"));
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
                // A retired endpoint (reports27) answers only 410 `endpoint_retired`, its successor in `Link`.
                let retired = responses.get("410").is_some_and(|r| r.to_string().contains("endpoint_retired"));
                assert!(
                    retired || responses.keys().any(|k| k.starts_with('2')),
                    "{method} {path} has no success response"
                );
                if path.starts_with("/api/v1/") && path != "/api/v1/auth/token" {
                    assert!(responses.contains_key("401"), "{method} {path} does not document 401");
                    assert!(op.get("security").is_some(), "{method} {path} has no security");
                }
            }
        }
    }
}
