//! Transfers of a retiree between communities and out of the city (JN Art. 22: "一律接收，不得推诿"; CS Art. 16(3),
//! 28): the documents of an application, where a transfer stands, who acts on which side, and what each action
//! leads to. Plain rules; the API records the steps.

use time::Date;

use crate::RuleViolation;
use crate::movement::month_end;
use crate::pension::month_of;

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
crate::code_enum! {
    /// A step recorded on a transfer (oldest first in its history).
    TransferStep {
        /// The application was registered.
        Applied = "applied": "提出申请",
        /// Returned to the applicant for missing documents.
        Returned = "returned": "退回补正",
        /// Resubmitted with the documents now handed in.
        Resubmitted = "resubmitted": "补正后重新提交",
        /// Released by the sending community.
        Released = "released": "转出地确认",
        /// The personnel archive moved with the person (JN Art. 22: "人事档案的转移和接收").
        ArchiveMoved = "archive_moved": "人事档案转移",
        /// The party relationship moved with the person (JN Art. 22: "党组织关系…的转移和接收").
        PartyMoved = "party_moved": "党组织关系转移",
        /// Completed.
        Completed = "completed": "办结",
    }
}

/// Whether a transfer stays in the city or leaves it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransferKind {
    /// To another community of the city: it has a receiving side here.
    WithinCity,
    /// Out of the city (CS Art. 28): nobody receives the person here.
    OutOfCity,
}

impl TransferKind {
    /// The kind of a transfer with receiving community `to_community` (`None`: out of the city).
    pub fn of(to_community: Option<&str>) -> Self {
        if to_community.is_some() { Self::WithinCity } else { Self::OutOfCity }
    }
}

/// A side of a transfer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// The community the person leaves (转出地), and the bodies above it.
    Sending,
    /// The community the person moves to (转入地), and the bodies above it.
    Receiving,
}

/// The sides of a transfer a caller is on (both, for a body above the two communities).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Sides {
    /// On the sending side.
    pub sending: bool,
    /// On the receiving side.
    pub receiving: bool,
}

impl Sides {
    /// Whether the caller is on `side`.
    pub fn on(self, side: Side) -> bool {
        match side {
            Side::Sending => self.sending,
            Side::Receiving => self.receiving,
        }
    }
}

/// The side that registers an application (JN Art. 22: the retiree applies at the new place of residence, "向现居住
/// 地…提出转入申请"); a move out of the city has no receiving side here and is registered by the sending side.
pub fn registering_side(kind: TransferKind) -> Side {
    match kind {
        TransferKind::WithinCity => Side::Receiving,
        TransferKind::OutOfCity => Side::Sending,
    }
}

/// Why an application cannot be opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpenError {
    /// The receiving community is the one the person belongs to.
    SameCommunity,
    /// The person is not on a roll any more (reduced, died, moved out).
    NotOnRoll,
}

impl RuleViolation for OpenError {
    fn code(&self) -> &'static str {
        match self {
            Self::SameCommunity => "same_community",
            Self::NotOnRoll => "not_on_roll",
        }
    }

    fn message_zh(&self) -> String {
        match self {
            Self::SameCommunity => "转入社区与现社区相同".into(),
            Self::NotOnRoll => "该人员已不在管理名册中".into(),
        }
    }

    fn message_en(&self) -> String {
        match self {
            Self::SameCommunity => "the person already belongs to this community".into(),
            Self::NotOnRoll => "the person is not on a roll any more".into(),
        }
    }
}

/// Where a transfer stands after an action, and the step recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// The new status.
    pub status: TransferStatus,
    /// The step recorded.
    pub step: TransferStep,
    /// What completing the transfer sets off; only on completion.
    pub completion: Option<Completion>,
}

/// What follows the completion of a transfer (JN Art. 22: the service relationship, the party relationship and the
/// personnel archive move together; GUIDE 走访制度: the new community visits within the month of arrival).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Completion {
    /// The month the person moves: out of one roll, into the other (GUIDE 交接制度 "按月计报").
    pub month: Date,
    /// The steps that move with the person, in order: the archive, then (party members) the party relationship.
    pub steps: Vec<TransferStep>,
    /// Within the city: the last day of the receiving community's first visit. Out of the city: `None`, the pension
    /// becomes `transferred_out` instead (CS Art. 28).
    pub first_visit_due: Option<Date>,
}

