//! The XLSX export: a workbook written in constant memory to a temporary directory, page by page.

use std::path::PathBuf;

use persistence::Pool;

use super::{Export, page_rows};
use crate::retirees::file::COLUMNS;

/// Writes the workbook of `export` (constant memory: rows go to disk as they are written; every cell a string so
/// that IDs and codes stay text), one pooled connection per page. Blocking: run it off the async workers. `None`
/// when `gone` says the reader went away meanwhile; the directory holds the file until it is dropped.
pub fn build_xlsx(
    pool: &Pool,
    export: &Export,
    gone: impl Fn() -> bool,
) -> Result<Option<(tempfile::TempDir, PathBuf)>, String> {
    let text = |e: rust_xlsxwriter::XlsxError| e.to_string();
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let path = dir.path().join("retirees.xlsx");
    let mut workbook = rust_xlsxwriter::Workbook::new();
    workbook.set_tempdir(dir.path()).map_err(text)?;
    {
        let sheet = workbook.add_worksheet_with_constant_memory().map_err(text)?;
        sheet.set_name("retirees").map_err(text)?;
        for (col, name) in (0u16..).zip(COLUMNS) {
            let width = match name {
                "id_number" | "special_groups" => 22.0,
                "address" | "notes" => 30.0,
                _ => 14.0,
            };
            sheet.set_column_width(col, width).map_err(text)?;
            sheet.write_string(0, col, name).map_err(text)?;
        }
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
                for (col, value) in (0u16..).zip(values) {
                    if !value.is_empty() {
                        sheet.write_string(row, col, value).map_err(text)?;
                    }
                }
                row += 1;
            }
            if !page.more {
                break;
            }
            after = page.last;
        }
    }
    workbook.save(&path).map_err(text)?;
    Ok(Some((dir, path)))
}
