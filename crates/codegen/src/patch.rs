//! Small, checked rewrites of progenitor's output, for what its settings cannot say.
//!
//! - A builder setter whose value converts into one of parcelkit's validated types
//!   (`IdempotencyKey`, `RequestId`, `AcceptLanguage`, `QuoteId`, `OrderId`) throws the conversion error away and records only
//!   "conversion to `crate :: IdempotencyKey` for idempotency_key failed". Rewritten, it keeps the
//!   error's text, which names the rule the value broke and the offending character or length.
//! - `send()` decodes bodies with `ResponseValue::from_response` (a plain `serde_json::from_slice`
//!   whose error gives a line and column). Rewritten, it calls parcelkit's runtime decoder, which
//!   tolerates a server's drift within reason and names the JSON path of what does not decode.

use crate::walk::{self, Rewrite};
use quote::ToTokens;

/// Generated types whose conversion error is worth keeping too: the team id (an empty one says
/// what is wrong instead of "conversion to `TeamId` for team failed").
pub const EXPLAINED_CONVERSIONS: [&str; 1] = ["types::TeamId"];

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
        .chain(EXPLAINED_CONVERSIONS)
        .find(|type_name| bounds.contains(&format!("TryInto<{type_name}>")))
}

impl Rewrite for SetterPatcher {
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

impl Rewrite for ClosureRewriter {
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
        walk::visit_expr_mut(self, expr);
    }
}

/// The runtime function that decodes a success body, in place of `ResponseValue::from_response`
/// (its first argument the call, `&call`, whose record takes the headers of a body that does not
/// decode).
pub const DECODE_SUCCESS: &str = "crate::runtime::decode::call_success";
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
/// assert!(text.contains("200u16 => crate :: runtime :: decode :: call_success (& call , response) ,"), "{text}");
/// assert!(text.contains("ErrorResponse (crate :: runtime :: decode :: error_response (response) ?"), "{text}");
/// assert!(!text.contains("await"), "{text}");
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

impl Rewrite for DecodePatcher {
    // The body was read by the runtime's `execute`, so decoding it waits for nothing: the
    // `.await` goes with progenitor's call (one level less for the decoded value to pass up).
    fn visit_expr_mut(&mut self, expr: &mut syn::Expr) {
        if let syn::Expr::Await(awaited) = expr
            && let syn::Expr::Call(call) = &*awaited.base
            && is_from_response(call)
        {
            *expr = (*awaited.base).clone();
        }
        walk::visit_expr_mut(self, expr);
    }

    fn visit_expr_call_mut(&mut self, call: &mut syn::ExprCall) {
        if is_from_response(call) {
            let target = if self.inside_error_response {
                DECODE_ERROR
            } else {
                DECODE_SUCCESS
            };
            let path: syn::ExprPath = syn::parse_str(target).expect("a path");
            *call.func = syn::Expr::Path(path);
            if !self.inside_error_response {
                call.args.insert(0, syn::parse_quote!(&call));
            }
            self.changed += 1;
            walk::visit_expr_call_mut(self, call);
        } else if call_tail(call).is_some_and(|(ty, f)| ty == "Error" && f == "ErrorResponse") {
            let outer = std::mem::replace(&mut self.inside_error_response, true);
            walk::visit_expr_call_mut(self, call);
            self.inside_error_response = outer;
        } else {
            walk::visit_expr_call_mut(self, call);
        }
    }
}

/// Whether `call` is progenitor's `ResponseValue::from_response(..)`.
fn is_from_response(call: &syn::ExprCall) -> bool {
    call_tail(call).is_some_and(|(ty, f)| ty == "ResponseValue" && f == "from_response")
}

/// What a rewritten `send()` returns on failure: parcelkit's one error type.
pub const CALL_ERROR: &str = "crate::Error";

/// Makes every builder's `send()` return parcelkit's [`CALL_ERROR`] instead of progenitor's
/// `Error<E>`: the call (`client.inner.for_call()`, held in the call's future) records the final
/// response, and its `finish` assembles the error from progenitor's error and that record.
/// `send()` becomes a plain `fn` returning the boxed call. Returns how many `send()`s were
/// rewritten.
///
/// ```
/// let mut file: syn::File = syn::parse_quote! {
///     impl<'a> GetThing<'a> {
///         pub async fn send(self) -> Result<ResponseValue<types::Thing>, Error<types::Problem>> {
///             let Self { client, id } = self;
///             let mut request = id.map_err(Error::InvalidRequest)?;
///             client.pre(&mut request, &info).await?;
///             let result = client.exec(request, &info).await;
///             client.post(&result, &info).await?;
///             let response = result?;
///             match response.status().as_u16() {
///                 200u16 => crate::runtime::decode::call_success(&call, response),
///                 202u16 => crate::runtime::decode::call_success(&call, response),
///                 400u16 => Err(Error::ErrorResponse(decode::error_response(response).await?)),
///                 404u16 => Err(Error::ErrorResponse(decode::error_response(response).await?)),
///                 _ => Err(Error::UnexpectedResponse(response)),
///             }
///         }
///     }
/// };
/// assert_eq!(parcelkit_codegen::patch::send_returns_call_error(&mut file), 1);
/// let text = quote::ToTokens::to_token_stream(&file).to_string();
/// assert!(text.contains("-> impl std :: future :: Future < Output = Result < ResponseValue < types :: Thing > , crate :: Error > >"), "{text}");
/// assert!(text.contains("let call = client . inner . for_call :: < types :: Problem > () ;"), "{text}");
/// // Sent in an async block; the answer decoded after it, where it is returned.
/// assert!(text.contains("async {"), "{text}");
/// assert!(text.contains("Ok (response) } . await ; match sent { Ok (response) => match"), "{text}");
/// assert!(text.contains("Err (error) => Err (call . fail (error))"), "{text}");
/// // A success arm gives the call's outcome itself; any other goes through `call.finish`.
/// assert!(text.contains("200u16 => crate :: runtime :: decode :: call_success (& call , response) ,"), "{text}");
/// assert!(text.contains("_ => call . finish ((| | -> Result < ResponseValue < types :: Thing > , Error < types :: Problem > > { Err (Error :: UnexpectedResponse (response)) }) ())"), "{text}");
/// // The hooks: `pre` as a plain call, the no-op `post` gone.
/// assert!(text.contains("client . inner . prepare (& mut request) ;"), "{text}");
/// assert!(!text.contains("pre (") && !text.contains("post ("), "{text}");
/// assert!(text.contains("let result = call . execute (& client . client , request , info . operation_id) . await ;"), "{text}");
/// // The request is built in a block of its own, whose locals are gone before it is sent.
/// assert!(text.contains("let (request , info) = { let mut request = id . map_err (Error :: InvalidRequest) ? ; client . inner . prepare (& mut request) ; (request , info) } ;"), "{text}");
/// // One arm for the errors that decode alike; success arms stay apart.
/// assert!(text.contains("400u16 | 404u16 => call . finish ((| | -> Result < ResponseValue < types :: Thing > , Error < types :: Problem > > { Err"), "{text}");
/// assert!(text.contains("200u16 =>") && text.contains("202u16 =>"), "{text}");
/// assert_eq!(text.matches("error_response").count(), 1, "{text}");
///
/// // A body of another shape (no `let response` before a closing expression) is rewritten
/// // whole: one async block, its result made parcelkit's error all the same.
/// let mut other: syn::File = syn::parse_quote! {
///     impl<'a> Ping<'a> {
///         pub async fn send(self) -> Result<ResponseValue<()>, Error<types::Problem>> {
///             let Self { client } = self;
///             Ok(ResponseValue::empty(client.ping().await?))
///         }
///     }
/// };
/// assert_eq!(parcelkit_codegen::patch::send_returns_call_error(&mut other), 1);
/// let text = quote::ToTokens::to_token_stream(&other).to_string();
/// assert!(text.contains("-> impl std :: future :: Future < Output = Result < ResponseValue < () > , crate :: Error > >"), "{text}");
/// assert!(text.contains("let result : Result < ResponseValue < () > , Error < types :: Problem > > = async {"), "{text}");
/// assert!(text.contains("call . finish (result)"), "{text}");
/// assert!(!text.contains("match sent"), "{text}");
/// ```
pub fn send_returns_call_error(file: &mut syn::File) -> usize {
    let mut patcher = SendPatcher { changed: 0 };
    patcher.visit_file_mut(file);
    patcher.changed
}

