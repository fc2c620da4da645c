//! End to end: the real parcelkit client against the sandbox, for every Smart Send operation.
//!
//! Each test starts its own sandbox on 127.0.0.1 (any free port) with response validation on,
//! and ends by asserting that no response broke the spec. Requests the typed client cannot make
//! (a `Sandbox-Fault` header, a malformed body, a label download) go through a minimal HTTP/1.1
//! client over a plain TCP stream.

use futures_util::TryStreamExt;
use std::net::SocketAddr;
use std::time::Duration;

use parcelkit::smartsend::{self, BookingOutcome, types};
use parcelkit::{IdempotencyKey, PollPolicy, ResponseMeta, RetryPolicy};
use parcelkit_sandbox::{Clock, Faults, Sandbox, SandboxConfig, SandboxHandle};

const TEAM: &str = SandboxConfig::DEFAULT_TEAM;
const TOKEN: &str = SandboxConfig::DEFAULT_TOKEN;

/// Every operationId some test below calls through the client.
const EXERCISED: &[&str] = &[
    "create_shipment",
    "list_shipments",
    "get_shipment",
    "delete_shipment",
    "book_shipment",
    "create_and_book_shipment",
    "get_operation",
    "list_booking_batches",
    "create_booking_batch",
    "get_booking_batch",
    "add_booking_batch_shipments",
    "dispatch_booking_batch",
    "get_rates",
    "list_services",
    "list_service_points",
    "get_service_point",
    "get_service_point_by_carrier_code",
];

fn start_time() -> chrono::DateTime<chrono::Utc> {
    // A Wednesday morning: rates' cutoffs and delivery windows are on working days.
    "2026-03-04T09:00:00Z".parse().unwrap()
}

async fn sandbox(config: SandboxConfig) -> SandboxHandle {
    Sandbox::start(SandboxConfig {
        validate_responses: true,
        ..config
    })
    .await
    .expect("the sandbox starts")
}

/// A sandbox on a fixed clock, with asynchronous work taking 10 s of that clock.
async fn fixed_sandbox() -> SandboxHandle {
    sandbox(SandboxConfig {
        clock: Clock::fixed(start_time()),
        async_delay: Duration::from_secs(10),
        ..SandboxConfig::default()
    })
    .await
}

fn client_with(handle: &SandboxHandle, token: &str, policy: RetryPolicy) -> smartsend::Client {
    smartsend::Client::builder()
        .base_url(handle.smartsend_url())
        .token(token)
        .retry_policy(policy)
        .build()
        .expect("the client builds")
}

fn client(handle: &SandboxHandle) -> smartsend::Client {
    client_with(
        handle,
        TOKEN,
        RetryPolicy::default().with_base_delay(Duration::from_millis(5)),
    )
}

fn assert_no_violations(handle: &SandboxHandle) {
    let violations = handle.spec_violations();
    assert!(violations.is_empty(), "{violations:#?}");
}

/// The spec's own ShipmentRequest example (PostNord MyPack Collect to Copenhagen).
fn shipment_request() -> types::ShipmentRequest {
    serde_json::from_value(example("ShipmentRequest")).unwrap()
}

fn example(schema: &str) -> serde_json::Value {
    parcelkit_conformance::Api::SmartSend.spec()["components"]["schemas"][schema]["example"].clone()
}

fn with_service(
    mut request: types::ShipmentRequest,
    carrier: &str,
    service: &str,
) -> types::ShipmentRequest {
    request.delivery.carrier = carrier.to_owned();
    request.delivery.service = service.to_owned();
    request
}

fn key(seed: &str) -> IdempotencyKey {
    IdempotencyKey::new(format!("e2e-{seed}-0123456789abcdef")).unwrap()
}

async fn create(client: &smartsend::Client, request: types::ShipmentRequest) -> types::Shipment {
    client
        .create_shipment()
        .team(TEAM)
        .body(request)
        .send()
        .await
        .expect("created")
        .into_inner()
        .data
}

fn booked(envelope: types::ShipmentEnvelope) -> types::Shipment {
    envelope.data
}

/// A raw HTTP/1.1 exchange.
struct Raw {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Raw {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).expect("a JSON body")
    }
}

