//! The `parcelkit` binary as a user meets it: the demo runs end to end against the built-in
//! sandbox; completions print; usage errors exit 2 with a message; `parcelkit sandbox` serves.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};

const BINARY: &str = env!("CARGO_BIN_EXE_parcelkit");

/// `parcelkit` with none of the environment that would point the demo at a real API.
fn parcelkit() -> Command {
    let mut command = Command::new(BINARY);
    for name in [
        "SMARTSEND_BASE_URL",
        "SMARTSEND_TOKEN",
        "SMARTSEND_TEAM",
        "PHYGITALS_BASE_URL",
        "PHYGITALS_API_KEY",
    ] {
        command.env_remove(name);
    }
    command
}

#[test]
fn the_demo_runs_both_apis_end_to_end_on_the_built_in_sandbox() {
    let output = parcelkit().arg("demo").output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    for expected in [
        "Built-in sandbox at http://127.0.0.1:",
        "book_shipment (sync)         -> booked: tracking 00370723",
        "get_operation (polled)       -> succeeded: tracking ",
        "book_shipment (retry)        -> replayed: true",
        "request_shipping             -> order order_",
        "get_shipping_order           -> queued",
        "\ndone\n",
    ] {
        assert!(stdout.contains(expected), "no {expected:?} in:\n{stdout}");
    }
    // The retry was answered from the store: one booking per shipment in the ledger.
    let ledger = stdout
        .lines()
        .find_map(|l| l.strip_prefix("Ledger (writes the sandbox executed): "))
        .expect("the demo prints the ledger");
    let ledger: serde_json::Value = serde_json::from_str(ledger).unwrap();
    let bookings = ledger["smartsend"]["book_shipment"].as_object().unwrap();
    assert_eq!(bookings.len(), 2);
    assert!(bookings.values().all(|count| count == 1), "{bookings:?}");
}

#[test]
fn against_real_apis_the_demo_spends_nothing_without_yes() {
    let (url, seen) = answering(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n[]".to_vec());
    let output = parcelkit()
        .args(["demo", "--smartsend-url", &format!("{url}/api/v2")])
        .args(["--phygitals-url", &url])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}");
    for skipped in [
        "Smart Send: skipped; against a real API the demo books a real parcel: pass --yes",
        "Phygitals: skipped; against a real API the demo buys a pack and ships it: pass --yes",
    ] {
        assert!(stdout.contains(skipped), "{stdout}");
    }
    assert!(
        seen.lock().unwrap().is_empty(),
        "{:?}",
        seen.lock().unwrap()
    );
}

#[test]
fn the_demo_never_takes_base_urls_or_credentials_from_the_environment() {
    // The variables the README tells users to export, pointing at a server that records all.
    let (url, seen) =
        answering(b"HTTP/1.1 500 Internal Server Error\r\ncontent-length: 0\r\n\r\n".to_vec());
    let output = parcelkit()
        .arg("demo")
        .env("SMARTSEND_BASE_URL", format!("{url}/api/v2"))
        .env("PHYGITALS_BASE_URL", &url)
        .env("SMARTSEND_TOKEN", "a-real-token")
        .env("SMARTSEND_TEAM", "a-real-team")
        .env("PHYGITALS_API_KEY", "a-real-key")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        stdout.contains("Built-in sandbox at http://127.0.0.1:"),
        "{stdout}"
    );
    assert!(
        stdout.contains("request_shipping             -> order order_"),
        "{stdout}"
    );
    assert!(
        seen.lock().unwrap().is_empty(),
        "the exported URL got {:?}",
        seen.lock().unwrap()
    );
}

#[test]
fn completions_print_and_usage_errors_exit_2() {
    let bash = parcelkit().args(["completions", "bash"]).output().unwrap();
    assert!(bash.status.success());
    assert!(String::from_utf8_lossy(&bash.stdout).contains("parcelkit"));
    let wrong = parcelkit().arg("teleport").output().unwrap();
    assert_eq!(wrong.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&wrong.stderr).contains("unrecognized subcommand 'teleport'"));
}

#[test]
fn parcelkit_sandbox_serves_like_the_sandbox_binary() {
    let mut child = parcelkit()
        .args(["sandbox", "--listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert!(
        line.starts_with("parcelkit-sandbox listening on http://127.0.0.1:"),
        "{line}"
    );
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    assert!(child.wait().unwrap().success());
}

/// A one-thread HTTP server on 127.0.0.1 that answers every request with `answer` (a status
/// line, headers and body, as bytes) and records the first line of each request.
fn answering(answer: Vec<u8>) -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let record = Arc::clone(&seen);
    std::thread::spawn(move || {
        for mut stream in listener.incoming().flatten() {
            let mut head = Vec::new();
            let mut byte = [0u8; 1];
            while !head.ends_with(b"\r\n\r\n") && stream.read(&mut byte).unwrap_or(0) == 1 {
                head.push(byte[0]);
            }
            let text = String::from_utf8_lossy(&head);
            record
                .lock()
                .unwrap()
                .push(text.lines().next().unwrap_or("").to_owned());
            let _ = stream.write_all(&answer);
        }
    });
    (url, seen)
}

