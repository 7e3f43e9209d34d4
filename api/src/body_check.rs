//! What is wrong with a JSON body, said once and completely (issue 22): every required field that is missing
//! (from the request type's OpenAPI schema, not only the first one serde meets), and serde's complaints
//! rewritten as clean Chinese and English messages; an enumeration sent as its Chinese label is told which code
//! to send instead.

use std::any::TypeId;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use serde_json::Value;
use utoipa::ToSchema;

use crate::error::FieldError;
use domain::ErrorCode;

/// A request type's schema as JSON, with the schemas it refers to by name.
#[derive(Debug, Default)]
pub struct BodySchema {
    root: Value,
    named: HashMap<String, Value>,
}

impl BodySchema {
    /// The schema of `T` (built once per type).
    pub fn of<T: ToSchema + 'static>() -> Arc<BodySchema> {
        static CACHE: OnceLock<Mutex<HashMap<TypeId, Arc<BodySchema>>>> = OnceLock::new();
        let cache = CACHE.get_or_init(Default::default);
        let id = TypeId::of::<T>();
        if let Some(found) = cache.lock().ok().and_then(|c| c.get(&id).cloned()) {
            return found;
        }
        let mut refs = Vec::new();
        T::schemas(&mut refs);
        let named = refs
            .into_iter()
            .filter_map(|(name, schema)| serde_json::to_value(schema).ok().map(|v| (name, v)))
            .collect();
        let root = serde_json::to_value(T::schema()).unwrap_or(Value::Null);
        let built = Arc::new(BodySchema { root, named });
        if let Ok(mut c) = cache.lock() {
            c.insert(id, built.clone());
        }
        built
    }

    /// A schema from JSON (tests).
    #[cfg(test)]
    pub fn from_json(root: Value, named: &[(&str, Value)]) -> Self {
        Self { root, named: named.iter().map(|(n, v)| ((*n).to_owned(), v.clone())).collect() }
    }

    /// The JSON pointers of every required field missing from `body`, in schema order, nested objects and list
    /// items included.
    pub fn missing(&self, body: &Value) -> Vec<String> {
        let mut out = Vec::new();
        self.walk(&self.root, body, "", &mut out, 0);
        out
    }

    fn resolve<'a>(&'a self, schema: &'a Value) -> &'a Value {
        let mut current = schema;
        for _ in 0..8 {
            match current.get("$ref").and_then(Value::as_str) {
                Some(r) => match r.rsplit('/').next().and_then(|name| self.named.get(name)) {
                    Some(next) => current = next,
                    None => return &Value::Null,
                },
                None => return current,
            }
        }
        &Value::Null
    }

    fn walk(&self, schema: &Value, value: &Value, at: &str, out: &mut Vec<String>, depth: usize) {
        if depth > 32 {
            return;
        }
        let schema = self.resolve(schema);
        for part in schema.get("allOf").and_then(Value::as_array).into_iter().flatten() {
            self.walk(part, value, at, out, depth + 1);
        }
        // `Option<Named>` is `oneOf: [{type: null}, {$ref}]`: a present value follows the one non-null branch.
        for key in ["oneOf", "anyOf"] {
            if let Some(parts) = schema.get(key).and_then(Value::as_array) {
                let real: Vec<&Value> = parts.iter().filter(|p| p.get("type") != Some(&Value::from("null"))).collect();
                if real.len() == 1 && !value.is_null() {
                    self.walk(real[0], value, at, out, depth + 1);
                }
            }
        }
        match value {
            Value::Object(map) => {
                let properties = schema.get("properties").and_then(Value::as_object);
                for name in schema.get("required").and_then(Value::as_array).into_iter().flatten() {
                    if let Some(name) = name.as_str().filter(|n| !map.contains_key(*n)) {
                        out.push(format!("{at}/{}", escape(name)));
                    }
                }
                for (name, inner) in map {
                    if let Some(sub) = properties.and_then(|p| p.get(name)) {
                        self.walk(sub, inner, &format!("{at}/{}", escape(name)), out, depth + 1);
                    }
                }
            }
            Value::Array(items) => {
                if let Some(sub) = schema.get("items") {
                    for (i, item) in items.iter().enumerate() {
                        self.walk(sub, item, &format!("{at}/{i}"), out, depth + 1);
                    }
                }
            }
            _ => {}
        }
    }
}

