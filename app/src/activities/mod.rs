//! Activities (issue 25; XM Art. 17; CS Art. 20; JN Art. 30; GUIDE 第四章三): the activity plan of a community,
//! street or district for a year, the activities under it (kind, day, place, organiser, capacity), the sign-up of
//! retirees and their dependants (capacity full: 409 `activity_full`), attendance from the day held, the counts
//! per node and month for the monthly report, and the worklist of people who attended nothing in a year (for
//! visits). The rules are `domain::activity`; the texts give no number.
//!
//! Scope: a plan and its activities belong to a node and are seen from its subtree; the people signed up must lie
//! in the caller's subtree. Writing needs `activity.manage`, reading `retiree.read`.

use domain::activity::{self, ActivityError, ActivityKind};
use domain::events::EventType;
use domain::{ErrorCode, Permission};
use persistence::activities::{self as repo, Activity, NewActivity, NewParticipant, NewPlan, Participant, Plan};
use persistence::events::{self, Emit};
use persistence::{DbConnection, audit, jurisdictions};
use serde::{Deserialize, Serialize};
use time::{Date, Month};
use utoipa::ToSchema;

use crate::audited::Audited;
use crate::caller::Caller;
use crate::error::{AppError, FieldError};
use crate::exports::table::{self, Column, File, Table};
use crate::exports::{Encoding, Format, Labels};
use crate::input::{check_name, parse_date};
use crate::scope::{node_in_scope, referenced_dependent, referenced_retiree};

/// Most rows in a file.
const MAX_FILE_ROWS: i64 = 50_000;

/// 403 unless the caller reads activities (`retiree.read`).
pub fn require_read(caller: &Caller) -> Result<(), AppError> {
    caller.require(Permission::RetireeRead)
}

/// A plan to make (CS Art. 20; JN Art. 30: "制订切实可行、形式多样的活动计划").
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"jurisdiction": "350203001001", "year": 2026, "title": "鸿山社区2026年退休人员文体活动计划",
    "content": "每月一次健康讲座，每季度一次文艺汇演"}))]
pub struct PlanInput {
    /// The node (community, street or district) in the caller's subtree; default the caller's node.
    pub jurisdiction: Option<String>,
    /// Year, 2000-2100; one plan per node and year (409 `conflict`).
    pub year: i32,
    /// Title, 1-100 characters.
    pub title: String,
    /// Content, 1-2000 characters.
    pub content: String,
}

/// A plan.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"id": 1, "jurisdiction": "350203001001", "year": 2026, "title": "鸿山社区2026年退休人员文体活动计划",
    "content": "每月一次健康讲座", "version": 1}))]
pub struct PlanView {
    /// Id.
    pub id: i64,
    /// Node.
    pub jurisdiction: String,
    /// Year.
    pub year: i32,
    /// Title.
    pub title: String,
    /// Content.
    pub content: String,
    /// Version (ETag).
    pub version: i64,
}

/// An activity to hold.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"plan_id": 1, "kind": "health_education", "title": "冬季心脑血管疾病预防讲座",
    "held_on": "2026-12-18", "place": "鸿山社区活动室", "organiser": "鸿山社区服务站", "capacity": 40}))]
pub struct ActivityInput {
    /// The plan, in the caller's subtree (else 422 `plan_not_found`); the activity belongs to its node.
    pub plan_id: i64,
    /// Kind.
    pub kind: ActivityKind,
    /// Title, 1-100 characters.
    pub title: String,
    /// Day held (`YYYY-MM-DD`), in the plan's year (else 422 `activity_outside_plan`).
    #[schema(format = Date)]
    pub held_on: String,
    /// Place, 1-200 characters.
    pub place: String,
    /// Organiser, 1-100 characters.
    pub organiser: String,
    /// Places, 1-100000; absent: unlimited.
    pub capacity: Option<i32>,
}

/// An activity.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"id": 3, "plan_id": 1, "jurisdiction": "350203001001", "kind": "health_education",
    "title": "冬季心脑血管疾病预防讲座", "held_on": "2026-12-18", "place": "鸿山社区活动室", "organiser": "鸿山社区服务站",
    "capacity": 40, "signed_up": 12, "places_left": 28, "version": 13}))]
