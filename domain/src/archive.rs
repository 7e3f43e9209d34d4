//! Personnel archives (人事档案; XM Art. 16, CS Art. 12(2), JN Art. 7(12), 8(7), 12, 20, 21(3)-(4), 27): where an
//! archive stands (in store, lent out, in transit, transferred out, disposed), the receipt check of CS Art. 12(2)
//! (the employer sorts, catalogues, binds and digitises before the handover), loans for use (利用), supplementary
//! materials (补充材料, reviewed then filed: JN Art. 27), the dispatch of an archive that moves with its person
//! (传递), and the staffing and storage a repository needs (JN Art. 12: a keeper per 10,000 volumes; Art. 20: 60 m²
//! per 10,000 volumes). Numbers come from the effective-dated policy ([`crate::policy::Staffing`],
//! [`crate::policy::Archives`]).

use time::Date;

use crate::RuleViolation;
use crate::policy::{Archives, Staffing};

crate::code_enum! {
    /// Where an archive stands.
    ArchiveStatus {
        /// Received and in store (在库).
        InStore = "in_store": "在库",
        /// Lent out for use (借出).
        OnLoan = "on_loan": "借出",
        /// Sent to another archive authority, not yet confirmed received (转递中).
        InTransit = "in_transit": "转递中",
        /// Received by the other authority (已转出).
        TransferredOut = "transferred_out": "已转出",
        /// Disposed of after the person's death (已处置): handed to the family or kept closed.
        Disposed = "disposed": "已处置",
    }
}

crate::code_enum! {
    /// What the employer does to an archive before the handover (CS Art. 12(2): "在移交档案前完成档案整理、编目、
    /// 分类、排序、装订成册和数字化工作"; JN Art. 21(4)).
    PreparationItem {
        /// Sorted (整理, with 分类 and 排序).
        Sorted = "sorted": "整理",
        /// Catalogued (编目).
        Catalogued = "catalogued": "编目",
        /// Bound into volumes (装订成册).
        Bound = "bound": "装订成册",
        /// Digitised (数字化).
        Digitised = "digitised": "数字化",
    }
}

crate::code_enum! {
    /// The class of a material in a personnel archive (the ten classes of 《干部人事档案工作条例》, which CS Art.
    /// 12(2) and JN Art. 21(4) name as the standard of sorting).
    MaterialType {
        /// 履历材料.
        Resume = "resume": "履历材料",
        /// 自传和思想材料.
        Autobiography = "autobiography": "自传和思想材料",
        /// 考核鉴定材料.
        Appraisal = "appraisal": "考核鉴定材料",
        /// 学历学位、专业技术职务、培训材料.
        Education = "education": "学历学位、职称、培训材料",
        /// 政审、审计和审核材料.
        Vetting = "vetting": "政审、审计和审核材料",
        /// 党、团材料.
        Party = "party": "党团材料",
        /// 表彰奖励材料.
        Award = "award": "表彰奖励材料",
        /// 违规违纪处分材料.
        Discipline = "discipline": "处分材料",
        /// 工资、任免、出国、退休等材料.
        Employment = "employment": "工资、任免、退休材料",
        /// 其他可供参考的材料.
        Other = "other": "其他材料",
    }
}

crate::code_enum! {
    /// Where a loan (利用: consultation or borrowing) stands.
    LoanStatus {
        /// Asked for, waiting for the archivist.
        Requested = "requested": "待审批",
        /// Approved, not yet handed out.
        Approved = "approved": "已批准",
        /// Refused by the archivist.
        Rejected = "rejected": "未批准",
        /// Handed out.
        Lent = "lent": "已借出",
        /// Returned.
        Returned = "returned": "已归还",
    }
}

crate::code_enum! {
    /// How an archive is used (JN Art. 7(12) "档案利用").
    LoanKind {
        /// Read on site (查阅).
        Consult = "consult": "查阅",
        /// Taken out (借阅).
        Borrow = "borrow": "借阅",
    }
}

