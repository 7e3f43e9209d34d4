//! Monthly statistical reports (按月计报; GUIDE 交接制度, 第四章二; JN Art. 28: electronic ledgers at every level):
//! the month a report covers, its age bands and the comparison months.
//!
//! The bands come from the policy (`reports.age_bands`, lower bounds in years, ascending); no text sets them.

use time::{Date, Month};

/// The first day of the month of `day`.
pub fn month_start(day: Date) -> Date {
    crate::pension::month_of(day)
}

/// The last day of the month of `day`.
pub fn month_end(day: Date) -> Date {
    day.replace_day(day.month().length(day.year())).unwrap_or(day)
}

/// The first day of the month before the month of `day`.
pub fn previous_month(day: Date) -> Date {
    let first = month_start(day);
    first.previous_day().map_or(first, month_start)
}

/// The first day of the same month one year earlier (GUIDE 第四章二: a report is read against the same month of
/// last year).
pub fn same_month_last_year(day: Date) -> Date {
    let first = month_start(day);
    Date::from_calendar_date(first.year() - 1, first.month(), 1).unwrap_or(first)
}

/// The day a month's figures are judged on: its last day, or `today` when the month is not over yet (a report of
/// the running month shows the state so far).
pub fn as_of(month: Date, today: Date) -> Date {
    month_end(month).min(today.max(month_start(month)))
}

/// The band of a person born on `birth` on `on`: the greatest lower bound in `bands` (ascending) not above their
/// age, or 0 when they are younger than the first bound.
pub fn age_band(birth: Date, on: Date, bands: &[u32]) -> u32 {
    let age = crate::age_on(birth, on);
    bands.iter().copied().filter(|b| i64::from(*b) <= i64::from(age)).max().unwrap_or(0)
}

/// The Chinese label of the band starting at `lower` among `bands`: `60岁以下`, `60-69岁`, `90岁及以上`.
pub fn band_label_zh(lower: u32, bands: &[u32]) -> String {
    let first = bands.first().copied().unwrap_or(0);
    if lower < first || (lower == 0 && first > 0) {
        return format!("{first}岁以下");
    }
    match bands.iter().copied().find(|b| *b > lower) {
        Some(next) => format!("{lower}-{}岁", next - 1),
        None => format!("{lower}岁及以上"),
    }
}

/// The stable code of the band starting at `lower`: `under_60`, `60_69`, `90_plus`.
pub fn band_code(lower: u32, bands: &[u32]) -> String {
    let first = bands.first().copied().unwrap_or(0);
    if lower < first || (lower == 0 && first > 0) {
        return format!("under_{first}");
    }
    match bands.iter().copied().find(|b| *b > lower) {
        Some(next) => format!("{lower}_{}", next - 1),
        None => format!("{lower}_plus"),
    }
}

/// Every band's lower bound, the "below the first" band (0) first.
pub fn band_bounds(bands: &[u32]) -> Vec<u32> {
    let mut out = vec![0];
    out.extend(bands.iter().copied().filter(|b| *b > 0));
    out
}

/// Whether a special-group flag from `from` to `to` (inclusive; open-ended without it) is in force on `on` (GUIDE
/// 第四章五: flags with dates for the groups the data cannot compute).
pub fn flag_in_force(from: Date, to: Option<Date>, on: Date) -> bool {
    from <= on && to.is_none_or(|t| t >= on)
}

/// The six groups of the special-group ledgers (特殊群体台账, GUIDE 第四章五).
pub const LEDGER_GROUPS: [crate::SpecialGroup; 6] = [
    crate::SpecialGroup::AdvancedAge,
    crate::SpecialGroup::WidowedChildless,
    crate::SpecialGroup::SeriouslyIll,
    crate::SpecialGroup::SevereHardship,
    crate::SpecialGroup::PreLiberationWorker,
    crate::SpecialGroup::ModelWorker,
];

crate::code_enum! {
    /// Where a person stands in a special-group ledger (GUIDE 第四章五: classify, verify, maintain).
    LedgerStatus {
        /// Computed a member and confirmed by a worker within the policy's interval.
        Verified = "verified": "已核实",
        /// Computed a member, never verified.
        Unverified = "unverified": "待核实",
        /// Recorded a member, the last verification older than the interval.
        Stale = "stale": "核实已过期",
        /// The computed and the recorded membership disagree.
        Disagrees = "disagrees": "计算与核实结果不一致",
    }
}

