//! Receiving a personnel archive (XM Art. 16; CS Art. 12(2); JN Art. 21(3)-(4)): on its own for a retiree on the
//! roll, or with a handed-over person (the handover's archive step: the archive record is created and linked to
//! the item, and the item's `archive_received` step is recorded with it; on acceptance the archive is linked to
//! the new retiree). The receipt refuses an unprepared archive and names what is missing, unless the receiver
//! accepts it as it is; its initial materials list is numbered from 1. Emits `archive.received`.

use domain::archive::{self as rules, ArchiveStatus, MaterialType};
use domain::events::EventType;
use domain::handover::{HandoverAction, HandoverStep};
use domain::{ErrorCode, Permission};
use persistence::DbConnection;
use persistence::archives::{self as repo, NewArchive, NewMaterial};
use serde::{Deserialize, Serialize};
use time::Date;
use utoipa::ToSchema;

use super::{ArchiveView, EventExtra, Preparation, emit, view};
use crate::caller::Caller;
use crate::error::{AppError, FieldError};
use crate::input::{check_name, date_not_after, parse_date};
use crate::scope::referenced_retiree;

/// Most materials listed at receipt.
pub const MAX_MATERIALS: usize = 500;

/// The handed-over person an archive comes with.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HandoverRef {
    /// Handover batch.
    pub batch_id: i64,
    /// Item of the batch.
    pub item_id: i64,
}

/// A material listed at receipt or submitted as a supplement.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"material_type": "employment", "title": "退休审批表", "dated": "2026-10-20", "pages": 2}))]
pub struct MaterialInput {
    /// Class (the ten classes of 《干部人事档案工作条例》).
    pub material_type: MaterialType,
    /// Title, 1-200 characters.
    pub title: String,
    /// Date of the material (`YYYY-MM-DD`), not in the future.
    #[schema(format = Date)]
    pub dated: Option<String>,
    /// Pages, 1-9999.
    pub pages: i32,
}

/// An archive to receive.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"retiree_id": 42, "volumes": 2, "pieces": 40,
    "preparation": {"sorted": "2026-11-02", "catalogued": "2026-11-02", "bound": "2026-11-03", "digitised": "2026-11-10"},
    "missing_items": [], "delivered_by": "厦门港务集团 李四", "received_on": "2026-12-06",
    "materials": [{"material_type": "employment", "title": "退休审批表", "dated": "2026-10-20", "pages": 2}]}))]
pub struct ReceiveRequest {
    /// A retiree in the caller's subtree (an archive received on its own); or `handover`.
    pub retiree_id: Option<i64>,
    /// The handed-over person it comes with (the handover's archive step); or `retiree_id`.
    pub handover: Option<HandoverRef>,
    /// Volumes (卷), 1-999.
    pub volumes: i32,
    /// Pieces (件), 1-99999.
    pub pieces: i32,
    /// The preparation (CS Art. 12(2)).
    pub preparation: Preparation,
    /// Accept an archive whose preparation is incomplete (the missing items stay on the record); default `false`:
    /// 422 `archive_unprepared` naming each missing item.
    pub accept_unprepared: Option<bool>,
    /// Checklist of missing documents (up to 50, each 1-100 characters).
    pub missing_items: Option<Vec<String>>,
    /// Who delivered it (the employer's person), 1-100 characters.
    pub delivered_by: String,
    /// Day received (`YYYY-MM-DD`), default today, not in the future.
    #[schema(format = Date)]
    pub received_on: Option<String>,
    /// The materials list, numbered from 1 in this order (up to 500).
    pub materials: Option<Vec<MaterialInput>>,
}

/// A checked material.
#[derive(Debug, Clone)]
pub struct MaterialAsked {
    /// Class.
    pub material_type: MaterialType,
    /// Title.
    pub title: String,
    /// Date.
    pub dated: Option<Date>,
    /// Pages.
    pub pages: i32,
}

/// A checked receipt.
#[derive(Debug, Clone)]
pub struct ReceiveAsked {
    /// The request.
    pub body: ReceiveRequest,
    /// Preparation.
    pub prep: rules::Preparation,
    /// Missing items.
    pub missing_items: Vec<String>,
    /// Delivered by.
    pub delivered_by: String,
    /// Received on.
    pub received_on: Date,
    /// Materials.
    pub materials: Vec<MaterialAsked>,
}

