//! The one set of progenitor settings. `build.rs` and `cargo xtask regen` both come through
//! [`crate::generate`], so there is no second copy to drift.

use progenitor_impl::{GenerationSettings, HooksMode, InterfaceStyle, TagStyle, TypeImpl};
use schemars::schema::{InstanceType, SchemaObject, StringValidation};

use crate::stats::MODELLED_EXTENSION;

/// A header token schema as the specs write it (`type: string` with a length range and the
/// matching `[A-Za-z0-9._-]` pattern) and the hand-written type that replaces it.
pub const TOKEN_CONVERSIONS: [(u32, u32, &str); 2] = [
    (16, 128, "crate::IdempotencyKey"),
    (1, 128, "crate::RequestId"),
];

/// The `Accept-Language` header schema (`type: string, format: accept-language`) becomes
/// parcelkit's `AcceptLanguage`, so a per-call value is parsed (and refused with the reason)
/// before anything is sent.
pub const ACCEPT_LANGUAGE_CONVERSION: (&str, &str) = ("accept-language", "crate::AcceptLanguage");

/// Money (`type: number, format: decimal`) becomes an exact decimal: `19.85` is read and sent
/// as `19.85`, and sums of amounts do not drift as binary floats do.
pub const DECIMAL_CONVERSION: (&str, &str) = ("decimal", "crate::Decimal");

/// Times (`type: string` with `format: date-time` or `format: date`) become parcelkit's own
/// `Timestamp` and `Date`: what a client does with them (read, compare, write back, convert to
/// `SystemTime`) needs no date library in every application's build.
pub const TIME_CONVERSIONS: [(&str, &str); 2] =
    [("date-time", "crate::Timestamp"), ("date", "crate::Date")];

/// Named component schemas replaced by a hand-written type: `(schema, type)`. The Phygitals ids
/// are one type each wherever they appear (the rate id of a quote and of a ship request, the
/// order id of a ship answer, an order and the order path), so a value read from one answer goes
/// into the next request as it is.
pub const REPLACEMENTS: [(&str, &str); 2] = [
    ("QuoteId", "crate::phygitals::QuoteId"),
    ("OrderId", "crate::phygitals::OrderId"),
];

/// Every hand-written type a builder setter converts into with `TryInto`, whose conversion
/// error [`crate::patch::keep_header_conversion_errors`] keeps.
pub fn validated_types() -> impl Iterator<Item = &'static str> {
    TOKEN_CONVERSIONS
        .iter()
        .map(|(_, _, type_name)| *type_name)
        .chain([ACCEPT_LANGUAGE_CONVERSION.1])
        .chain(TIME_CONVERSIONS.iter().map(|(_, type_name)| *type_name))
        .chain(REPLACEMENTS.iter().map(|(_, type_name)| *type_name))
}

fn format_schema(format: &str) -> SchemaObject {
    SchemaObject {
        instance_type: Some(InstanceType::String.into()),
        format: Some(format.to_owned()),
        ..SchemaObject::default()
    }
}

fn token_schema(min: u32, max: u32) -> SchemaObject {
    SchemaObject {
        instance_type: Some(InstanceType::String.into()),
        string: Some(Box::new(StringValidation {
            min_length: Some(min),
            max_length: Some(max),
            pattern: Some(format!("^[A-Za-z0-9._-]{{{min},{max}}}$")),
        })),
        ..SchemaObject::default()
    }
}

/// Generates `schema` as the hand-written `type_name`, also where the spec marks it modelled:
/// typify matches a conversion on the whole schema but its metadata, so a field carrying the
/// `x-parcelkit-modelled` extension would otherwise keep the type typify gives it.
fn convert(settings: &mut GenerationSettings, schema: SchemaObject, type_name: &str) {
    let modelled = SchemaObject {
        extensions: [(MODELLED_EXTENSION.to_owned(), true.into())]
            .into_iter()
            .collect(),
        ..schema.clone()
    };
    for schema in [schema, modelled] {
        settings.with_conversion(
            schema,
            type_name,
            [TypeImpl::Display, TypeImpl::FromStr].into_iter(),
        );
    }
}

/// The settings every parcelkit client is generated with:
/// - builder interface (`client.get_shipment().team(..).shipment(..).send()`), so optional
///   parameters such as `Request-ID` or `Idempotency-Key` are setters, not positional `None`s;
/// - merged tags: one `Client` per API, not one trait per tag;
/// - the client carries parcelkit's `ClientContext` (credentials, retry policy, ...) as its
///   inner state;
/// - hooks expected: the hand-written layer must `impl ClientHooks for Client` (request
///   headers, retries), and forgetting it is a compile error rather than a silent no-op;
/// - the `Idempotency-Key` and `Request-ID` schemas become parcelkit's own `IdempotencyKey` and
///   `RequestId` (valid by construction, one type each) instead of a validating newtype per
///   operation whose error would only say "conversion failed"; likewise `Accept-Language`
///   becomes `AcceptLanguage`, and the Phygitals `QuoteId` and `OrderId` schemas the
///   hand-written `phygitals::QuoteId` and `phygitals::OrderId`; money (`format: decimal`)
///   becomes `rust_decimal::Decimal`, and times (`format: date-time`, `format: date`)
///   parcelkit's `Timestamp` and `Date`;
/// - `BTreeMap` for maps (`additionalProperties`), so a value serializes the same way every time:
///   stable request bodies, logs and snapshots, where `HashMap` would shuffle the keys per run;
/// - `PartialEq` on every type, so tests compare values, not their JSON, and
///   `schemars::JsonSchema`, so the conformance tests can hold the Rust types against the spec
///   (moved behind the `json-schema` feature afterwards, see [`crate::derive_gate`]).
///
/// ```
/// let _settings = parcelkit_codegen::settings::generation_settings();
/// ```
pub fn generation_settings() -> GenerationSettings {
    let mut settings = GenerationSettings::new();
    settings
        .with_interface(InterfaceStyle::Builder)
        .with_tag(TagStyle::Merged)
        .with_hooks(HooksMode::Expected)
        .with_inner_type(quote::quote!(crate::runtime::ClientContext))
        .with_derive("PartialEq")
        .with_derive("::schemars::JsonSchema")
        .with_map_type("::std::collections::BTreeMap");
    for (min, max, type_name) in TOKEN_CONVERSIONS {
        convert(&mut settings, token_schema(min, max), type_name);
    }
    let decimal = SchemaObject {
        instance_type: Some(InstanceType::Number.into()),
        format: Some(DECIMAL_CONVERSION.0.to_owned()),
        ..SchemaObject::default()
    };
    convert(&mut settings, decimal, DECIMAL_CONVERSION.1);
    for (format, type_name) in TIME_CONVERSIONS {
        convert(&mut settings, format_schema(format), type_name);
    }
    convert(
        &mut settings,
        format_schema(ACCEPT_LANGUAGE_CONVERSION.0),
        ACCEPT_LANGUAGE_CONVERSION.1,
    );
    for (schema, type_name) in REPLACEMENTS {
        settings.with_replacement(
            schema,
            type_name,
            [TypeImpl::Display, TypeImpl::FromStr].into_iter(),
        );
    }
    settings
}
