//! Condolences (慰问): one person's condolence with the policy amount and yearly cap (XM Art. 14, 21(1)-(3), 22;
//! CS Art. 25(2); JN Art. 31(2)), and festival lists: everybody eligible in a node for a festival, recorded in bulk.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use domain::care;
use domain::policy::{CondolenceKind, Policy};
use domain::{Money, Permission};
use persistence::DbConnection;
use persistence::condolences::{self as repo, CondolenceFilter, FestivalBatch, NewCondolence};
use persistence::retirees as people;
use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};
use utoipa::{IntoParams, ToSchema};

use super::common::{Page, check_text, enum_filter, finish, instant, next_cursor, node_in_scope};
use crate::auth::Caller;
use crate::error::{ApiError, FieldError, Msg};
use crate::extract::{Json, page, parse_date};
use crate::policy_book::{PolicyBook, policy_at};
use crate::state::AppState;

/// The festival kinds (XM Art. 14: Spring Festival and Double Ninth; CS Art. 25(2), JN Art. 31(2): major festivals).
pub const FESTIVALS: [CondolenceKind; 3] =
    [CondolenceKind::SpringFestival, CondolenceKind::DoubleNinth, CondolenceKind::OtherFestival];

/// A condolence to record.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"retiree_id": 42, "kind": "hospital", "on_date": "2026-05-12", "paid": true,
    "note": "市第一医院住院"}))]
pub struct CreateCondolenceRequest {
    /// The person (for `death`, the family of the deceased), in the caller's subtree.
    pub retiree_id: i64,
    /// Kind; the policy at the person's community on the day must name it.
    pub kind: CondolenceKind,
    /// Day (YYYY-MM-DD), default today, not in the future; its calendar year is the year of the cap.
    #[schema(format = Date)]
    pub on_date: Option<String>,
    /// `false`: a visit without payment (amount 0.00, not counted against the yearly cap). Default `true`.
    pub paid: Option<bool>,
    /// Note, up to 500 characters.
    pub note: Option<String>,
}

/// A condolence.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"id": 7, "retiree_id": 42, "community_code": "350203001001", "kind": "hospital",
    "on_date": "2026-05-12", "year": 2026, "paid": true, "amount": "200.00", "amount_source": "XM Art. 21(2)",
    "yearly_cap": 2, "paid_this_year": 1, "festival_list_id": null, "note": null, "created_by": "hongshan",
    "created_at": "2026-05-12T08:00:00Z"}))]
pub struct CondolenceResponse {
    /// Id.
    pub id: i64,
    /// The person.
    pub retiree_id: i64,
    /// Community at the time.
    pub community_code: String,
    /// Kind.
    pub kind: CondolenceKind,
    /// Day.
    #[schema(value_type = String, format = Date)]
    pub on_date: Date,
    /// Calendar year of the cap.
    pub year: i32,
    /// Paid (else a visit without payment).
    pub paid: bool,
    /// Amount, yuan: the policy amount on the day (0.00 when unpaid).
    #[schema(example = "200.00")]
    pub amount: String,
    /// The article the amount comes from.
    pub amount_source: String,
    /// Festival list it was recorded with.
    pub festival_list_id: Option<i64>,
    /// Note.
    pub note: Option<String>,
    /// Who recorded it.
    pub created_by: String,
    /// When.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

fn response(c: repo::Condolence) -> CondolenceResponse {
    CondolenceResponse {
        id: c.id,
        retiree_id: c.retiree_id,
        community_code: c.community_code,
        kind: c.kind,
        on_date: c.on_date,
        year: c.year,
        paid: c.paid,
        amount: Money::from_fen(c.amount_fen).to_string(),
        amount_source: c.amount_source,
        festival_list_id: c.batch_id,
        note: c.note,
        created_by: c.created_by,
        created_at: instant(c.created_at),
    }
}

fn not_in_policy(kind: CondolenceKind) -> ApiError {
    ApiError::field(FieldError::new(
        "/kind",
        "condolence_kind_not_in_policy",
        format!("适用的政策未规定该慰问种类（{}）", kind.label_zh()),
        format!("the policy in force does not provide for this kind of condolence ({kind})"),
    ))
}

/// 422 `condolence_cap_exceeded`.
fn cap_exceeded(kind: CondolenceKind, cap: u32, year: i32, source: &str) -> ApiError {
    ApiError::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        "condolence_cap_exceeded",
        Msg::new(
            format!(
                "{year}年该人员{}已达{cap}次上限（{source}），可登记为不发放慰问金的探望（paid: false）",
                kind.label_zh()
            ),
            format!(
                "{kind} condolences to this person in {year} reached the cap of {cap} ({source}); record it as a visit \
                 without payment (paid: false)"
            ),
        ),
    )
}

