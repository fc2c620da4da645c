//! Bookings: `send()` sends no `Prefer` and gives the booked shipment (following a 202 it did not
//! ask for); `respond_async().send()` sends `Prefer: respond-async`, where 200 is booked and 202
//! is polled (following Location) to a shipment, a failure, or a timeout; dropping the wait stops
//! polling.

mod support;

use std::sync::Arc;
use std::time::Duration;

use parcelkit::PollPolicy;
use parcelkit::smartsend::{self, BookingOutcome, OperationError};
use serde_json::{Value, json};
use support::{ManualClock, ScriptedServer, json, json_with};

const TEAM: &str = "ad9546c1-393e-49a5-9a72-5cc146c9bec5";
const SHIPMENT: &str = "550e8400-e29b-41d4-a716-446655440000";

/// A component schema's example from the Smart Send spec, so the bodies are realistic and valid.
fn example(schema: &str) -> Value {
    support::schema_example("smartsend", schema)
}

fn operation(state: &str) -> Value {
    let mut op = example("Operation");
    op["state"] = json!(state);
    op["result"] = if state == "succeeded" {
        example("Shipment")
    } else {
        Value::Null
    };
    op["error"] = if state == "failed" {
        json!({"type": "about:blank", "title": "Carrier rejected the booking", "status": 422, "detail": "postal code does not match city"})
    } else {
        Value::Null
    };
    op
}

fn client(server: &ScriptedServer, clock: &ManualClock) -> smartsend::Client {
    smartsend::Client::builder()
        .base_url(&server.base_url)
        .token("t0ken")
        .clock(Arc::new(clock.clone()))
        .build()
        .unwrap()
}

async fn book(client: &smartsend::Client) -> BookingOutcome {
    client
        .book_shipment()
        .team(TEAM)
        .shipment(SHIPMENT.parse::<uuid::Uuid>().unwrap())
        .respond_async()
        .send()
        .await
        .expect("the booking is answered")
}

fn location(op: &Value) -> String {
    format!("/team/{TEAM}/operations/{}", op["uuid"].as_str().unwrap())
}

#[tokio::test]
async fn accepted_then_polled_via_location_to_the_shipment() {
    let pending = operation("pending");
    let loc = location(&pending);
    let server = ScriptedServer::start(vec![
        json_with(202, &[("Location", &loc)], json!({"data": pending})),
        json(200, json!({"data": operation("running")})),
        json(200, json!({"data": operation("succeeded")})),
    ])
    .await;
    let clock = ManualClock::new();
    let BookingOutcome::Accepted(handle) = book(&client(&server, &clock)).await else {
        panic!("202 must give a handle");
    };
    assert_eq!(handle.location().map(|u| u.path()), Some(loc.as_str()));
    let shipment = handle.wait().await.expect("succeeds");
    assert_eq!(
        shipment.uuid.to_string(),
        example("Shipment")["uuid"].as_str().unwrap()
    );
    let requests = server.requests();
    assert_eq!(requests[0].header("prefer"), Some("respond-async"));
    assert!(requests[0].header("idempotency-key").is_some());
    assert_eq!(requests.len(), 3);
    for poll in &requests[1..] {
        assert_eq!(
            (poll.method.as_str(), poll.path.as_str()),
            ("GET", loc.as_str())
        );
        assert_eq!(poll.header("authorization"), Some("Bearer t0ken"));
    }
    assert_eq!(
        clock.slept(),
        [Duration::from_secs(1), Duration::from_millis(1500)],
        "the poll policy, no jitter"
    );
}

/// A server that accepts a booking (202, with a Location) and then reports it failed.
async fn accepted_then_failed() -> ScriptedServer {
    let pending = operation("pending");
    ScriptedServer::start(vec![
        json_with(
            202,
            &[("Location", &location(&pending))],
            json!({"data": pending}),
        ),
        json(200, json!({"data": operation("failed")})),
    ])
    .await
}

#[tokio::test]
async fn a_failed_operation_is_a_typed_failure() {
    let server = accepted_then_failed().await;
    let BookingOutcome::Accepted(handle) = book(&client(&server, &ManualClock::new())).await else {
        panic!("202 must give a handle");
    };
    match handle.wait().await {
        Err(OperationError::Failed(op)) => {
            assert_eq!(op.error.unwrap().title, "Carrier rejected the booking");
        }
        other => panic!("expected a failure, got {other:?}"),
    }
}

#[tokio::test]
async fn waiting_times_out_per_the_poll_policy() {
    let running = json(200, json!({"data": operation("running")}));
    let pending = operation("pending");
    let server = ScriptedServer::start(vec![
        json_with(202, &[], json!({"data": pending})),
        running.clone(),
        running.clone(),
        running,
    ])
    .await;
    let clock = ManualClock::new();
    let BookingOutcome::Accepted(handle) = book(&client(&server, &clock)).await else {
        panic!("202 must give a handle");
    };
    assert!(handle.location().is_none());
    let policy = PollPolicy::fixed(Duration::from_secs(1), Duration::from_millis(2500));
    match handle.with_poll_policy(policy).wait().await {
        Err(OperationError::TimedOut {
            last_state, waited, ..
        }) => {
            assert_eq!(last_state, smartsend::types::OperationState::Running);
            // The client's clock: the 2 s slept, plus the real time the polls took.
            assert!(
                waited >= Duration::from_secs(2) && waited < Duration::from_millis(2500),
                "{waited:?}"
            );
        }
        other => panic!("expected a timeout, got {other:?}"),
    }
    let requests = server.requests();
    assert_eq!(requests.len(), 3, "two polls fit in 2.5 s at 1 s intervals");
    let fallback = format!(
        "/team/{TEAM}/operations/{}",
        pending["uuid"].as_str().unwrap()
    );
    assert_eq!(
        requests[1].path, fallback,
        "without Location, the modelled operations endpoint"
    );
}

