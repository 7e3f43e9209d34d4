//! Death reports (GUIDE 四; CS Art. 16(4), 32). A death reaches the centre from a relative or the community
//! ([`report_death`], the API) or from the data platform's death records (`feeds`); both open the report with the
//! one builder here ([`open_report`]): the deadline is the policy's working days after the death on the
//! working-day calendar, a report after it is flagged late, and the pension stops from the month after death once
//! the report is verified. Verification ([`verify`]), withdrawal and reversal ([`close`]), the death benefits
//! ([`benefits`]), the reads ([`list`]) and the deaths report ([`report`]) have modules of their own.

pub mod benefits;
pub mod close;
pub mod list;
pub mod report;
pub mod response;
pub mod verify;

pub use benefits::{BenefitsRequest, BenefitsResponse};
pub use close::CloseRequest;
pub use list::{ReportList, STATUSES};
pub use report::{DeathsReport, DeathsRow};
pub use response::{DeathReportResponse, report_response};
pub use verify::{VerifyRequest, VerifyResponse};

use domain::RuleViolation;
use domain::calendar::Calendar;
use domain::death::{self, DeathReportStatus, ReporterKind};
use persistence::death::{self as repo, DeathReport, NewDeathReport};
use persistence::retirees::{self as people, Retiree};
use persistence::{DbConnection, RepoError};
use serde::{Deserialize, Serialize};
use time::Date;
use utoipa::ToSchema;

use crate::caller::Caller;
use crate::error::{AppError, FieldError};
use crate::input::{check_name, check_text, parse_date};

/// A death to report.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"retiree_id": 42, "date_of_death": "2026-03-15", "certificate_number": "DC-350203-2026-0042",
    "reporter_kind": "relative", "reporter_name": "张小明", "reporter_relation": "儿子", "reported_on": "2026-03-20"}))]
pub struct CreateDeathReportRequest {
    /// The retiree.
    pub retiree_id: i64,
    /// Date of death (YYYY-MM-DD), not in the future.
    #[schema(format = Date, example = "2026-03-15")]
    pub date_of_death: String,
    /// Number of the death certificate (医学死亡证明), 1-50 characters.
    #[schema(example = "DC-350203-2026-0042")]
    pub certificate_number: String,
    /// Who reported it.
    pub reporter_kind: ReporterKind,
    /// Reporter's name, 1-50 characters.
    #[schema(example = "张小明")]
    pub reporter_name: String,
    /// Relation of the reporter to the deceased, up to 20 characters.
    #[schema(example = "儿子")]
    pub reporter_relation: Option<String>,
    /// Day the report reached the community (YYYY-MM-DD); default today; not before the death, not in the future.
    #[schema(format = Date, example = "2026-03-20")]
    pub reported_on: Option<String>,
    /// Note, up to 500 characters.
    pub note: Option<String>,
}

/// A death to report, checked: every field as the report will hold it.
#[derive(Debug, Clone)]
pub struct DeathNotice {
    /// The retiree.
    pub retiree_id: i64,
    /// Date of death.
    pub date_of_death: Date,
    /// Death certificate number.
    pub certificate_number: String,
    /// Who reported.
    pub reporter_kind: ReporterKind,
    /// Reporter.
    pub reporter_name: String,
    /// Their relation.
    pub reporter_relation: Option<String>,
    /// Day the report reached the community.
    pub reported_on: Date,
    /// Note.
    pub note: Option<String>,
}

