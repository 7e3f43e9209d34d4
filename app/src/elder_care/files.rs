//! The elderly-care registers and lists as files (issue 26, GUIDE 第二部分六 1 and 10: build and update the
//! database; summarise and report): the institution and caregiver registers imported from the spreadsheets a city
//! keeps, and the institutions, caregivers, requests and the monthly summary exported with Chinese headers (or
//! codes). The columns are declared once here; an exported register imports back as it is (export-only columns
//! such as `id` or `stale` are read and ignored).

pub use crate::imports::register::Upload;

use domain::elder_care::{CareItem, CareStatus, CaregiverGrade, InstitutionKind};
use domain::{ErrorCode, Permission};
use persistence::elder_care as repo;
use persistence::{DbConnection, audit};
use time::Date;

use super::caregivers::{self, CaregiverInput, CaregiverView};
use super::institutions::{self, InstitutionInput, InstitutionQuery, InstitutionView, ServiceOffer, VerifiedVia};
use super::requests::{self, CareRequestView};
use super::summary::{Counts, NodeMonth};
use crate::caller::Caller;
use crate::error::{AppError, FieldError};
use crate::exports::table::{Column, File, Table, label, render, yes_no};
use crate::exports::{Encoding, Format, Labels};
use crate::imports::Mode;
use crate::imports::register::{self, Labelled, Outcome, RegisterReport, Row, enum_value, invalid_enum};
use crate::policy_book::PolicyBook;

/// How a file is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileAsked {
    /// CSV or XLSX.
    pub format: Format,
    /// CSV encoding.
    pub encoding: Encoding,
    /// Chinese labels or codes.
    pub labels: Labels,
}

/// What to do with a row naming a record that exists (an institution of the same name at the same node; a
/// caregiver with the same certificate number).
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

/// Rows read per page while a file is built.
const PAGE: i64 = 2000;

/// The columns of the institution register.
pub const INSTITUTION_COLUMNS: [Column; 18] = [
    Column::number("id", "编号"),
    Column::text("name", "机构名称"),
    Column::text("kind", "机构类型"),
    Column::text("jurisdiction", "所属辖区代码"),
    Column::text("address", "地址"),
    Column::text("licence_no", "许可证号"),
    Column::date("licence_expires_on", "许可证有效期至"),
    Column::text("licence_valid", "许可证有效"),
    Column::number("beds_total", "床位总数"),
    Column::number("beds_occupied", "已用床位"),
    Column::number("beds_free", "空余床位"),
    Column::text("services", "服务项目及价格"),
    Column::text("contact_name", "联系人"),
    Column::text("contact_phone", "联系电话"),
    Column::text("verified_via", "信息采集方式"),
    Column::date("last_verified_on", "最近核实日期"),
    Column::date("current_until", "信息有效期至"),
    Column::text("stale", "信息已过期"),
];

/// The columns an institution row must have.
pub const INSTITUTION_REQUIRED: [&str; 6] = ["name", "kind", "address", "beds_total", "services", "verified_via"];

/// The columns of the caregiver register as exported (phones stay out of files, as out of lists).
pub const CAREGIVER_COLUMNS: [Column; 13] = [
    Column::number("id", "编号"),
    Column::text("name", "姓名"),
    Column::text("grade", "等级"),
    Column::text("certificate_no", "证书编号"),
    Column::date("certificate_on", "发证日期"),
    Column::number("institution_id", "所属机构编号"),
    Column::text("jurisdiction", "登记辖区代码"),
    Column::text("items", "服务项目"),
    Column::text("areas", "服务区域代码"),
    Column::text("languages", "语言"),
    Column::text("available", "可接单"),
    Column::number("evaluations", "评价次数"),
    Column::text("average_score", "平均评分"),
];

/// The phone column a caregiver register may bring in.
const CAREGIVER_PHONE: Column = Column::text("phone", "联系电话");

/// The columns a caregiver row must have.
pub const CAREGIVER_REQUIRED: [&str; 5] = ["name", "grade", "certificate_no", "certificate_on", "items"];