crate::code_enum! {
    /// Where a supplementary material stands (JN Art. 27: reviewed, then filed).
    SupplementStatus {
        /// Submitted, waiting for review.
        Submitted = "submitted": "待审核",
        /// Accepted and filed with a piece number (归档).
        Filed = "filed": "已归档",
        /// Returned to the submitter with a reason.
        Returned = "returned": "已退回",
    }
}

crate::code_enum! {
    /// Where the dispatch of an archive to another authority stands (传递).
    DispatchStatus {
        /// Sent, in transit.
        Sent = "sent": "已寄出",
        /// Confirmed received by the other authority.
        Received = "received": "已接收",
    }
}

crate::code_enum! {
    /// How an archive is sent (档案转递方式).
    DispatchMeans {
        /// Confidential mail (机要邮寄).
        ConfidentialMail = "confidential_mail": "机要邮寄",
        /// Carried by a staff member (专人送取).
        ByHand = "by_hand": "专人送取",
    }
}

crate::code_enum! {
    /// What happens to the archive of a person who died (处置).
    DisposalKind {
        /// Kept by the archive authority under its retention (保管).
        Kept = "kept": "继续保管",
        /// Handed to the family on request, with a record (移交家属).
        HandedToFamily = "handed_to_family": "移交家属",
    }
}

/// The preparation of an archive: the day each item was done, `None` where it was not.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Preparation {
    /// Sorted on.
    pub sorted: Option<Date>,
    /// Catalogued on.
    pub catalogued: Option<Date>,
    /// Bound on.
    pub bound: Option<Date>,
    /// Digitised on.
    pub digitised: Option<Date>,
}

impl Preparation {
    /// The day `item` was done.
    pub fn done_on(&self, item: PreparationItem) -> Option<Date> {
        match item {
            PreparationItem::Sorted => self.sorted,
            PreparationItem::Catalogued => self.catalogued,
            PreparationItem::Bound => self.bound,
            PreparationItem::Digitised => self.digitised,
        }
    }

    /// The items not done, in the order of CS Art. 12(2).
    pub fn missing(&self) -> Vec<PreparationItem> {
        PreparationItem::ALL.iter().copied().filter(|i| self.done_on(*i).is_none()).collect()
    }
}

/// Why an archive action is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ArchiveError {
    /// The receipt refuses an unprepared archive and names what is missing (CS Art. 12(2)) (422).
    Unprepared(Vec<PreparationItem>),
    /// Volumes or pieces not above 0 (422).
    NoVolumes,
    /// The action does not fit the archive's status (409), e.g. a loan of an archive in transit.
    ArchiveStatus(ArchiveStatus),
    /// The action does not fit the loan's status (409), e.g. returning a loan twice.
    LoanStatus(LoanStatus),
    /// The action does not fit the supplement's status (409).
    SupplementStatus(SupplementStatus),
    /// The dispatch was confirmed already (409).
    DispatchReceived,
    /// A disposal of the archive of a person who did not die (409).
    NotDeceased,
    /// A transfer completed before the person's archive was received or an exemption recorded (JN Art. 21(3)-(4))
    /// (409).
    ArchivePending,
    /// A repository full: the volumes exceed its capacity (409).
    OverCapacity {
        /// Volumes the repository holds for its floor area.
        capacity: i64,
        /// Volumes it would hold.
        occupancy: i64,
    },
}

