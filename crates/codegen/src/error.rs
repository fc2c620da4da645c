use std::fmt;

/// What went wrong while turning a spec into code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The spec file could not be read.
    Read,
    /// The file is not valid YAML, or not an OpenAPI 3.0 document.
    Parse,
    /// The document uses something the generator cannot handle (and normalisation cannot fix).
    Unsupported,
    /// progenitor rejected the document or failed while generating.
    Generate,
    /// The generated tokens are not valid Rust (a generator bug).
    Format,
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ErrorKind::Read => "cannot read spec",
            ErrorKind::Parse => "invalid OpenAPI document",
            ErrorKind::Unsupported => "unsupported by the generator",
            ErrorKind::Generate => "code generation failed",
            ErrorKind::Format => "generated code does not parse",
        })
    }
}

/// An error that names the spec and the reason, e.g.
/// `openapi/smartsend.yaml: unsupported by the generator: operation book_shipment: ...`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{spec}: {kind}: {reason}")]
pub struct CodegenError {
    /// The spec path as the caller named it (relative to the workspace root).
    pub spec: String,
    /// The class of failure.
    pub kind: ErrorKind,
    /// What exactly is wrong, naming the operation or schema where there is one.
    pub reason: String,
}

impl CodegenError {
    pub(crate) fn new(spec: &str, kind: ErrorKind, reason: impl Into<String>) -> Self {
        CodegenError {
            spec: spec.to_owned(),
            kind,
            reason: reason.into(),
        }
    }
}