/// The checks of a death report as of `today`: dates not in the future, the report not before the death, the
/// texts' lengths. Every broken rule is reported at once.
pub fn check_notice(body: &CreateDeathReportRequest, today: Date) -> Result<DeathNotice, Vec<FieldError>> {
    let mut errors = Vec::new();
    let died = parse_date("/date_of_death", &body.date_of_death).map_err(|e| errors.push(e)).ok();
    let reported = match body.reported_on.as_deref() {
        Some(t) => parse_date("/reported_on", t).map_err(|e| errors.push(e)).ok(),
        None => Some(today),
    };
    if died.is_some_and(|d| d > today) {
        errors.push(FieldError::new(
            "/date_of_death",
            "date_in_future",
            "死亡日期不能晚于今天",
            "the date of death cannot be in the future",
        ));
    }
    if reported.is_some_and(|d| d > today) {
        errors.push(FieldError::new(
            "/reported_on",
            "date_in_future",
            "报告日期不能晚于今天",
            "the report date cannot be in the future",
        ));
    }
    if let (Some(d), Some(r)) = (died, reported)
        && r < d
    {
        errors.push(FieldError::new(
            "/reported_on",
            "before_death",
            "报告日期不能早于死亡日期",
            "the report cannot be before the death",
        ));
    }
    let certificate_number = check_name("/certificate_number", &body.certificate_number, 50, &mut errors);
    let reporter_name = check_name("/reporter_name", &body.reporter_name, 50, &mut errors);
    let reporter_relation = check_text("/reporter_relation", body.reporter_relation.as_deref(), 20, &mut errors);
    let note = check_text("/note", body.note.as_deref(), 500, &mut errors);
    match (died, reported) {
        (Some(date_of_death), Some(reported_on)) if errors.is_empty() => Ok(DeathNotice {
            retiree_id: body.retiree_id,
            date_of_death,
            certificate_number,
            reporter_kind: body.reporter_kind,
            reporter_name,
            reporter_relation,
            reported_on,
            note,
        }),
        _ => Err(errors),
    }
}

/// Reports a death of a person in the caller's subtree (CS Art. 16(4)): refused when the person is unknown to the
/// caller (422 `retiree_not_found`), the death is before the birth or the retirement (422 `before_birth`,
/// `before_retirement`), the pension is stopped or transferred out
/// already (409, [`death::open`]) or a report is open or in force (409 `death_report_exists`). Writes the report
/// and its audit entry; the pension changes only when the report is verified.
pub fn report_death(conn: &mut DbConnection, caller: &Caller, notice: DeathNotice) -> Result<DeathReport, AppError> {
    let (retiree, path) = crate::scope::referenced_retiree(conn, caller, notice.retiree_id, "/retiree_id")?;
    let died = notice.date_of_death;
    if died < retiree.birth_date {
        return Err(AppError::field(FieldError::new(
            "/date_of_death",
            "before_birth",
            "死亡日期不能早于出生日期",
            "the date of death cannot be before the birth date",
        )));
    }
    // Only a retiree's death is reported here: one dated before the retirement would stop a pension from months
    // it was never paid for (issue 19.6).
    if died < retiree.retirement_date {
        return Err(AppError::field(FieldError::of("/date_of_death", domain::ErrorCode::BeforeRetirement)));
    }
    let pension = domain::pension::PensionState::from_parts(
        retiree.pension_status.as_str(),
        retiree.suspension_reason.map(|s| s.as_str()),
    )
    .ok_or_else(|| AppError::internal(format!("retiree {} has no valid pension state", retiree.id)))?;
    let status = death::open(pension).map_err(|e| AppError::conflict(e.code(), e.message_zh(), e.message_en()))?;
    let policy = crate::policy_book::policy_at(conn, &path, died)?;
    let calendar = persistence::calendar::load_calendar(conn, died.year(), died.year() + 1)?;
    let report = open_report(
        conn,
        &calendar,
        policy.death.report_deadline_working_days.value,
        ReportRecord {
            retiree_id: retiree.id,
            community_code: retiree.community_code.clone(),
            date_of_death: died,
            certificate_number: notice.certificate_number,
            reporter_kind: notice.reporter_kind,
            reporter_name: notice.reporter_name,
            reporter_relation: notice.reporter_relation,
            reported_on: notice.reported_on,
            status,
            note: notice.note,
            created_by: caller.login.clone(),
        },
    )
    .map_err(|e| match e {
        RepoError::Unique(_) => AppError::of(domain::ErrorCode::DeathReportExists),
        other => other.into(),
    })?;
    let mut entry = caller.audit("death.report", "death_report", report.id, &path);
    entry.retiree_id = Some(retiree.id);
    entry.detail = Some(
        serde_json::json!({"date_of_death": died.to_string(), "reported_on": report.reported_on.to_string(),
            "deadline": report.deadline.to_string(), "late": report.late})
        .to_string(),
    );
    persistence::audit::append(conn, &entry)?;
    Ok(report)
}

