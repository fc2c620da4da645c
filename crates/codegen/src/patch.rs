//! Small, checked rewrites of progenitor's output, for what its settings cannot say.
//!
//! The one rewrite today: a builder setter whose value converts into one of parcelkit's header
//! types (`IdempotencyKey`, `RequestId`) throws the conversion error away and records only
//! "conversion to `crate :: IdempotencyKey` for idempotency_key failed". Rewritten, it keeps the
//! error's text, which names the rule the value broke and the offending character or length.

use quote::ToTokens;
use syn::visit_mut::VisitMut;

use crate::settings::TOKEN_CONVERSIONS;

/// Rewrites the header-type setters of `file`; returns how many setters were changed.
///
/// ```
/// let mut file: syn::File = syn::parse_quote! {
///     impl B {
///         pub fn idempotency_key<V>(mut self, value: V) -> Self
///         where V: std::convert::TryInto<crate::IdempotencyKey>,
///         {
///             self.idempotency_key = value.try_into().map(Some).map_err(|_| {
///                 "conversion to `crate :: IdempotencyKey` for idempotency_key failed".to_string()
///             });
///             self
///         }
///     }
/// };
/// assert_eq!(parcelkit_codegen::patch::keep_header_conversion_errors(&mut file), 1);
/// let text = quote::ToTokens::to_token_stream(&file).to_string();
/// assert!(text.contains("map_err (| e | format ! (\"idempotency_key: {}\" , e))"));
/// assert!(text.contains("Error : std :: fmt :: Display"));
/// ```
pub fn keep_header_conversion_errors(file: &mut syn::File) -> usize {
    let mut patcher = SetterPatcher { changed: 0 };
    patcher.visit_file_mut(file);
    patcher.changed
}

struct SetterPatcher {
    changed: usize,
}

/// The header type a setter's `where V: TryInto<...>` bound names, if it is one of ours.
fn header_type(function: &syn::ImplItemFn) -> Option<&'static str> {
    let bounds = function
        .sig
        .generics
        .where_clause
        .as_ref()?
        .to_token_stream()
        .to_string()
        .replace(' ', "");
    TOKEN_CONVERSIONS
        .iter()
        .map(|(_, _, type_name)| *type_name)
        .find(|type_name| bounds.contains(&format!("TryInto<{type_name}>")))
}

impl VisitMut for SetterPatcher {
    fn visit_impl_item_fn_mut(&mut self, function: &mut syn::ImplItemFn) {
        let Some(type_name) = header_type(function) else {
            return;
        };
        let target: syn::Type = syn::parse_str(type_name).expect("a conversion target is a type");
        let prefix = syn::LitStr::new(
            &format!("{}: {{}}", function.sig.ident),
            proc_macro2::Span::call_site(),
        );
        let mut closures = ClosureRewriter {
            replacement: syn::parse_quote!(|e| format!(#prefix, e)),
            replaced: 0,
        };
        closures.visit_block_mut(&mut function.block);
        if closures.replaced > 0 {
            function
                .sig
                .generics
                .make_where_clause()
                .predicates
                .push(syn::parse_quote!(
                    <V as std::convert::TryInto<#target>>::Error: std::fmt::Display
                ));
            self.changed += 1;
        }
    }
}

/// Replaces the `|_| "conversion to ... failed".to_string()` closure in a setter's body.
struct ClosureRewriter {
    replacement: syn::Expr,
    replaced: usize,
}

impl VisitMut for ClosureRewriter {
    fn visit_expr_mut(&mut self, expr: &mut syn::Expr) {
        if let syn::Expr::Closure(closure) = expr
            && matches!(closure.inputs.first(), Some(syn::Pat::Wild(_)))
            && closure
                .body
                .to_token_stream()
                .to_string()
                .contains("conversion to")
        {
            *expr = self.replacement.clone();
            self.replaced += 1;
            return;
        }
        syn::visit_mut::visit_expr_mut(self, expr);
    }
}
