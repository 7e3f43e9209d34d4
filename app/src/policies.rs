//! Effective-dated policies (the values the regulations set: ages, periods, amounts, each with its article): the
//! resolved policy of a node on a date, the versions bound to a node, new versions (from a preset or full
//! parameters) and the presets. Versions are never edited, only added.

use domain::ErrorCode;
use domain::policy::term::{self, BeyondTerm, PresetTerm};
use domain::policy::{Policy, presets};
use persistence::DbConnection;
use persistence::audit;
use persistence::jurisdictions as nodes;
use persistence::policies::{self as repo, NewPolicyVersion, PolicyVersion};
use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};
use utoipa::ToSchema;

use crate::caller::Caller;
use crate::error::{AppError, FieldError};
use crate::input::{check_text, parse_date};

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
    /// The term of the document the preset comes from (XM Art. 29, CS Art. 36, JN Art. 39); `null` for a version
    /// of full parameters.
    pub term: Option<PresetTerm>,
    /// Whether the version runs past that term: it was bound with `extend_beyond_term`.
    #[schema(example = false)]
    pub extends_beyond_term: bool,
}

/// The API view of a stored version; `next_from` is the start of the next version at the node, if any. Stored
/// parameters that do not parse are an internal error.
pub fn version_response(v: PolicyVersion, next_from: Option<Date>) -> Result<PolicyVersionResponse, AppError> {
    let parameters: Policy = serde_json::from_str(&v.parameters).map_err(AppError::internal)?;
    let last_day = v.last_day()?;
    let term = match &v.preset {
        Some(name) => term::of_preset(name),
        None => None,
    };
    let implied_end = next_from.and_then(|d| d.previous_day());
    let valid_to = match (last_day, implied_end) {
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
        created_at: v.created_at.assume_utc(),
        parameters,
        extends_beyond_term: v.extends_beyond_term,
        term,
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
    /// Whether `on` falls after the term of the document the version's preset comes from (`source.term`): the
    /// values apply only because the version was extended beyond that term.
    #[schema(example = false)]
    pub past_term: bool,
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
    /// A version from a preset runs within the term of the preset's document (XM Art. 29, CS Art. 36): without
    /// `valid_to` it ends with the term, and a start or an end after the term is refused (`beyond_preset_term`).
    /// `true` binds it beyond the term; `note` must then name the document that extends it.
    #[schema(example = false)]
    pub extend_beyond_term: Option<bool>,
}

/// A preset.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PresetResponse {
    /// Name.
    #[schema(example = "xiamen-2025")]
    pub name: String,
    /// Every parameter with its source.
    pub parameters: Policy,
    /// The term of its document.
    pub term: PresetTerm,
}

/// A new version, checked.
#[derive(Debug, Clone)]
pub struct NewVersion {
    /// First day in force.
    pub valid_from: Date,
    /// Last day in force.
    pub valid_to: Option<Date>,
    /// Preset name.
    pub preset: Option<String>,
    /// The parameters.
    pub parameters: Policy,
    /// Why.
    pub note: Option<String>,
    /// Bound from a preset beyond its document's term.
    pub extends_beyond_term: bool,
}

