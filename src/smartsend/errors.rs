//! Smart Send's errors: RFC 9457 problem documents (the v2 error format is modelled).

use super::types;
use crate::runtime::ErrorBody;

/// The error of a Smart Send call made with [`Detailed::detailed`](crate::Detailed): kind,
/// status, Request-ID, headers, raw body and the parsed problem document.
pub type ApiError = crate::runtime::ApiError<types::Problem>;

impl ErrorBody for types::Problem {
    type Details = types::Problem;
    const API: &'static str = "Smart Send";

    fn into_details(self) -> types::Problem {
        self
    }

    fn summary(problem: &types::Problem) -> String {
        match &problem.detail {
            Some(detail) => format!("{}: {detail}", problem.title),
            None => problem.title.clone(),
        }
    }
}

impl crate::runtime::ApiError<types::Problem> {
    /// 422 because the `Idempotency-Key` was used before with a different payload: the write
    /// was not executed, and retrying with this key never will be. Use a new key for a new
    /// payload. (The 422 body is modelled; this looks for the key being named in it.)
    pub fn is_idempotency_key_reused(&self) -> bool {
        self.status().is_some_and(|s| s.as_u16() == 422)
            && self.idempotency_key().is_some()
            && self.details().is_some_and(|p| {
                let text = format!("{} {}", p.title, p.detail.as_deref().unwrap_or(""))
                    .to_ascii_lowercase();
                text.contains("idempotency")
            })
    }

    /// The validation messages for one field (`parcels.0.gross_weight`, ...), from the
    /// problem's `errors` map.
    pub fn field_errors(&self, field: &str) -> &[String] {
        self.details()
            .and_then(|p| p.errors.get(field))
            .map_or(&[], Vec::as_slice)
    }
}
