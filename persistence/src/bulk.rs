//! Bulk loading of retirees (issue 4): rows that passed the row checks are staged in a temporary table of the
//! importing connection, then checked against the database and merged set-based, in one transaction.
//!
//! The one place where the backends differ: PostgreSQL fills the staging table with `COPY … FROM STDIN`
//! (binary), SQLite with batched prepared multi-row `INSERT`s. Staging touches only the connection's temporary
//! tables, so on SQLite it does not hold the database's write lock; only the check-and-merge transaction does.

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use time::{Date, PrimitiveDateTime};

use crate::schema::{retiree_import_flags, retiree_import_staging};
use crate::sql::{Bind, exec};
use crate::{DbConnection, RepoResult};

/// A row that passed the row checks.
#[derive(Debug, Clone, PartialEq, Insertable)]
#[diesel(table_name = retiree_import_staging, treat_none_as_default_value = false)]
pub struct StagedRetiree {
    /// Line in the file.
    pub line: i64,
    /// Resident ID.
    pub id_number: String,
    /// Name.
    pub name: String,
    /// Sex code.
    pub sex: String,
    /// Birth date.
    pub birth_date: Date,
    /// Retirement date.
    pub retirement_date: Date,
    /// Category code.
    pub category: String,
    /// Management level code.
    pub management_level: String,
    /// Community code.
    pub community_code: String,
    /// Phone.
    pub phone: Option<String>,
    /// Address.
    pub address: Option<String>,
    /// Monthly pension in fen.
    pub monthly_pension_fen: Option<i64>,
    /// Party member.
    pub party_member: bool,
    /// Notes.
    pub notes: Option<String>,
    /// Whether the row gave special groups (they then replace the stored ones on update).
    pub has_flags: bool,
    /// The columns an update keeps as stored (the file lacks them or left the cell empty): a sum of
    /// [`KEEPABLE`] bits.
    pub keep: i64,
    /// The person's real last certification, loaded with a created person (issue 19.2).
    pub last_certified_on: Option<Date>,
    /// Its method code.
    pub last_certification_method: Option<String>,
    /// Keyed hash of the resident ID: leave empty, [`stage`] sets it when it seals the ID and the phone.
    pub id_number_hash: String,
}

/// The optional columns of a roster and their bit in [`StagedRetiree::keep`]: an update keeps the stored value
/// of a column whose bit is set (the file does not have the column, or its cell is empty), and writes the file's
/// value (which may be empty when the cell held the clear marker) otherwise. The required columns are always in
/// the file; special groups have their own flag (`has_flags`).
pub const KEEPABLE: [(&str, i64); 7] = [
    ("sex", 1),
    ("birth_date", 2),
    ("phone", 4),
    ("address", 8),
    ("monthly_pension", 16),
    ("party_member", 32),
    ("notes", 64),
];

/// The [`KEEPABLE`] bit of a roster column, if it has one.
pub fn keep_bit(column: &str) -> Option<i64> {
    KEEPABLE.iter().find(|(c, _)| *c == column).map(|(_, bit)| *bit)
}

/// Roster columns and the `retirees` column each is stored in.
const STORED_AS: [(&str, &str); 12] = [
    ("name", "name"),
    ("sex", "sex"),
    ("birth_date", "birth_date"),
    ("retirement_date", "retirement_date"),
    ("category", "category"),
    ("management_level", "management_level"),
    ("community_code", "community_code"),
    ("phone", "phone"),
    ("address", "address"),
    ("monthly_pension", "monthly_pension_fen"),
    ("party_member", "party_member"),
    ("notes", "notes"),
];

/// How many stored values an update import changes, per roster column (`special_groups`: the people whose set
/// of groups changed). Columns no row changes are absent.
pub type FieldChanges = std::collections::BTreeMap<String, i64>;

/// A special-group flag of a staged row.
#[derive(Debug, Clone, PartialEq, Insertable, Queryable, Selectable)]
#[diesel(table_name = retiree_import_flags, treat_none_as_default_value = false)]
#[diesel(check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct StagedFlag {
    /// Line of the row.
    pub line: i64,
    /// Group code.
    pub group_code: String,
    /// From.
    pub from_date: Date,
    /// To.
    pub to_date: Option<Date>,
}

