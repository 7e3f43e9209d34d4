//! Dependants' support after a retiree's death (供养直系亲属待遇, GUIDE 五): an application within the policy window
//! (one month), the community's investigation, the street's review and the bureau's approval, each with
//! operator, date and outcome; approved dependants receive support from the month after the death and are
//! certified yearly like retirees; support ends when they die or lose eligibility, and a suspected fraud stops the
//! payment pending review.

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use domain::Permission;
use domain::death::{self, SupportApplicationStatus as Status, SupportEndReason, SupportStep};
use domain::support::{self as rules, SupportAction};
use persistence::death::{self as repo, NewSupport, Step, Support, SupportChange};
use persistence::retirees as people;
use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};
use utoipa::{IntoParams, ToSchema};

use super::common::{Page, check_text, finish, instant, next_cursor, node_in_scope, ok_with_etag};
use super::pension::{month_text, optional_if_match, parse_month};
use super::retirees::first_validity;
use crate::auth::Caller;
use crate::error::{ApiError, FieldError};
use crate::extract::{Json, page, parse_date};
use crate::policy_book::rules_at;
use crate::state::AppState;

/// An application.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"dependent_id": 7, "applied_on": "2026-03-30"}))]
pub struct ApplyRequest {
    /// A dependant of a retiree whose death is verified.
    pub dependent_id: i64,
    /// Day of the application (YYYY-MM-DD), default today, not in the future.
    #[schema(format = Date, example = "2026-03-30")]
    pub applied_on: Option<String>,
}

/// A step taken.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(as = SupportStepResponse)]
pub struct StepResponse {
    /// Which step.
    pub step: SupportStep,
    /// Its outcome.
    pub passed: bool,
    /// Date.
    #[schema(value_type = String, format = Date)]
    pub on_date: Date,
    /// Findings, or the reason of a rejection.
    pub note: Option<String>,
    /// Who.
    pub operator: String,
    /// Recorded.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

/// An application for dependants' support.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"id": 4, "retiree_id": 42, "dependent_id": 7, "death_report_id": 3,
    "community_code": "350203001001", "applied_on": "2026-03-30", "deadline": "2026-04-15", "status": "approved",
    "support_from": "2026-04", "support_until": null, "end_reason": null, "fraud_note": null, "version": 4,
    "steps": [{"step": "investigation", "passed": true, "on_date": "2026-04-02", "note": "同住，无收入", "operator": "hongshan",
    "created_at": "2026-04-02T02:00:00Z"}]}))]
pub struct SupportResponse {
    /// Id.
    pub id: i64,
    /// The deceased retiree.
    pub retiree_id: i64,
    /// The dependant.
    pub dependent_id: i64,
    /// The verified death report.
    pub death_report_id: i64,
    /// Community of the retiree.
    pub community_code: String,
    /// Day applied.
    #[schema(value_type = String, format = Date)]
    pub applied_on: Date,
    /// Last day to apply: the policy's months after the death (GUIDE 五: one month).
    #[schema(value_type = String, format = Date)]
    pub deadline: Date,
    /// Where it stands.
    pub status: Status,
    /// First month of support (the month after death), once approved.
    #[schema(example = "2026-04")]
    pub support_from: Option<String>,
    /// Last month of support, once ended.
    pub support_until: Option<String>,
    /// Why it ended.
    pub end_reason: Option<SupportEndReason>,
    /// The suspicion under review, or the last one cleared.
    pub fraud_note: Option<String>,
    /// Version (also the ETag).
    pub version: i64,
    /// The steps taken, oldest first.
    pub steps: Vec<StepResponse>,
}

