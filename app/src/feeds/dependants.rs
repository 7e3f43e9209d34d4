//! Death and imprisonment records of supported dependants (issue 19.13): a dependant who receives support is
//! treated like a retiree (XM Art. 15 last paragraph; GUIDE 二 "对供养的直系亲属视同退休人员"). A death record stops
//! their support for good (paid through the month of the death, GUIDE 五: "供养直系亲属辞世…办理终止领取待遇的
//! 手续"); an imprisonment record suspends support that has started from the month the sentence starts (CS Art.
//! 32(3)). Each is recorded as a support change with the feed as its source (batch id), emits its
//! `dependent.support_changed` event and is audited with the record's source system and reference.

use domain::pension::add_months;
use domain::support::{SupportAction, SupportEndReason, support_started};
use persistence::death as deaths;
use persistence::dependent_certification as dep;

use super::*;
use crate::dependent_support::end_by_event;

/// The dependants' death or imprisonment records of a batch, one chosen per dependant.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DependantEvents {
    /// One `none` outcome per matched line, so that the line counts as matched.
    pub outcomes: Vec<Outcome>,
    /// The record that acts, per dependant: the earliest (the death; the start of the sentence).
    pub chosen: Vec<MatchedDependent>,
    /// The other records of the same dependant: `superseded`.
    pub not_applied: BTreeMap<String, i64>,
    /// Distinct lines matched.
    pub matched: i64,
}

/// Chooses, per dependant (`rows` sorted by dependant, then line), the earliest record; the others are
/// `superseded`.
pub fn choose_dependant_records(rows: &[MatchedDependent]) -> DependantEvents {
    let mut d = DependantEvents::default();
    let mut lines = std::collections::BTreeSet::new();
    for group in rows.chunk_by(|a, b| a.dependent_id == b.dependent_id) {
        let Some(chosen) = group.iter().min_by_key(|m| (m.record_date, m.line)) else { continue };
        for m in group {
            if lines.insert(m.line) {
                d.outcomes.push(Outcome::none(m.line, m.retiree_id, &m.community_code));
            }
            if m.line != chosen.line {
                *d.not_applied.entry("superseded".to_owned()).or_default() += 1;
            }
        }
        d.chosen.push(chosen.clone());
    }
    d.matched = i64::try_from(lines.len()).unwrap_or(i64::MAX);
    d
}

/// What the dependants' records did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DependantCounts {
    /// Support stopped (death records).
    pub stopped: i64,
    /// Support suspended (imprisonment records).
    pub suspended: i64,
    /// Records not applied, by reason (`already_suspended`, `support_not_started`).
    pub not_applied: BTreeMap<String, i64>,
}

/// Writes what the chosen records of a batch of `kind` (death or imprisonment) do to the dependants' support,
/// judged on `today`: a death stops it (the open application ends, reason `died`; the dependant is no longer
/// supported; a change `stopped` from the month after the death); an imprisonment suspends support that has
/// started ([`support_started`]) from the month of the record (a change `suspended`, reason `imprisoned`),
/// support not started yet is left (`support_not_started`), as is support suspended already.
pub(crate) fn write_dependant_events(
    conn: &mut DbConnection,
    kind: FeedKind,
    batch_id: i64,
    caller: &Caller,
    today: Date,
    events: &DependantEvents,
) -> Result<DependantCounts, AppError> {
    let mut counts = DependantCounts::default();
    for m in &events.chosen {
        let open = deaths::open_support_of_dependent(conn, m.dependent_id)?;
        let change = |to_status: &str, reason: SuspensionReason, effective_month: Date| dep::NewSupportChange {
            dependent_id: m.dependent_id,
            retiree_id: m.retiree_id,
            community_code: m.community_code.clone(),
            to_status: to_status.to_owned(),
            reason: reason.as_str().to_owned(),
            effective_month,
            months_suspended: None,
            back_pay_granted: None,
            back_pay_months: None,
            source: persistence::pension::SOURCE_FEED.to_owned(),
            source_ref: Some(batch_id),
            operator: caller.login.clone(),
            created_at: persistence::now_utc(),
        };
        let (action, recorded, application) = match kind {
            FeedKind::Death => {
                let ended = match &open {
                    Some(a) => {
                        let action =
                            SupportAction::DependantDied { died_on: m.record_date, support_from: a.support_from };
                        Some(end_by_event(conn, a, action, SupportEndReason::Died)?)
                    }
                    None => None,
                };
                let first_month_without = add_months(month_of(m.record_date), 1).unwrap_or(Date::MAX);
                let c = dep::stop(
                    conn,
                    &change(dep::SUPPORT_STOPPED, SuspensionReason::SuspectedDeath, first_month_without),
                )?;
                counts.stopped += 1;
                ("dependent.support.stop", c, ended)
            }
            FeedKind::Imprisonment => {
                if !open.as_ref().is_some_and(|a| support_started(a.status, a.support_from, today)) {
                    *counts.not_applied.entry("support_not_started".to_owned()).or_default() += 1;
                    continue;
                }
                let new = change(dep::SUPPORT_SUSPENDED, SuspensionReason::Imprisoned, month_of(m.record_date));
                let Some(c) = dep::suspend(conn, &new)? else {
                    *counts.not_applied.entry("already_suspended".to_owned()).or_default() += 1;
                    continue;
                };
                counts.suspended += 1;
                ("dependent.support.suspend", c, open)
            }
            _ => continue,
        };
        let mut entry = caller.audit(action, "dependent", m.dependent_id, &m.path);
        entry.retiree_id = Some(m.retiree_id);
        entry.detail = Some(
            serde_json::json!({"change_id": recorded.id, "to_status": recorded.to_status,
                "reason": recorded.reason.as_str(), "effective_month": crate::input::month_text(recorded.effective_month),
                "feed": kind.as_str(), "feed_batch_id": batch_id, "record_date": m.record_date.to_string(),
                "record_source": m.source, "record_reference": m.reference,
                "application_id": application.as_ref().map(|a| a.id),
                "support_until": application.as_ref().and_then(|a| a.support_until).map(crate::input::month_text)})
            .to_string(),
        );
        persistence::audit::append(conn, &entry)?;
    }
    Ok(counts)
}
