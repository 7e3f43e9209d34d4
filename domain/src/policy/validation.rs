//! The checks of a policy version before it is stored: ratios, shares, positive periods, one entry per
//! management level, suspension reason, condolence kind and visit group, sources present (XM Art. 25; CS Art. 10).

use super::*;

/// A broken rule in a policy: JSON pointer, code and messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyViolation {
    /// JSON pointer of the parameter, e.g. `/service_fund/splits/0/city_share/value`.
    pub pointer: String,
    /// Stable code.
    pub code: &'static str,
    /// Chinese message.
    pub zh: String,
    /// English message.
    pub en: String,
}

fn violation(pointer: String, code: &'static str, zh: String, en: String) -> PolicyViolation {
    PolicyViolation { pointer, code, zh, en }
}

fn check_ratio(pointer: String, r: &Sourced<Ratio>, out: &mut Vec<PolicyViolation>) {
    if r.value < Decimal::ZERO || r.value > Decimal::ONE {
        out.push(violation(
            pointer,
            "ratio_range",
            "比例应在0到1之间".into(),
            "a ratio must lie between 0 and 1".into(),
        ));
    }
}

fn check_shares(
    base: &str,
    a: &Sourced<Ratio>,
    b: &Sourced<Ratio>,
    names: (&str, &str),
    out: &mut Vec<PolicyViolation>,
) {
    check_ratio(format!("{base}/{}/value", names.0), a, out);
    check_ratio(format!("{base}/{}/value", names.1), b, out);
    if a.value + b.value != Decimal::ONE {
        out.push(violation(
            format!("{base}/{}/value", names.1),
            "ratio_sum",
            format!("{}与{}之和应为1", names.0, names.1),
            format!("{} and {} must sum to 1", names.0, names.1),
        ));
    }
}

fn check_positive(pointer: &str, v: &Sourced<u32>, out: &mut Vec<PolicyViolation>) {
    if v.value == 0 {
        out.push(violation(
            format!("{pointer}/value"),
            "must_be_positive",
            "应大于0".into(),
            "must be greater than 0".into(),
        ));
    }
}

fn check_source<T>(pointer: &str, v: &Sourced<T>, out: &mut Vec<PolicyViolation>) {
    let n = v.source.trim().chars().count();
    if n == 0 || n > 100 {
        out.push(violation(
            format!("{pointer}/source"),
            "source_required",
            "每个取值都应注明出处（如 XM Art. 21(2)）或 not stated".into(),
            "every value needs its source (e.g. XM Art. 21(2)) or `not stated`".into(),
        ));
    }
}

