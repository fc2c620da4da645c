//! One error type for both APIs, [`Error`]: what went wrong ([`ErrorKind`]), whether trying
//! again is safe ([`RetryAdvice`]), and everything known about the exchange (status,
//! `Request-ID`, `Idempotency-Key`, headers, the raw body, bounded) plus the API's own parsed
//! details ([`ErrorDetails`]: Smart Send's problem document, Phygitals' typed message).
//!
//! Every generated `send()` returns it: parcelkit-codegen rewrites progenitor's `send()` to run
//! as a call of the client's runtime, whose `execute` records the final response (status,
//! headers, bounded body) in that call's record, and to assemble the error from progenitor's
//! error and the record.

use std::fmt;
use std::sync::Mutex;

use bytes::Bytes;
use reqwest::StatusCode;

use super::headers::{IDEMPOTENCY_KEY, REQUEST_ID};
use super::is_retryable_status;
use reqwest::header::HeaderMap;

/// The most of an error body kept (64 KiB); the rest is cut.
pub const MAX_ERROR_BODY: usize = 64 * 1024;

/// What kind of failure.
///
/// An answer's kind follows its status whether or not the operation documents it, so a 503 from a
/// gateway is a [`ServerError`](ErrorKind::ServerError) and a plain-text 401 an
/// [`Authentication`](ErrorKind::Authentication) error.
///
/// ```
/// use parcelkit::ErrorKind;
///
/// assert_eq!(ErrorKind::from_status(503), ErrorKind::ServerError);
/// assert_eq!(ErrorKind::from_status(401), ErrorKind::Authentication);
/// assert_eq!(ErrorKind::from_status(404), ErrorKind::Api);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// Refused before sending: a parameter broke its rule. Nothing reached the server.
    InvalidRequest,
    /// No response: connection refused, reset or dropped.
    Transport,
    /// No response in time (the attempt's timeout or the call's deadline), or a 408 answer.
    Timeout,
    /// The API answered with a client error status (4xx) not covered by a kind below.
    Api,
    /// 401 or 403: the credential is missing, wrong or not allowed to do this.
    Authentication,
    /// 429: too many requests; see [`Error::retry_after`].
    RateLimited,
    /// 5xx: the service or a gateway in front of it failed; see [`Error::retry_after`].
    ServerError,
    /// A 3xx redirect. parcelkit never follows one, so the credential, the body and the
    /// `Idempotency-Key` stay on the base URL's origin; the message names the target.
    Redirect,
    /// Smart Send's 422 for an `Idempotency-Key` already used with a different payload: the
    /// write was not executed, and never will be under this key. Not retryable.
    IdempotencyKeyReused,
    /// A success status whose body does not decode (the message names the JSON path), or a
    /// status no API uses (1xx, an undocumented 2xx).
    UnexpectedResponse,
}

impl ErrorKind {
    /// The kind of an error answer with this status.
    pub fn from_status(status: u16) -> ErrorKind {
        match status {
            300..=399 => ErrorKind::Redirect,
            401 | 403 => ErrorKind::Authentication,
            408 => ErrorKind::Timeout,
            429 => ErrorKind::RateLimited,
            400..=499 => ErrorKind::Api,
            500..=599 => ErrorKind::ServerError,
            _ => ErrorKind::UnexpectedResponse,
        }
    }
}

/// Whether a failed call may be tried again, as far as the client can tell.
///
/// ```
/// use parcelkit::RetryAdvice;
///
/// let advice = RetryAdvice::MayHaveExecuted;
/// assert!(!advice.is_safe_to_retry());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum RetryAdvice {
    /// Trying again later may succeed and cannot do anything twice: the request never reached
    /// the server, or it is a read, or a write the server deduplicates by its Idempotency-Key
    /// (send it with the same key).
    SafeToRetry,
    /// The request may have been executed (the connection dropped after it was sent, or the
    /// server failed midway) and the server does not deduplicate it: find out before sending it
    /// again (a Phygitals shipping request, say: look for the order).
    MayHaveExecuted,
    /// The same request would fail the same way (refused before sending, a 4xx answer, a key
    /// reused with another payload, a redirect, a body that does not decode).
    NotRetryable,
}

