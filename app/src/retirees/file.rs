//! The file format of retiree rosters, shared by imports and exports so that an export re-imports cleanly:
//! the columns, their Chinese header aliases (as city Excel sheets name them), and how each value is written
//! and read. Values are the API's: enumeration codes (Chinese labels are accepted on import), dates
//! `YYYY-MM-DD`, money `"3500.00"`, `true`/`false`, and special groups as `group:from[:to]` joined by `;`.

use domain::pension::CertificationMethod;
use domain::{Category, ErrorCode, ManagementLevel, Money, Sex, SpecialGroup};
use persistence::retirees::{GroupFlag, Retiree};

use super::dependents::CreateDependentRequest;
use super::registration::{CreateRetireeRequest, SpecialGroupInput};
use crate::error::FieldError;

/// The columns, in export order.
pub const COLUMNS: [&str; 16] = [
    "name",
    "id_number",
    "sex",
    "birth_date",
    "retirement_date",
    "category",
    "management_level",
    "community_code",
    "phone",
    "address",
    "monthly_pension",
    "party_member",
    "special_groups",
    "notes",
    "last_certified_on",
    "last_certification_method",
];

/// Columns a file must have.
/// A cell holding one of these (exactly, spaces around ignored) clears the stored value of its column in an update
/// import; an empty cell keeps it (`docs/imports.md`).
pub const CLEAR_MARKERS: [&str; 2] = ["#clear", "#清空"];

/// The columns an update import may clear with a [`CLEAR_MARKERS`] cell (the others cannot be empty).
pub const CLEARABLE: [&str; 5] = ["phone", "address", "monthly_pension", "special_groups", "notes"];

/// Whether a cell is a clear marker.
pub fn is_clear_marker(cell: &str) -> bool {
    CLEAR_MARKERS.contains(&cell.trim())
}

pub const REQUIRED: [&str; 6] =
    ["name", "id_number", "retirement_date", "category", "management_level", "community_code"];

/// Chinese headers accepted for each column.
const ALIASES: [(&str, &[&str]); 16] = [
    ("name", &["姓名"]),
    ("id_number", &["公民身份号码", "身份证号码", "身份证号"]),
    ("sex", &["性别"]),
    ("birth_date", &["出生日期"]),
    ("retirement_date", &["退休日期", "退休时间"]),
    ("category", &["人员类别", "类别"]),
    ("management_level", &["管理层级", "管理类别"]),
    ("community_code", &["社区代码", "社区（村）代码"]),
    ("phone", &["联系电话", "电话"]),
    ("address", &["住址", "居住地址", "家庭住址"]),
    ("monthly_pension", &["月养老金", "养老金月额"]),
    ("party_member", &["是否党员", "党员"]),
    ("special_groups", &["特殊群体"]),
    ("notes", &["备注"]),
    ("last_certified_on", &["末次认证日期", "上次认证日期", "最近认证日期"]),
    ("last_certification_method", &["末次认证方式", "上次认证方式", "认证方式"]),
];

/// The Chinese header of a column (the first of its aliases, which [`column_of`] reads back), as exports for
/// people write it (issue 22).
pub fn header_zh(column: &str) -> &str {
    ALIASES.iter().find(|(c, _)| *c == column).and_then(|(_, names)| names.first().copied()).unwrap_or(column)
}

/// The column a header names (trimmed; English names case-insensitively, or a Chinese alias).
pub fn column_of(header: &str) -> Option<&'static str> {
    let h = header.trim().trim_start_matches('\u{feff}');
    let lower = h.to_ascii_lowercase();
    COLUMNS
        .iter()
        .copied()
        .find(|c| *c == lower)
        .or_else(|| ALIASES.iter().find(|(_, names)| names.contains(&h)).map(|(c, _)| *c))
}

/// The extra columns of our own rejected-rows report, for machines (`labels=codes`).
pub const REPORT_COLUMNS: [&str; 4] = ["error_line", "error_fields", "error_codes", "error_messages"];

/// The same columns for people (`labels=zh`, the default; issue 22).
pub const REPORT_COLUMNS_ZH: [&str; 4] = ["错误行号", "错误字段", "错误代码", "错误说明"];

/// Whether a header is one of the extra columns of our own rejected-rows report (`error_line` … or `错误行号` …),
/// which a clerk sends back after fixing the row; they are ignored.
pub fn is_report_column(header: &str) -> bool {
    let h = header.trim().trim_start_matches('\u{feff}');
    h.starts_with("error_") || REPORT_COLUMNS_ZH.contains(&h)
}