/// The checks of a new version: the dates and their order, the note, and exactly one of a known preset and
/// parameters that keep every rule of [`Policy::violations`]. Every broken rule at once.
pub fn check_new(body: &CreatePolicyRequest) -> Result<NewVersion, Vec<FieldError>> {
    let mut errors = Vec::new();
    let from = parse_date("/valid_from", &body.valid_from).map_err(|e| errors.push(e)).ok();
    let to = match &body.valid_to {
        Some(t) => parse_date("/valid_to", t).map_err(|e| errors.push(e)).ok(),
        None => None,
    };
    if let (Some(f), Some(t)) = (from, to)
        && t < f
    {
        errors.push(FieldError::with(
            "/valid_to",
            ErrorCode::DateOrder,
            "结束日期早于开始日期",
            "valid_to is before valid_from",
        ));
    }
    let note = check_text("/note", body.note.as_deref(), 500, &mut errors);
    let parameters = match (&body.preset, &body.parameters) {
        (Some(name), None) => presets::by_name(name).or_else(|| {
            errors.push(FieldError::with(
                "/preset",
                ErrorCode::UnknownPreset,
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
            errors.push(FieldError::of("/preset", ErrorCode::PresetOrParameters));
            None
        }
    };
    let extend = body.extend_beyond_term.unwrap_or(false);
    match (&body.preset, &parameters) {
        (Some(name), Some(_)) => {
            if let (Some(term), Some(valid_from)) = (term::of_preset(name), from) {
                if let Err(beyond) = term::check_binding(&term, valid_from, to, extend) {
                    errors.push(beyond_term(&term, beyond));
                }
                if extend && note.is_none() {
                    errors.push(FieldError::of("/note", ErrorCode::ExtensionNeedsNote));
                }
            }
        }
        _ if extend => errors.push(FieldError::of("/extend_beyond_term", ErrorCode::ExtensionPresetOnly)),
        _ => {}
    }
    match (from, parameters) {
        (Some(valid_from), Some(parameters)) if errors.is_empty() => Ok(NewVersion {
            valid_from,
            valid_to: to,
            preset: body.preset.clone(),
            parameters,
            note,
            extends_beyond_term: extend,
        }),
        _ => Err(errors),
    }
}

/// The field error of a binding that reaches beyond the preset's term without an extension.
fn beyond_term(term: &PresetTerm, beyond: BeyondTerm) -> FieldError {
    let (field, end) = match beyond {
        BeyondTerm::StartsAfter(end) => ("/valid_from", end),
        BeyondTerm::EndsAfter(end) => ("/valid_to", end),
    };
    FieldError::with(
        field,
        ErrorCode::BeyondPresetTerm,
        format!(
            "{}有效期至 {end}（{}）；延期使用须设 extend_beyond_term 并在 note 中写明延期依据",
            term.document, term.source
        ),
        format!(
            "{} runs until {end} ({}); set extend_beyond_term and name the document that extends it in note",
            term.document, term.source
        ),
    )
}

/// The policy of a node of the caller's subtree on `on`: the version in force at the nearest ancestor (the node
/// itself included) that has one; 404 `no_policy_in_force` when none has.
pub fn resolve(conn: &mut DbConnection, caller: &Caller, code: &str, on: Date) -> Result<ResolvedPolicy, AppError> {
    let node = nodes::find_in_scope(conn, code, &caller.scope_path)?;
    let Some(nearest) = repo::resolve(conn, &node.path, on)? else {
        return Err(AppError::with(
            ErrorCode::NoPolicyInForce,
            format!("{on} 该区划及其上级均无生效的政策参数"),
            format!("no policy is in force for this node or its ancestors on {on}"),
        ));
    };
    let next_from = repo::of_node(conn, &nearest.jurisdiction_code)?
        .into_iter()
        .map(|v| v.valid_from)
        .find(|d| *d > nearest.valid_from);
    let source = version_response(nearest, next_from)?;
    let past_term = source.term.as_ref().is_some_and(|t| t.is_past(on));
    Ok(ResolvedPolicy { jurisdiction: code.to_owned(), on, source, past_term })
}

/// The versions bound to a node of the caller's subtree, oldest first.
pub fn list(conn: &mut DbConnection, caller: &Caller, code: &str) -> Result<Vec<PolicyVersionResponse>, AppError> {
    nodes::find_in_scope(conn, code, &caller.scope_path)?;
    let versions = repo::of_node(conn, code)?;
    let nexts: Vec<Option<Date>> = versions.iter().skip(1).map(|v| Some(v.valid_from)).chain([None]).collect();
    versions.into_iter().zip(nexts).map(|(v, n)| version_response(v, n)).collect()
}

/// Adds a version to a node of the caller's subtree: it must start after every version there (422
/// `policy_not_after_latest`) and after the stated end of the latest (422 `policy_overlap`); an open-ended one is
/// superseded from the new start. Writes the version and the audit entry.
pub fn create(
    conn: &mut DbConnection,
    caller: &Caller,
    code: &str,
    new: NewVersion,
) -> Result<PolicyVersionResponse, AppError> {
    let node = nodes::find_in_scope(conn, code, &caller.scope_path)?;
    let existing = repo::of_node(conn, code)?;
    let from = new.valid_from;
    if let Some(latest) = existing.last() {
        if from <= latest.valid_from {
            return Err(AppError::field(FieldError::with(
                "/valid_from",
                ErrorCode::PolicyNotAfterLatest,
                format!("新版本应晚于该区划最新版本的生效日期 {}", latest.valid_from),
                format!("a new version must start after the latest one ({})", latest.valid_from),
            )));
        }
        if latest.valid_to.is_some_and(|end| end >= from) {
            return Err(AppError::field(FieldError::of("/valid_from", ErrorCode::PolicyOverlap)));
        }
    }
    let parameters = serde_json::to_string(&new.parameters).map_err(AppError::internal)?;
    let version = repo::create(
        conn,
        &NewPolicyVersion {
            jurisdiction_code: code.to_owned(),
            version: existing.last().map_or(1, |v| v.version + 1),
            valid_from: from,
            valid_to: new.valid_to,
            preset: new.preset,
            parameters,
            note: new.note,
            created_by: caller.login.clone(),
            extends_beyond_term: new.extends_beyond_term,
        },
    )?;
    let mut entry = caller.audit("policy.create", "policy", format!("{code}/{}", version.version), &node.path);
    entry.detail = Some(
        serde_json::json!({"valid_from": version.valid_from, "valid_to": version.valid_to, "preset": version.preset,
            "extends_beyond_term": version.extends_beyond_term})
        .to_string(),
    );
    audit::append(conn, &entry)?;
    version_response(version, None)
}

/// The presets: every value the Xiamen 2025, Changsha 2020 and Jinning 2020 regulations state, with articles.
pub fn presets() -> Vec<PresetResponse> {
    presets::NAMES
        .iter()
        .filter_map(|n| {
            Some(PresetResponse { name: (*n).to_owned(), parameters: presets::by_name(n)?, term: term::of_preset(n)? })
        })
        .collect()
}
