//! Volunteers (志愿者; CS Art. 22: "建立市、区两级志愿者资源库"; JN Art. 7(9)): volunteers are kept in pools at city
//! and district level; a volunteer of the city pool may serve in any district, one of a district pool in that
//! district. Service records count hours (in tenths of an hour) per volunteer and year. The texts give no number;
//! a service record holds at most the hours of one day.

use crate::{Level, RuleViolation};

/// Tenths of an hour in a day: the most one service record may hold.
pub const MAX_TENTHS_PER_RECORD: u32 = 240;

/// Why a volunteer step is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VolunteerError {
    /// The pool is not a city or district node (422; CS Art. 22).
    PoolLevel(Level),
    /// Hours not above 0, above one day, or finer than a tenth (422).
    Hours,
}

impl RuleViolation for VolunteerError {
    fn code(&self) -> &'static str {
        match self {
            Self::PoolLevel(_) => "pool_level",
            Self::Hours => "hours_out_of_range",
        }
    }

    fn message_zh(&self) -> String {
        match self {
            Self::PoolLevel(l) => format!("志愿者资源库设在市、区两级，不能设在{}", l.label_zh()),
            Self::Hours => "服务时长应大于0、不超过24小时，最多一位小数".into(),
        }
    }

    fn message_en(&self) -> String {
        match self {
            Self::PoolLevel(l) => format!("volunteer pools are kept at city and district level, not at {l}"),
            Self::Hours => "hours are above 0, at most 24, with at most one decimal".into(),
        }
    }
}

/// The check that a pool sits at a node of `level` (CS Art. 22: 市、区两级).
pub fn check_pool(level: Level) -> Result<(), VolunteerError> {
    if matches!(level, Level::City | Level::District) { Ok(()) } else { Err(VolunteerError::PoolLevel(level)) }
}

/// Hours as text (`"2"`, `"2.5"`) in tenths, above 0 and at most one day.
pub fn parse_hours(text: &str) -> Result<u32, VolunteerError> {
    let t = text.trim();
    let (whole, frac) = t.split_once('.').unwrap_or((t, "0"));
    if whole.is_empty() || frac.len() != 1 || !whole.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit()) {
        return Err(VolunteerError::Hours);
    }
    let tenths = whole
        .parse::<u32>()
        .ok()
        .and_then(|w| w.checked_mul(10))
        .and_then(|w| w.checked_add(frac.parse::<u32>().ok()?));
    match tenths {
        Some(n) if n > 0 && n <= MAX_TENTHS_PER_RECORD => Ok(n),
        _ => Err(VolunteerError::Hours),
    }
}

/// Tenths of an hour as text (`25` → `"2.5"`).
pub fn hours_text(tenths: i64) -> String {
    format!("{}.{}", tenths / 10, tenths % 10)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pools_are_city_or_district_cs_art_22() {
        // CS Art. 22: "建立市、区两级志愿者资源库".
        assert_eq!(check_pool(Level::City), Ok(()));
        assert_eq!(check_pool(Level::District), Ok(()));
        assert_eq!(check_pool(Level::Street), Err(VolunteerError::PoolLevel(Level::Street)));
    }

    #[test]
    fn hours_in_tenths_up_to_a_day() {
        assert_eq!(parse_hours("2.5"), Ok(25));
        assert_eq!(parse_hours("24"), Ok(240));
        assert_eq!(parse_hours("24.1"), Err(VolunteerError::Hours));
        assert_eq!(parse_hours("0"), Err(VolunteerError::Hours));
        assert_eq!(parse_hours("1.25"), Err(VolunteerError::Hours));
        assert_eq!(parse_hours("-1"), Err(VolunteerError::Hours));
        assert_eq!(hours_text(25), "2.5");
    }
}
