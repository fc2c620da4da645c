//! The client against a server that misbehaves: redirects to other origins, gateways' 5xx and
//! plain-text 401s, bodies that drift from the spec or are huge, a `Retry-After` of days, and a
//! server that never answers. All on 127.0.0.1, scripted per request.

mod support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use parcelkit::{ErrorKind, MAX_ERROR_BODY, RetryPolicy, phygitals, smartsend};
use serde_json::json;
use support::{ManualClock, ScriptedServer, Step, json, json_with, raw, redirect};

const TEAM: &str = "ad9546c1-393e-49a5-9a72-5cc146c9bec5";
const SHIPMENT: &str = "550e8400-e29b-41d4-a716-446655440000";
const TOKEN: &str = "bearer-token-7d1e-secret";
const API_KEY: &str = "sandbox-key-9f2c-secret";

fn smartsend_client(base_url: &str) -> smartsend::Client {
    smartsend::Client::builder()
        .base_url(base_url)
        .token(TOKEN)
        .clock(Arc::new(ManualClock::new()))
        .build()
        .unwrap()
}

fn phygitals_client(base_url: &str) -> phygitals::Client {
    phygitals::Client::builder()
        .base_url(base_url)
        .api_key(API_KEY)
        .clock(Arc::new(ManualClock::new()))
        .build()
        .unwrap()
}

fn shipment_uuid() -> uuid::Uuid {
    SHIPMENT.parse().unwrap()
}

/// A server whose every answer redirects, and a redirect target on another origin: another
/// port, or the server's own port under `localhost` instead of `127.0.0.1` (a different origin,
/// though the same listener).
struct RedirectCase {
    server: ScriptedServer,
    other: ScriptedServer,
    target: String,
}

async fn redirect_case(status: u16, to_localhost: bool) -> RedirectCase {
    let other = ScriptedServer::start(vec![json(200, json!({})); 4]).await;
    let listener = support::reserve_port();
    let port = listener.local_addr().unwrap().port();
    let target = if to_localhost {
        format!("http://localhost:{port}/stolen")
    } else {
        format!("{}/stolen", other.base_url)
    };
    let server = ScriptedServer::start_on(listener, vec![redirect(status, &target); 4]).await;
    RedirectCase {
        server,
        other,
        target,
    }
}

fn assert_refused_redirect(error: &dyn std::fmt::Display, kind: ErrorKind, target: &str) {
    assert_eq!(kind, ErrorKind::Redirect, "{error}");
    let shown = error.to_string();
    assert!(shown.contains(target), "names the target: {shown}");
    assert!(
        !shown.contains(TOKEN) && !shown.contains(API_KEY),
        "{shown}"
    );
}

#[tokio::test]
async fn a_phygitals_key_never_follows_a_redirect_get_or_post_to_another_origin() {
    for status in [301, 302, 307, 308] {
        for to_localhost in [false, true] {
            let case = redirect_case(status, to_localhost).await;
            let client = phygitals_client(&case.server.base_url);
            let get = client
                .get_inventory()
                .user_id("u1")
                .send()
                .await
                .unwrap_err();
            assert_refused_redirect(&get, get.kind(), &case.target);
            let post = client
                .request_shipping()
                .body(support::ship_request())
                .send()
                .await
                .unwrap_err();
            assert_refused_redirect(&post, post.kind(), &case.target);
            assert!(!get.is_retryable() && !post.is_retryable());
            assert_eq!(
                case.other.requests().len(),
                0,
                "{status}: nothing reached the other port"
            );
            let seen = case.server.requests();
            assert_eq!(
                seen.len(),
                2,
                "{status} to {}: one request per call, no hop, no retry",
                case.target
            );
            assert!(seen.iter().all(|r| r.path != "/stolen"));
        }
    }
}

#[tokio::test]
async fn a_smart_send_token_body_and_key_never_follow_a_redirect() {
    for status in [302, 307] {
        for to_localhost in [false, true] {
            let case = redirect_case(status, to_localhost).await;
            let client = smartsend_client(&case.server.base_url);
            let error = client
                .get_shipment()
                .team(TEAM)
                .shipment(shipment_uuid())
                .send()
                .await
                .unwrap_err();
            assert_refused_redirect(&error, error.kind(), &case.target);
            let error = client
                .book_shipment()
                .team(TEAM)
                .shipment(shipment_uuid())
                .send()
                .await
                .unwrap_err();
            assert_refused_redirect(&error, error.kind(), &case.target);
            assert!(
                error.idempotency_key().is_some(),
                "the key is still reported"
            );
            assert_eq!(case.other.requests().len(), 0);
            let seen = case.server.requests();
            assert_eq!(seen.len(), 2);
            assert!(seen.iter().all(|r| r.path != "/stolen"));
        }
    }
}

