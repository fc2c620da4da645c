//! `parcelkit-codegen`: the one road from parcelkit's hand-written OpenAPI specs to Rust code.
//!
//! Both the client crate's `build.rs` and `cargo xtask regen` call [`generate`], so the code compiled
//! into `parcelkit` and the reviewed copy in `generated/` are the same tokens ([`Layout`]: the build
//! writes them unformatted, xtask formatted for review).
//!
//! The pipeline for one API is: [`load_spec`] (YAML -> [`openapiv3::OpenAPI`], errors name the file),
//! [`normalise::normalise`] (an in-memory copy reshaped for progenitor's limits; the spec on disk
//! stays honest), [`preflight::check`] (constructs progenitor would panic on become errors), then
//! progenitor with the settings from [`settings::generation_settings`], then parcelkit's rewrites of
//! its output, printed in the [`Layout`] asked for.
//!
//! Cargo features: `generator` (default) is everything that emits code, and links progenitor;
//! `tooling` (default) adds what only `cargo xtask regen` needs (the reviewed layout, the
//! normalised spec), which parcelkit's `build.rs` leaves off.
//! Without `generator` the crate is the spec helpers alone ([`load_spec`], [`yaml_to_json`], [`normalise`],
//! [`json_schema`], [`spec_walk`], [`stats`]), which is what the sandbox needs at run time.
//!
//! ```no_run
//! use std::path::Path;
//! use parcelkit_codegen::{Layout, Output};
//!
//! let root = Path::new(".");
//! for api in parcelkit_codegen::APIS {
//!     for file in parcelkit_codegen::generate(api, root, &Output::ALL, Layout::Reviewed)? {
//!         println!("{}: {} bytes", file.name, file.contents.len());
//!     }
//! }
//! # Ok::<(), parcelkit_codegen::CodegenError>(())
//! ```

#![warn(missing_docs)]

// The spec helpers: no progenitor, for the sandbox and the conformance tests.
pub mod json_schema;
pub mod normalise;
pub mod preflight;
pub mod spec_walk;
pub mod stats;

// Code generation: progenitor and syn, behind the `generator` feature (on by default).
#[cfg(feature = "generator")]
pub mod derive_gate;
#[cfg(feature = "generator")]
pub mod nullable_fields;
#[cfg(feature = "generator")]
pub mod open_enums;
#[cfg(feature = "generator")]
pub mod patch;
#[cfg(feature = "generator")]
pub mod patterns;
#[cfg(feature = "generator")]
pub mod request_builders;
#[cfg(feature = "generator")]
pub mod respond_async;
#[cfg(feature = "generator")]
pub mod settings;
#[cfg(feature = "generator")]
pub mod walk;

mod error;
mod load;
#[cfg(feature = "generator")]
mod render;
mod yaml;

pub use error::{CodegenError, ErrorKind};
pub use load::{load_spec, load_spec_str, yaml_to_json};
#[cfg(feature = "generator")]
pub use render::{GeneratedFile, Layout, Output, generate_from_spec};
pub use yaml::YamlError;

/// One API that parcelkit generates a client for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ApiSpec {
    /// Short name: the Rust module (`parcelkit::<name>`), the cargo feature and the stem of the
    /// generated files.
    pub name: &'static str,
    /// The spec, relative to the workspace root.
    pub spec_path: &'static str,
    /// Rust path of the module that `include!`s the generated client; the httpmock helpers refer to
    /// the client's types through it.
    pub module_path: &'static str,
}

/// Every API parcelkit knows, in the order they are generated.
pub const APIS: &[ApiSpec] = &[
    ApiSpec {
        name: "smartsend",
        spec_path: "openapi/smartsend.yaml",
        module_path: "crate::smartsend",
    },
    ApiSpec {
        name: "phygitals",
        spec_path: "openapi/phygitals.yaml",
        module_path: "crate::phygitals",
    },
];

/// The command that rewrites the committed copy; named in every generated file's header.
pub const REGEN_COMMAND: &str = "cargo xtask regen";

/// Loads, normalises and generates the `outputs` asked for one API ([`Output::ALL`]: the client
/// code `<name>.rs`, the httpmock helpers `<name>_httpmock.rs`, the CLI commands `<name>_cli.rs`
/// and the normalised spec `<name>.normalised.yaml`).
///
/// `workspace_root` is the directory holding `openapi/`. The returned contents do not depend on
/// where the workspace lives, so `build.rs` and `xtask` produce the same bytes.
#[cfg(feature = "generator")]
pub fn generate(
    api: &ApiSpec,
    workspace_root: &std::path::Path,
    outputs: &[Output],
    layout: Layout,
) -> Result<Vec<GeneratedFile>, CodegenError> {
    let spec = load_spec(&workspace_root.join(api.spec_path), api.spec_path)?;
    generate_from_spec(api, &spec, outputs, layout)
}
