//! Domain rules of the retiree socialized management service: identities, codes, enumerations, roles and
//! masking. No I/O lives here; every rule is a plain function or type with unit tests citing its source.

pub mod calendar;
pub mod care;
pub mod death;
pub mod enums;
pub mod error_code;
pub mod events;
pub mod handover;
pub mod id_number;
pub mod jurisdiction;
pub mod mask;
pub mod money;
pub mod movement;
pub mod overpayment;
pub mod pension;
pub mod petition;
pub mod policy;
pub mod roles;
pub mod support;
pub mod transfer;
// Personnel archives (issue 23).
pub mod archive;
// Elderly care services (issue 26).
pub mod elder_care;
// Monthly reports, month close, special-group ledgers (issue 27).
pub mod report;
// Community services (issue 25).
pub mod activity;
pub mod health;
pub mod volunteer;
// Funding at every level, allocations, year close (issue 27).
pub mod fund;
// Personnel archives: digitisation batches (issue 23).
pub mod archive_batch;
// Community services (issue 25): high-age allowance.
pub mod assistance;
pub mod high_age;
// Community services (issue 25): tracked errands.
pub mod errand;
// Community services (issue 25): party members' organisation relations.
pub mod party;
// Ids that cross the layers typed (issue 18).
pub mod ids;

pub use calendar::{Calendar, DayKind};
pub use enums::{Category, ManagementLevel, PensionStatus, Relation, Sex, SpecialGroup};
pub use error_code::ErrorCode;
pub use id_number::{IdNumber, IdNumberError};
pub use ids::RetireeId;
pub use jurisdiction::{JurisdictionCode, JurisdictionCodeError, Level};
pub use money::{Money, MoneyError};
pub use roles::{FieldVisibility, Permission, Role, SensitiveField};

/// A rule violation found by the domain: a stable machine code plus messages in Chinese and English.
pub trait RuleViolation {
    /// Stable `snake_case` code, e.g. `id_number_checksum`.
    fn code(&self) -> &'static str;
    /// Message in Chinese.
    fn message_zh(&self) -> String;
    /// Message in English.
    fn message_en(&self) -> String;
}

/// Whole years of age on `on` for someone born on `birth` (the birthday itself counts).
pub fn age_on(birth: time::Date, on: time::Date) -> i32 {
    let mut age = on.year() - birth.year();
    if (on.month() as u8, on.day()) < (birth.month() as u8, birth.day()) {
        age -= 1;
    }
    age
}

/// The first day on which a person born on `birth` is `years` old by [`age_on`]: the birthday in that year, and
/// for a 29 February birth in a common year 1 March (the day `age_on` first counts the year).
pub fn day_turning(birth: time::Date, years: i32) -> time::Date {
    let year = birth.year().saturating_add(years);
    time::Date::from_calendar_date(year, birth.month(), birth.day())
        .or_else(|_| time::Date::from_calendar_date(year, time::Month::March, 1))
        .unwrap_or(time::Date::MAX)
}

/// The latest birth date for which a person is at least `years` old on `on` (29 Feb births roll to 28 Feb).
pub fn born_on_or_before_for_age(on: time::Date, years: i32) -> time::Date {
    let year = on.year() - years;
    time::Date::from_calendar_date(year, on.month(), on.day())
        .or_else(|_| time::Date::from_calendar_date(year, on.month(), on.day() - 1))
        .unwrap_or(on)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn the_day_of_turning_an_age_is_the_first_day_age_on_counts_it() {
        // GUIDE 走访制度: the advanced-age group starts on the day the threshold age is reached.
        assert_eq!(day_turning(date!(1950 - 03 - 15), 80), date!(2030 - 03 - 15));
        // 29 February births: 28 February of a common year is still the year before, 1 March is the birthday.
        assert_eq!(day_turning(date!(1952 - 02 - 29), 70), date!(2022 - 03 - 01));
        assert_eq!(age_on(date!(1952 - 02 - 29), date!(2022 - 02 - 28)), 69);
        assert_eq!(age_on(date!(1952 - 02 - 29), date!(2022 - 03 - 01)), 70);
        assert_eq!(day_turning(date!(1952 - 02 - 29), 72), date!(2024 - 02 - 29));
        for birth in [date!(1952 - 02 - 29), date!(1950 - 12 - 31), date!(1950 - 01 - 01)] {
            for years in [70, 75, 80] {
                let day = day_turning(birth, years);
                assert_eq!(age_on(birth, day), years, "{birth} {years}");
                assert_eq!(age_on(birth, day.previous_day().unwrap()), years - 1, "{birth} {years}");
            }
        }
    }

    #[test]
    fn age_counts_birthday() {
        assert_eq!(age_on(date!(1950 - 03 - 15), date!(2020 - 03 - 14)), 69);
        assert_eq!(age_on(date!(1950 - 03 - 15), date!(2020 - 03 - 15)), 70);
    }

    #[test]
    fn latest_birth_date_for_age() {
        assert_eq!(born_on_or_before_for_age(date!(2026 - 11 - 23), 70), date!(1956 - 11 - 23));
        assert_eq!(born_on_or_before_for_age(date!(2024 - 02 - 29), 70), date!(1954 - 02 - 28));
    }
}
