//! A loopback HTTP/1.1 server that records every request exactly as it arrived and answers each
//! with the next queued canned response: the other end of the request snapshots.
//!
//! What is recorded is what was on the wire, not what an HTTP library makes of it: header names
//! keep their casing, headers keep their order (duplicates included), and the query string is not
//! percent-decoded, so a change in any of these shows up in a snapshot.
//!
//! Supported: `Content-Length` bodies (or none), several requests per connection (keep-alive)
//! and connections closed after one. Not supported: chunked request bodies (such a request is
//! recorded without its body and answered `501`), `Expect: 100-continue`, HTTP/2.
//!
//! ```
//! use parcelkit_conformance::capture::{CannedResponse, CaptureServer};
//! use tokio::io::{AsyncReadExt, AsyncWriteExt};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> std::io::Result<()> {
//! let server = CaptureServer::start().await?;
//! server.respond(CannedResponse::json(200, &serde_json::json!({"ok": true})));
//!
//! let mut socket = tokio::net::TcpStream::connect(server.addr()).await?;
//! socket
//!     .write_all(b"GET /packs?platform=main%20net HTTP/1.1\r\nHost: x\r\nX-Trace: 1\r\nConnection: close\r\n\r\n")
//!     .await?;
//! let mut answer = String::new();
//! socket.read_to_string(&mut answer).await?;
//! assert!(answer.starts_with("HTTP/1.1 200 "));
//!
//! let request = &server.requests()[0];
//! assert_eq!((request.method.as_str(), request.path.as_str()), ("GET", "/packs"));
//! assert_eq!(request.query, [("platform".to_owned(), "main%20net".to_owned())]);
//! assert_eq!(request.headers[1], ("X-Trace".to_owned(), "1".to_owned()));
//! # Ok(()) }
//! ```

use std::collections::VecDeque;
use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex, MutexGuard};

use serde::Serialize;
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::{JoinHandle, JoinSet};

/// The largest request head (request line and headers) accepted.
const MAX_HEAD: usize = 64 * 1024;
/// The largest request body accepted.
const MAX_BODY: usize = 16 * 1024 * 1024;

/// One request as it arrived.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CapturedRequest {
    /// The method, as sent (`POST`).
    pub method: String,
    /// The request target up to `?`, not percent-decoded (`/api/v2/team/ad95.../shipments`).
    pub path: String,
    /// The query string split at `&`, each part at its first `=`, in wire order and not
    /// percent-decoded (`a%20b` stays `a%20b`, `+` stays `+`). A part without `=` has an empty
    /// value; an absent or empty query is an empty list.
    pub query: Vec<(String, String)>,
    /// The header fields as `(name, value)`, in wire order, names in their wire casing, values
    /// without surrounding whitespace. Non-UTF-8 bytes are replaced by U+FFFD.
    ///
    /// Serialized as a map in wire order (`{"host": "...", "accept": "..."}`, a repeated name
    /// as a repeated key), so a snapshot shows one line per header and a redaction can select a
    /// header by name: `.headers["request-id"]`.
    #[serde(serialize_with = "ordered_map")]
    pub headers: Vec<(String, String)>,
    /// The body: `None` when empty, JSON when `Content-Type` says so and it parses (members
    /// in wire order), text otherwise.
    pub body: Option<Body>,
}

impl CapturedRequest {
    /// The value of the first header named `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

fn ordered_map<S: serde::Serializer>(
    pairs: &[(String, String)],
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.collect_map(pairs.iter().map(|(k, v)| (k, v)))
}

/// A request body.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Body {
    /// A body whose `Content-Type` is `application/json` or `*/*+json`, parsed.
    Json(Json),
    /// Any other body, as text (non-UTF-8 bytes replaced by U+FFFD).
    Text(String),
}

/// A JSON value that keeps object members in wire order (duplicates included) and numbers as
/// written in kind: `1250.0` stays a float, `1250` an integer. (`serde_json::Value` sorts keys,
/// which would hide a change in field order.)
#[derive(Debug, Clone, PartialEq)]
pub enum Json {
    /// `null`.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// A number.
    Number(serde_json::Number),
    /// A string.
    String(String),
    /// An array.
    Array(Vec<Json>),
    /// An object's members, in wire order.
    Object(Vec<(String, Json)>),
}

