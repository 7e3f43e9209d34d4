//! The working-day calendar (issue 3 "Working-day calendar"): Saturdays and Sundays are days off, Monday to
//! Friday working days, except where the State Council's yearly arrangement (国务院办公厅关于部分节假日安排的通知)
//! makes a day a public holiday (`holiday`, 放假) or a weekend day a working day (`workday`, 调休上班).
//!
//! Deadlines stated in working days (工作日) use [`Calendar::add_working_days`]; deadlines stated in days (日) are
//! calendar days, [`Calendar::add_days`]. The counting convention, for both: **the day of the event is not
//! counted**; a deadline "within N (working) days" of an event on day D falls on the Nth (working) day after D,
//! and that whole day is still in time. [`Calendar::working_days_between`] is the inverse: it counts the working
//! days after `from` up to and including `to`.
//!
//! A year for which no arrangement is loaded is not *covered*: its public holidays are unknown, so only
//! weekends are days off there. Callers can ask [`Calendar::covers`] or [`Calendar::uncovered_years`] and say
//! so to the user.

use std::collections::{BTreeMap, BTreeSet};

use time::{Date, Duration, Weekday};

use crate::RuleViolation;

crate::code_enum! {
    /// What the arrangement says about a date.
    DayKind {
        /// A day off (public holiday, or a weekday given off in exchange for a make-up working day).
        Holiday = "holiday": "放假",
        /// A Saturday or Sunday that is a working day (调休上班).
        Workday = "workday": "调休上班",
    }
}

/// First year an arrangement may be given for.
pub const FIRST_YEAR: i32 = 1900;
/// Last year an arrangement may be given for.
pub const LAST_YEAR: i32 = 2100;

/// Why a calendar entry is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CalendarEntryError {
    /// A make-up working day must be a Saturday or Sunday: a weekday is a working day anyway.
    #[error("{0} is a {1}; a make-up working day (workday) must be a Saturday or Sunday")]
    WorkdayNotWeekend(Date, Weekday),
    /// The year lies outside [`FIRST_YEAR`]..=[`LAST_YEAR`].
    #[error("year {0} is outside {FIRST_YEAR}-{LAST_YEAR}")]
    YearOutOfRange(i32),
}

impl RuleViolation for CalendarEntryError {
    fn code(&self) -> &'static str {
        match self {
            Self::WorkdayNotWeekend(..) => "workday_not_weekend",
            Self::YearOutOfRange(_) => "year_range",
        }
    }

    fn message_zh(&self) -> String {
        match self {
            Self::WorkdayNotWeekend(date, _) => format!("{date}不是周六或周日，调休上班日（workday）应为周末"),
            Self::YearOutOfRange(year) => format!("年份{year}超出{FIRST_YEAR}至{LAST_YEAR}的范围"),
        }
    }

    fn message_en(&self) -> String {
        self.to_string()
    }
}

/// Checks one entry of an arrangement: the year is in range and a `workday` falls on a weekend. (A `holiday`
/// may fall on any day: the arrangements list the weekend days inside a holiday period too.)
pub fn check_entry(date: Date, kind: DayKind) -> Result<(), CalendarEntryError> {
    if !(FIRST_YEAR..=LAST_YEAR).contains(&date.year()) {
        return Err(CalendarEntryError::YearOutOfRange(date.year()));
    }
    if kind == DayKind::Workday && !is_weekend(date) {
        return Err(CalendarEntryError::WorkdayNotWeekend(date, date.weekday()));
    }
    Ok(())
}

/// Saturday or Sunday.
pub fn is_weekend(date: Date) -> bool {
    matches!(date.weekday(), Weekday::Saturday | Weekday::Sunday)
}

/// Monday to Friday in the days after day 0 of the Julian day count up to and including `julian_day` (day 0,
/// 4713 BC, was a Monday). Differences of this give weekday counts without walking the days.
fn weekdays_through(julian_day: i32) -> i64 {
    let day = i64::from(julian_day);
    5 * day.div_euclid(7) + (day.rem_euclid(7) + 1).min(5)
}

/// Holidays and make-up working days of the covered years.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Calendar {
    days: BTreeMap<Date, DayKind>,
    years: BTreeSet<i32>,
}

