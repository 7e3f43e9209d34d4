//! Feeds from the data platform (信息比对, issue 5): records of medical visits, insurance use and travel certify a
//! person by data comparison (XM Art. 15(1), CS Art. 27); death records suspend the pension pending verification
//! and imprisonment records suspend it for that reason (CS Art. 32). The records of supported dependants act on
//! their support alike ([`dependants`], issue 19.13).
//!
//! A batch is all or nothing: every line is checked first, and one malformed line refuses the whole batch (422
//! with every line's errors, nothing written), so that a corrected batch can be sent again under the same batch
//! id. The records are staged in a temporary table, matched to the retirees of the caller's subtree with one
//! join, decided here with the domain rules ([`decide`]) and written back set-based
//! ([`persistence::feeds::apply`]). The batch id makes a batch idempotent: the same content again answers the
//! stored answer, other content under the same id is 422 `batch_id_reused`.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

use domain::pension::{
    PensionState, Transition, add_months, back_pay, certification_resumes, certified_until, extends, month_of,
    months_between, support_resumes, transition,
};
use domain::policy::{Policy, SuspensionReason};
use domain::{ErrorCode, RuleViolation};
use persistence::DbConnection;
use persistence::feeds::{self as repo, FeedBatch, Matched, MatchedDependent, Outcome, StagedRecord};
use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};
use utoipa::ToSchema;

use crate::caller::Caller;
use crate::error::{AppError, FieldError};

pub mod batches;
mod decide;
mod dependants;
mod read;
// Special-group ledger feeds: hardship list, hospital records (issue 27, ledgers).
pub mod ledgers;

pub(crate) use decide::*;
pub(crate) use dependants::*;
pub(crate) use read::*;

/// Media types a feed may be sent as.
pub const CONTENT_TYPES: [&str; 3] = ["application/x-ndjson", "text/csv", "application/csv"];

/// Largest feed body: a feed is answered when done, so batches stay small enough to answer in one request
/// (64 MiB, about 500,000 records); `IMPORT_BODY_LIMIT_BYTES` lowers it further.
pub const MAX_BODY_BYTES: usize = 64 << 20;

/// Longest source system name and source record id.
pub const MAX_TEXT: usize = 100;

/// Longest batch id.
pub const MAX_BATCH_ID: usize = 100;

/// At most this many unmatched and rejected lines each are listed in the answer (all are stored:
/// `GET /feeds/{kind}/batches/{id}/unmatched`), and at most this many line errors in a 422.
pub const MAX_LISTED: i64 = 1000;

/// What a feed's records are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FeedKind {
    /// Medical visits 就医记录: certify by data comparison.
    MedicalVisit,
    /// Use of medical insurance 医保使用记录: certify by data comparison.
    InsuranceUse,
    /// Travel 出行记录: certify by data comparison.
    Travel,
    /// Deaths 死亡记录: suspend pending verification (`suspected_death`).
    Death,
    /// Sentences served 服刑记录: suspend (`imprisoned`).
    Imprisonment,
    /// Pension payments 养老金发放记录: the record's date falls in a month the pension was paid; for a person whose
    /// death is verified, the months paid from the stop month on are an overpayment (GUIDE 四).
    PensionPayment,
}

impl FeedKind {
    /// Every kind.
    pub const ALL: [FeedKind; 6] = [
        FeedKind::MedicalVisit,
        FeedKind::InsuranceUse,
        FeedKind::Travel,
        FeedKind::Death,
        FeedKind::Imprisonment,
        FeedKind::PensionPayment,
    ];

    /// The code in the path.
    pub fn as_str(self) -> &'static str {
        match self {
            FeedKind::MedicalVisit => "medical_visit",
            FeedKind::InsuranceUse => "insurance_use",
            FeedKind::Travel => "travel",
            FeedKind::Death => "death",
            FeedKind::Imprisonment => "imprisonment",
            FeedKind::PensionPayment => "pension_payment",
        }
    }

    /// Parses a code.
    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == code)
    }

    /// Whether a record certifies the person (the data-comparison kinds; their code is the `data_source`).
    pub fn certifies(self) -> bool {
        matches!(self, FeedKind::MedicalVisit | FeedKind::InsuranceUse | FeedKind::Travel)
    }

    /// The suspension a record causes, for death and imprisonment.
    pub fn suspends(self) -> Option<SuspensionReason> {
        match self {
            FeedKind::Death => Some(SuspensionReason::SuspectedDeath),
            FeedKind::Imprisonment => Some(SuspensionReason::Imprisoned),
            _ => None,
        }
    }
}

