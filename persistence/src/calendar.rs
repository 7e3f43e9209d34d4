//! The working-day calendar: one row per listed date (`holiday` or `workday`), keyed by the date, so importing a
//! date again updates it and never duplicates it. Dates not listed follow the weekend rule
//! (`domain::calendar`).

use std::collections::HashMap;

use diesel::prelude::*;
use diesel::upsert::excluded;
use domain::calendar::{Calendar, DayKind};
use time::{Date, PrimitiveDateTime};

use crate::schema::calendar_days;
use crate::{DbConnection, RepoError, RepoResult, now_utc};

/// A stored date.
#[derive(Debug, Clone, Queryable, Selectable, PartialEq, Eq)]
#[diesel(table_name = calendar_days)]
#[diesel(check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct CalendarDay {
    /// The date.
    pub day: Date,
    /// Its year (indexed, for listing a year).
    pub year: i32,
    /// `holiday` or `workday`.
    pub kind: String,
    /// The holiday's name, e.g. `春节` or `春节调休上班`.
    pub name: String,
    /// When last imported with a change.
    pub updated_at: PrimitiveDateTime,
}

impl CalendarDay {
    /// The kind as a domain value.
    pub fn kind(&self) -> RepoResult<DayKind> {
        DayKind::parse(&self.kind)
            .ok_or_else(|| RepoError::Corrupt(format!("calendar day {} has kind {:?}", self.day, self.kind)))
    }
}

/// A date to import.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DayRow {
    /// The date.
    pub day: Date,
    /// What it is.
    pub kind: DayKind,
    /// Its name.
    pub name: String,
}

#[derive(Insertable)]
#[diesel(table_name = calendar_days)]
struct NewDay<'a> {
    day: Date,
    year: i32,
    kind: &'a str,
    name: &'a str,
    updated_at: PrimitiveDateTime,
}

/// Counts of an import.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct UpsertCounts {
    /// Dates not stored before.
    pub created: u64,
    /// Dates whose kind or name changed.
    pub updated: u64,
    /// Dates already as given.
    pub unchanged: u64,
}

/// The stored dates of `year`, in date order.
pub fn list_year(conn: &mut DbConnection, year: i32) -> RepoResult<Vec<CalendarDay>> {
    Ok(calendar_days::table
        .filter(calendar_days::year.eq(year))
        .order(calendar_days::day)
        .select(CalendarDay::as_select())
        .load(conn)?)
}

/// The stored dates from `from` to `to`, both included, in date order.
pub fn between(conn: &mut DbConnection, from: Date, to: Date) -> RepoResult<Vec<CalendarDay>> {
    Ok(calendar_days::table
        .filter(calendar_days::day.between(from, to))
        .order(calendar_days::day)
        .select(CalendarDay::as_select())
        .load(conn)?)
}

/// The stored dates of the years `first..=last`, in date order.
pub fn in_years(conn: &mut DbConnection, first: i32, last: i32) -> RepoResult<Vec<CalendarDay>> {
    Ok(calendar_days::table
        .filter(calendar_days::year.between(first, last))
        .order(calendar_days::day)
        .select(CalendarDay::as_select())
        .load(conn)?)
}

/// A [`Calendar`] of the years `first..=last`: those with stored dates are covered, the others count weekends
/// only. Whole years are loaded, so `covers` is true exactly for the years an arrangement was imported for.
pub fn load_calendar(conn: &mut DbConnection, first: i32, last: i32) -> RepoResult<Calendar> {
    let days = in_years(conn, first, last)?;
    let entries = days.iter().map(|d| d.kind().map(|k| (d.day, k))).collect::<RepoResult<Vec<_>>>()?;
    Ok(Calendar::from_days(entries))
}

/// Stored rows.
pub fn count(conn: &mut DbConnection) -> RepoResult<i64> {
    Ok(calendar_days::table.count().get_result(conn)?)
}

/// The stored rows among `days`, by date.
pub fn existing(conn: &mut DbConnection, days: &[Date]) -> RepoResult<HashMap<Date, CalendarDay>> {
    let mut out = HashMap::with_capacity(days.len());
    for chunk in days.chunks(900) {
        let rows: Vec<CalendarDay> = calendar_days::table
            .filter(calendar_days::day.eq_any(chunk))
            .select(CalendarDay::as_select())
            .load(conn)?;
        out.extend(rows.into_iter().map(|d| (d.day, d)));
    }
    Ok(out)
}

/// Inserts new dates and updates changed ones (a date appears once in `rows`). A date stored meanwhile by a
/// concurrent import is overwritten, not refused.
pub fn upsert(conn: &mut DbConnection, rows: &[DayRow]) -> RepoResult<UpsertCounts> {
    let dates: Vec<Date> = rows.iter().map(|r| r.day).collect();
    let current = existing(conn, &dates)?;
    let now = now_utc();
    let mut counts = UpsertCounts::default();
    let mut writes = Vec::new();
    for row in rows {
        match current.get(&row.day) {
            Some(old) if old.kind == row.kind.as_str() && old.name == row.name => counts.unchanged += 1,
            Some(_) => {
                counts.updated += 1;
                writes.push(row);
            }
            None => {
                counts.created += 1;
                writes.push(row);
            }
        }
    }
    // One statement per changed date (a file holds a few dozen a year); SQLite cannot batch an upsert.
    for row in writes {
        let value =
            NewDay { day: row.day, year: row.day.year(), kind: row.kind.as_str(), name: &row.name, updated_at: now };
        crate::on_each_backend!(conn, |c| diesel::insert_into(calendar_days::table)
            .values(&value)
            .on_conflict(calendar_days::day)
            .do_update()
            .set((
                calendar_days::year.eq(excluded(calendar_days::year)),
                calendar_days::kind.eq(excluded(calendar_days::kind)),
                calendar_days::name.eq(excluded(calendar_days::name)),
                calendar_days::updated_at.eq(excluded(calendar_days::updated_at)),
            ))
            .execute(c))?;
    }
    Ok(counts)
}