/// The Chinese name of a field named in a row error (a column of a retirees or a dependants file), or the field
/// as it is when it has none.
pub fn field_zh(field: &str) -> &str {
    ALIASES
        .iter()
        .chain(DEPENDENT_ALIASES.iter())
        .find(|(c, _)| *c == field)
        .and_then(|(_, names)| names.first().copied())
        .unwrap_or(field)
}

/// Writes special-group flags: `living_alone:2024-01-01;seriously_ill:2023-05-01:2024-04-30`.
pub fn format_groups(flags: &[GroupFlag]) -> String {
    flags
        .iter()
        .map(|f| match f.to_date {
            Some(to) => format!("{}:{}:{}", f.group_code, f.from_date, to),
            None => format!("{}:{}", f.group_code, f.from_date),
        })
        .collect::<Vec<_>>()
        .join(";")
}

/// One row as written to a file, in [`COLUMNS`] order; `id_number`, `phone` and `address` come already shown
/// or masked for the caller, and `birth_date` only where the ID is shown in clear (empty otherwise: it is the
/// masked part of the ID); `method` is the method of the last certification (issue 19.2).
pub fn row_values(
    r: &Retiree,
    flags: &[GroupFlag],
    id_number: String,
    birth_date: Option<time::Date>,
    (phone, address): (Option<String>, Option<String>),
    method: Option<&str>,
) -> [String; 16] {
    [
        r.name.clone(),
        id_number,
        r.sex.as_str().to_owned(),
        birth_date.map(|d| d.to_string()).unwrap_or_default(),
        r.retirement_date.to_string(),
        r.category.as_str().to_owned(),
        r.management_level.as_str().to_owned(),
        r.community_code.clone(),
        phone.unwrap_or_default(),
        address.unwrap_or_default(),
        r.monthly_pension_fen.map(|f| Money::from_fen(f).to_string()).unwrap_or_default(),
        r.party_member.to_string(),
        format_groups(flags),
        r.notes.clone().unwrap_or_default(),
        r.last_certified_on.map(|d| d.to_string()).unwrap_or_default(),
        method.unwrap_or_default().to_owned(),
    ]
}

fn invalid(field: &str, value: &str, codes: &[&str]) -> FieldError {
    FieldError::with(
        field,
        ErrorCode::InvalidEnum,
        format!("取值“{value}”不在允许范围内，应为：{}", codes.join(", ")),
        format!("'{value}' is not allowed; expected one of: {}", codes.join(", ")),
    )
}

/// An enumeration cell: the code or the Chinese label.
fn enum_cell<T: Copy>(
    field: &str,
    value: &str,
    parse: fn(&str) -> Option<T>,
    all: &[T],
    label: fn(T) -> &'static str,
    codes: &[&str],
    errors: &mut Vec<FieldError>,
) -> Option<T> {
    let v = value.trim();
    let found = parse(v).or_else(|| all.iter().copied().find(|x| label(*x) == v));
    if found.is_none() {
        errors.push(invalid(field, v, codes));
    }
    found
}

fn bool_cell(field: &str, value: &str, errors: &mut Vec<FieldError>) -> Option<bool> {
    match value.trim().to_lowercase().as_str() {
        "" => None,
        "true" | "1" | "yes" | "y" | "是" => Some(true),
        "false" | "0" | "no" | "n" | "否" => Some(false),
        other => {
            errors.push(FieldError::with(
                field,
                ErrorCode::InvalidBoolean,
                format!("“{other}”不是是/否值，应为 true、false、是 或 否"),
                format!("'{other}' is not a boolean; use true, false, 是 or 否"),
            ));
            None
        }
    }
}

fn groups_cell(value: &str, errors: &mut Vec<FieldError>) -> Vec<SpecialGroupInput> {
    let mut out = Vec::new();
    for part in value.split(';').map(str::trim).filter(|p| !p.is_empty()) {
        let mut pieces = part.split(':').map(str::trim);
        let (group, from, to) = (pieces.next().unwrap_or_default(), pieces.next(), pieces.next());
        let Some(from) = from.filter(|f| !f.is_empty()) else {
            errors.push(FieldError::with(
                "special_groups",
                ErrorCode::SpecialGroupFormat,
                format!("特殊群体“{part}”格式应为 群体:开始日期[:结束日期]，多个用分号分隔"),
                format!("special group '{part}' must read group:from[:to], several joined by ';'"),
            ));
            continue;
        };
        let Some(group) =
            SpecialGroup::parse(group).or_else(|| SpecialGroup::ALL.iter().copied().find(|g| g.label_zh() == group))
        else {
            errors.push(invalid("special_groups", group, &SpecialGroup::codes()));
            continue;
        };
        out.push(SpecialGroupInput {
            group,
            from: from.to_owned(),
            to: to.filter(|t| !t.is_empty()).map(str::to_owned),
        });
    }
    out
}

