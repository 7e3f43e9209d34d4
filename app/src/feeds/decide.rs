//! Deciding what a batch's matched records do, with the domain rules, and writing the consequences that are
//! not plain status changes (dependants, payments after death, death reports).

use super::*;

/// What the matched records of a batch do.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Decision {
    /// One outcome per matched record (`none` for those not applied).
    pub outcomes: Vec<Outcome>,
    /// Matched records not applied, by reason.
    pub not_applied: BTreeMap<String, i64>,
    /// Certifications to record.
    pub certified: i64,
    /// Resumptions among them.
    pub resumed: i64,
    /// Suspensions.
    pub suspended: i64,
}

impl Decision {
    /// Records that change a person.
    pub fn applied(&self) -> i64 {
        self.certified + self.suspended
    }
}

/// Why a record of `kind` cannot apply to a person in `state` valid until `until`, or `Ok` when it can.
pub(crate) fn eligible(
    kind: FeedKind,
    state: Option<PensionState>,
    m: &Matched,
    period: u32,
) -> Result<(), &'static str> {
    let Some(state) = state else { return Err("unknown_status") };
    match kind.suspends() {
        // CS Art. 32: only a paid pension is suspended; a suspended, stopped or transferred one stays as it is.
        Some(reason) => transition(state, Transition::Suspend(reason)).map(|_| ()).map_err(|e| e.code()),
        None => match state {
            PensionState::Stopped => Err("pension_stopped"),
            PensionState::TransferredOut => Err("pension_transferred_out"),
            // A record older than the certification on file changes nothing (a feed may send it late).
            _ if !extends(m.certified_until, m.record_date, period) => Err("stale"),
            _ => Ok(()),
        },
    }
}

pub(crate) fn note(kind: FeedKind, m: &Matched) -> String {
    serde_json::json!({"feed": kind.as_str(), "line": m.line, "date": m.record_date.to_string(),
        "source": m.source, "reference": m.reference})
    .to_string()
}

