//! Registering a case (GUIDE 接待制度: "认真记录来访事由"; "对来信提出的问题，进行登记后…"): the checks of the request,
//! the people it is for, its deadlines, and the escalation at once of a collective petition or an emergency
//! ("应立即向上一级退管机构报告"), which emits `petition.escalated`.

use domain::petition::{self, PetitionChannel, PetitionStatus, Urgency};
use domain::{ErrorCode, Level};
use persistence::jurisdictions::{self, Jurisdiction};
use persistence::petitions::{self as repo, NewPetition, NewPetitionPerson, NewPetitionStep};
use persistence::{DbConnection, audit};
use time::Date;

use super::{PetitionView, RegisterPetitionRequest, deadlines_at, handle, view};
use crate::caller::Caller;
use crate::error::{AppError, FieldError};
use crate::input::{check_name, check_phone, date_not_after, parse_date};
use crate::policy_book::policy_at;
use crate::scope::{node_in_scope, referenced_dependent, referenced_retiree};

/// Most persons named on one case.
pub const MAX_PERSONS: usize = 50;
/// Most attachments on one case.
pub const MAX_ATTACHMENTS: usize = 20;

/// Who a person of a checked case is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PersonAsked {
    /// A retiree.
    Retiree(i64),
    /// A dependant.
    Dependent(i64),
    /// Someone not on the roll.
    Other {
        /// Name.
        name: String,
        /// Phone.
        phone: String,
    },
}

/// A checked registration.
#[derive(Debug, Clone)]
pub struct RegisterAsked {
    /// The request as sent.
    pub body: RegisterPetitionRequest,
    /// The people.
    pub persons: Vec<PersonAsked>,
    /// People count.
    pub people_count: i32,
    /// Text.
    pub text: String,
    /// Attachments.
    pub attachments: Vec<String>,
    /// Day received.
    pub received_on: Date,
    /// Agreed answer date.
    pub due_on: Option<Date>,
}

fn check_attachment(field: &str, uri: &str, errors: &mut Vec<FieldError>) {
    let scheme_ok = uri.split_once(':').is_some_and(|(scheme, rest)| {
        !rest.is_empty()
            && scheme.starts_with(|c: char| c.is_ascii_alphabetic())
            && scheme.chars().all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
    });
    if !scheme_ok || uri.chars().count() > 500 || uri.chars().any(|c| c.is_control() || c.is_whitespace()) {
        errors.push(FieldError::with(
            field,
            ErrorCode::InvalidValue,
            "附件应为带协议的引用地址（如 https://… 或 file://…），最多500个字符",
            "an attachment is a reference URI with a scheme (https://…, file://…), at most 500 characters",
        ));
    }
}

