//! Feeds from the data platform (信息比对, issue 5): records of medical visits, insurance use and travel certify a
//! person by data comparison (XM Art. 15(1), CS Art. 27); death records suspend the pension pending verification
//! and imprisonment records suspend it for that reason (CS Art. 32).
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

use domain::RuleViolation;
use domain::pension::{
    PensionState, Transition, add_months, back_pay, certification_resumes, certified_until, extends, month_of,
    months_between, support_resumes, transition,
};
use domain::policy::{Policy, SuspensionReason};
use persistence::DbConnection;
use persistence::feeds::{self as repo, FeedBatch, Matched, MatchedDependent, Outcome, StagedRecord};
use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};
use utoipa::ToSchema;

use crate::auth::Caller;
use crate::error::{ApiError, FieldError};

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
    "dependents_certified": 0, "dependents_resumed": 0, "death_reports": 0, "overpayments": 0, "not_applied": {"stale": 1}, "unmatched_items": [{"line": 4, "id_number": "350203********0016", "reason": "not_found"}],
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
    /// Death reports opened for verification (death records of people with none open; reporter `feed`).
    pub death_reports: i64,
    /// Overpayments created or extended by pension-payment records after a verified death.
    pub overpayments: i64,
    /// Matched records not applied, by reason: `stale` (not newer than the certification on file),
    /// `superseded` (another record of the same person in the batch was applied), `already_suspended`,
    /// `pension_stopped`, `pension_transferred_out`.
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
// Reading and checking the lines

/// The fields of one line as sent.
#[derive(Debug, Default)]
struct Fields {
    id_number: Option<String>,
    date: Option<String>,
    source: Option<String>,
    reference: Option<String>,
}

const FIELDS: [&str; 4] = ["id_number", "date", "source", "reference"];

/// Chinese headers accepted for each CSV column.
const ALIASES: [(&str, &[&str]); 4] = [
    ("id_number", &["公民身份号码", "身份证号码", "身份证号"]),
    ("date", &["日期", "记录日期", "发生日期"]),
    ("source", &["来源", "数据来源", "来源系统"]),
    ("reference", &["编号", "记录编号", "来源编号"]),
];

/// The column a CSV header names (English case-insensitively, or a Chinese alias).
fn column_of(header: &str) -> Option<&'static str> {
    let h = header.trim().trim_start_matches('\u{feff}').trim();
    let lower = h.to_ascii_lowercase();
    FIELDS
        .iter()
        .copied()
        .find(|c| *c == lower)
        .or_else(|| ALIASES.iter().find(|(_, names)| names.contains(&h)).map(|(c, _)| *c))
}

impl Fields {
    fn set(&mut self, column: &str, value: Option<String>) {
        let value = value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
        match column {
            "id_number" => self.id_number = value,
            "date" => self.date = value,
            "source" => self.source = value,
            _ => self.reference = value,
        }
    }
}

fn required(field: &str) -> FieldError {
    FieldError::new(field, "required", "必填字段缺失", format!("{field} is required"))
}

fn check_text(field: &str, value: &str, errors: &mut Vec<FieldError>) {
    if value.chars().count() > MAX_TEXT {
        errors.push(FieldError::new(
            field,
            "length",
            format!("最多{MAX_TEXT}个字符"),
            format!("must be at most {MAX_TEXT} characters"),
        ));
    } else if value.chars().any(char::is_control) {
        errors.push(FieldError::new(
            field,
            "control_characters",
            "不能包含控制字符",
            "must not contain control characters",
        ));
    }
}

/// Checks one line's fields; the record to stage, or the broken rules. A date after `today` is no error: the
/// record is staged refused (`date_in_future`) and reported per line.
fn check(line: u64, fields: Fields, today: Date) -> Result<StagedRecord, Vec<FieldError>> {
    let mut errors = Vec::new();
    let id = match fields.id_number.as_deref() {
        None => {
            errors.push(required("id_number"));
            None
        }
        Some(text) => match domain::IdNumber::parse(text, today) {
            Ok(id) => Some(id),
            Err(e) => {
                errors.push(FieldError::rule("id_number", &e));
                None
            }
        },
    };
    let date = match fields.date.as_deref() {
        None => {
            errors.push(required("date"));
            None
        }
        Some(text) => crate::extract::parse_date("date", text).map_err(|e| errors.push(e)).ok(),
    };
    match fields.source.as_deref() {
        None => errors.push(required("source")),
        Some(text) => check_text("source", text, &mut errors),
    }
    if let Some(text) = fields.reference.as_deref() {
        check_text("reference", text, &mut errors);
    }
    match (id, date, fields.source) {
        (Some(id), Some(date), Some(source)) if errors.is_empty() => Ok(StagedRecord {
            line: i64::try_from(line).unwrap_or(i64::MAX),
            masked: domain::mask::id_number(id.as_str()),
            id_number: id.as_str().to_owned(),
            record_date: date,
            source,
            reference: fields.reference,
            rejection: (date > today).then(|| repo::DATE_IN_FUTURE.to_owned()),
        }),
        _ => Err(errors),
    }
}

