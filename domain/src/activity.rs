//! Cultural, sports and health activities of retirees (文体健康活动; XM Art. 17; CS Art. 20; JN Art. 30; GUIDE
//! 第四章三): the activity plan a community, street or district makes for a year ("制订切实可行、形式多样的活动
//! 计划", CS Art. 20, JN Art. 30), the activities under it with their kind, day, place, organiser and capacity, the
//! sign-up of retirees and their dependants, and attendance. The texts give no number: capacity is the activity's
//! own, attendance is recorded from the day it is held.

use time::Date;

use crate::RuleViolation;

crate::code_enum! {
    /// The kind of an activity (CS Art. 20: 文化体育健身、疾病预防控制及健康教育; the issue adds outings and interest
    /// groups).
    ActivityKind {
        /// Culture (文化).
        Culture = "culture": "文化活动",
        /// Sports and fitness (体育健身).
        Sports = "sports": "体育健身",
        /// Health education (健康教育).
        HealthEducation = "health_education": "健康教育",
        /// Disease prevention and control (疾病预防控制).
        DiseasePrevention = "disease_prevention": "疾病预防",
        /// An outing (出游).
        Outing = "outing": "出游",
        /// An interest group (兴趣小组).
        InterestGroup = "interest_group": "兴趣小组",
    }
}

/// Why an activity step is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActivityError {
    /// Every place is taken (409).
    Full {
        /// The capacity.
        capacity: u32,
    },
    /// The activity's day lies outside the year of its plan (422).
    OutsidePlan {
        /// The plan's year.
        year: i32,
    },
    /// Attendance before the day the activity is held (422).
    NotHeldYet(Date),
}

impl RuleViolation for ActivityError {
    fn code(&self) -> &'static str {
        match self {
            Self::Full { .. } => "activity_full",
            Self::OutsidePlan { .. } => "activity_outside_plan",
            Self::NotHeldYet(_) => "activity_not_held",
        }
    }

    fn message_zh(&self) -> String {
        match self {
            Self::Full { capacity } => format!("该活动名额已满（{capacity}人）"),
            Self::OutsidePlan { year } => format!("活动日期应在活动计划年度（{year}年）内"),
            Self::NotHeldYet(d) => format!("活动于{d}举行，举行前不能登记参加情况"),
        }
    }

    fn message_en(&self) -> String {
        match self {
            Self::Full { capacity } => format!("every place is taken ({capacity})"),
            Self::OutsidePlan { year } => format!("the activity must be held in its plan's year ({year})"),
            Self::NotHeldYet(d) => format!("the activity is held on {d}; attendance is recorded from that day"),
        }
    }
}

/// Whether one more person may sign up for an activity with `capacity` (none: unlimited) and `signed_up` people.
pub fn check_capacity(capacity: Option<u32>, signed_up: u32) -> Result<(), ActivityError> {
    match capacity {
        Some(c) if signed_up >= c => Err(ActivityError::Full { capacity: c }),
        _ => Ok(()),
    }
}

/// The check that an activity held on `held_on` belongs to a plan of `year` (CS Art. 20, JN Art. 30: the plan
/// comes first).
pub fn check_in_plan(year: i32, held_on: Date) -> Result<(), ActivityError> {
    if held_on.year() == year { Ok(()) } else { Err(ActivityError::OutsidePlan { year }) }
}

/// The check that attendance of an activity held on `held_on` may be recorded on `today`.
pub fn check_attendance(held_on: Date, today: Date) -> Result<(), ActivityError> {
    if today >= held_on { Ok(()) } else { Err(ActivityError::NotHeldYet(held_on)) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn capacity_full_refuses_cs_art_20() {
        // CS Art. 20 / XM Art. 17: activities are organised "立足现有条件": a place has the room it has.
        assert_eq!(check_capacity(Some(2), 1), Ok(()));
        assert_eq!(check_capacity(Some(2), 2), Err(ActivityError::Full { capacity: 2 }));
        assert_eq!(check_capacity(None, 10_000), Ok(()));
        assert_eq!(ActivityError::Full { capacity: 2 }.code(), "activity_full");
    }

    #[test]
    fn activities_belong_to_the_plan_year_jn_art_30() {
        // JN Art. 30: "制订切实可行、形式多样的活动计划".
        assert_eq!(check_in_plan(2026, date!(2026 - 12 - 31)), Ok(()));
        assert_eq!(check_in_plan(2026, date!(2027 - 01 - 01)), Err(ActivityError::OutsidePlan { year: 2026 }));
    }

    #[test]
    fn attendance_from_the_day_held() {
        assert_eq!(check_attendance(date!(2026 - 12 - 06), date!(2026 - 12 - 06)), Ok(()));
        assert_eq!(
            check_attendance(date!(2026 - 12 - 07), date!(2026 - 12 - 06)),
            Err(ActivityError::NotHeldYet(date!(2026 - 12 - 07)))
        );
    }
}
