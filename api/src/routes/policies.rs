//! Effective-dated policies: the resolved policy of a node on a date, the versions bound to a node, new
//! versions (from a preset or full parameters) and the presets themselves.

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use domain::Permission;
use domain::policy::{Policy, presets};
use persistence::audit;
use persistence::jurisdictions as nodes;
use persistence::policies::{self as repo, NewPolicyVersion, PolicyVersion};
use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};
use utoipa::{IntoParams, ToSchema};

use super::common::{check_text, finish, instant};
use crate::auth::Caller;
use crate::error::{ApiError, FieldError};
use crate::extract::{Json, parse_date};
use crate::state::AppState;

/// One version bound to a node.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PolicyVersionResponse {
    /// Node it is bound to.
    #[schema(example = "3502")]
    pub jurisdiction: String,
    /// Version number at that node.
    #[schema(example = 1)]
    pub version: i32,
    /// First day in force.
    #[schema(value_type = String, format = Date, example = "2025-02-26")]
    pub valid_from: Date,
    /// Last day in force: the stated end, or the day before the next version starts; `null` while open.
    #[schema(value_type = Option<String>, format = Date)]
    pub valid_to: Option<Date>,
    /// Preset it was made from.
    #[schema(example = "xiamen-2025")]
    pub preset: Option<String>,
    /// Why it was made.
    pub note: Option<String>,
    /// Who made it.
    pub created_by: String,
    /// When.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// The parameters, each with its source.
    pub parameters: Policy,
}

fn to_response(v: PolicyVersion, next_from: Option<Date>) -> Result<PolicyVersionResponse, ApiError> {
    let parameters: Policy = serde_json::from_str(&v.parameters).map_err(ApiError::internal)?;
    let implied_end = next_from.and_then(|d| d.previous_day());
    let valid_to = match (v.valid_to, implied_end) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    };
    Ok(PolicyVersionResponse {
        jurisdiction: v.jurisdiction_code,
        version: v.version,
        valid_from: v.valid_from,
        valid_to,
        preset: v.preset,
        note: v.note,
        created_by: v.created_by,
        created_at: instant(v.created_at),
        parameters,
    })
}

/// The policy that applies at a node on a date.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ResolvedPolicy {
    /// The node asked about.
    #[schema(example = "350203001001")]
    pub jurisdiction: String,
    /// The date asked about.
    #[schema(value_type = String, format = Date, example = "2026-01-01")]
    pub on: Date,
    /// The nearest ancestor (or the node itself) with a version in force, and that version.
    pub source: PolicyVersionResponse,
}

/// Date to resolve on.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OnQuery {
    /// Date (YYYY-MM-DD); default today (China time).
    pub on: Option<String>,
}

pub use app::policy_book::{advanced_age_at, parameters_at};

/// The resolved policy of a node on a date: the version in force at the nearest ancestor (the node itself
/// included) that has one. Everybody whose subtree holds the node may read it.
#[utoipa::path(tag = "policies", security(("bearer" = ["jurisdiction.read"])), params(("code" = String, Path, description = "Division code"), OnQuery),
    responses((status = 200, body = ResolvedPolicy), crate::openapi::ReadErrors))]
#[get("/jurisdictions/{code}/policy")]
pub async fn resolve(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<String>,
    query: web::Query<OnQuery>,
) -> Result<web::Json<ResolvedPolicy>, ApiError> {
    let today = state.clock.today();
    caller.require(Permission::JurisdictionRead)?;
    let on = match query.on.as_deref() {
        Some(text) => parse_date("on", text).map_err(ApiError::field)?,
        None => today,
    };
    let code = path.into_inner();
    let scope = caller.scope_path.clone();
    let asked = code.clone();
    let (version, next_from) = crate::db::run(&state.pool, move |conn| -> Result<_, ApiError> {
        let node = nodes::find_in_scope(conn, &code, &scope)?;
        let Some(nearest) = repo::resolve(conn, &node.path, on)? else {
            return Err(ApiError::new(
                actix_web::http::StatusCode::NOT_FOUND,
                "no_policy_in_force",
                crate::error::Msg::new(
                    format!("{on} 该区划及其上级均无生效的政策参数"),
                    format!("no policy is in force for this node or its ancestors on {on}"),
                ),
            ));
        };
        let next_from = repo::of_node(conn, &nearest.jurisdiction_code)?
            .into_iter()
            .map(|v| v.valid_from)
            .find(|d| *d > nearest.valid_from);
        Ok((nearest, next_from))
    })
    .await?;
    Ok(web::Json(ResolvedPolicy { jurisdiction: asked, on, source: to_response(version, next_from)? }))
}