impl Calendar {
    /// A calendar from the holidays and the make-up working days (调休上班) of whole years. Every year with at
    /// least one entry counts as covered. A date given as both is a holiday.
    pub fn new(holidays: impl IntoIterator<Item = Date>, workdays: impl IntoIterator<Item = Date>) -> Self {
        let workdays = workdays.into_iter().map(|d| (d, DayKind::Workday));
        let holidays = holidays.into_iter().map(|d| (d, DayKind::Holiday));
        Self::from_days(workdays.chain(holidays))
    }

    /// A calendar from `(date, kind)` entries of whole years, as stored; a later entry for a date wins.
    pub fn from_days(days: impl IntoIterator<Item = (Date, DayKind)>) -> Self {
        let mut calendar = Self::default();
        for (date, kind) in days {
            calendar.years.insert(date.year());
            calendar.days.insert(date, kind);
        }
        calendar
    }

    /// Whether an arrangement for `year` is loaded. Outside covered years only weekends are days off.
    pub fn covers(&self, year: i32) -> bool {
        self.years.contains(&year)
    }

    /// The covered years, ascending.
    pub fn covered_years(&self) -> impl Iterator<Item = i32> + '_ {
        self.years.iter().copied()
    }

    /// The years from `a`'s to `b`'s (in either order) that are not covered, ascending: an answer spanning them
    /// counted only weekends as days off there.
    pub fn uncovered_years(&self, a: Date, b: Date) -> Vec<i32> {
        let (first, last) = if a <= b { (a.year(), b.year()) } else { (b.year(), a.year()) };
        (first..=last).filter(|y| !self.covers(*y)).collect()
    }

    /// What the arrangement says about `date`, if anything.
    pub fn kind_of(&self, date: Date) -> Option<DayKind> {
        self.days.get(&date).copied()
    }

    /// Whether `date` is a working day: a listed holiday is not, a listed make-up working day is, otherwise
    /// Monday to Friday are.
    pub fn is_working_day(&self, date: Date) -> bool {
        match self.kind_of(date) {
            Some(DayKind::Holiday) => false,
            Some(DayKind::Workday) => true,
            None => !is_weekend(date),
        }
    }

    /// The due date of a deadline of `n` working days from an event on `date`: the `n`th working day after
    /// `date` (the event's day is not counted, whether or not it is a working day). `n = 0` gives `date` itself
    /// when it is a working day, else the next working day. `None` only past the year 9999.
    pub fn add_working_days(&self, date: Date, n: u32) -> Option<Date> {
        let mut day = date;
        if n == 0 {
            while !self.is_working_day(day) {
                day = day.next_day()?;
            }
            return Some(day);
        }
        let mut left = n;
        while left > 0 {
            day = day.next_day()?;
            if self.is_working_day(day) {
                left -= 1;
            }
        }
        Some(day)
    }

    /// The working days after `from` up to and including `to`; negative when `to` is before `from`
    /// (`working_days_between(a, b) == -working_days_between(b, a)`), 0 when they are equal. For `n >= 1`,
    /// `working_days_between(d, add_working_days(d, n)) == n`.
    pub fn working_days_between(&self, from: Date, to: Date) -> i64 {
        if to < from {
            return -self.working_days_between(to, from);
        }
        let weekdays = weekdays_through(to.to_julian_day()) - weekdays_through(from.to_julian_day());
        let adjustment: i64 = self
            .days
            .range((std::ops::Bound::Excluded(from), std::ops::Bound::Included(to)))
            .map(|(date, kind)| match (kind, is_weekend(*date)) {
                (DayKind::Holiday, false) => -1,
                (DayKind::Workday, true) => 1,
                _ => 0,
            })
            .sum();
        weekdays + adjustment
    }

    /// The due date of a deadline of `n` calendar days (日) from an event on `date`: `date + n`, whatever kind
    /// of day that is (the event's day is not counted, as for working days). The calendar is not consulted;
    /// this sits here so that both kinds of deadline read alike. `None` only past the year 9999.
    pub fn add_days(&self, date: Date, n: u32) -> Option<Date> {
        date.checked_add(Duration::days(i64::from(n)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    /// 国务院办公厅关于2026年部分节假日安排的通知（2025-11-04）, as in
    /// `resources/calendar/cn-holidays-2025-2026.csv`: every 2026 row.
    const ARRANGEMENT_2026: &str = "\
2026-01-01,holiday,元旦
2026-01-02,holiday,元旦
2026-01-03,holiday,元旦
2026-01-04,workday,元旦调休上班
2026-02-14,workday,春节调休上班
2026-02-15,holiday,春节
2026-02-16,holiday,春节
2026-02-17,holiday,春节
2026-02-18,holiday,春节
2026-02-19,holiday,春节
2026-02-20,holiday,春节
2026-02-21,holiday,春节
2026-02-22,holiday,春节
2026-02-23,holiday,春节
2026-02-28,workday,春节调休上班
2026-04-04,holiday,清明节
2026-04-05,holiday,清明节
2026-04-06,holiday,清明节
2026-05-01,holiday,劳动节
2026-05-02,holiday,劳动节
2026-05-03,holiday,劳动节
2026-05-04,holiday,劳动节
2026-05-05,holiday,劳动节
2026-05-09,workday,劳动节调休上班
2026-06-19,holiday,端午节
2026-06-20,holiday,端午节
2026-06-21,holiday,端午节
2026-09-20,workday,国庆节调休上班
2026-09-25,holiday,中秋节
2026-09-26,holiday,中秋节
2026-09-27,holiday,中秋节
2026-10-01,holiday,国庆节
2026-10-02,holiday,国庆节
2026-10-03,holiday,国庆节
2026-10-04,holiday,国庆节
2026-10-05,holiday,国庆节
2026-10-06,holiday,国庆节
2026-10-07,holiday,国庆节
2026-10-10,workday,国庆节调休上班
";

    /// 国务院办公厅关于2025年部分节假日安排的通知（国办发明电〔2024〕12号）: the National Day rows.
    const NATIONAL_DAY_2025: &str = "\
2025-09-28,workday,国庆节调休上班
2025-10-01,holiday,国庆节、中秋节
2025-10-02,holiday,国庆节、中秋节
2025-10-03,holiday,国庆节、中秋节
2025-10-04,holiday,国庆节、中秋节
2025-10-05,holiday,国庆节、中秋节
2025-10-06,holiday,国庆节、中秋节
2025-10-07,holiday,国庆节、中秋节
2025-10-08,holiday,国庆节、中秋节
2025-10-11,workday,国庆节调休上班
";

    fn rows(text: &str) -> Vec<(Date, DayKind)> {
        let format = time::macros::format_description!("[year]-[month]-[day]");
        text.lines()
            .map(|line| {
                let mut cols = line.split(',');
                let date = Date::parse(cols.next().unwrap(), &format).unwrap();
                let kind = DayKind::parse(cols.next().unwrap()).unwrap();
                (date, kind)
            })
            .collect()
    }

    fn cal_2026() -> Calendar {
        Calendar::from_days(rows(ARRANGEMENT_2026))
    }

    // 2026 notice: 春节 2月15日（农历腊月二十八，周日）至23日（周一）放假调休，共9天；2月14日（周六）、
    // 2月28日（周六）上班.
    #[test]
    fn spring_festival_2026_days_off_and_make_up_days() {
        let cal = cal_2026();
        assert!(cal.is_working_day(date!(2026 - 02 - 13)), "Friday before the holiday");
        assert!(cal.is_working_day(date!(2026 - 02 - 14)), "Saturday 调休上班");
        for day in 15..=23 {
            let d = Date::from_calendar_date(2026, time::Month::February, day).unwrap();
            assert!(!cal.is_working_day(d), "{d} is 春节");
        }
        assert!(cal.is_working_day(date!(2026 - 02 - 24)), "first Tuesday after");
        assert!(cal.is_working_day(date!(2026 - 02 - 28)), "Saturday 调休上班");
        assert!(!cal.is_working_day(date!(2026 - 03 - 01)), "an ordinary Sunday");
        assert!(!cal.is_working_day(date!(2026 - 03 - 07)), "an ordinary Saturday");
        assert_eq!(cal.kind_of(date!(2026 - 02 - 14)), Some(DayKind::Workday));
        assert_eq!(cal.kind_of(date!(2026 - 02 - 16)), Some(DayKind::Holiday));
        assert_eq!(cal.kind_of(date!(2026 - 02 - 25)), None);
    }

    // 2026 notice, 春节: deadlines in working days skip 2月15日-23日 and count the Saturdays 14日 and 28日.
    #[test]
    fn adding_working_days_across_spring_festival_2026() {
        let cal = cal_2026();
        let friday = date!(2026 - 02 - 13);
        assert_eq!(cal.add_working_days(friday, 1), Some(date!(2026 - 02 - 14)));
        assert_eq!(cal.add_working_days(friday, 2), Some(date!(2026 - 02 - 24)));
        assert_eq!(cal.add_working_days(friday, 5), Some(date!(2026 - 02 - 27)));
        assert_eq!(cal.add_working_days(friday, 6), Some(date!(2026 - 02 - 28)));
        assert_eq!(cal.add_working_days(friday, 7), Some(date!(2026 - 03 - 02)));
        // An event during the holiday: the first working day after it is day 1.
        assert_eq!(cal.add_working_days(date!(2026 - 02 - 17), 1), Some(date!(2026 - 02 - 24)));
        assert_eq!(cal.add_working_days(date!(2026 - 02 - 17), 3), Some(date!(2026 - 02 - 26)));
        // An event on the make-up Saturday itself is not counted.
        assert_eq!(cal.add_working_days(date!(2026 - 02 - 14), 1), Some(date!(2026 - 02 - 24)));
        // A death on the eve (2月12日, Thursday) reported within 10 working days: 13, 14, 24-27, 28, 3月2-4日.
        assert_eq!(cal.add_working_days(date!(2026 - 02 - 12), 10), Some(date!(2026 - 03 - 04)));
    }

    #[test]
    fn adding_zero_working_days_rolls_forward_to_a_working_day() {
        let cal = cal_2026();
        assert_eq!(cal.add_working_days(date!(2026 - 02 - 13), 0), Some(date!(2026 - 02 - 13)));
        assert_eq!(cal.add_working_days(date!(2026 - 02 - 14), 0), Some(date!(2026 - 02 - 14)));
        assert_eq!(cal.add_working_days(date!(2026 - 02 - 15), 0), Some(date!(2026 - 02 - 24)));
        assert_eq!(cal.add_working_days(date!(2026 - 03 - 01), 0), Some(date!(2026 - 03 - 02)));
    }

    #[test]
    fn counting_working_days_across_spring_festival_2026() {
        let cal = cal_2026();
        let friday = date!(2026 - 02 - 13);
        // After 13日 up to and including 28日: 14, 24, 25, 26, 27, 28.
        assert_eq!(cal.working_days_between(friday, date!(2026 - 02 - 28)), 6);
        assert_eq!(cal.working_days_between(friday, date!(2026 - 03 - 02)), 7);
        // The whole holiday: nothing.
        assert_eq!(cal.working_days_between(date!(2026 - 02 - 14), date!(2026 - 02 - 23)), 0);
        assert_eq!(cal.working_days_between(friday, friday), 0);
        assert_eq!(cal.working_days_between(date!(2026 - 02 - 28), friday), -6);
        // February 2026: 20 weekdays, 6 of them off (16-20, 23), 2 Saturdays on (14, 28).
        assert_eq!(cal.working_days_between(date!(2026 - 01 - 31), date!(2026 - 02 - 28)), 16);
        // The whole of 2026: 261 weekdays, 19 weekdays off, 6 weekend days on.
        assert_eq!(cal.working_days_between(date!(2025 - 12 - 31), date!(2026 - 12 - 31)), 248);
    }

    #[test]
    fn counting_is_the_inverse_of_adding() {
        let cal = cal_2026();
        let mut start = date!(2026 - 01 - 01);
        while start.year() == 2026 {
            for n in [1, 2, 5, 10, 30] {
                let due = cal.add_working_days(start, n).unwrap();
                assert!(cal.is_working_day(due));
                assert_eq!(cal.working_days_between(start, due), i64::from(n), "{start} + {n}");
            }
            start = start.next_day().unwrap();
        }
    }

    #[test]
    fn counting_matches_a_day_by_day_walk() {
        let mut all = rows(ARRANGEMENT_2026);
        all.extend(rows(NATIONAL_DAY_2025));
        let cal = Calendar::from_days(all);
        let from = date!(2025 - 06 - 01);
        let mut walked = 0;
        let mut day = from;
        while day < date!(2027 - 03 - 01) {
            day = day.next_day().unwrap();
            if cal.is_working_day(day) {
                walked += 1;
            }
            assert_eq!(cal.working_days_between(from, day), walked, "{from}..{day}");
        }
    }

    // 国办发明电〔2024〕12号: 国庆节、中秋节 10月1日至8日放假调休，共8天；9月28日（周日）、10月11日（周六）上班.
    // 2026 notice: 元旦 1月1日至3日放假调休，共3天；1月4日（周日）上班.
    #[test]
    fn national_day_2025_and_new_year_2026() {
        let mut all = rows(NATIONAL_DAY_2025);
        all.extend(rows(ARRANGEMENT_2026));
        let cal = Calendar::from_days(all);
        assert!(cal.is_working_day(date!(2025 - 09 - 28)));
        assert_eq!(cal.add_working_days(date!(2025 - 09 - 30), 1), Some(date!(2025 - 10 - 09)));
        assert_eq!(cal.add_working_days(date!(2025 - 09 - 30), 3), Some(date!(2025 - 10 - 11)));
        // Across the year end: 1-3 January off, Sunday the 4th on.
        assert_eq!(cal.add_working_days(date!(2025 - 12 - 31), 1), Some(date!(2026 - 01 - 04)));
        assert_eq!(cal.add_working_days(date!(2025 - 12 - 31), 2), Some(date!(2026 - 01 - 05)));
    }

    #[test]
    fn uncovered_years_count_weekends_only() {
        let cal = cal_2026();
        assert!(cal.covers(2026));
        assert!(!cal.covers(2027));
        assert_eq!(cal.covered_years().collect::<Vec<_>>(), vec![2026]);
        // 2027 is not loaded: its Spring Festival is unknown, so Friday + 1 is the next Monday.
        assert_eq!(cal.add_working_days(date!(2027 - 02 - 05), 1), Some(date!(2027 - 02 - 08)));
        assert!(cal.is_working_day(date!(2027 - 01 - 01)), "a Friday, not known as a holiday");
        assert_eq!(cal.uncovered_years(date!(2026 - 12 - 30), date!(2028 - 01 - 05)), vec![2027, 2028]);
        assert_eq!(cal.uncovered_years(date!(2026 - 12 - 30), date!(2026 - 02 - 01)), Vec::<i32>::new());
        // With nothing loaded, a week has five working days.
        let empty = Calendar::default();
        assert_eq!(empty.working_days_between(date!(2026 - 02 - 13), date!(2026 - 02 - 20)), 5);
        assert_eq!(empty.add_working_days(date!(2026 - 02 - 13), 1), Some(date!(2026 - 02 - 16)));
    }

    #[test]
    fn calendar_days_ignore_the_arrangement() {
        let cal = cal_2026();
        // 10 days from the Friday before the Spring Festival is the last day of the holiday.
        assert_eq!(cal.add_days(date!(2026 - 02 - 13), 10), Some(date!(2026 - 02 - 23)));
        assert_eq!(cal.add_days(date!(2026 - 02 - 13), 0), Some(date!(2026 - 02 - 13)));
        assert_eq!(cal.add_days(date!(2025 - 12 - 31), 60), Some(date!(2026 - 03 - 01)));
        assert_eq!(cal.add_days(date!(9999 - 12 - 31), 1), None);
        assert_eq!(Calendar::default().add_working_days(date!(9999 - 12 - 31), 1), None);
    }

    #[test]
    fn new_takes_holidays_and_workdays() {
        let cal = Calendar::new([date!(2026 - 02 - 16), date!(2026 - 02 - 14)], [date!(2026 - 02 - 14)]);
        assert!(!cal.is_working_day(date!(2026 - 02 - 16)));
        // Listed as both: a holiday.
        assert_eq!(cal.kind_of(date!(2026 - 02 - 14)), Some(DayKind::Holiday));
        assert!(cal.covers(2026));
    }

    #[test]
    fn entries_are_checked() {
        assert_eq!(check_entry(date!(2026 - 02 - 14), DayKind::Workday), Ok(()));
        assert_eq!(check_entry(date!(2026 - 02 - 16), DayKind::Holiday), Ok(()));
        let err = check_entry(date!(2026 - 02 - 13), DayKind::Workday).unwrap_err();
        assert_eq!(err, CalendarEntryError::WorkdayNotWeekend(date!(2026 - 02 - 13), Weekday::Friday));
        assert_eq!(err.code(), "workday_not_weekend");
        assert_eq!(check_entry(date!(2101 - 01 - 01), DayKind::Holiday).unwrap_err().code(), "year_range");
    }

    #[test]
    fn weekday_arithmetic_agrees_with_the_time_crate() {
        // Julian day 0 was a Monday; check a span of days either side of it and around today.
        for start in [Date::from_julian_day(0).unwrap(), date!(2026 - 01 - 01)] {
            let mut day = start;
            let mut count = weekdays_through(start.to_julian_day());
            for _ in 0..30 {
                let next = day.next_day().unwrap();
                if !is_weekend(next) {
                    count += 1;
                }
                assert_eq!(weekdays_through(next.to_julian_day()), count, "{next}");
                day = next;
            }
        }
    }
}
