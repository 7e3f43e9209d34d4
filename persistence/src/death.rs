//! Death reports, overpayments with their recovery ledger, and dependants' support applications (issue 7).

use diesel::prelude::*;
use domain::RetireeId;
use time::{Date, PrimitiveDateTime};

use crate::schema::{
    death_reports, dependent_support, dependent_support_steps, dependents, jurisdictions, overpayment_entries,
    overpayments,
};
use crate::typed::{OptStored, Stored};
use crate::{DbConnection, RepoError, RepoResult, now_utc};

/// `status` of a report awaiting verification.
pub const REPORTED: &str = "reported";
/// `status` of a verified report: the pension is stopped.
pub const VERIFIED: &str = "verified";
/// `status` of a report withdrawn before verification.
pub const WITHDRAWN: &str = "withdrawn";
/// `status` of a verified report reversed, the earlier state restored.
pub const REVERSED: &str = "reversed";

/// A death report as stored.
#[derive(Debug, Clone, Queryable, Selectable, PartialEq)]
#[diesel(table_name = death_reports)]
#[diesel(check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct DeathReport {
    pub id: i64,
    pub retiree_id: i64,
    pub community_code: String,
    pub date_of_death: Date,
    pub certificate_number: String,
    #[diesel(deserialize_as = Stored<domain::death::ReporterKind>)]
    pub reporter_kind: domain::death::ReporterKind,
    pub reporter_name: String,
    pub reporter_relation: Option<String>,
    pub reported_on: Date,
    pub deadline: Date,
    pub late: bool,
    #[diesel(deserialize_as = Stored<domain::death::DeathReportStatus>)]
    pub status: domain::death::DeathReportStatus,
    pub stop_month: Date,
    pub prior_status: Option<String>,
    pub prior_reason: Option<String>,
    pub prior_suspended_from: Option<Date>,
    pub condolence_fen: Option<i64>,
    pub funeral_grant_fen: Option<i64>,
    pub survivor_benefit_fen: Option<i64>,
    pub note: Option<String>,
    pub verified_by: Option<String>,
    pub verified_at: Option<PrimitiveDateTime>,
    pub closed_reason: Option<String>,
    pub closed_by: Option<String>,
    pub closed_at: Option<PrimitiveDateTime>,
    pub created_by: String,
    pub created_at: PrimitiveDateTime,
    pub updated_at: PrimitiveDateTime,
    pub version: i64,
}

/// A death report to record.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = death_reports)]
pub struct NewDeathReport {
    pub retiree_id: i64,
    pub community_code: String,
    pub date_of_death: Date,
    pub certificate_number: String,
    pub reporter_kind: String,
    pub reporter_name: String,
    pub reporter_relation: Option<String>,
    pub reported_on: Date,
    pub deadline: Date,
    pub late: bool,
    pub status: String,
    pub stop_month: Date,
    pub note: Option<String>,
    pub created_by: String,
    pub created_at: PrimitiveDateTime,
    pub updated_at: PrimitiveDateTime,
}

/// Records a report; [`RepoError::Unique`] when the person has one in progress or in force.
pub fn create_report(conn: &mut DbConnection, new: &NewDeathReport) -> RepoResult<DeathReport> {
    diesel::insert_into(death_reports::table).values(new).execute(conn)?;
    Ok(death_reports::table
        .filter(death_reports::retiree_id.eq(new.retiree_id))
        .order(death_reports::id.desc())
        .select(DeathReport::as_select())
        .first(conn)?)
}

/// Whether the person has a report in progress or in force.
pub fn open_report_exists(conn: &mut DbConnection, retiree_id: impl Into<RetireeId>) -> RepoResult<bool> {
    let retiree_id = RetireeId::get(retiree_id.into());
    let n: i64 = death_reports::table
        .filter(death_reports::retiree_id.eq(retiree_id))
        .filter(death_reports::status.eq_any([REPORTED, VERIFIED]))
        .count()
        .get_result(conn)?;
    Ok(n > 0)
}

/// One report.
pub fn find_report(conn: &mut DbConnection, id: i64) -> RepoResult<DeathReport> {
    Ok(death_reports::table.find(id).select(DeathReport::as_select()).first(conn)?)
}

/// The report in force (verified) of a person, if any.
pub fn verified_report_of(
    conn: &mut DbConnection,
    retiree_id: impl Into<RetireeId>,
) -> RepoResult<Option<DeathReport>> {
    let retiree_id = RetireeId::get(retiree_id.into());
    Ok(death_reports::table
        .filter(death_reports::retiree_id.eq(retiree_id))
        .filter(death_reports::status.eq(VERIFIED))
        .select(DeathReport::as_select())
        .first(conn)
        .optional()?)
}