/// A staged row refused by the database checks, with what it held.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = retiree_import_staging)]
#[diesel(check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct Refused {
    /// Line.
    pub line: i64,
    /// `community_not_found`, `not_a_community` or `id_number_taken` (only refused rows are read, whose outcome is set).
    #[diesel(select_expression = retiree_import_staging::outcome.assume_not_null())]
    pub code: String,
    /// Resident ID (staged sealed).
    #[diesel(deserialize_as = crate::sealed::Opened)]
    pub id_number: String,
    /// Name.
    pub name: String,
    /// Sex code.
    pub sex: String,
    /// Birth date.
    pub birth_date: Date,
    /// Retirement date.
    pub retirement_date: Date,
    /// Category code.
    pub category: String,
    /// Management level code.
    pub management_level: String,
    /// Community code.
    pub community_code: String,
    /// Phone (staged sealed).
    #[diesel(deserialize_as = crate::sealed::OptOpened)]
    pub phone: Option<String>,
    /// Address.
    pub address: Option<String>,
    /// Monthly pension in fen.
    pub monthly_pension_fen: Option<i64>,
    /// Party member.
    pub party_member: bool,
    /// Notes.
    pub notes: Option<String>,
    /// Last certification loaded with the person.
    pub last_certified_on: Option<Date>,
    /// Its method code.
    pub last_certification_method: Option<String>,
}

/// What a merge wrote.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Merged {
    /// New retirees.
    pub created: i64,
    /// Retirees replaced (`on_conflict=update`).
    pub updated: i64,
    /// Rows left alone (`on_conflict=skip`).
    pub skipped: i64,
    /// Stored values the updates changed, per column.
    pub field_changes: FieldChanges,
}

/// What to do with a row whose resident ID is registered already.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnConflict {
    /// Refuse the row (`id_number_taken`).
    Error,
    /// Leave the stored record alone.
    Skip,
    /// Replace the stored record's fields (pension status stays).
    Update,
}

/// Codes of the rows the database checks refuse.
pub const REFUSALS: [&str; 3] = ["community_not_found", "not_a_community", "id_number_taken"];

const PG_DDL: &str = r#"
DROP TABLE IF EXISTS pg_temp.retiree_import_flags;
DROP TABLE IF EXISTS pg_temp.retiree_import_staging;
CREATE TEMP TABLE retiree_import_staging (
    line BIGINT NOT NULL, id_number TEXT NOT NULL, name TEXT NOT NULL, sex TEXT NOT NULL, birth_date DATE NOT NULL,
    retirement_date DATE NOT NULL, category TEXT NOT NULL, management_level TEXT NOT NULL,
    community_code TEXT NOT NULL, phone TEXT, address TEXT, monthly_pension_fen BIGINT, party_member BOOLEAN NOT NULL,
    notes TEXT, has_flags BOOLEAN NOT NULL, keep BIGINT NOT NULL, last_certified_on DATE, last_certification_method TEXT,
    outcome TEXT, level TEXT, path TEXT COLLATE "C", existing_id BIGINT,
    existing_path TEXT COLLATE "C", certified_until DATE, existing_community TEXT, id_number_hash TEXT NOT NULL);
CREATE TEMP TABLE retiree_import_flags (line BIGINT NOT NULL, group_code TEXT NOT NULL, from_date DATE NOT NULL,
    to_date DATE);
"#;

const SQLITE_DDL: &str = r#"
DROP TABLE IF EXISTS temp.retiree_import_flags;
DROP TABLE IF EXISTS temp.retiree_import_staging;
CREATE TEMP TABLE retiree_import_staging (
    line INTEGER PRIMARY KEY, id_number TEXT NOT NULL, name TEXT NOT NULL, sex TEXT NOT NULL, birth_date DATE NOT NULL,
    retirement_date DATE NOT NULL, category TEXT NOT NULL, management_level TEXT NOT NULL,
    community_code TEXT NOT NULL, phone TEXT, address TEXT, monthly_pension_fen BIGINT, party_member BOOLEAN NOT NULL,
    notes TEXT, has_flags BOOLEAN NOT NULL, keep BIGINT NOT NULL, last_certified_on DATE, last_certification_method TEXT,
    outcome TEXT, level TEXT, path TEXT, existing_id BIGINT,
    existing_path TEXT, certified_until DATE, existing_community TEXT, id_number_hash TEXT NOT NULL);