/// Sends one request with a plain HTTP client (for what the typed client cannot send: fault
/// headers, broken bodies) and reads the whole answer. A connection closed without an answer
/// is an error, as for any client.
async fn raw(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> reqwest::Result<Raw> {
    let method = reqwest::Method::from_bytes(method.as_bytes()).expect("a method");
    let mut request = reqwest::Client::new()
        .request(method, format!("http://{addr}{path}"))
        .body(body.to_vec());
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.send().await?;
    let status = response.status().as_u16();
    let headers = response
        .headers()
        .iter()
        .map(|(n, v)| (n.to_string(), v.to_str().unwrap_or_default().to_owned()))
        .collect();
    let body = response.bytes().await?.to_vec();
    Ok(Raw {
        status,
        headers,
        body,
    })
}

fn api_path(rest: &str) -> String {
    format!("{}/team/{TEAM}{rest}", parcelkit_sandbox::smartsend::PREFIX)
}

const BEARER: (&str, &str) = ("Authorization", "Bearer sandbox-token");

// ---------------------------------------------------------------------------------------------

#[test]
fn every_operation_of_the_spec_is_exercised() {
    let spec = parcelkit_conformance::Api::SmartSend.spec();
    let mut ids: Vec<&str> = parcelkit_codegen::spec_walk::operations(spec)
        .iter()
        .map(|op| op.label)
        .collect();
    ids.sort_unstable();
    let mut exercised = EXERCISED.to_vec();
    exercised.sort_unstable();
    assert_eq!(
        ids, exercised,
        "the spec's operations and the ones these tests call differ"
    );
}

#[tokio::test]
async fn shipments_are_created_fetched_listed_across_pages_and_deleted() {
    let handle = fixed_sandbox().await;
    let client = client(&handle);

    // An empty team: no items, from/to null.
    let empty = client
        .list_shipments()
        .team(TEAM)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert!(empty.data.is_empty());
    assert_eq!(
        (empty.meta.total, empty.meta.from, empty.meta.to),
        (0, None, None)
    );
    assert_eq!(empty.meta.last_page.get(), 1);

    let mut created = Vec::new();
    for i in 0..5 {
        let mut request = shipment_request();
        request.reference = Some(format!("Order-{i}"));
        let shipment = create(&client, request).await;
        assert_eq!(shipment.state, types::ShipmentState::Open);
        assert_eq!(
            chrono::DateTime::<chrono::Utc>::from(shipment.created_at),
            start_time()
        );
        assert!(shipment.booked_at.is_none());
        assert!(
            shipment
                .parcels
                .iter()
                .all(|p| p.tracking_code.is_none() && p.documents.is_empty())
        );
        assert_eq!(shipment.delivery.carrier_name.as_deref(), Some("PostNord"));
        assert_eq!(
            shipment.delivery.service_name.as_deref(),
            Some("MyPack Collect")
        );
        assert_eq!(
            handle
                .ledger()
                .count("smartsend", "create_shipment", &shipment.uuid.to_string()),
            1
        );
        created.push(shipment.uuid);
    }

    let fetched = client
        .get_shipment()
        .team(TEAM)
        .shipment(created[2])
        .request_id("e2e-get-shipment-2")
        .send()
        .await
        .unwrap();
    assert_eq!(fetched.request_id(), Some("e2e-get-shipment-2"));
    assert_eq!(
        fetched.into_inner().data.reference.as_deref(),
        Some("Order-2")
    );

    // Page by page, 2 per page: 2 + 2 + 1, in creation order.
    let mut seen = Vec::new();
    let mut page = 1u64;
    loop {
        let list = client
            .list_shipments()
            .team(TEAM)
            .page(page)
            .per_page(2u64)
            .send()
            .await
            .unwrap()
            .into_inner();
        assert_eq!(list.meta.current_page.get(), page);
        assert_eq!(list.meta.total, 5);
        assert_eq!(list.meta.last_page.get(), 3);
        assert_eq!(list.meta.from.map(|n| n.get()), Some(2 * page - 1));
        assert_eq!(list.meta.to.map(|n| n.get()), Some((2 * page).min(5)));
        seen.extend(list.data.iter().map(|s| s.uuid));
        if page == list.meta.last_page.get() {
            break;
        }
        page += 1;
    }
    assert_eq!(seen, created);
    // The client's own walker sees the same, in the same order.
    let streamed: Vec<types::Shipment> =
        parcelkit::smartsend::Paginate::stream(client.list_shipments().team(TEAM).per_page(2u64))
            .try_collect()
            .await
            .unwrap();
    assert_eq!(streamed.iter().map(|s| s.uuid).collect::<Vec<_>>(), created);
    let beyond = client
        .list_shipments()
        .team(TEAM)
        .page(9u64)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert!(beyond.data.is_empty());
    assert_eq!((beyond.meta.from, beyond.meta.to), (None, None));

    // Delete; a retry with the same key replays the confirmation instead of answering 404.
    let delete_key = key("delete");
    let deleted = client
        .delete_shipment()
        .team(TEAM)
        .shipment(created[0])
        .idempotency_key(delete_key.clone())
        .send()
        .await
        .unwrap();
    assert!(!deleted.replayed());
    assert_eq!(deleted.into_inner().message, "Shipment deleted.");
    let again = client
        .delete_shipment()
        .team(TEAM)
        .shipment(created[0])
        .idempotency_key(delete_key)
        .send()
        .await
        .unwrap();
    assert!(again.replayed());
    assert_eq!(
        handle
            .ledger()
            .count("smartsend", "delete_shipment", &created[0].to_string()),
        1
    );

    let gone = client
        .get_shipment()
        .team(TEAM)
        .shipment(created[0])
        .send()
        .await
        .unwrap_err();
    assert_eq!(gone.status().map(|s| s.as_u16()), Some(404));
    assert_eq!(gone.problem().unwrap().title, "Not Found");
    let unknown_delete = client
        .delete_shipment()
        .team(TEAM)
        .shipment(uuid::Uuid::new_v4())
        .send()
        .await
        .unwrap_err();
    assert_eq!(unknown_delete.status().map(|s| s.as_u16()), Some(404));
    assert_eq!(
        client
            .list_shipments()
            .team(TEAM)
            .send()
            .await
            .unwrap()
            .into_inner()
            .meta
            .total,
        4
    );

    // Query parameters out of range: 400 (the spec's answer to an invalid query value), named.
    let bad = raw(
        handle.addr(),
        "GET",
        &api_path("/shipments?page=0&per_page=5000"),
        &[BEARER],
        b"",
    )
    .await
    .unwrap();
    assert_eq!(bad.status, 400);
    let errors = &bad.json()["errors"];
    assert!(
        errors["page"].is_array() && errors["per_page"].is_array(),
        "{errors}"
    );
    // One past the spec's int64 maximum is not a page either.
    let overflow = raw(
        handle.addr(),
        "GET",
        &api_path("/shipments?page=9223372036854775808"),
        &[BEARER],
        b"",
    )
    .await
    .unwrap();
    assert_eq!(overflow.status, 400);
    assert!(overflow.json()["errors"]["page"].is_array());
    assert_no_violations(&handle);
}

#[tokio::test]
async fn booking_assigns_tracking_codes_and_a_downloadable_label_and_refuses_a_second_booking() {
    let handle = fixed_sandbox().await;
    let client = client(&handle);
    let shipment = create(&client, shipment_request()).await;

    let booked = booked(
        client
            .book_shipment()
            .team(TEAM)
            .shipment(shipment.uuid)
            .idempotency_key(key("book-once"))
            .send()
            .await
            .unwrap()
            .into_inner(),
    );
    assert_eq!(booked.state, types::ShipmentState::Booked);
    assert_eq!(
        booked.booked_at.map(chrono::DateTime::<chrono::Utc>::from),
        Some(start_time())
    );
    assert_eq!(
        handle
            .ledger()
            .count("smartsend", "book_shipment", &shipment.uuid.to_string()),
        1
    );
    let parcel = &booked.parcels[0];
    let code = parcel.tracking_code.as_deref().unwrap();
    assert!(code.starts_with("00370723") && code.len() == 20, "{code}");
    assert_eq!(
        parcel.tracking_url.as_deref(),
        Some(format!("https://tracking.postnord.com/dk/?id={code}").as_str())
    );
    let label = &parcel.documents[0];
    assert_eq!(
        (label.type_.as_str(), label.format.as_str()),
        ("label", "pdf")
    );

    // The label URL is served by the sandbox, without the token, as a real PDF.
    let url: &str = &label.url;
    let path = url
        .strip_prefix(&handle.base_url())
        .expect("served by the sandbox");
    let pdf = raw(handle.addr(), "GET", path, &[], b"").await.unwrap();
    assert_eq!(pdf.status, 200);
    assert_eq!(pdf.header("content-type"), Some("application/pdf"));
    assert!(pdf.body.starts_with(b"%PDF-"));
    assert!(pdf.body.trim_ascii_end().ends_with(b"%%EOF"));
    assert!(pdf.body.windows(code.len()).any(|w| w == code.as_bytes()));
    let missing = raw(
        handle.addr(),
        "GET",
        &format!(
            "{}/labels/{}.pdf",
            parcelkit_sandbox::smartsend::PREFIX,
            uuid::Uuid::new_v4()
        ),
        &[],
        b"",
    )
    .await
    .unwrap();
    assert_eq!(missing.status, 404);

    // The same shipment is booked, so reading it shows the same codes.
    let read = client
        .get_shipment()
        .team(TEAM)
        .shipment(shipment.uuid)
        .send()
        .await
        .unwrap()
        .into_inner()
        .data;
    assert_eq!(read.parcels[0].tracking_code.as_deref(), Some(code));

    // Booking again (a new key, so a new request): 422, already booked.
    let twice = client
        .book_shipment()
        .team(TEAM)
        .shipment(shipment.uuid)
        .send()
        .await
        .unwrap_err();
    assert_eq!(twice.status().map(|s| s.as_u16()), Some(422));
    let problem = twice.problem().unwrap();
    assert_eq!(problem.title, "Unprocessable Entity");
    assert_eq!(
        problem.detail.as_deref(),
        Some("The shipment is already booked.")
    );
    assert!(!twice.is_idempotency_key_reused());
    assert_eq!(
        handle
            .ledger()
            .count("smartsend", "book_shipment", &shipment.uuid.to_string()),
        1
    );

    // A booked shipment cannot be deleted.
    let delete = client
        .delete_shipment()
        .team(TEAM)
        .shipment(shipment.uuid)
        .send()
        .await
        .unwrap_err();
    assert_eq!(delete.status().map(|s| s.as_u16()), Some(422));

    // A carrier service outside the catalogue is rejected by "the carrier".
    let odd = create(
        &client,
        with_service(shipment_request(), "postnord", "teleport"),
    )
    .await;
    let rejected = client
        .book_shipment()
        .team(TEAM)
        .shipment(odd.uuid)
        .send()
        .await
        .unwrap_err();
    assert_eq!(rejected.status().map(|s| s.as_u16()), Some(422));
    assert!(!rejected.field_errors("delivery.service").is_empty());
    let unknown = client
        .book_shipment()
        .team(TEAM)
        .shipment(uuid::Uuid::new_v4())
        .send()
        .await
        .unwrap_err();
    assert_eq!(unknown.status().map(|s| s.as_u16()), Some(404));
    assert_no_violations(&handle);
}

#[tokio::test]
async fn create_and_book_answers_200_booked_or_202_with_an_operation_the_client_polls() {
    // Real time here: the client's polling sleeps for real, so the work takes 50 ms of it.
    let handle = sandbox(SandboxConfig {
        async_delay: Duration::from_millis(50),
        ..SandboxConfig::default()
    })
    .await;
    let client = client(&handle);
    let policy = PollPolicy::fixed(Duration::from_millis(20), Duration::from_secs(5));

    let sync = client
        .create_and_book_shipment()
        .team(TEAM)
        .body(with_service(shipment_request(), "gls", "parcelshop"))
        .send()
        .await
        .unwrap();
    assert_eq!(sync.status().as_u16(), 200);
    let sync = sync.into_inner().data;
    assert_eq!(sync.state, types::ShipmentState::Booked);
    assert_eq!(
        sync.parcels[0].tracking_code.as_deref().map(str::len),
        Some(11)
    );
    assert_eq!(
        handle.ledger().count(
            "smartsend",
            "create_and_book_shipment",
            &sync.uuid.to_string()
        ),
        1
    );

    // Asynchronously: 202, Location on the client's origin, polled to the booked shipment.
    let outcome = client
        .create_and_book_shipment()
        .team(TEAM)
        .body(with_service(shipment_request(), "bring", "pickup"))
        .respond_async()
        .send()
        .await
        .unwrap();
    let BookingOutcome::Accepted(handle_op) = outcome else {
        panic!("Prefer: respond-async must answer 202");
    };
    let op = handle_op.operation().clone();
    assert_eq!(op.state, types::OperationState::Pending);
    assert_eq!(op.type_, "shipment.booking");
    let location = handle_op
        .location()
        .expect("a same-origin Location")
        .clone();
    assert_eq!(
        location.path(),
        api_path(&format!("/operations/{}", op.uuid))
    );
    let shipment = handle_op
        .with_poll_policy(policy.clone())
        .wait()
        .await
        .unwrap();
    assert_eq!(shipment.uuid, op.resource.uuid);
    assert_eq!(shipment.state, types::ShipmentState::Booked);
    assert!(
        shipment.parcels[0]
            .tracking_url
            .as_deref()
            .unwrap()
            .starts_with("https://tracking.bring.com/")
    );
    assert_eq!(
        handle.ledger().count(
            "smartsend",
            "create_and_book_shipment",
            &shipment.uuid.to_string()
        ),
        1
    );

    // The operation endpoint itself, once done.
    let polled = client
        .get_operation()
        .team(TEAM)
        .operation(op.uuid)
        .send()
        .await
        .unwrap()
        .into_inner()
        .data;
    assert_eq!(polled.state, types::OperationState::Succeeded);
    assert!(polled.completed_at.is_some() && polled.error.is_none());
    assert_eq!(polled.result.unwrap().uuid, shipment.uuid);

    // book_shipment with Prefer: an existing shipment, booked in the background.
    let open = create(&client, shipment_request()).await;
    let BookingOutcome::Accepted(pending) = client
        .book_shipment()
        .team(TEAM)
        .shipment(open.uuid)
        .respond_async()
        .send()
        .await
        .unwrap()
    else {
        panic!("202 expected");
    };
    let booked = pending
        .with_poll_policy(policy.clone())
        .wait()
        .await
        .unwrap();
    assert_eq!(booked.uuid, open.uuid);
    assert_eq!(
        handle
            .ledger()
            .count("smartsend", "book_shipment", &open.uuid.to_string()),
        1
    );

    // An asynchronous booking the carrier rejects ends as a failed operation with a problem.
    let odd = create(&client, with_service(shipment_request(), "dao", "teleport")).await;
    let BookingOutcome::Accepted(failing) = client
        .book_shipment()
        .team(TEAM)
        .shipment(odd.uuid)
        .respond_async()
        .send()
        .await
        .unwrap()
    else {
        panic!("202 expected");
    };
    match failing.with_poll_policy(policy).wait().await {
        Err(smartsend::OperationError::Failed(op)) => {
            assert_eq!(op.error.unwrap().status, 422);
        }
        other => panic!("expected a failed operation, got {other:?}"),
    }
    let unknown = client
        .get_operation()
        .team(TEAM)
        .operation(uuid::Uuid::new_v4())
        .send()
        .await
        .unwrap_err();
    assert_eq!(unknown.status().map(|s| s.as_u16()), Some(404));
    assert_no_violations(&handle);
}

#[tokio::test]
async fn an_asynchronous_booking_follows_the_clock_pending_running_succeeded() {
    let handle = fixed_sandbox().await;
    let client = client(&handle);
    let shipment = create(&client, shipment_request()).await;
    let outcome = client
        .book_shipment()
        .team(TEAM)
        .shipment(shipment.uuid)
        .respond_async()
        .send()
        .await
        .unwrap();
    let BookingOutcome::Accepted(accepted) = outcome else {
        panic!("Prefer: respond-async must answer 202, got {outcome:?}");
    };
    let location = accepted.location().expect("a same-origin Location").clone();
    let op = accepted.operation().clone();
    assert!(
        location
            .path()
            .ends_with(&format!("/operations/{}", op.uuid))
    );
    let poll = || async {
        client
            .get_operation()
            .team(TEAM)
            .operation(op.uuid)
            .send()
            .await
            .unwrap()
            .into_inner()
            .data
    };
    let state = |s: &types::Shipment| s.state.clone();
    let read = || async {
        client
            .get_shipment()
            .team(TEAM)
            .shipment(shipment.uuid)
            .send()
            .await
            .unwrap()
            .into_inner()
            .data
    };

    assert_eq!(poll().await.state, types::OperationState::Pending);
    assert_eq!(state(&read().await), types::ShipmentState::Booking);
    handle.clock().advance(chrono::Duration::seconds(5));
    let running = poll().await;
    assert_eq!(running.state, types::OperationState::Running);
    assert_eq!(handle.ledger().total("smartsend", "book_shipment"), 0);
    handle.clock().advance(chrono::Duration::seconds(5));
    let done = poll().await;
    assert_eq!(done.state, types::OperationState::Succeeded);
    assert_eq!(
        done.completed_at.map(chrono::DateTime::<chrono::Utc>::from),
        Some(start_time() + chrono::Duration::seconds(10))
    );
    let result = done.result.unwrap();
    assert_eq!(result.booked_at, done.completed_at);
    assert_eq!(state(&read().await), types::ShipmentState::Booked);
    // Reading again does not book again.
    poll().await;
    assert_eq!(
        handle
            .ledger()
            .count("smartsend", "book_shipment", &shipment.uuid.to_string()),
        1
    );
    assert_no_violations(&handle);
}

#[tokio::test]
async fn a_batch_goes_open_queued_processing_completed_with_counts_and_progress() {
    let handle = fixed_sandbox().await;
    let client = client(&handle);
    let batch = client
        .create_booking_batch()
        .team(TEAM)
        .body(types::BatchRequest {
            reference: "Afternoon run".to_owned(),
            identifier: Some("wms-wave-pm".to_owned()),
        })
        .send()
        .await
        .unwrap();
    assert_eq!(batch.status().as_u16(), 201);
    let batch = batch.into_inner().data;
    assert_eq!(
        (batch.state, batch.total_count, batch.progress),
        (types::BatchState::Open, 0, 0)
    );

    // Dispatching an empty batch: 422.
    let empty = client
        .dispatch_booking_batch()
        .team(TEAM)
        .batch(batch.uuid)
        .send()
        .await
        .unwrap_err();
    assert_eq!(empty.status().map(|s| s.as_u16()), Some(422));
    assert_eq!(
        empty.problem().unwrap().detail.as_deref(),
        Some("The booking batch has no shipments.")
    );

    // An invalid entry rejects the whole request, naming it by index.
    let mut invalid = shipment_request();
    invalid.parties.receiver.contact.email = Some("not an e-mail".to_owned());
    let refused = client
        .add_booking_batch_shipments()
        .team(TEAM)
        .batch(batch.uuid)
        .body(types::BatchShipmentsRequest {
            data: vec![shipment_request(), invalid],
        })
        .send()
        .await
        .unwrap_err();
    assert_eq!(refused.status().map(|s| s.as_u16()), Some(422));
    assert!(
        !refused
            .field_errors("data.1.parties.receiver.contact.email")
            .is_empty()
    );

    // Three shipments, one for a service no carrier has (it will fail), then one more.
    let added = client
        .add_booking_batch_shipments()
        .team(TEAM)
        .batch(batch.uuid)
        .body(types::BatchShipmentsRequest {
            data: vec![
                shipment_request(),
                with_service(shipment_request(), "gls", "teleport"),
                with_service(shipment_request(), "dao", "direct"),
            ],
        })
        .send()
        .await
        .unwrap()
        .into_inner()
        .data;
    assert_eq!(added.total_count, 3);
    let added = client
        .add_booking_batch_shipments()
        .team(TEAM)
        .batch(batch.uuid)
        .body(types::BatchShipmentsRequest {
            data: vec![with_service(shipment_request(), "bring", "home")],
        })
        .send()
        .await
        .unwrap()
        .into_inner()
        .data;
    assert_eq!(added.total_count, 4);
    assert_eq!(
        handle.ledger().count(
            "smartsend",
            "add_booking_batch_shipments",
            &batch.uuid.to_string()
        ),
        2
    );

    let dispatched = client
        .dispatch_booking_batch()
        .team(TEAM)
        .batch(batch.uuid)
        .send()
        .await
        .unwrap();
    assert_eq!(dispatched.status().as_u16(), 202);
    let location = dispatched
        .headers()
        .get("location")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        location.ends_with(&format!("/booking-batches/{}", batch.uuid)),
        "{location}"
    );
    let queued = dispatched.into_inner().data;
    assert_eq!(
        (queued.state, queued.started_at),
        (types::BatchState::Queued, None)
    );

    // No longer open: adding or dispatching again is 422.
    let late = client
        .add_booking_batch_shipments()
        .team(TEAM)
        .batch(batch.uuid)
        .body(types::BatchShipmentsRequest {
            data: vec![shipment_request()],
        })
        .send()
        .await
        .unwrap_err();
    assert_eq!(late.status().map(|s| s.as_u16()), Some(422));
    assert_eq!(
        late.problem().unwrap().detail.as_deref(),
        Some("The booking batch is not open.")
    );
    let redispatch = client
        .dispatch_booking_batch()
        .team(TEAM)
        .batch(batch.uuid)
        .send()
        .await
        .unwrap_err();
    assert_eq!(redispatch.status().map(|s| s.as_u16()), Some(422));

    let get = || async {
        client
            .get_booking_batch()
            .team(TEAM)
            .batch(batch.uuid)
            .send()
            .await
            .unwrap()
            .into_inner()
            .data
    };
    // Processing runs over the second half of the 10 s: one shipment every 1.25 s.
    handle.clock().advance(chrono::Duration::seconds(5));
    let processing = get().await;
    assert_eq!(processing.state, types::BatchState::Processing);
    assert_eq!(
        processing
            .started_at
            .map(chrono::DateTime::<chrono::Utc>::from),
        Some(start_time() + chrono::Duration::seconds(5))
    );
    assert_eq!(
        (
            processing.completed_count,
            processing.failed_count,
            processing.progress
        ),
        (0, 0, 0)
    );
    handle.clock().advance(chrono::Duration::milliseconds(2500));
    let halfway = get().await;
    assert_eq!(
        (
            halfway.completed_count,
            halfway.failed_count,
            halfway.progress
        ),
        (1, 1, 50)
    );
    let listed = client
        .list_booking_batches()
        .team(TEAM)
        .state(types::BatchState::Processing)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(listed.data.len(), 1);
    handle.clock().advance(chrono::Duration::milliseconds(2500));
    let completed = get().await;
    assert_eq!(completed.state, types::BatchState::Completed);
    assert_eq!(
        (
            completed.completed_count,
            completed.failed_count,
            completed.progress
        ),
        (3, 1, 100)
    );
    assert_eq!(
        completed
            .finished_at
            .map(chrono::DateTime::<chrono::Utc>::from),
        Some(start_time() + chrono::Duration::seconds(10))
    );
    assert!(
        client
            .list_booking_batches()
            .team(TEAM)
            .state(types::BatchState::Open)
            .send()
            .await
            .unwrap()
            .into_inner()
            .data
            .is_empty()
    );
    let all = client
        .list_booking_batches()
        .team(TEAM)
        .per_page(1u64)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!((all.meta.total, all.data[0].uuid), (1, batch.uuid));

    // The batch's shipments are shipments: booked, or failed.
    let shipments = client
        .list_shipments()
        .team(TEAM)
        .send()
        .await
        .unwrap()
        .into_inner()
        .data;
    let states: Vec<_> = shipments.iter().map(|s| s.state.clone()).collect();
    use types::ShipmentState::{Booked, Failed};
    assert_eq!(states, [Booked, Failed, Booked, Booked]);
    let unknown = client
        .get_booking_batch()
        .team(TEAM)
        .batch(uuid::Uuid::new_v4())
        .send()
        .await
        .unwrap_err();
    assert_eq!(unknown.status().map(|s| s.as_u16()), Some(404));
    assert_no_violations(&handle);
}