/// Decides every matched record (sorted by person, then line) with the domain rules, each person's community's
/// policy from `policy_at` (by path):
///
/// - medical visits, insurance use, travel (XM Art. 15(1), CS Art. 27): the person's latest record that is newer
///   than the certification on file certifies them on its date for one policy period (CS Art. 16(2)); a pension
///   suspended for an overdue certification resumes in the month of that date with the back-pay the policy grants
///   (CS Art. 32(1): "恢复发放或补发"). Stopped and transferred-out pensions are not certified.
/// - death (CS Art. 32; the pension stops from the month after death, domain brief §7): a paid pension is
///   suspended (`suspected_death`, pending verification) from the month after the date of death; the earliest
///   record of a person counts.
/// - imprisonment (CS Art. 32(3)): a paid pension is suspended (`imprisoned`) from the month the sentence starts.
pub fn decide<'p, F>(kind: FeedKind, rows: &[Matched], policy_at: F) -> Decision
where
    F: Fn(&str) -> &'p Policy,
{
    let mut d = Decision::default();
    if kind == FeedKind::PensionPayment {
        // No status change: payments after a verified death become overpayments ([`record_payments`]).
        for m in rows {
            d.outcomes.push(Outcome::none(m.line, m.retiree_id, &m.community_code));
        }
        return d;
    }
    for group in rows.chunk_by(|a, b| a.retiree_id == b.retiree_id) {
        let Some(first) = group.first() else { continue };
        let policy = policy_at(&first.path);
        let period = policy.certification.period_months.value;
        let state = PensionState::from_parts(&first.pension_status, first.suspension_reason.as_deref());
        let verdicts: Vec<Result<(), &'static str>> = group.iter().map(|m| eligible(kind, state, m, period)).collect();
        let candidates = group.iter().zip(&verdicts).filter(|(_, v)| v.is_ok()).map(|(m, _)| m);
        let chosen = if kind.certifies() {
            candidates.max_by_key(|m| (m.record_date, std::cmp::Reverse(m.line)))
        } else {
            candidates.min_by_key(|m| (m.record_date, m.line))
        }
        .map(|m| m.line);
        for (m, verdict) in group.iter().zip(&verdicts) {
            if Some(m.line) != chosen {
                let reason = verdict.err().unwrap_or("superseded");
                *d.not_applied.entry(reason.to_owned()).or_default() += 1;
                d.outcomes.push(Outcome::none(m.line, m.retiree_id, &m.community_code));
                continue;
            }
            let mut o = Outcome::none(m.line, m.retiree_id, &m.community_code);
            o.note = Some(note(kind, m));
            match (kind.suspends(), state) {
                (Some(reason), _) => {
                    let month = month_of(m.record_date);
                    let from = if reason == SuspensionReason::SuspectedDeath {
                        add_months(month, 1).unwrap_or(month)
                    } else {
                        month
                    };
                    o.action = repo::ACTION_SUSPEND.to_owned();
                    o.from_status = Some("normal".to_owned());
                    o.to_status = Some("suspended".to_owned());
                    o.change_reason = Some(reason.as_str().to_owned());
                    o.suspended_from = Some(from);
                    o.effective_month = Some(from);
                    d.suspended += 1;
                }
                (None, state) => {
                    o.action = repo::ACTION_CERTIFY.to_owned();
                    o.certified_on = Some(m.record_date);
                    o.valid_until = Some(certified_until(m.record_date, period));
                    o.provider = Some(m.source.clone());
                    o.provider_reference = m.reference.clone();
                    d.certified += 1;
                    if let Some(PensionState::Suspended(reason)) = state
                        && certification_resumes(reason)
                    {
                        // Resumed in the month of the record, never before the suspension began; the months in
                        // between are paid back where the policy grants it.
                        let month = month_of(m.record_date);
                        let from = m.suspended_from.unwrap_or(month);
                        let effective = month.max(from);
                        let pay = back_pay(policy, reason, from, effective, m.monthly_pension_fen);
                        o.action = repo::ACTION_RESUME.to_owned();
                        o.from_status = Some("suspended".to_owned());
                        o.from_reason = Some(reason.as_str().to_owned());
                        o.to_status = Some("normal".to_owned());
                        o.change_reason = Some(reason.as_str().to_owned());
                        o.effective_month = Some(effective);
                        o.back_pay_months = i32::try_from(pay.months_paid).ok();
                        o.back_pay_fen = pay.amount_fen;
                        d.resumed += 1;
                    } else {
                        o.note = None;
                    }
                }
            }
            d.outcomes.push(o);
        }
    }
    d
}

/// A dependant's record that certifies them.
#[derive(Debug, Clone, PartialEq)]
pub struct DependentCertifying {
    /// The record.
    pub record: MatchedDependent,
    /// Last valid day it gives.
    pub valid_until: Date,
    /// When the support was suspended for an overdue certification: the resumption month, the months
    /// suspended, and whether the policy pays them back.
    pub resumes: Option<(Date, u32, bool)>,
}

/// What the dependants' records of a batch do.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DependentDecision {
    /// One `none` outcome per matched line, so that the line counts as matched.
    pub outcomes: Vec<Outcome>,
    /// The records that certify (one per dependant at most).
    pub certifying: Vec<DependentCertifying>,
    /// Records not applied, by reason (`stale`, `superseded`).
    pub not_applied: BTreeMap<String, i64>,
    /// Distinct lines matched.
    pub matched: i64,
}

