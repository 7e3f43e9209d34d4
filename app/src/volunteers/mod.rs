//! Volunteers (issue 25; CS Art. 22: "建立市、区两级志愿者资源库"; JN Art. 7(9)): registering a volunteer in the pool
//! of a city or district node (retiree or not, skills, availability, organisation), recording a service (where,
//! whom, at which activity, what, hours), the hours per volunteer and year, the files, and the import of a
//! volunteer list a city already keeps (CSV/XLSX with the export's Chinese headers, per-row errors).
//!
//! Scope: a volunteer is seen from the subtree of its pool and from every node below the pool (a volunteer of the
//! city pool serves any district); a service is recorded at a node of the recorder's subtree, and the hours a
//! caller sees are those given in its subtree. Writing needs `volunteer.manage`, reading `retiree.read`.

// Issue 25: services linked to visits and activities.
pub mod links;

pub use links::LinkedServiceView;

use domain::events::EventType;
use domain::volunteer::{self, VolunteerError};
use domain::{ErrorCode, Permission};
use persistence::events::{self, Emit};
use persistence::volunteers::{self as repo, NewService, NewVolunteer, Volunteer};
use persistence::{DbConnection, audit, jurisdictions};
use serde::{Deserialize, Serialize};
use time::{Date, Month};
use utoipa::ToSchema;

use crate::audited::Audited;
use crate::caller::Caller;
use crate::error::{AppError, FieldError};
use crate::exports::table::{self, Column, File, Table};
use crate::exports::{Encoding, Format, Labels};
use crate::imports::Mode;
use crate::imports::register::{self, Outcome, RegisterReport};
use crate::input::{check_name, check_text, date_not_after};
use crate::scope::{node_in_scope, referenced_retiree};

/// Most rows in a file.
const MAX_FILE_ROWS: i64 = 50_000;

/// 403 unless the caller reads volunteers (`retiree.read`).
pub fn require_read(caller: &Caller) -> Result<(), AppError> {
    caller.require(Permission::RetireeRead)
}

/// A volunteer to register.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"pool": "350203", "name": "陈志华", "retiree_id": 42, "skills": ["理发", "陪同就医"],
    "availability": "周二、周四上午", "organisation": "思明区老年志愿者协会"}))]
pub struct VolunteerInput {
    /// The pool: a city or district node in the caller's subtree (CS Art. 22; else 422 `pool_level`); default the
    /// caller's node.
    pub pool: Option<String>,
    /// Name, 1-50 characters.
    pub name: String,
    /// The retiree, if the volunteer is one (in the caller's subtree).
    pub retiree_id: Option<i64>,
    /// Skills, each 1-50 characters, at most 20.
    pub skills: Vec<String>,
    /// Availability, free text.
    pub availability: Option<String>,
    /// The organisation the volunteer belongs to.
    pub organisation: Option<String>,
}

/// A volunteer.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"id": 4, "pool": "350203", "name": "陈志华", "retiree_id": 42, "skills": ["理发", "陪同就医"],
    "availability": "周二、周四上午", "organisation": "思明区老年志愿者协会", "version": 1}))]
pub struct VolunteerView {
    /// Id.
    pub id: i64,
    /// Pool.
    pub pool: String,
    /// Name.
    pub name: String,
    /// Retiree.
    pub retiree_id: Option<i64>,
    /// Skills.
    pub skills: Vec<String>,
    /// Availability.
    pub availability: Option<String>,
    /// Organisation.
    pub organisation: Option<String>,
    /// Version (ETag).
    pub version: i64,
}

/// A service to record.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"served_on": "2026-12-05", "jurisdiction": "350203001001", "retiree_id": 43,
    "activity_id": null, "visit_id": 7, "what": "陪同走访", "hours": "2.5"}))]
