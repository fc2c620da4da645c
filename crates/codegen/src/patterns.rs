//! String `pattern`s checked by plain Rust instead of a regex engine at run time.
//!
//! typify checks a `pattern` with `regress`, a whole ECMAScript regex engine that every user of
//! parcelkit would compile (about 5 s of CPU in a fresh debug build) for the two patterns the
//! specs give generated types: `^[A-Z]{2}$` (country codes) and `^[A-Z]{3}$` (currency codes).
//! This rule compiles each such pattern, at generation time, into a length check and a
//! character-class check, and removes the engine.
//!
//! Only what can be checked exactly is compiled: an anchored pattern made of one character class
//! (ranges and single characters, escapes allowed) with a quantifier (`{n}`, `{m,n}`, `{m,}`, `?`,
//! `*`, `+`). Any other pattern on a generated type fails the generation with a message that names
//! it: extend [`PatternCheck::parse`] rather than let a check go missing. Patterns on the types
//! parcelkit replaces by hand-written ones (the ids, Idempotency-Key, Request-ID) never reach
//! this rule.

use crate::walk::{self, Rewrite};
use proc_macro2::TokenStream;
use quote::{ToTokens, quote};

/// A pattern of the form `^[class]{min,max}$`: the whole value is `min..=max` characters, each in
/// the class.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatternCheck {
    /// Inclusive character ranges; a single character is a range of one.
    pub ranges: Vec<(char, char)>,
    /// Fewest characters.
    pub min: usize,
    /// Most characters; `None` for no upper bound.
    pub max: Option<usize>,
}

impl PatternCheck {
    /// Parses `pattern`, or says why it is not in the subset this rule compiles.
    ///
    /// ```
    /// use parcelkit_codegen::patterns::PatternCheck;
    ///
    /// let check = PatternCheck::parse("^[A-Za-z0-9._-]{1,128}$").unwrap();
    /// assert!(check.matches("order-5521.v2"));
    /// assert!(!check.matches("order 5521"));
    /// assert!(PatternCheck::parse("^.*_rate_.*$").is_err());
    /// ```
    pub fn parse(pattern: &str) -> Result<Self, String> {
        let unsupported = |why: &str| {
            format!(
                "pattern `{pattern}` is not one parcelkit-codegen can check without a regex \
                 engine ({why}); supported: ^[class]{{m,n}}$"
            )
        };
        let Some(body) = pattern
            .strip_prefix('^')
            .and_then(|rest| rest.strip_suffix('$'))
        else {
            return Err(unsupported("it must be anchored with ^ and $"));
        };
        let Some(class_and_quantifier) = body.strip_prefix('[') else {
            return Err(unsupported("it must be one character class"));
        };
        let mut chars = class_and_quantifier.chars().peekable();
        if chars.peek() == Some(&'^') {
            return Err(unsupported("negated classes are not supported"));
        }
        let mut members = Vec::new();
        loop {
            match chars.next() {
                None => return Err(unsupported("the class is not closed")),
                Some(']') => break,
                Some('\\') => match chars.next() {
                    Some(c) if c.is_ascii_punctuation() => members.push((c, true)),
                    _ => return Err(unsupported("only punctuation may be escaped in the class")),
                },
                Some('[') => return Err(unsupported("nested classes are not supported")),
                Some(c) => members.push((c, false)),
            }
        }
        let ranges = class_ranges(&members).map_err(|why| unsupported(&why))?;
        let quantifier: String = chars.collect();
        let (min, max) = match quantifier.as_str() {
            "" => (1, Some(1)),
            "?" => (0, Some(1)),
            "*" => (0, None),
            "+" => (1, None),
            braced => match parse_braces(braced) {
                Some(bounds) => bounds,
                None => {
                    return Err(unsupported(
                        "the quantifier is not one of ? * + {n} {m,} {m,n}",
                    ));
                }
            },
        };
        if max.is_some_and(|max| max < min) {
            return Err(unsupported("the quantifier's maximum is below its minimum"));
        }
        Ok(Self { ranges, min, max })
    }

    /// Whether `value` matches; what the generated check computes.
    pub fn matches(&self, value: &str) -> bool {
        let length = value.chars().count();
        length >= self.min
            && self.max.is_none_or(|max| length <= max)
            && value
                .chars()
                .all(|c| self.ranges.iter().any(|&(low, high)| low <= c && c <= high))
    }

