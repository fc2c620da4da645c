//! Reading and decoding response bodies, for every operation of both APIs.
//!
//! The generated `send()` calls `call_success` and [`error_response`] (parcelkit-codegen
//! rewrites progenitor's `ResponseValue::from_response` into them) instead of decoding with a
//! plain `serde_json::from_slice`, so that:
//! - a body that matches decodes at full speed (one `from_slice`, nothing else);
//! - a server that drifts within reason still decodes: an integral float (`20.0`) where an
//!   integer is expected, an error body that omits a member the HTTP status already says;
//! - a body that does not decode is an error that names the JSON path and what was found there
//!   (`at data.parcels[0].state: invalid type: null, ...`), the status, the `Request-ID`, and a
//!   short excerpt of the body, never the whole of it.
//!
//! Bodies are read with a cap (`read_capped`) by each attempt of the runtime's `execute`, before
//! any of this runs, so a 10 MB answer is never held whole, and decoding waits for nothing.

use std::fmt::Write as _;

use bytes::{Bytes, BytesMut};
use progenitor_client::{Error, ResponseValue};
use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use serde::de::DeserializeOwned;

use super::Call;
use super::error::ErrorBody;
use super::headers::REQUEST_ID;

/// The most of a body an error message shows (an excerpt, for people); the error itself keeps up
/// to [`MAX_ERROR_BODY`](super::MAX_ERROR_BODY) bytes.
pub(crate) const EXCERPT: usize = 512;

/// The body was cut at the cap while reading: it is not the whole answer.
#[derive(Debug, Clone, Copy)]
pub(crate) struct BodyCut {
    /// The cap it was cut at, in bytes.
    pub(crate) limit: usize,
}

/// Set by [`read_capped`] on the response it reads: the body it read, so the decoders and the
/// call's record take the bytes at once instead of awaiting the body (each such await adds ~1 KB
/// to every operation's future), and whether it was cut.
#[derive(Debug, Clone)]
pub(crate) struct ReadBody {
    pub(crate) bytes: Bytes,
    pub(crate) cut: Option<BodyCut>,
}

impl ReadBody {
    /// What [`read_capped`] read of `response`, if it read it.
    pub(crate) fn of(response: &reqwest::Response) -> Option<&ReadBody> {
        response.extensions().get::<ReadBody>()
    }
}

/// Reads at most `limit` bytes of `response`'s body and keeps them on the response, as a
/// [`ReadBody`] that also says whether there was more. The response keeps its status, headers
/// and URL as they came (nothing is rebuilt or copied); its body is spent. What lies past the
/// cap is never read: the connection is dropped with the rest of it.
pub(crate) async fn read_capped(
    response: &mut reqwest::Response,
    limit: usize,
) -> reqwest::Result<()> {
    let announced = response.content_length();
    // Most answers arrive as one chunk: kept as it is, not copied.
    let mut first: Option<Bytes> = None;
    let mut body = BytesMut::new();
    let mut cut = false;
    while let Some(chunk) = response.chunk().await? {
        let held = first.as_ref().map_or(0, Bytes::len) + body.len();
        let room = limit - held;
        let (chunk, last) = if chunk.len() > room {
            cut = true;
            (chunk.slice(..room), true)
        } else {
            (chunk, false)
        };
        match first.take() {
            None if body.is_empty() => first = Some(chunk),
            earlier => {
                if let Some(earlier) = earlier {
                    body.reserve(announced.map_or(0, |n| n.min(limit as u64) as usize));
                    body.extend_from_slice(&earlier);
                }
                body.extend_from_slice(&chunk);
            }
        }
        if last {
            break;
        }
    }
    let bytes = match first {
        Some(only) => only,
        None => body.freeze(),
    };
    response.extensions_mut().insert(ReadBody {
        bytes,
        cut: cut.then_some(BodyCut { limit }),
    });
    Ok(())
}

/// The response [`read_capped`] left, readable again: its body is the bytes that were read
/// (the [`ReadBody`] stays). For callers of the client's public `exec` hook, who read bodies
/// themselves; the generated code takes the bytes instead.
pub(crate) fn readable(mut response: reqwest::Response) -> reqwest::Response {
    let Some(bytes) = ReadBody::of(&response).map(|read| read.bytes.clone()) else {
        return response;
    };
    let status = response.status();
    let version = response.version();
    let url = response.url().clone();
    let headers = std::mem::take(response.headers_mut());
    let extensions = std::mem::take(response.extensions_mut());
    in_memory(status, version, url, headers, extensions, bytes)
}

