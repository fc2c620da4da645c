//! Reshapes an in-memory copy of a spec so that progenitor 0.15.1 accepts it, without making the
//! spec on disk less honest.
//!
//! progenitor gives every operation exactly one success body type and one error body type, reads
//! only `application/json`, and treats a `default` response as both success and error. Real APIs
//! do not fit: Smart Send's booking answers 200 with a Shipment or 202 with an Operation, and its
//! errors are `application/problem+json`. Each pass below fixes one such mismatch and records a
//! note of what it changed; the notes end up in the normalised spec (`x-parcelkit-normalisation`),
//! so a reviewer of `generated/` sees exactly what was reshaped.
//!
//! The hand-written layer must decide by status code, never by which `oneOf` variant serde picked:
//! the synthesised unions are untagged.

use heck::ToUpperCamelCase;
use indexmap::IndexMap;
use openapiv3::{
    Components, MediaType, OpenAPI, Operation, ReferenceOr, Response, Schema, SchemaData,
    SchemaKind, StatusCode,
};

use crate::{CodegenError, ErrorKind};

/// The root extension that lists what normalisation changed.
pub const NOTES_EXTENSION: &str = "x-parcelkit-normalisation";
/// Marks a schema that normalisation synthesised (it is not in the spec on disk).
pub const SYNTHESISED_EXTENSION: &str = "x-parcelkit-synthesised";

/// Runs every pass in order on a copy of `spec` and returns the copy, with the notes of what
/// changed stored under [`NOTES_EXTENSION`].
///
/// ```
/// let spec = parcelkit_codegen::load_spec_str(r#"
/// openapi: 3.0.3
/// info: {title: t, version: '1'}
/// paths:
///   /things:
///     get:
///       operationId: list_things
///       responses:
///         '200': {description: ok, content: {application/json: {schema: {type: string}}}}
///         '400': {description: bad, content: {application/problem+json: {schema: {type: object}}}}
/// "#, "inline.yaml")?;
/// let normalised = parcelkit_codegen::normalise::normalise(&spec, "inline.yaml")?;
/// let op = normalised.paths.paths["/things"].as_item().unwrap().get.as_ref().unwrap();
/// let bad = op.responses.responses[&openapiv3::StatusCode::Code(400)].as_item().unwrap();
/// assert!(bad.content.contains_key("application/json"));
/// # Ok::<(), parcelkit_codegen::CodegenError>(())
/// ```
pub fn normalise(spec: &OpenAPI, spec_name: &str) -> Result<OpenAPI, CodegenError> {
    let mut out = spec.clone();
    let mut notes = Vec::new();
    notes.extend(json_media_types(&mut out));
    notes.extend(split_default_responses(&mut out));
    notes.extend(
        merge_response_bodies(&mut out)
            .map_err(|reason| CodegenError::new(spec_name, ErrorKind::Unsupported, reason))?,
    );
    if !notes.is_empty() {
        out.extensions
            .insert(NOTES_EXTENSION.to_owned(), serde_json::Value::from(notes));
    }
    Ok(out)
}

/// Calls `f` on every operation, with its path and lower-case method.
pub(crate) fn for_each_operation<'a>(
    spec: &'a OpenAPI,
    mut f: impl FnMut(&'a str, &'static str, &'a Operation),
) {
    for (path, item) in &spec.paths.paths {
        if let ReferenceOr::Item(item) = item {
            for (method, op) in item.iter() {
                f(path, method_name(method), op);
            }
        }
    }
}

fn for_each_operation_mut<E>(
    spec: &mut OpenAPI,
    mut f: impl FnMut(&str, &'static str, &mut Operation) -> Result<(), E>,
) -> Result<(), E> {
    for (path, item) in spec.paths.paths.iter_mut() {
        let ReferenceOr::Item(item) = item else {
            continue;
        };
        let slots = [
            ("get", &mut item.get),
            ("put", &mut item.put),
            ("post", &mut item.post),
            ("delete", &mut item.delete),
            ("options", &mut item.options),
            ("head", &mut item.head),
            ("patch", &mut item.patch),
            ("trace", &mut item.trace),
        ];
        for (method, slot) in slots {
            if let Some(op) = slot {
                f(path, method, op)?;
            }
        }
    }
    Ok(())
}

// `PathItem::iter` hands out `&str` tied to a temporary; map it to a static name.
fn method_name(method: &str) -> &'static str {
    match method {
        "get" => "get",
        "put" => "put",
        "post" => "post",
        "delete" => "delete",
        "options" => "options",
        "head" => "head",
        "patch" => "patch",
        _ => "trace",
    }
}