impl RuleViolation for ArchiveError {
    fn code(&self) -> &'static str {
        match self {
            Self::Unprepared(_) => "archive_unprepared",
            Self::NoVolumes => "archive_no_volumes",
            Self::ArchiveStatus(_) => "archive_wrong_status",
            Self::LoanStatus(_) => "loan_wrong_status",
            Self::SupplementStatus(_) => "supplement_wrong_status",
            Self::DispatchReceived => "dispatch_received",
            Self::NotDeceased => "archive_person_alive",
            Self::OverCapacity { .. } => "repository_full",
            Self::ArchivePending => "transfer_archive_pending",
        }
    }

    fn message_zh(&self) -> String {
        match self {
            Self::Unprepared(items) => {
                let names: Vec<&str> = items.iter().map(|i| i.label_zh()).collect();
                format!("档案移交前须完成整理、编目、装订成册和数字化，尚缺：{}", names.join("、"))
            }
            Self::NoVolumes => "档案卷数和件数应大于0".into(),
            Self::ArchiveStatus(s) => format!("档案当前状态（{}）不能办理此操作", s.label_zh()),
            Self::LoanStatus(s) => format!("借阅当前状态（{}）不能办理此操作", s.label_zh()),
            Self::SupplementStatus(s) => format!("补充材料当前状态（{}）不能办理此操作", s.label_zh()),
            Self::DispatchReceived => "该档案转递已确认接收".into(),
            Self::NotDeceased => "该人员未死亡，档案不能处置".into(),
            Self::OverCapacity { capacity, occupancy } => {
                format!("库房容量不足：可存{capacity}卷，存入后将达{occupancy}卷")
            }
            Self::ArchivePending => "人事档案尚未转递接收，也未登记免于移交的情形，迁移不能办结".into(),
        }
    }

    fn message_en(&self) -> String {
        match self {
            Self::Unprepared(items) => {
                let names: Vec<&str> = items.iter().map(|i| i.as_str()).collect();
                format!("the archive must be prepared before the handover; missing: {}", names.join(", "))
            }
            Self::NoVolumes => "volumes and pieces must be above 0".into(),
            Self::ArchiveStatus(s) => format!("the archive is {s:?}; this action does not apply"),
            Self::LoanStatus(s) => format!("the loan is {}; this action does not apply", s.as_str()),
            Self::SupplementStatus(s) => format!("the supplement is {}; this action does not apply", s.as_str()),
            Self::DispatchReceived => "the dispatch was confirmed received already".into(),
            Self::NotDeceased => "the person has not died; the archive cannot be disposed of".into(),
            Self::OverCapacity { capacity, occupancy } => {
                format!("the repository holds {capacity} volumes; it would hold {occupancy}")
            }
            Self::ArchivePending => {
                "the personnel archive has not been received and no exemption is recorded; the transfer cannot complete"
                    .into()
            }
        }
    }
}

/// The receipt check (CS Art. 12(2); JN Art. 21(4)): at least one volume and one piece, and every preparation
/// item done unless the receiver accepts the archive as it is (`accept_unprepared`, the missing items then stay
/// on the record's checklist). Answers the missing items.
pub fn check_receipt(
    volumes: i32,
    pieces: i32,
    prep: &Preparation,
    accept_unprepared: bool,
) -> Result<Vec<PreparationItem>, ArchiveError> {
    if volumes <= 0 || pieces <= 0 {
        return Err(ArchiveError::NoVolumes);
    }
    let missing = prep.missing();
    if !missing.is_empty() && !accept_unprepared {
        return Err(ArchiveError::Unprepared(missing));
    }
    Ok(missing)
}

/// An action on a loan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoanAction {
    /// The archivist approves.
    Approve,
    /// The archivist refuses.
    Reject,
    /// The archive is handed out (needs the archive in store).
    Lend,
    /// The archive comes back.
    Return,
}

/// The status of a loan after `action`, given the archive's status (JN Art. 7(12) "档案利用"): requested →
/// approved or rejected; approved → lent (only from the store: an archive on loan, in transit, transferred or
/// disposed is refused); lent → returned, once.
pub fn apply_loan(loan: LoanStatus, archive: ArchiveStatus, action: LoanAction) -> Result<LoanStatus, ArchiveError> {
    use LoanStatus as L;
    match (loan, action) {
        (L::Requested, LoanAction::Approve) => loan_allowed(archive).map(|()| L::Approved),
        (L::Requested, LoanAction::Reject) => Ok(L::Rejected),
        (L::Approved, LoanAction::Lend) => loan_allowed(archive).map(|()| L::Lent),
        (L::Lent, LoanAction::Return) => Ok(L::Returned),
        (s, _) => Err(ArchiveError::LoanStatus(s)),
    }
}

