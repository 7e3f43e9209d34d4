//! Feeds for the special-group ledgers (GUIDE 第四章五 step 3 "compare"; issue 27, ledgers): the civil-affairs
//! hardship list 民政特困人员名单 (resident ID, name, status 在册/退出, since, source ref) and hospital records of
//! serious illness 医院重病记录 (resident ID, diagnosis category, date, institution, source ref; health data: sending
//! them needs `health.read` besides `feed.submit`). A batch is checked whole (one broken field refuses it, 422 with
//! every field by `/records/{i}/…`), matched by resident ID to the people of the caller's subtree, and its records
//! kept once per source record (`source_ref`; a record kept already is a `duplicate`). The batch is a row of
//! `feed_batches`: the same `batch_id` with the same records answers the stored answer, with others 422
//! `batch_id_reused`. Audited `feed.hardship_list` / `feed.serious_illness` (counts only).
//! `GET /ledgers/{group}/comparison` (`app::reports::comparison`) compares the ledgers 特困 and 重病 with them.

use std::collections::{BTreeSet, HashMap};

use domain::{ErrorCode, Permission, SpecialGroup};
use persistence::DbConnection;
use persistence::feeds::{self as feed_repo, NewFeedBatch};
use persistence::ledger_feeds::{self as repo, NewLedgerFeedRecord};
use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};
use utoipa::ToSchema;

use super::{FeedLine, MAX_LISTED, check_text, required};
use crate::caller::Caller;
use crate::error::{AppError, FieldError};

/// Most records of one batch.
pub const MAX_RECORDS: usize = 10_000;

/// What a ledger feed's records are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum LedgerFeedKind {
    /// The civil-affairs hardship list 民政特困人员名单: the ledger 特困.
    HardshipList,
    /// Hospital records of serious illness 医院重病记录 (health data): the ledger 重病.
    SeriousIllness,
}

impl LedgerFeedKind {
    /// The code in the path and in `feed_batches.kind`.
    pub fn as_str(self) -> &'static str {
        match self {
            LedgerFeedKind::HardshipList => "hardship_list",
            LedgerFeedKind::SeriousIllness => "serious_illness",
        }
    }

    /// Parses a code.
    pub fn parse(code: &str) -> Option<Self> {
        [LedgerFeedKind::HardshipList, LedgerFeedKind::SeriousIllness].into_iter().find(|k| k.as_str() == code)
    }

    /// The ledger the feed is compared with.
    pub fn group(self) -> SpecialGroup {
        match self {
            LedgerFeedKind::HardshipList => SpecialGroup::SevereHardship,
            LedgerFeedKind::SeriousIllness => SpecialGroup::SeriouslyIll,
        }
    }

    /// The feed a ledger is compared with, if any.
    pub fn of_group(group: SpecialGroup) -> Option<Self> {
        match group {
            SpecialGroup::SevereHardship => Some(LedgerFeedKind::HardshipList),
            SpecialGroup::SeriouslyIll => Some(LedgerFeedKind::SeriousIllness),
            _ => None,
        }
    }
}

/// A batch of a ledger feed.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"records": [{"id_number": "350203195501010016", "name": "张三", "status": "listed",
    "since": "2026-03-01", "source_ref": "MZ-TK-2026-0001"}]}))]
pub struct LedgerFeedBatch {
    /// The records, 1-10,000.
    pub records: Vec<LedgerFeedRecord>,
}

/// One record. Hardship list: `name`, `status` (`listed` 在册 or `withdrawn` 退出; the Chinese words are
/// accepted) and `since`; hospital records: `diagnosis_category`, `date` and `institution`.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"id_number": "350203195501010016", "diagnosis_category": "恶性肿瘤", "date": "2026-10-08",
    "institution": "厦门大学附属第一医院", "source_ref": "HIS-ZB-20261008-17"}))]