/// What reading a body found.
#[derive(Debug, Default)]
pub struct Read {
    /// Records read (blank lines do not count).
    pub records: i64,
    /// Records refused before matching.
    pub rejected: i64,
    /// Line errors (at most [`MAX_LISTED`]).
    pub errors: Vec<(FieldError, Option<u64>)>,
    /// Every line error, listed or not.
    pub error_count: u64,
}

impl Read {
    fn error(&mut self, line: u64, error: FieldError) {
        self.error_count += 1;
        if (self.errors.len() as i64) < MAX_LISTED {
            self.errors.push((error, Some(line)));
        }
    }
}

/// Reads a UTF-8 body (normalised) as NDJSON or CSV, checking every line and handing the good records to
/// `sink` in batches of 5,000 while no line has failed.
pub(crate) fn read<R: BufRead>(
    mut text: R,
    ndjson: bool,
    today: Date,
    sink: &mut dyn FnMut(&[StagedRecord]) -> Result<(), ApiError>,
) -> Result<Read, ApiError> {
    let mut read = Read::default();
    let mut batch: Vec<StagedRecord> = Vec::with_capacity(5000);
    let mut take =
        |read: &mut Read, line: u64, fields: Fields, batch: &mut Vec<StagedRecord>| -> Result<(), ApiError> {
            read.records += 1;
            match check(line, fields, today) {
                Ok(record) => {
                    if record.rejection.is_some() {
                        read.rejected += 1;
                    }
                    if read.error_count == 0 {
                        batch.push(record);
                        if batch.len() >= 5000 {
                            sink(batch)?;
                            batch.clear();
                        }
                    }
                }
                Err(errors) => {
                    for e in errors {
                        read.error(line, e);
                    }
                }
            }
            Ok(())
        };
    if ndjson {
        let reader = &mut text;
        let mut buf = Vec::new();
        let mut line = 0u64;
        loop {
            buf.clear();
            if reader.read_until(b'\n', &mut buf).map_err(ApiError::internal)? == 0 {
                break;
            }
            line += 1;
            let text = String::from_utf8_lossy(&buf);
            let text = text.trim_start_matches('\u{feff}').trim();
            if text.is_empty() {
                continue;
            }
            match ndjson_fields(text) {
                Ok(fields) => take(&mut read, line, fields, &mut batch)?,
                Err(errors) => {
                    read.records += 1;
                    for e in errors {
                        read.error(line, e);
                    }
                }
            }
        }
    } else {
        let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(text);
        let mut record = csv::StringRecord::new();
        let mut header: Option<Vec<Option<&'static str>>> = None;
        loop {
            let line = reader.position().line();
            match reader.read_record(&mut record) {
                Ok(false) => break,
                Ok(true) => {}
                Err(e) => {
                    let e = FieldError::new(
                        "row",
                        "malformed_row",
                        format!("该行无法解析：{e}"),
                        format!("the row cannot be parsed: {e}"),
                    );
                    if header.is_none() {
                        return Err(ApiError::validation_at(vec![(e, Some(line))]));
                    }
                    read.records += 1;
                    read.error(line, e);
                    continue;
                }
            }
            if record.iter().all(|c| c.trim().is_empty()) {
                continue;
            }
            let line = record.position().map_or(line, csv::Position::line);
            let Some(columns) = &header else {
                header = Some(csv_header(&record, line)?);
                continue;
            };
            if record.len() != columns.len() {
                read.records += 1;
                read.error(
                    line,
                    FieldError::new(
                        "row",
                        "column_count",
                        format!("该行有{}列，表头有{}列", record.len(), columns.len()),
                        format!("the row has {} cells, the header {}", record.len(), columns.len()),
                    ),
                );
                continue;
            }
            let mut fields = Fields::default();
            for (column, cell) in columns.iter().zip(record.iter()) {
                if let Some(column) = column {
                    fields.set(column, Some(cell.to_owned()));
                }
            }
            take(&mut read, line, fields, &mut batch)?;
        }
        if header.is_none() {
            return Err(ApiError::field(FieldError::new(
                "header",
                "missing_header",
                "CSV 缺少表头行（id_number,date,source,reference）",
                "the CSV has no header row (id_number,date,source,reference)",
            )));
        }
    }
    if read.error_count == 0 && !batch.is_empty() {
        sink(&batch)?;
    }
    Ok(read)
}