fn retiree_field(e: persistence::RepoError) -> ApiError {
    match e {
        persistence::RepoError::NotFound => ApiError::field(FieldError::new(
            "/retiree_id",
            "retiree_not_found",
            "退休人员不存在或不在您的管辖范围内",
            "no such retiree in your jurisdiction",
        )),
        other => other.into(),
    }
}

/// Records a condolence (慰问) to one person. The amount is the policy's on the day at the person's community
/// (XM Art. 21(2): hospital 200 yuan; 21(3): death 500 yuan to the family); a kind the policy does not name is 422
/// `condolence_kind_not_in_policy`. A paid condolence beyond the yearly cap of its kind in that calendar year (XM
/// Art. 21(2): hospital at most twice) is 422 `condolence_cap_exceeded`, unless recorded as a visit without payment
/// (`paid: false`). A `death` condolence needs a verified death report (409 `death_not_verified`).
#[utoipa::path(tag = "care", security(("bearer" = ["retiree.write"])), request_body = CreateCondolenceRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "Replays return the first answer")),
    responses((status = 201, body = CondolenceResponse, headers(("Location" = String))), crate::openapi::CondolenceErrors))]
#[post("/condolences")]
pub async fn create(
    req: HttpRequest,
    caller: Caller,
    state: web::Data<AppState>,
    body: Json<CreateCondolenceRequest>,
) -> Result<HttpResponse, ApiError> {
    let today = state.clock.today();
    caller.require(Permission::RetireeWrite)?;
    let body = body.0;
    let mut errors = Vec::new();
    let on_date = super::common::date_not_after("/on_date", body.on_date.as_deref(), today, &mut errors);
    let note = check_text("/note", body.note.as_deref(), 500, &mut errors);
    finish(errors)?;
    let fingerprint = crate::idempotency::fingerprint("POST /condolences", &body);
    let key = crate::extract::idempotency_key(&req)?;
    let c = caller.clone();
    crate::idempotency::create(&state, &caller, key, fingerprint, move |conn| {
        let (retiree, path) = people::find_in_scope(conn, body.retiree_id, &c.scope_path).map_err(retiree_field)?;
        let policy = policy_at(conn, &path, on_date)?;
        let rule = policy.condolence(body.kind).ok_or_else(|| not_in_policy(body.kind))?;
        if body.kind == CondolenceKind::Death && persistence::death::verified_report_of(conn, retiree.id)?.is_none() {
            return Err(ApiError::with(
                domain::ErrorCode::DeathNotVerified,
                "该人员没有已核实的死亡报告，不能登记亡故家属慰问",
                "a death condolence needs a verified death report of the person",
            ));
        }
        let paid = body.paid.unwrap_or(true);
        let year = on_date.year();
        if paid {
            repo::lock_person(conn, retiree.id)?;
            let so_far = repo::paid_count(conn, retiree.id, body.kind.as_str(), year)?;
            let so_far = u32::try_from(so_far).unwrap_or(u32::MAX);
            if care::over_cap(rule.yearly_cap.value, so_far) {
                let cap = rule.yearly_cap.value.unwrap_or_default();
                return Err(cap_exceeded(body.kind, cap, year, &rule.yearly_cap.source));
            }
        }
        let row = NewCondolence {
            retiree_id: retiree.id,
            community_code: retiree.community_code.clone(),
            kind: body.kind.as_str().to_owned(),
            on_date,
            year,
            paid,
            amount_fen: if paid { rule.amount.value.fen() } else { 0 },
            amount_source: rule.amount.source.clone(),
            batch_id: None,
            note,
            created_by: c.login.clone(),
            created_at: persistence::now_utc(),
        };
        let saved = repo::insert_condolence(conn, &row)?;
        let mut entry = c.audit("condolence.create", "condolence", saved.id, &path);
        entry.retiree_id = Some(retiree.id);
        entry.detail = Some(
            serde_json::json!({"kind": body.kind.as_str(), "paid": paid, "amount_fen": saved.amount_fen}).to_string(),
        );
        persistence::audit::append(conn, &entry)?;
        Ok(crate::idempotency::Created {
            location: format!("/api/v1/condolences/{}", saved.id),
            version: 1,
            body: serde_json::to_value(response(saved)).map_err(ApiError::internal)?,
        })
    })
    .await
}