/// The columns of the request list.
pub const REQUEST_COLUMNS: [Column; 19] = [
    Column::number("id", "编号"),
    Column::number("retiree_id", "服务对象编号"),
    Column::text("jurisdiction", "所属辖区代码"),
    Column::text("items", "服务项目"),
    Column::text("frequency", "服务频次"),
    Column::text("place", "服务地点"),
    Column::number("institution_id", "机构编号"),
    Column::text("cost_bearer", "费用承担"),
    Column::text("status", "状态"),
    Column::date("requested_on", "受理日期"),
    Column::text("required_grade", "所需护理员等级"),
    Column::number("caregiver_id", "护理员编号"),
    Column::text("slot_start", "预约开始"),
    Column::text("slot_end", "预约结束"),
    Column::text("delivered_start", "服务开始"),
    Column::text("delivered_end", "服务结束"),
    Column::number("hours", "服务时长（小时）"),
    Column::number("score", "评分"),
    Column::date("evaluated_on", "评价日期"),
];

/// The columns of the monthly summary.
const SUMMARY_COLUMNS: [Column; 8] = [
    Column::text("node", "辖区代码"),
    Column::text("group", "分组"),
    Column::text("month", "月份"),
    Column::number("requests", "受理需求"),
    Column::number("delivered", "完成服务"),
    Column::number("hours", "服务时长（小时）"),
    Column::number("evaluated", "已评价"),
    Column::number("average_score", "平均评分"),
];

impl VerifiedVia {
    /// Every channel.
    pub const ALL: &'static [VerifiedVia] = &[Self::Visit, Self::Mail, Self::Phone, Self::Online, Self::Department];

    /// The Chinese label.
    pub fn label_zh(self) -> &'static str {
        match self {
            Self::Visit => "走访",
            Self::Mail => "信函",
            Self::Phone => "电话",
            Self::Online => "网络",
            Self::Department => "部门提供",
        }
    }
}

fn items_cell(items: &[CareItem], labels: Labels) -> String {
    items.iter().map(|i| label(i.as_str(), i.label_zh(), labels)).collect::<Vec<_>>().join(";")
}

fn opt<T: ToString>(value: Option<T>) -> String {
    value.map(|v| v.to_string()).unwrap_or_default()
}

fn institution_row(v: &InstitutionView, labels: Labels) -> Vec<String> {
    let via = VerifiedVia::ALL.iter().find(|c| c.as_str() == v.verified_via);
    vec![
        v.id.to_string(),
        v.name.clone(),
        label(v.kind.as_str(), v.kind.label_zh(), labels),
        v.jurisdiction.clone(),
        v.address.clone(),
        v.licence_no.clone().unwrap_or_default(),
        opt(v.licence_expires_on),
        yes_no(v.licence_valid, labels),
        v.beds_total.to_string(),
        v.beds_occupied.to_string(),
        v.beds_free.to_string(),
        v.services
            .iter()
            .map(|s| format!("{}:{}", label(s.item.as_str(), s.item.label_zh(), labels), s.price))
            .collect::<Vec<_>>()
            .join(";"),
        v.contact_name.clone().unwrap_or_default(),
        v.contact_phone.clone().unwrap_or_default(),
        via.map_or_else(|| v.verified_via.clone(), |c| label(c.as_str(), c.label_zh(), labels)),
        v.last_verified_on.to_string(),
        opt(v.current_until),
        yes_no(v.stale, labels),
    ]
}

fn caregiver_row(v: &CaregiverView, labels: Labels) -> Vec<String> {
    vec![
        v.id.to_string(),
        v.name.clone(),
        label(v.grade.as_str(), v.grade.label_zh(), labels),
        v.certificate_no.clone(),
        v.certificate_on.to_string(),
        opt(v.institution_id),
        v.jurisdiction.clone(),
        items_cell(&v.items, labels),
        v.areas.join(";"),
        v.languages.join(";"),
        yes_no(v.available, labels),
        v.evaluations.to_string(),
        v.average_score.clone().unwrap_or_default(),
    ]
}