struct SendPatcher {
    changed: usize,
}

/// `T` and `E` of a `Result<ResponseValue<T>, Error<E>>` return type.
fn send_types(output: &syn::ReturnType) -> Option<(syn::Type, syn::Type)> {
    let syn::ReturnType::Type(_, ty) = output else {
        return None;
    };
    let only_type = |args: Vec<syn::GenericArgument>| match args.as_slice() {
        [syn::GenericArgument::Type(t)] => Some(t.clone()),
        _ => None,
    };
    let args = generic_args(ty, "Result")?;
    let [
        syn::GenericArgument::Type(ok),
        syn::GenericArgument::Type(err),
    ] = args.as_slice()
    else {
        return None;
    };
    let value = only_type(generic_args(ok, "ResponseValue")?)?;
    let body = only_type(generic_args(err, "Error")?)?;
    Some((value, body))
}

/// The generic arguments of a path type whose last segment is `name`.
fn generic_args(ty: &syn::Type, name: &str) -> Option<Vec<syn::GenericArgument>> {
    let syn::Type::Path(path) = ty else {
        return None;
    };
    let last = path.path.segments.last()?;
    if last.ident != name {
        return None;
    }
    match &last.arguments {
        syn::PathArguments::AngleBracketed(args) => Some(args.args.iter().cloned().collect()),
        _ => None,
    }
}

/// Whether `stmt` is `let response = ...;` (progenitor's `let response = result?;`).
fn binds_response(stmt: Option<&syn::Stmt>) -> bool {
    matches!(
        stmt,
        Some(syn::Stmt::Local(syn::Local { pat: syn::Pat::Ident(p), init: Some(_), .. }))
            if p.ident == "response"
    )
}

/// Whether `stmt` is progenitor's `let Self { client, .. } = self;`.
fn destructures_self(stmt: &syn::Stmt) -> bool {
    matches!(
        stmt,
        syn::Stmt::Local(syn::Local { pat: syn::Pat::Struct(p), .. })
            if p.path.is_ident("Self")
                && p.fields.iter().any(|f| matches!(&f.member, syn::Member::Named(n) if n == "client"))
    )
}

