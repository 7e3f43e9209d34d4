//! The monthly summary per node (GUIDE 第二部分六 4, step 10 汇总上报) for the monthly report: requests received,
//! services delivered, hours, the average evaluation, by item and by caregiver grade.

use std::collections::BTreeMap;

use domain::ErrorCode;
use domain::elder_care::{CareItem, CaregiverGrade};
use persistence::DbConnection;
use persistence::elder_care as repo;
use serde::{Deserialize, Serialize};
use time::Date;
use utoipa::ToSchema;

use super::caregivers::average;
use super::json;
use super::requests::{hours_text, minutes};
use crate::caller::Caller;
use crate::error::{AppError, FieldError};
use crate::input::month_text;

/// Counts of one slice (an item, a grade, or the whole node).
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
pub struct Counts {
    /// Requests received in the month.
    pub requests: u32,
    /// Services delivered in the month.
    pub delivered: u32,
    /// Hours delivered (two decimals).
    pub hours: String,
    /// Delivered services evaluated.
    pub evaluated: u32,
    /// Average score of those (two decimals), `null` without any.
    pub average_score: Option<String>,
    #[serde(skip)]
    #[schema(ignore)]
    minutes: i64,
    #[serde(skip)]
    #[schema(ignore)]
    score_sum: i64,
}

impl Counts {
    /// The counts of `parts` together: hours and the average from their minutes and scores, not from the rounded
    /// text (the totals row of the filed summary).
    pub fn sum<'a>(parts: impl IntoIterator<Item = &'a Counts>) -> Counts {
        let mut total = Counts::default();
        for c in parts {
            total.requests += c.requests;
            total.delivered += c.delivered;
            total.evaluated += c.evaluated;
            total.minutes += c.minutes;
            total.score_sum += c.score_sum;
        }
        total.finish();
        total
    }

    fn finish(&mut self) {
        self.hours = hours_text(self.minutes);
        self.average_score = average(i64::from(self.evaluated), self.score_sum);
    }
}

/// One node's month.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[schema(example = json!({"node": "350203001001", "month": "2026-12", "total": {"requests": 3, "delivered": 2,
    "hours": "3.92", "evaluated": 1, "average_score": "5.00"}, "by_item": {"bathing": {"requests": 2,
    "delivered": 2, "hours": "3.92", "evaluated": 1, "average_score": "5.00"}}, "by_grade": {"intermediate":
    {"requests": 0, "delivered": 2, "hours": "3.92", "evaluated": 1, "average_score": "5.00"}}}))]
pub struct NodeMonth {
    /// The person's community.
    pub node: String,
    /// Month `YYYY-MM`.
    pub month: String,
    /// All items.
    pub total: Counts,
    /// Per item (a service of several items counts for each; its hours too).
    pub by_item: BTreeMap<CareItem, Counts>,
    /// Per grade of the caregiver who delivered (delivered services only).
    pub by_grade: BTreeMap<CaregiverGrade, Counts>,
}

/// The summary per node of the requests in the caller's subtree for the month starting `month`; a month after
/// this one is 422 `month_in_future` on `month`.
pub fn monthly(conn: &mut DbConnection, caller: &Caller, today: Date, month: Date) -> Result<Vec<NodeMonth>, AppError> {
    super::require_read(caller)?;
    if month > today {
        return Err(AppError::field(FieldError::of("month", ErrorCode::MonthInFuture)));
    }
    let next = domain::pension::add_months(month, 1).ok_or_else(|| AppError::internal("month out of range"))?;
    let rows = repo::for_month(conn, &caller.scope_path, month, next)?;
    let mut nodes: BTreeMap<String, NodeMonth> = BTreeMap::new();
    let mut grades: BTreeMap<i64, CaregiverGrade> = BTreeMap::new();
    for r in rows {
        let items: Vec<CareItem> = json("care_requests", r.id, "items", &r.items)?;
        let node = nodes.entry(r.jurisdiction_code.clone()).or_insert_with(|| NodeMonth {
            node: r.jurisdiction_code.clone(),
            month: month_text(month),
            total: Counts::default(),
            by_item: BTreeMap::new(),
            by_grade: BTreeMap::new(),
        });
        let received = r.requested_on >= month && r.requested_on < next;
        let delivered = r.delivered_start.zip(r.delivered_end).filter(|(s, _)| s.date() >= month && s.date() < next);
        let grade = match (delivered, r.caregiver_id) {
            (Some(_), Some(cid)) => Some(match grades.get(&cid) {
                Some(g) => *g,
                None => {
                    let g = repo::caregiver_by_id(conn, cid)?.grade;
                    grades.insert(cid, g);
                    g
                }
            }),
            _ => None,
        };
        let add = |c: &mut Counts, count_request: bool| {
            if count_request && received {
                c.requests += 1;
            }
            if let Some((s, e)) = delivered {
                c.delivered += 1;
                c.minutes += minutes(s, e);
                if let Some(score) = r.score {
                    c.evaluated += 1;
                    c.score_sum += i64::from(score);
                }
            }
        };
        add(&mut node.total, true);
        for item in &items {
            add(node.by_item.entry(*item).or_default(), true);
        }
        if let Some(g) = grade {
            add(node.by_grade.entry(g).or_default(), false);
        }
    }
    let mut out: Vec<NodeMonth> = nodes.into_values().collect();
    for n in &mut out {
        n.total.finish();
        n.by_item.values_mut().for_each(Counts::finish);
        n.by_grade.values_mut().for_each(Counts::finish);
    }
    Ok(out)
}