impl Json {
    /// The value as a `serde_json::Value` (member order lost; the last of duplicate keys wins),
    /// e.g. to validate it against a schema.
    pub fn to_value(&self) -> Value {
        match self {
            Json::Null => Value::Null,
            Json::Bool(b) => Value::Bool(*b),
            Json::Number(n) => Value::Number(n.clone()),
            Json::String(s) => Value::String(s.clone()),
            Json::Array(items) => Value::Array(items.iter().map(Json::to_value).collect()),
            Json::Object(members) => Value::Object(
                members
                    .iter()
                    .map(|(k, v)| (k.clone(), v.to_value()))
                    .collect(),
            ),
        }
    }
}

impl Serialize for Json {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Json::Null => serializer.serialize_unit(),
            Json::Bool(b) => serializer.serialize_bool(*b),
            Json::Number(n) => n.serialize(serializer),
            Json::String(s) => serializer.serialize_str(s),
            Json::Array(items) => serializer.collect_seq(items),
            Json::Object(members) => serializer.collect_map(members.iter().map(|(k, v)| (k, v))),
        }
    }
}

impl<'de> serde::Deserialize<'de> for Json {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Json, D::Error> {
        deserializer.deserialize_any(JsonVisitor)
    }
}

struct JsonVisitor;

impl<'de> serde::de::Visitor<'de> for JsonVisitor {
    type Value = Json;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_unit<E>(self) -> Result<Json, E> {
        Ok(Json::Null)
    }

    fn visit_bool<E>(self, b: bool) -> Result<Json, E> {
        Ok(Json::Bool(b))
    }

    fn visit_u64<E>(self, n: u64) -> Result<Json, E> {
        Ok(Json::Number(n.into()))
    }

    fn visit_i64<E>(self, n: i64) -> Result<Json, E> {
        Ok(Json::Number(n.into()))
    }

    fn visit_f64<E: serde::de::Error>(self, n: f64) -> Result<Json, E> {
        serde_json::Number::from_f64(n)
            .map(Json::Number)
            .ok_or_else(|| E::custom("a JSON number is finite"))
    }

    fn visit_str<E>(self, s: &str) -> Result<Json, E> {
        Ok(Json::String(s.to_owned()))
    }

    fn visit_string<E>(self, s: String) -> Result<Json, E> {
        Ok(Json::String(s))
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Json, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Json::Array(items))
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Json, A::Error> {
        let mut members = Vec::new();
        while let Some(member) = map.next_entry()? {
            members.push(member);
        }
        Ok(Json::Object(members))
    }
}

/// What the server answers to one request.
#[derive(Debug, Clone, PartialEq)]
pub struct CannedResponse {
    /// The status code.
    pub status: u16,
    /// Header fields, written in this order. `Content-Length` is added unless present.
    pub headers: Vec<(String, String)>,
    /// The body bytes.
    pub body: Vec<u8>,
}

impl CannedResponse {
    /// A response with `Content-Type: application/json` and `body` as compact JSON.
    pub fn json(status: u16, body: &Value) -> CannedResponse {
        CannedResponse {
            status,
            headers: vec![("Content-Type".to_owned(), "application/json".to_owned())],
            body: body.to_string().into_bytes(),
        }
    }

    /// Adds a header field.
    pub fn with_header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }
}

#[derive(Default)]
struct Shared {
    responses: VecDeque<CannedResponse>,
    requests: Vec<CapturedRequest>,
}

/// The server. It listens on `127.0.0.1` on a free port until dropped (dropping it also ends
/// every open connection).
#[derive(Debug)]
pub struct CaptureServer {
    addr: SocketAddr,
    shared: Arc<Mutex<Shared>>,
    task: JoinHandle<()>,
}

impl std::fmt::Debug for Shared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shared")
            .field("queued_responses", &self.responses.len())
            .field("requests", &self.requests.len())
            .finish()
    }
}

impl CaptureServer {
    /// Binds `127.0.0.1:0` and starts serving on the current tokio runtime.
    pub async fn start() -> io::Result<CaptureServer> {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Mutex::new(Shared::default()));
        let state = Arc::clone(&shared);
        let task = tokio::spawn(async move {
            // Connections live in the set, so aborting this task (on drop) ends them too.
            let mut connections = JoinSet::new();
            while let Ok((socket, _)) = listener.accept().await {
                connections.spawn(serve(socket, Arc::clone(&state)));
                // Reap finished connections so the set does not grow without bound.
                while connections.try_join_next().is_some() {}
            }
        });
        Ok(CaptureServer { addr, shared, task })
    }

    /// The address listened on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:<port>`, no trailing slash.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Queues the answer to the next unanswered request. With the queue empty a request gets
    /// `501` and a JSON body saying so, a status no client retries.
    pub fn respond(&self, response: CannedResponse) {
        lock(&self.shared).responses.push_back(response);
    }

    /// Every request recorded so far, oldest first.
    pub fn requests(&self) -> Vec<CapturedRequest> {
        lock(&self.shared).requests.clone()
    }

    /// Every request recorded so far, oldest first, leaving none behind.
    pub fn take_requests(&self) -> Vec<CapturedRequest> {
        std::mem::take(&mut lock(&self.shared).requests)
    }
}