fn response(s: Support, steps: Vec<Step>) -> SupportResponse {
    SupportResponse {
        id: s.id,
        retiree_id: s.retiree_id,
        dependent_id: s.dependent_id,
        death_report_id: s.death_report_id,
        community_code: s.community_code,
        applied_on: s.applied_on,
        deadline: s.deadline,
        status: s.status,
        support_from: s.support_from.map(month_text),
        support_until: s.support_until.map(month_text),
        end_reason: s.end_reason,
        fraud_note: s.fraud_note,
        version: s.version,
        steps: steps
            .into_iter()
            .map(|t| StepResponse {
                step: t.step,
                passed: t.passed,
                on_date: t.on_date,
                note: t.note,
                operator: t.operator,
                created_at: instant(t.created_at),
            })
            .collect(),
    }
}

fn rule_conflict(e: death::SupportError) -> ApiError {
    use domain::RuleViolation;
    ApiError::conflict(e.code(), e.message_zh(), e.message_en())
}

/// The application if its retiree is in the caller's subtree; with the path of their community.
fn visible(conn: &mut persistence::DbConnection, caller: &Caller, id: i64) -> Result<(Support, String), ApiError> {
    let s = repo::find_support(conn, id)?;
    let (_, path) = people::find_in_scope(conn, s.retiree_id, &caller.scope_path)?;
    Ok((s, path))
}

/// Applies for support for a dependant of a retiree whose death is verified (GUIDE 五). The application must
/// come within the policy's window after the death (`death.dependant_application_months`, one month): later is
/// 422 `application_window_closed`. One open application per dependant (409 `support_application_exists`).
#[utoipa::path(tag = "death", security(("bearer" = ["retiree.write"])), request_body = ApplyRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "Replays return the first answer")),
    responses((status = 201, body = SupportResponse, headers(("Location" = String), ("ETag" = String))), crate::openapi::WriteErrors))]
#[post("/dependent-support")]
pub async fn apply(
    req: HttpRequest,
    caller: Caller,
    state: web::Data<AppState>,
    body: Json<ApplyRequest>,
) -> Result<HttpResponse, ApiError> {
    let today = state.clock.today();
    caller.require(Permission::RetireeWrite)?;
    let body = body.0;
    let on = today;
    let mut errors = Vec::new();
    let applied_on = super::common::date_not_after("/applied_on", body.applied_on.as_deref(), on, &mut errors);
    finish(errors)?;
    let fingerprint = crate::idempotency::fingerprint("POST /dependent-support", &body);
    let key = crate::extract::idempotency_key(&req)?;
    let c = caller.clone();
    crate::idempotency::create(&state, &caller, key, fingerprint, move |conn| {
        let not_found = || {
            ApiError::field(FieldError::new(
                "/dependent_id",
                "dependent_not_found",
                "供养亲属不存在或不在您的管辖范围内",
                "no such dependant in your jurisdiction",
            ))
        };
        let dependent = people::find_dependent_by_id(conn, body.dependent_id).map_err(|_| not_found())?;
        let (retiree, path) =
            people::find_in_scope(conn, dependent.retiree_id, &c.scope_path).map_err(|_| not_found())?;
        let report = repo::verified_report_of(conn, retiree.id)?.ok_or_else(|| {
            ApiError::with(
                domain::ErrorCode::DeathNotVerified,
                "该退休人员的死亡尚未核实，不能申请供养待遇",
                "the retiree's death is not verified: no support can be applied for",
            )
        })?;
        let policy = crate::policy_book::policy_at(conn, &path, report.date_of_death)?;
        let deadline =
            death::application_deadline(report.date_of_death, policy.death.dependant_application_months.value);
        if applied_on < report.date_of_death {
            return Err(ApiError::field(FieldError::new(
                "/applied_on",
                "before_death",
                "申请日期不能早于死亡日期",
                "the application cannot be before the death",
            )));
        }
        if applied_on > deadline {
            return Err(ApiError::field(FieldError::new(
                "/applied_on",
                "application_window_closed",
                format!(
                    "供养待遇应在死亡后{}个月内申请，截止日为{deadline}",
                    policy.death.dependant_application_months.value
                ),
                format!("support must be applied for within the policy window, which closed on {deadline}"),
            )));
        }
        let now = persistence::now_utc();
        let created = repo::create_support(
            conn,
            &NewSupport {
                retiree_id: retiree.id,
                dependent_id: dependent.id,
                death_report_id: report.id,
                community_code: retiree.community_code.clone(),
                applied_on,
                deadline,
                status: Status::Applied.as_str().to_owned(),
                created_by: c.login.clone(),
                created_at: now,
                updated_at: now,
            },
        )
        .map_err(|e| match e {
            persistence::RepoError::Unique(_) => ApiError::of(domain::ErrorCode::SupportApplicationExists),
            other => other.into(),
        })?;
        let mut entry = c.audit("dependent_support.apply", "dependent_support", created.id, &path);
        entry.retiree_id = Some(retiree.id);
        entry.detail =
            Some(serde_json::json!({"dependent_id": dependent.id, "applied_on": applied_on.to_string()}).to_string());
        persistence::audit::append(conn, &entry)?;
        Ok(crate::idempotency::Created {
            location: format!("/api/v1/dependent-support/{}", created.id),
            version: created.version,
            body: serde_json::to_value(response(created, Vec::new())).map_err(ApiError::internal)?,
        })
    })
    .await
}

