//! `Client::from_env()` reads the credential, base URL and team variables. One test in its own binary:
//! the environment is process-wide, so nothing else may run beside it.

mod support;

use parcelkit::runtime::BuildError;
use parcelkit::{phygitals, smartsend};
use serde_json::json;
use support::{ScriptedServer, json};

#[tokio::test]
async fn clients_are_configured_from_the_environment() {
    // SAFETY: this binary runs this one test; no other thread reads the environment meanwhile.
    unsafe {
        std::env::remove_var("SMARTSEND_TOKEN");
        std::env::remove_var("PHYGITALS_API_KEY");
        std::env::remove_var("SMARTSEND_TEAM");
    }
    let missing = smartsend::Client::from_env().unwrap_err();
    assert_eq!(missing, BuildError::MissingEnv("SMARTSEND_TOKEN"));
    assert_eq!(
        missing.to_string(),
        "environment variable SMARTSEND_TOKEN is not set"
    );
    assert_eq!(
        phygitals::Client::from_env().unwrap_err(),
        BuildError::MissingEnv("PHYGITALS_API_KEY")
    );

    let server = ScriptedServer::start(vec![json(200, json!({"data": []})), json(200, json!({"data": []})), json(200, json!({"id": "card-1", "name": "Charizard", "image": "https://img.example/c.png", "back_image": null, "fmv": 120.5, "metadata": {}}))]).await;
    unsafe {
        std::env::set_var("SMARTSEND_TOKEN", "env-token");
        std::env::set_var(
            "SMARTSEND_BASE_URL",
            format!("{}/smartsend", server.base_url),
        );
        std::env::set_var("PHYGITALS_API_KEY", "sandbox-env-key");
        std::env::set_var(
            "PHYGITALS_BASE_URL",
            format!("{}/phygitals", server.base_url),
        );
    }
    smartsend::Client::from_env()
        .unwrap()
        .list_services()
        .team("t")
        .send()
        .await
        .unwrap();
    // With SMARTSEND_TEAM, operations need no team.
    unsafe { std::env::set_var("SMARTSEND_TEAM", "env-team") };
    smartsend::Client::from_env()
        .unwrap()
        .list_services()
        .send()
        .await
        .unwrap();
    let _ = phygitals::Client::from_env()
        .unwrap()
        .get_card()
        .item_id("card-1")
        .send()
        .await;
    let requests = server.requests();
    assert_eq!(requests[0].path, "/smartsend/team/t/routing/services");
    assert_eq!(
        requests[0].header("authorization"),
        Some("Bearer env-token")
    );
    assert_eq!(
        requests[1].path,
        "/smartsend/team/env-team/routing/services"
    );
    assert_eq!(requests[2].path, "/phygitals/api/v1/card/card-1");
    assert_eq!(requests[2].header("x-api-key"), Some("sandbox-env-key"));
}
