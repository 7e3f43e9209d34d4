//! The high-age allowance section of the monthly report (issue 27; JN Art. 7(7) "协助做好高龄补贴发放"): per
//! community, the people paid for the month and the amount, those paid for the first time (paid this month, not
//! the month before), those stopped (paid the month before, not this month: the death flow's stop month, or an
//! application that no longer pays), and approved people whose community has no bands in force
//! (`policy_unset`: listed, not priced, so the gap shows in the report instead of a smaller total).
//!
//! Each person is judged by [`domain::high_age::payable`] with the policy in force at their community on the first
//! day of each month ([`PolicyBook`]), the same rule as the monthly list (`GET /high-age-allowance/months/{month}`),
//! so the report's amount equals the list's total.

use std::collections::BTreeMap;

use domain::Money;
use domain::high_age;
use domain::pension::month_of;
use domain::report::previous_month;
use persistence::DbConnection;
use persistence::high_age as repo;
use persistence::reports::Tally;
use time::Date;

use crate::error::AppError;
use crate::policy_book::PolicyBook;

/// The report's section name.
pub const SECTION: &str = "high_age";

/// The tallies of the allowance for `month` of the subtree at `scope_path`, one per community and key (`paid` with
/// its amount in fen, `new`, `stopped`, `policy_unset`).
pub fn tallies(conn: &mut DbConnection, scope_path: &str, month: Date) -> Result<Vec<Tally>, AppError> {
    let month = month_of(month);
    let before = previous_month(month);
    let book = PolicyBook::load(conn, month)?;
    let book_before = PolicyBook::load(conn, before)?;
    let mut counts: BTreeMap<(String, &'static str), (i64, i64)> = BTreeMap::new();
    let mut add = |path: &str, key: &'static str, fen: i64| -> Result<(), AppError> {
        let e = counts.entry((path.to_owned(), key)).or_insert((0, 0));
        e.0 += 1;
        e.1 = e.1.checked_add(fen).ok_or_else(|| AppError::internal("allowance total overflow"))?;
        Ok(())
    };
    for (row, stop) in repo::approved_for_month(conn, scope_path, month)? {
        let a = &row.application;
        // Judged with the bands in force at the person's community in `m`; `Err` when there are none and the
        // person is not stopped by then (a stopped person needs no bands to be paid nothing).
        let judge = |b: &PolicyBook, m: Date| -> Result<Option<Money>, ()> {
            if m < a.from_month || stop.is_some_and(|s| m >= s) {
                return Ok(None);
            }
            let bands = high_age::bands(&b.at(&row.path).high_age_allowance).map_err(|_| ())?;
            Ok(high_age::payable(row.birth_date, bands, m, a.from_month, stop).map(|(_, amount)| amount))
        };
        let Ok(now) = judge(&book, month) else {
            add(&row.path, "policy_unset", 0)?;
            continue;
        };
        let then = judge(&book_before, before).ok().flatten();
        match (then, now) {
            (_, Some(amount)) => {
                add(&row.path, "paid", amount.fen())?;
                if then.is_none() {
                    add(&row.path, "new", 0)?;
                }
            }
            (Some(_), None) => add(&row.path, "stopped", 0)?,
            (None, None) => {}
        }
    }
    Ok(counts
        .into_iter()
        .map(|((path, key), (n, fen))| Tally { path, section: SECTION.to_owned(), key: key.to_owned(), n, fen })
        .collect())
}
