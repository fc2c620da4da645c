use std::path::Path;

use openapiv3::OpenAPI;

use crate::{CodegenError, ErrorKind};

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
/// ```
/// let v = parcelkit_codegen::yaml_to_json("responses:\n  200: {description: ok}\n")?;
/// assert_eq!(v["responses"]["200"]["description"], "ok");
/// # Ok::<(), serde_yaml::Error>(())
/// ```
pub fn yaml_to_json(text: &str) -> Result<serde_json::Value, serde_yaml::Error> {
    let yaml: serde_yaml::Value = serde_yaml::from_str(text)?;
    Ok(convert(yaml))
}

fn convert(value: serde_yaml::Value) -> serde_json::Value {
    use serde_json::Value as J;
    use serde_yaml::Value as Y;
    match value {
        Y::Null => J::Null,
        Y::Bool(b) => J::Bool(b),
        Y::Number(n) => {
            if let Some(i) = n.as_i64() {
                J::from(i)
            } else if let Some(u) = n.as_u64() {
                J::from(u)
            } else {
                n.as_f64()
                    .and_then(serde_json::Number::from_f64)
                    .map_or(J::Null, J::Number)
            }
        }
        Y::String(s) => J::String(s),
        Y::Sequence(items) => J::Array(items.into_iter().map(convert).collect()),
        Y::Mapping(map) => J::Object(
            map.into_iter()
                .map(|(k, v)| (key_string(k), convert(v)))
                .collect(),
        ),
        Y::Tagged(tagged) => convert(tagged.value),
    }
}

fn key_string(key: serde_yaml::Value) -> String {
    match key {
        serde_yaml::Value::String(s) => s,
        other => match convert(other) {
            serde_json::Value::String(s) => s,
            scalar => scalar.to_string(),
        },
    }
}