/// Versions bound to a node, oldest first (the history: versions are never edited, only added).
#[utoipa::path(tag = "policies", security(("bearer" = ["jurisdiction.read"])), params(("code" = String, Path, description = "Division code")),
    responses((status = 200, body = Vec<PolicyVersionResponse>), crate::openapi::ReadErrors))]
#[get("/jurisdictions/{code}/policies")]
pub async fn list(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<web::Json<Vec<PolicyVersionResponse>>, ApiError> {
    caller.require(Permission::JurisdictionRead)?;
    let code = path.into_inner();
    let scope = caller.scope_path.clone();
    let versions = crate::db::run(&state.pool, move |conn| -> Result<_, ApiError> {
        nodes::find_in_scope(conn, &code, &scope)?;
        Ok(repo::of_node(conn, &code)?)
    })
    .await?;
    let nexts: Vec<Option<Date>> = versions.iter().skip(1).map(|v| Some(v.valid_from)).chain([None]).collect();
    let items = versions.into_iter().zip(nexts).map(|(v, n)| to_response(v, n)).collect::<Result<Vec<_>, _>>()?;
    Ok(web::Json(items))
}

/// A new version: from a preset, or full parameters.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"valid_from": "2025-02-26", "preset": "xiamen-2025", "note": "厦府规〔2025〕2号"}))]
pub struct CreatePolicyRequest {
    /// First day in force; after the start of every version already bound to the node.
    #[schema(format = Date, example = "2026-01-01")]
    pub valid_from: String,
    /// Last day in force, if known.
    #[schema(format = Date)]
    pub valid_to: Option<String>,
    /// A preset (`xiamen-2025`, `changsha-2020`, `jinning-2020`); give this or `parameters`.
    pub preset: Option<String>,
    /// Every parameter with its source; give this or `preset`.
    pub parameters: Option<Policy>,
    /// Why (the document that sets it).
    pub note: Option<String>,
}

/// Adds a policy version to a node from a date: a preset or full parameters. Earlier versions are never
/// edited; an open-ended one is superseded from the new start. City-centre role only.
#[utoipa::path(tag = "policies", security(("bearer" = ["policy.write"])), request_body = CreatePolicyRequest,
    params(("code" = String, Path, description = "Division code"),
           ("Idempotency-Key" = Option<String>, Header, description = "Replays return the first answer")),
    responses((status = 201, body = PolicyVersionResponse, headers(("Location" = String))), crate::openapi::WriteErrors))]
