//! Smart Send's errors: RFC 9457 problem documents (the v2 error format is modelled).

use super::types;
use crate::runtime::{ErrorBody, ErrorKind};

/// The error of a Smart Send call made with [`Detailed::detailed`](crate::Detailed): kind,
/// status, Request-ID, headers, raw body and the parsed problem document.
pub type ApiError = crate::runtime::ApiError<types::Problem>;

impl ErrorBody for types::Problem {
    type Details = types::Problem;
    const API: &'static str = "Smart Send";

    fn into_details(self) -> types::Problem {
        self
    }

    /// The 422 body is modelled: the key-reuse case is told apart by naming the idempotency key.
    fn kind(status: reqwest::StatusCode, problem: &types::Problem) -> ErrorKind {
        let text = format!(
            "{} {}",
            problem.title,
            problem.detail.as_deref().unwrap_or("")
        );
        if status.as_u16() == 422 && text.to_ascii_lowercase().contains("idempotency") {
            ErrorKind::IdempotencyKeyReused
        } else {
            ErrorKind::from_status(status.as_u16())
        }
    }

    /// RFC 9457 makes every member optional, and the v2 format is modelled: a problem without
    /// `status` takes the HTTP status, and an `errors` entry that is one message rather than a
    /// list becomes a list of one.
    fn tolerate(status: reqwest::StatusCode, body: &mut serde_json::Value) {
        let Some(problem) = body.as_object_mut() else {
            return;
        };
        if problem.get("status").is_none_or(serde_json::Value::is_null) {
            problem.insert("status".into(), status.as_u16().into());
        }
        if let Some(serde_json::Value::Object(errors)) = problem.get_mut("errors") {
            for messages in errors.values_mut() {
                if messages.is_string() {
                    *messages = serde_json::Value::Array(vec![messages.take()]);
                }
            }
        }
    }

    fn summary(problem: &types::Problem) -> String {
        match &problem.detail {
            Some(detail) => format!("{}: {detail}", problem.title),
            None => problem.title.clone(),
        }
    }
}

impl crate::runtime::ApiError<types::Problem> {
    /// Whether this is [`ErrorKind::IdempotencyKeyReused`]: the key was used before with a
    /// different payload, so the write was not executed. Use a new key for a new payload.
    pub fn is_idempotency_key_reused(&self) -> bool {
        self.kind() == ErrorKind::IdempotencyKeyReused
    }

    /// The validation messages for one field (`parcels.0.gross_weight`, ...), from the
    /// problem's `errors` map.
    pub fn field_errors(&self, field: &str) -> &[String] {
        self.details()
            .and_then(|p| p.errors.get(field))
            .map_or(&[], Vec::as_slice)
    }
}
