//! The published shape of the change feed: one schema per event type, the envelope, the page. The tests and
//! consumers' contract checks hold an event against them ([`check_payload`]).

use domain::events::EventType;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use time::OffsetDateTime;
use utoipa::ToSchema;

/// The person's state after the change (personal fields masked per the reader's role, as in lists; the birth date
/// only with a clear ID).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RetireeState {
    #[schema(example = 42)]
    pub id: i64,
    #[schema(example = "350203********1234")]
    pub id_number: String,
    #[schema(example = "张三")]
    pub name: String,
    #[schema(example = "male")]
    pub sex: String,
    /// Birth date; `null` for a reader who sees the resident ID masked (the date is the masked part of the ID:
    /// with the digits shown it would give the whole ID back; `docs/roles.md`). The data platform's
    /// `integration` role sees IDs and birth dates in clear.
    #[schema(example = "1950-01-01")]
    pub birth_date: Option<String>,
    /// Year of birth, for every reader.
    #[schema(example = 1950)]
    pub birth_year: i32,
    #[schema(example = "2010-01-01")]
    pub retirement_date: String,
    #[schema(example = "enterprise_employee")]
    pub category: String,
    #[schema(example = "district")]
    pub management_level: String,
    #[schema(example = "350203001001")]
    pub community_code: String,
    pub phone: Option<String>,
    pub address: Option<String>,
    #[schema(example = "normal")]
    pub pension_status: String,
    pub suspension_reason: Option<String>,
    #[schema(example = "2027-11-30")]
    pub certified_until: String,
    pub on_roll: bool,
    pub party_member: bool,
    /// The person's version (ETag) after the change.
    pub version: i64,
}

/// A dependant's fields.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DependentState {
    pub id: i64,
    #[schema(example = "spouse")]
    pub relation: String,
    pub id_number: String,
    pub name: String,
    pub supported: bool,
    pub certified_until: String,
}

/// The kind of record an event is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SubjectKind {
    /// A retiree (`retiree.*`, `pension.*`, `handover.accepted`).
    Retiree,
    /// A dependant (`dependent.*`).
    Dependent,
    /// A transfer (`transfer.changed`).
    Transfer,
    /// A condolence (`condolence.recorded`).
    Condolence,
    /// A petition (`petition.escalated`).
    Petition,
    /// A personnel archive (`archive.*`).
    Archive,
    /// A care request (`care.request_created`, `care.booked`, `care.delivered`, `care.evaluated`; issue 26).
    CareRequest,
    /// A node's month close (`report.month_closed`; issue 27).
    MonthClose,
    /// A health record (`health.record_created`, `health.record_updated`; issue 25).
    HealthRecord,
    /// An activity (`activity.signed_up`, `activity.attended`; issue 25).
    Activity,
    /// A volunteer (`volunteer.served`; issue 25).
    Volunteer,
    /// An allocation of a fund from a parent to a child (`fund.allocated`; issue 27).
    FundAllocation,
    /// A fund's yearly statement of a node (`fund.year_closed`; issue 27).
    FundStatement,
    /// A high-age allowance application (`allowance.applied`, `allowance.decided`; issue 25 part 4).
    AllowanceApplication,
    /// An assistance referral (`assistance.referred`, `assistance.changed`; issue 25 part 4).
    AssistanceReferral,
    /// A tracked errand (`errand.opened`, `errand.changed`; issue 25).
    Errand,
    /// A party member's organisation relation (`party.relation_changed`; issue 25).
    PartyRelation,
    /// A branch's organisation life (`party.meeting_recorded`; issue 25).
    PartyMeeting,
    // Reports, ledgers and funds (issue 27, reports27).
    /// A booking against a fund (`award.cancelled`: the award's booking).
    FundExpenditure,
}

/// What an event is about.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Subject {
    /// `retiree`, `dependent`, `transfer` or `condolence`.
    #[serde(rename = "type")]
    #[schema(example = "retiree")]
    pub kind: SubjectKind,
    #[schema(example = 42)]
    pub id: i64,
}

