//! Pension status (CS Art. 32, JN Art. 34) and the annual eligibility certification (CS Art. 16(2), 27, 32(1);
//! XM Art. 15; JN Art. 7(3)): which status changes are legal, what a resumption pays back, and when a person's
//! certification falls due.

use time::{Date, Duration, Month};

use crate::PensionStatus;
use crate::policy::{Policy, SuspensionReason};

/// A person's pension status with its reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PensionState {
    /// Paid.
    Normal,
    /// Not paid until the cause ends (CS Art. 32).
    Suspended(SuspensionReason),
    /// Stopped on death (CS Art. 32).
    Stopped,
    /// Moved out of the city (CS Art. 28).
    TransferredOut,
}

impl PensionState {
    /// The state stored as `status` plus `reason` (the reason only for suspensions); `None` when the pair is not
    /// a state.
    pub fn from_parts(status: &str, reason: Option<&str>) -> Option<Self> {
        match PensionStatus::parse(status)? {
            PensionStatus::Normal => Some(Self::Normal),
            PensionStatus::Suspended => Some(Self::Suspended(reason.and_then(SuspensionReason::parse)?)),
            PensionStatus::Stopped => Some(Self::Stopped),
            PensionStatus::TransferredOut => Some(Self::TransferredOut),
        }
    }

    /// The status without its reason.
    pub fn status(self) -> PensionStatus {
        match self {
            Self::Normal => PensionStatus::Normal,
            Self::Suspended(_) => PensionStatus::Suspended,
            Self::Stopped => PensionStatus::Stopped,
            Self::TransferredOut => PensionStatus::TransferredOut,
        }
    }

    /// The suspension reason, when suspended.
    pub fn reason(self) -> Option<SuspensionReason> {
        match self {
            Self::Suspended(r) => Some(r),
            _ => None,
        }
    }
}

/// A requested change of status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transition {
    /// Suspend for a reason (CS Art. 32(1)-(5)).
    Suspend(SuspensionReason),
    /// Resume once the cause ends (CS Art. 32: "恢复发放或补发").
    Resume,
    /// Stop on death (CS Art. 32).
    Stop,
    /// Move out of the city (CS Art. 28).
    TransferOut,
}

/// Why a transition is refused; the API answers 409 with the code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TransitionError {
    /// Suspending a suspended pension.
    #[error("the pension is already suspended ({0})")]
    AlreadySuspended(SuspensionReason),
    /// Resuming a pension that is paid.
    #[error("the pension is not suspended")]
    NotSuspended,
    /// Any change to a stopped pension (only a death reversal, later, restores it).
    #[error("the pension is stopped")]
    Stopped,
    /// Any change to a pension that moved out of the city.
    #[error("the pension was transferred out of the city")]
    TransferredOut,
}

impl crate::RuleViolation for TransitionError {
    fn code(&self) -> &'static str {
        match self {
            Self::AlreadySuspended(_) => "already_suspended",
            Self::NotSuspended => "not_suspended",
            Self::Stopped => "pension_stopped",
            Self::TransferredOut => "pension_transferred_out",
        }
    }

    fn message_zh(&self) -> String {
        match self {
            Self::AlreadySuspended(r) => format!("养老金已暂停发放（{}）", r.label_zh()),
            Self::NotSuspended => "养老金未处于暂停状态，无需恢复".into(),
            Self::Stopped => "养老金已终止发放，状态不能再变更".into(),
            Self::TransferredOut => "该人员已转出本市，状态不能再变更".into(),
        }
    }

    fn message_en(&self) -> String {
        self.to_string()
    }
}

