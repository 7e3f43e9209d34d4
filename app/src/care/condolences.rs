//! Condolences (慰问) to one person: the policy amount on the day at the person's community and the yearly cap of
//! the kind (XM Art. 21(1)-(3), 22; CS Art. 25(2); JN Art. 31(2)). Festival lists are in [`super::festivals`].

use domain::policy::CondolenceKind;
use domain::{ErrorCode, Money, care};
use persistence::DbConnection;
use persistence::condolences::{self as repo, Condolence, CondolenceFilter, NewCondolence};
use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};
use utoipa::ToSchema;

use crate::audited::Audited;
use crate::caller::Caller;
use crate::error::{AppError, FieldError};
use crate::input::{check_text, date_not_after};
use crate::policy_book::policy_at;

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
    "festival_list_id": null, "note": null, "created_by": "hongshan", "created_at": "2026-05-12T08:00:00Z"}))]
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
    /// The fund booking that pays it (`GET /funding/expenditures/{id}`), made in the same transaction; `null` when
    /// unpaid or when no node from the community up keeps the fund for the year (issue 27).
    pub expenditure_id: Option<i64>,
    /// Cancelled (its booking reversed): when.
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub cancelled_at: Option<OffsetDateTime>,
    /// Why it was cancelled.
    pub cancel_reason: Option<String>,
}

/// The API view of a stored condolence.
pub fn condolence_response(c: Condolence) -> CondolenceResponse {
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
        created_at: c.created_at.assume_utc(),
        expenditure_id: c.expenditure_id,
        cancelled_at: c.cancelled_at.map(|t| t.assume_utc()),
        cancel_reason: c.cancel_reason,
    }
}

/// 422 `condolence_kind_not_in_policy` on `/kind`.
pub fn not_in_policy(kind: CondolenceKind) -> AppError {
    AppError::field(FieldError::with(
        "/kind",
        ErrorCode::CondolenceKindNotInPolicy,
        format!("适用的政策未规定该慰问种类（{}）", kind.label_zh()),
        format!("the policy in force does not provide for this kind of condolence ({kind})"),
    ))
}

/// 422 `condolence_cap_exceeded`.
fn cap_exceeded(kind: CondolenceKind, cap: u32, year: i32, source: &str) -> AppError {
    AppError::with(
        ErrorCode::CondolenceCapExceeded,
        format!(
            "{year}年该人员{}已达{cap}次上限（{source}），可登记为不发放慰问金的探望（paid: false）",
            kind.label_zh()
        ),
        format!(
            "{kind} condolences to this person in {year} reached the cap of {cap} ({source}); record it as a visit \
             without payment (paid: false)"
        ),
    )
}

/// 409 `condolence_already_paid`: the death condolence of this person was paid (XM Art. 21(3)).
fn already_paid(source: &str) -> AppError {
    AppError::with(
        ErrorCode::CondolenceAlreadyPaid,
        format!("该亡故人员的家属慰问金已发放，每位亡故人员只发放一次（{source}）"),
        format!(
            "the death condolence to this person's family is paid already; it is paid once per deceased ({source})"
        ),
    )
}

/// The death rules of a condolence on `on` to a person whose verified death (if any) was on `died` (XM Art.
/// 21(2)-(3)): a `death` condolence needs the verified death (409 `death_not_verified`) and is not dated before it
/// (422 `before_death` on `/on_date`); any other kind, to the living, is refused on or after the death (409
/// `retiree_deceased`), while one dated before it (recorded late) stands.
pub fn check_death(kind: CondolenceKind, on: Date, died: Option<Date>) -> Result<(), AppError> {
    match (kind, died) {
        (CondolenceKind::Death, None) => Err(AppError::with(
            ErrorCode::DeathNotVerified,
            "该人员没有已核实的死亡报告，不能登记亡故家属慰问",
            "a death condolence needs a verified death report of the person",
        )),
        (CondolenceKind::Death, Some(died)) if on < died => Err(AppError::field(FieldError::with(
            "/on_date",
            ErrorCode::BeforeDeath,
            format!("亡故家属慰问日期不能早于死亡日期{died}"),
            format!("a death condolence cannot be dated before the death on {died}"),
        ))),
        (CondolenceKind::Death, Some(_)) => Ok(()),
        (_, Some(died)) if on >= died => Err(AppError::with(
            ErrorCode::RetireeDeceased,
            format!("该人员已于{died}死亡（已核实），不能再登记{}", kind.label_zh()),
            format!("the person died on {died} (verified): no {kind} condolence on or after that day"),
        )),
        _ => Ok(()),
    }
}

/// A condolence to record, checked.
#[derive(Debug, Clone)]
pub struct CondolenceInput {
    /// The person.
    pub retiree_id: i64,
    /// Kind.
    pub kind: CondolenceKind,
    /// Day.
    pub on_date: Date,
    /// Paid (default) or a visit without payment.
    pub paid: bool,
    /// Note.
    pub note: Option<String>,
}

/// The checks of a condolence as of `today`: the day not in the future (default today), the note's length.
pub fn check(body: &CreateCondolenceRequest, today: Date) -> Result<CondolenceInput, Vec<FieldError>> {
    let mut errors = Vec::new();
    let on_date = date_not_after("/on_date", body.on_date.as_deref(), today, &mut errors);
    let note = check_text("/note", body.note.as_deref(), 500, &mut errors);
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(CondolenceInput { retiree_id: body.retiree_id, kind: body.kind, on_date, paid: body.paid.unwrap_or(true), note })
}