/// What a verification writes on a report.
#[derive(Debug, Clone, AsChangeset)]
#[diesel(table_name = death_reports, treat_none_as_null = false)]
pub struct Verification {
    pub status: String,
    pub prior_status: Option<String>,
    pub prior_reason: Option<String>,
    pub prior_suspended_from: Option<Date>,
    pub condolence_fen: Option<i64>,
    pub verified_by: Option<String>,
    pub verified_at: Option<PrimitiveDateTime>,
    pub updated_at: PrimitiveDateTime,
}

/// Moves a report from `from_status` at `expected_version` to what `change` says; [`RepoError::VersionMismatch`]
/// when it moved meanwhile.
pub fn verify_report(
    conn: &mut DbConnection,
    id: i64,
    expected_version: i64,
    change: &Verification,
) -> RepoResult<DeathReport> {
    let n = diesel::update(death_reports::table)
        .filter(death_reports::id.eq(id))
        .filter(death_reports::status.eq(REPORTED))
        .filter(death_reports::version.eq(expected_version))
        .set((change, death_reports::version.eq(death_reports::version + 1)))
        .execute(conn)?;
    if n == 0 {
        return Err(RepoError::VersionMismatch);
    }
    let report = find_report(conn, id)?;
    emit_report(conn, domain::events::EventType::RetireeDied, &report)?;
    Ok(report)
}

/// `retiree.died` / `retiree.death_reversed` for a report.
fn emit_report(conn: &mut DbConnection, kind: domain::events::EventType, r: &DeathReport) -> RepoResult<()> {
    let details = serde_json::json!({
        "death_report_id": r.id,
        "date_of_death": r.date_of_death.to_string(),
        "reporter_kind": r.reporter_kind,
        "late": r.late,
        "status": r.status,
    });
    crate::events::emit(conn, &crate::events::Emit::retiree(kind.as_str(), r.retiree_id, details))
}

/// Closes a report (`withdrawn` from `reported`, `reversed` from `verified`) with a reason.
pub fn close_report(
    conn: &mut DbConnection,
    id: i64,
    expected_version: i64,
    from_status: &str,
    to_status: &str,
    reason: &str,
    by: &str,
) -> RepoResult<DeathReport> {
    let now = now_utc();
    let n = diesel::update(death_reports::table)
        .filter(death_reports::id.eq(id))
        .filter(death_reports::status.eq(from_status))
        .filter(death_reports::version.eq(expected_version))
        .set((
            death_reports::status.eq(to_status),
            death_reports::closed_reason.eq(reason),
            death_reports::closed_by.eq(by),
            death_reports::closed_at.eq(now),
            death_reports::updated_at.eq(now),
            death_reports::version.eq(death_reports::version + 1),
        ))
        .execute(conn)?;
    if n == 0 {
        return Err(RepoError::VersionMismatch);
    }
    let report = find_report(conn, id)?;
    if from_status == VERIFIED {
        emit_report(conn, domain::events::EventType::RetireeDeathReversed, &report)?;
    }
    Ok(report)
}

/// Records the death benefits assessed on a verified report.
pub fn set_benefits(conn: &mut DbConnection, id: i64, funeral_fen: i64, survivor_fen: i64) -> RepoResult<DeathReport> {
    diesel::update(death_reports::table.find(id))
        .set((
            death_reports::funeral_grant_fen.eq(funeral_fen),
            death_reports::survivor_benefit_fen.eq(survivor_fen),
            death_reports::updated_at.eq(now_utc()),
            death_reports::version.eq(death_reports::version + 1),
        ))
        .execute(conn)?;
    find_report(conn, id)
}

/// Filters of the report list.
#[derive(Debug, Clone, Default)]
pub struct ReportFilter {
    pub status: Option<String>,
    pub late: Option<bool>,
    pub died_from: Option<Date>,
    pub died_to: Option<Date>,
}

