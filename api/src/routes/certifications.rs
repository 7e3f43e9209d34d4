//! Eligibility certification of one person (CS Art. 16(2), 32(1); XM Art. 15; JN Art. 7(3)): recording a
//! certification by any method, its history, the home-certification barrier, and the home-visit task worklist.

use actix_web::{HttpRequest, HttpResponse, delete, get, post, put, web};
use domain::Permission;
use domain::pension::{self, CertificationBarrier, CertificationMethod, DataSource, PensionState};
use persistence::audit;
use persistence::pension::{self as repo, Certification, NewCertification, SOURCE_PERSON, Task};
use persistence::retirees as people;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};
use utoipa::{IntoParams, ToSchema};

use super::common::{Page, check_text, finish, instant, next_cursor, node_in_scope, ok_with_etag};
use super::pension::{
    PensionStatusResponse, StatusChangeResponse, apply_change, change_response, illegal, resumption, state_of,
    status_response,
};
use crate::auth::Caller;
use crate::error::{ApiError, FieldError};
use crate::extract::{IfMatch, Json, page, parse_date};
use crate::policy_book::rules_at;
use crate::state::AppState;

/// A certification to record.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"method": "face_recognition", "certified_on": "2026-07-15", "provider": "闽政通",
    "provider_reference": "FR-20260715-000123", "score": "0.93"}))]
pub struct CertifyRequest {
    /// How (XM Art. 15).
    pub method: CertificationMethod,
    /// Date of the certification (YYYY-MM-DD), not in the future.
    #[schema(example = "2026-07-15")]
    pub certified_on: String,
    /// For `data_comparison`: the kind of government data (required).
    pub data_source: Option<DataSource>,
    /// For `data_comparison` and `face_recognition`: the source system or provider (required), up to 100
    /// characters.
    #[schema(example = "闽政通")]
    pub provider: Option<String>,
    /// For `face_recognition`: the provider's reference (required); for `data_comparison`: the source record.
    #[schema(example = "FR-20260715-000123")]
    pub provider_reference: Option<String>,
    /// For `face_recognition`: the match score between 0 and 1 (required), as a decimal string.
    #[schema(example = "0.93")]
    pub score: Option<String>,
    /// For the methods done by a person (`community_worker`, `group_leader`, `remote_assistance`,
    /// `third_party_visit`, `home_visit`): who certified (required), up to 50 characters.
    #[schema(example = "王五")]
    pub certifier_name: Option<String>,
    /// What was seen or the document it rests on, up to 2,000 characters.
    pub evidence: Option<String>,
}

/// A recorded certification.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CertificationResponse {
    /// Id.
    #[schema(example = 5)]
    pub id: i64,
    /// Retiree id.
    #[schema(example = 42)]
    pub retiree_id: i64,
    /// Method.
    pub method: CertificationMethod,
    /// Kind of government data (data comparison).
    pub data_source: Option<DataSource>,
    /// Source system or provider.
    pub provider: Option<String>,
    /// Provider's reference or source record.
    pub provider_reference: Option<String>,
    /// Face-recognition score.
    pub score: Option<String>,
    /// Who certified.
    pub certifier_name: Option<String>,
    /// Evidence.
    pub evidence: Option<String>,
    /// Date.
    #[schema(value_type = String, format = Date, example = "2026-07-15")]
    pub certified_on: Date,
    /// Last valid day it gives: one policy period later.
    #[schema(value_type = String, format = Date, example = "2027-07-15")]
    pub valid_until: Date,
    /// `person` (through the API) or `feed` (a data-platform batch).
    #[schema(example = "person")]
    pub source: String,
    /// Feed batch id.
    pub source_ref: Option<i64>,
    /// Who recorded it.
    pub operator: String,
    /// Recorded.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

/// What recording a certification did.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CertifyResponse {
    /// The certification.
    pub certification: CertificationResponse,
    /// Whether it moved the person's validity (a certification older than the one on file is kept as history
    /// only).
    pub extended: bool,
    /// The resumption it caused, when the pension was suspended for an overdue certification (CS Art. 32(1)).
    pub resumption: Option<StatusChangeResponse>,
    /// The person's status after it.
    pub status: PensionStatusResponse,
}

