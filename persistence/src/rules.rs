//! Domain rules restated for the database, one function per rule, so a set-based statement asks the same
//! question as the domain function it restates. Each function names that function and the article; every query
//! that needs one of these rules calls the function here instead of writing the comparison itself, and
//! `persistence/tests/rules.rs` checks on both backends, row by row around every boundary, that the database's
//! answer is the domain's.
//!
//! - Certification overdue: [`overdue`], [`overdue_sql`] restate [`domain::pension::is_overdue`] (CS Art. 32(1)).
//! - Certification due soon: [`due_soon`], [`certified`] and [`due_soon_or_overdue_sql`] restate
//!   [`domain::pension::certification_status`] with the policy's `due_soon_days` (CS Art. 16(2), 32(1);
//!   XM Art. 15(3) for the home-visit tasks).
//! - Advanced age: [`age_at_least`], [`younger_than`] restate `domain::age_on(birth, on) >= years` through
//!   [`domain::born_on_or_before_for_age`] (GUIDE 五, 走访制度: 70岁以上高龄, the threshold from the policy's
//!   `advanced_age_years`).
//! - Age band of the monthly report: [`age_band_sql`] with [`age_band_binds`] restates
//!   [`domain::report::age_band`] (GUIDE 第四章二 按月计报; the bands from the policy's `reports.age_bands`).
//! - Special-group flag in force: [`flag_in_force_sql`] restates [`domain::report::flag_in_force`] (GUIDE 第四章五).
//! - Dependants' support started: [`support_started_sql`] restates [`domain::support::support_started`] (GUIDE
//!   五; issue 19.10): a certification run suspends only support that has started.
//! - Late death report ([`domain::death::is_late`], CS Art. 16(4)) has no restatement: `death_reports.late` is
//!   decided by the domain when the report is written and stored; queries only read the stored flag.
//!
//! The SQL fragments use `?` placeholders (see [`crate::sql`]); each says what it binds. A column name passed in
//! is a literal of the caller, never input.

use diesel::dsl;
use diesel::expression::Expression;
use diesel::prelude::*;
use diesel::sql_types;
use time::Date;

use domain::pension::due_soon_until;

/// `certified_until < on`: a person valid until `certified_until` is overdue on `on` —
/// [`domain::pension::is_overdue`] (CS Art. 32(1): "未按规定时间参加资格认证"). The last valid day is not overdue.
pub fn overdue<C>(certified_until: C, on: Date) -> dsl::Lt<C, Date>
where
    C: Expression<SqlType = sql_types::Date> + ExpressionMethods,
{
    certified_until.lt(on)
}

/// [`overdue`] as SQL for hand-written statements: `{certified_until} < ?`, binding the as-of date.
pub fn overdue_sql(certified_until: &str) -> String {
    format!("{certified_until} < ?")
}

/// `on <= certified_until <= on + due_soon_days`: due soon on `on` — [`domain::pension::certification_status`]
/// is [`domain::pension::CertificationStatus::DueSoon`] (CS Art. 16(2), 32(1); the window is the policy's
/// `certification.due_soon_days`).
pub fn due_soon<C>(certified_until: C, on: Date, due_soon_days: u32) -> dsl::And<dsl::GtEq<C, Date>, dsl::LtEq<C, Date>>
where
    C: Expression<SqlType = sql_types::Date> + ExpressionMethods + Copy,
{
    certified_until.ge(on).and(certified_until.le(due_soon_until(on, due_soon_days)))
}

/// `certified_until > on + due_soon_days`: neither due soon nor overdue on `on` —
/// [`domain::pension::certification_status`] is [`domain::pension::CertificationStatus::Certified`].
pub fn certified<C>(certified_until: C, on: Date, due_soon_days: u32) -> dsl::Gt<C, Date>
where
    C: Expression<SqlType = sql_types::Date> + ExpressionMethods,
{
    certified_until.gt(due_soon_until(on, due_soon_days))
}

/// The complement of [`certified`] as SQL: `{certified_until} <= ?`, binding
/// [`domain::pension::due_soon_until`]`(on, due_soon_days)` — due soon or overdue on `on`, i.e.
/// [`domain::pension::certification_status`] is not `Certified` (who gets a home-visit task, XM Art. 15(3)).
pub fn due_soon_or_overdue_sql(certified_until: &str) -> String {
    format!("{certified_until} <= ?")
}

/// `birth_date <= born_on_or_before_for_age(on, years)`: at least `years` old on `on` —
/// `domain::age_on(birth_date, on) >= years` (a 29 February birthday falls on 1 March in other years). With the
/// policy's `advanced_age_years` this is the advanced-age group (GUIDE 五, 走访制度: 70岁以上高龄退休人员).
pub fn age_at_least<C>(birth_date: C, years: i32, on: Date) -> dsl::LtEq<C, Date>
where
    C: Expression<SqlType = sql_types::Date> + ExpressionMethods,
{
    birth_date.le(domain::born_on_or_before_for_age(on, years))
}