#[test]
fn the_cli_never_sends_the_api_key_after_a_redirect_and_keeps_errors_short() {
    let (elsewhere, stolen) = answering(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n{}".to_vec());
    let target = format!("{elsewhere}/api/v1/inventory/u1");
    let (base, seen) = answering(
        format!(
            "HTTP/1.1 307 Temporary Redirect\r\nlocation: {target}\r\ncontent-length: 0\r\n\r\n"
        )
        .into_bytes(),
    );
    let output = parcelkit()
        .args([
            "phygitals",
            "--base-url",
            &base,
            "--api-key",
            "sandbox-cli-secret",
        ])
        .args(["get-inventory", "--user-id", "u1"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(&target) && stderr.contains("307"),
        "{stderr}"
    );
    assert!(!stderr.contains("sandbox-cli-secret"), "{stderr}");
    assert!(
        stolen.lock().unwrap().is_empty(),
        "the other origin got nothing"
    );
    assert_eq!(seen.lock().unwrap().len(), 1);

    // A 10 MB garbage error body: one short line on stderr, not 10 MB.
    let mut garbage = format!(
        "HTTP/1.1 500 Internal Server Error\r\ncontent-type: text/plain\r\ncontent-length: {}\r\n\r\n",
        10 * 1024 * 1024
    )
    .into_bytes();
    garbage.extend(std::iter::repeat_n(b'#', 10 * 1024 * 1024));
    let (base, _) = answering(garbage);
    let output = parcelkit()
        .args([
            "phygitals",
            "--base-url",
            &base,
            "--api-key",
            "sandbox-cli-secret",
        ])
        .args(["get-inventory", "--user-id", "u1"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(
        output.stderr.len() < 4096,
        "{} bytes on stderr",
        output.stderr.len()
    );
    assert!(String::from_utf8_lossy(&output.stderr).contains("500"));
}

#[test]
fn an_operation_whose_input_is_refused_says_why_sends_nothing_and_exits_2() {
    let (url, seen) =
        answering(b"HTTP/1.1 500 Internal Server Error\r\ncontent-length: 0\r\n\r\n".to_vec());
    let dir = std::env::temp_dir().join(format!("parcelkit-cli-input-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let not_json = dir.join("not.json");
    std::fs::write(&not_json, "{ this is not json").unwrap();
    let bad_country = dir.join("country.json");
    let mut body = serde_json::json!({
        "currency": "DKK",
        "delivery": {"carrier": "postnord", "service": "home"},
        "parties": {"receiver": {
            "address": {"city": "Aarhus", "country": "DK"},
            "contact": {"name_lines": ["Jane Doe"]}
        }},
        "parcels": [{}]
    });
    body["parties"]["receiver"]["address"]["country"] = serde_json::json!("Denmark");
    std::fs::write(&bad_country, body.to_string()).unwrap();
    let cases: [(&str, std::path::PathBuf, &str); 3] = [
        (
            "a missing file",
            dir.join("nonexistent.json"),
            "failed to read",
        ),
        ("a file that is not JSON", not_json, "failed to parse"),
        (
            "a body the types refuse",
            bad_country,
            "doesn't match pattern",
        ),
    ];
    for (what, file, says) in cases {
        let output = parcelkit()
            .env("SMARTSEND_BASE_URL", format!("{url}/api/v2"))
            .env("SMARTSEND_TOKEN", "t0ken")
            .args([
                "smartsend",
                "create-shipment",
                "--team",
                "sandbox-team",
                "--json-body",
            ])
            .arg(&file)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{what}: {stderr}");
        assert!(
            stderr.starts_with("parcelkit: ") && stderr.contains(says),
            "{what}: {stderr}"
        );
    }
    // The flag progenitor offers with the help text "XXX" and ignores is gone.
    let output = parcelkit()
        .args(["smartsend", "create-shipment", "--json-body-template"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(
        seen.lock().unwrap().is_empty(),
        "{:?}",
        seen.lock().unwrap()
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn short_help_is_one_line_per_command_and_long_help_has_the_description() {
    let output = parcelkit().args(["smartsend", "-h"]).output().unwrap();
    let short = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success());
    let create = short
        .lines()
        .find(|l| l.trim_start().starts_with("create-shipment "))
        .expect("the command is listed");
    assert!(create.ends_with("Create a shipment"), "{create}");
    assert!(short.lines().count() < 60, "{short}");
    assert!(short.lines().all(|l| l.chars().count() <= 120), "{short}");

    let output = parcelkit()
        .args(["smartsend", "help", "create-shipment"])
        .output()
        .unwrap();
    let long = String::from_utf8_lossy(&output.stdout);
    assert!(
        long.contains("Stores a new shipment for the team"),
        "{long}"
    );

    // Flags appear only where they act.
    for command in [
        &["sandbox", "--help"][..],
        &["completions", "--help"],
        &["demo", "--help"],
    ] {
        let output = parcelkit().args(command).output().unwrap();
        let help = String::from_utf8_lossy(&output.stdout);
        assert!(!help.contains("--output"), "{command:?}: {help}");
    }
    let output = parcelkit().args(["sandbox", "--help"]).output().unwrap();
    assert!(!String::from_utf8_lossy(&output.stdout).contains("--verbose"));
}

#[test]
fn verbose_prints_one_line_per_attempt_and_nothing_of_hyper() {
    let body = r#"{"data":[]}"#;
    let (url, seen) = answering(
        format!(
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
            body.len()
        )
        .into_bytes(),
    );
    let output = parcelkit()
        .env("SMARTSEND_BASE_URL", format!("{url}/api/v2"))
        .env("SMARTSEND_TOKEN", "t0ken")
        .args([
            "smartsend",
            "--verbose",
            "list-services",
            "--team",
            "sandbox-team",
        ])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 1, "one attempt, one line: {stderr}");
    for expected in [
        "method=GET",
        "/api/v2/team/sandbox-team/routing/services",
        "request_id=",
        "status=200",
        "took_ms=",
    ] {
        assert!(lines[0].contains(expected), "{expected} in {stderr}");
    }
    assert!(!stderr.contains("t0ken"), "{stderr}");
    assert_eq!(seen.lock().unwrap().len(), 1);
}
