//! Exports for people (issue 22): Chinese column headers and Chinese labels for enumeration values, `是`/`否` for
//! booleans; or, for machines, the API's codes. Both re-import: the roster import reads either
//! ([`crate::retirees::file::column_of`], `enum_cell`).

use domain::pension::CertificationMethod;
use domain::{Category, ManagementLevel, Sex, SpecialGroup};

use crate::retirees::file::{COLUMNS, header_zh};

/// What the header and the enumeration cells say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Labels {
    /// Chinese headers and labels (`人员类别` / `企业职工`, `是`/`否`).
    Zh,
    /// The API's codes (`category` / `enterprise_employee`, `true`/`false`).
    Codes,
}

impl Labels {
    /// `zh` or `codes`, in any case.
    pub fn parse(value: &str) -> Option<Self> {
        match value.trim().to_ascii_lowercase().as_str() {
            "zh" => Some(Labels::Zh),
            "codes" => Some(Labels::Codes),
            _ => None,
        }
    }

    /// The code.
    pub fn as_str(self) -> &'static str {
        match self {
            Labels::Zh => "zh",
            Labels::Codes => "codes",
        }
    }

    /// The header row.
    pub fn header(self) -> [&'static str; 16] {
        match self {
            Labels::Codes => COLUMNS,
            Labels::Zh => COLUMNS.map(header_zh),
        }
    }
}

fn relabel(cell: &mut String, label: impl Fn(&str) -> Option<&'static str>) {
    if let Some(l) = label(cell.as_str()) {
        *cell = l.to_owned();
    }
}

/// Rewrites a row of codes ([`crate::retirees::file::row_values`]) with Chinese labels: sex, category,
/// management level, certification method, special groups (`独居:2024-01-01`) and party membership (`是`/`否`).
pub fn label_row(row: &mut [String; 16]) {
    for (i, cell) in row.iter_mut().enumerate() {
        match COLUMNS[i] {
            "sex" => relabel(cell, |c| Sex::parse(c).map(Sex::label_zh)),
            "category" => relabel(cell, |c| Category::parse(c).map(Category::label_zh)),
            "management_level" => relabel(cell, |c| ManagementLevel::parse(c).map(ManagementLevel::label_zh)),
            "last_certification_method" => {
                relabel(cell, |c| CertificationMethod::parse(c).map(CertificationMethod::label_zh))
            }
            "party_member" => relabel(cell, |c| match c {
                "true" => Some("是"),
                "false" => Some("否"),
                _ => None,
            }),
            "special_groups" if !cell.is_empty() => {
                *cell = cell
                    .split(';')
                    .map(|part| match part.split_once(':') {
                        Some((g, rest)) => match SpecialGroup::parse(g) {
                            Some(g) => format!("{}:{rest}", g.label_zh()),
                            None => part.to_owned(),
                        },
                        None => part.to_owned(),
                    })
                    .collect::<Vec<_>>()
                    .join(";");
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::retirees::file::column_of;

    fn col(name: &str) -> usize {
        COLUMNS.iter().position(|c| *c == name).unwrap()
    }

    #[test]
    fn chinese_headers_read_back_as_their_columns() {
        let header = Labels::Zh.header();
        assert_eq!(header[0], "姓名");
        assert_eq!(header[5], "人员类别");
        for (name, column) in header.iter().zip(COLUMNS) {
            assert_eq!(column_of(name), Some(column), "{name}");
        }
        assert_eq!(Labels::Codes.header(), COLUMNS);
    }

    #[test]
    fn codes_become_labels() {
        let mut row: [String; 16] = Default::default();
        row[col("sex")] = "male".into();
        row[col("category")] = "enterprise_employee".into();
        row[col("management_level")] = "city_managed".into();
        row[col("party_member")] = "false".into();
        row[col("special_groups")] = "living_alone:2024-01-01;seriously_ill:2023-05-01:2024-04-30".into();
        row[col("name")] = "male".into();
        label_row(&mut row);
        assert_eq!(row[col("sex")], "男");
        assert_eq!(row[col("category")], "企业职工");
        assert_eq!(row[col("management_level")], "市本级管理");
        assert_eq!(row[col("party_member")], "否");
        assert_eq!(row[col("special_groups")], "独居:2024-01-01;重病:2023-05-01:2024-04-30");
        // Only the enumeration columns change.
        assert_eq!(row[col("name")], "male");
    }
}