impl RetryAdvice {
    /// Whether this is [`RetryAdvice::SafeToRetry`].
    pub fn is_safe_to_retry(self) -> bool {
        self == RetryAdvice::SafeToRetry
    }
}

/// What an API said about a failure, parsed.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum ErrorDetails {
    /// Smart Send's problem document (RFC 9457).
    #[cfg(feature = "smartsend")]
    Problem(crate::smartsend::types::Problem),
    /// Phygitals' message, typed.
    #[cfg(feature = "phygitals")]
    Phygitals(crate::phygitals::PhygitalsError),
}

/// A failed call of either API: kind, message, status, Request-ID, headers, raw body (bounded)
/// and the API's parsed details.
///
/// ```no_run
/// # async fn demo(client: parcelkit::smartsend::Client) {
/// let team = "ad9546c1-393e-49a5-9a72-5cc146c9bec5";
/// match client.list_services().team(team).send().await {
///     Ok(services) => println!("{} services", services.data.len()),
///     Err(e) => eprintln!(
///         "{e}; retry: {:?}; body: {}",
///         e.retry_advice(),
///         String::from_utf8_lossy(e.body())
///     ),
/// }
/// # }
/// ```
pub struct Error(Box<Inner>);

/// What an [`Error`] holds, boxed so that a `Result` stays small.
struct Inner {
    api: &'static str,
    kind: ErrorKind,
    replay_safe: bool,
    unanswered_attempt: bool,
    received_at: Option<std::time::SystemTime>,
    message: String,
    status: Option<StatusCode>,
    headers: HeaderMap,
    body: Bytes,
    details: Option<ErrorDetails>,
    source: Option<Box<dyn std::error::Error + Send + Sync>>,
}

impl Error {
    /// What kind of failure.
    pub fn kind(&self) -> ErrorKind {
        self.0.kind
    }

    /// The HTTP status, when there was a response.
    pub fn status(&self) -> Option<StatusCode> {
        self.0.status
    }

    /// The `Request-ID` (as echoed, or as sent), when the request was sent.
    pub fn request_id(&self) -> Option<&str> {
        self.header(&REQUEST_ID)
    }

    /// The `Idempotency-Key` the request carried, if any.
    pub fn idempotency_key(&self) -> Option<&str> {
        self.header(&IDEMPOTENCY_KEY)
    }

    /// The response headers (empty when there was no response).
    pub fn headers(&self) -> &HeaderMap {
        &self.0.headers
    }

    /// The raw response body, at most [`MAX_ERROR_BODY`] bytes (empty when there was none).
    pub fn body(&self) -> &[u8] {
        &self.0.body
    }

    /// The API's parsed error details, when the body decoded.
    pub fn details(&self) -> Option<&ErrorDetails> {
        self.0.details.as_ref()
    }

    /// Smart Send's problem document, when the body was one.
    #[cfg(feature = "smartsend")]
    pub fn problem(&self) -> Option<&crate::smartsend::types::Problem> {
        match self.0.details.as_ref()? {
            ErrorDetails::Problem(problem) => Some(problem),
            #[allow(unreachable_patterns)]
            _ => None,
        }
    }

    /// Phygitals' message, typed, when the body was one.
    #[cfg(feature = "phygitals")]
    pub fn phygitals(&self) -> Option<&crate::phygitals::PhygitalsError> {
        match self.0.details.as_ref()? {
            ErrorDetails::Phygitals(error) => Some(error),
            #[allow(unreachable_patterns)]
            _ => None,
        }
    }

    /// Whether this is [`ErrorKind::IdempotencyKeyReused`]: the key was used before with a
    /// different payload, so the write was not executed. Use a new key for a new payload.
    pub fn is_idempotency_key_reused(&self) -> bool {
        self.0.kind == ErrorKind::IdempotencyKeyReused
    }

    /// The validation messages for one field (`parcels.0.gross_weight`, ...), from a Smart Send
    /// problem's `errors` map.
    #[cfg(feature = "smartsend")]
    pub fn field_errors(&self, field: &str) -> &[String] {
        self.problem()
            .and_then(|p| p.errors.get(field))
            .map_or(&[], Vec::as_slice)
    }

    /// A readable summary (without status and Request-ID; `Display` adds those).
    pub fn message(&self) -> &str {
        &self.0.message
    }

