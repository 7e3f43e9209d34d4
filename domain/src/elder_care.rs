//! Elderly care services (养老护理服务; GUIDE 第二部分六「养老护理服务和退休人员养老信息发布和维护管理」): the
//! places care is given (home, community care homes, retiree apartments and other institutions), caregivers in
//! the four grades of the national occupational standard (初级/中级/高级/技师), and the ten-step flow of a care
//! request (1 建立更新数据库 … 10 汇总上报) as a state machine. Every number (stale days, required grades, who bears
//! the cost of which item, the evaluation scale) comes from the effective-dated policy ([`crate::policy::ElderCare`]).

use time::{Date, PrimitiveDateTime};

use crate::RuleViolation;
use crate::policy::ElderCare;

crate::code_enum! {
    /// The kind of a care institution (GUIDE 第二部分六 2: home, community care homes, retiree apartments and other
    /// social care institutions).
    InstitutionKind {
        /// A provider of care at home (居家养老服务机构).
        HomeCareProvider = "home_care_provider": "居家养老服务机构",
        /// A community care home (社区养老院).
        CommunityCareHome = "community_care_home": "社区养老院",
        /// A retiree apartment (退休人员公寓).
        RetireeApartment = "retiree_apartment": "退休人员公寓",
        /// A nursing home (护理院、养老院).
        NursingHome = "nursing_home": "护理院",
        /// A day centre (日间照料中心).
        DayCentre = "day_centre": "日间照料中心",
    }
}

crate::code_enum! {
    /// A care service item (GUIDE 第二部分六 3: daily-life services, primary care, assistance with treatment,
    /// end-of-life care).
    CareItem {
        /// Meal help (助餐).
        MealHelp = "meal_help": "助餐",
        /// Bathing (助浴).
        Bathing = "bathing": "助浴",
        /// Cleaning (助洁).
        Cleaning = "cleaning": "助洁",
        /// Medical assistance (助医).
        MedicalAssistance = "medical_assistance": "助医",
        /// Rehabilitation (康复训练).
        Rehabilitation = "rehabilitation": "康复训练",
        /// Companionship (陪护、精神慰藉).
        Companionship = "companionship": "精神慰藉",
        /// Respite care (喘息服务).
        Respite = "respite": "喘息服务",
        /// Full care (全护理).
        FullCare = "full_care": "全护理",
    }
}

crate::code_enum! {
    /// The grade of a caregiver under the national occupational standard (GUIDE 第二部分六 5(1): "分为初级、中级、
    /// 高级和技师四个级别"), lowest first: the order compares grades.
    CaregiverGrade {
        /// 初级.
        Junior = "junior": "初级",
        /// 中级.
        Intermediate = "intermediate": "中级",
        /// 高级.
        Senior = "senior": "高级",
        /// 技师.
        Technician = "technician": "技师",
    }
}

crate::code_enum! {
    /// Who bears the cost of an item (the regulations leave it to local rules; the policy lists the bearers allowed
    /// per item).
    CostBearer {
        /// The person or the family (个人自费).
        SelfPaid = "self_paid": "个人自费",
        /// A government subsidy (政府补贴).
        GovernmentSubsidy = "government_subsidy": "政府补贴",
        /// Long-term care insurance (长期护理保险).
        CareInsurance = "care_insurance": "长期护理保险",
    }
}

crate::code_enum! {
    /// Where the service is given.
    CarePlace {
        /// At home (居家; the base of care).
        Home = "home": "居家",
        /// At an institution.
        Institution = "institution": "机构",
    }
}

crate::code_enum! {
    /// How often a service is wanted.
    CareFrequency {
        /// Once.
        Once = "once": "一次",
        /// Daily.
        Daily = "daily": "每日",
        /// Weekly.
        Weekly = "weekly": "每周",
        /// Monthly.
        Monthly = "monthly": "每月",
    }
}