/// Filters of the condolence list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// A node in the caller's subtree (default: the caller's node).
    pub jurisdiction: Option<String>,
    /// One person.
    pub retiree_id: Option<i64>,
    /// Kind.
    pub kind: Option<String>,
    /// Calendar year.
    pub year: Option<i32>,
    /// Recorded with this festival list.
    pub festival_list_id: Option<i64>,
    /// Page size, 1-500 (default 50).
    pub limit: Option<String>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// Condolences in the caller's subtree, by id.
#[utoipa::path(tag = "care", security(("bearer" = ["retiree.read"])), params(ListQuery),
    responses((status = 200, body = Page<CondolenceResponse>), crate::openapi::ReadErrors))]
#[get("/condolences")]
pub async fn list(
    caller: Caller,
    state: web::Data<AppState>,
    query: web::Query<ListQuery>,
) -> Result<web::Json<Page<CondolenceResponse>>, ApiError> {
    caller.require(Permission::RetireeRead)?;
    let q = query.into_inner();
    let mut errors = Vec::new();
    let (limit, after) = page::<i64>("cd", q.limit.as_deref(), q.cursor.as_deref(), &mut errors);
    let kind = enum_filter("kind", q.kind.as_deref(), CondolenceKind::parse, CondolenceKind::codes(), &mut errors);
    finish(errors)?;
    let code = q.jurisdiction.unwrap_or_else(|| caller.jurisdiction_code.clone());
    let filter = CondolenceFilter {
        retiree_id: q.retiree_id,
        kind: kind.map(|k| k.as_str().to_owned()),
        year: q.year,
        batch_id: q.festival_list_id,
    };
    let c = caller.clone();
    let found = crate::db::run(&state.pool, move |conn| -> Result<_, ApiError> {
        let node = node_in_scope(conn, &c, &code, "jurisdiction")?;
        Ok(repo::list_condolences(conn, &node.path, &filter, after, limit)?)
    })
    .await?;
    let next = next_cursor(&found, limit, "cd", |v| v.id.to_string());
    Ok(web::Json(Page { items: found.into_iter().map(response).collect(), next_cursor: next }))
}

/// One condolence (the read of one person's record is audited).
#[utoipa::path(tag = "care", security(("bearer" = ["retiree.read"])), params(("id" = i64, Path, description = "Condolence id")),
    responses((status = 200, body = CondolenceResponse), crate::openapi::ReadErrors))]