    /// Whether the same call may succeed later, and whether sending it again is safe: the same
    /// rule the client's own retries follow (it has already retried within its policy).
    ///
    /// - No response, or 408, 409, 429, 5xx: [`SafeToRetry`](RetryAdvice::SafeToRetry) when the
    ///   request never reached the server (the connection could not be made) or repeating it
    ///   cannot do anything twice (a GET, or a write with an Idempotency-Key);
    ///   [`MayHaveExecuted`](RetryAdvice::MayHaveExecuted) otherwise.
    /// - Anything else: [`NotRetryable`](RetryAdvice::NotRetryable).
    pub fn retry_advice(&self) -> RetryAdvice {
        let worth_retrying = match self.0.kind {
            ErrorKind::Transport | ErrorKind::Timeout => true,
            ErrorKind::Api
            | ErrorKind::UnexpectedResponse
            | ErrorKind::RateLimited
            | ErrorKind::ServerError => self
                .0
                .status
                .is_some_and(|s| is_retryable_status(s.as_u16()) || s.is_server_error()),
            _ => false,
        };
        let never_sent = self.0.status.is_none()
            && self
                .0
                .source
                .as_deref()
                .and_then(|e| e.downcast_ref::<reqwest::Error>())
                .is_some_and(reqwest::Error::is_connect);
        match (worth_retrying, self.0.replay_safe || never_sent) {
            (false, _) => RetryAdvice::NotRetryable,
            (true, true) => RetryAdvice::SafeToRetry,
            (true, false) => RetryAdvice::MayHaveExecuted,
        }
    }

    /// Whether the server may have carried out this call although it ended in an error: an
    /// attempt reached the server and got no definitive answer (the connection dropped after
    /// the request was sent, no answer in time, a 5xx, a 409 for a key still in flight) and no
    /// later answer ruled it out, or a success came back that did not decode.
    ///
    /// `false` means the call did nothing: it was refused before sending, the connection was
    /// never made, every answer was a refusal (429, 408), or the final answer is a 4xx that
    /// judges the request itself (a retry with the same Idempotency-Key would have been
    /// replayed had an earlier attempt executed). This is what a bulk job records as "failed"
    /// rather than "unknown".
    ///
    /// ```
    /// # async fn demo(client: parcelkit::smartsend::Client, team: &str) {
    /// use parcelkit::smartsend::types;
    /// # let request: types::ShipmentRequest = todo!();
    /// match client.create_shipment().team(team).body(request).send().await {
    ///     Ok(shipment) => println!("created {}", shipment.data.uuid),
    ///     Err(e) if e.possibly_executed() => eprintln!("unknown, look before retrying: {e}"),
    ///     Err(e) => eprintln!("not created: {e}"),
    /// }
    /// # }
    /// ```
    pub fn possibly_executed(&self) -> bool {
        match self.0.status.map(|s| s.as_u16()) {
            Some(200..=299) => true,
            Some(status @ 400..=499) if !matches!(status, 408 | 409 | 429) => false,
            _ => self.0.unanswered_attempt,
        }
    }

    /// Whether sending the same call again later may succeed and cannot do anything twice:
    /// [`Error::retry_advice`] is [`RetryAdvice::SafeToRetry`].
    pub fn is_retryable(&self) -> bool {
        self.retry_advice().is_safe_to_retry()
    }

    /// How long the server asked the caller to wait (`Retry-After`, seconds or HTTP-date, the
    /// latter measured from when the answer came), when it did. A wait longer than the retry
    /// policy's `max_delay` is not slept through: the call returns this error at once, and the
    /// decision is the caller's.
    pub fn retry_after(&self) -> Option<std::time::Duration> {
        let at = self
            .0
            .received_at
            .unwrap_or_else(std::time::SystemTime::now);
        self.0
            .headers
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| super::parse_retry_after(v, at))
    }

    fn header(&self, name: &reqwest::header::HeaderName) -> Option<&str> {
        self.0.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.0.api, self.0.message)?;
        let mut extra = Vec::new();
        if let Some(status) = self.0.status {
            extra.push(format!("status {}", status.as_u16()));
        }
        if let Some(id) = self.request_id() {
            extra.push(format!("Request-ID {id}"));
        }
        if !extra.is_empty() {
            write!(f, " ({})", extra.join(", "))?;
        }
        Ok(())
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Error")
            .field("api", &self.0.api)
            .field("kind", &self.0.kind)
            .field("message", &self.0.message)
            .field("status", &self.0.status)
            .field("request_id", &self.request_id())
            .field("idempotency_key", &self.idempotency_key())
            .field("details", &self.0.details)
            // An excerpt: the whole (bounded) body is `body()`.
            .field("body", &super::decode::excerpt(&self.0.body))
            .finish()
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.0.source.as_deref().map(|e| e as _)
    }
}

