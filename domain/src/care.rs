//! Condolences, visits, self-management groups and the service fund (issue 8): the arithmetic, as plain functions.
//! Every amount, share, cap and interval is a policy value passed in, never a constant here.

use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde::{Deserialize, Serialize};
use time::{Date, Duration};

use crate::Money;
use crate::policy::{Ratio, Rounding, Staffing};

crate::code_enum! {
    /// What a self-management group is formed by (CS Art. 19, JN Art. 32: "按居住区域或楼栋").
    GroupBasis {
        Area = "area": "按居住区域",
        Building = "building": "按楼栋",
    }
}

/// Whether one more paid condolence is over the yearly cap, given how many were paid this calendar year
/// (XM Art. 21(2): hospital condolence "每人每年不超过2次（含）"). `None` is no cap.
pub fn over_cap(cap: Option<u32>, paid_this_year: u32) -> bool {
    cap.is_some_and(|c| paid_this_year >= c)
}

/// An amount split between city and district.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Split {
    /// The whole, fen.
    pub total_fen: i64,
    /// City part, fen.
    pub city_fen: i64,
    /// District part, fen.
    pub district_fen: i64,
}

/// Fen times a share, rounded half up to the fen.
fn share_of(fen: i64, share: Ratio) -> i64 {
    (Decimal::from(fen) * share)
        .round_dp_with_strategy(0, rust_decimal::RoundingStrategy::MidpointAwayFromZero)
        .to_i64()
        .unwrap_or(0)
}

/// Splits `total_fen` by the city share; the district takes the rest, so the parts always add up.
pub fn split(total_fen: i64, city_share: Ratio) -> Split {
    let city_fen = share_of(total_fen, city_share);
    Split { total_fen, city_fen, district_fen: total_fen - city_fen }
}

/// The service fund of `headcount` retirees for a year at `per_retiree` yuan each, split by the city share of their
/// management level (XM Art. 21: 400 yuan, 1:1; CS Art. 10 para. 1: 100 yuan, 50/50 or district 100%).
pub fn fund_for(headcount: i64, per_retiree: Money, city_share: Ratio) -> Split {
    split(headcount.saturating_mul(per_retiree.fen()), city_share)
}

/// Leader allowance for `leader_months` months of leaders in office at `monthly` yuan each, split by the city share
/// (XM Art. 23: 150 yuan a month, city:district 4:6).
pub fn allowance_for(leader_months: i64, monthly: Money, city_share: Ratio) -> Split {
    split(leader_months.saturating_mul(monthly.fen()), city_share)
}

/// How many excellent leaders a district may name in a year: its leaders times the ratio, rounded as the policy
/// says (XM Art. 24: 10% of leaders; the rounding is not stated, default down).
pub fn excellent_quota(leaders: i64, ratio: Ratio, rounding: Rounding) -> i64 {
    let exact = Decimal::from(leaders) * ratio;
    let n = match rounding {
        Rounding::Down => exact.floor(),
        Rounding::Up => exact.ceil(),
        Rounding::HalfUp => exact.round_dp_with_strategy(0, rust_decimal::RoundingStrategy::MidpointAwayFromZero),
    };
    n.to_i64().unwrap_or(0)
}

/// When the next visit is due: `interval_days` after the last visit, or after the day the person joined the group
/// when never visited since (GUIDE 走访制度: 鳏寡孤独 "每季度上门走访一次").
pub fn next_visit_due(since: Date, interval_days: u32) -> Date {
    since.checked_add(Duration::days(i64::from(interval_days))).unwrap_or(Date::MAX)
}

/// Workers a community needs for the retirees it received (JN Art. 11): at least one full-time worker per
/// `retirees_per_worker` received ("不低于1500:1"); more than `part_time_below` but fewer than
/// `retirees_per_worker`: one; fewer than `part_time_below`: a worker of the community part-time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommunityStaff {
    /// Full-time workers to add.
    pub full_time: i64,
    /// Whether one existing worker may do it part-time instead.
    pub part_time: bool,
}

/// Staffing of one community (JN Art. 11).
pub fn community_staff(retirees: i64, s: &Staffing) -> CommunityStaff {
    let per = i64::from(s.retirees_per_worker.value.max(1));
    let below = i64::from(s.part_time_below.value);
    if retirees == 0 {
        CommunityStaff { full_time: 0, part_time: false }
    } else if retirees < below {
        CommunityStaff { full_time: 0, part_time: true }
    } else {
        CommunityStaff { full_time: (retirees + per - 1) / per, part_time: false }
    }
}

/// Archive keepers for `volumes` (JN Art. 12: "每1万卷不少于1个人"), rounded up.
pub fn archive_keepers(volumes: i64, s: &Staffing) -> i64 {
    let per = i64::from(s.archive_volumes_per_keeper.value.max(1));
    (volumes.max(0) + per - 1) / per
}

