//! The generated clients take and return parcelkit's own types for the Phygitals quote and order
//! ids and for a per-call `Accept-Language`: an id read from one answer goes into the next
//! request as it is, and an invalid value is refused before anything is sent, with a message
//! that names the rule it breaks.

mod support;

use parcelkit::phygitals::{self, OrderId, QuoteId, types};
use parcelkit::{AcceptLanguage, smartsend};
use serde_json::json;
use support::{ScriptedServer, json};

const TEAM: &str = "ad9546c1-393e-49a5-9a72-5cc146c9bec5";
const SHIPMENT: &str = "550e8400-e29b-41d4-a716-446655440000";

fn phygitals_client(server: &ScriptedServer) -> phygitals::Client {
    phygitals::Client::builder()
        .base_url(&server.base_url)
        .api_key("sandbox-k")
        .build()
        .unwrap()
}

fn smartsend_client(server: &ScriptedServer) -> smartsend::Client {
    smartsend::Client::builder()
        .base_url(&server.base_url)
        .token("t0ken")
        .build()
        .unwrap()
}

fn quote_request() -> types::QuoteRequest {
    serde_json::from_value(support::schema_example("phygitals", "QuoteRequest")).unwrap()
}

/// A quote's rate id is a `QuoteId`, the ship answer's order id an `OrderId`, and each goes
/// into the next call without conversion.
#[tokio::test]
async fn ids_read_from_answers_go_into_the_next_request() {
    let server = ScriptedServer::start(vec![
        json(200, support::schema_example("phygitals", "QuoteResponse")),
        json(
            200,
            json!({"order_id": "order_Zk3pQ9vX2mB7tL1c", "status": "success"}),
        ),
        json(200, support::schema_example("phygitals", "ShippingOrder")),
    ])
    .await;
    let client = phygitals_client(&server);
    let quote = client
        .quote_shipping()
        .body(quote_request())
        .send()
        .await
        .unwrap()
        .into_inner();
    let rate: &QuoteId = &quote.quotes[0].id;
    assert_eq!(rate.rate_key(), "standard");
    assert_eq!(rate.session_id(), quote.session_id);

    let shipped = client
        .request_shipping()
        .body(types::ShipRequest::builder().quote_id(rate))
        .send()
        .await
        .unwrap()
        .into_inner();
    let order_id: OrderId = shipped.order_id;
    assert!(order_id.is_sandbox_format());
    let order = client
        .get_shipping_order()
        .order_id(&order_id)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(order.order_id, order_id);

    let requests = server.requests();
    let sent: serde_json::Value = serde_json::from_str(&requests[1].body).unwrap();
    assert_eq!(sent, json!({"quote_id": rate.as_str()}));
    assert_eq!(
        requests[2].path,
        "/api/v1/ship/order/order_Zk3pQ9vX2mB7tL1c"
    );
}

#[tokio::test]
async fn an_order_id_that_would_leave_its_path_segment_is_refused_before_sending() {
    let server = ScriptedServer::start(vec![]).await;
    let client = phygitals_client(&server);
    for (id, rule) in [
        ("order/1", "it must not contain `/`"),
        ("..", "it must not be `.` or `..`"),
        ("", "the id is empty"),
    ] {
        let result = client.get_shipping_order().order_id(id).send().await;
        match result {
            Err(e) if e.kind() == parcelkit::ErrorKind::InvalidRequest => {
                assert_eq!(
                    refused(&e),
                    format!(
                        "order_id: invalid order id {id:?}: it goes into a URL path segment \
                         ({rule})"
                    )
                );
            }
            other => panic!("{id:?}: expected InvalidRequest, got {other:?}"),
        }
    }
    assert!(server.requests().is_empty(), "nothing was sent");
}

