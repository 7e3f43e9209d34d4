//! Resident identity numbers per GB 11643-1999: 6-digit area code, 8-digit birth date, 3-digit sequence whose
//! last digit is odd for men, and an ISO 7064 MOD 11-2 check character (domain brief section 2).

use std::fmt;

use time::{Date, Month};

use crate::{RuleViolation, Sex, mask};

/// Province-level prefixes of the administrative division codes (GB/T 2260), including Taiwan, Hong Kong and
/// Macao, which appear on residence permits.
const PROVINCE_PREFIXES: [u8; 34] = [
    11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46, 50, 51, 52, 53, 54, 61, 62, 63,
    64, 65, 71, 81, 82,
];

/// ISO 7064 MOD 11-2 weights for positions 1..17.
const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
/// Check character for each remainder 0..10.
const CHECK_CHARS: [u8; 11] = *b"10X98765432";

/// Why a string is not a valid resident ID number.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdNumberError {
    /// Not 18 characters long.
    #[error("resident ID must have 18 characters, got {0}")]
    Length(usize),
    /// Characters 1-17 must be digits; the 18th a digit or X.
    #[error("resident ID must be 17 digits followed by a digit or X")]
    Format,
    /// The first six digits are not a plausible area code.
    #[error("resident ID area code {0} is not a valid administrative division code")]
    AreaCode(String),
    /// Digits 7-14 are not a calendar date.
    #[error("resident ID birth date {0} is not a real date")]
    BirthDate(String),
    /// The birth date lies after today.
    #[error("resident ID birth date {0} is in the future")]
    FutureBirthDate(Date),
    /// The check character does not match.
    #[error("resident ID check character should be {expected}, got {found}")]
    Checksum {
        /// What MOD 11-2 gives.
        expected: char,
        /// What the input has.
        found: char,
    },
}

impl RuleViolation for IdNumberError {
    fn code(&self) -> &'static str {
        match self {
            Self::Length(_) => "id_number_length",
            Self::Format => "id_number_format",
            Self::AreaCode(_) => "id_number_area_code",
            Self::BirthDate(_) => "id_number_birth_date",
            Self::FutureBirthDate(_) => "id_number_birth_date_in_future",
            Self::Checksum { .. } => "id_number_checksum",
        }
    }

    fn message_zh(&self) -> String {
        match self {
            Self::Length(n) => format!("公民身份号码应为18位，实际为{n}位"),
            Self::Format => "公民身份号码前17位应为数字，第18位应为数字或X".to_owned(),
            Self::AreaCode(a) => format!("公民身份号码的地址码{a}不是有效的行政区划代码"),
            Self::BirthDate(d) => format!("公民身份号码中的出生日期{d}不是有效日期"),
            Self::FutureBirthDate(d) => format!("公民身份号码中的出生日期{d}晚于今天"),
            Self::Checksum { expected, found } => {
                format!("公民身份号码校验码错误：应为{expected}，实际为{found}（GB 11643 ISO 7064 MOD 11-2）")
            }
        }
    }

    fn message_en(&self) -> String {
        match self {
            Self::Checksum { expected, found } => {
                format!("resident ID check character should be {expected}, got {found} (GB 11643, ISO 7064 MOD 11-2)")
            }
            other => other.to_string(),
        }
    }
}

/// A valid 18-character resident ID number (the final `x` is normalised to `X`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct IdNumber {
    value: String,
    birth_date: Date,
}

impl IdNumber {
    /// Parses and checks a resident ID number as of `today` (birth dates after `today` are refused).
    pub fn parse(input: &str, today: Date) -> Result<Self, IdNumberError> {
        let value = input.trim().to_ascii_uppercase();
        let count = value.chars().count();
        if count != 18 {
            return Err(IdNumberError::Length(count));
        }
        let bytes = value.as_bytes();
        if !bytes[..17].iter().all(u8::is_ascii_digit) || !(bytes[17].is_ascii_digit() || bytes[17] == b'X') {
            return Err(IdNumberError::Format);
        }
        let area = &value[..6];
        let province: u8 = area[..2].parse().unwrap_or(0);
        if !PROVINCE_PREFIXES.contains(&province) {
            return Err(IdNumberError::AreaCode(area.to_owned()));
        }
        let birth_text = &value[6..14];
        let birth_date = parse_birth(birth_text).ok_or_else(|| IdNumberError::BirthDate(birth_text.to_owned()))?;
        if birth_date > today {
            return Err(IdNumberError::FutureBirthDate(birth_date));
        }
        let expected = check_char(&bytes[..17]);
        let found = bytes[17] as char;
        if expected != found {
            return Err(IdNumberError::Checksum { expected, found });
        }
        Ok(Self { value, birth_date })
    }

