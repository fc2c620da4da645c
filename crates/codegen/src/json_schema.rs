//! Turns schemas written in OpenAPI 3.0's dialect into standalone JSON Schema (2020-12), so any
//! validator can check examples, sandbox responses or serialised values against the spec.
//!
//! OpenAPI 3.0 differs from JSON Schema in a few places that matter for validation: `nullable`
//! instead of a `null` type, boolean `exclusiveMinimum`, component references under
//! `#/components/schemas`, and keywords a validator must not see (`example`, `x-*`,
//! `discriminator`). Everything else is passed through.

use serde_json::{Map, Value, json};

use crate::normalise::SYNTHESISED_EXTENSION;

/// The JSON Schema dialect of the output.
pub const DIALECT: &str = "https://json-schema.org/draft/2020-12/schema";

/// Converts `schema` (any schema of `spec`, e.g. `spec["components"]["schemas"]["Shipment"]` or a
/// media type's schema) into a self-contained JSON Schema: every component schema of `spec` is
/// carried along under `$defs`, and `$ref`s point there.
///
/// ```
/// use serde_json::json;
/// let spec = json!({"components": {"schemas": {
///     "Name": {"type": "string", "nullable": true, "example": "Ada"}
/// }}});
/// let schema = parcelkit_codegen::json_schema::to_json_schema(
///     &spec,
///     &json!({"$ref": "#/components/schemas/Name"}),
/// );
/// assert_eq!(schema["$ref"], "#/$defs/Name");
/// assert_eq!(schema["$defs"]["Name"], json!({"type": ["string", "null"]}));
/// ```
pub fn to_json_schema(spec: &Value, schema: &Value) -> Value {
    let defs: Map<String, Value> = spec
        .pointer("/components/schemas")
        .and_then(Value::as_object)
        .map(|schemas| {
            schemas
                .iter()
                .map(|(name, s)| (name.clone(), convert(s)))
                .collect()
        })
        .unwrap_or_default();
    let mut root = match convert(schema) {
        Value::Object(map) => map,
        other => {
            let mut map = Map::new();
            map.insert("allOf".into(), json!([other]));
            map
        }
    };
    root.insert("$schema".into(), DIALECT.into());
    root.insert("$defs".into(), Value::Object(defs));
    Value::Object(root)
}

/// Converts one schema node (recursively), without the `$defs` wrapper.
pub fn convert(schema: &Value) -> Value {
    let Value::Object(map) = schema else {
        return schema.clone();
    };
    if let Some(Value::String(reference)) = map.get("$ref") {
        // In 3.0, siblings of `$ref` are ignored; so are they here.
        return json!({"$ref": reference.replace("#/components/schemas/", "#/$defs/")});
    }
    let synthesised = map.get(SYNTHESISED_EXTENSION) == Some(&Value::Bool(true));
    let mut out = Map::new();
    for (key, value) in map {
        match key.as_str() {
            "example" | "xml" | "externalDocs" | "discriminator" | "nullable" | "deprecated"
            | "exclusiveMinimum" | "exclusiveMaximum" => {}
            k if k.starts_with("x-") => {}
            "properties" | "patternProperties" => {
                let props = value
                    .as_object()
                    .map(|p| p.iter().map(|(k, v)| (k.clone(), convert(v))).collect())
                    .unwrap_or_default();
                out.insert(key.clone(), Value::Object(props));
            }
            "items" | "additionalProperties" | "not" => {
                out.insert(key.clone(), convert(value));
            }
            "allOf" | "oneOf" | "anyOf" => {
                let parts = value
                    .as_array()
                    .map(|a| a.iter().map(convert).collect())
                    .unwrap_or_default();
                // A union the normaliser synthesised is told apart by status code, not by shape:
                // its variants may overlap (`{"error": ...}` fits both Phygitals error bodies),
                // which `oneOf` would reject.
                let key = if key == "oneOf" && synthesised {
                    "anyOf"
                } else {
                    key
                };
                out.insert(key.to_owned(), Value::Array(parts));
            }
            _ => {
                out.insert(key.clone(), value.clone());
            }
        }
    }
    // 3.0's boolean exclusive bounds become 2020-12's numeric ones.
    for (exclusive, bound) in [
        ("exclusiveMinimum", "minimum"),
        ("exclusiveMaximum", "maximum"),
    ] {
        if map.get(exclusive) == Some(&Value::Bool(true))
            && let Some(b) = out.remove(bound)
        {
            out.insert(exclusive.into(), b);
        }
    }
    if map.get("nullable") == Some(&Value::Bool(true)) {
        match out.get("type").cloned() {
            Some(Value::String(t)) => {
                out.insert("type".into(), json!([t, "null"]));
                if let Some(Value::Array(values)) = out.get_mut("enum")
                    && !values.contains(&Value::Null)
                {
                    values.push(Value::Null);
                }
            }
            _ => return json!({"anyOf": [Value::Object(out), {"type": "null"}]}),
        }
    }
    Value::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nullable_enum_accepts_null() {
        let s = convert(&json!({"type": "string", "enum": ["a", "b"], "nullable": true}));
        assert_eq!(
            s,
            json!({"type": ["string", "null"], "enum": ["a", "b", null]})
        );
    }

    #[test]
    fn nullable_all_of_ref_becomes_any_of_null() {
        let s = convert(&json!({
            "nullable": true,
            "description": "maybe",
            "allOf": [{"$ref": "#/components/schemas/Address"}]
        }));
        assert_eq!(
            s,
            json!({"anyOf": [
                {"description": "maybe", "allOf": [{"$ref": "#/$defs/Address"}]},
                {"type": "null"}
            ]})
        );
    }

    #[test]
    fn openapi_only_keywords_are_dropped_but_property_names_are_kept() {
        let s = convert(&json!({
            "type": "object",
            "example": {"example": 1},
            "x-parcelkit-modelled": true,
            "discriminator": {"propertyName": "kind"},
            "properties": {"example": {"type": "integer", "example": 3}, "x-odd": {"type": "string"}}
        }));
        assert_eq!(
            s,
            json!({"type": "object", "properties": {
                "example": {"type": "integer"},
                "x-odd": {"type": "string"}
            }})
        );
    }

    #[test]
    fn only_a_synthesised_union_lets_its_variants_overlap() {
        let refs = json!([{"$ref": "#/components/schemas/A"}, {"$ref": "#/components/schemas/B"}]);
        let written = convert(&json!({"oneOf": refs}));
        assert!(written.get("oneOf").is_some() && written.get("anyOf").is_none());
        let synthesised = convert(&json!({"oneOf": refs, SYNTHESISED_EXTENSION: true}));
        assert_eq!(
            synthesised,
            json!({"anyOf": [{"$ref": "#/$defs/A"}, {"$ref": "#/$defs/B"}]})
        );
    }

    #[test]
    fn boolean_exclusive_bounds_become_numeric() {
        let s = convert(
            &json!({"type": "number", "minimum": 0, "exclusiveMinimum": true, "maximum": 9}),
        );
        assert_eq!(
            s,
            json!({"type": "number", "exclusiveMinimum": 0, "maximum": 9})
        );
    }

    #[test]
    fn nested_items_and_maps_are_converted() {
        let s = convert(&json!({
            "type": "object",
            "additionalProperties": {"type": "array", "items": {"type": "string", "nullable": true}}
        }));
        assert_eq!(
            s["additionalProperties"]["items"]["type"],
            json!(["string", "null"])
        );
    }
}
