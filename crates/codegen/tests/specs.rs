//! Checks that hold both hand-written specs to the project's rules: they parse, every operation
//! is documented the same way, every example validates against its schema, and the header
//! patterns the runtime relies on are exactly the documented ones.

use std::path::PathBuf;

use parcelkit_codegen::json_schema::to_json_schema;
use parcelkit_codegen::spec_walk::{Example, examples, header, operations, parameters, resolve};
use parcelkit_codegen::stats::MODELLED_EXTENSION;
use parcelkit_codegen::{APIS, load_spec, yaml_to_json};
use serde_json::Value;

const IDEMPOTENCY_KEY_PATTERN: &str = "^[A-Za-z0-9._-]{16,128}$";
const REQUEST_ID_PATTERN: &str = "^[A-Za-z0-9._-]{1,128}$";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The raw JSON of a spec (validation needs `example`s and extensions exactly as written).
fn raw(name: &str) -> Value {
    let api = APIS.iter().find(|a| a.name == name).expect("known API");
    let text = std::fs::read_to_string(root().join(api.spec_path)).expect("spec readable");
    yaml_to_json(&text).expect("spec is YAML")
}

#[test]
fn both_specs_parse_with_openapiv3() {
    for api in APIS {
        let spec = load_spec(&root().join(api.spec_path), api.spec_path).unwrap();
        assert_eq!(spec.openapi, "3.0.3", "{}", api.spec_path);
        assert!(!spec.servers.is_empty(), "{}: servers", api.spec_path);
    }
}

#[test]
fn operation_counts_match_the_api_notes() {
    // smartsend.md lists 17 operations (3 modelled); phygitals.md lists 10, all confirmed.
    for (name, total, modelled) in [("smartsend", 17, 3), ("phygitals", 10, 0)] {
        let spec = raw(name);
        let ops = operations(&spec);
        let marked = ops
            .iter()
            .filter(|o| o.op[MODELLED_EXTENSION] == true)
            .count();
        assert_eq!((ops.len(), marked), (total, modelled), "{name}");
    }
}

#[test]
fn every_operation_is_documented_alike() {
    let snake_verb = regex::Regex::new(r"^[a-z]+(_[a-z0-9]+)*$").unwrap();
    let mut problems = Vec::new();
    for api in APIS {
        let spec = raw(api.name);
        let tags: Vec<&str> = spec["tags"]
            .as_array()
            .map(|t| t.iter().filter_map(|t| t["name"].as_str()).collect())
            .unwrap_or_default();
        for operation in operations(&spec) {
            let (label, op) = (operation.label, operation.op);
            let mut say = |what: &str| problems.push(format!("{}: {label}: {what}", api.spec_path));
            match op["operationId"].as_str() {
                Some(id) if snake_verb.is_match(id) => {}
                Some(id) => say(&format!("operationId {id} is not snake_case")),
                None => say("no operationId"),
            }
            if op["summary"].as_str().is_none_or(str::is_empty) {
                say("no summary");
            }
            if op["description"].as_str().is_none_or(str::is_empty) {
                say("no description");
            }
            match op["tags"].as_array() {
                Some(t) if t.len() == 1 && tags.contains(&t[0].as_str().unwrap_or("")) => {}
                other => say(&format!("needs exactly one declared tag, has {other:?}")),
            }
            let responses = op["responses"].as_object().cloned().unwrap_or_default();
            if !responses
                .keys()
                .any(|c| c.starts_with('4') || c.starts_with('5'))
            {
                say("documents no error response");
            }
            if !responses.keys().any(|c| c.starts_with('2')) {
                say("documents no success response");
            }
            if op[MODELLED_EXTENSION] == true
                && !op["description"]
                    .as_str()
                    .unwrap_or("")
                    .contains("Modelled:")
            {
                say("is marked modelled but its description does not say what it is modelled on");
            }
        }
    }
    assert!(problems.is_empty(), "{problems:#?}");
}

#[test]
fn modelled_schemas_say_what_they_are_modelled_on() {
    let mut problems = Vec::new();
    for api in APIS {
        let spec = raw(api.name);
        walk_marked(&spec, api.spec_path, &mut problems);
    }
    assert!(problems.is_empty(), "{problems:#?}");
}

fn walk_marked(node: &Value, at: &str, problems: &mut Vec<String>) {
    match node {
        Value::Object(map) => {
            if map.get(MODELLED_EXTENSION) == Some(&Value::Bool(true))
                && !map
                    .get("description")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .contains("Modelled:")
            {
                problems.push(format!(
                    "{at}: marked modelled without a `Modelled:` sentence"
                ));
            }
            for (k, v) in map {
                walk_marked(v, &format!("{at}/{k}"), problems);
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                walk_marked(v, &format!("{at}/{i}"), problems);
            }
        }
        _ => {}
    }
}

