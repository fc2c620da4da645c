//! The Phygitals operations, at the spec's paths: HTTP in and out around [`State`].
//!
//! Bodies are read as bytes and parsed here, never by an extractor that could answer in a
//! format of its own: malformed JSON is a 400 `{"error": "Invalid JSON body"}` (the message the
//! shared front uses for Phygitals), an empty body counts as `{}`, and fields of the wrong type
//! get the operation's documented message for a missing field. Path and query extraction
//! failures fall back the same way, so no input is answered with a 500 or a non-JSON body.

use std::sync::{Arc, Mutex, MutexGuard};

use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State as AxumState};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use bytes::Bytes;
use parcelkit::phygitals::types;
use serde_json::{Value, json};

use super::state::{Refusal, State};
use super::{Partner, error};
use crate::Shared;

/// What the handlers share: the sandbox's clock and ledger, and the Phygitals state.
struct App {
    shared: Arc<Shared>,
    state: Mutex<State>,
}

impl App {
    fn state(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock cannot leave the state half-written in a way that
        // matters more than refusing every later request, so poisoning is ignored.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Records one executed write.
    fn record(&self, operation: &str, resource: &str) {
        self.shared.ledger.record(API, operation, resource);
    }
}

type Ctx = AxumState<Arc<App>>;

/// The ledger's name for this API.
const API: &str = "phygitals";

/// Every Phygitals route, at the spec's paths.
pub fn routes(shared: Arc<Shared>) -> Router {
    let app = Arc::new(App {
        shared,
        state: Mutex::new(State::default()),
    });
    Router::new()
        .route("/api/v1/ship/quote", post(quote_shipping))
        .route("/api/v1/ship/request", post(request_shipping))
        .route("/api/v1/ship/order/{order_id}", get(get_shipping_order))
        .route("/api/v1/inventory/{user_id}", get(get_inventory))
        .route("/api/v1/vm/buyback", post(buyback_item))
        .route("/api/v1/vm/available", get(list_available_packs))
        .route("/api/v1/vm/recent-pulls", get(list_recent_pulls))
        .route("/api/v1/vm/buy/init", post(init_purchase))
        .route("/api/v1/vm/buy/status", post(get_purchase_status))
        .route("/api/v1/card/{item_id}", get(get_card))
        .with_state(app)
}

/// The response for a refusal.
fn refuse(refusal: Refusal) -> Response {
    match refusal {
        Refusal::Error(status, message) => error(status, message).into_response(),
        Refusal::Destination(invalid) => {
            let body = types::QuoteValidationError {
                error: "Invalid destination address".to_owned(),
                details: Some(invalid.details),
                // The destination as sent, corrected: it reads as the spec's partial one.
                suggested: invalid
                    .suggested
                    .and_then(|suggested| serde_json::from_value(suggested).ok()),
            };
            (StatusCode::BAD_REQUEST, Json(body)).into_response()
        }
    }
}

/// A 200 JSON answer, or the refusal.
fn answer(result: Result<Value, Refusal>) -> Response {
    match result {
        Ok(value) => Json(value).into_response(),
        Err(refusal) => refuse(refusal),
    }
}

/// The request body as JSON (empty is `{}`); `None` when it is malformed.
fn body_json(body: &Bytes) -> Option<Value> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Some(json!({}));
    }
    serde_json::from_slice(body).ok()
}

/// The answer to a malformed body, in the API's own error format.
fn invalid_json() -> Response {
    error(StatusCode::BAD_REQUEST, "Invalid JSON body").into_response()
}

/// Runs a write: parses the body, applies `op` under the lock, records the resource it created
/// or changed in the ledger, and answers.
fn write(
    app: &App,
    operation: &str,
    body: &Bytes,
    op: impl FnOnce(&mut State, &Value) -> Result<(String, Value), Refusal>,
) -> Response {
    let Some(body) = body_json(body) else {
        return invalid_json();
    };
    let result = op(&mut app.state(), &body);
    match result {
        Ok((resource, value)) => {
            app.record(operation, &resource);
            Json(value).into_response()
        }
        Err(refusal) => refuse(refusal),
    }
}

async fn quote_shipping(
    AxumState(app): Ctx,
    Extension(Partner(key)): Extension<Partner>,
    body: Bytes,
) -> Response {
    let now = app.shared.clock.now();
    write(&app, "quote_shipping", &body, |s, b| s.quote(&key, b, now))
}

