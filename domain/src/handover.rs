//! Handover of new retirees from their employer (移交; GUIDE 交接制度; JN Art. 21; XM Art. 13): the steps of a
//! handed-over person, where an item of a batch stands, and which actions it allows.

use crate::RuleViolation;

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
    /// Where a handed-over person stands.
    HandoverItemStatus {
        /// Handed over, not yet accepted or returned.
        Pending = "pending": "待接收",
        /// Accepted: registered in the receiving community (JN Art. 21(1)).
        Accepted = "accepted": "已接收",
        /// Returned to the employer with a reason.
        Returned = "returned": "已退回",
    }
}

/// An action on a handed-over person.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HandoverAction {
    /// Records a step; `party_member` says whether the person has a party relationship to transfer.
    Step {
        /// The step.
        step: HandoverStep,
        /// The person is a party member.
        party_member: bool,
    },
    /// Accepts the person into the receiving community; says which of the steps an acceptance needs are recorded
    /// (JN Art. 21(4); GUIDE 交接制度).
    Accept {
        /// `archive_received` is recorded: the archive was received, or an exemption was recorded instead.
        archive: bool,
        /// `agreement_signed` is recorded: the management agreement was signed.
        agreement: bool,
    },
    /// Returns the person to the employer.
    Return,
}

/// Why an action on a handed-over person is refused (409).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HandoverError {
    /// The party relationship of someone who is not a party member (JN Art. 21(2)).
    NotAPartyMember,
    /// A step of a person returned to the employer.
    ItemReturned,
    /// Accepting or returning a person accepted or returned already.
    ItemSettled,
    /// Accepting a person before a step the acceptance needs (JN Art. 21(4); GUIDE 交接制度).
    StepMissing(HandoverStep),
}

impl RuleViolation for HandoverError {
    fn code(&self) -> &'static str {
        match self {
            Self::NotAPartyMember => "not_a_party_member",
            Self::ItemReturned => "item_returned",
            Self::ItemSettled => "item_settled",
            Self::StepMissing(_) => "handover_step_missing",
        }
    }

    fn message_zh(&self) -> String {
        match self {
            Self::NotAPartyMember => "该人员不是党员，无组织关系可转接".into(),
            Self::ItemReturned => "该人员已退回".into(),
            Self::ItemSettled => "该人员已接收或退回".into(),
            Self::StepMissing(step) => format!("接收前须完成“{}”（{}）", step.label_zh(), step.as_str()),
        }
    }

    fn message_en(&self) -> String {
        match self {
            Self::NotAPartyMember => "the person is not a party member".into(),
            Self::ItemReturned => "the item was returned".into(),
            Self::ItemSettled => "the item is settled already".into(),
            Self::StepMissing(step) => format!("the step {} must be recorded before the acceptance", step.as_str()),
        }
    }
}

/// The status of a handed-over person after `action` (GUIDE 交接制度; JN Art. 21). Steps are recorded while the
/// person is pending or accepted (the archive, the party relationship, the report and the first visit often come
/// after the acceptance), never once returned; a party relationship only for party members. A person is accepted
/// or returned once. Accepting needs the archive step (the archive received, or an exemption recorded: JN Art.
/// 21(4)) and then the signed management agreement (GUIDE 交接制度: 《退休人员社会化管理服务协议书》); the first missing
/// one is named.
pub fn apply(status: HandoverItemStatus, action: HandoverAction) -> Result<HandoverItemStatus, HandoverError> {
    use HandoverItemStatus as S;
    match action {
        HandoverAction::Step { step, party_member } => {
            if step == HandoverStep::PartyTransferred && !party_member {
                return Err(HandoverError::NotAPartyMember);
            }
            if status == S::Returned {
                return Err(HandoverError::ItemReturned);
            }
            Ok(status)
        }
        HandoverAction::Accept { .. } | HandoverAction::Return if status != S::Pending => {
            Err(HandoverError::ItemSettled)
        }
        HandoverAction::Accept { archive: false, .. } => Err(HandoverError::StepMissing(HandoverStep::ArchiveReceived)),
        HandoverAction::Accept { agreement: false, .. } => {
            Err(HandoverError::StepMissing(HandoverStep::AgreementSigned))
        }
        HandoverAction::Accept { .. } => Ok(S::Accepted),
        HandoverAction::Return => Ok(S::Returned),
    }
}

/// The acceptance of a person whose recorded steps are `steps` (JN Art. 21(4); GUIDE 交接制度).
pub fn acceptance(steps: &[HandoverStep]) -> HandoverAction {
    HandoverAction::Accept {
        archive: steps.contains(&HandoverStep::ArchiveReceived),
        agreement: steps.contains(&HandoverStep::AgreementSigned),
    }
}

/// Whether recording `step` closes the person's first-visit task (GUIDE 走访制度: new retirees are visited within
/// the month of arrival).
pub fn closes_first_visit(step: HandoverStep) -> bool {
    step == HandoverStep::FirstVisit
}