/// The state after `transition` from `from`, or why it is illegal (CS Art. 32, JN Art. 34).
pub fn transition(from: PensionState, transition: Transition) -> Result<PensionState, TransitionError> {
    use PensionState as S;
    use Transition as T;
    match (from, transition) {
        (S::Stopped, _) => Err(TransitionError::Stopped),
        (S::TransferredOut, _) => Err(TransitionError::TransferredOut),
        (S::Normal, T::Suspend(r)) => Ok(S::Suspended(r)),
        (S::Suspended(current), T::Suspend(_)) => Err(TransitionError::AlreadySuspended(current)),
        (S::Suspended(_), T::Resume) => Ok(S::Normal),
        (S::Normal, T::Resume) => Err(TransitionError::NotSuspended),
        (S::Normal | S::Suspended(_), T::Stop) => Ok(S::Stopped),
        (S::Normal | S::Suspended(_), T::TransferOut) => Ok(S::TransferredOut),
    }
}

/// The first day of the month of `date`: status changes take effect by month.
pub fn month_of(date: Date) -> Date {
    date.replace_day(1).unwrap_or(date)
}

/// Whole months from the month of `from` to the month of `to` (0 when `to` is not later).
pub fn months_between(from: Date, to: Date) -> u32 {
    let a = from.year() * 12 + i32::from(from.month() as u8);
    let b = to.year() * 12 + i32::from(to.month() as u8);
    u32::try_from(b - a).unwrap_or(0)
}

/// `date` plus `months` calendar months; a day that does not exist in the target month becomes its last day
/// (31 January + 1 month = 28 or 29 February). `None` beyond the calendar.
pub fn add_months(date: Date, months: u32) -> Option<Date> {
    let index = date.year() * 12 + i32::from(date.month() as u8) - 1 + i32::try_from(months).ok()?;
    let year = index.div_euclid(12);
    let month = Month::try_from(u8::try_from(index.rem_euclid(12) + 1).ok()?).ok()?;
    let last = time::util::days_in_month(month, year);
    Date::from_calendar_date(year, month, date.day().min(last)).ok()
}

/// What a resumption pays back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BackPay {
    /// Months the pension was suspended: from the suspension month up to, not including, the resumption month.
    pub months_suspended: u32,
    /// Whether the policy pays those months back for the reason.
    pub granted: bool,
    /// Months paid back (`months_suspended` when granted, else 0).
    pub months_paid: u32,
    /// `months_paid` × monthly pension in fen; `None` when the monthly pension is not on record, or beyond range.
    pub amount_fen: Option<i64>,
}

/// The back-pay owed when a pension suspended for `reason` from `suspended_from` resumes in the month of
/// `resumed_on` (CS Art. 32: "恢复发放或补发"; the policy says which reasons earn it). A suspension from March
/// resumed in July pays March to June: four months.
pub fn back_pay(
    policy: &Policy,
    reason: SuspensionReason,
    suspended_from: Date,
    resumed_on: Date,
    monthly_pension_fen: Option<i64>,
) -> BackPay {
    let months_suspended = months_between(suspended_from, resumed_on);
    let granted = policy.back_pay_for(reason);
    let months_paid = if granted { months_suspended } else { 0 };
    let amount_fen = monthly_pension_fen.and_then(|m| m.checked_mul(i64::from(months_paid)));
    BackPay { months_suspended, granted, months_paid, amount_fen }
}

crate::code_enum! {
    /// How a person was certified (XM Art. 15; CS Art. 7(3)3; JN Art. 7(3)).
    CertificationMethod {
        /// Shared government data: medical visits, insurance use, travel (XM Art. 15(1), CS Art. 27).
        DataComparison = "data_comparison": "信息比对",
        /// Self-service face recognition (XM Art. 15(1)).
        FaceRecognition = "face_recognition": "自助人脸识别",
        /// At the community station (XM Art. 15(2)).
        CommunityWorker = "community_worker": "社区工作人员认证",
        /// By the self-management group leader (XM Art. 15(2)).
        GroupLeader = "group_leader": "自管小组长认证",
        /// Remote assistance for those living elsewhere (XM Art. 15(2)).
        RemoteAssistance = "remote_assistance": "异地协助认证",
        /// A third-party field visit (XM Art. 15(2)).
        ThirdPartyVisit = "third_party_visit": "第三方实地核查",
        /// A home visit for those who cannot come (XM Art. 15(3)).
        HomeVisit = "home_visit": "上门认证",
    }
}