/// Opens an application of `kind` for a person of `from_community` moving to `to_community` (within the city),
/// who is `on_roll` (JN Art. 22). The application starts `applied`.
pub fn open(
    kind: TransferKind,
    from_community: &str,
    to_community: Option<&str>,
    on_roll: bool,
) -> Result<Outcome, OpenError> {
    if kind == TransferKind::WithinCity && to_community == Some(from_community) {
        return Err(OpenError::SameCommunity);
    }
    if !on_roll {
        return Err(OpenError::NotOnRoll);
    }
    Ok(Outcome { status: TransferStatus::Applied, step: TransferStep::Applied, completion: None })
}

/// An action on an open transfer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransferAction<'a> {
    /// The receiver returns the application for the documents `missing` (JN Art. 22: only for missing ones).
    Return {
        /// The documents named as missing.
        missing: &'a [TransferDocument],
    },
    /// The receiver resubmits a returned application.
    Resubmit,
    /// The sending community releases the person.
    Release,
    /// The transfer is completed on `on`; `party_member` says whether a party relationship moves too.
    Complete {
        /// Day completed.
        on: Date,
        /// The person is a party member.
        party_member: bool,
    },
}

/// The side that takes `action` on a transfer of `kind`: the receiving side returns, resubmits and completes; the
/// sending side releases, and completes a move out of the city, which has no receiving side here (JN Art. 22:
/// "接收地和转出地…应当充分对接").
pub fn acting_side(action: &TransferAction<'_>, kind: TransferKind) -> Side {
    match action {
        TransferAction::Return { .. } | TransferAction::Resubmit => Side::Receiving,
        TransferAction::Release => Side::Sending,
        TransferAction::Complete { .. } => match kind {
            TransferKind::WithinCity => Side::Receiving,
            TransferKind::OutOfCity => Side::Sending,
        },
    }
}

/// Why an action on a transfer is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActionError {
    /// The caller is not on the side that takes the action (the API answers 403).
    NotYourSide,
    /// The action breaks a rule (409 with the code).
    Rule(TransferError),
}

/// A transfer as the rules see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TransferCase<'a> {
    /// Where it stands.
    pub status: TransferStatus,
    /// Within or out of the city.
    pub kind: TransferKind,
    /// The documents handed in.
    pub documents: &'a [TransferDocument],
}