CREATE TEMP TABLE retiree_import_flags (line BIGINT NOT NULL, group_code TEXT NOT NULL, from_date DATE NOT NULL,
    to_date DATE);
"#;

/// Creates (or empties) the staging tables of this connection.
pub fn begin(conn: &mut DbConnection) -> RepoResult<()> {
    crate::sql::batch_per_backend(conn, PG_DDL, SQLITE_DDL)
}

/// Drops the staging tables.
pub fn end(conn: &mut DbConnection) -> RepoResult<()> {
    crate::sql::drop_temp_tables(conn, &["retiree_import_flags", "retiree_import_staging"])
}

/// Stages checked rows and their flags: `COPY` on PostgreSQL, prepared multi-row inserts of 1,000 rows in one
/// transaction on SQLite. The resident ID and the phone are sealed here, in Rust, and the ID's keyed hash set
/// (issue 21.10): the staging table, like the roster, never holds them in clear, and the set-based checks and
/// merge match people through the hash.
pub fn stage(conn: &mut DbConnection, rows: &[StagedRetiree], flags: &[StagedFlag]) -> RepoResult<()> {
    let keys = crate::sealed::keys()?;
    let sealed: Vec<StagedRetiree> = rows
        .iter()
        .map(|r| StagedRetiree {
            id_number: keys.seal(&r.id_number),
            phone: r.phone.as_deref().map(|p| keys.seal(p)),
            id_number_hash: keys.hash(&r.id_number),
            ..r.clone()
        })
        .collect();
    let rows = sealed.as_slice();
    match conn {
        DbConnection::Pg(c) => {
            if !rows.is_empty() {
                diesel::copy_from(retiree_import_staging::table).from_insertable(rows).execute(c)?;
            }
            if !flags.is_empty() {
                diesel::copy_from(retiree_import_flags::table).from_insertable(flags).execute(c)?;
            }
        }
        DbConnection::Sqlite(c) => {
            c.transaction(|c| -> QueryResult<()> {
                for chunk in rows.chunks(1000) {
                    diesel::insert_into(retiree_import_staging::table).values(chunk).execute(c)?;
                }
                for chunk in flags.chunks(1000) {
                    diesel::insert_into(retiree_import_flags::table).values(chunk).execute(c)?;
                }
                Ok(())
            })?;
        }
    }
    Ok(())
}

/// Checks the staged rows against the database, set-based: the community must exist, be a community and lie in
/// the caller's subtree; a resident ID registered already is handled per `on_conflict` (an update may only
/// touch a record in the caller's subtree). Every row ends with an outcome: a refusal code, `skipped`, `update`
/// or `create`. Returns the refused rows by line.
pub fn check(conn: &mut DbConnection, scope_path: &str, on_conflict: OnConflict) -> RepoResult<Vec<Refused>> {
    let upper = crate::jurisdictions::subtree_upper(scope_path);
    if let DbConnection::Pg(c) = conn {
        // Temporary tables are never analysed by autovacuum; without statistics the joins below plan badly.
        c.batch_execute("ANALYZE pg_temp.retiree_import_staging; ANALYZE pg_temp.retiree_import_flags;")?;
    }
    // One pass: each staged row learns its community's path and level and the record holding its resident ID,
    // and gets its outcome (rewriting every row once, not once per rule).
    let conflict = match on_conflict {
        OnConflict::Error => "ELSE 'id_number_taken'",
        OnConflict::Skip => "ELSE 'skipped'",
        OnConflict::Update => "WHEN x.rpath < ? OR x.rpath >= ? THEN 'id_number_taken' ELSE 'update'",
    };
    let sql = format!(
        "UPDATE retiree_import_staging SET level = x.level, path = x.path, existing_id = x.rid, \
         existing_path = x.rpath, existing_community = x.rcode, outcome = CASE \
         WHEN x.path IS NULL OR x.path < ? OR x.path >= ? THEN 'community_not_found' \
         WHEN x.level <> 'community' THEN 'not_a_community' \
         WHEN x.rid IS NULL THEN 'create' {conflict} END \
         FROM (SELECT s.line AS line, j.level AS level, j.path AS path, r.id AS rid, rj.path AS rpath, r.community_code AS rcode \
         FROM retiree_import_staging s \
         LEFT JOIN jurisdictions j ON j.code = s.community_code \
         LEFT JOIN retirees r ON r.id_number_hash = s.id_number_hash \
         LEFT JOIN jurisdictions rj ON rj.code = r.community_code) x \
         WHERE x.line = retiree_import_staging.line"
    );
    let mut binds = vec![Bind::Text(scope_path), Bind::Text(&upper)];
    if on_conflict == OnConflict::Update {
        binds.extend([Bind::Text(scope_path), Bind::Text(&upper)]);
    }
    exec(conn, &sql, &binds)?;
    use retiree_import_staging as s;
    Ok(s::table.filter(s::outcome.eq_any(REFUSALS)).order(s::line).select(Refused::as_select()).load(conn)?)
}