/// The checks of a registration on `today`, every broken rule at once: 1-50 persons, each a retiree, a dependant
/// or a name with a phone; `people_count` not below the persons; the text; attachments as URIs; a letter needs
/// `received_on` (422 `received_on_required`), which is not in the future; an agreed `due_on` not in the past
/// (422 `due_date_in_past`).
pub fn check(body: &RegisterPetitionRequest, today: Date) -> Result<RegisterAsked, Vec<FieldError>> {
    let mut errors = Vec::new();
    if body.persons.is_empty() || body.persons.len() > MAX_PERSONS {
        errors.push(FieldError::with(
            "/persons",
            ErrorCode::Length,
            format!("应登记1至{MAX_PERSONS}人"),
            format!("name 1 to {MAX_PERSONS} persons"),
        ));
    }
    let mut persons = Vec::new();
    for (i, p) in body.persons.iter().enumerate() {
        let base = format!("/persons/{i}");
        match (p.retiree_id, p.dependent_id, p.name.as_deref(), p.phone.as_deref()) {
            (Some(id), None, None, None) => persons.push(PersonAsked::Retiree(id)),
            (None, Some(id), None, None) => persons.push(PersonAsked::Dependent(id)),
            (None, None, Some(name), Some(phone)) => {
                let name = check_name(&format!("{base}/name"), name, 50, &mut errors);
                let phone = check_phone(&format!("{base}/phone"), phone, &mut errors);
                persons.push(PersonAsked::Other { name, phone });
            }
            (None, None, Some(_), None) => errors.push(FieldError::of(format!("{base}/phone"), ErrorCode::Required)),
            (None, None, None, Some(_)) => errors.push(FieldError::of(format!("{base}/name"), ErrorCode::Required)),
            _ => errors.push(FieldError::with(
                base,
                ErrorCode::InvalidValue,
                "每人应给出 retiree_id、dependent_id 或 name 与 phone 之一",
                "give one of retiree_id, dependent_id, or name with phone",
            )),
        }
    }
    let named = i32::try_from(body.persons.len()).unwrap_or(i32::MAX);
    let people_count = body.people_count.unwrap_or(named);
    if people_count < named || people_count > 100_000 {
        errors.push(FieldError::of("/people_count", ErrorCode::PeopleCount));
    }
    let text = check_name("/text", &body.text, 4000, &mut errors);
    let attachments = body.attachments.clone().unwrap_or_default();
    if attachments.len() > MAX_ATTACHMENTS {
        errors.push(FieldError::with(
            "/attachments",
            ErrorCode::Length,
            format!("附件最多{MAX_ATTACHMENTS}个"),
            format!("at most {MAX_ATTACHMENTS} attachments"),
        ));
    }
    for (i, a) in attachments.iter().enumerate() {
        check_attachment(&format!("/attachments/{i}"), a, &mut errors);
    }
    if body.channel == PetitionChannel::Letter && body.received_on.is_none() {
        errors.push(FieldError::of("/received_on", ErrorCode::ReceivedOnRequired));
    }
    let received_on = date_not_after("/received_on", body.received_on.as_deref(), today, &mut errors);
    let due_on = match body.due_on.as_deref().map(|t| parse_date("/due_on", t)) {
        None => None,
        Some(Err(e)) => {
            errors.push(e);
            None
        }
        Some(Ok(d)) if d < today => {
            errors.push(FieldError::of("/due_on", ErrorCode::DueDateInPast));
            None
        }
        Some(Ok(d)) => Some(d),
    };
    if errors.is_empty() {
        Ok(RegisterAsked { body: body.clone(), persons, people_count, text, attachments, received_on, due_on })
    } else {
        Err(errors)
    }
}

/// The node that receives a case: `code` (in the caller's subtree) or the caller's node; it must hold cases
/// (422 `not_a_handling_node` on `/jurisdiction`).
fn receiving_node(conn: &mut DbConnection, caller: &Caller, code: Option<&str>) -> Result<Jurisdiction, AppError> {
    let node = match code {
        Some(code) => node_in_scope(conn, caller, code, "/jurisdiction")?,
        None => jurisdictions::find(conn, &caller.jurisdiction_code)?,
    };
    if !petition::holds_cases(node.level) {
        return Err(AppError::field(FieldError::of("/jurisdiction", ErrorCode::NotAHandlingNode)));
    }
    Ok(node)
}

/// The node above `node` a case goes to, or `None` at the top (a city, or a node without a parent).
pub(crate) fn node_above(conn: &mut DbConnection, node: &Jurisdiction) -> Result<Option<Jurisdiction>, AppError> {
    if petition::level_above(node.level).is_none() {
        return Ok(None);
    }
    match &node.parent_code {
        Some(code) => {
            let parent = jurisdictions::find(conn, code)?;
            Ok((parent.level != Level::Province).then_some(parent))
        }
        None => Ok(None),
    }
}