fn escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

/// The error for a required field that is missing.
pub fn missing_field(pointer: &str) -> FieldError {
    let name = pointer.rsplit('/').next().unwrap_or(pointer);
    FieldError::with(pointer, ErrorCode::Required, format!("缺少必填字段 {name}"), format!("{name} is required"))
}

/// The words between backticks of a serde message, in order.
fn backticked(message: &str) -> Vec<&str> {
    message.split('`').skip(1).step_by(2).collect()
}

/// A serde type description ("a string", "u32", "struct X", `string "abc"`) in Chinese and English.
fn kind(text: &str) -> (String, String) {
    let t = text.trim();
    let (zh, en) = match t {
        _ if t.starts_with("string") || t == "a string" || t == "a borrowed string" => ("文本", "text"),
        _ if t.starts_with("integer") => ("整数", "a whole number"),
        _ if t.starts_with("floating point") => ("小数", "a decimal number"),
        _ if t.starts_with("boolean") || t == "a boolean" => ("布尔值（true/false）", "true or false"),
        "null" | "unit value" | "unit" => ("null", "null"),
        "map" | "a map" => ("对象", "an object"),
        "sequence" | "a sequence" => ("数组", "a list"),
        "i8" | "i16" | "i32" | "i64" | "i128" | "isize" => ("整数", "a whole number"),
        "u8" | "u16" | "u32" | "u64" | "u128" | "usize" => ("非负整数", "a whole number of 0 or more"),
        "f32" | "f64" => ("数字", "a number"),
        "a character" | "char" => ("单个字符", "a single character"),
        _ if t.starts_with("struct ") || t.starts_with("a map") => ("对象", "an object"),
        _ if t.starts_with("a sequence") || t.starts_with("tuple") => ("数组", "a list"),
        _ if t.starts_with("enum ") || t.starts_with("variant identifier") => ("允许的代码之一", "one of the codes"),
        _ => return (t.to_owned(), t.to_owned()),
    };
    (zh.to_owned(), en.to_owned())
}

/// A Chinese label that names one of `codes`: (code, label).
fn code_for_label(sent: &str, codes: &[&str]) -> Option<(String, String)> {
    crate::routes::meta::table()
        .into_values()
        .flatten()
        .find(|v| v.label == sent.trim() && codes.contains(&v.code.as_str()))
        .map(|v| (v.code, v.label))
}