pub struct ServiceInput {
    /// Day (`YYYY-MM-DD`), not in the future.
    #[schema(format = Date)]
    pub served_on: String,
    /// Where: a node in the caller's subtree; default the caller's node.
    pub jurisdiction: Option<String>,
    /// Whom (a retiree in the caller's subtree), if one person.
    pub retiree_id: Option<i64>,
    /// The activity served at, in the caller's subtree, held on `served_on` (else 422 `date_mismatch`).
    pub activity_id: Option<i64>,
    /// The visit served on: a visit in the caller's subtree (of `retiree_id` when given; else 422
    /// `visit_not_found`) made on `served_on` (else 422 `date_mismatch`).
    pub visit_id: Option<i64>,
    /// What, 1-200 characters.
    pub what: String,
    /// Hours (`"2"`, `"2.5"`): above 0, at most 24, one decimal (422 `hours_out_of_range`).
    pub hours: String,
}

/// A recorded service.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"id": 11, "volunteer_id": 4, "served_on": "2026-12-05", "jurisdiction": "350203001001",
    "retiree_id": 43, "activity_id": null, "visit_id": 7, "what": "陪同走访", "hours": "2.5"}))]
pub struct ServiceView {
    /// Id.
    pub id: i64,
    /// Volunteer.
    pub volunteer_id: i64,
    /// Day.
    #[schema(value_type = String, format = Date)]
    pub served_on: Date,
    /// Where.
    pub jurisdiction: String,
    /// Whom.
    pub retiree_id: Option<i64>,
    /// Activity.
    pub activity_id: Option<i64>,
    /// Visit.
    pub visit_id: Option<i64>,
    /// What.
    pub what: String,
    /// Hours.
    pub hours: String,
}

/// The hours of a volunteer in a year (services given in the caller's subtree).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"volunteer_id": 4, "name": "陈志华", "pool": "350203", "year": 2026, "hours": "36.5",
    "services": 15}))]
pub struct HoursRow {
    /// Volunteer.
    pub volunteer_id: i64,
    /// Name.
    pub name: String,
    /// Pool.
    pub pool: String,
    /// Year.
    pub year: i32,
    /// Hours.
    pub hours: String,
    /// Service records.
    pub services: i64,
}

/// A checked volunteer.
#[derive(Debug, Clone)]
pub struct VolunteerAsked {
    body: VolunteerInput,
    name: String,
    skills: Vec<String>,
    availability: Option<String>,
    organisation: Option<String>,
}

/// A checked service.
#[derive(Debug, Clone)]
pub struct ServiceAsked {
    body: ServiceInput,
    served_on: Date,
    what: String,
    tenths: u32,
}

/// The checks of a volunteer.
pub fn check(body: &VolunteerInput) -> Result<VolunteerAsked, Vec<FieldError>> {
    let mut errors = Vec::new();
    let name = check_name("/name", &body.name, 50, &mut errors);
    if body.skills.len() > 20 {
        errors.push(FieldError::with("/skills", ErrorCode::InvalidValue, "技能最多20项", "at most 20 skills"));
    }
    let mut skills: Vec<String> = Vec::new();
    for (i, s) in body.skills.iter().enumerate() {
        let s = check_name(&format!("/skills/{i}"), s, 50, &mut errors);
        if !s.is_empty() && !skills.contains(&s) {
            skills.push(s);
        }
    }
    let availability = check_text("/availability", body.availability.as_deref(), 200, &mut errors);
    let organisation = check_text("/organisation", body.organisation.as_deref(), 100, &mut errors);
    if errors.is_empty() {
        Ok(VolunteerAsked { body: body.clone(), name, skills, availability, organisation })
    } else {
        Err(errors)
    }
}

/// The checks of a service on `today`.
pub fn check_service(body: &ServiceInput, today: Date) -> Result<ServiceAsked, Vec<FieldError>> {
    let mut errors = Vec::new();
    let served_on = date_not_after("/served_on", Some(&body.served_on), today, &mut errors);
    let what = check_name("/what", &body.what, 200, &mut errors);
    let tenths = volunteer::parse_hours(&body.hours).map_err(|e| errors.push(FieldError::rule("/hours", &e))).ok();
    match tenths {
        Some(tenths) if errors.is_empty() => Ok(ServiceAsked { body: body.clone(), served_on, what, tenths }),
        _ => Err(errors),
    }
}