#[get("/condolences/{id}")]
pub async fn get_one(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> Result<web::Json<CondolenceResponse>, ApiError> {
    caller.require(Permission::RetireeRead)?;
    let id = path.into_inner();
    let c = caller.clone();
    let found = crate::db::write(&state.pool, move |conn| {
        let found = repo::find_condolence(conn, id)?;
        let node = persistence::jurisdictions::find(conn, &found.community_code)?;
        if !c.sees(&node.path) {
            return Err(ApiError::not_found());
        }
        let mut entry = c.audit("condolence.read", "condolence", id, &node.path);
        entry.retiree_id = Some(found.retiree_id);
        persistence::audit::append(conn, &entry)?;
        Ok(found)
    })
    .await?;
    Ok(web::Json(response(found)))
}

// ---------------------------------------------------------------------------------------------------------------
// Festival lists

/// Which festival list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EligibleQuery {
    /// A node in the caller's subtree (default: the caller's node).
    pub jurisdiction: Option<String>,
    /// `spring_festival`, `double_ninth` or `other_festival`.
    pub kind: Option<String>,
    /// Day of the condolence (YYYY-MM-DD), default today.
    pub on_date: Option<String>,
}

/// One person on a festival list.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct EligiblePerson {
    /// The person.
    pub retiree_id: i64,
    /// Name.
    pub name: String,
    /// Community.
    pub community_code: String,
    /// Amount, yuan (policy of the community on the day).
    pub amount: String,
    /// The article the amount comes from.
    pub amount_source: String,
}

/// Who is eligible in a node for a festival under its policy.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"jurisdiction": "350203001001", "kind": "spring_festival", "on_date": "2026-02-10",
    "year": 2026, "people": 1, "total": "0.00", "items": [{"retiree_id": 42, "name": "张三",
    "community_code": "350203001001", "amount": "0.00", "amount_source": "not stated"}]}))]
pub struct EligibleList {
    /// The node.
    pub jurisdiction: String,
    /// Festival.
    pub kind: CondolenceKind,
    /// Day.
    #[schema(value_type = String, format = Date)]
    pub on_date: Date,
    /// Year of the cap.
    pub year: i32,
    /// How many.
    pub people: i64,
    /// Sum of the amounts, yuan.
    pub total: String,
    /// Everybody eligible, by id.
    pub items: Vec<EligiblePerson>,
}

fn festival_kind(value: Option<&str>, errors: &mut Vec<FieldError>, field: &str) -> Option<CondolenceKind> {
    let codes: Vec<&'static str> = FESTIVALS.iter().map(|k| k.as_str()).collect();
    match value {
        None => {
            errors.push(FieldError::new(field, "required", "须填写节日种类", "kind is required"));
            None
        }
        Some(v) => {
            enum_filter(field, Some(v), |c| CondolenceKind::parse(c).filter(|k| FESTIVALS.contains(k)), codes, errors)
        }
    }
}

/// The people eligible for a festival in the node: on a roll, pension paid or suspended, under the yearly cap of
/// the kind in the policy of their community on the day (XM Art. 14 "在春节、重阳节对退休人员开展节日慰问"; a
/// community whose policy does not name the kind has nobody on the list).
fn eligible(
    conn: &mut DbConnection,
    node: &persistence::jurisdictions::Jurisdiction,
    kind: CondolenceKind,
    on: Date,
) -> Result<EligibleList, ApiError> {
    let book = PolicyBook::load(conn, on)?;
    if book.at(&node.path).condolence(kind).is_none() {
        return Err(not_in_policy(kind));
    }
    let mut items = Vec::new();
    let mut total = 0_i64;
    for p in repo::festival_candidates(conn, &node.path, kind.as_str(), on.year())? {
        let policy: &Policy = book.at(&p.path);
        let Some(rule) = policy.condolence(kind) else { continue };
        if care::over_cap(rule.yearly_cap.value, u32::try_from(p.paid).unwrap_or(u32::MAX)) {
            continue;
        }
        total += rule.amount.value.fen();
        items.push(EligiblePerson {
            retiree_id: p.id,
            name: p.name,
            community_code: p.community_code,
            amount: rule.amount.value.to_string(),
            amount_source: rule.amount.source.clone(),
        });
    }
    Ok(EligibleList {
        jurisdiction: node.code.clone(),
        kind,
        on_date: on,
        year: on.year(),
        people: items.len() as i64,
        total: Money::from_fen(total).to_string(),
        items,
    })
}