/// serde's complaint about the value at `pointer`, as a field error with a stable code and clean messages.
pub fn field_error_of(pointer: &str, message: &str) -> FieldError {
    let text = message.rfind(" at line ").map_or(message, |i| &message[..i]).to_owned();
    let words = backticked(&text);
    if text.starts_with("missing field") {
        let name = words.first().copied().unwrap_or("?");
        return missing_field(&format!("{pointer}/{}", escape(name)));
    }
    if text.starts_with("unknown field") {
        let name = words.first().copied().unwrap_or("?");
        let field = if pointer.ends_with(&format!("/{}", escape(name))) {
            pointer.to_owned()
        } else {
            format!("{pointer}/{}", escape(name))
        };
        let allowed = words.get(1..).unwrap_or_default().join(", ");
        let (zh, en) = if text.contains("there are no fields") || allowed.is_empty() {
            (format!("不允许的字段 {name}"), format!("unknown field {name}"))
        } else {
            (format!("不允许的字段 {name}；可用字段：{allowed}"), format!("unknown field {name}; allowed: {allowed}"))
        };
        return FieldError::with(field, ErrorCode::UnknownField, zh, en);
    }
    if text.starts_with("unknown variant") {
        let sent = words.first().copied().unwrap_or_default();
        let codes: Vec<&str> = words.get(1..).unwrap_or_default().to_vec();
        let list = codes.join(", ");
        let (zh, en) = match code_for_label(sent, &codes) {
            Some((code, label)) => (
                format!("“{label}”是代码 {code} 的中文名称，此处请填写代码 {code}（可用代码：{list}）"),
                format!("'{label}' is the Chinese label of {code}; send the code {code} (accepted codes: {list})"),
            ),
            None => (
                format!("取值“{sent}”不在允许范围内，应为：{list}"),
                format!("'{sent}' is not allowed; expected one of: {list}"),
            ),
        };
        return FieldError::with(pointer, ErrorCode::InvalidEnum, zh, en);
    }
    if let Some(rest) = text.strip_prefix("invalid type: ") {
        let (got, expected) = rest.split_once(", expected ").unwrap_or((rest, ""));
        let (got_zh, got_en) = kind(got);
        let (want_zh, want_en) = kind(expected);
        return FieldError::with(
            pointer,
            ErrorCode::InvalidType,
            format!("类型错误：应为{want_zh}，实际为{got_zh}"),
            format!("wrong type: expected {want_en}, got {got_en}"),
        );
    }
    if let Some(rest) = text.strip_prefix("invalid length ") {
        let (got, expected) = rest.split_once(", expected ").unwrap_or((rest, ""));
        return FieldError::with(
            pointer,
            ErrorCode::InvalidValue,
            format!("长度错误：应为{expected}，实际为{got}"),
            format!("wrong length: expected {expected}, got {got}"),
        );
    }
    if let Some(rest) = text.strip_prefix("invalid value: ") {
        let (got, expected) = rest.split_once(", expected ").unwrap_or((rest, ""));
        let (got_zh, got_en) = kind(got);
        let (want_zh, want_en) = kind(expected);
        return FieldError::with(
            pointer,
            ErrorCode::InvalidValue,
            format!("取值无效：应为{want_zh}，实际为{got_zh}"),
            format!("invalid value: expected {want_en}, got {got_en}"),
        );
    }
    FieldError::with(pointer, ErrorCode::InvalidValue, format!("取值无效：{text}"), text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn schema() -> BodySchema {
        BodySchema::from_json(
            json!({"type": "object", "required": ["name", "id_number", "items"], "properties": {
                "name": {"type": "string"}, "id_number": {"type": "string"},
                "items": {"type": "array", "items": {"$ref": "#/components/schemas/Item"}},
                "extra": {"oneOf": [{"type": "null"}, {"$ref": "#/components/schemas/Item"}]}}}),
            &[("Item", json!({"type": "object", "required": ["n", "m"], "properties": {"n": {}, "m": {}}}))],
        )
    }

    #[test]
    fn every_missing_field_at_every_depth() {
        let s = schema();
        assert_eq!(s.missing(&json!({})), ["/name", "/id_number", "/items"]);
        // The order of an object's keys is serde_json's (sorted unless `preserve_order` is on): compare as sets.
        let mut missing = s.missing(&json!({"name": "a", "items": [{"n": 1, "m": 2}, {"n": 1}], "extra": {}}));
        missing.sort();
        assert_eq!(missing, ["/extra/m", "/extra/n", "/id_number", "/items/1/m"]);
        assert!(s.missing(&json!({"name": "a", "id_number": "1", "items": [], "extra": null})).is_empty());
    }

    #[test]
    fn serde_messages_become_clean_sentences() {
        let e = field_error_of("", "missing field `id_number` at line 1 column 2");
        assert_eq!((e.field.as_str(), e.code.as_str()), ("/id_number", "required"));
        assert_eq!((e.message.zh.as_str(), e.message.en.as_str()), ("缺少必填字段 id_number", "id_number is required"));
        let e = field_error_of("/n", "invalid type: string \"x\", expected i32");
        assert_eq!(e.message.en, "wrong type: expected a whole number, got text");
        assert_eq!(e.message.zh, "类型错误：应为整数，实际为文本");
        let e = field_error_of("", "unknown field `extra`, expected `name` or `items`");
        assert_eq!((e.field.as_str(), e.message.en.as_str()), ("/extra", "unknown field extra; allowed: name, items"));
        assert!(!e.message.en.contains('`'));
    }

    #[test]
    fn a_label_sent_for_a_code_names_the_code() {
        // The label of `enterprise_employee` (domain::Category).
        let e = field_error_of(
            "/category",
            "unknown variant `企业职工`, expected one of `enterprise_employee`, `individually_insured`",
        );
        assert_eq!(e.code, "invalid_enum");
        assert!(e.message.zh.contains("“企业职工”是代码 enterprise_employee 的中文名称"), "{}", e.message.zh);
        assert!(e.message.en.starts_with("'企业职工' is the Chinese label of enterprise_employee"), "{}", e.message.en);
        let e = field_error_of("/category", "unknown variant `x`, expected `a` or `b`");
        assert_eq!(e.message.en, "'x' is not allowed; expected one of: a, b");
    }
}
