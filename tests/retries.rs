//! The runtime's promises, each against a scripted loopback server: writes keep their
//! Idempotency-Key across retries, 409 waits Retry-After, 422 is final, retryable statuses stop at
//! the attempt limit, GETs are retried, Phygitals POSTs are not retried once they may have been
//! processed, Request-IDs are generated and readable, credentials stay out of Debug and logs.

mod support;

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use parcelkit::{IdempotencyKey, RequestId, ResponseMeta, RetryPolicy, phygitals, smartsend};
use serde_json::json;
use support::{ManualClock, ScriptedServer, Step, json, json_with};

const TEAM: &str = "ad9546c1-393e-49a5-9a72-5cc146c9bec5";
const SHIPMENT: &str = "550e8400-e29b-41d4-a716-446655440000";

fn problem(status: u16, title: &str) -> serde_json::Value {
    json!({"type": "about:blank", "title": title, "status": status})
}

fn smartsend_client(server: &ScriptedServer, clock: &ManualClock) -> smartsend::Client {
    smartsend::Client::builder()
        .base_url(&server.base_url)
        .token("test-token")
        .clock(Arc::new(clock.clone()))
        .jitter_seed(1)
        .build()
        .unwrap()
}

async fn delete(
    client: &smartsend::Client,
) -> Result<smartsend::ResponseValue<smartsend::types::DeleteResult>, parcelkit::Error> {
    client
        .delete_shipment()
        .team(TEAM)
        .shipment(SHIPMENT.parse::<uuid::Uuid>().unwrap())
        .send()
        .await
}

#[tokio::test]
async fn a_write_retried_after_a_transport_error_keeps_its_idempotency_key() {
    let server =
        ScriptedServer::start(vec![Step::Drop, json(200, json!({"message": "deleted"}))]).await;
    let clock = ManualClock::new();
    let response = delete(&smartsend_client(&server, &clock))
        .await
        .expect("second attempt succeeds");
    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    let key = requests[0]
        .header("idempotency-key")
        .expect("a key was generated");
    assert!(IdempotencyKey::new(key).is_ok(), "{key}");
    assert_eq!(
        requests[1].header("idempotency-key"),
        Some(key),
        "the same key on the retry"
    );
    assert_eq!(
        requests[0].header("request-id"),
        requests[1].header("request-id")
    );
    assert_eq!(response.idempotency_key(), Some(key));
    assert_eq!(clock.slept().len(), 1);
}

#[tokio::test]
async fn conflict_waits_for_retry_after_then_reads_the_replay() {
    let server = ScriptedServer::start(vec![
        json_with(
            409,
            &[("Retry-After", "1")],
            problem(409, "Still processing"),
        ),
        json_with(
            200,
            &[("Idempotency-Replayed", "true")],
            json!({"message": "deleted"}),
        ),
    ])
    .await;
    let clock = ManualClock::new();
    let response = delete(&smartsend_client(&server, &clock)).await.unwrap();
    assert!(response.replayed());
    assert_eq!(clock.slept(), [Duration::from_secs(1)]);
    let requests = server.requests();
    assert_eq!(
        requests[0].header("idempotency-key"),
        requests[1].header("idempotency-key")
    );
}

#[tokio::test]
async fn unprocessable_is_returned_at_once() {
    let server = ScriptedServer::start(vec![
        json(422, problem(422, "Idempotency key reused")),
        json(200, json!({"message": "x"})),
    ])
    .await;
    let clock = ManualClock::new();
    match delete(&smartsend_client(&server, &clock)).await {
        Err(error) if error.problem().is_some() => {
            assert_eq!(error.status().map(|s| s.as_u16()), Some(422));
            assert_eq!(error.problem().unwrap().title, "Idempotency key reused");
        }
        other => panic!("expected the 422, got {other:?}"),
    }
    assert_eq!(server.requests().len(), 1, "not retried");
    assert!(clock.slept().is_empty());
}

#[tokio::test]
async fn service_unavailable_is_retried_up_to_the_attempt_limit() {
    let unavailable = json(503, problem(503, "Unavailable"));
    let server = ScriptedServer::start(vec![
        unavailable.clone(),
        unavailable.clone(),
        unavailable.clone(),
        unavailable,
    ])
    .await;
    let clock = ManualClock::new();
    let result = delete(&smartsend_client(&server, &clock)).await;
    assert!(
        matches!(&result, Err(e) if e.status().map(|s| s.as_u16()) == Some(503)
            && e.kind() == parcelkit::ErrorKind::ServerError),
        "{result:?}"
    );
    assert_eq!(
        server.requests().len(),
        3,
        "the default policy makes 3 attempts"
    );
    let slept = clock.slept();
    assert_eq!(slept.len(), 2);
    assert!(
        slept[0] <= Duration::from_millis(500) && slept[1] <= Duration::from_secs(1),
        "{slept:?}"
    );
}

