//! Party members' organisation relations 党员组织关系 (issue 25; CS Art. 12(3), 24; JN Art. 7(10), 21(2), 22, 29;
//! GUIDE 交接制度). A retired party member's relation sits in a branch 党支部 of a street (乡镇/街道) or community
//! (社区/村) party organisation (CS Art. 12(3): "再按程序转往其所在街道（乡镇）或社区党组织"; JN Art. 21(2)); it
//! moves with the person (JN Art. 22: "同时办理好…党组织关系…的转移和接收"): transferred out to another branch in
//! the service it is pending until the receiving branch accepts it, transferred to an organisation outside it is
//! closed with the destination. Branches lead the organisation life 组织生活 of retired members (CS Art. 24; JN
//! Art. 29: "坚持党的组织生活制度…加强政治理论学习").
//!
//! The texts say the relation is established "及时" (GUIDE 交接制度: "及时为退休人员中党员建立组织关系") and give no
//! number of days: the policy value `party.relation_days` is `not stated` and unset in every preset, and the
//! worklist of late relations refuses to run (409 `party_policy_unset`) until a city sets it.

use time::Date;

use crate::{Level, RuleViolation};

crate::code_enum! {
    /// Where a party member's organisation relation stands.
    RelationStatus {
        /// In a branch of the service (CS Art. 12(3)).
        InBranch = "in_branch": "在本支部",
        /// Transferred out to another branch of the service, not yet accepted there (JN Art. 22).
        Transferring = "transferring": "转接中",
        /// Transferred to an organisation outside the service: closed with the destination.
        Left = "left": "已转出",
    }
}

crate::code_enum! {
    /// A kind of organisation life (CS Art. 24; JN Art. 29: 组织生活制度, 政治理论学习).
    MeetingKind {
        BranchMeeting = "branch_meeting": "支部党员大会",
        CommitteeMeeting = "committee_meeting": "支部委员会",
        PartyLesson = "party_lesson": "党课",
        ThemeDay = "theme_day": "主题党日",
        StudySession = "study_session": "学习",
    }
}

/// A step of a relation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RelationAction {
    /// Transferred out to another branch of the service (pending until it accepts).
    TransferToBranch,
    /// Transferred to an organisation outside the service (closed).
    TransferOut,
    /// The receiving branch accepts a relation transferred to it.
    Accept,
    /// A pending transfer is withdrawn by the sending side or returned by the receiving one (a wrong branch, a move
    /// that did not happen): the relation stays in its branch.
    Withdraw,
}

impl RelationAction {
    /// Stable code, for the history.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::TransferToBranch => "transfer_to_branch",
            Self::TransferOut => "transfer_out",
            Self::Accept => "accept",
            Self::Withdraw => "withdraw",
        }
    }
}

/// Why a party rule refuses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PartyError {
    /// A branch belongs to a street or a community party organisation (422).
    BranchLevel(Level),
    /// The step does not fit the relation's status (409).
    WrongStatus(RelationStatus, RelationAction),
    /// A relation cannot be transferred to the branch it sits in (422).
    SameBranch,
    /// A date before the relation's last step (422).
    DateOrder(Date),
    /// A branch is closed only when no relation sits in it or is on its way to it (409).
    BranchNotEmpty(u64),
    /// The branch is closed already (409).
    BranchClosed(Date),
}