/// Reports of people registered in the subtree `scope_path` (by the community at the time of the report), by id,
/// after `after`.
pub fn list_reports(
    conn: &mut DbConnection,
    scope_path: &str,
    filter: &ReportFilter,
    after: Option<i64>,
    limit: i64,
) -> RepoResult<Vec<DeathReport>> {
    let codes = jurisdictions::table.filter(crate::jurisdictions::in_subtree(scope_path)).select(jurisdictions::code);
    let mut query = death_reports::table
        .filter(death_reports::community_code.eq_any(codes))
        .select(DeathReport::as_select())
        .order(death_reports::id)
        .limit(limit)
        .into_boxed();
    if let Some(s) = &filter.status {
        query = query.filter(death_reports::status.eq(s.clone()));
    }
    if let Some(l) = filter.late {
        query = query.filter(death_reports::late.eq(l));
    }
    if let Some(d) = filter.died_from {
        query = query.filter(death_reports::date_of_death.ge(d));
    }
    if let Some(d) = filter.died_to {
        query = query.filter(death_reports::date_of_death.le(d));
    }
    if let Some(a) = after {
        query = query.filter(death_reports::id.gt(a));
    }
    Ok(query.load(conn)?)
}

/// Verified reports in the subtree whose death fell in `[from, to]`: (community code, path, date of death, late).
pub fn verified_between(
    conn: &mut DbConnection,
    scope_path: &str,
    from: Date,
    to: Date,
) -> RepoResult<Vec<(String, String, Date, bool)>> {
    Ok(death_reports::table
        .inner_join(jurisdictions::table.on(jurisdictions::code.eq(death_reports::community_code)))
        .filter(crate::jurisdictions::in_subtree(scope_path))
        .filter(death_reports::status.eq(VERIFIED))
        .filter(death_reports::date_of_death.ge(from))
        .filter(death_reports::date_of_death.le(to))
        .select((death_reports::community_code, jurisdictions::path, death_reports::date_of_death, death_reports::late))
        .load(conn)?)
}

// ---------------------------------------------------------------------------------------------------------------
// Overpayments

/// `status` of an overpayment with a balance.
pub const OWED: &str = "open";
/// `status` of an overpayment fully recovered or written off.
pub const SETTLED: &str = "settled";
/// `status` of an overpayment referred to the administration (CS Art. 31(1)).
pub const REFERRED: &str = "referred";
/// `status` of an overpayment voided by the reversal of its death report.
pub const VOID: &str = "void";

/// An overpayment as stored.
#[derive(Debug, Clone, Queryable, Selectable, PartialEq)]
#[diesel(table_name = overpayments)]
#[diesel(check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct Overpayment {
    pub id: i64,
    pub retiree_id: i64,
    pub death_report_id: i64,
    pub community_code: String,
    pub first_month: Date,
    pub last_month: Date,
    pub months: i32,
    pub monthly_fen: i64,
    pub amount_fen: i64,
    pub due_by: Date,
    #[diesel(deserialize_as = Stored<domain::overpayment::OverpaymentStatus>)]
    pub status: domain::overpayment::OverpaymentStatus,
    pub created_by: String,
    pub created_at: PrimitiveDateTime,
    pub updated_at: PrimitiveDateTime,
}

/// An overpayment to record.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = overpayments)]
pub struct NewOverpayment {
    pub retiree_id: i64,
    pub death_report_id: i64,
    pub community_code: String,
    pub first_month: Date,
    pub last_month: Date,
    pub months: i32,
    pub monthly_fen: i64,
    pub amount_fen: i64,
    pub due_by: Date,
    pub status: String,
    pub created_by: String,
    pub created_at: PrimitiveDateTime,
    pub updated_at: PrimitiveDateTime,
}

/// A ledger entry as stored.
#[derive(Debug, Clone, Queryable, Selectable, PartialEq)]
#[diesel(table_name = overpayment_entries)]
#[diesel(check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct Entry {
    pub id: i64,
    pub overpayment_id: i64,
    #[diesel(deserialize_as = Stored<domain::overpayment::RecoveryKind>)]
    pub kind: domain::overpayment::RecoveryKind,
    pub amount_fen: i64,
    pub entry_on: Date,
    pub approved_by: Option<String>,
    pub note: Option<String>,
    pub operator: String,
    pub created_at: PrimitiveDateTime,
}

/// A ledger entry to record.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = overpayment_entries)]
pub struct NewEntry {
    pub overpayment_id: i64,
    pub kind: String,
    pub amount_fen: i64,
    pub entry_on: Date,
    pub approved_by: Option<String>,
    pub note: Option<String>,
    pub operator: String,
    pub created_at: PrimitiveDateTime,
}

