//! Small, checked rewrites of progenitor's output, for what its settings cannot say.
//!
//! - A builder setter whose value converts into one of parcelkit's validated types
//!   (`IdempotencyKey`, `RequestId`, `AcceptLanguage`, `QuoteId`, `OrderId`) throws the conversion error away and records only
//!   "conversion to `crate :: IdempotencyKey` for idempotency_key failed". Rewritten, it keeps the
//!   error's text, which names the rule the value broke and the offending character or length.
//! - `send()` decodes bodies with `ResponseValue::from_response` (a plain `serde_json::from_slice`
//!   whose error gives a line and column). Rewritten, it calls parcelkit's runtime decoder, which
//!   tolerates a server's drift within reason and names the JSON path of what does not decode.

use quote::ToTokens;
use syn::visit_mut::VisitMut;

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
    crate::settings::validated_types()
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

/// The runtime function that decodes a success body, in place of `ResponseValue::from_response`.
pub const DECODE_SUCCESS: &str = "crate::runtime::decode::success";
/// The runtime function that decodes a documented error body (inside `Error::ErrorResponse`).
pub const DECODE_ERROR: &str = "crate::runtime::decode::error_response";

/// Points every `ResponseValue::from_response` call of `file` at parcelkit's decoder
/// ([`DECODE_SUCCESS`], or [`DECODE_ERROR`] inside `Error::ErrorResponse(..)`); returns how many
/// calls were rewritten.
///
/// ```
/// let mut file: syn::File = syn::parse_quote! {
///     fn send() {
///         match status {
///             200u16 => ResponseValue::from_response(response).await,
///             404u16 => Err(Error::ErrorResponse(ResponseValue::from_response(response).await?)),
///             _ => Err(Error::UnexpectedResponse(response)),
///         }
///     }
/// };
/// assert_eq!(parcelkit_codegen::patch::decode_with_runtime(&mut file), 2);
/// let text = quote::ToTokens::to_token_stream(&file).to_string();
/// assert!(text.contains("200u16 => crate :: runtime :: decode :: success (response)"));
/// assert!(text.contains("ErrorResponse (crate :: runtime :: decode :: error_response (response)"));
/// assert!(!text.contains("from_response"));
/// ```
pub fn decode_with_runtime(file: &mut syn::File) -> usize {
    let mut patcher = DecodePatcher {
        inside_error_response: false,
        changed: 0,
    };
    patcher.visit_file_mut(file);
    patcher.changed
}

struct DecodePatcher {
    inside_error_response: bool,
    changed: usize,
}

/// The last two segments of a call's function path (`ResponseValue::from_response`).
fn call_tail(call: &syn::ExprCall) -> Option<(String, String)> {
    let syn::Expr::Path(path) = &*call.func else {
        return None;
    };
    let mut segments = path.path.segments.iter().rev();
    let last = segments.next()?.ident.to_string();
    let before = segments.next()?.ident.to_string();
    Some((before, last))
}

impl VisitMut for DecodePatcher {
    fn visit_expr_call_mut(&mut self, call: &mut syn::ExprCall) {
        match call_tail(call) {
            Some((ty, f)) if ty == "ResponseValue" && f == "from_response" => {
                let target = if self.inside_error_response {
                    DECODE_ERROR
                } else {
                    DECODE_SUCCESS
                };
                let path: syn::ExprPath = syn::parse_str(target).expect("a path");
                *call.func = syn::Expr::Path(path);
                self.changed += 1;
                syn::visit_mut::visit_expr_call_mut(self, call);
            }
            Some((ty, f)) if ty == "Error" && f == "ErrorResponse" => {
                let outer = std::mem::replace(&mut self.inside_error_response, true);
                syn::visit_mut::visit_expr_call_mut(self, call);
                self.inside_error_response = outer;
            }
            _ => syn::visit_mut::visit_expr_call_mut(self, call),
        }
    }
}
