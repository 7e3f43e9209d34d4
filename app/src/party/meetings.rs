//! Organisation life 组织生活 of a branch (CS Art. 24; JN Art. 29: "坚持党的组织生活制度…采取灵活的方式，组织退休党员
//! 过好组织生活，加强政治理论学习"): branch meetings, committee meetings, party lessons, theme days and study sessions,
//! with the attendance of the branch's retired members (absent with a reason).

use domain::ErrorCode;
use domain::party::{self, MeetingKind};
use persistence::events::{self, Emit};
use persistence::party as repo;
use persistence::{DbConnection, audit};
use serde::{Deserialize, Serialize};
use time::Date;
use utoipa::ToSchema;

use super::{branches, require_manage, require_read};
use crate::audited::Audited;
use crate::caller::Caller;
use crate::error::{AppError, FieldError};
use crate::input::{check_name, check_text, date_not_after};

/// Most attendance lines of one meeting.
const MAX_ATTENDANCE: usize = 500;

/// One member's attendance.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = PartyAttendanceInput)]
pub struct AttendanceInput {
    /// A party member whose relation sits in this branch (else 422 `not_in_branch`).
    pub retiree_id: i64,
    /// Whether they attended.
    pub attended: bool,
    /// Why absent, 1-200 characters (required when absent: 422 `reason_required`).
    pub absence_reason: Option<String>,
}

/// Organisation life to record.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"kind": "theme_day", "held_on": "2026-12-01", "topic": "学习党的二十届三中全会精神",
    "attendance": [{"retiree_id": 42, "attended": true}, {"retiree_id": 43, "attended": false,
        "absence_reason": "住院治疗"}]}))]
pub struct MeetingInput {
    /// `branch_meeting` 支部党员大会, `committee_meeting` 支部委员会, `party_lesson` 党课, `theme_day` 主题党日,
    /// `study_session` 学习.
    pub kind: MeetingKind,
    /// Day held (`YYYY-MM-DD`, not in the future, not before the branch was founded).
    #[schema(format = Date)]
    pub held_on: String,
    /// Topic, 1-200 characters.
    pub topic: String,
    /// Attendance, at most 500 lines, each person once.
    pub attendance: Vec<AttendanceInput>,
}

/// One line of attendance.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(as = PartyAttendanceView)]
pub struct AttendanceView {
    /// The member.
    pub retiree_id: i64,
    /// Attended.
    pub attended: bool,
    /// Why absent.
    pub absence_reason: Option<String>,
}

/// Recorded organisation life.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(as = PartyMeetingView, example = json!({"id": 8, "branch_id": 3, "kind": "theme_day", "held_on": "2026-12-01",
    "topic": "学习党的二十届三中全会精神", "attended": 1, "absent": 1,
    "attendance": [{"retiree_id": 42, "attended": true, "absence_reason": null},
        {"retiree_id": 43, "attended": false, "absence_reason": "住院治疗"}]}))]
pub struct MeetingView {
    /// Id.
    pub id: i64,
    /// Branch.
    pub branch_id: i64,
    /// Kind.
    pub kind: MeetingKind,
    /// Day held.
    #[schema(value_type = String, format = Date)]
    pub held_on: Date,
    /// Topic.
    pub topic: String,
    /// Members who attended.
    pub attended: i64,
    /// Members absent.
    pub absent: i64,
    /// Attendance.
    pub attendance: Vec<AttendanceView>,
}

/// A checked meeting.
#[derive(Debug, Clone)]
pub struct MeetingAsked {
    kind: MeetingKind,
    held_on: Date,
    topic: String,
    attendance: Vec<(i64, bool, Option<String>)>,
}

/// The checks of a meeting on `today`, every broken rule at once.
pub fn check(body: &MeetingInput, today: Date) -> Result<MeetingAsked, Vec<FieldError>> {
    let mut errors = Vec::new();
    let held_on = date_not_after("/held_on", Some(&body.held_on), today, &mut errors);
    let topic = check_name("/topic", &body.topic, 200, &mut errors);
    if body.attendance.len() > MAX_ATTENDANCE {
        errors.push(FieldError::with(
            "/attendance",
            ErrorCode::OutOfRange,
            format!("出席名单最多 {MAX_ATTENDANCE} 人"),
            format!("at most {MAX_ATTENDANCE} attendance lines"),
        ));
    }
    let mut attendance = Vec::new();
    for (i, a) in body.attendance.iter().enumerate() {
        let field = format!("/attendance/{i}/absence_reason");
        let reason = check_text(&field, a.absence_reason.as_deref(), 200, &mut errors);
        match (a.attended, &reason) {
            (false, None) => errors.push(FieldError::with(
                field,
                ErrorCode::ReasonRequired,
                "缺席须写明原因",
                "an absence needs its reason",
            )),
            (true, Some(_)) => errors.push(FieldError::with(
                field,
                ErrorCode::InvalidValue,
                "出席者不填写缺席原因",
                "an attendee has no absence reason",
            )),
            _ => {}
        }
        if body.attendance[..i].iter().any(|b| b.retiree_id == a.retiree_id) {
            errors.push(FieldError::with(
                format!("/attendance/{i}/retiree_id"),
                ErrorCode::InvalidValue,
                "同一人员在出席名单中出现了两次",
                "the person is listed twice",
            ));
        }
        attendance.push((a.retiree_id, a.attended, reason));
    }
    if errors.is_empty() { Ok(MeetingAsked { kind: body.kind, held_on, topic, attendance }) } else { Err(errors) }
}

