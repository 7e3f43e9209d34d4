//! Party members' organisation relations (党员组织关系; GUIDE 交接制度: "及时为退休人员中党员建立组织关系"; CS Art.
//! 12(3); JN Art. 21(2)). The texts ask for the relation to be established promptly after the handover and give no
//! number of days: every preset holds no value, `not stated`, and the worklist of late relations answers 409
//! `party_policy_unset` until a city sets the days.

use serde::{Deserialize, Serialize};

use super::{PolicyViolation, Sourced};

/// The party section of a policy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(as = PartyPolicy))]
#[serde(deny_unknown_fields)]
pub struct Party {
    /// Days after a party member's handover was accepted within which the relation is to be in a branch of the
    /// receiving node; `null` while no local rule sets them (GUIDE 交接制度 says "及时" only).
    #[cfg_attr(feature = "openapi", schema(value_type = Sourced<Option<u32>>))]
    pub relation_days: Sourced<Option<u32>>,
}

impl Party {
    /// The days, when a local rule sets them.
    pub fn relation_days(&self) -> Option<u32> {
        self.relation_days.value
    }

    /// The broken rules: days above 0 when set.
    pub fn violations(&self) -> Vec<PolicyViolation> {
        match self.relation_days.value {
            Some(0) => vec![PolicyViolation {
                pointer: "/party/relation_days/value".into(),
                code: "must_be_positive",
                zh: "应大于0".into(),
                en: "must be greater than 0".into(),
            }],
            _ => Vec::new(),
        }
    }
}

/// The section of versions stored before it existed, and of every preset: no days, not stated.
pub fn default_party() -> Party {
    Party { relation_days: Sourced::default_value(None) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_leave_the_days_unset_guide_handover() {
        // GUIDE 交接制度: "及时为退休人员中党员建立组织关系" — no number in any text.
        let p = default_party();
        assert_eq!(p.relation_days(), None);
        assert_eq!(p.relation_days.source, super::super::NOT_STATED);
        assert!(p.violations().is_empty());
        let zero = Party { relation_days: Sourced::stated(Some(0), "local rule") };
        assert_eq!(zero.violations()[0].code, "must_be_positive");
    }
}
