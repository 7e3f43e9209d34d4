//! The change feed (issue 11; CS Art. 27, 30; JN Art. 33): events in commit order, scoped to the reader's
//! subtree, resumable from any cursor, personal fields masked per role as in lists. The same event JSON goes to
//! `GET /events` and to the webhooks.

mod schema;

use domain::events::EventType;
use domain::{ErrorCode, Role, SensitiveField};
use persistence::DbConnection;
use serde_json::Value;

pub use schema::*;

use crate::audited::Audited;
use crate::{AppError, Caller, FieldError};

/// A checked query of the feed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedQuery {
    /// Events after this id.
    pub after: i64,
    /// Types to include (all when empty).
    pub types: Vec<String>,
    /// Page size.
    pub limit: i64,
}

impl FeedQuery {
    /// Reads `after`, `types` and `limit` as given in the query string; every broken rule at once (422).
    pub fn parse(after: Option<&str>, types: Option<&str>, limit: Option<&str>) -> Result<Self, AppError> {
        let mut errors = Vec::new();
        let after = parse_after(after, &mut errors);
        let types = parse_types("types", types, &mut errors);
        let limit = parse_limit(limit, &mut errors);
        if errors.is_empty() { Ok(Self { after, types, limit }) } else { Err(AppError::validation(errors)) }
    }
}

/// Issue 21.12: refuses a cursor `after` whose following events were deleted by retention (410 `event_gone`): the
/// feed reader or webhook starting there would miss them without knowing. `0` means "from the oldest kept event" and
/// is always allowed. Used by the feed, by creating a webhook and by replaying one.
pub fn ensure_kept(conn: &mut DbConnection, after: i64) -> Result<(), AppError> {
    if after == 0 {
        return Ok(());
    }
    let gone = persistence::retention::events_gone_up_to(conn)?;
    if after < gone {
        return Err(AppError::with(
            ErrorCode::EventGone,
            format!("事件 {after} 之后至 {gone} 的事件已超过保留期被删除；请从全量导出重新同步，再自 0 读起"),
            format!(
                "the events after {after} up to {gone} are past the retention period and deleted; resynchronise \
                 from an export, then read from 0"
            ),
        ));
    }
    Ok(())
}

/// A page of the feed for `caller` (their subtree, masked per their role); the read is audited. A cursor below
/// the retention mark (events after it were deleted) is 410 `event_gone`; `0` reads from the oldest kept event.
/// It writes nothing: the page leaves with its audit entry ([`Audited`]), so it can be read from a replica.
pub fn page(conn: &mut DbConnection, caller: &Caller, query: &FeedQuery) -> Result<Audited<EventPage>, AppError> {
    let FeedQuery { after, types, limit } = query;
    let (after, limit) = (*after, *limit);
    ensure_kept(conn, after)?;
    let rows = persistence::events::list(conn, &caller.scope_path, after, types, limit + 1)?;
    let mut entry = caller.audit("event.list.read", "event", after, &caller.scope_path);
    entry.detail = Some(serde_json::json!({ "after": after, "count": rows.len().min(limit as usize) }).to_string());
    let has_more = rows.len() as i64 > limit;
    let mut next = after;
    let mut items = Vec::with_capacity(rows.len().min(limit as usize));
    for e in rows.into_iter().take(limit as usize) {
        next = e.id;
        items.push(to_json(e, caller.role)?);
    }
    Ok(Audited::new(EventPage { items, next_cursor: next.to_string(), has_more }, entry))
}

/// The event as a consumer sees it: personal fields masked per `role` as in lists. A stored payload that is not
/// JSON is [`persistence::RepoError::Corrupt`] (500), never sent as `null`.
pub fn to_json(e: persistence::events::Event, role: Role) -> Result<Value, AppError> {
    let mut payload: Value = persistence::typed::stored_json("events", e.id, "payload", &e.payload)?;
    open_sealed(&mut payload, e.id)?;
    mask(&mut payload, role);
    if let Some(retiree) = payload.get_mut("retiree") {
        birth_date_as_seen(retiree, role).map_err(|err| persistence::typed::corrupt("events", e.id, "payload", err))?;
    }
    // Only the published kinds leave: another stored kind is an error, not an undocumented value.
    let subject: SubjectKind = serde_json::from_value(Value::String(e.subject_type.clone()))
        .map_err(|err| persistence::typed::corrupt("events", e.id, "subject_type", err))?;
    let occurred_at = e
        .occurred_at
        .assume_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .map_err(|err| persistence::typed::corrupt("events", e.id, "occurred_at", err))?;
    Ok(serde_json::json!({
        "id": e.id,
        "type": e.r#type,
        "version": e.version,
        "occurred_at": occurred_at,
        "jurisdiction": e.jurisdiction_code,
        "subject": { "type": subject, "id": e.subject_id },
        "payload": payload,
    }))
}

