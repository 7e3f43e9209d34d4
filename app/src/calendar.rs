//! The working-day calendar: a year's holidays and make-up working days, the State Council's arrangements
//! imported as CSV, and working-day counts and deadlines with the rule the service applies
//! (`domain::calendar`). The bundled 2025-2026 arrangements are loaded when the table is empty at start.

use std::collections::{BTreeSet, HashMap};

use domain::calendar::{self, DayKind, FIRST_YEAR, LAST_YEAR};
use domain::{ErrorCode, RuleViolation};
use persistence::DbConnection;
use persistence::audit;
use persistence::calendar::{self as repo, DayRow};
use serde::{Deserialize, Serialize};
use time::Date;
use utoipa::ToSchema;

use crate::caller::Caller;
use crate::error::{AppError, FieldError};
use crate::imports::{Mode, RowError};
use crate::input::{check_name, parse_date};

/// The arrangements shipped with the service (国办发明电〔2024〕12号 for 2025; the 2026 notice of 2025-11-04).
pub const BUNDLED_CSV: &str = include_str!("../../resources/calendar/cn-holidays-2025-2026.csv");

/// Longest holiday name.
const MAX_NAME: usize = 50;
/// Largest `working_days` or `days` of a deadline.
const MAX_DEADLINE: u32 = 3660;
/// Rejected rows listed at most.
const MAX_LISTED_ERRORS: usize = 1000;

/// One listed date.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CalendarDayResponse {
    /// The date.
    #[schema(value_type = String, format = Date, example = "2026-02-14")]
    pub date: Date,
    /// `holiday`: a day off; `workday`: a Saturday or Sunday that is a working day (调休上班).
    pub kind: DayKind,
    /// Name from the arrangement.
    #[schema(example = "春节调休上班")]
    pub name: String,
}

/// A year's arrangement.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CalendarYearResponse {
    /// The year.
    #[schema(example = 2026)]
    pub year: i32,
    /// Whether an arrangement is loaded for the year. When `false`, only Saturdays and Sundays count as days off.
    pub covered: bool,
    /// The listed dates, in date order. Dates not listed are working days from Monday to Friday and days off on
    /// Saturday and Sunday.
    pub items: Vec<CalendarDayResponse>,
}

/// A count of working days.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct WorkingDaysResponse {
    /// First date, not counted.
    #[schema(value_type = String, format = Date, example = "2026-02-13")]
    pub from: Date,
    /// Last date, counted.
    #[schema(value_type = String, format = Date, example = "2026-02-28")]
    pub to: Date,
    /// Working days after `from` up to and including `to`; negative when `to` is before `from`. A deadline of N
    /// working days from `from` falls on the date where this reaches N.
    #[schema(example = 6)]
    pub working_days: i64,
    /// Years between the two dates without a loaded arrangement: only weekends were counted as days off there.
    #[schema(example = json!([]))]
    pub uncovered_years: Vec<i32>,
}

/// When a deadline falls due.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct DeadlineResponse {
    /// Day of the event.
    #[schema(value_type = String, format = Date, example = "2026-02-13")]
    pub from: Date,
    /// The deadline in working days, when asked in working days.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = 2)]
    pub working_days: Option<u32>,
    /// The deadline in calendar days, when asked in days.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub days: Option<u32>,
    /// The last day in time. In working days: the Nth working day after `from` (`from` itself is not counted;
    /// for 0, `from` if it is a working day, else the next one). In days: `from` + N, whatever the day.
    #[schema(value_type = String, format = Date, example = "2026-02-24")]
    pub due: Date,
    /// Whether `due` is a working day.
    pub due_is_working_day: bool,
    /// Years from `from` to `due` without a loaded arrangement: only weekends were counted as days off there.
    #[schema(example = json!([]))]
    pub uncovered_years: Vec<i32>,
}