/// A step to record.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = SupportStepRequest, example = json!({"step": "investigation", "passed": true, "on_date": "2026-04-02", "note": "同住，无收入"}))]
pub struct StepRequest {
    /// `investigation` (the community), `review` (the street), `approval` (the district or city centre, for the
    /// HR and social security bureau), in that order.
    pub step: SupportStep,
    /// The outcome; `false` rejects the application and needs a `note` with the reason.
    pub passed: bool,
    /// Date (YYYY-MM-DD), default today, not in the future.
    #[schema(format = Date, example = "2026-04-02")]
    pub on_date: Option<String>,
    /// Findings or the reason of a rejection, up to 500 characters.
    pub note: Option<String>,
}

/// Records the next step of an application (GUIDE 五). Out of order is 409 `step_out_of_order`; a rejection
/// closes the application. Approval starts the support from the month after the death; the dependant is then
/// `supported` and certified yearly like a retiree, valid one policy period from the approval. Needs
/// `retiree.write` and a body that may take the step: the investigation a community or above, the review a street
/// or above, the approval `pension.manage` (403 otherwise).
#[utoipa::path(tag = "death", security(("bearer" = ["retiree.write"])), request_body = StepRequest,
    params(("id" = i64, Path, description = "Application id"), ("If-Match" = Option<String>, Header, description = "ETag of the application")),
    responses((status = 200, body = SupportResponse, headers(("ETag" = String))), crate::openapi::WriteErrors))]