/// Square metres of archive storage for `volumes` (JN Art. 20: "每万卷60平方米"), rounded up.
pub fn archive_area_m2(volumes: i64, s: &Staffing) -> i64 {
    let m2 = i64::from(s.archive_m2_per_10000_volumes.value);
    (volumes.max(0).saturating_mul(m2) + 9_999) / 10_000
}

#[cfg(test)]
mod tests {
    use time::macros::date;

    use super::*;
    use crate::ManagementLevel;
    use crate::policy::presets;

    fn fen(yuan: i64) -> i64 {
        yuan * 100
    }

    #[test]
    fn hospital_cap_is_two_a_year_in_xiamen() {
        // XM Art. 21(2): "每人每年不超过2次（含）".
        let cap = presets::xiamen_2025().condolence(crate::policy::CondolenceKind::Hospital).unwrap().yearly_cap.value;
        assert!(!over_cap(cap, 0));
        assert!(!over_cap(cap, 1));
        assert!(over_cap(cap, 2));
        // CS Art. 25(2): a visit on each serious illness, no cap.
        assert!(!over_cap(None, 50));
    }

    #[test]
    fn xiamen_fund_is_400_yuan_shared_one_to_one() {
        // XM Art. 21: "每人每年400元,市、区财政按1:1分担".
        let p = presets::xiamen_2025();
        let s = p.split_for(ManagementLevel::DistrictManaged).unwrap();
        let f = fund_for(3, p.service_fund.per_retiree_per_year.value, s.city_share.value);
        assert_eq!(f, Split { total_fen: fen(1200), city_fen: fen(600), district_fen: fen(600) });
    }

    #[test]
    fn changsha_district_managed_is_all_district() {
        // CS Art. 10 para. 1: 100 yuan; city-managed 50/50, district-managed district 100%.
        let p = presets::changsha_2020();
        let per = p.service_fund.per_retiree_per_year.value;
        let city = p.split_for(ManagementLevel::CityManaged).unwrap().city_share.value;
        let district = p.split_for(ManagementLevel::DistrictManaged).unwrap().city_share.value;
        assert_eq!(fund_for(3, per, city), Split { total_fen: fen(300), city_fen: fen(150), district_fen: fen(150) });
        assert_eq!(fund_for(2, per, district), Split { total_fen: fen(200), city_fen: 0, district_fen: fen(200) });
    }

    #[test]
    fn splits_always_add_up() {
        let s = split(101, "0.5".parse().unwrap());
        assert_eq!((s.city_fen, s.district_fen), (51, 50));
    }

    #[test]
    fn xiamen_leader_allowance_is_150_yuan_four_to_six() {
        // XM Art. 23: "每人每月补贴150元…市、区财政按4:6的比例承担".
        let g = presets::xiamen_2025().group_leaders;
        let a = allowance_for(2, g.monthly_allowance.value, g.allowance_city_share.value);
        assert_eq!(a, Split { total_fen: fen(300), city_fen: fen(120), district_fen: fen(180) });
    }

    #[test]
    fn excellent_quota_is_ten_percent_rounded_as_the_policy_says() {
        // XM Art. 24: "按退休人员小组长人数的10%评选优秀组长"; rounding not stated, default down.
        let g = presets::xiamen_2025().group_leaders;
        assert_eq!(excellent_quota(25, g.excellent_ratio.value, g.excellent_rounding.value), 2);
        assert_eq!(excellent_quota(9, g.excellent_ratio.value, Rounding::Down), 0);
        assert_eq!(excellent_quota(25, g.excellent_ratio.value, Rounding::HalfUp), 3);
        assert_eq!(excellent_quota(21, g.excellent_ratio.value, Rounding::Up), 3);
    }

    #[test]
    fn visits_fall_due_after_the_interval() {
        // GUIDE 走访制度: 鳏寡孤独 every quarter (90 days).
        assert_eq!(next_visit_due(date!(2026 - 01 - 01), 90), date!(2026 - 04 - 01));
    }

    #[test]
    fn jinning_staffing() {
        // JN Art. 11: 1500:1; over 500 and under 1500: one; under 500: part-time.
        let s = presets::jinning_2020().staffing;
        assert_eq!(community_staff(499, &s), CommunityStaff { full_time: 0, part_time: true });
        assert_eq!(community_staff(500, &s), CommunityStaff { full_time: 1, part_time: false });
        assert_eq!(community_staff(1500, &s), CommunityStaff { full_time: 1, part_time: false });
        assert_eq!(community_staff(1501, &s), CommunityStaff { full_time: 2, part_time: false });
        assert_eq!(community_staff(0, &s).full_time, 0);
        // JN Art. 12: one keeper per 10,000 volumes; Art. 20: 60 m² per 10,000 volumes.
        assert_eq!(archive_keepers(10_000, &s), 1);
        assert_eq!(archive_keepers(10_001, &s), 2);
        assert_eq!(archive_area_m2(25_000, &s), 150);
        assert_eq!(archive_area_m2(1, &s), 1);
    }
}
