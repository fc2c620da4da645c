//! Credentials never appear in Debug output or in what the client logs.

mod support;

use std::io::Write;
use std::sync::{Arc, Mutex};

use parcelkit::{phygitals, smartsend};
use serde_json::json;
use support::{ScriptedServer, json};

const TOKEN: &str = "super-secret-token-9f3a7c";
const API_KEY: &str = "sandbox-secret-key-41bd20";

#[test]
fn debug_output_redacts_credentials() {
    let builder = smartsend::Client::builder().token(TOKEN);
    assert!(!format!("{builder:?}").contains(TOKEN));
    let client = builder.build().unwrap();
    let shown = format!("{client:?} {:?}", client.context());
    assert!(!shown.contains(TOKEN), "{shown}");
    assert!(
        shown.contains("<redacted>"),
        "the credential is shown as redacted: {shown}"
    );

    let client = phygitals::Client::builder()
        .api_key(API_KEY)
        .sandbox()
        .build()
        .unwrap();
    let shown = format!("{client:?}");
    assert!(!shown.contains(API_KEY), "{shown}");
    assert!(
        shown.contains("https://api.phygitals.com/_"),
        "sandbox() sets the base: {shown}"
    );
}

/// A writer the tracing subscriber appends to, so the test can read the log.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn traces_name_the_request_but_not_the_credential() {
    let log = Captured::default();
    let writer = log.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let server = ScriptedServer::start(vec![
        json(
            401,
            json!({"type": "about:blank", "title": "Unauthenticated", "status": 401}),
        ),
        json(200, json!({"error": "Invalid API key"})),
    ])
    .await;
    let client = smartsend::Client::builder()
        .base_url(&server.base_url)
        .token(TOKEN)
        .build()
        .unwrap();
    let result = client.list_services().team("t").send().await;
    assert!(result.is_err());
    let phygitals = phygitals::Client::builder()
        .base_url(&server.base_url)
        .api_key(API_KEY)
        .build()
        .unwrap();
    let _ = phygitals.get_card().item_id("card-1").send().await;

    let requests = server.requests();
    assert_eq!(
        requests[0].header("authorization"),
        Some(format!("Bearer {TOKEN}").as_str()),
        "the token is sent"
    );
    let text = String::from_utf8(log.0.lock().unwrap().clone()).unwrap();
    assert!(
        text.contains("parcelkit.request"),
        "the request span is logged: {text}"
    );
    let request_id = requests[0].header("request-id").unwrap();
    assert!(
        text.contains(request_id),
        "the span carries the Request-ID: {text}"
    );
    assert!(!text.contains(TOKEN) && !text.contains(API_KEY), "{text}");
}
