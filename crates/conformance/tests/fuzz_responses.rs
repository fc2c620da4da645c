//! Fuzzing of response decoding: whatever a server answers, every operation's `send()` decodes
//! it to a value or to a typed error, never a panic, and the error stays short and says its
//! status.
//!
//! Every operation of both specs, and every status it documents, is reached through the schema
//! registry: the response's component schema names the generated type, and
//! [`SchemaType::decode_response`] runs exactly the decoding the generated `send()` runs
//! (parcelkit's runtime decoder, the error-body variant for error statuses).
//!
//! - `arbitrary_bytes_*`: random bytes, through every (operation, status) pair: 1,500 cases of
//!   ~50 pairs each.
//! - `mutated_examples_*`: each response schema's own example (and its maximal and minimal
//!   values), mutated 1-4 times: a value swapped for another JSON kind, a key dropped, an unknown
//!   key added, a string (an enum value, say) replaced by an unknown one, an integer written as a
//!   float: 10,000 cases.
//! - `additions_never_break_a_read`: unknown keys added to objects with declared properties,
//!   enum values the spec does not list, and integers written as floats must still decode, since
//!   vendors add fields and values and drift in number formatting without notice: 1,000 cases.
//!
//! Bounded in time: the whole file runs in a few seconds in a debug build.

use parcelkit_codegen::spec_walk::{component_name, operations, resolve};
use parcelkit_conformance::{Api, SchemaType, synth};
use proptest::prelude::*;
use proptest::test_runner::{Config as RunnerConfig, TestRunner};
use serde_json::{Map, Value, json};

/// One documented answer of one operation.
#[derive(Debug, Clone)]
struct Answer {
    api: Api,
    operation: &'static str,
    status: u16,
    schema: SchemaType,
    /// The answer is a JSON array of `schema` (an inline `type: array` response schema).
    list: bool,
    /// The schema's example, maximal and minimal values (as arrays for a list), to mutate.
    seeds: Vec<Value>,
}

impl Answer {
    fn decode(&self, body: &[u8]) -> Result<(), String> {
        if self.list {
            self.schema.decode_list_response(self.status, body)
        } else {
            self.schema.decode_response(self.status, body)
        }
    }

    /// The response schema, as the spec writes it.
    fn response_schema(&self) -> Value {
        let item = json!({"$ref": format!("#/components/schemas/{}", self.schema.name)});
        if self.list {
            json!({"type": "array", "items": item})
        } else {
            item
        }
    }
}

/// Every (operation, status with a JSON body) of both specs. A range (`4XX`) or `default`
/// stands for its first status.
fn answers() -> Vec<Answer> {
    let mut out = Vec::new();
    for api in Api::ALL {
        let spec = api.normalised_spec();
        for op in operations(spec) {
            for (code, response) in op.op["responses"].as_object().into_iter().flatten() {
                let status = match code.as_str() {
                    "default" | "5XX" => 500,
                    "4XX" => 400,
                    exact => exact.parse().expect("a status code"),
                };
                let media = &resolve(spec, response)["content"]["application/json"];
                let list = media["schema"]["type"] == "array";
                let named = if list {
                    &media["schema"]["items"]
                } else {
                    &media["schema"]
                };
                let Some(name) = component_name(named) else {
                    assert!(
                        media.is_null(),
                        "{}: {} {code}: an inline response schema the registry cannot reach",
                        api.name(),
                        op.label
                    );
                    continue;
                };
                let schema = *api
                    .schema_types()
                    .iter()
                    .find(|s| s.name == name)
                    .unwrap_or_else(|| panic!("{name} is not in the registry"));
                let seeds = synth::cases(api, name)
                    .unwrap_or_else(|e| panic!("{e}"))
                    .into_iter()
                    .map(|case| {
                        if list {
                            json!([case.value])
                        } else {
                            case.value
                        }
                    })
                    .collect();
                out.push(Answer {
                    api,
                    operation: op.label,
                    status,
                    schema,
                    list,
                    seeds,
                });
            }
        }
    }
    assert!(out.len() >= 40, "only {} answers found", out.len());
    out
}

/// Decodes and checks the contract: `Ok`, or an error that is short and names its status.
fn check(answer: &Answer, body: &[u8]) -> Result<(), TestCaseError> {
    let outcome = std::panic::catch_unwind(|| answer.decode(body));
    let Ok(result) = outcome else {
        return Err(TestCaseError::fail(format!(
            "{} {} {}: decoding panicked on {:?}",
            answer.api.name(),
            answer.operation,
            answer.status,
            String::from_utf8_lossy(body)
        )));
    };
    if let Err(shown) = result {
        prop_assert!(
            shown.len() <= 4096,
            "{}: a {}-byte error message",
            answer.operation,
            shown.len()
        );
        prop_assert!(
            shown.contains(&format!("[status {}, Request-ID", answer.status)),
            "{} {}: the error does not say its status: {shown}",
            answer.operation,
            answer.status
        );
    }
    Ok(())
}

fn runner(cases: u32) -> TestRunner {
    TestRunner::new(RunnerConfig {
        cases,
        failure_persistence: None,
        ..RunnerConfig::default()
    })
}

#[test]
fn arbitrary_bytes_through_every_operations_decoding() {
    let answers = answers();
    let bytes = prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..600),
        // JSON-ish text reaches deeper into the decoder than uniform bytes do.
        "[\\[\\]{}\":,0-9a-z.\\- ]{0,300}".prop_map(String::into_bytes),
    ];
    runner(1500)
        .run(&bytes, |body| {
            for answer in &answers {
                check(answer, &body)?;
            }
            Ok(())
        })
        .unwrap();
}

