//! Checks for the constructs that make progenitor 0.15.1 panic (`assert!`, `todo!`, `unwrap`)
//! instead of returning an error, so that `build.rs` fails with the spec path and a reason.
//!
//! Run on the normalised spec: whatever normalisation could fix is already fixed, so what this
//! reports needs a change to the spec itself.

use std::collections::BTreeSet;

use openapiv3::{OpenAPI, Parameter, ReferenceOr, StatusCode};

use crate::normalise::{Body, for_each_operation, op_label, resolve_parameter, resolve_response};

/// Returns every problem found (empty when the spec is safe to hand to progenitor).
///
/// ```
/// let spec = parcelkit_codegen::load_spec_str(r#"
/// openapi: 3.0.3
/// info: {title: t, version: '1'}
/// paths:
///   /things/{id}:
///     get:
///       operationId: get_thing
///       responses: {'200': {description: ok}}
/// "#, "inline.yaml")?;
/// let problems = parcelkit_codegen::preflight::check(&spec);
/// assert_eq!(problems, ["operation get_thing: path /things/{id} names {id} but no path parameter `id` is declared"]);
/// # Ok::<(), parcelkit_codegen::CodegenError>(())
/// ```
pub fn check(spec: &OpenAPI) -> Vec<String> {
    let mut problems = Vec::new();
    let components = spec.components.as_ref();
    for (path, item) in &spec.paths.paths {
        if let ReferenceOr::Reference { reference } = item {
            problems.push(format!(
                "path {path}: path item references ({reference}) are not supported"
            ));
        }
    }
    for_each_operation(spec, |path, method, op| {
        let label = op_label(path, method, op);
        let item_params = match &spec.paths.paths[path] {
            ReferenceOr::Item(item) => item.parameters.as_slice(),
            ReferenceOr::Reference { .. } => &[],
        };

        // Path parameters: every `{name}` declared, every declared one required and in the path.
        let template: BTreeSet<&str> = path
            .split('{')
            .skip(1)
            .filter_map(|rest| rest.split_once('}').map(|(name, _)| name))
            .collect();
        let mut declared = BTreeSet::new();
        for param in item_params.iter().chain(&op.parameters) {
            let Some(param) = resolve_parameter(param, components) else {
                let name = match param {
                    ReferenceOr::Reference { reference } => reference.as_str(),
                    ReferenceOr::Item(p) => p.parameter_data_ref().name.as_str(),
                };
                problems.push(format!("{label}: parameter {name} cannot be resolved"));
                continue;
            };
            let data = param.parameter_data_ref();
            if let openapiv3::ParameterSchemaOrContent::Content(_) = &data.format {
                problems.push(format!(
                    "{label}: parameter `{}` uses `content`; only `schema` parameters are supported",
                    data.name
                ));
            }
            if let Parameter::Path { .. } = param {
                declared.insert(data.name.clone());
                if !template.contains(data.name.as_str()) {
                    problems.push(format!(
                        "{label}: path parameter `{}` does not appear in {path}",
                        data.name
                    ));
                }
                if !data.required {
                    problems.push(format!(
                        "{label}: path parameter `{}` must be `required: true`",
                        data.name
                    ));
                }
            }
        }
        for name in &template {
            if !declared.contains(*name) {
                problems.push(format!(
                    "{label}: path {path} names {{{name}}} but no path parameter `{name}` is declared"
                ));
            }
        }

        // Request body: one media type, with a schema.
        if let Some(body) = &op.request_body {
            let body = match body {
                ReferenceOr::Item(b) => Some(b),
                ReferenceOr::Reference { reference } => reference
                    .strip_prefix("#/components/requestBodies/")
                    .and_then(|n| components?.request_bodies.get(n))
                    .and_then(|b| b.as_item()),
            };
            match body {
                None => problems.push(format!(
                    "{label}: request body reference cannot be resolved"
                )),
                Some(body) => {
                    if body.content.len() > 1 {
                        problems.push(format!(
                            "{label}: request body offers {} media types ({}); the generator takes exactly one",
                            body.content.len(),
                            body.content.keys().cloned().collect::<Vec<_>>().join(", ")
                        ));
                    }
                    for (media_type, media) in &body.content {
                        if media.schema.is_none() {
                            problems
                                .push(format!("{label}: request body {media_type} has no schema"));
                        }
                        if !media.encoding.is_empty() {
                            problems.push(format!(
                                "{label}: request body {media_type} uses `encoding`, which is not supported"
                            ));
                        }
                    }
                }
            }
        }

        // Responses: resolvable, JSON with a schema and no encoding, one body kind per group.
        let mut groups: [(&str, Vec<(String, Body)>); 2] = [("success", vec![]), ("error", vec![])];
        for (code, response) in op
            .responses
            .responses
            .iter()
            .map(|(c, r)| (Some(c), r))
            .chain(op.responses.default.iter().map(|r| (None, r)))
        {
            let code_label = code.map_or("default".to_owned(), ToString::to_string);
            let response = match resolve_response(response, components) {
                Ok(r) => r,
                Err(e) => {
                    problems.push(format!("{label}: response {code_label}: {e}"));
                    continue;
                }
            };
            for (media_type, media) in &response.content {
                let json =
                    media_type == "application/json" || media_type.starts_with("application/json;");
                if json && media.schema.is_none() {
                    problems.push(format!(
                        "{label}: response {code_label} {media_type} has no schema"
                    ));
                }
                if json && !media.encoding.is_empty() {
                    problems.push(format!(
                        "{label}: response {code_label} {media_type} uses `encoding`, which is not supported"
                    ));
                }
            }
            let body = Body::of(response);
            match code {
                Some(StatusCode::Code(200..=299) | StatusCode::Range(2)) => {
                    groups[0].1.push((code_label, body))
                }
                Some(StatusCode::Code(400..) | StatusCode::Range(4..)) => {
                    groups[1].1.push((code_label, body))
                }
                Some(_) => {}
                // progenitor counts `default` as both a success and an error.
                None => {
                    groups[0].1.push((code_label.clone(), body.clone()));
                    groups[1].1.push((code_label, body));
                }
            }
        }
        for (group, members) in &groups {
            let mut kinds: Vec<&Body> = Vec::new();
            for (_, body) in members {
                if !kinds.contains(&body) {
                    kinds.push(body);
                }
            }
            if kinds.len() > 1 {
                let listing = members
                    .iter()
                    .map(|(code, body)| format!("{code} {}", body.describe()))
                    .collect::<Vec<_>>()
                    .join(", ");
                problems.push(format!(
                    "{label}: {} different {group} bodies ({listing}); the generator allows one",
                    kinds.len()
                ));
            }
        }
    });
    problems
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load_spec_str;

    fn problems(paths: &str) -> Vec<String> {
        let text = format!(
            "openapi: 3.0.3\ninfo: {{title: t, version: '1'}}\npaths:\n{paths}\ncomponents:\n  schemas:\n    A: {{type: string}}\n    B: {{type: integer}}\n"
        );
        check(&load_spec_str(&text, "t.yaml").unwrap())
    }

    #[test]
    fn a_clean_operation_passes() {
        let p = problems(
            "  /a/{id}:\n    parameters: [{name: id, in: path, required: true, schema: {type: string}}]\n    get:\n      operationId: get_a\n      responses: {'200': {description: ok, content: {application/json: {schema: {$ref: '#/components/schemas/A'}}}}}\n",
        );
        assert!(p.is_empty(), "{p:?}");
    }

    #[test]
    fn path_parameter_missing_from_template_or_optional() {
        let p = problems(
            "  /a:\n    get:\n      operationId: get_a\n      parameters: [{name: id, in: path, required: false, schema: {type: string}}]\n      responses: {'200': {description: ok}}\n",
        );
        assert_eq!(
            p,
            [
                "operation get_a: path parameter `id` does not appear in /a",
                "operation get_a: path parameter `id` must be `required: true`",
            ]
        );
    }

    #[test]
    fn request_body_with_two_media_types() {
        let p = problems(
            "  /a:\n    post:\n      operationId: make_a\n      requestBody: {content: {application/json: {schema: {type: object}}, application/x-www-form-urlencoded: {schema: {type: object}}}}\n      responses: {'200': {description: ok}}\n",
        );
        assert_eq!(p.len(), 1);
        assert!(p[0].contains("offers 2 media types"), "{p:?}");
    }

    #[test]
    fn json_response_without_schema() {
        let p = problems(
            "  /a:\n    get:\n      operationId: get_a\n      responses: {'200': {description: ok, content: {application/json: {}}}}\n",
        );
        assert_eq!(
            p,
            ["operation get_a: response 200 application/json has no schema"]
        );
    }

    #[test]
    fn unmerged_success_bodies_are_reported() {
        let p = problems(
            "  /a:\n    post:\n      operationId: book_a\n      responses:\n        '200': {description: ok, content: {application/json: {schema: {$ref: '#/components/schemas/A'}}}}\n        '202': {description: ok, content: {application/json: {schema: {$ref: '#/components/schemas/B'}}}}\n",
        );
        assert_eq!(
            p,
            [
                "operation book_a: 2 different success bodies (200 JSON A, 202 JSON B); the generator allows one"
            ]
        );
    }

    #[test]
    fn default_counts_as_success_and_error() {
        let p = problems(
            "  /a:\n    get:\n      operationId: get_a\n      responses:\n        '200': {description: ok, content: {application/json: {schema: {$ref: '#/components/schemas/A'}}}}\n        default: {description: e, content: {application/json: {schema: {$ref: '#/components/schemas/B'}}}}\n",
        );
        assert_eq!(p.len(), 1, "{p:?}");
        assert!(
            p[0].contains("success bodies (200 JSON A, default JSON B)"),
            "{p:?}"
        );
    }
}