/// Who is eligible in a node for a festival condolence on a day under its policy (not yet recorded): everybody on
/// the rolls whose pension is paid or suspended and who is under the yearly cap of the kind (XM Art. 14, 21(1):
/// Spring Festival and Double Ninth, once a year each; CS Art. 25(2), JN Art. 31(2): major festivals). A kind the
/// node's policy does not name is 422 `condolence_kind_not_in_policy`.
#[utoipa::path(tag = "care", security(("bearer" = ["retiree.read"])), params(EligibleQuery),
    responses((status = 200, body = EligibleList), crate::openapi::ReadErrors))]
#[get("/festival-lists/eligible")]
pub async fn eligible_list(
    caller: Caller,
    state: web::Data<AppState>,
    query: web::Query<EligibleQuery>,
) -> Result<web::Json<EligibleList>, ApiError> {
    let today = state.clock.today();
    caller.require(Permission::RetireeRead)?;
    let q = query.into_inner();
    let mut errors = Vec::new();
    let kind = festival_kind(q.kind.as_deref(), &mut errors, "kind");
    let on = match q.on_date.as_deref() {
        Some(t) => parse_date("on_date", t).map_err(|e| errors.push(e)).ok(),
        None => Some(today),
    };
    finish(errors)?;
    let (Some(kind), Some(on)) = (kind, on) else { return Err(ApiError::internal("unchecked query")) };
    let code = q.jurisdiction.unwrap_or_else(|| caller.jurisdiction_code.clone());
    let c = caller.clone();
    let found = crate::db::run(&state.pool, move |conn| -> Result<_, ApiError> {
        let node = node_in_scope(conn, &c, &code, "jurisdiction")?;
        eligible(conn, &node, kind, on)
    })
    .await?;
    Ok(web::Json(found))
}

/// A festival list to record.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"jurisdiction": "350203001", "kind": "double_ninth", "on_date": "2026-10-18"}))]
pub struct CreateFestivalListRequest {
    /// A node in the caller's subtree.
    pub jurisdiction: String,
    /// `spring_festival`, `double_ninth` or `other_festival`.
    pub kind: String,
    /// Day (YYYY-MM-DD), default today, not in the future.
    #[schema(format = Date)]
    pub on_date: Option<String>,
}

/// A festival list recorded.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"id": 3, "jurisdiction": "350203001", "kind": "double_ninth", "on_date": "2026-10-18",
    "people": 1250, "total": "0.00", "created_by": "xiagang", "created_at": "2026-10-18T02:00:00Z"}))]
pub struct FestivalListResponse {
    /// Id (the condolences carry it as `festival_list_id`).
    pub id: i64,
    /// The node.
    pub jurisdiction: String,
    /// Festival.
    pub kind: CondolenceKind,
    /// Day.
    #[schema(value_type = String, format = Date)]
    pub on_date: Date,
    /// Condolences recorded.
    pub people: i64,
    /// Their sum, yuan.
    pub total: String,
    /// Who.
    pub created_by: String,
    /// When.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

fn batch_response(b: FestivalBatch) -> FestivalListResponse {
    FestivalListResponse {
        id: b.id,
        jurisdiction: b.jurisdiction_code,
        kind: b.kind,
        on_date: b.on_date,
        people: b.people,
        total: Money::from_fen(b.total_fen).to_string(),
        created_by: b.created_by,
        created_at: instant(b.created_at),
    }
}

/// Records a festival condolence for everybody eligible in the node (as `GET /festival-lists/eligible` lists
/// them), each with the amount of the policy of their community, in one transaction. People already at the cap
/// (e.g. a second Spring Festival list in a year) are left out, so a repeated list records nobody twice.
#[utoipa::path(tag = "care", security(("bearer" = ["retiree.write"])), request_body = CreateFestivalListRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "Replays return the first answer")),
    responses((status = 201, body = FestivalListResponse, headers(("Location" = String))), crate::openapi::WriteErrors))]
