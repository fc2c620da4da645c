//! The exact HTTP request parcelkit sends for every operation of both specs: method, path, query,
//! headers (names, casing, order) and body, captured on a loopback server and kept as reviewed
//! insta snapshots in `tests/snapshots/requests/<api>.<operationId>.snap`.
//!
//! Each test calls one operation with the spec's own examples (every optional parameter set, so
//! it shows), answers with the spec's success example, and proves that:
//! - the client accepts that answer (`send()` is `Ok`);
//! - exactly one request went out, and it is the operation's: method, path with the example
//!   values, only declared query parameters (all of them), every declared header, the spec's
//!   credential header, and a body that validates against the request body schema;
//! - it is byte for byte the reviewed snapshot, the volatile values (port, random ids, credential,
//!   parcelkit's version) redacted by insta after checking their shape.
//!
//! A last test ties the snapshot files to the specs, so an operation added to a spec fails the
//! suite until a test calls it and its snapshot is reviewed.

use std::collections::BTreeSet;
use std::fmt::Debug;

use parcelkit::RetryPolicy;
use parcelkit::runtime::{ApiClient, ClientBuilder};
use parcelkit_codegen::spec_walk::{self, Operation};
use parcelkit_conformance::Api;
use parcelkit_conformance::capture::{Body, CannedResponse, CaptureServer, CapturedRequest};
use serde::de::DeserializeOwned;
use serde_json::Value;

/// Obviously fake credentials; redacted in the snapshots all the same, so no real one could
/// ever land there.
const TOKEN: &str = "test-token";
const API_KEY: &str = "sandbox-test-key";
const PRODUCT: &str = "conformance-test/1.0";
/// A per-call `Accept-Language`, different from the client's default (the spec's example), so a
/// snapshot shows which one won.
const CALL_LANGUAGE: &str = "en-GB, en;q=0.9";

/// One operation's call: the capture server primed with the success answer, and a client for it.
struct Call<C> {
    api: Api,
    op: Operation<'static>,
    server: CaptureServer,
    client: C,
}

impl<C: ApiClient> Call<C> {
    /// Starts a server that answers `label`'s `status` example, and a client pointed at it at the
    /// spec's base path (`/api/v2` for Smart Send), as it would be in production.
    async fn new(
        api: Api,
        label: &str,
        status: u16,
        configure: impl FnOnce(ClientBuilder<C>) -> ClientBuilder<C>,
    ) -> Call<C> {
        let op = operation(api, label);
        let server = CaptureServer::start().await.expect("bind 127.0.0.1:0");
        server.respond(CannedResponse::json(
            status,
            success_example(api, &op, status),
        ));
        let builder = ClientBuilder::<C>::new()
            .base_url(format!("{}{}", server.base_url(), base_path(api)))
            .user_agent(PRODUCT)
            // One attempt: a request that needed a second would be a finding, not a retry.
            .retry_policy(RetryPolicy::never());
        let client = configure(builder).build().expect("the client builds");
        Call {
            api,
            op,
            server,
            client,
        }
    }

    /// The example of this operation's parameter `name`, as text.
    fn text(&self, name: &str) -> &'static str {
        parameter_example(self.api, &self.op, name)
            .as_str()
            .unwrap_or_else(|| panic!("{}: the example of {name} is not a string", self.op.label))
    }

    /// The example of this operation's parameter `name`.
    fn value(&self, name: &str) -> &'static Value {
        parameter_example(self.api, &self.op, name)
    }

    /// The example of this operation's parameter `name`, as a UUID.
    fn uuid(&self, name: &str) -> uuid::Uuid {
        self.text(name).parse().expect("a UUID example")
    }

    /// The example of this operation's integer parameter `name`.
    fn int(&self, name: &str) -> u64 {
        self.value(name).as_u64().expect("an integer example")
    }

    /// The operation's request body example, deserialized into the generated body type.
    fn body<T: DeserializeOwned>(&self) -> T {
        let example = request_example(self.api, &self.op);
        serde_json::from_value(example.clone()).unwrap_or_else(|e| {
            panic!(
                "{}: the request body example does not deserialize: {e}",
                self.op.label
            )
        })
    }

    /// Checks the outcome and the one request it sent, then snapshots that request.
    fn finish<T, E: Debug>(self, sent: Result<T, E>) {
        let label = self.op.label;
        if let Err(e) = sent {
            panic!("{label}: the client rejected the spec's own success example: {e:?}");
        }
        let mut requests = self.server.take_requests();
        assert_eq!(requests.len(), 1, "{label}: one call, one request");
        let request = requests.remove(0);
        check_against_spec(self.api, &self.op, &request);
        snapshot(self.api, &self.op, &request, self.server.addr().port());
    }
}

