//! The XLSX export: a workbook written in constant memory to a temporary directory, page by page. For people
//! (issue 22): the sheet `退休人员` with Chinese headers and labels (or codes), dates as dates (`yyyy-mm-dd`), the
//! pension as a number with two decimals (a column Excel sums), the header row frozen with an autofilter, widths
//! that fit; and a second sheet `导出条件` with the filters as sent, the row count and the time of export.

use std::path::PathBuf;

use persistence::Pool;
use rust_xlsxwriter::{ExcelDateTime, Format, FormatBorder, Workbook, Worksheet, XlsxError};

use super::labels::Labels;
use super::{Export, page_rows};
use crate::retirees::file::COLUMNS;

/// The data sheet's name.
pub const DATA_SHEET: &str = "退休人员";
/// The filter sheet's name.
pub const FILTER_SHEET: &str = "导出条件";

/// Width of each column, in characters of the default font (a Chinese character counts two).
fn width(column: &str) -> f64 {
    match column {
        "id_number" => 22.0,
        "address" => 36.0,
        "special_groups" | "notes" => 30.0,
        "category" => 24.0,
        "management_level" => 18.0,
        "community_code" | "phone" => 16.0,
        "sex" => 8.0,
        "party_member" => 10.0,
        _ => 13.0,
    }
}

/// What a column holds in a workbook.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Text,
    Date,
    Money,
}

fn kind(column: &str) -> Kind {
    match column {
        "birth_date" | "retirement_date" | "last_certified_on" => Kind::Date,
        "monthly_pension" => Kind::Money,
        _ => Kind::Text,
    }
}

/// A `YYYY-MM-DD` text as an Excel date.
fn excel_date(text: &str) -> Option<ExcelDateTime> {
    let date = time::Date::parse(text, time::macros::format_description!("[year]-[month]-[day]")).ok()?;
    ExcelDateTime::from_ymd(u16::try_from(date.year()).ok()?, u8::from(date.month()), date.day()).ok()
}

struct Formats {
    header: Format,
    date: Format,
    money: Format,
}

/// Writes one cell of a data row by its column's kind (a text that does not parse as its kind stays text).
fn write_cell(
    sheet: &mut Worksheet,
    f: &Formats,
    row: u32,
    col: u16,
    column: &str,
    value: &str,
) -> Result<(), XlsxError> {
    if value.is_empty() {
        return Ok(());
    }
    match kind(column) {
        Kind::Date => {
            if let Some(d) = excel_date(value) {
                sheet.write_datetime_with_format(row, col, d, &f.date)?;
                return Ok(());
            }
        }
        Kind::Money => {
            if let Ok(n) = value.parse::<f64>() {
                sheet.write_number_with_format(row, col, n, &f.money)?;
                return Ok(());
            }
        }
        Kind::Text => {}
    }
    sheet.write_string(row, col, value)?;
    Ok(())
}

/// Writes the workbook of `export` (constant memory: rows go to disk as they are written; IDs, codes and phones
/// stay text, which spreadsheets never run as formulas), one pooled connection per page. Blocking: run it off the
/// async workers. `None` when `gone` says the reader went away meanwhile; the directory holds the file until it is
/// dropped.
pub fn build_xlsx(
    pool: &Pool,
    export: &Export,
    gone: impl Fn() -> bool,
) -> Result<Option<(tempfile::TempDir, PathBuf)>, String> {
    let text = |e: XlsxError| e.to_string();
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let path = dir.path().join("retirees.xlsx");
    let mut workbook = Workbook::new();
    workbook.set_tempdir(dir.path()).map_err(text)?;
    let formats = Formats {
        header: Format::new().set_bold().set_border_bottom(FormatBorder::Thin),
        date: Format::new().set_num_format("yyyy-mm-dd"),
        money: Format::new().set_num_format("#,##0.00"),
    };
    let written = {
        let sheet = workbook.add_worksheet_with_constant_memory().map_err(text)?;
        sheet.set_name(DATA_SHEET).map_err(text)?;
        for (c, (name, header)) in (0u16..).zip(COLUMNS.iter().zip(export.labels.header())) {
            sheet.set_column_width(c, width(name)).map_err(text)?;
            sheet.write_string_with_format(0, c, header, &formats.header).map_err(text)?;
        }
        sheet.set_freeze_panes(1, 0).map_err(text)?;
        let mut row: u32 = 1;
        let mut after = None;
        loop {
            if gone() {
                return Ok(None);
            }
            let page = {
                let mut conn = pool.get().map_err(|e| e.to_string())?;
                page_rows(&mut conn, export, after).map_err(|e| e.to_string())?
            };
            for values in &page.rows {
                for (c, (column, value)) in (0u16..).zip(COLUMNS.iter().zip(values)) {
                    write_cell(sheet, &formats, row, c, column, value).map_err(text)?;
                }
                row += 1;
            }
            if !page.more {
                break;
            }
            after = page.last;
        }
        let last_col = u16::try_from(COLUMNS.len() - 1).unwrap_or(0);
        sheet.autofilter(0, 0, row - 1, last_col).map_err(text)?;
        row - 1
    };
    filter_sheet(workbook.add_worksheet(), export, written, &formats).map_err(text)?;
    workbook.save(&path).map_err(text)?;
    Ok(Some((dir, path)))
}