macro_rules! payloads {
    ($($(#[$m:meta])* $name:ident { $($(#[$fm:meta])* $field:ident : $ty:ty),* $(,)? })*) => {$(
        $(#[$m])*
        #[derive(Debug, Serialize, Deserialize, ToSchema)]
        #[serde(deny_unknown_fields)]
        pub struct $name {
            $($(#[$fm])* pub $field: $ty,)*
            /// The person's state after the change.
            pub retiree: RetireeState,
        }
    )*};
}

payloads! {
    /// `retiree.created`.
    CreatedPayload {
        /// `api`, `import` or `handover`.
        #[schema(example = "api")]
        source: String,
        /// Import job or handover batch.
        source_id: Option<i64>,
    }
    /// `retiree.updated`.
    UpdatedPayload {
        /// Fields changed; `null` for an import, which replaces every importable field.
        changed: Option<Vec<String>>,
        /// `api` or `import`.
        source: String,
        source_id: Option<i64>,
    }
    /// `retiree.moved`.
    MovedPayload {
        #[schema(example = "350203001001")]
        from_community: String,
        #[schema(example = "350206001001")]
        to_community: String,
        /// `transfer`, `correction` or `import`.
        reason: String,
        transfer_id: Option<i64>,
    }
    /// `pension.suspended`, `pension.resumed`, `pension.stopped`, `pension.transferred_out`.
    PensionPayload {
        from_status: String,
        from_reason: Option<String>,
        to_status: String,
        reason: Option<String>,
        #[schema(example = "2026-12-01")]
        effective_month: String,
        /// `person`, `feed`, `run` …
        source: String,
        source_ref: Option<i64>,
        /// Back-pay in fen (resumptions).
        back_pay_fen: Option<i64>,
    }
    /// `retiree.certified`.
    CertifiedPayload {
        certification_id: i64,
        certified_on: String,
        #[schema(example = "face_recognition")]
        method: String,
        valid_until: String,
        /// Whether the person's validity now ends with this certification's (false when a later one is on file).
        extended: bool,
        data_source: Option<String>,
    }
    /// `retiree.died`, `retiree.death_reversed`.
    DeathPayload {
        death_report_id: i64,
        date_of_death: String,
        reporter_kind: String,
        late: bool,
        /// The report's status after the change.
        status: String,
    }
    /// `retiree.reduced`.
    ReducedPayload {
        reduction_id: i64,
        kind: String,
        reason: String,
        effective_month: String,
        source: String,
        source_id: Option<i64>,
    }
    /// `retiree.reinstated`.
    ReinstatedPayload {
        reduction_id: i64,
        month: String,
    }
    /// `dependent.created`, `dependent.updated`, `dependent.removed`.
    DependentPayload {
        dependent: DependentState,
    }
    /// `dependent.certified`.
    DependentCertifiedPayload {
        dependent_id: i64,
        certification_id: i64,
        certified_on: String,
        method: String,
        valid_until: String,
    }
    /// `dependent.support_changed`.
    SupportChangedPayload {
        dependent_id: i64,
        to_status: String,
        reason: String,
        effective_month: String,
        source: String,
        source_ref: Option<i64>,
    }
    /// `handover.accepted`.
    HandoverPayload {
        batch_id: i64,
        item_id: i64,
        seq: i32,
    }
    /// `condolence.recorded`.
    CondolencePayload {
        condolence_id: i64,
        /// `spring_festival`, `double_ninth`, `hardship`, `hospitalisation`, `serious_illness`, `death`.
        kind: String,
        on_date: String,
        /// Paid, or a visit recorded without payment.
        paid: bool,
        amount_fen: i64,
        /// The festival list it was recorded with.
        batch_id: Option<i64>,
    }
    /// `transfer.changed`.
    TransferPayload {
        transfer_id: i64,
        /// Empty when the transfer was just applied for.
        from_status: String,
        status: String,
        from_community: String,
        to_community: Option<String>,
        destination: Option<String>,
        completed_month: Option<String>,
    }
}

/// `petition.escalated` (GUIDE 接待制度: "逐级报告"; a collective petition or an emergency "立即向上一级…报告",
/// `immediate`). The case's text is not in the event; the person's state only when the case names a retiree.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PetitionEscalatedPayload {
    pub petition_id: i64,
    /// The node that held the case.
    #[schema(example = "350203001001")]
    pub from_node: String,
    /// The node holding it now (the event's `jurisdiction`).
    #[schema(example = "350203001")]
    pub to_node: String,
    /// `street`, `district` or `city`.
    pub to_level: String,
    /// Times escalated so far.
    pub escalations: i32,
    /// Escalated at once on registration (collective petition or emergency).
    pub immediate: bool,
    pub channel: String,
    pub category: String,
    /// `normal`, `urgent`, `emergency`.
    pub urgency: String,
    pub collective: bool,
    pub people_count: i32,
    /// The receiving level's deadlines (its clock starts on the day of the escalation).
    pub acknowledge_due: String,
    pub answer_due: String,
    /// The first retiree the case names, if any.
    pub retiree: Option<RetireeState>,
}

/// `archive.received`, `archive.lent`, `archive.returned`, `archive.transferred`, `archive.supplemented`, `archive.digitised` (issue 23;
/// XM Art. 16; JN Art. 7(12), 27). No material's content is in the event; the person's state when the archive is
/// linked to a retiree.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ArchivePayload {
    pub archive_id: i64,
    /// The archive's status after the change (`in_store`, `on_loan`, `in_transit`, `transferred_out`, `disposed`).
    #[schema(example = "in_store")]
    pub status: String,
    pub volumes: i32,
    pub pieces: i32,
    /// `archive.lent`, `archive.returned`: the loan.
    pub loan_id: Option<i64>,
    /// `archive.supplemented`: the supplement and the piece number it was filed under.
    pub supplement_id: Option<i64>,
    pub piece_no: Option<i32>,
    /// `archive.transferred`: the dispatch, its transfer, and whether the receiver confirmed it.
    pub dispatch_id: Option<i64>,
    pub transfer_id: Option<i64>,
    pub received: Option<bool>,
    /// `archive.digitised`: the digitisation batch it came back from.
    #[serde(default)]
    pub batch_id: Option<i64>,
    /// The retiree, once the archive is linked to one.
    pub retiree: Option<RetireeState>,
}

/// `report.month_closed` (issue 27; GUIDE 交接制度 "按月计报"): a node closed its month; the report is filed as a
/// snapshot at `report`. No personal data.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MonthClosedPayload {
    pub close_id: i64,
    /// The month `YYYY-MM`.
    #[schema(example = "2026-11")]
    pub month: String,
    /// The node's level (`community`, `street`, `district`, `city`).
    #[schema(example = "community")]
    pub level: String,
    /// How many of the children's filed figures differ from the parent's count at close.
    pub differences: i64,
    /// The link to the filed report.
    #[schema(example = "/api/v1/reports/monthly?jurisdiction=350203001001&month=2026-11")]
    pub report: String,
}

/// `care.request_created`, `care.booked`, `care.delivered`, `care.evaluated` (issue 26; GUIDE 第二部分六 4): the
/// request after the step. Times are China time `YYYY-MM-DDTHH:MM`.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CareRequestPayload {
    pub request_id: i64,
    /// Status after the step.
    pub status: String,
    /// Items (`meal_help`, `bathing`, …).
    pub items: Vec<String>,
    /// `home` or `institution`.
    pub place: String,
    pub institution_id: Option<i64>,
    /// `self_paid`, `government_subsidy`, `care_insurance`.
    pub cost_bearer: String,
    pub caregiver_id: Option<i64>,
    pub slot_start: Option<String>,
    pub slot_end: Option<String>,
    pub delivered_start: Option<String>,
    pub delivered_end: Option<String>,
    pub score: Option<i32>,
    /// The person's state after the step.
    pub retiree: RetireeState,
}

