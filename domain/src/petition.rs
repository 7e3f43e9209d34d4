//! Reception, petitions and letters (接待、信访; GUIDE 第三章三「退休人员社会化管理接待制度」, CS Art. 21, XM Art. 11):
//! what a case is (channel, category, urgency, collective), where it stands (registered → acknowledged → in
//! progress → answered → closed, reopened within a window), who holds it (community → street → district → city,
//! escalated level by level) and when each step is due. Days come from the effective-dated policy
//! ([`crate::policy::Petitions`]), counted in calendar or working days on the working-day calendar.

use time::Date;

use crate::RuleViolation;
use crate::calendar::Calendar;
use crate::jurisdiction::Level;
use crate::policy::{DayCount, Petitions, Sourced};

crate::code_enum! {
    /// How a case reached the service body.
    PetitionChannel {
        /// A visit (来访).
        Visit = "visit": "来访",
        /// A phone call.
        Phone = "phone": "来电",
        /// A letter (来信; GUIDE: "对来信提出的问题，进行登记后…").
        Letter = "letter": "来信",
        /// Online (website, app, mini-program).
        Online = "online": "网上信访",
        /// Transferred from another body (转办).
        Transferred = "transferred": "其他机关转来",
    }
}

crate::code_enum! {
    /// What a case is about.
    PetitionCategory {
        /// A policy question (CS Art. 21: policy consultation).
        PolicyQuestion = "policy_question": "政策咨询",
        /// A service request.
        ServiceRequest = "service_request": "服务需求",
        /// A complaint.
        Complaint = "complaint": "投诉",
        /// Pension payment.
        PensionPayment = "pension_payment": "养老金发放",
        /// Eligibility certification.
        Certification = "certification": "资格认证",
        /// Personnel archive.
        Archive = "archive": "人事档案",
        /// Condolence.
        Condolence = "condolence": "慰问",
        /// Anything else.
        Other = "other": "其他",
    }
}

crate::code_enum! {
    /// How urgent a case is. An emergency is a "special situation" reported upward at once (GUIDE 接待制度).
    Urgency {
        /// Ordinary.
        Normal = "normal": "一般",
        /// Urgent: handled first, same deadlines.
        Urgent = "urgent": "紧急",
        /// Emergency (其它特殊情况): escalated at once on registration.
        Emergency = "emergency": "特急",
    }
}

crate::code_enum! {
    /// Where a case stands.
    PetitionStatus {
        /// Registered, not yet taken up.
        Registered = "registered": "已登记",
        /// Acknowledged: taken up, the person told.
        Acknowledged = "acknowledged": "已受理",
        /// Being handled: an action is recorded.
        InProgress = "in_progress": "办理中",
        /// Answered or solved.
        Answered = "answered": "已答复",
        /// Closed with the outcome and the person's satisfaction.
        Closed = "closed": "已办结",
    }
}

crate::code_enum! {
    /// The person's satisfaction with the answer, asked on closing.
    Satisfaction {
        /// Satisfied.
        Satisfied = "satisfied": "满意",
        /// Not satisfied.
        Dissatisfied = "dissatisfied": "不满意",
        /// Could not be reached.
        NotReached = "not_reached": "未联系上",
    }
}

crate::code_enum! {
    /// Which answer deadline of the GUIDE applies.
    AnswerBasis {
        /// "一般性政策、服务性问题…应在1-3日内给予答复或解决".
        General = "general": "一般性问题",
        /// "本级难以答复或解决的，应及时逐级报告，一般在7-10日内给予答复".
        Escalated = "escalated": "逐级报告",
        /// "有关重大政策问题…一般在一周内给予答复".
        MajorPolicy = "major_policy": "重大政策问题",
        /// "对来信提出的问题…一般应在15日内作出相应答复".
        Letter = "letter": "来信",
    }
}

impl PetitionStatus {
    /// Whether the case still waits for an answer (registered, acknowledged or in progress).
    pub fn is_open(self) -> bool {
        matches!(self, Self::Registered | Self::Acknowledged | Self::InProgress)
    }
}

/// The answer deadline that applies to a case (GUIDE 接待制度): a letter has the letter deadline wherever it is
/// handled ("属于需请示上级主管部门协调解决的，一般应在15日内"); a case escalated at least once the escalated one; a
/// major policy question its week; anything else the general deadline.
pub fn answer_basis(channel: PetitionChannel, escalations: u32, major_policy: bool) -> AnswerBasis {
    if channel == PetitionChannel::Letter {
        AnswerBasis::Letter
    } else if escalations > 0 {
        AnswerBasis::Escalated
    } else if major_policy {
        AnswerBasis::MajorPolicy
    } else {
        AnswerBasis::General
    }
}