fn request_row(v: &CareRequestView, labels: Labels) -> Vec<String> {
    vec![
        v.id.to_string(),
        v.retiree_id.to_string(),
        v.jurisdiction.clone(),
        items_cell(&v.items, labels),
        label(v.frequency.as_str(), v.frequency.label_zh(), labels),
        label(v.place.as_str(), v.place.label_zh(), labels),
        opt(v.institution_id),
        label(v.cost_bearer.as_str(), v.cost_bearer.label_zh(), labels),
        label(v.status.as_str(), v.status.label_zh(), labels),
        v.requested_on.to_string(),
        label(v.required_grade.as_str(), v.required_grade.label_zh(), labels),
        opt(v.caregiver_id),
        v.slot_start.clone().unwrap_or_default(),
        v.slot_end.clone().unwrap_or_default(),
        v.delivered_start.clone().unwrap_or_default(),
        v.delivered_end.clone().unwrap_or_default(),
        v.hours.clone().unwrap_or_default(),
        opt(v.score),
        opt(v.evaluated_on),
    ]
}

fn stamp(on: Date) -> String {
    format!("{:04}{:02}{:02}", on.year(), u8::from(on.month()), on.day())
}

/// The institutions of the caller's subtree (of `kind`; with `stale`, the worklist) as a file.
pub fn institutions_file(
    conn: &mut DbConnection,
    caller: &Caller,
    book: &PolicyBook,
    kind: Option<InstitutionKind>,
    stale: bool,
    asked: FileAsked,
) -> Result<File, AppError> {
    let mut rows = Vec::new();
    let mut after = None;
    loop {
        let q = InstitutionQuery { kind, stale, after, limit: PAGE };
        let page = institutions::list(conn, caller, book, &q)?;
        after = page.last().map(|v| v.id);
        rows.extend(page.iter().map(|v| institution_row(v, asked.labels)));
        if i64::try_from(page.len()).unwrap_or(i64::MAX) < PAGE {
            break;
        }
    }
    let table = Table::new("养老机构", INSTITUTION_COLUMNS.to_vec(), rows);
    render(&[table], asked.format, asked.encoding, asked.labels, &format!("care-institutions-{}", stamp(book.on())))
}

/// The caregivers seen from the caller's subtree (of `grade`, `serving` a node) as a file, phones left out;
/// audited `care.caregiver.export` (names and certificates of people).
pub fn caregivers_file(
    conn: &mut DbConnection,
    caller: &Caller,
    today: Date,
    grade: Option<CaregiverGrade>,
    serving: Option<&str>,
    asked: FileAsked,
) -> Result<File, AppError> {
    let mut rows = Vec::new();
    let mut after = None;
    loop {
        let page = caregivers::list(conn, caller, grade, serving, after, PAGE)?;
        after = page.last().map(|v| v.id);
        rows.extend(page.iter().map(|v| caregiver_row(v, asked.labels)));
        if i64::try_from(page.len()).unwrap_or(i64::MAX) < PAGE {
            break;
        }
    }
    let mut entry = caller.audit("care.caregiver.export", "caregiver_export", "", &caller.scope_path);
    entry.object_id = None;
    entry.detail = Some(
        serde_json::json!({"grade": grade, "serving": serving, "rows": rows.len(),
            "format": asked.format.as_str(), "labels": asked.labels.as_str()})
        .to_string(),
    );
    audit::append(conn, &entry)?;
    let table = Table::new("养老护理员", CAREGIVER_COLUMNS.to_vec(), rows);
    render(&[table], asked.format, asked.encoding, asked.labels, &format!("caregivers-{}", stamp(today)))
}