    /// The check as an expression over `value` (a `&str`), true when it matches.
    pub fn to_expression(&self, value: &syn::Expr) -> TokenStream {
        let arms = self.ranges.iter().map(|&(low, high)| {
            if low == high {
                quote!(#low)
            } else {
                quote!(#low..=#high)
            }
        });
        let min = self.min;
        let length = match self.max {
            Some(max) if max == min => quote!(length == #min),
            Some(max) => quote!((#min..=#max).contains(&length)),
            None => quote!(length >= #min),
        };
        quote! {{
            let value: &str = #value;
            let length = value.chars().count();
            #length && value.chars().all(|c| matches!(c, #(#arms)|*))
        }}
    }
}

/// The class's members (each with whether it was escaped) as ranges: `a-z` is a range; a `-`
/// first, last or escaped is itself.
fn class_ranges(members: &[(char, bool)]) -> Result<Vec<(char, char)>, String> {
    if members.is_empty() {
        return Err("the class is empty".to_owned());
    }
    let mut ranges = Vec::new();
    let mut i = 0;
    while i < members.len() {
        if i + 2 < members.len() && members[i + 1] == ('-', false) {
            let (low, high) = (members[i].0, members[i + 2].0);
            if high < low {
                return Err(format!("the range {low}-{high} is reversed"));
            }
            ranges.push((low, high));
            i += 3;
        } else {
            ranges.push((members[i].0, members[i].0));
            i += 1;
        }
    }
    Ok(ranges)
}

/// `{n}`, `{m,}` or `{m,n}`.
fn parse_braces(text: &str) -> Option<(usize, Option<usize>)> {
    let inner = text.strip_prefix('{')?.strip_suffix('}')?;
    match inner.split_once(',') {
        None => {
            let n = inner.parse().ok()?;
            Some((n, Some(n)))
        }
        Some((min, "")) => Some((min.parse().ok()?, None)),
        Some((min, max)) => Some((min.parse().ok()?, Some(max.parse().ok()?))),
    }
}

/// Replaces every `regress` pattern check in `file` by its compiled check; returns how many were
/// replaced, or the first pattern that cannot be compiled.
///
/// The shape rewritten is typify's:
///
/// ```
/// let mut file: syn::File = syn::parse_quote! {
///     impl std::str::FromStr for CountryCode {
///         type Err = ConversionError;
///         fn from_str(value: &str) -> Result<Self, ConversionError> {
///             static PATTERN: std::sync::LazyLock<regress::Regex> =
///                 std::sync::LazyLock::new(|| regress::Regex::new("^[A-Z]{2}$").unwrap());
///             if PATTERN.find(value).is_none() {
///                 return Err("doesn't match pattern \"^[A-Z]{2}$\"".into());
///             }
///             Ok(Self(value.to_string()))
///         }
///     }
/// };
/// assert_eq!(parcelkit_codegen::patterns::compile_pattern_checks(&mut file), Ok(1));
/// let text = quote::ToTokens::to_token_stream(&file).to_string();
/// assert!(!text.contains("regress"), "{text}");
/// assert!(text.contains("'A' ..= 'Z'"), "{text}");
/// ```
pub fn compile_pattern_checks(file: &mut syn::File) -> Result<usize, String> {
    let mut compiler = PatternCompiler {
        replaced: 0,
        error: None,
    };
    compiler.visit_file_mut(file);
    match compiler.error {
        Some(error) => Err(error),
        None => Ok(compiler.replaced),
    }
}

struct PatternCompiler {
    replaced: usize,
    error: Option<String>,
}

impl Rewrite for PatternCompiler {
    fn visit_block_mut(&mut self, block: &mut syn::Block) {
        walk::visit_block_mut(self, block);
        // Every pattern static of the block, each replaced where it is used after it.
        while self.error.is_none()
            && let Some(position) = block.stmts.iter().position(is_regress_static)
        {
            let syn::Stmt::Item(syn::Item::Static(item)) = block.stmts.remove(position) else {
                unreachable!("is_regress_static matched a static item")
            };
            if let Err(error) = self.replace_uses(&item, &mut block.stmts[position..]) {
                self.error = Some(error);
            }
        }
    }
}

impl PatternCompiler {
    /// Compiles the pattern of `item` (a removed `static`) and rewrites its uses in `following`.
    fn replace_uses(
        &mut self,
        item: &syn::ItemStatic,
        following: &mut [syn::Stmt],
    ) -> Result<(), String> {
        let pattern = first_string_literal(item.expr.to_token_stream())
            .ok_or_else(|| "a regress pattern without a string literal".to_owned())?;
        let mut uses = PatternUses {
            name: item.ident.clone(),
            check: PatternCheck::parse(&pattern)?,
            replaced: 0,
        };
        for stmt in following {
            uses.visit_stmt_mut(stmt);
        }
        if uses.replaced == 0 {
            return Err(format!(
                "pattern `{pattern}`: its `find` call was not found"
            ));
        }
        self.replaced += uses.replaced;
        Ok(())
    }
}

/// `static NAME: ...regress::Regex... = ...;`
fn is_regress_static(stmt: &syn::Stmt) -> bool {
    matches!(stmt, syn::Stmt::Item(syn::Item::Static(item))
        if item.ty.to_token_stream().to_string().contains("regress"))
}

fn first_string_literal(tokens: TokenStream) -> Option<String> {
    tokens.into_iter().find_map(|token| match token {
        proc_macro2::TokenTree::Literal(literal) => {
            match syn::parse2::<syn::LitStr>(literal.into_token_stream()) {
                Ok(text) => Some(text.value()),
                Err(_) => None,
            }
        }
        proc_macro2::TokenTree::Group(group) => first_string_literal(group.stream()),
        _ => None,
    })
}

/// Rewrites `NAME.find(value).is_none()` into `!(check)`.
struct PatternUses {
    name: syn::Ident,
    check: PatternCheck,
    replaced: usize,
}

impl Rewrite for PatternUses {
    fn visit_expr_mut(&mut self, expr: &mut syn::Expr) {
        if let syn::Expr::MethodCall(outer) = expr
            && outer.method == "is_none"
            && let syn::Expr::MethodCall(find) = &*outer.receiver
            && find.method == "find"
            && find.args.len() == 1
            && matches!(&*find.receiver, syn::Expr::Path(path) if path.path.is_ident(&self.name))
        {
            let check = self.check.to_expression(&find.args[0]);
            *expr = syn::parse_quote!(!#check);
            self.replaced += 1;
            return;
        }
        walk::visit_expr_mut(self, expr);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_compiled_check_agrees_with_a_regex_engine() {
        let patterns = [
            "^[A-Z]{2}$",
            "^[A-Z]{3}$",
            "^[A-Za-z0-9._-]{1,128}$",
            "^[A-Za-z0-9._-]{16,128}$",
            "^[a-f0-9]+$",
            "^[xy]*$",
            "^[-a]?$",
            "^[\\.a]{2,}$",
            "^[a\\-z]$",
        ];
        let samples = [
            "",
            "D",
            "DK",
            "dk",
            "DKK",
            "DK1",
            "DKKK",
            "Æ",
            "ÆØ",
            "D K",
            "DK\n",
            "\nDK",
            "a",
            "-",
            "-a",
            "x",
            ".",
            "..",
            "a.",
            "order-5521.v2",
            "order 5521",
            "abcdef0123456789",
            "abcdef012345678",
            "ABCDEF0123456789",
            "xyxyx",
            "xyz",
            "b",
            "z",
        ];
        for pattern in patterns {
            let check = PatternCheck::parse(pattern).unwrap();
            let engine = regex::Regex::new(pattern).unwrap();
            for sample in samples {
                assert_eq!(
                    check.matches(sample),
                    engine.is_match(sample),
                    "{pattern} on {sample:?}"
                );
            }
            let long = "a".repeat(129);
            assert_eq!(check.matches(&long), engine.is_match(&long), "{pattern}");
        }
    }

    #[test]
    fn patterns_outside_the_subset_are_refused_with_their_reason() {
        for (pattern, reason) in [
            ("[A-Z]{2}", "anchored"),
            ("^.*_rate_.*$", "one character class"),
            ("^[^a]{2}$", "negated"),
            ("^[A-Z]{2}[0-9]$", "quantifier"),
            ("^[A-Z]{3,2}$", "below its minimum"),
            ("^[Z-A]$", "reversed"),
            ("^[\\d]$", "escaped"),
        ] {
            let error = PatternCheck::parse(pattern).unwrap_err();
            assert!(error.contains(pattern), "{error}");
            assert!(error.contains(reason), "{pattern}: {error}");
        }
    }

    #[test]
    fn the_generated_expression_compiles_to_the_same_check() {
        let check = PatternCheck::parse("^[A-Z0-9_]{2,3}$").unwrap();
        let text = check.to_expression(&syn::parse_quote!(value)).to_string();
        assert!(
            text.contains("(2usize ..= 3usize) . contains (& length)"),
            "{text}"
        );
        assert!(text.contains("'A' ..= 'Z' | '0' ..= '9' | '_'"), "{text}");
    }

    #[test]
    fn two_patterns_in_one_block_are_both_compiled() {
        let mut file: syn::File = syn::parse_quote! {
            fn check(value: &str) -> bool {
                static FIRST: LazyLock<regress::Regex> =
                    LazyLock::new(|| regress::Regex::new("^[a-z]+$").unwrap());
                static SECOND: LazyLock<regress::Regex> =
                    LazyLock::new(|| regress::Regex::new("^[0-9]{2}$").unwrap());
                FIRST.find(value).is_none() || SECOND.find(value).is_none()
            }
        };
        assert_eq!(compile_pattern_checks(&mut file), Ok(2));
        let text = file.to_token_stream().to_string();
        assert!(
            !text.contains("regress") && !text.contains("find"),
            "{text}"
        );
    }

    #[test]
    fn an_unsupported_pattern_fails_the_rewrite() {
        let mut file: syn::File = syn::parse_quote! {
            fn from_str(value: &str) -> Result<(), String> {
                static PATTERN: LazyLock<regress::Regex> =
                    LazyLock::new(|| regress::Regex::new("^(a|b)$").unwrap());
                if PATTERN.find(value).is_none() {
                    return Err(String::new());
                }
                Ok(())
            }
        };
        let error = compile_pattern_checks(&mut file).unwrap_err();
        assert!(error.contains("^(a|b)$"), "{error}");
    }
}
