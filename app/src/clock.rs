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
    /// The system clock shifted by a fixed amount (a pinned day that still moves within it).
    Shifted(Duration),
}

impl Clock {
    /// The system clock moved so that today in China is `date` (time of day keeps running).
    pub fn shifted_to(date: Date) -> Self {
        let now = OffsetDateTime::now_utc().to_offset(CHINA);
        Clock::Shifted(date - now.date())
    }

    /// The instant now (UTC).
    pub fn now(&self) -> OffsetDateTime {
        match *self {
            Clock::System => OffsetDateTime::now_utc(),
            Clock::Shifted(by) => OffsetDateTime::now_utc() + by,
        }
    }

    /// Today in China.
    pub fn today(&self) -> Date {
        china_day(self.now())
    }
}

/// The calendar day in China of an instant.
fn china_day(at: OffsetDateTime) -> Date {
    at.to_offset(CHINA).date()
}

#[cfg(test)]
mod tests {
    use time::macros::{date, datetime};

    use super::*;

    #[test]
    fn today_is_the_chinese_calendar_day() {
        // 2026-12-31 16:00 UTC is already 2027-01-01 00:00 in China; a minute earlier it is still 2026.
        assert_eq!(china_day(datetime!(2026-12-31 16:00 UTC)), date!(2027 - 01 - 01));
        assert_eq!(china_day(datetime!(2026-12-31 15:59 UTC)), date!(2026 - 12 - 31));
    }

    #[test]
    fn a_shifted_clock_answers_the_pinned_day() {
        // The shift is whole days, so the pinned day holds unless the test straddles midnight in China.
        let shifted = Clock::shifted_to(date!(2030 - 02 - 28));
        assert!([date!(2030 - 02 - 28), date!(2030 - 03 - 01)].contains(&shifted.today()));
    }
}