/// The care requests of people in the caller's subtree (of `status`, of a caregiver) as a file; audited
/// `care.request.export` (who receives which care is personal data).
pub fn requests_file(
    conn: &mut DbConnection,
    caller: &Caller,
    book: &PolicyBook,
    status: Option<CareStatus>,
    caregiver_id: Option<i64>,
    asked: FileAsked,
) -> Result<File, AppError> {
    let mut rows = Vec::new();
    let mut after = None;
    loop {
        let page = requests::list(conn, caller, book, status, caregiver_id, after, PAGE)?;
        after = page.last().map(|v| v.id);
        rows.extend(page.iter().map(|v| request_row(v, asked.labels)));
        if i64::try_from(page.len()).unwrap_or(i64::MAX) < PAGE {
            break;
        }
    }
    let mut entry = caller.audit("care.request.export", "care_request_export", "", &caller.scope_path);
    entry.object_id = None;
    entry.detail = Some(
        serde_json::json!({"status": status, "caregiver_id": caregiver_id, "rows": rows.len(),
            "format": asked.format.as_str(), "labels": asked.labels.as_str()})
        .to_string(),
    );
    audit::append(conn, &entry)?;
    let table = Table::new("护理服务需求", REQUEST_COLUMNS.to_vec(), rows);
    render(&[table], asked.format, asked.encoding, asked.labels, &format!("care-requests-{}", stamp(book.on())))
}

fn summary_row(node: &str, group: String, month: &str, c: &Counts) -> Vec<String> {
    vec![
        node.to_owned(),
        group,
        month.to_owned(),
        c.requests.to_string(),
        c.delivered.to_string(),
        c.hours.clone(),
        c.evaluated.to_string(),
        c.average_score.clone().unwrap_or_default(),
    ]
}

/// The monthly summary (step 10) as a file for filing: three sheets (per node, by item, by caregiver grade), the
/// month in each title, a totals row on the first (counts and hours summed; the average over every evaluation).
pub fn summary_file(nodes: &[NodeMonth], month: &str, asked: FileAsked) -> Result<File, AppError> {
    let labels = asked.labels;
    let total_label = label("total", "合计", labels);
    let totals = Counts::sum(nodes.iter().map(|n| &n.total));
    let by_node: Vec<Vec<String>> =
        nodes.iter().map(|n| summary_row(&n.node, total_label.clone(), &n.month, &n.total)).collect();
    let by_item: Vec<Vec<String>> = nodes
        .iter()
        .flat_map(|n| {
            n.by_item
                .iter()
                .map(|(item, c)| summary_row(&n.node, label(item.as_str(), item.label_zh(), labels), &n.month, c))
        })
        .collect();
    let by_grade: Vec<Vec<String>> = nodes
        .iter()
        .flat_map(|n| {
            n.by_grade
                .iter()
                .map(|(grade, c)| summary_row(&n.node, label(grade.as_str(), grade.label_zh(), labels), &n.month, c))
        })
        .collect();
    let title = |what: &str| format!("养老护理服务月度汇总（{what}） {month}");
    let tables = [
        Table::new("汇总", SUMMARY_COLUMNS.to_vec(), by_node).with_title(title("按辖区")).with_totals(summary_row(
            &total_label,
            total_label.clone(),
            month,
            &totals,
        )),
        Table::new("按服务项目", SUMMARY_COLUMNS.to_vec(), by_item).with_title(title("按服务项目")),
        Table::new("按护理员等级", SUMMARY_COLUMNS.to_vec(), by_grade).with_title(title("按护理员等级")),
    ];
    render(&tables, asked.format, asked.encoding, labels, &format!("care-summary-{month}"))
}

// ---- imports ----

fn item_pair() -> Labelled<CareItem> {
    (CareItem::as_str, CareItem::label_zh)
}

/// `助餐:15.00;全护理:3200.00` (items by code or label, `：` accepted) as the offers, or the row's errors.
fn services_cell(row: &Row, errors: &mut Vec<FieldError>) -> Vec<ServiceOffer> {
    let mut offers = Vec::new();
    for part in row.list("services") {
        let Some((item, price)) = part.split_once([':', '：']) else {
            errors.push(FieldError::with(
                "services",
                ErrorCode::InvalidValue,
                format!("服务项目应写成 项目:价格，如 助餐:15.00，而不是 {part}"),
                format!("a service is item:price, e.g. meal_help:15.00, not {part}"),
            ));
            continue;
        };
        match enum_value(item.trim(), CareItem::ALL, item_pair()) {
            Some(item) => offers.push(ServiceOffer { item, price: price.trim().to_owned() }),
            None => errors.push(invalid_enum("services", item.trim(), CareItem::ALL.iter().map(|i| i.as_str()))),
        }
    }
    offers
}