/// Records an overpayment (one per death report).
pub fn create_overpayment(conn: &mut DbConnection, new: &NewOverpayment) -> RepoResult<Overpayment> {
    diesel::insert_into(overpayments::table).values(new).execute(conn)?;
    Ok(overpayments::table
        .filter(overpayments::death_report_id.eq(new.death_report_id))
        .select(Overpayment::as_select())
        .first(conn)?)
}

/// Extends an overpayment to a later last month (a pension-payment record shows more months paid).
pub fn extend_overpayment(
    conn: &mut DbConnection,
    id: i64,
    last_month: Date,
    months: i32,
    amount_fen: i64,
) -> RepoResult<()> {
    diesel::update(overpayments::table.find(id))
        .set((
            overpayments::last_month.eq(last_month),
            overpayments::months.eq(months),
            overpayments::amount_fen.eq(amount_fen),
            overpayments::status.eq(OWED),
            overpayments::updated_at.eq(now_utc()),
        ))
        .execute(conn)?;
    Ok(())
}

/// One overpayment.
pub fn find_overpayment(conn: &mut DbConnection, id: i64) -> RepoResult<Overpayment> {
    Ok(overpayments::table.find(id).select(Overpayment::as_select()).first(conn)?)
}

/// The overpayment of a death report, if any.
pub fn overpayment_of_report(conn: &mut DbConnection, report_id: i64) -> RepoResult<Option<Overpayment>> {
    Ok(overpayments::table
        .filter(overpayments::death_report_id.eq(report_id))
        .select(Overpayment::as_select())
        .first(conn)
        .optional()?)
}

/// The entries of an overpayment, oldest first.
pub fn entries_of(conn: &mut DbConnection, overpayment_id: i64) -> RepoResult<Vec<Entry>> {
    Ok(overpayment_entries::table
        .filter(overpayment_entries::overpayment_id.eq(overpayment_id))
        .order(overpayment_entries::id)
        .select(Entry::as_select())
        .load(conn)?)
}

/// The balance of an overpayment: its amount less the sum of its entries.
pub fn balance_of(conn: &mut DbConnection, o: &Overpayment) -> RepoResult<i64> {
    let entries = entries_of(conn, o.id)?;
    Ok(o.amount_fen - entries.iter().map(|e| e.amount_fen).sum::<i64>())
}

/// Adds an entry and sets the status that follows from it (`referred` for a referral, `settled` at zero).
pub fn add_entry(conn: &mut DbConnection, o: &Overpayment, new: &NewEntry, status: &str) -> RepoResult<Entry> {
    diesel::insert_into(overpayment_entries::table).values(new).execute(conn)?;
    diesel::update(overpayments::table.find(o.id))
        .set((overpayments::status.eq(status), overpayments::updated_at.eq(now_utc())))
        .execute(conn)?;
    Ok(overpayment_entries::table
        .filter(overpayment_entries::overpayment_id.eq(o.id))
        .order(overpayment_entries::id.desc())
        .select(Entry::as_select())
        .first(conn)?)
}

/// Sets an overpayment's status.
pub fn set_overpayment_status(conn: &mut DbConnection, id: i64, status: &str) -> RepoResult<()> {
    diesel::update(overpayments::table.find(id))
        .set((overpayments::status.eq(status), overpayments::updated_at.eq(now_utc())))
        .execute(conn)?;
    Ok(())
}

/// Overpayments in the subtree, by id after `after`, optionally of one status.
pub fn list_overpayments(
    conn: &mut DbConnection,
    scope_path: &str,
    status: Option<&str>,
    after: Option<i64>,
    limit: i64,
) -> RepoResult<Vec<Overpayment>> {
    let codes = jurisdictions::table.filter(crate::jurisdictions::in_subtree(scope_path)).select(jurisdictions::code);
    let mut query = overpayments::table
        .filter(overpayments::community_code.eq_any(codes))
        .select(Overpayment::as_select())
        .order(overpayments::id)
        .limit(limit)
        .into_boxed();
    if let Some(s) = status {
        query = query.filter(overpayments::status.eq(s.to_owned()));
    }
    if let Some(a) = after {
        query = query.filter(overpayments::id.gt(a));
    }
    Ok(query.load(conn)?)
}

