//! Death reports (GUIDE 四; CS Art. 16(4), 32): reported by a relative, the community or from a death-record feed,
//! flagged late against the working-day deadline, verified (the pension stops from the month after death, the
//! overpayment is recorded, the condolence to the family falls due), withdrawn before verification or reversed
//! after it; death benefits with the overpayment deducted first; the deaths report.

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use domain::death::{self, DeathAction, DeathReportStatus, PensionEffect, ReporterKind};
use domain::pension;
use domain::policy::CondolenceKind;
use domain::{Money, PensionStatus, Permission, RuleViolation};
use persistence::DbConnection;
use persistence::death::{self as repo, DeathReport, NewOverpayment, Verification};
use persistence::pension::{NewState, NewStatusChange};
use persistence::retirees::{self as people, Retiree};
use serde::{Deserialize, Serialize};
use time::{Date, Duration, OffsetDateTime};
use utoipa::{IntoParams, ToSchema};

use super::common::{Page, check_text, finish, instant, next_cursor, node_in_scope, ok_with_etag};
use super::pension::{apply_change, month_text, optional_if_match, parse_month, state_of};
use crate::auth::Caller;
use crate::error::{ApiError, FieldError};
use crate::extract::{Json, page, parse_date};
use crate::policy_book::policy_at;
use crate::state::AppState;

pub use app::deaths::CreateDeathReportRequest;

/// A death report.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"id": 3, "retiree_id": 42, "community_code": "350203001001", "date_of_death": "2026-03-15",
    "certificate_number": "DC-350203-2026-0042", "reporter_kind": "relative", "reporter_name": "张小明",
    "reporter_relation": "儿子", "reported_on": "2026-03-20", "deadline": "2026-04-14", "late": false,
    "status": "verified", "stop_month": "2026-04", "condolence": "500.00", "funeral_grant": null,
    "survivor_benefit": null, "verified_by": "siming", "verified_at": "2026-03-21T02:00:00Z", "closed_reason": null,
    "version": 2, "created_at": "2026-03-20T02:00:00Z"}))]