/// The columns of a CSV header, or 422 naming unknown, repeated and missing columns.
fn csv_header(record: &csv::StringRecord, line: u64) -> Result<Vec<Option<&'static str>>, ApiError> {
    let mut errors = Vec::new();
    let mut columns = Vec::new();
    for name in record.iter() {
        match column_of(name) {
            Some(c) if columns.contains(&Some(c)) => errors.push(FieldError::new(
                "header",
                "duplicate_column",
                format!("列“{}”重复", name.trim()),
                format!("column '{}' appears twice", name.trim()),
            )),
            Some(c) => columns.push(Some(c)),
            None if name.trim().is_empty() => columns.push(None),
            None => errors.push(FieldError::new(
                "header",
                "unknown_column",
                format!("无法识别的列“{}”，可用的列：{}", name.trim(), FIELDS.join(", ")),
                format!("unknown column '{}'; the columns are: {}", name.trim(), FIELDS.join(", ")),
            )),
        }
    }
    for required in ["id_number", "date", "source"] {
        if !columns.contains(&Some(required)) {
            errors.push(FieldError::new(
                "header",
                "missing_column",
                format!("缺少必需的列 {required}"),
                format!("the required column {required} is missing"),
            ));
        }
    }
    if errors.is_empty() {
        Ok(columns)
    } else {
        Err(ApiError::validation_at(errors.into_iter().map(|e| (e, Some(line))).collect()))
    }
}

/// The fields of one NDJSON line: an object with string values (`reference` may be null).
fn ndjson_fields(text: &str) -> Result<Fields, Vec<FieldError>> {
    let map = serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(text).map_err(|e| {
        vec![FieldError::new(
            "row",
            "invalid_json",
            format!("该行不是 JSON 对象：{e}"),
            format!("the line is not a JSON object: {e}"),
        )]
    })?;
    let mut fields = Fields::default();
    let mut errors = Vec::new();
    for (key, value) in map {
        let Some(column) = FIELDS.iter().copied().find(|c| *c == key) else {
            errors.push(FieldError::new(
                key.as_str(),
                "unknown_field",
                format!("未知字段 {key}"),
                format!("unknown field {key}"),
            ));
            continue;
        };
        match value {
            serde_json::Value::String(s) => fields.set(column, Some(s)),
            serde_json::Value::Null => fields.set(column, None),
            _ => {
                errors.push(FieldError::new(column, "invalid_type", "应为字符串", format!("{column} must be a string")))
            }
        }
    }
    if errors.is_empty() { Ok(fields) } else { Err(errors) }
}

// ---------------------------------------------------------------------------------------------------------------
// Deciding

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
fn eligible(kind: FeedKind, state: Option<PensionState>, m: &Matched, period: u32) -> Result<(), &'static str> {
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