/// Who imports, for the audit entries written with the rows.
#[derive(Debug, Clone)]
pub struct ImportActor<'a> {
    /// Job id.
    pub job_id: i64,
    /// Login.
    pub actor: &'a str,
    /// Role.
    pub role: &'a str,
    /// Client address.
    pub client_ip: Option<&'a str>,
    /// Request id of the upload.
    pub request_id: Option<&'a str>,
}

/// A community of the rows to create, with its path.
#[derive(Debug, Clone, QueryableByName)]
pub struct StagedCommunity {
    /// Code.
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub community_code: String,
    /// Materialised path.
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub path: String,
}

/// The communities of the rows `check` found to create.
pub fn communities_to_create(conn: &mut DbConnection) -> RepoResult<Vec<StagedCommunity>> {
    crate::sql::load(
        conn,
        "SELECT DISTINCT community_code, path FROM retiree_import_staging WHERE outcome = 'create'",
        &[],
    )
}

/// A community and a last-certification date of the rows to create that load one (issue 19.2).
#[derive(Debug, Clone, QueryableByName)]
pub struct StagedLoaded {
    /// Community code.
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub community_code: String,
    /// Its materialised path.
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub path: String,
    /// The last certification.
    #[diesel(sql_type = diesel::sql_types::Date)]
    pub last_certified_on: Date,
}

/// The distinct (community, last certification) of the rows to create that load their last certification.
pub fn loaded_to_create(conn: &mut DbConnection) -> RepoResult<Vec<StagedLoaded>> {
    crate::sql::load(
        conn,
        "SELECT DISTINCT community_code, path, last_certified_on FROM retiree_import_staging \
         WHERE outcome = 'create' AND last_certified_on IS NOT NULL ORDER BY last_certified_on, community_code",
        &[],
    )
}

/// Sets `until` as the validity of the rows to create of communities `codes` whose last certification is
/// `certified_on` (issue 19.2: one policy period after it, CS Art. 16(2)).
pub fn set_loaded_until(conn: &mut DbConnection, until: Date, certified_on: Date, codes: &[String]) -> RepoResult<()> {
    for chunk in codes.chunks(500) {
        let marks = vec!["?"; chunk.len()].join(", ");
        let mut binds = vec![Bind::Date(until), Bind::Date(certified_on)];
        binds.extend(chunk.iter().map(|c| Bind::Text(c)));
        exec(
            conn,
            &format!(
                "UPDATE retiree_import_staging SET certified_until = ? \
                 WHERE outcome = 'create' AND last_certified_on = ? AND community_code IN ({marks})"
            ),
            &binds,
        )?;
    }
    Ok(())
}

/// Sets the first certification validity of the rows to create (CS Art. 16(2): one policy period from
/// registration): `default` for all, then each date of `others` for its communities.
pub fn set_certified_until(conn: &mut DbConnection, default: Date, others: &[(Date, Vec<String>)]) -> RepoResult<()> {
    exec(
        conn,
        "UPDATE retiree_import_staging SET certified_until = ? WHERE outcome = 'create'",
        &[Bind::Date(default)],
    )?;
    for (until, codes) in others {
        for chunk in codes.chunks(500) {
            let marks = vec!["?"; chunk.len()].join(", ");
            let mut binds = vec![Bind::Date(*until)];
            binds.extend(chunk.iter().map(|c| Bind::Text(c)));
            exec(
                conn,
                &format!(
                    "UPDATE retiree_import_staging SET certified_until = ? \
                     WHERE outcome = 'create' AND community_code IN ({marks})"
                ),
                &binds,
            )?;
        }
    }
    Ok(())
}