pub struct ActivityView {
    /// Id.
    pub id: i64,
    /// Plan.
    pub plan_id: i64,
    /// Node.
    pub jurisdiction: String,
    /// Kind.
    pub kind: ActivityKind,
    /// Title.
    pub title: String,
    /// Day held.
    #[schema(value_type = String, format = Date)]
    pub held_on: Date,
    /// Place.
    pub place: String,
    /// Organiser.
    pub organiser: String,
    /// Places (`null`: unlimited).
    pub capacity: Option<i32>,
    /// People signed up.
    pub signed_up: i32,
    /// Places left (`null`: unlimited).
    pub places_left: Option<i32>,
    /// Version (ETag; each sign-up raises it).
    pub version: i64,
}

/// A sign-up: the retiree, or a dependant of the retiree.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"retiree_id": 42, "dependent_id": null}))]
pub struct SignUpInput {
    /// The retiree, in the caller's subtree (else 422 `retiree_not_found`).
    pub retiree_id: i64,
    /// A dependant of that retiree who takes part instead (else 422 `dependent_not_found`).
    pub dependent_id: Option<i64>,
}

/// Attendance of one sign-up.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"participant_id": 9, "attended": true}))]
pub struct AttendanceInput {
    /// The sign-up (of this activity, else 422 `not_found` on the field).
    pub participant_id: i64,
    /// Whether the person took part.
    pub attended: bool,
}

/// A sign-up.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"id": 9, "activity_id": 3, "retiree_id": 42, "dependent_id": null, "name": "张三",
    "signed_up_on": "2026-12-06", "attended": null}))]
pub struct ParticipantView {
    /// Id.
    pub id: i64,
    /// Activity.
    pub activity_id: i64,
    /// The retiree.
    pub retiree_id: i64,
    /// The dependant taking part, if one.
    pub dependent_id: Option<i64>,
    /// The retiree's name.
    pub name: String,
    /// Day signed up.
    #[schema(value_type = String, format = Date)]
    pub signed_up_on: Date,
    /// Attended (`null`: not recorded yet).
    pub attended: Option<bool>,
}

/// The activities of a node in a month (for the monthly report).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"jurisdiction": "350203001001", "month": "2026-12", "activities": 3, "signed_up": 52,
    "attended": 47}))]
pub struct CountRow {
    /// Node.
    pub jurisdiction: String,
    /// Month `YYYY-MM`.
    pub month: String,
    /// Activities held.
    pub activities: i64,
    /// Sign-ups.
    pub signed_up: i64,
    /// Attendances.
    pub attended: i64,
}

/// A person who attended nothing in the year.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"retiree_id": 43, "name": "李四", "community": "350203001001"}))]
pub struct InactiveView {
    /// The person.
    pub retiree_id: i64,
    /// Name.
    pub name: String,
    /// Community.
    pub community: String,
}

/// A checked plan.
#[derive(Debug, Clone)]
pub struct PlanAsked {
    body: PlanInput,
    title: String,
    content: String,
}

/// A checked activity.
#[derive(Debug, Clone)]
pub struct ActivityAsked {
    body: ActivityInput,
    title: String,
    held_on: Date,
    place: String,
    organiser: String,
}

fn check_year(field: &str, year: i32, errors: &mut Vec<FieldError>) {
    if !(2000..=2100).contains(&year) {
        errors.push(FieldError::with(field, ErrorCode::InvalidValue, "年度应为2000至2100", "a year is 2000 to 2100"));
    }
}

/// The checks of a plan.
pub fn check_plan(body: &PlanInput) -> Result<PlanAsked, Vec<FieldError>> {
    let mut errors = Vec::new();
    check_year("/year", body.year, &mut errors);
    let title = check_name("/title", &body.title, 100, &mut errors);
    let content = check_name("/content", &body.content, 2000, &mut errors);
    if errors.is_empty() { Ok(PlanAsked { body: body.clone(), title, content }) } else { Err(errors) }
}