/// The API view of a stored certification.
pub fn certification_response(c: Certification) -> CertificationResponse {
    CertificationResponse {
        id: c.id,
        retiree_id: c.retiree_id,
        method: c.method,
        data_source: c.data_source,
        provider: c.provider,
        provider_reference: c.provider_reference,
        score: c.score,
        certifier_name: c.certifier_name,
        evidence: c.evidence,
        certified_on: c.certified_on,
        valid_until: c.valid_until,
        source: c.source,
        source_ref: c.source_ref,
        operator: c.operator,
        created_at: instant(c.created_at),
    }
}

fn required(field: &str, method: CertificationMethod, errors: &mut Vec<FieldError>) {
    errors.push(FieldError::new(
        field,
        "required_for_method",
        format!("认证方式为{}时必须填写 {}", method.label_zh(), field.trim_start_matches('/')),
        format!("{} is required for method {method}", field.trim_start_matches('/')),
    ));
}

fn not_for_method(field: &str, method: CertificationMethod, errors: &mut Vec<FieldError>) {
    errors.push(FieldError::new(
        field,
        "not_for_method",
        format!("认证方式为{}时不应填写 {}", method.label_zh(), field.trim_start_matches('/')),
        format!("{} does not apply to method {method}", field.trim_start_matches('/')),
    ));
}

/// The checked parts of a certification request.
pub(crate) struct Checked {
    pub(crate) certified_on: Date,
    pub(crate) data_source: Option<DataSource>,
    pub(crate) provider: Option<String>,
    pub(crate) provider_reference: Option<String>,
    pub(crate) score: Option<String>,
    pub(crate) certifier_name: Option<String>,
    pub(crate) evidence: Option<String>,
}

/// Checks a request: the date, and the evidence each method needs (XM Art. 15).
pub(crate) fn check(body: &CertifyRequest, on: Date) -> Result<Checked, ApiError> {
    use CertificationMethod as M;
    let mut errors = Vec::new();
    let certified_on = parse_date("/certified_on", &body.certified_on).map_err(|e| errors.push(e)).ok();
    if let Some(d) = certified_on
        && d > on
    {
        errors.push(FieldError::new(
            "/certified_on",
            "date_in_future",
            "认证日期不能晚于今天",
            "the certification date cannot be in the future",
        ));
    }
    let provider = check_text("/provider", body.provider.as_deref(), 100, &mut errors);
    let provider_reference = check_text("/provider_reference", body.provider_reference.as_deref(), 100, &mut errors);
    let certifier_name = check_text("/certifier_name", body.certifier_name.as_deref(), 50, &mut errors);
    let evidence = check_text("/evidence", body.evidence.as_deref(), 2000, &mut errors);
    let score = body.score.as_deref().and_then(|s| match s.trim().parse::<Decimal>() {
        Ok(d) if d >= Decimal::ZERO && d <= Decimal::ONE => Some(d.normalize().to_string()),
        _ => {
            errors.push(FieldError::new(
                "/score",
                "score_range",
                "score 应为0到1之间的小数",
                "score must be a decimal between 0 and 1",
            ));
            None
        }
    });
    let m = body.method;
    let blank = |v: &Option<String>| v.as_deref().is_none_or(|s| s.trim().is_empty());
    match m {
        M::DataComparison => {
            if body.data_source.is_none() {
                required("/data_source", m, &mut errors);
            }
            if blank(&body.provider) {
                required("/provider", m, &mut errors);
            }
        }
        M::FaceRecognition => {
            if blank(&body.provider) {
                required("/provider", m, &mut errors);
            }
            if blank(&body.provider_reference) {
                required("/provider_reference", m, &mut errors);
            }
            if body.score.is_none() {
                required("/score", m, &mut errors);
            }
        }
        M::CommunityWorker | M::GroupLeader | M::RemoteAssistance | M::ThirdPartyVisit | M::HomeVisit => {
            if blank(&body.certifier_name) {
                required("/certifier_name", m, &mut errors);
            }
        }
    }
    if m != M::DataComparison && body.data_source.is_some() {
        not_for_method("/data_source", m, &mut errors);
    }
    if m != M::FaceRecognition && body.score.is_some() {
        not_for_method("/score", m, &mut errors);
    }
    finish(errors)?;
    let certified_on = certified_on.ok_or_else(|| ApiError::internal("date checked above"))?;
    Ok(Checked {
        certified_on,
        data_source: body.data_source,
        provider,
        provider_reference,
        score,
        certifier_name,
        evidence,
    })
}