impl Rewrite for SendPatcher {
    fn visit_impl_item_fn_mut(&mut self, function: &mut syn::ImplItemFn) {
        if function.sig.ident != "send" || function.sig.asyncness.is_none() {
            return;
        }
        let Some((value, body)) = send_types(&function.sig.output) else {
            return;
        };
        let stmts = std::mem::take(&mut function.block.stmts);
        let Some((first, rest)) = stmts.split_first().filter(|(f, _)| destructures_self(f)) else {
            function.block.stmts = stmts;
            return;
        };
        let rest = slim_call(rest.to_vec());
        let error: syn::Path = syn::parse_str(CALL_ERROR).expect("a path");
        // A plain `fn` returning the boxed call, not an `async fn` awaiting it: the answer, a
        // decoded body of a kilobyte or more, is moved whole at every level it passes through.
        function.sig.asyncness = None;
        function.sig.output = syn::parse_quote!(
            -> impl std::future::Future<Output = Result<ResponseValue<#value>, #error>>
        );
        // The answer is decoded outside the async block that sends: decoding waits for nothing,
        // and a value returned from an async block is moved once more on its way out. Each arm
        // gives the call's outcome itself (see `call_outcomes`).
        let outcome: syn::Expr = match rest.split_last() {
            Some((syn::Stmt::Expr(decode, None), send)) if binds_response(send.last()) => {
                let decode = call_outcomes(decode.clone(), &value, &body);
                syn::parse_quote!({
                    let sent: Result<reqwest::Response, Error<#body>> =
                        async { #(#send)* Ok(response) }.await;
                    match sent {
                        Ok(response) => #decode,
                        Err(error) => Err(call.fail(error)),
                    }
                })
            }
            // Any other shape: the whole body in one async block.
            _ => syn::parse_quote!({
                let result: Result<ResponseValue<#value>, Error<#body>> =
                    async { #(#rest)* }.await;
                call.finish(result)
            }),
        };
        function.block = syn::parse_quote!({
            #first
            // Boxed: the future a caller holds, spawns or joins is a word, not the builder's
            // fields and the request (the attempts are the runtime's own box). Written into
            // its box where it is made (`Box::write`), not made and then copied there.
            Box::into_pin(Box::write(Box::new_uninit(), async move {
                let call = client.inner.for_call::<#body>();
                #outcome
            }))
        });
        self.changed += 1;
    }
}

/// The status `match` of a `send()` with each arm giving the call's outcome
/// (`Result<ResponseValue<value>, crate::Error>`): a success arm's decoder
/// ([`DECODE_SUCCESS`]) gives it already, the answer built where it is returned; any other arm,
/// which gives progenitor's error, goes through `call.finish`. A success answer passed through
/// `finish` would be moved from one `Result` type to another, a copy of a kilobyte or more.
fn call_outcomes(decode: syn::Expr, value: &syn::Type, body: &syn::Type) -> syn::Expr {
    let finished = |outcome: syn::Expr| -> syn::Expr {
        // A closure, for the `?` progenitor's error arms use.
        syn::parse_quote!(
            call.finish((|| -> Result<ResponseValue<#value>, Error<#body>> { #outcome })())
        )
    };
    let syn::Expr::Match(mut status_match) = decode else {
        return finished(decode);
    };
    for arm in &mut status_match.arms {
        if !decodes_success(&arm.body) {
            *arm.body = finished(sole_expression(&arm.body).clone());
        }
    }
    syn::Expr::Match(status_match)
}

/// Whether `expr` is (a block holding only) a call of [`DECODE_SUCCESS`].
fn decodes_success(expr: &syn::Expr) -> bool {
    let syn::Expr::Call(call) = sole_expression(expr) else {
        return false;
    };
    let mut target = DECODE_SUCCESS.rsplit("::");
    call_tail(call).is_some_and(|(module, function)| {
        target.next() == Some(function.as_str()) && target.next() == Some(module.as_str())
    })
}

/// The statements of a `send()` body, lighter to compile and to run:
/// - `client.pre(&mut request, &info).await?` (parcelkit's `pre` hook only fills in headers, and
///   cannot fail) becomes the plain call `client.inner.prepare(&mut request)`;
/// - `client.post(&result, &info).await?` (the default hook: it does nothing) goes;
/// - `client.exec(request, &info).await` calls the runtime's `execute` itself, through the call
///   (`call`, which records the final response): the public hook
///   hands back a response whose body can be read again, which the decoders, taking the bytes
///   the runtime kept, do not need;
/// - consecutive error arms of the status `match` with the same body become one arm
///   (`400u16 | 404u16 => Err(..)`): each arm awaited its own copy of the same decoder. Success
///   arms stay apart: later rules (typed respond-async outcomes) rewrite them one by one.
///
/// Every `.await` dropped is a state of the call's future less, for the compiler to check and the
/// caller to hold.
fn slim_call(stmts: Vec<syn::Stmt>) -> Vec<syn::Stmt> {
    // `client.<hook>(..).await?;`, as the hook's call.
    fn hook_call<'a>(stmt: &'a syn::Stmt, hook: &str) -> Option<&'a syn::ExprMethodCall> {
        let syn::Stmt::Expr(syn::Expr::Try(attempt), Some(_)) = stmt else {
            return None;
        };
        awaited_client_call(&attempt.expr, hook)
    }
    let mut slim = Vec::with_capacity(stmts.len());
    for stmt in stmts {
        if hook_call(&stmt, "post").is_some() {
            continue;
        }
        // The request `pre` was given, filled in by a plain call.
        if let Some(request) = hook_call(&stmt, "pre").and_then(|call| call.args.first()) {
            slim.push(syn::parse_quote!(client.inner.prepare(#request);));
            continue;
        }
        if let Some((result, request)) = exec_call(&stmt) {
            let prepared = prepared_request(std::mem::take(&mut slim), request);
            slim.extend(prepared);
            slim.push(syn::parse_quote!(
                let #result = call.execute(&client.client, #request, info.operation_id).await;
            ));
            continue;
        }
        slim.push(match stmt {
            syn::Stmt::Expr(syn::Expr::Match(mut status_match), None) => {
                status_match.arms = merge_equal_arms(status_match.arms);
                syn::Stmt::Expr(syn::Expr::Match(status_match), None)
            }
            other => other,
        });
    }
    slim
}

/// The statements that build the request, in a block of their own that yields it (and `info`,
/// which names the operation): a local of an async block that was ever borrowed (the request,
/// given to `prepare` as `&mut`; the path parameters, formatted by reference) keeps its place in
/// the call's future past every later `.await`, though it was moved or dropped long before. In
/// a block, each is gone before the request is sent: 400-odd bytes less for every call to move
/// and hold.
fn prepared_request(stmts: Vec<syn::Stmt>, request: &syn::Expr) -> Vec<syn::Stmt> {
    let syn::Expr::Path(name) = request else {
        return stmts;
    };
    if name.path.get_ident().is_none() {
        return stmts;
    }
    vec![syn::parse_quote!(
        let (#request, info) = { #(#stmts)* (#request, info) };
    )]
}

/// `let <result> = client.exec(<request>, &info).await;`: the binding and the request.
fn exec_call(stmt: &syn::Stmt) -> Option<(&syn::Pat, &syn::Expr)> {
    let syn::Stmt::Local(syn::Local {
        pat,
        init: Some(init),
        ..
    }) = stmt
    else {
        return None;
    };
    let call = awaited_client_call(&init.expr, "exec")?;
    Some((pat, call.args.first()?))
}

/// `client.<method>(..).await`, as the method's call.
fn awaited_client_call<'a>(expr: &'a syn::Expr, method: &str) -> Option<&'a syn::ExprMethodCall> {
    let syn::Expr::Await(awaited) = expr else {
        return None;
    };
    match awaited.base.as_ref() {
        syn::Expr::MethodCall(call)
            if call.method == method
                && matches!(call.receiver.as_ref(), syn::Expr::Path(p) if p.path.is_ident("client")) =>
        {
            Some(call)
        }
        _ => None,
    }
}

/// The expression a `{ expr }` block holds, or `expr` itself (a closure's or an arm's body,
/// braced or not).
fn sole_expression(expr: &syn::Expr) -> &syn::Expr {
    match expr {
        syn::Expr::Block(block) => match block.block.stmts.as_slice() {
            [syn::Stmt::Expr(inner, None)] => inner,
            _ => expr,
        },
        _ => expr,
    }
}

/// Joins consecutive error arms (`=> Err(..)`) with the same body and no guard into one
/// or-pattern arm (the wildcard arm stays apart). Consecutive only, so which arm a value takes
/// cannot change.
fn merge_equal_arms(arms: Vec<syn::Arm>) -> Vec<syn::Arm> {
    let is_error = |body: &syn::Expr| matches!(sole_expression(body), syn::Expr::Call(call) if matches!(call.func.as_ref(), syn::Expr::Path(p) if p.path.is_ident("Err")));
    let mergeable = |arm: &syn::Arm| {
        !matches!(arm.pat, syn::Pat::Wild(_) | syn::Pat::Guard(_)) && is_error(&arm.body)
    };
    let mut merged: Vec<(syn::Arm, String)> = Vec::with_capacity(arms.len());
    for arm in arms {
        let body = arm.body.to_token_stream().to_string();
        if let Some((last, last_body)) = merged.last_mut()
            && mergeable(last)
            && mergeable(&arm)
            && *last_body == body
        {
            let mut cases =
                match std::mem::replace(&mut last.pat, syn::Pat::Verbatim(Default::default())) {
                    syn::Pat::Or(or) => or.cases,
                    single => std::iter::once(single).collect(),
                };
            cases.push(arm.pat);
            last.pat = syn::Pat::Or(syn::PatOr {
                attrs: Vec::new(),
                leading_vert: None,
                cases,
            });
            continue;
        }
        merged.push((arm, body));
    }
    merged.into_iter().map(|(arm, _)| arm).collect()
}

/// The generated CLI reports a failed `send()` through `CliConfig::error(&Error<T>)` and
/// `list_end_error(&Error<T>)`; with [`send_returns_call_error`], the error is parcelkit's one
/// (non-generic) type, so those methods take `&Error` (the API module's alias of it). Returns how
/// many methods were rewritten.
///
/// ```
/// let mut file: syn::File = syn::parse_quote! {
///     pub trait CliConfig {
///         fn error<T>(&self, value: &Error<T>) where T: std::fmt::Debug;
///     }
/// };
/// assert_eq!(parcelkit_codegen::patch::cli_reports_call_errors(&mut file), 1);
/// let text = quote::ToTokens::to_token_stream(&file).to_string();
/// assert!(text.contains("fn error (& self , value : & Error) ;"), "{text}");
/// ```
pub fn cli_reports_call_errors(file: &mut syn::File) -> usize {
    let mut patcher = CliErrorPatcher { changed: 0 };
    patcher.visit_file_mut(file);
    patcher.changed
}

struct CliErrorPatcher {
    changed: usize,
}

impl Rewrite for CliErrorPatcher {
    fn visit_trait_item_fn_mut(&mut self, function: &mut syn::TraitItemFn) {
        if !matches!(
            function.sig.ident.to_string().as_str(),
            "error" | "list_end_error"
        ) {
            return;
        }
        let Some(syn::FnArg::Typed(value)) = function.sig.inputs.iter_mut().nth(1) else {
            return;
        };
        let syn::Type::Reference(reference) = &mut *value.ty else {
            return;
        };
        if generic_args(&reference.elem, "Error").is_none() {
            return;
        }
        *reference.elem = syn::parse_quote!(Error);
        function.sig.generics = syn::Generics::default();
        self.changed += 1;
    }
}

/// Lets a builder start from the client's default team (`Client::team(..)`, or
/// `SMARTSEND_TEAM` through `from_env`): the `team` field of every operation builder is
/// initialised from `client.default_team()` instead of "team was not initialized", so an
/// operation needs no `.team(..)` on a team-scoped client. Returns how many builders changed.
///
/// ```
/// let mut file: syn::File = syn::parse_quote! {
///     impl<'a> ListThings<'a> {
///         pub fn new(client: &'a super::Client) -> Self {
///             Self {
///                 client: client,
///                 team: Err("team was not initialized".to_string()),
///             }
///         }
///     }
/// };
/// assert_eq!(parcelkit_codegen::patch::team_from_client(&mut file), 1);
/// let text = quote::ToTokens::to_token_stream(&file).to_string();
/// assert!(text.contains("match client . default_team ()"), "{text}");
/// assert!(text.contains("convert_field (team , \"team\")"), "{text}");
/// ```
pub fn team_from_client(file: &mut syn::File) -> usize {
    let mut patcher = TeamPatcher { changed: 0 };
    patcher.visit_file_mut(file);
    patcher.changed
}

struct TeamPatcher {
    changed: usize,
}

impl Rewrite for TeamPatcher {
    fn visit_impl_item_fn_mut(&mut self, function: &mut syn::ImplItemFn) {
        if function.sig.ident != "new" {
            return;
        }
        walk::visit_impl_item_fn_mut(self, function);
    }

    fn visit_field_value_mut(&mut self, field: &mut syn::FieldValue) {
        let is_team = matches!(&field.member, syn::Member::Named(n) if n == "team");
        let uninitialised = field
            .expr
            .to_token_stream()
            .to_string()
            .contains("team was not initialized");
        if is_team && uninitialised {
            let convert: syn::Path = syn::parse_str(CONVERT_FIELD).expect("a path");
            field.expr = syn::parse_quote!(
                match client.default_team() {
                    Some(team) => #convert(team, "team"),
                    None => Err("team was not initialized".to_string()),
                }
            );
            self.changed += 1;
        }
    }
}

/// The trait an optional text setter takes after [`optional_text_setters`].
pub const OPTIONAL_TEXT: &str = "crate::runtime::OptionalText";

/// Makes every body-builder setter of an optional text field (typify's `where T:
/// TryInto<Option<String>>`, which refuses a plain `&str`) take [`OPTIONAL_TEXT`] instead: a
/// `&str`, a `String`, or an `Option` of either. Returns how many setters were rewritten.
///
/// ```
/// let mut file: syn::File = syn::parse_quote! {
///     impl ShipmentRequest {
///         pub fn reference<T>(mut self, value: T) -> Self
///         where
///             T: ::std::convert::TryInto<::std::option::Option<::std::string::String>>,
///             T::Error: ::std::fmt::Display,
///         {
///             self.reference = value
///                 .try_into()
///                 .map_err(|e| format!("error converting supplied value for reference: {e}"));
///             self
///         }
///     }
/// };
/// assert_eq!(parcelkit_codegen::patch::optional_text_setters(&mut file), 1);
/// let text = quote::ToTokens::to_token_stream(&file).to_string();
/// assert!(text.contains("T : crate :: runtime :: OptionalText"), "{text}");
/// assert!(text.contains("self . reference = Ok (crate :: runtime :: OptionalText :: into_optional_text (value))"), "{text}");
/// ```
pub fn optional_text_setters(file: &mut syn::File) -> usize {
    let mut patcher = OptionalTextPatcher { changed: 0 };
    patcher.visit_file_mut(file);
    patcher.changed
}

struct OptionalTextPatcher {
    changed: usize,
}

impl Rewrite for OptionalTextPatcher {
    fn visit_impl_item_fn_mut(&mut self, function: &mut syn::ImplItemFn) {
        let Some(clause) = &function.sig.generics.where_clause else {
            return;
        };
        let bounds = clause.to_token_stream().to_string().replace(' ', "");
        if !bounds
            .contains("T:::std::convert::TryInto<::std::option::Option<::std::string::String>>")
        {
            return;
        }
        // `self.<field> = value.try_into().map_err(..); self`
        let [syn::Stmt::Expr(syn::Expr::Assign(assign), _), _] = function.block.stmts.as_slice()
        else {
            return;
        };
        let field = assign.left.clone();
        let text: syn::Path = syn::parse_str(OPTIONAL_TEXT).expect("a path");
        function.sig.generics.where_clause = Some(syn::parse_quote!(where T: #text));
        function.block = syn::parse_quote!({
            #field = Ok(#text::into_optional_text(value));
            self
        });
        self.changed += 1;
    }
}

/// Drops the ```` ```ignore ```` templates progenitor writes into each operation's docs
/// (`let response = client.get_inventory().user_id(user_id)...`: placeholder variables that
/// never compile, so rustdoc lists every one as an ignored test). The argument list above each
/// stays. Returns how many templates were removed.
///
/// ```
/// let mut file: syn::File = syn::parse_quote! {
///     impl Client {
///         #[doc = "List things\n\nArguments:\n- `id`: the id\n```ignore\nlet r = client.list().id(id).send().await;\n```"]
///         pub fn list(&self) {}
///     }
/// };
/// assert_eq!(parcelkit_codegen::patch::drop_ignored_templates(&mut file), 1);
/// let text = quote::ToTokens::to_token_stream(&file).to_string();
/// assert!(!text.contains("ignore") && text.contains("Arguments"), "{text}");
/// ```
pub fn drop_ignored_templates(file: &mut syn::File) -> usize {
    let mut patcher = TemplatePatcher { changed: 0 };
    patcher.visit_file_mut(file);
    patcher.changed
}

struct TemplatePatcher {
    changed: usize,
}

impl Rewrite for TemplatePatcher {
    fn visit_attribute_mut(&mut self, attribute: &mut syn::Attribute) {
        let syn::Meta::NameValue(doc) = &mut attribute.meta else {
            return;
        };
        if !doc.path.is_ident("doc") {
            return;
        }
        let syn::Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Str(text),
            ..
        }) = &doc.value
        else {
            return;
        };
        let mut value = text.value();
        let Some(start) = value.find("```ignore") else {
            return;
        };
        let end = value[start + 3..]
            .find("```")
            .map_or(value.len(), |at| start + 3 + at + 3);
        value.replace_range(start..end, "");
        let trimmed = value.trim_end().to_owned();
        doc.value = syn::parse_quote!(#trimmed);
        self.changed += 1;
    }
}

/// Hides progenitor's `Client::new(baseurl, inner)` and `Client::new_with_client(..)` from the
/// docs: a user cannot build the `ClientContext` they take, and `Client::builder()` is the way
/// in. They stay callable (the runtime builds clients through them). Returns how many were
/// hidden.
///
/// ```
/// let mut file: syn::File = syn::parse_quote! {
///     impl Client {
///         pub fn new(baseurl: &str, inner: Context) -> Self { todo!() }
///     }
/// };
/// assert_eq!(parcelkit_codegen::patch::hide_raw_constructors(&mut file), 1);
/// let text = quote::ToTokens::to_token_stream(&file).to_string();
/// assert!(text.contains("# [doc (hidden)]"), "{text}");
/// ```
pub fn hide_raw_constructors(file: &mut syn::File) -> usize {
    let mut patcher = ConstructorPatcher { changed: 0 };
    patcher.visit_file_mut(file);
    patcher.changed
}

struct ConstructorPatcher {
    changed: usize,
}

impl Rewrite for ConstructorPatcher {
    fn visit_impl_item_fn_mut(&mut self, function: &mut syn::ImplItemFn) {
        let takes_base_url = matches!(
            function.sig.inputs.first(),
            Some(syn::FnArg::Typed(arg)) if arg.pat.to_token_stream().to_string() == "baseurl"
        );
        let name = function.sig.ident.to_string();
        if takes_base_url && (name == "new" || name == "new_with_client") {
            function.attrs.push(syn::parse_quote!(#[doc(hidden)]));
            self.changed += 1;
        }
    }
}

/// Replaces typify's `impl Deref<Target = String>` on a string newtype (`TeamId`, a country
/// code, ...) with `as_str()`, `AsRef<str>` and `Display`: through `Deref`, each newtype's page
/// listed every `String` method (hundreds of KB of rustdoc) and a `&TeamId` silently became a
/// `&String`. Returns how many newtypes were changed.
///
/// ```
/// let mut file: syn::File = syn::parse_quote! {
///     pub mod types {
///         pub struct TeamId(::std::string::String);
///         impl ::std::ops::Deref for TeamId {
///             type Target = ::std::string::String;
///             fn deref(&self) -> &::std::string::String { &self.0 }
///         }
///     }
/// };
/// assert_eq!(parcelkit_codegen::patch::string_newtypes_without_deref(&mut file), 1);
/// let text = quote::ToTokens::to_token_stream(&file).to_string();
/// assert!(!text.contains("Deref"), "{text}");
/// assert!(text.contains("pub fn as_str (& self) -> & str"), "{text}");
/// assert!(text.contains("AsRef < str > for TeamId"), "{text}");
/// assert!(text.contains("fmt :: Display for TeamId"), "{text}");
/// ```
pub fn string_newtypes_without_deref(file: &mut syn::File) -> usize {
    let mut patcher = DerefPatcher { changed: 0 };
    patcher.visit_file_mut(file);
    patcher.changed
}

struct DerefPatcher {
    changed: usize,
}

/// The newtype of an `impl Deref for X { type Target = String; .. }`.
fn string_deref_target(item: &syn::Item) -> Option<syn::Type> {
    let syn::Item::Impl(block) = item else {
        return None;
    };
    let (path, _) = block.trait_.as_ref()?;
    if path.segments.last()?.ident != "Deref" {
        return None;
    }
    let target = block.items.iter().find_map(|i| match i {
        syn::ImplItem::Type(t) if t.ident == "Target" => Some(&t.ty),
        _ => None,
    })?;
    let is_string = matches!(target, syn::Type::Path(p)
        if p.path.segments.last().is_some_and(|s| s.ident == "String"));
    is_string.then(|| (*block.self_ty).clone())
}

impl Rewrite for DerefPatcher {
    fn visit_item_mod_mut(&mut self, module: &mut syn::ItemMod) {
        if let Some((_, items)) = module.content.as_mut() {
            let mut rewritten = Vec::with_capacity(items.len());
            for item in std::mem::take(items) {
                let Some(newtype) = string_deref_target(&item) else {
                    rewritten.push(item);
                    continue;
                };
                rewritten.push(syn::parse_quote! {
                    impl #newtype {
                        /// The value as a string slice.
                        pub fn as_str(&self) -> &str {
                            &self.0
                        }
                    }
                });
                rewritten.push(syn::parse_quote! {
                    impl ::std::convert::AsRef<str> for #newtype {
                        fn as_ref(&self) -> &str {
                            &self.0
                        }
                    }
                });
                rewritten.push(syn::parse_quote! {
                    impl ::std::fmt::Display for #newtype {
                        fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                            f.write_str(&self.0)
                        }
                    }
                });
                self.changed += 1;
            }
            *items = rewritten;
        }
        walk::visit_item_mod_mut(self, module);
    }
}

/// Makes typify's body-builder setters of list fields take any iterable of items that convert
/// into the element type: `parcels([ParcelRequest::builder().weight(1.2)])` and a `Vec` of built
/// values both work. typify's own setter wants `TryInto<Vec<ParcelRequest>>`, which a `Vec` of
/// builders never is, and its compiler error names two types called `ParcelRequest`. An item
/// that does not convert is reported with its index (`parcels[1]: no value supplied for
/// weight`). A nullable list's setter sets a list (its default stays `null`). Returns how many
/// setters were rewritten.
///
/// ```
/// let mut file: syn::File = syn::parse_quote! {
///     impl Shipment {
///         pub fn parcels<T>(mut self, value: T) -> Self
///         where
///             T: ::std::convert::TryInto<::std::vec::Vec<super::Parcel>>,
///             T::Error: ::std::fmt::Display,
///         {
///             self.parcels = value.try_into().map_err(|e| format!("error converting supplied value for parcels: {e}"));
///             self
///         }
///     }
/// };
/// assert_eq!(parcelkit_codegen::patch::list_setters_take_items(&mut file), 1);
/// let text = quote::ToTokens::to_token_stream(&file).to_string();
/// assert!(text.contains("T : :: std :: iter :: IntoIterator < Item = I >"), "{text}");
/// assert!(text.contains("I : :: std :: convert :: TryInto < super :: Parcel >"), "{text}");
/// assert!(text.contains("crate :: runtime :: convert_items (value , \"parcels\")"), "{text}");
/// ```
pub fn list_setters_take_items(file: &mut syn::File) -> usize {
    let mut patcher = ListSetterPatcher { changed: 0 };
    patcher.visit_file_mut(file);
    patcher.changed
}

struct ListSetterPatcher {
    changed: usize,
}

/// `X` of a setter's `where T: TryInto<Vec<X>>` bound, the shape typify gives a list field, and
/// whether the field is nullable (`TryInto<Option<Vec<X>>>`).
fn list_element(function: &syn::ImplItemFn) -> Option<(syn::Type, bool)> {
    let generics = &function.sig.generics;
    if generics.params.len() != 1
        || !matches!(generics.params.first(), Some(syn::GenericParam::Type(t)) if t.ident == "T")
    {
        return None;
    }
    generics
        .where_clause
        .as_ref()?
        .predicates
        .iter()
        .find_map(|predicate| {
            let syn::WherePredicate::Type(p) = predicate else {
                return None;
            };
            if p.bounded_ty.to_token_stream().to_string() != "T" {
                return None;
            }
            p.bounds.iter().find_map(|bound| {
                let syn::TypeParamBound::Trait(t) = bound else {
                    return None;
                };
                let last = t.path.segments.last()?;
                if last.ident != "TryInto" {
                    return None;
                }
                let syn::PathArguments::AngleBracketed(args) = &last.arguments else {
                    return None;
                };
                let Some(syn::GenericArgument::Type(target)) = args.args.first() else {
                    return None;
                };
                let option = generic_args(target, "Option");
                let (list, optional) = match option.as_deref() {
                    Some([syn::GenericArgument::Type(inner)]) => (inner, true),
                    _ => (target, false),
                };
                match generic_args(list, "Vec")?.as_slice() {
                    [syn::GenericArgument::Type(element)] => Some((element.clone(), optional)),
                    _ => None,
                }
            })
        })
}

impl Rewrite for ListSetterPatcher {
    fn visit_impl_item_fn_mut(&mut self, function: &mut syn::ImplItemFn) {
        let Some((element, optional)) = list_element(function) else {
            return;
        };
        let field = function.sig.ident.clone();
        let convert: syn::Path = syn::parse_str(CONVERT_ITEMS).expect("a path");
        let what = syn::LitStr::new(&field.to_string(), proc_macro2::Span::call_site());
        function.sig.generics = syn::parse_quote!(<T, I>);
        function.sig.generics.where_clause = Some(syn::parse_quote! {
            where
                T: ::std::iter::IntoIterator<Item = I>,
                I: ::std::convert::TryInto<#element>,
                I::Error: ::std::fmt::Display,
        });
        let collected: syn::Expr = syn::parse_quote!(#convert(value, #what));
        // A nullable list set through its setter is a list: the field's default stays `null`.
        function.block = if optional {
            syn::parse_quote!({
                self.#field = #collected.map(Some);
                self
            })
        } else {
            syn::parse_quote!({
                self.#field = #collected;
                self
            })
        };
        self.changed += 1;
    }
}

/// Drops the `api-version: <the spec's info.version>` header progenitor adds to every request:
/// neither API documents it, and the value is our spec's version, not the vendor's. (It was
/// removed again on every request before; not adding it costs nothing.) Returns how many
/// statements went.
///
/// ```
/// let mut file: syn::File = syn::parse_quote! {
///     fn send() {
///         let mut header_map = HeaderMap::with_capacity(1usize);
///         header_map.append(HeaderName::from_static("api-version"), HeaderValue::from_static(Client::api_version()));
///     }
/// };
/// assert_eq!(parcelkit_codegen::patch::drop_api_version_header(&mut file), 1);
/// let text = quote::ToTokens::to_token_stream(&file).to_string();
/// assert!(!text.contains("api-version"), "{text}");
/// assert!(text.contains("let header_map = :: reqwest :: header :: HeaderMap :: new ()"), "{text}");
/// ```
pub fn drop_api_version_header(file: &mut syn::File) -> usize {
    let mut patcher = ApiVersionPatcher { changed: 0 };
    patcher.visit_file_mut(file);
    patcher.changed
}

struct ApiVersionPatcher {
    changed: usize,
}

impl Rewrite for ApiVersionPatcher {
    fn visit_block_mut(&mut self, block: &mut syn::Block) {
        let before = block.stmts.len();
        block.stmts.retain(|stmt| {
            !matches!(stmt, syn::Stmt::Expr(syn::Expr::MethodCall(call), _)
                if call.method == "append"
                    && call.args.first().is_some_and(|a| a.to_token_stream().to_string().contains("\"api-version\"")))
        });
        let dropped = before - block.stmts.len();
        if dropped > 0 {
            shrink_header_map(block, dropped);
        }
        self.changed += dropped;
        walk::visit_block_mut(self, block);
    }
}

/// The block's `let mut header_map = HeaderMap::with_capacity(N)` sized for `dropped` headers
/// fewer; with none left, an unallocated, immutable `HeaderMap::new()`.
fn shrink_header_map(block: &mut syn::Block, dropped: usize) {
    for stmt in &mut block.stmts {
        let syn::Stmt::Local(local) = stmt else {
            continue;
        };
        let syn::Pat::Ident(name) = &mut local.pat else {
            continue;
        };
        if name.ident != "header_map" {
            continue;
        }
        let Some(init) = &mut local.init else {
            continue;
        };
        let syn::Expr::Call(call) = &mut *init.expr else {
            continue;
        };
        let Some(syn::Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Int(capacity),
            ..
        })) = call.args.first()
        else {
            continue;
        };
        let Ok(capacity) = capacity.base10_parse::<usize>() else {
            continue;
        };
        let left = capacity.saturating_sub(dropped);
        if left == 0 {
            name.mutability = None;
            *init.expr = syn::parse_quote!(::reqwest::header::HeaderMap::new());
        } else {
            let left = syn::LitInt::new(&format!("{left}usize"), proc_macro2::Span::call_site());
            call.args = syn::parse_quote!(#left);
        }
    }
}

/// Drops the flag `--{flag}` from the generated CLI: its `.arg(..)` and the statement that reads
/// it, in every command or only in the functions named in `commands` (`cli_x`, `execute_x`).
/// Returns how many pieces went.
///
/// ```
/// let mut file: syn::File = syn::parse_quote! {
///     impl Cli {
///         pub fn cli_x() -> Command {
///             Command::new("").arg(Arg::new("json-body-template").help("XXX")).arg(Arg::new("team"))
///         }
///     }
/// };
/// assert_eq!(parcelkit_codegen::patch::drop_cli_flag(&mut file, "json-body-template", None), 1);
/// let text = quote::ToTokens::to_token_stream(&file).to_string();
/// assert!(!text.contains("json-body-template") && text.contains("team"), "{text}");
/// ```
pub fn drop_cli_flag(file: &mut syn::File, flag: &str, commands: Option<&[String]>) -> usize {
    let mut dropper = FlagDropper {
        flag: format!("\"{flag}\""),
        commands,
        inside: false,
        changed: 0,
    };
    dropper.visit_file_mut(file);
    dropper.changed
}

struct FlagDropper<'a> {
    /// The flag's name as a string literal in the token text (`"prefer"`).
    flag: String,
    commands: Option<&'a [String]>,
    inside: bool,
    changed: usize,
}

impl FlagDropper<'_> {
    fn mentions_flag(&self, tokens: &impl ToTokens) -> bool {
        tokens.to_token_stream().to_string().contains(&self.flag)
    }
}

impl Rewrite for FlagDropper<'_> {
    fn visit_impl_item_fn_mut(&mut self, function: &mut syn::ImplItemFn) {
        let outer = self.inside;
        self.inside = self
            .commands
            .is_none_or(|c| c.contains(&function.sig.ident.to_string()));
        if self.inside {
            let before = function.block.stmts.len();
            let flag = self.flag.clone();
            function.block.stmts.retain(|stmt| {
                !(matches!(stmt, syn::Stmt::Expr(syn::Expr::If(_), _))
                    && stmt.to_token_stream().to_string().contains(&flag))
            });
            self.changed += before - function.block.stmts.len();
        }
        walk::visit_impl_item_fn_mut(self, function);
        self.inside = outer;
    }