fn text(value: &str) -> Option<String> {
    let v = value.trim();
    (!v.is_empty()).then(|| v.to_owned())
}

/// Turns one row (`(column, value)` pairs; empty cells count as absent) into the request a single create takes,
/// so that the row goes through exactly the same checks. Cell-level errors (an unknown code, a malformed
/// boolean, a missing required value) are collected in `errors`.
pub fn to_request(cells: &[(&'static str, String)], errors: &mut Vec<FieldError>) -> Option<CreateRetireeRequest> {
    let get = |c: &str| cells.iter().find(|(k, _)| *k == c).map(|(_, v)| v.as_str()).unwrap_or_default();
    for column in REQUIRED {
        if get(column).trim().is_empty() {
            errors.push(FieldError::with(
                column,
                ErrorCode::Required,
                format!("缺少必填列 {column} 的值"),
                format!("{column} is required"),
            ));
        }
    }
    let sex =
        text(get("sex")).and_then(|s| enum_cell("sex", &s, Sex::parse, Sex::ALL, Sex::label_zh, &Sex::codes(), errors));
    let category = text(get("category")).and_then(|s| {
        enum_cell("category", &s, Category::parse, Category::ALL, Category::label_zh, &Category::codes(), errors)
    });
    let level = text(get("management_level")).and_then(|s| {
        enum_cell(
            "management_level",
            &s,
            ManagementLevel::parse,
            ManagementLevel::ALL,
            ManagementLevel::label_zh,
            &ManagementLevel::codes(),
            errors,
        )
    });
    let party_member = bool_cell("party_member", get("party_member"), errors);
    let groups = text(get("special_groups")).map(|g| groups_cell(&g, errors));
    let method = text(get("last_certification_method")).and_then(|s| {
        enum_cell(
            "last_certification_method",
            &s,
            CertificationMethod::parse,
            CertificationMethod::ALL,
            CertificationMethod::label_zh,
            &CertificationMethod::codes(),
            errors,
        )
    });
    let (Some(category), Some(management_level)) = (category, level) else { return None };
    Some(CreateRetireeRequest {
        name: get("name").to_owned(),
        id_number: get("id_number").trim().to_owned(),
        sex,
        birth_date: text(get("birth_date")),
        retirement_date: get("retirement_date").trim().to_owned(),
        category,
        management_level,
        community_code: get("community_code").trim().to_owned(),
        phone: text(get("phone")),
        address: text(get("address")),
        monthly_pension: text(get("monthly_pension")),
        party_member,
        special_groups: groups,
        notes: text(get("notes")),
        last_certified_on: text(get("last_certified_on")),
        last_certification_method: method,
    })
}

/// The columns of a file format, and how headers map to them.
pub struct Spec {
    /// Columns, in export order.
    pub columns: &'static [&'static str],
    /// Columns a file must have.
    pub required: &'static [&'static str],
    /// The column a header names.
    pub column_of: fn(&str) -> Option<&'static str>,
}

/// Retiree rosters.
pub const RETIREES: Spec = Spec { columns: &COLUMNS, required: &REQUIRED, column_of };

/// Columns of a dependants file: the retiree (by resident ID), then the dependant as in
/// `POST /retirees/{id}/dependents`.
pub const DEPENDENT_COLUMNS: [&str; 5] = ["retiree_id_number", "relation", "id_number", "name", "supported"];

const DEPENDENT_ALIASES: [(&str, &[&str]); 5] = [
    ("retiree_id_number", &["退休人员公民身份号码", "退休人员身份证号"]),
    ("relation", &["关系", "与退休人员关系"]),
    ("id_number", &["公民身份号码", "身份证号码", "身份证号"]),
    ("name", &["姓名"]),
    ("supported", &["是否供养", "供养"]),
];

fn dependent_column_of(header: &str) -> Option<&'static str> {
    let h = header.trim().trim_start_matches('\u{feff}');
    let lower = h.to_ascii_lowercase();
    DEPENDENT_COLUMNS
        .iter()
        .copied()
        .find(|c| *c == lower)
        .or_else(|| DEPENDENT_ALIASES.iter().find(|(_, names)| names.contains(&h)).map(|(c, _)| *c))
}