impl Drop for CaptureServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn lock(shared: &Mutex<Shared>) -> MutexGuard<'_, Shared> {
    // A panicking test thread must not hide the requests from the others.
    shared.lock().unwrap_or_else(|e| e.into_inner())
}

/// Serves one connection: request after request until the client closes, asks to close, or
/// sends something this server does not handle.
async fn serve(mut socket: TcpStream, shared: Arc<Mutex<Shared>>) {
    // Bytes read but not yet consumed: a pipelined next request may already be here.
    let mut buf = Vec::new();
    loop {
        let Some(head_len) = read_head(&mut socket, &mut buf).await else {
            return;
        };
        let Some(head) = parse_head(&buf[..head_len]) else {
            let _ =
                write_response(&mut socket, &fallback(400, "malformed request head"), true).await;
            return;
        };
        buf.drain(..head_len + 4);
        let chunked = head.header("transfer-encoding").is_some();
        let length = match head.header("content-length").map(str::parse::<usize>) {
            None => 0,
            Some(Ok(n)) if n <= MAX_BODY => n,
            Some(_) => {
                let _ =
                    write_response(&mut socket, &fallback(400, "bad content-length"), true).await;
                return;
            }
        };
        let mut body = Vec::new();
        if !chunked {
            while buf.len() < length {
                if !read_more(&mut socket, &mut buf).await {
                    return;
                }
            }
            body = buf.drain(..length).collect();
        }
        let close = chunked
            || head
                .header("connection")
                .is_some_and(|v| v.split(',').any(|t| t.trim().eq_ignore_ascii_case("close")));
        let response = {
            // Recorded before answering, so a client that got its answer finds its request here.
            let mut shared = lock(&shared);
            let request = head.into_request(&body);
            shared.requests.push(request);
            if chunked {
                fallback(501, "chunked request bodies are not supported")
            } else {
                shared
                    .responses
                    .pop_front()
                    .unwrap_or_else(|| fallback(501, "no canned response queued"))
            }
        };
        if write_response(&mut socket, &response, close).await.is_err() || close {
            return;
        }
    }
}

/// Reads until `buf` holds a whole head; returns its length without the final CRLFCRLF.
async fn read_head(socket: &mut TcpStream, buf: &mut Vec<u8>) -> Option<usize> {
    loop {
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            return Some(end);
        }
        if buf.len() > MAX_HEAD || !read_more(socket, buf).await {
            return None;
        }
    }
}

/// Appends what the socket has; false at end of stream or on error.
async fn read_more(socket: &mut TcpStream, buf: &mut Vec<u8>) -> bool {
    let mut chunk = [0u8; 8192];
    match socket.read(&mut chunk).await {
        Ok(0) | Err(_) => false,
        Ok(n) => {
            buf.extend_from_slice(&chunk[..n]);
            true
        }
    }
}

struct Head {
    method: String,
    target: String,
    headers: Vec<(String, String)>,
}

impl Head {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn into_request(self, body: &[u8]) -> CapturedRequest {
        let (path, query) = match self.target.split_once('?') {
            Some((path, query)) => (path.to_owned(), split_query(query)),
            None => (self.target.clone(), Vec::new()),
        };
        let body = (!body.is_empty()).then(|| {
            let text = String::from_utf8_lossy(body).into_owned();
            let json = self.header("content-type").is_some_and(is_json_media_type);
            match json.then(|| serde_json::from_str(&text)) {
                Some(Ok(value)) => Body::Json(value),
                _ => Body::Text(text),
            }
        });
        CapturedRequest {
            method: self.method,
            path,
            query,
            headers: self.headers,
            body,
        }
    }
}