/// What a calendar import did.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
pub struct CalendarImportReport {
    /// Mode used.
    pub mode: Mode,
    /// Data rows read (comment and blank lines not counted).
    #[schema(example = 72)]
    pub rows: u64,
    /// Dates not listed before.
    #[schema(example = 72)]
    pub created: u64,
    /// Dates whose kind or name changed.
    pub updated: u64,
    /// Dates already as in the file.
    pub unchanged: u64,
    /// Rows not imported.
    pub rejected: u64,
    /// Years the imported rows belong to, ascending.
    #[schema(example = json!([2025, 2026]))]
    pub years: Vec<i32>,
    /// The rejected rows (at most 1000 listed).
    pub errors: Vec<RowError>,
}

/// A year's listed dates (`covered` when an arrangement is loaded for it).
pub fn holidays(conn: &mut DbConnection, year: i32) -> Result<CalendarYearResponse, AppError> {
    let items = repo::list_year(conn, year)?
        .into_iter()
        .map(|d| Ok(CalendarDayResponse { date: d.day, kind: d.kind()?, name: d.name }))
        .collect::<Result<Vec<_>, persistence::RepoError>>()?;
    Ok(CalendarYearResponse { year, covered: !items.is_empty(), items })
}

/// The checks of `from` and `to` of a count: both required dates in 1900-2100, every broken rule at once.
pub fn check_between(from: Option<&str>, to: Option<&str>) -> Result<(Date, Date), Vec<FieldError>> {
    let mut errors = Vec::new();
    let from = required_date("from", from).map_err(|e| errors.push(e)).ok();
    let to = required_date("to", to).map_err(|e| errors.push(e)).ok();
    match (from, to) {
        (Some(from), Some(to)) if errors.is_empty() => Ok((from, to)),
        _ => Err(errors),
    }
}

/// The working days after `from` up to and including `to` (weekends and listed holidays off, listed make-up
/// working days on).
pub fn working_days(conn: &mut DbConnection, from: Date, to: Date) -> Result<WorkingDaysResponse, AppError> {
    let (first, last) = if from <= to { (from.year(), to.year()) } else { (to.year(), from.year()) };
    let cal = repo::load_calendar(conn, first, last)?;
    Ok(WorkingDaysResponse {
        from,
        to,
        working_days: cal.working_days_between(from, to),
        uncovered_years: cal.uncovered_years(from, to),
    })
}

/// A deadline asked about, checked.
#[derive(Debug, Clone, Copy)]
pub struct DeadlineAsk {
    /// Day of the event.
    pub from: Date,
    /// N working days, or
    pub working_days: Option<u32>,
    /// N calendar days.
    pub days: Option<u32>,
}

/// The checks of a deadline question: `from` a required date in 1900-2100, exactly one of `working_days` and
/// `days`, each 0-3660. Every broken rule at once.
pub fn check_deadline(
    from: Option<&str>,
    working_days: Option<&str>,
    days: Option<&str>,
) -> Result<DeadlineAsk, Vec<FieldError>> {
    let mut errors = Vec::new();
    let from = required_date("from", from).map_err(|e| errors.push(e)).ok();
    let working = count_param("working_days", working_days).map_err(|e| errors.push(e)).ok();
    let days = count_param("days", days).map_err(|e| errors.push(e)).ok();
    let (working, days) = (working.flatten(), days.flatten());
    if errors.is_empty() && working.is_some() == days.is_some() {
        errors.push(FieldError::with(
            "working_days",
            ErrorCode::OneOfWorkingDaysOrDays,
            "请给出 working_days（工作日）或 days（日）中的一个",
            "give exactly one of working_days (working days) or days (calendar days)",
        ));
    }
    match from {
        Some(from) if errors.is_empty() => Ok(DeadlineAsk { from, working_days: working, days }),
        _ => Err(errors),
    }
}

/// The due date of a deadline of N working days (or N calendar days) from an event: the day of the event is not
/// counted, the deadline is the Nth working day after it.
pub fn deadline(conn: &mut DbConnection, ask: DeadlineAsk) -> Result<DeadlineResponse, AppError> {
    let DeadlineAsk { from, working_days: working, days } = ask;
    // Each year has well over 200 working days, so N working days end within N / 200 + 1 years.
    let span = working.or(days).unwrap_or(0) / 200 + 1;
    let last = from.year() + i32::try_from(span).unwrap_or(20);
    let cal = repo::load_calendar(conn, from.year(), last)?;
    let due = match (working, days) {
        (Some(n), _) => cal.add_working_days(from, n),
        (None, Some(n)) => cal.add_days(from, n),
        (None, None) => None,
    }
    .ok_or_else(|| AppError::internal("deadline beyond the supported dates"))?;
    Ok(DeadlineResponse {
        from,
        working_days: working,
        days,
        due,
        due_is_working_day: cal.is_working_day(due),
        uncovered_years: cal.uncovered_years(from, due),
    })
}