/// `care.moved_in` (issue 26; JN Art. 7(3)): the person moved into a care institution; their address is the
/// institution's and they are certified at home (`certification_barrier` `care_home`).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CareMovedInPayload {
    pub institution_id: i64,
    pub institution_kind: String,
    /// The institution's node.
    pub institution_node: String,
    pub moved_in_on: String,
    pub certification_barrier: String,
    /// The person's state after the move.
    pub retiree: RetireeState,
}

/// `health.record_created`, `health.record_updated` (issue 25; GUIDE 第五部分第四章四): the dates of the record
/// only; health data (PIPL Art. 28) never leaves through the feed.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HealthRecordPayload {
    pub record_id: i64,
    /// Day of the last update.
    pub last_updated_on: String,
    /// Day the next update is due.
    pub next_due_on: Option<String>,
    /// The person's state after the change.
    pub retiree: RetireeState,
}

/// `activity.signed_up`, `activity.attended` (issue 25; XM Art. 17; CS Art. 20): a retiree, or a dependant of the
/// retiree, signed up for an activity, or their attendance was recorded.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActivityPayload {
    pub activity_id: i64,
    pub participant_id: i64,
    /// The dependant taking part, if one.
    pub dependent_id: Option<i64>,
    /// `culture`, `sports`, `health_education`, `disease_prevention`, `outing`, `interest_group`.
    pub kind: String,
    pub held_on: String,
    /// `null` until attendance is recorded.
    pub attended: Option<bool>,
    /// The retiree's state.
    pub retiree: RetireeState,
}

