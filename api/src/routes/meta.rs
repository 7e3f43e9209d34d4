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
    let mut out = BTreeMap::new();
    out.insert("sex".to_owned(), values!(Sex));
    out.insert("category".to_owned(), values!(Category));
    out.insert("management_level".to_owned(), values!(ManagementLevel));
    out.insert("pension_status".to_owned(), values!(PensionStatus));
    out.insert("special_group".to_owned(), values!(SpecialGroup));
    out.insert("relation".to_owned(), values!(Relation));
    out.insert("jurisdiction_level".to_owned(), values!(Level));
    out.insert("role".to_owned(), values!(Role));
    out.insert("permission".to_owned(), values!(Permission));
    out.insert("suspension_reason".to_owned(), values!(domain::policy::SuspensionReason));
    out.insert("certification_method".to_owned(), values!(domain::pension::CertificationMethod));
    out.insert("data_source".to_owned(), values!(domain::pension::DataSource));
    out.insert("certification_barrier".to_owned(), values!(domain::pension::CertificationBarrier));
    out.insert("certification_status".to_owned(), values!(domain::pension::CertificationStatus));
    out.insert("support_status".to_owned(), values!(domain::pension::SupportStatus));
    out.insert("condolence_kind".to_owned(), values!(domain::policy::CondolenceKind));
    out.insert("visit_group".to_owned(), values!(domain::policy::VisitGroup));
    out.insert("fund_use".to_owned(), values!(domain::policy::FundUse));
    out.insert("group_basis".to_owned(), values!(domain::care::GroupBasis));
    out.insert("excellent_rounding".to_owned(), values!(domain::policy::Rounding));
    out
}
