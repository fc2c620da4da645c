//! The sandbox's shared machinery, over raw HTTP: idempotency exactly as Smart Send documents it
//! (replay, 422, 409 in flight, 400 for bad keys, 24 h, once under concurrency), faults, the body
//! limit, 405 with `Allow`, Request-ID, the ledger, and the Phygitals key check.

use std::time::Duration;

use parcelkit_sandbox::spec::SpecApi;
use parcelkit_sandbox::{Clock, Sandbox, SandboxConfig, SandboxHandle};
use serde_json::{Value, json};

const TOKEN: &str = SandboxConfig::DEFAULT_TOKEN;
const TEAM: &str = SandboxConfig::DEFAULT_TEAM;

async fn start() -> SandboxHandle {
    Sandbox::start(SandboxConfig {
        validate_responses: true,
        clock: Clock::fixed("2026-03-04T09:00:00Z".parse().unwrap()),
        ..SandboxConfig::default()
    })
    .await
    .expect("the sandbox starts")
}

fn shipment_request() -> Value {
    SpecApi::SmartSend.spec()["components"]["schemas"]["ShipmentRequest"]["example"].clone()
}

/// A POST creating a shipment, with `key` as its Idempotency-Key.
fn create(handle: &SandboxHandle, key: &str, body: &Value) -> reqwest::RequestBuilder {
    reqwest::Client::new()
        .post(format!("{}/team/{TEAM}/shipments", handle.smartsend_url()))
        .bearer_auth(TOKEN)
        .header("content-type", "application/json")
        .header("idempotency-key", key)
        .body(body.to_string())
}

async fn json_of(response: reqwest::Response) -> (u16, reqwest::header::HeaderMap, Value) {
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let text = response.text().await.expect("a body");
    let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
    (status, headers, body)
}

fn executed(handle: &SandboxHandle) -> u64 {
    handle.ledger().total("smartsend", "create_shipment")
}

#[tokio::test]
async fn the_same_key_and_payload_replays_without_executing_again() {
    let handle = start().await;
    let key = "order-5521-create-0001";
    let (first_status, _, first) = json_of(
        create(&handle, key, &shipment_request())
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(matches!(first_status, 200 | 201), "{first_status}: {first}");
    let (status, headers, again) = json_of(
        create(&handle, key, &shipment_request())
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, first_status);
    assert_eq!(again, first, "the stored body comes back");
    assert_eq!(headers["idempotency-replayed"], "true");
    assert_eq!(executed(&handle), 1);
    assert_eq!(handle.spec_violations(), Vec::<String>::new());
}

#[tokio::test]
async fn the_same_key_with_another_payload_is_422_and_executes_nothing() {
    let handle = start().await;
    let key = "order-5521-create-0002";
    create(&handle, key, &shipment_request())
        .send()
        .await
        .unwrap();
    let mut other = shipment_request();
    other["reference"] = json!("Order-9999");
    let (status, headers, problem) =
        json_of(create(&handle, key, &other).send().await.unwrap()).await;
    assert_eq!(status, 422);
    assert_eq!(headers["content-type"], "application/problem+json");
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("Idempotency-Key"),
        "{problem}"
    );
    assert_eq!(executed(&handle), 1);
    // Key order does not make a payload different.
    let reordered: Value = serde_json::from_str(&{
        let mut fields: Vec<(String, Value)> = shipment_request()
            .as_object()
            .unwrap()
            .clone()
            .into_iter()
            .collect();
        fields.reverse();
        format!(
            "{{{}}}",
            fields
                .iter()
                .map(|(k, v)| format!("{k:?}:{v}"))
                .collect::<Vec<_>>()
                .join(",")
        )
    })
    .unwrap();
    let (status, headers, _) =
        json_of(create(&handle, key, &reordered).send().await.unwrap()).await;
    assert!(matches!(status, 200 | 201));
    assert_eq!(headers["idempotency-replayed"], "true");
}

