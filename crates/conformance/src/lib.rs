//! `parcelkit-conformance`: proves that what parcelkit puts on the wire and reads back is exactly
//! what the OpenAPI specs in `openapi/` say.
//!
//! The library half holds what the test files share: the specs as JSON ([`Api::spec`],
//! [`Api::normalised_spec`]), a JSON Schema validator built from them ([`Api::validate`]), the
//! registry of every component schema with its generated Rust type ([`registry`]), and the
//! value builders behind the serialization snapshots ([`synth`]), what counts as "unchanged"
//! ([`equivalence`]), the comparison of schemars' derived schemas with the spec ([`derived`]), and
//! the loopback server the request snapshots are captured on ([`capture`]). The tests are in
//! `tests/`:
//!
//! | file | what it proves |
//! |---|---|
//! | `serialization.rs` | every schema's example, maximal and minimal value survive the generated type; insta snapshots |
//! | `round_trip.rs` | every example in both specs deserializes and serializes back unchanged |
//! | `derived_schemas.rs` | the JSON Schema schemars derives from each type has the spec's fields and required-ness |
//! | `requests.rs` | the exact HTTP request of every operation; insta snapshots |
//! | `properties.rs` | proptest of the header patterns, key derivation and id formats |
//!
//! ```
//! use parcelkit_conformance::Api;
//!
//! let spec = Api::Phygitals.spec();
//! assert_eq!(spec["openapi"], "3.0.3");
//! let pack = &spec["components"]["schemas"]["Pack"];
//! Api::Phygitals.validate(pack, &pack["example"]).unwrap();
//! ```

#![warn(missing_docs)]

use std::path::PathBuf;
use std::sync::OnceLock;

use serde_json::Value;

pub mod capture;
pub mod derived;
pub mod equivalence;
pub mod registry;
pub mod synth;

pub use registry::SchemaType;

/// One of the two APIs, with its spec.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Api {
    /// Smart Send API v2 (`openapi/smartsend.yaml`).
    SmartSend,
    /// Phygitals Partner API (`openapi/phygitals.yaml`).
    Phygitals,
}

impl Api {
    /// Both APIs.
    pub const ALL: [Api; 2] = [Api::SmartSend, Api::Phygitals];

    /// The short name: the Rust module, the cargo feature and the snapshot folder.
    ///
    /// ```
    /// assert_eq!(parcelkit_conformance::Api::SmartSend.name(), "smartsend");
    /// ```
    pub fn name(self) -> &'static str {
        self.codegen().name
    }

    fn codegen(self) -> &'static parcelkit_codegen::ApiSpec {
        let name = match self {
            Api::SmartSend => "smartsend",
            Api::Phygitals => "phygitals",
        };
        parcelkit_codegen::APIS
            .iter()
            .find(|api| api.name == name)
            .expect("both APIs are generated")
    }

    /// The spec as written (key order of the YAML aside), examples and extensions included.
    pub fn spec(self) -> &'static Value {
        static SPECS: [OnceLock<Value>; 2] = [OnceLock::new(), OnceLock::new()];
        SPECS[self as usize].get_or_init(|| {
            let path = workspace_root().join(self.codegen().spec_path);
            let text = std::fs::read_to_string(&path)
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            parcelkit_codegen::yaml_to_json(&text)
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        })
    }

    /// The spec as the generator saw it: normalised, so the synthesised response unions
    /// (`BookShipmentSuccess`, ...) are component schemas like the rest.
    pub fn normalised_spec(self) -> &'static Value {
        static SPECS: [OnceLock<Value>; 2] = [OnceLock::new(), OnceLock::new()];
        SPECS[self as usize].get_or_init(|| {
            let api = self.codegen();
            let spec =
                parcelkit_codegen::load_spec(&workspace_root().join(api.spec_path), api.spec_path)
                    .and_then(|spec| parcelkit_codegen::normalise::normalise(&spec, api.spec_path))
                    .unwrap_or_else(|e| panic!("{e}"));
            serde_json::to_value(spec).expect("an OpenAPI document is JSON")
        })
    }

    /// The component schema `name` of the normalised spec.
    ///
    /// # Panics
    /// When there is none: a test asked for a schema that does not exist.
    pub fn schema(self, name: &str) -> &'static Value {
        self.normalised_spec()
            .pointer(&format!("/components/schemas/{name}"))
            .unwrap_or_else(|| panic!("{}: no component schema {name}", self.name()))
    }

    /// Checks `value` against `schema` (any schema of this API's spec, e.g. a component or a
    /// `$ref` to one), formats included. The error lists every violation with its JSON path.
    pub fn validate(self, schema: &Value, value: &Value) -> Result<(), String> {
        let json_schema =
            parcelkit_codegen::json_schema::to_json_schema(self.normalised_spec(), schema);
        let validator = jsonschema::options()
            .should_validate_formats(true)
            .build(&json_schema)
            .map_err(|e| format!("the schema does not compile: {e}"))?;
        let errors: Vec<String> = validator
            .iter_errors(value)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors.join("; "))
        }
    }

    /// Every component schema of this API with its generated type.
    pub fn schema_types(self) -> &'static [SchemaType] {
        match self {
            Api::SmartSend => registry::SMARTSEND,
            Api::Phygitals => registry::PHYGITALS,
        }
    }
}

