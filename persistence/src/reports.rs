//! The figures of the monthly statistical report (按月计报; GUIDE 交接制度, 第四章二; JN Art. 28), counted set-based
//! in the database: one statement per section, grouped by the path of the node a row belongs to, so a city of a
//! million retirees is counted without loading a person. Each answer row is a [`Tally`]; the app sums them per
//! child of the reported node. Rules restated in SQL come from [`crate::rules`].

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use time::Date;

use crate::rules;
use crate::sql::{self, Bind};
use crate::{DbConnection, RepoResult};

/// One count (and amount) of a section, for the node at `path`.
#[derive(Debug, Clone, QueryableByName, PartialEq, Eq)]
pub struct Tally {
    /// Path of the node the rows belong to (a community for people, the budget's node for funds).
    #[diesel(sql_type = Text)]
    pub path: String,
    /// The section (`category`, `age_band`, `certification`, …).
    #[diesel(sql_type = Text)]
    pub section: String,
    /// The key within the section (a code).
    #[diesel(sql_type = Text)]
    pub key: String,
    /// How many.
    #[diesel(sql_type = BigInt)]
    pub n: i64,
    /// Amount, fen (0 where the section has none).
    #[diesel(sql_type = BigInt)]
    pub fen: i64,
}

/// What a report counts: the subtree, the month and the policy values it needs.
#[derive(Debug, Clone)]
pub struct Period<'a> {
    /// Path of the reported node.
    pub scope_path: &'a str,
    /// First day of the month.
    pub first: Date,
    /// Last day of the month.
    pub last: Date,
    /// The day ages and states are judged on (the last day, or today within the running month).
    pub on: Date,
    /// Lower bounds of the age bands (policy `reports.age_bands`).
    pub bands: &'a [u32],
    /// The advanced-age threshold (policy `advanced_age_years`).
    pub advanced_age_years: i32,
}