async fn request_shipping(
    AxumState(app): Ctx,
    Extension(Partner(key)): Extension<Partner>,
    body: Bytes,
) -> Response {
    let now = app.shared.clock.now();
    write(&app, "request_shipping", &body, |s, b| {
        s.request_shipping(&key, b, now)
    })
}

async fn get_shipping_order(
    AxumState(app): Ctx,
    Extension(Partner(key)): Extension<Partner>,
    order_id: Result<Path<String>, PathRejection>,
) -> Response {
    // An undecodable id cannot name an order.
    let order_id = order_id.map(|Path(id)| id).unwrap_or_default();
    answer(app.state().order(&key, &order_id))
}

async fn get_inventory(
    AxumState(app): Ctx,
    Extension(Partner(key)): Extension<Partner>,
    user_id: Result<Path<String>, PathRejection>,
) -> Response {
    let user_id = user_id.map(|Path(id)| id).unwrap_or_default();
    answer(app.state().inventory(&key, &user_id))
}

async fn buyback_item(
    AxumState(app): Ctx,
    Extension(Partner(key)): Extension<Partner>,
    body: Bytes,
) -> Response {
    let now = app.shared.clock.now();
    write(&app, "buyback_item", &body, |s, b| s.buyback(&key, b, now))
}

/// The query's pairs, repeated keys kept; an unparsable query counts as empty.
fn pairs(query: Result<Query<Vec<(String, String)>>, QueryRejection>) -> Vec<(String, String)> {
    query.map(|Query(pairs)| pairs).unwrap_or_default()
}

async fn list_available_packs(
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Response {
    let pairs = pairs(query);
    let platform = pairs
        .iter()
        .find(|(k, _)| k == "platform")
        .map_or(super::catalogue::PLATFORM, |(_, v)| v.as_str());
    Json(State::packs(platform)).into_response()
}

/// `limit` as documented: missing or not a number is 20, anything else is clamped into 1..100.
fn limit(pairs: &[(String, String)]) -> usize {
    pairs
        .iter()
        .find(|(k, _)| k == "limit")
        .and_then(|(_, v)| v.trim().parse::<i64>().ok())
        .map_or(20, |n| n.clamp(1, 100) as usize)
}

async fn list_recent_pulls(
    AxumState(app): Ctx,
    Extension(Partner(key)): Extension<Partner>,
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Response {
    let pairs = pairs(query);
    let claw_ids: Vec<String> = pairs
        .iter()
        .filter(|(k, _)| k == "claw_ids")
        .map(|(_, v)| v.clone())
        .collect();
    Json(app.state().recent_pulls(&key, &claw_ids, limit(&pairs))).into_response()
}

async fn init_purchase(
    AxumState(app): Ctx,
    Extension(Partner(key)): Extension<Partner>,
    body: Bytes,
) -> Response {
    let now = app.shared.clock.now();
    write(&app, "init_purchase", &body, |s, b| {
        s.init_purchase(&key, b, now)
    })
}

async fn get_purchase_status(
    AxumState(app): Ctx,
    Extension(Partner(key)): Extension<Partner>,
    body: Bytes,
) -> Response {
    match body_json(&body) {
        Some(body) => answer(app.state().purchase_status(&key, &body)),
        None => invalid_json(),
    }
}

async fn get_card(item_id: Result<Path<String>, PathRejection>, AxumState(app): Ctx) -> Response {
    let item_id = item_id.map(|Path(id)| id).unwrap_or_default();
    answer(app.state().card(&item_id))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limit_defaults_and_clamps() {
        let q = |v: &str| vec![("limit".to_owned(), v.to_owned())];
        assert_eq!(limit(&[]), 20);
        assert_eq!(limit(&q("abc")), 20);
        assert_eq!(limit(&q("0")), 1);
        assert_eq!(limit(&q("-5")), 1);
        assert_eq!(limit(&q("7")), 7);
        assert_eq!(limit(&q("1000")), 100);
    }

    #[test]
    fn bodies_parse_leniently_but_never_silently() {
        assert_eq!(body_json(&Bytes::from_static(b"")), Some(json!({})));
        assert_eq!(body_json(&Bytes::from_static(b" \n")), Some(json!({})));
        assert_eq!(body_json(&Bytes::from_static(b"[1]")), Some(json!([1])));
        assert_eq!(body_json(&Bytes::from_static(b"{\"item_ids\": [")), None);
        assert_eq!(invalid_json().status(), StatusCode::BAD_REQUEST);
    }
}
