//! The yearly fund statement as a file a clerk files (`/exports/fund-statement`, issue 27): XLSX (or CSV) with a
//! summary sheet, the allocations made per child with the reconciliation, and spending by category; Chinese
//! headers, the node, fund and year in each title, totals rows.

use crate::error::AppError;
use crate::exports::table::{Column, File, Table, label, render};
use crate::exports::{Encoding, Format, Labels};

use super::levels::YearStatement;

const SUMMARY: [Column; 7] = [
    Column::text("jurisdiction", "辖区代码"),
    Column::text("fund", "经费类别"),
    Column::money("budget", "本级预算"),
    Column::money("allocated_in", "上级下拨"),
    Column::money("allocated_out", "下拨下级"),
    Column::money("spent", "支出"),
    Column::money("balance", "结余"),
];

const CHILDREN: [Column; 4] = [
    Column::text("child", "下级辖区代码"),
    Column::money("allocated_out", "本级下拨"),
    Column::money("allocated_in", "下级收到"),
    Column::text("agrees", "是否一致"),
];

const SPENDING: [Column; 3] =
    [Column::text("category", "支出类别"), Column::number("count", "笔数"), Column::money("amount", "金额")];

/// The file of one statement in `format`, `encoding` and `labels`.
pub fn statement_file(s: &YearStatement, format: Format, encoding: Encoding, labels: Labels) -> Result<File, AppError> {
    let fund = label(s.fund.as_str(), s.fund.label_zh(), labels);
    let title = |what: &str| format!("{}年度经费{what}（{} {}）", s.year, s.jurisdiction, s.fund.label_zh());
    let summary = vec![vec![
        s.jurisdiction.clone(),
        fund,
        s.budget.clone(),
        s.allocated_in.clone(),
        s.allocated_out.clone(),
        s.spent.clone(),
        s.balance.clone(),
    ]];
    let total = label("total", "合计", labels);
    let children: Vec<Vec<String>> = s
        .children
        .iter()
        .map(|c| {
            vec![
                c.child.clone(),
                c.allocated_out.clone(),
                c.allocated_in.clone(),
                crate::exports::table::yes_no(c.agrees, labels),
            ]
        })
        .collect();
    let spending: Vec<Vec<String>> = s
        .by_category
        .iter()
        .map(|l| vec![label(l.category.as_str(), l.category.label_zh(), labels), l.count.to_string(), l.amount.clone()])
        .collect();
    let spent_count: i64 = s.by_category.iter().map(|l| l.count).sum();
    let tables = [
        Table::new("经费决算", SUMMARY.to_vec(), summary).with_title(title("决算")),
        Table::new("下拨下级", CHILDREN.to_vec(), children).with_title(title("下拨核对")).with_totals(vec![
            total.clone(),
            s.allocated_out.clone(),
            String::new(),
            String::new(),
        ]),
        Table::new("支出分类", SPENDING.to_vec(), spending).with_title(title("支出")).with_totals(vec![
            total,
            spent_count.to_string(),
            s.spent.clone(),
        ]),
    ];
    render(
        &tables,
        format,
        encoding,
        labels,
        &format!("fund-statement-{}-{}-{}", s.jurisdiction, s.fund.as_str(), s.year),
    )
}
