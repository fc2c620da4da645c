//! Spec statistics for the README, counted from the specs themselves so the numbers cannot drift:
//! `cargo xtask regen` writes them between markers in README.md and `--check` fails when stale.

use openapiv3::{OpenAPI, ReferenceOr};

use crate::normalise::for_each_operation;

/// The vendor extension that marks an operation, schema, parameter or property as modelled by us
/// rather than confirmed by the vendor's documentation.
pub const MODELLED_EXTENSION: &str = "x-parcelkit-modelled";

/// Where the statistics table starts in README.md.
pub const README_BEGIN: &str =
    "<!-- spec-stats:begin (written by `cargo xtask regen`; do not edit) -->";
/// Where it ends.
pub const README_END: &str = "<!-- spec-stats:end -->";

/// Counts for one spec.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SpecStats {
    /// All operations.
    pub operations: usize,
    /// Operations marked [`MODELLED_EXTENSION`] (their existence or path is not vendor-confirmed).
    pub modelled_operations: usize,
    /// Component schemas.
    pub schemas: usize,
    /// Component schemas marked [`MODELLED_EXTENSION`].
    pub modelled_schemas: usize,
}

impl SpecStats {
    /// Operations documented by the vendor.
    pub fn confirmed_operations(&self) -> usize {
        self.operations - self.modelled_operations
    }
}

fn is_modelled(extensions: &indexmap::IndexMap<String, serde_json::Value>) -> bool {
    extensions.get(MODELLED_EXTENSION) == Some(&serde_json::Value::Bool(true))
}

/// Counts operations and schemas, confirmed and modelled.
///
/// ```
/// let spec = parcelkit_codegen::load_spec_str(r#"
/// openapi: 3.0.3
/// info: {title: t, version: '1'}
/// paths:
///   /a: {get: {operationId: get_a, responses: {'200': {description: ok}}}}
///   /b: {get: {operationId: get_b, x-parcelkit-modelled: true, responses: {'200': {description: ok}}}}
/// "#, "t.yaml")?;
/// let stats = parcelkit_codegen::stats::spec_stats(&spec);
/// assert_eq!((stats.operations, stats.confirmed_operations(), stats.modelled_operations), (2, 1, 1));
/// # Ok::<(), parcelkit_codegen::CodegenError>(())
/// ```
pub fn spec_stats(spec: &OpenAPI) -> SpecStats {
    let mut operations = 0;
    let mut modelled_operations = 0;
    for_each_operation(spec, |_, _, op| {
        operations += 1;
        if is_modelled(&op.extensions) {
            modelled_operations += 1;
        }
    });
    let schemas = spec.components.as_ref().map(|c| &c.schemas);
    SpecStats {
        operations,
        modelled_operations,
        schemas: schemas.map_or(0, |s| s.len()),
        modelled_schemas: schemas.map_or(0, |s| {
            s.values()
                .filter(
                    |s| matches!(s, ReferenceOr::Item(s) if is_modelled(&s.schema_data.extensions)),
                )
                .count()
        }),
    }
}

/// The README table: one row per API.
pub fn readme_table(rows: &[(&str, SpecStats)]) -> String {
    let mut out = String::from(
        "| API | spec | operations | confirmed | modelled | schemas (modelled) |\n|---|---|---:|---:|---:|---:|\n",
    );
    for (spec_path, s) in rows {
        let title = match *spec_path {
            p if p.contains("smartsend") => "Smart Send API v2",
            p if p.contains("phygitals") => "Phygitals Partner API",
            p => p,
        };
        out.push_str(&format!(
            "| {title} | `{spec_path}` | {} | {} | {} | {} ({}) |\n",
            s.operations,
            s.confirmed_operations(),
            s.modelled_operations,
            s.schemas,
            s.modelled_schemas
        ));
    }
    out
}

/// Replaces the text between [`README_BEGIN`] and [`README_END`] with `table`; `None` when the
/// markers are missing.
///
/// ```
/// use parcelkit_codegen::stats::{splice_readme, README_BEGIN, README_END};
/// let readme = format!("intro\n{README_BEGIN}\nold\n{README_END}\nrest\n");
/// let new = splice_readme(&readme, "new\n").unwrap();
/// assert_eq!(new, format!("intro\n{README_BEGIN}\nnew\n{README_END}\nrest\n"));
/// ```
pub fn splice_readme(readme: &str, table: &str) -> Option<String> {
    let start = readme.find(README_BEGIN)? + README_BEGIN.len();
    let end = start + readme[start..].find(README_END)?;
    Some(format!("{}\n{table}{}", &readme[..start], &readme[end..]))
}