/// A Smart Send call: bearer token, and the spec's `Accept-Language` example as the client's
/// default language, so the runtime's default shows on every request that does not set its own.
async fn smartsend(label: &str, status: u16) -> Call<parcelkit::smartsend::Client> {
    let language = parameter_example(
        Api::SmartSend,
        &operation(Api::SmartSend, label),
        "Accept-Language",
    )
    .as_str()
    .expect("a string")
    .parse()
    .expect("the spec's Accept-Language example is valid");
    Call::new(Api::SmartSend, label, status, |b| {
        b.token(TOKEN).language(language)
    })
    .await
}

/// A Phygitals call: the API key (its header name comes from the runtime's profile).
async fn phygitals(label: &str, status: u16) -> Call<parcelkit::phygitals::Client> {
    Call::new(Api::Phygitals, label, status, |b| b.api_key(API_KEY)).await
}

fn operation(api: Api, label: &str) -> Operation<'static> {
    spec_walk::operations(api.spec())
        .into_iter()
        .find(|op| op.label == label)
        .unwrap_or_else(|| panic!("{}: no operation {label}", api.name()))
}

/// The path of the spec's first server URL (`https://app.smartsend.io/api/v2` → `/api/v2`).
fn base_path(api: Api) -> &'static str {
    let url = api.spec()["servers"][0]["url"]
        .as_str()
        .expect("a server URL");
    let after_scheme = url.split_once("://").map_or(url, |(_, rest)| rest);
    after_scheme.find('/').map_or("", |i| &after_scheme[i..])
}