#[post("/jurisdictions/{code}/policies")]
pub async fn create(
    req: HttpRequest,
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: Json<CreatePolicyRequest>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Permission::PolicyWrite)?;
    let body = body.0;
    let mut errors = Vec::new();
    let from = parse_date("/valid_from", &body.valid_from).map_err(|e| errors.push(e)).ok();
    let to = match &body.valid_to {
        Some(t) => parse_date("/valid_to", t).map_err(|e| errors.push(e)).ok(),
        None => None,
    };
    if let (Some(f), Some(t)) = (from, to)
        && t < f
    {
        errors.push(FieldError::new(
            "/valid_to",
            "date_order",
            "结束日期早于开始日期",
            "valid_to is before valid_from",
        ));
    }
    let note = check_text("/note", body.note.as_deref(), 500, &mut errors);
    let parameters = match (&body.preset, &body.parameters) {
        (Some(name), None) => presets::by_name(name).or_else(|| {
            errors.push(FieldError::new(
                "/preset",
                "unknown_preset",
                format!("预设应为 {}", presets::NAMES.join("、")),
                format!("preset must be one of {}", presets::NAMES.join(", ")),
            ));
            None
        }),
        (None, Some(p)) => {
            for v in p.violations() {
                errors.push(FieldError::new(format!("/parameters{}", v.pointer), v.code, v.zh, v.en));
            }
            Some(p.clone())
        }
        _ => {
            errors.push(FieldError::new(
                "/preset",
                "preset_or_parameters",
                "应给出 preset 或 parameters 之一",
                "give exactly one of preset and parameters",
            ));
            None
        }
    };
    finish(errors)?;
    let (Some(from), Some(parameters)) = (from, parameters) else { return Err(ApiError::internal("unreachable")) };
    let json = serde_json::to_string(&parameters).map_err(ApiError::internal)?;
    let fingerprint = crate::idempotency::fingerprint(&format!("POST {}", req.path()), &body);
    let key = crate::extract::idempotency_key(&req)?;
    let code = path.into_inner();
    let c = caller.clone();
    let preset = body.preset.clone();
    crate::idempotency::create(&state, &caller, key, fingerprint, move |conn| {
        let node = nodes::find_in_scope(conn, &code, &c.scope_path)?;
        let existing = repo::of_node(conn, &code)?;
        if let Some(latest) = existing.last() {
            if from <= latest.valid_from {
                return Err(ApiError::field(FieldError::new(
                    "/valid_from",
                    "policy_not_after_latest",
                    format!("新版本应晚于该区划最新版本的生效日期 {}", latest.valid_from),
                    format!("a new version must start after the latest one ({})", latest.valid_from),
                )));
            }
            if latest.valid_to.is_some_and(|end| end >= from) {
                return Err(ApiError::field(FieldError::new(
                    "/valid_from",
                    "policy_overlap",
                    "与已有版本的有效期重叠",
                    "overlaps the validity of an existing version",
                )));
            }
        }
        let version = repo::create(
            conn,
            &NewPolicyVersion {
                jurisdiction_code: code.clone(),
                version: existing.last().map_or(1, |v| v.version + 1),
                valid_from: from,
                valid_to: to,
                preset,
                parameters: json,
                note,
                created_by: c.login.clone(),
            },
        )?;
        let mut entry = c.audit("policy.create", "policy", format!("{code}/{}", version.version), &node.path);
        entry.detail = Some(
            serde_json::json!({"valid_from": version.valid_from, "valid_to": version.valid_to, "preset": version.preset})
                .to_string(),
        );
        audit::append(conn, &entry)?;
        let number = version.version;
        Ok(crate::idempotency::Created {
            location: format!("/api/v1/jurisdictions/{code}/policies"),
            version: i64::from(number),
            body: serde_json::to_value(to_response(version, None)?).map_err(ApiError::internal)?,
        })
    })
    .await
}

/// A preset.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PresetResponse {
    /// Name.
    #[schema(example = "xiamen-2025")]
    pub name: String,
    /// Every parameter with its source.
    pub parameters: Policy,
}

/// The presets: every value the Xiamen 2025, Changsha 2020 and Jinning 2020 regulations state, with articles.
#[utoipa::path(tag = "policies", security(("bearer" = ["jurisdiction.read"])), responses((status = 200, body = Vec<PresetResponse>), crate::openapi::ReadErrors))]
#[get("/policy-presets")]
pub async fn presets_list(caller: Caller) -> Result<web::Json<Vec<PresetResponse>>, ApiError> {
    caller.require(Permission::JurisdictionRead)?;
    Ok(web::Json(
        presets::NAMES
            .iter()
            .filter_map(|n| presets::by_name(n).map(|p| PresetResponse { name: (*n).to_owned(), parameters: p }))
            .collect(),
    ))
}
