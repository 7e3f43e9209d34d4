//! The one source of "now" and "today" for business rules. The service runs on the system clock; tests and
//! demos pin it to a date so that ages, deadlines and months are reproducible on any day of the year.

use time::{Date, Duration, OffsetDateTime, UtcOffset};

/// China Standard Time (UTC+8): ages, special groups, deadlines and months are judged on this calendar.
pub const CHINA: UtcOffset = match UtcOffset::from_hms(8, 0, 0) {
    Ok(offset) => offset,
    Err(_) => UtcOffset::UTC,
};

/// Where the time comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Clock {
    /// The system clock.
    #[default]
    System,
    /// A pinned instant (tests, demos, "as of" runs).
    Fixed(OffsetDateTime),
    /// The system clock shifted by a fixed amount (a pinned day that still moves within it).
    Shifted(Duration),
}

impl Clock {
    /// A clock that always answers noon of `date` in China.
    pub fn fixed_on(date: Date) -> Self {
        Clock::Fixed(date.with_hms(12, 0, 0).unwrap_or(date.midnight()).assume_offset(CHINA))
    }

    /// The system clock moved so that today in China is `date` (time of day keeps running).
    pub fn shifted_to(date: Date) -> Self {
        let now = OffsetDateTime::now_utc().to_offset(CHINA);
        Clock::Shifted(date - now.date())
    }

    /// The instant now (UTC).
    pub fn now(&self) -> OffsetDateTime {
        match *self {
            Clock::System => OffsetDateTime::now_utc(),
            Clock::Fixed(at) => at.to_offset(UtcOffset::UTC),
            Clock::Shifted(by) => OffsetDateTime::now_utc() + by,
        }
    }

    /// Today in China.
    pub fn today(&self) -> Date {
        self.now().to_offset(CHINA).date()
    }

    /// The first day of the current month in China.
    pub fn this_month(&self) -> Date {
        domain::pension::month_of(self.today())
    }
}

#[cfg(test)]
mod tests {
    use time::macros::{date, datetime};

    use super::*;

    #[test]
    fn today_is_the_chinese_calendar_day() {
        // 2026-12-31 17:00 UTC is already 2027-01-01 01:00 in China.
        let clock = Clock::Fixed(datetime!(2026-12-31 17:00 UTC));
        assert_eq!(clock.today(), date!(2027 - 01 - 01));
        assert_eq!(clock.this_month(), date!(2027 - 01 - 01));
        let clock = Clock::Fixed(datetime!(2026-12-31 15:59 UTC));
        assert_eq!(clock.today(), date!(2026 - 12 - 31));
        assert_eq!(clock.this_month(), date!(2026 - 12 - 01));
    }

    #[test]
    fn a_pinned_day_stays_and_a_shifted_day_moves_by_the_shift() {
        assert_eq!(Clock::fixed_on(date!(2026 - 01 - 02)).today(), date!(2026 - 01 - 02));
        let shifted = Clock::shifted_to(date!(2030 - 02 - 28));
        assert!([date!(2030 - 02 - 28), date!(2030 - 03 - 01)].contains(&shifted.today()));
    }
}
