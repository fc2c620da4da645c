//! The generated operation subcommands against the in-process sandbox: one create, get and list
//! per API, bodies from a file and from stdin, tables, and errors with their exit codes.

use std::io::Write;
use std::process::{Command, Output, Stdio};

use parcelkit_sandbox::{Sandbox, SandboxConfig, SandboxHandle};

const BINARY: &str = env!("CARGO_BIN_EXE_parcelkit");

/// `parcelkit <api> --base-url ... <credential> <args>`, with `stdin` fed in.
fn run(handle: &SandboxHandle, api: &str, args: &[&str], stdin: Option<&str>) -> Output {
    let (url, credential) = match api {
        "smartsend" => (
            handle.smartsend_url(),
            ["--token", SandboxConfig::DEFAULT_TOKEN],
        ),
        _ => (handle.phygitals_url(), ["--api-key", "sandbox-cli-tests"]),
    };
    let mut child = Command::new(BINARY)
        .arg(api)
        .args(["--base-url", &url])
        .args(credential)
        .args(args)
        .env_remove("SMARTSEND_TOKEN")
        .env_remove("PHYGITALS_API_KEY")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    input.write_all(stdin.unwrap_or("").as_bytes()).unwrap();
    drop(input);
    child.wait_with_output().unwrap()
}

fn json(output: &Output) -> serde_json::Value {
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("JSON on stdout")
}

fn shipment_request() -> String {
    parcelkit_sandbox::spec::SpecApi::SmartSend.spec()["components"]["schemas"]["ShipmentRequest"]
        ["example"]
        .to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn smart_send_create_get_and_list() {
    let handle = Sandbox::start(SandboxConfig::default()).await.unwrap();
    let dir = std::env::temp_dir().join(format!("parcelkit-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let body = dir.join("shipment.json");
    std::fs::write(&body, shipment_request()).unwrap();

    let created = json(&run(
        &handle,
        "smartsend",
        &[
            "create-shipment",
            "--team",
            "sandbox-team",
            "--file",
            body.to_str().unwrap(),
        ],
        None,
    ));
    let uuid = created["data"]["uuid"].as_str().unwrap().to_owned();
    // Piped, so compact: one line.
    let from_stdin = run(
        &handle,
        "smartsend",
        &[
            "create-shipment",
            "--team",
            "sandbox-team",
            "--json-body",
            "-",
            "--idempotency-key",
            "cli-test-key-0001",
        ],
        Some(&shipment_request()),
    );
    assert_eq!(
        String::from_utf8_lossy(&from_stdin.stdout).lines().count(),
        1
    );
    let fetched = json(&run(
        &handle,
        "smartsend",
        &[
            "get-shipment",
            "--team",
            "sandbox-team",
            "--shipment",
            &uuid,
            "--language",
            "da",
        ],
        None,
    ));
    assert_eq!(fetched["data"]["uuid"], uuid.as_str());

    let table = run(
        &handle,
        "smartsend",
        &[
            "list-shipments",
            "--team",
            "sandbox-team",
            "--output",
            "table",
        ],
        None,
    );
    let text = String::from_utf8_lossy(&table.stdout);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3, "header and two shipments: {text}");
    assert!(
        lines[0].contains("reference") && lines[0].contains("uuid"),
        "{text}"
    );
    assert_eq!(handle.ledger().total("smartsend", "create_shipment"), 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn phygitals_list_create_and_get() {
    let handle = Sandbox::start(SandboxConfig::default()).await.unwrap();
    let packs = json(&run(&handle, "phygitals", &["list-available-packs"], None));
    let pack = packs
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["in_stock"] == true && p["enable"] == true)
        .unwrap();
    let purchase = format!(
        r#"{{"id": {}, "amount": 1, "user_id": "cli-user"}}"#,
        pack["id"]
    );
    let bought = json(&run(
        &handle,
        "phygitals",
        &["init-purchase", "--json-body", "-"],
        Some(&purchase),
    ));
    assert_eq!(bought["nfts"].as_array().unwrap().len(), 1);
    let inventory = json(&run(
        &handle,
        "phygitals",
        &["get-inventory", "--user-id", "cli-user"],
        None,
    ));
    assert_eq!(inventory["items"][0]["id"], bought["nfts"][0]["id"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn errors_exit_1_with_status_and_request_id_and_bad_usage_exits_2() {
    let handle = Sandbox::start(SandboxConfig::default()).await.unwrap();
    let missing = run(
        &handle,
        "smartsend",
        &[
            "get-shipment",
            "--team",
            "sandbox-team",
            "--shipment",
            "00000000-0000-4000-8000-000000000000",
        ],
        None,
    );
    assert_eq!(missing.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&missing.stderr);
    assert!(stderr.contains("(status 404, Request-ID pk-"), "{stderr}");

    let bad_key = run(
        &handle,
        "smartsend",
        &[
            "delete-shipment",
            "--team",
            "sandbox-team",
            "--shipment",
            "00000000-0000-4000-8000-000000000000",
            "--idempotency-key",
            "short",
        ],
        None,
    );
    assert_eq!(bad_key.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&bad_key.stderr);
    assert!(
        stderr.contains("must be 16 to 128 characters from A-Z a-z 0-9 . _ -"),
        "{stderr}"
    );
    assert_eq!(handle.ledger().total("smartsend", "delete_shipment"), 0);

    // A language or an order id that breaks its rule is a usage error naming the rule.
    for (api, args, rule) in [
        (
            "smartsend",
            &[
                "list-services",
                "--team",
                "sandbox-team",
                "--accept-language",
                "da;q=5,,,",
            ][..],
            r#"q 5 for "da" is outside 0..=1"#,
        ),
        (
            "phygitals",
            &["get-shipping-order", "--order-id", ".."][..],
            "it must not be `.` or `..`",
        ),
    ] {
        let refused = run(&handle, api, args, None);
        assert_eq!(refused.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8_lossy(&refused.stderr);
        assert!(stderr.contains(rule), "{stderr}");
    }

    let no_token = Command::new(BINARY)
        .args([
            "smartsend",
            "--base-url",
            &handle.smartsend_url(),
            "list-services",
            "--team",
            "t",
        ])
        .env_remove("SMARTSEND_TOKEN")
        .output()
        .unwrap();
    assert_eq!(no_token.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&no_token.stderr).contains("no Smart Send token"));
    // The token never appears, whatever happens.
    assert!(!String::from_utf8_lossy(&missing.stderr).contains(SandboxConfig::DEFAULT_TOKEN));
}

#[tokio::test(flavor = "multi_thread")]
async fn verbose_shows_request_lines_and_request_ids_but_no_credential() {
    let handle = Sandbox::start(SandboxConfig::default()).await.unwrap();
    let output = Command::new(BINARY)
        .args([
            "smartsend",
            "--verbose",
            "--base-url",
            &handle.smartsend_url(),
        ])
        .args([
            "--token",
            SandboxConfig::DEFAULT_TOKEN,
            "list-services",
            "--team",
            "sandbox-team",
        ])
        .args(["--request-id", "cli-verbose-1"])
        .output()
        .unwrap();
    assert!(output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("method=GET"), "{stderr}");
    assert!(
        stderr.contains("/team/sandbox-team/routing/services"),
        "{stderr}"
    );
    assert!(stderr.contains("request_id=\"cli-verbose-1\""), "{stderr}");
    assert!(stderr.contains("status=200"), "{stderr}");
    assert!(!stderr.contains(SandboxConfig::DEFAULT_TOKEN), "{stderr}");
}
