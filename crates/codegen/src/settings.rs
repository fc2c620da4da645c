//! The one set of progenitor settings. `build.rs` and `cargo xtask regen` both come through
//! [`crate::generate`], so there is no second copy to drift.

use progenitor_impl::{GenerationSettings, HooksMode, InterfaceStyle, TagStyle};

/// The settings every parcelkit client is generated with:
/// - builder interface (`client.get_shipment().team(..).shipment(..).send()`), so optional
///   parameters such as `Request-ID` or `Idempotency-Key` are setters, not positional `None`s;
/// - merged tags: one `Client` per API, not one trait per tag;
/// - hooks expected: the hand-written layer must `impl ClientHooks for Client` (request
///   headers, retries), and forgetting it is a compile error rather than a silent no-op;
/// - `PartialEq` on every type, so tests compare values, not their JSON, and
///   `schemars::JsonSchema`, so the conformance tests can hold the Rust types against the spec.
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
        .with_derive("PartialEq")
        .with_derive("::schemars::JsonSchema");
    settings
}