/// Whether a case is a collective petition (集体上访): `people` at or above the policy's threshold.
pub fn is_collective(people: u32, p: &Petitions) -> bool {
    people >= p.collective_min_people.value
}

/// Whether a case goes upward at once on registration (GUIDE 接待制度: "如发生退休人员集体上访或其它特殊情况时，
/// 应立即向上一级退管机构报告"): a collective petition or an emergency.
pub fn escalates_at_once(collective: bool, urgency: Urgency) -> bool {
    collective || urgency == Urgency::Emergency
}

/// The level a case goes to from `level` ("逐级报告": one level up): community → street → district → city. The
/// city is the top: `None` (and for a province, which holds no cases).
pub fn level_above(level: Level) -> Option<Level> {
    match level {
        Level::Community => Some(Level::Street),
        Level::Street => Some(Level::District),
        Level::District => Some(Level::City),
        Level::City | Level::Province => None,
    }
}

/// Whether a node of `level` may hold a case: the service bodies of the city (XM Art. 8-11), not a province.
pub fn holds_cases(level: Level) -> bool {
    level != Level::Province
}

/// The day `n` days after `start`, counted as `count` says (the start day is not counted; [`Calendar`]).
pub fn add(calendar: &Calendar, start: Date, n: u32, count: DayCount) -> Option<Date> {
    match count {
        DayCount::Calendar => calendar.add_days(start, n),
        DayCount::Working => calendar.add_working_days(start, n),
    }
}

/// The days and counting of an answer deadline.
pub fn answer_days(p: &Petitions, basis: AnswerBasis) -> (&Sourced<u32>, &Sourced<DayCount>) {
    match basis {
        AnswerBasis::General => (&p.general_answer_days, &p.counting.general_answer),
        AnswerBasis::Escalated => (&p.escalated_answer_days, &p.counting.escalated_answer),
        AnswerBasis::MajorPolicy => (&p.major_policy_answer_days, &p.counting.major_policy_answer),
        AnswerBasis::Letter => (&p.letter_answer_days, &p.counting.letter_answer),
    }
}

/// The deadlines of a case whose clock started on `start` (received, escalated to the level now holding it, or
/// reopened).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Deadlines {
    /// Last day to acknowledge.
    pub acknowledge_by: Date,
    /// Last day to answer.
    pub answer_by: Date,
}

/// The deadlines from `start` under the policy `p` on `calendar`. `None` only past the calendar's end.
pub fn deadlines(calendar: &Calendar, p: &Petitions, basis: AnswerBasis, start: Date) -> Option<Deadlines> {
    let acknowledge_by = add(calendar, start, p.acknowledge_days.value, p.counting.acknowledge.value)?;
    let (days, count) = answer_days(p, basis);
    let answer_by = add(calendar, start, days.value, count.value)?;
    Some(Deadlines { acknowledge_by: acknowledge_by.min(answer_by), answer_by })
}

/// The date a case in `status` is due next: the acknowledgement while registered, the answer while acknowledged
/// or in progress, nothing once answered.
pub fn due_on(status: PetitionStatus, d: Deadlines) -> Option<Date> {
    match status {
        PetitionStatus::Registered => Some(d.acknowledge_by),
        PetitionStatus::Acknowledged | PetitionStatus::InProgress => Some(d.answer_by),
        PetitionStatus::Answered | PetitionStatus::Closed => None,
    }
}

/// Whether an answer on `answered_on` met `answer_by`.
pub fn on_time(answered_on: Date, answer_by: Date) -> bool {
    answered_on <= answer_by
}

/// The last day a case closed on `closed_on` may be reopened.
pub fn reopen_until(calendar: &Calendar, p: &Petitions, closed_on: Date) -> Option<Date> {
    add(calendar, closed_on, p.reopen_window_days.value, p.counting.reopen_window.value)
}

/// Something done to a case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PetitionAction {
    /// Take the case up.
    Acknowledge,
    /// Record a step taken (a call, a visit, an inquiry): the case is in progress.
    RecordAction,
    /// Record the answer.
    Answer,
    /// Close with outcome and satisfaction.
    Close,
    /// Reopen a closed case on `on`; `until` is the last day of the window.
    Reopen {
        /// The day asked.
        on: Date,
        /// The last day of the window.
        until: Date,
    },
    /// Report to the level above the one holding the case (`from`).
    Escalate {
        /// The level holding the case.
        from: Level,
    },
}