/// Records a certification of one person (XM Art. 15; CS Art. 16(2)). When it is newer than the one on file the
/// person's validity runs one policy period from its date and an open home-visit task is closed; a pension
/// suspended for an overdue certification resumes in the month of the certification, with the back-pay the
/// policy grants (CS Art. 32(1)). A stopped or transferred-out pension cannot be certified (409).
#[utoipa::path(tag = "pension", security(("bearer" = ["certification.record"])), request_body = CertifyRequest,
    params(("id" = i64, Path, description = "Retiree id"),
           ("Idempotency-Key" = Option<String>, Header, description = "Replays return the first answer")),
    responses((status = 201, body = CertifyResponse, headers(("Location" = String))), crate::openapi::WriteErrors))]
#[post("/retirees/{id}/certifications")]
pub async fn create(
    req: HttpRequest,
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    body: Json<CertifyRequest>,
) -> Result<HttpResponse, ApiError> {
    let today = state.clock.today();
    caller.require(Permission::CertificationRecord)?;
    let id = path.into_inner();
    let body = body.0;
    let on = today;
    let checked = check(&body, on)?;
    let fingerprint = crate::idempotency::fingerprint(&format!("POST /retirees/{id}/certifications"), &body);
    let key = crate::extract::idempotency_key(&req)?;
    let c = caller.clone();
    crate::idempotency::create(&state, &caller, key, fingerprint, move |conn| {
        let (retiree, path) = people::find_in_scope(conn, id, &c.scope_path)?;
        let from = state_of(&retiree)?;
        match from {
            PensionState::Stopped => return Err(illegal(pension::TransitionError::Stopped).into()),
            PensionState::TransferredOut => return Err(illegal(pension::TransitionError::TransferredOut).into()),
            _ => {}
        }
        let rules = rules_at(conn, &path, checked.certified_on)?;
        let valid_until = pension::certified_until(checked.certified_on, rules.period_months);
        let (cert, extended) = repo::record_certification(
            conn,
            &NewCertification {
                retiree_id: id,
                method: body.method.as_str().to_owned(),
                data_source: checked.data_source.map(|d| d.as_str().to_owned()),
                provider: checked.provider,
                provider_reference: checked.provider_reference,
                score: checked.score,
                certifier_name: checked.certifier_name,
                evidence: checked.evidence,
                certified_on: checked.certified_on,
                valid_until,
                source: SOURCE_PERSON.to_owned(),
                source_ref: None,
                operator: c.login.clone(),
                created_at: persistence::now_utc(),
            },
        )?;
        let mut entry = c.audit("certification.record", "retiree", id, &path);
        entry.retiree_id = Some(id);
        entry.detail = Some(
            serde_json::json!({"certification_id": cert.id, "method": cert.method, "certified_on": cert.certified_on.to_string(),
                "valid_until": cert.valid_until.to_string(), "extended": extended})
            .to_string(),
        );
        audit::append(conn, &entry)?;
        let (mut current, _) = people::find_in_scope(conn, id, &c.scope_path)?;
        let mut resumed = None;
        if let PensionState::Suspended(reason) = from
            && pension::certification_resumes(reason)
            && extended
            && !pension::is_overdue(current.certified_until, on)
        {
            // CS Art. 32(1): certified later → resumed in the month of the certification, with back-pay.
            let month = pension::month_of(checked.certified_on).max(current.suspended_from.unwrap_or(Date::MIN));
            let to = pension::transition(from, pension::Transition::Resume).map_err(illegal)?;
            let note = Some(format!("certification {}", cert.id));
            let (change, _) = resumption(conn, &current, &path, reason, month, &c.login, note)?;
            let (after, recorded) = apply_change(conn, &c, &current, &path, None, to, change)?;
            current = after;
            resumed = Some(change_response(recorded));
        }
        let body = CertifyResponse {
            certification: certification_response(cert.clone()),
            extended,
            resumption: resumed,
            status: status_response(&current, rules.due_soon_days, on),
        };
        Ok(crate::idempotency::Created {
            location: format!("/api/v1/retirees/{id}/certifications/{}", cert.id),
            version: current.version,
            body: serde_json::to_value(body).map_err(ApiError::internal)?,
        })
    })
    .await
}

/// Page query.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CertificationsQuery {
    /// Page size, 1-500 (default 50).
    pub limit: Option<String>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// The certifications of one person, newest first (audited read).
#[utoipa::path(tag = "pension", security(("bearer" = ["retiree.read"])), params(("id" = i64, Path, description = "Retiree id"), CertificationsQuery),
    responses((status = 200, body = Page<CertificationResponse>), crate::openapi::ReadErrors))]