#[tokio::test]
async fn a_redirect_loop_costs_one_request() {
    let listener = support::reserve_port();
    let looping = format!(
        "http://127.0.0.1:{}/team/{TEAM}/routing/services",
        listener.local_addr().unwrap().port()
    );
    let server = ScriptedServer::start_on(listener, vec![redirect(302, &looping); 40]).await;
    let error = smartsend_client(&server.base_url)
        .list_services()
        .team(TEAM)
        .send()
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Redirect);
    assert_eq!(server.requests().len(), 1);
}

#[tokio::test]
async fn a_null_where_a_value_belongs_names_its_path_status_and_request_id() {
    let mut shipment = support::schema_example("smartsend", "Shipment");
    shipment["parcels"][0]["uuid"] = json!(null);
    let server = ScriptedServer::start(vec![json_with(
        200,
        &[("request-id", "req-null-state"), ("x-trace", "trace-7")],
        json!({"data": shipment}),
    )])
    .await;
    let error = smartsend_client(&server.base_url)
        .get_shipment()
        .team(TEAM)
        .shipment(shipment_uuid())
        .send()
        .await
        .unwrap_err();
    let shown = error.to_string();
    assert!(
        shown.contains("at data.parcels[0].uuid: invalid type: null"),
        "{shown}"
    );
    assert!(
        shown.contains("status 200") && shown.contains("req-null-state"),
        "{shown}"
    );
    // Every header of the answer, as for an error status.
    assert_eq!(error.request_id(), Some("req-null-state"));
    assert_eq!(
        error.headers().get("x-trace").map(|v| v.as_bytes()),
        Some(&b"trace-7"[..])
    );
}

#[tokio::test]
async fn an_integral_float_decodes_where_an_integer_is_expected() {
    let meta = json!({"current_page": 1.0, "per_page": 20.0, "total": 0.0, "last_page": 1.0,
        "from": null, "to": null});
    let server = ScriptedServer::start(vec![json(200, json!({"data": [], "meta": meta}))]).await;
    let page = smartsend_client(&server.base_url)
        .list_shipments()
        .team(TEAM)
        .send()
        .await
        .unwrap();
    assert_eq!(page.meta.per_page.get(), 20);
}

#[tokio::test]
async fn a_ten_megabyte_answer_is_never_held_whole_nor_shown() {
    let garbage = vec![b'#'; 10 * 1024 * 1024];
    for status in [200, 500, 418] {
        let server = ScriptedServer::start(vec![
            raw(status, "text/plain", garbage.clone()),
            raw(status, "text/plain", garbage.clone()),
        ])
        .await;
        let client = smartsend_client(&server.base_url).with_retry_policy(RetryPolicy::never());
        // Plain send(): progenitor's error, whose Display shows only an excerpt.
        let plain = client.list_services().team(TEAM).send().await.unwrap_err();
        let shown = format!("{plain} {plain:?}");
        assert!(shown.len() < 8 * 1024, "{status}: {} bytes", shown.len());
        assert!(shown.contains(&status.to_string()), "{shown}");
        // The detailed error keeps at most MAX_ERROR_BODY, and shows an excerpt.
        let detailed = client.list_services().team(TEAM).send().await.unwrap_err();
        assert!(detailed.body().len() <= MAX_ERROR_BODY);
        let shown = format!("{detailed} {detailed:?}");
        assert!(shown.len() < 4 * 1024, "{status}: {} bytes", shown.len());
        assert!(
            shown.contains(&format!("status {status}"))
                && shown.contains(server.requests()[1].header("request-id").unwrap()),
            "{shown}"
        );
        if status != 200 {
            assert_eq!(detailed.body().len(), MAX_ERROR_BODY);
            // The client hung up after its cap: the server could not write the rest. (The
            // server notices a moment after the client returns: wait for it, boundedly.)
            for _ in 0..100 {
                if server.cut_writes() == 2 {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            assert_eq!(server.cut_writes(), 2, "{status}");
        }
    }
}

#[tokio::test]
async fn a_success_body_over_the_limit_is_an_error_that_says_so() {
    let body = json!({"data": [], "padding": "x".repeat(4096)}).to_string();
    let server = ScriptedServer::start(vec![raw(200, "application/json", body)]).await;
    let client = smartsend::Client::builder()
        .base_url(&server.base_url)
        .max_response_body(1024)
        .build()
        .unwrap();
    let error = client.list_services().team(TEAM).send().await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::UnexpectedResponse);
    assert!(
        error
            .message()
            .contains("the body is larger than the 1024-byte limit"),
        "{error}"
    );
}

#[tokio::test]
async fn gateway_errors_are_server_errors_with_the_servers_own_message() {
    for status in [502, 503, 504] {
        // list_services documents neither 502 nor 504; the kind does not depend on that.
        let answer = json!({"title": "Upstream down", "detail": "carrier gateway timed out"});
        let server = ScriptedServer::start(vec![json(status, answer)]).await;
        let error = smartsend_client(&server.base_url)
            .with_retry_policy(RetryPolicy::never())
            .list_services()
            .team(TEAM)
            .send()
            .await
            .unwrap_err();
        assert_eq!(error.kind(), ErrorKind::ServerError, "{status}");
        assert!(
            error.to_string().contains("carrier gateway timed out")
                && error.to_string().contains(&format!("status {status}")),
            "{error}"
        );
        assert!(error.is_retryable());
    }
}

#[tokio::test]
async fn a_plain_text_401_is_an_authentication_error_on_both_apis() {
    let server = ScriptedServer::start(vec![
        raw(401, "text/plain", "Unauthorized: token expired"),
        raw(403, "text/html", "<html>Forbidden</html>"),
    ])
    .await;
    let error = smartsend_client(&server.base_url)
        .list_services()
        .team(TEAM)
        .send()
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Authentication);
    assert_eq!(error.message(), "Unauthorized: Unauthorized: token expired");
    let error = phygitals_client(&server.base_url)
        .get_inventory()
        .user_id("u1")
        .send()
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Authentication);
    assert_eq!(error.message(), "Forbidden");
    assert!(!error.is_retryable());
}