/// The checks of an activity.
pub fn check_activity(body: &ActivityInput) -> Result<ActivityAsked, Vec<FieldError>> {
    let mut errors = Vec::new();
    let title = check_name("/title", &body.title, 100, &mut errors);
    let held_on = parse_date("/held_on", &body.held_on).map_err(|e| errors.push(e)).ok();
    let place = check_name("/place", &body.place, 200, &mut errors);
    let organiser = check_name("/organiser", &body.organiser, 100, &mut errors);
    if body.capacity.is_some_and(|c| !(1..=100_000).contains(&c)) {
        errors.push(FieldError::with(
            "/capacity",
            ErrorCode::InvalidValue,
            "名额应为1至100000",
            "capacity is 1 to 100000",
        ));
    }
    match held_on {
        Some(held_on) if errors.is_empty() => {
            Ok(ActivityAsked { body: body.clone(), title, held_on, place, organiser })
        }
        _ => Err(errors),
    }
}

fn plan_view(p: Plan) -> PlanView {
    PlanView {
        id: p.id,
        jurisdiction: p.jurisdiction_code,
        year: p.year,
        title: p.title,
        content: p.content,
        version: p.version,
    }
}

fn activity_view(a: Activity) -> ActivityView {
    ActivityView {
        places_left: a.capacity.map(|c| (c - a.signed_up).max(0)),
        id: a.id,
        plan_id: a.plan_id,
        jurisdiction: a.jurisdiction_code,
        kind: a.kind,
        title: a.title,
        held_on: a.held_on,
        place: a.place,
        organiser: a.organiser,
        capacity: a.capacity,
        signed_up: a.signed_up,
        version: a.version,
    }
}

fn participant_view(p: Participant, name: String) -> ParticipantView {
    ParticipantView {
        id: p.id,
        activity_id: p.activity_id,
        retiree_id: p.retiree_id,
        dependent_id: p.dependent_id,
        name,
        signed_up_on: p.signed_up_on,
        attended: p.attended,
    }
}

/// Makes the plan of a node for a year (audited `activity.plan.create`).
pub fn create_plan(conn: &mut DbConnection, caller: &Caller, asked: PlanAsked) -> Result<PlanView, AppError> {
    caller.require(Permission::ActivityManage)?;
    let node = match asked.body.jurisdiction.as_deref() {
        Some(code) => node_in_scope(conn, caller, code, "/jurisdiction")?,
        None => jurisdictions::find(conn, &caller.jurisdiction_code)?,
    };
    let stored = repo::create_plan(
        conn,
        &NewPlan {
            jurisdiction_code: node.code.clone(),
            year: asked.body.year,
            title: asked.title,
            content: asked.content,
            created_by: caller.login.clone(),
            created_at: persistence::now_utc(),
            version: 1,
        },
    )?;
    let mut entry = caller.audit("activity.plan.create", "activity_plan", stored.id, &node.path);
    entry.detail = Some(serde_json::json!({"year": stored.year}).to_string());
    audit::append(conn, &entry)?;
    Ok(plan_view(stored))
}

/// A page of the plans in the caller's subtree, by id.
pub fn list_plans(
    conn: &mut DbConnection,
    caller: &Caller,
    year: Option<i32>,
    after: Option<i64>,
    limit: i64,
) -> Result<Vec<PlanView>, AppError> {
    require_read(caller)?;
    Ok(repo::list_plans(conn, &caller.scope_path, year, after, limit)?.into_iter().map(plan_view).collect())
}

/// Creates an activity under a plan of the caller's subtree, at the plan's node (audited `activity.create`).
pub fn create_activity(
    conn: &mut DbConnection,
    caller: &Caller,
    asked: ActivityAsked,
) -> Result<ActivityView, AppError> {
    caller.require(Permission::ActivityManage)?;
    let (plan, path) = repo::find_plan(conn, asked.body.plan_id, &caller.scope_path).map_err(|e| match e {
        persistence::RepoError::NotFound => AppError::field(FieldError::of("/plan_id", ErrorCode::PlanNotFound)),
        other => other.into(),
    })?;
    activity::check_in_plan(plan.year, asked.held_on).map_err(|e| AppError::field(FieldError::rule("/held_on", &e)))?;
    let stored = repo::create_activity(
        conn,
        &NewActivity {
            plan_id: plan.id,
            jurisdiction_code: plan.jurisdiction_code.clone(),
            kind: asked.body.kind.as_str().to_owned(),
            title: asked.title,
            held_on: asked.held_on,
            place: asked.place,
            organiser: asked.organiser,
            capacity: asked.body.capacity,
            signed_up: 0,
            created_by: caller.login.clone(),
            created_at: persistence::now_utc(),
            version: 1,
        },
    )?;
    let mut entry = caller.audit("activity.create", "activity", stored.id, &path);
    entry.detail =
        Some(serde_json::json!({"kind": stored.kind.as_str(), "held_on": stored.held_on.to_string()}).to_string());
    audit::append(conn, &entry)?;
    Ok(activity_view(stored))
}