/// A response whose body is already in memory, so its reader can read it as usual. It keeps
/// the original's URL (and reqwest, given one, parses no placeholder URL instead).
fn in_memory(
    status: StatusCode,
    version: http::Version,
    url: reqwest::Url,
    headers: HeaderMap,
    extensions: http::Extensions,
    body: Bytes,
) -> reqwest::Response {
    use reqwest::ResponseBuilderExt as _;
    let mut rebuilt = http::Response::builder().status(status).version(version);
    if let Some(h) = rebuilt.headers_mut() {
        *h = headers;
    }
    if let Some(e) = rebuilt.extensions_mut() {
        *e = extensions;
    }
    rebuilt
        .url(url)
        .body(body)
        .expect("status and version come from a valid response")
        .into()
}

/// Decodes a success body into the operation's type, failing with progenitor's error (the
/// generated `send()` calls `call_success`, the same decoding).
///
/// Public only for the conformance suite's fuzzing; not part of parcelkit's API.
#[allow(clippy::result_large_err)] // progenitor's error, what the generated `send()` returns
pub fn success<T: DeserializeOwned, E>(
    response: reqwest::Response,
) -> Result<ResponseValue<T>, Error<E>> {
    decode_answer(response, |_, _| {}, |error, _| error)
}

/// [`success`] for a call (what the generated `send()` calls), its outcome the call's own:
/// when the body does not decode, the response's headers go to the call's record and the error
/// is assembled from it. The runtime records a success answer without its headers, so that the
/// usual call, whose body decodes, copies none; and the answer is built where it is returned,
/// not passed on through a `Result` of another type (a copy of a kilobyte or more).
pub(crate) fn call_success<T: DeserializeOwned, E: ErrorBody>(
    call: &Call<'_, E>,
    response: reqwest::Response,
) -> Result<ResponseValue<T>, crate::Error> {
    decode_answer(
        response,
        |_, _| {},
        |error, headers| {
            call.record_headers(headers);
            call.fail(error)
        },
    )
}

/// Decodes an answer's body, `tolerate` mending it first if it does not decode as it is; a
/// failure (a body not read, or one that does not decode) is made the caller's error by `fail`,
/// given the response's headers.
fn decode_answer<T: DeserializeOwned, E, F>(
    response: reqwest::Response,
    tolerate: impl FnOnce(StatusCode, &mut serde_json::Value),
    fail: impl FnOnce(Error<E>, HeaderMap) -> F,
) -> Result<ResponseValue<T>, F> {
    let (status, headers, cut, body) = match take_or_headers(response) {
        Ok(parts) => parts,
        Err((error, headers)) => return Err(fail(error, headers)),
    };
    match decode::<T>(&body, cut, |value| tolerate(status, value)) {
        Ok(value) => Ok(ResponseValue::new(value, status, headers)),
        Err(failure) => {
            let error = failure.into_error(status, &headers, &body);
            Err(fail(error, headers))
        }
    }
}

/// Decodes a documented error body (called by the generated `send()`): like [`success`], and
/// the API's own tolerances apply first ([`ErrorBody::tolerate`]).
///
/// Public only for the conformance suite's fuzzing; not part of parcelkit's API.
#[allow(clippy::result_large_err)] // progenitor's error, what the generated `send()` returns
pub fn error_response<B: ErrorBody + DeserializeOwned, E>(
    response: reqwest::Response,
) -> Result<ResponseValue<B>, Error<E>> {
    decode_answer(response, B::tolerate, |error, _| error)
}

/// Takes `response` apart: status, headers, whether the body was cut at the cap, and the body
/// (the bytes [`read_capped`] kept). Waits for nothing: a response whose body was not read that
/// way (one built by hand: see [`read_body`]) is an error, not a wait.
/// (Only Smart Send's document download takes an answer apart itself.)
#[cfg(feature = "smartsend")]
#[allow(clippy::result_large_err)] // progenitor's error, what the generated `send()` returns
pub(crate) fn take<E>(response: reqwest::Response) -> Result<Parts, Error<E>> {
    take_or_headers(response).map_err(|(error, _)| error)
}

/// A response taken apart by [`take`]: status, headers, where the body was cut, the body.
pub(crate) type Parts = (StatusCode, HeaderMap, Option<BodyCut>, Bytes);