fn view(v: Volunteer) -> Result<VolunteerView, AppError> {
    let skills: Vec<String> = persistence::typed::stored_json("volunteers", v.id, "skills", &v.skills)?;
    Ok(VolunteerView {
        id: v.id,
        pool: v.pool_code,
        name: v.name,
        retiree_id: v.retiree_id,
        skills,
        availability: v.availability,
        organisation: v.organisation,
        version: v.version,
    })
}

/// Registers a volunteer in a pool (audited `volunteer.create`).
pub fn create(conn: &mut DbConnection, caller: &Caller, asked: VolunteerAsked) -> Result<VolunteerView, AppError> {
    caller.require(Permission::VolunteerManage)?;
    let node = match asked.body.pool.as_deref() {
        Some(code) => node_in_scope(conn, caller, code, "/pool")?,
        None => jurisdictions::find(conn, &caller.jurisdiction_code)?,
    };
    volunteer::check_pool(node.level).map_err(|e: VolunteerError| AppError::field(FieldError::rule("/pool", &e)))?;
    if let Some(r) = asked.body.retiree_id {
        referenced_retiree(conn, caller, r, "/retiree_id")?;
    }
    let stored = repo::create(
        conn,
        &NewVolunteer {
            pool_code: node.code.clone(),
            name: asked.name,
            retiree_id: asked.body.retiree_id,
            skills: serde_json::to_string(&asked.skills).map_err(AppError::internal)?,
            availability: asked.availability,
            organisation: asked.organisation,
            created_by: caller.login.clone(),
            created_at: persistence::now_utc(),
            version: 1,
        },
    )?;
    let mut entry = caller.audit("volunteer.create", "volunteer", stored.id, &node.path);
    entry.retiree_id = stored.retiree_id;
    audit::append(conn, &entry)?;
    view(stored)
}

/// One volunteer the caller sees (else 404).
pub fn get(conn: &mut DbConnection, caller: &Caller, id: i64) -> Result<VolunteerView, AppError> {
    require_read(caller)?;
    view(repo::find_visible(conn, id, &caller.scope_path)?)
}

/// A page of the volunteers the caller sees (its subtree's pools and the pools above it), by id.
pub fn list(
    conn: &mut DbConnection,
    caller: &Caller,
    pool: Option<&str>,
    after: Option<i64>,
    limit: i64,
) -> Result<Vec<VolunteerView>, AppError> {
    require_read(caller)?;
    repo::list(conn, &caller.scope_path, pool, after, limit)?.into_iter().map(view).collect()
}

/// Records a service of volunteer `id` (seen by the caller, else 404) at a node of the caller's subtree, for a
/// person and at an activity of the caller's subtree (else 422 on the field). Audited `volunteer.service`; emits
/// `volunteer.served` when the service was for a person.
pub fn add_service(
    conn: &mut DbConnection,
    caller: &Caller,
    id: i64,
    asked: ServiceAsked,
) -> Result<ServiceView, AppError> {
    caller.require(Permission::VolunteerManage)?;
    let v = repo::find_visible(conn, id, &caller.scope_path)?;
    let node = match asked.body.jurisdiction.as_deref() {
        Some(code) => node_in_scope(conn, caller, code, "/jurisdiction")?,
        None => jurisdictions::find(conn, &caller.jurisdiction_code)?,
    };
    if let Some(r) = asked.body.retiree_id {
        referenced_retiree(conn, caller, r, "/retiree_id")?;
    }
    let b = &asked.body;
    links::check_links(conn, caller, asked.served_on, b.retiree_id, b.visit_id, b.activity_id)?;
    let tenths = i32::try_from(asked.tenths).map_err(AppError::internal)?;
    let new = NewService {
        volunteer_id: v.id,
        served_on: asked.served_on,
        community_code: node.code.clone(),
        retiree_id: asked.body.retiree_id,
        activity_id: asked.body.activity_id,
        what: asked.what,
        tenths,
        created_by: caller.login.clone(),
        created_at: persistence::now_utc(),
        visit_id: asked.body.visit_id,
    };
    let service_id = repo::add_service(conn, &new)?;
    let mut entry = caller.audit("volunteer.service", "volunteer", v.id, &node.path);
    entry.retiree_id = new.retiree_id;
    entry.detail = Some(
        serde_json::json!({"service_id": service_id, "hours": volunteer::hours_text(i64::from(tenths))}).to_string(),
    );
    audit::append(conn, &entry)?;
    if let Some(r) = new.retiree_id {
        events::emit(
            conn,
            &Emit {
                kind: EventType::VolunteerServed.as_str(),
                version: 1,
                subject_type: "volunteer",
                subject_id: v.id,
                retiree_id: Some(r),
                community_code: None,
                previous_code: None,
                details: serde_json::json!({
                    "volunteer_id": v.id,
                    "service_id": service_id,
                    "served_on": new.served_on.to_string(),
                    "activity_id": new.activity_id,
                    "visit_id": new.visit_id,
                    "hours": volunteer::hours_text(i64::from(tenths)),
                }),
            },
        )?;
    }
    Ok(ServiceView {
        id: service_id,
        volunteer_id: v.id,
        served_on: new.served_on,
        jurisdiction: new.community_code,
        retiree_id: new.retiree_id,
        activity_id: new.activity_id,
        visit_id: new.visit_id,
        what: new.what,
        hours: volunteer::hours_text(i64::from(tenths)),
    })
}