pub struct DeathReportResponse {
    /// Id.
    pub id: i64,
    /// The retiree.
    pub retiree_id: i64,
    /// Their community at the time of the report.
    pub community_code: String,
    /// Date of death.
    #[schema(value_type = String, format = Date)]
    pub date_of_death: Date,
    /// Death certificate number.
    pub certificate_number: String,
    /// Who reported.
    pub reporter_kind: ReporterKind,
    /// Reporter.
    pub reporter_name: String,
    /// Their relation.
    pub reporter_relation: Option<String>,
    /// Day reported.
    #[schema(value_type = String, format = Date)]
    pub reported_on: Date,
    /// Last day to report in time: the policy's working days after the death on the working-day calendar (CS Art.
    /// 16(4): 20 working days).
    #[schema(value_type = String, format = Date)]
    pub deadline: Date,
    /// Reported after the deadline.
    pub late: bool,
    /// `reported`, `verified`, `withdrawn` or `reversed`.
    #[schema(example = "verified")]
    pub status: String,
    /// First month without pension: the month after death (`YYYY-MM`).
    #[schema(example = "2026-04")]
    pub stop_month: String,
    /// Condolence due to the family on verification (policy amount, yuan; XM Art. 21(3): 500), once.
    pub condolence: Option<String>,
    /// Funeral grant assessed (yuan).
    pub funeral_grant: Option<String>,
    /// Survivor benefit assessed (yuan).
    pub survivor_benefit: Option<String>,
    /// Who verified.
    pub verified_by: Option<String>,
    /// When.
    #[serde(with = "time::serde::rfc3339::option")]
    pub verified_at: Option<OffsetDateTime>,
    /// Why withdrawn or reversed.
    pub closed_reason: Option<String>,
    /// Version (also the ETag).
    pub version: i64,
    /// Recorded.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

fn yuan(fen: Option<i64>) -> Option<String> {
    fen.map(|f| Money::from_fen(f).to_string())
}

/// The API view of a stored report.
pub fn report_response(r: DeathReport) -> DeathReportResponse {
    DeathReportResponse {
        id: r.id,
        retiree_id: r.retiree_id,
        community_code: r.community_code,
        date_of_death: r.date_of_death,
        certificate_number: r.certificate_number,
        reporter_kind: r.reporter_kind,
        reporter_name: r.reporter_name,
        reporter_relation: r.reporter_relation,
        reported_on: r.reported_on,
        deadline: r.deadline,
        late: r.late,
        status: r.status.as_str().to_owned(),
        stop_month: month_text(r.stop_month),
        condolence: yuan(r.condolence_fen),
        funeral_grant: yuan(r.funeral_grant_fen),
        survivor_benefit: yuan(r.survivor_benefit_fen),
        verified_by: r.verified_by,
        verified_at: r.verified_at.map(instant),
        closed_reason: r.closed_reason,
        version: r.version,
        created_at: instant(r.created_at),
    }
}

/// The 409 of a refused action on a report, with its code.
fn rule(e: death::DeathError) -> ApiError {
    ApiError::conflict(e.code(), e.message_zh(), e.message_en())
}

/// The stored status of a report.
fn status_of(report: &DeathReport) -> Result<DeathReportStatus, ApiError> {
    Ok(report.status)
}

/// The report and its person, if the person is in the caller's subtree.
fn visible(conn: &mut DbConnection, caller: &Caller, id: i64) -> Result<(DeathReport, Retiree, String), ApiError> {
    let report = repo::find_report(conn, id)?;
    let (retiree, path) = people::find_in_scope(conn, report.retiree_id, &caller.scope_path)?;
    Ok((report, retiree, path))
}

/// Reports a death (GUIDE 四: the relatives report with the death certificate; CS Art. 16(4): within 20 working
/// days). The deadline counts the policy's working days after the death on the working-day calendar; a report
/// after it is flagged `late`. Nothing changes for the pension until the report is verified. One report per person
/// may be open or in force (409 `death_report_exists`).
#[utoipa::path(tag = "death", security(("bearer" = ["retiree.write"])), request_body = CreateDeathReportRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "Replays return the first answer")),
    responses((status = 201, body = DeathReportResponse, headers(("Location" = String), ("ETag" = String))),
        crate::openapi::WriteErrors))]
#[post("/death-reports")]
pub async fn create(
    req: HttpRequest,
    caller: Caller,
    state: web::Data<AppState>,
    body: Json<CreateDeathReportRequest>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Permission::RetireeWrite)?;
    let body = body.0;
    let notice = app::deaths::check_notice(&body, state.clock.today()).map_err(ApiError::validation)?;
    let fingerprint = crate::idempotency::fingerprint("POST /death-reports", &body);
    let key = crate::extract::idempotency_key(&req)?;
    let c = caller.0.clone();
    crate::idempotency::create(&state, &caller, key, fingerprint, move |conn| {
        let report = app::deaths::report_death(conn, &c, notice)?;
        Ok(crate::idempotency::Created {
            location: format!("/api/v1/death-reports/{}", report.id),
            version: report.version,
            body: serde_json::to_value(report_response(report)).map_err(ApiError::internal)?,
        })
    })
    .await
}

/// Filters of the report list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReportListQuery {
    /// A node in the caller's subtree (default: the caller's node).
    pub jurisdiction: Option<String>,
    /// `reported`, `verified`, `withdrawn` or `reversed`.
    pub status: Option<String>,
    /// `true`: only late reports; `false`: only those in time.
    pub late: Option<String>,
    /// Died on or after (YYYY-MM-DD).
    pub died_from: Option<String>,
    /// Died on or before (YYYY-MM-DD).
    pub died_to: Option<String>,
    /// Page size, 1-500 (default 50).
    pub limit: Option<String>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

const STATUSES: [&str; 4] = [repo::REPORTED, repo::VERIFIED, repo::WITHDRAWN, repo::REVERSED];

