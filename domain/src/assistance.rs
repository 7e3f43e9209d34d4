//! Assistance referral 低保/特困转介 (JN Art. 7(8): "协助做好…最低生活保障、特困人员救助供养等社会救助工作"; GUIDE
//! 走访制度: hardship found on a visit is taken up): a person in hardship is referred to civil affairs for the minimum
//! living allowance (低保) or extreme-poverty support (特困), and the referral follows civil affairs' answer:
//! referred → accepted → granted from a date, or refused (from referred or accepted). The texts give no deadline
//! for civil affairs' answer, so no policy value: the worklist is every referral still open.

use crate::RuleViolation;

crate::code_enum! {
    /// What the person is referred for.
    AssistanceKind {
        MinimumLiving = "minimum_living": "最低生活保障（低保）",
        ExtremePoverty = "extreme_poverty": "特困人员救助供养",
    }
}

crate::code_enum! {
    /// Where a referral stands.
    ReferralStatus {
        Referred = "referred": "已转介民政部门",
        Accepted = "accepted": "民政部门已受理",
        Refused = "refused": "不予救助",
        Granted = "granted": "已获救助",
    }
}

crate::code_enum! {
    /// Civil affairs' answer, as recorded.
    ReferralAction {
        Accept = "accept": "受理",
        Refuse = "refuse": "不予救助",
        Grant = "grant": "批准救助",
    }
}

impl ReferralStatus {
    /// Whether civil affairs has still to answer (the worklist).
    pub fn is_open(self) -> bool {
        matches!(self, Self::Referred | Self::Accepted)
    }
}

/// Why a referral step is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AssistanceError {
    /// The action does not fit the status (409).
    WrongStatus(ReferralStatus, ReferralAction),
}

impl RuleViolation for AssistanceError {
    fn code(&self) -> &'static str {
        "referral_wrong_status"
    }

    fn message_zh(&self) -> String {
        let Self::WrongStatus(s, a) = self;
        format!("该转介当前{}，不能登记{}", s.label_zh(), a.label_zh())
    }

    fn message_en(&self) -> String {
        let Self::WrongStatus(s, a) = self;
        format!("a referral that is {s} cannot be answered with {a}")
    }
}

/// The status after `action` (JN Art. 7(8)): civil affairs accepts a referral, then grants support from a date; it
/// may refuse before or after accepting. A refused or granted referral is closed.
pub fn apply(status: ReferralStatus, action: ReferralAction) -> Result<ReferralStatus, AssistanceError> {
    use ReferralAction as A;
    use ReferralStatus as S;
    match (status, action) {
        (S::Referred, A::Accept) => Ok(S::Accepted),
        (S::Referred | S::Accepted, A::Refuse) => Ok(S::Refused),
        (S::Accepted, A::Grant) => Ok(S::Granted),
        (s, a) => Err(AssistanceError::WrongStatus(s, a)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn referral_follows_civil_affairs_answer_jn_art_7_8() {
        // JN Art. 7(8): the community helps with 低保 and 特困; civil affairs decides.
        use ReferralAction as A;
        use ReferralStatus as S;
        assert_eq!(apply(S::Referred, A::Accept), Ok(S::Accepted));
        assert_eq!(apply(S::Accepted, A::Grant), Ok(S::Granted));
        assert_eq!(apply(S::Referred, A::Refuse), Ok(S::Refused));
        assert_eq!(apply(S::Accepted, A::Refuse), Ok(S::Refused));
        assert_eq!(apply(S::Referred, A::Grant), Err(AssistanceError::WrongStatus(S::Referred, A::Grant)));
        assert_eq!(apply(S::Granted, A::Refuse), Err(AssistanceError::WrongStatus(S::Granted, A::Refuse)));
        assert_eq!(apply(S::Refused, A::Accept), Err(AssistanceError::WrongStatus(S::Refused, A::Accept)));
        assert!(S::Referred.is_open() && S::Accepted.is_open() && !S::Granted.is_open() && !S::Refused.is_open());
    }
}