/// Writes the checked rows: inserts (`create`, in file order), updates (`update`: the columns the row carries;
/// those it lacks or left empty keep their stored value; never the pension status; version + 1), their flags, and one audit entry per written person (`retiree.import.create` /
/// `retiree.import.update`, detail `{import_id, line}`) so each person's timeline shows the import.
/// The movements count in the month of `today`.
pub fn merge(
    conn: &mut DbConnection,
    who: &ImportActor<'_>,
    now: PrimitiveDateTime,
    today: Date,
) -> RepoResult<Merged> {
    if let DbConnection::Pg(c) = conn {
        // The checks filled `outcome`; without fresh statistics the planner expects no row to be written and
        // picks nested loops over the whole staging table.
        c.batch_execute("ANALYZE pg_temp.retiree_import_staging;")?;
    }
    let created = exec(
        conn,
        "INSERT INTO retirees (id_number, id_number_hash, name, sex, birth_date, retirement_date, category, \
         management_level, community_code, phone, address, pension_status, monthly_pension_fen, party_member, notes, \
         version, created_at, updated_at, certified_until, last_certified_on) \
         SELECT id_number, id_number_hash, name, sex, birth_date, retirement_date, category, management_level, community_code, \
         phone, address, 'normal', monthly_pension_fen, party_member, notes, 1, ?, ?, certified_until, \
         last_certified_on FROM retiree_import_staging WHERE outcome = 'create' ORDER BY line",
        &[Bind::Ts(now), Bind::Ts(now)],
    )?;
    // Issue 19.2: the last certification loaded with a created person goes into their history (source `loaded`,
    // `source_ref` the import job), so their timeline shows it.
    exec(
        conn,
        "INSERT INTO certifications (retiree_id, method, certified_on, valid_until, source, source_ref, operator, \
         created_at) SELECT r.id, s.last_certification_method, s.last_certified_on, s.certified_until, ?, ?, ?, ? \
         FROM retiree_import_staging s JOIN retirees r ON r.id_number_hash = s.id_number_hash \
         WHERE s.outcome = 'create' AND s.last_certified_on IS NOT NULL AND s.last_certification_method IS NOT NULL \
         ORDER BY s.line",
        &[Bind::Text(crate::retirees::CERT_SOURCE_LOADED), Bind::I64(who.job_id), Bind::Text(who.actor), Bind::Ts(now)],
    )?;
    crate::movement::record_imported(conn, today)?;
    crate::movement::record_import_moves(conn, today)?;
    let field_changes = field_changes(conn)?;
    let updated = exec(conn, &update_sql(), &[Bind::Ts(now)])?;
    exec(
        conn,
        "DELETE FROM retiree_special_groups WHERE retiree_id IN \
         (SELECT existing_id FROM retiree_import_staging WHERE outcome = 'update' AND has_flags)",
        &[],
    )?;
    exec(
        conn,
        "INSERT INTO retiree_special_groups (retiree_id, group_code, from_date, to_date) \
         SELECT r.id, f.group_code, f.from_date, f.to_date FROM retiree_import_flags f \
         JOIN retiree_import_staging s ON s.line = f.line JOIN retirees r ON r.id_number_hash = s.id_number_hash \
         WHERE s.outcome IN ('create', 'update')",
        &[],
    )?;
    let detail_prefix = format!("{{\"import_id\":{},\"line\":", who.job_id);
    exec(
        conn,
        "INSERT INTO audit_log (occurred_at, actor, actor_role, action, object_type, object_id, retiree_id, \
         scope_path, outcome, client_ip, request_id, detail) \
         SELECT ?, ?, ?, CASE s.outcome WHEN 'create' THEN 'retiree.import.create' ELSE 'retiree.import.update' END, \
         'retiree', CAST(r.id AS TEXT), r.id, s.path, 'success', NULLIF(?, ''), NULLIF(?, ''), ? || CAST(s.line AS TEXT) || '}' \
         FROM retiree_import_staging s JOIN retirees r ON r.id_number_hash = s.id_number_hash \
         WHERE s.outcome IN ('create', 'update')",
        &[
            Bind::Ts(now),
            Bind::Text(who.actor),
            Bind::Text(who.role),
            Bind::Text(who.client_ip.unwrap_or("")),
            Bind::Text(who.request_id.unwrap_or("")),
            Bind::Text(&detail_prefix),
        ],
    )?;
    // Last change of the merge: the events, straight into the feed (issue 20).
    emit_import_events(conn, who.job_id)?;
    use retiree_import_staging as s;
    let skipped: i64 = s::table.filter(s::outcome.eq("skipped")).count().get_result(conn)?;
    Ok(Merged { created: created as i64, updated: updated as i64, skipped, field_changes })
}

