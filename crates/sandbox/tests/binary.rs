//! The `parcelkit-sandbox` binary's interface, which other tools rely on: one line on stdout
//! with the address, serving until SIGTERM/SIGINT, then a clean exit; bad flags refused.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

const BINARY: &str = env!("CARGO_BIN_EXE_parcelkit-sandbox");

#[tokio::test]
async fn prints_its_address_serves_and_exits_cleanly_on_sigterm() {
    let mut child = Command::new(BINARY)
        .args(["--listen", "127.0.0.1:0", "--token", "tok-1=team-1"])
        .stdout(Stdio::piped())
        .spawn()
        .expect("the binary starts");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line
        .trim_end()
        .strip_prefix("parcelkit-sandbox listening on ")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"));
    assert!(
        url.starts_with("http://127.0.0.1:") && !url.ends_with(":0"),
        "{url}"
    );

    let ledger = reqwest::get(format!("{url}/__sandbox/ledger"))
        .await
        .unwrap();
    assert_eq!(ledger.status(), 200);
    let services = reqwest::Client::new()
        .get(format!(
            "{url}/smartsend/api/v2/team/team-1/routing/services"
        ))
        .bearer_auth("tok-1")
        .send()
        .await
        .unwrap();
    assert_eq!(services.status(), 200, "the --token binding is in effect");

    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let status = child.wait().unwrap();
    assert!(status.success(), "exit on SIGTERM: {status:?}");
}

#[test]
fn bad_flags_are_refused_with_a_message() {
    for (args, expected) in [
        (vec!["--faults", "teleport=1"], "unknown fault"),
        (vec!["--token", "no-team"], "is not TOKEN=TEAM"),
        (vec!["--listen", "nowhere"], "invalid"),
    ] {
        let output = Command::new(BINARY).args(&args).output().unwrap();
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(expected), "{args:?}: {stderr}");
    }
}
