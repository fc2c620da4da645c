//! Compares the JSON Schema that schemars derives for a generated type with the spec's component
//! schema, so that a field one has and the other lacks, a required-ness that differs, a lost
//! `nullable`, a different enum or a different type cannot go unnoticed.
//!
//! The two dialects say the same thing in different words; these are the translations:
//!
//! - a spec field that is required and not nullable is a plain Rust field: schemars lists it as
//!   required and does not allow `null`;
//! - every other spec field is an `Option` (or has a serde default): not required in the derived
//!   schema. A nullable spec field must allow `null` there; a required, non-nullable one must not.
//!   (A required + nullable field is also read as `None` when a server leaves it out:
//!   parcelkit-codegen's `nullable_fields` rule. schemars reports it as not required either way,
//!   and we still send it, as `null`);
//! - a `$ref` must reach the same-named definition; an inline constrained string may be a newtype
//!   definition of its own; a nullable reference (`oneOf: [$ref, {enum: [null]}]`) is schemars'
//!   `anyOf: [$ref, null]`, and a described reference (`allOf: [$ref]`) is the `$ref`;
//! - a `oneOf` is schemars' `anyOf` of the same variants, in order;
//! - money (`type: number, format: decimal`) is `rust_decimal::Decimal`, which schemars describes
//!   as a string of digits (the crate's default serde form). parcelkit turns on its `serde-float`
//!   form, so on the wire it is a number; the round-trip tests hold it to the examples exactly.
//!
//! ```
//! use parcelkit_conformance::{Api, derived};
//!
//! let ty = Api::Phygitals.schema_types().iter().find(|t| t.name == "Pack").unwrap();
//! assert_eq!(derived::mismatches(Api::Phygitals, ty.name, &ty.derived_schema()), Vec::<String>::new());
//! ```

use serde_json::Value;

use crate::Api;
use parcelkit_codegen::spec_walk::{component_name, resolve};

/// Every disagreement between component `name` of `api` and `derived` (schemars' schema for
/// its type), each naming the path. Empty means they agree.
pub fn mismatches(api: Api, name: &str, derived: &Value) -> Vec<String> {
    let spec = api.normalised_spec();
    let mut out = Vec::new();
    let context = Context {
        spec,
        definitions: &derived["definitions"],
    };
    context.compare(api.schema(name), derived, name, &mut out);
    out
}

/// schemars' schema for `rust_decimal::Decimal`: a string of digits with an optional fraction.
fn is_schemars_decimal(derived: &Value) -> bool {
    derived["pattern"] == r"^-?[0-9]+(\.[0-9]+)?$"
}

struct Context<'a> {
    spec: &'a Value,
    definitions: &'a Value,
}

/// A derived node with `null` taken out: (the rest, whether `null` was allowed).
fn without_null(node: &Value) -> (Value, bool) {
    let mut node = node.clone();
    let mut nullable = false;
    if let Some(types) = node["type"].as_array() {
        nullable = types.iter().any(|t| t == "null");
        let rest: Vec<Value> = types.iter().filter(|t| *t != "null").cloned().collect();
        node["type"] = match rest.as_slice() {
            [one] => one.clone(),
            _ => Value::Array(rest),
        };
    }
    if let Some(parts) = node["anyOf"].as_array() {
        let rest: Vec<&Value> = parts.iter().filter(|p| p["type"] != "null").collect();
        if rest.len() < parts.len() {
            nullable = true;
            if let [only] = rest.as_slice() {
                return ((*only).clone(), true);
            }
        }
    }
    if let Some(values) = node["enum"].as_array()
        && values.iter().any(Value::is_null)
    {
        nullable = true;
        let rest: Vec<Value> = values.iter().filter(|v| !v.is_null()).cloned().collect();
        node["enum"] = Value::Array(rest);
    }
    (node, nullable)
}

/// schemars wraps a described `$ref` in a one-element `allOf`.
fn unwrap_all_of(node: &Value) -> &Value {
    match node["allOf"].as_array().map(Vec::as_slice) {
        Some([only]) => unwrap_all_of(only),
        _ => node,
    }
}

fn definition_name(node: &Value) -> Option<&str> {
    node["$ref"].as_str()?.strip_prefix("#/definitions/")
}