/// A generated error body type (`smartsend::types::Problem`, `phygitals::types::Error`, ...):
/// what it becomes in an [`Error`]. Implemented by each API module.
pub trait ErrorBody: Sized {
    /// The API's name, for messages.
    const API: &'static str;
    /// The details this body carries.
    fn into_details(self) -> ErrorDetails;
    /// The kind of an error answer with these details (default: by status,
    /// [`ErrorKind::from_status`]).
    fn kind(status: StatusCode, _details: &ErrorDetails) -> ErrorKind {
        ErrorKind::from_status(status.as_u16())
    }
    /// Mends a documented error body that drifts from its schema within reason, before it is
    /// decoded (default: nothing). Runs only when the body does not decode as it is.
    fn tolerate(_status: StatusCode, _body: &mut serde_json::Value) {}
}

impl ErrorDetails {
    /// A one-line summary: the problem's title and detail, or Phygitals' message.
    fn summary(&self) -> String {
        match self {
            #[cfg(feature = "smartsend")]
            ErrorDetails::Problem(problem) => match &problem.detail {
                Some(detail) => format!("{}: {detail}", problem.title),
                None => problem.title.clone(),
            },
            #[cfg(feature = "phygitals")]
            ErrorDetails::Phygitals(error) => error.summary(),
            // Without an API feature there are no details to summarise.
            #[cfg(not(any(feature = "smartsend", feature = "phygitals")))]
            _ => match *self {},
        }
    }
}

/// What the `exec` hook recorded about the final response of a call.
#[derive(Debug, Clone, Default)]
pub(crate) struct Captured {
    pub(crate) status: Option<StatusCode>,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Bytes,
    /// Whether sending the request again cannot do anything twice (a GET, or a write the server
    /// deduplicates by its Idempotency-Key).
    pub(crate) replay_safe: bool,
    /// When the answer came, on the client's wall clock (for an HTTP-date `Retry-After`).
    pub(crate) received_at: Option<std::time::SystemTime>,
    /// No complete answer within the attempt's time (the transport error is a stand-in).
    pub(crate) timed_out: bool,
    /// Some attempt may have reached the server without a definitive answer.
    pub(crate) unanswered_attempt: bool,
}

/// The record of one call: the runtime's `execute` writes the final response here, and the
/// call's error is assembled from it. One per `send()`, so concurrent calls never mix.
#[derive(Debug, Default)]
pub(crate) struct CallRecord(Mutex<Option<Captured>>);

impl CallRecord {
    /// Records the final response (or the request, when there was none) of the call.
    pub(crate) fn record(&self, captured: Captured) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = Some(captured);
    }

    /// Adds the headers of the recorded response: a success answer is recorded without them,
    /// and they are added only when its body turns out not to decode.
    pub(crate) fn record_headers(&self, headers: HeaderMap) {
        if let Some(captured) = self.0.lock().unwrap_or_else(|e| e.into_inner()).as_mut() {
            captured.headers = headers;
        }
    }

    /// Progenitor's error made an [`Error`], with what the call recorded.
    pub(crate) fn fail<E: ErrorBody>(&self, error: progenitor_client::Error<E>) -> Error {
        let captured = self
            .0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take()
            .unwrap_or_default();
        assemble(error, captured)
    }
}

