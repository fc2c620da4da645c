//! The generated builders take parcelkit's own header types: valid values are sent as given,
//! invalid ones are refused before anything reaches the server.

use httpmock::{Method, MockServer};
use parcelkit::smartsend::Client;
use parcelkit::{IdempotencyKey, RequestId};
use serde_json::json;

const TEAM: &str = "ad9546c1-393e-49a5-9a72-5cc146c9bec5";
const SHIPMENT: &str = "550e8400-e29b-41d4-a716-446655440000";

#[tokio::test]
async fn idempotency_key_and_request_id_are_sent_as_given() {
    let server = MockServer::start_async().await;
    let key = IdempotencyKey::derive("order-4521", &json!({"delete": SHIPMENT})).unwrap();
    let request_id = RequestId::new("order-4521-delete-1").unwrap();
    let mock = server.mock(|when, then| {
        when.method(Method::DELETE)
            .path(format!("/team/{TEAM}/shipments/{SHIPMENT}"))
            .header("Idempotency-Key", key.as_str())
            .header("Request-ID", request_id.as_str());
        then.status(200)
            .header("content-type", "application/json")
            .json_body(json!({"message": "Shipment deleted"}));
    });
    let client = Client::builder()
        .base_url(server.base_url())
        .build()
        .unwrap();
    let response = client
        .delete_shipment()
        .team(TEAM)
        .shipment(SHIPMENT.parse::<uuid::Uuid>().unwrap())
        .idempotency_key(key.clone())
        .request_id(request_id.clone())
        .send()
        .await
        .expect("the mock answers");
    assert_eq!(response.message, "Shipment deleted");
    mock.assert_async().await;
}

#[tokio::test]
async fn an_invalid_key_is_refused_before_sending() {
    let server = MockServer::start_async().await;
    let anything = server.mock(|when, then| {
        when.any_request();
        then.status(200);
    });
    let client = Client::builder()
        .base_url(server.base_url())
        .build()
        .unwrap();
    let result = client
        .delete_shipment()
        .team(TEAM)
        .shipment(SHIPMENT.parse::<uuid::Uuid>().unwrap())
        .idempotency_key("too-short")
        .send()
        .await;
    match result {
        Err(error) if error.kind() == parcelkit::ErrorKind::InvalidRequest => {
            // The setter keeps the conversion error, so the rule and the length are named.
            assert_eq!(
                error.message(),
                "refused before sending: idempotency_key: invalid Idempotency-Key: 9 characters, but it must be 16 to 128 \
                 characters from A-Z a-z 0-9 . _ -"
            );
        }
        other => panic!("expected InvalidRequest, got {other:?}"),
    }
    assert_eq!(anything.calls_async().await, 0, "nothing was sent");
}
