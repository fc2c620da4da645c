//! Builders only for the types a request can carry.
//!
//! typify gives every struct a builder (`types::ShipmentEnvelope::builder()`, with a setter per
//! field, `Default`, and conversions both ways). A caller builds request bodies; response types
//! are decoded, never built field by field, yet their builders were two thirds of all builders
//! and a third of the client's generated code, compiled by every application. This rule keeps a
//! builder where a request body can reach it: the types the operations' body setters take
//! (`types::builder::ShipmentRequest`) and every type inside those, transitively. The others
//! lose `builder()` and `types::builder::X`; they stay constructible as struct literals (their
//! fields are public) or from JSON.

use std::collections::{BTreeSet, HashMap};

use proc_macro2::{TokenStream, TokenTree};
use quote::ToTokens;

/// Removes the builders of types no request body reaches; returns how many were removed.
///
/// ```
/// let mut file: syn::File = syn::parse_quote! {
///     pub mod types {
///         pub struct Order { pub line: Line }
///         pub struct Line { pub sku: String }
///         pub struct Receipt { pub total: u32 }
///         impl Order { pub fn builder() -> builder::Order { Default::default() } }
///         impl Line { pub fn builder() -> builder::Line { Default::default() } }
///         impl Receipt { pub fn builder() -> builder::Receipt { Default::default() } }
///         pub mod builder {
///             pub struct Order { line: Result<super::Line, String> }
///             pub struct Line { sku: Result<String, String> }
///             pub struct Receipt { total: Result<u32, String> }
///             impl Receipt { pub fn total(self, value: u32) -> Self { self } }
///             impl From<super::Receipt> for Receipt { fn from(_: super::Receipt) -> Self { todo!() } }
///         }
///     }
///     pub mod builder {
///         pub struct CreateOrder { body: Result<types::builder::Order, String> }
///     }
/// };
/// assert_eq!(parcelkit_codegen::request_builders::keep_request_builders(&mut file), 1);
/// let text = quote::ToTokens::to_token_stream(&file).to_string();
/// assert!(text.contains("builder :: Line"), "nested request types keep theirs");
/// assert!(!text.contains("Receipt { total : Result"), "{text}");
/// assert!(!text.contains("builder :: Receipt"), "{text}");
/// ```
pub fn keep_request_builders(file: &mut syn::File) -> usize {
    let roots: BTreeSet<String> = file
        .items
        .iter()
        .filter(|item| !is_mod(item, "types"))
        .flat_map(|item| idents_after_builder_path(item.to_token_stream()))
        .collect();
    let Some(types) = file
        .items
        .iter_mut()
        .find_map(|item| mod_content(item, "types"))
    else {
        return 0;
    };
    // Which type names each type of the module mentions (its fields, its variants).
    let names: BTreeSet<String> = types.iter().filter_map(type_name).collect();
    let mentions: HashMap<String, BTreeSet<String>> = types
        .iter()
        .filter_map(|item| {
            let name = type_name(item)?;
            let inside = idents(item.to_token_stream())
                .into_iter()
                .filter(|ident| names.contains(ident) && *ident != name)
                .collect();
            Some((name, inside))
        })
        .collect();
    let mut reachable = BTreeSet::new();
    let mut pending: Vec<String> = roots.into_iter().collect();
    while let Some(name) = pending.pop() {
        if reachable.insert(name.clone()) {
            pending.extend(mentions.get(&name).into_iter().flatten().cloned());
        }
    }
    let Some(builders) = types
        .iter_mut()
        .find_map(|item| mod_content(item, "builder"))
    else {
        return 0;
    };
    let before = builders
        .iter()
        .filter(|item| matches!(item, syn::Item::Struct(_)))
        .count();
    // In `types::builder`: the builder struct and every impl for it (setters, Default, the
    // conversions both ways, whose self type is `X` or `super::X`).
    builders.retain(|item| match item {
        syn::Item::Struct(s) => reachable.contains(&s.ident.to_string()),
        syn::Item::Impl(i) => self_type_name(i).is_none_or(|name| reachable.contains(&name)),
        _ => true,
    });
    let removed = before
        - builders
            .iter()
            .filter(|item| matches!(item, syn::Item::Struct(_)))
            .count();
    // In `types`: `X::builder()` of the types that lost their builder.
    for item in types.iter_mut() {
        if let syn::Item::Impl(block) = item
            && block.trait_.is_none()
            && self_type_name(block).is_some_and(|name| !reachable.contains(&name))
        {
            block.items.retain(
                |member| !matches!(member, syn::ImplItem::Fn(f) if f.sig.ident == "builder"),
            );
        }
    }
    types.retain(|item| !matches!(item, syn::Item::Impl(block) if block.items.is_empty()));
    removed
}

fn is_mod(item: &syn::Item, name: &str) -> bool {
    matches!(item, syn::Item::Mod(m) if m.ident == name)
}

fn mod_content<'a>(item: &'a mut syn::Item, name: &str) -> Option<&'a mut Vec<syn::Item>> {
    match item {
        syn::Item::Mod(m) if m.ident == name => m.content.as_mut().map(|(_, items)| items),
        _ => None,
    }
}

fn type_name(item: &syn::Item) -> Option<String> {
    match item {
        syn::Item::Struct(s) => Some(s.ident.to_string()),
        syn::Item::Enum(e) => Some(e.ident.to_string()),
        _ => None,
    }
}

/// The last segment of an impl's self type (`X` for `X` and for `super::X`).
fn self_type_name(block: &syn::ItemImpl) -> Option<String> {
    match &*block.self_ty {
        syn::Type::Path(path) => path.path.segments.last().map(|s| s.ident.to_string()),
        _ => None,
    }
}

/// Every identifier in `tokens`, groups included.
fn idents(tokens: TokenStream) -> Vec<String> {
    let mut out = Vec::new();
    for token in tokens {
        match token {
            TokenTree::Ident(ident) => out.push(ident.to_string()),
            TokenTree::Group(group) => out.extend(idents(group.stream())),
            _ => {}
        }
    }
    out
}

/// The `X` of every `types::builder::X` in `tokens` (as printed, tokens are spaced: the same
/// reading `patch` uses for paths).
fn idents_after_builder_path(tokens: TokenStream) -> Vec<String> {
    let text = tokens.to_string();
    text.split("types :: builder :: ")
        .skip(1)
        .filter_map(|rest| {
            let name: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            (!name.is_empty()).then_some(name)
        })
        .collect()
}