/// `volunteer.served` (issue 25; CS Art. 22): a volunteer served the person.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VolunteerServedPayload {
    pub volunteer_id: i64,
    pub service_id: i64,
    pub served_on: String,
    pub activity_id: Option<i64>,
    /// The visit served on (issue 25; absent from events written before the link existed).
    #[serde(default)]
    pub visit_id: Option<i64>,
    /// Hours, one decimal (`"2.5"`).
    pub hours: String,
    /// The person served.
    pub retiree: RetireeState,
}

/// `fund.allocated` (issue 27; XM Art. 22): a parent allocated part of a fund's year to a child. No personal data.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FundAllocatedPayload {
    pub allocation_id: i64,
    /// `service`, `special`, `working`, `subsidy`.
    #[schema(example = "special")]
    pub fund: String,
    pub year: i32,
    /// The allocating node.
    #[schema(example = "3502")]
    pub from: String,
    /// The child receiving it.
    #[schema(example = "350203")]
    pub to: String,
    /// Recipients allocated (XM Art. 22: the number of people to condole), if given.
    pub recipients: Option<i64>,
    pub amount_fen: i64,
}

/// `fund.year_closed` (issue 27): a node closed a fund's year; the statement is filed as a snapshot at
/// `statement`. No personal data.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FundYearClosedPayload {
    pub close_id: i64,
    #[schema(example = "service")]
    pub fund: String,
    pub year: i32,
    /// The node's level.
    #[schema(example = "district")]
    pub level: String,
    pub balance_fen: i64,
    /// The link to the filed statement.
    #[schema(example = "/api/v1/funding/year-statements/350203/2025?fund=service")]
    pub statement: String,
}

/// `allowance.applied`, `allowance.decided` (issue 25 part 4; JN Art. 7(7)): a high-age allowance application
/// filed, approved or refused. No amount: it depends on the month and the policy in force then.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AllowancePayload {
    pub application_id: i64,
    /// `applied`, `approved`, `refused`.
    pub status: String,
    pub applied_on: String,
    /// The first month paid once approved (`YYYY-MM`).
    pub from_month: String,
    /// The reason of a refusal.
    pub reason: Option<String>,
    /// The person.
    pub retiree: RetireeState,
}

/// `assistance.referred`, `assistance.changed` (issue 25 part 4; JN Art. 7(8)): a person referred to civil affairs
/// for 低保 or 特困, and civil affairs' answers. No hardship text: it stays in the service.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssistancePayload {
    pub referral_id: i64,
    /// `minimum_living`, `extreme_poverty`.
    pub kind: String,
    pub visit_id: Option<i64>,
    pub from_status: Option<String>,
    /// `referred`, `accepted`, `refused`, `granted`.
    pub status: String,
    pub referred_on: String,
    pub granted_from: Option<String>,
    /// The person.
    pub retiree: RetireeState,
}

