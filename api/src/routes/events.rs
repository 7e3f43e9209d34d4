//! `GET /events`: the change feed in commit order, scoped to the caller's subtree, resumable from any cursor
//! (issue 11; CS Art. 27, 30; JN Art. 33). One schema per event type documents the payloads.

use actix_web::{get, web};
use domain::events::EventType;
use domain::{Permission, Role, SensitiveField};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use time::OffsetDateTime;
use utoipa::{IntoParams, ToSchema};

use super::common::{finish, instant};
use crate::auth::Caller;
use crate::error::{ApiError, FieldError};
use crate::state::AppState;

/// The person's state after the change (personal fields masked per the reader's role, as in lists).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RetireeState {
    #[schema(example = 42)]
    pub id: i64,
    #[schema(example = "350203********1234")]
    pub id_number: String,
    #[schema(example = "张三")]
    pub name: String,
    #[schema(example = "male")]
    pub sex: String,
    #[schema(example = "1950-01-01")]
    pub birth_date: String,
    #[schema(example = "2010-01-01")]
    pub retirement_date: String,
    #[schema(example = "enterprise_employee")]
    pub category: String,
    #[schema(example = "district")]
    pub management_level: String,
    #[schema(example = "350203001001")]
    pub community_code: String,
    pub phone: Option<String>,
    pub address: Option<String>,
    #[schema(example = "normal")]
    pub pension_status: String,
    pub suspension_reason: Option<String>,
    #[schema(example = "2027-11-30")]
    pub certified_until: String,
    pub on_roll: bool,
    pub party_member: bool,
    /// The person's version (ETag) after the change.
    pub version: i64,
}

/// A dependant's fields.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DependentState {
    pub id: i64,
    #[schema(example = "spouse")]
    pub relation: String,
    pub id_number: String,
    pub name: String,
    pub supported: bool,
    pub certified_until: String,
}

/// What an event is about.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Subject {
    /// `retiree`, `dependent` or `transfer`.
    #[serde(rename = "type")]
    #[schema(example = "retiree")]
    pub kind: String,
    #[schema(example = 42)]
    pub id: i64,
}

