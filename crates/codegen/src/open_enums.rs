//! Open string enums: a value the spec does not list decodes instead of failing the response.
//!
//! typify turns a `type: string` + `enum` schema into a closed Rust enum: one unit variant per
//! value, serde derives, and `Display`/`FromStr`/`TryFrom` impls. A vendor that adds a value
//! (a new shipment state, a new currency) then breaks every read of every object that carries it.
//! This rewrite, applied to everything progenitor emits, turns each such enum into an open one:
//!
//! - a catch-all variant, `Unknown(String)`, keeps the received text. If the enum already has a
//!   variant named `Unknown` (a spec value `unknown`), the catch-all is the first of
//!   `UnknownValue`, `UnknownValue2`, `UnknownValue3`, ... that is free;
//! - `Deserialize` maps each documented string to its variant and any other string to the
//!   catch-all (anything that is not a string is still an error); `Serialize` and `Display` write
//!   the wire string, the catch-all's text unchanged;
//! - `FromStr` and `TryFrom<&str>`/`TryFrom<String>` stay strict: they refuse an unlisted value with
//!   an error naming it and the accepted values, so requests carry only documented values unless
//!   the caller builds the catch-all on purpose (the CLI parses its flags through them);
//! - `as_str()` and `is_unknown()` helpers;
//! - `Copy` is dropped (the catch-all owns a `String`);
//! - the `schemars::JsonSchema` derive stays and skips the catch-all, so the derived schema lists
//!   exactly the spec's values ([`crate::derive_gate`] then puts both behind a feature).
//!
//! An enum qualifies when every variant is a unit variant whose serde attributes are at most a
//! `rename`, and it derives both serde traits without container attributes: the shape typify
//! gives a string enum. Anything else (untagged unions, the CLI's clap enums) is left alone.

use std::collections::HashSet;

use proc_macro2::{Span, TokenStream};
use quote::{ToTokens, quote};
use syn::punctuated::Punctuated;

/// The catch-all's name, unless a variant already has it (see the module docs).
pub const CATCH_ALL: &str = "Unknown";

/// Opens every string enum in `file` (at any module depth); returns the names of the enums
/// rewritten, in file order.
///
/// ```
/// let mut file: syn::File = syn::parse_quote! {
///     #[derive(::schemars::JsonSchema, ::serde::Deserialize, ::serde::Serialize, Clone, Copy, Debug)]
///     pub enum Colour {
///         #[serde(rename = "red")]
///         Red,
///     }
/// };
/// assert_eq!(parcelkit_codegen::open_enums::open_string_enums(&mut file), ["Colour"]);
/// let text = quote::ToTokens::to_token_stream(&file).to_string();
/// assert!(text.contains("Unknown (:: std :: string :: String)"));
/// assert!(!text.contains("Copy"));
/// ```
pub fn open_string_enums(file: &mut syn::File) -> Vec<String> {
    let mut opened = Vec::new();
    open_in(&mut file.items, &mut opened);
    opened
}

fn open_in(items: &mut Vec<syn::Item>, opened: &mut Vec<String>) {
    for item in items.iter_mut() {
        if let syn::Item::Mod(module) = item
            && let Some((_, inner)) = &mut module.content
        {
            open_in(inner, opened);
        }
    }
    let candidates: Vec<(usize, StringEnum)> = items
        .iter()
        .enumerate()
        .filter_map(|(i, item)| match item {
            syn::Item::Enum(e) => StringEnum::read(e).map(|s| (i, s)),
            _ => None,
        })
        .collect();
    if candidates.is_empty() {
        return;
    }
    let names: HashSet<String> = candidates.iter().map(|(_, s)| s.name.to_string()).collect();
    // typify's own trait impls for these enums are replaced; remember the error type they use.
    let mut error_types = std::collections::HashMap::new();
    items.retain(|item| match replaced_impl(item, &names) {
        Some((name, error_type)) => {
            if let Some(error_type) = error_type {
                error_types.insert(name, error_type);
            }
            false
        }
        None => true,
    });
    // Indices moved with the removals: find each enum again, then insert its impls after it,
    // from the last so the earlier positions stay valid.
    for (_, string_enum) in candidates.into_iter().rev() {
        let name = string_enum.name.to_string();
        let at = items
            .iter()
            .position(|item| matches!(item, syn::Item::Enum(e) if e.ident == name))
            .expect("the enum is still there");
        let error_type = error_types
            .remove(&name)
            .unwrap_or_else(|| syn::parse_quote!(self::error::ConversionError));
        let syn::Item::Enum(item) = &mut items[at] else {
            unreachable!("found as an enum")
        };
        string_enum.rewrite_enum(item);
        let impls: syn::File =
            syn::parse2(string_enum.impls(&error_type)).expect("the generated impls parse");
        for (offset, new_item) in impls.items.into_iter().enumerate() {
            items.insert(at + 1 + offset, new_item);
        }
        opened.push(name);
    }
    opened.reverse();
}

