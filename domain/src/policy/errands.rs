//! Tracked errands (代办事项; issue 25): the senior preferential card's age and the days allowed per kind of errand.
//! The GUIDE gives the age ("对70岁以上的高龄退休人员…及时帮助办理老年人优惠证、卡", GUIDE 走访制度); no text gives
//! days for any errand (JN Art. 7(5), 24 name the work only), so the presets leave them empty, `not stated`, and an
//! errand then has no due date rather than a made-up one.

use serde::{Deserialize, Serialize};

use super::{PolicyViolation, Sourced};
use crate::errand::ErrandKind;

/// The days allowed for one kind of errand.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(as = ErrandDuePolicy))]
#[serde(deny_unknown_fields)]
pub struct ErrandDue {
    /// The kind.
    pub kind: ErrandKind,
    /// Days from opening to the due date; `null` when no text gives a number (no due date).
    pub days: Sourced<Option<u32>>,
}

/// The errands section of a policy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(as = ErrandsPolicy))]
#[serde(deny_unknown_fields)]
pub struct Errands {
    /// Age from which the senior preferential card is done for a person (GUIDE 走访制度: 70).
    pub senior_card_age_years: Sourced<u32>,
    /// Days allowed per kind (a kind left out has no due date).
    pub due_days: Vec<ErrandDue>,
}

impl Errands {
    /// The days allowed for `kind`, if the policy gives a number.
    pub fn days_for(&self, kind: ErrandKind) -> Option<u32> {
        self.due_days.iter().find(|d| d.kind == kind).and_then(|d| d.days.value)
    }

    /// The broken rules: the age above 0, days above 0, each kind at most once.
    pub fn violations(&self) -> Vec<PolicyViolation> {
        let mut out = Vec::new();
        if self.senior_card_age_years.value == 0 {
            out.push(PolicyViolation {
                pointer: "/errands/senior_card_age_years/value".into(),
                code: "must_be_positive",
                zh: "应大于0".into(),
                en: "must be greater than 0".into(),
            });
        }
        for (i, d) in self.due_days.iter().enumerate() {
            if d.days.value == Some(0) {
                out.push(PolicyViolation {
                    pointer: format!("/errands/due_days/{i}/days/value"),
                    code: "must_be_positive",
                    zh: "办理期限天数应大于0".into(),
                    en: "days allowed must be greater than 0".into(),
                });
            }
        }
        let mut kinds: Vec<_> = self.due_days.iter().map(|d| d.kind).collect();
        kinds.sort();
        if kinds.windows(2).any(|w| w[0] == w[1]) {
            out.push(PolicyViolation {
                pointer: "/errands/due_days".into(),
                code: "duplicate_kind",
                zh: "代办事项类别重复".into(),
                en: "an errand kind appears twice".into(),
            });
        }
        out
    }
}

/// The section of versions stored before it existed, and of the defaults: the card from 70, no days for any kind;
/// all not stated.
pub fn default_errands() -> Errands {
    Errands {
        senior_card_age_years: Sourced::default_value(70),
        due_days: ErrandKind::ALL.iter().map(|k| ErrandDue { kind: *k, days: Sourced::default_value(None) }).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_days_unless_a_text_gives_them_jn_art_24() {
        // JN Art. 7(5), 24: the errands are named without a deadline.
        let e = default_errands();
        assert!(ErrandKind::ALL.iter().all(|k| e.days_for(*k).is_none()));
        assert_eq!(e.violations(), vec![]);
        let mut bad = e.clone();
        bad.due_days[0].days.value = Some(0);
        bad.due_days.push(bad.due_days[1].clone());
        bad.senior_card_age_years.value = 0;
        let codes: Vec<_> = bad.violations().into_iter().map(|v| v.code).collect();
        assert_eq!(codes, vec!["must_be_positive", "must_be_positive", "duplicate_kind"]);
    }
}
