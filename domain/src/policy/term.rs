//! The term of the document a preset comes from (XM Art. 29, CS Art. 36, JN Art. 39): the day it took effect and,
//! where the document says so, the last day it runs. A version bound from a preset runs within that term unless
//! its maker chooses explicitly to extend it; the resolved policy says when a date falls after the term.

use serde::{Deserialize, Serialize};
use time::{Date, Month};

use crate::pension::add_months;

/// The term of a preset's document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PresetTerm {
    /// The document's number.
    #[cfg_attr(feature = "openapi", schema(example = "长政办发〔2020〕10号"))]
    pub document: String,
    /// First day in force.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date, example = "2020-05-01"))]
    pub in_force_from: Date,
    /// Last day in force; `null` when the document sets no end.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = Date, example = "2025-04-30"))]
    pub in_force_until: Option<Date>,
    /// The article that sets the term.
    #[cfg_attr(feature = "openapi", schema(example = "CS Art. 36"))]
    pub source: String,
}

/// The last day of a term of `years` years that starts on `from`: the day before the same date `years` later.
pub fn last_day_of_term(from: Date, years: u32) -> Option<Date> {
    add_months(from, years.checked_mul(12)?)?.previous_day()
}

fn date(year: i32, month: Month, day: u8) -> Option<Date> {
    Date::from_calendar_date(year, month, day).ok()
}

fn term(document: &'static str, from: Option<Date>, years: Option<u32>, source: &'static str) -> Option<PresetTerm> {
    let in_force_from = from?;
    let in_force_until = match years {
        Some(y) => Some(last_day_of_term(in_force_from, y)?),
        None => None,
    };
    Some(PresetTerm { document: document.to_owned(), in_force_from, in_force_until, source: source.to_owned() })
}

/// The term of a preset by name; `None` for an unknown name.
pub fn of_preset(name: &str) -> Option<PresetTerm> {
    match name {
        // XM Art. 29 "本办法自发布之日起施行，有效期5年"; published with the notice dated 2025-02-26.
        "xiamen-2025" => term("厦府规〔2025〕2号", date(2025, Month::February, 26), Some(5), "XM Art. 29"),
        // CS Art. 36 "本办法自2020年5月1日起施行，有效期5年".
        "changsha-2020" => term("长政办发〔2020〕10号", date(2020, Month::May, 1), Some(5), "CS Art. 36"),
        // JN Art. 39 "本办法自印发之日起施行" (印发 2020-12-02), no end.
        "jinning-2020" => term("晋政办通〔2020〕18号", date(2020, Month::December, 2), None, "JN Art. 39"),
        _ => None,
    }
}

impl PresetTerm {
    /// Whether `on` falls after the last day of the term.
    pub fn is_past(&self, on: Date) -> bool {
        self.in_force_until.is_some_and(|end| on > end)
    }
}

/// A stored version names a preset this build does not know.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownPreset(pub String);

/// The last day a version applies: its stated end and, for a version bound from a preset that was not extended
/// beyond the term of the preset's document, the term's last day, whichever comes first; `None` while open.
pub fn version_end(
    preset: Option<&str>,
    valid_to: Option<Date>,
    extends_beyond_term: bool,
) -> Result<Option<Date>, UnknownPreset> {
    let term_end = match preset {
        Some(name) if !extends_beyond_term => {
            of_preset(name).ok_or_else(|| UnknownPreset(name.to_owned()))?.in_force_until
        }
        Some(name) => {
            of_preset(name).ok_or_else(|| UnknownPreset(name.to_owned()))?;
            None
        }
        None => None,
    };
    Ok(match (valid_to, term_end) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    })
}

/// Why a binding reaches beyond a preset's term without an explicit extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BeyondTerm {
    /// The version would start after the term's last day (the pointer is `/valid_from`).
    StartsAfter(Date),
    /// The version would end after the term's last day (the pointer is `/valid_to`).
    EndsAfter(Date),
}