/// [`take`], its error with the response's headers.
#[allow(clippy::result_large_err)]
fn take_or_headers<E>(mut response: reqwest::Response) -> Result<Parts, (Error<E>, HeaderMap)> {
    let status = response.status();
    let headers = std::mem::take(response.headers_mut());
    match response.extensions_mut().remove::<ReadBody>() {
        Some(ReadBody { bytes, cut }) => Ok((status, headers, cut, bytes)),
        None => Err((
            Error::InvalidResponsePayload(
                Bytes::new(),
                <serde_json::Error as serde::de::Error>::custom(
                    "the response body was not read before decoding (parcelkit reads it as it arrives)",
                ),
            ),
            headers,
        )),
    }
}

/// Reads the body of a response built by hand, as the client reads every answer (capped at the
/// default `max_response_body`), so [`success`] and [`error_response`] can decode it.
///
/// Public only for the conformance suite's fuzzing; not part of parcelkit's API.
#[doc(hidden)]
pub async fn read_body(response: &mut reqwest::Response) -> reqwest::Result<()> {
    read_capped(response, super::client::DEFAULT_MAX_RESPONSE_BODY).await
}

/// Why a body did not decode.
#[derive(Debug)]
pub(crate) enum DecodeFailure {
    /// The body was cut at the cap, so it cannot be the whole document.
    TooLarge(usize),
    /// Not JSON at all.
    NotJson(serde_json::Error),
    /// JSON, but not the documented shape: where, and what was wrong there.
    Shape { path: String, message: String },
}

impl std::fmt::Display for DecodeFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DecodeFailure::TooLarge(limit) => {
                write!(f, "the body is larger than the {limit}-byte limit")
            }
            DecodeFailure::NotJson(e) => write!(f, "the body is not JSON ({e})"),
            DecodeFailure::Shape { path, message } => write!(f, "at {path}: {message}"),
        }
    }
}

impl DecodeFailure {
    /// progenitor's error for a body that does not decode: the payload is only an excerpt (its
    /// `Display` prints it), and the message carries everything else.
    fn into_error<E>(self, status: StatusCode, headers: &HeaderMap, body: &[u8]) -> Error<E> {
        let message = decode_message(&self, status, headers, body);
        Error::InvalidResponsePayload(
            Bytes::copy_from_slice(&body[..body.len().min(EXCERPT)]),
            <serde_json::Error as serde::de::Error>::custom(message),
        )
    }
}

/// Separates what went wrong from the context in a decode message, so an [`Error`]
/// (which shows status and Request-ID itself) can take the first part alone.
///
/// [`Error`]: super::Error
pub(crate) const CONTEXT_SEPARATOR: &str = " [status ";

