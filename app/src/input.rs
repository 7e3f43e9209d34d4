//! Checks of single input fields shared by the use cases: names, free text, dates, phone numbers. Each pushes a
//! [`FieldError`] naming the field and the rule, so that a request reports every broken rule at once.

use crate::error::FieldError;
use domain::ErrorCode;

/// Checks a person's or place's name: 1 to `max` characters after trimming, no control characters.
pub fn check_name(field: &str, value: &str, max: usize, errors: &mut Vec<FieldError>) -> String {
    let trimmed = value.trim();
    let count = trimmed.chars().count();
    if count == 0 || count > max {
        errors.push(FieldError::with(
            field,
            ErrorCode::Length,
            format!("长度应为1至{max}个字符"),
            format!("must be 1 to {max} characters"),
        ));
    } else if trimmed.chars().any(char::is_control) {
        errors.push(FieldError::of(field, ErrorCode::ControlCharacters));
    }
    trimmed.to_owned()
}

/// Checks optional free text: at most `max` characters.
pub fn check_text(field: &str, value: Option<&str>, max: usize, errors: &mut Vec<FieldError>) -> Option<String> {
    let value = value.map(str::trim).filter(|v| !v.is_empty())?;
    if value.chars().count() > max {
        errors.push(FieldError::with(
            field,
            ErrorCode::Length,
            format!("最多{max}个字符"),
            format!("must be at most {max} characters"),
        ));
    }
    Some(value.to_owned())
}

/// An optional date (YYYY-MM-DD) of something that has happened: `today` when absent; a malformed date or one
/// after `today` is an error on `field` (`invalid_date`, `date_in_future`), and `today` is returned in its place.
pub fn date_not_after(field: &str, text: Option<&str>, today: time::Date, errors: &mut Vec<FieldError>) -> time::Date {
    let Some(text) = text else { return today };
    match parse_date(field, text) {
        Ok(d) if d > today => {
            errors.push(FieldError::with(
                field,
                ErrorCode::DateInFuture,
                format!("{} 不能晚于今天", field.trim_start_matches('/')),
                format!("{} cannot be in the future", field.trim_start_matches('/')),
            ));
            today
        }
        Ok(d) => d,
        Err(e) => {
            errors.push(e);
            today
        }
    }
}

/// Parses an ISO date `YYYY-MM-DD`.
pub fn parse_date(field: &str, text: &str) -> Result<time::Date, FieldError> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    time::Date::parse(text.trim(), &format).map_err(|_| {
        FieldError::with(
            field,
            ErrorCode::InvalidDate,
            format!("{text} 不是有效日期，应为 YYYY-MM-DD"),
            format!("{text} is not a valid date; use YYYY-MM-DD"),
        )
    })
}

/// A phone number: 11-digit mobile starting with 1, or a landline of 7-8 digits with an optional area code
/// (`0592-1234567`) and extension.
pub fn check_phone(field: &str, value: &str, errors: &mut Vec<FieldError>) -> String {
    let v = value.trim();
    let digits: String = v.chars().filter(char::is_ascii_digit).collect();
    let allowed = v.chars().all(|c| c.is_ascii_digit() || c == '-' || c == ' ' || c == '+');
    let mobile = digits.len() == 11 && digits.starts_with('1');
    let landline = (7..=16).contains(&digits.len()) && !digits.starts_with('1');
    let intl = v.starts_with("+86") && digits.len() == 13;
    if !allowed || !(mobile || landline || intl) {
        errors.push(FieldError::of(field, ErrorCode::PhoneFormat));
    }
    v.to_owned()
}

/// `YYYY-MM` of a month's first day.
pub fn month_text(d: time::Date) -> String {
    format!("{:04}-{:02}", d.year(), d.month() as u8)
}

/// Parses a month `YYYY-MM` into its first day.
pub fn parse_month(field: &str, text: &str) -> Result<time::Date, FieldError> {
    let bad = || {
        FieldError::new(
            field,
            "invalid_month",
            format!("{text} 不是有效月份，应为 YYYY-MM"),
            format!("{text} is not a valid month; use YYYY-MM"),
        )
    };
    let (y, m) = text.trim().split_once('-').ok_or_else(bad)?;
    if y.len() != 4 || m.len() != 2 {
        return Err(bad());
    }
    let year: i32 = y.parse().map_err(|_| bad())?;
    let month: u8 = m.parse().map_err(|_| bad())?;
    let month = time::Month::try_from(month).map_err(|_| bad())?;
    time::Date::from_calendar_date(year, month, 1).map_err(|_| bad())
}

/// Text quoted from an upload made safe to show and to store: control characters (a NUL, which PostgreSQL cannot
/// store in text; tabs, line breaks) are written as escapes (`\u{0}`), the rest is kept.
pub fn printable(text: &str) -> std::borrow::Cow<'_, str> {
    if text.chars().any(char::is_control) {
        std::borrow::Cow::Owned(
            text.chars().map(|c| if c.is_control() { c.escape_unicode().to_string() } else { c.to_string() }).collect(),
        )
    } else {
        std::borrow::Cow::Borrowed(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn months_parse() {
        assert_eq!(parse_month("/m", "2026-03").ok(), Some(date!(2026 - 03 - 01)));
        assert!(parse_month("/m", "2026-13").is_err());
        assert!(parse_month("/m", "2026-3").is_err());
        assert!(parse_month("/m", "26-03").is_err());
        assert_eq!(month_text(date!(2026 - 03 - 01)), "2026-03");
    }
}
