//! Typed outcomes for operations that accept `Prefer: respond-async` (RFC 7240).
//!
//! Such an operation answers `200` with the finished resource or, only when the request asked
//! for it, `202` with an operation to poll. progenitor gives it one `send()` returning the merged
//! union of both bodies, so every caller had to handle a `202` it never asked for. The rule here
//! splits the two modes by what the caller chooses:
//! - `send()` never sends `Prefer` and returns the `200` body's type;
//! - `respond_async()` sends `Prefer: respond-async` and hands the request to the API module's
//!   `RespondAsync`, whose `send()` returns the outcome (done, or accepted with a handle).
//!
//! The `prefer` setter becomes private, so the header cannot be set behind `send()`'s back, and
//! the generated CLI loses its `--prefer` flag (its commands print the `200` body).
//! Operations are found in the spec: a `Prefer` header parameter (a string: RFC 7240 preferences
//! are an open list), with JSON `200` and `202` bodies that are component schemas.

use crate::walk::{self, Rewrite};
use heck::ToUpperCamelCase;
use openapiv3::{Components, OpenAPI, Operation, Parameter, PathItem, ReferenceOr, StatusCode};
use quote::format_ident;

use crate::normalise;

/// One operation that accepts `Prefer: respond-async`, by the Rust names of what it generates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AsyncOperation {
    /// The operation id (`book_shipment`).
    pub operation_id: String,
    /// The body type of `200` (`ShipmentEnvelope`): a finished request.
    pub done: String,
    /// The body type of `202` (`OperationEnvelope`): accepted, to poll.
    pub accepted: String,
}

impl AsyncOperation {
    fn builder(&self) -> syn::Ident {
        format_ident!("{}", self.operation_id.to_upper_camel_case())
    }
}

/// The JSON body schema name of `status` in `operation`, when it is a component schema.
fn body_schema<'a>(
    operation: &'a Operation,
    components: Option<&'a Components>,
    status: u16,
) -> Option<&'a str> {
    let response = operation
        .responses
        .responses
        .get(&StatusCode::Code(status))?;
    let response = normalise::resolve_response(response, components).ok()?;
    let (_, media) = response
        .content
        .iter()
        .find(|(media_type, _)| media_type.contains("json"))?;
    match media.schema.as_ref()? {
        ReferenceOr::Reference { reference } => reference.strip_prefix("#/components/schemas/"),
        ReferenceOr::Item(_) => None,
    }
}

/// Whether `operation` (or its path item) declares the header parameter `name`.
fn has_header(
    item: &PathItem,
    operation: &Operation,
    components: Option<&Components>,
    name: &str,
) -> bool {
    item.parameters
        .iter()
        .chain(&operation.parameters)
        .filter_map(|p| normalise::resolve_parameter(p, components))
        .any(|p| matches!(p, Parameter::Header { parameter_data, .. } if parameter_data.name == name))
}

/// Every operation of `spec` that accepts `Prefer: respond-async`, in document order.
///
/// ```
/// let spec = parcelkit_codegen::load_spec_str(r#"
/// openapi: 3.0.3
/// info: {title: t, version: '1'}
/// paths:
///   /things:
///     post:
///       operationId: book_thing
///       parameters: [{in: header, name: Prefer, schema: {type: string}}]
///       responses:
///         '200': {description: done, content: {application/json: {schema: {$ref: '#/components/schemas/Thing'}}}}
///         '202': {description: accepted, content: {application/json: {schema: {$ref: '#/components/schemas/Job'}}}}
/// components:
///   schemas:
///     Thing: {type: object}
///     Job: {type: object}
/// "#, "inline.yaml")?;
/// let ops = parcelkit_codegen::respond_async::operations(&spec);
/// assert_eq!((ops[0].done.as_str(), ops[0].accepted.as_str()), ("Thing", "Job"));
/// # Ok::<(), parcelkit_codegen::CodegenError>(())
/// ```
pub fn operations(spec: &OpenAPI) -> Vec<AsyncOperation> {
    let components = spec.components.as_ref();
    spec.paths
        .iter()
        .filter_map(|(_, item)| item.as_item())
        .flat_map(|item| item.iter().map(move |(_, operation)| (item, operation)))
        // RFC 7240 makes `Prefer` an open list (a server ignores what it does not know), so
        // the spec gives a string, not an enum: the header and the two answers are the sign.
        .filter(|(item, operation)| has_header(item, operation, components, "Prefer"))
        .filter_map(|(_, operation)| {
            Some(AsyncOperation {
                operation_id: operation.operation_id.clone()?,
                done: body_schema(operation, components, 200)?.to_owned(),
                accepted: body_schema(operation, components, 202)?.to_owned(),
            })
        })
        .collect()
}