/// Records a condolence (慰问) to one person in the caller's subtree (else 422 `retiree_not_found`). The amount is
/// the policy's on the day at the person's community (XM Art. 21(2): hospital 200 yuan; 21(3): death 500 yuan to
/// the family); a kind the policy does not name is 422 `condolence_kind_not_in_policy`. A paid condolence beyond
/// the yearly cap of its kind in that calendar year (XM Art. 21(2): hospital at most twice) is 422
/// `condolence_cap_exceeded`; a condolence dated before the person's retirement date is 422 `before_retirement` on
/// `/on_date` (issue 19); the death condolence is paid once per deceased, whatever the year (XM Art. 21(3):
/// 409 `condolence_already_paid`), and the death rules of [`check_death`] apply. Writes the condolence, its event
/// and the audit entry.
pub fn record(
    conn: &mut DbConnection,
    caller: &Caller,
    input: CondolenceInput,
) -> Result<CondolenceResponse, AppError> {
    let (retiree, path) = super::retiree_in_scope(conn, caller, input.retiree_id)?;
    super::not_before_retirement(&retiree, "/on_date", input.on_date)?;
    let policy = policy_at(conn, &path, input.on_date)?;
    let rule = policy.condolence(input.kind).ok_or_else(|| not_in_policy(input.kind))?;
    let death = persistence::death::verified_report_of(conn, retiree.id)?.map(|r| r.date_of_death);
    check_death(input.kind, input.on_date, death)?;
    let year = input.on_date.year();
    if input.paid {
        repo::lock_person(conn, retiree.id)?;
        if input.kind == CondolenceKind::Death {
            // XM Art. 21(3): the family of the deceased is paid once, whatever the year (the kind's cap counts
            // every year).
            let ever = repo::paid_count_ever(conn, retiree.id, input.kind.as_str())?;
            if care::over_cap(rule.yearly_cap.value, u32::try_from(ever).unwrap_or(u32::MAX)) {
                return Err(already_paid(&rule.yearly_cap.source));
            }
        } else {
            let so_far = repo::paid_count(conn, retiree.id, input.kind.as_str(), year)?;
            let so_far = u32::try_from(so_far).unwrap_or(u32::MAX);
            if care::over_cap(rule.yearly_cap.value, so_far) {
                let cap = rule.yearly_cap.value.unwrap_or_default();
                return Err(cap_exceeded(input.kind, cap, year, &rule.yearly_cap.source));
            }
        }
    }
    let row = NewCondolence {
        retiree_id: retiree.id,
        community_code: retiree.community_code.clone(),
        kind: input.kind.as_str().to_owned(),
        on_date: input.on_date,
        year,
        paid: input.paid,
        amount_fen: if input.paid { rule.amount.value.fen() } else { 0 },
        amount_source: rule.amount.source.clone(),
        batch_id: None,
        note: input.note,
        created_by: caller.login.clone(),
        created_at: persistence::now_utc(),
    };
    let saved = repo::insert_condolence(conn, &row)?;
    // Issue 27: the payment is booked against the paying node's fund in this transaction, linked both ways.
    let saved = match super::funding::levels::book_condolence(conn, caller, &saved)? {
        Some(_) => repo::find_condolence(conn, saved.id)?,
        None => saved,
    };
    let mut entry = caller.audit("condolence.create", "condolence", saved.id, &path);
    entry.retiree_id = Some(retiree.id);
    entry.detail = Some(
        serde_json::json!({"kind": input.kind.as_str(), "paid": input.paid, "amount_fen": saved.amount_fen})
            .to_string(),
    );
    persistence::audit::append(conn, &entry)?;
    Ok(condolence_response(saved))
}

/// Which condolences to list.
#[derive(Debug, Clone, Default)]
pub struct CondolenceQuery {
    /// One person.
    pub retiree_id: Option<i64>,
    /// Kind.
    pub kind: Option<CondolenceKind>,
    /// Calendar year.
    pub year: Option<i32>,
    /// Recorded with this festival list.
    pub festival_list_id: Option<i64>,
}

/// Condolences under the node `jurisdiction` (in the caller's subtree, else 422 `jurisdiction_not_found`), by id
/// after `after`, at most `limit`.
pub fn list(
    conn: &mut DbConnection,
    caller: &Caller,
    jurisdiction: &str,
    query: &CondolenceQuery,
    after: Option<i64>,
    limit: i64,
) -> Result<Vec<CondolenceResponse>, AppError> {
    let node = crate::scope::node_in_scope(conn, caller, jurisdiction, "jurisdiction")?;
    let filter = CondolenceFilter {
        retiree_id: query.retiree_id,
        kind: query.kind.map(|k| k.as_str().to_owned()),
        year: query.year,
        batch_id: query.festival_list_id,
    };
    Ok(repo::list_condolences(conn, &node.path, &filter, after, limit)?.into_iter().map(condolence_response).collect())
}

/// One condolence, if its community is in the caller's subtree (else 404); the read is audited.
pub fn read(conn: &mut DbConnection, caller: &Caller, id: i64) -> Result<Audited<CondolenceResponse>, AppError> {
    let found = repo::find_condolence(conn, id)?;
    let path = crate::scope::path_of(conn, &found.community_code)?;
    if !caller.sees(&path) {
        return Err(AppError::not_found());
    }
    let mut entry = caller.audit("condolence.read", "condolence", id, &path);
    entry.retiree_id = Some(found.retiree_id);
    Ok(Audited::new(condolence_response(found), entry))
}