/// Every tally of the report of each of `periods` (one subtree), all sections: the people sections in one scan of
/// the roll for all periods ([`crate::report_roll::people`]), the others per period ([`tallies`]).
pub fn report_tallies(conn: &mut DbConnection, periods: &[Period<'_>]) -> RepoResult<Vec<Vec<Tally>>> {
    let mut all = crate::report_roll::people(conn, periods)?;
    for (p, out) in periods.iter().zip(all.iter_mut()) {
        out.extend(tallies(conn, p)?);
    }
    Ok(all)
}

/// The tallies of the report of `p` that are not counted from the roll itself: flagged special groups,
/// certifications and status changes in the month, deaths, care, funds, and the sections of the later modules
/// ([`crate::report_sections`]).
pub fn tallies(conn: &mut DbConnection, p: &Period<'_>) -> RepoResult<Vec<Tally>> {
    let mut out = Vec::new();
    out.extend(special_groups(conn, p)?);
    out.extend(certification(conn, p)?);
    out.extend(deaths(conn, p)?);
    out.extend(care(conn, p)?);
    out.extend(funds(conn, p)?);
    out.extend(crate::report_sections::all(conn, p)?);
    Ok(out)
}

const IN_SCOPE: &str = "j.path >= ? AND j.path < ?";

/// People on the roll in each flagged special group on `on`: the dated flags in force (GUIDE 第四章五; advanced age
/// and party members, computed from the birth date and the field, are counted by [`crate::report_roll::people`]).
pub fn special_groups(conn: &mut DbConnection, p: &Period<'_>) -> RepoResult<Vec<Tally>> {
    let upper = crate::jurisdictions::subtree_upper(p.scope_path);
    sql::load::<Tally>(
        conn,
        &format!(
            "SELECT j.path AS path, 'special_group' AS section, g.group_code AS key, \
             CAST(COUNT(DISTINCT r.id) AS BIGINT) AS n, CAST(0 AS BIGINT) AS fen FROM retiree_special_groups g \
             JOIN retirees r ON r.id = g.retiree_id JOIN jurisdictions j ON j.code = r.community_code \
             WHERE {IN_SCOPE} AND r.on_roll AND {} GROUP BY j.path, g.group_code",
            rules::flag_in_force_sql("g.from_date", "g.to_date")
        ),
        &[Bind::Text(p.scope_path), Bind::Text(&upper), Bind::Date(p.on), Bind::Date(p.on)],
    )
}

/// Certification: certified in the month by method, pensions suspended and resumed in the month (with the back-pay
/// granted), CS Art. 16(2), 32 (due and overdue are counted by [`crate::report_roll::people`]).
pub fn certification(conn: &mut DbConnection, p: &Period<'_>) -> RepoResult<Vec<Tally>> {
    let upper = crate::jurisdictions::subtree_upper(p.scope_path);
    let zero = "CAST(0 AS BIGINT) AS fen";
    let mut out = Vec::new();
    out.extend(sql::load::<Tally>(
        conn,
        &format!(
            "SELECT j.path AS path, 'certified_by' AS section, c.method AS key, CAST(COUNT(*) AS BIGINT) AS n, {zero} \
             FROM certifications c JOIN retirees r ON r.id = c.retiree_id \
             JOIN jurisdictions j ON j.code = r.community_code \
             WHERE {IN_SCOPE} AND c.certified_on >= ? AND c.certified_on <= ? GROUP BY j.path, c.method"
        ),
        &[Bind::Text(p.scope_path), Bind::Text(&upper), Bind::Date(p.first), Bind::Date(p.last)],
    )?);
    out.extend(sql::load::<Tally>(
        conn,
        &format!(
            "SELECT j.path AS path, 'certification' AS section, \
             CASE WHEN c.to_status = 'suspended' THEN 'suspended' ELSE 'resumed' END AS key, \
             CAST(COUNT(*) AS BIGINT) AS n, CAST(COALESCE(SUM(COALESCE(c.back_pay_fen, 0)), 0) AS BIGINT) AS fen \
             FROM pension_status_changes c JOIN jurisdictions j ON j.code = c.community_code \
             WHERE {IN_SCOPE} AND c.effective_month >= ? AND c.effective_month <= ? \
             AND (c.to_status = 'suspended' OR (c.from_status = 'suspended' AND c.to_status = 'normal')) \
             GROUP BY j.path, CASE WHEN c.to_status = 'suspended' THEN 'suspended' ELSE 'resumed' END"
        ),
        &[Bind::Text(p.scope_path), Bind::Text(&upper), Bind::Date(p.first), Bind::Date(p.last)],
    )?);
    Ok(out)
}

/// Deaths: reported in the month (and of them late, CS Art. 16(4), the stored flag), verified deaths that died in
/// the month, overpayments raised for them (fen), and recoveries entered in the month (fen, reversals negative).
pub fn deaths(conn: &mut DbConnection, p: &Period<'_>) -> RepoResult<Vec<Tally>> {
    let upper = crate::jurisdictions::subtree_upper(p.scope_path);
    let month = [Bind::Text(p.scope_path), Bind::Text(&upper), Bind::Date(p.first), Bind::Date(p.last)];
    let mut out = sql::load::<Tally>(
        conn,
        &format!(
            "SELECT path, 'deaths' AS section, key, CAST(COUNT(*) AS BIGINT) AS n, CAST(0 AS BIGINT) AS fen FROM \
             (SELECT j.path AS path, 'reported' AS key FROM death_reports d JOIN jurisdictions j ON j.code = d.community_code \
             WHERE {IN_SCOPE} AND d.reported_on >= ? AND d.reported_on <= ? AND d.status <> 'withdrawn' \
             UNION ALL SELECT j.path AS path, 'late' AS key FROM death_reports d JOIN jurisdictions j ON j.code = d.community_code \
             WHERE {IN_SCOPE} AND d.reported_on >= ? AND d.reported_on <= ? AND d.status <> 'withdrawn' AND d.late \
             UNION ALL SELECT j.path AS path, 'verified' AS key FROM death_reports d JOIN jurisdictions j ON j.code = d.community_code \
             WHERE {IN_SCOPE} AND d.date_of_death >= ? AND d.date_of_death <= ? AND d.status = 'verified') t \
             GROUP BY path, key"
        ),
        &[month.clone(), month.clone(), month.clone()].concat(),
    )?;
    out.extend(sql::load::<Tally>(
        conn,
        &format!(
            "SELECT j.path AS path, 'deaths' AS section, 'overpaid' AS key, CAST(COUNT(*) AS BIGINT) AS n, \
             CAST(COALESCE(SUM(o.amount_fen), 0) AS BIGINT) AS fen FROM overpayments o \
             JOIN death_reports d ON d.id = o.death_report_id JOIN jurisdictions j ON j.code = o.community_code \
             WHERE {IN_SCOPE} AND d.date_of_death >= ? AND d.date_of_death <= ? AND o.status <> 'void' GROUP BY j.path"
        ),
        &month,
    )?);
    out.extend(sql::load::<Tally>(
        conn,
        &format!(
            "SELECT j.path AS path, 'deaths' AS section, 'recovered' AS key, CAST(COUNT(*) AS BIGINT) AS n, \
             CAST(COALESCE(SUM(e.amount_fen), 0) AS BIGINT) AS fen FROM overpayment_entries e \
             JOIN overpayments o ON o.id = e.overpayment_id JOIN jurisdictions j ON j.code = o.community_code \
             WHERE {IN_SCOPE} AND e.entry_on >= ? AND e.entry_on <= ? \
             AND e.kind IN ('deducted_from_benefits', 'repaid', 'deduction_reversed') GROUP BY j.path"
        ),
        &month,
    )?);
    Ok(out)
}

/// Condolences by kind (count and amount paid), visits, and the self-management groups with their members and
/// leaders on `on` (XM Art. 12, 14, 21; GUIDE 走访制度).
pub fn care(conn: &mut DbConnection, p: &Period<'_>) -> RepoResult<Vec<Tally>> {
    let upper = crate::jurisdictions::subtree_upper(p.scope_path);
    let month = [Bind::Text(p.scope_path), Bind::Text(&upper), Bind::Date(p.first), Bind::Date(p.last)];
    let mut out = sql::load::<Tally>(
        conn,
        &format!(
            "SELECT j.path AS path, 'condolences' AS section, c.kind AS key, CAST(COUNT(*) AS BIGINT) AS n, \
             CAST(COALESCE(SUM(CASE WHEN c.paid THEN c.amount_fen ELSE 0 END), 0) AS BIGINT) AS fen \
             FROM condolences c JOIN jurisdictions j ON j.code = c.community_code \
             WHERE {IN_SCOPE} AND c.on_date >= ? AND c.on_date <= ? GROUP BY j.path, c.kind"
        ),
        &month,
    )?;
    out.extend(sql::load::<Tally>(
        conn,
        &format!(
            "SELECT path, 'visits' AS section, key, CAST(COUNT(*) AS BIGINT) AS n, CAST(0 AS BIGINT) AS fen FROM \
             (SELECT j.path AS path, 'visits' AS key FROM visits v JOIN jurisdictions j ON j.code = v.community_code \
             WHERE {IN_SCOPE} AND v.on_date >= ? AND v.on_date <= ? \
             UNION ALL SELECT j.path AS path, 'dibao_referrals' AS key FROM visits v \
             JOIN jurisdictions j ON j.code = v.community_code \
             WHERE {IN_SCOPE} AND v.on_date >= ? AND v.on_date <= ? AND v.dibao_referral) t GROUP BY path, key"
        ),
        &[month.clone(), month.clone()].concat(),
    )?);
    let on = Bind::Date(p.on);
    out.extend(sql::load::<Tally>(
        conn,
        &format!(
            "SELECT path, 'groups' AS section, key, CAST(COUNT(*) AS BIGINT) AS n, CAST(0 AS BIGINT) AS fen FROM \
             (SELECT j.path AS path, 'groups' AS key FROM care_groups g JOIN jurisdictions j ON j.code = g.community_code \
             WHERE {IN_SCOPE} \
             UNION ALL SELECT j.path AS path, 'members' AS key FROM group_members m JOIN care_groups g ON g.id = m.group_id \
             JOIN jurisdictions j ON j.code = g.community_code \
             WHERE {IN_SCOPE} AND m.joined_on <= ? AND (m.left_on IS NULL OR m.left_on > ?) \
             UNION ALL SELECT j.path AS path, 'leaders' AS key FROM group_leaders l JOIN care_groups g ON g.id = l.group_id \
             JOIN jurisdictions j ON j.code = g.community_code \
             WHERE {IN_SCOPE} AND l.elected_on <= ? AND (l.ended_on IS NULL OR l.ended_on > ?) \
             UNION ALL SELECT j.path AS path, 'leaders_insured' AS key FROM group_leaders l \
             JOIN care_groups g ON g.id = l.group_id JOIN jurisdictions j ON j.code = g.community_code \
             WHERE {IN_SCOPE} AND l.elected_on <= ? AND (l.ended_on IS NULL OR l.ended_on > ?) AND l.insured \
             AND (l.insured_until IS NULL OR l.insured_until >= ?)) t GROUP BY path, key"
        ),
        &[
            Bind::Text(p.scope_path),
            Bind::Text(&upper),
            Bind::Text(p.scope_path),
            Bind::Text(&upper),
            on.clone(),
            on.clone(),
            Bind::Text(p.scope_path),
            Bind::Text(&upper),
            on.clone(),
            on.clone(),
            Bind::Text(p.scope_path),
            Bind::Text(&upper),
            on.clone(),
            on.clone(),
            on,
        ],
    )?);
    Ok(out)
}

/// The service fund of the month's year: the budgets of nodes in the subtree, spending in the month by category,
/// spending of the year up to the month's end (XM Art. 21, 26; CS Art. 10-11).
pub fn funds(conn: &mut DbConnection, p: &Period<'_>) -> RepoResult<Vec<Tally>> {
    let upper = crate::jurisdictions::subtree_upper(p.scope_path);
    let year = p.first.year();
    let mut out = sql::load::<Tally>(
        conn,
        &format!(
            "SELECT j.path AS path, 'fund' AS section, 'budget' AS key, CAST(COUNT(*) AS BIGINT) AS n, \
             CAST(COALESCE(SUM(b.total_fen), 0) AS BIGINT) AS fen FROM fund_budgets b \
             JOIN jurisdictions j ON j.code = b.jurisdiction_code WHERE {IN_SCOPE} AND b.year = ? GROUP BY j.path"
        ),
        &[Bind::Text(p.scope_path), Bind::Text(&upper), Bind::I32(year)],
    )?;
    out.extend(sql::load::<Tally>(
        conn,
        &format!(
            "SELECT j.path AS path, 'fund' AS section, 'spent_to_date' AS key, CAST(COUNT(*) AS BIGINT) AS n, \
             CAST(COALESCE(SUM(e.amount_fen), 0) AS BIGINT) AS fen FROM fund_expenditures e \
             JOIN jurisdictions j ON j.code = e.jurisdiction_code \
             WHERE {IN_SCOPE} AND e.year = ? AND e.on_date <= ? GROUP BY j.path"
        ),
        &[Bind::Text(p.scope_path), Bind::Text(&upper), Bind::I32(year), Bind::Date(p.last)],
    )?);
    out.extend(sql::load::<Tally>(
        conn,
        &format!(
            "SELECT j.path AS path, 'fund_spent' AS section, e.category AS key, CAST(COUNT(*) AS BIGINT) AS n, \
             CAST(COALESCE(SUM(e.amount_fen), 0) AS BIGINT) AS fen FROM fund_expenditures e \
             JOIN jurisdictions j ON j.code = e.jurisdiction_code \
             WHERE {IN_SCOPE} AND e.on_date >= ? AND e.on_date <= ? GROUP BY j.path, e.category"
        ),
        &[Bind::Text(p.scope_path), Bind::Text(&upper), Bind::Date(p.first), Bind::Date(p.last)],
    )?);
    Ok(out)
}

/// The close of one node's month.
#[derive(Debug, Clone, Queryable, Selectable, PartialEq, Eq)]
#[diesel(table_name = crate::schema::month_closes)]
pub struct MonthClose {
    /// Id.
    pub id: i64,
    /// The node.
    pub jurisdiction_code: String,
    /// First day of the month.
    pub month: Date,
    /// `closed` or `reopened`.
    pub status: String,
    /// The frozen report (JSON).
    pub snapshot: String,
    /// The children whose filed figures differ from the parent's count (JSON array).
    pub differences: String,
    /// Who closed it (last).
    pub closed_by: String,
    /// When.
    pub closed_at: time::PrimitiveDateTime,
    /// Who reopened it.
    pub reopened_by: Option<String>,
    /// When.
    pub reopened_at: Option<time::PrimitiveDateTime>,
    /// Why.
    pub reopen_reason: Option<String>,
    /// Version (ETag).
    pub version: i64,
}

/// The close row of `code`'s month, closed or reopened.
pub fn close_of(conn: &mut DbConnection, code: &str, month: Date) -> RepoResult<Option<MonthClose>> {
    use crate::schema::month_closes as m;
    Ok(m::table
        .filter(m::jurisdiction_code.eq(code))
        .filter(m::month.eq(month))
        .select(MonthClose::as_select())
        .first(conn)
        .optional()?)
}

/// Takes the month-close lock of `month` until the caller's transaction ends (PostgreSQL; SQLite's write
/// transactions are serialised already), so that a parent's close (which checks its children) and a child's reopen
/// (which checks its parent) of the same month run one after the other instead of both passing their checks.
pub fn lock_month(conn: &mut DbConnection, month: Date) -> RepoResult<()> {
    if let DbConnection::Pg(_) = conn {
        // Key space 0x4D43 ("MC"), then the month's Julian day.
        sql::exec(conn, "SELECT pg_advisory_xact_lock(19779, ?)", &[Bind::I32(month.to_julian_day())])?;
    }
    Ok(())
}

/// The close rows of the children of `code` for `month`.
pub fn closes_of_children(conn: &mut DbConnection, code: &str, month: Date) -> RepoResult<Vec<MonthClose>> {
    use crate::schema::{jurisdictions as j, month_closes as m};
    Ok(m::table
        .inner_join(j::table)
        .filter(j::parent_code.eq(code))
        .filter(m::month.eq(month))
        .select(MonthClose::as_select())
        .load(conn)?)
}

/// Closes `code`'s month with `snapshot` and `differences`: a new row, or the reopened row closed again (version
/// + 1, the reopening kept).
pub fn close(
    conn: &mut DbConnection,
    code: &str,
    month: Date,
    snapshot: &str,
    differences: &str,
    actor: &str,
) -> RepoResult<MonthClose> {
    use crate::schema::month_closes as m;
    let now = crate::now_utc();
    match close_of(conn, code, month)? {
        Some(row) => {
            diesel::update(m::table.find(row.id))
                .set((
                    m::status.eq("closed"),
                    m::snapshot.eq(snapshot),
                    m::differences.eq(differences),
                    m::closed_by.eq(actor),
                    m::closed_at.eq(now),
                    m::version.eq(m::version + 1),
                ))
                .execute(conn)?;
        }
        None => {
            diesel::insert_into(m::table)
                .values((
                    m::jurisdiction_code.eq(code),
                    m::month.eq(month),
                    m::status.eq("closed"),
                    m::snapshot.eq(snapshot),
                    m::differences.eq(differences),
                    m::closed_by.eq(actor),
                    m::closed_at.eq(now),
                    m::version.eq(1_i64),
                ))
                .execute(conn)?;
        }
    }
    close_of(conn, code, month)?.ok_or(crate::RepoError::NotFound)
}

/// Reopens a closed month with a reason (version + 1; the snapshot is kept for the record).
pub fn reopen(conn: &mut DbConnection, id: i64, reason: &str, actor: &str) -> RepoResult<()> {
    use crate::schema::month_closes as m;
    diesel::update(m::table.find(id))
        .set((
            m::status.eq("reopened"),
            m::reopened_by.eq(actor),
            m::reopened_at.eq(crate::now_utc()),
            m::reopen_reason.eq(reason),
            m::version.eq(m::version + 1),
        ))
        .execute(conn)?;
    Ok(())
}

/// A verification of a person's membership of a special group (GUIDE 第四章五 step 2).
#[derive(Debug, Clone, Queryable, Selectable, PartialEq, Eq)]
#[diesel(table_name = crate::schema::special_group_verifications)]
pub struct Verification {
    /// Id.
    pub id: i64,
    /// The person.
    pub retiree_id: i64,
    /// The group's code.
    pub group_code: String,
    /// Confirmed a member (or not).
    pub member: bool,
    /// The day of the verification.
    pub verified_on: Date,
    /// The worker who verified.
    pub worker: String,
    /// The evidence seen.
    pub evidence: String,
    /// Who recorded it.
    pub created_by: String,
    /// When.
    pub created_at: time::PrimitiveDateTime,
}

/// Records a verification; returns it.
#[allow(clippy::too_many_arguments)]
pub fn insert_verification(
    conn: &mut DbConnection,
    retiree_id: i64,
    group_code: &str,
    member: bool,
    verified_on: Date,
    worker: &str,
    evidence: &str,
    actor: &str,
) -> RepoResult<Verification> {
    use crate::schema::special_group_verifications as v;
    diesel::insert_into(v::table)
        .values((
            v::retiree_id.eq(retiree_id),
            v::group_code.eq(group_code),
            v::member.eq(member),
            v::verified_on.eq(verified_on),
            v::worker.eq(worker),
            v::evidence.eq(evidence),
            v::created_by.eq(actor),
            v::created_at.eq(crate::now_utc()),
        ))
        .execute(conn)?;
    Ok(v::table
        .filter(v::retiree_id.eq(retiree_id))
        .filter(v::group_code.eq(group_code))
        .order(v::id.desc())
        .select(Verification::as_select())
        .first(conn)?)
}

/// One verification, with the path of the person's community.
pub fn find_verification(conn: &mut DbConnection, id: i64) -> RepoResult<(Verification, String)> {
    use crate::schema::{jurisdictions as j, retirees as r, special_group_verifications as v};
    Ok(v::table
        .inner_join(r::table.inner_join(j::table))
        .filter(v::id.eq(id))
        .select((Verification::as_select(), j::path))
        .first(conn)?)
}

/// How a group's membership is computed from the data (GUIDE 第四章五 step 1).
#[derive(Debug, Clone, Copy)]
pub enum Computed<'a> {
    /// At least this old on the as-of day: born on or before the date ([`rules::age_at_least_sql`]).
    BornOnOrBefore(Date),
    /// A dated flag of this group in force on the as-of day ([`rules::flag_in_force_sql`]).
    Flag(&'a str),
}

/// One person of a special-group ledger.
#[derive(Debug, Clone, QueryableByName, PartialEq, Eq)]
pub struct LedgerRow {
    /// The person.
    #[diesel(sql_type = BigInt)]
    pub retiree_id: i64,
    /// Path of their community.
    #[diesel(sql_type = Text)]
    pub path: String,
    /// Their community.
    #[diesel(sql_type = Text)]
    pub community_code: String,
    /// Computed a member from the data.
    #[diesel(sql_type = diesel::sql_types::Bool)]
    pub computed: bool,
    /// The last verification's answer.
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Bool>)]
    pub member: Option<bool>,
    /// Its day.
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Date>)]
    pub verified_on: Option<Date>,
    /// Its worker.
    #[diesel(sql_type = diesel::sql_types::Nullable<Text>)]
    pub worker: Option<String>,
    /// The ledger status ([`rules::ledger_status_sql`]).
    #[diesel(sql_type = Text)]
    pub status: String,
}

