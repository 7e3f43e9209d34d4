//! Funding at every level (issue 27): the funds a node budgets, allocations from a parent's budget to its
//! children, what a payment books against, and the yearly statement's arithmetic (XM Art. 20-22; JN Art. 14-16).

use time::Date;

crate::code_enum! {
    /// The funds a node keeps a budget of.
    FundKind {
        /// The service fund per retiree (XM Art. 21; CS Art. 10; JN Art. 15).
        Service = "service": "退休人员社会化管理服务经费",
        /// The city centre's special fund for festival condolences to hardship retirees and activities (XM Art. 22).
        Special = "special": "市退服中心专项经费",
        /// The centres' working funds: staff and running costs from the same-level budget (XM Art. 20; JN Art. 16).
        Working = "working": "工作经费（人员经费和公用经费）",
        /// The district's subsidy to streets and communities for district-owned enterprises' retirees (JN Art. 15).
        Subsidy = "subsidy": "区级财政对镇（街道）、社区的补助经费",
    }
}

crate::code_enum! {
    /// The status of a fund's year at a node.
    YearStatus {
        Open = "open": "未结算",
        Closed = "closed": "已结算",
        Reopened = "reopened": "已重新打开",
    }
}

/// A fund's year at one node, all in fen: what it was given and what it did with it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct YearFigures {
    /// The node's own budget (appropriation) of the fund.
    pub budget_fen: i64,
    /// Allocations received from the parent (XM Art. 22: the city allocates to the districts).
    pub allocated_in_fen: i64,
    /// Allocations made to children.
    pub allocated_out_fen: i64,
    /// Spending booked (reversals negative).
    pub spent_fen: i64,
}

impl YearFigures {
    /// What the node has to spend or pass on: its budget plus what it received (XM Art. 22: "各区财政按市退服中心分配的
    /// 慰问人数安排相应的慰问经费").
    pub fn available_fen(&self) -> i64 {
        self.budget_fen + self.allocated_in_fen
    }

    /// Available − allocated out − spent.
    pub fn balance_fen(&self) -> i64 {
        self.available_fen() - self.allocated_out_fen - self.spent_fen
    }
}

/// Why an allocation or a booking is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FundRefusal {
    /// The parent would allocate more than it has left (`available`, `left`, `asked`, fen).
    AllocationExceedsBalance { left_fen: i64, asked_fen: i64 },
    /// A payment would take the balance below zero: refused, never overspent (decision recorded in docs/care.md).
    PaymentExceedsBalance { left_fen: i64, asked_fen: i64 },
}

/// A parent may allocate at most its balance (XM Art. 22: the city allocates from its own special budget).
pub fn check_allocation(parent: &YearFigures, amount_fen: i64) -> Result<(), FundRefusal> {
    let left = parent.balance_fen();
    if amount_fen > left {
        return Err(FundRefusal::AllocationExceedsBalance { left_fen: left, asked_fen: amount_fen });
    }
    Ok(())
}

/// A payment booked against a fund may not take its balance below zero: the service refuses (409) rather than
/// allowing an overspend flagged (XM Art. 26: the fund is spent within its budget; the choice is the service's).
pub fn check_payment(figures: &YearFigures, amount_fen: i64) -> Result<(), FundRefusal> {
    let left = figures.balance_fen();
    if amount_fen > left {
        return Err(FundRefusal::PaymentExceedsBalance { left_fen: left, asked_fen: amount_fen });
    }
    Ok(())
}

/// The fund a condolence of `kind` is paid from, in order of preference: a hardship condolence from the city
/// centre's special fund (XM Art. 22: "预算专项经费用于春节、重阳节慰问困难退休人员"), then the service fund; every other
/// kind from the service fund (XM Art. 21(1)-(3)).
pub fn funds_for_condolence(kind: crate::policy::CondolenceKind) -> &'static [FundKind] {
    match kind {
        crate::policy::CondolenceKind::Hardship => &[FundKind::Special, FundKind::Service],
        _ => &[FundKind::Service],
    }
}

