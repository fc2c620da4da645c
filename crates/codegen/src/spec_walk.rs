//! Read-only walks over a spec as JSON: its operations, parameters and every example it carries.
//!
//! The spec checks, the conformance suite and the sandbox's tests all need the same views of a
//! spec; they live here once. JSON (not [`openapiv3::OpenAPI`]) because examples and `x-*`
//! extensions must be seen exactly as written.

use serde_json::Value;

/// The HTTP methods an OpenAPI path item may hold, in the order the spec format lists them.
pub const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// One operation of a spec.
#[derive(Debug, Clone, Copy)]
pub struct Operation<'a> {
    /// The `operationId`, or `METHOD /path` when it has none.
    pub label: &'a str,
    /// Lower-case method, as the spec's key (`"post"`).
    pub method: &'static str,
    /// The path template (`/teams/{team}/shipments`).
    pub path: &'a str,
    /// The operation object.
    pub op: &'a Value,
}

/// Every operation of `spec`, in document order.
///
/// ```
/// let spec = serde_json::json!({"paths": {"/packs": {"get": {"operationId": "list_packs"}}}});
/// let ops = parcelkit_codegen::spec_walk::operations(&spec);
/// assert_eq!((ops[0].label, ops[0].method, ops[0].path), ("list_packs", "get", "/packs"));
/// ```
pub fn operations(spec: &Value) -> Vec<Operation<'_>> {
    let mut ops = Vec::new();
    for (path, item) in spec["paths"].as_object().into_iter().flatten() {
        for method in METHODS {
            if let Some(op) = item.get(method) {
                let label = op["operationId"].as_str().unwrap_or(path.as_str());
                ops.push(Operation {
                    label,
                    method,
                    path,
                    op,
                });
            }
        }
    }
    ops
}

/// Follows local `$ref`s until a node without one.
///
/// # Panics
/// On a reference that points nowhere: the specs are checked for that, so it is a bug.
///
/// ```
/// let spec = serde_json::json!({"components": {"schemas": {"Id": {"type": "string"}}}});
/// let node = serde_json::json!({"$ref": "#/components/schemas/Id"});
/// assert_eq!(parcelkit_codegen::spec_walk::resolve(&spec, &node)["type"], "string");
/// ```
pub fn resolve<'a>(spec: &'a Value, node: &'a Value) -> &'a Value {
    match node.get("$ref").and_then(Value::as_str) {
        Some(r) => resolve(
            spec,
            spec.pointer(r.trim_start_matches('#'))
                .unwrap_or_else(|| panic!("dangling reference {r}")),
        ),
        None => node,
    }
}

/// The component schema name a `{"$ref": "#/components/schemas/X"}` node points at.
///
/// ```
/// let node = serde_json::json!({"$ref": "#/components/schemas/Shipment"});
/// assert_eq!(parcelkit_codegen::spec_walk::component_name(&node), Some("Shipment"));
/// ```
pub fn component_name(node: &Value) -> Option<&str> {
    node.get("$ref")?
        .as_str()?
        .strip_prefix("#/components/schemas/")
}

/// All parameters of `operation`, path-level ones first, references resolved.
pub fn parameters<'a>(spec: &'a Value, operation: &Operation<'a>) -> Vec<&'a Value> {
    let item_params = spec["paths"][operation.path]["parameters"].as_array();
    let op_params = operation.op["parameters"].as_array();
    item_params
        .into_iter()
        .chain(op_params)
        .flatten()
        .map(|p| resolve(spec, p))
        .collect()
}

/// The header parameter `name` of `operation`, if it declares one.
pub fn header<'a>(spec: &'a Value, operation: &Operation<'a>, name: &str) -> Option<&'a Value> {
    parameters(spec, operation)
        .into_iter()
        .find(|p| p["in"] == "header" && p["name"] == name)
}

/// One example found in a spec, with the schema it claims to satisfy.
#[derive(Debug, Clone)]
pub struct Example {
    /// Where it is, e.g. `components.schemas.Shipment` or
    /// `create_shipment response 201 application/json examples.minimal`.
    pub at: String,
    /// The schema the example is for (possibly a `$ref`).
    pub schema: Value,
    /// The example value.
    pub value: Value,
}