pub struct LedgerFeedRecord {
    /// Resident ID (18 characters, checked).
    pub id_number: String,
    /// The record's id in the source system, 1-100 characters: a record is kept once.
    pub source_ref: String,
    /// Hardship list: the name on the list (1-50 characters; checked, not kept: the roll has the name).
    pub name: Option<String>,
    /// Hardship list: `listed` (在册) or `withdrawn` (退出).
    pub status: Option<String>,
    /// Hardship list: the day listed or withdrawn (`YYYY-MM-DD`, not in the future).
    pub since: Option<String>,
    /// Hospital records: the diagnosis category (1-50 characters).
    pub diagnosis_category: Option<String>,
    /// Hospital records: the day of the record (`YYYY-MM-DD`, not in the future).
    pub date: Option<String>,
    /// Hospital records: the institution (1-100 characters).
    pub institution: Option<String>,
}

/// What a ledger feed batch did: `records = kept + duplicates + unmatched`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"id": 31, "kind": "hardship_list", "batch_id": "mz-tk-202612", "records": 3, "matched": 2,
    "kept": 1, "duplicates": 1, "unmatched": 1,
    "unmatched_items": [{"line": 3, "id_number": "350203********0016", "reason": "not_found"}],
    "submitted_by": "platform", "received_at": "2026-12-07T01:00:00Z"}))]
pub struct LedgerFeedAnswer {
    /// Id of the stored batch.
    pub id: i64,
    pub kind: LedgerFeedKind,
    /// The sender's batch id.
    pub batch_id: String,
    /// Records read.
    pub records: i64,
    /// Records matched to a person in the caller's subtree.
    pub matched: i64,
    /// Matched records kept.
    pub kept: i64,
    /// Matched records whose `source_ref` was kept already (or repeated in the batch): not kept again.
    pub duplicates: i64,
    /// Records of nobody registered in the caller's subtree.
    pub unmatched: i64,
    /// The unmatched records (record number from 1, resident ID masked), at most 1000.
    pub unmatched_items: Vec<FeedLine>,
    /// Login of the sender.
    pub submitted_by: String,
    #[serde(with = "time::serde::rfc3339")]
    pub received_at: OffsetDateTime,
}

/// The answer to a submission.
#[derive(Debug)]
pub enum LedgerSubmitted {
    /// A new batch: its id and answer (JSON).
    Created(i64, String),
    /// The same batch again: the stored answer.
    Replayed(i64, String),
}

struct Checked {
    line: i64,
    hash: String,
    masked: String,
    source_ref: String,
    date: Date,
    listed: bool,
    diagnosis_category: Option<String>,
    institution: Option<String>,
}

fn need<'a>(field: String, value: Option<&'a str>, errors: &mut Vec<FieldError>) -> Option<&'a str> {
    match value.map(str::trim).filter(|v| !v.is_empty()) {
        Some(v) => Some(v),
        None => {
            errors.push(required(&field));
            None
        }
    }
}