#[post("/dependent-support/{id}/steps")]
pub async fn record_step(
    req: HttpRequest,
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    body: Json<StepRequest>,
) -> Result<HttpResponse, ApiError> {
    let today = state.clock.today();
    // Every body that may take a step registers people (the approval's pension.manage implies it).
    caller.require(Permission::RetireeWrite)?;
    let body = body.0;
    if !rules::may_take(caller.role, body.step) {
        return Err(ApiError::forbidden());
    }
    let if_match = optional_if_match(&req)?;
    let id = path.into_inner();
    let on = today;
    let mut errors = Vec::new();
    let on_date = super::common::date_not_after("/on_date", body.on_date.as_deref(), on, &mut errors);
    let note = check_text("/note", body.note.as_deref(), 500, &mut errors);
    if !body.passed && note.is_none() {
        errors.push(FieldError::new(
            "/note",
            "reason_required",
            "不通过时须写明理由",
            "a rejection needs the reason in note",
        ));
    }
    finish(errors)?;
    let c = caller.clone();
    let (s, steps) = crate::db::write(&state.pool, move |conn| {
        let (current, path) = visible(conn, &c, id)?;
        if let Some(m) = &if_match {
            m.expect(current.version)?;
        }
        let from = current.status;
        let outcome =
            rules::apply(from, SupportAction::Step { step: body.step, passed: body.passed }).map_err(rule_conflict)?;
        let (to, approved) = (outcome.status, outcome.starts);
        let report = repo::find_report(conn, current.death_report_id)?;
        let change = SupportChange {
            status: to.as_str().to_owned(),
            support_from: approved.then_some(report.stop_month),
            support_until: None,
            end_reason: None,
            fraud_note: None,
            updated_at: persistence::now_utc(),
        };
        let step = (body.step.as_str(), body.passed, on_date, note.clone(), c.login.as_str());
        let updated =
            repo::change_support(conn, &current, &change, Some(step), outcome.supported).map_err(version_error)?;
        if approved {
            // Certified like a retiree from now on (XM Art. 15 last paragraph).
            let rules = rules_at(conn, &path, on)?;
            repo::start_validity(conn, current.dependent_id, first_validity(on, rules))?;
        }
        let mut entry = c.audit("dependent_support.step", "dependent_support", id, &path);
        entry.retiree_id = Some(current.retiree_id);
        entry.detail = Some(
            serde_json::json!({"step": body.step.as_str(), "passed": body.passed, "status": to.as_str()}).to_string(),
        );
        persistence::audit::append(conn, &entry)?;
        let steps = repo::steps_of(conn, id)?;
        Ok((updated, steps))
    })
    .await?;
    let version = s.version;
    Ok(ok_with_etag(&response(s, steps), version))
}

fn version_error(e: persistence::RepoError) -> ApiError {
    match e {
        persistence::RepoError::VersionMismatch => ApiError::precondition_failed(),
        other => other.into(),
    }
}

/// The end of support.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"reason": "died", "ended_on": "2026-06-20", "note": "死亡证明 DC-2026-0099"}))]
pub struct TerminateRequest {
    /// `died` or `ineligible`.
    pub reason: SupportEndReason,
    /// Day of the death or of the loss of eligibility (YYYY-MM-DD), not in the future; support is paid through
    /// its month.
    #[schema(format = Date, example = "2026-06-20")]
    pub ended_on: String,
    /// Note, up to 500 characters.
    pub note: Option<String>,
}

/// Ends approved support (GUIDE 五: the dependant died or lost eligibility): paid through the month of `ended_on`,
/// no longer listed as receiving support from the next month; the dependant is no longer `supported`.
#[utoipa::path(tag = "death", security(("bearer" = ["pension.manage"])), request_body = TerminateRequest,
    params(("id" = i64, Path, description = "Application id"), ("If-Match" = Option<String>, Header, description = "ETag of the application")),
    responses((status = 200, body = SupportResponse, headers(("ETag" = String))), crate::openapi::WriteErrors))]