/// The rows of a ledger with their status, as SQL with binds, for [`ledger`] and [`ledger_counts`].
fn ledger_sql<'a>(
    scope_path: &'a str,
    upper: &'a str,
    group: &'a str,
    computed: Computed<'a>,
    on: Date,
    stale_cutoff: Date,
) -> (String, Vec<Bind<'a>>) {
    let (computed_sql, binds): (String, Vec<Bind<'a>>) = match computed {
        Computed::BornOnOrBefore(d) => (rules::age_at_least_sql("r.birth_date"), vec![Bind::Date(d)]),
        Computed::Flag(code) => (
            format!(
                "EXISTS (SELECT 1 FROM retiree_special_groups g WHERE g.retiree_id = r.id AND g.group_code = ? AND {})",
                rules::flag_in_force_sql("g.from_date", "g.to_date")
            ),
            vec![Bind::Text(code), Bind::Date(on), Bind::Date(on)],
        ),
    };
    let status_sql = rules::ledger_status_sql("t.computed", "t.member", "t.verified_on");
    let mut all = vec![Bind::Date(stale_cutoff)];
    all.extend(binds);
    all.extend([Bind::Text(group), Bind::Text(scope_path), Bind::Text(upper)]);
    (
        format!(
            "SELECT t.*, {status_sql} AS status FROM \
             (SELECT r.id AS retiree_id, j.path AS path, r.community_code AS community_code, ({computed_sql}) AS computed, \
             v.member AS member, v.verified_on AS verified_on, v.worker AS worker \
             FROM retirees r JOIN jurisdictions j ON j.code = r.community_code \
             LEFT JOIN special_group_verifications v ON v.id = (SELECT MAX(v2.id) FROM special_group_verifications v2 \
             WHERE v2.retiree_id = r.id AND v2.group_code = ?) \
             WHERE {IN_SCOPE} AND r.on_roll) t"
        ),
        all,
    )
}