#[tokio::test]
async fn a_second_request_while_the_first_runs_is_409_with_retry_after() {
    let handle = start().await;
    let key = "order-5521-create-0003";
    let slow = create(&handle, key, &shipment_request())
        .header("sandbox-fault", "latency=400ms")
        .send();
    let second = async {
        tokio::time::sleep(Duration::from_millis(100)).await;
        json_of(
            create(&handle, key, &shipment_request())
                .send()
                .await
                .unwrap(),
        )
        .await
    };
    let (slow, (status, headers, _)) = tokio::join!(slow, second);
    assert!(slow.unwrap().status().is_success());
    assert_eq!(status, 409);
    assert_eq!(headers["retry-after"], "1");
    assert_eq!(executed(&handle), 1);
}

#[tokio::test]
async fn many_simultaneous_requests_with_one_key_execute_once() {
    let handle = start().await;
    let key = "order-5521-create-0004";
    let mut attempts = tokio::task::JoinSet::new();
    for _ in 0..16 {
        let request =
            create(&handle, key, &shipment_request()).header("sandbox-fault", "latency=50ms");
        attempts.spawn(async move { json_of(request.send().await.unwrap()).await });
    }
    let answers = attempts.join_all().await;
    let successes: Vec<&Value> = answers
        .iter()
        .filter(|(status, _, _)| matches!(status, 200 | 201))
        .map(|(_, _, body)| body)
        .collect();
    assert!(!successes.is_empty());
    assert!(
        successes.iter().all(|b| *b == successes[0]),
        "every success is the one shipment"
    );
    assert!(
        answers.iter().all(|(s, _, _)| matches!(s, 200 | 201 | 409)),
        "{answers:?}"
    );
    assert_eq!(executed(&handle), 1);
}

#[tokio::test]
async fn a_key_is_remembered_for_24_hours_only() {
    let handle = start().await;
    let key = "order-5521-create-0005";
    let (_, headers, _) = json_of(
        create(&handle, key, &shipment_request())
            .send()
            .await
            .unwrap(),
    )
    .await;
    // The Date header is the sandbox's clock, where the key expires, not the machine's.
    assert_eq!(headers["date"], "Wed, 04 Mar 2026 09:00:00 GMT");
    handle.clock().advance(chrono::Duration::hours(23));
    let (_, headers, _) = json_of(
        create(&handle, key, &shipment_request())
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(headers["idempotency-replayed"], "true");
    handle.clock().advance(chrono::Duration::hours(2));
    let (status, headers, _) = json_of(
        create(&handle, key, &shipment_request())
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(matches!(status, 200 | 201));
    assert!(headers.get("idempotency-replayed").is_none());
    assert_eq!(headers["date"], "Thu, 05 Mar 2026 10:00:00 GMT");
    assert_eq!(executed(&handle), 2);
}

#[tokio::test]
async fn a_key_breaking_the_pattern_is_400_naming_the_rule() {
    let handle = start().await;
    let (status, _, problem) = json_of(
        create(&handle, "short key", &shipment_request())
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 400);
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("Idempotency-Key: \"short key\" is shorter than 16 characters"),
        "{problem}"
    );
    assert_eq!(executed(&handle), 0);
}

#[tokio::test]
async fn request_ids_are_echoed_or_made_up_and_bad_ones_refused() {
    let handle = start().await;
    let url = format!("{}/team/{TEAM}/routing/services", handle.smartsend_url());
    let client = reqwest::Client::new();
    let echoed = client
        .get(&url)
        .bearer_auth(TOKEN)
        .header("request-id", "trace-42")
        .send()
        .await
        .unwrap();
    assert_eq!(echoed.headers()["request-id"], "trace-42");
    let made_up = client.get(&url).bearer_auth(TOKEN).send().await.unwrap();
    let id = made_up.headers()["request-id"].to_str().unwrap().to_owned();
    assert!(parcelkit::RequestId::new(id).is_ok());
    let bad = client
        .get(&url)
        .bearer_auth(TOKEN)
        .header("request-id", "not allowed!")
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status().as_u16(), 400);
    let (_, _, problem) = json_of(bad).await;
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .starts_with("Request-ID: \"not allowed!\" does not match"),
        "{problem}"
    );
    let not_text = client
        .get(&url)
        .bearer_auth(TOKEN)
        .header(
            "request-id",
            reqwest::header::HeaderValue::from_bytes(b"caf\xe9").unwrap(),
        )
        .send()
        .await
        .unwrap();
    let (status, _, problem) = json_of(not_text).await;
    assert_eq!(status, 400);
    assert_eq!(problem["detail"], "Request-ID: not ASCII", "{problem}");
}