#[get("/retirees/{id}/certifications")]
pub async fn list(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    query: web::Query<CertificationsQuery>,
) -> Result<web::Json<Page<CertificationResponse>>, ApiError> {
    caller.require(Permission::RetireeRead)?;
    let mut errors = Vec::new();
    let (limit, before) = page::<i64>("c", query.limit.as_deref(), query.cursor.as_deref(), &mut errors);
    finish(errors)?;
    let id = path.into_inner();
    let c = caller.clone();
    let items = crate::db::write(&state.pool, move |conn| {
        let (_, path) = people::find_in_scope(conn, id, &c.scope_path)?;
        let mut entry = c.audit("certification.list.read", "retiree", id, &path);
        entry.retiree_id = Some(id);
        audit::append(conn, &entry)?;
        Ok(repo::certifications_of(conn, id, before, limit)?)
    })
    .await?;
    let next = next_cursor(&items, limit, "c", |c| c.id.to_string());
    Ok(web::Json(Page { items: items.into_iter().map(certification_response).collect(), next_cursor: next }))
}

/// One certification (audited read).
#[utoipa::path(tag = "pension", security(("bearer" = ["retiree.read"])),
    params(("id" = i64, Path, description = "Retiree id"), ("certification_id" = i64, Path, description = "Certification id")),
    responses((status = 200, body = CertificationResponse), crate::openapi::ReadErrors))]
#[get("/retirees/{id}/certifications/{certification_id}")]
pub async fn get_one(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<(i64, i64)>,
) -> Result<web::Json<CertificationResponse>, ApiError> {
    caller.require(Permission::RetireeRead)?;
    let (id, cert_id) = path.into_inner();
    let c = caller.clone();
    let cert = crate::db::write(&state.pool, move |conn| {
        let (_, path) = people::find_in_scope(conn, id, &c.scope_path)?;
        let cert = repo::find_certification(conn, id, cert_id)?;
        let mut entry = c.audit("certification.read", "retiree", id, &path);
        entry.retiree_id = Some(id);
        audit::append(conn, &entry)?;
        Ok(cert)
    })
    .await?;
    Ok(web::Json(certification_response(cert)))
}

/// Why a person must be certified at home.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"barrier": "bedridden"}))]
pub struct BarrierRequest {
    /// Bedridden, mobility-impaired, in a care home or a psychiatric hospital (XM Art. 15(3)).
    pub barrier: CertificationBarrier,
}

/// Flags a person as unable to come and certify (XM Art. 15(3): 上门认证). Needs `If-Match`. When the person
/// is due within the policy's reminder window, a home-visit task is opened at once; otherwise the next
/// certification run opens it before the due date.
#[utoipa::path(tag = "pension", security(("bearer" = ["certification.record"])), request_body = BarrierRequest,
    params(("id" = i64, Path, description = "Retiree id"), ("If-Match" = String, Header, description = "ETag of the person")),
    responses((status = 200, body = PensionStatusResponse, headers(("ETag" = String))), crate::openapi::WriteErrors))]
#[put("/retirees/{id}/certification-barrier")]
pub async fn set_barrier(
    req: HttpRequest,
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    body: Json<BarrierRequest>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Permission::CertificationRecord)?;
    let if_match = IfMatch::from_request(&req)?;
    barrier(caller, state, path.into_inner(), if_match, Some(body.0.barrier)).await
}

/// Clears the home-certification flag; an open home-visit task is cancelled. Needs `If-Match`.
#[utoipa::path(tag = "pension", security(("bearer" = ["certification.record"])),
    params(("id" = i64, Path, description = "Retiree id"), ("If-Match" = String, Header, description = "ETag of the person")),
    responses((status = 200, body = PensionStatusResponse, headers(("ETag" = String))), crate::openapi::WriteErrors))]
#[delete("/retirees/{id}/certification-barrier")]
pub async fn clear_barrier(
    req: HttpRequest,
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Permission::CertificationRecord)?;
    let if_match = IfMatch::from_request(&req)?;
    barrier(caller, state, path.into_inner(), if_match, None).await
}