/// One activity in the caller's subtree (else 404).
pub fn get_activity(conn: &mut DbConnection, caller: &Caller, id: i64) -> Result<ActivityDetail, AppError> {
    require_read(caller)?;
    let activity = activity_view(repo::find_activity(conn, id, &caller.scope_path)?.0);
    let volunteer_services = crate::volunteers::links::of_activity(conn, caller, id)?;
    Ok(ActivityDetail { activity, volunteer_services })
}

/// An activity with the volunteer services given at it (issue 25; CS Art. 22).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ActivityDetail {
    /// The activity.
    #[serde(flatten)]
    pub activity: ActivityView,
    /// The volunteer services given at this activity at nodes in the caller's subtree, by id.
    pub volunteer_services: Vec<crate::volunteers::LinkedServiceView>,
}

/// What to list: a year, or one month of it.
#[derive(Debug, Clone, Copy)]
pub struct Period {
    /// Year.
    pub year: i32,
    /// Month, if one.
    pub month: Option<Month>,
}

impl Period {
    /// First and last day.
    pub fn days(self) -> Result<(Date, Date), AppError> {
        let bad = |_| AppError::field(FieldError::of("year", ErrorCode::InvalidValue));
        match self.month {
            None => Ok((
                Date::from_calendar_date(self.year, Month::January, 1).map_err(bad)?,
                Date::from_calendar_date(self.year, Month::December, 31).map_err(bad)?,
            )),
            Some(m) => {
                let last = time::util::days_in_month(m, self.year);
                Ok((
                    Date::from_calendar_date(self.year, m, 1).map_err(bad)?,
                    Date::from_calendar_date(self.year, m, last).map_err(bad)?,
                ))
            }
        }
    }
}

/// A page of the activities in the caller's subtree held in `period`, by id.
pub fn list_activities(
    conn: &mut DbConnection,
    caller: &Caller,
    period: Period,
    kind: Option<ActivityKind>,
    after: Option<i64>,
    limit: i64,
) -> Result<Vec<ActivityView>, AppError> {
    require_read(caller)?;
    let (from, to) = period.days()?;
    Ok(repo::list_activities(conn, &caller.scope_path, from, to, kind.map(|k| k.as_str()), after, limit)?
        .into_iter()
        .map(activity_view)
        .collect())
}

fn emit(conn: &mut DbConnection, kind: EventType, a: &Activity, p: &Participant) -> Result<(), AppError> {
    events::emit(
        conn,
        &Emit {
            kind: kind.as_str(),
            version: 1,
            subject_type: "activity",
            subject_id: a.id,
            retiree_id: Some(p.retiree_id),
            community_code: None,
            previous_code: None,
            details: serde_json::json!({
                "activity_id": a.id,
                "participant_id": p.id,
                "dependent_id": p.dependent_id,
                "kind": a.kind.as_str(),
                "held_on": a.held_on.to_string(),
                "attended": p.attended,
            }),
        },
    )?;
    Ok(())
}