#[tokio::test]
async fn a_location_on_another_origin_is_not_followed() {
    let pending = operation("pending");
    let server = ScriptedServer::start(vec![
        json_with(
            202,
            &[("Location", "https://elsewhere.example/steal")],
            json!({"data": pending}),
        ),
        json(200, json!({"data": operation("succeeded")})),
    ])
    .await;
    let BookingOutcome::Accepted(handle) = book(&client(&server, &ManualClock::new())).await else {
        panic!("202 must give a handle");
    };
    assert!(
        handle.location().is_none(),
        "the credential must not go to another origin"
    );
    handle.wait().await.unwrap();
    assert!(
        server.requests()[1]
            .path
            .starts_with(&format!("/team/{TEAM}/operations/"))
    );
}

#[tokio::test]
async fn a_synchronous_answer_is_booked_at_once() {
    let server = ScriptedServer::start(vec![json(200, json!({"data": example("Shipment")}))]).await;
    let BookingOutcome::Booked(done) = book(&client(&server, &ManualClock::new())).await else {
        panic!("200 is booked");
    };
    assert_eq!(done.status().as_u16(), 200);
}

#[tokio::test]
async fn send_asks_for_no_prefer_and_returns_the_shipment() {
    let server = ScriptedServer::start(vec![json(200, json!({"data": example("Shipment")}))]).await;
    let booked = client(&server, &ManualClock::new())
        .team(TEAM)
        .create_and_book_shipment()
        .body(
            serde_json::from_value::<smartsend::types::ShipmentRequest>(example("ShipmentRequest"))
                .unwrap(),
        )
        .send()
        .await
        .expect("booked");
    assert_eq!(booked.status().as_u16(), 200);
    assert_eq!(
        booked.data.uuid.to_string(),
        example("Shipment")["uuid"].as_str().unwrap()
    );
    let requests = server.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(
        requests[0].header("prefer"),
        None,
        "send() must not ask for 202"
    );
    assert!(requests[0].header("idempotency-key").is_some());
}

#[tokio::test]
async fn send_follows_a_202_it_did_not_ask_for_to_the_shipment() {
    // A key first used with respond_async replays its stored 202 to a plain send().
    let pending = operation("pending");
    let loc = location(&pending);
    let server = ScriptedServer::start(vec![
        json_with(202, &[("Location", &loc)], json!({"data": pending})),
        json(200, json!({"data": operation("succeeded")})),
    ])
    .await;
    let booked = client(&server, &ManualClock::new())
        .book_shipment()
        .team(TEAM)
        .shipment(SHIPMENT.parse::<uuid::Uuid>().unwrap())
        .send()
        .await
        .expect("followed to the end");
    assert_eq!(booked.status().as_u16(), 202, "the booking's own status");
    assert_eq!(
        booked.data.uuid.to_string(),
        example("Shipment")["uuid"].as_str().unwrap()
    );
    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[1].path, loc);
}

#[tokio::test]
async fn send_reports_a_failed_202_with_the_operations_reason() {
    let server = accepted_then_failed().await;
    let err = client(&server, &ManualClock::new())
        .book_shipment()
        .team(TEAM)
        .shipment(SHIPMENT.parse::<uuid::Uuid>().unwrap())
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.kind(), parcelkit::ErrorKind::UnexpectedResponse);
    assert!(
        err.to_string().contains("postal code does not match city"),
        "{err}"
    );
}

/// A clock whose waits end only when the test lets them (one permit per wait).
#[derive(Clone)]
struct GatedClock(Arc<tokio::sync::Semaphore>);

impl parcelkit::runtime::Clock for GatedClock {
    fn now(&self) -> std::time::Instant {
        std::time::Instant::now()
    }

    fn wall(&self) -> std::time::SystemTime {
        std::time::SystemTime::now()
    }

    fn sleep(
        &self,
        _: Duration,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>> {
        let gate = Arc::clone(&self.0);
        Box::pin(async move { gate.acquire().await.expect("never closed").forget() })
    }
}

#[tokio::test]
async fn dropping_the_wait_stops_polling() {
    let running = json(200, json!({"data": operation("running")}));
    let server = ScriptedServer::start(
        std::iter::once(json_with(202, &[], json!({"data": operation("pending")})))
            .chain(std::iter::repeat_n(running, 50))
            .collect(),
    )
    .await;
    let gate = Arc::new(tokio::sync::Semaphore::new(3));
    let client = smartsend::Client::builder()
        .base_url(&server.base_url)
        .clock(Arc::new(GatedClock(Arc::clone(&gate))))
        .build()
        .unwrap();
    let BookingOutcome::Accepted(handle) = book(&client).await else {
        panic!("202 must give a handle");
    };
    let policy = PollPolicy::fixed(Duration::from_secs(1), Duration::from_secs(60));
    let waiting = tokio::spawn(handle.with_poll_policy(policy).wait());
    // Three waits allowed: the booking and three polls, then it waits on the gate.
    for _ in 0..200 {
        if server.requests().len() == 4 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(
        server.requests().len(),
        4,
        "it polled once per wait allowed"
    );
    waiting.abort();
    assert!(waiting.await.unwrap_err().is_cancelled());
    // Every later wait may end now: a poller that outlived its future would poll again.
    gate.add_permits(10);
    for _ in 0..5 {
        tokio::task::yield_now().await;
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(server.requests().len(), 4, "no poll after the drop");
}
