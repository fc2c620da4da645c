//! One error type for both APIs: what went wrong ([`ErrorKind`]), and everything known about the
//! exchange (status, `Request-ID`, `Idempotency-Key`, headers, the raw body, bounded) plus the
//! API's own parsed details (`D`: Smart Send's problem document, Phygitals' typed message).
//!
//! The generated operations return progenitor's error, which drops the raw body of typed error
//! responses and the status of undecodable ones. [`Detailed::detailed`] runs a `send()` inside a
//! capture scope: the client's `exec` hook records the final response's status, headers and body
//! there, and the error is assembled from that record.

use std::cell::RefCell;
use std::fmt;
use std::future::Future;

use bytes::Bytes;
use progenitor_client::ResponseValue;
use reqwest::StatusCode;

use super::client::{IDEMPOTENCY_KEY, REQUEST_ID};
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
    /// 429: too many requests; see [`ApiError::retry_after`].
    RateLimited,
    /// 5xx: the service or a gateway in front of it failed; see [`ApiError::retry_after`].
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

/// A failed call: kind, message, status, Request-ID, headers, raw body and the API's details.
pub struct ApiError<D> {
    api: &'static str,
    kind: ErrorKind,
    replay_safe: bool,
    received_at: Option<std::time::SystemTime>,
    message: String,
    status: Option<StatusCode>,
    headers: HeaderMap,
    body: Bytes,
    details: Option<D>,
    source: Option<Box<dyn std::error::Error + Send + Sync>>,
}

impl<D> ApiError<D> {
    /// What kind of failure.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The HTTP status, when there was a response.
    pub fn status(&self) -> Option<StatusCode> {
        self.status
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
        &self.headers
    }

    /// The raw response body, at most [`MAX_ERROR_BODY`] bytes (empty when there was none).
    pub fn body(&self) -> &[u8] {
        &self.body
    }

    /// The API's parsed error details, when the body decoded.
    pub fn details(&self) -> Option<&D> {
        self.details.as_ref()
    }

    /// A readable summary (without status and Request-ID; `Display` adds those).
    pub fn message(&self) -> &str {
        &self.message
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
        let worth_retrying = match self.kind {
            ErrorKind::Transport | ErrorKind::Timeout => true,
            ErrorKind::Api
            | ErrorKind::UnexpectedResponse
            | ErrorKind::RateLimited
            | ErrorKind::ServerError => self
                .status
                .is_some_and(|s| is_retryable_status(s.as_u16()) || s.is_server_error()),
            _ => false,
        };
        let never_sent = self.status.is_none()
            && self
                .source
                .as_deref()
                .and_then(|e| e.downcast_ref::<reqwest::Error>())
                .is_some_and(reqwest::Error::is_connect);
        match (worth_retrying, self.replay_safe || never_sent) {
            (false, _) => RetryAdvice::NotRetryable,
            (true, true) => RetryAdvice::SafeToRetry,
            (true, false) => RetryAdvice::MayHaveExecuted,
        }
    }

    /// Whether sending the same call again later may succeed and cannot do anything twice:
    /// [`ApiError::retry_advice`] is [`RetryAdvice::SafeToRetry`].
    pub fn is_retryable(&self) -> bool {
        self.retry_advice().is_safe_to_retry()
    }

    /// How long the server asked the caller to wait (`Retry-After`, seconds or HTTP-date, the
    /// latter measured from when the answer came), when it did. A wait longer than the retry
    /// policy's `max_delay` is not slept through: the call returns this error at once, and the
    /// decision is the caller's.
    pub fn retry_after(&self) -> Option<std::time::Duration> {
        let at = self.received_at.unwrap_or_else(std::time::SystemTime::now);
        self.headers
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| super::parse_retry_after(v, at))
    }

    fn header(&self, name: &reqwest::header::HeaderName) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

impl<D> fmt::Display for ApiError<D> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.api, self.message)?;
        let mut extra = Vec::new();
        if let Some(status) = self.status {
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

impl<D: fmt::Debug> fmt::Debug for ApiError<D> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApiError")
            .field("api", &self.api)
            .field("kind", &self.kind)
            .field("message", &self.message)
            .field("status", &self.status)
            .field("request_id", &self.request_id())
            .field("idempotency_key", &self.idempotency_key())
            .field("details", &self.details)
            // An excerpt: the whole (bounded) body is `body()`.
            .field("body", &super::decode::excerpt(&self.body))
            .finish()
    }
}

impl<D: fmt::Debug> std::error::Error for ApiError<D> {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source.as_deref().map(|e| e as _)
    }
}

/// A generated error body type (`smartsend::types::Problem`, `phygitals::types::Error`, ...) and
/// the details it becomes in an [`ApiError`].
pub trait ErrorBody: Sized {
    /// The API's parsed error details.
    type Details;
    /// The API's name, for messages.
    const API: &'static str;
    /// The details this body carries.
    fn into_details(self) -> Self::Details;
    /// A one-line summary of the details.
    fn summary(details: &Self::Details) -> String;
    /// The kind of an error answer with these details (default: by status,
    /// [`ErrorKind::from_status`]).
    fn kind(status: StatusCode, _details: &Self::Details) -> ErrorKind {
        ErrorKind::from_status(status.as_u16())
    }
    /// Mends a documented error body that drifts from its schema within reason, before it is
    /// decoded (default: nothing). Runs only when the body does not decode as it is.
    fn tolerate(_status: StatusCode, _body: &mut serde_json::Value) {}
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
}