/// The value an update writes into `column` (stored as `stored`): the file's, unless the row keeps the column.
fn updated_value(column: &str, stored: &str) -> String {
    match keep_bit(column) {
        Some(bit) => format!("CASE WHEN (s.keep & {bit}) <> 0 THEN retirees.{stored} ELSE s.{stored} END"),
        None => format!("s.{stored}"),
    }
}

/// The update of the matched records: every column the row carries, the kept ones as they were (pension status
/// is never changed by a file), version + 1.
fn update_sql() -> String {
    let sets: Vec<String> =
        STORED_AS.iter().map(|(column, stored)| format!("{stored} = {}", updated_value(column, stored))).collect();
    format!(
        "UPDATE retirees SET {}, version = retirees.version + 1, updated_at = ? \
         FROM retiree_import_staging s WHERE s.outcome = 'update' AND retirees.id = s.existing_id",
        sets.join(", ")
    )
}

#[derive(QueryableByName)]
struct ColumnCount {
    #[diesel(sql_type = diesel::sql_types::Text)]
    column_name: String,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    changed: i64,
}

/// Counts, before the update, the stored values it will change: per column, the matched records whose value
/// differs from the one the update writes (null-safe).
fn field_changes(conn: &mut DbConnection) -> RepoResult<FieldChanges> {
    // Sealed phones differ at every sealing: they are compared opened, in Rust (below), not in SQL.
    let mut parts: Vec<String> = STORED_AS
        .iter()
        .filter(|(column, _)| *column != "phone")
        .map(|(column, stored)| {
            let kept = keep_bit(column).map(|bit| format!("(s.keep & {bit}) = 0 AND ")).unwrap_or_default();
            format!(
                "SELECT '{column}' AS column_name, COUNT(*) AS changed FROM retiree_import_staging s \
                 JOIN retirees r ON r.id = s.existing_id \
                 WHERE s.outcome = 'update' AND {kept}r.{stored} IS DISTINCT FROM s.{stored}"
            )
        })
        .collect();
    // Special groups: the people whose stored flags differ from the file's (one flag on either side only).
    exec(conn, "CREATE INDEX IF NOT EXISTS retiree_import_flags_line ON retiree_import_flags (line)", &[])?;
    let same = "g.group_code = f.group_code AND g.from_date = f.from_date AND g.to_date IS NOT DISTINCT FROM f.to_date";
    parts.push(format!(
        "SELECT 'special_groups' AS column_name, COUNT(*) AS changed FROM retiree_import_staging s \
         WHERE s.outcome = 'update' AND s.has_flags AND (\
         EXISTS (SELECT 1 FROM retiree_import_flags f WHERE f.line = s.line AND NOT EXISTS \
         (SELECT 1 FROM retiree_special_groups g WHERE g.retiree_id = s.existing_id AND {same})) \
         OR EXISTS (SELECT 1 FROM retiree_special_groups g WHERE g.retiree_id = s.existing_id AND NOT EXISTS \
         (SELECT 1 FROM retiree_import_flags f WHERE f.line = s.line AND {same})))"
    ));
    let counts: Vec<ColumnCount> = crate::sql::load(conn, &parts.join(" UNION ALL "), &[])?;
    let mut out: FieldChanges =
        counts.into_iter().filter(|c| c.changed > 0).map(|c| (c.column_name, c.changed)).collect();
    let phones = phone_changes(conn)?;
    if phones > 0 {
        out.insert("phone".to_owned(), phones);
    }
    Ok(out)
}