fn check(
    kind: LedgerFeedKind,
    i: usize,
    r: &LedgerFeedRecord,
    today: Date,
    keys: &persistence::sealed::DataKeys,
    errors: &mut Vec<FieldError>,
) -> Option<Checked> {
    let at = |f: &str| format!("/records/{i}/{f}");
    let before = errors.len();
    let id = match domain::IdNumber::parse(&r.id_number, today) {
        Ok(id) => Some(id),
        Err(e) => {
            errors.push(FieldError::rule(at("id_number"), &e));
            None
        }
    };
    let source_ref = need(at("source_ref"), Some(&r.source_ref), errors).map(str::to_owned);
    if let Some(s) = &source_ref {
        check_text(&at("source_ref"), s, errors);
    }
    let (date, listed, category, institution) = match kind {
        LedgerFeedKind::HardshipList => {
            if let Some(name) = need(at("name"), r.name.as_deref(), errors) {
                crate::input::check_name(&at("name"), name, 50, errors);
            }
            let listed = match need(at("status"), r.status.as_deref(), errors) {
                Some("listed" | "在册") => Some(true),
                Some("withdrawn" | "退出") => Some(false),
                Some(_) => {
                    errors.push(FieldError::with(
                        at("status"),
                        ErrorCode::InvalidEnum,
                        "状态应为 listed（在册）或 withdrawn（退出）",
                        "status must be listed or withdrawn",
                    ));
                    None
                }
                None => None,
            };
            let date = need(at("since"), r.since.as_deref(), errors)
                .map(|t| crate::input::date_not_after(&at("since"), Some(t), today, errors));
            (date, listed, None, None)
        }
        LedgerFeedKind::SeriousIllness => {
            let category = need(at("diagnosis_category"), r.diagnosis_category.as_deref(), errors)
                .map(|v| crate::input::check_name(&at("diagnosis_category"), v, 50, errors));
            let institution = need(at("institution"), r.institution.as_deref(), errors)
                .map(|v| crate::input::check_name(&at("institution"), v, 100, errors));
            let date = need(at("date"), r.date.as_deref(), errors)
                .map(|t| crate::input::date_not_after(&at("date"), Some(t), today, errors));
            (date, Some(true), category, institution)
        }
    };
    match (id, source_ref, date, listed) {
        (Some(id), Some(source_ref), Some(date), Some(listed)) if errors.len() == before => Some(Checked {
            line: i64::try_from(i + 1).unwrap_or(i64::MAX),
            hash: keys.hash(id.as_str()),
            masked: domain::mask::id_number(id.as_str()),
            source_ref,
            date,
            listed,
            diagnosis_category: category,
            institution,
        }),
        _ => None,
    }
}

/// SHA-256 (hex) of the batch as received (re-serialised).
fn sha256_of(body: &LedgerFeedBatch) -> Result<String, AppError> {
    use sha2::{Digest, Sha256};
    let text = serde_json::to_vec(body).map_err(AppError::internal)?;
    Ok(Sha256::digest(&text).iter().map(|b| format!("{b:02x}")).collect())
}

