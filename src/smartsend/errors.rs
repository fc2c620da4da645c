//! Smart Send's errors: RFC 9457 problem documents (the v2 error format is modelled).

use super::types;
use crate::runtime::{ErrorBody, ErrorDetails, ErrorKind};

impl ErrorBody for types::Problem {
    const API: &'static str = "Smart Send";

    fn into_details(self) -> ErrorDetails {
        ErrorDetails::Problem(self)
    }

    /// The 422 body is modelled: the key-reuse case is told apart by naming the idempotency key.
    fn kind(status: reqwest::StatusCode, details: &ErrorDetails) -> ErrorKind {
        #[allow(irrefutable_let_patterns)]
        let ErrorDetails::Problem(problem) = details else {
            return ErrorKind::from_status(status.as_u16());
        };
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
}