/// Whether an archive may be asked for, approved for or handed out on a loan: only while in store.
pub fn loan_allowed(archive: ArchiveStatus) -> Result<(), ArchiveError> {
    if archive == ArchiveStatus::InStore { Ok(()) } else { Err(ArchiveError::ArchiveStatus(archive)) }
}

/// The archive's status after a loan action: out on lending, back in store on return.
pub fn archive_after_loan(archive: ArchiveStatus, action: LoanAction) -> ArchiveStatus {
    match action {
        LoanAction::Lend => ArchiveStatus::OnLoan,
        LoanAction::Return => ArchiveStatus::InStore,
        LoanAction::Approve | LoanAction::Reject => archive,
    }
}

/// The last day of a loan lent on `lent_on`: the asked end, capped at the policy's loan period.
pub fn loan_due(lent_on: Date, asked_until: Option<Date>, p: &Archives) -> Date {
    let cap = lent_on.saturating_add(time::Duration::days(i64::from(p.loan_days.value)));
    asked_until.map_or(cap, |d| d.min(cap))
}

/// The asked period of a loan (JN Art. 7(12) "档案利用"): it ends on or after the day it starts and runs at most the
/// policy's loan period. Answers the last day, `asked_until` or, when none is asked, the end of the loan period.
pub fn loan_period(from: Date, asked_until: Option<Date>, p: &Archives) -> Result<Date, LoanPeriodError> {
    let cap = from.saturating_add(time::Duration::days(i64::from(p.loan_days.value)));
    match asked_until {
        None => Ok(cap),
        Some(d) if d < from => Err(LoanPeriodError::EndsBeforeStart),
        Some(d) if d > cap => Err(LoanPeriodError::TooLong { days: p.loan_days.value }),
        Some(d) => Ok(d),
    }
}

/// Why an asked loan period is refused (422 at `/asked_until`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoanPeriodError {
    /// The end lies before the start.
    EndsBeforeStart,
    /// Longer than the policy's loan period.
    TooLong {
        /// The loan period, days.
        days: u32,
    },
}

/// The archive's status after a loan action on a loan that is `online` (the digitised copy is used: the paper
/// archive stays where it is; XM Art. 16 "便捷的线上利用").
pub fn archive_after_use(archive: ArchiveStatus, action: LoanAction, online: bool) -> ArchiveStatus {
    if online { archive } else { archive_after_loan(archive, action) }
}

/// Whether a loan in `status` due on `due` is overdue on `today` (lent and not back after the due day).
pub fn loan_overdue(status: LoanStatus, due: Date, today: Date) -> bool {
    status == LoanStatus::Lent && today > due
}

/// An action on a supplementary material (JN Art. 27: "新形成的材料…经审核后归档").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SupplementAction {
    /// Accept and file with the next piece number.
    Accept,
    /// Return to the submitter with a reason.
    Return,
}

/// The status of a supplement after `action`: only a submitted one is reviewed.
pub fn apply_supplement(s: SupplementStatus, action: SupplementAction) -> Result<SupplementStatus, ArchiveError> {
    match (s, action) {
        (SupplementStatus::Submitted, SupplementAction::Accept) => Ok(SupplementStatus::Filed),
        (SupplementStatus::Submitted, SupplementAction::Return) => Ok(SupplementStatus::Returned),
        (s, _) => Err(ArchiveError::SupplementStatus(s)),
    }
}

/// Whether a supplementary material may be submitted for an archive (JN Art. 27): the archive is held here (in store
/// or out on loan); one in transit, transferred out or disposed of is refused (the material goes to the archive's
/// new keeper).
pub fn supplement_allowed(archive: ArchiveStatus) -> Result<(), ArchiveError> {
    match archive {
        ArchiveStatus::InStore | ArchiveStatus::OnLoan => Ok(()),
        other => Err(ArchiveError::ArchiveStatus(other)),
    }
}