#[tokio::test]
async fn a_problem_without_status_and_with_string_errors_decodes() {
    let problem = json!({"title": "Unprocessable Entity", "detail": "The given data was invalid.",
        "errors": {"parcels.0.gross_weight": "must be greater than 0",
                   "currency": ["is required"]}});
    let server = ScriptedServer::start(vec![json(422, problem)]).await;
    let error = smartsend_client(&server.base_url)
        .create_shipment()
        .team(TEAM)
        .body(
            serde_json::from_value::<smartsend::types::ShipmentRequest>(support::schema_example(
                "smartsend",
                "ShipmentRequest",
            ))
            .unwrap(),
        )
        .send()
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Api);
    let details = error.problem().expect("the problem decodes");
    assert_eq!(details.status, 422, "taken from the HTTP status");
    assert_eq!(
        error.field_errors("parcels.0.gross_weight"),
        ["must be greater than 0"]
    );
    assert_eq!(error.field_errors("currency"), ["is required"]);
}

#[tokio::test]
async fn a_retry_after_of_days_is_not_slept_through() {
    let server = ScriptedServer::start(vec![
        json_with(
            503,
            &[("retry-after", "999999")],
            json!({"title": "Maintenance"}),
        ),
        json(200, json!({"data": []})),
    ])
    .await;
    let clock = ManualClock::new();
    let client = smartsend::Client::builder()
        .base_url(&server.base_url)
        .token(TOKEN)
        .clock(Arc::new(clock.clone()))
        .build()
        .unwrap();
    let error = client.list_services().team(TEAM).send().await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::ServerError);
    assert_eq!(error.retry_after(), Some(Duration::from_secs(999_999)));
    assert_eq!(server.requests().len(), 1, "no second request");
    assert!(clock.slept().is_empty(), "{:?}", clock.slept());
}

#[tokio::test]
async fn a_server_that_never_answers_ends_the_call_at_its_deadline() {
    let server = ScriptedServer::start(vec![Step::Hang, Step::Hang, Step::Hang]).await;
    let client = smartsend_client(&server.base_url);
    let started = Instant::now();
    let error = client
        .with_deadline(Some(Duration::from_millis(300)))
        .list_services()
        .team(TEAM)
        .send()
        .await
        .unwrap_err();
    let took = started.elapsed();
    assert_eq!(error.kind(), ErrorKind::Timeout, "{error}");
    // Without the deadline, three 30 s attempts; the bound here is generous on purpose.
    assert!(took < Duration::from_secs(10), "{took:?}");
    assert!(error.request_id().is_some());
}

#[tokio::test]
async fn an_attempt_that_times_out_is_retried_and_a_last_one_is_a_timeout_error() {
    let answer = support::json(200, serde_json::json!({"data": []}));
    let server = ScriptedServer::start(vec![Step::Hang, answer, Step::Hang, Step::Hang]).await;
    let client = smartsend_client(&server.base_url).with_timeout(Duration::from_millis(200));
    let services = client.list_services().team(TEAM).send().await;
    assert!(services.is_ok(), "the second attempt answers: {services:?}");
    assert_eq!(server.requests().len(), 2);

    let client = client.with_retry_policy(RetryPolicy::never());
    let error = client.list_services().team(TEAM).send().await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Timeout, "{error}");
    assert!(
        error.is_retryable(),
        "a GET that timed out may be sent again"
    );
    let shown = format!("{error} {error:?}");
    assert!(shown.contains("no response in time"), "{shown}");
    assert!(
        !shown.contains("parcelkit-timed-out"),
        "the stand-in never shows: {shown}"
    );
}

#[tokio::test]
async fn a_transport_error_says_its_root_cause() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let error = smartsend_client(&format!("http://127.0.0.1:{port}"))
        .with_retry_policy(RetryPolicy::never())
        .list_services()
        .team(TEAM)
        .send()
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Transport);
    assert!(
        error.to_string().to_lowercase().contains("refused"),
        "{error}"
    );
}