/// The request line and header fields; `None` unless the line is `METHOD TARGET HTTP/1.x` and
/// every field line has a colon.
fn parse_head(head: &[u8]) -> Option<Head> {
    let text = String::from_utf8_lossy(head);
    let mut lines = text.split("\r\n");
    let mut request_line = lines.next()?.split(' ');
    let (method, target, version) = (
        request_line.next()?,
        request_line.next()?,
        request_line.next()?,
    );
    if request_line.next().is_some() || !version.starts_with("HTTP/1.") {
        return None;
    }
    let headers = lines
        .map(|line| {
            let (name, value) = line.split_once(':')?;
            Some((name.to_owned(), value.trim_matches([' ', '\t']).to_owned()))
        })
        .collect::<Option<Vec<_>>>()?;
    Some(Head {
        method: method.to_owned(),
        target: target.to_owned(),
        headers,
    })
}

fn split_query(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|part| !part.is_empty())
        .map(|part| {
            let (name, value) = part.split_once('=').unwrap_or((part, ""));
            (name.to_owned(), value.to_owned())
        })
        .collect()
}

fn is_json_media_type(content_type: &str) -> bool {
    let essence = content_type.split(';').next().unwrap_or("").trim();
    essence.eq_ignore_ascii_case("application/json")
        || essence.to_ascii_lowercase().ends_with("+json")
}

fn fallback(status: u16, why: &str) -> CannedResponse {
    CannedResponse::json(
        status,
        &serde_json::json!({ "title": format!("capture server: {why}") }),
    )
}

async fn write_response(
    socket: &mut TcpStream,
    response: &CannedResponse,
    close: bool,
) -> io::Result<()> {
    // Clients ignore the reason phrase; a fixed one keeps this free of a status table.
    let mut head = format!("HTTP/1.1 {} Canned\r\n", response.status);
    for (name, value) in &response.headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    let has = |name: &str| {
        response
            .headers
            .iter()
            .any(|(n, _)| n.eq_ignore_ascii_case(name))
    };
    if !has("content-length") {
        head.push_str(&format!("Content-Length: {}\r\n", response.body.len()));
    }
    if close && !has("connection") {
        head.push_str("Connection: close\r\n");
    }
    head.push_str("\r\n");
    socket.write_all(head.as_bytes()).await?;
    socket.write_all(&response.body).await?;
    socket.flush().await
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two requests on one kept-alive connection, the second sent before the first was
    /// answered, then a third that asks to close: each is recorded and answered in turn.
    #[tokio::test]
    async fn keep_alive_pipelining_and_close() {
        let server = CaptureServer::start().await.unwrap();
        for status in [201, 202] {
            server.respond(CannedResponse::json(status, &serde_json::json!({})));
        }
        let mut socket = TcpStream::connect(server.addr()).await.unwrap();
        let first = "POST /a?x=1&y=%2F&flag HTTP/1.1\r\nHost: h\r\nContent-Type: application/json\r\nContent-Length: 16\r\n\r\n{\"b\":1,\"a\":2.0}\n";
        let second = "DELETE /b HTTP/1.1\r\nHOST:  h \r\n\r\n";
        let third = "GET /c HTTP/1.1\r\nConnection: close\r\n\r\n";
        socket
            .write_all(format!("{first}{second}{third}").as_bytes())
            .await
            .unwrap();
        let mut answers = String::new();
        socket.read_to_string(&mut answers).await.unwrap();
        // Each answer's body (`{}`) runs straight into the next status line.
        let statuses: Vec<&str> = answers
            .match_indices("HTTP/1.1 ")
            .map(|(i, _)| &answers[i..i + "HTTP/1.1 201 Canned".len()])
            .collect();
        assert_eq!(
            statuses,
            [
                "HTTP/1.1 201 Canned",
                "HTTP/1.1 202 Canned",
                "HTTP/1.1 501 Canned"
            ]
        );

        let requests = server.requests();
        assert_eq!(requests.len(), 3);
        let query = |pairs: &[(&str, &str)]| -> Vec<(String, String)> {
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        };
        assert_eq!(
            requests[0].query,
            query(&[("x", "1"), ("y", "%2F"), ("flag", "")])
        );
        let Some(Body::Json(body)) = &requests[0].body else {
            panic!("a JSON body: {:?}", requests[0].body);
        };
        // Members in wire order, and the float stays a float.
        assert_eq!(serde_json::to_string(body).unwrap(), r#"{"b":1,"a":2.0}"#);
        assert_eq!(requests[1].headers, query(&[("HOST", "h")]));
        assert_eq!(
            (requests[2].method.as_str(), requests[2].body.as_ref()),
            ("GET", None)
        );
    }
}