/// The schema a nullable reference refers to, when `schema` is the specs' spelling of one:
/// `oneOf: [{$ref: X}, {enum: [null]}]` (OpenAPI 3.0.3 lets `nullable` add `null` only beside a
/// `type`, and a `$ref` has none). `None` for any other schema.
///
/// ```
/// use serde_json::json;
/// let maybe = json!({"oneOf": [{"$ref": "#/components/schemas/Pickup"}, {"enum": [null]}]});
/// assert_eq!(parcelkit_conformance::nullable_ref(&maybe), Some(&json!({"$ref": "#/components/schemas/Pickup"})));
/// assert_eq!(parcelkit_conformance::nullable_ref(&json!({"$ref": "#/components/schemas/Pickup"})), None);
/// ```
pub fn nullable_ref(schema: &Value) -> Option<&Value> {
    match schema["oneOf"].as_array().map(Vec::as_slice) {
        Some([target, null]) if null == &serde_json::json!({"enum": [null]}) => Some(target),
        _ => None,
    }
}

/// Whether `schema` (as written, not resolved) admits `null`: `nullable: true` beside a `type`,
/// or a nullable reference ([`nullable_ref`]).
pub fn is_nullable(schema: &Value) -> bool {
    schema["nullable"] == true || nullable_ref(schema).is_some()
}

/// The workspace root: the directory holding `openapi/`.
pub fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// What `expected` (snapshot file names) and the `.snap` files in `dir` disagree on: missing
/// snapshots first, then orphaned ones, each as a sentence. Insta alone stops at the first missing
/// snapshot and never notices an orphan; the coverage tests use this to name every one.
///
/// ```
/// let dir = std::env::temp_dir().join("parcelkit-conformance-doc");
/// std::fs::create_dir_all(&dir).unwrap();
/// std::fs::write(dir.join("old.snap"), "").unwrap();
/// let expected = ["new.snap".to_string()].into_iter().collect();
/// let problems = parcelkit_conformance::snapshot_coverage(&dir, &expected);
/// assert_eq!(problems, ["no snapshot new.snap", "snapshot old.snap belongs to nothing tested"]);
/// ```
pub fn snapshot_coverage(
    dir: &std::path::Path,
    expected: &std::collections::BTreeSet<String>,
) -> Vec<String> {
    let on_disk: std::collections::BTreeSet<String> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok()?.file_name().into_string().ok())
                .filter(|name| name.ends_with(".snap"))
                .collect()
        })
        .unwrap_or_default();
    let missing = expected
        .difference(&on_disk)
        .map(|name| format!("no snapshot {name}"));
    let orphaned = on_disk
        .difference(expected)
        .map(|name| format!("snapshot {name} belongs to nothing tested"));
    missing.chain(orphaned).collect()
}