/// Death reports of people in the caller's subtree (by their community at the time of the report), by id.
#[utoipa::path(tag = "death", security(("bearer" = ["retiree.read"])), params(ReportListQuery),
    responses((status = 200, body = Page<DeathReportResponse>), crate::openapi::ReadErrors))]
#[get("/death-reports")]
pub async fn list(
    caller: Caller,
    state: web::Data<AppState>,
    query: web::Query<ReportListQuery>,
) -> Result<web::Json<Page<DeathReportResponse>>, ApiError> {
    caller.require(Permission::RetireeRead)?;
    let q = query.into_inner();
    let mut errors = Vec::new();
    let (limit, after) = page::<i64>("dr", q.limit.as_deref(), q.cursor.as_deref(), &mut errors);
    let status = super::common::code_filter("status", q.status.as_deref(), &STATUSES, &mut errors);
    let late =
        super::common::code_filter("late", q.late.as_deref(), &["true", "false"], &mut errors).map(|v| v == "true");
    let died_from = q.died_from.as_deref().and_then(|t| parse_date("died_from", t).map_err(|e| errors.push(e)).ok());
    let died_to = q.died_to.as_deref().and_then(|t| parse_date("died_to", t).map_err(|e| errors.push(e)).ok());
    finish(errors)?;
    let code = q.jurisdiction.unwrap_or_else(|| caller.jurisdiction_code.clone());
    let c = caller.clone();
    let items = crate::db::run(&state.pool, move |conn| -> Result<_, ApiError> {
        let node = node_in_scope(conn, &c, &code, "jurisdiction")?;
        let filter = repo::ReportFilter { status, late, died_from, died_to };
        Ok(repo::list_reports(conn, &node.path, &filter, after, limit)?)
    })
    .await?;
    let next = next_cursor(&items, limit, "dr", |r| r.id.to_string());
    Ok(web::Json(Page { items: items.into_iter().map(report_response).collect(), next_cursor: next }))
}

/// One death report (audited read).
#[utoipa::path(tag = "death", security(("bearer" = ["retiree.read"])), params(("id" = i64, Path, description = "Report id")),
    responses((status = 200, body = DeathReportResponse, headers(("ETag" = String))), crate::openapi::ReadErrors))]
#[get("/death-reports/{id}")]
pub async fn get_one(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Permission::RetireeRead)?;
    let id = path.into_inner();
    let c = caller.clone();
    let report = crate::db::write(&state.pool, move |conn| {
        let (report, retiree, path) = visible(conn, &c, id)?;
        let mut entry = c.audit("death.report.read", "death_report", id, &path);
        entry.retiree_id = Some(retiree.id);
        persistence::audit::append(conn, &entry)?;
        Ok(report)
    })
    .await?;
    let version = report.version;
    Ok(ok_with_etag(&report_response(report), version))
}

/// A verification.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"paid_through": "2026-06", "note": "死亡证明已核对"}))]
pub struct VerifyRequest {
    /// The last month for which the pension was paid (`YYYY-MM`), from the payment record or the pension-payment
    /// data; months from the stop month through it are an overpayment. Omit when nothing was paid after death.
    #[schema(example = "2026-06")]
    pub paid_through: Option<String>,
    /// Note, up to 500 characters.
    pub note: Option<String>,
}

/// What a verification did.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct VerifyResponse {
    /// The report.
    pub report: DeathReportResponse,
    /// The pension status change (to `stopped`, effective the month after death).
    pub status_change: super::pension::StatusChangeResponse,
    /// The overpayment recorded, when pension was paid for months after the stop month.
    pub overpayment: Option<super::overpayments::OverpaymentResponse>,
}

/// Verifies a reported death (GUIDE 四; CS Art. 32): the pension stops from the month after death (status
/// `stopped`, the person leaves the active count), pension paid for months from then through `paid_through` is
/// recorded as an overpayment (months × monthly pension, exact in fen, to be recovered within the policy's
/// deadline, CS Art. 31), and the condolence to the family falls due once (policy amount; XM Art. 21(3): 500
/// yuan). A suspected death of the data platform is verified the same way.
#[utoipa::path(tag = "death", security(("bearer" = ["pension.manage"])), request_body = VerifyRequest,
    params(("id" = i64, Path, description = "Report id"), ("If-Match" = Option<String>, Header, description = "ETag of the report")),
    responses((status = 200, body = VerifyResponse, headers(("ETag" = String))), crate::openapi::WriteErrors))]