/// A date field that may be absent; not in the future.
fn optional_date(field: &str, text: Option<&str>, today: Date, errors: &mut Vec<FieldError>) -> Option<Date> {
    let text = text?;
    match parse_date(field, text) {
        Ok(d) if d > today => {
            errors.push(FieldError::of(field, ErrorCode::DateInFuture));
            None
        }
        Ok(d) => Some(d),
        Err(e) => {
            errors.push(e);
            None
        }
    }
}

/// The checks of a material at `base`.
pub fn check_material(base: &str, m: &MaterialInput, today: Date, errors: &mut Vec<FieldError>) -> MaterialAsked {
    let title = check_name(&format!("{base}/title"), &m.title, 200, errors);
    let dated = optional_date(&format!("{base}/dated"), m.dated.as_deref(), today, errors);
    if !(1..=9999).contains(&m.pages) {
        errors.push(FieldError::with(
            format!("{base}/pages"),
            ErrorCode::OutOfRange,
            "页数应为1至9999",
            "pages must be 1 to 9999",
        ));
    }
    MaterialAsked { material_type: m.material_type, title, dated, pages: m.pages }
}

/// The checks of a receipt on `today`, every broken rule at once: exactly one of `retiree_id` and `handover`;
/// volumes and pieces above 0 (422 `archive_no_volumes`); preparation dates; an unprepared archive refused with
/// one 422 `archive_unprepared` per missing item (`/preparation/<item>`) unless `accept_unprepared`; the checklist,
/// who delivered, the day received and the materials.
pub fn check(body: &ReceiveRequest, today: Date) -> Result<ReceiveAsked, Vec<FieldError>> {
    let mut errors = Vec::new();
    if body.retiree_id.is_some() == body.handover.is_some() {
        errors.push(FieldError::with(
            "/retiree_id",
            ErrorCode::InvalidValue,
            "应给出 retiree_id 或 handover 之一",
            "give one of retiree_id and handover",
        ));
    }
    if !(1..=999).contains(&body.volumes) {
        errors.push(FieldError::rule("/volumes", &rules::ArchiveError::NoVolumes));
    }
    if !(1..=99_999).contains(&body.pieces) {
        errors.push(FieldError::rule("/pieces", &rules::ArchiveError::NoVolumes));
    }
    let p = &body.preparation;
    let prep = rules::Preparation {
        sorted: optional_date("/preparation/sorted", p.sorted.as_deref(), today, &mut errors),
        catalogued: optional_date("/preparation/catalogued", p.catalogued.as_deref(), today, &mut errors),
        bound: optional_date("/preparation/bound", p.bound.as_deref(), today, &mut errors),
        digitised: optional_date("/preparation/digitised", p.digitised.as_deref(), today, &mut errors),
    };
    let given = rules::Preparation {
        sorted: p.sorted.as_ref().and(prep.sorted.or(Some(today))),
        catalogued: p.catalogued.as_ref().and(prep.catalogued.or(Some(today))),
        bound: p.bound.as_ref().and(prep.bound.or(Some(today))),
        digitised: p.digitised.as_ref().and(prep.digitised.or(Some(today))),
    };
    // CS Art. 12(2): the receipt names every item not done.
    if let Err(rules::ArchiveError::Unprepared(items)) =
        rules::check_receipt(1, 1, &given, body.accept_unprepared.unwrap_or(false))
    {
        for item in items {
            let e = rules::ArchiveError::Unprepared(vec![item]);
            errors.push(FieldError::rule(format!("/preparation/{}", item.as_str()), &e));
        }
    }
    let missing_items = body.missing_items.clone().unwrap_or_default();
    if missing_items.len() > 50 {
        errors.push(FieldError::with("/missing_items", ErrorCode::Length, "最多50项", "at most 50 items"));
    }
    let missing_items: Vec<String> = missing_items
        .iter()
        .enumerate()
        .map(|(i, t)| check_name(&format!("/missing_items/{i}"), t, 100, &mut errors))
        .collect();
    let delivered_by = check_name("/delivered_by", &body.delivered_by, 100, &mut errors);
    let received_on = date_not_after("/received_on", body.received_on.as_deref(), today, &mut errors);
    let listed = body.materials.clone().unwrap_or_default();
    if listed.len() > MAX_MATERIALS {
        errors.push(FieldError::with(
            "/materials",
            ErrorCode::Length,
            format!("材料最多{MAX_MATERIALS}件"),
            format!("at most {MAX_MATERIALS} materials"),
        ));
    }
    let materials = listed
        .iter()
        .enumerate()
        .map(|(i, m)| check_material(&format!("/materials/{i}"), m, today, &mut errors))
        .collect();
    if errors.is_empty() {
        Ok(ReceiveAsked { body: body.clone(), prep, missing_items, delivered_by, received_on, materials })
    } else {
        Err(errors)
    }
}