async fn barrier(
    caller: Caller,
    state: web::Data<AppState>,
    id: i64,
    if_match: IfMatch,
    barrier: Option<CertificationBarrier>,
) -> Result<HttpResponse, ApiError> {
    let today = state.clock.today();
    let c = caller.clone();
    let (retiree, days) = crate::db::write(&state.pool, move |conn| {
        let (retiree, path) = people::find_in_scope(conn, id, &c.scope_path)?;
        let expected = if_match.expect(retiree.version)?;
        let code = barrier.map(|b| b.as_str());
        repo::set_barrier(conn, id, Some(expected), code)?;
        let rules = rules_at(conn, &path, today)?;
        let mut opened = 0;
        if barrier.is_some() {
            let due_by = domain::pension::due_soon_until(today, rules.due_soon_days);
            opened = repo::create_due_task_for(conn, id, &path, due_by, &c.login)?;
        }
        let mut entry = c.audit("certification.barrier", "retiree", id, &path);
        entry.retiree_id = Some(id);
        entry.detail = Some(
            serde_json::json!({"changes": {"certification_barrier": {"from": retiree.certification_barrier, "to": code}},
                "tasks_opened": opened})
            .to_string(),
        );
        audit::append(conn, &entry)?;
        let (after, _) = people::find_in_scope(conn, id, &c.scope_path)?;
        Ok((after, rules.due_soon_days))
    })
    .await?;
    Ok(ok_with_etag(&status_response(&retiree, days, today), retiree.version))
}

/// A home-visit certification task.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TaskResponse {
    /// Id.
    #[schema(example = 3)]
    pub id: i64,
    /// Retiree id.
    #[schema(example = 42)]
    pub retiree_id: i64,
    /// Name.
    #[schema(example = "张三")]
    pub name: String,
    /// Community that visits.
    #[schema(example = "350203001001")]
    pub community_code: String,
    /// Why at home.
    pub barrier: CertificationBarrier,
    /// Visit and certify on or before this day (the last valid day).
    #[schema(value_type = String, format = Date, example = "2027-01-31")]
    pub due_on: Date,
    /// Who or what opened it (a login, or `run:{id}`).
    pub created_by: String,
    /// Opened.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

/// Worklist filters.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TasksQuery {
    /// A node in the caller's subtree (a community for its own worklist); default the caller's subtree.
    pub jurisdiction: Option<String>,
    /// Page size, 1-500 (default 50).
    pub limit: Option<String>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

fn task_response(t: Task, name: String) -> TaskResponse {
    TaskResponse {
        id: t.id,
        retiree_id: t.retiree_id,
        name,
        community_code: t.community_code,
        barrier: t.barrier,
        due_on: t.due_on,
        created_by: t.created_by,
        created_at: instant(t.created_at),
    }
}

/// Open home-visit certification tasks (XM Art. 15(3)) in the caller's subtree, earliest due first: the
/// worklist of the communities that visit.
#[utoipa::path(tag = "pension", security(("bearer" = ["retiree.read"])), params(TasksQuery),
    responses((status = 200, body = Page<TaskResponse>), crate::openapi::ReadErrors))]
#[get("/certification-tasks")]
pub async fn open_tasks(
    caller: Caller,
    state: web::Data<AppState>,
    query: web::Query<TasksQuery>,
) -> Result<web::Json<Page<TaskResponse>>, ApiError> {
    caller.require(Permission::RetireeRead)?;
    let q = query.into_inner();
    let mut errors = Vec::new();
    let (limit, after) = page::<String>("k", q.limit.as_deref(), q.cursor.as_deref(), &mut errors);
    let after = after.and_then(|a| {
        let parsed = parse_task_cursor(&a);
        if parsed.is_none() {
            errors.push(FieldError::new(
                "cursor",
                "invalid_cursor",
                "cursor 无效，请使用上一页返回的 next_cursor",
                "cursor is not one this list returned",
            ));
        }
        parsed
    });
    finish(errors)?;
    let c = caller.clone();
    let items = crate::db::run(&state.pool, move |conn| -> Result<_, ApiError> {
        let scope = match &q.jurisdiction {
            Some(code) => node_in_scope(conn, &c, code, "jurisdiction")?.path,
            None => c.scope_path.clone(),
        };
        Ok(repo::open_tasks(conn, &scope, after, limit)?)
    })
    .await?;
    let next = next_cursor(&items, limit, "k", |(t, _)| format!("{}|{}", t.due_on, t.id));
    Ok(web::Json(Page { items: items.into_iter().map(|(t, n)| task_response(t, n)).collect(), next_cursor: next }))
}

fn parse_task_cursor(text: &str) -> Option<(Date, i64)> {
    let (d, id) = text.split_once('|')?;
    Some((parse_date("cursor", d).ok()?, id.parse().ok()?))
}