fn items_of(row: &Row, errors: &mut Vec<FieldError>) -> Vec<CareItem> {
    let mut items = Vec::new();
    for part in row.list("items") {
        match enum_value(&part, CareItem::ALL, item_pair()) {
            Some(i) => items.push(i),
            None => errors.push(invalid_enum("items", &part, CareItem::ALL.iter().map(|i| i.as_str()))),
        }
    }
    items
}

/// The field errors of a row as the refusal of that row.
fn refused(errors: Vec<FieldError>) -> AppError {
    AppError::validation(errors)
}

fn institution_input(row: &Row) -> Result<InstitutionInput, AppError> {
    let mut errors = Vec::new();
    let kind = row.enumeration(
        "kind",
        InstitutionKind::ALL,
        (InstitutionKind::as_str, InstitutionKind::label_zh),
        &mut errors,
    );
    let via =
        row.enumeration("verified_via", VerifiedVia::ALL, (VerifiedVia::as_str, VerifiedVia::label_zh), &mut errors);
    let beds_total = row.integer::<i32>("beds_total", &mut errors);
    let beds_occupied = row.integer::<i32>("beds_occupied", &mut errors);
    let services = services_cell(row, &mut errors);
    for column in INSTITUTION_REQUIRED {
        if row.get(column).is_none() {
            errors.push(FieldError::of(column, ErrorCode::Required));
        }
    }
    match (kind, via, beds_total, errors.is_empty()) {
        (Some(kind), Some(verified_via), Some(beds_total), true) => Ok(InstitutionInput {
            name: row.get("name").unwrap_or_default().to_owned(),
            kind,
            jurisdiction: row.get("jurisdiction").map(str::to_owned),
            address: row.get("address").unwrap_or_default().to_owned(),
            licence_no: row.get("licence_no").map(str::to_owned),
            licence_expires_on: row.get("licence_expires_on").map(str::to_owned),
            beds_total,
            beds_occupied,
            services,
            contact_name: row.get("contact_name").map(str::to_owned),
            contact_phone: row.get("contact_phone").map(str::to_owned),
            verified_via,
            verified_on: row.get("last_verified_on").map(str::to_owned),
        }),
        _ => Err(refused(errors)),
    }
}

fn caregiver_input(row: &Row) -> Result<CaregiverInput, AppError> {
    let mut errors = Vec::new();
    let grade =
        row.enumeration("grade", CaregiverGrade::ALL, (CaregiverGrade::as_str, CaregiverGrade::label_zh), &mut errors);
    let institution_id = row.integer::<i64>("institution_id", &mut errors);
    let available = row.flag("available", &mut errors);
    let items = items_of(row, &mut errors);
    for column in CAREGIVER_REQUIRED {
        if row.get(column).is_none() {
            errors.push(FieldError::of(column, ErrorCode::Required));
        }
    }
    match (grade, errors.is_empty()) {
        (Some(grade), true) => Ok(CaregiverInput {
            name: row.get("name").unwrap_or_default().to_owned(),
            phone: row.get("phone").map(str::to_owned),
            grade,
            certificate_no: row.get("certificate_no").unwrap_or_default().to_owned(),
            certificate_on: row.get("certificate_on").unwrap_or_default().to_owned(),
            institution_id,
            items,
            areas: Some(row.list("areas")),
            languages: Some(row.list("languages")),
            available,
            jurisdiction: row.get("jurisdiction").map(str::to_owned),
        }),
        _ => Err(refused(errors)),
    }
}

fn conflict(zh: &str, en: &str) -> AppError {
    AppError::with(ErrorCode::Conflict, zh, en)
}