/// OpenAPI 3.0.3 lets `nullable: true` add `null` only to the `type` beside it; with no `type`
/// (as beside a lone `allOf: [$ref]`) it does nothing, so `null` stays forbidden there even
/// though progenitor and our own JSON Schema conversion read it leniently. Both specs once had
/// 14 such sites, and every independent linter rejected their `null` examples. A nullable
/// reference is written `oneOf: [{$ref: X}, {enum: [null]}]` instead.
#[test]
fn nullable_is_only_used_beside_a_type() {
    let mut problems = Vec::new();
    for api in APIS {
        nullable_without_type(&raw(api.name), api.spec_path, "#", &mut problems);
    }
    assert!(problems.is_empty(), "{problems:#?}");
}

/// Every schema object under `node` with `nullable: true` and no `type`, as
/// `<spec path>: <JSON pointer>`. Examples are values, not schemas, and are skipped.
fn nullable_without_type(node: &Value, spec_path: &str, at: &str, problems: &mut Vec<String>) {
    match node {
        Value::Object(map) => {
            if map.get("nullable") == Some(&Value::Bool(true)) && !map.contains_key("type") {
                problems.push(format!(
                    "{spec_path}: {at}: `nullable: true` without a `type` does not admit null in \
                     OpenAPI 3.0.3; write a nullable reference as `oneOf: [{{$ref}}, {{enum: [null]}}]`"
                ));
            }
            for (key, value) in map {
                if key == "example" || key == "examples" {
                    continue;
                }
                let key = key.replace('~', "~0").replace('/', "~1");
                nullable_without_type(value, spec_path, &format!("{at}/{key}"), problems);
            }
        }
        Value::Array(items) => {
            for (i, value) in items.iter().enumerate() {
                nullable_without_type(value, spec_path, &format!("{at}/{i}"), problems);
            }
        }
        _ => {}
    }
}

#[test]
fn the_nullable_rule_names_each_site_by_its_spec_path() {
    // The spelling both specs used before: a nullable reference with no `type`.
    let old = yaml_to_json(
        r#"
components:
  schemas:
    Parties:
      type: object
      properties:
        pickup:
          nullable: true
          allOf:
            - $ref: '#/components/schemas/Pickup'
        receiver:
          oneOf:
            - $ref: '#/components/schemas/Receiver'
            - enum: [null]
      example:
        pickup: {nullable: true}
"#,
    )
    .unwrap();
    let mut problems = Vec::new();
    nullable_without_type(&old, "old.yaml", "#", &mut problems);
    assert_eq!(problems.len(), 1, "{problems:#?}");
    assert!(
        problems[0].starts_with("old.yaml: #/components/schemas/Parties/properties/pickup: "),
        "{}",
        problems[0]
    );
}