/// Imports a checked file by `mode` (atomic: nothing when a row is bad, 422 naming each line; partial: the good
/// rows) and writes the audit entry. A date imported again is updated, never duplicated; dates are never removed.
pub fn import(
    conn: &mut DbConnection,
    caller: &Caller,
    parsed: ParsedCsv,
    mode: Mode,
) -> Result<CalendarImportReport, AppError> {
    let report = apply(conn, parsed, mode)?;
    let mut entry = caller.audit("calendar.import", "calendar", "", &caller.scope_path);
    entry.object_id = None;
    entry.detail = Some(
        serde_json::json!({"mode": report.mode, "rows": report.rows, "created": report.created,
            "updated": report.updated, "unchanged": report.unchanged, "rejected": report.rejected,
            "years": report.years})
        .to_string(),
    );
    audit::append(conn, &entry)?;
    Ok(report)
}

/// Loads the bundled arrangements when the calendar is empty (at start, after migrations). Returns the rows
/// written, 0 when the calendar had data. Safe to run from several replicas at once: a date written meanwhile is
/// overwritten with the same values.
pub fn seed_bundled(conn: &mut DbConnection) -> Result<u64, AppError> {
    if repo::count(conn)? > 0 {
        return Ok(0);
    }
    let parsed = parse_csv(BUNDLED_CSV)?;
    if let Some((error, line)) = parsed.errors.first() {
        return Err(AppError::internal(format!("bundled calendar line {line}: {} {}", error.field, error.message.en)));
    }
    let rows: Vec<DayRow> = parsed.good.into_iter().map(|(_, row)| row).collect();
    let counts = persistence::write_tx(conn, |conn| repo::upsert(conn, &rows))?;
    Ok(counts.created + counts.updated)
}

/// A file read and checked: the good rows with their lines, and the broken rules with theirs.
#[derive(Debug, Default)]
pub struct ParsedCsv {
    /// Data rows read.
    pub rows: u64,
    /// Rows that passed every rule.
    pub good: Vec<(u64, DayRow)>,
    /// Broken rules, with the line (the header of a file without comments is line 1).
    pub errors: Vec<(FieldError, u64)>,
}

fn header_error(detail: &str) -> AppError {
    AppError::field(FieldError::with(
        "header",
        ErrorCode::CsvHeader,
        format!("表头应为 date,kind,name（{detail}）"),
        format!("the header must be date,kind,name ({detail})"),
    ))
}