macro_rules! payloads {
    ($($(#[$m:meta])* $name:ident { $($(#[$fm:meta])* $field:ident : $ty:ty),* $(,)? })*) => {$(
        $(#[$m])*
        #[derive(Debug, Serialize, Deserialize, ToSchema)]
        #[serde(deny_unknown_fields)]
        pub struct $name {
            $($(#[$fm])* pub $field: $ty,)*
            /// The person's state after the change.
            pub retiree: RetireeState,
        }
    )*};
}

payloads! {
    /// `retiree.created`.
    CreatedPayload {
        /// `api`, `import` or `handover`.
        #[schema(example = "api")]
        source: String,
        /// Import job or handover batch.
        source_id: Option<i64>,
    }
    /// `retiree.updated`.
    UpdatedPayload {
        /// Fields changed; `null` for an import, which replaces every importable field.
        changed: Option<Vec<String>>,
        /// `api` or `import`.
        source: String,
        source_id: Option<i64>,
    }
    /// `retiree.moved`.
    MovedPayload {
        #[schema(example = "350203001001")]
        from_community: String,
        #[schema(example = "350206001001")]
        to_community: String,
        /// `transfer`, `correction` or `import`.
        reason: String,
        transfer_id: Option<i64>,
    }
    /// `pension.suspended`, `pension.resumed`, `pension.stopped`, `pension.transferred_out`.
    PensionPayload {
        from_status: String,
        from_reason: Option<String>,
        to_status: String,
        reason: Option<String>,
        #[schema(example = "2026-12-01")]
        effective_month: String,
        /// `person`, `feed`, `run` …
        source: String,
        source_ref: Option<i64>,
        /// Back-pay in fen (resumptions).
        back_pay_fen: Option<i64>,
    }
    /// `retiree.certified`.
    CertifiedPayload {
        certification_id: i64,
        certified_on: String,
        #[schema(example = "face_recognition")]
        method: String,
        valid_until: String,
        /// Whether the person's validity now ends with this certification's (false when a later one is on file).
        extended: bool,
        data_source: Option<String>,
    }
    /// `retiree.died`, `retiree.death_reversed`.
    DeathPayload {
        death_report_id: i64,
        date_of_death: String,
        reporter_kind: String,
        late: bool,
        /// The report's status after the change.
        status: String,
    }
    /// `retiree.reduced`.
    ReducedPayload {
        reduction_id: i64,
        kind: String,
        reason: String,
        effective_month: String,
        source: String,
        source_id: Option<i64>,
    }
    /// `retiree.reinstated`.
    ReinstatedPayload {
        reduction_id: i64,
        month: String,
    }
    /// `dependent.created`, `dependent.updated`, `dependent.removed`.
    DependentPayload {
        dependent: DependentState,
    }
    /// `dependent.certified`.
    DependentCertifiedPayload {
        dependent_id: i64,
        certification_id: i64,
        certified_on: String,
        method: String,
        valid_until: String,
    }
    /// `dependent.support_changed`.
    SupportChangedPayload {
        dependent_id: i64,
        to_status: String,
        reason: String,
        effective_month: String,
        source: String,
        source_ref: Option<i64>,
    }
    /// `handover.accepted`.
    HandoverPayload {
        batch_id: i64,
        item_id: i64,
        seq: i32,
    }
    /// `condolence.recorded`.
    CondolencePayload {
        condolence_id: i64,
        /// `spring_festival`, `double_ninth`, `hardship`, `hospitalisation`, `serious_illness`, `death`.
        kind: String,
        on_date: String,
        /// Paid, or a visit recorded without payment.
        paid: bool,
        amount_fen: i64,
        /// The festival list it was recorded with.
        batch_id: Option<i64>,
    }
    /// `transfer.changed`.
    TransferPayload {
        transfer_id: i64,
        /// Empty when the transfer was just applied for.
        from_status: String,
        status: String,
        from_community: String,
        to_community: Option<String>,
        destination: Option<String>,
        completed_month: Option<String>,
    }
}

/// Checks that `payload` has the documented shape of `kind` (used by the tests and by consumers' contract
/// checks).
pub fn check_payload(kind: EventType, payload: &Value) -> Result<(), String> {
    fn is<T: serde::de::DeserializeOwned>(v: &Value) -> Result<(), String> {
        serde_json::from_value::<T>(v.clone()).map(|_| ()).map_err(|e| e.to_string())
    }
    use EventType as E;
    match kind {
        E::RetireeCreated => is::<CreatedPayload>(payload),
        E::RetireeUpdated => is::<UpdatedPayload>(payload),
        E::RetireeMoved => is::<MovedPayload>(payload),
        E::PensionSuspended | E::PensionResumed | E::PensionStopped | E::PensionTransferredOut => {
            is::<PensionPayload>(payload)
        }
        E::RetireeCertified => is::<CertifiedPayload>(payload),
        E::RetireeDied | E::RetireeDeathReversed => is::<DeathPayload>(payload),
        E::RetireeReduced => is::<ReducedPayload>(payload),
        E::RetireeReinstated => is::<ReinstatedPayload>(payload),
        E::DependentCreated | E::DependentUpdated | E::DependentRemoved => is::<DependentPayload>(payload),
        E::DependentCertified => is::<DependentCertifiedPayload>(payload),
        E::DependentSupportChanged => is::<SupportChangedPayload>(payload),
        E::HandoverAccepted => is::<HandoverPayload>(payload),
        E::TransferChanged => is::<TransferPayload>(payload),
        E::CondolenceRecorded => is::<CondolencePayload>(payload),
    }
}

macro_rules! envelopes {
    ($($name:ident ($tname:ident: $($code:tt => $var:ident),+) => $payload:ident;)*) => {
        $(
            #[doc = concat!("The event type(s) of [`", stringify!($name), "`].")]
            #[derive(Debug, Serialize, Deserialize, ToSchema)]
            pub enum $tname { $(#[serde(rename = $code)] $var),+ }

            #[doc = concat!("An event with a [`", stringify!($payload), "`].")]
            #[derive(Debug, Serialize, Deserialize, ToSchema)]
            pub struct $name {
                /// Id, also the cursor to resume after this event; consumers deduplicate by it.
                #[schema(example = 1001)]
                pub id: i64,
                #[serde(rename = "type")]
                pub kind: $tname,
                /// Version of the payload schema.
                #[schema(example = 1)]
                pub version: i32,
                #[serde(with = "time::serde::rfc3339")]
                pub occurred_at: OffsetDateTime,
                /// The node the event belongs to (the person's community).
                #[schema(example = "350203001001")]
                pub jurisdiction: String,
                pub subject: Subject,
                pub payload: $payload,
            }
        )*

        /// One event of the feed; `type` tells which payload it carries.
        #[derive(Debug, Serialize, Deserialize, ToSchema)]
        #[serde(untagged)]
        pub enum Event { $($name($name)),* }
    };
}

envelopes! {
    RetireeCreatedEvent (RetireeCreatedType: "retiree.created" => RetireeCreated) => CreatedPayload;
    RetireeUpdatedEvent (RetireeUpdatedType: "retiree.updated" => RetireeUpdated) => UpdatedPayload;
    RetireeMovedEvent (RetireeMovedType: "retiree.moved" => RetireeMoved) => MovedPayload;
    PensionEvent (PensionEventType: "pension.suspended" => Suspended, "pension.resumed" => Resumed,
        "pension.stopped" => Stopped, "pension.transferred_out" => TransferredOut) => PensionPayload;
    RetireeCertifiedEvent (RetireeCertifiedType: "retiree.certified" => RetireeCertified) => CertifiedPayload;
    DeathEvent (DeathEventType: "retiree.died" => Died, "retiree.death_reversed" => DeathReversed) => DeathPayload;
    RetireeReducedEvent (RetireeReducedType: "retiree.reduced" => RetireeReduced) => ReducedPayload;
    RetireeReinstatedEvent (RetireeReinstatedType: "retiree.reinstated" => RetireeReinstated) => ReinstatedPayload;
    DependentEvent (DependentEventType: "dependent.created" => Created, "dependent.updated" => Updated,
        "dependent.removed" => Removed) => DependentPayload;
    DependentCertifiedEvent (DependentCertifiedType: "dependent.certified" => DependentCertified) => DependentCertifiedPayload;
    SupportChangedEvent (SupportChangedType: "dependent.support_changed" => SupportChanged) => SupportChangedPayload;
    HandoverAcceptedEvent (HandoverAcceptedType: "handover.accepted" => HandoverAccepted) => HandoverPayload;
    TransferChangedEvent (TransferChangedType: "transfer.changed" => TransferChanged) => TransferPayload;
    CondolenceRecordedEvent (CondolenceRecordedType: "condolence.recorded" => CondolenceRecorded) => CondolencePayload;
}

/// A page of the feed.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct EventPage {
    /// Events after the cursor, oldest first.
    #[schema(value_type = Vec<Event>)]
    pub items: Vec<Value>,
    /// Where to resume: pass it as `after` next time. Always present; the `after` given when no event followed.
    #[schema(example = "1001")]
    pub next_cursor: String,
    /// Whether more events follow already (fetch again at once) or the feed is drained (poll later).
    pub has_more: bool,
}

/// Query of the feed.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EventQuery {
    /// Resume after this cursor (an event id; `0` or absent: from the beginning).
    pub after: Option<String>,
    /// Comma-separated event types (all when absent), e.g. `pension.suspended,pension.resumed`.
    pub types: Option<String>,
    /// Page size, 1-1000 (default 100).
    pub limit: Option<String>,
}

/// The event as a consumer sees it: personal fields masked per `role` as in lists.
pub fn to_json(e: persistence::events::Event, role: Role) -> Value {
    let mut payload: Value = serde_json::from_str(&e.payload).unwrap_or(Value::Null);
    mask(&mut payload, role);
    serde_json::json!({
        "id": e.id,
        "type": e.r#type,
        "version": e.version,
        "occurred_at": instant(e.occurred_at).format(&time::format_description::well_known::Rfc3339).unwrap_or_default(),
        "jurisdiction": e.jurisdiction_code,
        "subject": { "type": e.subject_type, "id": e.subject_id },
        "payload": payload,
    })
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
            None => errors.push(FieldError::new(
                field,
                "unknown_event_type",
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
                errors.push(FieldError::new(
                    "after",
                    "invalid_cursor",
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
                errors.push(FieldError::new(
                    "limit",
                    "invalid_limit",
                    "limit 应为 1 到 1000 的整数",
                    "limit must be a whole number from 1 to 1000",
                ));
                100
            }
        },
    }
}

/// The change feed: events after `after` in commit order, in the caller's subtree (where they happened or, for
/// moves, where the person came from). No event is skipped or repeated when a consumer resumes from the
/// `next_cursor` it last stored; after a crash a consumer may see an event twice and deduplicates by `id`.
/// Personal fields are masked per role as in lists. Each page read is audited.
#[utoipa::path(tag = "events", security(("bearer" = ["event.read"])), params(EventQuery),
    responses((status = 200, body = EventPage,
        example = json!({"items": [{"id": 1001, "type": "pension.suspended", "version": 1,
            "occurred_at": "2026-12-01T02:00:00Z", "jurisdiction": "350203001001",
            "subject": {"type": "retiree", "id": 42},
            "payload": {"from_status": "normal", "from_reason": null, "to_status": "suspended",
                "reason": "certification_overdue", "effective_month": "2026-12-01", "source": "run", "source_ref": 7,
                "back_pay_fen": null, "retiree": {"id": 42, "id_number": "350203195001011231", "name": "张三",
                "sex": "male", "birth_date": "1950-01-01", "retirement_date": "2010-01-01",
                "category": "enterprise_employee", "management_level": "district", "community_code": "350203001001",
                "phone": null, "address": null, "pension_status": "suspended",
                "suspension_reason": "certification_overdue", "certified_until": "2026-11-30", "on_roll": true,
                "party_member": false, "version": 3}}}],
            "next_cursor": "1001", "has_more": false})),
        crate::openapi::ReadErrors))]
#[get("/events")]
pub async fn list(
    caller: Caller,
    state: web::Data<AppState>,
    query: web::Query<EventQuery>,
) -> Result<web::Json<EventPage>, ApiError> {
    caller.require(Permission::EventRead)?;
    let q = query.into_inner();
    let mut errors = Vec::new();
    let after = parse_after(q.after.as_deref(), &mut errors);
    let types = parse_types("types", q.types.as_deref(), &mut errors);
    let limit = parse_limit(q.limit.as_deref(), &mut errors);
    finish(errors)?;
    let c = caller.clone();
    let rows = crate::db::write(&state.pool, move |conn| {
        let rows = persistence::events::list(conn, &c.scope_path, after, &types, limit + 1)?;
        let mut entry = c.audit("event.list.read", "event", after, &c.scope_path);
        entry.detail = Some(serde_json::json!({ "after": after, "count": rows.len().min(limit as usize) }).to_string());
        persistence::audit::append(conn, &entry)?;
        Ok(rows)
    })
    .await?;
    let has_more = rows.len() as i64 > limit;
    let items: Vec<Value> = rows.into_iter().take(limit as usize).map(|e| to_json(e, caller.role)).collect();
    let next = items.last().and_then(|e| e["id"].as_i64()).unwrap_or(after);
    Ok(web::Json(EventPage { items, next_cursor: next.to_string(), has_more }))
}
