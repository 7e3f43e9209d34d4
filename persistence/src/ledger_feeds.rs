//! Special-group ledger feeds (GUIDE 第四章五 step 3 "compare"; issue 27, ledgers): the civil-affairs hardship list
//! (民政特困人员名单) and hospital records of serious illness (医院重病记录) as the data platform sends them, kept per
//! person matched in the sender's subtree, once per source record (`UNIQUE (kind, source_ref)`). The batch is a
//! row of `feed_batches` ([`crate::feeds::create_batch`]).

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Date as SqlDate, Nullable, Text};
use time::{Date, PrimitiveDateTime};

use crate::schema::ledger_feed_records;
use crate::sql::{self, Bind};
use crate::{DbConnection, RepoResult};

/// A record to keep.
#[derive(Debug, Clone, PartialEq, Insertable)]
#[diesel(table_name = ledger_feed_records, treat_none_as_default_value = false)]
pub struct NewLedgerFeedRecord {
    pub kind: String,
    pub feed_batch_id: i64,
    pub line: i64,
    pub source_ref: String,
    pub retiree_id: i64,
    /// Hardship list: the day listed or withdrawn since; hospital records: the day of the record.
    pub record_date: Date,
    /// Hardship list: listed (在册) or withdrawn (退出); hospital records: always listed.
    pub listed: bool,
    pub diagnosis_category: Option<String>,
    pub institution: Option<String>,
    pub created_at: PrimitiveDateTime,
}

/// A resident ID hash matched to a person on the roll in the subtree.
#[derive(Debug, Clone, PartialEq, QueryableByName)]
pub struct MatchedId {
    #[diesel(sql_type = Text)]
    pub id_number_hash: String,
    #[diesel(sql_type = BigInt)]
    pub retiree_id: i64,
}

/// The people whose resident ID hash is one of `hashes`, registered in the subtree of `scope_path`.
pub fn match_hashes(conn: &mut DbConnection, scope_path: &str, hashes: &[String]) -> RepoResult<Vec<MatchedId>> {
    let upper = crate::jurisdictions::subtree_upper(scope_path);
    let mut out = Vec::new();
    for chunk in hashes.chunks(500) {
        let marks = vec!["?"; chunk.len()].join(", ");
        let mut binds: Vec<Bind<'_>> = vec![Bind::Text(scope_path), Bind::Text(&upper)];
        binds.extend(chunk.iter().map(|h| Bind::Text(h)));
        out.extend(sql::load::<MatchedId>(
            conn,
            &format!(
                "SELECT r.id_number_hash AS id_number_hash, r.id AS retiree_id FROM retirees r \
                 JOIN jurisdictions j ON j.code = r.community_code \
                 WHERE j.path >= ? AND j.path < ? AND r.id_number_hash IN ({marks})"
            ),
            &binds,
        )?);
    }
    Ok(out)
}

/// Which of `refs` are kept already for `kind`.
pub fn known_refs(conn: &mut DbConnection, kind: &str, refs: &[String]) -> RepoResult<Vec<String>> {
    let mut out = Vec::new();
    for chunk in refs.chunks(500) {
        out.extend(
            ledger_feed_records::table
                .filter(ledger_feed_records::kind.eq(kind))
                .filter(ledger_feed_records::source_ref.eq_any(chunk))
                .select(ledger_feed_records::source_ref)
                .load::<String>(conn)?,
        );
    }
    Ok(out)
}

/// Keeps `rows`.
pub fn insert(conn: &mut DbConnection, rows: &[NewLedgerFeedRecord]) -> RepoResult<usize> {
    let mut n = 0;
    for chunk in rows.chunks(500) {
        n += match conn {
            DbConnection::Pg(c) => diesel::insert_into(ledger_feed_records::table).values(chunk).execute(c)?,
            DbConnection::Sqlite(c) => diesel::insert_into(ledger_feed_records::table).values(chunk).execute(c)?,
        };
    }
    Ok(n)
}

/// The latest feed record of a person (by its date, then as kept).
#[derive(Debug, Clone, PartialEq, QueryableByName)]
pub struct LatestFeedRow {
    #[diesel(sql_type = BigInt)]
    pub retiree_id: i64,
    #[diesel(sql_type = Text)]
    pub community_code: String,
    #[diesel(sql_type = SqlDate)]
    pub record_date: Date,
    #[diesel(sql_type = Bool)]
    pub listed: bool,
    #[diesel(sql_type = Text)]
    pub source_ref: String,
    #[diesel(sql_type = Nullable<Text>)]
    pub diagnosis_category: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub institution: Option<String>,
    /// The last verification's answer for the group, if any.
    #[diesel(sql_type = Nullable<Bool>)]
    pub member: Option<bool>,
}

/// The latest record of `kind` of every person on the roll in the subtree of `scope_path` with an id after
/// `after`, by person id, with their last verification of `group`.
pub fn latest(
    conn: &mut DbConnection,
    kind: &str,
    group: &str,
    scope_path: &str,
    after: i64,
) -> RepoResult<Vec<LatestFeedRow>> {
    let upper = crate::jurisdictions::subtree_upper(scope_path);
    sql::load(
        conn,
        "SELECT f.retiree_id AS retiree_id, r.community_code AS community_code, f.record_date AS record_date, \
         f.listed AS listed, f.source_ref AS source_ref, f.diagnosis_category AS diagnosis_category, \
         f.institution AS institution, v.member AS member \
         FROM ledger_feed_records f JOIN retirees r ON r.id = f.retiree_id \
         JOIN jurisdictions j ON j.code = r.community_code \
         LEFT JOIN special_group_verifications v ON v.id = (SELECT MAX(v2.id) FROM special_group_verifications v2 \
         WHERE v2.retiree_id = r.id AND v2.group_code = ?) \
         WHERE f.kind = ? AND j.path >= ? AND j.path < ? AND r.on_roll AND f.retiree_id > ? \
         AND f.id = (SELECT f2.id FROM ledger_feed_records f2 WHERE f2.retiree_id = f.retiree_id AND f2.kind = f.kind \
         ORDER BY f2.record_date DESC, f2.id DESC LIMIT 1) ORDER BY f.retiree_id",
        &[Bind::Text(group), Bind::Text(kind), Bind::Text(scope_path), Bind::Text(&upper), Bind::I64(after)],
    )
}

/// The start of a flag in force.
#[derive(Debug, Clone, PartialEq, QueryableByName)]
pub struct FlagSince {
    #[diesel(sql_type = BigInt)]
    pub retiree_id: i64,
    #[diesel(sql_type = SqlDate)]
    pub from_date: Date,
}

/// The first day of the flag `group` in force on `on` of each of `ids` that has one (the latest start if several).
pub fn flags_since(conn: &mut DbConnection, group: &str, ids: &[i64], on: Date) -> RepoResult<Vec<FlagSince>> {
    let mut out = Vec::new();
    for chunk in ids.chunks(500) {
        let marks = vec!["?"; chunk.len()].join(", ");
        let mut binds: Vec<Bind<'_>> = vec![Bind::Text(group), Bind::Date(on), Bind::Date(on)];
        binds.extend(chunk.iter().map(|id| Bind::I64(*id)));
        out.extend(sql::load::<FlagSince>(
            conn,
            &format!(
                "SELECT g.retiree_id AS retiree_id, MAX(g.from_date) AS from_date FROM retiree_special_groups g \
                 WHERE g.group_code = ? AND {} AND g.retiree_id IN ({marks}) GROUP BY g.retiree_id",
                crate::rules::flag_in_force_sql("g.from_date", "g.to_date")
            ),
            &binds,
        )?);
    }
    Ok(out)
}
