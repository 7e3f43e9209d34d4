//! Entry points for the fuzz targets (`fuzz/`) and the corpus replay test: thin wrappers that put bytes in
//! memory through the same code an upload takes (no parser is copied here), with no database. Not an API.

use time::Date;

use crate::error::{AppError, FieldError};
use crate::imports::roster::{self as import_jobs, Event, Format, Live, Stop};
use crate::retirees::file as retiree_file;

pub use persistence::feeds::StagedRecord;

/// The code of an error (`internal_error` for a failure that is no fault of the input).
fn code(e: &AppError) -> String {
    e.code().to_owned()
}

/// [`app::files::normalise`] of bytes: the UTF-8 text, or the error's code.
pub fn normalise(raw: &[u8]) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    crate::files::normalise_bytes(raw, &mut out, 64 << 20).map_err(|e| code(&e))?;
    Ok(out)
}

/// One data row of a retiree import file.
#[derive(Debug)]
pub struct ImportRow {
    /// Line in the file.
    pub line: u64,
    /// The resident ID of a row that passed the checks of a single create and its duplicate key, or the row's
    /// errors as `(column, code)`.
    pub outcome: Result<(String, u64), Vec<(String, String)>>,
}

/// What reading a retiree import file (CSV or NDJSON) gives before the database.
#[derive(Debug, Default)]
pub struct ImportFile {
    /// The normalised text, when normalising succeeded.
    pub text: Option<Vec<u8>>,
    /// The header's names.
    pub header: Option<Vec<String>>,
    /// Each data row read.
    pub rows: Vec<ImportRow>,
    /// Why the whole file is refused, as `(field, code)` (bad header, unreadable).
    pub refused: Vec<(String, String)>,
    /// The code of an error that stopped reading otherwise.
    pub failed: Option<String>,
}

fn pairs(errors: &[FieldError]) -> Vec<(String, String)> {
    errors.iter().map(|e| (e.field.clone(), e.code.clone())).collect()
}

/// A retiree import file as the import job reads it: [`app::files::normalise`], then the CSV or NDJSON
/// reader of the job (`format` as the upload's content type says; CSV turns to NDJSON when the text starts with
/// `{`), the header mapping and, for each row, the checks of the job ([`retiree_file::to_request`] and those
/// of a single create).
pub fn import_file(format: Format, raw: &[u8]) -> ImportFile {
    let mut out = ImportFile::default();
    let text = match normalise(raw) {
        Ok(text) => text,
        Err(code) => {
            out.failed = Some(code);
            return out;
        }
    };
    let live = Live::default();
    let spec = &retiree_file::RETIREES;
    let mut header = None;
    let mut rows = Vec::new();
    let mut names = None;
    let read = import_jobs::read_text(spec, format, &text[..], &live, &mut |event| {
        match event {
            Event::Header(n) => {
                header = Some(import_jobs::header_of(n.clone(), spec).map_err(Stop::Header)?);
                names = Some(n);
            }
            Event::Row(row) => {
                let Some(h) = &header else { return Err(Stop::Failed(AppError::internal("row before header"))) };
                let outcome = import_jobs::check_row(h, &row, TODAY)
                    .map(|(data, _, _, _, _)| {
                        let key = import_jobs::id_key(&data.id_number);
                        (data.id_number, key)
                    })
                    .map_err(|e| pairs(&e));
                rows.push(ImportRow { line: row.line, outcome });
            }
        }
        Ok(())
    });
    match read {
        Ok(()) => {}
        Err(Stop::Header(problems)) => out.refused = pairs(&problems),
        Err(Stop::Failed(e)) => out.failed = Some(code(&e)),
    }
    out.text = Some(text);
    out.header = names;
    out.rows = rows;
    out
}

/// The counts of a feed body read whole.
#[derive(Debug)]
pub struct FeedCounts {
    /// Records read (blank lines do not count).
    pub records: i64,
    /// Records refused before matching.
    pub rejected: i64,
    /// Every line error.
    pub error_count: u64,
    /// The listed line errors as `(line, field, code)`.
    pub listed: Vec<(Option<u64>, String, String)>,
}

/// What reading a data-platform feed body gives before the database.
#[derive(Debug)]
pub struct FeedBody {
    /// The normalised text, when normalising succeeded.
    pub text: Option<Vec<u8>>,
    /// The counts, or the code of the error that refused the body whole.
    pub read: Result<FeedCounts, String>,
    /// The records handed to staging (only while no line has failed).
    pub staged: Vec<StagedRecord>,
}