/// Signs a retiree or one of their dependants up for activity `id` (in the caller's subtree, else 404) on `today`:
/// the person signed up already: 409 `conflict`; every place taken: 409 `activity_full`. Audited
/// `activity.sign_up`; emits `activity.signed_up`.
pub fn sign_up(
    conn: &mut DbConnection,
    caller: &Caller,
    today: Date,
    id: i64,
    body: SignUpInput,
) -> Result<ParticipantView, AppError> {
    caller.require(Permission::ActivityManage)?;
    let (a, _) = repo::find_activity(conn, id, &caller.scope_path)?;
    let (person, path) = referenced_retiree(conn, caller, body.retiree_id, "/retiree_id")?;
    let key = match body.dependent_id {
        Some(d) => {
            let (dep, _, _) = referenced_dependent(conn, caller, d, "/dependent_id")?;
            if dep.retiree_id != person.id {
                return Err(AppError::field(FieldError::of("/dependent_id", ErrorCode::DependentNotFound)));
            }
            format!("d:{d}")
        }
        None => format!("r:{}", person.id),
    };
    let stored = repo::add_participant(
        conn,
        &NewParticipant {
            activity_id: a.id,
            retiree_id: person.id,
            dependent_id: body.dependent_id,
            participant_key: key,
            signed_up_on: today,
            attended: None,
            created_by: caller.login.clone(),
            created_at: persistence::now_utc(),
        },
    )?;
    if !repo::take_place(conn, a.id)? {
        let capacity = a.capacity.and_then(|c| u32::try_from(c).ok()).unwrap_or(0);
        return Err(AppError::violation(&ActivityError::Full { capacity }));
    }
    let mut entry = caller.audit("activity.sign_up", "activity", a.id, &path);
    entry.retiree_id = Some(person.id);
    entry.detail =
        Some(serde_json::json!({"participant_id": stored.id, "dependent_id": stored.dependent_id}).to_string());
    audit::append(conn, &entry)?;
    emit(conn, EventType::ActivitySignedUp, &a, &stored)?;
    Ok(participant_view(stored, person.name))
}

/// Records whether a sign-up of activity `id` took part, from the day the activity is held (else 422
/// `activity_not_held`). Audited `activity.attendance`; emits `activity.attended`.
pub fn attend(
    conn: &mut DbConnection,
    caller: &Caller,
    today: Date,
    id: i64,
    body: AttendanceInput,
) -> Result<ParticipantView, AppError> {
    caller.require(Permission::ActivityManage)?;
    let (a, _) = repo::find_activity(conn, id, &caller.scope_path)?;
    let p = repo::find_participant(conn, a.id, body.participant_id).map_err(|e| match e {
        persistence::RepoError::NotFound => AppError::field(FieldError::of("/participant_id", ErrorCode::NotFound)),
        other => other.into(),
    })?;
    // The person must still lie in the caller's subtree.
    let (person, path) = referenced_retiree(conn, caller, p.retiree_id, "/participant_id")?;
    activity::check_attendance(a.held_on, today).map_err(|e| AppError::violation(&e))?;
    let saved = repo::set_attended(conn, p.id, body.attended)?;
    let mut entry = caller.audit("activity.attendance", "activity", a.id, &path);
    entry.retiree_id = Some(person.id);
    entry.detail = Some(serde_json::json!({"participant_id": saved.id, "attended": body.attended}).to_string());
    audit::append(conn, &entry)?;
    emit(conn, EventType::ActivityAttended, &a, &saved)?;
    Ok(participant_view(saved, person.name))
}

/// The sign-ups of activity `id` (in the caller's subtree, else 404), by id.
pub fn participants(conn: &mut DbConnection, caller: &Caller, id: i64) -> Result<Vec<ParticipantView>, AppError> {
    require_read(caller)?;
    let (a, _) = repo::find_activity(conn, id, &caller.scope_path)?;
    Ok(repo::participants_of(conn, a.id)?.into_iter().map(|(p, name)| participant_view(p, name)).collect())
}

/// The activities, sign-ups and attendances per node and month of `year` in the caller's subtree (issue 21's
/// monthly report), by node and month.
pub fn counts(conn: &mut DbConnection, caller: &Caller, year: i32) -> Result<Vec<CountRow>, AppError> {
    require_read(caller)?;
    let (from, to) = Period { year, month: None }.days()?;
    let mut out: Vec<CountRow> = Vec::new();
    for (node, day, signed, attended) in repo::tallies(conn, &caller.scope_path, from, to)? {
        let month = format!("{:04}-{:02}", day.year(), u8::from(day.month()));
        match out.iter_mut().find(|r| r.jurisdiction == node && r.month == month) {
            Some(r) => {
                r.activities += 1;
                r.signed_up += i64::from(signed);
                r.attended += attended;
            }
            None => {
                out.push(CountRow { jurisdiction: node, month, activities: 1, signed_up: i64::from(signed), attended })
            }
        }
    }
    out.sort_by(|a, b| (&a.jurisdiction, &a.month).cmp(&(&b.jurisdiction, &b.month)));
    Ok(out)
}

