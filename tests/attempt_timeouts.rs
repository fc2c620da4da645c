//! Attempt timeouts of a client that outlives a runtime: a client's attempts are timed out by
//! one background task of the client's (not a tokio timer per attempt), started on the runtime
//! of the first call. When that runtime is dropped, calls on the next runtime must still time
//! out.

mod support;

use std::sync::Arc;
use std::time::Duration;

use parcelkit::{ErrorKind, smartsend};
use serde_json::json;
use support::{ManualClock, ScriptedServer, Step};

const TEAM: &str = "ad9546c1-393e-49a5-9a72-5cc146c9bec5";
const TOKEN: &str = "bearer-token-7d1e-secret";

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

#[test]
fn an_attempt_still_times_out_on_a_second_runtime_after_the_first_is_dropped() {
    // The server runs on a runtime of its own, which outlives both of the client's.
    let server_runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let answer = support::json(200, json!({"data": []}));
    let server = server_runtime.block_on(ScriptedServer::start(vec![
        answer,
        Step::Hang,
        Step::Hang,
        Step::Hang,
    ]));

    let first = runtime();
    let client = first.block_on(async {
        let client = smartsend::Client::builder()
            .base_url(&server.base_url)
            .token(TOKEN)
            .clock(Arc::new(ManualClock::new()))
            .build()
            .unwrap()
            .with_timeout(Duration::from_millis(200));
        let services = client.list_services().team(TEAM).send().await;
        assert!(services.is_ok(), "{services:?}");
        client
    });
    assert_eq!(server.requests().len(), 1);
    // The client's watchdog task ran on this runtime, and goes with it.
    drop(first);

    runtime().block_on(async {
        // Three attempts of 200 ms each (the manual clock skips the waits between them); the
        // outer bound makes a lost timeout fail the test instead of blocking it.
        let error = tokio::time::timeout(
            Duration::from_secs(10),
            client.list_services().team(TEAM).send(),
        )
        .await
        .expect("the attempts time out")
        .unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Timeout, "{error}");
    });
    assert!(server.requests().len() >= 2, "the server got the request");
}
