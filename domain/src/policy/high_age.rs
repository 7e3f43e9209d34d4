//! High-age allowance values (高龄补贴; JN Art. 7(7): "协助做好高龄补贴发放"). The regulations name the allowance
//! and leave its age thresholds and monthly amounts to local rules: the presets hold an empty list of bands,
//! `not stated`, until a city sets them, and the service refuses to compute an allowance from an unset policy
//! (409 `allowance_policy_unset`) rather than pay nothing.

use serde::{Deserialize, Serialize};

use super::{PolicyViolation, Sourced};
use crate::Money;

/// One age band: from this age on (the month the person reaches it), this amount a month.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AllowanceBand {
    /// Age in years from which the band applies.
    pub from_age: u32,
    /// Yuan a month (`"100.00"`).
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub monthly_amount: Money,
}

/// The high-age allowance section of a policy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(as = HighAgeAllowancePolicy))]
#[serde(deny_unknown_fields)]
pub struct HighAgeAllowance {
    /// The bands by ascending age; empty while no local rule sets them (JN Art. 7(7) names the allowance only).
    pub bands: Sourced<Vec<AllowanceBand>>,
}

impl HighAgeAllowance {
    /// Whether a local rule has set the bands.
    pub fn is_set(&self) -> bool {
        !self.bands.value.is_empty()
    }

    /// The broken rules: ages above 0 and strictly ascending, amounts above 0.
    pub fn violations(&self) -> Vec<PolicyViolation> {
        let mut out = Vec::new();
        for (i, b) in self.bands.value.iter().enumerate() {
            if b.from_age == 0 {
                out.push(PolicyViolation {
                    pointer: format!("/high_age_allowance/bands/value/{i}/from_age"),
                    code: "must_be_positive",
                    zh: "应大于0".into(),
                    en: "must be greater than 0".into(),
                });
            }
            if b.monthly_amount.fen() <= 0 {
                out.push(PolicyViolation {
                    pointer: format!("/high_age_allowance/bands/value/{i}/monthly_amount"),
                    code: "must_be_positive",
                    zh: "高龄补贴月标准应大于0".into(),
                    en: "a monthly amount must be greater than 0".into(),
                });
            }
        }
        if self.bands.value.windows(2).any(|w| w[0].from_age >= w[1].from_age) {
            out.push(PolicyViolation {
                pointer: "/high_age_allowance/bands/value".into(),
                code: "age_bands_ascending",
                zh: "高龄补贴年龄段应严格递增".into(),
                en: "allowance age bands must be strictly ascending".into(),
            });
        }
        out
    }
}

/// The section of versions stored before it existed, and of every preset: no bands, not stated (JN Art. 7(7)
/// leaves thresholds and amounts to local rules).
pub fn default_high_age_allowance() -> HighAgeAllowance {
    HighAgeAllowance { bands: Sourced::default_value(Vec::new()) }
}
