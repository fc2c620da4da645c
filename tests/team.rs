//! A team-scoped Smart Send client: its operations need no team, one team type serves every
//! operation, and a missing or empty team is refused before sending with a message that says so.

mod support;

use parcelkit::{ErrorKind, smartsend};
use serde_json::json;
use support::{ScriptedServer, json};

const TEAM: &str = "ad9546c1-393e-49a5-9a72-5cc146c9bec5";

fn client(server: &ScriptedServer) -> smartsend::Client {
    smartsend::Client::builder()
        .base_url(&server.base_url)
        .token("t")
        .build()
        .unwrap()
}

#[tokio::test]
async fn a_team_scoped_client_fills_in_the_team_and_a_call_may_still_set_another() {
    let server = ScriptedServer::start(vec![json(200, json!({"data": []})); 3]).await;
    let shop = client(&server).team(TEAM);
    shop.list_services().send().await.unwrap();
    shop.list_services()
        .team("other-team")
        .send()
        .await
        .unwrap();
    // The builder's default does the same.
    smartsend::Client::builder()
        .base_url(&server.base_url)
        .token("t")
        .team("from-builder")
        .build()
        .unwrap()
        .list_services()
        .send()
        .await
        .unwrap();
    let paths: Vec<String> = server.requests().into_iter().map(|r| r.path).collect();
    assert_eq!(
        paths,
        [
            format!("/team/{TEAM}/routing/services"),
            "/team/other-team/routing/services".to_owned(),
            "/team/from-builder/routing/services".to_owned(),
        ]
    );
}

#[tokio::test]
async fn every_operation_takes_the_one_team_type() {
    let team: smartsend::types::TeamId = TEAM.parse().unwrap();
    let server = ScriptedServer::start(vec![json(200, json!({"data": []})); 2]).await;
    let client = client(&server);
    client
        .list_services()
        .team(team.clone())
        .send()
        .await
        .unwrap();
    let _ = client.list_shipments().team(team).send().await;
    assert_eq!(server.requests().len(), 2);
}

#[tokio::test]
async fn a_missing_or_empty_team_is_refused_before_sending_and_says_why() {
    let server = ScriptedServer::start(vec![]).await;
    let client = client(&server);
    let missing = client.list_services().send().await.unwrap_err();
    assert_eq!(missing.kind(), ErrorKind::InvalidRequest);
    assert!(
        missing.message().contains("team was not initialized"),
        "{missing}"
    );
    let empty = client.list_services().team("").send().await.unwrap_err();
    assert_eq!(empty.kind(), ErrorKind::InvalidRequest);
    assert_eq!(
        empty.message(),
        "refused before sending: team: shorter than 1 characters"
    );
    let scoped_empty = client.team("").list_services().send().await.unwrap_err();
    assert_eq!(scoped_empty.message(), empty.message());
    assert!(server.requests().is_empty(), "nothing was sent");
}

/// A required path parameter never set is named (builders start it unset without allocating a
/// message; `send()` writes the message), and a bad one keeps its own reason.
#[tokio::test]
async fn a_missing_path_parameter_is_refused_before_sending_and_named() {
    let server = ScriptedServer::start(vec![]).await;
    let client = client(&server).team("ad9546c1-393e-49a5-9a72-5cc146c9bec5");
    let missing = client.get_shipment().send().await.unwrap_err();
    assert_eq!(missing.kind(), ErrorKind::InvalidRequest);
    assert_eq!(
        missing.message(),
        "refused before sending: shipment was not initialized"
    );
    let bad = client
        .get_shipment()
        .shipment("not-a-uuid")
        .send()
        .await
        .unwrap_err();
    assert_eq!(bad.kind(), ErrorKind::InvalidRequest);
    assert!(bad.message().contains("for shipment failed"), "{bad}");
    assert!(server.requests().is_empty(), "nothing was sent");
}

/// The client parses its base URL once and sets each call's path on it: the operation's path
/// follows the base's own (a trailing `/` or none), its parameters percent-encoded as a path
/// segment (`%`, `/`, space and non-ASCII included), and a query comes after it.
#[tokio::test]
async fn the_path_follows_the_base_urls_path_with_its_parameters_encoded() {
    let empty_page = json!({"data": [], "meta": {"current_page": 2, "per_page": 20, "total": 0,
                                                "last_page": 1, "from": null, "to": null}});
    let server = ScriptedServer::start(vec![
        json(200, json!({"data": []})),
        json(200, json!({"data": []})),
        json(200, empty_page),
    ])
    .await;
    for base in [
        format!("{}/smartsend/api/v2/", server.base_url),
        format!("{}/smartsend/api/v2", server.base_url),
    ] {
        smartsend::Client::builder()
            .base_url(base)
            .token("t")
            .build()
            .unwrap()
            .list_services()
            .team("a b/c%ø?#.")
            .send()
            .await
            .unwrap();
    }
    client(&server)
        .team(TEAM)
        .list_shipments()
        .page(2u64)
        .send()
        .await
        .unwrap();
    let paths: Vec<String> = server.requests().into_iter().map(|r| r.path).collect();
    let encoded = "/smartsend/api/v2/team/a%20b%2Fc%25%C3%B8%3F%23./routing/services";
    assert_eq!(
        paths,
        [
            encoded.to_owned(),
            encoded.to_owned(),
            format!("/team/{TEAM}/shipments?page=2"),
        ]
    );
}
