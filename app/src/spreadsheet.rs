//! Spreadsheet cells: Excel serial dates ([`excel_date`]), and cells of CSV files that spreadsheets open (OWASP "CSV Injection"): Excel, WPS and LibreOffice read a cell that
//! starts with `=`, `+`, `-` or `@` (and, after a tab or carriage return, what follows) as a formula, which can
//! run commands or send data away. An export writes such a cell with a leading `'`, which the spreadsheet shows as
//! text; the roster import takes that one `'` off again, so that a file exported here re-imports unchanged.
//!
//! The pair is exact: [`restore`]`(`[`neutralise`]`(x)) == x` for every text, because a text that already starts
//! with apostrophes before such a character gets one more.

use std::borrow::Cow;

/// The characters that make a spreadsheet read a cell as a formula.
const TRIGGERS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// Whether `value`, after any leading apostrophes, starts with a formula character.
fn starts_like_formula(value: &str) -> bool {
    value.trim_start_matches('\'').starts_with(TRIGGERS)
}

/// The cell as an export writes it: with a leading `'` when a spreadsheet would read it as a formula (or when it
/// is apostrophes before a formula character, so that [`restore`] gives it back whole); otherwise as it is.
pub fn neutralise(value: &str) -> Cow<'_, str> {
    if starts_like_formula(value) { Cow::Owned(format!("'{value}")) } else { Cow::Borrowed(value) }
}

/// The cell as an import reads it back: the one leading `'` that [`neutralise`] added is taken off; any other
/// text is left as it is.
pub fn restore(value: &str) -> &str {
    match value.strip_prefix('\'') {
        Some(rest) if starts_like_formula(rest) => rest,
        _ => value,
    }
}

/// An Excel serial date (1900 system) as `YYYY-MM-DD`.
pub fn excel_date(serial: f64) -> Option<String> {
    let epoch = time::Date::from_calendar_date(1899, time::Month::December, 30).ok()?;
    let days = serial.floor();
    if !(1.0..=2_958_465.0).contains(&days) {
        return None;
    }
    epoch.checked_add(time::Duration::days(days as i64)).map(|d| d.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_characters_get_a_leading_apostrophe() {
        for (text, written) in [
            ("=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"),
            ("+86 138", "'+86 138"),
            ("-2+3", "'-2+3"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\t=1", "'\t=1"),
            ("\r=1", "'\r=1"),
            ("'=1", "''=1"),
        ] {
            assert_eq!(neutralise(text), written, "{text:?}");
        }
    }

    #[test]
    fn other_cells_are_left_alone() {
        for text in ["张三", "", "350203********0017", "a=b", "3500.00", "'quoted", "''", "厦门市思明区****", " =1"]
        {
            assert!(matches!(neutralise(text), Cow::Borrowed(_)), "{text:?}");
            assert_eq!(restore(text), text, "{text:?}");
        }
    }

    #[test]
    fn restore_takes_off_exactly_what_neutralise_added() {
        for text in ["=1", "+1", "-1", "@a", "\t1", "\r1", "'=1", "''-1", "'", "'a", "x", "", "'\t", "=", "''"] {
            assert_eq!(restore(&neutralise(text)), text, "{text:?}");
        }
        // An apostrophe the sender typed before plain text stays.
        assert_eq!(restore("'abc"), "'abc");
    }
}