fn parameter_example(api: Api, op: &Operation<'static>, name: &str) -> &'static Value {
    let spec = api.spec();
    let param = spec_walk::parameters(spec, op)
        .into_iter()
        .find(|p| p["name"] == name)
        .unwrap_or_else(|| panic!("{}: no parameter {name}", op.label));
    param
        .get("example")
        .or_else(|| spec_walk::resolve(spec, &param["schema"]).get("example"))
        .unwrap_or_else(|| panic!("{}: parameter {name} has no example", op.label))
}

/// The `example` of a media type, or the first of its `examples`.
fn media_example(api: Api, media: &'static Value) -> &'static Value {
    media.get("example").unwrap_or_else(|| {
        let (_, first) = media["examples"]
            .as_object()
            .and_then(|all| all.iter().next())
            .expect("an example or examples");
        &spec_walk::resolve(api.spec(), first)["value"]
    })
}

fn request_example(api: Api, op: &Operation<'static>) -> &'static Value {
    let body = spec_walk::resolve(api.spec(), &op.op["requestBody"]);
    media_example(api, &body["content"]["application/json"])
}

fn success_example(api: Api, op: &Operation<'static>, status: u16) -> &'static Value {
    let response = spec_walk::resolve(api.spec(), &op.op["responses"][status.to_string()]);
    let media = &response["content"]["application/json"];
    assert!(media.is_object(), "{}: no JSON {status} response", op.label);
    media_example(api, media)
}

/// What the spec says about the request, independent of the snapshot: a wrong builder, a
/// dropped parameter or an invalid body fails here with a plain message.
fn check_against_spec(api: Api, op: &Operation<'static>, request: &CapturedRequest) {
    let spec = api.spec();
    let label = op.label;
    assert_eq!(request.method, op.method.to_uppercase(), "{label}: method");

    let params = spec_walk::parameters(spec, op);
    let mut expected_path = format!("{}{}", base_path(api), op.path);
    for p in params.iter().filter(|p| p["in"] == "path") {
        let name = p["name"].as_str().expect("a name");
        let value = parameter_example(api, op, name).as_str().expect("a string");
        expected_path = expected_path.replace(&format!("{{{name}}}"), value);
    }
    assert_eq!(request.path, expected_path, "{label}: path");

    let declared = |place: &str| -> BTreeSet<String> {
        params
            .iter()
            .filter(|p| p["in"] == place)
            .map(|p| p["name"].as_str().expect("a name").to_owned())
            .collect()
    };
    let sent_query: BTreeSet<String> = request.query.iter().map(|(k, _)| k.clone()).collect();
    assert_eq!(
        sent_query,
        declared("query"),
        "{label}: query parameters (all set)"
    );
    for name in declared("header") {
        assert!(
            request.header(&name).is_some(),
            "{label}: header {name} not sent"
        );
    }

    // The credential, where and how the spec's security scheme puts it.
    let schemes = &spec["components"]["securitySchemes"];
    let scheme_name = spec["security"][0]
        .as_object()
        .and_then(|s| s.keys().next())
        .expect("a global security requirement");
    let scheme = &schemes[scheme_name];
    match (scheme["type"].as_str(), scheme["in"].as_str()) {
        (Some("http"), _) if scheme["scheme"] == "bearer" => assert_eq!(
            request.header("Authorization"),
            Some(format!("Bearer {TOKEN}").as_str()),
            "{label}: bearer credential"
        ),
        (Some("apiKey"), Some("header")) => assert_eq!(
            request.header(scheme["name"].as_str().expect("a name")),
            Some(API_KEY),
            "{label}: API key header"
        ),
        other => panic!("{label}: security scheme {other:?} not covered by this test"),
    }

    match op.op.get("requestBody") {
        None => assert_eq!(request.body, None, "{label}: no body declared, none sent"),
        Some(body) => {
            let body = spec_walk::resolve(spec, body);
            assert_eq!(
                request.header("Content-Type"),
                Some("application/json"),
                "{label}: content type"
            );
            let Some(Body::Json(sent)) = &request.body else {
                panic!("{label}: expected a JSON body, got {:?}", request.body);
            };
            api.validate(
                &body["content"]["application/json"]["schema"],
                &sent.to_value(),
            )
            .unwrap_or_else(|e| panic!("{label}: the body sent breaks the spec: {e}"));
        }
    }
}

/// Snapshots `request` as `<api>.<operationId>`, the volatile header values redacted by insta.
fn snapshot(api: Api, op: &Operation<'static>, request: &CapturedRequest, port: u16) {
    let spec = api.spec();
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path("snapshots/requests");
    settings.set_prepend_module_to_snapshot(false);
    settings.set_omit_expression(true);
    settings.set_description(format!(
        "{} {} ({}): the request parcelkit sends, as captured on the wire",
        op.method.to_uppercase(),
        op.path,
        op.label
    ));
    // Header names in selectors are lower-case, as hyper writes them. Were the casing to
    // change, the redactions would miss, the random values would show and the snapshot would
    // fail on every run: the change cannot pass unnoticed.
    settings.add_redaction(
        ".headers.host",
        insta::dynamic_redaction(move |value, _| {
            assert_eq!(value.as_str(), Some(format!("127.0.0.1:{port}").as_str()));
            "127.0.0.1:[port]"
        }),
    );
    settings.add_redaction(
        ".headers.authorization",
        insta::dynamic_redaction(|value, _| {
            assert_eq!(value.as_str(), Some(format!("Bearer {TOKEN}").as_str()));
            "Bearer [token]"
        }),
    );
    settings.add_redaction(
        r#".headers["x-api-key"]"#,
        insta::dynamic_redaction(|value, _| {
            assert_eq!(value.as_str(), Some(API_KEY));
            "[api-key]"
        }),
    );
    settings.add_redaction(
        r#".headers["user-agent"]"#,
        insta::dynamic_redaction(|value, _| {
            let agent = value.as_str().expect("a string");
            let version = agent
                .strip_prefix(&format!("{PRODUCT} parcelkit/"))
                .unwrap_or_else(|| panic!("User-Agent {agent:?}: not `{PRODUCT} parcelkit/<v>`"));
            assert!(is_version(version), "User-Agent {agent:?}: bad version");
            format!("{PRODUCT} parcelkit/[version]")
        }),
    );
    // A value the test passed is the spec's example and stays visible, proving it went out
    // unchanged; a value the runtime made up is random and is redacted after checking it has
    // the runtime's format and satisfies the spec's schema for the header.
    for (header, selector) in [
        ("Request-ID", r#".headers["request-id"]"#),
        ("Idempotency-Key", r#".headers["idempotency-key"]"#),
    ] {
        let schema = spec_walk::header(spec, op, header).map(|p| p["schema"].clone());
        let example = spec_walk::header(spec, op, header).map(|p| p["example"].clone());
        settings.add_redaction(
            selector,
            insta::dynamic_redaction(move |value, _| {
                let text = value.as_str().expect("a string").to_owned();
                if example.as_ref().and_then(Value::as_str) == Some(text.as_str()) {
                    return text;
                }
                assert!(
                    is_runtime_token(&text),
                    "{header} {text:?}: not `pk-<32 hex>`"
                );
                if let Some(schema) = &schema {
                    api.validate(schema, &Value::String(text.clone()))
                        .unwrap_or_else(|e| panic!("{header} {text:?}: {e}"));
                }
                format!("[random {}]", header.to_lowercase())
            }),
        );
    }
    settings.bind(|| {
        insta::assert_json_snapshot!(format!("{}.{}", api.name(), op.label), request);
    });
}

/// The runtime's random ids: `pk-` and 32 lower-case hex digits.
fn is_runtime_token(value: &str) -> bool {
    value.strip_prefix("pk-").is_some_and(|hex| {
        hex.len() == 32
            && hex
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    })
}

/// `major.minor.patch`, optionally with a `-pre` or `+build` tail.
fn is_version(value: &str) -> bool {
    let core = value.split(['-', '+']).next().unwrap_or("");
    let parts: Vec<&str> = core.split('.').collect();
    parts.len() == 3
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
}

mod smartsend {
    use parcelkit::smartsend::types;

    use super::{CALL_LANGUAGE, smartsend};

    #[tokio::test]
    async fn list_shipments() {
        let call = smartsend("list_shipments", 200).await;
        let sent = call
            .client
            .list_shipments()
            .team(call.text("team"))
            .page(call.int("page"))
            .per_page(call.int("per_page"))
            .request_id(call.text("Request-ID"))
            .send()
            .await;
        call.finish(sent);
    }

    #[tokio::test]
    async fn create_shipment() {
        let call = smartsend("create_shipment", 201).await;
        let sent = call
            .client
            .create_shipment()
            .team(call.text("team"))
            .request_id(call.text("Request-ID"))
            .idempotency_key(call.text("Idempotency-Key"))
            .body(call.body::<types::ShipmentRequest>())
            .send()
            .await;
        call.finish(sent);
    }

    #[tokio::test]
    async fn get_shipment() {
        let call = smartsend("get_shipment", 200).await;
        let sent = call
            .client
            .get_shipment()
            .team(call.text("team"))
            .shipment(call.uuid("shipment"))
            .accept_language(CALL_LANGUAGE)
            .request_id(call.text("Request-ID"))
            .send()
            .await;
        call.finish(sent);
    }

    #[tokio::test]
    async fn delete_shipment() {
        // No Idempotency-Key given: the runtime adds a random one.
        let call = smartsend("delete_shipment", 200).await;
        let sent = call
            .client
            .delete_shipment()
            .team(call.text("team"))
            .shipment(call.uuid("shipment"))
            .send()
            .await;
        call.finish(sent);
    }

    #[tokio::test]
    async fn book_shipment() {
        let call = smartsend("book_shipment", 202).await;
        let sent = call
            .client
            .book_shipment()
            .team(call.text("team"))
            .shipment(call.uuid("shipment"))
            .idempotency_key(call.text("Idempotency-Key"))
            .respond_async()
            .send()
            .await;
        call.finish(sent);
    }

    #[tokio::test]
    async fn create_and_book_shipment() {
        let call = smartsend("create_and_book_shipment", 202).await;
        let sent = call
            .client
            .create_and_book_shipment()
            .team(call.text("team"))
            .idempotency_key(call.text("Idempotency-Key"))
            .body(call.body::<types::ShipmentRequest>())
            .respond_async()
            .send()
            .await;
        call.finish(sent);
    }

    #[tokio::test]
    async fn list_booking_batches() {
        let call = smartsend("list_booking_batches", 200).await;
        let sent = call
            .client
            .list_booking_batches()
            .team(call.text("team"))
            .state(call.text("state"))
            .page(call.int("page"))
            .per_page(call.int("per_page"))
            .send()
            .await;
        call.finish(sent);
    }

    #[tokio::test]
    async fn create_booking_batch() {
        let call = smartsend("create_booking_batch", 201).await;
        let sent = call
            .client
            .create_booking_batch()
            .team(call.text("team"))
            .idempotency_key(call.text("Idempotency-Key"))
            .body(call.body::<types::BatchRequest>())
            .send()
            .await;
        call.finish(sent);
    }

    #[tokio::test]
    async fn get_booking_batch() {
        let call = smartsend("get_booking_batch", 200).await;
        let sent = call
            .client
            .get_booking_batch()
            .team(call.text("team"))
            .batch(call.uuid("batch"))
            .send()
            .await;
        call.finish(sent);
    }

    #[tokio::test]
    async fn add_booking_batch_shipments() {
        // No Idempotency-Key given: the runtime adds a random one.
        let call = smartsend("add_booking_batch_shipments", 200).await;
        let sent = call
            .client
            .add_booking_batch_shipments()
            .team(call.text("team"))
            .batch(call.uuid("batch"))
            .body(call.body::<types::BatchShipmentsRequest>())
            .send()
            .await;
        call.finish(sent);
    }

    #[tokio::test]
    async fn dispatch_booking_batch() {
        let call = smartsend("dispatch_booking_batch", 202).await;
        let sent = call
            .client
            .dispatch_booking_batch()
            .team(call.text("team"))
            .batch(call.uuid("batch"))
            .idempotency_key(call.text("Idempotency-Key"))
            .send()
            .await;
        call.finish(sent);
    }

    #[tokio::test]
    async fn get_rates() {
        // A POST that only reads; still a write to the runtime, so it gets a random key.
        let call = smartsend("get_rates", 200).await;
        let sent = call
            .client
            .get_rates()
            .team(call.text("team"))
            .accept_language(CALL_LANGUAGE)
            .body(call.body::<types::RateRequest>())
            .send()
            .await;
        call.finish(sent);
    }

    #[tokio::test]
    async fn list_services() {
        let call = smartsend("list_services", 200).await;
        let sent = call
            .client
            .list_services()
            .team(call.text("team"))
            .send()
            .await;
        call.finish(sent);
    }

    #[tokio::test]
    async fn list_service_points() {
        let call = smartsend("list_service_points", 200).await;
        let sent = call
            .client
            .list_service_points()
            .team(call.text("team"))
            .carrier(call.text("carrier"))
            .country(call.text("country"))
            .postal_code(call.text("postal_code"))
            .page(call.int("page"))
            .per_page(call.int("per_page"))
            .send()
            .await;
        call.finish(sent);
    }

    #[tokio::test]
    async fn get_service_point() {
        let call = smartsend("get_service_point", 200).await;
        let sent = call
            .client
            .get_service_point()
            .team(call.text("team"))
            .service_point(call.uuid("service_point"))
            .send()
            .await;
        call.finish(sent);
    }

    #[tokio::test]
    async fn get_service_point_by_carrier_code() {
        let call = smartsend("get_service_point_by_carrier_code", 200).await;
        let sent = call
            .client
            .get_service_point_by_carrier_code()
            .team(call.text("team"))
            .carrier(call.text("carrier"))
            .country(call.text("country"))
            .code(call.text("code"))
            .send()
            .await;
        call.finish(sent);
    }

    #[tokio::test]
    async fn get_operation() {
        let call = smartsend("get_operation", 200).await;
        let sent = call
            .client
            .get_operation()
            .team(call.text("team"))
            .operation(call.uuid("operation"))
            .send()
            .await;
        call.finish(sent);
    }
}

mod phygitals {
    use parcelkit::phygitals::types;

    use super::phygitals;

    #[tokio::test]
    async fn quote_shipping() {
        let call = phygitals("quote_shipping", 200).await;
        let sent = call
            .client
            .quote_shipping()
            .body(call.body::<types::QuoteRequest>())
            .send()
            .await;
        call.finish(sent);
    }

    #[tokio::test]
    async fn request_shipping() {
        let call = phygitals("request_shipping", 200).await;
        let sent = call
            .client
            .request_shipping()
            .body(call.body::<types::ShipRequest>())
            .send()
            .await;
        call.finish(sent);
    }

    #[tokio::test]
    async fn get_shipping_order() {
        let call = phygitals("get_shipping_order", 200).await;
        let sent = call
            .client
            .get_shipping_order()
            .order_id(call.text("order_id"))
            .send()
            .await;
        call.finish(sent);
    }

    #[tokio::test]
    async fn get_inventory() {
        let call = phygitals("get_inventory", 200).await;
        let sent = call
            .client
            .get_inventory()
            .user_id(call.text("user_id"))
            .send()
            .await;
        call.finish(sent);
    }

    #[tokio::test]
    async fn buyback_item() {
        let call = phygitals("buyback_item", 200).await;
        let sent = call
            .client
            .buyback_item()
            .body(call.body::<types::BuybackRequest>())
            .send()
            .await;
        call.finish(sent);
    }

    #[tokio::test]
    async fn list_available_packs() {
        let call = phygitals("list_available_packs", 200).await;
        let sent = call
            .client
            .list_available_packs()
            .platform(call.text("platform"))
            .send()
            .await;
        call.finish(sent);
    }

    #[tokio::test]
    async fn list_recent_pulls() {
        let call = phygitals("list_recent_pulls", 200).await;
        let claw_ids: Vec<String> =
            serde_json::from_value(call.value("claw_ids").clone()).expect("a list of strings");
        let sent = call
            .client
            .list_recent_pulls()
            .claw_ids(claw_ids)
            .limit(call.int("limit"))
            .send()
            .await;
        call.finish(sent);
    }

    #[tokio::test]
    async fn init_purchase() {
        let call = phygitals("init_purchase", 200).await;
        let sent = call
            .client
            .init_purchase()
            .body(call.body::<types::PurchaseInitRequest>())
            .send()
            .await;
        call.finish(sent);
    }

    #[tokio::test]
    async fn get_purchase_status() {
        let call = phygitals("get_purchase_status", 200).await;
        let sent = call
            .client
            .get_purchase_status()
            .body(call.body::<types::PurchaseStatusRequest>())
            .send()
            .await;
        call.finish(sent);
    }

    #[tokio::test]
    async fn get_card() {
        let call = phygitals("get_card", 200).await;
        let sent = call
            .client
            .get_card()
            .item_id(call.text("item_id"))
            .send()
            .await;
        call.finish(sent);
    }
}

/// Every operation of both specs has its reviewed snapshot, and every snapshot an operation.
#[test]
fn every_operation_has_a_request_snapshot() {
    let expected: BTreeSet<String> = Api::ALL
        .iter()
        .flat_map(|api| {
            spec_walk::operations(api.spec())
                .into_iter()
                .map(|op| format!("{}.{}.snap", api.name(), op.label))
        })
        .collect();
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots/requests");
    let problems = parcelkit_conformance::snapshot_coverage(&dir, &expected);
    assert!(
        problems.is_empty(),
        "{}\n(an operation without a snapshot needs a test calling it; a snapshot of no operation \
         should be deleted)",
        problems.join("\n")
    );
}