/// The spending categories a condolence of `kind` books under, most specific first: the first one the policy in
/// force allows is used (XM Art. 21(1)-(3) name festival, hospital and death condolences; CS Art. 10 para. 2 and
/// JN Art. 15 only "走访慰问").
pub fn categories_for_condolence(kind: crate::policy::CondolenceKind) -> &'static [crate::policy::FundUse] {
    use crate::policy::CondolenceKind as K;
    use crate::policy::FundUse as U;
    match kind {
        K::SpringFestival | K::DoubleNinth | K::OtherFestival | K::Hardship => {
            &[U::FestivalCondolence, U::VisitsCondolences]
        }
        K::Hospital => &[U::HospitalCondolence, U::VisitsCondolences],
        K::Death => &[U::DeathCondolence, U::VisitsCondolences],
    }
}

/// A node's year can close once it is over and every child has closed it; a closed year cannot close again
/// (like the month close, GUIDE 按月计报).
pub fn check_year_close(
    year: i32,
    today: Date,
    status: YearStatus,
    children: &[(String, YearStatus)],
) -> Result<(), YearCloseRefusal> {
    if today.year() <= year {
        return Err(YearCloseRefusal::NotOver);
    }
    if status == YearStatus::Closed {
        return Err(YearCloseRefusal::Closed);
    }
    let open: Vec<String> = children.iter().filter(|(_, s)| *s != YearStatus::Closed).map(|(c, _)| c.clone()).collect();
    if !open.is_empty() {
        return Err(YearCloseRefusal::ChildrenOpen(open));
    }
    Ok(())
}

/// Why a year cannot close.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum YearCloseRefusal {
    /// The year has not ended.
    NotOver,
    /// Closed already.
    Closed,
    /// These children have not closed it.
    ChildrenOpen(Vec<String>),
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::{CondolenceKind, FundUse};
    use time::macros::date;

    fn fig(budget: i64, inn: i64, out: i64, spent: i64) -> YearFigures {
        YearFigures { budget_fen: budget, allocated_in_fen: inn, allocated_out_fen: out, spent_fen: spent }
    }

    #[test]
    fn balance_counts_allocations_in_and_out_xm_art_22() {
        // XM Art. 22: the districts fund condolences with what the city allocated to them.
        let f = fig(10000, 5000, 3000, 2000);
        assert_eq!(f.available_fen(), 15000);
        assert_eq!(f.balance_fen(), 10000);
    }

    #[test]
    fn a_parent_cannot_allocate_more_than_it_has_xm_art_22() {
        let f = fig(10000, 0, 6000, 0);
        assert_eq!(check_allocation(&f, 4000), Ok(()));
        assert_eq!(
            check_allocation(&f, 4001),
            Err(FundRefusal::AllocationExceedsBalance { left_fen: 4000, asked_fen: 4001 })
        );
    }

    #[test]
    fn a_payment_beyond_the_balance_is_refused_xm_art_26() {
        let f = fig(50000, 0, 0, 30000);
        assert_eq!(check_payment(&f, 20000), Ok(()));
        assert!(check_payment(&f, 20001).is_err());
    }

    #[test]
    fn hardship_condolences_come_from_the_special_fund_first_xm_art_22() {
        assert_eq!(funds_for_condolence(CondolenceKind::Hardship), &[FundKind::Special, FundKind::Service]);
        // XM Art. 21(2): the hospital condolence is a use of the service fund.
        assert_eq!(funds_for_condolence(CondolenceKind::Hospital), &[FundKind::Service]);
        assert_eq!(categories_for_condolence(CondolenceKind::Death)[0], FundUse::DeathCondolence);
        // CS Art. 10 para. 2 knows only 走访慰问.
        assert!(categories_for_condolence(CondolenceKind::Hospital).contains(&FundUse::VisitsCondolences));
    }

    #[test]
    fn a_year_closes_after_it_ends_and_after_its_children_guide_monthly_reporting() {
        let kids = vec![("a".to_owned(), YearStatus::Closed), ("b".to_owned(), YearStatus::Open)];
        assert_eq!(
            check_year_close(2025, date!(2025 - 12 - 31), YearStatus::Open, &[]),
            Err(YearCloseRefusal::NotOver)
        );
        assert_eq!(
            check_year_close(2025, date!(2026 - 01 - 02), YearStatus::Open, &kids),
            Err(YearCloseRefusal::ChildrenOpen(vec!["b".to_owned()]))
        );
        assert_eq!(
            check_year_close(2025, date!(2026 - 01 - 02), YearStatus::Closed, &[]),
            Err(YearCloseRefusal::Closed)
        );
        assert_eq!(check_year_close(2025, date!(2026 - 01 - 02), YearStatus::Reopened, &kids[..1]), Ok(()));
    }
}
