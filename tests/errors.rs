//! Every failure is a `parcelkit::Error` with its kind, status, Request-ID, headers, the raw body
//! (bounded) and the API's parsed details; never a panic.

mod support;

use std::sync::Arc;

use parcelkit::phygitals::{self, PhygitalsError};
use parcelkit::{ErrorKind, IdempotencyKey, MAX_ERROR_BODY, RetryAdvice, RetryPolicy, smartsend};
use serde_json::json;
use support::{ManualClock, ScriptedServer, Step, json};

const TEAM: &str = "ad9546c1-393e-49a5-9a72-5cc146c9bec5";
const SHIPMENT: &str = "550e8400-e29b-41d4-a716-446655440000";
const TOKEN: &str = "very-secret-bearer-7d1e";

fn smartsend_client(server: &ScriptedServer) -> smartsend::Client {
    smartsend::Client::builder()
        .base_url(&server.base_url)
        .token(TOKEN)
        .clock(Arc::new(ManualClock::new()))
        .build()
        .unwrap()
}

async fn delete(client: &smartsend::Client, key: IdempotencyKey) -> Result<(), parcelkit::Error> {
    client
        .delete_shipment()
        .team(TEAM)
        .shipment(SHIPMENT.parse::<uuid::Uuid>().unwrap())
        .idempotency_key(key)
        .send()
        .await
        .map(|_| ())
}

#[tokio::test]
async fn a_reused_key_is_a_typed_final_error_with_everything_known() {
    let body = json!({"type": smartsend::KEY_REUSED_PROBLEM_TYPE, "title": "Unprocessable Entity", "status": 422,
        "detail": "The Idempotency-Key order-4521-delete-0001 was already used with a different request payload."});
    let server = ScriptedServer::start(vec![
        json(422, body.clone()),
        json(200, json!({"message": "x"})),
    ])
    .await;
    let key = IdempotencyKey::new("order-4521-delete-0001").unwrap();
    let error = delete(&smartsend_client(&server), key.clone())
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::IdempotencyKeyReused);
    assert_eq!(error.status().map(|s| s.as_u16()), Some(422));
    assert!(error.is_idempotency_key_reused());
    assert!(!error.is_retryable());
    assert_eq!(error.idempotency_key(), Some(key.as_str()));
    let sent_id = server.requests()[0]
        .header("request-id")
        .unwrap()
        .to_owned();
    assert_eq!(error.request_id(), Some(sent_id.as_str()));
    assert_eq!(
        serde_json::from_slice::<serde_json::Value>(error.body()).unwrap(),
        body,
        "the raw body"
    );
    assert_eq!(server.requests().len(), 1, "422 is never retried");
    let shown = error.to_string();
    assert!(
        shown.contains("status 422") && shown.contains(&sent_id),
        "{shown}"
    );
    assert!(!format!("{shown} {error:?}").contains(TOKEN));
}

#[tokio::test]
async fn a_validation_422_is_not_mistaken_for_key_reuse() {
    let body = json!({"type": "about:blank", "title": "Unprocessable Entity", "status": 422,
        "detail": "The given data was invalid.", "errors": {"parcels.0.gross_weight": ["must be positive"]}});
    let server = ScriptedServer::start(vec![json(422, body)]).await;
    let error = delete(&smartsend_client(&server), IdempotencyKey::new_random())
        .await
        .unwrap_err();
    assert!(!error.is_idempotency_key_reused());
    assert_eq!(
        error.field_errors("parcels.0.gross_weight"),
        ["must be positive"]
    );
    assert!(error.field_errors("nope").is_empty());
}

#[tokio::test]
async fn key_reuse_is_told_by_the_problem_type_not_by_its_words() {
    // Words about the key without the type (another cause, another wording): not key reuse.
    let prose = json!({"type": "about:blank", "title": "Unprocessable Entity", "status": 422,
        "detail": "The Idempotency-Key header must be sent with this request."});
    // The type with words in another language: key reuse.
    let typed = json!({"type": smartsend::KEY_REUSED_PROBLEM_TYPE, "title": "Data kan ikke behandles",
        "status": 422, "detail": "Nøglen er allerede brugt med et andet indhold."});
    let server = ScriptedServer::start(vec![json(422, prose), json(422, typed)]).await;
    let client = smartsend_client(&server);
    let first = delete(&client, IdempotencyKey::new_random())
        .await
        .unwrap_err();
    assert_eq!(first.kind(), ErrorKind::Api);
    assert!(!first.is_idempotency_key_reused());
    let second = delete(&client, IdempotencyKey::new_random())
        .await
        .unwrap_err();
    assert_eq!(second.kind(), ErrorKind::IdempotencyKeyReused);
}