/// Why an action is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PetitionError {
    /// The action does not fit the status (409).
    WrongStatus(PetitionStatus),
    /// Closing a case that has no answer (422).
    NoAnswer,
    /// Escalating from the city, the top (422).
    TopLevel,
    /// Reopening after the window (409).
    ReopenWindowPassed(Date),
}

impl RuleViolation for PetitionError {
    fn code(&self) -> &'static str {
        match self {
            Self::WrongStatus(_) => "petition_wrong_status",
            Self::NoAnswer => "petition_answer_required",
            Self::TopLevel => "petition_top_level",
            Self::ReopenWindowPassed(_) => "petition_reopen_window_passed",
        }
    }

    fn message_zh(&self) -> String {
        match self {
            Self::WrongStatus(s) => format!("该件当前状态（{}）不能办理此操作", s.label_zh()),
            Self::NoAnswer => "尚未答复，不能办结；请先登记答复意见".into(),
            Self::TopLevel => "市级为最高一级，不能再向上报告".into(),
            Self::ReopenWindowPassed(d) => format!("已超过重新办理期限（{d}）"),
        }
    }

    fn message_en(&self) -> String {
        match self {
            Self::WrongStatus(s) => format!("the case is {s}; this action does not apply"),
            Self::NoAnswer => "the case has no answer yet; record the answer before closing".into(),
            Self::TopLevel => "the city is the top level; the case cannot be escalated further".into(),
            Self::ReopenWindowPassed(d) => format!("the reopen window ended on {d}"),
        }
    }
}

/// Where a case goes after an action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Outcome {
    /// The status after it.
    pub status: PetitionStatus,
    /// The level now holding the case (escalation), else `None`.
    pub to_level: Option<Level>,
    /// Whether the clock restarts on the day of the action (escalation, reopening).
    pub restart_clock: bool,
}

fn stay(status: PetitionStatus) -> Outcome {
    Outcome { status, to_level: None, restart_clock: false }
}

