//! Death benefits of a verified report (JN Art. 23(3)), settled against the overpayment first (GUIDE 四).

use domain::Money;
use domain::death::{self, DeathAction};
use persistence::DbConnection;
use persistence::death::{self as repo};
use serde::{Deserialize, Serialize};
use time::Date;
use utoipa::ToSchema;

use super::{rule, visible};
use crate::caller::Caller;
use crate::error::{AppError, FieldError};
use crate::policy_book::policy_at;

/// The death benefits of a case.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"funeral_grant": "5000.00", "survivor_benefit": "0.00"}))]
pub struct BenefitsRequest {
    /// Funeral grant in yuan, where the policy leaves it to the case (provincial rules, average wage); omitted
    /// where the policy computes it.
    #[schema(example = "5000.00")]
    pub funeral_grant: Option<String>,
    /// Survivor benefit in yuan, likewise.
    #[schema(example = "0.00")]
    pub survivor_benefit: Option<String>,
}

/// The assessed benefits and how they settle against the overpayment.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"funeral_grant": "5000.00", "survivor_benefit": "0.00", "total": "5000.00",
    "overpayment": "10500.00", "deducted": "5000.00", "net_payable": "0.00", "outstanding": "5500.00"}))]
pub struct BenefitsResponse {
    /// Funeral grant (丧葬补助费).
    pub funeral_grant: String,
    /// Survivor benefit (抚恤费).
    pub survivor_benefit: String,
    /// Their sum.
    pub total: String,
    /// Overpayment owed before the deduction (`0.00` when none).
    pub overpayment: String,
    /// Deducted from the benefits towards it.
    pub deducted: String,
    /// Paid to the family.
    pub net_payable: String,
    /// Overpayment still owed after the deduction.
    pub outstanding: String,
}

fn money_field(field: &str, text: Option<&str>, errors: &mut Vec<FieldError>) -> Option<i64> {
    text.and_then(|t| Money::parse(t).map_err(|e| errors.push(FieldError::rule(field, &e))).ok()).map(Money::fen)
}

/// Assesses the death benefits of verified report `id` from the policy formula, with the amounts entered where the
/// policy leaves them to the case, and settles them: the overpayment still owed is deducted first (a
/// `deducted_from_benefits` entry on `today`); the net payable or the balance still owed is answered. Once per
/// report (409 `benefits_assessed`).
pub fn assess(
    conn: &mut DbConnection,
    caller: &Caller,
    today: Date,
    id: i64,
    body: BenefitsRequest,
) -> Result<BenefitsResponse, AppError> {
    let mut errors = Vec::new();
    let funeral_in = money_field("/funeral_grant", body.funeral_grant.as_deref(), &mut errors);
    let survivor_in = money_field("/survivor_benefit", body.survivor_benefit.as_deref(), &mut errors);
    if !errors.is_empty() {
        return Err(AppError::validation(errors));
    }
    let (report, retiree, path) = visible(conn, caller, id)?;
    let assessed = report.funeral_grant_fen.is_some();
    death::apply(report.status, DeathAction::AssessBenefits { assessed }).map_err(rule)?;
    let policy = policy_at(conn, &path, report.date_of_death)?;
    let mut compute = |field: &str, formula: &domain::policy::BenefitFormula, entered: Option<i64>| {
        death::benefit_fen(formula, retiree.monthly_pension_fen, entered)
            .map_err(|e| errors.push(FieldError::rule(field, &e)))
            .ok()
    };
    let funeral = compute("/funeral_grant", &policy.death.funeral_grant.value, funeral_in);
    let survivor = compute("/survivor_benefit", &policy.death.survivor_benefit.value, survivor_in);
    if !errors.is_empty() {
        return Err(AppError::validation(errors));
    }
    let (funeral, survivor) = funeral.zip(survivor).ok_or_else(|| AppError::internal("checked above"))?;
    let total = funeral.checked_add(survivor).ok_or_else(|| AppError::internal("benefits out of range"))?;
    repo::set_benefits(conn, id, funeral, survivor)?;
    let owed = match repo::overpayment_of_report(conn, id)? {
        Some(o) if o.status.as_str() == repo::OWED => {
            let balance = repo::balance_of(conn, &o)?;
            Some((o, balance))
        }
        _ => None,
    };
    let owed_fen = owed.as_ref().map_or(0, |(_, b)| *b);
    let s = death::settle(total, owed_fen);
    if let Some((o, balance)) = &owed
        && s.deducted_fen > 0
    {
        let kind = death::RecoveryKind::DeductedFromBenefits;
        let status = domain::overpayment::status_after(kind, s.deducted_fen, *balance).as_str();
        repo::add_entry(
            conn,
            o,
            &repo::NewEntry {
                overpayment_id: o.id,
                kind: kind.as_str().to_owned(),
                amount_fen: s.deducted_fen,
                entry_on: today,
                approved_by: None,
                note: Some(format!("death report {id}")),
                operator: caller.login.clone(),
                created_at: persistence::now_utc(),
            },
            status,
        )?;
    }
    let mut entry = caller.audit("death.benefits", "death_report", id, &path);
    entry.retiree_id = Some(retiree.id);
    entry.detail = Some(
        serde_json::json!({"funeral_grant_fen": funeral, "survivor_benefit_fen": survivor,
            "deducted_fen": s.deducted_fen, "net_payable_fen": s.net_payable_fen, "outstanding_fen": s.outstanding_fen})
        .to_string(),
    );
    persistence::audit::append(conn, &entry)?;
    let y = |f: i64| Money::from_fen(f).to_string();
    Ok(BenefitsResponse {
        funeral_grant: y(funeral),
        survivor_benefit: y(survivor),
        total: y(total),
        overpayment: y(owed_fen),
        deducted: y(s.deducted_fen),
        net_payable: y(s.net_payable_fen),
        outstanding: y(s.outstanding_fen),
    })
}
