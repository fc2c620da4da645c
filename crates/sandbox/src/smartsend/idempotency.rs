//! Smart Send's idempotent writes, exactly as documented, for every POST and DELETE that carries
//! an `Idempotency-Key`:
//!
//! - same key and same payload (same path and query, body compared as canonical JSON), scoped per
//!   token and operation, within 24 h: the stored status, headers and body come back with
//!   `Idempotency-Replayed: true`, and nothing is executed;
//! - same key, different payload: 422;
//! - same key while the first request is still running: 409 with `Retry-After`;
//! - a key breaking `^[A-Za-z0-9._-]{16,128}$`: 400.
//!
//! A request either inserts its key as in flight or finds it, under one lock, so N simultaneous
//! requests with one key execute once. Answers of 5xx are not stored: nothing is known to have
//! happened, and a retry must be able to run.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use axum::body::{Body, Bytes};
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Duration, Utc};

use super::Caller;
use super::problem::{Kind, Problem};
use crate::Clock;
use crate::spec::SpecApi;

/// How long a stored response is replayed.
pub const RETENTION_HOURS: i64 = 24;

/// The keys seen, per (token, operation, key).
#[derive(Debug)]
pub struct Store {
    clock: Clock,
    entries: Mutex<HashMap<Scope, Entry>>,
    /// Sweep expired entries when the map reaches this size.
    sweep_at: AtomicUsize,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Scope {
    token: String,
    operation: String,
    key: String,
}

#[derive(Debug, Clone)]
struct Entry {
    fingerprint: String,
    at: DateTime<Utc>,
    stored: Option<Stored>,
}

#[derive(Debug, Clone)]
struct Stored {
    status: StatusCode,
    headers: HeaderMap,
    body: Bytes,
}

impl Store {
    /// An empty store reading `clock` for the 24-hour window.
    pub fn new(clock: Clock) -> Store {
        Store {
            clock,
            entries: Mutex::new(HashMap::new()),
            sweep_at: AtomicUsize::new(1024),
        }
    }
}

/// What the store says about a request, decided under its lock.
enum Verdict {
    Execute,
    Replay(Stored),
    InProgress,
    Mismatch,
}

/// Middleware (inside authentication: it needs the [`Caller`]).
pub async fn layer(State(store): State<Arc<Store>>, request: Request, next: Next) -> Response {
    if !matches!(*request.method(), Method::POST | Method::DELETE) {
        return next.run(request).await;
    }
    let Some(raw_key) = request.headers().get("idempotency-key").cloned() else {
        return next.run(request).await;
    };
    let caller = request
        .extensions()
        .get::<Caller>()
        .cloned()
        .expect("idempotency runs inside authentication");
    let instance = request.uri().path().to_owned();
    let key = match SpecApi::SmartSend.checked_header("IdempotencyKey", &raw_key) {
        Ok(key) => key,
        Err(reason) => {
            return Problem::new(Kind::InvalidHeader, caller.language)
                .detail(reason)
                .instance(instance)
                .into_response();
        }
    };
    let operation = format!(
        "{} {}",
        request.method(),
        request
            .extensions()
            .get::<MatchedPath>()
            .map_or(instance.as_str(), MatchedPath::as_str)
    );
    let (parts, body) = request.into_parts();
    // The front layer has already limited and buffered the body.
    let bytes = axum::body::to_bytes(body, usize::MAX)
        .await
        .unwrap_or_default();
    let fingerprint = format!("{} {}\n{}", parts.method, parts.uri, canonical_body(&bytes));
    let scope = Scope {
        token: caller.token.clone(),
        operation,
        key,
    };
    let now = store.clock.now();
    let verdict = {
        let mut entries = store.entries.lock().expect("idempotency lock");
        let live = |e: &Entry| now - e.at < Duration::hours(RETENTION_HOURS);
        // Sweeping on every request would cost O(keys) each; now and then is enough, and an
        // expired entry is treated as absent meanwhile.
        if entries.len() >= store.sweep_at.load(Ordering::Relaxed) {
            entries.retain(|_, e| live(e));
            store
                .sweep_at
                .store(entries.len() * 2 + 1024, Ordering::Relaxed);
        }
        match entries.get(&scope).filter(|e| live(e)) {
            None => {
                entries.insert(
                    scope.clone(),
                    Entry {
                        fingerprint: fingerprint.clone(),
                        at: now,
                        stored: None,
                    },
                );
                Verdict::Execute
            }
            Some(entry) if entry.fingerprint != fingerprint => Verdict::Mismatch,
            Some(Entry {
                stored: Some(stored),
                ..
            }) => Verdict::Replay(stored.clone()),
            Some(_) => Verdict::InProgress,
        }
    };
    match verdict {
        Verdict::Mismatch => Problem::new(Kind::IdempotencyKeyReused, caller.language)
            .instance(instance)
            .into_response(),
        Verdict::InProgress => Problem::new(Kind::IdempotencyKeyInProgress, caller.language)
            .instance(instance)
            .header(
                axum::http::header::RETRY_AFTER,
                HeaderValue::from_static("1"),
            )
            .into_response(),
        Verdict::Replay(stored) => {
            let mut response = (stored.status, stored.body).into_response();
            *response.headers_mut() = stored.headers;
            response
                .headers_mut()
                .insert("idempotency-replayed", HeaderValue::from_static("true"));
            response
        }
        Verdict::Execute => {
            let in_flight = InFlight {
                store: store.clone(),
                scope: Some(scope.clone()),
            };
            let request = Request::from_parts(parts, Body::from(bytes));
            let response = next.run(request).await;
            in_flight.disarm();
            let (parts, body) = response.into_parts();
            let body = axum::body::to_bytes(body, usize::MAX)
                .await
                .unwrap_or_default();
            let mut entries = store.entries.lock().expect("idempotency lock");
            if parts.status.is_server_error() {
                entries.remove(&scope);
            } else if let Some(entry) = entries.get_mut(&scope) {
                entry.stored = Some(Stored {
                    status: parts.status,
                    headers: parts.headers.clone(),
                    body: body.clone(),
                });
            }
            drop(entries);
            Response::from_parts(parts, Body::from(body))
        }
    }
}

/// Forgets an in-flight key if its request is abandoned (the client went away and the handler
/// was dropped), so that a retry is not refused with 409 forever.
struct InFlight {
    store: Arc<Store>,
    scope: Option<Scope>,
}

impl InFlight {
    fn disarm(mut self) {
        self.scope = None;
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        if let Some(scope) = self.scope.take() {
            let mut entries = self.store.entries.lock().expect("idempotency lock");
            if entries.get(&scope).is_some_and(|e| e.stored.is_none()) {
                entries.remove(&scope);
            }
        }
    }
}

/// The body in the sandbox's canonical form (what "the same payload" means: equal as JSON), or
/// its bytes when it is not JSON. The sandbox's own code, not the client's, so a client whose
/// canonical form were wrong could not agree with it by construction.
fn canonical_body(bytes: &[u8]) -> String {
    match serde_json::from_slice::<serde_json::Value>(bytes) {
        Ok(value) => {
            let mut out = String::with_capacity(bytes.len());
            canonical(&value, &mut out);
            out
        }
        Err(_) => String::from_utf8_lossy(bytes).into_owned(),
    }
}

/// Object members sorted by key, no whitespace, and a number by its value (`2`, `2.0` and
/// `2e0` are one number in JSON).
fn canonical(value: &serde_json::Value, out: &mut String) {
    use serde_json::Value;
    match value {
        Value::Object(members) => {
            let mut sorted: Vec<(&String, &Value)> = members.iter().collect();
            sorted.sort_unstable_by(|a, b| a.0.cmp(b.0));
            out.push('{');
            for (index, (key, member)) in sorted.into_iter().enumerate() {
                if index > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(key.clone()).to_string());
                out.push(':');
                canonical(member, out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (index, item) in items.iter().enumerate() {
                if index > 0 {
                    out.push(',');
                }
                canonical(item, out);
            }
            out.push(']');
        }
        Value::Number(number) => match (number.as_i64(), number.as_u64(), number.as_f64()) {
            (Some(i), _, _) => out.push_str(&i.to_string()),
            (_, Some(u), _) => out.push_str(&u.to_string()),
            (_, _, Some(f)) if f.fract() == 0.0 && f.abs() < 9.0e15 => {
                out.push_str(&(f as i64).to_string())
            }
            _ => out.push_str(&number.to_string()),
        },
        other => out.push_str(&other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::canonical_body;

    #[test]
    fn payloads_equal_as_json_have_one_canonical_form() {
        // The same text escaped and as UTF-8, numbers with and without a fraction, keys in
        // another order, whitespace.
        let a = canonical_body(br#"{"b": [1, 2.0, {"y": true, "x": null}], "a": "\u00e6"}"#);
        let b = canonical_body(b"{\"a\":\"\xc3\xa6\",\"b\":[1.0,2,{\"x\":null,\"y\":true}]}");
        assert_eq!(a, b);
        assert_eq!(a, "{\"a\":\"\u{e6}\",\"b\":[1,2,{\"x\":null,\"y\":true}]}");
        assert_ne!(
            a,
            canonical_body(br#"{"a": "\u00e6", "b": [1, 2.5, {"x": null, "y": true}]}"#)
        );
        assert_eq!(canonical_body(b"not json"), "not json");
    }
}