/// The hours per volunteer of the services given in the caller's subtree in `year`, by volunteer.
pub fn hours(conn: &mut DbConnection, caller: &Caller, year: i32) -> Result<Vec<HoursRow>, AppError> {
    require_read(caller)?;
    let bad = |_| AppError::field(FieldError::of("year", ErrorCode::InvalidValue));
    let from = Date::from_calendar_date(year, Month::January, 1).map_err(bad)?;
    let to = Date::from_calendar_date(year, Month::December, 31).map_err(bad)?;
    Ok(repo::hours(conn, &caller.scope_path, from, to)?
        .into_iter()
        .map(|(v, tenths, n)| HoursRow {
            volunteer_id: v.id,
            name: v.name,
            pool: v.pool_code,
            year,
            hours: volunteer::hours_text(tenths),
            services: n,
        })
        .collect())
}

/// Which list a file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileList {
    /// The volunteers.
    Volunteers,
    /// The hours per volunteer of a year.
    Hours,
    /// The service records of a year, with their visit and activity (issue 25).
    Services,
}

/// The columns of the volunteer list, as exported and imported.
pub const VOLUNTEER_COLUMNS: [Column; 6] = [
    Column::text("name", "姓名"),
    Column::text("pool", "所属资源库"),
    Column::text("retiree_id", "退休人员编号"),
    Column::text("skills", "技能特长"),
    Column::text("availability", "服务时间"),
    Column::text("organisation", "所属组织"),
];

const HOURS_COLUMNS: [Column; 6] = [
    Column::text("volunteer_id", "志愿者编号"),
    Column::text("name", "姓名"),
    Column::text("pool", "所属资源库"),
    Column::number("year", "年度"),
    Column::number("hours", "服务时长（小时）"),
    Column::number("services", "服务次数"),
];

const SERVICE_COLUMNS: [Column; 10] = [
    Column::text("id", "服务记录编号"),
    Column::text("volunteer_id", "志愿者编号"),
    Column::text("name", "姓名"),
    Column::date("served_on", "服务日期"),
    Column::text("jurisdiction", "服务地点"),
    Column::text("retiree_id", "服务对象编号"),
    Column::text("visit_id", "走访编号"),
    Column::text("activity_id", "活动编号"),
    Column::text("what", "服务内容"),
    Column::number("hours", "服务时长（小时）"),
];