/// The outcome of `action` on `case` by a caller on `sides` (JN Art. 22): first who may act, then whether the
/// status allows it, then whether the documents do. Applied → returned ⇄ applied (resubmitted) → released →
/// completed; a complete application cannot be returned and an incomplete one within the city cannot be released.
pub fn apply(case: &TransferCase<'_>, sides: Sides, action: TransferAction<'_>) -> Result<Outcome, ActionError> {
    use TransferStatus as S;
    if !sides.on(acting_side(&action, case.kind)) {
        return Err(ActionError::NotYourSide);
    }
    let wrong = ActionError::Rule(TransferError::WrongStatus);
    let simple = |status, step| Ok(Outcome { status, step, completion: None });
    match action {
        TransferAction::Return { missing } => {
            if case.status != S::Applied {
                return Err(wrong);
            }
            check_return(case.documents, missing).map_err(ActionError::Rule)?;
            simple(S::Returned, TransferStep::Returned)
        }
        TransferAction::Resubmit => {
            if case.status != S::Returned {
                return Err(wrong);
            }
            simple(S::Applied, TransferStep::Resubmitted)
        }
        TransferAction::Release => {
            if case.status != S::Applied {
                return Err(wrong);
            }
            if case.kind == TransferKind::WithinCity && !missing_documents(case.documents).is_empty() {
                return Err(ActionError::Rule(TransferError::Incomplete));
            }
            simple(S::Released, TransferStep::Released)
        }
        TransferAction::Complete { on, party_member } => {
            if case.status != S::Released {
                return Err(wrong);
            }
            let mut steps = vec![TransferStep::ArchiveMoved];
            if party_member {
                steps.push(TransferStep::PartyMoved);
            }
            let first_visit_due = (case.kind == TransferKind::WithinCity).then(|| month_end(on));
            Ok(Outcome {
                status: S::Completed,
                step: TransferStep::Completed,
                completion: Some(Completion { month: month_of(on), steps, first_visit_due }),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    use TransferDocument as D;
    const ALL: [TransferDocument; 3] = [D::ApplicationForm, D::ResidenceProof, D::IdCopy];
    const RECEIVER: Sides = Sides { sending: false, receiving: true };
    const SENDER: Sides = Sides { sending: true, receiving: false };

    fn case(status: TransferStatus, kind: TransferKind, documents: &[TransferDocument]) -> TransferCase<'_> {
        TransferCase { status, kind, documents }
    }

    fn step<E>(status: TransferStatus, step: TransferStep) -> Result<Outcome, E> {
        Ok(Outcome { status, step, completion: None })
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
    fn the_retiree_applies_where_they_move_to() {
        // JN Art. 22: "向现居住地…提出转入申请"; a move out of the city is registered where the person leaves.
        assert_eq!(registering_side(TransferKind::WithinCity), Side::Receiving);
        assert_eq!(registering_side(TransferKind::OutOfCity), Side::Sending);
        assert_eq!(TransferKind::of(Some("350206001001")), TransferKind::WithinCity);
        assert_eq!(TransferKind::of(None), TransferKind::OutOfCity);
        let opened = open(TransferKind::WithinCity, "350203001001", Some("350206001001"), true);
        assert_eq!(opened, step(TransferStatus::Applied, TransferStep::Applied));
        assert_eq!(
            open(TransferKind::WithinCity, "350203001001", Some("350203001001"), true),
            Err(OpenError::SameCommunity)
        );
        assert_eq!(open(TransferKind::OutOfCity, "350203001001", None, false), Err(OpenError::NotOnRoll));
        assert_eq!(OpenError::NotOnRoll.code(), "not_on_roll");
    }

    #[test]
    fn each_side_takes_its_own_actions() {
        // JN Art. 22: the receiver takes the application in, the sender lets the person go.
        let applied = case(TransferStatus::Applied, TransferKind::WithinCity, &ALL);
        assert_eq!(
            apply(&applied, SENDER, TransferAction::Return { missing: &[D::IdCopy] }),
            Err(ActionError::NotYourSide)
        );
        assert_eq!(apply(&applied, RECEIVER, TransferAction::Release), Err(ActionError::NotYourSide));
        assert_eq!(
            apply(&applied, SENDER, TransferAction::Release),
            step(TransferStatus::Released, TransferStep::Released)
        );
        let both = Sides { sending: true, receiving: true };
        assert_eq!(
            apply(&applied, both, TransferAction::Release),
            step(TransferStatus::Released, TransferStep::Released)
        );
        let on = date!(2026 - 05 - 12);
        let complete = TransferAction::Complete { on, party_member: false };
        let released = case(TransferStatus::Released, TransferKind::WithinCity, &ALL);
        assert_eq!(apply(&released, SENDER, complete), Err(ActionError::NotYourSide));
        // Out of the city nobody receives here: the sender completes.
        let out = case(TransferStatus::Released, TransferKind::OutOfCity, &[]);
        assert_eq!(apply(&out, RECEIVER, complete), Err(ActionError::NotYourSide));
        assert_eq!(acting_side(&complete, TransferKind::OutOfCity), Side::Sending);
        assert_eq!(acting_side(&TransferAction::Resubmit, TransferKind::OutOfCity), Side::Receiving);
    }

    #[test]
    fn a_complete_application_is_accepted_and_an_incomplete_one_returned() {
        // JN Art. 22: "对符合条件的申请，一律接收，不得推诿" — returned only for what is really missing.
        let complete = case(TransferStatus::Applied, TransferKind::WithinCity, &ALL);
        assert_eq!(
            apply(&complete, RECEIVER, TransferAction::Return { missing: &[D::IdCopy] }),
            Err(ActionError::Rule(TransferError::CannotBeRefused))
        );
        let lacking = case(TransferStatus::Applied, TransferKind::WithinCity, &[D::ApplicationForm]);
        assert_eq!(
            apply(&lacking, RECEIVER, TransferAction::Return { missing: &[D::IdCopy] }),
            step(TransferStatus::Returned, TransferStep::Returned)
        );
        // The sender cannot release what is incomplete; a move out of the city needs no receiver's papers.
        assert_eq!(apply(&lacking, SENDER, TransferAction::Release), Err(ActionError::Rule(TransferError::Incomplete)));
        let out = case(TransferStatus::Applied, TransferKind::OutOfCity, &[]);
        assert_eq!(
            apply(&out, SENDER, TransferAction::Release),
            step(TransferStatus::Released, TransferStep::Released)
        );
        // A returned application comes back as applied.
        let returned = case(TransferStatus::Returned, TransferKind::WithinCity, &[D::ApplicationForm]);
        assert_eq!(
            apply(&returned, RECEIVER, TransferAction::Resubmit),
            step(TransferStatus::Applied, TransferStep::Resubmitted)
        );
    }

    #[test]
    fn actions_follow_the_order_of_the_steps() {
        // JN Art. 22: applied, (returned, resubmitted), released by the sender, completed.
        let wrong = Err(ActionError::Rule(TransferError::WrongStatus));
        let on = date!(2026 - 05 - 12);
        let complete = TransferAction::Complete { on, party_member: true };
        let applied = case(TransferStatus::Applied, TransferKind::WithinCity, &ALL);
        assert_eq!(apply(&applied, RECEIVER, complete), wrong);
        assert_eq!(apply(&applied, RECEIVER, TransferAction::Resubmit), wrong);
        let released = case(TransferStatus::Released, TransferKind::WithinCity, &ALL);
        assert_eq!(apply(&released, SENDER, TransferAction::Release), wrong);
        assert_eq!(apply(&released, RECEIVER, TransferAction::Return { missing: &[D::IdCopy] }), wrong);
        let done = case(TransferStatus::Completed, TransferKind::WithinCity, &ALL);
        assert_eq!(apply(&done, RECEIVER, complete), wrong);
        let returned = case(TransferStatus::Returned, TransferKind::WithinCity, &[]);
        assert_eq!(apply(&returned, SENDER, TransferAction::Release), wrong);
    }

    #[test]
    fn the_archive_and_party_relationship_move_with_the_person() {
        // JN Art. 22: "同时办理好…党组织关系、人事档案的转移和接收"; GUIDE 走访制度: visited within the month of arrival.
        let released = case(TransferStatus::Released, TransferKind::WithinCity, &ALL);
        let on = date!(2026 - 05 - 12);
        let outcome = apply(&released, RECEIVER, TransferAction::Complete { on, party_member: true });
        assert_eq!(
            outcome,
            Ok(Outcome {
                status: TransferStatus::Completed,
                step: TransferStep::Completed,
                completion: Some(Completion {
                    month: date!(2026 - 05 - 01),
                    steps: vec![TransferStep::ArchiveMoved, TransferStep::PartyMoved],
                    first_visit_due: Some(date!(2026 - 05 - 31)),
                }),
            })
        );
        // CS Art. 28: out of the city nobody visits here; not a party member: only the archive moves.
        let out = case(TransferStatus::Released, TransferKind::OutOfCity, &[]);
        let outcome = apply(&out, SENDER, TransferAction::Complete { on, party_member: false });
        assert_eq!(
            outcome.map(|o| o.completion),
            Ok(Some(Completion {
                month: date!(2026 - 05 - 01),
                steps: vec![TransferStep::ArchiveMoved],
                first_visit_due: None,
            }))
        );
        assert_eq!(TransferStep::parse("archive_moved"), Some(TransferStep::ArchiveMoved));
        assert_eq!(TransferStep::Resubmitted.as_str(), "resubmitted");
    }

    #[test]
    fn stored_and_sent_as_the_codes_of_today() {
        // The strings the database holds and the API sends are unchanged.
        let codes: Vec<String> =
            TransferStep::ALL.iter().map(|s| serde_json::to_string(s).unwrap_or_default()).collect();
        let expected: Vec<String> =
            ["applied", "returned", "resubmitted", "released", "archive_moved", "party_moved", "completed"]
                .iter()
                .map(|c| format!("\"{c}\""))
                .collect();
        assert_eq!(codes, expected);
        assert_eq!(serde_json::from_str::<TransferStep>("\"returned\"").ok(), TransferStep::parse("returned"));
    }
}
