//! Required-and-nullable fields: a server that leaves one out is read as if it had sent `null`.
//!
//! For a field the schema lists as `required` and `nullable`, typify writes
//! `#[serde(deserialize_with = "::std::option::Option::deserialize")]` on its `Option`: that turns
//! off serde's "a missing `Option` is `None`", so a response without the field fails as a whole.
//! Servers drop null fields often (the issue saw `uri`, `booked_at`, `delivery.carrier_logo_url`,
//! `error_message`), and the field carries no information a `null` would not, so this rewrite
//! removes the attribute: a missing field decodes as `None`.
//!
//! What we send does not change: such a field has no `skip_serializing_if`, so `None` is still
//! written as an explicit `null`. schemars derived these fields as not required before the
//! rewrite and still does (it treats an `Option` field as optional either way), so the
//! conformance suite's derived-schema comparison, which already expects a required + nullable
//! spec field to be an optional, null-accepting field, keeps checking the same thing.

use crate::walk::Rewrite;
use quote::ToTokens;

/// The attribute typify puts on a required, nullable field, as its tokens print without spaces.
const REQUIRED_NULLABLE: &str = "serde(deserialize_with=\"::std::option::Option::deserialize\")";

/// Lets every required, nullable field in `file` be missing on decode; returns how many fields
/// changed.
///
/// ```
/// let mut file: syn::File = syn::parse_quote! {
///     #[derive(::serde::Deserialize, ::serde::Serialize)]
///     pub struct Shipment {
///         #[serde(deserialize_with = "::std::option::Option::deserialize")]
///         pub booked_at: ::std::option::Option<String>,
///     }
/// };
/// assert_eq!(parcelkit_codegen::nullable_fields::tolerate_missing_nullable(&mut file), 1);
/// let text = quote::ToTokens::to_token_stream(&file).to_string();
/// assert!(!text.contains("deserialize_with"));
/// ```
pub fn tolerate_missing_nullable(file: &mut syn::File) -> usize {
    let mut fields = Fields { changed: 0 };
    fields.visit_file_mut(file);
    fields.changed
}

struct Fields {
    changed: usize,
}

fn is_option(ty: &syn::Type) -> bool {
    matches!(ty, syn::Type::Path(p) if p.path.segments.last().is_some_and(|s| s.ident == "Option"))
}

impl Rewrite for Fields {
    fn visit_field_mut(&mut self, field: &mut syn::Field) {
        if !is_option(&field.ty) {
            return;
        }
        let before = field.attrs.len();
        field.attrs.retain(|attr| {
            attr.meta.to_token_stream().to_string().replace(' ', "") != REQUIRED_NULLABLE
        });
        self.changed += before - field.attrs.len();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_required_nullable_marker_on_an_option_goes() {
        let mut file: syn::File = syn::parse_quote! {
            pub mod types {
                pub struct Shipment {
                    #[doc = "When booked."]
                    #[serde(deserialize_with = "::std::option::Option::deserialize")]
                    pub booked_at: ::std::option::Option<String>,
                    #[serde(default, skip_serializing_if = "::std::option::Option::is_none")]
                    pub reference: ::std::option::Option<String>,
                    #[serde(deserialize_with = "other::deserialize")]
                    pub odd: ::std::option::Option<String>,
                    #[serde(deserialize_with = "::std::option::Option::deserialize")]
                    pub not_an_option: String,
                }
            }
        };
        assert_eq!(tolerate_missing_nullable(&mut file), 1);
        let out = prettyplease::unparse(&file);
        assert!(
            out.contains("///When booked.\n        pub booked_at: ::std::option::Option<String>,"),
            "{out}"
        );
        assert!(out.contains("skip_serializing_if = \"::std::option::Option::is_none\""));
        assert!(out.contains("#[serde(deserialize_with = \"other::deserialize\")]"));
        assert!(out.contains(
            "#[serde(deserialize_with = \"::std::option::Option::deserialize\")]\n        pub not_an_option"
        ));
    }
}