/// Checks a binding of a preset with `term` from `valid_from` to the stated `valid_to`.
///
/// Without an extension a version stays within the term: a start or a stated end after the term's last day is
/// refused, and with no stated end it ends with the term ([`version_end`]). With `extend` any dates stand.
pub fn check_binding(
    term: &PresetTerm,
    valid_from: Date,
    valid_to: Option<Date>,
    extend: bool,
) -> Result<(), BeyondTerm> {
    match term.in_force_until {
        Some(end) if !extend && valid_from > end => Err(BeyondTerm::StartsAfter(end)),
        Some(end) if !extend && valid_to.is_some_and(|to| to > end) => Err(BeyondTerm::EndsAfter(end)),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use time::macros::date;

    use super::*;

    #[test]
    fn changsha_runs_five_years_from_1_may_2020() {
        // CS Art. 36: "自2020年5月1日起施行，有效期5年".
        let t = of_preset("changsha-2020").unwrap();
        assert_eq!(t.in_force_from, date!(2020 - 05 - 01));
        assert_eq!(t.in_force_until, Some(date!(2025 - 04 - 30)));
        assert!(!t.is_past(date!(2025 - 04 - 30)));
        assert!(t.is_past(date!(2025 - 05 - 01)));
    }

    #[test]
    fn xiamen_runs_five_years_from_publication() {
        // XM Art. 29: "自发布之日起施行，有效期5年"; the notice is dated 2025-02-26.
        let t = of_preset("xiamen-2025").unwrap();
        assert_eq!((t.in_force_from, t.in_force_until), (date!(2025 - 02 - 26), Some(date!(2030 - 02 - 25))));
        assert_eq!(t.source, "XM Art. 29");
    }

    #[test]
    fn jinning_has_no_end() {
        // JN Art. 39: "自印发之日起施行", no term.
        let t = of_preset("jinning-2020").unwrap();
        assert_eq!((t.in_force_from, t.in_force_until), (date!(2020 - 12 - 02), None));
        assert!(!t.is_past(date!(2099 - 01 - 01)));
        assert_eq!(check_binding(&t, date!(2030 - 01 - 01), None, false), Ok(()));
        assert_eq!(version_end(Some("jinning-2020"), None, false), Ok(None));
    }

    #[test]
    fn a_term_from_29_february_ends_on_27_february() {
        assert_eq!(last_day_of_term(date!(2024 - 02 - 29), 5), Some(date!(2029 - 02 - 27)));
        assert_eq!(last_day_of_term(date!(2024 - 02 - 29), 4), Some(date!(2028 - 02 - 28)));
    }

    #[test]
    fn a_binding_stays_within_the_term_unless_extended() {
        // CS Art. 36: the measures lapse after 2025-04-30.
        let t = of_preset("changsha-2020").unwrap();
        let end = date!(2025 - 04 - 30);
        assert_eq!(check_binding(&t, date!(2025 - 03 - 01), None, false), Ok(()));
        assert_eq!(check_binding(&t, date!(2025 - 03 - 01), Some(end), false), Ok(()));
        assert_eq!(
            check_binding(&t, date!(2025 - 03 - 01), Some(date!(2025 - 05 - 01)), false),
            Err(BeyondTerm::EndsAfter(end))
        );
        assert_eq!(check_binding(&t, date!(2025 - 05 - 01), None, false), Err(BeyondTerm::StartsAfter(end)));
        assert_eq!(check_binding(&t, date!(2025 - 05 - 01), None, true), Ok(()));
        assert_eq!(check_binding(&t, date!(2025 - 03 - 01), Some(date!(2026 - 12 - 31)), true), Ok(()));
        // Bound without an end: it ends with the term; extended: it stays open; a stated earlier end wins.
        assert_eq!(version_end(Some("changsha-2020"), None, false), Ok(Some(end)));
        assert_eq!(version_end(Some("changsha-2020"), None, true), Ok(None));
        assert_eq!(
            version_end(Some("changsha-2020"), Some(date!(2024 - 12 - 31)), false),
            Ok(Some(date!(2024 - 12 - 31)))
        );
        assert_eq!(version_end(None, None, false), Ok(None));
        assert_eq!(version_end(Some("beijing-2030"), None, false), Err(UnknownPreset("beijing-2030".into())));
    }

    #[test]
    fn every_preset_has_a_term() {
        for name in super::super::presets::NAMES {
            assert!(of_preset(name).is_some(), "{name}");
        }
        assert_eq!(of_preset("beijing-2030"), None);
    }
}