pub(crate) fn op_label(path: &str, method: &str, op: &Operation) -> String {
    match &op.operation_id {
        Some(id) => format!("operation {id}"),
        None => format!("{} {path}", method.to_uppercase()),
    }
}

/// Is this media type JSON in a form progenitor does not recognise (`application/problem+json`,
/// `application/vnd.x+json; charset=utf-8`, ...)?
fn is_structured_json(media_type: &str) -> bool {
    let essence = media_type.split(';').next().unwrap_or("").trim();
    essence.starts_with("application/") && essence.ends_with("+json")
}

fn rename_json_content(content: &mut IndexMap<String, MediaType>, owner: &str) -> Vec<String> {
    let mut notes = Vec::new();
    let json_keys: Vec<String> = content
        .keys()
        .filter(|k| is_structured_json(k))
        .cloned()
        .collect();
    for key in json_keys {
        if content.contains_key("application/json") {
            // A plain JSON entry already says the same thing; progenitor would ignore this one.
            continue;
        }
        if let Some(media) = content.shift_remove(&key) {
            content.insert("application/json".to_owned(), media);
            notes.push(format!(
                "{owner}: media type {key} read as application/json"
            ));
        }
    }
    notes
}

/// Pass 1: `application/*+json` becomes `application/json`, in every response and request body
/// (inline or in components), so progenitor types the body instead of handing out raw bytes.
pub fn json_media_types(spec: &mut OpenAPI) -> Vec<String> {
    let mut notes = Vec::new();
    if let Some(components) = spec.components.as_mut() {
        for (name, response) in components.responses.iter_mut() {
            if let ReferenceOr::Item(response) = response {
                notes.extend(rename_json_content(
                    &mut response.content,
                    &format!("components.responses.{name}"),
                ));
            }
        }
        for (name, body) in components.request_bodies.iter_mut() {
            if let ReferenceOr::Item(body) = body {
                notes.extend(rename_json_content(
                    &mut body.content,
                    &format!("components.requestBodies.{name}"),
                ));
            }
        }
    }
    let _ = for_each_operation_mut::<()>(spec, |path, method, op| {
        let label = op_label(path, method, op);
        if let Some(ReferenceOr::Item(body)) = op.request_body.as_mut() {
            notes.extend(rename_json_content(
                &mut body.content,
                &format!("{label} request body"),
            ));
        }
        let responses = op
            .responses
            .responses
            .iter_mut()
            .map(|(code, r)| (code.to_string(), r))
            .chain(
                op.responses
                    .default
                    .as_mut()
                    .map(|r| ("default".to_owned(), r)),
            );
        for (code, response) in responses {
            if let ReferenceOr::Item(response) = response {
                notes.extend(rename_json_content(
                    &mut response.content,
                    &format!("{label} response {code}"),
                ));
            }
        }
        Ok(())
    });
    notes
}

fn is_success(code: &StatusCode) -> bool {
    match code {
        StatusCode::Code(c) => (200..300).contains(c),
        StatusCode::Range(r) => *r == 2,
    }
}

fn is_error(code: &StatusCode) -> bool {
    match code {
        StatusCode::Code(c) => *c >= 400,
        StatusCode::Range(r) => *r >= 4,
    }
}