/// A page of the people on the roll in the caller's subtree who attended no activity held in `year` (the worklist
/// for visits), by id.
pub fn inactive(
    conn: &mut DbConnection,
    caller: &Caller,
    year: i32,
    after: Option<i64>,
    limit: i64,
) -> Result<Vec<InactiveView>, AppError> {
    require_read(caller)?;
    let (from, to) = Period { year, month: None }.days()?;
    Ok(repo::inactive(conn, &caller.scope_path, from, to, after, limit)?
        .into_iter()
        .map(|i| InactiveView { retiree_id: i.retiree_id, name: i.name, community: i.community_code })
        .collect())
}

/// Which list a file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileList {
    /// The activities of the year.
    Activities,
    /// The counts per node and month.
    Counts,
    /// The people who attended nothing.
    Inactive,
}

const ACTIVITY_COLUMNS: [Column; 9] = [
    Column::text("id", "活动编号"),
    Column::text("jurisdiction", "所属区划"),
    Column::text("kind", "活动类别"),
    Column::text("title", "活动名称"),
    Column::date("held_on", "活动日期"),
    Column::text("place", "活动地点"),
    Column::text("organiser", "组织者"),
    Column::number("capacity", "名额"),
    Column::number("signed_up", "报名人数"),
];

const COUNT_COLUMNS: [Column; 5] = [
    Column::text("jurisdiction", "所属区划"),
    Column::text("month", "月份"),
    Column::number("activities", "活动次数"),
    Column::number("signed_up", "报名人次"),
    Column::number("attended", "参加人次"),
];

const INACTIVE_COLUMNS: [Column; 3] =
    [Column::text("retiree_id", "人员编号"), Column::text("name", "姓名"), Column::text("community", "所属社区")];

/// The list `which` of `year` as a file (Chinese headers with `labels=zh`); audited `activity.export`.
#[allow(clippy::too_many_arguments)]
pub fn export(
    conn: &mut DbConnection,
    caller: &Caller,
    year: i32,
    which: FileList,
    format: Format,
    encoding: Encoding,
    labels: Labels,
) -> Result<Audited<File>, AppError> {
    require_read(caller)?;
    let (sheet, stem, columns, rows) = match which {
        FileList::Activities => {
            let list = list_activities(conn, caller, Period { year, month: None }, None, None, MAX_FILE_ROWS)?;
            let rows = list
                .into_iter()
                .map(|a| {
                    vec![
                        a.id.to_string(),
                        a.jurisdiction,
                        table::label(a.kind.as_str(), a.kind.label_zh(), labels),
                        a.title,
                        a.held_on.to_string(),
                        a.place,
                        a.organiser,
                        a.capacity.map(|c| c.to_string()).unwrap_or_default(),
                        a.signed_up.to_string(),
                    ]
                })
                .collect::<Vec<_>>();
            ("文体健康活动", "activities", ACTIVITY_COLUMNS.to_vec(), rows)
        }
        FileList::Counts => {
            let rows = counts(conn, caller, year)?
                .into_iter()
                .map(|c| {
                    vec![
                        c.jurisdiction,
                        c.month,
                        c.activities.to_string(),
                        c.signed_up.to_string(),
                        c.attended.to_string(),
                    ]
                })
                .collect::<Vec<_>>();
            ("活动月度统计", "activity-counts", COUNT_COLUMNS.to_vec(), rows)
        }
        FileList::Inactive => {
            let rows = inactive(conn, caller, year, None, MAX_FILE_ROWS)?
                .into_iter()
                .map(|i| vec![i.retiree_id.to_string(), i.name, i.community])
                .collect::<Vec<_>>();
            ("本年度未参加活动人员", "activity-inactive", INACTIVE_COLUMNS.to_vec(), rows)
        }
    };
    let count = rows.len();
    let file = table::render(&[Table::new(sheet, columns, rows)], format, encoding, labels, stem)?;
    let mut entry = caller.audit("activity.export", "activity", "list", &caller.scope_path);
    entry.detail =
        Some(serde_json::json!({"rows": count, "list": stem, "year": year, "format": format.as_str()}).to_string());
    Ok(Audited::new(file, entry))
}