#[tokio::test]
async fn faults_on_request() {
    let handle = start().await;
    let send = |fault: &'static str, key: &'static str| {
        create(&handle, key, &shipment_request())
            .header("sandbox-fault", fault)
            .send()
    };
    let (status, _, problem) =
        json_of(send("error-before", "order-5521-fault-0001").await.unwrap()).await;
    assert_eq!((status, problem["status"].clone()), (502, json!(502)));
    let (status, headers, _) =
        json_of(send("unavailable", "order-5521-fault-0002").await.unwrap()).await;
    assert_eq!(
        (status, &headers["retry-after"]),
        (503, &"1".parse::<reqwest::header::HeaderValue>().unwrap())
    );
    assert_eq!(executed(&handle), 0, "nothing runs before a 5xx fault");
    let dropped = send("drop-after-commit", "order-5521-fault-0003").await;
    assert!(
        dropped.is_err(),
        "the client sees a transport error: {dropped:?}"
    );
    assert_eq!(executed(&handle), 1, "but the write happened");
    // The retry with the same key is a replay: still one execution.
    let (status, headers, _) = json_of(
        create(&handle, "order-5521-fault-0003", &shipment_request())
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(matches!(status, 200 | 201));
    assert_eq!(headers["idempotency-replayed"], "true");
    assert_eq!(executed(&handle), 1);
    let (status, _, problem) =
        json_of(send("teleport", "order-5521-fault-0004").await.unwrap()).await;
    assert_eq!(status, 400);
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("unknown fault")
    );
}

#[tokio::test]
async fn bodies_over_the_limit_are_413_in_the_apis_format() {
    let handle = Sandbox::start(SandboxConfig {
        body_limit: 1024,
        ..SandboxConfig::default()
    })
    .await
    .unwrap();
    let mut big = shipment_request();
    big["reference"] = json!("x".repeat(2048));
    let (status, headers, _) = json_of(
        create(&handle, "order-5521-big-00001", &big)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 413);
    assert_eq!(headers["content-type"], "application/problem+json");
    let (status, _, body) = json_of(
        reqwest::Client::new()
            .post(format!("{}/api/v1/ship/quote", handle.phygitals_url()))
            .header("x-api-key", "sandbox-a")
            .body("x".repeat(2048))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 413);
    assert!(body["error"].is_string(), "{body}");
}

#[tokio::test]
async fn an_unknown_method_is_405_with_allow() {
    let handle = start().await;
    let response = reqwest::Client::new()
        .put(format!("{}/team/{TEAM}/shipments", handle.smartsend_url()))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    let (status, headers, problem) = json_of(response).await;
    assert_eq!(status, 405);
    assert_eq!(headers["allow"], "GET, POST");
    assert_eq!(problem["status"], 405);
    let response = reqwest::Client::new()
        .delete(format!("{}/api/v1/ship/quote", handle.phygitals_url()))
        .header("x-api-key", "sandbox-a")
        .send()
        .await
        .unwrap();
    let (status, headers, body) = json_of(response).await;
    assert_eq!(
        (status, &headers["allow"]),
        (
            405,
            &"POST".parse::<reqwest::header::HeaderValue>().unwrap()
        )
    );
    assert!(body["error"].is_string());
}

