//! The sandbox holds requests to the spec's bounds, answering in the API's own error format: an
//! empty `carrier` (`minLength: 1`) is refused like a missing one.

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
