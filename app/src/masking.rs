//! What a role sees of a sensitive value: the value in clear or its mask (`docs/roles.md`).
//!
//! The birth date is digits 7-14 of the resident ID, the very digits a masked ID hides: next to the shown six
//! leading and four trailing digits it gives the whole ID back. So it is shown exactly where the ID is (issue
//! 21.1): elsewhere as [`birth_date`] (the year only) or not at all.

use domain::Role;
use domain::mask;
use domain::roles::SensitiveField;
use serde_json::Value;

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

/// Whether `role` sees the birth date in clear in a view (`detail`: the single-person view): exactly where it sees
/// the resident ID in clear.
pub fn birth_date_clear(role: Role, detail: bool) -> bool {
    role.visibility(SensitiveField::IdNumber).clear_in(detail)
}

/// A birth date `YYYY-MM-DD` as a role without the clear ID sees it: `1963-**-**` (the year, which every role sees
/// anyway); anything else `****`.
pub fn birth_date(value: &str) -> String {
    let year = value.get(..4).filter(|y| y.bytes().all(|b| b.is_ascii_digit()));
    match year {
        Some(y) if value.len() == 10 => format!("{y}-**-**"),
        _ => "****".to_owned(),
    }
}

/// Masks, wherever they occur in `value` (an audit detail, a timeline entry), the values under the keys
/// `id_number`, `phone`, `address` and `birth_date` that `role` may not see in clear in this view: a string, or
/// the strings of a `{from, to}` change. Values masked already stay as they are.
pub fn hide_in_json(value: &mut Value, role: Role, detail: bool) {
    match value {
        Value::Object(map) => {
            for (key, v) in map.iter_mut() {
                let hide: Option<fn(&str) -> String> = match key.as_str() {
                    "id_number" if !role.visibility(SensitiveField::IdNumber).clear_in(detail) => Some(mask::id_number),
                    "phone" if !role.visibility(SensitiveField::Phone).clear_in(detail) => Some(mask::phone),
                    "address" if !role.visibility(SensitiveField::Address).clear_in(detail) => Some(mask::address),
                    "birth_date" if !birth_date_clear(role, detail) => Some(birth_date),
                    _ => None,
                };
                match (hide, v) {
                    (Some(f), Value::String(s)) => *s = f(s),
                    (Some(f), Value::Object(change)) => {
                        for side in change.values_mut() {
                            if let Value::String(s) = side {
                                *s = f(s);
                            }
                        }
                    }
                    (_, other) => hide_in_json(other, role, detail),
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| hide_in_json(v, role, detail)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_birth_date_keeps_its_year_only() {
        // Issue 21.1: the month and day are digits 11-14 of the ID.
        assert_eq!(birth_date("1963-05-06"), "1963-**-**");
        assert_eq!(birth_date("1963-**-**"), "1963-**-**");
        assert_eq!(birth_date("x"), "****");
    }

    #[test]
    fn changes_are_masked_for_a_masked_role_and_kept_for_a_full_one() {
        let diff = json!({"changes": {
            "birth_date": {"from": "1963-05-06", "to": "1963-05-07"},
            "id_number": {"from": "350203196305060011", "to": "350203196305070017"},
            "name": {"from": "张三", "to": "张叁"},
            "nested": [{"phone": "13812345678"}],
        }});
        let mut masked = diff.clone();
        hide_in_json(&mut masked, Role::Auditor, true);
        assert_eq!(
            masked,
            json!({"changes": {
                "birth_date": {"from": "1963-**-**", "to": "1963-**-**"},
                "id_number": {"from": "350203********0011", "to": "350203********0017"},
                "name": {"from": "张三", "to": "张叁"},
                "nested": [{"phone": "138****5678"}],
            }})
        );
        let mut full = diff.clone();
        hide_in_json(&mut full, Role::Integration, false);
        assert_eq!(full, diff);
        // A detail role sees them in the single-person view, not in lists.
        let mut detail = diff.clone();
        hide_in_json(&mut detail, Role::Community, true);
        assert_eq!(detail, diff);
    }
}