#[tokio::test]
async fn an_undecodable_success_body_keeps_status_request_id_and_bytes() {
    let server =
        ScriptedServer::start(vec![Step::Respond(200, vec![], r#"{"data": 5}"#.into())]).await;
    let error = smartsend_client(&server)
        .list_services()
        .team(TEAM)
        .send()
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::UnexpectedResponse);
    assert_eq!(error.status().map(|s| s.as_u16()), Some(200));
    assert!(error.request_id().is_some());
    assert_eq!(error.body(), br#"{"data": 5}"#);
}

#[tokio::test]
async fn a_non_json_error_body_is_kept_not_a_panic() {
    let server =
        ScriptedServer::start(vec![Step::Respond(500, vec![], "<html>oops</html>".into())]).await;
    let client = smartsend::Client::builder()
        .base_url(&server.base_url)
        .retry_policy(RetryPolicy::never())
        .build()
        .unwrap();
    let error = client.list_services().team(TEAM).send().await.unwrap_err();
    // A 500 is a server error whatever its body says; the HTML is kept, not shown as a message.
    assert_eq!(error.kind(), ErrorKind::ServerError);
    assert_eq!(error.message(), "Internal Server Error");
    assert_eq!(error.status().map(|s| s.as_u16()), Some(500));
    assert_eq!(error.body(), b"<html>oops</html>");
    assert!(error.is_retryable());
}

#[tokio::test]
async fn an_undocumented_status_keeps_its_bounded_body() {
    let big = format!("{{\"title\":\"{}\"}}", "x".repeat(200_000));
    let server = ScriptedServer::start(vec![Step::Respond(418, vec![], big)]).await;
    let error = smartsend_client(&server)
        .list_services()
        .team(TEAM)
        .send()
        .await
        .unwrap_err();
    // A 4xx the operation does not list is an API error.
    assert_eq!(error.kind(), ErrorKind::Api);
    assert_eq!(error.status().map(|s| s.as_u16()), Some(418));
    assert_eq!(error.body().len(), MAX_ERROR_BODY);
    // The body was cut at the cap, so it is no JSON to read a message from.
    assert_eq!(error.message(), "I'm a teapot");
    assert!(error.to_string().len() < 400, "{error}");
}

#[tokio::test]
async fn a_transport_error_still_names_its_request() {
    let server = ScriptedServer::start(vec![Step::Drop]).await;
    let client = phygitals::Client::builder()
        .base_url(&server.base_url)
        .api_key("sandbox-k")
        .build()
        .unwrap();
    let error = client
        .request_shipping()
        .body(support::ship_request())
        .send()
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Transport);
    assert_eq!(error.status(), None);
    assert_eq!(
        error.request_id(),
        server.requests()[0].header("request-id")
    );
    // The order may exist now, and Phygitals does not deduplicate: not safe to send again.
    assert_eq!(error.retry_advice(), RetryAdvice::MayHaveExecuted);
    assert!(!error.is_retryable());
    assert_eq!(
        server.requests().len(),
        1,
        "the runtime did not resend it either"
    );
}

#[tokio::test]
async fn retry_advice_follows_the_retry_rule() {
    // A read whose connection dropped: safe to repeat.
    let server = ScriptedServer::start(vec![Step::Drop, Step::Drop, Step::Drop]).await;
    let client = phygitals::Client::builder()
        .base_url(&server.base_url)
        .api_key("sandbox-k")
        .clock(Arc::new(ManualClock::new()))
        .build()
        .unwrap();
    let error = client
        .get_inventory()
        .user_id("u1")
        .send()
        .await
        .unwrap_err();
    assert_eq!(error.retry_advice(), RetryAdvice::SafeToRetry);
    // A write that never reached a server (nothing listens): safe to repeat.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let error = phygitals::Client::builder()
        .base_url(format!("http://127.0.0.1:{port}"))
        .api_key("sandbox-k")
        .clock(Arc::new(ManualClock::new()))
        .build()
        .unwrap()
        .request_shipping()
        .body(support::ship_request())
        .send()
        .await
        .unwrap_err();
    assert_eq!(error.retry_advice(), RetryAdvice::SafeToRetry);
    // A Smart Send write answered 503: it carries a key, so repeating it replays.
    let server = ScriptedServer::start(vec![json(503, json!({"title": "Down"})); 3]).await;
    let error = delete(&smartsend_client(&server), IdempotencyKey::new_random())
        .await
        .unwrap_err();
    assert_eq!(error.retry_advice(), RetryAdvice::SafeToRetry);
    // A Phygitals write answered 500: it may have executed.
    let server = ScriptedServer::start(vec![json(
        500,
        json!({"error": "An unexpected error occurred"}),
    )])
    .await;
    let error = phygitals::Client::builder()
        .base_url(&server.base_url)
        .api_key("sandbox-k")
        .build()
        .unwrap()
        .request_shipping()
        .body(support::ship_request())
        .send()
        .await
        .unwrap_err();
    assert_eq!(error.retry_advice(), RetryAdvice::MayHaveExecuted);
    // A 4xx is an answer.
    let server = ScriptedServer::start(vec![json(404, json!({"error": "Order not found"}))]).await;
    let error = phygitals::Client::builder()
        .base_url(&server.base_url)
        .api_key("sandbox-k")
        .build()
        .unwrap()
        .get_shipping_order()
        .order_id("order_AAAAAAAAAAAAAAAA")
        .send()
        .await
        .unwrap_err();
    assert_eq!(error.retry_advice(), RetryAdvice::NotRetryable);
}

#[tokio::test]
async fn an_invalid_key_is_refused_before_sending() {
    let server = ScriptedServer::start(vec![json(200, json!({"message": "x"}))]).await;
    let error = smartsend_client(&server)
        .delete_shipment()
        .team(TEAM)
        .shipment(SHIPMENT.parse::<uuid::Uuid>().unwrap())
        .idempotency_key("short")
        .send()
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::InvalidRequest);
    assert_eq!(
        error.message(),
        "refused before sending: idempotency_key: invalid Idempotency-Key: 5 characters, but it \
         must be 16 to 128 characters from A-Z a-z 0-9 . _ -"
    );
    assert!(server.requests().is_empty());
}

fn phygitals_client(server: &ScriptedServer) -> phygitals::Client {
    phygitals::Client::builder()
        .base_url(&server.base_url)
        .api_key("sandbox-k")
        .build()
        .unwrap()
}

#[tokio::test]
async fn phygitals_messages_are_typed() {
    let server = ScriptedServer::start(vec![
        json(400, json!({"error": "Quote expired"})),
        json(400, json!({"error": "A message from the future"})),
    ])
    .await;
    let client = phygitals_client(&server);
    let ship = || {
        client
            .request_shipping()
            .body(support::ship_request())
            .send()
    };
    let expired = ship().await.unwrap_err();
    assert_eq!(expired.phygitals(), Some(&PhygitalsError::QuoteExpired));
    assert!(
        expired
            .to_string()
            .starts_with("Phygitals: Quote expired (status 400"),
        "{expired}"
    );
    let unknown = ship().await.unwrap_err();
    assert_eq!(
        unknown.phygitals(),
        Some(&PhygitalsError::Other("A message from the future".into()))
    );
}

#[tokio::test]
async fn an_invalid_destination_carries_details_and_suggestion() {
    let server = ScriptedServer::start(vec![json(
        400,
        json!({
            "error": "Invalid destination address",
            "details": "The street number could not be matched to postal code 33130.",
            "suggested": {"line1": "1450 Brickell Ave", "postal_code": "33131", "zip": "33131"}
        }),
    )])
    .await;
    let request: phygitals::types::QuoteRequest = serde_json::from_value(json!({
        "item_ids": ["nft_1"],
        "destination": {"name": "Emily Carter", "line1": "1450 Brickel Ave", "city": "Miami", "postal_code": "33130", "country": "US"}
    }))
    .unwrap();
    let error = phygitals_client(&server)
        .quote_shipping()
        .body(request)
        .send()
        .await
        .unwrap_err();
    match error.phygitals() {
        Some(PhygitalsError::InvalidDestination { details, suggested }) => {
            assert_eq!(
                details.as_deref(),
                Some("The street number could not be matched to postal code 33130.")
            );
            assert_eq!(
                suggested.as_ref().and_then(|s| s.postal_code.as_deref()),
                Some("33131")
            );
        }
        other => panic!("expected InvalidDestination, got {other:?}"),
    }
}

#[tokio::test]
async fn a_malformed_quote_id_is_refused_before_sending_naming_the_rule() {
    let server = ScriptedServer::start(vec![json(
        200,
        json!({"order_id": "order_Zk3pQ9vX2mB7tL1c", "status": "success"}),
    )])
    .await;
    // Through the generated body: the spec's pattern is named.
    let error = phygitals_client(&server)
        .request_shipping()
        .body(
            phygitals::types::ShipRequest::builder()
                .quote_id("quote_01JQ7ZK4M8P2R5T9V3X6Y1B4CD".to_string()),
        )
        .send()
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::InvalidRequest);
    assert!(error.message().contains("_rate_"), "{}", error.message());
    // Through the typed id: the rule in words.
    let typed = phygitals::QuoteId::parse("quote_01JQ7ZK4M8P2R5T9V3X6Y1B4CD").unwrap_err();
    assert!(
        typed
            .to_string()
            .contains("the `_rate_` separator is missing"),
        "{typed}"
    );
    assert!(server.requests().is_empty(), "nothing was sent");
}