#[post("/festival-lists")]
pub async fn create_list(
    req: HttpRequest,
    caller: Caller,
    state: web::Data<AppState>,
    body: Json<CreateFestivalListRequest>,
) -> Result<HttpResponse, ApiError> {
    let today = state.clock.today();
    caller.require(Permission::RetireeWrite)?;
    let body = body.0;
    let mut errors = Vec::new();
    let kind = festival_kind(Some(&body.kind), &mut errors, "/kind");
    let on = super::common::date_not_after("/on_date", body.on_date.as_deref(), today, &mut errors);
    finish(errors)?;
    let Some(kind) = kind else { return Err(ApiError::internal("unchecked body")) };
    let fingerprint = crate::idempotency::fingerprint("POST /festival-lists", &body);
    let key = crate::extract::idempotency_key(&req)?;
    let c = caller.clone();
    crate::idempotency::create(&state, &caller, key, fingerprint, move |conn| {
        let node = node_in_scope(conn, &c, &body.jurisdiction, "/jurisdiction")?;
        let roster = eligible(conn, &node, kind, on)?;
        let batch = repo::create_batch(conn, &node.code, kind.as_str(), on, &c.login)?;
        let now = persistence::now_utc();
        let mut total = 0;
        let rows: Vec<NewCondolence> = roster
            .items
            .iter()
            .map(|p| -> Result<NewCondolence, ApiError> {
                // The roster's amounts are the policy's, formatted by this service: one that does not parse is a bug.
                let fen = Money::parse(&p.amount)
                    .map(Money::fen)
                    .map_err(|e| ApiError::internal(format!("festival amount '{}': {e:?}", p.amount)))?;
                total += fen;
                Ok(NewCondolence {
                    retiree_id: p.retiree_id,
                    community_code: p.community_code.clone(),
                    kind: kind.as_str().to_owned(),
                    on_date: on,
                    year: on.year(),
                    paid: true,
                    amount_fen: fen,
                    amount_source: p.amount_source.clone(),
                    batch_id: Some(batch.id),
                    note: None,
                    created_by: c.login.clone(),
                    created_at: now,
                })
            })
            .collect::<Result<_, _>>()?;
        let n = repo::insert_condolences(conn, &rows)?;
        let batch = repo::finish_batch(conn, batch.id, n as i64, total)?;
        let mut entry = c.audit("festival_list.create", "festival_list", batch.id, &node.path);
        entry.detail = Some(serde_json::json!({"kind": kind.as_str(), "people": n, "total_fen": total}).to_string());
        persistence::audit::append(conn, &entry)?;
        Ok(crate::idempotency::Created {
            location: format!("/api/v1/festival-lists/{}", batch.id),
            version: 1,
            body: serde_json::to_value(batch_response(batch)).map_err(ApiError::internal)?,
        })
    })
    .await
}

/// One festival list (its condolences: `GET /condolences?festival_list_id=`).
#[utoipa::path(tag = "care", security(("bearer" = ["retiree.read"])), params(("id" = i64, Path, description = "Festival list id")),
    responses((status = 200, body = FestivalListResponse), crate::openapi::ReadErrors))]
#[get("/festival-lists/{id}")]
pub async fn get_list(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> Result<web::Json<FestivalListResponse>, ApiError> {
    caller.require(Permission::RetireeRead)?;
    let id = path.into_inner();
    let c = caller.clone();
    let b = crate::db::run(&state.pool, move |conn| -> Result<_, ApiError> {
        let b = repo::find_batch(conn, id)?;
        let node = persistence::jurisdictions::find(conn, &b.jurisdiction_code)?;
        if !c.sees(&node.path) {
            return Err(ApiError::not_found());
        }
        Ok(b)
    })
    .await?;
    Ok(web::Json(batch_response(b)))
}
