//! The sections of the modules that landed after the report (issue 27, reports27): personnel archives, petitions,
//! activities, elderly care services and assistance referrals, counted by [`persistence::report_sections`], and the
//! high-age allowance, counted by [`crate::high_age::report`]. Each is
//! one more sheet of the XLSX, summed per child like the others and frozen in a closed month's snapshot.

use domain::activity::ActivityKind;
use domain::petition::Satisfaction;
use persistence::reports::Tally;

use super::{Figures, Rows, ValueKind, count, intern, plain, tally_section, tally_values};

/// The figures of every section of this file.
pub(super) fn figures(rows: &Rows, t: &[Tally]) -> Vec<Figures> {
    let mut out = Vec::new();
    out.push(tally_section(
        rows,
        t,
        "archives",
        "人事档案",
        vec![
            count("received", "接收档案", "archives", "received"),
            count("placed", "入库", "archives", "placed"),
            count("lent", "借出", "archives", "lent"),
            count("returned", "归还", "archives", "returned"),
            count("digitised", "完成数字化", "archives", "digitised"),
            count("held", "月末保管", "archives", "held"),
        ],
    ));
    let mut petition_cols = vec![
        count("received", "受理信访", "petitions", "received"),
        count("on_time", "按期答复", "petitions", "on_time"),
        count("late", "逾期答复", "petitions", "late"),
    ];
    for s in Satisfaction::ALL {
        let key = intern(format!("satisfaction_{}", s.as_str()));
        petition_cols.push(count(key, intern(format!("办结：{}", s.label_zh())), "petitions", key));
    }
    petition_cols.push(count("satisfaction_none", "办结：未评价", "petitions", "satisfaction_none"));
    out.push(tally_section(rows, t, "petitions", "信访", petition_cols));
    let mut activity_cols: Vec<_> =
        ActivityKind::ALL.iter().map(|k| count(k.as_str(), k.label_zh(), "activities", k.as_str())).collect();
    activity_cols.push(count("participants", "报名人次", "activities", "participants"));
    activity_cols.push(count("attended", "参加人次", "activities", "attended"));
    out.push(tally_section(rows, t, "activities", "文体健康活动", activity_cols));
    // The minutes of the services delivered come in the amount of the `delivered` tally; shown as a count.
    let care_cols = vec![
        count("requested", "受理申请", "care", "requested"),
        count("delivered", "完成服务", "care", "delivered"),
        super::money("minutes", "服务时长（分钟）", "care", "delivered"),
        count("evaluated", "服务评价", "care", "evaluated"),
    ];
    let values = tally_values(rows, t, &care_cols);
    let mut columns = plain(care_cols);
    for c in &mut columns {
        c.2 = ValueKind::Count;
    }
    out.push(super::figures(rows, "care_services", "养老护理服务", columns, values));
    out.push(tally_section(
        rows,
        t,
        "assistance",
        "救助转介",
        vec![
            count("referred", "本月转介", "assistance", "referred"),
            count("granted", "本月获救助", "assistance", "granted"),
            count("open", "未办结", "assistance", "open"),
        ],
    ));
    // The high-age allowance (JN Art. 7(7)): counted by `crate::high_age::report`, the amount in fen.
    let section = crate::high_age::report::SECTION;
    out.push(tally_section(
        rows,
        t,
        "high_age_allowance",
        "高龄补贴",
        vec![
            count("paid", "发放人数", section, "paid"),
            super::money("amount", "发放金额", section, "paid"),
            count("new", "新增发放", section, "new"),
            count("stopped", "停发", section, "stopped"),
            count("policy_unset", "未定标准", section, "policy_unset"),
        ],
    ));
    out
}