#[cfg(test)]
mod tests {
    use super::*;
    use HandoverItemStatus as S;

    const ACCEPT: HandoverAction = HandoverAction::Accept { archive: true, agreement: true };

    #[test]
    fn a_person_is_accepted_or_returned_once() {
        // GUIDE 交接制度: the community receives the person, or sends them back to the employer with a reason.
        assert_eq!(apply(S::Pending, ACCEPT), Ok(S::Accepted));
        assert_eq!(apply(S::Pending, HandoverAction::Return), Ok(S::Returned));
        assert_eq!(apply(S::Accepted, ACCEPT), Err(HandoverError::ItemSettled));
        assert_eq!(apply(S::Accepted, HandoverAction::Return), Err(HandoverError::ItemSettled));
        assert_eq!(apply(S::Returned, ACCEPT), Err(HandoverError::ItemSettled));
        assert_eq!(HandoverError::ItemSettled.code(), "item_settled");
    }

    #[test]
    fn acceptance_needs_the_archive_and_the_agreement_steps() {
        // Issue 19.12; JN Art. 21(4): the archive is handed over (or its exemption recorded); GUIDE 交接制度: the
        // management agreement is signed. Without either the person is not accepted, and the refusal names the step.
        use HandoverStep as St;
        let missing = |steps: &[St]| apply(S::Pending, acceptance(steps));
        assert_eq!(missing(&[]), Err(HandoverError::StepMissing(St::ArchiveReceived)));
        assert_eq!(missing(&[St::InfoCollected, St::Reported]), Err(HandoverError::StepMissing(St::ArchiveReceived)));
        assert_eq!(missing(&[St::ArchiveReceived]), Err(HandoverError::StepMissing(St::AgreementSigned)));
        assert_eq!(missing(&[St::AgreementSigned]), Err(HandoverError::StepMissing(St::ArchiveReceived)));
        assert_eq!(missing(&[St::AgreementSigned, St::ArchiveReceived]), Ok(S::Accepted));
        // A settled person is refused as settled whatever the steps.
        assert_eq!(apply(S::Accepted, acceptance(&[])), Err(HandoverError::ItemSettled));
        // Returning needs no step.
        assert_eq!(apply(S::Pending, HandoverAction::Return), Ok(S::Returned));
        let e = HandoverError::StepMissing(St::AgreementSigned);
        assert_eq!(e.code(), "handover_step_missing");
        assert!(e.message_en().contains("agreement_signed") && e.message_zh().contains("agreement_signed"));
    }

    #[test]
    fn steps_continue_after_acceptance_but_not_after_return() {
        // JN Art. 21(1)-(4): report, archive and party relationship follow the person into the community.
        let report = HandoverAction::Step { step: HandoverStep::Reported, party_member: false };
        assert_eq!(apply(S::Pending, report), Ok(S::Pending));
        assert_eq!(apply(S::Accepted, report), Ok(S::Accepted));
        assert_eq!(apply(S::Returned, report), Err(HandoverError::ItemReturned));
    }

    #[test]
    fn only_party_members_have_a_party_relationship_to_transfer() {
        // JN Art. 21(2): "党员组织关系转往…党组织": only a party member has one to transfer.
        let party = |party_member| HandoverAction::Step { step: HandoverStep::PartyTransferred, party_member };
        assert_eq!(apply(S::Pending, party(true)), Ok(S::Pending));
        assert_eq!(apply(S::Pending, party(false)), Err(HandoverError::NotAPartyMember));
        // The membership is checked first, even for a returned person.
        assert_eq!(apply(S::Returned, party(false)), Err(HandoverError::NotAPartyMember));
        assert_eq!(apply(S::Returned, party(true)), Err(HandoverError::ItemReturned));
    }

    #[test]
    fn the_first_visit_closes_its_task() {
        // GUIDE 走访制度: "当月内" first visit.
        assert!(closes_first_visit(HandoverStep::FirstVisit));
        assert!(!closes_first_visit(HandoverStep::Reported));
        assert_eq!(HandoverItemStatus::parse("pending"), Some(S::Pending));
        assert_eq!(HandoverItemStatus::Returned.as_str(), "returned");
    }

    #[test]
    fn stored_and_sent_as_the_codes_of_today() {
        // The strings the database holds and the API sends are unchanged.
        let codes: Vec<String> =
            HandoverItemStatus::ALL.iter().map(|s| serde_json::to_string(s).unwrap_or_default()).collect();
        let expected: Vec<String> = ["pending", "accepted", "returned"].iter().map(|c| format!("\"{c}\"")).collect();
        assert_eq!(codes, expected);
        assert_eq!(
            serde_json::from_str::<HandoverItemStatus>("\"accepted\"").ok(),
            HandoverItemStatus::parse("accepted")
        );
    }
}