    fn visit_expr_mut(&mut self, expr: &mut syn::Expr) {
        if self.inside
            && let syn::Expr::MethodCall(call) = expr
            && call.method == "arg"
            && call.args.len() == 1
            && self.mentions_flag(&call.args[0])
        {
            *expr = (*call.receiver).clone();
            self.changed += 1;
            self.visit_expr_mut(expr);
            return;
        }
        walk::visit_expr_mut(self, expr);
    }
}

/// Gives each generated CLI command a one-line `about` (the operation's summary, shown by `-h`
/// and in the command list) and keeps the whole description as `long_about` (`--help`,
/// `help CMD`): progenitor puts the full text in `about`, so `parcelkit smartsend -h` printed
/// every operation's description. Returns how many commands were changed.
///
/// ```
/// let mut file: syn::File = syn::parse_quote! {
///     fn cli_x() -> Command { Command::new("").about("Get a thing\n\nThe thing, in full.\n") }
/// };
/// assert_eq!(parcelkit_codegen::patch::cli_short_about(&mut file), 1);
/// let text = quote::ToTokens::to_token_stream(&file).to_string();
/// assert!(text.contains(". about (\"Get a thing\") . long_about (\"Get a thing\\n\\nThe thing, in full.\\n\")"), "{text}");
/// ```
pub fn cli_short_about(file: &mut syn::File) -> usize {
    let mut patcher = AboutPatcher { changed: 0 };
    patcher.visit_file_mut(file);
    patcher.changed
}

