//! Handover of new retirees, transfers, reductions and the monthly movement report (GUIDE 交接制度; JN Art. 4, 21,
//! 22; XM Art. 10(2), 11(3), 13; CS Art. 12).

use time::Date;

use crate::RuleViolation;
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

crate::code_enum! {
    /// A step of a handed-over retiree (GUIDE 交接制度; JN Art. 21).
    HandoverStep {
        /// Personal information collected by the employer (JN Art. 21(1): one month before retirement).
        InfoCollected = "info_collected": "信息采集",
        /// Personnel archive received (volumes, completeness), or exempted (JN Art. 21(4)).
        ArchiveReceived = "archive_received": "人事档案移交",
        /// Party relationship transferred (party members only).
        PartyTransferred = "party_transferred": "组织关系转接",
        /// Management agreement signed (GUIDE: 《退休人员社会化管理服务协议书》).
        AgreementSigned = "agreement_signed": "签订管理服务协议",
        /// Reported to the community, or received at home (JN Art. 21(1)).
        Reported = "reported": "到社区报到",
        /// First visit made within the month of arrival (GUIDE 走访制度).
        FirstVisit = "first_visit": "首次走访",
    }
}

crate::code_enum! {
    /// Why a personnel archive is not handed over (JN Art. 21(4)).
    ArchiveExemption {
        /// A leader whose archive a party committee manages.
        PartyCommitteeManaged = "party_committee_managed": "党委管理的领导干部",
        /// Died before the handover.
        DiedBeforeHandover = "died_before_handover": "移交前死亡",
    }
}

crate::code_enum! {
    /// A document of a transfer application (JN Art. 22: the receiver checks the application is complete).
    TransferDocument {
        /// The application form.
        ApplicationForm = "application_form": "转移申请表",
        /// Proof of the new residence (居住证明 or 户口).
        ResidenceProof = "residence_proof": "现居住地证明",
        /// Copy of the resident ID card.
        IdCopy = "id_copy": "身份证复印件",
    }
}

/// The documents an application still lacks.
pub fn missing_documents(given: &[TransferDocument]) -> Vec<TransferDocument> {
    TransferDocument::ALL.iter().copied().filter(|d| !given.contains(d)).collect()
}

crate::code_enum! {
    /// Where a transfer stands.
    TransferStatus {
        /// Applied at the receiving community.
        Applied = "applied": "已申请",
        /// Returned to the applicant for missing information.
        Returned = "returned": "退回补正",
        /// Released by the sending community.
        Released = "released": "转出地已确认",
        /// Completed: the person belongs to the receiving community (or left the city).
        Completed = "completed": "已完成",
    }
}

/// Why a transfer action is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransferError {
    /// The receiver tried to return a complete application: a refusal in disguise (JN Art. 22: "一律接收，不得推诿").
    CannotBeRefused,
    /// The action does not fit the status.
    WrongStatus,
    /// The application lacks documents.
    Incomplete,
}

impl RuleViolation for TransferError {
    fn code(&self) -> &'static str {
        match self {
            Self::CannotBeRefused => "transfer_cannot_be_refused",
            Self::WrongStatus => "transfer_wrong_status",
            Self::Incomplete => "transfer_incomplete",
        }
    }

    fn message_zh(&self) -> String {
        match self {
            Self::CannotBeRefused => "申请材料齐全，转入地应一律接收，不得推诿（只能因材料缺失退回补正）".into(),
            Self::WrongStatus => "该迁移申请当前状态不能办理此操作".into(),
            Self::Incomplete => "申请材料不齐，须补正后办理".into(),
        }
    }

    fn message_en(&self) -> String {
        match self {
            Self::CannotBeRefused => {
                "a complete application must be accepted (JN Art. 22); it may only be returned for missing information"
                    .into()
            }
            Self::WrongStatus => "the transfer's status does not allow this action".into(),
            Self::Incomplete => "the application lacks documents".into(),
        }
    }
}

/// The receiver returns an application naming `missing`: allowed only for documents the application really lacks
/// (JN Art. 22). Returning a complete application, or naming a document it has, is a refusal: 409.
pub fn check_return(given: &[TransferDocument], missing: &[TransferDocument]) -> Result<(), TransferError> {
    let lacking = missing_documents(given);
    if lacking.is_empty() || missing.is_empty() || missing.iter().any(|m| !lacking.contains(m)) {
        return Err(TransferError::CannotBeRefused);
    }
    Ok(())
}

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
    fn a_complete_application_cannot_be_refused() {
        // JN Art. 22: "一律接收，不得推诿".
        use TransferDocument as D;
        let all = [D::ApplicationForm, D::ResidenceProof, D::IdCopy];
        assert_eq!(check_return(&all, &[D::IdCopy]), Err(TransferError::CannotBeRefused));
        assert_eq!(check_return(&[D::ApplicationForm], &[D::ApplicationForm]), Err(TransferError::CannotBeRefused));
        assert_eq!(check_return(&[D::ApplicationForm], &[D::IdCopy]), Ok(()));
        assert_eq!(missing_documents(&[D::ApplicationForm]), vec![D::ResidenceProof, D::IdCopy]);
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