fn assemble<E: ErrorBody>(error: progenitor_client::Error<E>, captured: Captured) -> Error {
    use progenitor_client::Error as P;
    let mut out = Error(Box::new(Inner {
        api: E::API,
        kind: ErrorKind::UnexpectedResponse,
        replay_safe: captured.replay_safe,
        unanswered_attempt: captured.unanswered_attempt,
        received_at: captured.received_at,
        message: String::new(),
        status: captured.status,
        headers: captured.headers,
        body: captured.body,
        details: None,
        source: None,
    }));
    match error {
        P::InvalidRequest(message) => {
            out.0.kind = ErrorKind::InvalidRequest;
            out.0.message = format!("refused before sending: {message}");
        }
        P::CommunicationError(_) if captured.timed_out => {
            out.0.kind = ErrorKind::Timeout;
            out.0.message =
                "no response in time (the attempt's timeout or the call's deadline)".into();
        }
        P::CommunicationError(e) | P::ResponseBodyError(e) => {
            out.0.kind = if e.is_timeout() {
                ErrorKind::Timeout
            } else {
                ErrorKind::Transport
            };
            out.0.message = if e.is_timeout() {
                "no response in time (the attempt's timeout or the call's deadline)".into()
            } else {
                format!("transport error: {}", with_causes(&e))
            };
            out.0.source = Some(Box::new(e));
        }
        P::ErrorResponse(response) => {
            out.0.status = Some(response.status());
            out.0.headers = response.headers().clone();
            let status = response.status();
            let details = response.into_inner().into_details();
            out.0.kind = E::kind(status, &details);
            out.0.message = details.summary();
            out.0.details = Some(details);
        }
        P::InvalidResponsePayload(bytes, e) => {
            if out.0.body.is_empty() {
                out.0.body = bytes;
            }
            match out.0.status.filter(|s| !s.is_success()) {
                // An error answer in another format than documented (a gateway's HTML, a
                // plain-text 401): its status says what it is.
                Some(status) => out.describe_status(status),
                None => {
                    let text = e.to_string();
                    out.0.message = match text.rfind(super::decode::CONTEXT_SEPARATOR) {
                        Some(at) => text[..at].to_owned(),
                        None => text,
                    };
                }
            }
            out.0.source = Some(Box::new(e));
        }
        P::UnexpectedResponse(response) => {
            out.0.status = Some(response.status());
            out.0.headers = response.headers().clone();
            out.describe_status(response.status());
        }
        P::InvalidUpgrade(e) => {
            out.0.message = format!("the connection upgrade failed: {e}");
            out.0.source = Some(Box::new(e));
        }
        P::Custom(message) => {
            out.0.message = message;
        }
    }
    out
}

impl Error {
    /// An answer that is well-formed but not what the call can take (a helper's own check),
    /// with the response's status and headers. (Smart Send's respond-async outcomes.)
    #[cfg(feature = "smartsend")]
    pub(crate) fn unexpected_answer(
        api: &'static str,
        status: StatusCode,
        headers: HeaderMap,
        message: String,
    ) -> Error {
        Error(Box::new(Inner {
            api,
            kind: ErrorKind::UnexpectedResponse,
            replay_safe: false,
            unanswered_attempt: false,
            received_at: None,
            message,
            status: Some(status),
            headers,
            body: Bytes::new(),
            details: None,
            source: None,
        }))
    }

    /// Kind and message of an answer known only by its status (undocumented for the operation,
    /// or a body that is not the documented error format): the server's own words when the body
    /// has some, the status's reason phrase otherwise.
    fn describe_status(&mut self, status: StatusCode) {
        self.0.kind = ErrorKind::from_status(status.as_u16());
        let said = super::decode::server_message(&self.0.body);
        self.0.message = match self.0.kind {
            ErrorKind::Redirect => {
                let target = self
                    .0
                    .headers
                    .get(reqwest::header::LOCATION)
                    .map(|v| {
                        String::from_utf8_lossy(v.as_bytes())
                            .chars()
                            .take(200)
                            .collect()
                    })
                    .unwrap_or_else(|| "an unnamed location".to_owned());
                format!(
                    "refused to follow a redirect to {target}: parcelkit does not follow \
                     redirects, so the credential and the request stay on the base URL's origin \
                     (check the base URL)"
                )
            }
            _ => {
                let reason = status.canonical_reason().unwrap_or("unknown status");
                match said {
                    Some(said) => format!("{reason}: {said}"),
                    None => reason.to_owned(),
                }
            }
        };
    }
}

/// An error's message with the causes under it (`error sending request: ...: Connection
/// refused`), each said once.
pub(crate) fn with_causes(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let said = cause.to_string();
        if !text.contains(&said) {
            text.push_str(": ");
            text.push_str(&said);
        }
        source = cause.source();
    }
    text
}