struct AboutPatcher {
    changed: usize,
}

impl Rewrite for AboutPatcher {
    fn visit_expr_mut(&mut self, expr: &mut syn::Expr) {
        walk::visit_expr_mut(self, expr);
        let syn::Expr::MethodCall(call) = expr else {
            return;
        };
        if call.method != "about" || call.args.len() != 1 {
            return;
        }
        let Some(syn::Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Str(text),
            ..
        })) = call.args.first()
        else {
            return;
        };
        let full = text.value();
        let Some(summary) = full
            .lines()
            .next()
            .filter(|first| first.len() < full.trim_end().len())
        else {
            return;
        };
        let summary = syn::LitStr::new(summary.trim_end(), text.span());
        let full = text.clone();
        let receiver = &call.receiver;
        *expr = syn::parse_quote!(#receiver.about(#summary).long_about(#full));
        self.changed += 1;
    }
}

/// The runtime's path-segment writer (see [`lighter_calls`]).
pub const PATH_SEGMENT: &str = "crate::runtime::PathSegment";
/// The runtime's message for a required builder field never set (see [`lighter_calls`]).
pub const UNSET_FIELD: &str = "crate::runtime::unset_field";

/// The runtime's conversion of a setter's value (see [`lighter_calls`]).
pub const CONVERT_FIELD: &str = "crate::runtime::convert_field";
/// The runtime's conversion of a setter's value whose error text is not kept (see
/// [`lighter_calls`]).
pub const CONVERT_FIELD_OR: &str = "crate::runtime::convert_field_or";
/// The runtime's conversion of a list setter's items (see [`list_setters_take_items`]).
pub const CONVERT_ITEMS: &str = "crate::runtime::convert_items";