/// The ledger status of a person: `computed` (from the data: age, dated flags), the last verification (`member`,
/// day), judged on `on` with the interval `interval_days` (policy `reports.ledger_verification_days`); `None` when
/// the person is not in the ledger (neither computed nor recorded a member). GUIDE 第四章五 steps 1, 2, 5.
pub fn ledger_status(computed: bool, last: Option<(bool, Date)>, on: Date, interval_days: u32) -> Option<LedgerStatus> {
    match last {
        None if computed => Some(LedgerStatus::Unverified),
        None => None,
        Some((member, _)) if member != computed => Some(LedgerStatus::Disagrees),
        Some((false, _)) => None,
        Some((true, day)) if day < stale_before(on, interval_days) => Some(LedgerStatus::Stale),
        Some((true, _)) => Some(LedgerStatus::Verified),
    }
}

/// The first day a verification is still fresh on `on`: `on − interval_days`.
pub fn stale_before(on: Date, interval_days: u32) -> Date {
    on.checked_sub(time::Duration::days(i64::from(interval_days))).unwrap_or(on)
}

/// `YYYY-MM` of the month of `day`.
pub fn month_code(day: Date) -> String {
    format!("{:04}-{:02}", day.year(), u8::from(day.month()))
}

/// January of the year of `day`.
pub fn year_start(day: Date) -> Date {
    Date::from_calendar_date(day.year(), Month::January, 1).unwrap_or(day)
}

crate::code_enum! {
    /// Where a node's month stands.
    MonthStatus {
        /// Not closed: the figures are counted when asked for.
        Open = "open": "未结账",
        /// Closed: the report is a frozen snapshot.
        Closed = "closed": "已结账",
        /// Closed, then reopened by an administrator with a reason.
        Reopened = "reopened": "已重新打开",
    }
}

/// Why a month cannot be closed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CloseError {
    /// The month has not ended on `today`.
    NotOver,
    /// Closed already.
    AlreadyClosed,
    /// These children have not closed it (GUIDE 交接制度: the community first, then the street, the district, the
    /// city).
    ChildrenOpen(Vec<String>),
}

impl crate::RuleViolation for CloseError {
    fn code(&self) -> &'static str {
        match self {
            Self::NotOver => "month_not_over",
            Self::AlreadyClosed => "month_closed",
            Self::ChildrenOpen(_) => "children_not_closed",
        }
    }
    fn message_zh(&self) -> String {
        match self {
            Self::NotOver => "该月尚未结束，不能结账".into(),
            Self::AlreadyClosed => "该月已结账".into(),
            Self::ChildrenOpen(c) => format!("下级尚未结账：{}", c.join("、")),
        }
    }
    fn message_en(&self) -> String {
        match self {
            Self::NotOver => "the month is not over; it cannot be closed yet".into(),
            Self::AlreadyClosed => "the month is closed already".into(),
            Self::ChildrenOpen(c) => format!("these children have not closed the month: {}", c.join(", ")),
        }
    }
}

