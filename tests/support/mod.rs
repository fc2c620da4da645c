//! A scripted HTTP/1.1 server on 127.0.0.1 for client tests: each connection gets the next step
//! of the script (a response, or a dropped connection after the request was read), and every
//! request is recorded.

#![allow(dead_code)] // each test binary uses part of it

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// What the server does with one request.
#[derive(Debug, Clone)]
pub enum Step {
    /// Answer with this status, these headers and this JSON body.
    Respond(u16, Vec<(&'static str, String)>, String),
    /// Read the request, then close the connection without answering: to the client this is a
    /// transport error after the request may have been processed.
    Drop,
    /// Answer with these exact bytes after the status line's headers: any content type, any
    /// size (a write the client cuts short is counted, see [`ScriptedServer::cut_writes`]).
    Raw {
        status: u16,
        headers: Vec<(&'static str, String)>,
        body: Vec<u8>,
    },
    /// Read the request and never answer (the connection is held for a minute).
    Hang,
}

/// A redirect to `location`.
pub fn redirect(status: u16, location: &str) -> Step {
    Step::Raw {
        status,
        headers: vec![("location", location.to_owned())],
        body: Vec::new(),
    }
}

/// A body of any content type.
pub fn raw(status: u16, content_type: &str, body: impl Into<Vec<u8>>) -> Step {
    Step::Raw {
        status,
        headers: vec![("content-type", content_type.to_owned())],
        body: body.into(),
    }
}

/// A JSON response with no extra headers.
pub fn json(status: u16, body: serde_json::Value) -> Step {
    Step::Respond(status, vec![], body.to_string())
}

/// A JSON response with extra headers.
pub fn json_with(status: u16, headers: &[(&'static str, &str)], body: serde_json::Value) -> Step {
    Step::Respond(
        status,
        headers.iter().map(|(k, v)| (*k, v.to_string())).collect(),
        body.to_string(),
    )
}

/// A request as the server saw it.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Recorded {
    /// A header's value, by case-insensitive name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

pub struct ScriptedServer {
    pub base_url: String,
    requests: Arc<Mutex<Vec<Recorded>>>,
    cut_writes: Arc<Mutex<usize>>,
}

impl ScriptedServer {
    /// Starts the server on a free loopback port; it stops when the test's runtime ends.
    pub async fn start(script: Vec<Step>) -> ScriptedServer {
        Self::start_on(reserve_port(), script).await
    }

    /// Starts the server on a listener bound before (see [`reserve_port`]), so its script can
    /// name its own port.
    pub async fn start_on(listener: std::net::TcpListener, script: Vec<Step>) -> ScriptedServer {
        listener.set_nonblocking(true).unwrap();
        let listener = TcpListener::from_std(listener).unwrap();
        let base_url = format!("http://{}", listener.local_addr().unwrap());
        let requests = Arc::new(Mutex::new(Vec::new()));
        let recorded = Arc::clone(&requests);
        let cut_writes = Arc::new(Mutex::new(0));
        let cut = Arc::clone(&cut_writes);
        tokio::spawn(async move {
            let mut script = script.into_iter();
            loop {
                let Ok((mut socket, _)) = listener.accept().await else {
                    return;
                };
                let Some(request) = read_request(&mut socket).await else {
                    continue;
                };
                recorded.lock().unwrap().push(request);
                match script.next() {
                    Some(Step::Drop) => drop(socket),
                    Some(Step::Hang) => {
                        tokio::spawn(async move {
                            tokio::time::sleep(Duration::from_secs(60)).await;
                            drop(socket);
                        });
                    }
                    Some(Step::Raw {
                        status,
                        headers,
                        body,
                    }) => {
                        let mut head = format!(
                            "HTTP/1.1 {status} Scripted\r\ncontent-length: {}\r\nconnection: close\r\n",
                            body.len()
                        );
                        for (name, value) in headers {
                            head.push_str(&format!("{name}: {value}\r\n"));
                        }
                        head.push_str("\r\n");
                        let written = async {
                            socket.write_all(head.as_bytes()).await?;
                            socket.write_all(&body).await?;
                            socket.shutdown().await
                        };
                        if written.await.is_err() {
                            *cut.lock().unwrap() += 1;
                        }
                    }
                    Some(Step::Respond(status, headers, body)) => {
                        let mut head = format!(
                            "HTTP/1.1 {status} Scripted\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n",
                            body.len()
                        );
                        for (name, value) in headers {
                            head.push_str(&format!("{name}: {value}\r\n"));
                        }
                        head.push_str("\r\n");
                        let _ = socket.write_all(head.as_bytes()).await;
                        let _ = socket.write_all(body.as_bytes()).await;
                        let _ = socket.shutdown().await;
                    }
                    None => {
                        let body = r#"{"title":"script exhausted"}"#;
                        let head = format!(
                            "HTTP/1.1 599 Script Exhausted\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                            body.len()
                        );
                        let _ = socket.write_all(head.as_bytes()).await;
                        let _ = socket.write_all(body.as_bytes()).await;
                    }
                }
            }
        });
        ScriptedServer {
            base_url,
            requests,
            cut_writes,
        }
    }

    /// Every request received so far.
    pub fn requests(&self) -> Vec<Recorded> {
        self.requests.lock().unwrap().clone()
    }

    /// How many [`Step::Raw`] answers the client closed the connection on before their last
    /// byte (it stopped reading at its cap).
    pub fn cut_writes(&self) -> usize {
        *self.cut_writes.lock().unwrap()
    }

    /// The server's port.
    pub fn port(&self) -> u16 {
        self.base_url.rsplit(':').next().unwrap().parse().unwrap()
    }
}

/// A listener on a free loopback port, for [`ScriptedServer::start_on`].
pub fn reserve_port() -> std::net::TcpListener {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap()
}

async fn read_request(socket: &mut tokio::net::TcpStream) -> Option<Recorded> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        let n = tokio::time::timeout(Duration::from_secs(5), socket.read(&mut chunk))
            .await
            .ok()?
            .ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i;
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
    let mut lines = head.split("\r\n");
    let mut first = lines.next()?.split(' ');
    let method = first.next()?.to_owned();
    let path = first.next()?.to_owned();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .collect();
    let length: usize = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = buf[head_end + 4..].to_vec();
    while body.len() < length {
        let n = socket.read(&mut chunk).await.ok()?;
        if n == 0 {
            break;
        }
        body.extend_from_slice(&chunk[..n]);
    }
    Some(Recorded {
        method,
        path,
        headers,
        body: String::from_utf8_lossy(&body).to_string(),
    })
}

/// The clock tests give clients: every wait returns at once and is recorded.
#[allow(unused_imports)] // each test binary uses part of it
pub use parcelkit::runtime::ManualClock;

/// A Phygitals ship request for the sandbox's example quote.
pub fn ship_request() -> parcelkit::phygitals::types::builder::ShipRequest {
    parcelkit::phygitals::types::ShipRequest::builder()
        .quote_id("quote_01JQ7ZK4M8P2R5T9V3X6Y1B4CD_rate_priority".to_string())
}

/// A component schema's `example` from one of the specs (`"smartsend"`, `"phygitals"`), so test
/// bodies are realistic and valid by the spec's own checks.
pub fn schema_example(api: &str, schema: &str) -> serde_json::Value {
    let path = format!("{}/openapi/{api}.yaml", env!("CARGO_MANIFEST_DIR"));
    let spec = parcelkit_codegen::yaml_to_json(&std::fs::read_to_string(path).unwrap()).unwrap();
    spec["components"]["schemas"][schema]["example"].clone()
}
