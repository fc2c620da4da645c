//! Builds the values the serialization snapshots are made of, from a component schema:
//!
//! - `example`: the schema's own `example` (for a synthesised union, its first variant's);
//! - `maximal`: every optional field set, at every depth; objects that accept unknown keys get one;
//! - `minimal`: only the required fields, at every depth; a required nullable field is `null`.
//!
//! Leaves take the spec's own `example`, else the value the enclosing object's example gives them,
//! else the first `enum` value, else the `default`, else a fixed value for the `format`
//! (date-time, uuid, ...). Any other string without an example is refused: only the spec author
//! knows a realistic value for it, and placeholder text would make the snapshots worthless.
//!
//! ```
//! use parcelkit_conformance::{Api, synth};
//!
//! let cases = synth::cases(Api::Phygitals, "Destination").unwrap();
//! let names: Vec<&str> = cases.iter().map(|c| c.name.as_str()).collect();
//! assert_eq!(names, ["example", "maximal", "minimal"]);
//! ```

use serde_json::{Map, Value, json};

use crate::Api;
use parcelkit_codegen::spec_walk::{component_name, resolve};

/// The key added to objects that accept unknown properties, to show they are kept.
pub const UNKNOWN_KEY: &str = "x_unknown_field";

/// One value to snapshot.
#[derive(Debug, Clone, PartialEq)]
pub struct Case {
    /// `example`, `maximal`, `minimal`, or `example.<Variant>` for a union's other variants.
    pub name: String,
    /// The JSON, before it goes through the generated type.
    pub value: Value,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Maximal,
    Minimal,
}

/// The cases for component schema `name` of `api`, in a fixed order.
///
/// A union (`oneOf`) gets its first variant's example, maximal and minimal values, plus the
/// example of every other variant (`example.<Variant>`), so each variant is seen coming back.
pub fn cases(api: Api, name: &str) -> Result<Vec<Case>, String> {
    let spec = api.normalised_spec();
    let schema = api.schema(name);
    let variants: Vec<&Value> = schema["oneOf"].as_array().into_iter().flatten().collect();
    let own_example = schema.get("example").cloned();
    let example = match (own_example, variants.first()) {
        (Some(example), _) => example,
        (None, Some(first)) => resolve(spec, first)
            .get("example")
            .cloned()
            .ok_or_else(|| format!("{name}: its first variant has no example"))?,
        (None, None) => return Err(format!("{name}: no example in the spec")),
    };
    let mut out = vec![
        Case {
            name: "example".into(),
            value: example,
        },
        Case {
            name: "maximal".into(),
            value: build(spec, schema, None, Mode::Maximal, name)?,
        },
        Case {
            name: "minimal".into(),
            value: build(spec, schema, None, Mode::Minimal, name)?,
        },
    ];
    for variant in variants.iter().skip(1) {
        let variant_name = component_name(variant).unwrap_or("inline");
        let example = resolve(spec, variant)
            .get("example")
            .cloned()
            .ok_or_else(|| format!("{name}: variant {variant_name} has no example"))?;
        out.push(Case {
            name: format!("example.{variant_name}"),
            value: example,
        });
    }
    Ok(out)
}

/// Every case name [`cases`] gives for `name` (what the snapshot folder must hold).
pub fn case_names(api: Api, name: &str) -> Vec<String> {
    let schema = api.schema(name);
    let mut names = vec!["example".into(), "maximal".into(), "minimal".into()];
    for variant in schema["oneOf"].as_array().into_iter().flatten().skip(1) {
        names.push(format!(
            "example.{}",
            component_name(variant).unwrap_or("inline")
        ));
    }
    names
}

/// True when `node` (after references) describes an object with named properties, or an array
/// of such: those are built field by field, never taken whole from an example.
fn is_structured(spec: &Value, node: &Value) -> bool {
    let node = resolve(spec, node);
    node.get("properties").is_some()
        || node
            .get("items")
            .is_some_and(|items| is_structured(spec, items))
        || ["oneOf", "anyOf", "allOf"].iter().any(|key| {
            node[key]
                .as_array()
                .is_some_and(|parts| parts.iter().any(|p| is_structured(spec, p)))
        })
}