/// Decides the records of certifying kinds matched to supported dependants (sorted by dependant, then line), by
/// the retirees' rule (XM Art. 15 last paragraph: dependants are certified like retirees): the latest record
/// newer than the certification on file certifies for one policy period; support suspended for an overdue
/// certification resumes in the month of the record (CS Art. 32(1)).
pub fn decide_dependents<'p, F>(rows: &[MatchedDependent], on: Date, policy_at: F) -> DependentDecision
where
    F: Fn(&str) -> &'p Policy,
{
    let mut d = DependentDecision::default();
    let mut lines = std::collections::BTreeSet::new();
    for group in rows.chunk_by(|a, b| a.dependent_id == b.dependent_id) {
        let Some(first) = group.first() else { continue };
        let policy = policy_at(&first.path);
        let period = policy.certification.period_months.value;
        let chosen = group
            .iter()
            .filter(|m| extends(m.certified_until, m.record_date, period))
            .max_by_key(|m| (m.record_date, std::cmp::Reverse(m.line)));
        for m in group {
            if lines.insert(m.line) {
                d.outcomes.push(Outcome::none(m.line, m.retiree_id, &m.community_code));
            }
            if chosen.is_some_and(|c| c.line == m.line) {
                continue;
            }
            let reason = if extends(m.certified_until, m.record_date, period) { "superseded" } else { "stale" };
            *d.not_applied.entry(reason.to_owned()).or_default() += 1;
        }
        if let Some(m) = chosen {
            let valid_until = certified_until(m.record_date, period);
            let resumes = support_resumes(m.support_suspended_from, m.suspension_reason, valid_until, on).then(|| {
                let from = m.support_suspended_from.unwrap_or(on);
                let month = month_of(m.record_date).max(from);
                (month, months_between(from, month), policy.back_pay_for(SuspensionReason::CertificationOverdue))
            });
            d.certifying.push(DependentCertifying { record: m.clone(), valid_until, resumes });
        }
    }
    d.matched = i64::try_from(lines.len()).unwrap_or(i64::MAX);
    d
}

/// Writes the certifications (source `feed`) and resumptions decided for dependants.
pub(crate) fn write_dependents(
    conn: &mut DbConnection,
    kind: FeedKind,
    batch_id: i64,
    operator: &str,
    decision: &DependentDecision,
) -> Result<i64, AppError> {
    use persistence::dependent_certification as dep;
    let mut resumed = 0;
    for c in &decision.certifying {
        let m = &c.record;
        let now = persistence::now_utc();
        dep::record(
            conn,
            &dep::NewDependentCertification {
                dependent_id: m.dependent_id,
                retiree_id: m.retiree_id,
                method: domain::pension::CertificationMethod::DataComparison.as_str().to_owned(),
                data_source: Some(kind.as_str().to_owned()),
                provider: Some(m.source.clone()),
                provider_reference: m.reference.clone(),
                score: None,
                certifier_name: None,
                evidence: None,
                certified_on: m.record_date,
                valid_until: c.valid_until,
                source: persistence::pension::SOURCE_FEED.to_owned(),
                source_ref: Some(batch_id),
                operator: operator.to_owned(),
                created_at: now,
            },
        )?;
        if let Some((month, months, granted)) = c.resumes {
            let months = i32::try_from(months).unwrap_or(i32::MAX);
            dep::resume(
                conn,
                &dep::NewSupportChange {
                    dependent_id: m.dependent_id,
                    retiree_id: m.retiree_id,
                    community_code: m.community_code.clone(),
                    to_status: dep::SUPPORT_PAID.to_owned(),
                    reason: SuspensionReason::CertificationOverdue.as_str().to_owned(),
                    effective_month: month,
                    months_suspended: Some(months),
                    back_pay_granted: Some(granted),
                    back_pay_months: Some(if granted { months } else { 0 }),
                    source: persistence::pension::SOURCE_FEED.to_owned(),
                    source_ref: Some(batch_id),
                    operator: operator.to_owned(),
                    created_at: now,
                },
            )?;
            resumed += 1;
        }
    }
    Ok(resumed)
}