/// A feed body as `POST /feeds/...` reads it: [`app::files::normalise`], then the NDJSON or CSV reader of
/// the feeds (`ndjson` as the content type says; CSV turns to NDJSON when the body starts with `{`) with the
/// line checks as of `today`.
pub fn feed_body(raw: &[u8], ndjson: bool, today: Date) -> FeedBody {
    let text = match normalise(raw) {
        Ok(text) => text,
        Err(code) => return FeedBody { text: None, read: Err(code), staged: Vec::new() },
    };
    let mut staged = Vec::new();
    let read = crate::feeds::read_body(&text[..], ndjson, today, &mut |rows| {
        staged.extend_from_slice(rows);
        Ok(())
    })
    .map(|r| {
        let listed = r.errors.iter().map(|(e, line)| (*line, e.field.clone(), e.code.clone())).collect();
        FeedCounts { records: r.records, rejected: r.rejected, error_count: r.error_count, listed }
    })
    .map_err(|e| code(&e));
    FeedBody { text: Some(text), read, staged }
}

// ---------------------------------------------------------------------------------------------------------------
// The properties the fuzz targets and the corpus replay test check: each panics when one does not hold.

/// The day the fuzz targets take as today (the resident-ID and feed checks depend on it).
pub const TODAY: Date = time::macros::date!(2026 - 11 - 23);

/// `domain::IdNumber::parse` of any text: no panic and, when it parses, the value is the trimmed upper-cased
/// input and parses again to itself, the check character is MOD 11-2's, the birth date is the digits' and not
/// after today (and is refused as of the day before it), the sex is the 17th digit's parity, and the masked
/// form keeps the area code and the last four characters around eight `*`.
pub fn check_id_number(input: &str) {
    use domain::id_number::{IdNumber, IdNumberError, check_char};
    let Ok(id) = IdNumber::parse(input, TODAY) else { return };
    let value = id.as_str();
    assert_eq!(value, input.trim().to_ascii_uppercase(), "{input:?}");
    let bytes = value.as_bytes();
    assert_eq!(bytes.len(), 18, "{value}");
    assert!(bytes[..17].iter().all(u8::is_ascii_digit), "{value}");
    assert_eq!(check_char(&bytes[..17]), bytes[17] as char, "{value}");
    assert_eq!(IdNumber::parse(value, TODAY).as_ref(), Ok(&id));
    assert_eq!(id.to_string(), value);
    let birth = id.birth_date();
    assert!(birth <= TODAY, "{value}");
    let digits = format!("{:04}{:02}{:02}", birth.year(), u8::from(birth.month()), birth.day());
    assert_eq!(&value[6..14], digits, "{value}");
    assert_eq!(IdNumber::parse(value, birth).as_ref(), Ok(&id));
    if let Some(before) = birth.previous_day() {
        assert_eq!(IdNumber::parse(value, before), Err(IdNumberError::FutureBirthDate(birth)));
    }
    let male = (bytes[16] - b'0') % 2 == 1;
    assert_eq!(id.sex() == domain::Sex::Male, male, "{value}");
    assert_eq!(id.area_code(), &value[..6]);
    let masked = id.masked();
    assert_eq!(masked, format!("{}{}{}", &value[..6], "*".repeat(8), &value[14..]), "{value}");
}

/// Whether the bytes start as gzip does.
fn is_gzip(raw: &[u8]) -> bool {
    raw.starts_with(&[0x1f, 0x8b])
}

/// Properties of normalising: the text is UTF-8 without CRLF pairs, and UTF-8 input only loses the CR of its
/// CRLF pairs.
fn check_text(raw: &[u8], text: &[u8]) {
    assert!(std::str::from_utf8(text).is_ok(), "normalised text is not UTF-8");
    if !is_gzip(raw)
        && let Ok(input) = std::str::from_utf8(raw)
    {
        assert_eq!(text, input.replace("\r\n", "\n").as_bytes(), "UTF-8 input changed beyond CRLF");
    }
}

/// A retiree import file read as CSV and as NDJSON ([`import_file`]): no panic, no internal error (only an
/// unreadable gzip stream may fail), the text as [`check_text`] says, rows only after a header, lines in
/// order, and every accepted row a valid resident ID.
pub fn check_retiree_file(raw: &[u8]) {
    for format in [Format::Csv, Format::Ndjson] {
        let file = import_file(format, raw);
        if let Some(failed) = &file.failed {
            assert_eq!(failed, "unreadable_file", "{format:?}");
            assert!(is_gzip(raw) && file.text.is_none(), "{format:?}: {failed} for a non-gzip file");
            continue;
        }
        let Some(text) = &file.text else { panic!("{format:?}: no text and no error") };
        check_text(raw, text);
        if format == Format::Ndjson {
            let columns: Vec<String> = retiree_file::COLUMNS.iter().map(|c| (*c).to_owned()).collect();
            assert_eq!(file.header.as_ref(), Some(&columns));
        }
        if file.header.is_none() || !file.refused.is_empty() {
            assert!(file.rows.is_empty(), "{format:?}: rows of a refused file");
        }
        let mut last = 0;
        for row in &file.rows {
            assert!(row.line >= last, "{format:?}: line {} after {last}", row.line);
            last = row.line;
            match &row.outcome {
                Ok((id, key)) => {
                    let today = TODAY;
                    assert!(domain::IdNumber::parse(id, today).is_ok_and(|p| p.as_str() == id), "{id}");
                    assert_eq!(*key, import_jobs::id_key(id));
                }
                Err(errors) => assert!(!errors.is_empty(), "{format:?}: line {} refused without an error", row.line),
            }
        }
    }
}

