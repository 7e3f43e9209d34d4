//! Jurisdiction nodes: the statistical division codes of city, district, street and community (domain brief
//! section 1; XM Art. 8-12).

use std::fmt;

use crate::RuleViolation;

crate::code_enum! {
    /// Level of a node in the jurisdiction tree. Codes have 2, 4, 6, 9 and 12 digits respectively.
    Level {
        Province = "province": "省",
        City = "city": "市",
        District = "district": "区（县）",
        Street = "street": "街道（乡镇）",
        Community = "community": "社区（村）",
    }
}

impl Level {
    /// Digits a code at this level has.
    pub fn code_len(self) -> usize {
        match self {
            Level::Province => 2,
            Level::City => 4,
            Level::District => 6,
            Level::Street => 9,
            Level::Community => 12,
        }
    }

    /// Depth from the top (province 0, community 4).
    pub fn rank(self) -> u8 {
        match self {
            Level::Province => 0,
            Level::City => 1,
            Level::District => 2,
            Level::Street => 3,
            Level::Community => 4,
        }
    }

    /// The level a code's length implies.
    pub fn from_code_len(len: usize) -> Option<Self> {
        Level::ALL.iter().copied().find(|l| l.code_len() == len)
    }

    /// Whether a node of this level may hang under a node of `parent` level.
    pub fn may_be_child_of(self, parent: Level) -> bool {
        parent.rank() < self.rank()
    }
}

/// Why a string is not a jurisdiction code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JurisdictionCodeError {
    /// Not only digits, or a length no level has.
    #[error("jurisdiction code must be 2, 4, 6, 9 or 12 digits")]
    Format,
    /// The length does not match the stated level.
    #[error("a {level} code has {expected} digits")]
    LevelMismatch {
        /// Stated level.
        level: Level,
        /// Digits that level needs.
        expected: usize,
    },
}

impl RuleViolation for JurisdictionCodeError {
    fn code(&self) -> &'static str {
        match self {
            Self::Format => "jurisdiction_code_format",
            Self::LevelMismatch { .. } => "jurisdiction_code_level_mismatch",
        }
    }
    fn message_zh(&self) -> String {
        match self {
            Self::Format => "区划代码应为2、4、6、9或12位数字".to_owned(),
            Self::LevelMismatch { level, expected } => {
                format!("{}级区划代码应为{expected}位数字", level.label_zh())
            }
        }
    }
    fn message_en(&self) -> String {
        self.to_string()
    }
}

/// A statistical division code (统计用区划代码).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct JurisdictionCode(String);

impl JurisdictionCode {
    /// Parses a code of any level.
    pub fn parse(text: &str) -> Result<Self, JurisdictionCodeError> {
        let text = text.trim();
        if !text.bytes().all(|b| b.is_ascii_digit()) || Level::from_code_len(text.len()).is_none() {
            return Err(JurisdictionCodeError::Format);
        }
        Ok(Self(text.to_owned()))
    }

    /// Parses a code that must belong to `level`.
    pub fn parse_at(text: &str, level: Level) -> Result<Self, JurisdictionCodeError> {
        let code = Self::parse(text)?;
        if code.0.len() != level.code_len() {
            return Err(JurisdictionCodeError::LevelMismatch { level, expected: level.code_len() });
        }
        Ok(code)
    }

    /// The level its length implies.
    pub fn level(&self) -> Level {
        Level::from_code_len(self.0.len()).unwrap_or(Level::Community)
    }

    /// The digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for JurisdictionCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Materialised path of a node below its parent's path: `/35/3502/350203/`. A subtree is every node whose path
/// starts with the root's path, which keeps scope checks one indexed prefix comparison.
pub fn child_path(parent_path: Option<&str>, code: &str) -> String {
    match parent_path {
        Some(p) => format!("{p}{code}/"),
        None => format!("/{code}/"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_lengths_match_levels() {
        assert_eq!(JurisdictionCode::parse("3502").unwrap().level(), Level::City);
        assert_eq!(JurisdictionCode::parse("350203001001").unwrap().level(), Level::Community);
        assert_eq!(JurisdictionCode::parse("35020").unwrap_err(), JurisdictionCodeError::Format);
        assert_eq!(JurisdictionCode::parse("35a2").unwrap_err(), JurisdictionCodeError::Format);
        assert!(matches!(
            JurisdictionCode::parse_at("350203", Level::Street),
            Err(JurisdictionCodeError::LevelMismatch { expected: 9, .. })
        ));
    }

    #[test]
    fn levels_nest_downwards() {
        assert!(Level::Community.may_be_child_of(Level::Street));
        // 东莞市: streets hang directly under a district-level node.
        assert!(Level::Street.may_be_child_of(Level::District));
        assert!(!Level::District.may_be_child_of(Level::Street));
        assert!(!Level::City.may_be_child_of(Level::City));
    }

    #[test]
    fn paths_extend_parent() {
        assert_eq!(child_path(None, "3502"), "/3502/");
        assert_eq!(child_path(Some("/3502/"), "350203"), "/3502/350203/");
    }
}