/// Takes out the allocations progenitor and typify spend on every call before anything is sent:
/// - a required field of an operation builder (progenitor's "`x` was not initialized") or of a
///   body builder (typify's "no value supplied for `x`") starts as `Err(String::new())` instead
///   of allocating its message for every builder made; `send()` and the body builder's
///   `TryFrom` write that same message only when the field really was never set
///   ([`UNSET_FIELD`]);
/// - a path parameter goes into the URL as [`PATH_SEGMENT`], percent-encoded as it is written,
///   instead of `encode_path(&x.to_string())` (two strings per parameter);
/// - the URL is the client's base URL, parsed once when the client was built, with the
///   operation's path set (`client.inner.url(format_args!("/things/{}", ..))`), instead of a
///   `format!`ted string that reqwest parses whole, scheme and host included, on every call;
/// - the map of optional headers starts empty (`HeaderMap::new()`, which allocates on the first
///   insert) instead of `HeaderMap::with_capacity(n)` (two allocations, even when no optional
///   header is set);
/// - a setter converts its value with [`CONVERT_FIELD`] (or [`CONVERT_FIELD_OR`] where the
///   conversion's error is not kept), which writes the same message as the
///   `map_err(|e| format!("x: {}", e))` (`map_err(|_| "...".to_string())`) it replaces: lighter
///   to compile, with no closure and no `format!` per setter.
///
/// Returns how many expressions changed.
///
/// ```
/// let mut file: syn::File = syn::parse_quote! {
///     impl<'a> GetThing<'a> {
///         pub fn new(client: &'a super::Client) -> Self {
///             Self { client: client, thing: Err("thing was not initialized".to_string()) }
///         }
///         pub async fn send(self) -> Result<ResponseValue<types::Thing>, Error<types::Problem>> {
///             let Self { client, thing } = self;
///             let thing = thing.map_err(Error::InvalidRequest)?;
///             let url = format!("{}/things/{}", client.baseurl, encode_path(&thing.to_string()),);
///             let mut header_map = ::reqwest::header::HeaderMap::with_capacity(1usize);
///             todo!()
///         }
///         pub fn note<V: TryInto<String>>(mut self, value: V) -> Self where V::Error: Display {
///             self.note = value.try_into().map(Some).map_err(|e| format!("note: {}", e));
///             self
///         }
///         pub fn page<V: TryInto<u32>>(mut self, value: V) -> Self {
///             self.page = value.try_into().map_err(|_| "conversion to `u32` for page failed".to_string());
///             self
///         }
///     }
///     impl Thing {
///         pub fn size<T: TryInto<u8>>(mut self, value: T) -> Self where T::Error: Display {
///             self.size = value.try_into().map_err(|e| {
///                 format!("error converting supplied value for size: {e}")
///             });
///             self
///         }
///     }
///     impl ::std::default::Default for Thing {
///         fn default() -> Self { Self { name: Err("no value supplied for name".to_string()) } }
///     }
///     impl ::std::convert::TryFrom<Thing> for super::Thing {
///         type Error = super::error::ConversionError;
///         fn try_from(value: Thing) -> ::std::result::Result<Self, super::error::ConversionError> {
///             Ok(Self { name: value.name? })
///         }
///     }
/// };
/// assert_eq!(parcelkit_codegen::patch::lighter_calls(&mut file), 10);
/// let text = quote::ToTokens::to_token_stream(&file).to_string();
/// assert!(text.contains("thing : Err (String :: new ())"), "{text}");
/// assert!(text.contains("unset_field (e , \"thing was not initialized\")"), "{text}");
/// assert!(text.contains("let url = client . inner . url (format_args ! (\"/things/{}\" , crate :: runtime :: PathSegment (& thing))) ;"), "{text}");
/// assert!(text.contains("HeaderMap :: new ()"), "{text}");
/// assert!(text.contains("name : Err (String :: new ())"), "{text}");
/// assert!(text.contains("unset_field (e , \"no value supplied for name\")"), "{text}");
/// assert!(text.contains("convert_field (value , \"note\") . map (Some)"), "{text}");
/// assert!(
///     text.contains("convert_field (value , \"error converting supplied value for size\")"),
///     "{text}"
/// );
/// assert!(!text.contains("format ! (\"note"), "{text}");
/// assert!(
///     text.contains("convert_field_or (value , \"conversion to `u32` for page failed\")"),
///     "{text}"
/// );
/// ```
pub fn lighter_calls(file: &mut syn::File) -> usize {
    let mut patcher = LighterCalls::default();
    patcher.visit_file_mut(file);
    // A body builder's `TryFrom` may come before its `Default`: a second pass for those.
    patcher.second_pass = true;
    patcher.visit_file_mut(file);
    patcher.changed
}