fn decode_message(
    failure: &DecodeFailure,
    status: StatusCode,
    headers: &HeaderMap,
    body: &[u8],
) -> String {
    let request_id = headers
        .get(REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("none");
    format!(
        "the response body does not decode {failure}; body: {}{CONTEXT_SEPARATOR}{}, Request-ID {request_id}]",
        excerpt(body),
        status.as_u16()
    )
}

/// The start of `body` for people: lossy UTF-8, control characters escaped, at most
/// [`EXCERPT`] bytes, with the full length when it was cut.
pub(crate) fn excerpt(body: &[u8]) -> String {
    if body.is_empty() {
        return "(empty)".to_owned();
    }
    let shown = String::from_utf8_lossy(&body[..body.len().min(EXCERPT)]);
    let mut out = String::with_capacity(shown.len() + 2);
    out.push('`');
    for c in shown.chars() {
        if c.is_control() {
            let _ = write!(out, "\\u{{{:x}}}", c as u32);
        } else {
            out.push(c);
        }
    }
    out.push('`');
    if body.len() > EXCERPT {
        let _ = write!(out, "... ({} bytes in all)", body.len());
    }
    out
}

/// Decodes `body` into `T`: at full speed when it matches; otherwise with the tolerances applied
/// (`tolerate`, then integral floats as integers) to the body as a [`serde_json::Value`], and
/// the failing path found (see [`json_path`](super::json_path)).
///
/// Both attempts decode bytes with the same `serde_json::from_slice::<T>`, so each response
/// type is compiled into an application once.
pub(crate) fn decode<T: DeserializeOwned>(
    body: &[u8],
    cut: Option<BodyCut>,
    tolerate: impl FnOnce(&mut serde_json::Value),
) -> Result<T, DecodeFailure> {
    if let Some(BodyCut { limit }) = cut {
        return Err(DecodeFailure::TooLarge(limit));
    }
    if let Ok(value) = serde_json::from_slice::<T>(body) {
        return Ok(value);
    }
    let mut value: serde_json::Value =
        serde_json::from_slice(body).map_err(DecodeFailure::NotJson)?;
    tolerate(&mut value);
    integral_floats_as_integers(&mut value);
    // Compact: one line, so serde_json's column is the byte offset of the failure.
    let compact = serde_json::to_vec(&value).map_err(DecodeFailure::NotJson)?;
    serde_json::from_slice::<T>(&compact).map_err(|e| DecodeFailure::Shape {
        path: super::json_path::path_at(&compact, e.column()),
        message: without_position(&e),
    })
}

/// serde_json's message without the ` at line 1 column 42` it ends with: the path says where.
fn without_position(error: &serde_json::Error) -> String {
    let message = error.to_string();
    let position = format!(" at line {} column {}", error.line(), error.column());
    match message.strip_suffix(&position) {
        Some(bare) => bare.to_owned(),
        None => message,
    }
}

/// `20.0` becomes `20`, so it decodes where the schema says integer; a field typed as a number
/// reads an integer just as well, so nothing else changes.
fn integral_floats_as_integers(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Number(n) if n.is_f64() => {
            if let Some(f) = n.as_f64()
                && f.fract() == 0.0
                && f.abs() < 9.0e15
            {
                *n = serde_json::Number::from(f as i64);
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(integral_floats_as_integers),
        serde_json::Value::Object(map) => map.values_mut().for_each(integral_floats_as_integers),
        _ => {}
    }
}

/// The server's own explanation in an error body that did not decode as documented (or that an
/// operation does not document): a problem's `detail` or `title`, Phygitals' `error`, a
/// `message`; or the first line of a plain-text body. At most 200 characters.
pub(crate) fn server_message(body: &[u8]) -> Option<String> {
    let text = match serde_json::from_slice::<serde_json::Value>(body) {
        Ok(serde_json::Value::Object(map)) => ["detail", "title", "error", "message"]
            .iter()
            .find_map(|key| map.get(*key)?.as_str().map(str::to_owned))?,
        Ok(_) => return None,
        Err(_) => {
            let text = std::str::from_utf8(body).ok()?;
            if text.trim_start().starts_with(['<', '{', '[']) {
                // An HTML page from a proxy, or JSON cut at the cap: markup is no message.
                return None;
            }
            text.lines()
                .map(str::trim)
                .find(|l| !l.is_empty())?
                .to_owned()
        }
    };
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    Some(match text.char_indices().nth(200) {
        Some((at, _)) => format!("{}...", &text[..at]),
        None => text.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize, PartialEq)]
    struct Parcel {
        state: String,
        weight: i64,
    }

    #[derive(Debug, serde::Deserialize, PartialEq)]
    struct Envelope {
        data: Vec<Parcel>,
    }

    #[tokio::test]
    async fn a_capped_read_keeps_the_response_and_its_bytes_and_can_be_read_again() {
        use reqwest::ResponseBuilderExt as _;
        let url = reqwest::Url::parse("http://127.0.0.1:9/team/t/shipments").unwrap();
        let response = |body: &'static [u8]| -> reqwest::Response {
            http::Response::builder()
                .status(StatusCode::CREATED)
                .header(REQUEST_ID, "trace-1")
                .url(url.clone())
                .body(body)
                .unwrap()
                .into()
        };
        let mut whole = response(b"{\"a\":1}");
        read_capped(&mut whole, 64).await.unwrap();
        assert_eq!(whole.url(), &url);
        assert_eq!(whole.status(), StatusCode::CREATED);
        assert_eq!(whole.headers()[REQUEST_ID], "trace-1");
        let read = ReadBody::of(&whole).unwrap();
        assert_eq!(read.bytes, Bytes::from_static(b"{\"a\":1}"));
        assert!(read.cut.is_none());
        let (status, headers, cut, body) = take::<()>(whole).unwrap();
        assert_eq!(status, StatusCode::CREATED);
        assert_eq!(headers[REQUEST_ID], "trace-1");
        assert!(cut.is_none());
        assert_eq!(body, Bytes::from_static(b"{\"a\":1}"));

        let mut again = response(b"{}");
        read_capped(&mut again, 64).await.unwrap();
        let again = readable(again);
        assert_eq!(again.url(), &url);
        assert_eq!(again.status(), StatusCode::CREATED);
        assert_eq!(again.headers()[REQUEST_ID], "trace-1");
        assert!(ReadBody::of(&again).is_some());
        assert_eq!(again.bytes().await.unwrap(), Bytes::from_static(b"{}"));

        // A response nobody read is refused, not waited for.
        let unread = take::<()>(response(b"{}")).unwrap_err();
        assert!(
            unread.to_string().contains("not read before decoding"),
            "{unread}"
        );

        let mut long = response(b"0123456789abcdef");
        read_capped(&mut long, 10).await.unwrap();
        let read = ReadBody::of(&long).unwrap();
        assert_eq!(read.bytes, Bytes::from_static(b"0123456789"));
        assert_eq!(read.cut.map(|c| c.limit), Some(10));
    }

    #[test]
    fn a_matching_body_decodes() {
        let v: Envelope =
            decode(br#"{"data":[{"state":"open","weight":2}]}"#, None, |_| {}).unwrap();
        assert_eq!(v.data[0].weight, 2);
    }

    #[test]
    fn an_integral_float_decodes_as_an_integer_but_a_fraction_does_not() {
        let v: Envelope = decode(
            br#"{"data":[{"state":"open","weight":20.0}]}"#,
            None,
            |_| {},
        )
        .unwrap();
        assert_eq!(v.data[0].weight, 20);
        let e = decode::<Envelope>(
            br#"{"data":[{"state":"open","weight":20.5}]}"#,
            None,
            |_| {},
        )
        .unwrap_err();
        assert!(e.to_string().starts_with("at data[0].weight: "), "{e}");
    }

    #[test]
    fn a_failure_names_the_path_and_what_was_found() {
        let e = decode::<Envelope>(
            br#"{"data":[{"state":"open","weight":1},{"state":null,"weight":1}]}"#,
            None,
            |_| {},
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "at data[1].state: invalid type: null, expected a string"
        );
    }

    #[test]
    fn not_json_and_cut_bodies_say_so() {
        let e = decode::<Envelope>(b"<html>bad gateway</html>", None, |_| {}).unwrap_err();
        assert!(e.to_string().starts_with("the body is not JSON"), "{e}");
        let e = decode::<Envelope>(b"{}", Some(BodyCut { limit: 10 }), |_| {}).unwrap_err();
        assert_eq!(e.to_string(), "the body is larger than the 10-byte limit");
    }

    #[test]
    fn the_tolerance_hook_runs_before_the_typed_decode() {
        let v: Envelope = decode(br#"{"data":[{"state":"open"}]}"#, None, |value| {
            value["data"][0]["weight"] = 7.into();
        })
        .unwrap();
        assert_eq!(v.data[0].weight, 7);
    }

    #[test]
    fn excerpts_are_bounded_and_escaped() {
        let big = vec![b'x'; 10_000];
        let shown = excerpt(&big);
        assert!(shown.len() < EXCERPT + 40, "{}", shown.len());
        assert!(shown.ends_with("(10000 bytes in all)"), "{shown}");
        assert_eq!(excerpt(b"a\nb"), "`a\\u{a}b`");
        assert_eq!(excerpt(b""), "(empty)");
    }

    #[test]
    fn server_messages_come_from_the_body_when_it_has_one() {
        let cases: [(&[u8], Option<&str>); 8] = [
            (
                br#"{"title":"Bad","detail":"Weight missing"}"#,
                Some("Weight missing"),
            ),
            (
                br#"{"title":"Service Unavailable"}"#,
                Some("Service Unavailable"),
            ),
            (br#"{"error":"Invalid API key"}"#, Some("Invalid API key")),
            (
                b"\n  Unauthorized: token expired\nmore",
                Some("Unauthorized: token expired"),
            ),
            (b"<html><body>502</body></html>", None),
            (b"[1,2]", None),
            (br#"{"title":"cut at the ca"#, None),
            (b"", None),
        ];
        for (body, expected) in cases {
            assert_eq!(server_message(body).as_deref(), expected);
        }
        let long = format!(r#"{{"error":"{}"}}"#, "y".repeat(5000));
        assert_eq!(server_message(long.as_bytes()).unwrap().len(), 203);
    }
}