/// Splits each of `operations`' builders into the two modes (see the module docs); returns how
/// many builders were rewritten. `api_module` is the path of the module holding `RespondAsync`
/// and the `respond_async::Request` trait the builders implement.
pub fn split_client(
    file: &mut syn::File,
    operations: &[AsyncOperation],
    api_module: &str,
) -> usize {
    let module: syn::Path = syn::parse_str(api_module).expect("a module path");
    let mut changed = 0;
    for item in &mut file.items {
        let syn::Item::Mod(builder_mod) = item else {
            continue;
        };
        if builder_mod.ident != "builder" {
            continue;
        }
        let Some((_, items)) = builder_mod.content.as_mut() else {
            continue;
        };
        for operation in operations {
            if let Some(trait_impl) = split_builder(items, operation, &module) {
                items.push(trait_impl);
                changed += 1;
            }
        }
    }
    changed
}

/// Rewrites the inherent impl of `operation`'s builder; returns the trait impl to add beside it.
fn split_builder(
    items: &mut [syn::Item],
    operation: &AsyncOperation,
    module: &syn::Path,
) -> Option<syn::Item> {
    let builder = operation.builder();
    let has_team = items.iter().any(|item| {
        matches!(item, syn::Item::Struct(s) if s.ident == builder
            && s.fields.iter().any(|f| f.ident.as_ref().is_some_and(|i| i == "team")))
    });
    let block = items.iter_mut().find_map(|item| match item {
        syn::Item::Impl(block)
            if block.trait_.is_none()
                && matches!(&*block.self_ty, syn::Type::Path(p)
                    if p.path.segments.last().is_some_and(|s| s.ident == builder)) =>
        {
            Some(block)
        }
        _ => None,
    })?;
    let mut found_send = false;
    let mut found_prefer = false;
    for member in &mut block.items {
        let syn::ImplItem::Fn(function) = member else {
            continue;
        };
        if function.sig.ident == "send" {
            function.sig.ident = format_ident!("send_any");
            function.vis = syn::Visibility::Inherited;
            function.attrs.retain(|a| !a.path().is_ident("doc"));
            DecodeByStatus::new(operation).visit_block_mut(&mut function.block);
            found_send = true;
        } else if function.sig.ident == "prefer" {
            function.vis = syn::Visibility::Inherited;
            found_prefer = true;
        }
    }
    if !(found_send && found_prefer) {
        return None;
    }
    let team: syn::Expr = if has_team {
        syn::parse_quote!(self.team.as_ref().ok().cloned())
    } else {
        syn::parse_quote!(None)
    };
    let done = format_ident!("{}", operation.done);
    let accepted = format_ident!("{}", operation.accepted);
    let success = format_ident!("{}Success", operation.operation_id.to_upper_camel_case());
    let send_doc = format!(
        " Sends the request and returns the finished result (`200`, `{}`). No `Prefer` header \
         is sent, so the server answers when the work is done; for an answer before that, see \
         [`Self::respond_async`].",
        operation.done
    );
    block.items.push(syn::parse_quote! {
        #[doc = #send_doc]
        pub async fn send(self) -> Result<ResponseValue<types::#done>, crate::Error> {
            #module::respond_async::finished(self).await
        }
    });
    block.items.push(syn::parse_quote! {
        /// Asks the server not to wait (`Prefer: respond-async`): the returned request's
        /// `send()` gives the finished result (`200`) or an accepted operation to poll (`202`).
        pub fn respond_async(self) -> #module::RespondAsync<Self> {
            #module::RespondAsync::new(self)
        }
    });
    Some(syn::parse_quote! {
        impl<'a> #module::respond_async::Request for #builder<'a> {
            fn scope(&self) -> (super::Client, Option<types::TeamId>) {
                (self.client.clone(), #team)
            }

            async fn send_preferring(
                self,
                respond_async: bool,
            ) -> Result<ResponseValue<Result<types::#done, types::#accepted>>, crate::Error> {
                let request = if respond_async {
                    self.prefer("respond-async")
                } else {
                    self
                };
                let response = request.send_any().await?;
                // `map` keeps the response's headers: no copy.
                let outcome: Result<_, std::convert::Infallible> =
                    response.map(|body| match body {
                        types::#success::#done(body) => Ok(body),
                        types::#success::#accepted(body) => Err(body),
                    });
                let Ok(outcome) = outcome;
                Ok(outcome)
            }
        }
    })
}

