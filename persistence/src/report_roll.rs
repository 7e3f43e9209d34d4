//! The people sections of the monthly report (按月计报; GUIDE 交接制度, 第四章二) in ONE scan of the roll, for any
//! number of periods at once: roll counts by category, management level and sex, party members, and per period the
//! age bands, the advanced-age group and the certifications due and overdue. A report of an open month counts its
//! own month, the previous month and the same month last year (and re-counts the closed months before it for the
//! corrections); before this pass each of those counted the roll eight times, so a city's report read its
//! retirees 24 times or more (docs/scale.md). The rules restated in SQL are the ones of [`crate::rules`].
//!
//! The answer has one row per community with one column per figure; a stored category, management level or sex that
//! is not a known code makes the row's figures disagree with its head count, which is an error
//! ([`crate::RepoError::Corrupt`]), never a silent gap in the report.

use diesel::backend::Backend;
use diesel::deserialize::{self, FromSql, QueryableByName};
use diesel::row::NamedRow;
use diesel::sql_types::{BigInt, Text};

use domain::{Category, ManagementLevel, Sex};

use crate::reports::{Period, Tally};
use crate::rules;
use crate::sql::{self, Bind};
use crate::{DbConnection, RepoError, RepoResult};

/// One community's figures: its path and the values `v0 … v{width-1}` in the order the measures were asked.
struct Wide {
    path: String,
    values: Vec<i64>,
}

impl<DB: Backend> QueryableByName<DB> for Wide
where
    String: FromSql<Text, DB>,
    i64: FromSql<BigInt, DB>,
{
    fn build<'a>(row: &impl NamedRow<'a, DB>) -> deserialize::Result<Self> {
        let path = NamedRow::get::<Text, String>(row, "path")?;
        let width = NamedRow::get::<BigInt, i64>(row, "width")?;
        let values = (0..width)
            .map(|i| NamedRow::get::<BigInt, i64>(row, &format!("v{i}")))
            .collect::<deserialize::Result<_>>()?;
        Ok(Self { path, values })
    }
}

/// What one column of the pass counts.
struct Measure {
    /// The tally's section and key.
    section: &'static str,
    key: String,
    /// The period it belongs to; `None`: the same for every period (the roll as it stands).
    period: Option<usize>,
    /// The condition counted over the people of a community (an expression of the inner row).
    filter: String,
}

/// A dimension of the roll whose figures must add up to the head count.
struct Dimension {
    column: &'static str,
    section: &'static str,
    codes: Vec<&'static str>,
}

fn dimensions() -> [Dimension; 3] {
    [
        Dimension {
            column: "category",
            section: "category",
            codes: Category::ALL.iter().map(|c| c.as_str()).collect(),
        },
        Dimension {
            column: "management_level",
            section: "management_level",
            codes: ManagementLevel::ALL.iter().map(|c| c.as_str()).collect(),
        },
        Dimension { column: "sex", section: "sex", codes: Sex::ALL.iter().map(|c| c.as_str()).collect() },
    ]
}

