//! Sections of the monthly report for the modules that landed after the report (issue 27, reports27): personnel
//! archives, petitions, activities, elderly care services and assistance referrals. Like
//! [`crate::reports`], one grouped statement per subject, by the path of the node a row belongs to; each answer row
//! is a [`Tally`] with the same [`Period`].

use crate::reports::{Period, Tally};
use crate::sql::{self, Bind};
use crate::{DbConnection, RepoResult};

const IN_SCOPE: &str = "j.path >= ? AND j.path < ?";

fn month<'a>(p: &'a Period<'a>, upper: &'a str) -> [Bind<'a>; 4] {
    [Bind::Text(p.scope_path), Bind::Text(upper), Bind::Date(p.first), Bind::Date(p.last)]
}

/// A union of `(path, key)` selects, each with the month's binds, counted per path and key into `section`.
fn counted(conn: &mut DbConnection, section: &str, parts: &[String], binds: &[Bind<'_>]) -> RepoResult<Vec<Tally>> {
    let union = parts.join(" UNION ALL ");
    sql::load(
        conn,
        &format!(
            "SELECT path, '{section}' AS section, key, CAST(COUNT(*) AS BIGINT) AS n, CAST(0 AS BIGINT) AS fen FROM \
             ({union}) t GROUP BY path, key"
        ),
        binds,
    )
}

/// Personnel archives (XM Art. 16; JN Art. 7(12), 8(7)): received, placed in store, lent and returned, digitised
/// in the month, and held at the month's end (received by then, not transferred out or disposed of by then), by
/// the person's community.
pub fn archives(conn: &mut DbConnection, p: &Period<'_>) -> RepoResult<Vec<Tally>> {
    let upper = crate::jurisdictions::subtree_upper(p.scope_path);
    let from = "FROM archives a JOIN jurisdictions j ON j.code = a.community_code";
    let loans =
        "FROM archive_loans l JOIN archives a ON a.id = l.archive_id JOIN jurisdictions j ON j.code = a.community_code";
    let parts = [
        format!(
            "SELECT j.path AS path, 'received' AS key {from} WHERE {IN_SCOPE} AND a.received_on >= ? AND a.received_on <= ?"
        ),
        format!(
            "SELECT j.path AS path, 'placed' AS key {from} WHERE {IN_SCOPE} AND a.stored_on >= ? AND a.stored_on <= ?"
        ),
        format!("SELECT j.path AS path, 'lent' AS key {loans} WHERE {IN_SCOPE} AND l.lent_on >= ? AND l.lent_on <= ?"),
        format!(
            "SELECT j.path AS path, 'returned' AS key {loans} WHERE {IN_SCOPE} AND l.returned_on >= ? AND l.returned_on <= ?"
        ),
        format!(
            "SELECT j.path AS path, 'digitised' AS key {from} WHERE {IN_SCOPE} AND a.digitised_on >= ? AND a.digitised_on <= ?"
        ),
        format!(
            "SELECT j.path AS path, 'held' AS key {from} WHERE {IN_SCOPE} AND a.received_on <= ? \
             AND (a.disposed_on IS NULL OR a.disposed_on > ?) AND NOT EXISTS (SELECT 1 FROM archive_dispatches d \
             WHERE d.archive_id = a.id AND d.status = 'received' AND d.received_on <= ?)"
        ),
    ];
    let m = month(p, &upper);
    let mut binds: Vec<Bind<'_>> = [m.clone(), m.clone(), m.clone(), m.clone(), m].concat();
    binds.extend([
        Bind::Text(p.scope_path),
        Bind::Text(&upper),
        Bind::Date(p.last),
        Bind::Date(p.last),
        Bind::Date(p.last),
    ]);
    counted(conn, "archives", &parts, &binds)
}

/// Petitions (GUIDE 接待制度): received in the month (by the node it came in at), answered in the month on time or
/// late against the answer due day (`domain::petition::on_time`), and closed in the month by the person's
/// satisfaction (by the node holding it).
pub fn petitions(conn: &mut DbConnection, p: &Period<'_>) -> RepoResult<Vec<Tally>> {
    let upper = crate::jurisdictions::subtree_upper(p.scope_path);
    let parts = [
        format!(
            "SELECT j.path AS path, 'received' AS key FROM petitions x JOIN jurisdictions j ON j.code = x.origin_code \
             WHERE {IN_SCOPE} AND x.received_on >= ? AND x.received_on <= ?"
        ),
        format!(
            "SELECT j.path AS path, CASE WHEN x.answered_on <= x.answer_due THEN 'on_time' ELSE 'late' END AS key \
             FROM petitions x JOIN jurisdictions j ON j.code = x.owner_code \
             WHERE {IN_SCOPE} AND x.answered_on >= ? AND x.answered_on <= ?"
        ),
        format!(
            "SELECT j.path AS path, 'satisfaction_' || COALESCE(x.satisfaction, 'none') AS key FROM petitions x \
             JOIN jurisdictions j ON j.code = x.owner_code \
             WHERE {IN_SCOPE} AND x.closed_on >= ? AND x.closed_on <= ?"
        ),
    ];
    let m = month(p, &upper);
    counted(conn, "petitions", &parts, &[m.clone(), m.clone(), m].concat())
}

/// Activities (XM Art. 17; CS Art. 20): held in the month by kind (key = the kind), their sign-ups and attendance.
pub fn activities(conn: &mut DbConnection, p: &Period<'_>) -> RepoResult<Vec<Tally>> {
    let upper = crate::jurisdictions::subtree_upper(p.scope_path);
    let held = "FROM activities a JOIN jurisdictions j ON j.code = a.jurisdiction_code";
    let joined = "FROM activity_participants x JOIN activities a ON a.id = x.activity_id \
                  JOIN jurisdictions j ON j.code = a.jurisdiction_code";
    let parts = [
        format!("SELECT j.path AS path, a.kind AS key {held} WHERE {IN_SCOPE} AND a.held_on >= ? AND a.held_on <= ?"),
        format!(
            "SELECT j.path AS path, 'participants' AS key {joined} WHERE {IN_SCOPE} AND a.held_on >= ? AND a.held_on <= ?"
        ),
        format!(
            "SELECT j.path AS path, 'attended' AS key {joined} WHERE {IN_SCOPE} AND a.held_on >= ? AND a.held_on <= ? \
             AND x.attended"
        ),
    ];
    let m = month(p, &upper);
    counted(conn, "activities", &parts, &[m.clone(), m.clone(), m].concat())
}

/// Elderly care services (issue 26; GUIDE 第二部分六): requests received in the month, services delivered in the
/// month (their end in it) with their minutes (the amount column holds minutes), evaluations in the month, open
/// requests on the as-of day.
pub fn care_services(conn: &mut DbConnection, p: &Period<'_>) -> RepoResult<Vec<Tally>> {
    let upper = crate::jurisdictions::subtree_upper(p.scope_path);
    let from = "FROM care_requests c JOIN jurisdictions j ON j.code = c.jurisdiction_code";
    let parts = [
        format!(
            "SELECT j.path AS path, 'requested' AS key {from} WHERE {IN_SCOPE} AND c.requested_on >= ? AND c.requested_on <= ?"
        ),
        format!(
            "SELECT j.path AS path, 'evaluated' AS key {from} WHERE {IN_SCOPE} AND c.evaluated_on >= ? AND c.evaluated_on <= ?"
        ),
    ];
    let m = month(p, &upper);
    let mut out = counted(conn, "care", &parts, &[m.clone(), m].concat())?;
    let minutes = match conn {
        DbConnection::Pg(_) => "CAST(EXTRACT(EPOCH FROM (c.delivered_end - c.delivered_start)) / 60 AS BIGINT)",
        DbConnection::Sqlite(_) => {
            "CAST(ROUND((julianday(c.delivered_end) - julianday(c.delivered_start)) * 1440) AS BIGINT)"
        }
    };
    let start = p.first.midnight();
    let end = p.last.next_day().unwrap_or(p.last).midnight();
    out.extend(sql::load::<Tally>(
        conn,
        &format!(
            "SELECT j.path AS path, 'care' AS section, 'delivered' AS key, CAST(COUNT(*) AS BIGINT) AS n, \
             CAST(COALESCE(SUM({minutes}), 0) AS BIGINT) AS fen {from} \
             WHERE {IN_SCOPE} AND c.delivered_end >= ? AND c.delivered_end < ? AND c.delivered_start IS NOT NULL \
             GROUP BY j.path"
        ),
        &[Bind::Text(p.scope_path), Bind::Text(&upper), Bind::Ts(start), Bind::Ts(end)],
    )?);
    Ok(out)
}

/// Assistance referrals (JN Art. 7(8)): referred in the month, granted in the month, and open (referred by the
/// as-of day and, as they stand now, `referred` or `accepted`); by the person's community.
pub fn assistance(conn: &mut DbConnection, p: &Period<'_>) -> RepoResult<Vec<Tally>> {
    let upper = crate::jurisdictions::subtree_upper(p.scope_path);
    let from = "FROM assistance_referrals a JOIN retirees r ON r.id = a.retiree_id \
                JOIN jurisdictions j ON j.code = r.community_code";
    let parts = [
        format!(
            "SELECT j.path AS path, 'referred' AS key {from} WHERE {IN_SCOPE} AND a.referred_on >= ? AND a.referred_on <= ?"
        ),
        format!(
            "SELECT j.path AS path, 'granted' AS key {from} WHERE {IN_SCOPE} AND a.status = 'granted' \
             AND a.answered_on >= ? AND a.answered_on <= ?"
        ),
        format!(
            "SELECT j.path AS path, 'open' AS key {from} WHERE {IN_SCOPE} AND a.referred_on <= ? \
             AND a.status IN ('referred', 'accepted')"
        ),
    ];
    let m = month(p, &upper);
    let mut binds: Vec<Bind<'_>> = [m.clone(), m].concat();
    binds.extend([Bind::Text(p.scope_path), Bind::Text(&upper), Bind::Date(p.on)]);
    counted(conn, "assistance", &parts, &binds)
}

/// Every section of this file.
pub fn all(conn: &mut DbConnection, p: &Period<'_>) -> RepoResult<Vec<Tally>> {
    let mut out = archives(conn, p)?;
    out.extend(petitions(conn, p)?);
    out.extend(activities(conn, p)?);
    out.extend(care_services(conn, p)?);
    out.extend(assistance(conn, p)?);
    Ok(out)
}

/// A death report of a person of a ledger (GUIDE 第四章五 step 3: compared with the deaths feed and reports).
#[derive(Debug, Clone, diesel::QueryableByName, PartialEq, Eq)]
pub struct DeathOfLedger {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub retiree_id: i64,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub report_id: i64,
    #[diesel(sql_type = diesel::sql_types::Date)]
    pub date_of_death: time::Date,
    /// `reported` (pending verification) or `verified`.
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub status: String,
    /// `feed` when the data platform's deaths feed opened it.
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub reporter_kind: String,
}

/// The standing death reports (`reported` or `verified`, not withdrawn or reversed) of `ids`, the latest per person.
pub fn deaths_of(conn: &mut DbConnection, ids: &[i64]) -> RepoResult<Vec<DeathOfLedger>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let marks = vec!["?"; ids.len()].join(", ");
    let binds: Vec<Bind<'_>> = ids.iter().map(|id| Bind::I64(*id)).collect();
    sql::load(
        conn,
        &format!(
            "SELECT d.retiree_id AS retiree_id, d.id AS report_id, d.date_of_death AS date_of_death, \
             d.status AS status, d.reporter_kind AS reporter_kind FROM death_reports d \
             WHERE d.retiree_id IN ({marks}) AND d.status IN ('reported', 'verified') \
             AND d.id = (SELECT MAX(d2.id) FROM death_reports d2 WHERE d2.retiree_id = d.retiree_id \
             AND d2.status IN ('reported', 'verified')) ORDER BY d.retiree_id"
        ),
        &binds,
    )
}