#[tokio::test]
async fn rates_services_and_service_points_come_from_the_seeded_catalogue() {
    let handle = fixed_sandbox().await;
    let client = client(&handle);
    let request: types::RateRequest =
        serde_json::from_value(example("RateRequest")).expect("the spec's RateRequest example");
    let rates = client
        .get_rates()
        .team(TEAM)
        .body(request)
        .send()
        .await
        .unwrap()
        .into_inner()
        .data;
    let rate = |carrier: &str, service: &str| {
        rates
            .iter()
            .find(|r| {
                r.delivery.carrier_code.as_deref() == Some(carrier)
                    && r.delivery.service_code.as_deref() == Some(service)
            })
            .unwrap_or_else(|| panic!("no rate for {carrier}/{service}"))
    };
    let collect = rate("postnord", "collect");
    assert!(collect.available);
    let price = collect.cost_price.as_ref().unwrap();
    assert_eq!(
        (
            price.net_amount.to_string(),
            price.tax_amount.to_string(),
            price.currency.as_str()
        ),
        ("42.2".into(), "10.55".into(), "DKK"),
        "exact amounts (42.20 is sent as the number 42.2)"
    );
    let cutoff = collect.cutoff.as_ref().unwrap();
    assert_eq!(cutoff.at.to_string(), "2026-03-04T15:00:00Z");
    assert!(collect.delivery_window.as_ref().unwrap().earliest > cutoff.at);
    assert!(!collect.addons.is_empty());
    // DAO serves Denmark only; Bring does too. A rate to Germany from DAO is unavailable.
    assert!(rate("dao", "direct").available);
    let mut to_germany: types::RateRequest =
        serde_json::from_value(example("RateRequest")).unwrap();
    to_germany.parties.receiver.address.country = "DE".parse().unwrap();
    let german = client
        .get_rates()
        .team(TEAM)
        .body(to_germany)
        .send()
        .await
        .unwrap()
        .into_inner()
        .data;
    let dao = german
        .iter()
        .find(|r| r.delivery.carrier_code.as_deref() == Some("dao"))
        .unwrap();
    assert!(!dao.available && dao.cost_price.is_none() && dao.cutoff.is_none());
    assert_eq!(handle.ledger().count("smartsend", "get_rates", TEAM), 2);

    let services = client
        .list_services()
        .team(TEAM)
        .send()
        .await
        .unwrap()
        .into_inner()
        .data;
    let mut carriers: Vec<_> = services.iter().map(|s| s.carrier_code.as_str()).collect();
    carriers.dedup();
    assert_eq!(carriers, ["postnord", "gls", "dao", "bring"]);
    assert!(services.iter().any(|s| s.is_return));

    let points = client
        .list_service_points()
        .team(TEAM)
        .carrier("postnord")
        .country("DK")
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(points.meta.total, 3);
    assert!(
        points
            .data
            .iter()
            .all(|p| p.carrier.code == "postnord" && p.address.country.as_str() == "DK")
    );
    let netto = points.data.iter().find(|p| p.code == "95410").unwrap();
    assert_eq!(netto.name, "Netto Vesterbrogade");
    let page2 = client
        .list_service_points()
        .team(TEAM)
        .carrier("bring")
        .per_page(3u64)
        .page(2u64)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        (
            page2.data.len(),
            page2.meta.total,
            page2.meta.last_page.get()
        ),
        (1, 4, 2)
    );

    let by_uuid = client
        .get_service_point()
        .team(TEAM)
        .service_point(netto.uuid)
        .send()
        .await
        .unwrap()
        .into_inner()
        .data;
    assert_eq!(&by_uuid, netto);
    let by_code = client
        .get_service_point_by_carrier_code()
        .team(TEAM)
        .carrier("postnord")
        .country("DK")
        .code("95410")
        .send()
        .await
        .unwrap()
        .into_inner()
        .data;
    assert_eq!(by_code.uuid, netto.uuid);
    let missing = client
        .get_service_point_by_carrier_code()
        .team(TEAM)
        .carrier("postnord")
        .country("SE")
        .code("95410")
        .send()
        .await
        .unwrap_err();
    assert_eq!(missing.status().map(|s| s.as_u16()), Some(404));
    let missing = client
        .get_service_point()
        .team(TEAM)
        .service_point(uuid::Uuid::new_v4())
        .send()
        .await
        .unwrap_err();
    assert_eq!(missing.status().map(|s| s.as_u16()), Some(404));
    // `carrier` is required.
    let no_carrier = raw(
        handle.addr(),
        "GET",
        &api_path("/service-points"),
        &[BEARER],
        b"",
    )
    .await
    .unwrap();
    assert_eq!(no_carrier.status, 400);
    assert!(no_carrier.json()["errors"]["carrier"].is_array());
    assert_no_violations(&handle);
}