/// What the rewrite needs to know about one string enum.
struct StringEnum {
    name: syn::Ident,
    /// (variant, its wire string), in declaration order.
    values: Vec<(syn::Ident, String)>,
    catch_all: syn::Ident,
    json_schema: bool,
}

impl StringEnum {
    /// `Some` when `item` has the shape typify gives a string enum.
    fn read(item: &syn::ItemEnum) -> Option<StringEnum> {
        let derives = derives(&item.attrs);
        let derived = |name: &str| derives.iter().any(|p| last_ident(p) == name);
        if !derived("Serialize") || !derived("Deserialize") || has_serde_attr(&item.attrs) {
            return None;
        }
        if item.variants.is_empty() {
            return None;
        }
        let mut values = Vec::new();
        for variant in &item.variants {
            if !matches!(variant.fields, syn::Fields::Unit) || variant.discriminant.is_some() {
                return None;
            }
            let mut wire = variant.ident.to_string();
            for attr in variant.attrs.iter().filter(|a| a.path().is_ident("serde")) {
                wire = serde_rename(attr)?;
            }
            values.push((variant.ident.clone(), wire));
        }
        let taken: HashSet<String> = values.iter().map(|(v, _)| v.to_string()).collect();
        let catch_all = std::iter::once(CATCH_ALL.to_owned())
            .chain((1..).map(|n| match n {
                1 => format!("{CATCH_ALL}Value"),
                n => format!("{CATCH_ALL}Value{n}"),
            }))
            .find(|candidate| !taken.contains(candidate))
            .expect("an unbounded list has a free name");
        Some(StringEnum {
            name: item.ident.clone(),
            values,
            catch_all: syn::Ident::new(&catch_all, Span::call_site()),
            json_schema: derived("JsonSchema"),
        })
    }

