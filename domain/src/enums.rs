//! Enumerations with stable English codes and Chinese labels (api-guidelines "Shape": `GET /meta/enums`).

/// Defines a string enumeration: serde as `snake_case` codes, `as_str`, `parse`, `label_zh` and `ALL`.
#[macro_export]
macro_rules! code_enum {
    ($(#[doc = $doc:literal])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $code:tt : $label:tt),+ $(,)? }) => {
        $(#[doc = $doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name {
            $($(#[$vmeta])* #[serde(rename = $code)] $variant),+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The stable code.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $code),+ }
            }

            /// The Chinese label.
            pub fn label_zh(self) -> &'static str {
                match self { $($name::$variant => $label),+ }
            }

            /// Parses a stable code.
            pub fn parse(code: &str) -> Option<Self> {
                match code { $($code => Some($name::$variant),)+ _ => None }
            }

            /// Every code, for error messages.
            pub fn codes() -> Vec<&'static str> {
                Self::ALL.iter().map(|v| v.as_str()).collect()
            }
        }

        /// The schema carries the Chinese label of every code: in the description and, in code order, in
        /// `x-enum-descriptions`, so generated clients show them.
        #[cfg(feature = "openapi")]
        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                let doc: &[&str] = &[$($doc),*];
                let doc = doc.iter().map(|line| line.trim()).collect::<Vec<_>>().join(" ");
                let labels = [$(format!("`{}` {}", $code, $label)),+].join(", ");
                let extensions = utoipa::openapi::extensions::ExtensionsBuilder::new()
                    .add("x-enum-descriptions", vec![$($label),+])
                    .build();
                utoipa::openapi::schema::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::Type::String)
                    .description(Some(format!("{doc}\n\n{labels}")))
                    .enum_values(Some([$($code),+]))
                    .extensions(Some(extensions))
                    .into()
            }
        }

        #[cfg(feature = "openapi")]
        impl utoipa::ToSchema for $name {
            fn name() -> std::borrow::Cow<'static, str> {
                std::borrow::Cow::Borrowed(stringify!($name))
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

code_enum! {
    /// Sex, as encoded in the resident ID (GB 11643).
    Sex {
        Male = "male": "男",
        Female = "female": "女",
    }
}

code_enum! {
    /// Retiree category (XM Art. 3, CS Art. 2-3, JN Art. 3).
    Category {
        EnterpriseEmployee = "enterprise_employee": "企业职工",
        IndividuallyInsured = "individually_insured": "个人身份参保人员",
        UrbanRuralResident = "urban_rural_resident": "城乡居民养老保险人员",
        CentralProvincialEnterprise = "central_provincial_enterprise": "央属省属企业移交人员",
        LandExpropriated = "land_expropriated": "被征地人员",
        Institution = "institution": "机关事业单位人员",
        FlexibleEmployment = "flexible_employment": "灵活就业人员",
        StateOwnedEnterprise = "state_owned_enterprise": "国有企业退休人员",
        Other = "other": "其他",
    }
}

code_enum! {
    /// Management level, which decides who pays (CS Art. 10).
    ManagementLevel {
        CityManaged = "city_managed": "市本级管理",
        CentralProvincialLocal = "central_provincial_local": "中央省属属地管理",
        DistrictManaged = "district_managed": "区（县）管理",
    }
}

code_enum! {
    /// Pension payment status (CS Art. 32, JN Art. 34).
    PensionStatus {
        Normal = "normal": "正常发放",
        Suspended = "suspended": "暂停发放",
        Stopped = "stopped": "终止发放",
        /// Moved out of the city; paid by the new place (CS Art. 28; JN Art. 22).
        TransferredOut = "transferred_out": "转出",
    }
}

code_enum! {
    /// Special groups (GUIDE 五; CS Art. 25; JN Art. 31; CS Art. 6(8)). `AdvancedAge` is computed from the birth
    /// date and `PartyMember` from the party-member field; the others are flags with dates.
    SpecialGroup {
        AdvancedAge = "advanced_age": "高龄",
        WidowedChildless = "widowed_childless": "孤寡",
        SeriouslyIll = "seriously_ill": "重病",
        SevereHardship = "severe_hardship": "特困",
        PreLiberationWorker = "pre_liberation_worker": "新中国成立前参加工作",
        ModelWorker = "model_worker": "劳模",
        LivingAlone = "living_alone": "独居",
        Disabled = "disabled": "伤残",
        Veteran = "veteran": "退役军人",
        PartyMember = "party_member": "党员",
    }
}

impl SpecialGroup {
    /// Whether the group is a dated flag kept on the record (not derived from other fields).
    pub fn is_flag(self) -> bool {
        !matches!(self, SpecialGroup::AdvancedAge | SpecialGroup::PartyMember)
    }
}

code_enum! {
    /// Relation of a dependant to the retiree (供养直系亲属, GUIDE 四、五).
    Relation {
        Spouse = "spouse": "配偶",
        Child = "child": "子女",
        Parent = "parent": "父母",
        Grandchild = "grandchild": "孙子女、外孙子女",
        Sibling = "sibling": "兄弟姐妹",
        Other = "other": "其他",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_and_have_labels() {
        for c in Category::ALL {
            assert_eq!(Category::parse(c.as_str()), Some(*c));
            assert!(!c.label_zh().is_empty());
        }
        assert_eq!(PensionStatus::parse("normal"), Some(PensionStatus::Normal));
        assert_eq!(PensionStatus::parse("Normal"), None);
    }

    #[test]
    fn derived_groups_are_not_flags() {
        // GUIDE 五: advanced age is computed, party membership is a field of its own.
        assert!(!SpecialGroup::AdvancedAge.is_flag());
        assert!(!SpecialGroup::PartyMember.is_flag());
        assert!(SpecialGroup::LivingAlone.is_flag());
    }
}