/// Pass 2: a `default` response beside a success response becomes `4XX` and `5XX` (where those
/// are not already given). progenitor would count `default` as a second success type.
pub fn split_default_responses(spec: &mut OpenAPI) -> Vec<String> {
    let mut notes = Vec::new();
    let _ = for_each_operation_mut::<()>(spec, |path, method, op| {
        let has_success = op.responses.responses.keys().any(is_success);
        if !has_success {
            return Ok(());
        }
        let Some(default) = op.responses.default.take() else {
            return Ok(());
        };
        let mut added = Vec::new();
        for range in [4u16, 5] {
            let code = StatusCode::Range(range);
            if !op.responses.responses.contains_key(&code) {
                op.responses.responses.insert(code, default.clone());
                added.push(format!("{range}XX"));
            }
        }
        notes.push(format!(
            "{}: default response split into {}",
            op_label(path, method, op),
            if added.is_empty() {
                "nothing (4XX and 5XX were already given; default dropped)".to_owned()
            } else {
                added.join(" and ")
            }
        ));
        Ok(())
    });
    notes
}

/// What a response carries, as far as progenitor is concerned.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Body {
    /// No content at all.
    Empty,
    /// An `application/json` body with this schema (None when the media type has no schema).
    Json(Option<Box<ReferenceOr<Schema>>>),
    /// Content of another media type, handed out as raw bytes.
    Raw(String),
}

impl Body {
    pub(crate) fn of(response: &Response) -> Body {
        if let Some((_, media)) = response
            .content
            .iter()
            .find(|(k, _)| *k == "application/json" || k.starts_with("application/json;"))
        {
            Body::Json(media.schema.clone().map(Box::new))
        } else if let Some(key) = response.content.keys().next() {
            Body::Raw(key.clone())
        } else {
            Body::Empty
        }
    }

    pub(crate) fn describe(&self) -> String {
        match self {
            Body::Empty => "no body".to_owned(),
            Body::Json(Some(schema)) => match &**schema {
                ReferenceOr::Reference { reference } => format!("JSON {}", ref_name(reference)),
                ReferenceOr::Item(_) => "JSON (inline schema)".to_owned(),
            },
            Body::Json(None) => "JSON (no schema)".to_owned(),
            Body::Raw(media) => format!("raw {media}"),
        }
    }
}

fn ref_name(reference: &str) -> &str {
    reference.rsplit('/').next().unwrap_or(reference)
}

/// Resolves a response reference against `components.responses`.
pub(crate) fn resolve_response<'a>(
    response: &'a ReferenceOr<Response>,
    components: Option<&'a Components>,
) -> Result<&'a Response, String> {
    match response {
        ReferenceOr::Item(r) => Ok(r),
        ReferenceOr::Reference { reference } => {
            let name = reference
                .strip_prefix("#/components/responses/")
                .ok_or_else(|| format!("response reference {reference} is not local"))?;
            match components.and_then(|c| c.responses.get(name)) {
                Some(ReferenceOr::Item(r)) => Ok(r),
                Some(ReferenceOr::Reference { .. }) => {
                    Err(format!("response {reference} refers to another reference"))
                }
                None => Err(format!("response {reference} does not exist")),
            }
        }
    }
}

/// Resolves a parameter reference against `components.parameters` (`None` when it dangles).
pub(crate) fn resolve_parameter<'a>(
    param: &'a ReferenceOr<openapiv3::Parameter>,
    components: Option<&'a Components>,
) -> Option<&'a openapiv3::Parameter> {
    match param {
        ReferenceOr::Item(p) => Some(p),
        ReferenceOr::Reference { reference } => reference
            .strip_prefix("#/components/parameters/")
            .and_then(|n| components?.parameters.get(n))
            .and_then(ReferenceOr::as_item),
    }
}