crate::code_enum! {
    /// Where a care request stands in the ten-step flow (GUIDE 第二部分六 4).
    CareStatus {
        /// Step 3: received (接服务信息).
        Received = "received": "已受理",
        /// Step 7: eligibility checked and granted (资格审查).
        Eligible = "eligible": "审查通过",
        /// Step 7: eligibility refused (terminal).
        Ineligible = "ineligible": "审查未通过",
        /// Step 4: a caregiver confirmed for the items (配人员和项目).
        Matched = "matched": "已配人员",
        /// Steps 5-6: booked with a fixed time slot (预约服务、确定时间).
        Booked = "booked": "已预约",
        /// The service was given (start, end, who).
        Delivered = "delivered": "已服务",
        /// Step 9: evaluated by the person or the family (评价服务).
        Evaluated = "evaluated": "已评价",
        /// Cancelled before delivery (terminal).
        Cancelled = "cancelled": "已取消",
    }
}

crate::code_enum! {
    /// The result of a spot check (step 8, 服务监督).
    SupervisionResult {
        /// The service was as booked.
        Satisfactory = "satisfactory": "合格",
        /// Problems were found.
        Problem = "problem": "存在问题",
    }
}

/// Something done to a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CareAction {
    /// Step 7: record the eligibility check.
    CheckEligibility {
        /// Whether every item may be received at the bearer's cost.
        eligible: bool,
    },
    /// Step 4: confirm a caregiver.
    Match,
    /// Steps 5-6: book a time slot.
    Book,
    /// Record the service given.
    Deliver,
    /// Step 8: record a spot check.
    Supervise,
    /// Step 9: record the evaluation.
    Evaluate,
    /// Cancel before delivery.
    Cancel,
}

/// Why an action or a booking is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CareError {
    /// The action does not fit the status (409).
    WrongStatus(CareStatus),
    /// The caregiver is booked in an overlapping slot (409).
    BookingConflict,
    /// The slot starts in the past (422).
    SlotInPast,
    /// The slot ends before it starts (422).
    SlotOrder,
    /// The caregiver's grade is below the one the item requires (422).
    GradeTooLow {
        /// Required.
        required: CaregiverGrade,
        /// The caregiver's.
        actual: CaregiverGrade,
    },
    /// The institution's licence has expired (422).
    LicenceExpired(Date),
    /// The caregiver does not give the item (422).
    ItemNotServed(CareItem),
    /// The institution does not offer the item (422).
    ItemNotOffered(CareItem),
    /// The item may not be received at this bearer's cost under the policy (422).
    BearerNotAllowed(CareItem, CostBearer),
    /// The score is outside the policy's scale (422).
    ScoreOutOfRange(u32),
    /// More beds occupied than the institution has (422).
    BedsOverCapacity,
}

impl RuleViolation for CareError {
    fn code(&self) -> &'static str {
        match self {
            Self::WrongStatus(_) => "care_wrong_status",
            Self::BookingConflict => "care_booking_conflict",
            Self::SlotInPast => "booking_in_past",
            Self::SlotOrder => "slot_order",
            Self::GradeTooLow { .. } => "caregiver_grade_too_low",
            Self::LicenceExpired(_) => "licence_expired",
            Self::ItemNotServed(_) => "care_item_not_served",
            Self::ItemNotOffered(_) => "care_item_not_offered",
            Self::BearerNotAllowed(..) => "care_bearer_not_allowed",
            Self::ScoreOutOfRange(_) => "score_out_of_range",
            Self::BedsOverCapacity => "beds_over_capacity",
        }
    }

    fn message_zh(&self) -> String {
        match self {
            Self::WrongStatus(s) => format!("该服务申请当前状态（{}）不能办理此操作", s.label_zh()),
            Self::BookingConflict => "该护理员在该时段已有预约".into(),
            Self::SlotInPast => "预约时间不能早于当前时间".into(),
            Self::SlotOrder => "结束时间应晚于开始时间".into(),
            Self::GradeTooLow { required, actual } => {
                format!("该项目要求{}及以上护理员，该护理员为{}", required.label_zh(), actual.label_zh())
            }
            Self::LicenceExpired(d) => format!("机构资质已于{d}到期"),
            Self::ItemNotServed(i) => format!("该护理员不提供{}服务", i.label_zh()),
            Self::ItemNotOffered(i) => format!("该机构不提供{}服务", i.label_zh()),
            Self::BearerNotAllowed(i, b) => format!("按现行政策，{}不能由{}承担费用", i.label_zh(), b.label_zh()),
            Self::ScoreOutOfRange(max) => format!("评分应为1至{max}"),
            Self::BedsOverCapacity => "入住床位数不能超过床位总数".into(),
        }
    }

    fn message_en(&self) -> String {
        match self {
            Self::WrongStatus(s) => format!("the request is {s}; this action does not apply"),
            Self::BookingConflict => "the caregiver is booked in an overlapping slot".into(),
            Self::SlotInPast => "a booking cannot start in the past".into(),
            Self::SlotOrder => "the slot must end after it starts".into(),
            Self::GradeTooLow { required, actual } => {
                format!("the item needs a {required} caregiver or above; this one is {actual}")
            }
            Self::LicenceExpired(d) => format!("the institution's licence expired on {d}"),
            Self::ItemNotServed(i) => format!("the caregiver does not give {i}"),
            Self::ItemNotOffered(i) => format!("the institution does not offer {i}"),
            Self::BearerNotAllowed(i, b) => format!("under the policy in force, {i} cannot be paid by {b}"),
            Self::ScoreOutOfRange(max) => format!("the score is 1 to {max}"),
            Self::BedsOverCapacity => "occupied beds cannot exceed the beds".into(),
        }
    }
}