#[tokio::test]
async fn too_many_requests_honours_an_http_date_retry_after() {
    let at = httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(3));
    let server = ScriptedServer::start(vec![
        json_with(429, &[("Retry-After", &at)], problem(429, "Slow down")),
        json(200, json!({"message": "deleted"})),
    ])
    .await;
    let clock = ManualClock::new();
    delete(&smartsend_client(&server, &clock)).await.unwrap();
    let slept = clock.slept();
    assert_eq!(slept.len(), 1);
    // An HTTP-date has whole seconds: 3 s from now is 2 to 3 s away.
    assert!(
        slept[0] > Duration::from_millis(1500) && slept[0] <= Duration::from_secs(3),
        "{slept:?}"
    );
}

#[tokio::test]
async fn gets_are_retried_and_carry_no_idempotency_key() {
    let server = ScriptedServer::start(vec![
        json(502, problem(502, "Bad gateway")),
        json(200, json!({"data": []})),
    ])
    .await;
    let clock = ManualClock::new();
    let services = smartsend_client(&server, &clock)
        .list_services()
        .team(TEAM)
        .send()
        .await
        .unwrap();
    assert!(services.data.is_empty());
    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[0].method, "GET");
    assert_eq!(requests[0].header("idempotency-key"), None);
}

#[tokio::test]
async fn request_id_is_generated_sent_and_readable() {
    let server = ScriptedServer::start(vec![json(200, json!({"data": []}))]).await;
    let clock = ManualClock::new();
    let response = smartsend_client(&server, &clock)
        .list_services()
        .team(TEAM)
        .send()
        .await
        .unwrap();
    let sent = server.requests()[0]
        .header("request-id")
        .expect("sent")
        .to_owned();
    assert!(RequestId::new(sent.as_str()).is_ok(), "{sent}");
    assert_eq!(
        response.request_id(),
        Some(sent.as_str()),
        "readable even when not echoed"
    );
}

#[tokio::test]
async fn a_caller_request_id_and_language_are_kept() {
    let server = ScriptedServer::start(vec![json(200, json!({"data": []}))]).await;
    let client = smartsend::Client::builder()
        .base_url(&server.base_url)
        .language(
            parcelkit::AcceptLanguage::new()
                .with("da-DK", 1.0)
                .and_then(|l| l.with("da", 0.9))
                .and_then(|l| l.with("en", 0.8))
                .unwrap(),
        )
        .user_agent("my-shop/2.3.1")
        .build()
        .unwrap();
    client
        .list_services()
        .team(TEAM)
        .request_id(RequestId::new("order-4521-services").unwrap())
        .send()
        .await
        .unwrap();
    let request = &server.requests()[0];
    assert_eq!(request.header("request-id"), Some("order-4521-services"));
    assert_eq!(
        request.header("accept-language"),
        Some("da-DK, da;q=0.9, en;q=0.8")
    );
    let agent = request.header("user-agent").unwrap();
    assert!(agent.starts_with("my-shop/2.3.1 parcelkit/"), "{agent}");
}

fn phygitals_client(base_url: &str, clock: &ManualClock) -> phygitals::Client {
    phygitals::Client::builder()
        .base_url(base_url)
        .api_key("sandbox-partner-key")
        .clock(Arc::new(clock.clone()))
        .jitter_seed(1)
        .build()
        .unwrap()
}

async fn ship(
    client: &phygitals::Client,
) -> Result<phygitals::ResponseValue<phygitals::types::ShipResponse>, parcelkit::Error> {
    client
        .request_shipping()
        .body(support::ship_request())
        .send()
        .await
}

#[tokio::test]
async fn a_phygitals_post_is_not_retried_once_it_may_have_been_processed() {
    let server = ScriptedServer::start(vec![
        Step::Drop,
        json(
            200,
            json!({"order_id": "order_Zk3pQ9vX2mB7tL1c", "status": "success"}),
        ),
    ])
    .await;
    let clock = ManualClock::new();
    let result = ship(&phygitals_client(&server.base_url, &clock)).await;
    assert!(
        matches!(&result, Err(e) if e.kind() == parcelkit::ErrorKind::Transport),
        "{result:?}"
    );
    assert_eq!(
        server.requests().len(),
        1,
        "a dropped connection may have shipped: no retry"
    );
    let request = &server.requests()[0];
    assert_eq!(request.header("x-api-key"), Some("sandbox-partner-key"));
    assert_eq!(
        request.header("idempotency-key"),
        None,
        "Phygitals has no idempotency support"
    );

    let server = ScriptedServer::start(vec![
        json(503, json!({"error": "busy"})),
        json(
            200,
            json!({"order_id": "order_Zk3pQ9vX2mB7tL1c", "status": "success"}),
        ),
    ])
    .await;
    let _ = ship(&phygitals_client(&server.base_url, &clock)).await;
    assert_eq!(
        server.requests().len(),
        1,
        "the server answered: it may have acted"
    );
}