/// Pass 3: where an operation's success responses (or its error responses) carry different JSON
/// schemas, they are merged into one synthesised `oneOf` component (`<OperationId>Success`,
/// `<OperationId>Error`) that every response of the group then refers to. A group that mixes a JSON
/// body with no body or with a non-JSON body cannot be expressed in progenitor's model and is an
/// error naming the operation and the statuses.
pub fn merge_response_bodies(spec: &mut OpenAPI) -> Result<Vec<String>, String> {
    let components = spec.components.clone();
    let mut new_schemas: Vec<(String, Schema)> = Vec::new();
    let mut notes = Vec::new();
    for_each_operation_mut(spec, |path, method, op| {
        let label = op_label(path, method, op);
        for (group, filter, suffix) in [
            ("success", is_success as fn(&StatusCode) -> bool, "Success"),
            ("error", is_error, "Error"),
        ] {
            let mut members: Vec<(StatusCode, Response)> = Vec::new();
            for (code, response) in op.responses.responses.iter().filter(|(c, _)| filter(c)) {
                let resolved = resolve_response(response, components.as_ref())
                    .map_err(|e| format!("{label}: {e}"))?;
                members.push((code.clone(), resolved.clone()));
            }
            let mut distinct: Vec<Body> = Vec::new();
            for (_, response) in &members {
                let body = Body::of(response);
                if !distinct.contains(&body) {
                    distinct.push(body);
                }
            }
            if distinct.len() <= 1 {
                continue;
            }
            let listing = members
                .iter()
                .map(|(code, r)| format!("{code} {}", Body::of(r).describe()))
                .collect::<Vec<_>>()
                .join(", ");
            let schemas: Vec<ReferenceOr<Schema>> = distinct
                .iter()
                .map(|body| match body {
                    Body::Json(Some(schema)) => Ok((**schema).clone()),
                    _ => Err(format!(
                        "{label}: its {group} responses carry different kinds of body ({listing}); \
                         progenitor allows one {group} body type per operation, and only JSON \
                         bodies can be merged into one. Give every {group} response of the \
                         operation a JSON body, or the same one"
                    )),
                })
                .collect::<Result<_, _>>()?;
            let op_id = op.operation_id.as_deref().ok_or_else(|| {
                format!("{label}: needs an operationId to name its merged {group} body")
            })?;
            let name = format!("{}{suffix}", op_id.to_upper_camel_case());
            let taken = components
                .as_ref()
                .is_some_and(|c| c.schemas.contains_key(&name))
                || new_schemas.iter().any(|(n, _)| *n == name);
            if taken {
                return Err(format!(
                    "{label}: cannot synthesise schema {name} for its {group} bodies: \
                     components.schemas.{name} already exists"
                ));
            }
            let mut schema_data = SchemaData {
                description: Some(format!(
                    "Synthesised by parcelkit-codegen: the {group} bodies of `{op_id}` ({listing}). \
                     Decide which applies by the status code, not by the variant."
                )),
                ..SchemaData::default()
            };
            schema_data
                .extensions
                .insert(SYNTHESISED_EXTENSION.to_owned(), true.into());
            new_schemas.push((
                name.clone(),
                Schema {
                    schema_data,
                    schema_kind: SchemaKind::OneOf { one_of: schemas },
                },
            ));
            let reference = ReferenceOr::Reference {
                reference: format!("#/components/schemas/{name}"),
            };
            for (code, mut response) in members {
                for (media_type, media) in response.content.iter_mut() {
                    if media_type == "application/json"
                        || media_type.starts_with("application/json;")
                    {
                        media.schema = Some(reference.clone());
                    }
                }
                op.responses
                    .responses
                    .insert(code, ReferenceOr::Item(response));
            }
            notes.push(format!(
                "{label}: {group} bodies ({listing}) merged into oneOf {name}"
            ));
        }
        Ok(())
    })?;
    if !new_schemas.is_empty() {
        let components = spec.components.get_or_insert_with(Components::default);
        for (name, schema) in new_schemas {
            components.schemas.insert(name, ReferenceOr::Item(schema));
        }
    }
    Ok(notes)
}