/// Every example in `spec`: on schemas (component or inline, at any depth), parameters, headers,
/// request bodies and responses, both `example` and named `examples`.
///
/// ```
/// let spec = serde_json::json!({"components": {"schemas": {
///     "Pack": {"type": "object", "example": {"id": "p1"},
///              "properties": {"id": {"type": "string", "example": "p1"}}}
/// }}});
/// let found = parcelkit_codegen::spec_walk::examples(&spec);
/// let places: Vec<&str> = found.iter().map(|e| e.at.as_str()).collect();
/// assert_eq!(places, ["components.schemas.Pack", "components.schemas.Pack.id"]);
/// ```
pub fn examples(spec: &Value) -> Vec<Example> {
    let mut found = Vec::new();
    let components = &spec["components"];
    for (name, s) in entries(&components["schemas"]) {
        schema_tree(&format!("components.schemas.{name}"), s, &mut found);
    }
    for (name, p) in entries(&components["parameters"]) {
        with_schema(&format!("components.parameters.{name}"), p, &mut found);
    }
    for (name, h) in entries(&components["headers"]) {
        with_schema(&format!("components.headers.{name}"), h, &mut found);
    }
    for (name, r) in entries(&components["responses"]) {
        content_and_headers(&format!("components.responses.{name}"), r, &mut found);
    }
    for (name, b) in entries(&components["requestBodies"]) {
        content_and_headers(&format!("components.requestBodies.{name}"), b, &mut found);
    }
    for operation in operations(spec) {
        let label = operation.label;
        for (i, p) in operation.op["parameters"]
            .as_array()
            .into_iter()
            .flatten()
            .enumerate()
        {
            with_schema(&format!("{label} parameters[{i}]"), p, &mut found);
        }
        if let Some(body) = operation.op.get("requestBody") {
            content_and_headers(&format!("{label} requestBody"), body, &mut found);
        }
        for (code, r) in entries(&operation.op["responses"]) {
            content_and_headers(&format!("{label} response {code}"), r, &mut found);
        }
    }
    found
}

fn entries(node: &Value) -> impl Iterator<Item = (&String, &Value)> {
    node.as_object().into_iter().flatten()
}

fn schema_tree(at: &str, schema: &Value, found: &mut Vec<Example>) {
    let Some(map) = schema.as_object() else {
        return;
    };
    if map.contains_key("$ref") {
        return;
    }
    if let Some(example) = map.get("example") {
        found.push(Example {
            at: at.to_owned(),
            schema: schema.clone(),
            value: example.clone(),
        });
    }
    for (name, s) in entries(&schema["properties"]) {
        schema_tree(&format!("{at}.{name}"), s, found);
    }
    for key in ["items", "additionalProperties"] {
        if let Some(s) = map.get(key) {
            schema_tree(&format!("{at}[{key}]"), s, found);
        }
    }
    for key in ["allOf", "oneOf", "anyOf"] {
        for (i, s) in map
            .get(key)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
        {
            schema_tree(&format!("{at}.{key}[{i}]"), s, found);
        }
    }
}

/// A parameter, header or media type: `schema` plus `example`/`examples`.
fn with_schema(at: &str, holder: &Value, found: &mut Vec<Example>) {
    let Some(schema) = holder.get("schema") else {
        return;
    };
    schema_tree(&format!("{at} schema"), schema, found);
    if let Some(example) = holder.get("example") {
        found.push(Example {
            at: at.to_owned(),
            schema: schema.clone(),
            value: example.clone(),
        });
    }
    for (name, ex) in entries(&holder["examples"]) {
        if let Some(value) = ex.get("value") {
            found.push(Example {
                at: format!("{at} examples.{name}"),
                schema: schema.clone(),
                value: value.clone(),
            });
        }
    }
}

/// A response or request body: every media type, and every header.
fn content_and_headers(at: &str, holder: &Value, found: &mut Vec<Example>) {
    for (media, m) in entries(&holder["content"]) {
        with_schema(&format!("{at} {media}"), m, found);
    }
    for (name, h) in entries(&holder["headers"]) {
        with_schema(&format!("{at} header {name}"), h, found);
    }
}