/// Processes a batch of `kind` with the sender's `batch_id` (checked by the caller) in one transaction.
pub fn submit(
    conn: &mut DbConnection,
    caller: &Caller,
    today: Date,
    kind: LedgerFeedKind,
    batch_id: &str,
    body: &LedgerFeedBatch,
) -> Result<LedgerSubmitted, AppError> {
    caller.require(Permission::FeedSubmit)?;
    if kind == LedgerFeedKind::SeriousIllness {
        // Health data (hospital records): only who reads health data sends them.
        caller.require(Permission::HealthRead)?;
    }
    let sha = sha256_of(body)?;
    if let Some(batch) = feed_repo::find_batch(conn, kind.as_str(), batch_id)? {
        if batch.content_sha256 == sha && caller.sees(&batch.scope_path) {
            return Ok(LedgerSubmitted::Replayed(batch.id, batch.summary));
        }
        return Err(AppError::field(FieldError::with(
            "batch_id",
            ErrorCode::BatchIdReused,
            "该批次号已用于另一批数据",
            "this batch_id was used for a different batch",
        )));
    }
    let mut errors = Vec::new();
    if body.records.is_empty() || body.records.len() > MAX_RECORDS {
        errors.push(FieldError::with(
            "/records",
            ErrorCode::Length,
            format!("每批1至{MAX_RECORDS}条记录"),
            format!("a batch has 1 to {MAX_RECORDS} records"),
        ));
    }
    let keys = persistence::sealed::keys()?;
    let checked: Vec<Checked> =
        body.records.iter().enumerate().filter_map(|(i, r)| check(kind, i, r, today, &keys, &mut errors)).collect();
    if !errors.is_empty() {
        errors.truncate(MAX_LISTED as usize);
        return Err(AppError::validation(errors));
    }
    let hashes: Vec<String> = checked.iter().map(|c| c.hash.clone()).collect::<BTreeSet<_>>().into_iter().collect();
    let people: HashMap<String, i64> = repo::match_hashes(conn, &caller.scope_path, &hashes)?
        .into_iter()
        .map(|m| (m.id_number_hash, m.retiree_id))
        .collect();
    let refs: Vec<String> = checked.iter().map(|c| c.source_ref.clone()).collect();
    let mut seen: BTreeSet<String> = repo::known_refs(conn, kind.as_str(), &refs)?.into_iter().collect();
    let now = persistence::now_utc();
    let id = feed_repo::create_batch(
        conn,
        &NewFeedBatch {
            kind: kind.as_str().to_owned(),
            batch_id: batch_id.to_owned(),
            actor: caller.login.clone(),
            scope_path: caller.scope_path.clone(),
            content_sha256: sha.clone(),
            records: i64::try_from(checked.len()).unwrap_or(i64::MAX),
            matched: 0,
            applied: 0,
            unmatched: 0,
            summary: "{}".to_owned(),
            received_at: now,
        },
    )?;
    let (mut keep, mut unmatched_items, mut duplicates) = (Vec::new(), Vec::new(), 0i64);
    for c in checked {
        let Some(retiree_id) = people.get(&c.hash) else {
            unmatched_items.push(FeedLine { line: c.line, id_number: c.masked, reason: "not_found".to_owned() });
            continue;
        };
        if !seen.insert(c.source_ref.clone()) {
            duplicates += 1;
            continue;
        }
        keep.push(NewLedgerFeedRecord {
            kind: kind.as_str().to_owned(),
            feed_batch_id: id,
            line: c.line,
            source_ref: c.source_ref,
            retiree_id: *retiree_id,
            record_date: c.date,
            listed: c.listed,
            diagnosis_category: c.diagnosis_category,
            institution: c.institution,
            created_at: now,
        });
    }
    repo::insert(conn, &keep)?;
    let kept = i64::try_from(keep.len()).unwrap_or(i64::MAX);
    let unmatched = i64::try_from(unmatched_items.len()).unwrap_or(i64::MAX);
    unmatched_items.truncate(MAX_LISTED as usize);
    let answer = LedgerFeedAnswer {
        id,
        kind,
        batch_id: batch_id.to_owned(),
        records: i64::try_from(body.records.len()).unwrap_or(i64::MAX),
        matched: kept + duplicates,
        kept,
        duplicates,
        unmatched,
        unmatched_items,
        submitted_by: caller.login.clone(),
        received_at: now.assume_utc(),
    };
    let summary = serde_json::to_string(&answer).map_err(AppError::internal)?;
    feed_repo::finish_batch(conn, id, unmatched, kept, &summary)?;
    let mut entry = caller.audit(&format!("feed.{}", kind.as_str()), "feed_batch", id, &caller.scope_path);
    entry.detail = Some(
        serde_json::json!({"batch_id": batch_id, "records": answer.records, "matched": answer.matched,
            "kept": kept, "duplicates": duplicates, "unmatched": unmatched, "sha256": sha})
        .to_string(),
    );
    persistence::audit::append(conn, &entry)?;
    Ok(LedgerSubmitted::Created(id, summary))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_name_their_ledgers() {
        // GUIDE 第四章五 step 3: the hardship list for 特困, hospital records for 重病.
        assert_eq!(
            LedgerFeedKind::parse("hardship_list").map(LedgerFeedKind::group),
            Some(SpecialGroup::SevereHardship)
        );
        assert_eq!(LedgerFeedKind::of_group(SpecialGroup::SeriouslyIll), Some(LedgerFeedKind::SeriousIllness));
        assert_eq!(LedgerFeedKind::of_group(SpecialGroup::AdvancedAge), None);
        assert_eq!(LedgerFeedKind::parse("death"), None);
    }
}