/// `errand.opened`, `errand.changed` (issue 25; JN Art. 24; GUIDE 走访制度): an errand opened for a person (by a
/// user, or on a transfer between districts), submitted, answered or withdrawn. No materials or reasons: they stay
/// in the service.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ErrandPayload {
    pub errand_id: i64,
    /// `senior_card`, `chronic_disease_qualification`, `special_drug_qualification`,
    /// `medical_insurance_continuation`.
    pub kind: String,
    /// The node handling it.
    pub jurisdiction: String,
    pub from_status: Option<String>,
    /// `open`, `submitted`, `approved`, `refused`, `withdrawn`.
    pub status: String,
    pub opened_on: String,
    pub due_on: Option<String>,
    /// The transfer that opened it.
    pub transfer_id: Option<i64>,
    /// The person.
    pub retiree: RetireeState,
}

/// `condolence.cancelled` (issue 27): a condolence cancelled, its booking (if any) reversed in the same
/// transaction.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CondolenceCancelledPayload {
    pub condolence_id: i64,
    #[schema(example = "hospital")]
    pub kind: String,
    pub on_date: String,
    /// The amount it had paid (fen), now 0 on the condolence.
    pub amount_fen: i64,
    /// The booking that paid it, if it was booked.
    pub expenditure_id: Option<i64>,
    /// The negative booking that reverses it.
    pub reversal_id: Option<i64>,
    pub reason: String,
    /// The person.
    pub retiree: RetireeState,
}

/// `party.relation_changed` (issue 25; JN Art. 22; CS Art. 12(3)): a party member's organisation relation was
/// established in a branch, transferred to another branch or out of the service, or accepted by the receiving
/// branch.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PartyRelationPayload {
    pub relation_id: i64,
    /// `establish`, `transfer_to_branch`, `transfer_out`, `accept`, `withdraw` (a pending transfer undone).
    pub action: String,
    pub from_status: Option<String>,
    /// `in_branch`, `transferring`, `left`.
    pub status: String,
    /// The branch the relation sits in (or leaves).
    pub branch_id: i64,
    /// The branch it is transferred to, while transferring.
    pub target_branch_id: Option<i64>,
    /// Day of the step.
    pub on: String,
    /// The person.
    pub retiree: RetireeState,
}

/// `party.meeting_recorded` (issue 25; CS Art. 24; JN Art. 29): a branch recorded organisation life; placed at the
/// branch's node. Counts only: who attended stays in the service.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PartyMeetingPayload {
    pub meeting_id: i64,
    pub branch_id: i64,
    /// `branch_meeting`, `committee_meeting`, `party_lesson`, `theme_day`, `study_session`.
    pub kind: String,
    pub held_on: String,
    pub attended: i64,
    pub absent: i64,
}

/// `award.cancelled` (issue 27; XM Art. 24): an excellent-leader award cancelled, its booking reversed by a
/// negative booking. Placed at the paying node. No personal data.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AwardCancelledPayload {
    /// The award's booking.
    pub expenditure_id: i64,
    /// The negative booking.
    pub reversal_id: i64,
    pub leader_id: Option<i64>,
    pub year: i32,
    /// The amount of the award (fen), reversed.
    pub amount_fen: i64,
    pub reason: String,
}

