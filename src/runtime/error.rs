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
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// Refused before sending: a parameter broke its rule. Nothing reached the server.
    InvalidRequest,
    /// No response: connection refused, reset or dropped.
    Transport,
    /// No response in time.
    Timeout,
    /// The API answered with an error status (4xx/5xx) it documents.
    Api,
    /// Smart Send's 422 for an `Idempotency-Key` already used with a different payload: the
    /// write was not executed, and never will be under this key. Not retryable.
    IdempotencyKeyReused,
    /// The API answered something the spec does not describe, or a body that does not decode.
    UnexpectedResponse,
}

/// A failed call: kind, message, status, Request-ID, headers, raw body and the API's details.
pub struct ApiError<D> {
    api: &'static str,
    kind: ErrorKind,
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

    /// Whether trying again later may succeed: transport failures, timeouts, and 408, 409, 429
    /// and 5xx answers. The client has already retried within its policy.
    pub fn is_retryable(&self) -> bool {
        match self.kind {
            ErrorKind::Transport | ErrorKind::Timeout => true,
            ErrorKind::Api | ErrorKind::UnexpectedResponse => self
                .status
                .is_some_and(|s| is_retryable_status(s.as_u16()) || s.is_server_error()),
            ErrorKind::InvalidRequest | ErrorKind::IdempotencyKeyReused => false,
        }
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
            .field("body", &String::from_utf8_lossy(&self.body))
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
    /// The kind of an error answer with these details (default: [`ErrorKind::Api`]).
    fn kind(_status: StatusCode, _details: &Self::Details) -> ErrorKind {
        ErrorKind::Api
    }
}

/// What the `exec` hook recorded about the final response of a call.
#[derive(Debug, Clone, Default)]
pub(crate) struct Captured {
    pub(crate) status: Option<StatusCode>,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Bytes,
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
                "no response in time".into()
            } else {
                format!("transport error: {e}")
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
            out.message = format!("the response body does not decode: {e}");
            if out.body.is_empty() {
                out.body = bytes.slice(..bytes.len().min(MAX_ERROR_BODY));
            }
            out.source = Some(Box::new(e));
        }
        P::UnexpectedResponse(response) => {
            out.status = Some(response.status());
            out.headers = response.headers().clone();
            out.message = format!(
                "status {} is not documented for this operation",
                response.status().as_u16()
            );
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