/// Receives an archive for `caller` (`archive.manage`) on `today` (audited `archive.receive`, emits
/// `archive.received`). A person with an archive on record: 409 `archive_exists`. With `handover`, the item must
/// be in the caller's subtree and not returned (409 `item_returned`); its `archive_received` step is recorded.
pub fn receive(
    conn: &mut DbConnection,
    caller: &Caller,
    today: Date,
    asked: ReceiveAsked,
) -> Result<ArchiveView, AppError> {
    caller.require(Permission::ArchiveManage)?;
    let body = &asked.body;
    let (retiree_id, item, name, id_number, community, path) = match (&body.retiree_id, &body.handover) {
        (Some(id), None) => {
            let (r, path) = referenced_retiree(conn, caller, *id, "/retiree_id")?;
            (Some(r.id), None, r.name, r.id_number, r.community_code, path)
        }
        (None, Some(h)) => {
            let (_, item, path) = crate::handover::item_in_scope(conn, caller, h.batch_id, h.item_id)?;
            crate::handover::decide(
                &item,
                HandoverAction::Step { step: HandoverStep::ArchiveReceived, party_member: item.party_member },
            )?;
            (item.retiree_id, Some(item.clone()), item.name, item.id_number, item.community_code, path)
        }
        _ => return Err(AppError::internal("receive: checked request names neither or both people")),
    };
    if let Some(rid) = retiree_id
        && repo::of_retiree(conn, rid)?.is_some()
    {
        return Err(AppError::of(ErrorCode::ArchiveExists));
    }
    let missing = asked.prep.missing();
    let new = NewArchive {
        retiree_id,
        handover_item_id: item.as_ref().map(|i| i.id),
        person_name: name,
        id_number,
        community_code: community,
        volumes: body.volumes,
        pieces: body.pieces,
        sorted_on: asked.prep.sorted,
        catalogued_on: asked.prep.catalogued,
        bound_on: asked.prep.bound,
        digitised_on: asked.prep.digitised,
        missing_items: serde_json::to_string(&asked.missing_items).map_err(AppError::internal)?,
        delivered_by: asked.delivered_by.clone(),
        received_by: caller.login.clone(),
        received_on: asked.received_on,
        status: ArchiveStatus::InStore.as_str().to_owned(),
        created_at: persistence::now_utc(),
        version: 1,
    };
    let stored = repo::create(conn, &new).map_err(|e| match e {
        persistence::RepoError::Unique(_) => AppError::of(ErrorCode::ArchiveExists),
        other => other.into(),
    })?;
    for (i, m) in asked.materials.iter().enumerate() {
        repo::add_material(
            conn,
            &NewMaterial {
                archive_id: stored.id,
                piece_no: i32::try_from(i + 1).map_err(AppError::internal)?,
                material_type: m.material_type.as_str().to_owned(),
                title: m.title.clone(),
                dated: m.dated,
                pages: m.pages,
                source: "receipt".into(),
                filed_on: today,
            },
        )?;
    }
    if let Some(item) = &item {
        let detail = serde_json::json!({"volumes": body.volumes, "complete": missing.is_empty() && asked.missing_items.is_empty(),
            "exemption": null, "at_home": null, "note": null, "archive_id": stored.id});
        persistence::movement::add_step(
            conn,
            item.id,
            HandoverStep::ArchiveReceived.as_str(),
            asked.received_on,
            Some(detail.to_string()),
            &caller.login,
        )?;
    }
    let mut entry = caller.audit("archive.receive", "archive", stored.id, &path);
    entry.retiree_id = retiree_id;
    entry.detail = Some(
        serde_json::json!({"volumes": body.volumes, "pieces": body.pieces,
            "unprepared": missing.iter().map(|m| m.as_str()).collect::<Vec<_>>(),
            "missing_items": asked.missing_items, "handover_item_id": item.as_ref().map(|i| i.id)})
        .to_string(),
    );
    persistence::audit::append(conn, &entry)?;
    emit(conn, EventType::ArchiveReceived, &stored, EventExtra::default())?;
    let materials = repo::materials_of(conn, stored.id)?;
    view(conn, stored, Some(materials))
}