#[post("/death-reports/{id}/verify")]
pub async fn verify(
    req: HttpRequest,
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    body: Json<VerifyRequest>,
) -> Result<HttpResponse, ApiError> {
    let today = state.clock.today();
    caller.require(Permission::PensionManage)?;
    let if_match = optional_if_match(&req)?;
    let id = path.into_inner();
    let body = body.0;
    let mut errors = Vec::new();
    let paid_through =
        body.paid_through.as_deref().and_then(|m| parse_month("/paid_through", m).map_err(|e| errors.push(e)).ok());
    let note = check_text("/note", body.note.as_deref(), 500, &mut errors);
    let this_month = pension::month_of(today);
    if paid_through.is_some_and(|m| m > pension::add_months(this_month, 1).unwrap_or(this_month)) {
        errors.push(FieldError::new(
            "/paid_through",
            "month_too_late",
            "已发放月份不能晚于下月",
            "paid_through cannot be later than next month",
        ));
    }
    finish(errors)?;
    let c = caller.clone();
    let answer = crate::db::write(&state.pool, move |conn| {
        let (report, retiree, path) = visible(conn, &c, id)?;
        let expected = match &if_match {
            Some(m) => m.expect(report.version)?,
            None => report.version,
        };
        let pension = state_of(&retiree)?;
        let outcome = death::apply(status_of(&report)?, DeathAction::Verify { pension }).map_err(rule)?;
        let PensionEffect::Stop(to) = outcome.pension else {
            return Err(ApiError::internal("a verification stops the pension"));
        };
        let policy = policy_at(conn, &path, report.date_of_death)?;
        let condolence = policy.condolence(CondolenceKind::Death).map(|k| k.amount.value.fen()).filter(|f| *f > 0);
        let now = persistence::now_utc();
        let verified = repo::verify_report(
            conn,
            id,
            expected,
            &Verification {
                status: outcome.status.as_str().to_owned(),
                prior_status: Some(retiree.pension_status.as_str().to_owned()),
                prior_reason: retiree.suspension_reason.map(|r| r.as_str().to_owned()),
                prior_suspended_from: retiree.suspended_from,
                condolence_fen: condolence,
                verified_by: Some(c.login.clone()),
                verified_at: Some(now),
                updated_at: now,
            },
        )
        .map_err(|e| match e {
            persistence::RepoError::VersionMismatch => ApiError::precondition_failed(),
            other => other.into(),
        })?;
        let note = Some(note.clone().unwrap_or_else(|| format!("death report {id}")));
        let stopped = PensionStatus::Stopped.as_str();
        let change = NewStatusChange::by_person(&retiree, stopped, None, report.stop_month, &c.login, note);
        let (_, recorded) = apply_change(conn, &c, &retiree, &path, None, to, change)?;
        let mut overpayment = None;
        if let Some(through) = paid_through {
            let months = death::overpaid_months(report.stop_month, through);
            if months > 0 {
                let monthly = retiree.monthly_pension_fen.ok_or_else(|| {
                    ApiError::field(FieldError::new(
                        "/paid_through",
                        "monthly_pension_unknown",
                        "未登记月养老金，无法计算多领金额",
                        "no monthly pension on record to compute the overpayment",
                    ))
                })?;
                let amount = death::overpayment_fen(months, monthly)
                    .ok_or_else(|| ApiError::internal("overpayment out of range"))?;
                let days = i64::from(policy.death.recovery_deadline_days.value);
                let o = repo::create_overpayment(
                    conn,
                    &NewOverpayment {
                        retiree_id: retiree.id,
                        death_report_id: id,
                        community_code: retiree.community_code.clone(),
                        first_month: report.stop_month,
                        last_month: pension::month_of(through),
                        months: i32::try_from(months).unwrap_or(i32::MAX),
                        monthly_fen: monthly,
                        amount_fen: amount,
                        due_by: today.checked_add(Duration::days(days)).unwrap_or(Date::MAX),
                        status: repo::OWED.to_owned(),
                        created_by: c.login.clone(),
                        created_at: now,
                        updated_at: now,
                    },
                )?;
                overpayment = Some(super::overpayments::overpayment_response(o, Vec::new()));
            }
        }
        // Off the community's roll: reduced in the month of death, not counted from the next month (unless a
        // reduction took them off already).
        if persistence::movement::on_roll(conn, retiree.id)? {
            persistence::movement::reduce(
                conn,
                retiree.id,
                &retiree.community_code,
                domain::movement::ReductionKind::Death.as_str(),
                &format!("death on {}", report.date_of_death),
                report.date_of_death,
                ("death_report", Some(id)),
                &c.login,
            )?;
        }
        let mut entry = c.audit("death.verify", "death_report", id, &path);
        entry.retiree_id = Some(retiree.id);
        entry.detail = Some(
            serde_json::json!({"stop_month": month_text(report.stop_month), "condolence_fen": condolence,
                "overpayment_fen": overpayment.as_ref().map(|o| o.amount.clone())})
            .to_string(),
        );
        persistence::audit::append(conn, &entry)?;
        Ok(VerifyResponse {
            report: report_response(verified),
            status_change: super::pension::change_response(recorded)?,
            overpayment,
        })
    })
    .await?;
    let version = answer.report.version;
    Ok(ok_with_etag(&answer, version))
}