    /// The 18 characters.
    pub fn as_str(&self) -> &str {
        &self.value
    }

    /// Birth date encoded in digits 7-14.
    pub fn birth_date(&self) -> Date {
        self.birth_date
    }

    /// Sex encoded by the parity of digit 17: odd for men, even for women.
    pub fn sex(&self) -> Sex {
        if (self.value.as_bytes()[16] - b'0') % 2 == 1 { Sex::Male } else { Sex::Female }
    }

    /// The six-digit area code of first registration.
    pub fn area_code(&self) -> &str {
        &self.value[..6]
    }

    /// The masked form shown to roles that may not see the number: `350203********1234`.
    pub fn masked(&self) -> String {
        mask::id_number(&self.value)
    }
}

impl fmt::Display for IdNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.value)
    }
}

/// The MOD 11-2 check character of the first 17 digits.
pub fn check_char(first17: &[u8]) -> char {
    let sum: u32 = first17.iter().zip(WEIGHTS).map(|(d, w)| u32::from(d - b'0') * w).sum();
    CHECK_CHARS[(sum % 11) as usize] as char
}

fn parse_birth(text: &str) -> Option<Date> {
    let year: i32 = text[..4].parse().ok()?;
    let month: u8 = text[4..6].parse().ok()?;
    let day: u8 = text[6..8].parse().ok()?;
    if year < 1850 {
        return None;
    }
    Date::from_calendar_date(year, Month::try_from(month).ok()?, day).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    const TODAY: Date = date!(2026 - 11 - 23);

    // GB 11643-1999 worked example: 11010519491231002X.
    #[test]
    fn accepts_standard_example_and_derives_birth_and_sex() {
        let id = IdNumber::parse("11010519491231002x", TODAY).unwrap();
        assert_eq!(id.as_str(), "11010519491231002X");
        assert_eq!(id.birth_date(), date!(1949 - 12 - 31));
        assert_eq!(id.sex(), Sex::Female);
        assert_eq!(id.area_code(), "110105");
    }

    #[test]
    fn odd_sequence_digit_is_male() {
        let first = b"35020319550101001";
        let id = format!("{}{}", std::str::from_utf8(first).unwrap(), check_char(first));
        assert_eq!(IdNumber::parse(&id, TODAY).unwrap().sex(), Sex::Male);
    }

    #[test]
    fn wrong_check_character_is_refused() {
        let err = IdNumber::parse("110105194912310021", TODAY).unwrap_err();
        assert_eq!(err, IdNumberError::Checksum { expected: 'X', found: '1' });
        assert_eq!(err.code(), "id_number_checksum");
    }

    #[test]
    fn length_format_area_and_dates() {
        assert_eq!(IdNumber::parse("1101051949", TODAY).unwrap_err(), IdNumberError::Length(10));
        assert_eq!(IdNumber::parse("11010519491231A02X", TODAY).unwrap_err(), IdNumberError::Format);
        assert_eq!(IdNumber::parse("990105194912310021", TODAY).unwrap_err(), IdNumberError::AreaCode("990105".into()));
        assert_eq!(
            IdNumber::parse("110105194902310021", TODAY).unwrap_err(),
            IdNumberError::BirthDate("19490231".into())
        );
        let first = b"11010520300101001";
        let future = format!("{}{}", std::str::from_utf8(first).unwrap(), check_char(first));
        assert!(matches!(IdNumber::parse(&future, TODAY), Err(IdNumberError::FutureBirthDate(_))));
    }

    #[test]
    fn non_ascii_input_is_a_length_or_format_error_not_a_panic() {
        assert!(IdNumber::parse("一二三四五六七八九十一二三四五六七八", TODAY).is_err());
        assert!(IdNumber::parse("11010519491231002é", TODAY).is_err());
    }

    #[test]
    fn masks_middle_digits() {
        let id = IdNumber::parse("11010519491231002X", TODAY).unwrap();
        assert_eq!(id.masked(), "110105********002X");
    }
}