/// For the httpmock generator only: drops query parameters whose schema is an array.
///
/// progenitor 0.15.1's mock generator matches every query parameter with `value.to_string()`,
/// which does not compile for a `Vec` (upstream progenitor#1260). The mock of such an operation
/// cannot match on that parameter; `into_inner()` on its `When` still can. The client itself is
/// generated from the unmodified normalised spec and sends the parameter.
pub fn without_array_query_params(spec: &OpenAPI) -> (OpenAPI, Vec<String>) {
    let mut out = spec.clone();
    let components = spec.components.clone();
    let mut notes = Vec::new();
    let is_array_query = |param: &ReferenceOr<openapiv3::Parameter>| -> bool {
        let param = resolve_parameter(param, components.as_ref());
        let Some(openapiv3::Parameter::Query { parameter_data, .. }) = param else {
            return false;
        };
        let openapiv3::ParameterSchemaOrContent::Schema(schema) = &parameter_data.format else {
            return false;
        };
        let schema = match schema {
            ReferenceOr::Item(s) => Some(s),
            ReferenceOr::Reference { reference } => reference
                .strip_prefix("#/components/schemas/")
                .and_then(|n| components.as_ref()?.schemas.get(n))
                .and_then(ReferenceOr::as_item),
        };
        matches!(
            schema.map(|s| &s.schema_kind),
            Some(SchemaKind::Type(openapiv3::Type::Array(_)))
        )
    };
    let _ = for_each_operation_mut::<()>(&mut out, |path, method, op| {
        let before = op.parameters.len();
        op.parameters.retain(|p| !is_array_query(p));
        if op.parameters.len() != before {
            notes.push(format!(
                "{}: array query parameters left out of the httpmock helpers",
                op_label(path, method, op)
            ));
        }
        Ok(())
    });
    (out, notes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load_spec_str;

    fn spec(paths: &str, components: &str) -> OpenAPI {
        let text = format!(
            "openapi: 3.0.3\ninfo: {{title: t, version: '1'}}\npaths:\n{paths}\ncomponents:\n{components}\n"
        );
        load_spec_str(&text, "test.yaml").expect("test spec parses")
    }

    fn op<'a>(spec: &'a OpenAPI, path: &str) -> &'a Operation {
        let item = spec.paths.paths[path].as_item().unwrap();
        item.iter().next().unwrap().1
    }

    fn response(op: &Operation, code: StatusCode) -> &Response {
        op.responses.responses[&code]
            .as_item()
            .expect("inline response")
    }

    const SCHEMAS: &str = "  schemas:\n    A: {type: object, properties: {a: {type: string}}}\n    B: {type: object, properties: {b: {type: string}}}\n    P: {type: object, properties: {title: {type: string}}}\n";

    #[test]
    fn problem_json_becomes_json_in_operations_and_components() {
        let mut s = spec(
            "  /x:\n    get:\n      operationId: get_x\n      responses:\n        '200': {description: ok, content: {application/json: {schema: {$ref: '#/components/schemas/A'}}}}\n        '404': {$ref: '#/components/responses/NotFound'}\n        '500': {description: e, content: {'application/problem+json; charset=utf-8': {schema: {$ref: '#/components/schemas/P'}}}}\n",
            &format!(
                "{SCHEMAS}  responses:\n    NotFound: {{description: nf, content: {{application/problem+json: {{schema: {{$ref: '#/components/schemas/P'}}}}}}}}\n"
            ),
        );
        let notes = json_media_types(&mut s);
        assert_eq!(notes.len(), 2, "{notes:?}");
        let nf = s.components.as_ref().unwrap().responses["NotFound"]
            .as_item()
            .unwrap();
        assert_eq!(nf.content.keys().collect::<Vec<_>>(), ["application/json"]);
        let e500 = response(op(&s, "/x"), StatusCode::Code(500));
        assert_eq!(
            e500.content.keys().collect::<Vec<_>>(),
            ["application/json"]
        );
    }

    #[test]
    fn plain_json_is_kept_when_both_are_given() {
        let mut s = spec(
            "  /x:\n    get:\n      operationId: get_x\n      responses:\n        '400': {description: e, content: {application/json: {schema: {$ref: '#/components/schemas/P'}}, application/problem+json: {schema: {$ref: '#/components/schemas/A'}}}}\n",
            SCHEMAS,
        );
        assert!(json_media_types(&mut s).is_empty());
        let r = response(op(&s, "/x"), StatusCode::Code(400));
        assert_eq!(r.content.len(), 2);
    }

    #[test]
    fn non_json_media_types_are_left_alone() {
        assert!(!is_structured_json("application/pdf"));
        assert!(!is_structured_json("text/json"));
        assert!(is_structured_json("application/vnd.api+json"));
        assert!(is_structured_json(
            "application/problem+json; charset=utf-8"
        ));
    }

    #[test]
    fn default_beside_success_is_split_into_4xx_and_5xx() {
        let mut s = spec(
            "  /x:\n    get:\n      operationId: get_x\n      responses:\n        '200': {description: ok}\n        '5XX': {description: given}\n        default: {description: other}\n",
            SCHEMAS,
        );
        let notes = split_default_responses(&mut s);
        assert_eq!(notes, ["operation get_x: default response split into 4XX"]);
        let o = op(&s, "/x");
        assert!(o.responses.default.is_none());
        assert_eq!(response(o, StatusCode::Range(4)).description, "other");
        assert_eq!(response(o, StatusCode::Range(5)).description, "given");
    }

    #[test]
    fn default_alone_is_kept() {
        let mut s = spec(
            "  /x:\n    get:\n      operationId: get_x\n      responses:\n        default: {description: anything}\n",
            SCHEMAS,
        );
        assert!(split_default_responses(&mut s).is_empty());
        assert!(op(&s, "/x").responses.default.is_some());
    }

    #[test]
    fn differing_success_bodies_merge_into_one_of() {
        let mut s = spec(
            "  /x:\n    post:\n      operationId: book_thing\n      responses:\n        '200': {description: done, headers: {X: {schema: {type: string}}}, content: {application/json: {schema: {$ref: '#/components/schemas/A'}}}}\n        '201': {description: made, content: {application/json: {schema: {$ref: '#/components/schemas/A'}}}}\n        '202': {description: later, content: {application/json: {schema: {$ref: '#/components/schemas/B'}}}}\n",
            SCHEMAS,
        );
        let notes = merge_response_bodies(&mut s).unwrap();
        assert_eq!(
            notes,
            [
                "operation book_thing: success bodies (200 JSON A, 201 JSON A, 202 JSON B) merged into oneOf BookThingSuccess"
            ]
        );
        let merged = s.components.as_ref().unwrap().schemas["BookThingSuccess"]
            .as_item()
            .unwrap();
        let SchemaKind::OneOf { one_of } = &merged.schema_kind else {
            panic!("not a oneOf: {merged:?}");
        };
        assert_eq!(one_of.len(), 2, "A once, B once");
        assert_eq!(merged.schema_data.extensions[SYNTHESISED_EXTENSION], true);
        let o = op(&s, "/x");
        for code in [200, 201, 202] {
            let r = response(o, StatusCode::Code(code));
            assert_eq!(
                r.content["application/json"].schema,
                Some(ReferenceOr::Reference {
                    reference: "#/components/schemas/BookThingSuccess".into()
                })
            );
        }
        assert!(
            response(o, StatusCode::Code(200)).headers.contains_key("X"),
            "headers survive"
        );
    }

    #[test]
    fn differing_error_bodies_merge_and_shared_components_stay_untouched() {
        let mut s = spec(
            "  /x:\n    post:\n      operationId: quote\n      responses:\n        '200': {description: ok, content: {application/json: {schema: {$ref: '#/components/schemas/A'}}}}\n        '400': {description: bad, content: {application/json: {schema: {$ref: '#/components/schemas/B'}}}}\n        '401': {$ref: '#/components/responses/Unauthorized'}\n",
            &format!(
                "{SCHEMAS}  responses:\n    Unauthorized: {{description: no, content: {{application/json: {{schema: {{$ref: '#/components/schemas/P'}}}}}}}}\n"
            ),
        );
        merge_response_bodies(&mut s).unwrap();
        let c = s.components.as_ref().unwrap();
        assert!(c.schemas.contains_key("QuoteError"));
        assert!(
            !c.schemas.contains_key("QuoteSuccess"),
            "one success body needs no merge"
        );
        let shared = c.responses["Unauthorized"].as_item().unwrap();
        assert_eq!(
            shared.content["application/json"].schema,
            Some(ReferenceOr::Reference {
                reference: "#/components/schemas/P".into()
            })
        );
        let o = op(&s, "/x");
        assert_eq!(
            response(o, StatusCode::Code(401)).description,
            "no",
            "inlined copy"
        );
    }

    #[test]
    fn identical_bodies_are_not_merged() {
        let mut s = spec(
            "  /x:\n    get:\n      operationId: get_x\n      responses:\n        '200': {description: ok, content: {application/json: {schema: {$ref: '#/components/schemas/A'}}}}\n        '404': {description: nf, content: {application/json: {schema: {$ref: '#/components/schemas/P'}}}}\n        '500': {description: e, content: {application/json: {schema: {$ref: '#/components/schemas/P'}}}}\n",
            SCHEMAS,
        );
        let before = s.clone();
        assert!(merge_response_bodies(&mut s).unwrap().is_empty());
        assert_eq!(s, before);
    }

    #[test]
    fn body_and_no_body_cannot_merge() {
        let mut s = spec(
            "  /x:\n    delete:\n      operationId: delete_x\n      responses:\n        '200': {description: ok, content: {application/json: {schema: {$ref: '#/components/schemas/A'}}}}\n        '204': {description: gone}\n",
            SCHEMAS,
        );
        let err = merge_response_bodies(&mut s).unwrap_err();
        assert!(err.contains("operation delete_x"), "{err}");
        assert!(err.contains("200 JSON A, 204 no body"), "{err}");
    }

    #[test]
    fn synthesised_name_clash_is_an_error() {
        let mut s = spec(
            "  /x:\n    post:\n      operationId: a\n      responses:\n        '200': {description: ok, content: {application/json: {schema: {$ref: '#/components/schemas/A'}}}}\n        '202': {description: ok, content: {application/json: {schema: {$ref: '#/components/schemas/B'}}}}\n",
            &format!("{SCHEMAS}    ASuccess: {{type: string}}\n"),
        );
        let err = merge_response_bodies(&mut s).unwrap_err();
        assert!(
            err.contains("components.schemas.ASuccess already exists"),
            "{err}"
        );
    }

    #[test]
    fn normalise_records_its_notes_and_leaves_the_input_alone() {
        let s = spec(
            "  /x:\n    post:\n      operationId: book\n      responses:\n        '200': {description: ok, content: {application/json: {schema: {$ref: '#/components/schemas/A'}}}}\n        '202': {description: ok, content: {application/json: {schema: {$ref: '#/components/schemas/B'}}}}\n        default: {description: e, content: {application/problem+json: {schema: {$ref: '#/components/schemas/P'}}}}\n",
            SCHEMAS,
        );
        let before = s.clone();
        let n = normalise(&s, "test.yaml").unwrap();
        assert_eq!(s, before);
        let notes = n.extensions[NOTES_EXTENSION].as_array().unwrap();
        assert_eq!(notes.len(), 3, "{notes:?}");
        // Idempotent: a normalised spec needs no further change.
        let again = normalise(&n, "test.yaml").unwrap();
        assert_eq!(again.paths, n.paths);
        assert_eq!(again.components, n.components);
    }
    #[test]
    fn array_query_parameters_are_dropped_for_mocks_only() {
        let s = spec(
            "  /x:\n    get:\n      operationId: list_x\n      parameters:\n        - {$ref: '#/components/parameters/Ids'}\n        - {name: limit, in: query, schema: {type: integer}}\n        - {name: tags, in: query, schema: {$ref: '#/components/schemas/Tags'}}\n      responses: {'200': {description: ok}}\n",
            &format!(
                "{SCHEMAS}    Tags: {{type: array, items: {{type: string}}}}\n  parameters:\n    Ids: {{name: ids, in: query, explode: true, schema: {{type: array, items: {{type: string}}}}}}\n"
            ),
        );
        let (mock, notes) = without_array_query_params(&s);
        assert_eq!(
            notes,
            ["operation list_x: array query parameters left out of the httpmock helpers"]
        );
        let kept = &op(&mock, "/x").parameters;
        assert_eq!(kept.len(), 1);
        assert_eq!(
            kept[0].as_item().unwrap().parameter_data_ref().name,
            "limit"
        );
        assert_eq!(op(&s, "/x").parameters.len(), 3, "the input is untouched");
    }
}