/// Whether an accepted material may be filed now: the archive is on its shelf (in store).
pub fn filing_allowed(archive: ArchiveStatus) -> Result<(), ArchiveError> {
    if archive == ArchiveStatus::InStore { Ok(()) } else { Err(ArchiveError::ArchiveStatus(archive)) }
}

/// Whether the review of a supplement due on `due` is late on `today`.
pub fn review_overdue(status: SupplementStatus, due: Date, today: Date) -> bool {
    status == SupplementStatus::Submitted && today > due
}

/// The last day to review a supplement submitted on `submitted_on` (policy `supplement_review_days`).
pub fn review_due(submitted_on: Date, p: &Archives) -> Date {
    submitted_on.saturating_add(time::Duration::days(i64::from(p.supplement_review_days.value)))
}

/// The piece number a filed supplement takes: the next after the highest on the archive (running numbers).
pub fn next_piece_number(highest: i32) -> i32 {
    highest.saturating_add(1)
}

/// Sending an archive to another authority with its person (JN Art. 7(12) "档案传递"; JN Art. 21(3)): only from the
/// store; the archive is in transit until the receiver confirms.
pub fn dispatch(archive: ArchiveStatus) -> Result<ArchiveStatus, ArchiveError> {
    if archive == ArchiveStatus::InStore {
        Ok(ArchiveStatus::InTransit)
    } else {
        Err(ArchiveError::ArchiveStatus(archive))
    }
}

/// The receiver confirms a dispatch: the archive is transferred out.
pub fn confirm_dispatch(d: DispatchStatus) -> Result<(DispatchStatus, ArchiveStatus), ArchiveError> {
    match d {
        DispatchStatus::Sent => Ok((DispatchStatus::Received, ArchiveStatus::TransferredOut)),
        DispatchStatus::Received => Err(ArchiveError::DispatchReceived),
    }
}

/// The archive's status once the receiver confirms a dispatch: within the city the archive stays in the system and
/// is in store again at the receiving authority (to be placed there); out of the city it is transferred out.
pub fn archive_after_receipt(within_city: bool) -> ArchiveStatus {
    if within_city { ArchiveStatus::InStore } else { ArchiveStatus::TransferredOut }
}

/// Whether a transfer may complete (JN Art. 21(3): "退休人员人事档案随人移交"; Art. 21(4): the exemptions): an
/// archive held here must have been received at the other end, or an exemption recorded for the transfer.
pub fn transfer_archive_ready(archive_held: bool, received: bool, exempted: bool) -> Result<(), ArchiveError> {
    if !archive_held || received || exempted { Ok(()) } else { Err(ArchiveError::ArchivePending) }
}

/// Disposal after death: only of a dead person's archive in store.
pub fn dispose(archive: ArchiveStatus, deceased: bool) -> Result<ArchiveStatus, ArchiveError> {
    if !deceased {
        return Err(ArchiveError::NotDeceased);
    }
    if archive != ArchiveStatus::InStore {
        return Err(ArchiveError::ArchiveStatus(archive));
    }
    Ok(ArchiveStatus::Disposed)
}

/// The volumes a repository of `area_m2` holds (JN Art. 20: 60 m² per 10,000 volumes, so 10,000 volumes per 60 m²),
/// rounded down.
pub fn capacity_volumes(area_m2: i64, s: &Staffing) -> i64 {
    let m2 = i64::from(s.archive_m2_per_10000_volumes.value.max(1));
    area_m2.max(0).saturating_mul(10_000) / m2
}

/// Whether `volumes` more fit into a repository of `capacity` holding `occupancy` (409 `repository_full`).
pub fn check_capacity(capacity: i64, occupancy: i64, volumes: i64) -> Result<(), ArchiveError> {
    let after = occupancy.saturating_add(volumes);
    if after > capacity { Err(ArchiveError::OverCapacity { capacity, occupancy: after }) } else { Ok(()) }
}

