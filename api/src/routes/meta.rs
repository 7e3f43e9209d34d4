//! Enumerations with their Chinese labels.

use std::collections::BTreeMap;

use actix_web::{get, web};
use domain::{Category, Level, ManagementLevel, PensionStatus, Permission, Relation, Role, Sex, SpecialGroup};
use serde::Serialize;
use utoipa::ToSchema;

use crate::auth::Caller;
use crate::error::ApiError;

/// One value of an enumeration.
#[derive(Serialize, ToSchema)]
pub struct EnumValue {
    /// Stable code.
    #[schema(example = "enterprise_employee")]
    pub code: String,
    /// Chinese label.
    #[schema(example = "企业职工")]
    pub label: String,
}

/// Every enumeration by name.
#[derive(Serialize, ToSchema)]
pub struct Enums {
    /// Enumerations by name (`category`, `management_level`, …).
    #[schema(example = json!({"pension_status": [{"code": "normal", "label": "正常发放"}]}))]
    pub enums: BTreeMap<String, Vec<EnumValue>>,
}

macro_rules! values {
    ($t:ty) => {
        <$t>::ALL.iter().map(|v| EnumValue { code: v.as_str().to_owned(), label: v.label_zh().to_owned() }).collect()
    };
}

/// Every enumeration the API uses, with Chinese labels.
#[utoipa::path(tag = "meta", security(("bearer" = [])), responses((status = 200, body = Enums), crate::openapi::ReadErrors))]
#[get("/meta/enums")]
pub async fn enums(caller: Caller) -> Result<web::Json<Enums>, ApiError> {
    let _ = caller;
    Ok(web::Json(Enums { enums: table() }))
}

/// Every enumeration the API uses by name, with Chinese labels (also how a JSON body that sends a label where a
/// code is wanted is told the code: `crate::body_check`).
pub fn table() -> BTreeMap<String, Vec<EnumValue>> {
    let mut enums = BTreeMap::new();
    enums.insert("sex".to_owned(), values!(Sex));
    enums.insert("category".to_owned(), values!(Category));
    enums.insert("management_level".to_owned(), values!(ManagementLevel));
    enums.insert("pension_status".to_owned(), values!(PensionStatus));
    enums.insert("special_group".to_owned(), values!(SpecialGroup));
    enums.insert("relation".to_owned(), values!(Relation));
    enums.insert("jurisdiction_level".to_owned(), values!(Level));
    enums.insert("role".to_owned(), values!(Role));
    enums.insert("permission".to_owned(), values!(Permission));
    enums.insert("suspension_reason".to_owned(), values!(domain::policy::SuspensionReason));
    enums.insert("certification_method".to_owned(), values!(domain::pension::CertificationMethod));
    enums.insert("data_source".to_owned(), values!(domain::pension::DataSource));
    enums.insert("certification_barrier".to_owned(), values!(domain::pension::CertificationBarrier));
    enums.insert("certification_status".to_owned(), values!(domain::pension::CertificationStatus));
    enums.insert("support_status".to_owned(), values!(domain::pension::SupportStatus));
    enums.insert("condolence_kind".to_owned(), values!(domain::policy::CondolenceKind));
    enums.insert("visit_group".to_owned(), values!(domain::policy::VisitGroup));
    enums.insert("fund_use".to_owned(), values!(domain::policy::FundUse));
    enums.insert("group_basis".to_owned(), values!(domain::care::GroupBasis));
    enums.insert("excellent_rounding".to_owned(), values!(domain::policy::Rounding));
    enums
}