/// Registers a case for `caller` on `today` (audited `petition.register`). A collective petition (`people_count`
/// at or above the policy's `collective_min_people`) or an emergency goes at once to the level above the
/// receiving node, whose clock starts today, and emits `petition.escalated`; at the city it stays.
pub fn register(
    conn: &mut DbConnection,
    caller: &Caller,
    today: Date,
    asked: RegisterAsked,
) -> Result<PetitionView, AppError> {
    let node = receiving_node(conn, caller, asked.body.jurisdiction.as_deref())?;
    let mut rows = Vec::with_capacity(asked.persons.len());
    let mut first_retiree = None;
    for (i, p) in asked.persons.iter().enumerate() {
        let row = match p {
            PersonAsked::Retiree(id) => {
                let (r, _) = referenced_retiree(conn, caller, *id, &format!("/persons/{i}/retiree_id"))?;
                first_retiree.get_or_insert(r.id);
                NewPetitionPerson {
                    petition_id: 0,
                    retiree_id: Some(r.id),
                    dependent_id: None,
                    name: r.name,
                    phone: None,
                }
            }
            PersonAsked::Dependent(id) => {
                let (d, r, _) = referenced_dependent(conn, caller, *id, &format!("/persons/{i}/dependent_id"))?;
                first_retiree.get_or_insert(r.id);
                NewPetitionPerson {
                    petition_id: 0,
                    retiree_id: None,
                    dependent_id: Some(d.id),
                    name: d.name,
                    phone: None,
                }
            }
            PersonAsked::Other { name, phone } => NewPetitionPerson {
                petition_id: 0,
                retiree_id: None,
                dependent_id: None,
                name: name.clone(),
                phone: Some(phone.clone()),
            },
        };
        rows.push(row);
    }
    let body = &asked.body;
    let urgency = body.urgency.unwrap_or(Urgency::Normal);
    let major = body.major_policy.unwrap_or(false);
    let policy = policy_at(conn, &node.path, asked.received_on)?;
    let collective = petition::is_collective(u32::try_from(asked.people_count).unwrap_or(0), &policy.petitions);
    let above = if petition::escalates_at_once(collective, urgency) { node_above(conn, &node)? } else { None };
    let (owner, escalations, start) = match &above {
        Some(up) => (up.clone(), 1, today),
        None => (node.clone(), 0, asked.received_on),
    };
    let basis = petition::answer_basis(body.channel, escalations, major);
    let mut due = deadlines_at(conn, &owner.path, basis, start)?;
    if let Some(agreed) = asked.due_on {
        due.answer_by = agreed;
        due.acknowledge_by = due.acknowledge_by.min(agreed);
    }
    let status = PetitionStatus::Registered;
    let new = NewPetition {
        channel: body.channel.as_str().to_owned(),
        category: body.category.as_str().to_owned(),
        urgency: urgency.as_str().to_owned(),
        major_policy: major,
        people_count: asked.people_count,
        collective,
        body: asked.text.clone(),
        attachments: serde_json::to_string(&asked.attachments).map_err(AppError::internal)?,
        received_on: asked.received_on,
        origin_code: node.code.clone(),
        owner_code: owner.code.clone(),
        escalations: i32::try_from(escalations).unwrap_or(i32::MAX),
        status: status.as_str().to_owned(),
        basis: basis.as_str().to_owned(),
        clock_started_on: start,
        acknowledge_due: due.acknowledge_by,
        answer_due: due.answer_by,
        due_on: petition::due_on(status, due),
        due_fixed: asked.due_on.is_some(),
        reopened: 0,
        registered_by: caller.login.clone(),
        registered_at: persistence::now_utc(),
        version: 1,
    };
    let stored = repo::create(conn, &new, &rows)?;
    repo::add_step(
        conn,
        &NewPetitionStep {
            petition_id: stored.id,
            kind: "registered".into(),
            node_code: node.code.clone(),
            on_date: asked.received_on,
            note: None,
            assignee_id: None,
            actor: caller.login.clone(),
            at: persistence::now_utc(),
        },
    )?;
    if let Some(up) = &above {
        let reason = if collective { "collective" } else { "emergency" };
        handle::record_escalation(conn, caller, &stored, &node.code, up, today, Some(reason), true)?;
    }
    let mut entry = caller.audit("petition.register", "petition", stored.id, &node.path);
    entry.retiree_id = first_retiree;
    entry.detail = Some(
        serde_json::json!({"channel": body.channel, "category": body.category, "urgency": urgency,
            "people_count": asked.people_count, "collective": collective, "owner": owner.code,
            "answer_due": due.answer_by.to_string()})
        .to_string(),
    );
    audit::append(conn, &entry)?;
    let persons = repo::persons_of(conn, stored.id)?;
    let steps = repo::steps_of(conn, stored.id)?;
    view(stored, persons, steps, None, today, true)
}