#[post("/dependent-support/{id}/terminate")]
pub async fn terminate(
    req: HttpRequest,
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    body: Json<TerminateRequest>,
) -> Result<HttpResponse, ApiError> {
    let today = state.clock.today();
    caller.require(Permission::PensionManage)?;
    let if_match = optional_if_match(&req)?;
    let id = path.into_inner();
    let body = body.0;
    let on = today;
    let mut errors = Vec::new();
    let ended_on = parse_date("/ended_on", &body.ended_on).map_err(|e| errors.push(e)).ok();
    if ended_on.is_some_and(|d| d > on) {
        errors.push(FieldError::new(
            "/ended_on",
            "date_in_future",
            "日期不能晚于今天",
            "the date cannot be in the future",
        ));
    }
    let note = check_text("/note", body.note.as_deref(), 500, &mut errors);
    finish(errors)?;
    let ended_on = ended_on.unwrap_or(on);
    let c = caller.clone();
    let (s, steps) = crate::db::write(&state.pool, move |conn| {
        let (current, path) = visible(conn, &c, id)?;
        if let Some(m) = &if_match {
            m.expect(current.version)?;
        }
        let from = current.status;
        let outcome = rules::apply(from, SupportAction::Terminate { ended_on, support_from: current.support_from })
            .map_err(|e| match e {
                death::SupportError::EndsBeforeSupport => ApiError::field(FieldError::rule("/ended_on", &e)),
                other => rule_conflict(other),
            })?;
        let until = outcome.until.ok_or_else(|| ApiError::internal("a termination ends the support"))?;
        let change = SupportChange {
            status: outcome.status.as_str().to_owned(),
            support_from: None,
            support_until: Some(until),
            end_reason: Some(body.reason.as_str().to_owned()),
            fraud_note: None,
            updated_at: persistence::now_utc(),
        };
        let updated = repo::change_support(conn, &current, &change, None, outcome.supported).map_err(version_error)?;
        let mut entry = c.audit("dependent_support.terminate", "dependent_support", id, &path);
        entry.retiree_id = Some(current.retiree_id);
        entry.detail = Some(
            serde_json::json!({"reason": body.reason.as_str(), "support_until": month_text(until), "note": note})
                .to_string(),
        );
        persistence::audit::append(conn, &entry)?;
        let steps = repo::steps_of(conn, id)?;
        Ok((updated, steps))
    })
    .await?;
    let version = s.version;
    Ok(ok_with_etag(&response(s, steps), version))
}

/// A fraud flag or its clearance.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"note": "群众举报：已随子女移居外地再婚"}))]
pub struct FraudRequest {
    /// What is suspected, or what the review found; 1-500 characters.
    pub note: String,
}

/// Flags approved support as suspected fraud (GUIDE 五: "弄虚作假骗领或冒领"): payment stops pending review
/// (status `fraud_review`, not listed as receiving support). Clear it with `…/fraud-clear` or end it with
/// `…/terminate`.
#[utoipa::path(tag = "death", security(("bearer" = ["pension.manage"])), request_body = FraudRequest,
    params(("id" = i64, Path, description = "Application id")),
    responses((status = 200, body = SupportResponse, headers(("ETag" = String))), crate::openapi::WriteErrors))]
#[post("/dependent-support/{id}/fraud-flag")]
pub async fn fraud_flag(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    body: Json<FraudRequest>,
) -> Result<HttpResponse, ApiError> {
    fraud(caller, state, path.into_inner(), body.0, true).await
}

/// Clears a fraud flag after review: payment resumes (status `approved`).
#[utoipa::path(tag = "death", security(("bearer" = ["pension.manage"])), request_body = FraudRequest,
    params(("id" = i64, Path, description = "Application id")),
    responses((status = 200, body = SupportResponse, headers(("ETag" = String))), crate::openapi::WriteErrors))]
#[post("/dependent-support/{id}/fraud-clear")]
pub async fn fraud_clear(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    body: Json<FraudRequest>,
) -> Result<HttpResponse, ApiError> {
    fraud(caller, state, path.into_inner(), body.0, false).await
}

async fn fraud(
    caller: Caller,
    state: web::Data<AppState>,
    id: i64,
    body: FraudRequest,
    flag: bool,
) -> Result<HttpResponse, ApiError> {
    caller.require(Permission::PensionManage)?;
    let mut errors = Vec::new();
    let note = super::common::check_name("/note", &body.note, 500, &mut errors);
    finish(errors)?;
    let c = caller.clone();
    let (s, steps) = crate::db::write(&state.pool, move |conn| {
        let (current, path) = visible(conn, &c, id)?;
        let from = current.status;
        let action = if flag { SupportAction::FlagFraud } else { SupportAction::ClearFraud };
        let outcome = rules::apply(from, action).map_err(rule_conflict)?;
        let change = SupportChange {
            status: outcome.status.as_str().to_owned(),
            support_from: None,
            support_until: None,
            end_reason: None,
            fraud_note: Some(note.clone()),
            updated_at: persistence::now_utc(),
        };
        let updated = repo::change_support(conn, &current, &change, None, outcome.supported).map_err(version_error)?;
        let action = if flag { "dependent_support.fraud_flag" } else { "dependent_support.fraud_clear" };
        let mut entry = c.audit(action, "dependent_support", id, &path);
        entry.retiree_id = Some(current.retiree_id);
        entry.detail = Some(serde_json::json!({ "note": note }).to_string());
        persistence::audit::append(conn, &entry)?;
        let steps = repo::steps_of(conn, id)?;
        Ok((updated, steps))
    })
    .await?;
    let version = s.version;
    Ok(ok_with_etag(&response(s, steps), version))
}