/// Reads a calendar CSV (`#` comment lines, header `date,kind,name`) and checks every row: the date, the kind,
/// the name, a `workday` on a weekend, and each date once.
pub fn parse_csv(text: &str) -> Result<ParsedCsv, AppError> {
    if text.trim().is_empty() {
        return Err(AppError::field(FieldError::of("header", ErrorCode::EmptyFile)));
    }
    let mut reader =
        csv::ReaderBuilder::new().flexible(true).trim(csv::Trim::All).comment(Some(b'#')).from_reader(text.as_bytes());
    let headers = reader.headers().map_err(|e| header_error(&e.to_string()))?.clone();
    let columns: HashMap<String, usize> =
        headers.iter().enumerate().map(|(i, h)| (h.trim().to_ascii_lowercase(), i)).collect();
    for required in ["date", "kind", "name"] {
        if !columns.contains_key(required) {
            return Err(header_error(&format!("missing column {required}")));
        }
    }
    let get = |rec: &'_ csv::StringRecord, name: &str| -> String {
        columns.get(name).and_then(|i| rec.get(*i)).unwrap_or("").to_owned()
    };
    let mut parsed = ParsedCsv::default();
    let mut seen: HashMap<Date, u64> = HashMap::new();
    let mut record = csv::StringRecord::new();
    loop {
        let more = reader.read_record(&mut record).map_err(|e| {
            AppError::with(ErrorCode::CsvSyntax, format!("CSV 格式错误：{e}"), format!("CSV syntax error: {e}"))
        })?;
        if !more {
            break;
        }
        if record.iter().all(str::is_empty) {
            continue;
        }
        parsed.rows += 1;
        let line = record.position().map_or(0, |p| record_line(text, p));
        let mut errors = Vec::new();
        let date = parse_date("date", &get(&record, "date")).map_err(|e| errors.push(e)).ok();
        let kind_text = get(&record, "kind");
        let kind = DayKind::parse(&kind_text);
        if kind.is_none() {
            errors.push(FieldError::with(
                "kind",
                ErrorCode::InvalidEnum,
                format!("kind 取值应为 {}", DayKind::codes().join("、")),
                format!("kind must be one of {}", DayKind::codes().join(", ")),
            ));
        }
        let name = check_name("name", &get(&record, "name"), MAX_NAME, &mut errors);
        if let Some(date) = date {
            // Without a valid kind, check what applies to any kind (a holiday may fall on any day): the year.
            if let Err(e) = calendar::check_entry(date, kind.unwrap_or(DayKind::Holiday)) {
                errors.push(FieldError::rule("date", &e as &dyn RuleViolation));
            }
            if let Some(first) = seen.get(&date) {
                errors.push(FieldError::with(
                    "date",
                    ErrorCode::DuplicateInFile,
                    format!("日期{date}在文件中重复（第{first}行）"),
                    format!("date {date} appears twice in the file (first on line {first})"),
                ));
            } else {
                seen.insert(date, line);
            }
        }
        match (date, kind) {
            (Some(day), Some(kind)) if errors.is_empty() => parsed.good.push((line, DayRow { day, kind, name })),
            _ => parsed.errors.extend(errors.into_iter().map(|e| (e, line))),
        }
    }
    Ok(parsed)
}

/// The line a record starts on. The CSV reader places a record that follows comment or blank lines at the first of
/// them; step over those.
fn record_line(text: &str, position: &csv::Position) -> u64 {
    let mut line = position.line();
    let mut rest = text.get(usize::try_from(position.byte()).unwrap_or(usize::MAX)..).unwrap_or_default();
    while let Some(end) = rest.find('\n') {
        let this = &rest[..end];
        if !(this.starts_with('#') || this.trim().is_empty()) {
            break;
        }
        line += 1;
        rest = &rest[end + 1..];
    }
    line
}

/// Writes a checked file: nothing when `mode` is atomic and a row is bad (422 naming each line), else the good
/// rows.
fn apply(conn: &mut DbConnection, parsed: ParsedCsv, mode: Mode) -> Result<CalendarImportReport, AppError> {
    let ParsedCsv { rows, good, mut errors } = parsed;
    errors.sort_by_key(|(_, line)| *line);
    if mode == Mode::Atomic && !errors.is_empty() {
        errors.truncate(MAX_LISTED_ERRORS);
        return Err(AppError::validation_at(errors.into_iter().map(|(e, l)| (e, Some(l))).collect()));
    }
    let rejected: BTreeSet<u64> = errors.iter().map(|(_, line)| *line).collect();
    let years: BTreeSet<i32> = good.iter().map(|(_, row)| row.day.year()).collect();
    let days: Vec<DayRow> = good.into_iter().map(|(_, row)| row).collect();
    let counts = repo::upsert(conn, &days)?;
    Ok(CalendarImportReport {
        mode,
        rows,
        created: counts.created,
        updated: counts.updated,
        unchanged: counts.unchanged,
        rejected: rejected.len() as u64,
        years: years.into_iter().collect(),
        errors: errors
            .into_iter()
            .take(MAX_LISTED_ERRORS)
            .map(|(e, line)| RowError { line, field: e.field, code: e.code, message: e.message.zh })
            .collect(),
    })
}