#[tokio::test]
async fn a_quote_id_without_the_separator_is_refused_before_sending() {
    let server = ScriptedServer::start(vec![]).await;
    let result = phygitals_client(&server)
        .request_shipping()
        .body(types::ShipRequest::builder().quote_id("quote_01JQ7ZK4M8P2R5T9V3X6Y1B4CD"))
        .send()
        .await;
    match result {
        Err(e) if e.kind() == parcelkit::ErrorKind::InvalidRequest => assert!(
            refused(&e).contains(
                "invalid quote id \"quote_01JQ7ZK4M8P2R5T9V3X6Y1B4CD\": it must be \
                 <session_id>_rate_<key> (the `_rate_` separator is missing)"
            ),
            "{e}"
        ),
        other => panic!("expected InvalidRequest, got {other:?}"),
    }
    assert!(server.requests().is_empty(), "nothing was sent");
}

/// The client checks a rate id as it reads it: one the server could never accept back is an
/// error naming where it is, not a `String` that fails at the next call.
#[tokio::test]
async fn a_rate_id_the_server_could_not_take_back_does_not_decode() {
    let mut quote = support::schema_example("phygitals", "QuoteResponse");
    quote["quotes"][0]["id"] = json!("standard");
    let server = ScriptedServer::start(vec![json(200, quote)]).await;
    let error = phygitals_client(&server)
        .quote_shipping()
        .body(quote_request())
        .send()
        .await
        .unwrap_err();
    let text = error.to_string();
    assert!(text.contains("quotes[0].id"), "{text}");
    assert!(text.contains("the `_rate_` separator is missing"), "{text}");
}

#[tokio::test]
async fn a_per_call_accept_language_is_parsed_and_sent_in_canonical_form() {
    let server = ScriptedServer::start(vec![
        json(
            200,
            json!({"data": support::schema_example("smartsend", "Shipment")}),
        ),
        json(
            200,
            json!({"data": support::schema_example("smartsend", "Shipment")}),
        ),
    ])
    .await;
    let client = smartsend_client(&server);
    let shipment = SHIPMENT.parse::<uuid::Uuid>().unwrap();
    client
        .get_shipment()
        .team(TEAM)
        .shipment(shipment)
        .accept_language("da-dk,da;q=0.900 , en;Q=0.8")
        .send()
        .await
        .unwrap();
    let typed = AcceptLanguage::from_slice(&[("fr-CA", 1.0), ("en", 0.5)]).unwrap();
    client
        .get_shipment()
        .team(TEAM)
        .shipment(shipment)
        .accept_language(&typed)
        .send()
        .await
        .unwrap();
    let requests = server.requests();
    assert_eq!(
        requests[0].header("accept-language"),
        Some("da-DK, da;q=0.9, en;q=0.8")
    );
    assert_eq!(
        requests[1].header("accept-language"),
        Some("fr-CA, en;q=0.5")
    );
}

#[tokio::test]
async fn an_invalid_per_call_accept_language_is_refused_before_sending() {
    let server = ScriptedServer::start(vec![]).await;
    let client = smartsend_client(&server);
    for (value, problem) in [
        ("da;q=5,,,", r#"q 5 for "da" is outside 0..=1"#),
        (
            "en_US",
            r#"invalid language tag "en_US": character '_' at position 2"#,
        ),
        (" , ", "Accept-Language needs at least one language"),
    ] {
        let result = client
            .get_shipment()
            .team(TEAM)
            .shipment(SHIPMENT.parse::<uuid::Uuid>().unwrap())
            .accept_language(value)
            .send()
            .await;
        match result {
            Err(e) if e.kind() == parcelkit::ErrorKind::InvalidRequest => {
                let message = refused(&e);
                assert!(message.starts_with("accept_language: "), "{message}");
                assert!(message.contains(problem), "{value:?}: {message}");
            }
            other => panic!("{value:?}: expected InvalidRequest, got {other:?}"),
        }
    }
    assert!(server.requests().is_empty(), "nothing was sent");
}

/// What an invalid request was refused for (the message after "refused before sending: ").
fn refused(error: &parcelkit::Error) -> String {
    error
        .message()
        .strip_prefix("refused before sending: ")
        .unwrap_or_else(|| panic!("not a refusal: {error}"))
        .to_owned()
}