/// Why a report is withdrawn or reversed.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"reason": "报告人认错了人"}))]
pub struct CloseRequest {
    /// Reason, 1-500 characters.
    pub reason: String,
}

/// Withdraws a report before it is verified (the wrong person was reported): nothing else changes.
#[utoipa::path(tag = "death", security(("bearer" = ["retiree.write"])), request_body = CloseRequest,
    params(("id" = i64, Path, description = "Report id"), ("If-Match" = Option<String>, Header, description = "ETag of the report")),
    responses((status = 200, body = DeathReportResponse, headers(("ETag" = String))), crate::openapi::WriteErrors))]
#[post("/death-reports/{id}/withdraw")]
pub async fn withdraw(
    req: HttpRequest,
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    body: Json<CloseRequest>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Permission::RetireeWrite)?;
    close(req, caller, state, path.into_inner(), body.0, false).await
}

/// Reverses a verified report (the death was wrongly recorded): audited, the pension state before the
/// verification is restored (a status change from `stopped` back to it), the overpayment is voided and the
/// report's condolence is no longer due. Only the centres that may stop a pension may reverse it.
#[utoipa::path(tag = "death", security(("bearer" = ["pension.manage"])), request_body = CloseRequest,
    params(("id" = i64, Path, description = "Report id"), ("If-Match" = Option<String>, Header, description = "ETag of the report")),
    responses((status = 200, body = DeathReportResponse, headers(("ETag" = String))), crate::openapi::WriteErrors))]
#[post("/death-reports/{id}/reverse")]
pub async fn reverse(
    req: HttpRequest,
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    body: Json<CloseRequest>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Permission::PensionManage)?;
    close(req, caller, state, path.into_inner(), body.0, true).await
}

