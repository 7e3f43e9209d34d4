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

/// Every tally of the report of `p`, all sections.
pub fn tallies(conn: &mut DbConnection, p: &Period<'_>) -> RepoResult<Vec<Tally>> {
    let mut out = Vec::new();
    out.extend(roll(conn, p)?);
    out.extend(special_groups(conn, p)?);
    out.extend(certification(conn, p)?);
    out.extend(deaths(conn, p)?);
    out.extend(care(conn, p)?);
    out.extend(funds(conn, p)?);
    Ok(out)
}

fn scope<'a>(p: &'a Period<'a>, upper: &'a str) -> [Bind<'a>; 2] {
    [Bind::Text(p.scope_path), Bind::Text(upper)]
}

const IN_SCOPE: &str = "j.path >= ? AND j.path < ?";

/// Roll counts of people on the roll now, by category, management level, sex and age band on `on`.
pub fn roll(conn: &mut DbConnection, p: &Period<'_>) -> RepoResult<Vec<Tally>> {
    let upper = crate::jurisdictions::subtree_upper(p.scope_path);
    let mut out = Vec::new();
    for (section, column) in [("category", "r.category"), ("management_level", "r.management_level"), ("sex", "r.sex")]
    {
        let q = format!(
            "SELECT j.path AS path, '{section}' AS section, {column} AS key, CAST(COUNT(*) AS BIGINT) AS n, \
             CAST(0 AS BIGINT) AS fen FROM retirees r JOIN jurisdictions j ON j.code = r.community_code \
             WHERE {IN_SCOPE} AND r.on_roll GROUP BY j.path, {column}"
        );
        out.extend(sql::load::<Tally>(conn, &q, &scope(p, &upper))?);
    }
    let band = rules::age_band_sql("r.birth_date", p.bands);
    let q = format!(
        "SELECT path, 'age_band' AS section, band AS key, CAST(COUNT(*) AS BIGINT) AS n, CAST(0 AS BIGINT) AS fen \
         FROM (SELECT j.path AS path, {band} AS band FROM retirees r JOIN jurisdictions j ON j.code = r.community_code \
         WHERE {IN_SCOPE} AND r.on_roll) t GROUP BY path, band"
    );
    let mut binds: Vec<Bind<'_>> = rules::age_band_binds(p.bands, p.on).into_iter().map(Bind::Date).collect();
    binds.extend(scope(p, &upper));
    out.extend(sql::load::<Tally>(conn, &q, &binds)?);
    Ok(out)
}

/// People on the roll in each special group on `on`: the dated flags in force, advanced age computed from the
/// birth date, party members from the field (GUIDE 第四章五).
pub fn special_groups(conn: &mut DbConnection, p: &Period<'_>) -> RepoResult<Vec<Tally>> {
    let upper = crate::jurisdictions::subtree_upper(p.scope_path);
    let mut out = sql::load::<Tally>(
        conn,
        &format!(
            "SELECT j.path AS path, 'special_group' AS section, g.group_code AS key, \
             CAST(COUNT(DISTINCT r.id) AS BIGINT) AS n, CAST(0 AS BIGINT) AS fen FROM retiree_special_groups g \
             JOIN retirees r ON r.id = g.retiree_id JOIN jurisdictions j ON j.code = r.community_code \
             WHERE {IN_SCOPE} AND r.on_roll AND {} GROUP BY j.path, g.group_code",
            rules::flag_in_force_sql("g.from_date", "g.to_date")
        ),
        &[Bind::Text(p.scope_path), Bind::Text(&upper), Bind::Date(p.on), Bind::Date(p.on)],
    )?;
    let old = rules::age_at_least_sql("r.birth_date");
    out.extend(sql::load::<Tally>(
        conn,
        &format!(
            "SELECT j.path AS path, 'special_group' AS section, 'advanced_age' AS key, CAST(COUNT(*) AS BIGINT) AS n, \
             CAST(0 AS BIGINT) AS fen FROM retirees r JOIN jurisdictions j ON j.code = r.community_code \
             WHERE {IN_SCOPE} AND r.on_roll AND {old} GROUP BY j.path"
        ),
        &[
            Bind::Text(p.scope_path),
            Bind::Text(&upper),
            Bind::Date(domain::born_on_or_before_for_age(p.on, p.advanced_age_years)),
        ],
    )?);
    out.extend(sql::load::<Tally>(
        conn,
        &format!(
            "SELECT j.path AS path, 'special_group' AS section, 'party_member' AS key, CAST(COUNT(*) AS BIGINT) AS n, \
             CAST(0 AS BIGINT) AS fen FROM retirees r JOIN jurisdictions j ON j.code = r.community_code \
             WHERE {IN_SCOPE} AND r.on_roll AND r.party_member GROUP BY j.path"
        ),
        &scope(p, &upper),
    )?);
    Ok(out)
}

/// Certification: due in the month (last valid day in it), overdue on `on`, certified in the month by method,
/// pensions suspended and resumed in the month (with the back-pay granted), CS Art. 16(2), 32.
pub fn certification(conn: &mut DbConnection, p: &Period<'_>) -> RepoResult<Vec<Tally>> {
    let upper = crate::jurisdictions::subtree_upper(p.scope_path);
    let roll = "FROM retirees r JOIN jurisdictions j ON j.code = r.community_code WHERE j.path >= ? AND j.path < ? \
                AND r.on_roll";
    let zero = "CAST(0 AS BIGINT) AS fen";
    let mut out = sql::load::<Tally>(
        conn,
        &format!(
            "SELECT j.path AS path, 'certification' AS section, 'due' AS key, CAST(COUNT(*) AS BIGINT) AS n, {zero} \
             {roll} AND r.certified_until >= ? AND r.certified_until <= ? GROUP BY j.path"
        ),
        &[Bind::Text(p.scope_path), Bind::Text(&upper), Bind::Date(p.first), Bind::Date(p.last)],
    )?;
    out.extend(sql::load::<Tally>(
        conn,
        &format!(
            "SELECT j.path AS path, 'certification' AS section, 'overdue' AS key, CAST(COUNT(*) AS BIGINT) AS n, \
             {zero} {roll} AND {} GROUP BY j.path",
            rules::overdue_sql("r.certified_until")
        ),
        &[Bind::Text(p.scope_path), Bind::Text(&upper), Bind::Date(p.on)],
    )?);
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