/// The Chinese name of a list filter.
fn filter_name(filter: &str) -> &'static str {
    match filter {
        "jurisdiction" => "辖区",
        "category" => "人员类别",
        "management_level" => "管理层级",
        "pension_status" => "养老金状态",
        "suspension_reason" => "暂停原因",
        "certification" => "认证状态",
        "special_group" => "特殊群体",
        "age_min" => "最小年龄",
        "age_max" => "最大年龄",
        "name_prefix" => "姓名开头",
        _ => "其他",
    }
}

/// A filter value with its Chinese label where it is an enumeration code.
fn filter_value(filter: &str, value: &str) -> String {
    let label = match filter {
        "category" => domain::Category::parse(value).map(domain::Category::label_zh),
        "management_level" => domain::ManagementLevel::parse(value).map(domain::ManagementLevel::label_zh),
        "pension_status" => domain::PensionStatus::parse(value).map(domain::PensionStatus::label_zh),
        "special_group" => domain::SpecialGroup::parse(value).map(domain::SpecialGroup::label_zh),
        _ => None,
    };
    match label {
        Some(l) => format!("{l}（{value}）"),
        None => value.to_owned(),
    }
}

/// The sheet that says what was exported: the time (China time), the row count, the labels and every filter.
fn filter_sheet(sheet: &mut Worksheet, export: &Export, rows: u32, f: &Formats) -> Result<(), XlsxError> {
    sheet.set_name(FILTER_SHEET)?;
    sheet.set_column_width(0, 24.0)?;
    sheet.set_column_width(1, 40.0)?;
    let china = time::UtcOffset::from_hms(8, 0, 0).unwrap_or(time::UtcOffset::UTC);
    let at = export
        .at
        .to_offset(china)
        .replace_nanosecond(0)
        .unwrap_or(export.at)
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default();
    sheet.write_string_with_format(0, 0, "项目", &f.header)?;
    sheet.write_string_with_format(0, 1, "内容", &f.header)?;
    sheet.write_string(1, 0, "导出时间")?;
    sheet.write_string(1, 1, &at)?;
    sheet.write_string(2, 0, "记录数")?;
    sheet.write_number(2, 1, f64::from(rows))?;
    sheet.write_string(3, 0, "表头与取值")?;
    sheet.write_string(3, 1, if export.labels == Labels::Zh { "中文名称（zh）" } else { "代码（codes）" })?;
    sheet.write_string_with_format(5, 0, "筛选条件", &f.header)?;
    sheet.write_string_with_format(5, 1, "取值", &f.header)?;
    if export.sent.is_empty() {
        sheet.write_string(6, 0, "（无）")?;
        sheet.write_string(6, 1, "本人辖区内全部人员")?;
    }
    for (r, (filter, value)) in (6u32..).zip(&export.sent) {
        sheet.write_string(r, 0, format!("{}（{filter}）", filter_name(filter)))?;
        sheet.write_string(r, 1, filter_value(filter, value))?;
    }
    Ok(())
}
