//! When does JSON that went through a generated type count as "the same" as what went in?
//!
//! Exactly equal, key order aside, with four exceptions, each decided by the spec rather than
//! by the values, so that nothing else can hide behind them:
//!
//! 1. a property the schema makes optional *and* nullable may come back absent where it was
//!    `null`: Rust has one `Option` for both, and the generated types leave `None` out;
//! 2. an optional array property may come back absent where it was `[]`, for the same reason;
//! 3. a `type: number` may come back as the same number written as a float (`1250` as
//!    `1250.0`): the types hold `f64`, and the two are one JSON number;
//! 4. an absent property with a `default` may come back as that default: the spec says absent
//!    means the default, and the generated field holds the value.
//!
//! Everything else (a required `null`, an enum value, a date-time's exact text, a uuid's case, an
//! integer, a decimal amount) must come back byte for byte.
//!
//! ```
//! use parcelkit_conformance::{Api, equivalence};
//! use serde_json::json;
//!
//! let schema = json!({"$ref": "#/components/schemas/ContentLinks"});
//! let sent = json!({"image": "https://cdn.example/card.png", "back_image": null});
//! let back = json!({"image": "https://cdn.example/card.png"});
//! assert!(equivalence::differences(Api::Phygitals, &schema, &sent, &back).is_empty());
//! let changed = json!({"image": "https://cdn.example/other.png"});
//! assert_eq!(equivalence::differences(Api::Phygitals, &schema, &sent, &changed).len(), 1);
//! ```

use serde_json::{Map, Value};

use crate::Api;
use parcelkit_codegen::spec_walk::resolve;

/// Every way `actual` differs from `expected` beyond the four tolerated ones, each naming the
/// JSON path. Empty means equivalent.
pub fn differences(api: Api, schema: &Value, expected: &Value, actual: &Value) -> Vec<String> {
    let mut out = Vec::new();
    walk(
        api.normalised_spec(),
        schema,
        expected,
        actual,
        "",
        &mut out,
    );
    out
}

fn walk(
    spec: &Value,
    schema: &Value,
    expected: &Value,
    actual: &Value,
    at: &str,
    out: &mut Vec<String>,
) {
    let schema = resolve(spec, schema);
    // A described reference (`allOf: [$ref]`) or a nullable one (`oneOf: [$ref, {enum: [null]}]`):
    // the null variant needs no walk of its own.
    let single = match schema["allOf"].as_array().map(Vec::as_slice) {
        Some([only]) => Some(only),
        _ => crate::nullable_ref(schema),
    };
    if let Some(only) = single {
        if expected.is_null() && actual.is_null() {
            return;
        }
        return walk(spec, only, expected, actual, at, out);
    }
    if let Some(variants) = schema["oneOf"].as_array().or(schema["anyOf"].as_array()) {
        // Untagged: equivalent if equivalent under some variant.
        let mut first = None;
        for variant in variants {
            let mut found = Vec::new();
            walk(spec, variant, expected, actual, at, &mut found);
            if found.is_empty() {
                return;
            }
            first.get_or_insert(found);
        }
        out.extend(first.unwrap_or_default());
        return;
    }
    match (expected, actual) {
        (Value::Object(e), Value::Object(a)) => objects(spec, schema, e, a, at, out),
        (Value::Array(e), Value::Array(a)) if e.len() == a.len() => {
            let items = schema.get("items").unwrap_or(&Value::Null);
            for (i, (e, a)) in e.iter().zip(a).enumerate() {
                walk(spec, items, e, a, &format!("{at}/{i}"), out);
            }
        }
        (Value::Number(e), Value::Number(a))
            if schema["type"] == "number" && e.as_f64().is_some() && e.as_f64() == a.as_f64() => {}
        (e, a) if e == a => {}
        (e, a) => out.push(format!("{}: sent {e}, got back {a}", path(at))),
    }
}

fn objects(
    spec: &Value,
    schema: &Value,
    expected: &Map<String, Value>,
    actual: &Map<String, Value>,
    at: &str,
    out: &mut Vec<String>,
) {
    let required: Vec<&str> = schema["required"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    let keys: std::collections::BTreeSet<&String> = expected.keys().chain(actual.keys()).collect();
    for key in keys {
        let at = format!("{at}/{key}");
        let property = schema["properties"]
            .get(key)
            .or(schema.get("additionalProperties"))
            .unwrap_or(&Value::Null);
        let optional = !required.contains(&key.as_str());
        match (expected.get(key), actual.get(key)) {
            (Some(e), Some(a)) => walk(spec, property, e, a, &at, out),
            (Some(Value::Null), None) if optional && crate::is_nullable(property) => {}
            (Some(Value::Array(items)), None)
                if optional && items.is_empty() && resolve(spec, property)["type"] == "array" => {}
            (Some(e), None) => {
                out.push(format!("{}: sent {e}, absent when it came back", path(&at)))
            }
            (None, Some(a)) if resolve(spec, property).get("default") == Some(a) => {}
            (None, Some(a)) => out.push(format!("{}: not sent, came back as {a}", path(&at))),
            (None, None) => unreachable!("the key came from one of the two maps"),
        }
    }
}

fn path(at: &str) -> &str {
    if at.is_empty() { "/" } else { at }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn diff(schema: Value, expected: Value, actual: Value) -> Vec<String> {
        let spec =
            json!({"components": {"schemas": {"E": {"type": "string", "enum": ["a", "b"]}}}});
        let mut out = Vec::new();
        walk(&spec, &schema, &expected, &actual, "", &mut out);
        out
    }

    fn object() -> Value {
        json!({"type": "object", "required": ["must"], "properties": {
            "must": {"type": "string", "nullable": true},
            "maybe": {"type": "string", "nullable": true},
            "plain": {"type": "string"},
            "list": {"type": "array", "items": {"type": "integer"}},
            "amount": {"type": "number"},
            "count": {"type": "integer"},
            "kind": {"oneOf": [{"$ref": "#/components/schemas/E"}, {"enum": [null]}]},
            "mode": {"type": "string", "default": "auto"}
        }})
    }

    #[test]
    fn the_four_tolerances_hold() {
        let sent = json!({"must": null, "maybe": null, "list": [], "amount": 1250, "kind": null});
        let back = json!({"must": null, "amount": 1250.0, "mode": "auto"});
        assert_eq!(diff(object(), sent, back), Vec::<String>::new());
    }

    #[test]
    fn a_required_null_must_come_back() {
        let found = diff(object(), json!({"must": null}), json!({}));
        assert_eq!(found, ["/must: sent null, absent when it came back"]);
    }

    #[test]
    fn an_optional_field_that_is_not_nullable_must_keep_its_null() {
        let found = diff(
            object(),
            json!({"must": "x", "plain": null}),
            json!({"must": "x"}),
        );
        assert_eq!(found, ["/plain: sent null, absent when it came back"]);
    }

    #[test]
    fn integers_enums_and_new_keys_are_exact() {
        let sent = json!({"must": "x", "count": 3, "kind": "a"});
        let back = json!({"must": "x", "count": 3.0, "kind": "b", "mode": "manual"});
        assert_eq!(
            diff(object(), sent, back),
            [
                "/count: sent 3, got back 3.0",
                "/kind: sent \"a\", got back \"b\"",
                "/mode: not sent, came back as \"manual\""
            ]
        );
    }
}