impl RuleViolation for PartyError {
    fn code(&self) -> &'static str {
        match self {
            Self::BranchLevel(_) => "party_branch_level",
            Self::WrongStatus(..) => "party_relation_wrong_status",
            Self::SameBranch => "party_same_branch",
            Self::DateOrder(_) => "party_date_order",
            Self::BranchNotEmpty(_) => "party_branch_not_empty",
            Self::BranchClosed(_) => "party_branch_closed",
        }
    }

    fn message_zh(&self) -> String {
        match self {
            Self::BranchLevel(l) => format!("党支部应设在街道（乡镇）或社区（村），不能设在{}", l.label_zh()),
            Self::WrongStatus(s, a) => format!("组织关系当前{}，不能办理{}", s.label_zh(), action_zh(*a)),
            Self::SameBranch => "不能转入所在的同一党支部".into(),
            Self::DateOrder(d) => format!("日期不能早于上一步的日期 {d}"),
            Self::BranchNotEmpty(n) => format!("该党支部尚有{n}名党员的组织关系在册或转接中，须先转出或撤回"),
            Self::BranchClosed(d) => format!("该党支部已于{d}撤销"),
        }
    }

    fn message_en(&self) -> String {
        match self {
            Self::BranchLevel(l) => format!("a branch belongs to a street or a community, not a {l}"),
            Self::WrongStatus(s, a) => format!("a relation that is {s} cannot take {}", a.as_str()),
            Self::SameBranch => "the relation sits in this branch already".into(),
            Self::DateOrder(d) => format!("the date cannot be before the last step's date {d}"),
            Self::BranchNotEmpty(n) => {
                format!("{n} relations sit in the branch or are on their way to it: transfer or withdraw them first")
            }
            Self::BranchClosed(d) => format!("the branch was closed on {d}"),
        }
    }
}

fn action_zh(a: RelationAction) -> &'static str {
    match a {
        RelationAction::TransferToBranch => "转往本系统其他党支部",
        RelationAction::TransferOut => "转出本系统",
        RelationAction::Accept => "接收",
        RelationAction::Withdraw => "撤回转接",
    }
}

/// Whether a branch may be set up at a node of `level`: street or community party organisations (CS Art. 12(3),
/// 24; JN Art. 21(2), 29). The district party committee's organisation department routes relations (CS Art.
/// 12(3)) but is no branch.
pub fn check_branch_level(level: Level) -> Result<(), PartyError> {
    match level {
        Level::Street | Level::Community => Ok(()),
        other => Err(PartyError::BranchLevel(other)),
    }
}

/// The status after `action` on a relation in `status` (JN Art. 22): a relation in a branch is transferred to
/// another branch of the service (pending until that branch accepts) or out of the service (closed); only a
/// pending one is accepted, or withdrawn (returned) and stays in its branch.
pub fn apply(status: RelationStatus, action: RelationAction) -> Result<RelationStatus, PartyError> {
    use RelationAction as A;
    use RelationStatus as S;
    match (status, action) {
        (S::InBranch, A::TransferToBranch) => Ok(S::Transferring),
        (S::InBranch, A::TransferOut) => Ok(S::Left),
        (S::Transferring, A::Accept) => Ok(S::InBranch),
        (S::Transferring, A::Withdraw) => Ok(S::InBranch),
        (s, a) => Err(PartyError::WrongStatus(s, a)),
    }
}

/// Whether a branch founded on `founded_on` (closed on `closed_on`, if it is) with `relations` relations in it or on
/// their way to it may be closed on `on` (CS Art. 24: the branch leads its members' organisation life, so it is not
/// dissolved under them): open, empty, and not before its founding.
pub fn check_close(closed_on: Option<Date>, founded_on: Date, relations: u64, on: Date) -> Result<(), PartyError> {
    if let Some(d) = closed_on {
        return Err(PartyError::BranchClosed(d));
    }
    if relations > 0 {
        return Err(PartyError::BranchNotEmpty(relations));
    }
    check_step_date(founded_on, on)
}

/// A step on `on` after the relation's last step on `last`: not before it.
pub fn check_step_date(last: Date, on: Date) -> Result<(), PartyError> {
    if on < last { Err(PartyError::DateOrder(last)) } else { Ok(()) }
}