/// Checks that `payload` has the documented shape of `kind` (used by the tests and by consumers' contract
/// checks).
pub fn check_payload(kind: EventType, payload: &Value) -> Result<(), String> {
    fn is<T: serde::de::DeserializeOwned>(v: &Value) -> Result<(), String> {
        serde_json::from_value::<T>(v.clone()).map(|_| ()).map_err(|e| e.to_string())
    }
    use EventType as E;
    match kind {
        E::RetireeCreated => is::<CreatedPayload>(payload),
        E::RetireeUpdated => is::<UpdatedPayload>(payload),
        E::RetireeMoved => is::<MovedPayload>(payload),
        E::PensionSuspended | E::PensionResumed | E::PensionStopped | E::PensionTransferredOut => {
            is::<PensionPayload>(payload)
        }
        E::RetireeCertified => is::<CertifiedPayload>(payload),
        E::RetireeDied | E::RetireeDeathReversed => is::<DeathPayload>(payload),
        E::RetireeReduced => is::<ReducedPayload>(payload),
        E::RetireeReinstated => is::<ReinstatedPayload>(payload),
        E::DependentCreated | E::DependentUpdated | E::DependentRemoved => is::<DependentPayload>(payload),
        E::DependentCertified => is::<DependentCertifiedPayload>(payload),
        E::DependentSupportChanged => is::<SupportChangedPayload>(payload),
        E::HandoverAccepted => is::<HandoverPayload>(payload),
        E::TransferChanged => is::<TransferPayload>(payload),
        E::CondolenceRecorded => is::<CondolencePayload>(payload),
        E::PetitionEscalated => is::<PetitionEscalatedPayload>(payload),
        E::ArchiveReceived | E::ArchiveLent | E::ArchiveReturned | E::ArchiveTransferred | E::ArchiveSupplemented => {
            is::<ArchivePayload>(payload)
        }
        E::CareRequestCreated | E::CareBooked | E::CareDelivered | E::CareEvaluated => {
            is::<CareRequestPayload>(payload)
        }
        E::CareMovedIn => is::<CareMovedInPayload>(payload),
        E::ReportMonthClosed => is::<MonthClosedPayload>(payload),
        E::HealthRecordCreated | E::HealthRecordUpdated => is::<HealthRecordPayload>(payload),
        E::ActivitySignedUp | E::ActivityAttended => is::<ActivityPayload>(payload),
        E::VolunteerServed => is::<VolunteerServedPayload>(payload),
        E::FundAllocated => is::<FundAllocatedPayload>(payload),
        E::FundYearClosed => is::<FundYearClosedPayload>(payload),
        // Personnel archives: digitisation batches (issue 23).
        E::ArchiveDigitised => is::<ArchivePayload>(payload),
        E::AllowanceApplied | E::AllowanceDecided => is::<AllowancePayload>(payload),
        E::AssistanceReferred | E::AssistanceChanged => is::<AssistancePayload>(payload),
        E::ErrandOpened | E::ErrandChanged => is::<ErrandPayload>(payload),
        // Community services (issue 25): party members.
        E::PartyRelationChanged => is::<PartyRelationPayload>(payload),
        E::PartyMeetingRecorded => is::<PartyMeetingPayload>(payload),
        E::CondolenceCancelled => is::<CondolenceCancelledPayload>(payload),
        E::AwardCancelled => is::<AwardCancelledPayload>(payload),
    }
}