#[test]
fn every_example_validates_against_its_schema() {
    let mut failures = Vec::new();
    for api in APIS {
        let spec = raw(api.name);
        let found = examples(&spec);
        assert!(
            found.len() > 50,
            "{}: only {} examples found",
            api.spec_path,
            found.len()
        );
        for Example {
            at,
            schema,
            value: example,
        } in found
        {
            let json_schema = to_json_schema(&spec, &schema);
            let validator = jsonschema::options()
                .should_validate_formats(true)
                .build(&json_schema)
                .unwrap_or_else(|e| {
                    panic!("{}: {at}: schema does not compile: {e}", api.spec_path)
                });
            for error in validator.iter_errors(&example) {
                failures.push(format!(
                    "{}: {at}: {} at {}",
                    api.spec_path,
                    error,
                    error.instance_path()
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} invalid examples:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn every_component_schema_and_operation_has_examples() {
    let mut missing = Vec::new();
    for api in APIS {
        let spec = raw(api.name);
        for (name, s) in spec["components"]["schemas"].as_object().unwrap() {
            if s.get("example").is_none() {
                missing.push(format!("{}: components.schemas.{name}", api.spec_path));
            }
        }
        let has_example = |media: &Value| {
            media.get("example").is_some()
                || media
                    .get("examples")
                    .and_then(Value::as_object)
                    .is_some_and(|e| !e.is_empty())
                || resolve(&spec, &media["schema"]).get("example").is_some()
        };
        for operation in operations(&spec) {
            let (label, op) = (operation.label, operation.op);
            if let Some(body) = op.get("requestBody") {
                let body = resolve(&spec, body);
                for (media_type, media) in body["content"].as_object().unwrap() {
                    if media.get("example").is_none() && media.get("examples").is_none() {
                        missing.push(format!(
                            "{}: {label} request body {media_type}",
                            api.spec_path
                        ));
                    }
                }
            }
            for (code, r) in op["responses"].as_object().unwrap() {
                let r = resolve(&spec, r);
                for (media_type, media) in r["content"].as_object().into_iter().flatten() {
                    let needs_own = code.starts_with('2');
                    let ok = if needs_own {
                        media.get("example").is_some() || media.get("examples").is_some()
                    } else {
                        has_example(media)
                    };
                    if !ok {
                        missing.push(format!(
                            "{}: {label} response {code} {media_type}",
                            api.spec_path
                        ));
                    }
                }
            }
        }
    }
    assert!(
        missing.is_empty(),
        "no example for:\n{}",
        missing.join("\n")
    );
}

/// The Idempotency-Key and Request-ID parameters, wherever they appear, carry exactly the
/// documented rules: the runtime's validation is built on them.
#[test]
fn header_patterns_are_exactly_the_documented_ones() {
    let mut checked = 0;
    for api in APIS {
        let spec = raw(api.name);
        for operation in operations(&spec) {
            let label = operation.label;
            for p in parameters(&spec, &operation) {
                let rule = match p["name"].as_str() {
                    Some("Idempotency-Key") => (IDEMPOTENCY_KEY_PATTERN, 16, 128),
                    Some("Request-ID") => (REQUEST_ID_PATTERN, 1, 128),
                    _ => continue,
                };
                let s = resolve(&spec, &p["schema"]);
                assert_eq!(p["in"], "header", "{label}");
                assert_eq!(s["type"], "string", "{label}: {}", p["name"]);
                assert_eq!(s["pattern"], rule.0, "{label}: {}", p["name"]);
                assert_eq!(s["minLength"], rule.1, "{label}: {}", p["name"]);
                assert_eq!(s["maxLength"], rule.2, "{label}: {}", p["name"]);
                checked += 1;
            }
        }
    }
    // Smart Send: a Request-ID on all 17 operations, an Idempotency-Key on its 8 writes (6 POSTs
    // on shipments, booking and batches, the rates POST and the DELETE).
    assert_eq!(checked, 17 + 8);
}

#[test]
fn smart_send_headers_are_on_every_operation_the_docs_put_them_on() {
    let spec = raw("smartsend");
    let mut problems = Vec::new();
    for operation in operations(&spec) {
        let (label, method, op) = (operation.label, operation.method, operation.op);
        for name in ["Accept-Language", "Request-ID"] {
            if header(&spec, &operation, name).is_none() {
                problems.push(format!("{label}: no {name}"));
            }
        }
        // Seed 002 shows `default: en` in the header's schema.
        if let Some(p) = header(&spec, &operation, "Accept-Language")
            && resolve(&spec, &p["schema"])["default"] != "en"
        {
            problems.push(format!("{label}: Accept-Language has no `default: en`"));
        }
        let write = matches!(method, "post" | "delete");
        if write != header(&spec, &operation, "Idempotency-Key").is_some() {
            problems.push(format!(
                "{label}: Idempotency-Key must be on exactly the writes"
            ));
        }
        let booking = ["book_shipment", "create_and_book_shipment"].contains(&label);
        match header(&spec, &operation, "Prefer") {
            Some(p) if booking => {
                // RFC 7240: an open list the server ignores unknown members of, not an enum.
                let s = resolve(&spec, &p["schema"]);
                assert_eq!(s["type"], "string", "{label}");
                assert!(s.get("enum").is_none(), "{label}: Prefer is not an enum");
                assert_eq!(p["example"], "respond-async", "{label}");
                let accepted = &op["responses"]["202"]["headers"];
                assert!(
                    accepted.get("Preference-Applied").is_some(),
                    "{label}: a 202 says which preference it applied"
                );
            }
            None if !booking => {}
            _ => problems.push(format!(
                "{label}: Prefer must be on exactly the booking operations"
            )),
        }
        let responses = op["responses"].as_object().unwrap();
        for code in ["400", "401", "403", "404", "429", "500"] {
            if !responses.contains_key(code) {
                problems.push(format!("{label}: no {code}"));
            }
        }
        for code in ["409", "422"] {
            if write && !responses.contains_key(code) {
                problems.push(format!("{label}: a write without {code}"));
            }
        }
        for (code, r) in responses {
            let r = resolve(&spec, r);
            if r["headers"].get("Request-ID").is_none() {
                problems.push(format!(
                    "{label}: response {code} does not document Request-ID"
                ));
            }
            if code.starts_with('4') || code.starts_with('5') {
                let media = r["content"].as_object().unwrap();
                let keys: Vec<_> = media.keys().collect();
                if keys != ["application/problem+json"] {
                    problems.push(format!("{label}: {code} is {keys:?}, not problem+json"));
                } else if media["application/problem+json"]["schema"]["$ref"]
                    != "#/components/schemas/Problem"
                {
                    problems.push(format!("{label}: {code} is not a Problem"));
                }
            }
            if code == "202" && r["headers"].get("Location").is_none() {
                problems.push(format!("{label}: 202 without Location"));
            }
            if matches!(code.as_str(), "409" | "429") {
                // The vendor: a 409 always carries Retry-After, so the spec must say `required`.
                match r["headers"].get("Retry-After").map(|h| resolve(&spec, h)) {
                    None => problems.push(format!("{label}: {code} without Retry-After")),
                    Some(h) if h["required"] != true => {
                        problems.push(format!("{label}: {code}: Retry-After is not required"))
                    }
                    Some(_) => {}
                }
            }
        }
    }
    assert!(problems.is_empty(), "{problems:#?}");
}

#[test]
fn phygitals_errors_carry_exact_messages() {
    let spec = raw("phygitals");
    let mut problems = Vec::new();
    for operation in operations(&spec) {
        let (label, op) = (operation.label, operation.op);
        let responses = op["responses"].as_object().unwrap();
        match responses.get("401").map(|r| resolve(&spec, r)) {
            Some(r) if r["x-parcelkit-messages"] == serde_json::json!(["Invalid API key"]) => {}
            other => problems.push(format!("{label}: 401 Invalid API key missing: {other:?}")),
        }
        for (code, r) in responses.iter().filter(|(c, _)| !c.starts_with('2')) {
            let r = resolve(&spec, r);
            let listed: Vec<&str> = r["x-parcelkit-messages"]
                .as_array()
                .map(|m| m.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            if listed.is_empty() {
                problems.push(format!("{label}: {code} lists no exact messages"));
            }
            let media = &r["content"]["application/json"];
            let mut shown: Vec<&str> = media["examples"]
                .as_object()
                .into_iter()
                .flatten()
                .filter_map(|(_, e)| e["value"]["error"].as_str())
                .chain(media["example"]["error"].as_str())
                .collect();
            shown.sort_unstable();
            shown.dedup();
            let mut expected = listed.clone();
            expected.sort_unstable();
            if shown != expected {
                problems.push(format!(
                    "{label}: {code}: examples show {shown:?} but x-parcelkit-messages lists {listed:?}"
                ));
            }
        }
    }
    assert!(problems.is_empty(), "{problems:#?}");
}

/// The schema shapes the codegen settings turn into parcelkit's own types, wherever the values
/// appear: a spec edit that writes one of them inline (`type: string`) would silently give the
/// client a plain `String` there again.
#[test]
fn typed_values_use_the_schemas_codegen_replaces() {
    let mut problems = Vec::new();
    let mut accept_language = 0;
    for api in APIS {
        let spec = raw(api.name);
        for operation in operations(&spec) {
            for p in parameters(&spec, &operation) {
                if p["name"] == "Accept-Language" {
                    accept_language += 1;
                    let s = &p["schema"];
                    // The vendor's default (`en`) stays beside the format (issue 11).
                    let typed = serde_json::json!(
                        {"type": "string", "format": "accept-language", "default": "en"}
                    );
                    if *s != typed {
                        problems.push(format!("{}: Accept-Language is {s}", operation.label));
                    }
                }
                if p["name"] == "order_id" && p["schema"]["$ref"] != "#/components/schemas/OrderId"
                {
                    problems.push(format!("{}: the order_id parameter", operation.label));
                }
            }
        }
    }
    let spec = raw("phygitals");
    let schemas = spec["components"]["schemas"].as_object().unwrap();
    for (name, schema) in schemas {
        for (property, value) in schema["properties"].as_object().into_iter().flatten() {
            let wanted = match (name.as_str(), property.as_str()) {
                (_, "order_id") => "#/components/schemas/OrderId",
                (_, "quote_id") | ("ShippingQuote", "id") => "#/components/schemas/QuoteId",
                _ => continue,
            };
            if value["$ref"] != wanted {
                problems.push(format!("phygitals {name}.{property} is not {wanted}"));
            }
        }
    }
    assert!(problems.is_empty(), "{problems:#?}");
    // Smart Send documents Accept-Language on all 17 operations.
    assert_eq!(accept_language, 17);
}