    /// Drops the serde derives (replaced by impls) and `Copy`, and adds the catch-all variant.
    fn rewrite_enum(&self, item: &mut syn::ItemEnum) {
        for attr in item
            .attrs
            .iter_mut()
            .filter(|a| a.path().is_ident("derive"))
        {
            let kept: Vec<syn::Path> = derives(std::slice::from_ref(attr))
                .into_iter()
                .filter(|p| !matches!(last_ident(p).as_str(), "Serialize" | "Deserialize" | "Copy"))
                .collect();
            *attr = syn::parse_quote!(#[derive(#(#kept),*)]);
        }
        if !self.json_schema {
            // Without serde's derives nothing else declares the `serde` helper attribute;
            // schemars' derive does, and reads the renames for the schema's values.
            for variant in &mut item.variants {
                variant.attrs.retain(|a| !a.path().is_ident("serde"));
            }
        }
        let catch_all = &self.catch_all;
        let doc = format!(
            " A value this version of the spec does not list, kept as received and serialized \
             back unchanged. Parsing (`FromStr`, `TryFrom`) never makes one: build `{catch_all}` \
             on purpose to send an undocumented value."
        );
        let skip = self.json_schema.then(|| quote!(#[schemars(skip)]));
        item.variants.push(syn::parse_quote! {
            #[doc = #doc]
            #skip
            #catch_all(::std::string::String)
        });
    }

    /// `as_str`, `is_unknown`, `Display`, the serde impls, and strict `FromStr`/`TryFrom`.
    fn impls(&self, error_type: &syn::Type) -> TokenStream {
        let name = &self.name;
        let catch_all = &self.catch_all;
        let variants: Vec<&syn::Ident> = self.values.iter().map(|(v, _)| v).collect();
        let wires: Vec<&str> = self.values.iter().map(|(_, w)| w.as_str()).collect();
        let accepted = wires
            .iter()
            .map(|w| format!("{w:?}"))
            .collect::<Vec<_>>()
            .join(", ");
        let as_str_doc = format!(
            " The value as written on the wire: the spec's string, or the text a \
             [`{name}::{catch_all}`] was received with."
        );
        let is_unknown_doc =
            format!(" Whether this is a value the spec does not list ([`{name}::{catch_all}`]).");
        quote! {
            impl #name {
                #[doc = #as_str_doc]
                pub fn as_str(&self) -> &str {
                    match self {
                        #(Self::#variants => #wires,)*
                        Self::#catch_all(value) => value.as_str(),
                    }
                }

                #[doc = #is_unknown_doc]
                pub fn is_unknown(&self) -> bool {
                    matches!(self, Self::#catch_all(_))
                }
            }

            impl ::std::fmt::Display for #name {
                fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                    f.write_str(self.as_str())
                }
            }

            impl ::serde::Serialize for #name {
                fn serialize<S>(&self, serializer: S) -> ::std::result::Result<S::Ok, S::Error>
                where
                    S: ::serde::Serializer,
                {
                    serializer.serialize_str(self.as_str())
                }
            }

            impl<'de> ::serde::Deserialize<'de> for #name {
                fn deserialize<D>(deserializer: D) -> ::std::result::Result<Self, D::Error>
                where
                    D: ::serde::Deserializer<'de>,
                {
                    let value = <::std::string::String as ::serde::Deserialize>::deserialize(deserializer)?;
                    Ok(match value.as_str() {
                        #(#wires => Self::#variants,)*
                        _ => Self::#catch_all(value),
                    })
                }
            }

            impl ::std::str::FromStr for #name {
                type Err = #error_type;
                fn from_str(value: &str) -> ::std::result::Result<Self, #error_type> {
                    match value {
                        #(#wires => Ok(Self::#variants),)*
                        _ => Err(format!("invalid value {:?}; expected one of {}", value, #accepted).into()),
                    }
                }
            }

            impl ::std::convert::TryFrom<&str> for #name {
                type Error = #error_type;
                fn try_from(value: &str) -> ::std::result::Result<Self, #error_type> {
                    value.parse()
                }
            }

            impl ::std::convert::TryFrom<::std::string::String> for #name {
                type Error = #error_type;
                fn try_from(value: ::std::string::String) -> ::std::result::Result<Self, #error_type> {
                    value.parse()
                }
            }
        }
    }
}

/// For typify's `Display`, `FromStr` or `TryFrom<&str | String>` impl of one of `names`: the
/// enum's name and (for `FromStr`) its error type.
fn replaced_impl(item: &syn::Item, names: &HashSet<String>) -> Option<(String, Option<syn::Type>)> {
    let syn::Item::Impl(block) = item else {
        return None;
    };
    let (trait_path, _) = block.trait_.as_ref()?;
    let syn::Type::Path(self_ty) = &*block.self_ty else {
        return None;
    };
    let name = self_ty.path.get_ident()?.to_string();
    if !names.contains(&name) {
        return None;
    }
    let last = trait_path.segments.last()?;
    match last.ident.to_string().as_str() {
        "Display" => Some((name, None)),
        "FromStr" => {
            let error_type = block.items.iter().find_map(|i| match i {
                syn::ImplItem::Type(t) if t.ident == "Err" => Some(t.ty.clone()),
                _ => None,
            });
            Some((name, error_type))
        }
        "TryFrom" => {
            let argument = last
                .arguments
                .to_token_stream()
                .to_string()
                .replace(' ', "");
            (argument == "<&str>" || argument.ends_with("String>")).then_some((name, None))
        }
        _ => None,
    }
}