macro_rules! envelopes {
    ($($name:ident ($tname:ident: $($code:tt => $var:ident),+) => $payload:ident;)*) => {
        $(
            #[doc = concat!("The event type(s) of [`", stringify!($name), "`].")]
            #[derive(Debug, Serialize, Deserialize, ToSchema)]
            pub enum $tname { $(#[serde(rename = $code)] $var),+ }

            #[doc = concat!("An event with a [`", stringify!($payload), "`].")]
            #[derive(Debug, Serialize, Deserialize, ToSchema)]
            pub struct $name {
                /// Id, also the cursor to resume after this event; consumers deduplicate by it.
                #[schema(example = 1001)]
                pub id: i64,
                #[serde(rename = "type")]
                pub kind: $tname,
                /// Version of the payload schema.
                #[schema(example = 1)]
                pub version: i32,
                #[serde(with = "time::serde::rfc3339")]
                pub occurred_at: OffsetDateTime,
                /// The node the event belongs to (the person's community).
                #[schema(example = "350203001001")]
                pub jurisdiction: String,
                pub subject: Subject,
                pub payload: $payload,
            }
        )*

        /// One event of the feed; `type` tells which payload it carries.
        #[derive(Debug, Serialize, Deserialize, ToSchema)]
        #[serde(untagged)]
        pub enum Event { $($name($name)),* }
    };
}

envelopes! {
    RetireeCreatedEvent (RetireeCreatedType: "retiree.created" => RetireeCreated) => CreatedPayload;
    RetireeUpdatedEvent (RetireeUpdatedType: "retiree.updated" => RetireeUpdated) => UpdatedPayload;
    RetireeMovedEvent (RetireeMovedType: "retiree.moved" => RetireeMoved) => MovedPayload;
    PensionEvent (PensionEventType: "pension.suspended" => Suspended, "pension.resumed" => Resumed,
        "pension.stopped" => Stopped, "pension.transferred_out" => TransferredOut) => PensionPayload;
    RetireeCertifiedEvent (RetireeCertifiedType: "retiree.certified" => RetireeCertified) => CertifiedPayload;
    DeathEvent (DeathEventType: "retiree.died" => Died, "retiree.death_reversed" => DeathReversed) => DeathPayload;
    RetireeReducedEvent (RetireeReducedType: "retiree.reduced" => RetireeReduced) => ReducedPayload;
    RetireeReinstatedEvent (RetireeReinstatedType: "retiree.reinstated" => RetireeReinstated) => ReinstatedPayload;
    DependentEvent (DependentEventType: "dependent.created" => Created, "dependent.updated" => Updated,
        "dependent.removed" => Removed) => DependentPayload;
    DependentCertifiedEvent (DependentCertifiedType: "dependent.certified" => DependentCertified) => DependentCertifiedPayload;
    SupportChangedEvent (SupportChangedType: "dependent.support_changed" => SupportChanged) => SupportChangedPayload;
    HandoverAcceptedEvent (HandoverAcceptedType: "handover.accepted" => HandoverAccepted) => HandoverPayload;
    TransferChangedEvent (TransferChangedType: "transfer.changed" => TransferChanged) => TransferPayload;
    CondolenceRecordedEvent (CondolenceRecordedType: "condolence.recorded" => CondolenceRecorded) => CondolencePayload;
    PetitionEscalatedEvent (PetitionEscalatedType: "petition.escalated" => PetitionEscalated) => PetitionEscalatedPayload;
    ArchiveEvent (ArchiveEventType: "archive.received" => Received, "archive.lent" => Lent,
        "archive.returned" => Returned, "archive.transferred" => Transferred,
        "archive.supplemented" => Supplemented) => ArchivePayload;
    CareRequestEvent (CareRequestEventType: "care.request_created" => RequestCreated, "care.booked" => Booked,
        "care.delivered" => Delivered, "care.evaluated" => Evaluated) => CareRequestPayload;
    CareMovedInEvent (CareMovedInType: "care.moved_in" => MovedIn) => CareMovedInPayload;
    MonthClosedEvent (MonthClosedType: "report.month_closed" => MonthClosed) => MonthClosedPayload;
    HealthRecordEvent (HealthRecordEventType: "health.record_created" => RecordCreated,
        "health.record_updated" => RecordUpdated) => HealthRecordPayload;
    ActivityEvent (ActivityEventType: "activity.signed_up" => SignedUp, "activity.attended" => Attended) => ActivityPayload;
    VolunteerServedEvent (VolunteerServedType: "volunteer.served" => VolunteerServed) => VolunteerServedPayload;
    FundAllocatedEvent (FundAllocatedType: "fund.allocated" => FundAllocated) => FundAllocatedPayload;
    FundYearClosedEvent (FundYearClosedType: "fund.year_closed" => FundYearClosed) => FundYearClosedPayload;
    ArchiveDigitisedEvent (ArchiveDigitisedType: "archive.digitised" => ArchiveDigitised) => ArchivePayload;
    AllowanceEvent (AllowanceEventType: "allowance.applied" => Applied, "allowance.decided" => Decided) => AllowancePayload;
    AssistanceEvent (AssistanceEventType: "assistance.referred" => Referred, "assistance.changed" => Changed) => AssistancePayload;
    ErrandEvent (ErrandEventType: "errand.opened" => Opened, "errand.changed" => Changed) => ErrandPayload;
    PartyRelationEvent (PartyRelationEventType: "party.relation_changed" => RelationChanged) => PartyRelationPayload;
    PartyMeetingEvent (PartyMeetingEventType: "party.meeting_recorded" => MeetingRecorded) => PartyMeetingPayload;
    CondolenceCancelledEvent (CondolenceCancelledType: "condolence.cancelled" => CondolenceCancelled) => CondolenceCancelledPayload;
    AwardCancelledEvent (AwardCancelledType: "award.cancelled" => AwardCancelled) => AwardCancelledPayload;
}

/// A page of the feed.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct EventPage {
    /// Events after the cursor, oldest first.
    #[schema(value_type = Vec<Event>)]
    pub items: Vec<Value>,
    /// Where to resume: pass it as `after` next time. Always present; the `after` given when no event followed.
    #[schema(example = "1001")]
    pub next_cursor: String,
    /// Whether more events follow already (fetch again at once) or the feed is drained (poll later).
    pub has_more: bool,
}
