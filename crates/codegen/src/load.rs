use std::path::Path;

use openapiv3::OpenAPI;

use crate::{CodegenError, ErrorKind, YamlError};

/// Reads and parses the spec at `path`; `display_name` is how errors name it (e.g. the path relative
/// to the workspace root, so messages read the same on every machine).
pub fn load_spec(path: &Path, display_name: &str) -> Result<OpenAPI, CodegenError> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        CodegenError::new(
            display_name,
            ErrorKind::Read,
            format!("{}: {e}", path.display()),
        )
    })?;
    load_spec_str(&text, display_name)
}

/// Parses a spec from YAML (or JSON, which is YAML) text.
///
/// ```
/// let spec = parcelkit_codegen::load_spec_str(
///     "openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths: {}\n",
///     "inline.yaml",
/// )?;
/// assert_eq!(spec.info.title, "t");
/// # Ok::<(), parcelkit_codegen::CodegenError>(())
/// ```
pub fn load_spec_str(text: &str, display_name: &str) -> Result<OpenAPI, CodegenError> {
    let json = yaml_to_json(text)
        .map_err(|e| CodegenError::new(display_name, ErrorKind::Parse, e.to_string()))?;
    let version = json.get("openapi").and_then(|v| v.as_str()).unwrap_or("");
    if !version.starts_with("3.0.") {
        return Err(CodegenError::new(
            display_name,
            ErrorKind::Unsupported,
            format!(
                "`openapi: {version}`: only OpenAPI 3.0.x is supported (progenitor 0.15 reads no 3.1)"
            ),
        ));
    }
    serde_json::from_value(json)
        .map_err(|e| CodegenError::new(display_name, ErrorKind::Parse, e.to_string()))
}

/// Parses YAML into a JSON value. YAML allows non-string keys (`200:` for a status code); JSON
/// does not, so scalar keys are turned into their string form.
///
/// The reader is parcelkit's own, for the subset of YAML 1.2 that the specs and the normalised
/// copies use (block and flow collections, plain, quoted and block scalars, comments); anchors,
/// aliases, tags, complex keys, several documents, tabs in indentation and duplicate keys are
/// refused with a [`YamlError`] naming the line and column. Scalars resolve as serde_yaml 0.9
/// resolves them (YAML 1.2 core schema: `yes` is a string, `'1'` a string, `1` a number).
///
/// ```
/// let v = parcelkit_codegen::yaml_to_json("responses:\n  200: {description: ok}\n")?;
/// assert_eq!(v["responses"]["200"]["description"], "ok");
/// # Ok::<(), parcelkit_codegen::YamlError>(())
/// ```
pub fn yaml_to_json(text: &str) -> Result<serde_json::Value, YamlError> {
    crate::yaml::parse(text)
}