/// The staffing and storage a number of volumes needs, against what a repository has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shortfall {
    /// Keepers needed (JN Art. 12: one per 10,000 volumes, rounded up).
    pub keepers_required: i64,
    /// Keepers missing (0 when enough).
    pub keepers_short: i64,
    /// Storage needed, m² (JN Art. 20: 60 m² per 10,000 volumes, rounded up).
    pub area_required_m2: i64,
    /// Storage missing, m² (0 when enough).
    pub area_short_m2: i64,
}

/// The shortfall of a repository (or a node's repositories together) holding `volumes` with `keepers` keepers and
/// `area_m2` of storage (JN Art. 12, 20).
pub fn shortfall(volumes: i64, keepers: i64, area_m2: i64, s: &Staffing) -> Shortfall {
    let keepers_required = crate::care::archive_keepers(volumes, s);
    let area_required_m2 = crate::care::archive_area_m2(volumes, s);
    Shortfall {
        keepers_required,
        keepers_short: (keepers_required - keepers.max(0)).max(0),
        area_required_m2,
        area_short_m2: (area_required_m2 - area_m2.max(0)).max(0),
    }
}

/// The share of archives digitised, in per mille (XM Art. 16: "推进人事档案数字化"); 0 of 0 is 0.
pub fn digitised_per_mille(digitised: i64, total: i64) -> i64 {
    if total <= 0 { 0 } else { digitised.clamp(0, total) * 1000 / total }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::presets;
    use time::macros::date;

    fn prepared() -> Preparation {
        let d = date!(2026 - 11 - 02);
        Preparation { sorted: Some(d), catalogued: Some(d), bound: Some(d), digitised: Some(d) }
    }

    // CS Art. 12(2): "在移交档案前完成档案整理、编目、分类、排序、装订成册和数字化工作".
    #[test]
    fn a_receipt_refuses_an_unprepared_archive_and_names_what_is_missing() {
        assert_eq!(check_receipt(2, 40, &prepared(), false), Ok(vec![]));
        let half = Preparation { bound: None, digitised: None, ..prepared() };
        let err = check_receipt(2, 40, &half, false).unwrap_err();
        assert_eq!(err, ArchiveError::Unprepared(vec![PreparationItem::Bound, PreparationItem::Digitised]));
        assert_eq!(err.code(), "archive_unprepared");
        assert!(err.message_zh().contains("装订成册、数字化"), "{}", err.message_zh());
        // Accepted as it is, the missing items stay on the checklist.
        assert_eq!(check_receipt(2, 40, &half, true), Ok(vec![PreparationItem::Bound, PreparationItem::Digitised]));
        // JN Art. 12: volumes (卷) are what is counted; none is no archive.
        assert_eq!(check_receipt(0, 40, &prepared(), false), Err(ArchiveError::NoVolumes));
        assert_eq!(check_receipt(1, -1, &prepared(), true), Err(ArchiveError::NoVolumes));
    }

    // JN Art. 7(12): "做好档案利用…工作" — a loan runs requested → approved → lent → returned, once.
    #[test]
    fn a_loan_runs_once_and_never_for_an_archive_in_transit() {
        use LoanStatus as L;
        let store = ArchiveStatus::InStore;
        assert_eq!(apply_loan(L::Requested, store, LoanAction::Approve), Ok(L::Approved));
        assert_eq!(apply_loan(L::Requested, store, LoanAction::Reject), Ok(L::Rejected));
        assert_eq!(apply_loan(L::Approved, store, LoanAction::Lend), Ok(L::Lent));
        assert_eq!(apply_loan(L::Lent, ArchiveStatus::OnLoan, LoanAction::Return), Ok(L::Returned));
        assert_eq!(
            apply_loan(L::Returned, store, LoanAction::Return),
            Err(ArchiveError::LoanStatus(L::Returned)),
            "returning twice"
        );
        assert_eq!(ArchiveError::LoanStatus(L::Returned).code(), "loan_wrong_status");
        // JN Art. 7(12) "档案传递": an archive on its way to another authority is not lent.
        assert_eq!(
            apply_loan(L::Approved, ArchiveStatus::InTransit, LoanAction::Lend),
            Err(ArchiveError::ArchiveStatus(ArchiveStatus::InTransit))
        );
        assert_eq!(loan_allowed(ArchiveStatus::OnLoan), Err(ArchiveError::ArchiveStatus(ArchiveStatus::OnLoan)));
        assert_eq!(archive_after_loan(store, LoanAction::Lend), ArchiveStatus::OnLoan);
        assert_eq!(archive_after_loan(ArchiveStatus::OnLoan, LoanAction::Return), store);
    }

    // Loan period from the policy (not stated in any text: 30 days by default).
    #[test]
    fn a_loan_is_due_within_the_policy_period_and_then_overdue() {
        let p = presets::jinning_2020().archives;
        let lent = date!(2026 - 12 - 01);
        assert_eq!(loan_due(lent, None, &p), date!(2026 - 12 - 31));
        assert_eq!(loan_due(lent, Some(date!(2026 - 12 - 10)), &p), date!(2026 - 12 - 10));
        assert_eq!(loan_due(lent, Some(date!(2027 - 03 - 01)), &p), date!(2026 - 12 - 31));
        assert!(!loan_overdue(LoanStatus::Lent, date!(2026 - 12 - 31), date!(2026 - 12 - 31)));
        assert!(loan_overdue(LoanStatus::Lent, date!(2026 - 12 - 31), date!(2027 - 01 - 01)));
        assert!(!loan_overdue(LoanStatus::Returned, date!(2026 - 12 - 31), date!(2027 - 01 - 01)));
    }

    // JN Art. 7(12) "档案利用": the asked period runs at most the policy's loan period (30 days, not stated).
    #[test]
    fn the_asked_loan_period_is_capped_by_the_policy() {
        let p = presets::jinning_2020().archives;
        let from = date!(2026 - 12 - 07);
        assert_eq!(loan_period(from, None, &p), Ok(date!(2027 - 01 - 06)));
        assert_eq!(loan_period(from, Some(from), &p), Ok(from));
        assert_eq!(loan_period(from, Some(date!(2026 - 12 - 06)), &p), Err(LoanPeriodError::EndsBeforeStart));
        assert_eq!(loan_period(from, Some(date!(2027 - 01 - 07)), &p), Err(LoanPeriodError::TooLong { days: 30 }));
        // XM Art. 16: online use leaves the paper archive in store.
        assert_eq!(archive_after_use(ArchiveStatus::InStore, LoanAction::Lend, true), ArchiveStatus::InStore);
        assert_eq!(archive_after_use(ArchiveStatus::InStore, LoanAction::Lend, false), ArchiveStatus::OnLoan);
    }

    // JN Art. 27: new materials are reviewed, then filed with a running piece number.
    #[test]
    fn supplements_are_reviewed_then_filed_with_the_next_piece_number() {
        assert_eq!(
            apply_supplement(SupplementStatus::Submitted, SupplementAction::Accept),
            Ok(SupplementStatus::Filed)
        );
        assert_eq!(
            apply_supplement(SupplementStatus::Submitted, SupplementAction::Return),
            Ok(SupplementStatus::Returned)
        );
        assert_eq!(
            apply_supplement(SupplementStatus::Filed, SupplementAction::Accept),
            Err(ArchiveError::SupplementStatus(SupplementStatus::Filed))
        );
        assert_eq!(next_piece_number(40), 41);
        // Held here: submitted in store or on loan, filed only in store; never for an archive gone elsewhere.
        assert_eq!(supplement_allowed(ArchiveStatus::OnLoan), Ok(()));
        assert_eq!(
            supplement_allowed(ArchiveStatus::InTransit),
            Err(ArchiveError::ArchiveStatus(ArchiveStatus::InTransit))
        );
        assert_eq!(filing_allowed(ArchiveStatus::OnLoan), Err(ArchiveError::ArchiveStatus(ArchiveStatus::OnLoan)));
        assert!(review_overdue(SupplementStatus::Submitted, date!(2026 - 12 - 16), date!(2026 - 12 - 17)));
        assert!(!review_overdue(SupplementStatus::Filed, date!(2026 - 12 - 16), date!(2026 - 12 - 17)));
        let p = presets::jinning_2020().archives;
        assert_eq!(review_due(date!(2026 - 12 - 01), &p), date!(2026 - 12 - 16));
    }

    // JN Art. 21(3): "退休人员人事档案随人移交"; JN Art. 7(12) "档案传递": in transit until the receiver confirms.
    #[test]
    fn a_dispatched_archive_is_in_transit_until_confirmed() {
        assert_eq!(dispatch(ArchiveStatus::InStore), Ok(ArchiveStatus::InTransit));
        assert_eq!(dispatch(ArchiveStatus::OnLoan), Err(ArchiveError::ArchiveStatus(ArchiveStatus::OnLoan)));
        assert_eq!(
            confirm_dispatch(DispatchStatus::Sent),
            Ok((DispatchStatus::Received, ArchiveStatus::TransferredOut))
        );
        assert_eq!(confirm_dispatch(DispatchStatus::Received), Err(ArchiveError::DispatchReceived));
    }

    // JN Art. 21(3)-(4): a transfer completes once the archive is received, or an exemption is recorded.
    #[test]
    fn a_transfer_waits_for_the_archive_or_an_exemption() {
        assert_eq!(transfer_archive_ready(true, false, false), Err(ArchiveError::ArchivePending));
        assert_eq!(ArchiveError::ArchivePending.code(), "transfer_archive_pending");
        assert_eq!(transfer_archive_ready(true, true, false), Ok(()));
        assert_eq!(transfer_archive_ready(true, false, true), Ok(()));
        assert_eq!(transfer_archive_ready(false, false, false), Ok(()), "no archive held here");
        assert_eq!(archive_after_receipt(true), ArchiveStatus::InStore);
        assert_eq!(archive_after_receipt(false), ArchiveStatus::TransferredOut);
    }

    // JN Art. 8(7): "监督、指导…人事档案移交、管理与处置工作" — disposal only after death, never of a lent archive.
    #[test]
    fn disposal_only_after_death() {
        assert_eq!(dispose(ArchiveStatus::InStore, true), Ok(ArchiveStatus::Disposed));
        assert_eq!(dispose(ArchiveStatus::InStore, false), Err(ArchiveError::NotDeceased));
        assert_eq!(dispose(ArchiveStatus::OnLoan, true), Err(ArchiveError::ArchiveStatus(ArchiveStatus::OnLoan)));
    }

    // JN Art. 12: "参考每1万卷不少于1个人的标准"; JN Art. 20: "按照每万卷60平方米的标准".
    #[test]
    fn repository_capacity_and_shortfall_follow_jn_12_and_20() {
        let s = presets::jinning_2020().staffing;
        assert_eq!(capacity_volumes(60, &s), 10_000);
        assert_eq!(capacity_volumes(90, &s), 15_000);
        assert_eq!(check_capacity(10_000, 9_990, 10), Ok(()));
        assert_eq!(
            check_capacity(10_000, 9_990, 11),
            Err(ArchiveError::OverCapacity { capacity: 10_000, occupancy: 10_001 })
        );
        let sf = shortfall(25_000, 1, 120, &s);
        assert_eq!(sf, Shortfall { keepers_required: 3, keepers_short: 2, area_required_m2: 150, area_short_m2: 30 });
        assert_eq!(shortfall(9_000, 2, 100, &s).keepers_short, 0);
        assert_eq!(
            shortfall(0, 0, 0, &s),
            Shortfall { keepers_required: 0, keepers_short: 0, area_required_m2: 0, area_short_m2: 0 }
        );
    }

    // XM Art. 16: "推进人事档案数字化" — the share digitised.
    #[test]
    fn the_share_digitised() {
        assert_eq!(digitised_per_mille(1, 3), 333);
        assert_eq!(digitised_per_mille(0, 0), 0);
        assert_eq!(digitised_per_mille(5, 5), 1000);
    }
}