crate::code_enum! {
    /// Government data a data comparison rests on (XM Art. 15(1), CS Art. 27).
    DataSource {
        MedicalVisit = "medical_visit": "就医记录",
        InsuranceUse = "insurance_use": "医保使用记录",
        Travel = "travel": "出行记录",
        Other = "other": "其他共享数据",
    }
}

crate::code_enum! {
    /// Why a person cannot come to certify and is visited at home instead (XM Art. 15(3)).
    CertificationBarrier {
        Bedridden = "bedridden": "长期卧床",
        MobilityImpaired = "mobility_impaired": "行动不便",
        CareHome = "care_home": "入住养老机构",
        PsychiatricHospital = "psychiatric_hospital": "住精神病院",
    }
}

crate::code_enum! {
    /// Where a person stands with the annual certification on a date.
    CertificationStatus {
        /// Certified and not yet in the reminder window.
        Certified = "certified": "已认证",
        /// Within the policy's reminder window before the last valid day.
        DueSoon = "due_soon": "即将到期",
        /// Past the last valid day (CS Art. 32(1)).
        Overdue = "overdue": "已逾期",
    }
}

/// The last day a certification on `certified_on` is valid: one policy period later (CS Art. 16(2): at least once
/// a year). A run on that day does not suspend; one on the next day does.
pub fn certified_until(certified_on: Date, period_months: u32) -> Date {
    add_months(certified_on, period_months).unwrap_or(Date::MAX)
}

/// Whether a person valid until `until` is overdue on `on` (CS Art. 32(1): "未按规定时间参加资格认证").
pub fn is_overdue(until: Date, on: Date) -> bool {
    on > until
}

/// The certification status on `on` of a person valid until `until`, with a reminder window of `due_soon_days`.
pub fn certification_status(until: Date, on: Date, due_soon_days: u32) -> CertificationStatus {
    if is_overdue(until, on) {
        CertificationStatus::Overdue
    } else if until - on <= Duration::days(i64::from(due_soon_days)) {
        CertificationStatus::DueSoon
    } else {
        CertificationStatus::Certified
    }
}

/// The first day on which a person valid until `until` counts as due soon.
pub fn due_soon_from(until: Date, due_soon_days: u32) -> Date {
    until.checked_sub(Duration::days(i64::from(due_soon_days))).unwrap_or(Date::MIN)
}

/// The last `until` that is due soon (or overdue) on `on` with a reminder window of `due_soon_days`: a person
/// valid until this day or earlier is not [`CertificationStatus::Certified`] on `on` (the window of
/// [`certification_status`], counted from `on` rather than from `until`, for set-based queries).
pub fn due_soon_until(on: Date, due_soon_days: u32) -> Date {
    on.checked_add(Duration::days(i64::from(due_soon_days))).unwrap_or(Date::MAX)
}

/// Whether a new certification on `certified_on` moves the validity of a person now valid until `until`: a
/// record older than the one on file changes nothing (a feed may send it late).
pub fn extends(until: Date, certified_on: Date, period_months: u32) -> bool {
    certified_until(certified_on, period_months) > until
}

/// Whether certifying resumes a pension suspended for `reason`: only the overdue certification is cured by
/// certifying (CS Art. 32(1)); the other causes end by their own decision.
pub fn certification_resumes(reason: SuspensionReason) -> bool {
    reason == SuspensionReason::CertificationOverdue
}

/// The first day on which a person missing since `missing_since` has been missing for more than `months` months
/// (CS Art. 32(2): "下落不明超过6个月"): the months end on the same day `months` later (the last day of a
/// shorter month), and "more than" begins the day after. Missing since 2026-01-10 with six months: still within
/// them on 2026-07-10, suspendable from 2026-07-11. `Date::MAX` beyond the calendar.
pub fn missing_suspendable_from(missing_since: Date, months: u32) -> Date {
    add_months(missing_since, months).and_then(Date::next_day).unwrap_or(Date::MAX)
}

