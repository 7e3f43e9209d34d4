//! The register of community health service institutions as a file (issue 25; GUIDE 第五部分第四章四 2(1)
//! 登记服务机构): a city's existing list imported through [`crate::imports::register`] (CSV or XLSX, columns by code
//! or Chinese header, every row through the checks and the registration of `POST /health-institutions`), and the
//! institutions of the caller's subtree exported with the same columns, so an exported file imports back
//! (export-only columns `id` and `agreement_active` are read and ignored).

pub use crate::imports::register::Upload;

use domain::{ErrorCode, Permission};
use persistence::health_records as repo;
use persistence::{DbConnection, audit};
use time::Date;

use super::institutions::{self, AgreementInput, InstitutionInput, InstitutionView};
use crate::caller::Caller;
use crate::error::{AppError, FieldError};
use crate::exports::table::{Column, File, Table, render, yes_no};
use crate::exports::{Encoding, Format, Labels};
use crate::imports::Mode;
use crate::imports::register::{self, Outcome, RegisterReport, Row};

/// Rows read per page while the file is built.
const PAGE: i64 = 2000;

/// The columns of the register, export and import alike.
pub const COLUMNS: [Column; 10] = [
    Column::number("id", "编号"),
    Column::text("name", "机构名称"),
    Column::text("jurisdiction", "所属辖区代码"),
    Column::text("address", "地址"),
    Column::text("contact_name", "联系人"),
    Column::text("contact_phone", "联系电话"),
    Column::text("agreement_no", "合作协议编号"),
    Column::date("agreement_from", "协议生效日期"),
    Column::date("agreement_until", "协议截止日期"),
    Column::text("agreement_active", "协议有效"),
];

/// The columns a file must have.
pub const REQUIRED: [&str; 2] = ["name", "address"];

/// What to do with a row naming an institution of the same name at the same node.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OnConflict {
    /// The row is refused (409 `conflict` on the row).
    #[default]
    Error,
    /// The row is skipped and counted.
    Skip,
}

impl OnConflict {
    /// `error` or `skip`.
    pub fn parse(code: &str) -> Option<Self> {
        match code {
            "error" => Some(Self::Error),
            "skip" => Some(Self::Skip),
            _ => None,
        }
    }
}

fn row_of(v: &InstitutionView, labels: Labels) -> Vec<String> {
    let date = |d: Option<Date>| d.map(|d| d.to_string()).unwrap_or_default();
    vec![
        v.id.to_string(),
        v.name.clone(),
        v.jurisdiction.clone(),
        v.address.clone(),
        v.contact_name.clone().unwrap_or_default(),
        v.contact_phone.clone().unwrap_or_default(),
        v.agreement_no.clone().unwrap_or_default(),
        date(v.agreement_from),
        date(v.agreement_until),
        yes_no(v.agreement_active, labels),
    ]
}

/// The institutions of the nodes in the caller's subtree as a file (`社区卫生服务机构`), by id; needs what the list
/// needs.
pub fn export(
    conn: &mut DbConnection,
    caller: &Caller,
    today: Date,
    format: Format,
    encoding: Encoding,
    labels: Labels,
) -> Result<File, AppError> {
    let mut rows = Vec::new();
    let mut after = None;
    loop {
        let page = institutions::list(conn, caller, today, after, PAGE)?;
        after = page.last().map(|v| v.id);
        rows.extend(page.iter().map(|v| row_of(v, labels)));
        if i64::try_from(page.len()).unwrap_or(i64::MAX) < PAGE {
            break;
        }
    }
    let stamp = format!("{:04}{:02}{:02}", today.year(), u8::from(today.month()), today.day());
    render(
        &[Table::new("社区卫生服务机构", COLUMNS.to_vec(), rows)],
        format,
        encoding,
        labels,
        &format!("health-institutions-{stamp}"),
    )
}

/// The request body of one row: an agreement when its number or first day is given (both then required).
fn input_of(row: &Row) -> Result<InstitutionInput, AppError> {
    let mut errors = Vec::new();
    for column in REQUIRED {
        if row.get(column).is_none() {
            errors.push(FieldError::of(column, ErrorCode::Required));
        }
    }
    let no = row.get("agreement_no");
    let from = row.get("agreement_from");
    let until = row.get("agreement_until");
    let agreement = match (no, from) {
        (Some(no), Some(from)) => {
            Some(AgreementInput { agreement_no: no.to_owned(), from: from.to_owned(), until: until.map(str::to_owned) })
        }
        (None, None) if until.is_none() => None,
        (None, _) => {
            errors.push(FieldError::of("agreement_no", ErrorCode::Required));
            None
        }
        (Some(_), None) => {
            errors.push(FieldError::of("agreement_from", ErrorCode::Required));
            None
        }
    };
    if !errors.is_empty() {
        return Err(AppError::validation(errors));
    }
    Ok(InstitutionInput {
        name: row.get("name").unwrap_or_default().to_owned(),
        jurisdiction: row.get("jurisdiction").map(str::to_owned),
        address: row.get("address").unwrap_or_default().to_owned(),
        contact_name: row.get("contact_name").map(str::to_owned),
        contact_phone: row.get("contact_phone").map(str::to_owned),
        agreement,
    })
}

/// Imports a register of community health service institutions: every row through the checks and the registration
/// of `POST /health-institutions` (node in the caller's subtree, agreement dates in order); a row naming an
/// institution of the same name at the same node is refused (`conflict`) or, with [`OnConflict::Skip`], skipped.
/// Audited `health.institution.import` with the counts, and `health.institution.create` per institution.
pub fn import(
    conn: &mut DbConnection,
    caller: &Caller,
    today: Date,
    upload: Upload<'_>,
    mode: Mode,
    on_conflict: OnConflict,
) -> Result<RegisterReport, AppError> {
    caller.require(Permission::HealthWrite)?;
    let rows = register::read(upload.raw, upload.dir, upload.xlsx, &COLUMNS, &REQUIRED, upload.unpacked_limit)?;
    let report = register::apply(conn, mode, &rows, |conn, row| {
        let input = input_of(row)?;
        let asked = institutions::check(&input).map_err(AppError::validation)?;
        let node = match input.jurisdiction.as_deref() {
            Some(code) => crate::scope::node_in_scope(conn, caller, code, "/jurisdiction")?.code,
            None => caller.jurisdiction_code.clone(),
        };
        if repo::institution_named(conn, input.name.trim(), &node)? {
            return match on_conflict {
                OnConflict::Skip => Ok(Outcome::Skipped),
                OnConflict::Error => Err(AppError::with(
                    ErrorCode::Conflict,
                    "该辖区已登记同名社区卫生服务机构",
                    "an institution of this name is registered at this node",
                )),
            };
        }
        institutions::create(conn, caller, today, asked)?;
        Ok(Outcome::Created)
    })?;
    let mut entry = caller.audit("health.institution.import", "health_institution_import", "", &caller.scope_path);
    entry.object_id = None;
    entry.detail = Some(
        serde_json::json!({"mode": report.mode, "rows": report.rows, "created": report.created,
            "skipped": report.skipped, "rejected": report.rejected})
        .to_string(),
    );
    audit::append(conn, &entry)?;
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_required_column_is_a_column() {
        for c in REQUIRED {
            assert!(COLUMNS.iter().any(|col| col.code == c), "{c}");
        }
    }
}