/// One line of a batch, in an answer: its line, the resident ID masked, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct FeedLine {
    /// Line in the body (the CSV header is line 1).
    #[schema(example = 3)]
    pub line: i64,
    /// Resident ID, masked.
    #[schema(example = "350203********0016")]
    pub id_number: String,
    /// `not_found` (no such person in the caller's subtree) or `date_in_future` (refused: dated after the day
    /// the batch arrived).
    #[schema(example = "not_found")]
    pub reason: String,
}

/// Links of a batch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct FeedLinks {
    /// This batch.
    #[schema(example = "/api/v1/feeds/medical_visit/batches/12")]
    pub batch: String,
    /// Every unmatched and rejected line (paged).
    #[schema(example = "/api/v1/feeds/medical_visit/batches/12/unmatched")]
    pub unmatched: String,
}

/// What a batch did. `records = matched + unmatched + rejected`; `applied` of the matched records changed a
/// person, and `not_applied` says why the others did not.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"id": 12, "kind": "medical_visit", "batch_id": "his-20260715-001", "records": 4,
    "matched": 3, "applied": 2, "unmatched": 1, "rejected": 0, "certified": 2, "resumed": 1, "suspended": 0,
    "dependents_certified": 0, "dependents_resumed": 0, "dependents_stopped": 0, "dependents_suspended": 0, "death_reports": 0, "overpayments": 0, "not_applied": {"stale": 1}, "unmatched_items": [{"line": 4, "id_number": "350203********0016", "reason": "not_found"}],
    "rejected_items": [], "items_truncated": false, "submitted_by": "platform", "received_at": "2026-07-16T01:00:00Z",
    "links": {"batch": "/api/v1/feeds/medical_visit/batches/12", "unmatched": "/api/v1/feeds/medical_visit/batches/12/unmatched"}}))]
pub struct FeedAnswer {
    /// Id of the stored batch.
    pub id: i64,
    /// Kind of records.
    pub kind: FeedKind,
    /// The sender's batch id.
    pub batch_id: String,
    /// Records read.
    pub records: i64,
    /// Records matched to a person in the caller's subtree.
    pub matched: i64,
    /// Matched records that changed a person (at most one per person).
    pub applied: i64,
    /// Records of nobody registered in the caller's subtree (`not_found`).
    pub unmatched: i64,
    /// Records refused before matching (`date_in_future`).
    pub rejected: i64,
    /// Certifications recorded (certifying kinds).
    pub certified: i64,
    /// Pensions resumed (certifying kinds: those suspended for an overdue certification).
    pub resumed: i64,
    /// Pensions suspended (death, imprisonment).
    pub suspended: i64,
    /// Of `certified`, the supported dependants certified (they are certified like retirees: XM Art. 15 last
    /// paragraph); of `resumed`, their support resumed (`dependents_resumed`).
    pub dependents_certified: i64,
    /// Supported dependants whose support, suspended for an overdue certification, resumed.
    pub dependents_resumed: i64,
    /// Supported dependants whose support a death record stopped (issue 19.13): paid through the month of the
    /// death, no longer supported.
    pub dependents_stopped: i64,
    /// Of `suspended`, the supported dependants whose support (started) an imprisonment record suspended.
    pub dependents_suspended: i64,
    /// Death reports opened for verification (death records of people with none open; reporter `feed`).
    pub death_reports: i64,
    /// Overpayments created or extended by pension-payment records after a verified death.
    pub overpayments: i64,
    /// Matched records not applied, by reason: `stale` (not newer than the certification on file),
    /// `superseded` (another record of the same person in the batch was applied), `already_suspended`,
    /// `pension_stopped`, `pension_transferred_out`, `support_not_started` (an imprisonment record of a
    /// dependant whose support has not started: nothing to suspend).
    #[schema(example = json!({"stale": 1}))]
    pub not_applied: BTreeMap<String, i64>,
    /// The unmatched records, by line (at most 1000; all of them: `links.unmatched`).
    pub unmatched_items: Vec<FeedLine>,
    /// The rejected records, by line (at most 1000).
    pub rejected_items: Vec<FeedLine>,
    /// Whether either list was cut at 1000.
    pub items_truncated: bool,
    /// Login of the sender.
    pub submitted_by: String,
    /// When the batch arrived.
    #[serde(with = "time::serde::rfc3339")]
    pub received_at: OffsetDateTime,
    /// Links.
    pub links: FeedLinks,
}