/// Drops the `--prefer` flag of `operations`' generated CLI commands (the builders' `prefer`
/// setter is private: a command prints the `200` body); returns how many flags went.
pub fn split_cli(file: &mut syn::File, operations: &[AsyncOperation]) -> usize {
    let commands: Vec<String> = operations
        .iter()
        .flat_map(|op| {
            [
                format!("cli_{}", op.operation_id),
                format!("execute_{}", op.operation_id),
            ]
        })
        .collect();
    crate::patch::drop_cli_flag(file, "prefer", Some(&commands))
}

/// Decodes `200` and `202` as the type each status has (`ShipmentEnvelope`, `OperationEnvelope`)
/// and wraps it in the union progenitor returns, instead of letting serde try the union's
/// untagged variants one by one on a buffered copy of the body (an eighth of a bulk booking's
/// client time).
struct DecodeByStatus {
    union: syn::Ident,
    by_status: [(u16, syn::Ident); 2],
}

impl DecodeByStatus {
    fn new(operation: &AsyncOperation) -> Self {
        DecodeByStatus {
            union: format_ident!("{}Success", operation.operation_id.to_upper_camel_case()),
            by_status: [
                (200, format_ident!("{}", operation.done)),
                (202, format_ident!("{}", operation.accepted)),
            ],
        }
    }
}

impl Rewrite for DecodeByStatus {
    fn visit_arm_mut(&mut self, arm: &mut syn::Arm) {
        let syn::Pat::Lit(syn::PatLit {
            lit: syn::Lit::Int(status),
            ..
        }) = &arm.pat
        else {
            return walk::visit_arm_mut(self, arm);
        };
        let Some((_, variant)) = self
            .by_status
            .iter()
            .find(|(code, _)| status.base10_parse::<u16>().ok() == Some(*code))
        else {
            return;
        };
        let union = &self.union;
        *arm.body = syn::parse_quote! {
            crate::runtime::decode::call_success::<types::#variant, _>(&call, response)
                .and_then(|value| value.map(types::#union::#variant))
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load_spec_str;

    #[test]
    fn finds_prefer_through_references_and_skips_what_does_not_qualify() {
        let spec = load_spec_str(
            r##"
openapi: 3.0.3
info: {title: t, version: '1'}
paths:
  /jobs:
    parameters: [{$ref: '#/components/parameters/Prefer'}]
    post:
      operationId: start_job
      responses:
        '200': {description: done, content: {application/json: {schema: {$ref: '#/components/schemas/Job'}}}}
        '202': {$ref: '#/components/responses/Accepted'}
    put:
      operationId: inline_answer
      responses:
        '200': {description: done, content: {application/json: {schema: {type: object}}}}
        '202': {$ref: '#/components/responses/Accepted'}
  /reports:
    post:
      operationId: no_prefer
      parameters: [{in: header, name: Request-ID, schema: {type: string}}]
      responses:
        '200': {description: done, content: {application/json: {schema: {$ref: '#/components/schemas/Job'}}}}
        '202': {$ref: '#/components/responses/Accepted'}
    get:
      operationId: prefer_without_202
      parameters: [{in: header, name: Prefer, schema: {type: string}}]
      responses:
        '200': {description: done, content: {application/json: {schema: {$ref: '#/components/schemas/Job'}}}}
components:
  parameters:
    Prefer: {in: header, name: Prefer, schema: {type: string}}
  responses:
    Accepted: {description: accepted, content: {application/json: {schema: {$ref: '#/components/schemas/Operation'}}}}
  schemas:
    Job: {type: object}
    Operation: {type: object}
"##,
            "t.yaml",
        )
        .unwrap();
        assert_eq!(
            operations(&spec),
            vec![AsyncOperation {
                operation_id: "start_job".to_owned(),
                done: "Job".to_owned(),
                accepted: "Operation".to_owned(),
            }]
        );
    }
}