/// Filters of the list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SupportListQuery {
    /// A node in the caller's subtree (default: the caller's node).
    pub jurisdiction: Option<String>,
    /// One status.
    pub status: Option<String>,
    /// `YYYY-MM`: only support paid in that month (approved, started by then, not ended before it, not under
    /// fraud review).
    pub receiving_in: Option<String>,
    /// Page size, 1-500 (default 50).
    pub limit: Option<String>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// Applications for dependants' support in the caller's subtree, by id.
#[utoipa::path(tag = "death", security(("bearer" = ["retiree.read"])), params(SupportListQuery),
    responses((status = 200, body = Page<SupportResponse>), crate::openapi::ReadErrors))]
#[get("/dependent-support")]
pub async fn list(
    caller: Caller,
    state: web::Data<AppState>,
    query: web::Query<SupportListQuery>,
) -> Result<web::Json<Page<SupportResponse>>, ApiError> {
    caller.require(Permission::RetireeRead)?;
    let q = query.into_inner();
    let mut errors = Vec::new();
    let (limit, after) = page::<i64>("ds", q.limit.as_deref(), q.cursor.as_deref(), &mut errors);
    let codes = Status::ALL.iter().map(|s| s.as_str()).collect();
    let status = super::common::enum_filter("status", q.status.as_deref(), Status::parse, codes, &mut errors);
    let receiving =
        q.receiving_in.as_deref().and_then(|m| parse_month("receiving_in", m).map_err(|e| errors.push(e)).ok());
    finish(errors)?;
    let code = q.jurisdiction.unwrap_or_else(|| caller.jurisdiction_code.clone());
    let c = caller.clone();
    let (items, next) = crate::db::run(&state.pool, move |conn| -> Result<_, ApiError> {
        let node = node_in_scope(conn, &c, &code, "jurisdiction")?;
        let found = repo::list_support(conn, &node.path, status.map(|s| s.as_str()), receiving, after, limit)?;
        let next = next_cursor(&found, limit, "ds", |s| s.id.to_string());
        let mut items = Vec::with_capacity(found.len());
        for s in found {
            let steps = repo::steps_of(conn, s.id)?;
            items.push(response(s, steps));
        }
        Ok((items, next))
    })
    .await?;
    Ok(web::Json(Page { items, next_cursor: next }))
}

/// One application with its steps (audited read).
#[utoipa::path(tag = "death", security(("bearer" = ["retiree.read"])), params(("id" = i64, Path, description = "Application id")),
    responses((status = 200, body = SupportResponse, headers(("ETag" = String))), crate::openapi::ReadErrors))]
#[get("/dependent-support/{id}")]
pub async fn get_one(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Permission::RetireeRead)?;
    let id = path.into_inner();
    let c = caller.clone();
    let (s, steps) = crate::db::write(&state.pool, move |conn| {
        let (s, path) = visible(conn, &c, id)?;
        let mut entry = c.audit("dependent_support.read", "dependent_support", id, &path);
        entry.retiree_id = Some(s.retiree_id);
        persistence::audit::append(conn, &entry)?;
        let steps = repo::steps_of(conn, id)?;
        Ok((s, steps))
    })
    .await?;
    let version = s.version;
    Ok(ok_with_etag(&response(s, steps), version))
}