/// The links of batch `id`.
pub fn links(kind: FeedKind, id: i64) -> FeedLinks {
    let batch = format!("/api/v1/feeds/{}/batches/{id}", kind.as_str());
    FeedLinks { unmatched: format!("{batch}/unmatched"), batch }
}

// ---------------------------------------------------------------------------------------------------------------
// Submitting

/// A batch as received.
pub struct Submission {
    /// Kind.
    pub kind: FeedKind,
    /// The sender's batch id.
    pub batch_id: String,
    /// SHA-256 of the body as received, hex ([`sha256_of`]): the same batch id with another body is refused.
    pub sha256: String,
    /// Whether the body is NDJSON (else CSV).
    pub ndjson: bool,
    /// The body on disk.
    pub raw: PathBuf,
    /// Its temporary directory.
    pub dir: PathBuf,
    /// Who sent it.
    pub caller: Caller,
    /// Today in China.
    pub today: Date,
    /// The most bytes the body may unpack to (gzip).
    pub unpacked_limit: u64,
}

/// SHA-256 (hex) of a file, read in 64 KiB blocks.
pub fn sha256_of(path: &Path) -> Result<String, AppError> {
    use sha2::{Digest, Sha256};
    use std::io::Read as _;
    let mut file = File::open(path).map_err(AppError::internal)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = file.read(&mut buf).map_err(AppError::internal)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hasher.finalize().iter().map(|b| format!("{b:02x}")).collect())
}

/// The answer to a submission.
#[derive(Debug)]
pub enum Submitted {
    /// A new batch: its id and answer.
    Created(i64, String),
    /// The same batch again: the stored answer.
    Replayed(i64, String),
}

/// The stored answer for the same content from a caller who may see the batch; otherwise 422
/// `batch_id_reused`.
fn replay(batch: FeedBatch, s: &Submission) -> Result<Submitted, AppError> {
    if batch.content_sha256 == s.sha256 && s.caller.sees(&batch.scope_path) {
        Ok(Submitted::Replayed(batch.id, batch.summary))
    } else {
        Err(AppError::field(FieldError::with(
            "batch_id",
            ErrorCode::BatchIdReused,
            "该批次号已用于另一批数据",
            "this batch_id was used for a different batch",
        )))
    }
}

/// Processes a batch: a replay answers the stored answer; a new batch is read and checked whole, staged, and
/// in one write transaction matched, decided and written with its answer and one audit entry.
pub fn submit(conn: &mut DbConnection, s: &Submission) -> Result<Submitted, AppError> {
    if let Some(batch) = repo::find_batch(conn, s.kind.as_str(), &s.batch_id)? {
        return replay(batch, s);
    }
    let text = s.dir.join("normalised");
    crate::files::normalise(&s.raw, &text, s.unpacked_limit)?;
    repo::begin(conn)?;
    let result = stage_and_write(conn, s, &text);
    let cleanup = repo::end(conn);
    let submitted = result?;
    cleanup?;
    Ok(submitted)
}

fn stage_and_write(conn: &mut DbConnection, s: &Submission, text: &Path) -> Result<Submitted, AppError> {
    let file = BufReader::new(File::open(text).map_err(AppError::internal)?);
    let read = read_body(file, s.ndjson, s.today, &mut |rows| Ok(repo::stage(conn, rows)?))?;
    if read.error_count > 0 {
        let mut error = AppError::validation_at(read.errors);
        if read.error_count > MAX_LISTED as u64 {
            error = error.with_detail(
                format!("{}处数据未通过校验，列出前{MAX_LISTED}处；整批未写入", read.error_count),
                format!("{} errors, the first {MAX_LISTED} listed; nothing of the batch was written", read.error_count),
            );
        }
        return Err(error);
    }
    persistence::write_tx(conn, |conn| write(conn, s, &read))
}

