//! `Paginate::stream` walks every page of a list, driven by the `meta` block.

mod support;

use futures_util::{StreamExt, TryStreamExt};
use parcelkit::smartsend::{self, Paginate};
use serde_json::{Value, json};
use support::{ScriptedServer, json};

const TEAM: &str = "ad9546c1-393e-49a5-9a72-5cc146c9bec5";

fn shipment(n: u32) -> Value {
    let mut s = support::schema_example("smartsend", "Shipment");
    s["uuid"] = json!(format!("00000000-0000-4000-8000-{n:012}"));
    s
}

fn page(current: u32, last: u32, items: std::ops::Range<u32>, total: u32) -> Value {
    json!({
        "data": items.clone().map(shipment).collect::<Vec<_>>(),
        "meta": {"current_page": current, "per_page": 2, "total": total, "last_page": last,
                 "from": items.start + 1, "to": items.end}
    })
}

#[tokio::test]
async fn the_stream_yields_every_item_of_three_pages() {
    let server = ScriptedServer::start(vec![
        json(200, page(1, 3, 0..2, 5)),
        json(200, page(2, 3, 2..4, 5)),
        json(200, page(3, 3, 4..5, 5)),
    ])
    .await;
    let client = smartsend::Client::builder()
        .base_url(&server.base_url)
        .build()
        .unwrap();
    let all: Vec<_> = client
        .list_shipments()
        .team(TEAM)
        .per_page(2)
        .stream()
        .try_collect()
        .await
        .unwrap();
    let ids: Vec<String> = all.iter().map(|s| s.uuid.to_string()).collect();
    assert_eq!(
        ids,
        (0..5)
            .map(|n| format!("00000000-0000-4000-8000-{n:012}"))
            .collect::<Vec<_>>()
    );
    let paths: Vec<String> = server.requests().iter().map(|r| r.path.clone()).collect();
    assert_eq!(
        paths,
        [1, 2, 3].map(|p| format!("/team/{TEAM}/shipments?page={p}&per_page=2")),
        "one request per page, in order, nothing more"
    );
}

#[tokio::test]
async fn a_server_that_ignores_page_cannot_loop_the_stream() {
    // Always answers page 1 of 2: the stream asks for pages 1 and 2, then stops.
    let server = ScriptedServer::start(vec![
        json(200, page(1, 2, 0..2, 4)),
        json(200, page(1, 2, 0..2, 4)),
        json(200, page(1, 2, 0..2, 4)),
    ])
    .await;
    let client = smartsend::Client::builder()
        .base_url(&server.base_url)
        .build()
        .unwrap();
    let all: Vec<_> = client
        .list_shipments()
        .team(TEAM)
        .stream()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(all.len(), 4);
    assert_eq!(server.requests().len(), 2);
}

#[tokio::test]
async fn an_error_ends_the_stream() {
    let server = ScriptedServer::start(vec![
        json(200, page(1, 3, 0..2, 6)),
        json(
            404,
            json!({"type": "about:blank", "title": "Team not found", "status": 404}),
        ),
    ])
    .await;
    let client = smartsend::Client::builder()
        .base_url(&server.base_url)
        .build()
        .unwrap();
    let items: Vec<_> = client.list_shipments().team(TEAM).stream().collect().await;
    assert_eq!(items.len(), 3);
    assert!(items[..2].iter().all(Result::is_ok));
    assert!(
        matches!(&items[2], Err(e) if e.status().map(|s| s.as_u16()) == Some(404) && e.problem().is_some())
    );
}