/// Imports an institution register: every row through the checks and the registration of
/// `POST /care/institutions` (the node in the caller's subtree, a valid licence, beds, services with prices); a
/// row naming an institution of the same name at the same node is refused or, with [`OnConflict::Skip`], skipped.
/// Audited `care.institution.import` with the counts.
pub fn import_institutions(
    conn: &mut DbConnection,
    caller: &Caller,
    today: Date,
    upload: Upload<'_>,
    mode: Mode,
    on_conflict: OnConflict,
) -> Result<RegisterReport, AppError> {
    caller.require(Permission::CareServiceManage)?;
    let rows = register::read(
        upload.raw,
        upload.dir,
        upload.xlsx,
        &INSTITUTION_COLUMNS,
        &INSTITUTION_REQUIRED,
        upload.unpacked_limit,
    )?;
    let report = register::apply(conn, mode, &rows, |conn, row| {
        let input = institution_input(row)?;
        let asked = institutions::check(&input, today).map_err(refused)?;
        let node = match input.jurisdiction.as_deref() {
            Some(code) => crate::scope::node_in_scope(conn, caller, code, "/jurisdiction")?.code,
            None => caller.jurisdiction_code.clone(),
        };
        if repo::institution_named(conn, input.name.trim(), &node)? {
            return match on_conflict {
                OnConflict::Skip => Ok(Outcome::Skipped),
                OnConflict::Error => {
                    Err(conflict("该辖区已登记同名机构", "an institution of this name is registered at this node"))
                }
            };
        }
        institutions::create(conn, caller, today, asked)?;
        Ok(Outcome::Created)
    })?;
    audit_import(conn, caller, "care.institution.import", "care_institution_import", &report)?;
    Ok(report)
}

/// Imports a caregiver register: every row through the checks and the registration of `POST /care/caregivers`
/// (grade, certificate, items, employer and areas in the caller's subtree); a row whose certificate number is
/// registered already is refused or, with [`OnConflict::Skip`], skipped. Audited `care.caregiver.import`.
pub fn import_caregivers(
    conn: &mut DbConnection,
    caller: &Caller,
    today: Date,
    upload: Upload<'_>,
    mode: Mode,
    on_conflict: OnConflict,
) -> Result<RegisterReport, AppError> {
    caller.require(Permission::CareServiceManage)?;
    let mut columns = CAREGIVER_COLUMNS.to_vec();
    columns.push(CAREGIVER_PHONE);
    let rows =
        register::read(upload.raw, upload.dir, upload.xlsx, &columns, &CAREGIVER_REQUIRED, upload.unpacked_limit)?;
    let report = register::apply(conn, mode, &rows, |conn, row| {
        let input = caregiver_input(row)?;
        let asked = caregivers::check(&input, today).map_err(refused)?;
        if repo::certificate_taken(conn, input.certificate_no.trim())? {
            return match on_conflict {
                OnConflict::Skip => Ok(Outcome::Skipped),
                OnConflict::Error => Err(conflict(
                    "该证书编号的护理员已登记",
                    "a caregiver with this certificate number is registered already",
                )),
            };
        }
        caregivers::create(conn, caller, asked)?;
        Ok(Outcome::Created)
    })?;
    audit_import(conn, caller, "care.caregiver.import", "caregiver_import", &report)?;
    Ok(report)
}

fn audit_import(
    conn: &mut DbConnection,
    caller: &Caller,
    action: &str,
    object: &str,
    report: &RegisterReport,
) -> Result<(), AppError> {
    let mut entry = caller.audit(action, object, "", &caller.scope_path);
    entry.object_id = None;
    entry.detail = Some(
        serde_json::json!({"mode": report.mode, "rows": report.rows, "created": report.created,
            "skipped": report.skipped, "rejected": report.rejected})
        .to_string(),
    );
    audit::append(conn, &entry)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_required_column_is_a_column() {
        for c in INSTITUTION_REQUIRED {
            assert!(INSTITUTION_COLUMNS.iter().any(|col| col.code == c), "{c}");
        }
        for c in CAREGIVER_REQUIRED {
            assert!(CAREGIVER_COLUMNS.iter().any(|col| col.code == c), "{c}");
        }
    }

    #[test]
    fn channels_have_labels() {
        for via in VerifiedVia::ALL {
            assert_eq!(
                enum_value(via.label_zh(), VerifiedVia::ALL, (VerifiedVia::as_str, VerifiedVia::label_zh)),
                Some(*via)
            );
        }
    }
}