/// One mutation: what to do, where (an index into the value's nodes), and a number to vary it.
#[derive(Debug, Clone, Copy)]
struct Mutation {
    kind: u8,
    at: usize,
    n: i64,
}

fn mutation() -> impl Strategy<Value = Mutation> {
    (0u8..10, any::<usize>(), any::<i64>()).prop_map(|(kind, at, n)| Mutation { kind, at, n })
}

/// JSON pointers of every node of `value`, the root first.
fn pointers(value: &Value, at: String, out: &mut Vec<String>) {
    out.push(at.clone());
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                let escaped = k.replace('~', "~0").replace('/', "~1");
                pointers(v, format!("{at}/{escaped}"), out);
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                pointers(v, format!("{at}/{i}"), out);
            }
        }
        _ => {}
    }
}

fn mutate(value: &mut Value, m: Mutation) {
    let mut all = Vec::new();
    pointers(value, String::new(), &mut all);
    let pointer = all[m.at % all.len()].clone();
    let node = value
        .pointer_mut(&pointer)
        .expect("a pointer of this value");
    match m.kind {
        0 => *node = Value::Null,
        1 => *node = json!(m.n % 2 == 0),
        2 => *node = json!(m.n),
        3 => *node = json!(format!("unknown_value_{}", m.n.rem_euclid(1000))),
        4 => *node = json!([]),
        5 => *node = json!({}),
        // Drop one key of an object (the node itself when it is not one).
        6 => {
            if let Value::Object(map) = node
                && !map.is_empty()
            {
                let key = map
                    .keys()
                    .nth(m.n.unsigned_abs() as usize % map.len())
                    .cloned();
                map.remove(&key.expect("a key"));
            }
        }
        // An unknown key, with a value of a varying kind.
        7 => {
            if let Value::Object(map) = node {
                let extra = match m.n.rem_euclid(4) {
                    0 => json!("added"),
                    1 => json!(m.n),
                    2 => json!({"nested": [1, "two", null]}),
                    _ => Value::Null,
                };
                map.insert(format!("x_fuzz_{}", m.n.rem_euclid(100)), extra);
            }
        }
        // An integer written as a float.
        8 => {
            if let Some(i) = node.as_i64() {
                *node = json!(i as f64);
            }
        }
        // A string replaced by one the spec does not list (an enum value added by the vendor).
        _ => {
            if node.is_string() {
                *node = json!(format!("new_{}", m.n.rem_euclid(1000)));
            }
        }
    }
}

#[test]
fn mutated_examples_through_every_operations_decoding() {
    let answers = answers();
    let strategy = (
        0..answers.len(),
        any::<usize>(),
        proptest::collection::vec(mutation(), 1..5),
    );
    runner(10_000)
        .run(&strategy, |(which, seed, mutations)| {
            let answer = &answers[which];
            let mut value = answer.seeds[seed % answer.seeds.len()].clone();
            for m in mutations {
                mutate(&mut value, m);
            }
            check(answer, &serde_json::to_vec(&value).unwrap())
        })
        .unwrap();
}

/// How many enum values `add_and_reformat` replaced: proof that the test reaches enums.
static ENUM_VALUES_ADDED: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// Adds an unknown key to every object that declares properties (not to maps, whose values
/// have a type of their own), writes every integer as a float, and replaces every enum value by
/// one the spec does not list.
fn add_and_reformat(value: &mut Value, schema: &Value, spec: &Value, n: u32) {
    let schema = resolve(spec, schema);
    match value {
        Value::Object(map) => {
            let variants = ["oneOf", "anyOf", "allOf"]
                .iter()
                .flat_map(|k| schema[*k].as_array().into_iter().flatten())
                .collect::<Vec<_>>();
            let properties: Map<String, Value> = std::iter::once(schema)
                .chain(variants.iter().map(|v| resolve(spec, v)))
                .flat_map(|s| s["properties"].as_object().cloned().unwrap_or_default())
                .collect();
            for (key, child) in map.iter_mut() {
                if let Some(child_schema) = properties.get(key) {
                    add_and_reformat(child, child_schema, spec, n);
                }
            }
            if !properties.is_empty() {
                map.insert(format!("x_vendor_added_{n}"), json!({"since": "v2.1"}));
            }
        }
        Value::Array(items) => {
            for item in items {
                add_and_reformat(item, &schema["items"], spec, n);
            }
        }
        Value::Number(number) => {
            if let Some(i) = number.as_i64() {
                *value = json!(i as f64);
            }
        }
        // A value the vendor added to an enum.
        Value::String(text) => {
            let listed = std::iter::once(schema)
                .chain(
                    schema["allOf"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .map(|s| resolve(spec, s)),
                )
                .any(|s| s["enum"].is_array());
            if listed {
                *text = format!("vendor_added_{n}");
                ENUM_VALUES_ADDED.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            }
        }
        _ => {}
    }
}

#[test]
fn additions_never_break_a_read() {
    let answers = answers();
    runner(1000)
        .run(
            &(0..answers.len(), any::<usize>(), any::<u32>()),
            |(which, seed, n)| {
                let answer = &answers[which];
                let spec = answer.api.normalised_spec();
                let mut value = answer.seeds[seed % answer.seeds.len()].clone();
                add_and_reformat(&mut value, &answer.response_schema(), spec, n);
                let body = serde_json::to_vec(&value).unwrap();
                let decoded = answer.decode(&body);
                prop_assert!(
                    decoded.is_ok(),
                    "{} {} {}: {:?}\n{}",
                    answer.api.name(),
                    answer.operation,
                    answer.status,
                    decoded,
                    value
                );
                Ok(())
            },
        )
        .unwrap();
    let added = ENUM_VALUES_ADDED.load(std::sync::atomic::Ordering::Relaxed);
    assert!(added >= 20, "only {added} enum values were replaced");
}