impl CareStatus {
    /// Whether the request may still be cancelled (not delivered, refused or cancelled).
    pub fn is_open(self) -> bool {
        matches!(self, Self::Received | Self::Eligible | Self::Matched | Self::Booked)
    }
}

/// The state machine: the status after `action` on a request in `status`. A spot check (step 8) is recorded on a
/// booked, delivered or evaluated request and leaves the status as it is.
pub fn apply(status: CareStatus, action: CareAction) -> Result<CareStatus, CareError> {
    use CareStatus as S;
    match (status, action) {
        (S::Received, CareAction::CheckEligibility { eligible: true }) => Ok(S::Eligible),
        (S::Received, CareAction::CheckEligibility { eligible: false }) => Ok(S::Ineligible),
        (S::Eligible | S::Matched, CareAction::Match) => Ok(S::Matched),
        (S::Matched | S::Booked, CareAction::Book) => Ok(S::Booked),
        (S::Booked, CareAction::Deliver) => Ok(S::Delivered),
        (S::Booked | S::Delivered | S::Evaluated, CareAction::Supervise) => Ok(status),
        (S::Delivered, CareAction::Evaluate) => Ok(S::Evaluated),
        (s, CareAction::Cancel) if s.is_open() => Ok(S::Cancelled),
        (s, _) => Err(CareError::WrongStatus(s)),
    }
}

/// Whether two slots `[a_start, a_end)` and `[b_start, b_end)` overlap (one caregiver, one place at a time).
pub fn overlaps(
    a_start: PrimitiveDateTime,
    a_end: PrimitiveDateTime,
    b_start: PrimitiveDateTime,
    b_end: PrimitiveDateTime,
) -> bool {
    a_start < b_end && b_start < a_end
}

/// The checks of a slot asked at `now`: it ends after it starts and does not start in the past.
pub fn check_slot(start: PrimitiveDateTime, end: PrimitiveDateTime, now: PrimitiveDateTime) -> Vec<CareError> {
    let mut out = Vec::new();
    if end <= start {
        out.push(CareError::SlotOrder);
    }
    if start < now {
        out.push(CareError::SlotInPast);
    }
    out
}

/// The grade the policy requires for `item`; an item the policy does not name needs no more than the lowest grade.
pub fn required_grade(p: &ElderCare, item: CareItem) -> CaregiverGrade {
    p.items.iter().find(|r| r.item == item).map_or(CaregiverGrade::Junior, |r| r.required_grade.value)
}

/// The highest grade any of `items` requires.
pub fn required_for(p: &ElderCare, items: &[CareItem]) -> CaregiverGrade {
    items.iter().map(|i| required_grade(p, *i)).max().unwrap_or(CaregiverGrade::Junior)
}