/// The ledger of `group` in the subtree on `on`: people on the roll computed a member or recorded one, each with
/// their status (`stale_cutoff`: [`domain::report::stale_before`]); only `status` when given; by person id, after
/// `after`, at most `limit`.
#[allow(clippy::too_many_arguments)]
pub fn ledger(
    conn: &mut DbConnection,
    scope_path: &str,
    group: &str,
    computed: Computed<'_>,
    on: Date,
    stale_cutoff: Date,
    status: Option<&str>,
    after: i64,
    limit: i64,
) -> RepoResult<Vec<LedgerRow>> {
    let upper = crate::jurisdictions::subtree_upper(scope_path);
    let (inner, mut all) = ledger_sql(scope_path, &upper, group, computed, on, stale_cutoff);
    all.push(Bind::I64(after));
    let filter = if let Some(s) = status {
        all.push(Bind::Text(s));
        " AND u.status = ?"
    } else {
        ""
    };
    all.push(Bind::I64(limit));
    sql::load(
        conn,
        &format!(
            "SELECT u.retiree_id, u.path, u.community_code, u.computed, u.member, u.verified_on, u.worker, u.status \
             FROM ({inner}) u WHERE u.status IS NOT NULL AND u.retiree_id > ?{filter} ORDER BY u.retiree_id LIMIT ?"
        ),
        &all,
    )
}

/// How many people of the ledger of `group` have each status, by the path of their community (a [`Tally`] with
/// section `group` and key the status).
pub fn ledger_counts(
    conn: &mut DbConnection,
    scope_path: &str,
    group: &str,
    computed: Computed<'_>,
    on: Date,
    stale_cutoff: Date,
) -> RepoResult<Vec<Tally>> {
    let upper = crate::jurisdictions::subtree_upper(scope_path);
    let (inner, all) = ledger_sql(scope_path, &upper, group, computed, on, stale_cutoff);
    sql::load(
        conn,
        &format!(
            "SELECT u.path AS path, '{group}' AS section, u.status AS key, CAST(COUNT(*) AS BIGINT) AS n, \
             CAST(0 AS BIGINT) AS fen FROM ({inner}) u WHERE u.status IS NOT NULL GROUP BY u.path, u.status",
            group = group.replace('\'', "")
        ),
        &all,
    )
}