/// Records the pension paid after a verified death (GUIDE 四; CS Art. 31): per person, the latest month paid
/// in the batch; when it is at or after the stop month the overpayment of the death report runs through it
/// (created, or extended when the batch shows later months). Returns (records applied, overpayments created or
/// extended), and counts the others in `not_applied` (`not_after_death`, `superseded`).
pub(crate) fn record_payments(
    conn: &mut DbConnection,
    matched: &[Matched],
    operator: &str,
    today: Date,
    not_applied: &mut BTreeMap<String, i64>,
    recovery_days: impl Fn(&str) -> u32,
) -> Result<(i64, i64), AppError> {
    use persistence::death as deaths;
    let mut applied = 0;
    let mut changed = 0;
    for group in matched.chunk_by(|a, b| a.retiree_id == b.retiree_id) {
        let Some(first) = group.first() else { continue };
        let report = deaths::verified_report_of(conn, first.retiree_id)?;
        let latest = group.iter().map(|m| month_of(m.record_date)).max();
        let (Some(report), Some(latest), Some(monthly)) = (report, latest, first.monthly_pension_fen) else {
            *not_applied.entry("not_after_death".to_owned()).or_default() += i64::try_from(group.len()).unwrap_or(0);
            continue;
        };
        let after: Vec<&Matched> = group.iter().filter(|m| month_of(m.record_date) >= report.stop_month).collect();
        let before = group.len() - after.len();
        if before > 0 {
            *not_applied.entry("not_after_death".to_owned()).or_default() += i64::try_from(before).unwrap_or(0);
        }
        if after.is_empty() {
            continue;
        }
        if after.len() > 1 {
            *not_applied.entry("superseded".to_owned()).or_default() += i64::try_from(after.len() - 1).unwrap_or(0);
        }
        applied += 1;
        let months = domain::death::overpaid_months(report.stop_month, latest);
        let amount = domain::death::overpayment_fen(months, monthly)
            .ok_or_else(|| AppError::internal("overpayment out of range"))?;
        let months_i = i32::try_from(months).unwrap_or(i32::MAX);
        match deaths::overpayment_of_report(conn, report.id)? {
            Some(o) if o.last_month >= latest || o.status.as_str() == deaths::VOID => {}
            Some(o) => {
                deaths::extend_overpayment(conn, o.id, latest, months_i, amount)?;
                changed += 1;
            }
            None => {
                let now = persistence::now_utc();
                let days = i64::from(recovery_days(&first.path));
                deaths::create_overpayment(
                    conn,
                    &deaths::NewOverpayment {
                        retiree_id: first.retiree_id,
                        death_report_id: report.id,
                        community_code: first.community_code.clone(),
                        first_month: report.stop_month,
                        last_month: latest,
                        months: months_i,
                        monthly_fen: monthly,
                        amount_fen: amount,
                        due_by: today.checked_add(time::Duration::days(days)).unwrap_or(Date::MAX),
                        status: deaths::OWED.to_owned(),
                        created_by: operator.to_owned(),
                        created_at: now,
                        updated_at: now,
                    },
                )?;
                changed += 1;
            }
        }
    }
    Ok((applied, changed))
}

/// Opens a death report (reporter `feed`) for every person a death record suspended who has none open, so that
/// the suspected death is verified through the death workflow (GUIDE 四): date of death from the record, the
/// record's reference as the certificate number, flagged late against the policy's working-day deadline.
pub(crate) fn report_deaths<'p, F>(
    conn: &mut DbConnection,
    decision: &Decision,
    matched: &[Matched],
    batch_id: i64,
    operator: &str,
    today: Date,
    policy_at: F,
) -> Result<i64, AppError>
where
    F: Fn(&str) -> &'p Policy,
{
    use persistence::death as deaths;
    let suspended: Vec<&Matched> = decision
        .outcomes
        .iter()
        .filter(|o| o.action == repo::ACTION_SUSPEND)
        .filter_map(|o| matched.iter().find(|m| m.line == o.line))
        .collect();
    let Some(first) = suspended.iter().map(|m| m.record_date.year()).min() else { return Ok(0) };
    let calendar = persistence::calendar::load_calendar(conn, first, today.year() + 1)?;
    let mut created = 0;
    for m in suspended {
        if deaths::open_report_exists(conn, m.retiree_id)? {
            continue;
        }
        let days = policy_at(&m.path).death.report_deadline_working_days.value;
        let certificate = m.reference.clone().unwrap_or_else(|| format!("feed {batch_id} line {}", m.line));
        crate::deaths::open_report(
            conn,
            &calendar,
            days,
            crate::deaths::ReportRecord {
                retiree_id: m.retiree_id,
                community_code: m.community_code.clone(),
                date_of_death: m.record_date,
                certificate_number: certificate.chars().take(50).collect(),
                reporter_kind: domain::death::ReporterKind::Feed,
                reporter_name: m.source.chars().take(50).collect(),
                reporter_relation: None,
                reported_on: today,
                status: domain::death::DeathReportStatus::Reported,
                note: Some(format!("feed batch {batch_id}, line {}", m.line)),
                created_by: operator.to_owned(),
            },
        )?;
        created += 1;
    }
    Ok(created)
}