/// Whether a party member accepted on `accepted_on` (handover) and still without a relation in a branch is late
/// on `today`, the policy allowing `days` (GUIDE 交接制度 "及时"; the number is local policy): late once more than
/// `days` days have passed.
pub fn relation_late(accepted_on: Date, days: u32, today: Date) -> bool {
    (today - accepted_on).whole_days() > i64::from(days)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn branches_sit_at_street_or_community_cs_art_12_3_jn_art_29() {
        // CS Art. 12(3): "再按程序转往其所在街道（乡镇）或社区党组织"; JN Art. 29: "乡镇（街道）或者社区（村委会）党组织".
        assert_eq!(check_branch_level(Level::Street), Ok(()));
        assert_eq!(check_branch_level(Level::Community), Ok(()));
        assert_eq!(check_branch_level(Level::District), Err(PartyError::BranchLevel(Level::District)));
        assert_eq!(check_branch_level(Level::City), Err(PartyError::BranchLevel(Level::City)));
    }

    #[test]
    fn a_relation_moves_with_the_person_jn_art_22() {
        // JN Art. 22: the receiving and the sending side register the transfer and the receipt of the relation.
        use RelationAction as A;
        use RelationStatus as S;
        assert_eq!(apply(S::InBranch, A::TransferToBranch), Ok(S::Transferring));
        assert_eq!(apply(S::Transferring, A::Accept), Ok(S::InBranch));
        assert_eq!(apply(S::InBranch, A::TransferOut), Ok(S::Left));
        // A transfer not yet received can be withdrawn (returned): the relation stays in the sending branch.
        assert_eq!(apply(S::Transferring, A::Withdraw), Ok(S::InBranch));
        assert_eq!(apply(S::InBranch, A::Withdraw), Err(PartyError::WrongStatus(S::InBranch, A::Withdraw)));
        assert_eq!(apply(S::Left, A::Withdraw), Err(PartyError::WrongStatus(S::Left, A::Withdraw)));
        assert_eq!(apply(S::InBranch, A::Accept), Err(PartyError::WrongStatus(S::InBranch, A::Accept)));
        assert_eq!(
            apply(S::Transferring, A::TransferOut),
            Err(PartyError::WrongStatus(S::Transferring, A::TransferOut))
        );
        assert_eq!(apply(S::Left, A::TransferToBranch), Err(PartyError::WrongStatus(S::Left, A::TransferToBranch)));
        assert_eq!(apply(S::Left, A::Accept), Err(PartyError::WrongStatus(S::Left, A::Accept)));
    }

    #[test]
    fn steps_keep_their_order_and_late_relations_follow_the_policy_days_guide() {
        // GUIDE 交接制度: "及时为退休人员中党员建立组织关系" — the days are the local policy's.
        assert_eq!(check_step_date(date!(2026 - 11 - 01), date!(2026 - 11 - 01)), Ok(()));
        assert_eq!(
            check_step_date(date!(2026 - 11 - 02), date!(2026 - 11 - 01)),
            Err(PartyError::DateOrder(date!(2026 - 11 - 02)))
        );
        assert!(!relation_late(date!(2026 - 11 - 06), 30, date!(2026 - 12 - 06)));
        assert!(relation_late(date!(2026 - 11 - 05), 30, date!(2026 - 12 - 06)));
    }

    #[test]
    fn a_branch_closes_only_when_empty_cs_art_24() {
        // CS Art. 24: the branch leads its retired members' organisation life; it is not closed under them.
        let founded = date!(2020 - 07 - 01);
        assert_eq!(check_close(None, founded, 0, date!(2026 - 12 - 01)), Ok(()));
        assert_eq!(check_close(None, founded, 0, founded), Ok(()));
        assert_eq!(check_close(None, founded, 1, date!(2026 - 12 - 01)), Err(PartyError::BranchNotEmpty(1)));
        assert_eq!(check_close(None, founded, 0, date!(2020 - 06 - 30)), Err(PartyError::DateOrder(founded)));
        let closed = date!(2026 - 11 - 01);
        assert_eq!(check_close(Some(closed), founded, 0, date!(2026 - 12 - 01)), Err(PartyError::BranchClosed(closed)));
    }

    #[test]
    fn every_refusal_has_a_catalogued_code() {
        for e in [
            PartyError::BranchLevel(Level::City),
            PartyError::WrongStatus(RelationStatus::Left, RelationAction::Accept),
            PartyError::SameBranch,
            PartyError::DateOrder(date!(2026 - 01 - 01)),
            PartyError::BranchNotEmpty(2),
            PartyError::BranchClosed(date!(2026 - 01 - 01)),
        ] {
            assert!(crate::ErrorCode::parse(e.code()).is_some(), "{}", e.code());
            assert!(!e.message_zh().is_empty() && !e.message_en().is_empty());
        }
    }
}