/// The paths in an item's `#[derive(...)]` attributes.
fn derives(attrs: &[syn::Attribute]) -> Vec<syn::Path> {
    attrs
        .iter()
        .filter(|a| a.path().is_ident("derive"))
        .filter_map(|a| {
            a.parse_args_with(Punctuated::<syn::Path, syn::Token![,]>::parse_terminated)
                .ok()
        })
        .flatten()
        .collect()
}

fn last_ident(path: &syn::Path) -> String {
    path.segments
        .last()
        .map(|s| s.ident.to_string())
        .unwrap_or_default()
}

fn has_serde_attr(attrs: &[syn::Attribute]) -> bool {
    attrs.iter().any(|a| a.path().is_ident("serde"))
}

/// The string of `#[serde(rename = "...")]`; `None` for any other serde attribute.
fn serde_rename(attr: &syn::Attribute) -> Option<String> {
    let mut renamed = None;
    let mut other = false;
    attr.parse_nested_meta(|meta| {
        if meta.path.is_ident("rename") {
            renamed = Some(meta.value()?.parse::<syn::LitStr>()?.value());
        } else {
            other = true;
        }
        Ok(())
    })
    .ok()?;
    if other { None } else { renamed }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(file: &syn::File) -> String {
        prettyplease::unparse(file)
    }

    fn typify_enum() -> syn::File {
        syn::parse_quote! {
            pub mod types {
                ///Where the shipment is.
                #[derive(
                    ::schemars::JsonSchema, ::serde::Deserialize, ::serde::Serialize,
                    Clone, Copy, Debug, Eq, Hash, Ord, PartialEq, PartialOrd
                )]
                pub enum ShipmentState {
                    #[serde(rename = "open")]
                    Open,
                    #[serde(rename = "booked")]
                    Booked,
                }

                impl ::std::fmt::Display for ShipmentState {
                    fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                        match *self {
                            Self::Open => f.write_str("open"),
                            Self::Booked => f.write_str("booked"),
                        }
                    }
                }

                impl ::std::str::FromStr for ShipmentState {
                    type Err = self::error::ConversionError;
                    fn from_str(value: &str) -> ::std::result::Result<Self, self::error::ConversionError> {
                        match value {
                            "open" => Ok(Self::Open),
                            "booked" => Ok(Self::Booked),
                            _ => Err("invalid value".into()),
                        }
                    }
                }

                impl ::std::convert::TryFrom<&str> for ShipmentState {
                    type Error = self::error::ConversionError;
                    fn try_from(value: &str) -> ::std::result::Result<Self, self::error::ConversionError> {
                        value.parse()
                    }
                }

                impl ::std::convert::TryFrom<::std::string::String> for ShipmentState {
                    type Error = self::error::ConversionError;
                    fn try_from(value: ::std::string::String) -> ::std::result::Result<Self, self::error::ConversionError> {
                        value.parse()
                    }
                }

                impl ::std::default::Default for ShipmentState {
                    fn default() -> Self {
                        ShipmentState::Open
                    }
                }

                #[derive(::serde::Deserialize, ::serde::Serialize, Clone, Debug)]
                #[serde(untagged)]
                pub enum Either {
                    A(u32),
                    B(String),
                }

                #[derive(Clone, Copy, Debug)]
                pub enum NotSerde {
                    One,
                }
            }
        }
    }

    #[test]
    fn a_typify_string_enum_gains_a_catch_all_and_hand_written_impls() {
        let mut file = typify_enum();
        assert_eq!(open_string_enums(&mut file), ["ShipmentState"]);
        let out = text(&file);
        assert!(
            out.contains(
                "#[derive(::schemars::JsonSchema, Clone, Debug, Eq, Hash, Ord, PartialEq, PartialOrd)]"
            ),
            "serde derives and Copy are gone, JsonSchema stays:\n{out}"
        );
        assert!(
            out.contains("#[schemars(skip)]\n        Unknown(::std::string::String),"),
            "{out}"
        );
        assert!(out.contains("A value this version of the spec does not list"));
        // The documented values keep their renames (schemars reads them).
        assert!(out.contains("#[serde(rename = \"open\")]\n        Open,"));
        // typify's impls are replaced, each exactly once.
        for header in [
            "impl ::std::fmt::Display for ShipmentState",
            "impl ::std::str::FromStr for ShipmentState",
            "impl ::std::convert::TryFrom<&str> for ShipmentState",
            "impl ::std::convert::TryFrom<::std::string::String> for ShipmentState",
            "impl ::serde::Serialize for ShipmentState",
            "impl<'de> ::serde::Deserialize<'de> for ShipmentState",
            "pub fn as_str(&self) -> &str",
            "pub fn is_unknown(&self) -> bool",
        ] {
            assert_eq!(out.matches(header).count(), 1, "{header}:\n{out}");
        }
        assert!(!out.contains("match *self"), "typify's Display is gone");
        assert!(!out.contains("Err(\"invalid value\".into())"));
        // Deserialize is open, FromStr strict and naming the accepted values.
        assert!(out.contains("_ => Self::Unknown(value),"), "{out}");
        assert!(
            out.contains(r#""invalid value {:?}; expected one of {}", value,"#)
                && out.contains(r#""\"open\", \"booked\"""#),
            "{out}"
        );
        assert!(out.contains("Self::Unknown(value) => value.as_str(),"));
        assert!(out.contains("type Err = self::error::ConversionError;"));
        // What is not typify's string enum, or not a replaced impl, is untouched.
        assert!(out.contains("impl ::std::default::Default for ShipmentState"));
        assert!(out.contains(
            "#[serde(untagged)]\n    pub enum Either {\n        A(u32),\n        B(String),\n    }"
        ));
        assert!(out.contains(
            "#[derive(Clone, Copy, Debug)]\n    pub enum NotSerde {\n        One,\n    }"
        ));
        // The impls follow the enum.
        let enum_at = out.find("pub enum ShipmentState").unwrap();
        let as_str_at = out.find("pub fn as_str").unwrap();
        let either_at = out.find("pub enum Either").unwrap();
        assert!(enum_at < as_str_at && as_str_at < either_at);
    }

    #[test]
    fn a_spec_value_named_unknown_moves_the_catch_all_aside() {
        let mut file: syn::File = syn::parse_quote! {
            #[derive(::serde::Deserialize, ::serde::Serialize, Clone, Copy)]
            pub enum Carrier {
                #[serde(rename = "unknown")]
                Unknown,
                #[serde(rename = "unknown_value")]
                UnknownValue,
                Gls,
            }
        };
        assert_eq!(open_string_enums(&mut file), ["Carrier"]);
        let out = text(&file);
        assert!(
            out.contains("UnknownValue2(::std::string::String)"),
            "{out}"
        );
        assert!(out.contains("\"unknown\" => Self::Unknown,"), "{out}");
        // A variant without a rename is its own wire string.
        assert!(out.contains("\"Gls\" => Self::Gls,"), "{out}");
        assert!(out.contains("_ => Self::UnknownValue2(value),"));
        // No JsonSchema derive: nothing to skip, and no serde helper attribute left behind.
        assert!(!out.contains("schemars"), "{out}");
        assert!(!out.contains("#[serde("), "{out}");
        assert!(out.contains("#[derive(Clone)]"), "{out}");
    }

    #[test]
    fn enums_of_other_shapes_are_left_alone() {
        let mut file: syn::File = syn::parse_quote! {
            #[derive(::serde::Deserialize, ::serde::Serialize)]
            #[serde(rename_all = "snake_case")]
            pub enum Tagged { One, Two }

            #[derive(::serde::Deserialize, ::serde::Serialize)]
            pub enum WithAlias {
                #[serde(alias = "uno")]
                One,
            }

            #[derive(::serde::Deserialize, ::serde::Serialize)]
            pub enum Numbered { One = 1 }

            #[derive(::serde::Deserialize, ::serde::Serialize)]
            pub enum Empty {}

            #[derive(::serde::Serialize)]
            pub enum SerializeOnly { One }
        };
        let before = text(&file);
        assert_eq!(open_string_enums(&mut file), Vec::<String>::new());
        assert_eq!(text(&file), before);
    }
}