/// Every overpayment of the subtree (voided ones left out): (community path, amount, recovered by deduction or
/// repayment, written off), in fen.
pub fn overpayment_totals(conn: &mut DbConnection, scope_path: &str) -> RepoResult<Vec<(String, i64, i64, i64)>> {
    let rows: Vec<(i64, String, i64)> = overpayments::table
        .inner_join(jurisdictions::table.on(jurisdictions::code.eq(overpayments::community_code)))
        .filter(crate::jurisdictions::in_subtree(scope_path))
        .filter(overpayments::status.ne(VOID))
        .select((overpayments::id, jurisdictions::path, overpayments::amount_fen))
        .load(conn)?;
    let ids: Vec<i64> = rows.iter().map(|r| r.0).collect();
    let mut sums = std::collections::HashMap::<i64, (i64, i64)>::new();
    for chunk in ids.chunks(500) {
        let entries: Vec<(i64, String, i64)> = overpayment_entries::table
            .filter(overpayment_entries::overpayment_id.eq_any(chunk))
            .select((overpayment_entries::overpayment_id, overpayment_entries::kind, overpayment_entries::amount_fen))
            .load(conn)?;
        for (id, kind, fen) in entries {
            let e = sums.entry(id).or_default();
            match kind.as_str() {
                "deducted_from_benefits" | "repaid" => e.0 += fen,
                "written_off" => e.1 += fen,
                _ => {}
            }
        }
    }
    Ok(rows
        .into_iter()
        .map(|(id, path, amount)| {
            let (recovered, written_off) = sums.get(&id).copied().unwrap_or((0, 0));
            (path, amount, recovered, written_off)
        })
        .collect())
}

// ---------------------------------------------------------------------------------------------------------------
// Dependants' support

/// An application for dependants' support as stored.
#[derive(Debug, Clone, Queryable, Selectable, PartialEq)]
#[diesel(table_name = dependent_support)]
#[diesel(check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct Support {
    pub id: i64,
    pub retiree_id: i64,
    pub dependent_id: i64,
    pub death_report_id: i64,
    pub community_code: String,
    pub applied_on: Date,
    pub deadline: Date,
    #[diesel(deserialize_as = Stored<domain::support::SupportApplicationStatus>)]
    pub status: domain::support::SupportApplicationStatus,
    pub support_from: Option<Date>,
    pub support_until: Option<Date>,
    #[diesel(deserialize_as = OptStored<domain::support::SupportEndReason>)]
    pub end_reason: Option<domain::support::SupportEndReason>,
    pub fraud_note: Option<String>,
    pub created_by: String,
    pub created_at: PrimitiveDateTime,
    pub updated_at: PrimitiveDateTime,
    pub version: i64,
}

/// An application to record.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = dependent_support)]
pub struct NewSupport {
    pub retiree_id: i64,
    pub dependent_id: i64,
    pub death_report_id: i64,
    pub community_code: String,
    pub applied_on: Date,
    pub deadline: Date,
    pub status: String,
    pub created_by: String,
    pub created_at: PrimitiveDateTime,
    pub updated_at: PrimitiveDateTime,
}

/// A step as stored.
#[derive(Debug, Clone, Queryable, Selectable, PartialEq)]
#[diesel(table_name = dependent_support_steps)]
#[diesel(check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct Step {
    pub id: i64,
    pub application_id: i64,
    #[diesel(deserialize_as = Stored<domain::support::SupportStep>)]
    pub step: domain::support::SupportStep,
    pub passed: bool,
    pub on_date: Date,
    pub note: Option<String>,
    pub operator: String,
    pub created_at: PrimitiveDateTime,
}

/// Records an application; [`RepoError::Unique`] when the dependant has one open.
pub fn create_support(conn: &mut DbConnection, new: &NewSupport) -> RepoResult<Support> {
    diesel::insert_into(dependent_support::table).values(new).execute(conn)?;
    Ok(dependent_support::table
        .filter(dependent_support::dependent_id.eq(new.dependent_id))
        .order(dependent_support::id.desc())
        .select(Support::as_select())
        .first(conn)?)
}

/// One application.
pub fn find_support(conn: &mut DbConnection, id: i64) -> RepoResult<Support> {
    Ok(dependent_support::table.find(id).select(Support::as_select()).first(conn)?)
}

/// The steps of an application, oldest first.
pub fn steps_of(conn: &mut DbConnection, id: i64) -> RepoResult<Vec<Step>> {
    Ok(dependent_support_steps::table
        .filter(dependent_support_steps::application_id.eq(id))
        .order(dependent_support_steps::id)
        .select(Step::as_select())
        .load(conn)?)
}

