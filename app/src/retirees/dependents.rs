//! A retiree's dependants (供养直系亲属, XM Art. 15; GUIDE 二): the input of a create or an update and its checks
//! (one code for the API and the dependant import).

use domain::{ErrorCode, IdNumber, Relation};
use persistence::retirees::DependentData;
use serde::{Deserialize, Serialize};
use time::Date;
use utoipa::ToSchema;

use crate::error::FieldError;
use crate::input::check_name;

/// A new dependent.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"relation": "spouse", "id_number": "350203195703030023", "name": "李四", "supported": true}))]
pub struct CreateDependentRequest {
    /// Relation to the retiree.
    pub relation: Relation,
    /// 18-character resident ID.
    #[schema(pattern = "^[0-9]{17}[0-9Xx]$", example = "350203195501010016")]
    pub id_number: String,
    /// Name.
    #[schema(min_length = 1, max_length = 50, example = "李四")]
    pub name: String,
    /// Supported by the retiree.
    pub supported: bool,
}

/// Fields to change.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"supported": false}))]
pub struct UpdateDependentRequest {
    /// Relation.
    pub relation: Option<Relation>,
    /// Resident ID.
    #[schema(pattern = "^[0-9]{17}[0-9Xx]$", example = "350203195501010016")]
    pub id_number: Option<String>,
    /// Name.
    #[schema(min_length = 1, max_length = 50, example = "李四")]
    pub name: Option<String>,
    /// Supported.
    pub supported: Option<bool>,
}

/// The checks of a single create, for a dependant from a request or a file row (issue 4: the same code).
pub fn validate_new(body: &CreateDependentRequest, own_id: &str, on: Date) -> Result<DependentData, Vec<FieldError>> {
    check_fields(body.relation, &body.id_number, &body.name, body.supported, own_id, on)
}

/// The checks of a dependant's fields as of `on` (the resident ID must be plausible on that day).
pub fn check_fields(
    relation: Relation,
    id_number: &str,
    name: &str,
    supported: bool,
    own_id: &str,
    on: Date,
) -> Result<DependentData, Vec<FieldError>> {
    let mut errors = Vec::new();
    let name = check_name("/name", name, 50, &mut errors);
    let id = IdNumber::parse(id_number, on).map_err(|e| errors.push(FieldError::rule("/id_number", &e))).ok();
    if id.as_ref().is_some_and(|id| id.as_str() == own_id) {
        errors.push(FieldError::of("/id_number", ErrorCode::DependentIsRetiree));
    }
    let Some(id) = id.filter(|_| errors.is_empty()) else { return Err(errors) };
    Ok(DependentData { relation: relation.as_str().to_owned(), id_number: id.as_str().to_owned(), name, supported })
}