/// `hint` is the value the enclosing object's own example gives this node, the next best thing
/// to an example of the node itself.
fn build(
    spec: &Value,
    node: &Value,
    hint: Option<&Value>,
    mode: Mode,
    at: &str,
) -> Result<Value, String> {
    let node = resolve(spec, node);
    if let Some(parts) = node["allOf"].as_array() {
        let mut merged = Map::new();
        for part in parts {
            match build(spec, part, hint, mode, at)? {
                Value::Object(fields) => merged.extend(fields),
                other => return Ok(other),
            }
        }
        return Ok(Value::Object(merged));
    }
    if let Some(first) = node["oneOf"]
        .as_array()
        .or(node["anyOf"].as_array())
        .and_then(|v| v.first())
    {
        return build(spec, first, hint, mode, at);
    }
    if !is_structured(spec, node)
        && let Some(example) = node.get("example").or(hint)
    {
        return Ok(example.clone());
    }
    if let Some(properties) = node["properties"].as_object() {
        let required: Vec<&str> = node["required"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        let mut out = Map::new();
        for (field, schema) in properties {
            let is_required = required.contains(&field.as_str());
            if mode == Mode::Minimal && !is_required {
                continue;
            }
            let value = if mode == Mode::Minimal && crate::is_nullable(resolve(spec, schema)) {
                Value::Null
            } else {
                let hint = node
                    .get("example")
                    .and_then(|example| example.get(field))
                    .filter(|value| !value.is_null());
                build(spec, schema, hint, mode, &format!("{at}.{field}"))?
            };
            out.insert(field.clone(), value);
        }
        if mode == Mode::Maximal {
            match node.get("additionalProperties") {
                Some(Value::Bool(true)) => {
                    out.insert(UNKNOWN_KEY.into(), json!("kept"));
                }
                Some(Value::Object(extra)) if extra.is_empty() => {
                    out.insert(UNKNOWN_KEY.into(), json!("kept"));
                }
                Some(extra @ Value::Object(_)) => {
                    out.insert(
                        UNKNOWN_KEY.into(),
                        build(spec, extra, None, mode, &format!("{at}.*"))?,
                    );
                }
                _ => {}
            }
        }
        return Ok(Value::Object(out));
    }
    if let Some(items) = node.get("items") {
        let min_items = node["minItems"].as_u64().unwrap_or(0);
        let count = match mode {
            Mode::Maximal => min_items.max(1),
            Mode::Minimal => min_items,
        };
        let item_hint = hint.and_then(|h| h.get(0));
        let item = build(spec, items, item_hint, mode, &format!("{at}[]"))?;
        return Ok(Value::Array(vec![item; count as usize]));
    }
    leaf(node, at)
}

/// A value for a schema with no structure to follow.
fn leaf(node: &Value, at: &str) -> Result<Value, String> {
    if let Some(first) = node["enum"].as_array().and_then(|values| values.first()) {
        return Ok(first.clone());
    }
    if let Some(default) = node.get("default") {
        return Ok(default.clone());
    }
    let value = match (node["type"].as_str(), node["format"].as_str()) {
        (Some("string"), None) => {
            return Err(format!(
                "{at}: a string without a format needs an `example` in the spec \
                 (or in its object's example)"
            ));
        }
        (Some("string"), Some("date-time")) => json!("2026-03-01T12:00:00Z"),
        (Some("string"), Some("date")) => json!("2026-03-01"),
        (Some("string"), Some("uuid")) => json!("5f0c8c1e-9d1a-4c3e-8a43-0f3b2d4e6a7b"),
        (Some("string"), Some("email")) => json!("ops@example.com"),
        (Some("string"), Some("uri")) => json!("https://example.com/resource"),
        (Some("string"), Some(format)) => {
            return Err(format!(
                "{at}: no stock value for format {format}; give an example"
            ));
        }
        // The bound itself, unless the spec excludes it (3.0's boolean `exclusiveMinimum`).
        (Some("integer"), _) => match node["minimum"].as_i64() {
            Some(min) if node["exclusiveMinimum"] == true => json!(min + 1),
            Some(min) => json!(min),
            None => json!(1),
        },
        (Some("number"), _) => match node["minimum"].as_f64() {
            Some(min) if node["exclusiveMinimum"] == true => json!(min + 1.5),
            Some(_) => node["minimum"].clone(),
            None => json!(1.5),
        },
        (Some("boolean"), _) => json!(true),
        (Some("object"), _) | (None, _) => json!({}),
        (Some(other), _) => return Err(format!("{at}: no value for type {other}")),
    };
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_leaf_respects_inclusive_and_exclusive_minimums() {
        let at = "x";
        let number = |schema: Value| leaf(&schema, at).unwrap();
        assert_eq!(number(json!({"type": "number", "minimum": 2})), json!(2));
        assert_eq!(
            number(json!({"type": "number", "minimum": 0, "exclusiveMinimum": true})),
            json!(1.5)
        );
        assert_eq!(number(json!({"type": "integer", "minimum": 1})), json!(1));
        assert_eq!(
            number(json!({"type": "integer", "minimum": 0, "exclusiveMinimum": true})),
            json!(1)
        );
    }
}