impl Policy {
    /// Every broken rule: ratios within 0-1 and summing to one, positive periods, one entry per management level,
    /// suspension reason, condolence kind and visit group, sources present. Money is non-negative with two
    /// decimals by construction ([`Money`]).
    pub fn violations(&self) -> Vec<PolicyViolation> {
        let mut out = Vec::new();
        check_positive("/certification/period_months", &self.certification.period_months, &mut out);
        check_source("/certification/period_months", &self.certification.period_months, &mut out);
        check_source("/certification/due_soon_days", &self.certification.due_soon_days, &mut out);
        check_source("/service_fund/per_retiree_per_year", &self.service_fund.per_retiree_per_year, &mut out);
        for (i, split) in self.service_fund.splits.iter().enumerate() {
            let base = format!("/service_fund/splits/{i}");
            check_shares(&base, &split.city_share, &split.district_share, ("city_share", "district_share"), &mut out);
            check_source(&format!("{base}/city_share"), &split.city_share, &mut out);
        }
        for level in ManagementLevel::ALL {
            let n = self.service_fund.splits.iter().filter(|s| s.management_level == *level).count();
            if n != 1 {
                out.push(violation(
                    "/service_fund/splits".into(),
                    "one_split_per_level",
                    format!("每个管理层级应有且只有一个分担比例（{}）", level.label_zh()),
                    format!("exactly one split per management level ({level})"),
                ));
            }
        }
        for reason in SuspensionReason::ALL {
            if self.back_pay.iter().filter(|r| r.reason == *reason).count() != 1 {
                out.push(violation(
                    "/back_pay".into(),
                    "one_rule_per_reason",
                    format!("每种暂停原因应有且只有一条补发规则（{}）", reason.label_zh()),
                    format!("exactly one back-pay rule per suspension reason ({reason})"),
                ));
            }
        }
        let mut uses: Vec<FundUse> = self.service_fund.allowed_uses.iter().map(|u| u.value).collect();
        uses.sort();
        if uses.windows(2).any(|w| w[0] == w[1]) {
            out.push(violation(
                "/service_fund/allowed_uses".into(),
                "duplicate_use",
                "经费用途重复".into(),
                "a fund use appears twice".into(),
            ));
        }
        for (i, u) in self.service_fund.allowed_uses.iter().enumerate() {
            check_source(&format!("/service_fund/allowed_uses/{i}"), u, &mut out);
        }
        let mut kinds: Vec<CondolenceKind> = self.condolences.iter().map(|c| c.kind).collect();
        kinds.sort();
        if kinds.windows(2).any(|w| w[0] == w[1]) {
            out.push(violation(
                "/condolences".into(),
                "duplicate_kind",
                "慰问种类重复".into(),
                "a condolence kind appears twice".into(),
            ));
        }
        for (i, c) in self.condolences.iter().enumerate() {
            check_source(&format!("/condolences/{i}/amount"), &c.amount, &mut out);
            if c.yearly_cap.value == Some(0) {
                out.push(violation(
                    format!("/condolences/{i}/yearly_cap/value"),
                    "must_be_positive",
                    "年度次数上限应大于0，不设上限时为null".into(),
                    "a yearly cap must be greater than 0, or null for none".into(),
                ));
            }
        }
        let g = &self.group_leaders;
        check_shares(
            "/group_leaders",
            &g.allowance_city_share,
            &g.allowance_district_share,
            ("allowance_city_share", "allowance_district_share"),
            &mut out,
        );
        check_ratio("/group_leaders/excellent_ratio/value".into(), &g.excellent_ratio, &mut out);
        check_positive("/death/report_deadline_working_days", &self.death.report_deadline_working_days, &mut out);
        check_positive("/death/recovery_deadline_days", &self.death.recovery_deadline_days, &mut out);
        check_positive("/death/dependant_application_months", &self.death.dependant_application_months, &mut out);
        for (i, f) in [&self.death.funeral_grant, &self.death.survivor_benefit].iter().enumerate() {
            let name = if i == 0 { "funeral_grant" } else { "survivor_benefit" };
            let needs_months =
                matches!(f.value.basis, BenefitBasis::MonthsOfPension | BenefitBasis::MonthsOfAverageWage);
            if needs_months && f.value.months.is_none_or(|m| m <= Decimal::ZERO) {
                out.push(violation(
                    format!("/death/{name}/value/months"),
                    "months_required",
                    "按月数计发时应给出大于0的月数".into(),
                    "a month-based formula needs a number of months above 0".into(),
                ));
            }
            if f.value.basis == BenefitBasis::Fixed && f.value.amount.is_none() {
                out.push(violation(
                    format!("/death/{name}/value/amount"),
                    "amount_required",
                    "定额计发时应给出金额".into(),
                    "a fixed formula needs an amount".into(),
                ));
            }
        }
        let mut groups: Vec<VisitGroup> = self.visits.iter().map(|v| v.group).collect();
        groups.sort();
        if groups.windows(2).any(|w| w[0] == w[1]) {
            out.push(violation(
                "/visits".into(),
                "duplicate_group",
                "走访对象重复".into(),
                "a visit group appears twice".into(),
            ));
        }
        for (i, v) in self.visits.iter().enumerate() {
            check_positive(&format!("/visits/{i}/interval_days"), &v.interval_days, &mut out);
        }
        check_positive("/advanced_age_years", &self.advanced_age_years, &mut out);
        check_positive("/missing_person_months", &self.missing_person_months, &mut out);
        let p = &self.petitions;
        for (name, v) in [
            ("general_answer_days", &p.general_answer_days),
            ("escalated_answer_days", &p.escalated_answer_days),
            ("major_policy_answer_days", &p.major_policy_answer_days),
            ("letter_answer_days", &p.letter_answer_days),
        ] {
            check_positive(&format!("/petitions/{name}"), v, &mut out);
        }
        check_positive("/petitions/acknowledge_days", &p.acknowledge_days, &mut out);
        check_positive("/petitions/reopen_window_days", &p.reopen_window_days, &mut out);
        check_positive("/petitions/collective_min_people", &p.collective_min_people, &mut out);
        if p.collective_min_people.value < 2 {
            out.push(violation(
                "/petitions/collective_min_people/value".into(),
                "collective_min_people",
                "集体上访人数下限应至少为2".into(),
                "a collective petition needs at least 2 people".into(),
            ));
        }
        let c = &p.counting;
        for (name, v) in [
            ("general_answer", &c.general_answer),
            ("escalated_answer", &c.escalated_answer),
            ("major_policy_answer", &c.major_policy_answer),
            ("letter_answer", &c.letter_answer),
            ("acknowledge", &c.acknowledge),
            ("reopen_window", &c.reopen_window),
        ] {
            check_source(&format!("/petitions/counting/{name}"), v, &mut out);
        }
        let s = &self.staffing;
        check_positive("/staffing/retirees_per_worker", &s.retirees_per_worker, &mut out);
        check_positive("/staffing/archive_volumes_per_keeper", &s.archive_volumes_per_keeper, &mut out);
        check_positive("/archives/loan_days", &self.archives.loan_days, &mut out);
        check_positive("/archives/supplement_review_days", &self.archives.supplement_review_days, &mut out);
        // Elderly care (GUIDE 第二部分六).
        let e = &self.elder_care;
        check_positive("/elder_care/institution_stale_days", &e.institution_stale_days, &mut out);
        check_positive("/elder_care/evaluation_max_score", &e.evaluation_max_score, &mut out);
        // Health records (GUIDE 第五部分第四章四).
        check_positive("/health/update_interval_days", &self.health.update_interval_days, &mut out);
        check_positive("/health/record_age_years", &self.health.record_age_years, &mut out);
        let mut items: Vec<_> = e.items.iter().map(|r| r.item).collect();
        items.sort();
        if items.windows(2).any(|w| w[0] == w[1]) {
            out.push(violation(
                "/elder_care/items".into(),
                "duplicate_item",
                "护理项目重复".into(),
                "a care item appears twice".into(),
            ));
        }
        for (i, r) in e.items.iter().enumerate() {
            check_source(&format!("/elder_care/items/{i}/required_grade"), &r.required_grade, &mut out);
            if r.cost_bearers.is_empty() {
                out.push(violation(
                    format!("/elder_care/items/{i}/cost_bearers"),
                    "cost_bearers_required",
                    "每个护理项目应至少有一个费用承担方".into(),
                    "each care item needs at least one cost bearer".into(),
                ));
            }
            for (j, b) in r.cost_bearers.iter().enumerate() {
                check_source(&format!("/elder_care/items/{i}/cost_bearers/{j}"), b, &mut out);
            }
        }
        // Monthly reports (issue 27).
        check_positive("/reports/ledger_verification_days", &self.reports.ledger_verification_days, &mut out);
        for (i, b) in self.reports.age_bands.iter().enumerate() {
            check_positive(&format!("/reports/age_bands/{i}"), b, &mut out);
        }
        if self.reports.age_bands.is_empty() || self.reports.age_bands.windows(2).any(|w| w[0].value >= w[1].value) {
            out.push(violation(
                "/reports/age_bands".into(),
                "age_bands_ascending",
                "年龄段下限应至少一个且严格递增".into(),
                "age bands need at least one lower bound, strictly ascending".into(),
            ));
        }
        // High-age allowance (issue 25; JN Art. 7(7)).
        check_source("/high_age_allowance/bands", &self.high_age_allowance.bands, &mut out);
        out.extend(self.high_age_allowance.violations());
        // Tracked errands (issue 25).
        check_source("/errands/senior_card_age_years", &self.errands.senior_card_age_years, &mut out);
        for (i, d) in self.errands.due_days.iter().enumerate() {
            check_source(&format!("/errands/due_days/{i}/days"), &d.days, &mut out);
        }
        out.extend(self.errands.violations());
        // Party members (issue 25; GUIDE 交接制度).
        check_source("/party/relation_days", &self.party.relation_days, &mut out);
        out.extend(self.party.violations());
        out
    }
}