#[derive(QueryableByName)]
struct PhonePair {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    id: i64,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    stored: Option<String>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    staged: Option<String>,
}

/// The matched records whose phone the update changes: both sides opened (sealed values never compare equal).
fn phone_changes(conn: &mut DbConnection) -> RepoResult<i64> {
    let Some(bit) = keep_bit("phone") else { return Ok(0) };
    let pairs: Vec<PhonePair> = crate::sql::load(
        conn,
        &format!(
            "SELECT r.id AS id, r.phone AS stored, s.phone AS staged FROM retiree_import_staging s \
             JOIN retirees r ON r.id = s.existing_id WHERE s.outcome = 'update' AND (s.keep & {bit}) = 0 \
             AND (r.phone IS NOT NULL OR s.phone IS NOT NULL)"
        ),
        &[],
    )?;
    let mut changed = 0;
    for p in pairs {
        let stored = p.stored.map(|v| crate::sealed::open("retirees", p.id, "phone", &v)).transpose()?;
        let staged = p.staged.map(|v| crate::sealed::open("retiree_import_staging", p.id, "phone", &v)).transpose()?;
        if stored != staged {
            changed += 1;
        }
    }
    Ok(changed)
}

/// The change feed's events of an import, set-based, in file order, written once, straight into `events`
/// ([`crate::events::emit_select_direct`]) after every change of the merge: `retiree.created` per new person, then
/// `retiree.moved` per person whose community changed (the community left is the one [`check`] found,
/// `existing_community`) and `retiree.updated` per replaced person (`changed` is `null`: the import replaces
/// every importable field). One statement; the order is the kind, then the line.
fn emit_import_events(conn: &mut DbConnection, job_id: i64) -> RepoResult<usize> {
    use crate::events::{emit_select_direct, json_object};
    let job = job_id.to_string();
    let created = json_object(conn, &[("source", "'import'"), ("source_id", job.as_str())]);
    let moved = json_object(
        conn,
        &[
            ("from_community", "s.existing_community"),
            ("to_community", "s.community_code"),
            ("reason", "'import'"),
            ("transfer_id", "NULL"),
        ],
    );
    let updated = json_object(conn, &[("changed", "NULL"), ("source", "'import'"), ("source_id", job.as_str())]);
    // Lines are below 10^10 (the row cap is far lower): kind * 10^10 + line orders kind first, then the file.
    emit_select_direct(
        conn,
        &format!(
            "SELECT 'retiree.created', 'retiree', r.id, r.id, CAST(NULL AS TEXT), CAST(NULL AS TEXT), {created}, \
             s.line FROM retiree_import_staging s JOIN retirees r ON r.id_number_hash = s.id_number_hash \
             WHERE s.outcome = 'create' \
             UNION ALL \
             SELECT 'retiree.moved', 'retiree', s.existing_id, s.existing_id, s.community_code, s.existing_community, \
             {moved}, 10000000000 + s.line FROM retiree_import_staging s \
             WHERE s.outcome = 'update' AND s.existing_community <> s.community_code \
             UNION ALL \
             SELECT 'retiree.updated', 'retiree', s.existing_id, s.existing_id, CAST(NULL AS TEXT), \
             CAST(NULL AS TEXT), {updated}, 20000000000 + s.line FROM retiree_import_staging s \
             WHERE s.outcome = 'update'"
        ),
        &[],
    )
}

/// The staged flags of the rows the database checks refused.
pub fn refused_flags(conn: &mut DbConnection) -> RepoResult<Vec<StagedFlag>> {
    use retiree_import_flags as f;
    use retiree_import_staging as s;
    let refused = s::table.filter(s::outcome.eq_any(REFUSALS)).select(s::line);
    Ok(f::table
        .filter(f::line.eq_any(refused))
        .order((f::line, f::group_code))
        .select(StagedFlag::as_select())
        .load(conn)?)
}
