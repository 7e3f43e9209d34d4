//! Handover of new retirees, transfers, reductions and the monthly movement report (GUIDE 交接制度; JN Art. 4, 21,
//! 22; XM Art. 10(2), 11(3), 13; CS Art. 12).

use time::Date;

use crate::pension::{add_months, month_of};

/// How the receiving community of a handed-over retiree was chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Routing {
    /// The community of long-term residence (JN Art. 21(1); XM Art. 13).
    Residence,
    /// Residence outside the jurisdiction: the community where the employer is registered (JN Art. 4, 21).
    Employer,
    /// Chosen by hand, with a reason.
    Override,
}

impl Routing {
    /// Code.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Residence => "residence",
            Self::Employer => "employer",
            Self::Override => "override",
        }
    }
}

/// The community proposed for a new retiree: the residence when it lies in the jurisdiction handed to
/// (`residence_in_scope`), else the employer's registered community (JN Art. 4: "长期居住地不在…行政区域内的，其社会化
/// 管理服务关系由其所在企业法人注册地…接收").
pub fn route(residence: Option<&str>, residence_in_scope: bool, employer_community: &str) -> (String, Routing) {
    match residence {
        Some(r) if residence_in_scope => (r.to_owned(), Routing::Residence),
        _ => (employer_community.to_owned(), Routing::Employer),
    }
}

pub use crate::handover::{ArchiveExemption, HandoverStep};
pub use crate::transfer::{TransferDocument, TransferError, TransferStatus, check_return, missing_documents};

/// The last day of the month of `date`: the due date of a new arrival's first visit (GUIDE 走访制度: "当月内").
pub fn month_end(date: Date) -> Date {
    add_months(month_of(date), 1).and_then(|d| d.previous_day()).unwrap_or(date)
}

crate::code_enum! {
    /// Why a person leaves the rolls.
    ReductionKind {
        /// Death: made by the death workflow's verification.
        Death = "death": "死亡",
        /// Moved out of the city (CS Art. 16(3)).
        MovedOut = "moved_out": "迁出本市",
        /// Another reason.
        Other = "other": "其他",
    }
}

/// One row of the monthly movement report.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Movement {
    /// On the rolls at the start of the month.
    pub opening: i64,
    /// Registered directly (single creates, imports).
    pub registered: i64,
    /// Received by handover.
    pub received: i64,
    /// Transferred in.
    pub transferred_in: i64,
    /// Transferred out.
    pub transferred_out: i64,
    /// Reduced.
    pub reduced: i64,
    /// Reductions reversed.
    pub reinstated: i64,
}

impl Movement {
    /// On the rolls at the end of the month: the opening count plus what came, less what went.
    pub fn closing(&self) -> i64 {
        self.opening + self.registered + self.received + self.transferred_in + self.reinstated
            - self.transferred_out
            - self.reduced
    }

    /// The change a movement of `kind` makes to a roll: +1, -1, or `None` for an unknown kind.
    pub fn delta(kind: &str) -> Option<i64> {
        match kind {
            "registered" | "received" | "transferred_in" | "reinstated" => Some(1),
            "transferred_out" | "reduced" => Some(-1),
            _ => None,
        }
    }

    /// Counts `n` movements of `kind` in the month.
    pub fn count(&mut self, kind: &str, n: i64) {
        match kind {
            "registered" => self.registered += n,
            "received" => self.received += n,
            "transferred_in" => self.transferred_in += n,
            "transferred_out" => self.transferred_out += n,
            "reduced" => self.reduced += n,
            "reinstated" => self.reinstated += n,
            _ => {}
        }
    }

    /// The sum of two rows (a parent is the sum of its children).
    pub fn plus(self, o: Movement) -> Movement {
        Movement {
            opening: self.opening + o.opening,
            registered: self.registered + o.registered,
            received: self.received + o.received,
            transferred_in: self.transferred_in + o.transferred_in,
            transferred_out: self.transferred_out + o.transferred_out,
            reduced: self.reduced + o.reduced,
            reinstated: self.reinstated + o.reinstated,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn routing_follows_residence_then_employer() {
        // JN Art. 21(1): to the community of residence; JN Art. 4: residence outside → the employer's community.
        assert_eq!(route(Some("350203001001"), true, "350206001001"), ("350203001001".into(), Routing::Residence));
        assert_eq!(route(Some("350503001001"), false, "350206001001"), ("350206001001".into(), Routing::Employer));
        assert_eq!(route(None, false, "350206001001").1, Routing::Employer);
    }

    #[test]
    fn first_visit_within_the_month_of_arrival() {
        // GUIDE 走访制度: new retirees are visited within the month of arrival.
        assert_eq!(month_end(date!(2026 - 05 - 12)), date!(2026 - 05 - 31));
        assert_eq!(month_end(date!(2028 - 02 - 01)), date!(2028 - 02 - 29));
    }

    #[test]
    fn the_report_balances() {
        // GUIDE 交接制度 "按月计报": closing = opening + in − out.
        let mut m = Movement { opening: 100, ..Default::default() };
        for k in ["received", "received", "transferred_in", "transferred_out", "reduced", "registered"] {
            m.count(k, 1);
        }
        assert_eq!(m.closing(), 102);
        assert_eq!(Movement::delta("reduced"), Some(-1));
        assert_eq!(m.plus(m).closing(), 204);
    }
}