#[derive(Default)]
struct LighterCalls {
    /// The required fields (and their messages) of the operation builder being visited.
    required: Vec<(String, String)>,
    /// The required fields (and their messages) of each body builder, by type name.
    body_required: std::collections::HashMap<String, Vec<(String, String)>>,
    /// Whether this is the pass that rewrites body builders' `TryFrom`.
    second_pass: bool,
    changed: usize,
}

impl LighterCalls {
    /// progenitor's `format!("{}/things/{}", client.baseurl, <parameter>..)` as
    /// `client.inner.url(format_args!("/things/{}", <parameter>..))` (the runtime's URL from the
    /// client's parsed base), its parameters rewritten like any other expression.
    fn operation_url(&mut self, mac: &syn::Macro) -> Option<syn::Expr> {
        if !mac.path.is_ident("format") {
            return None;
        }
        let args = macro_arguments(mac)?;
        let mut args = args.into_iter();
        let (
            Some(syn::Expr::Lit(syn::ExprLit {
                lit: syn::Lit::Str(template),
                ..
            })),
            Some(base),
        ) = (args.next(), args.next())
        else {
            return None;
        };
        let path = template.value().strip_prefix("{}")?.to_owned();
        if base.to_token_stream().to_string() != "client . baseurl" || !path.starts_with('/') {
            return None;
        }
        let mut parameters: Vec<syn::Expr> = args.collect();
        for parameter in &mut parameters {
            self.visit_expr_mut(parameter);
        }
        Some(syn::parse_quote!(
            client.inner.url(format_args!(#path, #(#parameters),*))
        ))
    }
}

/// A setter's `value.try_into()[.map(Some)].map_err(|e| format!("what: {}", e))` (progenitor's
/// words, and typify's `"error converting supplied value for x: {e}"`) as
/// `crate::runtime::convert_field(value, "what")[.map(Some)]`, and its
/// `.map_err(|_| "conversion to ... failed".to_string())` as `convert_field_or(value, "...")`:
/// the same message, from one generic function instead of a closure (and a `format!`) per
/// setter.
fn setter_conversion(map_err: &syn::ExprMethodCall) -> Option<syn::Expr> {
    let [syn::Expr::Closure(closure)] = map_err.args.iter().collect::<Vec<_>>().as_slice() else {
        return None;
    };
    let mut inputs = closure.inputs.iter();
    let (Some(input), None) = (inputs.next(), inputs.next()) else {
        return None;
    };
    let (convert, message) = match (input, sole_expression(&closure.body)) {
        // `|_| "conversion to `X` for x failed".to_string()`: the message alone.
        (syn::Pat::Wild(_), syn::Expr::MethodCall(to_string))
            if to_string.method == "to_string" && to_string.args.is_empty() =>
        {
            let syn::Expr::Lit(syn::ExprLit {
                lit: syn::Lit::Str(text),
                ..
            }) = to_string.receiver.as_ref()
            else {
                return None;
            };
            (CONVERT_FIELD_OR, text.value())
        }
        (syn::Pat::Ident(e), syn::Expr::Macro(mac)) if e.ident == "e" && e.subpat.is_none() => {
            (CONVERT_FIELD, format_prefix(&mac.mac)?)
        }
        _ => return None,
    };
    let (conversion, wrap_some) = match map_err.receiver.as_ref() {
        syn::Expr::MethodCall(map)
            if map.method == "map" && map.args.to_token_stream().to_string() == "Some" =>
        {
            (map.receiver.as_ref(), true)
        }
        other => (other, false),
    };
    let syn::Expr::MethodCall(try_into) = conversion else {
        return None;
    };
    if try_into.method != "try_into" || !try_into.args.is_empty() {
        return None;
    }
    let value = &try_into.receiver;
    let convert: syn::Path = syn::parse_str(convert).expect("a path");
    Some(if wrap_some {
        syn::parse_quote!(#convert(#value, #message).map(Some))
    } else {
        syn::parse_quote!(#convert(#value, #message))
    })
}

/// A `format!`-like macro's arguments as expressions (syn leaves a macro's arguments as tokens).
fn macro_arguments(
    mac: &syn::Macro,
) -> Option<syn::punctuated::Punctuated<syn::Expr, syn::Token![,]>> {
    syn::parse::Parser::parse2(
        syn::punctuated::Punctuated::parse_terminated,
        mac.tokens.clone(),
    )
    .ok()
}

/// `what` of `format!("what: {}", e)` or `format!("what: {e}")`, when that is the whole macro.
fn format_prefix(mac: &syn::Macro) -> Option<String> {
    if !mac.path.is_ident("format") {
        return None;
    }
    let args = macro_arguments(mac)?;
    let template = match args.iter().collect::<Vec<_>>().as_slice() {
        [
            syn::Expr::Lit(syn::ExprLit {
                lit: syn::Lit::Str(text),
                ..
            }),
        ] => text.value().strip_suffix(": {e}")?.to_owned(),
        [
            syn::Expr::Lit(syn::ExprLit {
                lit: syn::Lit::Str(text),
                ..
            }),
            syn::Expr::Path(arg),
        ] if arg.path.is_ident("e") => text.value().strip_suffix(": {}")?.to_owned(),
        _ => return None,
    };
    // The prefix is written as it is: no other placeholder, nothing to escape.
    (!template.contains(['{', '}'])).then_some(template)
}

/// The field named by an unset-field initialiser, and the message: `x` and "x was not
/// initialized" of `Err("x was not initialized".to_string())`, or typify's "no value supplied
/// for x".
fn unset_field_initialiser(expr: &syn::Expr) -> Option<(String, String)> {
    let text = expr.to_token_stream().to_string();
    let message = text
        .strip_prefix("Err (\"")?
        .strip_suffix("\" . to_string ())")?;
    let field = message
        .strip_suffix(" was not initialized")
        .or_else(|| message.strip_prefix("no value supplied for "))?;
    Some((field.to_owned(), message.to_owned()))
}

/// `x` of `encode_path(&x.to_string())`.
fn encoded_path_argument(expr: &syn::Expr) -> Option<syn::Expr> {
    let syn::Expr::Call(call) = expr else {
        return None;
    };
    let syn::Expr::Path(func) = call.func.as_ref() else {
        return None;
    };
    if !func.path.is_ident("encode_path") || call.args.len() != 1 {
        return None;
    }
    let syn::Expr::Reference(reference) = &call.args[0] else {
        return None;
    };
    match reference.expr.as_ref() {
        syn::Expr::MethodCall(m) if m.method == "to_string" && m.args.is_empty() => {
            Some((*m.receiver).clone())
        }
        _ => None,
    }
}

/// The last segment of a path type (`ShipmentRequest` of `super::ShipmentRequest`).
fn type_name(ty: &syn::Type) -> Option<String> {
    match ty {
        syn::Type::Path(p) => p.path.segments.last().map(|s| s.ident.to_string()),
        _ => None,
    }
}

/// `T` of an `impl TryFrom<T> for ..` (typify's body-builder conversion).
fn try_from_source(item: &syn::ItemImpl) -> Option<String> {
    let (path, _) = item.trait_.as_ref()?;
    let last = path.segments.last()?;
    if last.ident != "TryFrom" {
        return None;
    }
    match &last.arguments {
        syn::PathArguments::AngleBracketed(args) => match args.args.first()? {
            syn::GenericArgument::Type(ty) => type_name(ty),
            _ => None,
        },
        _ => None,
    }
}

impl LighterCalls {
    /// `value.x?` becomes `value.x.map_err(|e| unset_field(e, ".."))?` for each required `x`.
    fn rewrite_try_from(&mut self, item: &mut syn::ItemImpl, required: &[(String, String)]) {
        struct Fields<'a> {
            required: &'a [(String, String)],
            changed: usize,
        }
        impl Rewrite for Fields<'_> {
            fn visit_field_value_mut(&mut self, field: &mut syn::FieldValue) {
                let syn::Member::Named(name) = &field.member else {
                    return;
                };
                let Some((_, message)) = self.required.iter().find(|(f, _)| name == f) else {
                    return;
                };
                let syn::Expr::Try(attempt) = &field.expr else {
                    return;
                };
                let value = &attempt.expr;
                let unset: syn::Path = syn::parse_str(UNSET_FIELD).expect("a path");
                field.expr = syn::parse_quote!(#value.map_err(|e| #unset(e, #message))?);
                self.changed += 1;
            }
        }
        let mut fields = Fields {
            required,
            changed: 0,
        };
        fields.visit_item_impl_mut(item);
        self.changed += fields.changed;
    }
}

impl Rewrite for LighterCalls {
    fn visit_item_impl_mut(&mut self, item: &mut syn::ItemImpl) {
        if self.second_pass {
            if let Some(source) = try_from_source(item)
                && let Some(required) = self.body_required.get(&source).cloned()
            {
                self.rewrite_try_from(item, &required);
            }
            return;
        }
        // `new` comes before `send` in each operation builder's impl block.
        self.required.clear();
        walk::visit_item_impl_mut(self, item);
        let is_default = item
            .trait_
            .as_ref()
            .and_then(|(path, _)| path.segments.last())
            .is_some_and(|s| s.ident == "Default");
        if is_default && let Some(name) = type_name(&item.self_ty) {
            self.body_required
                .insert(name, std::mem::take(&mut self.required));
        }
        self.required.clear();
    }

    fn visit_field_value_mut(&mut self, field: &mut syn::FieldValue) {
        if let Some((name, message)) = unset_field_initialiser(&field.expr) {
            field.expr = syn::parse_quote!(Err(String::new()));
            self.required.push((name, message));
            self.changed += 1;
        }
        walk::visit_field_value_mut(self, field);
    }

    fn visit_expr_mut(&mut self, expr: &mut syn::Expr) {
        if let syn::Expr::Macro(mac) = expr
            && let Some(url) = self.operation_url(&mac.mac)
        {
            *expr = url;
            self.changed += 1;
            return;
        }
        if let Some(value) = encoded_path_argument(expr) {
            let writer: syn::Path = syn::parse_str(PATH_SEGMENT).expect("a path");
            *expr = syn::parse_quote!(#writer(&#value));
            self.changed += 1;
            return;
        }
        match expr {
            // `x.map_err(Error::InvalidRequest)` of a required field.
            syn::Expr::MethodCall(call)
                if call.method == "map_err"
                    && call.args.len() == 1
                    && call.args[0].to_token_stream().to_string() == "Error :: InvalidRequest" =>
            {
                if let syn::Expr::Path(receiver) = call.receiver.as_ref()
                    && let Some(name) = receiver.path.get_ident().map(ToString::to_string)
                    && let Some((_, message)) = self.required.iter().find(|(f, _)| *f == name)
                {
                    let unset: syn::Path = syn::parse_str(UNSET_FIELD).expect("a path");
                    call.args[0] =
                        syn::parse_quote!(|e| Error::InvalidRequest(#unset(e, #message)));
                    self.changed += 1;
                }
            }
            syn::Expr::MethodCall(call) if call.method == "map_err" => {
                if let Some(converted) = setter_conversion(call) {
                    *expr = converted;
                    self.changed += 1;
                    return;
                }
            }
            syn::Expr::Call(call)
                if call.func.to_token_stream().to_string()
                    == ":: reqwest :: header :: HeaderMap :: with_capacity" =>
            {
                *expr = syn::parse_quote!(::reqwest::header::HeaderMap::new());
                self.changed += 1;
                return;
            }
            _ => {}
        }
        walk::visit_expr_mut(self, expr);
    }

    fn visit_macro_mut(&mut self, mac: &mut syn::Macro) {
        // A URL built in `format!`, whose arguments syn leaves as tokens.
        if !mac.path.is_ident("format") {
            return;
        }
        let Some(mut args) = macro_arguments(mac) else {
            return;
        };
        let before = self.changed;
        for arg in args.iter_mut() {
            self.visit_expr_mut(arg);
        }
        if self.changed != before {
            mac.tokens = args.to_token_stream();
        }
    }
}
