//! Smart Send's errors: RFC 9457 problem documents (the v2 error format is modelled).

use super::types;
use crate::runtime::{ErrorBody, ErrorDetails, ErrorKind};

/// The problem `type` of a 422 for an `Idempotency-Key` already used with a different payload
/// ([`ErrorKind::IdempotencyKeyReused`]). Modelled: Smart Send documents the 422 but publishes no
/// problem types, so parcelkit names this one after the vendor's idempotency page (the spec's
/// `Problem.type` says so).
///
/// ```
/// assert!(parcelkit::smartsend::KEY_REUSED_PROBLEM_TYPE.ends_with("#key-reused"));
/// ```
pub const KEY_REUSED_PROBLEM_TYPE: &str =
    "https://docs.smartsend.io/api-reference/idempotency#key-reused";

impl ErrorBody for types::Problem {
    const API: &'static str = "Smart Send";

    fn into_details(self) -> ErrorDetails {
        ErrorDetails::Problem(self)
    }

    /// Key reuse is a 422 whose problem `type` is [`KEY_REUSED_PROBLEM_TYPE`] (modelled); the
    /// words of `title` and `detail` are for people, in the caller's language, and decide nothing.
    fn kind(status: reqwest::StatusCode, details: &ErrorDetails) -> ErrorKind {
        #[allow(irrefutable_let_patterns)]
        let ErrorDetails::Problem(problem) = details else {
            return ErrorKind::from_status(status.as_u16());
        };
        if status.as_u16() == 422 && problem.type_ == KEY_REUSED_PROBLEM_TYPE {
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