#[tokio::test]
async fn an_idempotency_key_replays_refuses_another_payload_and_expires_after_24_hours() {
    let handle = fixed_sandbox().await;
    let client = client(&handle);
    let k = key("create");
    let send = |request: types::ShipmentRequest, k: IdempotencyKey| {
        client
            .create_shipment()
            .team(TEAM)
            .body(request)
            .idempotency_key(k)
            .send()
    };
    let first = send(shipment_request(), k.clone()).await.unwrap();
    assert!(!first.replayed());
    let replay = send(shipment_request(), k.clone()).await.unwrap();
    assert!(replay.replayed());
    assert_eq!(replay.status().as_u16(), 201);
    let (first, replay) = (first.into_inner().data, replay.into_inner().data);
    assert_eq!(first, replay);
    assert_eq!(handle.ledger().total("smartsend", "create_shipment"), 1);

    let mut other = shipment_request();
    other.reference = Some("Another order".to_owned());
    let reused = send(other, k.clone()).await.unwrap_err();
    assert_eq!(reused.status().map(|s| s.as_u16()), Some(422));
    assert!(reused.is_idempotency_key_reused());
    assert_eq!(
        reused.problem().map(|p| p.type_.as_str()),
        Some(smartsend::KEY_REUSED_PROBLEM_TYPE),
        "the sandbox names key reuse by the spec's problem type"
    );

    // 25 hours later the key is forgotten: the same request executes again.
    handle.clock().advance(chrono::Duration::hours(25));
    let later = send(shipment_request(), k).await.unwrap();
    assert!(!later.replayed());
    assert_ne!(later.into_inner().data.uuid, first.uuid);
    assert_eq!(handle.ledger().total("smartsend", "create_shipment"), 2);

    // Rates are a POST too, and deduplicated the same way.
    let request: types::RateRequest = serde_json::from_value(example("RateRequest")).unwrap();
    for _ in 0..2 {
        client
            .get_rates()
            .team(TEAM)
            .body(request.clone())
            .idempotency_key(key("rates"))
            .send()
            .await
            .unwrap();
    }
    assert_eq!(handle.ledger().count("smartsend", "get_rates", TEAM), 1);
    assert_no_violations(&handle);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_still_in_flight_answers_409_and_the_clients_retry_gets_the_replay() {
    let handle = sandbox(SandboxConfig::default()).await;
    let addr = handle.addr();
    let k = key("in-flight");
    let body = serde_json::to_vec(&shipment_request()).unwrap();
    // The first request holds its key in flight for its 600 ms of (injected) processing time.
    let first = tokio::spawn({
        let k = k.as_str().to_owned();
        async move {
            raw(
                addr,
                "POST",
                &api_path("/shipments"),
                &[
                    BEARER,
                    ("Content-Type", "application/json"),
                    ("Idempotency-Key", &k),
                    ("Sandbox-Fault", "latency=600ms"),
                ],
                &body,
            )
            .await
            .unwrap()
        }
    });
    tokio::time::sleep(Duration::from_millis(250)).await;
    let no_retry = client_with(&handle, TOKEN, RetryPolicy::never());
    let conflict = no_retry
        .create_shipment()
        .team(TEAM)
        .body(shipment_request())
        .idempotency_key(k.clone())
        .send()
        .await
        .unwrap_err();
    assert_eq!(conflict.status().map(|s| s.as_u16()), Some(409));
    assert!(conflict.headers().get("retry-after").is_some());
    assert_eq!(conflict.problem().unwrap().title, "Conflict");

    // The client's own retry waits out Retry-After and gets the stored answer.
    let retried = client(&handle)
        .create_shipment()
        .team(TEAM)
        .body(shipment_request())
        .idempotency_key(k)
        .send()
        .await
        .unwrap();
    assert!(retried.replayed());
    let first = first.await.unwrap();
    assert_eq!(first.status, 201);
    assert_eq!(
        first.json()["data"]["uuid"].as_str(),
        Some(retried.into_inner().data.uuid.to_string().as_str())
    );
    assert_eq!(handle.ledger().total("smartsend", "create_shipment"), 1);
    assert_no_violations(&handle);
}

#[tokio::test]
async fn a_booking_retried_through_dropped_connections_executes_exactly_once() {
    // One drop, asked for by header: the client sees no answer, the retry with the same key
    // gets the stored one.
    let handle = fixed_sandbox().await;
    let client = client(&handle);
    let shipment = create(&client, shipment_request()).await;
    let k = key("dropped-book");
    let path = api_path(&format!("/shipments/{}/booking", shipment.uuid));
    let dropped = raw(
        handle.addr(),
        "POST",
        &path,
        &[
            BEARER,
            ("Idempotency-Key", k.as_str()),
            ("Sandbox-Fault", "drop-after-commit"),
        ],
        b"",
    )
    .await;
    assert!(
        dropped.is_err(),
        "the connection must drop without an answer"
    );
    let retried = client
        .book_shipment()
        .team(TEAM)
        .shipment(shipment.uuid)
        .idempotency_key(k)
        .send()
        .await
        .unwrap();
    assert!(retried.replayed());
    assert_eq!(
        booked(retried.into_inner()).state,
        types::ShipmentState::Booked
    );
    assert_eq!(
        handle
            .ledger()
            .count("smartsend", "book_shipment", &shipment.uuid.to_string()),
        1
    );
    assert_no_violations(&handle);

    // Half of all connections drop after the write: the client's retries (same key) still
    // create and book each shipment once.
    let flaky = sandbox(SandboxConfig {
        clock: Clock::fixed(start_time()),
        faults: "drop-after-commit=0.5".parse::<Faults>().unwrap(),
        ..SandboxConfig::default()
    })
    .await;
    let client = client_with(
        &flaky,
        TOKEN,
        RetryPolicy::default()
            .with_max_attempts(12)
            .with_base_delay(Duration::from_millis(1))
            .with_max_delay(Duration::from_millis(5)),
    );
    for _ in 0..3 {
        let shipment = create(&client, shipment_request()).await;
        let booked = booked(
            client
                .book_shipment()
                .team(TEAM)
                .shipment(shipment.uuid)
                .send()
                .await
                .unwrap()
                .into_inner(),
        );
        assert_eq!(booked.state, types::ShipmentState::Booked);
        let id = shipment.uuid.to_string();
        assert_eq!(flaky.ledger().count("smartsend", "create_shipment", &id), 1);
        assert_eq!(flaky.ledger().count("smartsend", "book_shipment", &id), 1);
    }
    assert_eq!(flaky.ledger().total("smartsend", "create_shipment"), 3);
    assert_no_violations(&flaky);
}

#[tokio::test]
async fn problems_are_authenticated_team_scoped_validated_and_in_the_negotiated_language() {
    let handle = sandbox(SandboxConfig {
        clock: Clock::fixed(start_time()),
        ..SandboxConfig::default()
            .token("t1", "team-a")
            .token("t2", "team-b")
    })
    .await;
    let a = client_with(&handle, "t1", RetryPolicy::never());

    // Unknown token: 401.
    let stranger = client_with(&handle, "nobody", RetryPolicy::never());
    let unauthenticated = stranger
        .list_services()
        .team("team-a")
        .send()
        .await
        .unwrap_err();
    assert_eq!(unauthenticated.status().map(|s| s.as_u16()), Some(401));
    assert_eq!(
        unauthenticated
            .problem()
            .and_then(|p| p.instance.as_deref()),
        Some(
            format!(
                "{}/team/team-a/routing/services",
                parcelkit_sandbox::smartsend::PREFIX
            )
            .as_str()
        ),
        "the full path, as on every other problem"
    );

    // Another token's team: 404, like a team that does not exist.
    let other_team = a.list_services().team("team-b").send().await.unwrap_err();
    assert_eq!(other_team.status().map(|s| s.as_u16()), Some(404));
    assert!(a.list_services().team("team-a").send().await.is_ok());

    // Shipments are per team.
    let mut request = shipment_request();
    let shipment = a
        .create_shipment()
        .team("team-a")
        .body(request.clone())
        .send()
        .await
        .unwrap()
        .into_inner()
        .data;
    let b = client_with(&handle, "t2", RetryPolicy::never());
    let not_theirs = b
        .get_shipment()
        .team("team-b")
        .shipment(shipment.uuid)
        .send()
        .await
        .unwrap_err();
    assert_eq!(not_theirs.status().map(|s| s.as_u16()), Some(404));

    // Danish, negotiated per RFC 4647 lookup (da-DK falls back to da).
    let danish = a
        .get_shipment()
        .team("team-a")
        .shipment(uuid::Uuid::new_v4())
        .accept_language("fr-CA, da-DK;q=0.9, en;q=0.5")
        .send()
        .await
        .unwrap_err();
    assert_eq!(danish.status().map(|s| s.as_u16()), Some(404));
    assert_eq!(danish.problem().unwrap().title, "Ikke fundet");
    assert_eq!(danish.headers().get("content-language").unwrap(), "da");

    // Validation names the fields: through the client (a bad e-mail) ...
    request.parties.receiver.contact.email = Some("not an e-mail".to_owned());
    let invalid = a
        .create_shipment()
        .team("team-a")
        .body(request)
        .accept_language("da")
        .send()
        .await
        .unwrap_err();
    assert_eq!(invalid.status().map(|s| s.as_u16()), Some(422));
    assert!(
        !invalid
            .field_errors("parties.receiver.contact.email")
            .is_empty()
    );
    assert_eq!(
        invalid.problem().unwrap().detail.as_deref(),
        Some("De angivne data er ugyldige.")
    );

    // ... and raw, with what the typed client cannot send: a weight that is not a number.
    let mut body = example("ShipmentRequest");
    body["parcels"][0]["gross_weight"] = serde_json::json!("heavy");
    body["currency"] = serde_json::json!("kroner");
    let path = format!(
        "{}/team/team-a/shipments",
        parcelkit_sandbox::smartsend::PREFIX
    );
    let auth = ("Authorization", "Bearer t1");
    let answer = raw(
        handle.addr(),
        "POST",
        &path,
        &[auth, ("Content-Type", "application/json")],
        body.to_string().as_bytes(),
    )
    .await
    .unwrap();
    assert_eq!(answer.status, 422);
    assert_eq!(
        answer.header("content-type"),
        Some("application/problem+json")
    );
    let problem = answer.json();
    assert!(
        problem["errors"]["parcels.0.gross_weight"].is_array(),
        "{problem}"
    );
    assert!(problem["errors"]["currency"].is_array(), "{problem}");
    // Malformed JSON: 400; Request-ID echoed on errors too.
    let malformed = raw(
        handle.addr(),
        "POST",
        &path,
        &[
            auth,
            ("Content-Type", "application/json"),
            ("Request-ID", "e2e-malformed-1"),
        ],
        b"{\"currency\": ",
    )
    .await
    .unwrap();
    assert_eq!(malformed.status, 400);
    assert_eq!(malformed.header("request-id"), Some("e2e-malformed-1"));
    assert_eq!(
        malformed.json()["detail"],
        "The request body is not valid JSON."
    );
    assert_eq!(handle.ledger().total("smartsend", "create_shipment"), 1);
    assert_no_violations(&handle);
}