/// The 409 of a refused action on a report, with its code.
fn rule(e: death::DeathError) -> AppError {
    AppError::conflict(e.code(), e.message_zh(), e.message_en())
}

/// Report `id` and its person with the path of their community, if the person is in the caller's subtree (404
/// otherwise).
fn visible(conn: &mut DbConnection, caller: &Caller, id: i64) -> Result<(DeathReport, Retiree, String), AppError> {
    let report = repo::find_report(conn, id)?;
    let (retiree, path) = people::find_in_scope(conn, report.retiree_id, &caller.scope_path)?;
    Ok((report, retiree, path))
}

/// A report to open, before the rules add its deadline, lateness and stop month.
#[derive(Debug, Clone)]
pub struct ReportRecord {
    /// The retiree.
    pub retiree_id: i64,
    /// Their community now.
    pub community_code: String,
    /// Date of death.
    pub date_of_death: Date,
    /// Death certificate number (at most 50 characters).
    pub certificate_number: String,
    /// Who reported.
    pub reporter_kind: ReporterKind,
    /// Reporter (at most 50 characters).
    pub reporter_name: String,
    /// Their relation.
    pub reporter_relation: Option<String>,
    /// Day the report arrived.
    pub reported_on: Date,
    /// Status it starts in ([`death::open`]).
    pub status: DeathReportStatus,
    /// Note.
    pub note: Option<String>,
    /// Login of whoever opened it.
    pub created_by: String,
}

/// Opens a report (the one builder of the API and the feeds): the deadline is `deadline_days` working days after
/// the death on `calendar` (CS Art. 16(4)), a report by people is late when it arrived after it (one from a
/// data-platform record never is: the duty is the relatives'; it shows the feed's source as reporter), and the
/// pension stops from the month after death (CS Art. 32).
pub fn open_report(
    conn: &mut DbConnection,
    calendar: &Calendar,
    deadline_days: u32,
    r: ReportRecord,
) -> Result<DeathReport, RepoError> {
    let deadline = death::report_deadline(calendar, r.date_of_death, deadline_days).unwrap_or(Date::MAX);
    let now = persistence::now_utc();
    repo::create_report(
        conn,
        &NewDeathReport {
            retiree_id: r.retiree_id,
            community_code: r.community_code,
            date_of_death: r.date_of_death,
            certificate_number: r.certificate_number,
            reporter_kind: r.reporter_kind.as_str().to_owned(),
            reporter_name: r.reporter_name,
            reporter_relation: r.reporter_relation,
            reported_on: r.reported_on,
            deadline,
            late: death::report_is_late(r.reporter_kind, r.reported_on, deadline),
            status: r.status.as_str().to_owned(),
            stop_month: death::stop_month(r.date_of_death),
            note: r.note,
            created_by: r.created_by,
            created_at: now,
            updated_at: now,
        },
    )
}

#[cfg(test)]
mod tests {
    use time::macros::date;

    use super::*;

    fn body() -> CreateDeathReportRequest {
        CreateDeathReportRequest {
            retiree_id: 42,
            date_of_death: "2026-03-15".into(),
            certificate_number: " DC-1 ".into(),
            reporter_kind: ReporterKind::Relative,
            reporter_name: "张小明".into(),
            reporter_relation: Some("儿子".into()),
            reported_on: None,
            note: None,
        }
    }

    #[test]
    fn a_report_defaults_to_today_and_trims_its_texts() {
        let n = check_notice(&body(), date!(2026 - 03 - 20)).unwrap();
        assert_eq!((n.reported_on, n.certificate_number.as_str()), (date!(2026 - 03 - 20), "DC-1"));
    }

    #[test]
    fn every_broken_rule_is_reported_at_once() {
        // GUIDE 四: a death is reported after it happened, and not in the future.
        let mut b = body();
        b.date_of_death = "2026-03-21".into();
        b.reported_on = Some("2026-03-19".into());
        b.reporter_name = String::new();
        let errors = check_notice(&b, date!(2026 - 03 - 20)).unwrap_err();
        let codes: Vec<(&str, &str)> = errors.iter().map(|e| (e.field.as_str(), e.code.as_str())).collect();
        assert_eq!(
            codes,
            [("/date_of_death", "date_in_future"), ("/reported_on", "before_death"), ("/reporter_name", "length")]
        );
    }
}
