//! Test-only derives behind a cargo feature of the generated crate.
//!
//! The generated types derive `schemars::JsonSchema` so that the conformance tests can hold the
//! Rust types against the spec. No user of the client needs it, and schemars with its derive
//! costs every user compile time. This rewrite, applied to everything progenitor emits, moves
//! the derive behind [`JSON_SCHEMA_FEATURE`]:
//!
//! - `#[derive(.., ::schemars::JsonSchema, ..)]` loses `JsonSchema`, and a
//!   `#[cfg_attr(feature = "json-schema", derive(::schemars::JsonSchema))]` follows it;
//! - every `#[schemars(..)]` helper attribute (on the type, a field or a variant) becomes
//!   `#[cfg_attr(feature = "json-schema", schemars(..))]`: without the derive nothing declares it;
//! - where no serde derive is left to declare `#[serde(..)]` (an open enum, whose serde impls are
//!   written out by [`crate::open_enums`], keeps its renames for schemars alone), the `serde`
//!   attributes are gated the same way;
//! - a `T: schemars::JsonSchema` bound (progenitor's CLI generator puts one on every method of
//!   its `CliConfig` trait) is removed: nothing calls a schemars method through it, and the CLI
//!   then builds against the client without the feature.

use crate::walk::{self, Rewrite};
use syn::punctuated::Punctuated;

/// The cargo feature of the `parcelkit` crate that turns the `JsonSchema` derives on.
pub const JSON_SCHEMA_FEATURE: &str = "json-schema";

/// Moves every `JsonSchema` derive of `file` (and the helper attributes that depend on it) behind
/// [`JSON_SCHEMA_FEATURE`]; returns how many types were changed.
///
/// ```
/// let mut file: syn::File = syn::parse_quote! {
///     #[derive(::schemars::JsonSchema, Clone, Debug)]
///     pub enum Colour {
///         #[serde(rename = "red")]
///         Red,
///         #[schemars(skip)]
///         Unknown(String),
///     }
/// };
/// assert_eq!(parcelkit_codegen::derive_gate::gate_json_schema(&mut file), 1);
/// let text = quote::ToTokens::to_token_stream(&file).to_string();
/// assert!(text.starts_with("# [derive (Clone , Debug)] # [cfg_attr (feature = \"json-schema\" , derive (:: schemars :: JsonSchema))]"));
/// assert!(text.contains("# [cfg_attr (feature = \"json-schema\" , schemars (skip))]"));
/// assert!(text.contains("# [cfg_attr (feature = \"json-schema\" , serde (rename = \"red\"))]"));
/// ```
pub fn gate_json_schema(file: &mut syn::File) -> usize {
    let mut gate = Gate { gated: 0 };
    gate.visit_file_mut(file);
    gate.gated
}

/// Removes every `JsonSchema` trait bound (in generics and `where` clauses) from `file`; returns
/// how many bounds were removed.
///
/// ```
/// let mut file: syn::File = syn::parse_quote! {
///     pub trait CliConfig {
///         fn item<T>(&self, value: &T)
///         where
///             T: schemars::JsonSchema + serde::Serialize;
///     }
/// };
/// assert_eq!(parcelkit_codegen::derive_gate::strip_json_schema_bounds(&mut file), 1);
/// let text = quote::ToTokens::to_token_stream(&file).to_string();
/// assert!(text.contains("where T : serde :: Serialize ;"), "{text}");
/// ```
pub fn strip_json_schema_bounds(file: &mut syn::File) -> usize {
    let mut stripper = BoundStripper { removed: 0 };
    stripper.visit_file_mut(file);
    stripper.removed
}

fn is_json_schema(path: &syn::Path) -> bool {
    path.segments
        .last()
        .is_some_and(|segment| segment.ident == "JsonSchema")
}

fn derives(attr: &syn::Attribute) -> Option<Punctuated<syn::Path, syn::Token![,]>> {
    if !attr.path().is_ident("derive") {
        return None;
    }
    attr.parse_args_with(Punctuated::parse_terminated).ok()
}