impl Context<'_> {
    fn compare(&self, spec_node: &Value, derived: &Value, at: &str, out: &mut Vec<String>) {
        let derived = unwrap_all_of(derived);
        // The specs' ways of writing a nullable or a described reference; whether null is
        // allowed was compared by the caller.
        let spec_node = match spec_node["allOf"].as_array().map(Vec::as_slice) {
            Some([only]) => only,
            _ => crate::nullable_ref(spec_node).unwrap_or(spec_node),
        };
        if let Some(wanted) = component_name(spec_node) {
            match definition_name(derived) {
                Some(found) if found == wanted => {}
                Some(found) => out.push(format!(
                    "{at}: the spec says {wanted}, the type has {found}"
                )),
                None => out.push(format!(
                    "{at}: the spec says {wanted}, the type has an inline {derived}"
                )),
            }
            // Components are compared on their own.
            return;
        }
        let derived = match definition_name(derived) {
            Some(name) => &self.definitions[name],
            None => derived,
        };
        let spec_node = resolve(self.spec, spec_node);
        if let Some(variants) = spec_node["oneOf"].as_array() {
            let found = derived["anyOf"].as_array().or(derived["oneOf"].as_array());
            match found {
                Some(parts) if parts.len() == variants.len() => {
                    for (i, (s, d)) in variants.iter().zip(parts).enumerate() {
                        self.compare(s, d, &format!("{at}|{i}"), out);
                    }
                }
                _ => out.push(format!(
                    "{at}: the spec has {} variants, the type {found:?}",
                    variants.len()
                )),
            }
            return;
        }
        if let Some(values) = spec_node["enum"].as_array() {
            return self.compare_enum(values, derived, at, out);
        }
        if let Some(properties) = spec_node["properties"].as_object() {
            return self.compare_object(spec_node, properties, derived, at, out);
        }
        let spec_type = spec_node["type"].as_str().unwrap_or("any");
        let derived_type = match derived["type"].as_str().unwrap_or("any") {
            "string" if spec_node["format"] == "decimal" && is_schemars_decimal(derived) => {
                "number"
            }
            other => other,
        };
        if spec_type != derived_type && !(spec_type == "any" || derived_type == "any") {
            out.push(format!(
                "{at}: the spec says {spec_type}, the type has {derived_type}"
            ));
        }
        if spec_type == "array" {
            self.compare(
                &spec_node["items"],
                &derived["items"],
                &format!("{at}[]"),
                out,
            );
        }
    }

    fn compare_enum(&self, values: &[Value], derived: &Value, at: &str, out: &mut Vec<String>) {
        let wanted: std::collections::BTreeSet<String> = values
            .iter()
            .filter(|v| !v.is_null())
            .map(Value::to_string)
            .collect();
        // schemars lists unit variants as `enum`, or as `oneOf` of one-value enums when the
        // variants carry docs.
        let mut found = std::collections::BTreeSet::new();
        let parts = derived["oneOf"]
            .as_array()
            .cloned()
            .unwrap_or_else(|| vec![derived.clone()]);
        for part in parts {
            let (part, _) = without_null(&part);
            for value in part["enum"].as_array().into_iter().flatten() {
                found.insert(value.to_string());
            }
            if let Some(value) = part.get("const") {
                found.insert(value.to_string());
            }
        }
        if wanted != found {
            out.push(format!(
                "{at}: the spec's values are {wanted:?}, the type's are {found:?}"
            ));
        }
    }

    fn compare_object(
        &self,
        spec_node: &Value,
        properties: &serde_json::Map<String, Value>,
        derived: &Value,
        at: &str,
        out: &mut Vec<String>,
    ) {
        let Some(derived_properties) = derived["properties"].as_object() else {
            out.push(format!(
                "{at}: the spec has an object, the type has {derived}"
            ));
            return;
        };
        let listed = |node: &Value| -> Vec<String> {
            node["required"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        };
        let spec_required = listed(spec_node);
        let derived_required = listed(derived);
        for field in properties.keys() {
            if !derived_properties.contains_key(field) {
                out.push(format!("{at}.{field}: in the spec, not in the type"));
            }
        }
        for field in derived_properties.keys() {
            if !properties.contains_key(field) {
                out.push(format!("{at}.{field}: in the type, not in the spec"));
            }
        }
        for (field, spec_property) in properties {
            let Some(derived_property) = derived_properties.get(field) else {
                continue;
            };
            let at = format!("{at}.{field}");
            let spec_nullable = crate::is_nullable(spec_property);
            let must_be_present = spec_required.contains(field) && !spec_nullable;
            let (derived_rest, derived_nullable) = without_null(unwrap_all_of(derived_property));
            if must_be_present != derived_required.contains(field) {
                out.push(format!(
                    "{at}: the spec {} it, the type {} it",
                    if must_be_present {
                        "requires (not null)"
                    } else {
                        "does not require"
                    },
                    if derived_required.contains(field) {
                        "requires"
                    } else {
                        "does not require"
                    },
                ));
            }
            if spec_nullable && !derived_nullable {
                out.push(format!("{at}: nullable in the spec, the type refuses null"));
            }
            if must_be_present && derived_nullable {
                out.push(format!(
                    "{at}: required and not nullable in the spec, the type accepts null"
                ));
            }
            self.compare(spec_property, &derived_rest, &at, out);
        }
    }
}