/// Reads a normalised body with [`read`]: as NDJSON when the request says so or the body starts with `{`.
pub(crate) fn read_body<R: BufRead>(
    mut text: R,
    ndjson: bool,
    today: Date,
    sink: &mut dyn FnMut(&[StagedRecord]) -> Result<(), AppError>,
) -> Result<Read, AppError> {
    let start = text.fill_buf().map_err(AppError::internal)?;
    let ndjson = ndjson || looks_like_ndjson(&start[..start.len().min(8)]);
    read(text, ndjson, today, sink)
}

/// Whether the first bytes of a body, past white space and a byte order mark, are `{`.
fn looks_like_ndjson(first: &[u8]) -> bool {
    first.iter().find(|b| !b.is_ascii_whitespace() && ![0xEF, 0xBB, 0xBF].contains(*b)) == Some(&b'{')
}

fn write(conn: &mut DbConnection, s: &Submission, read: &Read) -> Result<Submitted, AppError> {
    persistence::pension::lock_bulk_status_work(conn)?;
    // A batch sent twice at once: the second waited for the first and answers what it stored.
    if let Some(batch) = repo::find_batch(conn, s.kind.as_str(), &s.batch_id)? {
        return replay(batch, s);
    }
    let c = &s.caller;
    let matched = repo::matched(conn, &c.scope_path)?;
    let book = crate::policy_book::PolicyBook::load(conn, s.today)?;
    let decision = decide(s.kind, &matched, |path| book.at(path));
    repo::stage_outcomes(conn, &decision.outcomes)?;
    // Supported dependants are certified like retirees (XM Art. 15 last paragraph), by the lines left over.
    // Their death and imprisonment records act on their support (issue 19.13).
    let acts_on_dependants = s.kind.certifies() || s.kind.suspends().is_some();
    let dependants = if acts_on_dependants { repo::matched_dependents(conn, &c.scope_path)? } else { Vec::new() };
    let (certifying, events) = if s.kind.certifies() { (&dependants[..], &[][..]) } else { (&[][..], &dependants[..]) };
    let dep = decide_dependents(certifying, s.today, |path| book.at(path));
    repo::stage_outcomes(conn, &dep.outcomes)?;
    let events = choose_dependant_records(events);
    repo::stage_outcomes(conn, &events.outcomes)?;
    let dependents_certified = i64::try_from(dep.certifying.len()).unwrap_or(i64::MAX);
    let mut not_applied = decision.not_applied.clone();
    for (reason, n) in &dep.not_applied {
        *not_applied.entry(reason.clone()).or_default() += n;
    }
    let now = persistence::now_utc();
    for (reason, n) in &events.not_applied {
        *not_applied.entry(reason.clone()).or_default() += n;
    }
    let matched_count = i64::try_from(matched.len()).unwrap_or(i64::MAX) + dep.matched + events.matched;
    let id = repo::create_batch(
        conn,
        &repo::NewFeedBatch {
            kind: s.kind.as_str().to_owned(),
            batch_id: s.batch_id.clone(),
            actor: c.login.clone(),
            scope_path: c.scope_path.clone(),
            content_sha256: s.sha256.clone(),
            records: read.records,
            matched: matched_count,
            applied: decision.applied() + dependents_certified,
            unmatched: 0,
            summary: "{}".to_owned(),
            received_at: now,
        },
    )?;
    let applied = repo::apply(conn, repo::BatchRef { id, kind: s.kind.as_str(), operator: &c.login, now })?;
    if applied.persons as i64 != decision.applied() {
        return Err(AppError::internal(format!(
            "feed batch {id}: {} persons updated, {} decided",
            applied.persons,
            decision.applied()
        )));
    }
    let dependents_resumed = write_dependents(conn, s.kind, id, &c.login, &dep)?;
    let acted = write_dependant_events(conn, s.kind, id, c, s.today, &events)?;
    for (reason, n) in &acted.not_applied {
        *not_applied.entry(reason.clone()).or_default() += n;
    }
    let (dependents_stopped, dependents_suspended) = (acted.stopped, acted.suspended);
    let mut not_applied_payments = BTreeMap::new();
    let (payments_applied, overpayments) = if s.kind == FeedKind::PensionPayment {
        record_payments(conn, &matched, &c.login, s.today, &mut not_applied_payments, |path| {
            book.at(path).death.recovery_deadline_days.value
        })?
    } else {
        (0, 0)
    };
    for (reason, n) in not_applied_payments {
        *not_applied.entry(reason).or_default() += n;
    }
    let death_reports = if s.kind == FeedKind::Death {
        report_deaths(conn, &decision, &matched, id, &c.login, s.today, |path| book.at(path))?
    } else {
        0
    };
    let counts = repo::record_unmatched(conn, id)?;
    let count = |reason: &str| counts.iter().find(|(r, _)| r == reason).map_or(0, |(_, n)| *n);
    let (unmatched, rejected) = (count(repo::NOT_FOUND), count(repo::DATE_IN_FUTURE));
    let listed = |conn: &mut DbConnection, reason: &str| -> Result<Vec<FeedLine>, AppError> {
        Ok(repo::unmatched_lines(conn, id, Some(reason), None, MAX_LISTED)?
            .into_iter()
            .map(|u| FeedLine { line: u.line, id_number: u.id_number, reason: u.reason })
            .collect())
    };
    let unmatched_items = listed(conn, repo::NOT_FOUND)?;
    let rejected_items = listed(conn, repo::DATE_IN_FUTURE)?;
    let answer = FeedAnswer {
        id,
        kind: s.kind,
        batch_id: s.batch_id.clone(),
        records: read.records,
        matched: matched_count,
        applied: decision.applied()
            + dependents_certified
            + payments_applied
            + dependents_stopped
            + dependents_suspended,
        unmatched,
        rejected,
        certified: decision.certified + dependents_certified,
        resumed: decision.resumed + dependents_resumed,
        suspended: decision.suspended + dependents_suspended,
        dependents_certified,
        dependents_resumed,
        dependents_stopped,
        dependents_suspended,
        death_reports,
        overpayments,
        not_applied,
        items_truncated: unmatched > MAX_LISTED || rejected > MAX_LISTED,
        unmatched_items,
        rejected_items,
        submitted_by: c.login.clone(),
        received_at: now.assume_utc(),
        links: links(s.kind, id),
    };
    let summary = serde_json::to_string(&answer).map_err(AppError::internal)?;
    repo::finish_batch(conn, id, unmatched, answer.applied, &summary)?;
    let mut entry = c.audit(&format!("feed.{}", s.kind.as_str()), "feed_batch", id, &c.scope_path);
    entry.detail = Some(
        serde_json::json!({"batch_id": s.batch_id, "records": answer.records, "matched": answer.matched,
            "applied": answer.applied, "unmatched": answer.unmatched, "rejected": answer.rejected,
            "certified": answer.certified, "resumed": answer.resumed, "suspended": answer.suspended,
            "dependents_certified": dependents_certified, "dependents_resumed": dependents_resumed,
            "dependents_stopped": dependents_stopped, "dependents_suspended": dependents_suspended,
            "death_reports": death_reports, "overpayments": overpayments,
            "not_applied": answer.not_applied, "sha256": s.sha256})
        .to_string(),
    );
    persistence::audit::append(conn, &entry)?;
    Ok(Submitted::Created(id, summary))
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::policy::presets;
    use time::macros::date;

    fn person(line: i64, id: i64, date: Date, status: &str, reason: Option<&str>) -> Matched {
        Matched {
            line,
            record_date: date,
            source: "HIS".into(),
            reference: Some(format!("R{line}")),
            retiree_id: id,
            community_code: "350203001001".into(),
            path: "/3502/".into(),
            pension_status: status.into(),
            suspension_reason: reason.map(Into::into),
            suspended_from: reason.map(|_| date!(2026 - 03 - 01)),
            certified_until: date!(2026 - 02 - 28),
            monthly_pension_fen: Some(350_000),
        }
    }

    #[test]
    fn a_visit_resumes_an_overdue_suspension_with_back_pay() {
        // CS Art. 32(1): suspended from March for an overdue certification, a medical visit in July (XM Art.
        // 15(1), CS Art. 27) certifies and resumes: March to June paid back.
        let p = presets::defaults();
        let rows = [person(1, 7, date!(2026 - 07 - 15), "suspended", Some("certification_overdue"))];
        let d = decide(FeedKind::MedicalVisit, &rows, |_| &p);
        assert_eq!((d.certified, d.resumed, d.applied()), (1, 1, 1));
        let o = &d.outcomes[0];
        assert_eq!(o.action, repo::ACTION_RESUME);
        assert_eq!(o.effective_month, Some(date!(2026 - 07 - 01)));
        assert_eq!((o.back_pay_months, o.back_pay_fen), (Some(4), Some(1_400_000)));
        assert_eq!(o.valid_until, Some(date!(2027 - 07 - 15)));
    }

    #[test]
    fn the_latest_record_of_a_person_certifies_and_old_ones_are_stale() {
        let p = presets::defaults();
        let rows = [
            person(1, 7, date!(2026 - 05 - 01), "normal", None),
            person(2, 7, date!(2026 - 06 - 01), "normal", None),
            person(3, 8, date!(2024 - 01 - 01), "normal", None),
            person(4, 9, date!(2026 - 06 - 01), "stopped", None),
        ];
        let d = decide(FeedKind::Travel, &rows, |_| &p);
        assert_eq!(d.certified, 1);
        assert_eq!(d.outcomes[1].action, repo::ACTION_CERTIFY);
        assert_eq!(d.outcomes[1].note, None);
        let expected: BTreeMap<String, i64> =
            [("pension_stopped", 1), ("stale", 1), ("superseded", 1)].map(|(k, v)| (k.to_owned(), v)).into();
        assert_eq!(d.not_applied, expected);
    }

    #[test]
    fn death_suspends_from_the_month_after() {
        // CS Art. 32; domain brief §7: the pension stops from the month after death.
        let p = presets::defaults();
        let rows = [
            person(1, 7, date!(2026 - 05 - 31), "normal", None),
            person(2, 8, date!(2026 - 05 - 31), "suspended", Some("imprisoned")),
        ];
        let d = decide(FeedKind::Death, &rows, |_| &p);
        assert_eq!(d.suspended, 1);
        assert_eq!(d.outcomes[0].suspended_from, Some(date!(2026 - 06 - 01)));
        assert_eq!(d.outcomes[0].change_reason.as_deref(), Some("suspected_death"));
        assert_eq!(d.not_applied.get("already_suspended"), Some(&1));
        // CS Art. 32(3): imprisonment from the month the sentence starts.
        let d = decide(FeedKind::Imprisonment, &rows[..1], |_| &p);
        assert_eq!(d.outcomes[0].suspended_from, Some(date!(2026 - 05 - 01)));
    }

    #[test]
    fn lines_are_checked() {
        let today = date!(2026 - 07 - 20);
        let fields = |id: &str, date: &str, source: &str| Fields {
            id_number: Some(id.into()),
            date: Some(date.into()),
            source: Some(source.into()),
            reference: None,
        };
        let ok = check(2, fields("350203195501010016", "2026-07-21", "HIS"), today).unwrap();
        assert_eq!(ok.rejection.as_deref(), Some(repo::DATE_IN_FUTURE));
        assert_eq!(ok.masked, "350203********0016");
        let bad = check(3, fields("350203195501010017", "2026-02-30", &"x".repeat(101)), today).unwrap_err();
        let codes: Vec<_> = bad.iter().map(|e| (e.field.as_str(), e.code.as_str())).collect();
        assert_eq!(codes, [("id_number", "id_number_checksum"), ("date", "invalid_date"), ("source", "length")]);
        assert_eq!(column_of("\u{feff}公民身份号码"), Some("id_number"));
        assert_eq!(column_of(" Source "), Some("source"));
        assert!(ndjson_fields(r#"{"id_number": 1}"#).is_err());
        assert!(ndjson_fields(r#"{"id_number": "1", "extra": "x"}"#).is_err());
        assert!(ndjson_fields(r#"{"id_number": "1", "reference": null}"#).is_ok());
    }
}