/// The people tallies of each of `periods` (the same subtree each: the first period's `scope_path`), in one scan:
/// sections `category`, `management_level`, `sex`, `age_band`, `special_group` (`advanced_age`, `party_member`) and
/// `certification` (`due`: the last valid day in the month; `overdue` on the as-of day, [`rules::overdue_sql`]).
/// Only figures above zero are returned.
pub fn people(conn: &mut DbConnection, periods: &[Period<'_>]) -> RepoResult<Vec<Vec<Tally>>> {
    let Some(first) = periods.first() else { return Ok(Vec::new()) };
    let scope_path = first.scope_path;
    let upper = crate::jurisdictions::subtree_upper(scope_path);

    // The inner row: the person's codes, and per period the band and the 0/1 flags, with their binds in order.
    let mut inner = vec![
        "r.community_code AS code".to_owned(),
        "r.category AS category".to_owned(),
        "r.management_level AS management_level".to_owned(),
        "r.sex AS sex".to_owned(),
        "r.party_member AS party".to_owned(),
    ];
    let mut binds: Vec<Bind<'_>> = Vec::new();
    let mut measures: Vec<Measure> = Vec::new();
    let dims = dimensions();
    for d in &dims {
        for code in &d.codes {
            measures.push(Measure {
                section: d.section,
                key: (*code).to_owned(),
                period: None,
                filter: format!("t.{} = '{code}'", d.column),
            });
        }
    }
    measures.push(Measure {
        section: "special_group",
        key: "party_member".to_owned(),
        period: None,
        filter: "t.party".to_owned(),
    });
    for (i, p) in periods.iter().enumerate() {
        inner.push(format!("{} AS band{i}", rules::age_band_sql("r.birth_date", p.bands)));
        binds.extend(rules::age_band_binds(p.bands, p.on).into_iter().map(Bind::Date));
        inner.push(format!("({}) AS old{i}", rules::age_at_least_sql("r.birth_date")));
        binds.push(Bind::Date(domain::born_on_or_before_for_age(p.on, p.advanced_age_years)));
        inner.push(format!("(r.certified_until >= ? AND r.certified_until <= ?) AS due{i}"));
        binds.extend([Bind::Date(p.first), Bind::Date(p.last)]);
        inner.push(format!("({}) AS overdue{i}", rules::overdue_sql("r.certified_until")));
        binds.push(Bind::Date(p.on));
        for b in domain::report::band_bounds(p.bands) {
            measures.push(Measure {
                section: "age_band",
                key: b.to_string(),
                period: Some(i),
                filter: format!("t.band{i} = '{b}'"),
            });
        }
        for (section, key, column) in [
            ("special_group", "advanced_age", "old"),
            ("certification", "due", "due"),
            ("certification", "overdue", "overdue"),
        ] {
            measures.push(Measure { section, key: key.to_owned(), period: Some(i), filter: format!("t.{column}{i}") });
        }
    }
    binds.extend([Bind::Text(scope_path), Bind::Text(&upper)]);

    // v0 is the head count; v1… the measures.
    let mut outer = vec!["CAST(COUNT(*) AS BIGINT) AS v0".to_owned()];
    // COUNT … FILTER: measured against SUM(CASE …) on 2,000,000 people, 0.87× the time (docs/scale.md).
    outer.extend(
        measures
            .iter()
            .enumerate()
            .map(|(k, m)| format!("CAST(COUNT(*) FILTER (WHERE {}) AS BIGINT) AS v{}", m.filter, k + 1)),
    );
    let width = measures.len() + 1;
    let names: Vec<String> = (0..width).map(|k| format!("a.v{k}")).collect();
    let q = format!(
        "SELECT j.path AS path, CAST({width} AS BIGINT) AS width, {} FROM \
         (SELECT t.code AS code, {} FROM (SELECT {} FROM retirees r WHERE r.on_roll AND r.community_code IN \
         (SELECT code FROM jurisdictions WHERE path >= ? AND path < ?)) t GROUP BY t.code) a \
         JOIN jurisdictions j ON j.code = a.code",
        names.join(", "),
        outer.join(", "),
        inner.join(", "),
    );
    let rows: Vec<Wide> = sql::load(conn, &q, &binds)?;

    let mut out: Vec<Vec<Tally>> = periods.iter().map(|_| Vec::new()).collect();
    for row in rows {
        if row.values.len() != width {
            return Err(RepoError::Corrupt(format!(
                "report roll row of {} has {} figures",
                row.path,
                row.values.len()
            )));
        }
        let head = row.values[0];
        check_adds_up(&row, &measures, &dims, head)?;
        for (m, v) in measures.iter().zip(&row.values[1..]) {
            if *v == 0 {
                continue;
            }
            let tally =
                || Tally { path: row.path.clone(), section: m.section.to_owned(), key: m.key.clone(), n: *v, fen: 0 };
            match m.period {
                Some(i) => out[i].push(tally()),
                None => out.iter_mut().for_each(|o| o.push(tally())),
            }
        }
    }
    Ok(out)
}

/// Each dimension's figures add up to the head count: else a stored code is unknown (corrupt data).
fn check_adds_up(row: &Wide, measures: &[Measure], dims: &[Dimension], head: i64) -> RepoResult<()> {
    for d in dims {
        let sum: i64 =
            measures.iter().zip(&row.values[1..]).filter(|(m, _)| m.section == d.section).map(|(_, v)| v).sum();
        if sum != head {
            return Err(RepoError::Corrupt(format!(
                "{} of {} retirees on the roll under {} is not a known code",
                d.column,
                head - sum,
                row.path
            )));
        }
    }
    Ok(())
}