#[tokio::test]
async fn the_ledger_is_served_outside_both_apis() {
    let handle = start().await;
    create(&handle, "order-5521-ledger-001", &shipment_request())
        .send()
        .await
        .unwrap();
    let (status, _, ledger) = json_of(
        reqwest::get(format!("{}/__sandbox/ledger", handle.base_url()))
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 200);
    let created = ledger["smartsend"]["create_shipment"]
        .as_object()
        .expect("one entry");
    assert_eq!(created.values().collect::<Vec<_>>(), [&json!(1)]);
    let (status, _, health) = json_of(
        reqwest::get(format!("{}/__sandbox/health", handle.base_url()))
            .await
            .unwrap(),
    )
    .await;
    assert_eq!((status, health), (200, json!({"ok": true})));
}

#[tokio::test]
async fn phygitals_wants_a_sandbox_key() {
    let handle = start().await;
    for key in [None, Some("live-abc"), Some("")] {
        let mut request =
            reqwest::Client::new().get(format!("{}/api/v1/vm/available", handle.phygitals_url()));
        if let Some(key) = key {
            request = request.header("x-api-key", key);
        }
        let (status, _, body) = json_of(request.send().await.unwrap()).await;
        assert_eq!(
            (status, body),
            (401, json!({"error": "Invalid API key"})),
            "{key:?}"
        );
    }
}

#[tokio::test]
async fn smart_send_tokens_are_bound_to_teams() {
    let handle = Sandbox::start(
        SandboxConfig::default()
            .token("t1", "team-a")
            .token("t2", "team-b"),
    )
    .await
    .unwrap();
    let get = |token: &'static str, team: &'static str| {
        reqwest::Client::new()
            .get(format!(
                "{}/team/{team}/routing/services",
                handle.smartsend_url()
            ))
            .bearer_auth(token)
            .send()
    };
    assert_eq!(get("t1", "team-a").await.unwrap().status(), 200);
    let (status, _, other_team) = json_of(get("t1", "team-b").await.unwrap()).await;
    let (_, _, no_team) = json_of(get("t1", "team-nowhere").await.unwrap()).await;
    assert_eq!(status, 404);
    assert_eq!(
        other_team["detail"], no_team["detail"],
        "another team looks like no team"
    );
    assert_eq!(get("nope", "team-a").await.unwrap().status(), 401);
}

#[tokio::test]
async fn open_connections_count_until_the_client_goes_away() {
    let sandbox = Sandbox::start(SandboxConfig::default()).await.unwrap();
    assert_eq!(sandbox.open_connections(), 0);
    let until = |want: usize| {
        let sandbox = &sandbox;
        async move {
            for _ in 0..5_000 {
                if sandbox.open_connections() == want {
                    return;
                }
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
            panic!("open connections stayed at {}", sandbox.open_connections());
        }
    };
    let client = tokio::net::TcpStream::connect(sandbox.addr())
        .await
        .unwrap();
    until(1).await;
    drop(client);
    until(0).await;
}

#[tokio::test]
async fn prefer_is_read_as_rfc_7240_honouring_respond_async_and_ignoring_the_rest() {
    let handle = start().await;
    let book = |key: &str, prefer: &str| {
        reqwest::Client::new()
            .post(format!(
                "{}/team/{TEAM}/shipments/booking",
                handle.smartsend_url()
            ))
            .bearer_auth(TOKEN)
            .header("content-type", "application/json")
            .header("idempotency-key", key)
            .header("prefer", prefer)
            .body(shipment_request().to_string())
    };
    // respond-async among other preferences, with a parameter: honoured, and said so.
    let accepted = book("prefer-test-key-0001", "wait=10, respond-async; x=1")
        .send()
        .await
        .unwrap();
    assert_eq!(accepted.status().as_u16(), 202);
    assert_eq!(accepted.headers()["preference-applied"], "respond-async");
    // Preferences the API does not know, or cannot read, are ignored: a synchronous answer.
    for (key, prefer) in [
        ("prefer-test-key-0002", "return=minimal"),
        ("prefer-test-key-0003", "???"),
    ] {
        let done = book(key, prefer).send().await.unwrap();
        assert!(matches!(done.status().as_u16(), 200 | 201), "{prefer}");
        assert!(
            done.headers().get("preference-applied").is_none(),
            "{prefer}"
        );
    }
    assert!(
        handle.spec_violations().is_empty(),
        "{:?}",
        handle.spec_violations()
    );
}