/// Records organisation life of branch `branch_id` (of the caller's subtree, else 404; closed: 409 `conflict`):
/// every listed person's relation must sit in the branch (422 `not_in_branch` naming the line); not before the
/// branch was founded (422 `party_date_order`). Audited `party.meeting.record`; emits `party.meeting_recorded` at
/// the branch's node.
pub fn record(
    conn: &mut DbConnection,
    caller: &Caller,
    branch_id: i64,
    asked: MeetingAsked,
) -> Result<MeetingView, AppError> {
    require_manage(caller)?;
    let (branch, path) = branches::seen(conn, caller, branch_id)?;
    if branch.closed_on.is_some() {
        return Err(AppError::with(ErrorCode::Conflict, "该党支部已撤销", "the branch is closed"));
    }
    party::check_step_date(branch.founded_on, asked.held_on)
        .map_err(|e| AppError::field(FieldError::rule("/held_on", &e)))?;
    let ids: Vec<i64> = asked.attendance.iter().map(|a| a.0).collect();
    let members = repo::members_among(conn, branch.id, &ids)?;
    let strangers: Vec<FieldError> = ids
        .iter()
        .enumerate()
        .filter(|(_, id)| !members.contains(id))
        .map(|(i, _)| FieldError::of(format!("/attendance/{i}/retiree_id"), ErrorCode::NotInBranch))
        .collect();
    if !strangers.is_empty() {
        return Err(AppError::validation(strangers));
    }
    let id = repo::create_meeting(
        conn,
        branch.id,
        asked.kind,
        asked.held_on,
        &asked.topic,
        &asked.attendance,
        &caller.login,
    )?;
    let attended = asked.attendance.iter().filter(|a| a.1).count() as i64;
    let absent = asked.attendance.len() as i64 - attended;
    let mut entry = caller.audit("party.meeting.record", "party_meeting", id, &path);
    entry.detail = Some(
        serde_json::json!({"branch_id": branch.id, "kind": asked.kind.as_str(), "attended": attended, "absent": absent})
            .to_string(),
    );
    audit::append(conn, &entry)?;
    events::emit(
        conn,
        &Emit {
            kind: domain::events::EventType::PartyMeetingRecorded.as_str(),
            version: 1,
            subject_type: "party_meeting",
            subject_id: id,
            retiree_id: None,
            community_code: Some(&branch.jurisdiction_code),
            previous_code: None,
            details: serde_json::json!({"meeting_id": id, "branch_id": branch.id, "kind": asked.kind.as_str(),
                "held_on": asked.held_on.to_string(), "attended": attended, "absent": absent}),
        },
    )?;
    Ok(MeetingView {
        id,
        branch_id: branch.id,
        kind: asked.kind,
        held_on: asked.held_on,
        topic: asked.topic,
        attended,
        absent,
        attendance: asked
            .attendance
            .into_iter()
            .map(|(retiree_id, attended, absence_reason)| AttendanceView { retiree_id, attended, absence_reason })
            .collect(),
    })
}

/// A page of the organisation life of branch `branch_id` (of the caller's subtree, else 404), by id, with
/// attendance; audited `party.meeting.list` (attendance names people).
pub fn list(
    conn: &mut DbConnection,
    caller: &Caller,
    branch_id: i64,
    after: Option<i64>,
    limit: i64,
) -> Result<Audited<Vec<MeetingView>>, AppError> {
    require_read(caller)?;
    let (branch, path) = branches::seen(conn, caller, branch_id)?;
    let meetings = repo::meetings_of(conn, branch.id, after, limit)?;
    let ids: Vec<i64> = meetings.iter().map(|m| m.id).collect();
    let lines = repo::attendance_of(conn, &ids)?;
    let items: Vec<MeetingView> = meetings
        .into_iter()
        .map(|m| {
            let attendance: Vec<AttendanceView> = lines
                .iter()
                .filter(|l| l.meeting_id == m.id)
                .map(|l| AttendanceView {
                    retiree_id: l.retiree_id,
                    attended: l.attended,
                    absence_reason: l.absence_reason.clone(),
                })
                .collect();
            let attended = attendance.iter().filter(|a| a.attended).count() as i64;
            MeetingView {
                id: m.id,
                branch_id: m.branch_id,
                kind: m.kind,
                held_on: m.held_on,
                topic: m.topic,
                attended,
                absent: attendance.len() as i64 - attended,
                attendance,
            }
        })
        .collect();
    let mut entry = caller.audit("party.meeting.list", "party_branch", branch.id, &path);
    entry.detail = Some(serde_json::json!({"rows": items.len()}).to_string());
    Ok(Audited::new(items, entry))
}