tokio::task_local! {
    static CAPTURE: RefCell<Option<Captured>>;
}

/// Whether the current call runs inside a [`Detailed::detailed`] scope (then `exec` keeps error
/// bodies for the error).
pub(crate) fn capturing() -> bool {
    CAPTURE.try_with(|_| ()).is_ok()
}

/// Records the final response of the current call (no-op outside a capture scope).
pub(crate) fn capture(record: Captured) {
    let _ = CAPTURE.try_with(|cell| *cell.borrow_mut() = Some(record));
}

/// Turns any generated operation's `send()` into a call whose error is an [`ApiError`].
///
/// ```no_run
/// # async fn demo(client: parcelkit::smartsend::Client) -> Result<(), Box<dyn std::error::Error>> {
/// use parcelkit::Detailed;
///
/// let team = "ad9546c1-393e-49a5-9a72-5cc146c9bec5";
/// match client.list_services().team(team).send().detailed().await {
///     Ok(services) => println!("{} services", services.data.len()),
///     Err(e) => eprintln!("{e}; retryable: {}; body: {}", e.is_retryable(), String::from_utf8_lossy(e.body())),
/// }
/// # Ok(()) }
/// ```
pub trait Detailed<T, E: ErrorBody>:
    Future<Output = Result<ResponseValue<T>, progenitor_client::Error<E>>> + Sized
{
    /// Runs the call, and on failure returns an [`ApiError`] with everything known.
    fn detailed(self) -> impl Future<Output = Result<ResponseValue<T>, ApiError<E::Details>>> {
        CAPTURE.scope(RefCell::new(None), async move {
            let result = self.await;
            let captured = CAPTURE
                .with(|cell| cell.borrow_mut().take())
                .unwrap_or_default();
            result.map_err(|e| assemble(e, captured))
        })
    }
}

impl<F, T, E: ErrorBody> Detailed<T, E> for F where
    F: Future<Output = Result<ResponseValue<T>, progenitor_client::Error<E>>>
{
}

fn assemble<E: ErrorBody>(
    error: progenitor_client::Error<E>,
    captured: Captured,
) -> ApiError<E::Details> {
    use progenitor_client::Error as P;
    let mut out = ApiError {
        api: E::API,
        kind: ErrorKind::UnexpectedResponse,
        replay_safe: captured.replay_safe,
        received_at: captured.received_at,
        message: String::new(),
        status: captured.status,
        headers: captured.headers,
        body: captured.body,
        details: None,
        source: None,
    };
    match error {
        P::InvalidRequest(message) => {
            out.kind = ErrorKind::InvalidRequest;
            out.message = format!("refused before sending: {message}");
        }
        P::CommunicationError(e) | P::ResponseBodyError(e) => {
            out.kind = if e.is_timeout() {
                ErrorKind::Timeout
            } else {
                ErrorKind::Transport
            };
            out.message = if e.is_timeout() {
                "no response in time (the attempt's timeout or the call's deadline)".into()
            } else {
                format!("transport error: {}", with_causes(&e))
            };
            out.source = Some(Box::new(e));
        }
        P::ErrorResponse(response) => {
            out.status = Some(response.status());
            out.headers = response.headers().clone();
            let status = response.status();
            let details = response.into_inner().into_details();
            out.kind = E::kind(status, &details);
            out.message = E::summary(&details);
            out.details = Some(details);
        }
        P::InvalidResponsePayload(bytes, e) => {
            if out.body.is_empty() {
                out.body = bytes;
            }
            match out.status.filter(|s| !s.is_success()) {
                // An error answer in another format than documented (a gateway's HTML, a
                // plain-text 401): its status says what it is.
                Some(status) => out.describe_status(status),
                None => {
                    let text = e.to_string();
                    out.message = match text.rfind(super::decode::CONTEXT_SEPARATOR) {
                        Some(at) => text[..at].to_owned(),
                        None => text,
                    };
                }
            }
            out.source = Some(Box::new(e));
        }
        P::UnexpectedResponse(response) => {
            out.status = Some(response.status());
            out.headers = response.headers().clone();
            out.describe_status(response.status());
        }
        P::InvalidUpgrade(e) => {
            out.message = format!("the connection upgrade failed: {e}");
            out.source = Some(Box::new(e));
        }
        P::Custom(message) => {
            out.message = message;
        }
    }
    out
}

impl<D> ApiError<D> {
    /// Kind and message of an answer known only by its status (undocumented for the operation,
    /// or a body that is not the documented error format): the server's own words when the body
    /// has some, the status's reason phrase otherwise.
    fn describe_status(&mut self, status: StatusCode) {
        self.kind = ErrorKind::from_status(status.as_u16());
        let said = super::decode::server_message(&self.body);
        self.message = match self.kind {
            ErrorKind::Redirect => {
                let target = self
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