/// What a change of an application writes.
#[derive(Debug, Clone, AsChangeset)]
#[diesel(table_name = dependent_support, treat_none_as_null = false)]
pub struct SupportChange {
    pub status: String,
    pub support_from: Option<Date>,
    pub support_until: Option<Date>,
    pub end_reason: Option<String>,
    pub fraud_note: Option<String>,
    pub updated_at: PrimitiveDateTime,
}

/// Changes an application still at `expected_version`, records the step when given, and keeps the dependant's
/// `supported` flag in line (supported while approved or under fraud review, with payment stopped in review).
pub fn change_support(
    conn: &mut DbConnection,
    current: &Support,
    change: &SupportChange,
    step: Option<(&str, bool, Date, Option<String>, &str)>,
    supported: Option<bool>,
) -> RepoResult<Support> {
    let n = diesel::update(dependent_support::table)
        .filter(dependent_support::id.eq(current.id))
        .filter(dependent_support::version.eq(current.version))
        .set((change, dependent_support::version.eq(dependent_support::version + 1)))
        .execute(conn)?;
    if n == 0 {
        return Err(RepoError::VersionMismatch);
    }
    if let Some((step, passed, on_date, note, operator)) = step {
        diesel::insert_into(dependent_support_steps::table)
            .values((
                dependent_support_steps::application_id.eq(current.id),
                dependent_support_steps::step.eq(step),
                dependent_support_steps::passed.eq(passed),
                dependent_support_steps::on_date.eq(on_date),
                dependent_support_steps::note.eq(note),
                dependent_support_steps::operator.eq(operator),
                dependent_support_steps::created_at.eq(now_utc()),
            ))
            .execute(conn)?;
    }
    if let Some(supported) = supported {
        diesel::update(dependents::table.find(current.dependent_id))
            .set((
                dependents::supported.eq(supported),
                dependents::version.eq(dependents::version + 1),
                dependents::updated_at.eq(now_utc()),
            ))
            .execute(conn)?;
    }
    find_support(conn, current.id)
}

/// The open applications (not rejected, not terminated) of the dependants of death report `report_id`, by id.
pub fn open_support_of_report(conn: &mut DbConnection, report_id: i64) -> RepoResult<Vec<Support>> {
    Ok(dependent_support::table
        .filter(dependent_support::death_report_id.eq(report_id))
        .filter(dependent_support::status.ne_all(["rejected", "terminated"]))
        .order(dependent_support::id)
        .select(Support::as_select())
        .load(conn)?)
}

/// The open application (not rejected, not terminated; at most one) of dependant `dependent_id`.
pub fn open_support_of_dependent(conn: &mut DbConnection, dependent_id: i64) -> RepoResult<Option<Support>> {
    Ok(dependent_support::table
        .filter(dependent_support::dependent_id.eq(dependent_id))
        .filter(dependent_support::status.ne_all(["rejected", "terminated"]))
        .select(Support::as_select())
        .first(conn)
        .optional()?)
}

/// Gives a dependant whose support is approved a certification validity (they are certified like retirees).
pub fn start_validity(conn: &mut DbConnection, dependent_id: i64, until: Date) -> RepoResult<()> {
    diesel::update(dependents::table.find(dependent_id))
        .set((dependents::certified_until.eq(until), dependents::support_suspended_from.eq(None::<Date>)))
        .execute(conn)?;
    Ok(())
}

/// Applications in the subtree, by id after `after`; with `receiving_in`, only the support paid in that month.
pub fn list_support(
    conn: &mut DbConnection,
    scope_path: &str,
    status: Option<&str>,
    receiving_in: Option<Date>,
    after: Option<i64>,
    limit: i64,
) -> RepoResult<Vec<Support>> {
    let codes = jurisdictions::table.filter(crate::jurisdictions::in_subtree(scope_path)).select(jurisdictions::code);
    let mut query = dependent_support::table
        .filter(dependent_support::community_code.eq_any(codes))
        .select(Support::as_select())
        .order(dependent_support::id)
        .limit(limit)
        .into_boxed();
    if let Some(s) = status {
        query = query.filter(dependent_support::status.eq(s.to_owned()));
    }
    if let Some(m) = receiving_in {
        // Paid that month: approved (not under fraud review), started by then, not ended before it.
        query = query
            .filter(dependent_support::status.eq_any(["approved", "terminated"]))
            .filter(dependent_support::support_from.le(m))
            .filter(dependent_support::support_until.is_null().or(dependent_support::support_until.ge(m)));
    }
    if let Some(a) = after {
        query = query.filter(dependent_support::id.gt(a));
    }
    Ok(query.load(conn)?)
}