/// Whether a person missing since `missing_since` may be suspended for `missing_unreported` on `on` (CS Art.
/// 32(2)), with the policy's `months` (`Policy::missing_person_months`).
pub fn missing_suspendable(missing_since: Date, months: u32, on: Date) -> bool {
    on >= missing_suspendable_from(missing_since, months)
}

crate::code_enum! {
    /// Whether a dependant's support (供养) is being paid: dependants who receive support are certified like
    /// retirees (XM Art. 15 last paragraph; GUIDE 二 "对供养的直系亲属视同退休人员").
    SupportStatus {
        /// Not supported: nothing is paid and no certification is asked for.
        NotSupported = "not_supported": "非供养",
        /// Supported, registered while the retiree lives (or until the application after the death is approved):
        /// support starts the month after the retiree's death (GUIDE 五), nothing is paid yet.
        Registered = "registered": "已登记，未开始发放",
        /// Supported and paid.
        Paid = "paid": "正常发放",
        /// Supported, but suspended for an overdue certification (CS Art. 32(1)).
        Suspended = "suspended": "暂停发放",
    }
}

/// The support status of a dependant who is `supported`, whose support has `started`
/// ([`crate::support::support_started`]), suspended since `suspended_from` (if at all): support that has not
/// started is only registered (GUIDE 五; issue 19.10).
pub fn support_status(supported: bool, started: bool, suspended_from: Option<Date>) -> SupportStatus {
    match (supported, started, suspended_from) {
        (false, _, _) => SupportStatus::NotSupported,
        (true, false, _) => SupportStatus::Registered,
        (true, true, None) => SupportStatus::Paid,
        (true, true, Some(_)) => SupportStatus::Suspended,
    }
}

/// Whether a certification on `certified_on` that makes a dependant valid until `valid_until` resumes support
/// suspended for an overdue certification, judged on `on`: only when it leaves them no longer overdue (the same
/// rule as a retiree's, CS Art. 32(1)). `reason` is the cause of the suspension recorded last: support suspended
/// for another cause (a sentence served, issue 19.13) ends by its own decision, not by certifying.
pub fn support_resumes(
    suspended_from: Option<Date>,
    reason: Option<SuspensionReason>,
    valid_until: Date,
    on: Date,
) -> bool {
    suspended_from.is_some() && reason.is_none_or(certification_resumes) && !is_overdue(valid_until, on)
}

/// The validity of a person valid until `until` after recording a certification that is valid until `new_until`
/// (issue 19.2; CS Art. 16(2), 32(1)): a later validity always moves it; an earlier one only when the
/// certification is the latest on record (`latest_on_record`: no certification of the person is dated after it),
/// since the validity then rests on it and on nothing newer (a person registered with a fresh period whose real
/// last certification is recorded afterwards is overdue at once). `None`: the validity stays.
pub fn validity_after(until: Date, new_until: Date, latest_on_record: bool) -> Option<Date> {
    (new_until > until || (latest_on_record && new_until != until)).then_some(new_until)
}