fn note(kind: FeedKind, m: &Matched) -> String {
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
            let resumes = support_resumes(m.support_suspended_from, valid_until, on).then(|| {
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
fn write_dependents(
    conn: &mut DbConnection,
    kind: FeedKind,
    batch_id: i64,
    operator: &str,
    decision: &DependentDecision,
) -> Result<i64, ApiError> {
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
fn record_payments(
    conn: &mut DbConnection,
    matched: &[Matched],
    operator: &str,
    today: Date,
    not_applied: &mut BTreeMap<String, i64>,
    recovery_days: impl Fn(&str) -> u32,
) -> Result<(i64, i64), ApiError> {
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
            .ok_or_else(|| ApiError::internal("overpayment out of range"))?;
        let months_i = i32::try_from(months).unwrap_or(i32::MAX);
        match deaths::overpayment_of_report(conn, report.id)? {
            Some(o) if o.last_month >= latest || o.status == deaths::VOID => {}
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
fn report_deaths<'p, F>(
    conn: &mut DbConnection,
    decision: &Decision,
    matched: &[Matched],
    batch_id: i64,
    operator: &str,
    today: Date,
    policy_at: F,
) -> Result<i64, ApiError>
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
        let deadline = domain::death::report_deadline(&calendar, m.record_date, days).unwrap_or(Date::MAX);
        let now = persistence::now_utc();
        let certificate = m.reference.clone().unwrap_or_else(|| format!("feed {batch_id} line {}", m.line));
        deaths::create_report(
            conn,
            &deaths::NewDeathReport {
                retiree_id: m.retiree_id,
                community_code: m.community_code.clone(),
                date_of_death: m.record_date,
                certificate_number: certificate.chars().take(50).collect(),
                reporter_kind: domain::death::ReporterKind::Feed.as_str().to_owned(),
                reporter_name: m.source.chars().take(50).collect(),
                reporter_relation: None,
                reported_on: today,
                deadline,
                late: domain::death::is_late(today, deadline),
                status: deaths::REPORTED.to_owned(),
                stop_month: domain::death::stop_month(m.record_date),
                note: Some(format!("feed batch {batch_id}, line {}", m.line)),
                created_by: operator.to_owned(),
                created_at: now,
                updated_at: now,
            },
        )?;
        created += 1;
    }
    Ok(created)
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
pub fn sha256_of(path: &Path) -> Result<String, ApiError> {
    use sha2::{Digest, Sha256};
    use std::io::Read as _;
    let mut file = File::open(path).map_err(ApiError::internal)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = file.read(&mut buf).map_err(ApiError::internal)?;
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
fn replay(batch: FeedBatch, s: &Submission) -> Result<Submitted, ApiError> {
    if batch.content_sha256 == s.sha256 && s.caller.sees(&batch.scope_path) {
        Ok(Submitted::Replayed(batch.id, batch.summary))
    } else {
        Err(ApiError::field(FieldError::new(
            "batch_id",
            "batch_id_reused",
            "该批次号已用于另一批数据",
            "this batch_id was used for a different batch",
        )))
    }
}

/// Processes a batch: a replay answers the stored answer; a new batch is read and checked whole, staged, and
/// in one write transaction matched, decided and written with its answer and one audit entry.
pub fn submit(conn: &mut DbConnection, s: &Submission) -> Result<Submitted, ApiError> {
    if let Some(batch) = repo::find_batch(conn, s.kind.as_str(), &s.batch_id)? {
        return replay(batch, s);
    }
    let text = s.dir.join("normalised");
    app::files::normalise(&s.raw, &text, s.unpacked_limit)?;
    repo::begin(conn)?;
    let result = stage_and_write(conn, s, &text);
    let cleanup = repo::end(conn);
    let submitted = result?;
    cleanup?;
    Ok(submitted)
}

fn stage_and_write(conn: &mut DbConnection, s: &Submission, text: &Path) -> Result<Submitted, ApiError> {
    let file = BufReader::new(File::open(text).map_err(ApiError::internal)?);
    let read = read_body(file, s.ndjson, s.today, &mut |rows| Ok(repo::stage(conn, rows)?))?;
    if read.error_count > 0 {
        let mut error = ApiError::validation_at(read.errors);
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
    sink: &mut dyn FnMut(&[StagedRecord]) -> Result<(), ApiError>,
) -> Result<Read, ApiError> {
    let start = text.fill_buf().map_err(ApiError::internal)?;
    let ndjson = ndjson || looks_like_ndjson(&start[..start.len().min(8)]);
    read(text, ndjson, today, sink)
}

/// Whether the first bytes of a body, past white space and a byte order mark, are `{`.
fn looks_like_ndjson(first: &[u8]) -> bool {
    first.iter().find(|b| !b.is_ascii_whitespace() && ![0xEF, 0xBB, 0xBF].contains(*b)) == Some(&b'{')
}

fn write(conn: &mut DbConnection, s: &Submission, read: &Read) -> Result<Submitted, ApiError> {
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
    let dependants = if s.kind.certifies() { repo::matched_dependents(conn, &c.scope_path)? } else { Vec::new() };
    let dep = decide_dependents(&dependants, s.today, |path| book.at(path));
    repo::stage_outcomes(conn, &dep.outcomes)?;
    let dependents_certified = i64::try_from(dep.certifying.len()).unwrap_or(i64::MAX);
    let mut not_applied = decision.not_applied.clone();
    for (reason, n) in &dep.not_applied {
        *not_applied.entry(reason.clone()).or_default() += n;
    }
    let now = persistence::now_utc();
    let matched_count = i64::try_from(matched.len()).unwrap_or(i64::MAX) + dep.matched;
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
        return Err(ApiError::internal(format!(
            "feed batch {id}: {} persons updated, {} decided",
            applied.persons,
            decision.applied()
        )));
    }
    let dependents_resumed = write_dependents(conn, s.kind, id, &c.login, &dep)?;
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
    let listed = |conn: &mut DbConnection, reason: &str| -> Result<Vec<FeedLine>, ApiError> {
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
        applied: decision.applied() + dependents_certified + payments_applied,
        unmatched,
        rejected,
        certified: decision.certified + dependents_certified,
        resumed: decision.resumed + dependents_resumed,
        suspended: decision.suspended,
        dependents_certified,
        dependents_resumed,
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
    let summary = serde_json::to_string(&answer).map_err(ApiError::internal)?;
    repo::finish_batch(conn, id, unmatched, answer.applied, &summary)?;
    let mut entry = c.audit(&format!("feed.{}", s.kind.as_str()), "feed_batch", id, &c.scope_path);
    entry.detail = Some(
        serde_json::json!({"batch_id": s.batch_id, "records": answer.records, "matched": answer.matched,
            "applied": answer.applied, "unmatched": answer.unmatched, "rejected": answer.rejected,
            "certified": answer.certified, "resumed": answer.resumed, "suspended": answer.suspended,
            "dependents_certified": dependents_certified, "dependents_resumed": dependents_resumed,
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