/// A feed body read as CSV and as NDJSON ([`feed_body`]): no panic, no internal error, the text as
/// [`check_text`] says, counts that agree (listed errors at most the maximum and all the errors, refused
/// records among the records, every record staged when no line failed) and staged records that are valid:
/// resident ID, its masked form, `date_in_future` exactly for dates after today.
pub fn check_feed_body(raw: &[u8]) {
    for ndjson in [false, true] {
        let body = feed_body(raw, ndjson, TODAY);
        let FeedCounts { records, rejected, error_count, listed } = match &body.read {
            Ok(read) => read,
            Err(code) => {
                assert_ne!(code, "internal_error", "ndjson {ndjson}");
                if body.text.is_none() {
                    assert!(is_gzip(raw), "ndjson {ndjson}: {code} for a non-gzip body");
                }
                continue;
            }
        };
        if let Some(text) = &body.text {
            check_text(raw, text);
        }
        assert!(listed.len() as u64 <= *error_count && listed.len() as i64 <= crate::feeds::MAX_LISTED);
        assert!(0 <= *rejected && rejected <= records);
        if *error_count == 0 {
            assert_eq!(body.staged.len() as i64, *records, "ndjson {ndjson}");
        } else {
            assert!((body.staged.len() as i64) < *records);
        }
        for r in &body.staged {
            let id = domain::IdNumber::parse(&r.id_number, TODAY);
            assert!(id.as_ref().is_ok_and(|id| id.as_str() == r.id_number), "{}", r.id_number);
            assert_eq!(r.masked, domain::mask::id_number(&r.id_number));
            assert_eq!(r.rejection.is_some(), r.record_date > TODAY, "{:?}", r.record_date);
            assert!(r.line >= 1);
        }
    }
}

#[cfg(test)]
mod tests {
    //! Replays the committed fuzz corpus and crash reproducers (`fuzz/corpus/<target>/`,
    //! `fuzz/regressions/<target>/`) through the checks the fuzz targets run, so that `cargo test` keeps them.

    use std::path::PathBuf;

    fn inputs(target: &str) -> Vec<(PathBuf, Vec<u8>)> {
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..").join("fuzz");
        let mut out = Vec::new();
        for dir in ["corpus", "regressions"] {
            let Ok(entries) = std::fs::read_dir(root.join(dir).join(target)) else { continue };
            for entry in entries {
                let path = entry.unwrap().path();
                if path.is_file() {
                    let bytes = std::fs::read(&path).unwrap();
                    out.push((path, bytes));
                }
            }
        }
        out.sort();
        out
    }

    fn replay(target: &str, check: fn(&[u8])) {
        let inputs = inputs(target);
        assert!(inputs.len() >= 3, "the seed corpus of {target} is missing");
        for (path, bytes) in inputs {
            if std::panic::catch_unwind(|| check(&bytes)).is_err() {
                panic!("{target}: {} fails", path.display());
            }
        }
    }

    /// The wrappers reach the row checks: seeds in every encoding give the same accepted rows.
    #[test]
    fn seeds_reach_the_checks() {
        let seed = |target: &str, name: &str| {
            std::fs::read(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../fuzz/corpus").join(target).join(name))
                .unwrap()
        };
        let accepted = |name: &str| -> Vec<(u64, String)> {
            let file = super::import_file(super::Format::Csv, &seed("retiree_rows", name));
            file.rows.into_iter().filter_map(|r| r.outcome.ok().map(|(id, _)| (r.line, id))).collect()
        };
        let two = vec![(2, "350203195501010016".to_owned()), (3, "350203196003150029".to_owned())];
        for name in ["en.csv", "zh_gb18030.csv", "zh.csv.gz", "zh_bom_crlf.csv"] {
            assert_eq!(accepted(name), two, "{name}");
        }
        assert_eq!(accepted("rows.ndjson").len(), 2);
        let feed = super::feed_body(&seed("feed_lines", "zh_gb18030.csv"), false, super::TODAY);
        assert_eq!(feed.read.unwrap().records, 2);
        assert_eq!(feed.staged.len(), 2);
    }

    #[test]
    fn id_number_corpus() {
        replay("id_number", |b| {
            if let Ok(s) = std::str::from_utf8(b) {
                super::check_id_number(s);
            }
        });
    }

    #[test]
    fn retiree_rows_corpus() {
        replay("retiree_rows", super::check_retiree_file);
    }

    #[test]
    fn feed_lines_corpus() {
        replay("feed_lines", super::check_feed_body);
    }
}