/// Whether a caregiver of `grade` may give `items` (GUIDE 第二部分六 5(1): the grades of the national standard).
pub fn check_grade(p: &ElderCare, items: &[CareItem], grade: CaregiverGrade) -> Result<(), CareError> {
    let required = required_for(p, items);
    if grade >= required { Ok(()) } else { Err(CareError::GradeTooLow { required, actual: grade }) }
}

/// The items of `items` that may not be received at `bearer`'s cost (step 7, 资格审查). An item the policy does not
/// name is received at the person's own cost only.
pub fn ineligible_items(p: &ElderCare, items: &[CareItem], bearer: CostBearer) -> Vec<CareItem> {
    items
        .iter()
        .copied()
        .filter(|i| match p.items.iter().find(|r| r.item == *i) {
            Some(rule) => !rule.cost_bearers.iter().any(|b| b.value == bearer),
            None => bearer != CostBearer::SelfPaid,
        })
        .collect()
}

/// Whether a licence expiring on `expires_on` is valid on `on` (the expiry day is still valid).
pub fn licence_valid(expires_on: Option<Date>, on: Date) -> bool {
    expires_on.is_none_or(|d| on <= d)
}

/// The last day the information of an institution verified on `last_verified` is current (GUIDE 第二部分六 6: the
/// information is collected and kept current; the policy's `institution_stale_days`).
pub fn current_until(p: &ElderCare, last_verified: Date) -> Option<Date> {
    last_verified.checked_add(time::Duration::days(i64::from(p.institution_stale_days.value)))
}

/// Whether an institution verified on `last_verified` is stale on `today`.
pub fn is_stale(p: &ElderCare, last_verified: Date, today: Date) -> bool {
    current_until(p, last_verified).is_none_or(|d| d < today)
}

/// Whether `score` is on the policy's scale (1 to `evaluation_max_score`).
pub fn check_score(p: &ElderCare, score: u32) -> Result<(), CareError> {
    let max = p.evaluation_max_score.value;
    if (1..=max).contains(&score) { Ok(()) } else { Err(CareError::ScoreOutOfRange(max)) }
}

