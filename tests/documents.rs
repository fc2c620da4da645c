//! `smartsend::Client::download_document`: the bearer token goes to the client's own origin
//! only, no redirect is followed, the body is capped, and GETs are retried. Every server is a
//! scripted one on 127.0.0.1; two servers on two ports are two origins.

mod support;

use std::sync::Arc;

use parcelkit::ErrorKind;
use parcelkit::smartsend::{self, types};
use serde_json::json;
use support::{ManualClock, ScriptedServer, Step, json, raw};

const TOKEN: &str = "t0ken-never-elsewhere";
const PDF: &[u8] = b"%PDF-1.4\n% a label\n%%EOF\n";

fn client(api: &ScriptedServer, clock: &ManualClock) -> smartsend::Client {
    smartsend::Client::builder()
        .base_url(format!("{}/api/v2", api.base_url))
        .token(TOKEN)
        .clock(Arc::new(clock.clone()))
        .build()
        .unwrap()
}

fn document(url: &str) -> types::Document {
    serde_json::from_value(json!({"type": "label", "format": "pdf", "url": url})).unwrap()
}

fn pdf() -> Step {
    raw(200, "application/pdf", PDF)
}

#[tokio::test]
async fn a_document_on_the_api_origin_is_fetched_with_the_token() {
    let api = ScriptedServer::start(vec![pdf()]).await;
    let clock = ManualClock::new();
    let url = format!("{}/documents/label-1.pdf", api.base_url);
    let file = client(&api, &clock)
        .download_document(&document(&url))
        .await
        .unwrap();
    assert_eq!(file.bytes.as_ref(), PDF);
    assert_eq!(file.content_type.as_deref(), Some("application/pdf"));
    let requests = api.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].method, "GET");
    assert_eq!(requests[0].path, "/documents/label-1.pdf");
    assert_eq!(
        requests[0].header("authorization"),
        Some(format!("Bearer {TOKEN}").as_str())
    );
    assert!(requests[0].header("request-id").is_some());
    // Debug shows the size, not the file.
    assert_eq!(
        format!("{file:?}"),
        format!(
            "DownloadedDocument {{ bytes: {} bytes, content_type: Some(\"application/pdf\") }}",
            PDF.len()
        )
    );
}

#[tokio::test]
async fn a_document_on_another_origin_is_fetched_without_the_token() {
    let api = ScriptedServer::start(vec![]).await;
    let files = ScriptedServer::start(vec![pdf()]).await;
    let clock = ManualClock::new();
    let url = format!("{}/documents/label-1.pdf?signature=abc", files.base_url);
    let file = client(&api, &clock)
        .download_document(&document(&url))
        .await
        .unwrap();
    assert_eq!(file.bytes.as_ref(), PDF);
    assert!(api.requests().is_empty(), "the API was not asked");
    let requests = files.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].path, "/documents/label-1.pdf?signature=abc");
    for (name, value) in &requests[0].headers {
        assert!(
            !value.contains(TOKEN),
            "the token reached another origin in {name}"
        );
    }
    assert_eq!(requests[0].header("authorization"), None);
    assert_eq!(requests[0].header("request-id"), None);
    assert!(
        requests[0]
            .header("user-agent")
            .is_some_and(|ua| ua.starts_with("parcelkit/"))
    );
}

#[tokio::test]
async fn a_redirect_is_not_followed_to_any_origin() {
    let files = ScriptedServer::start(vec![pdf()]).await;
    let target = format!("{}/documents/label-1.pdf", files.base_url);
    let api = ScriptedServer::start(vec![support::redirect(302, &target)]).await;
    let clock = ManualClock::new();
    let url = format!("{}/documents/label-1.pdf", api.base_url);
    let error = client(&api, &clock)
        .download_document(&document(&url))
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Redirect);
    assert_eq!(error.status().map(|s| s.as_u16()), Some(302));
    assert!(error.to_string().contains(&target), "{error}");
    assert_eq!(api.requests().len(), 1, "one request, no retry");
    assert!(files.requests().is_empty(), "the redirect was not followed");
}

#[tokio::test]
async fn a_document_larger_than_the_cap_is_an_error_not_a_part() {
    let api = ScriptedServer::start(vec![raw(200, "application/pdf", vec![b'x'; 4096])]).await;
    let client = smartsend::Client::builder()
        .base_url(&api.base_url)
        .token(TOKEN)
        .max_response_body(1024)
        .build()
        .unwrap();
    let url = format!("{}/documents/big.pdf", api.base_url);
    let error = client.download_document(&document(&url)).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::UnexpectedResponse);
    assert!(
        error
            .to_string()
            .contains("larger than the 1024-byte limit"),
        "{error}"
    );
    // The answer's headers, though it was a success, and the Request-ID that was sent.
    assert_eq!(
        error.headers().get("content-type").map(|v| v.as_bytes()),
        Some(&b"application/pdf"[..])
    );
    assert!(
        error.request_id().is_some_and(|id| id.starts_with("pk-")),
        "{error:?}"
    );
}

#[tokio::test]
async fn a_failed_download_is_retried_like_every_get() {
    let files =
        ScriptedServer::start(vec![raw(503, "text/plain", "busy"), Step::Drop, pdf()]).await;
    let api = ScriptedServer::start(vec![]).await;
    let clock = ManualClock::new();
    let url = format!("{}/documents/label-1.pdf", files.base_url);
    let file = client(&api, &clock)
        .download_document(&document(&url))
        .await
        .unwrap();
    assert_eq!(file.bytes.as_ref(), PDF);
    assert_eq!(files.requests().len(), 3);
    assert_eq!(clock.slept().len(), 2);
}

#[tokio::test]
async fn an_api_error_keeps_its_problem_and_a_file_host_error_its_status() {
    let problem = json!({"type": "about:blank", "title": "Not Found", "status": 404, "detail": "No such document"});
    let api = ScriptedServer::start(vec![json(404, problem)]).await;
    let files = ScriptedServer::start(vec![raw(
        403,
        "application/xml",
        "<Error>AccessDenied</Error>",
    )])
    .await;
    let clock = ManualClock::new();
    let client = client(&api, &clock);

    let own = format!("{}/documents/gone.pdf", api.base_url);
    let error = client.download_document(&document(&own)).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Api);
    assert_eq!(
        error.problem().and_then(|p| p.detail.as_deref()),
        Some("No such document")
    );

    let elsewhere = format!(
        "{}/documents/expired.pdf?signature=secret-sig",
        files.base_url
    );
    let error = client
        .download_document(&document(&elsewhere))
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Authentication);
    assert_eq!(error.status().map(|s| s.as_u16()), Some(403));
    assert!(!format!("{error} {error:?}").contains(TOKEN));
}

#[tokio::test]
async fn a_url_that_is_not_http_is_refused_before_sending() {
    let api = ScriptedServer::start(vec![]).await;
    let clock = ManualClock::new();
    let error = client(&api, &clock)
        .download_document(&document("file:///etc/passwd"))
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::InvalidRequest);
    assert!(
        error
            .to_string()
            .contains("the scheme must be http or https"),
        "{error}"
    );
    assert!(api.requests().is_empty());
}