/// The state machine: what `action` does to a case in `status`.
pub fn apply(status: PetitionStatus, action: PetitionAction) -> Result<Outcome, PetitionError> {
    use PetitionStatus as S;
    match (status, action) {
        (S::Registered, PetitionAction::Acknowledge) => Ok(stay(S::Acknowledged)),
        (S::Registered | S::Acknowledged | S::InProgress, PetitionAction::RecordAction) => Ok(stay(S::InProgress)),
        (S::Registered | S::Acknowledged | S::InProgress, PetitionAction::Answer) => Ok(stay(S::Answered)),
        (S::Answered, PetitionAction::Close) => Ok(stay(S::Closed)),
        (S::Registered | S::Acknowledged | S::InProgress, PetitionAction::Close) => Err(PetitionError::NoAnswer),
        (S::Closed, PetitionAction::Reopen { on, until }) => {
            if on > until {
                Err(PetitionError::ReopenWindowPassed(until))
            } else {
                Ok(Outcome { status: S::InProgress, to_level: None, restart_clock: true })
            }
        }
        (S::Registered | S::Acknowledged | S::InProgress, PetitionAction::Escalate { from }) => {
            let to = level_above(from).ok_or(PetitionError::TopLevel)?;
            // The receiving level takes the case up afresh: its own acknowledgement and answer deadlines.
            Ok(Outcome { status: S::Registered, to_level: Some(to), restart_clock: true })
        }
        (s, _) => Err(PetitionError::WrongStatus(s)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::presets;
    use time::macros::date;

    /// The 2026 arrangement rows that matter here (国务院办公厅关于2026年部分节假日安排的通知): 春节 2月15日至23日
    /// 放假，2月14日、28日上班; 国庆节 10月1日至7日放假，9月20日、10月10日上班; 中秋节 9月25日至27日.
    fn cal_2026() -> Calendar {
        let mut holidays = Vec::new();
        for d in 15..=23 {
            holidays.push(Date::from_calendar_date(2026, time::Month::February, d).unwrap());
        }
        for d in 25..=27 {
            holidays.push(Date::from_calendar_date(2026, time::Month::September, d).unwrap());
        }
        for d in 1..=7 {
            holidays.push(Date::from_calendar_date(2026, time::Month::October, d).unwrap());
        }
        let workdays = [date!(2026 - 02 - 14), date!(2026 - 02 - 28), date!(2026 - 09 - 20), date!(2026 - 10 - 10)];
        Calendar::new(holidays, workdays)
    }

    fn guide() -> Petitions {
        presets::xiamen_2025().petitions
    }

    fn working(mut p: Petitions) -> Petitions {
        p.counting.general_answer.value = DayCount::Working;
        p.counting.escalated_answer.value = DayCount::Working;
        p.counting.major_policy_answer.value = DayCount::Working;
        p.counting.letter_answer.value = DayCount::Working;
        p
    }

    // GUIDE 第三章三: "一般性政策、服务性问题，各退管经办机构应在1-3日内给予答复或解决" — 3 calendar days (日).
    #[test]
    fn general_question_three_calendar_days_run_through_the_spring_festival() {
        let cal = cal_2026();
        let d = deadlines(&cal, &guide(), AnswerBasis::General, date!(2026 - 02 - 13)).unwrap();
        assert_eq!(d.answer_by, date!(2026 - 02 - 16), "calendar days ignore the holiday");
        // Acknowledgement: 1 working day (not stated); Saturday 14th is a make-up working day.
        assert_eq!(d.acknowledge_by, date!(2026 - 02 - 14));
    }

    // GUIDE 第三章三 with a local rule counting working days: the Spring Festival 2026 is skipped.
    #[test]
    fn general_question_in_working_days_skips_the_spring_festival_2026() {
        let cal = cal_2026();
        let p = working(guide());
        let d = deadlines(&cal, &p, AnswerBasis::General, date!(2026 - 02 - 13)).unwrap();
        // 14 (调休上班), then 24, 25.
        assert_eq!(d.answer_by, date!(2026 - 02 - 25));
        // Registered during the holiday: the first working day after it is day 1.
        let d = deadlines(&cal, &p, AnswerBasis::General, date!(2026 - 02 - 17)).unwrap();
        assert_eq!(d.acknowledge_by, date!(2026 - 02 - 24));
        assert_eq!(d.answer_by, date!(2026 - 02 - 26));
    }

    // GUIDE 第三章三: "本级难以答复或解决的，应及时逐级报告，一般在7-10日内给予答复" across National Day 2026.
    #[test]
    fn escalated_case_across_national_day_2026() {
        let cal = cal_2026();
        let d = deadlines(&cal, &guide(), AnswerBasis::Escalated, date!(2026 - 09 - 30)).unwrap();
        assert_eq!(d.answer_by, date!(2026 - 10 - 10), "10 calendar days");
        assert_eq!(d.acknowledge_by, date!(2026 - 10 - 08), "first working day after the holiday");
        let d = deadlines(&cal, &working(guide()), AnswerBasis::Escalated, date!(2026 - 09 - 30)).unwrap();
        // 10 working days after 30 September: 8, 9, 10 (Saturday 调休上班), 12-16, 19, 20 October.
        assert_eq!(d.answer_by, date!(2026 - 10 - 20));
    }

    // GUIDE 第三章三: "对来信提出的问题…一般应在15日内作出相应答复"; "重大政策问题…一般在一周内给予答复".
    #[test]
    fn letters_and_major_policy_questions() {
        let cal = cal_2026();
        let p = guide();
        let d = deadlines(&cal, &p, AnswerBasis::Letter, date!(2026 - 02 - 10)).unwrap();
        assert_eq!(d.answer_by, date!(2026 - 02 - 25));
        let d = deadlines(&cal, &working(p.clone()), AnswerBasis::Letter, date!(2026 - 02 - 10)).unwrap();
        // 11, 12, 13, 14, 24, 25, 26, 27, 28, 3月2-6日, 9日.
        assert_eq!(d.answer_by, date!(2026 - 03 - 09));
        let d = deadlines(&cal, &p, AnswerBasis::MajorPolicy, date!(2026 - 05 - 06)).unwrap();
        assert_eq!(d.answer_by, date!(2026 - 05 - 13));
    }

    // GUIDE 第三章三: which deadline applies.
    #[test]
    fn the_basis_follows_channel_escalation_and_weight() {
        assert_eq!(answer_basis(PetitionChannel::Letter, 2, true), AnswerBasis::Letter);
        assert_eq!(answer_basis(PetitionChannel::Visit, 1, false), AnswerBasis::Escalated);
        assert_eq!(answer_basis(PetitionChannel::Visit, 0, true), AnswerBasis::MajorPolicy);
        assert_eq!(answer_basis(PetitionChannel::Phone, 0, false), AnswerBasis::General);
    }

    // GUIDE 第三章三: "如发生退休人员集体上访或其它特殊情况时，应立即向上一级退管机构报告".
    #[test]
    fn collective_petitions_and_emergencies_go_up_at_once() {
        let p = guide();
        assert!(!is_collective(4, &p));
        assert!(is_collective(5, &p));
        assert!(escalates_at_once(true, Urgency::Normal));
        assert!(escalates_at_once(false, Urgency::Emergency));
        assert!(!escalates_at_once(false, Urgency::Urgent));
    }

    // GUIDE 第三章三: "应及时逐级报告" — one level at a time, the city is the top.
    #[test]
    fn escalation_goes_one_level_up_and_stops_at_the_city() {
        let s = PetitionStatus::InProgress;
        for (from, to) in
            [(Level::Community, Level::Street), (Level::Street, Level::District), (Level::District, Level::City)]
        {
            let out = apply(s, PetitionAction::Escalate { from }).unwrap();
            assert_eq!(out, Outcome { status: PetitionStatus::Registered, to_level: Some(to), restart_clock: true });
        }
        assert_eq!(apply(s, PetitionAction::Escalate { from: Level::City }), Err(PetitionError::TopLevel));
        assert_eq!(PetitionError::TopLevel.code(), "petition_top_level");
        assert_eq!(
            apply(PetitionStatus::Answered, PetitionAction::Escalate { from: Level::Street }),
            Err(PetitionError::WrongStatus(PetitionStatus::Answered))
        );
    }

    // GUIDE 第三章三: "认真记录来访事由，认真处理他们提出的问题" — the life of a case.
    #[test]
    fn a_case_runs_from_registration_to_closing() {
        use PetitionStatus as S;
        assert_eq!(apply(S::Registered, PetitionAction::Acknowledge).unwrap().status, S::Acknowledged);
        assert_eq!(apply(S::Acknowledged, PetitionAction::RecordAction).unwrap().status, S::InProgress);
        assert_eq!(apply(S::InProgress, PetitionAction::Answer).unwrap().status, S::Answered);
        assert_eq!(apply(S::Answered, PetitionAction::Close).unwrap().status, S::Closed);
        assert_eq!(apply(S::InProgress, PetitionAction::Close), Err(PetitionError::NoAnswer));
        assert_eq!(
            apply(S::Acknowledged, PetitionAction::Acknowledge),
            Err(PetitionError::WrongStatus(S::Acknowledged))
        );
        assert_eq!(apply(S::Closed, PetitionAction::Answer), Err(PetitionError::WrongStatus(S::Closed)));
    }

    // Reopening within the policy window (not stated: 30 calendar days).
    #[test]
    fn reopening_only_within_the_window() {
        let cal = cal_2026();
        let until = reopen_until(&cal, &guide(), date!(2026 - 09 - 15)).unwrap();
        assert_eq!(until, date!(2026 - 10 - 15));
        let ok = apply(PetitionStatus::Closed, PetitionAction::Reopen { on: until, until }).unwrap();
        assert_eq!(ok.status, PetitionStatus::InProgress);
        assert!(ok.restart_clock);
        let late = date!(2026 - 10 - 16);
        assert_eq!(
            apply(PetitionStatus::Closed, PetitionAction::Reopen { on: late, until }),
            Err(PetitionError::ReopenWindowPassed(until))
        );
    }

    #[test]
    fn the_due_date_follows_the_status() {
        let d = Deadlines { acknowledge_by: date!(2026 - 03 - 02), answer_by: date!(2026 - 03 - 04) };
        assert_eq!(due_on(PetitionStatus::Registered, d), Some(date!(2026 - 03 - 02)));
        assert_eq!(due_on(PetitionStatus::InProgress, d), Some(date!(2026 - 03 - 04)));
        assert_eq!(due_on(PetitionStatus::Answered, d), None);
        assert!(on_time(date!(2026 - 03 - 04), d.answer_by));
        assert!(!on_time(date!(2026 - 03 - 05), d.answer_by));
    }

    #[test]
    fn the_acknowledgement_is_never_after_the_answer() {
        let mut p = guide();
        p.acknowledge_days.value = 5;
        p.general_answer_days.value = 1;
        let d = deadlines(&Calendar::default(), &p, AnswerBasis::General, date!(2026 - 03 - 02)).unwrap();
        assert_eq!(d.acknowledge_by, d.answer_by);
    }
}
