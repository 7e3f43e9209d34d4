//! What a role sees of a sensitive value: the value in clear or its mask (`docs/roles.md`).

use domain::Role;
use domain::mask;
use domain::roles::SensitiveField;

/// Shows or masks one sensitive value for `role`.
pub fn show(role: Role, field: SensitiveField, detail: bool, value: &str, masked: &mut Vec<String>) -> String {
    if role.visibility(field).clear_in(detail) {
        return value.to_owned();
    }
    masked.push(field.as_str().to_owned());
    match field {
        SensitiveField::IdNumber => mask::id_number(value),
        SensitiveField::Phone => mask::phone(value),
        SensitiveField::Address => mask::address(value),
    }
}
