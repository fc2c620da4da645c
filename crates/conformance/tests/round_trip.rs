//! Every example written in either spec deserializes into its generated Rust type and serializes
//! back to the same JSON (per `parcelkit_conformance::equivalence`: key order aside, with the
//! four spec-decided tolerances): component examples, request and response body examples, and
//! the examples of single properties, which are set into their schema's maximal value and taken
//! through that schema's type.
//!
//! Parameter and header examples are plain strings on the wire; `requests.rs` sends them.

use parcelkit_codegen::spec_walk::{Example, component_name, examples};
use parcelkit_conformance::{Api, SchemaType, equivalence, synth};
use serde_json::{Value, json};

fn schema_type(api: Api, name: &str) -> &'static SchemaType {
    api.schema_types()
        .iter()
        .find(|ty| ty.name == name)
        .unwrap_or_else(|| panic!("{}: no generated type for {name}", api.name()))
}

/// Where an example lives, as far as this test is concerned.
enum Target<'a> {
    /// A whole value of component `name`.
    Component(&'a str),
    /// A property example: component `name`, at `pointer` inside its maximal value.
    Property(&'a str, String),
    /// A parameter or header.
    NotABody,
}

fn target(example: &Example) -> Target<'_> {
    if let Some(name) = component_name(&example.schema) {
        return Target::Component(name);
    }
    let Some(rest) = example.at.strip_prefix("components.schemas.") else {
        return Target::NotABody;
    };
    let (name, path) = rest.split_once(['.', '[']).unwrap_or((rest, ""));
    if path.is_empty() {
        return Target::Component(name);
    }
    // `.field`, `[items]` and `[additionalProperties]` steps, as spec_walk writes them.
    let path = &rest[name.len()..];
    let mut pointer = String::new();
    for step in path.split_inclusive(['.', '[']).filter(|s| !s.is_empty()) {
        let step = step.trim_end_matches(['.', '[']);
        match step {
            "" => {}
            "items]" => pointer.push_str("/0"),
            "additionalProperties]" => {
                pointer.push('/');
                pointer.push_str(synth::UNKNOWN_KEY);
            }
            field => {
                pointer.push('/');
                pointer.push_str(field);
            }
        }
    }
    Target::Property(name, pointer)
}

/// `value` with `replacement` set at `pointer` (creating the last key if needed).
fn with_value_at(mut value: Value, pointer: &str, replacement: &Value) -> Option<Value> {
    let (parent, last) = pointer.rsplit_once('/')?;
    match value.pointer_mut(parent)? {
        Value::Object(map) => {
            map.insert(last.to_owned(), replacement.clone());
        }
        Value::Array(items) => *items.get_mut(last.parse::<usize>().ok()?)? = replacement.clone(),
        _ => return None,
    }
    Some(value)
}

#[test]
fn every_example_in_both_specs_survives_its_generated_type() {
    let mut problems = Vec::new();
    let (mut whole, mut properties, mut not_bodies) = (0, 0, 0);
    for api in Api::ALL {
        for example in examples(api.spec()) {
            let (name, value) = match target(&example) {
                Target::NotABody => {
                    not_bodies += 1;
                    continue;
                }
                Target::Component(name) => {
                    whole += 1;
                    (name, example.value.clone())
                }
                Target::Property(name, pointer) => {
                    properties += 1;
                    let maximal = synth::cases(api, name)
                        .ok()
                        .and_then(|cases| cases.into_iter().find(|c| c.name == "maximal"));
                    match maximal.and_then(|m| with_value_at(m.value, &pointer, &example.value)) {
                        Some(value) => (name, value),
                        None => {
                            problems.push(format!(
                                "{}: {}: no place {pointer} in {name}'s maximal value",
                                api.name(),
                                example.at
                            ));
                            continue;
                        }
                    }
                }
            };
            let schema = json!({ "$ref": format!("#/components/schemas/{name}") });
            let at = format!("{}: {}", api.name(), example.at);
            match schema_type(api, name).round_trip(&value) {
                Err(e) => problems.push(format!("{at}: {e}")),
                Ok(back) => {
                    for difference in equivalence::differences(api, &schema, &value, &back) {
                        problems.push(format!("{at}: {difference}"));
                    }
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    eprintln!(
        "round trip: {whole} whole-value examples, {properties} property examples; \
         {not_bodies} parameter/header examples left to requests.rs"
    );
    // Floors, so that a walk that silently finds nothing fails.
    assert!(whole >= 150, "only {whole} whole-value examples");
    assert!(properties >= 180, "only {properties} property examples");
}

#[test]
fn an_example_the_type_would_change_is_caught() {
    // The check above must be able to fail: a state that is not a string, and a required field
    // left out, are both refused.
    let shipment = Api::SmartSend.schema("Shipment")["example"].clone();
    let mut wrong_kind = shipment.clone();
    wrong_kind["state"] = json!(7);
    let ty = schema_type(Api::SmartSend, "Shipment");
    assert!(ty.round_trip(&wrong_kind).is_err());
    // Enums are open (issue 10): a value the spec does not list is kept and comes back as it was.
    let mut unknown_state = shipment.clone();
    unknown_state["state"] = json!("teleported");
    assert_eq!(
        ty.round_trip(&unknown_state).unwrap()["state"],
        "teleported"
    );
    let mut no_uuid = shipment;
    no_uuid.as_object_mut().unwrap().remove("uuid");
    assert!(ty.round_trip(&no_uuid).unwrap_err().contains("uuid"));
}