/// [`age_at_least`] as SQL for hand-written statements: `{birth_date} <= ?`, binding
/// [`domain::born_on_or_before_for_age`]`(on, years)`.
pub fn age_at_least_sql(birth_date: &str) -> String {
    format!("{birth_date} <= ?")
}

/// The complement of [`age_at_least`]: `domain::age_on(birth_date, on) < years`.
pub fn younger_than<C>(birth_date: C, years: i32, on: Date) -> dsl::Gt<C, Date>
where
    C: Expression<SqlType = sql_types::Date> + ExpressionMethods,
{
    birth_date.gt(domain::born_on_or_before_for_age(on, years))
}

/// `EXISTS` an application of the dependant `{dependent_id}` approved (or under fraud review) whose support runs
/// from a month on or before the bound date: the dependant's support has started on that date —
/// [`domain::support::support_started`] (GUIDE 五: support follows the retiree's death and its approval; issue
/// 19.10). Binds the as-of date.
pub fn support_started_sql(dependent_id: &str) -> String {
    use domain::support::SupportApplicationStatus as S;
    format!(
        "EXISTS (SELECT 1 FROM dependent_support ss WHERE ss.dependent_id = {dependent_id} \
         AND ss.status IN ('{}', '{}') AND ss.support_from IS NOT NULL AND ss.support_from <= ?)",
        S::Approved.as_str(),
        S::FraudReview.as_str()
    )
}

/// `CASE WHEN {birth_date} <= ? THEN '<band>' … ELSE '0' END`: the lower bound of the age band (as text) of a person
/// born on `{birth_date}` on the as-of date — [`domain::report::age_band`] (GUIDE 第四章二 按月计报; the bands are
/// the policy's `reports.age_bands`, each `age_at_least` through [`domain::born_on_or_before_for_age`]). Binds
/// [`age_band_binds`], the greatest band first. The bands are numbers of the policy, never input text.
pub fn age_band_sql(birth_date: &str, bands: &[u32]) -> String {
    let mut sorted: Vec<u32> = bands.iter().copied().filter(|b| *b > 0).collect();
    sorted.sort_unstable();
    sorted.dedup();
    let mut out = String::from("CASE");
    for b in sorted.iter().rev() {
        out.push_str(&format!(" WHEN {birth_date} <= ? THEN '{b}'"));
    }
    out.push_str(" ELSE '0' END");
    out
}

/// The binds of [`age_band_sql`] for the as-of date `on`: the last birth date of each band, the greatest first.
pub fn age_band_binds(bands: &[u32], on: Date) -> Vec<Date> {
    let mut sorted: Vec<u32> = bands.iter().copied().filter(|b| *b > 0).collect();
    sorted.sort_unstable();
    sorted.dedup();
    sorted.iter().rev().map(|b| domain::born_on_or_before_for_age(on, i32::try_from(*b).unwrap_or(i32::MAX))).collect()
}

/// `{from} <= ? AND ({to} IS NULL OR {to} >= ?)`: a special-group flag in force on the as-of date (bound twice) —
/// [`domain::report::flag_in_force`] (GUIDE 第四章五; the end day counts).
pub fn flag_in_force_sql(from: &str, to: &str) -> String {
    format!("{from} <= ? AND ({to} IS NULL OR {to} >= ?)")
}

/// The ledger status of a person as SQL — [`domain::report::ledger_status`] (GUIDE 第四章五): `{computed}` a boolean
/// expression, `{member}` / `{verified_on}` the last verification's columns (NULL without one). Yields the status
/// code, or NULL when the person is not in the ledger. Binds the stale cutoff
/// [`domain::report::stale_before`]`(on, interval_days)`.
pub fn ledger_status_sql(computed: &str, member: &str, verified_on: &str) -> String {
    use domain::report::LedgerStatus as L;
    format!(
        "CASE WHEN {member} IS NULL THEN (CASE WHEN {computed} THEN '{unverified}' END) \
         WHEN ({member} AND NOT ({computed})) OR (NOT {member} AND ({computed})) THEN '{disagrees}' \
         WHEN NOT {member} THEN NULL \
         WHEN {verified_on} < ? THEN '{stale}' ELSE '{verified}' END",
        unverified = L::Unverified.as_str(),
        disagrees = L::Disagrees.as_str(),
        stale = L::Stale.as_str(),
        verified = L::Verified.as_str(),
    )
}