fn gated(attr: &syn::Attribute) -> syn::Attribute {
    let meta = &attr.meta;
    syn::parse_quote!(#[cfg_attr(feature = #JSON_SCHEMA_FEATURE, #meta)])
}

/// Gates the `schemars` helpers of `attrs`, and the `serde` ones when no serde derive is left.
fn gate_helpers(attrs: &mut [syn::Attribute], serde_derived: bool) {
    for attr in attrs {
        if attr.path().is_ident("schemars") || (!serde_derived && attr.path().is_ident("serde")) {
            *attr = gated(attr);
        }
    }
}

/// Rewrites a type's own attributes; `Some(serde derived)` when it derived `JsonSchema`.
fn gate_container(attrs: &mut Vec<syn::Attribute>) -> Option<bool> {
    let position = attrs
        .iter()
        .position(|a| derives(a).is_some_and(|paths| paths.iter().any(is_json_schema)))?;
    let paths = derives(&attrs[position]).expect("found above");
    let (schema, kept): (Vec<syn::Path>, Vec<syn::Path>) =
        paths.into_iter().partition(is_json_schema);
    let schema = &schema[0];
    let gated_derive: syn::Attribute =
        syn::parse_quote!(#[cfg_attr(feature = #JSON_SCHEMA_FEATURE, derive(#schema))]);
    if kept.is_empty() {
        attrs[position] = gated_derive;
    } else {
        attrs[position] = syn::parse_quote!(#[derive(#(#kept),*)]);
        attrs.insert(position + 1, gated_derive);
    }
    let serde_derived = attrs.iter().filter_map(derives).any(|paths| {
        paths.iter().any(|p| {
            p.segments
                .last()
                .is_some_and(|s| s.ident == "Serialize" || s.ident == "Deserialize")
        })
    });
    gate_helpers(attrs, serde_derived);
    Some(serde_derived)
}

fn gate_fields(fields: &mut syn::Fields, serde_derived: bool) {
    for field in fields.iter_mut() {
        gate_helpers(&mut field.attrs, serde_derived);
    }
}

struct Gate {
    gated: usize,
}

impl Rewrite for Gate {
    fn visit_item_struct_mut(&mut self, item: &mut syn::ItemStruct) {
        if let Some(serde_derived) = gate_container(&mut item.attrs) {
            gate_fields(&mut item.fields, serde_derived);
            self.gated += 1;
        }
    }

    fn visit_item_enum_mut(&mut self, item: &mut syn::ItemEnum) {
        if let Some(serde_derived) = gate_container(&mut item.attrs) {
            for variant in &mut item.variants {
                gate_helpers(&mut variant.attrs, serde_derived);
                gate_fields(&mut variant.fields, serde_derived);
            }
            self.gated += 1;
        }
    }
}

struct BoundStripper {
    removed: usize,
}

impl BoundStripper {
    fn strip(&mut self, bounds: &mut Punctuated<syn::TypeParamBound, syn::Token![+]>) {
        let before = bounds.len();
        *bounds = std::mem::take(bounds)
            .into_iter()
            .filter(
                |bound| !matches!(bound, syn::TypeParamBound::Trait(t) if is_json_schema(&t.path)),
            )
            .collect();
        self.removed += before - bounds.len();
    }
}

impl Rewrite for BoundStripper {
    fn visit_type_param_mut(&mut self, param: &mut syn::TypeParam) {
        self.strip(&mut param.bounds);
        walk::visit_type_param_mut(self, param);
    }

    fn visit_predicate_type_mut(&mut self, predicate: &mut syn::PredicateType) {
        self.strip(&mut predicate.bounds);
        walk::visit_predicate_type_mut(self, predicate);
    }
}

#[cfg(test)]
mod tests {
    use quote::ToTokens;

    use super::*;

    fn text(file: &syn::File) -> String {
        prettyplease::unparse(file)
    }

    #[test]
    fn a_derive_of_json_schema_alone_becomes_the_gated_derive() {
        let mut file: syn::File = syn::parse_quote! {
            #[derive(::schemars::JsonSchema)]
            #[serde(transparent)]
            pub struct Id(String);
        };
        assert_eq!(gate_json_schema(&mut file), 1);
        let out = text(&file);
        assert!(
            out.starts_with(
                "#[cfg_attr(feature = \"json-schema\", derive(::schemars::JsonSchema))]\n\
                 #[cfg_attr(feature = \"json-schema\", serde(transparent))]\n"
            ),
            "{out}"
        );
    }

    #[test]
    fn serde_attributes_stay_while_serde_derives_them() {
        let mut file: syn::File = syn::parse_quote! {
            #[derive(::serde::Deserialize, ::schemars::JsonSchema, ::serde::Serialize)]
            pub struct Parcel {
                #[serde(default)]
                #[schemars(with = "String")]
                pub reference: Option<String>,
            }
        };
        assert_eq!(gate_json_schema(&mut file), 1);
        let out = text(&file);
        assert!(
            out.starts_with(
                "#[derive(::serde::Deserialize, ::serde::Serialize)]\n\
                 #[cfg_attr(feature = \"json-schema\", derive(::schemars::JsonSchema))]\n"
            ),
            "{out}"
        );
        assert!(out.contains("    #[serde(default)]\n"), "{out}");
        assert!(
            out.contains(
                "    #[cfg_attr(feature = \"json-schema\", schemars(with = \"String\"))]\n"
            ),
            "{out}"
        );
    }

    #[test]
    fn types_without_the_derive_are_left_alone() {
        let mut file: syn::File = syn::parse_quote! {
            #[derive(Clone, Debug)]
            pub enum Plain {
                #[serde(rename = "a")]
                A,
            }
        };
        let before = file.to_token_stream().to_string();
        assert_eq!(gate_json_schema(&mut file), 0);
        assert_eq!(file.to_token_stream().to_string(), before);
    }

    #[test]
    fn nested_modules_are_reached() {
        let mut file: syn::File = syn::parse_quote! {
            pub mod types {
                #[derive(schemars::JsonSchema, Debug)]
                pub struct A;
            }
        };
        assert_eq!(gate_json_schema(&mut file), 1);
        assert!(!text(&file).contains("#[derive(schemars::JsonSchema"));
    }

    #[test]
    fn bounds_in_generics_and_where_clauses_are_removed() {
        let mut file: syn::File = syn::parse_quote! {
            fn a<T: schemars::JsonSchema + Clone>(t: T) {}
            fn b<T>(t: T) where T: ::schemars::JsonSchema {}
            fn c<T: Clone>(t: T) {}
        };
        assert_eq!(strip_json_schema_bounds(&mut file), 2);
        let out = text(&file);
        assert!(!out.contains("JsonSchema"), "{out}");
        assert!(out.contains("fn a<T: Clone>(t: T)"), "{out}");
        assert!(out.contains("fn c<T: Clone>(t: T)"), "{out}");
    }
}