/// A year query parameter: required, 1900-2100.
pub fn parse_year(field: &str, text: Option<&str>) -> Result<i32, FieldError> {
    let text = text.map(str::trim).filter(|t| !t.is_empty()).ok_or_else(|| missing(field))?;
    match text.parse::<i32>() {
        Ok(year) if (FIRST_YEAR..=LAST_YEAR).contains(&year) => Ok(year),
        _ => Err(FieldError::with(
            field,
            ErrorCode::YearRange,
            format!("{field} 应为{FIRST_YEAR}至{LAST_YEAR}的年份"),
            format!("{field} must be a year from {FIRST_YEAR} to {LAST_YEAR}"),
        )),
    }
}

/// A required date query parameter with its year in 1900-2100.
fn required_date(field: &str, text: Option<&str>) -> Result<Date, FieldError> {
    let text = text.filter(|t| !t.trim().is_empty()).ok_or_else(|| missing(field))?;
    let date = parse_date(field, text)?;
    if !(FIRST_YEAR..=LAST_YEAR).contains(&date.year()) {
        let e = calendar::CalendarEntryError::YearOutOfRange(date.year());
        return Err(FieldError::rule(field, &e as &dyn RuleViolation));
    }
    Ok(date)
}

/// An optional count query parameter, 0-3660.
fn count_param(field: &str, text: Option<&str>) -> Result<Option<u32>, FieldError> {
    let Some(text) = text else { return Ok(None) };
    match text.trim().parse::<u32>() {
        Ok(n) if n <= MAX_DEADLINE => Ok(Some(n)),
        _ => Err(FieldError::with(
            field,
            ErrorCode::CountRange,
            format!("{field} 应为0至{MAX_DEADLINE}的整数"),
            format!("{field} must be a whole number from 0 to {MAX_DEADLINE}"),
        )),
    }
}

fn missing(field: &str) -> FieldError {
    FieldError::with(
        field,
        ErrorCode::Required,
        format!("缺少查询参数 {field}"),
        format!("query parameter {field} is required"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::Calendar;
    use time::macros::date;

    #[test]
    fn bundled_file_is_clean_and_complete() {
        let parsed = parse_csv(BUNDLED_CSV).unwrap();
        assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
        assert_eq!(parsed.rows, 72);
        assert_eq!(parsed.good.len(), 72);
        // Two comment lines and the header come first.
        assert_eq!(parsed.good[0].0, 4);
        assert_eq!(
            parsed.good[0].1,
            DayRow { day: date!(2025 - 01 - 01), kind: DayKind::Holiday, name: "元旦".into() }
        );
        let cal = Calendar::from_days(parsed.good.iter().map(|(_, r)| (r.day, r.kind)));
        assert!(cal.covers(2025) && cal.covers(2026) && !cal.covers(2027));
        // 国办发明电〔2024〕12号: 2025 春节 1月28日至2月4日放假，1月26日（周日）、2月8日（周六）上班.
        assert_eq!(cal.add_working_days(date!(2025 - 01 - 27), 1), Some(date!(2025 - 02 - 05)));
        assert!(cal.is_working_day(date!(2025 - 01 - 26)));
    }

    #[test]
    fn rows_are_checked_with_their_lines() {
        let text = "# comment\n\
                    date,kind,name\n\
                    2026-02-14,workday,春节调休上班\n\
                    # another comment\n\
                    \n\
                    2026-02-13,workday,周五调休\n\
                    2026-02-30,holiday,坏日期\n\
                    2026-02-15,vacation,\n\
                    2026-02-14,holiday,重复\n";
        let parsed = parse_csv(text).unwrap();
        assert_eq!(parsed.rows, 5);
        assert_eq!(parsed.good.len(), 1);
        assert_eq!(parsed.good[0].0, 3);
        let errors: Vec<(u64, &str, &str)> =
            parsed.errors.iter().map(|(e, l)| (*l, e.field.as_str(), e.code.as_str())).collect();
        assert_eq!(
            errors,
            vec![
                (6, "date", "workday_not_weekend"),
                (7, "date", "invalid_date"),
                (8, "kind", "invalid_enum"),
                (8, "name", "length"),
                (9, "date", "duplicate_in_file"),
            ]
        );
    }
}
