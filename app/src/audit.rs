//! What the audit log and the timeline record of a change: field-by-field differences, sensitive values masked.

use domain::mask;
use serde::Serialize;

/// Field-by-field changes for the audit log and timeline, with sensitive values masked.
pub fn changes<T: Serialize>(before: Option<&T>, after: &T) -> serde_json::Map<String, serde_json::Value> {
    let old = before.and_then(|b| serde_json::to_value(b).ok()).unwrap_or(serde_json::Value::Null);
    let new = serde_json::to_value(after).unwrap_or(serde_json::Value::Null);
    let mut out = serde_json::Map::new();
    if let serde_json::Value::Object(new_map) = new {
        for (key, to) in new_map {
            let from = old.get(&key).cloned().unwrap_or(serde_json::Value::Null);
            if from != to {
                let hide = |v: serde_json::Value| match (key.as_str(), v) {
                    ("id_number", serde_json::Value::String(s)) => serde_json::Value::String(mask::id_number(&s)),
                    ("phone", serde_json::Value::String(s)) => serde_json::Value::String(mask::phone(&s)),
                    ("address", serde_json::Value::String(s)) => serde_json::Value::String(mask::address(&s)),
                    (_, v) => v,
                };
                out.insert(key.clone(), serde_json::json!({"from": hide(from), "to": hide(to)}));
            }
        }
    }
    out
}