async fn close(
    req: HttpRequest,
    caller: Caller,
    state: web::Data<AppState>,
    id: i64,
    body: CloseRequest,
    reversal: bool,
) -> Result<HttpResponse, ApiError> {
    let today = state.clock.today();
    let if_match = optional_if_match(&req)?;
    let mut errors = Vec::new();
    let reason = super::common::check_name("/reason", &body.reason, 500, &mut errors);
    finish(errors)?;
    let c = caller.clone();
    let report = crate::db::write(&state.pool, move |conn| {
        let (report, retiree, path) = visible(conn, &c, id)?;
        let expected = match &if_match {
            Some(m) => m.expect(report.version)?,
            None => report.version,
        };
        let from = status_of(&report)?;
        let outcome =
            death::apply(from, if reversal { DeathAction::Reverse } else { DeathAction::Withdraw }).map_err(rule)?;
        let (from, to) = (from.as_str(), outcome.status.as_str());
        let closed = repo::close_report(conn, id, expected, from, to, &reason, &c.login).map_err(|e| match e {
            persistence::RepoError::VersionMismatch => ApiError::precondition_failed(),
            other => other.into(),
        })?;
        if outcome.pension == PensionEffect::RestorePrior {
            // The earlier state, restored as it was (a correction, not a transition of the state machine).
            let prior = report.prior_status.clone().unwrap_or_else(|| PensionStatus::Normal.as_str().to_owned());
            let note = Some(format!("reversal of death report {id}: {reason}"));
            let reason_before = report.prior_reason.clone();
            let change = NewStatusChange::by_person(&retiree, &prior, reason_before, report.stop_month, &c.login, note);
            let state = NewState {
                status: prior,
                reason: report.prior_reason.clone(),
                suspended_from: report.prior_suspended_from,
            };
            persistence::pension::change_status(conn, None, &state, &change).map_err(|e| match e {
                persistence::RepoError::VersionMismatch => ApiError::of(domain::ErrorCode::StatusChanged),
                other => other.into(),
            })?;
            if let Some(o) = repo::overpayment_of_report(conn, id)? {
                repo::set_overpayment_status(conn, o.id, repo::VOID)?;
            }
            persistence::movement::reinstate(conn, ("death_report", id), pension::month_of(today))?;
        }
        let action = if reversal { "death.reverse" } else { "death.withdraw" };
        let mut entry = c.audit(action, "death_report", id, &path);
        entry.retiree_id = Some(retiree.id);
        entry.detail = Some(serde_json::json!({"reason": reason, "restored": report.prior_status}).to_string());
        persistence::audit::append(conn, &entry)?;
        Ok(closed)
    })
    .await?;
    let version = report.version;
    Ok(ok_with_etag(&report_response(report), version))
}

/// The death benefits of a case.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"funeral_grant": "5000.00", "survivor_benefit": "0.00"}))]
pub struct BenefitsRequest {
    /// Funeral grant in yuan, where the policy leaves it to the case (provincial rules, average wage); omitted
    /// where the policy computes it.
    #[schema(example = "5000.00")]
    pub funeral_grant: Option<String>,
    /// Survivor benefit in yuan, likewise.
    #[schema(example = "0.00")]
    pub survivor_benefit: Option<String>,
}

/// The assessed benefits and how they settle against the overpayment.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"funeral_grant": "5000.00", "survivor_benefit": "0.00", "total": "5000.00",
    "overpayment": "10500.00", "deducted": "5000.00", "net_payable": "0.00", "outstanding": "5500.00"}))]
pub struct BenefitsResponse {
    /// Funeral grant (丧葬补助费).
    pub funeral_grant: String,
    /// Survivor benefit (抚恤费).
    pub survivor_benefit: String,
    /// Their sum.
    pub total: String,
    /// Overpayment owed before the deduction (`0.00` when none).
    pub overpayment: String,
    /// Deducted from the benefits towards it.
    pub deducted: String,
    /// Paid to the family.
    pub net_payable: String,
    /// Overpayment still owed after the deduction.
    pub outstanding: String,
}

fn money_field(field: &str, text: Option<&str>, errors: &mut Vec<FieldError>) -> Option<i64> {
    text.and_then(|t| Money::parse(t).map_err(|e| errors.push(FieldError::rule(field, &e))).ok()).map(Money::fen)
}

/// Assesses the death benefits of a verified report from the policy formula (funeral grant, survivor benefit;
/// JN Art. 23(3)) and settles them: the overpayment is deducted first (GUIDE 四: "按规定从退休人员死亡抚恤待遇中扣除";
/// a `deducted_from_benefits` entry in its ledger); the net payable, or the balance still owed when the benefits
/// do not cover it, is shown. Once per report (409 `benefits_assessed`).
#[utoipa::path(tag = "death", security(("bearer" = ["pension.manage"])), request_body = BenefitsRequest,
    params(("id" = i64, Path, description = "Report id")),
    responses((status = 200, body = BenefitsResponse), crate::openapi::WriteErrors))]