/// The list `which` as a file (Chinese headers with `labels=zh`); audited `volunteer.export`.
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
        FileList::Volunteers => {
            let rows = list(conn, caller, None, None, MAX_FILE_ROWS)?
                .into_iter()
                .map(|v| {
                    vec![
                        v.name,
                        v.pool,
                        v.retiree_id.map(|r| r.to_string()).unwrap_or_default(),
                        v.skills.join("、"),
                        v.availability.unwrap_or_default(),
                        v.organisation.unwrap_or_default(),
                    ]
                })
                .collect::<Vec<_>>();
            ("志愿者", "volunteers", VOLUNTEER_COLUMNS.to_vec(), rows)
        }
        FileList::Hours => {
            let rows = hours(conn, caller, year)?
                .into_iter()
                .map(|h| {
                    vec![
                        h.volunteer_id.to_string(),
                        h.name,
                        h.pool,
                        h.year.to_string(),
                        h.hours,
                        h.services.to_string(),
                    ]
                })
                .collect::<Vec<_>>();
            ("志愿服务时长", "volunteer-hours", HOURS_COLUMNS.to_vec(), rows)
        }
        FileList::Services => {
            let bad = |_| AppError::field(FieldError::of("year", ErrorCode::InvalidValue));
            let filter = repo::ServiceFilter {
                from: Some(Date::from_calendar_date(year, Month::January, 1).map_err(bad)?),
                to: Some(Date::from_calendar_date(year, Month::December, 31).map_err(bad)?),
                ..repo::ServiceFilter::default()
            };
            let opt = |v: Option<i64>| v.map(|i| i.to_string()).unwrap_or_default();
            let rows = repo::services(conn, &caller.scope_path, filter, MAX_FILE_ROWS)?
                .into_iter()
                .map(links::linked_view)
                .map(|s| {
                    vec![
                        s.id.to_string(),
                        s.volunteer_id.to_string(),
                        s.volunteer_name,
                        s.served_on.to_string(),
                        s.jurisdiction,
                        opt(s.retiree_id),
                        opt(s.visit_id),
                        opt(s.activity_id),
                        s.what,
                        s.hours,
                    ]
                })
                .collect::<Vec<_>>();
            ("志愿服务记录", "volunteer-services", SERVICE_COLUMNS.to_vec(), rows)
        }
    };
    let count = rows.len();
    let file = table::render(&[Table::new(sheet, columns, rows)], format, encoding, labels, stem)?;
    let mut entry = caller.audit("volunteer.export", "volunteer", "list", &caller.scope_path);
    entry.detail = Some(serde_json::json!({"rows": count, "list": stem, "format": format.as_str()}).to_string());
    Ok(Audited::new(file, entry))
}

/// Imports a volunteer list (CSV or, with `xlsx`, XLSX) whose header names the columns of [`VOLUNTEER_COLUMNS`]
/// by code or Chinese header (`name` required; skills separated by `、` or `,`): every row through [`create`] in a
/// savepoint, its errors at its line; `atomic` refuses the file on any bad row.
pub fn import(
    conn: &mut DbConnection,
    caller: &Caller,
    file: register::Upload<'_>,
    mode: Mode,
) -> Result<RegisterReport, AppError> {
    caller.require(Permission::VolunteerManage)?;
    let rows = register::read(file.raw, file.dir, file.xlsx, &VOLUNTEER_COLUMNS, &["name"], file.unpacked_limit)?;
    register::apply(conn, mode, &rows, |conn, row| {
        let retiree_id = match row.get("retiree_id") {
            None => None,
            Some(t) => Some(
                t.parse::<i64>()
                    .map_err(|_| AppError::field(FieldError::of("/retiree_id", ErrorCode::InvalidValue)))?,
            ),
        };
        let body = VolunteerInput {
            pool: row.get("pool").map(str::to_owned),
            name: row.get("name").unwrap_or_default().to_owned(),
            retiree_id,
            skills: row
                .get("skills")
                .map(|s| s.split(['、', ',', '，']).map(|x| x.trim().to_owned()).filter(|x| !x.is_empty()).collect())
                .unwrap_or_default(),
            availability: row.get("availability").map(str::to_owned),
            organisation: row.get("organisation").map(str::to_owned),
        };
        let asked = check(&body).map_err(AppError::validation)?;
        create(conn, caller, asked)?;
        Ok(Outcome::Created)
    })
}