/// Why a last certification loaded with a person (registration, roster import, handover; issue 19.2) is refused:
/// `None` when it may stand. It cannot be after `today` (a certification not yet made), nor before the person's
/// retirement (certification is of people drawing a pension: CS Art. 16(2)).
pub fn loaded_certification_refusal(
    certified_on: Date,
    retirement_date: Date,
    today: Date,
) -> Option<crate::ErrorCode> {
    if certified_on > today {
        Some(crate::ErrorCode::DateInFuture)
    } else if certified_on < retirement_date {
        Some(crate::ErrorCode::BeforeRetirement)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::presets;
    use time::macros::date;

    #[test]
    fn legal_transitions() {
        // CS Art. 32: suspended when a cause arises, resumed when it ends, stopped on death.
        let r = SuspensionReason::CertificationOverdue;
        assert_eq!(transition(PensionState::Normal, Transition::Suspend(r)), Ok(PensionState::Suspended(r)));
        assert_eq!(transition(PensionState::Suspended(r), Transition::Resume), Ok(PensionState::Normal));
        assert_eq!(transition(PensionState::Suspended(r), Transition::Stop), Ok(PensionState::Stopped));
        assert_eq!(transition(PensionState::Normal, Transition::TransferOut), Ok(PensionState::TransferredOut));
    }

    #[test]
    fn illegal_transitions() {
        // CS Art. 32: nobody is suspended twice, and a stopped pension stays stopped.
        let r = SuspensionReason::Imprisoned;
        assert_eq!(
            transition(PensionState::Suspended(r), Transition::Suspend(SuspensionReason::CertificationOverdue)),
            Err(TransitionError::AlreadySuspended(r))
        );
        assert_eq!(transition(PensionState::Normal, Transition::Resume), Err(TransitionError::NotSuspended));
        assert_eq!(transition(PensionState::Stopped, Transition::Resume), Err(TransitionError::Stopped));
        assert_eq!(
            transition(PensionState::TransferredOut, Transition::Suspend(r)),
            Err(TransitionError::TransferredOut)
        );
        use crate::RuleViolation;
        assert_eq!(TransitionError::Stopped.code(), "pension_stopped");
    }

    #[test]
    fn state_round_trips_through_its_parts() {
        let s = PensionState::Suspended(SuspensionReason::SuspectedDeath);
        assert_eq!(PensionState::from_parts(s.status().as_str(), s.reason().map(|r| r.as_str())), Some(s));
        assert_eq!(PensionState::from_parts("suspended", None), None);
        assert_eq!(PensionState::from_parts("normal", None), Some(PensionState::Normal));
    }

    #[test]
    fn four_months_back_pay_from_march_to_july() {
        // CS Art. 32(1): suspended in March for an overdue certification, certified in July: March-June paid back.
        let p = presets::defaults();
        let b = back_pay(
            &p,
            SuspensionReason::CertificationOverdue,
            date!(2026 - 03 - 01),
            date!(2026 - 07 - 15),
            Some(350_000),
        );
        assert_eq!(b, BackPay { months_suspended: 4, granted: true, months_paid: 4, amount_fen: Some(1_400_000) });
    }

    #[test]
    fn imprisonment_earns_no_back_pay_by_default() {
        // CS Art. 32(3) with the national rule: no basic pension for the months served.
        let p = presets::defaults();
        let b = back_pay(&p, SuspensionReason::Imprisoned, date!(2025 - 01 - 01), date!(2026 - 01 - 01), Some(1));
        assert_eq!(b, BackPay { months_suspended: 12, granted: false, months_paid: 0, amount_fen: Some(0) });
    }

    #[test]
    fn back_pay_without_a_pension_on_record_has_no_amount() {
        let p = presets::defaults();
        let b = back_pay(&p, SuspensionReason::OtherLegal, date!(2026 - 01 - 31), date!(2026 - 02 - 01), None);
        assert_eq!((b.months_paid, b.amount_fen), (1, None));
        // Resumed in the month of the suspension: nothing was missed.
        let b = back_pay(&p, SuspensionReason::OtherLegal, date!(2026 - 02 - 01), date!(2026 - 02 - 27), Some(9));
        assert_eq!((b.months_suspended, b.amount_fen), (0, Some(0)));
    }

    #[test]
    fn months_clamp_to_the_end_of_the_month() {
        assert_eq!(add_months(date!(2026 - 01 - 31), 1), Some(date!(2026 - 02 - 28)));
        assert_eq!(add_months(date!(2024 - 02 - 29), 12), Some(date!(2025 - 02 - 28)));
        assert_eq!(add_months(date!(2026 - 11 - 23), 14), Some(date!(2028 - 01 - 23)));
        assert_eq!(months_between(date!(2025 - 12 - 31), date!(2026 - 01 - 01)), 1);
        assert_eq!(months_between(date!(2026 - 05 - 01), date!(2026 - 03 - 01)), 0);
    }

    #[test]
    fn last_valid_day_is_not_overdue() {
        // CS Art. 16(2), 32(1): certified on 2025-07-01 for twelve months, valid through 2026-07-01.
        let until = certified_until(date!(2025 - 07 - 01), 12);
        assert_eq!(until, date!(2026 - 07 - 01));
        assert!(!is_overdue(until, date!(2026 - 07 - 01)));
        assert!(is_overdue(until, date!(2026 - 07 - 02)));
    }

    #[test]
    fn status_by_window() {
        let until = date!(2026 - 07 - 01);
        assert_eq!(certification_status(until, date!(2026 - 05 - 31), 30), CertificationStatus::Certified);
        assert_eq!(certification_status(until, date!(2026 - 06 - 01), 30), CertificationStatus::DueSoon);
        assert_eq!(due_soon_from(until, 30), date!(2026 - 06 - 01));
        assert_eq!(certification_status(until, date!(2026 - 07 - 01), 30), CertificationStatus::DueSoon);
        assert_eq!(certification_status(until, date!(2026 - 07 - 02), 30), CertificationStatus::Overdue);
    }

    #[test]
    fn due_soon_until_is_the_last_day_of_the_window() {
        // Valid through 2026-07-01 with a 30-day window: due soon from 2026-06-01 on.
        let on = date!(2026 - 06 - 01);
        assert_eq!(due_soon_until(on, 30), date!(2026 - 07 - 01));
        assert_eq!(certification_status(date!(2026 - 07 - 01), on, 30), CertificationStatus::DueSoon);
        assert_eq!(certification_status(date!(2026 - 07 - 02), on, 30), CertificationStatus::Certified);
        assert_eq!(due_soon_until(Date::MAX, 1), Date::MAX);
    }

    #[test]
    fn only_certification_cures_an_overdue_suspension() {
        // CS Art. 32(1): "未按规定时间参加资格认证的" ends when the person is certified.
        assert!(certification_resumes(SuspensionReason::CertificationOverdue));
        assert!(!certification_resumes(SuspensionReason::Imprisoned));
        assert!(!certification_resumes(SuspensionReason::SuspectedDeath));
        assert!(extends(date!(2026 - 07 - 01), date!(2025 - 08 - 01), 12));
        assert!(!extends(date!(2026 - 07 - 01), date!(2025 - 06 - 01), 12));
    }

    #[test]
    fn missing_person_suspendable_the_day_after_the_months_end() {
        // CS Art. 32(2): "下落不明超过6个月" — six months end on 2026-07-10; more than six from 2026-07-11.
        let months = presets::defaults().missing_person_months.value;
        assert_eq!(months, 6);
        let since = date!(2026 - 01 - 10);
        assert_eq!(missing_suspendable_from(since, months), date!(2026 - 07 - 11));
        assert!(!missing_suspendable(since, months, date!(2026 - 07 - 10)));
        assert!(missing_suspendable(since, months, date!(2026 - 07 - 11)));
        assert!(!missing_suspendable(since, months, since));
    }

    #[test]
    fn missing_person_months_end_on_the_last_day_of_a_short_month() {
        // CS Art. 32(2): missing since 31 August, six months end on 28 February; suspendable from 1 March.
        assert_eq!(missing_suspendable_from(date!(2025 - 08 - 31), 6), date!(2026 - 03 - 01));
        // In a leap year the months end on 29 February.
        assert_eq!(missing_suspendable_from(date!(2027 - 08 - 31), 6), date!(2028 - 03 - 01));
        assert_eq!(missing_suspendable_from(date!(2027 - 08 - 29), 6), date!(2028 - 03 - 01));
        assert_eq!(missing_suspendable_from(date!(2027 - 08 - 28), 6), date!(2028 - 02 - 29));
        // A policy of three months moves the day.
        assert_eq!(missing_suspendable_from(date!(2026 - 01 - 10), 3), date!(2026 - 04 - 11));
        assert_eq!(missing_suspendable_from(Date::MAX, 6), Date::MAX);
    }

    #[test]
    fn dependants_are_certified_like_retirees() {
        // XM Art. 15 last paragraph, GUIDE 二: a supported dependant is paid until the certification lapses;
        // CS Art. 32(1): suspended when overdue, resumed by a certification that makes them valid again.
        assert_eq!(support_status(false, true, Some(date!(2026 - 03 - 01))), SupportStatus::NotSupported);
        assert_eq!(support_status(true, true, None), SupportStatus::Paid);
        assert_eq!(support_status(true, true, Some(date!(2026 - 03 - 01))), SupportStatus::Suspended);
        // GUIDE 五, issue 19.10: while the retiree lives the support is registered, not paid.
        assert_eq!(support_status(true, false, None), SupportStatus::Registered);
        assert_eq!(support_status(true, false, Some(date!(2026 - 03 - 01))), SupportStatus::Registered);
        let on = date!(2026 - 07 - 10);
        let overdue = Some(SuspensionReason::CertificationOverdue);
        assert!(support_resumes(Some(date!(2026 - 03 - 01)), overdue, date!(2027 - 07 - 10), on));
        assert!(!support_resumes(Some(date!(2026 - 03 - 01)), overdue, date!(2026 - 07 - 09), on));
        assert!(!support_resumes(None, None, date!(2027 - 07 - 10), on));
        // CS Art. 32(3), issue 19.13: a sentence served is not cured by certifying.
        let jailed = Some(SuspensionReason::Imprisoned);
        assert!(!support_resumes(Some(date!(2026 - 03 - 01)), jailed, date!(2027 - 07 - 10), on));
        // Four months back, March to June, as for a retiree.
        assert_eq!(months_between(date!(2026 - 03 - 01), on), 4);
    }

    #[test]
    fn the_latest_certification_on_record_sets_the_validity_even_when_older() {
        // Issue 19.2; CS Art. 16(2), 32(1): registered with a fresh period to 2027-12-06, last really certified on
        // 2025-06-01 (valid to 2026-06-01 with 12 months): overdue at once.
        let fresh = date!(2027 - 12 - 06);
        let real = certified_until(date!(2025 - 06 - 01), 12);
        assert_eq!(real, date!(2026 - 06 - 01));
        assert_eq!(validity_after(fresh, real, true), Some(real));
        assert!(is_overdue(real, date!(2026 - 12 - 06)));
        // An older record that is not the latest (a newer one is on file) is history only.
        assert_eq!(validity_after(fresh, real, false), None);
        // A newer one always extends; the same validity changes nothing.
        assert_eq!(validity_after(real, fresh, false), Some(fresh));
        assert_eq!(validity_after(real, real, true), None);
    }

    #[test]
    fn a_loaded_last_certification_is_neither_in_the_future_nor_before_retirement() {
        // Issue 19.2; CS Art. 16(2): only a pensioner is certified, and not on a day still to come.
        let (retired, today) = (date!(2015 - 01 - 01), date!(2026 - 12 - 06));
        assert_eq!(loaded_certification_refusal(date!(2025 - 06 - 01), retired, today), None);
        assert_eq!(loaded_certification_refusal(today, retired, today), None);
        assert_eq!(loaded_certification_refusal(retired, retired, today), None);
        assert_eq!(
            loaded_certification_refusal(date!(2026 - 12 - 07), retired, today),
            Some(crate::ErrorCode::DateInFuture)
        );
        assert_eq!(
            loaded_certification_refusal(date!(2014 - 12 - 31), retired, today),
            Some(crate::ErrorCode::BeforeRetirement)
        );
    }
}
