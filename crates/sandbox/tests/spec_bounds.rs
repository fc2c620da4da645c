//! The sandbox holds requests to the spec's bounds, answering in the API's own error format: a
//! weight, dimension or quantity that is not positive (modelled minimums) and an empty `carrier`
//! (`minLength: 1`) are refused, and nothing is executed.

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

/// POSTs `body` as a new shipment; (status, content type, body).
async fn create(handle: &SandboxHandle, body: &Value) -> (u16, String, Value) {
    let response = reqwest::Client::new()
        .post(format!("{}/team/{TEAM}/shipments", handle.smartsend_url()))
        .bearer_auth(TOKEN)
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    answer(response).await
}

async fn answer(response: reqwest::Response) -> (u16, String, Value) {
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    (status, content_type, response.json().await.unwrap())
}

#[tokio::test]
async fn weights_dimensions_and_quantities_must_be_positive() {
    let handle = start().await;
    let refused: [(&str, &str, Value); 5] = [
        (
            "/parcels/0/gross_weight",
            "parcels.0.gross_weight",
            json!(-5),
        ),
        (
            "/parcels/0/gross_weight",
            "parcels.0.gross_weight",
            json!(0),
        ),
        ("/parcels/0/height", "parcels.0.height", json!(-1.5)),
        (
            "/parcels/0/items/0/quantity",
            "parcels.0.items.0.quantity",
            json!(0),
        ),
        (
            "/parcels/0/items/0/net_weight",
            "parcels.0.items.0.net_weight",
            json!(0),
        ),
    ];
    for (pointer, field, value) in refused {
        let mut body = shipment_request();
        *body.pointer_mut(pointer).unwrap() = value.clone();
        let (status, content_type, problem) = create(&handle, &body).await;
        assert_eq!(status, 422, "{field} = {value}: {problem}");
        assert_eq!(
            content_type, "application/problem+json",
            "{field} = {value}"
        );
        assert_eq!(problem["status"], 422);
        let errors = problem["errors"].as_object().unwrap();
        assert_eq!(
            errors.keys().collect::<Vec<_>>(),
            [field],
            "{field} = {value}: only that field is named"
        );
    }
    assert_eq!(handle.ledger().total("smartsend", "create_shipment"), 0);

    // The bound is exclusive of 0 only: a light parcel is fine.
    let mut body = shipment_request();
    body["parcels"][0]["gross_weight"] = json!(0.1);
    let (status, _, created) = create(&handle, &body).await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["data"]["parcels"][0]["gross_weight"], 0.1);
    assert_eq!(handle.ledger().total("smartsend", "create_shipment"), 1);
}

#[tokio::test]
async fn the_carrier_of_a_service_point_list_is_required_and_not_empty() {
    let handle = start().await;
    let list = |query: &'static str| {
        let url = format!(
            "{}/team/{TEAM}/service-points{query}",
            handle.smartsend_url()
        );
        async move {
            answer(
                reqwest::Client::new()
                    .get(url)
                    .bearer_auth(TOKEN)
                    .send()
                    .await
                    .unwrap(),
            )
            .await
        }
    };
    for (query, message) in [
        ("", "The carrier query parameter is required."),
        (
            "?carrier=",
            "The carrier query parameter must not be empty.",
        ),
        (
            "?carrier=&country=DK",
            "The carrier query parameter must not be empty.",
        ),
    ] {
        let (status, content_type, problem) = list(query).await;
        assert_eq!(status, 400, "{query}: {problem}");
        assert_eq!(content_type, "application/problem+json", "{query}");
        assert_eq!(problem["errors"]["carrier"], json!([message]), "{query}");
    }
    let (status, _, page) = list("?carrier=postnord").await;
    assert_eq!(status, 200, "{page}");
    assert!(!page["data"].as_array().unwrap().is_empty());
}