#[tokio::test]
async fn a_phygitals_post_is_retried_when_the_connection_was_refused() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let clock = ManualClock::new();
    let result = ship(&phygitals_client(
        &format!("http://127.0.0.1:{port}"),
        &clock,
    ))
    .await;
    assert!(
        matches!(&result, Err(e) if e.kind() == parcelkit::ErrorKind::Transport),
        "{result:?}"
    );
    assert_eq!(
        clock.slept().len(),
        2,
        "three attempts, nothing can have been processed"
    );
}

#[tokio::test]
async fn never_policy_sends_once() {
    let server = ScriptedServer::start(vec![
        json(503, problem(503, "Unavailable")),
        json(200, json!({"message": "x"})),
    ])
    .await;
    let client = smartsend::Client::builder()
        .base_url(&server.base_url)
        .retry_policy(RetryPolicy::never())
        .build()
        .unwrap();
    assert!(delete(&client).await.is_err());
    assert_eq!(server.requests().len(), 1);
}

#[tokio::test]
async fn a_call_can_set_its_own_typed_language() {
    let server = ScriptedServer::start(vec![json(200, json!({"data": []}))]).await;
    let client = smartsend::Client::builder()
        .base_url(&server.base_url)
        .language(parcelkit::AcceptLanguage::single("en").unwrap())
        .build()
        .unwrap();
    let danish = parcelkit::AcceptLanguage::new()
        .with("da", 1.0)
        .and_then(|l| l.with("en", 0.5))
        .unwrap();
    client
        .list_services()
        .team(TEAM)
        .accept_language(&danish)
        .send()
        .await
        .unwrap();
    assert_eq!(
        server.requests()[0].header("accept-language"),
        Some("da, en;q=0.5"),
        "the call's own wins"
    );
}

/// What the last of `steps` leaves `possibly_executed` at, after the client's retries.
async fn possibly_executed_after(steps: Vec<Step>) -> bool {
    let attempts = steps.len() as u32;
    let server = ScriptedServer::start(steps).await;
    let clock = ManualClock::new();
    let client = smartsend_client(&server, &clock)
        .with_retry_policy(RetryPolicy::default().with_max_attempts(attempts));
    let error = delete(&client).await.expect_err("every attempt fails");
    assert_eq!(server.requests().len(), attempts as usize, "{error}");
    error.possibly_executed()
}

#[tokio::test]
async fn a_call_whose_earlier_attempt_went_unanswered_may_have_executed_whatever_came_after() {
    let unavailable = || json(503, problem(503, "Unavailable"));
    let too_many = || json_with(429, &[("Retry-After", "1")], problem(429, "Slow down"));
    // The first attempt may have committed; 503s later do not undo that.
    assert!(possibly_executed_after(vec![Step::Drop, unavailable(), unavailable()]).await);
    assert!(possibly_executed_after(vec![Step::Drop, too_many()]).await);
    // A 503 itself can come from a gateway after the service committed.
    assert!(possibly_executed_after(vec![unavailable(), unavailable()]).await);
    // Refusals only: nothing was done.
    assert!(!possibly_executed_after(vec![too_many(), too_many()]).await);
    // A 4xx judging the request after a lost answer: with the same key, an executed first
    // attempt would have been replayed, so it was not executed.
    assert!(!possibly_executed_after(vec![Step::Drop, json(404, problem(404, "Not found"))]).await);
}

#[tokio::test]
async fn a_refused_connection_or_a_refused_parameter_executed_nothing() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    drop(listener);
    let client = smartsend::Client::builder()
        .base_url(format!("http://{address}/smartsend/api/v2"))
        .token("test-token")
        .clock(Arc::new(ManualClock::new()))
        .build()
        .unwrap();
    let refused = delete(&client).await.expect_err("nothing listens");
    assert!(!refused.possibly_executed(), "{refused}");
    let invalid = client
        .delete_shipment()
        .team("")
        .shipment(SHIPMENT.parse::<uuid::Uuid>().unwrap())
        .send()
        .await
        .expect_err("an empty team is refused");
    assert!(!invalid.possibly_executed(), "{invalid}");
}