/// Whether `occupied` beds fit in `total`.
pub fn check_beds(total: u32, occupied: u32) -> Result<(), CareError> {
    if occupied <= total { Ok(()) } else { Err(CareError::BedsOverCapacity) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::presets;
    use time::macros::{date, datetime};

    fn policy() -> ElderCare {
        presets::defaults().elder_care
    }

    #[test]
    fn the_ten_steps_in_order() {
        // GUIDE 第二部分六 4: 3 接服务信息 → 7 资格审查 → 4 配人员和项目 → 5/6 预约服务、确定时间 → 8 服务监督 →
        // 9 评价服务.
        let mut s = CareStatus::Received;
        for (action, after) in [
            (CareAction::CheckEligibility { eligible: true }, CareStatus::Eligible),
            (CareAction::Match, CareStatus::Matched),
            (CareAction::Book, CareStatus::Booked),
            (CareAction::Supervise, CareStatus::Booked),
            (CareAction::Deliver, CareStatus::Delivered),
            (CareAction::Supervise, CareStatus::Delivered),
            (CareAction::Evaluate, CareStatus::Evaluated),
            (CareAction::Supervise, CareStatus::Evaluated),
        ] {
            s = apply(s, action).unwrap();
            assert_eq!(s, after);
        }
    }

    #[test]
    fn refusals_of_the_state_machine() {
        // GUIDE 第二部分六 4: no booking before matching, no evaluation before the service.
        assert_eq!(
            apply(CareStatus::Received, CareAction::CheckEligibility { eligible: false }),
            Ok(CareStatus::Ineligible)
        );
        assert_eq!(apply(CareStatus::Eligible, CareAction::Book), Err(CareError::WrongStatus(CareStatus::Eligible)));
        assert_eq!(apply(CareStatus::Booked, CareAction::Evaluate), Err(CareError::WrongStatus(CareStatus::Booked)));
        assert_eq!(
            apply(CareStatus::Ineligible, CareAction::Match),
            Err(CareError::WrongStatus(CareStatus::Ineligible))
        );
        assert_eq!(apply(CareStatus::Booked, CareAction::Cancel), Ok(CareStatus::Cancelled));
        assert_eq!(
            apply(CareStatus::Delivered, CareAction::Cancel),
            Err(CareError::WrongStatus(CareStatus::Delivered))
        );
        assert_eq!(
            apply(CareStatus::Received, CareAction::Supervise),
            Err(CareError::WrongStatus(CareStatus::Received))
        );
        // Rebooking a booked request moves its slot.
        assert_eq!(apply(CareStatus::Booked, CareAction::Book), Ok(CareStatus::Booked));
    }

    #[test]
    fn slots_overlap_and_are_checked() {
        // GUIDE 第二部分六 4 (5 预约服务, 6 确定时间): one caregiver, one slot at a time.
        let a = datetime!(2026-12-08 9:00);
        let b = datetime!(2026-12-08 11:00);
        let c = datetime!(2026-12-08 10:00);
        let d = datetime!(2026-12-08 12:00);
        assert!(overlaps(a, b, c, d));
        assert!(!overlaps(a, c, c, d), "back-to-back slots do not overlap");
        assert_eq!(check_slot(b, a, a), vec![CareError::SlotOrder]);
        assert_eq!(check_slot(a, b, c), vec![CareError::SlotInPast]);
        assert_eq!(check_slot(c, d, a), vec![]);
    }

    #[test]
    fn grades_are_ordered_and_checked() {
        // GUIDE 第二部分六 5(1): "分为初级、中级、高级和技师四个级别".
        assert!(CaregiverGrade::Junior < CaregiverGrade::Intermediate);
        assert!(CaregiverGrade::Senior < CaregiverGrade::Technician);
        let p = policy();
        assert_eq!(required_grade(&p, CareItem::MealHelp), CaregiverGrade::Junior);
        assert_eq!(required_grade(&p, CareItem::FullCare), CaregiverGrade::Senior);
        assert_eq!(
            check_grade(&p, &[CareItem::MealHelp, CareItem::Rehabilitation], CaregiverGrade::Junior),
            Err(CareError::GradeTooLow { required: CaregiverGrade::Intermediate, actual: CaregiverGrade::Junior })
        );
        assert_eq!(check_grade(&p, &[CareItem::FullCare], CaregiverGrade::Technician), Ok(()));
    }

    #[test]
    fn eligibility_by_cost_bearer() {
        // GUIDE 第二部分六 4 (7 资格审查): who may receive which items at whose cost is local policy; the defaults
        // allow every item at the person's own cost only.
        let p = policy();
        assert_eq!(ineligible_items(&p, &[CareItem::Bathing], CostBearer::SelfPaid), vec![]);
        assert_eq!(
            ineligible_items(&p, &[CareItem::Bathing, CareItem::Cleaning], CostBearer::GovernmentSubsidy),
            vec![CareItem::Bathing, CareItem::Cleaning]
        );
    }

    #[test]
    fn licences_and_stale_information() {
        // GUIDE 第二部分六 6: qualifications known, information collected and kept current.
        assert!(licence_valid(Some(date!(2026 - 12 - 31)), date!(2026 - 12 - 31)));
        assert!(!licence_valid(Some(date!(2026 - 12 - 31)), date!(2027 - 01 - 01)));
        assert!(licence_valid(None, date!(2027 - 01 - 01)));
        let p = policy();
        let days = i64::from(p.institution_stale_days.value);
        let verified = date!(2026 - 01 - 01);
        let last = verified + time::Duration::days(days);
        assert!(!is_stale(&p, verified, last));
        assert!(is_stale(&p, verified, last + time::Duration::days(1)));
    }

    #[test]
    fn scores_and_beds() {
        // GUIDE 第二部分六 4 (9 评价服务): the scale is the policy's.
        let p = policy();
        let max = p.evaluation_max_score.value;
        assert_eq!(check_score(&p, max), Ok(()));
        assert_eq!(check_score(&p, 0), Err(CareError::ScoreOutOfRange(max)));
        assert_eq!(check_score(&p, max + 1), Err(CareError::ScoreOutOfRange(max)));
        assert_eq!(check_beds(10, 10), Ok(()));
        assert_eq!(check_beds(10, 11), Err(CareError::BedsOverCapacity));
    }
}