#[post("/death-reports/{id}/benefits")]
pub async fn benefits(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    body: Json<BenefitsRequest>,
) -> Result<web::Json<BenefitsResponse>, ApiError> {
    let today = state.clock.today();
    caller.require(Permission::PensionManage)?;
    let id = path.into_inner();
    let body = body.0;
    let mut errors = Vec::new();
    let funeral_in = money_field("/funeral_grant", body.funeral_grant.as_deref(), &mut errors);
    let survivor_in = money_field("/survivor_benefit", body.survivor_benefit.as_deref(), &mut errors);
    finish(errors)?;
    let c = caller.clone();
    let answer = crate::db::write(&state.pool, move |conn| {
        let (report, retiree, path) = visible(conn, &c, id)?;
        let assessed = report.funeral_grant_fen.is_some();
        death::apply(status_of(&report)?, DeathAction::AssessBenefits { assessed }).map_err(rule)?;
        let policy = policy_at(conn, &path, report.date_of_death)?;
        let mut errors = Vec::new();
        let mut compute = |field: &str, formula: &domain::policy::BenefitFormula, entered: Option<i64>| {
            death::benefit_fen(formula, retiree.monthly_pension_fen, entered)
                .map_err(|e| errors.push(FieldError::rule(field, &e)))
                .ok()
        };
        let funeral = compute("/funeral_grant", &policy.death.funeral_grant.value, funeral_in);
        let survivor = compute("/survivor_benefit", &policy.death.survivor_benefit.value, survivor_in);
        finish(errors)?;
        let (funeral, survivor) = funeral.zip(survivor).ok_or_else(|| ApiError::internal("checked above"))?;
        let total = funeral.checked_add(survivor).ok_or_else(|| ApiError::internal("benefits out of range"))?;
        repo::set_benefits(conn, id, funeral, survivor)?;
        let owed = match repo::overpayment_of_report(conn, id)? {
            Some(o) if o.status.as_str() == repo::OWED => {
                let balance = repo::balance_of(conn, &o)?;
                Some((o, balance))
            }
            _ => None,
        };
        let owed_fen = owed.as_ref().map_or(0, |(_, b)| *b);
        let s = death::settle(total, owed_fen);
        if let Some((o, balance)) = &owed
            && s.deducted_fen > 0
        {
            let status = domain::overpayment::status_after(death::RecoveryKind::DeductedFromBenefits, s.deducted_fen, *balance)
                .as_str();
            repo::add_entry(
                conn,
                o,
                &repo::NewEntry {
                    overpayment_id: o.id,
                    kind: death::RecoveryKind::DeductedFromBenefits.as_str().to_owned(),
                    amount_fen: s.deducted_fen,
                    entry_on: today,
                    approved_by: None,
                    note: Some(format!("death report {id}")),
                    operator: c.login.clone(),
                    created_at: persistence::now_utc(),
                },
                status,
            )?;
        }
        let mut entry = c.audit("death.benefits", "death_report", id, &path);
        entry.retiree_id = Some(retiree.id);
        entry.detail = Some(
            serde_json::json!({"funeral_grant_fen": funeral, "survivor_benefit_fen": survivor,
                "deducted_fen": s.deducted_fen, "net_payable_fen": s.net_payable_fen, "outstanding_fen": s.outstanding_fen})
            .to_string(),
        );
        persistence::audit::append(conn, &entry)?;
        let y = |f: i64| Money::from_fen(f).to_string();
        Ok(BenefitsResponse {
            funeral_grant: y(funeral),
            survivor_benefit: y(survivor),
            total: y(total),
            overpayment: y(owed_fen),
            deducted: y(s.deducted_fen),
            net_payable: y(s.net_payable_fen),
            outstanding: y(s.outstanding_fen),
        })
    })
    .await?;
    Ok(web::Json(answer))
}
