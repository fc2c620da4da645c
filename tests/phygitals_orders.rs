//! Waiting for a Phygitals order: until an end state, until a chosen status, or a timeout.

mod support;

use std::sync::Arc;
use std::time::Duration;

use parcelkit::PollPolicy;
use parcelkit::phygitals::{self, OrderWaitError, types::ShippingOrderStatus};
use serde_json::{Value, json};
use support::{ManualClock, ScriptedServer, Step, json};

const ORDER: &str = "order_Zk3pQ9vX2mB7tL1c";

fn order_id() -> parcelkit::phygitals::OrderId {
    ORDER.parse().unwrap()
}

fn order(status: &str) -> Step {
    let mut o: Value = support::schema_example("phygitals", "ShippingOrder");
    o["status"] = json!(status);
    json(200, o)
}

fn client(server: &ScriptedServer, clock: &ManualClock) -> phygitals::Client {
    phygitals::Client::builder()
        .base_url(&server.base_url)
        .api_key("sandbox-k")
        .clock(Arc::new(clock.clone()))
        .build()
        .unwrap()
}

#[tokio::test]
async fn waits_until_an_end_state() {
    let server = ScriptedServer::start(vec![
        order("queued"),
        order("processing"),
        order("shipped"),
        order("delivered"),
    ])
    .await;
    let clock = ManualClock::new();
    let done = client(&server, &clock)
        .wait_for_order(
            &order_id(),
            PollPolicy::fixed(Duration::from_secs(5), Duration::from_secs(60)),
        )
        .await
        .unwrap();
    assert_eq!(done.status, ShippingOrderStatus::Delivered);
    assert_eq!(clock.slept(), [Duration::from_secs(5); 3]);
    assert!(
        server
            .requests()
            .iter()
            .all(|r| r.path == format!("/api/v1/ship/order/{ORDER}"))
    );
}

#[tokio::test]
async fn waits_until_a_chosen_status() {
    let server = ScriptedServer::start(vec![
        order("queued"),
        order("label_created"),
        order("shipped"),
    ])
    .await;
    let clock = ManualClock::new();
    let labelled = client(&server, &clock)
        .wait_for_order_until(&order_id(), PollPolicy::default(), |s| {
            s != ShippingOrderStatus::Queued
        })
        .await
        .unwrap();
    assert_eq!(labelled.status, ShippingOrderStatus::LabelCreated);
    assert_eq!(server.requests().len(), 2);
}

#[tokio::test]
async fn a_sandbox_order_that_stays_queued_times_out() {
    let server = ScriptedServer::start(vec![order("queued"); 10]).await;
    let clock = ManualClock::new();
    let result = client(&server, &clock)
        .wait_for_order(
            &order_id(),
            PollPolicy::fixed(Duration::from_secs(10), Duration::from_secs(25)),
        )
        .await;
    match result {
        Err(OrderWaitError::TimedOut {
            last_status,
            waited,
            ..
        }) => {
            assert_eq!(last_status, ShippingOrderStatus::Queued);
            // The client's clock: the 20 s slept, plus the real time the polls took.
            assert!(
                waited >= Duration::from_secs(20) && waited < Duration::from_millis(20500),
                "{waited:?}"
            );
        }
        other => panic!("expected a timeout, got {other:?}"),
    }
    assert_eq!(server.requests().len(), 3);
}

#[tokio::test]
async fn an_unknown_order_is_a_request_error() {
    let server = ScriptedServer::start(vec![json(404, json!({"error": "Order not found"}))]).await;
    let result = client(&server, &ManualClock::new())
        .wait_for_order(&order_id(), PollPolicy::default())
        .await;
    match result {
        Err(OrderWaitError::Request(e)) => assert!(e.to_string().contains("404"), "{e}"),
        other => panic!("expected the 404, got {other:?}"),
    }
}