/// Dependants files.
pub const DEPENDENTS: Spec =
    Spec { columns: &DEPENDENT_COLUMNS, required: &DEPENDENT_COLUMNS, column_of: dependent_column_of };

/// A dependants row: (retiree's resident ID, the request a single create takes); cell errors in `errors`.
pub fn to_dependent(
    cells: &[(&'static str, String)],
    errors: &mut Vec<FieldError>,
) -> Option<(String, CreateDependentRequest)> {
    let get = |c: &str| cells.iter().find(|(k, _)| *k == c).map(|(_, v)| v.as_str()).unwrap_or_default();
    for column in DEPENDENT_COLUMNS {
        if get(column).trim().is_empty() {
            errors.push(FieldError::with(
                column,
                ErrorCode::Required,
                format!("缺少必填列 {column} 的值"),
                format!("{column} is required"),
            ));
        }
    }
    let relation = text(get("relation")).and_then(|s| {
        enum_cell(
            "relation",
            &s,
            domain::Relation::parse,
            domain::Relation::ALL,
            domain::Relation::label_zh,
            &domain::Relation::codes(),
            errors,
        )
    });
    let supported = bool_cell("supported", get("supported"), errors);
    let (Some(relation), Some(supported)) = (relation, supported) else { return None };
    Some((
        get("retiree_id_number").trim().to_owned(),
        CreateDependentRequest {
            relation,
            id_number: get("id_number").trim().to_owned(),
            name: get("name").to_owned(),
            supported,
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_in_english_or_chinese() {
        assert_eq!(column_of("ID_Number"), Some("id_number"));
        assert_eq!(column_of("\u{feff}姓名"), Some("name"));
        assert_eq!(column_of("身份证号"), Some("id_number"));
        assert_eq!(column_of("comunity_code"), None);
        assert!(is_report_column("error_codes"));
        for zh in REPORT_COLUMNS_ZH {
            assert!(is_report_column(zh), "{zh}");
        }
        assert!(!is_report_column("姓名"));
        assert_eq!(field_zh("id_number"), "公民身份号码");
        assert_eq!(field_zh("relation"), "关系");
        assert_eq!(field_zh("no_such_column"), "no_such_column");
    }

    #[test]
    fn cells_accept_codes_and_labels() {
        let cells = vec![
            ("name", "张三".to_owned()),
            ("id_number", "350203195501010017".to_owned()),
            ("sex", "男".to_owned()),
            ("retirement_date", "2015-01-01".to_owned()),
            ("category", "企业职工".to_owned()),
            ("management_level", "city_managed".to_owned()),
            ("community_code", "350203001001".to_owned()),
            ("party_member", "是".to_owned()),
            ("special_groups", "living_alone:2024-01-01;seriously_ill:2023-05-01:2024-04-30".to_owned()),
        ];
        let mut errors = Vec::new();
        let req = to_request(&cells, &mut errors).unwrap();
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(req.sex, Some(Sex::Male));
        assert_eq!(req.category, Category::EnterpriseEmployee);
        assert_eq!(req.party_member, Some(true));
        let groups = req.special_groups.unwrap();
        assert_eq!(groups.len(), 2);
        assert_eq!(groups[1].to.as_deref(), Some("2024-04-30"));
    }

    #[test]
    fn bad_cells_name_their_column() {
        let cells = vec![("category", "退休".to_owned()), ("party_member", "maybe".to_owned())];
        let mut errors = Vec::new();
        assert!(to_request(&cells, &mut errors).is_none());
        let got: Vec<(&str, &str)> = errors.iter().map(|e| (e.field.as_str(), e.code.as_str())).collect();
        assert!(got.contains(&("name", "required")));
        assert!(got.contains(&("category", "invalid_enum")));
        assert!(got.contains(&("party_member", "invalid_boolean")));
        assert!(got.contains(&("management_level", "required")));
    }

    #[test]
    fn groups_round_trip() {
        let flags = vec![
            GroupFlag {
                group_code: "living_alone".into(),
                from_date: time::macros::date!(2024 - 01 - 01),
                to_date: None,
            },
            GroupFlag {
                group_code: "seriously_ill".into(),
                from_date: time::macros::date!(2023 - 05 - 01),
                to_date: Some(time::macros::date!(2024 - 04 - 30)),
            },
        ];
        let text = format_groups(&flags);
        assert_eq!(text, "living_alone:2024-01-01;seriously_ill:2023-05-01:2024-04-30");
        let mut errors = Vec::new();
        let parsed = groups_cell(&text, &mut errors);
        assert_eq!(parsed.len(), 2);
        assert!(errors.is_empty());
    }
}