/// The person's birth date as `role` may see it in a list (issue 21.1): `birth_year` for every reader, `birth_date`
/// only where the resident ID is clear, else `null`. A stored `birth_date` that is not a date is an error.
fn birth_date_as_seen(retiree: &mut Value, role: Role) -> Result<(), String> {
    let Some(map) = retiree.as_object_mut() else { return Ok(()) };
    let Some(stored) = map.get("birth_date").and_then(Value::as_str) else {
        return Err("retiree.birth_date is missing".into());
    };
    let format = time::macros::format_description!("[year]-[month]-[day]");
    let date = time::Date::parse(stored, &format).map_err(|e| format!("retiree.birth_date: {e}"))?;
    map.insert("birth_year".into(), Value::from(date.year()));
    if !crate::masking::birth_date_clear(role, false) {
        map.insert("birth_date".into(), Value::Null);
    }
    Ok(())
}

/// Opens the sealed `id_number` and `phone` members wherever they occur (issue 21.10: stored events hold them
/// sealed); one that does not open is [`persistence::RepoError::Corrupt`] naming the event.
fn open_sealed(value: &mut Value, id: i64) -> Result<(), AppError> {
    match value {
        Value::Object(map) => {
            for (k, v) in map.iter_mut() {
                match (k.as_str(), v.as_str()) {
                    ("id_number" | "phone", Some(stored)) => {
                        *v = Value::String(persistence::sealed::open("events", id, k, stored)?);
                    }
                    _ => open_sealed(v, id)?,
                }
            }
        }
        Value::Array(items) => {
            for v in items {
                open_sealed(v, id)?;
            }
        }
        _ => {}
    }
    Ok(())
}

/// Masks `id_number`, `phone` and `address` wherever they occur, unless `role` sees them in lists.
fn mask(value: &mut Value, role: Role) {
    match value {
        Value::Object(map) => {
            for (k, v) in map.iter_mut() {
                let field = match k.as_str() {
                    "id_number" => Some(SensitiveField::IdNumber),
                    "phone" => Some(SensitiveField::Phone),
                    "address" => Some(SensitiveField::Address),
                    _ => None,
                };
                match (field, v.as_str()) {
                    (Some(f), Some(text)) if !role.visibility(f).clear_in(false) => {
                        *v = Value::String(match f {
                            SensitiveField::IdNumber => domain::mask::id_number(text),
                            SensitiveField::Phone => domain::mask::phone(text),
                            SensitiveField::Address => domain::mask::address(text),
                        });
                    }
                    _ => mask(v, role),
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| mask(v, role)),
        _ => {}
    }
}

/// Parses a comma-separated list of event types.
pub fn parse_types(field: &str, text: Option<&str>, errors: &mut Vec<FieldError>) -> Vec<String> {
    let Some(text) = text else { return Vec::new() };
    let mut out = Vec::new();
    for t in text.split(',').map(str::trim).filter(|t| !t.is_empty()) {
        match EventType::parse(t) {
            Some(k) => out.push(k.as_str().to_owned()),
            None => errors.push(FieldError::with(
                field,
                ErrorCode::UnknownEventType,
                format!("未知的事件类型：{}", t.chars().take(64).collect::<String>()),
                format!("unknown event type: {}", t.chars().take(64).collect::<String>()),
            )),
        }
    }
    out
}

fn parse_after(text: Option<&str>, errors: &mut Vec<FieldError>) -> i64 {
    match text.map(str::trim).filter(|t| !t.is_empty()) {
        None => 0,
        Some(t) => match t.parse::<i64>() {
            Ok(n) if n >= 0 => n,
            _ => {
                errors.push(FieldError::with(
                    "after",
                    ErrorCode::InvalidCursor,
                    "after 应为上一页返回的 next_cursor（事件编号）",
                    "after must be a next_cursor this feed returned (an event id)",
                ));
                0
            }
        },
    }
}

fn parse_limit(text: Option<&str>, errors: &mut Vec<FieldError>) -> i64 {
    match text.map(str::trim) {
        None => 100,
        Some(t) => match t.parse::<i64>() {
            Ok(n) if (1..=1000).contains(&n) => n,
            _ => {
                errors.push(FieldError::with(
                    "limit",
                    ErrorCode::InvalidLimit,
                    "limit 应为 1 到 1000 的整数",
                    "limit must be a whole number from 1 to 1000",
                ));
                100
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bad_query_names_every_broken_parameter() {
        let e = FeedQuery::parse(Some("-1"), Some("retiree.created,nope"), Some("0"))
            .err()
            .map(|e| e.errors().iter().map(|(f, _)| (f.field.clone(), f.code.clone())).collect::<Vec<_>>());
        assert_eq!(
            e,
            Some(vec![
                ("after".into(), "invalid_cursor".into()),
                ("types".into(), "unknown_event_type".into()),
                ("limit".into(), "invalid_limit".into()),
            ])
        );
        assert_eq!(
            FeedQuery::parse(None, Some(" retiree.created , "), None).ok(),
            Some(FeedQuery { after: 0, types: vec!["retiree.created".into()], limit: 100 })
        );
    }
}