/// Whether a node may close `month` on `today`: the month is over, the node has not closed it (`status`), and every
/// child has (`children`: code and status) — a community closes first, then its street, district and city
/// (GUIDE 交接制度 "按月计报"; JN Art. 28: ledgers at every level).
pub fn check_close(
    month: Date,
    today: Date,
    status: MonthStatus,
    children: &[(String, MonthStatus)],
) -> Result<(), CloseError> {
    if today <= month_end(month) {
        return Err(CloseError::NotOver);
    }
    if status == MonthStatus::Closed {
        return Err(CloseError::AlreadyClosed);
    }
    let open: Vec<String> =
        children.iter().filter(|(_, s)| *s != MonthStatus::Closed).map(|(c, _)| c.clone()).collect();
    if !open.is_empty() {
        return Err(CloseError::ChildrenOpen(open));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    const BANDS: [u32; 4] = [60, 70, 80, 90];

    #[test]
    fn months_around_a_report() {
        // GUIDE 第四章二 按月计报: the month, the one before it and the same month a year earlier.
        assert_eq!(month_end(date!(2024 - 02 - 10)), date!(2024 - 02 - 29));
        assert_eq!(month_end(date!(2026 - 12 - 01)), date!(2026 - 12 - 31));
        assert_eq!(previous_month(date!(2026 - 01 - 15)), date!(2025 - 12 - 01));
        assert_eq!(same_month_last_year(date!(2024 - 02 - 29)), date!(2023 - 02 - 01));
        assert_eq!(as_of(date!(2026 - 12 - 01), date!(2026 - 12 - 06)), date!(2026 - 12 - 06));
        assert_eq!(as_of(date!(2026 - 11 - 01), date!(2026 - 12 - 06)), date!(2026 - 11 - 30));
        assert_eq!(month_code(date!(2026 - 03 - 31)), "2026-03");
    }

    #[test]
    fn age_bands_count_the_birthday() {
        // Bands are policy values (not stated); age is counted as domain::age_on does.
        let on = date!(2026 - 11 - 30);
        assert_eq!(age_band(date!(1966 - 11 - 30), on, &BANDS), 60);
        assert_eq!(age_band(date!(1966 - 12 - 01), on, &BANDS), 0);
        assert_eq!(age_band(date!(1956 - 11 - 30), on, &BANDS), 70);
        assert_eq!(age_band(date!(1930 - 01 - 01), on, &BANDS), 90);
        assert_eq!(age_band(date!(1952 - 02 - 29), date!(2022 - 02 - 28), &BANDS), 60);
        assert_eq!(age_band(date!(1952 - 02 - 29), date!(2022 - 03 - 01), &BANDS), 70);
    }

    #[test]
    fn a_parent_closes_after_its_children() {
        // GUIDE 交接制度 按月计报: community → street → district → city; a month closes once it is over.
        let nov = date!(2026 - 11 - 01);
        let closed = MonthStatus::Closed;
        let kids = |s: MonthStatus| vec![("350203001001".to_owned(), closed), ("350203001004".to_owned(), s)];
        assert_eq!(check_close(nov, date!(2026 - 11 - 30), MonthStatus::Open, &[]), Err(CloseError::NotOver));
        assert_eq!(check_close(nov, date!(2026 - 12 - 01), MonthStatus::Open, &[]), Ok(()));
        assert_eq!(check_close(nov, date!(2026 - 12 - 06), closed, &[]), Err(CloseError::AlreadyClosed));
        assert_eq!(
            check_close(nov, date!(2026 - 12 - 06), MonthStatus::Open, &kids(MonthStatus::Reopened)),
            Err(CloseError::ChildrenOpen(vec!["350203001004".to_owned()]))
        );
        assert_eq!(check_close(nov, date!(2026 - 12 - 06), MonthStatus::Reopened, &kids(closed)), Ok(()));
    }

    #[test]
    fn flags_count_both_ends() {
        // GUIDE 第四章五: a flag holds from its start to its end day inclusive.
        let (from, to) = (date!(2026 - 01 - 01), Some(date!(2026 - 06 - 30)));
        assert!(!flag_in_force(from, to, date!(2025 - 12 - 31)));
        assert!(flag_in_force(from, to, from));
        assert!(flag_in_force(from, to, date!(2026 - 06 - 30)));
        assert!(!flag_in_force(from, to, date!(2026 - 07 - 01)));
        assert!(flag_in_force(from, None, date!(2099 - 01 - 01)));
    }

    #[test]
    fn ledger_statuses() {
        // GUIDE 第四章五: 1 classify (computed), 2 verify (worker, date), 5 maintain (stale or disagreeing).
        let on = date!(2026 - 12 - 06);
        let fresh = date!(2025 - 12 - 06);
        let old = date!(2025 - 12 - 05);
        assert_eq!(ledger_status(true, None, on, 365), Some(LedgerStatus::Unverified));
        assert_eq!(ledger_status(false, None, on, 365), None);
        assert_eq!(ledger_status(true, Some((true, fresh)), on, 365), Some(LedgerStatus::Verified));
        assert_eq!(ledger_status(true, Some((true, old)), on, 365), Some(LedgerStatus::Stale));
        assert_eq!(ledger_status(true, Some((false, fresh)), on, 365), Some(LedgerStatus::Disagrees));
        assert_eq!(ledger_status(false, Some((true, fresh)), on, 365), Some(LedgerStatus::Disagrees));
        assert_eq!(ledger_status(false, Some((false, old)), on, 365), None);
        assert_eq!(LEDGER_GROUPS.len(), 6);
    }

    #[test]
    fn band_labels() {
        assert_eq!(band_label_zh(0, &BANDS), "60岁以下");
        assert_eq!(band_label_zh(60, &BANDS), "60-69岁");
        assert_eq!(band_label_zh(90, &BANDS), "90岁及以上");
        assert_eq!(band_code(0, &BANDS), "under_60");
        assert_eq!(band_code(80, &BANDS), "80_89");
        assert_eq!(band_code(90, &BANDS), "90_plus");
        assert_eq!(band_bounds(&BANDS), vec![0, 60, 70, 80, 90]);
    }
}
