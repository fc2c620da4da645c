//! The workflows as a user runs them: the `parcelkit` binary as a subprocess, pointed at an
//! in-process sandbox on 127.0.0.1 (any free port), whose ledger says what really executed.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use parcelkit_sandbox::{Faults, Sandbox, SandboxConfig, SandboxHandle};
use serde_json::{Value, json};

const BINARY: &str = env!("CARGO_BIN_EXE_parcelkit");
const TEAM: &str = SandboxConfig::DEFAULT_TEAM;
const API_KEY: &str = "sandbox-workflows";

/// A sandbox served by its own runtime (so the test thread can block on subprocesses), and a
/// scratch directory.
struct World {
    runtime: tokio::runtime::Runtime,
    sandbox: SandboxHandle,
    dir: PathBuf,
}

impl World {
    fn start(name: &str, config: SandboxConfig) -> World {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let sandbox = runtime.block_on(Sandbox::start(config)).unwrap();
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("workflows-{name}"));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        World {
            runtime,
            sandbox,
            dir,
        }
    }

    /// `parcelkit smartsend --base-url <sandbox> --token sandbox-token ARGS`.
    fn smartsend(&self, args: &[&str]) -> Command {
        let mut command = parcelkit();
        command
            .args(["smartsend", "--base-url", &self.sandbox.smartsend_url()])
            .args(["--token", SandboxConfig::DEFAULT_TOKEN])
            .args(args);
        command
    }

    fn smartsend_client(&self) -> parcelkit::smartsend::Client {
        parcelkit::smartsend::Client::builder()
            .base_url(self.sandbox.smartsend_url())
            .token(SandboxConfig::DEFAULT_TOKEN)
            .build()
            .unwrap()
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    fn total(&self, operation: &str) -> u64 {
        self.sandbox.ledger().total("smartsend", operation)
    }
}

/// `parcelkit` with none of the environment that would point it elsewhere.
fn parcelkit() -> Command {
    let mut command = Command::new(BINARY);
    for name in [
        "SMARTSEND_BASE_URL",
        "SMARTSEND_TOKEN",
        "PHYGITALS_BASE_URL",
        "PHYGITALS_API_KEY",
    ] {
        command.env_remove(name);
    }
    command
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn run(mut command: impl std::borrow::BorrowMut<Command>) -> (Option<i32>, String, String) {
    let Output {
        status,
        stdout,
        stderr,
    } = command.borrow_mut().output().unwrap();
    (status.code(), text(&stdout), text(&stderr))
}

/// A shipment request: `parcels` parcels to a Danish address.
fn shipment(reference: &str, parcels: usize) -> Value {
    json!({
        "currency": "DKK",
        "reference": reference,
        "weight_unit": "g",
        "dimension_unit": "cm",
        "delivery": {"carrier": "postnord", "service": "home"},
        "parties": {"receiver": {
            "address": {"address_lines": ["Kongensgade 21"], "postal_code": "5000",
                        "city": "Odense C", "country": "DK"},
            "contact": {"name_lines": ["Sofie Jensen"], "email": "sofie.jensen@example.dk"}
        }},
        "parcels": vec![json!({"gross_weight": 1200, "length": 30, "width": 20, "height": 10}); parcels]
    })
}

#[test]
fn book_waits_for_the_async_booking_and_label_downloads_the_pdfs() {
    let world = World::start(
        "book",
        SandboxConfig {
            async_delay: Duration::from_millis(100),
            ..SandboxConfig::default()
        },
    );
    let client = world.smartsend_client();
    let create = |reference: &str, parcels: usize| -> String {
        let request: parcelkit::smartsend::types::ShipmentRequest =
            serde_json::from_value(shipment(reference, parcels)).unwrap();
        let created = world
            .runtime
            .block_on(client.create_shipment().team(TEAM).body(request).send())
            .unwrap();
        created.data.uuid.to_string()
    };

    // --wait: accepted (202), polled behind a spinner, printed once booked.
    let uuid = create("Wait-1", 1);
    let (code, stdout, stderr) =
        run(world.smartsend(&["book", "--team", TEAM, "--shipment", &uuid, "--wait"]));
    assert_eq!(code, Some(0), "{stderr}");
    let booked: Value = serde_json::from_str(&stdout).expect("one JSON shipment on stdout");
    assert_eq!(booked["state"], "booked", "{stdout}");
    assert_eq!(booked["uuid"], uuid.as_str());
    let tracking = booked["parcels"][0]["tracking_code"].as_str().unwrap();
    assert!(!tracking.is_empty());
    assert_eq!(world.total("book_shipment"), 1);

    // The same command again: the derived key makes it a replay, not a second booking.
    let (code, stdout, stderr) =
        run(world.smartsend(&["book", "--team", TEAM, "--shipment", &uuid, "--wait"]));
    assert_eq!(code, Some(0), "{stderr}");
    let again: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(again["parcels"][0]["tracking_code"], tracking);
    // Without --wait the same key replays the stored 202; the shipment is shown, booked.
    let (code, stdout, stderr) =
        run(world.smartsend(&["book", "--team", TEAM, "--shipment", &uuid]));
    assert_eq!(code, Some(0), "{stderr}");
    let replayed: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(replayed["parcels"][0]["tracking_code"], tracking);
    assert!(stderr.contains("replayed"), "{stderr}");
    assert_eq!(world.total("book_shipment"), 1);

    // Without --wait: a synchronous booking.
    let sync = create("Sync-1", 1);
    let (code, stdout, stderr) =
        run(world.smartsend(&["book", "--team", TEAM, "--shipment", &sync]));
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(
        serde_json::from_str::<Value>(&stdout).unwrap()["state"],
        "booked"
    );
    assert_eq!(world.total("book_shipment"), 2);

    // The label of a one-parcel shipment goes to -o as given.
    let label = world.path("label.pdf");
    let (code, stdout, stderr) = run(world.smartsend(&[
        "label",
        "--team",
        TEAM,
        "--shipment",
        &uuid,
        "-o",
        label.to_str().unwrap(),
    ]));
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(stdout.trim(), label.to_str().unwrap());
    assert!(std::fs::read(&label).unwrap().starts_with(b"%PDF-"));

    // Two parcels: two labels, numbered in parcel order.
    let two = create("Two-1", 2);
    let (code, _, stderr) = run(world.smartsend(&["book", "--team", TEAM, "--shipment", &two]));
    assert_eq!(code, Some(0), "{stderr}");
    let (code, stdout, stderr) = run(world.smartsend(&[
        "label",
        "--team",
        TEAM,
        "--shipment",
        &two,
        "-o",
        world.path("two.pdf").to_str().unwrap(),
    ]));
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(stdout.lines().count(), 2, "{stdout}");
    for name in ["two-1.pdf", "two-2.pdf"] {
        assert!(
            std::fs::read(world.path(name))
                .unwrap()
                .starts_with(b"%PDF-")
        );
    }

    // Not booked: exit 1, and the message says so.
    let draft = create("Draft-1", 1);
    let (code, _, stderr) = run(world.smartsend(&["label", "--team", TEAM, "--shipment", &draft]));
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains("is not booked"), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "parcelkit smartsend book --team {TEAM} --shipment {draft}"
        )),
        "{stderr}"
    );
}

/// A one-thread HTTP server on 127.0.0.1 that answers the n-th connection with `answers[n]` (the
/// last one again after that) and records each request's head. Every answer closes its
/// connection, so each request comes on a connection of its own.
fn scripted(answers: Vec<Vec<u8>>) -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let record = Arc::clone(&seen);
    std::thread::spawn(move || {
        for (n, mut stream) in listener.incoming().flatten().enumerate() {
            let mut head = Vec::new();
            let mut byte = [0u8; 1];
            while !head.ends_with(b"\r\n\r\n") && stream.read(&mut byte).unwrap_or(0) == 1 {
                head.push(byte[0]);
            }
            record.lock().unwrap().push(text(&head));
            let answer = &answers[n.min(answers.len() - 1)];
            let _ = stream.write_all(answer);
        }
    });
    (url, seen)
}

fn answer(status: &str, headers: &str, body: &[u8]) -> Vec<u8> {
    let mut out = format!(
        "HTTP/1.1 {status}\r\n{headers}content-length: {}\r\nconnection: close\r\n\r\n",
        body.len()
    )
    .into_bytes();
    out.extend_from_slice(body);
    out
}

/// A label on a file host (another origin) goes through the SDK's download: fetched without the
/// token, and retried after a 503 like every GET.
#[test]
fn label_on_another_origin_is_fetched_without_the_token_and_retried() {
    let world = World::start("label-elsewhere", SandboxConfig::default());
    let client = world.smartsend_client();
    let request: parcelkit::smartsend::types::ShipmentRequest =
        serde_json::from_value(shipment("Elsewhere-1", 1)).unwrap();
    let uuid = world.runtime.block_on(async {
        let created = client
            .create_shipment()
            .team(TEAM)
            .body(request)
            .send()
            .await;
        let uuid = created.unwrap().data.uuid;
        client
            .book_shipment()
            .team(TEAM)
            .shipment(uuid)
            .send()
            .await
            .unwrap();
        uuid
    });
    let mut envelope = world.runtime.block_on(async {
        let got = client.get_shipment().team(TEAM).shipment(uuid).send().await;
        serde_json::to_value(got.unwrap().into_inner()).unwrap()
    });

    let pdf = b"%PDF-1.4\n% from the file host\n%%EOF\n";
    let (files, file_requests) = scripted(vec![
        answer("503 Service Unavailable", "retry-after: 0\r\n", b"busy"),
        answer("200 OK", "content-type: application/pdf\r\n", pdf),
    ]);
    envelope["data"]["parcels"][0]["documents"][0]["url"] =
        json!(format!("{files}/labels/{uuid}.pdf?signature=abc"));
    let (api, api_requests) = scripted(vec![answer(
        "200 OK",
        "content-type: application/json\r\n",
        envelope.to_string().as_bytes(),
    )]);

    let label = world.path("elsewhere.pdf");
    let uuid = uuid.to_string();
    let (code, stdout, stderr) = run(parcelkit()
        .args(["smartsend", "--base-url", &api])
        .args(["--token", SandboxConfig::DEFAULT_TOKEN])
        .args([
            "label",
            "--team",
            TEAM,
            "--shipment",
            &uuid,
            "-o",
            label.to_str().unwrap(),
        ]));
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(stdout.trim(), label.to_str().unwrap());
    assert_eq!(std::fs::read(&label).unwrap(), pdf);

    let api_requests = api_requests.lock().unwrap();
    assert_eq!(api_requests.len(), 1);
    assert!(api_requests[0].contains(SandboxConfig::DEFAULT_TOKEN));
    let file_requests = file_requests.lock().unwrap();
    assert_eq!(file_requests.len(), 2, "the 503 was retried");
    for head in file_requests.iter() {
        assert!(
            head.starts_with(&format!("GET /labels/{uuid}.pdf?signature=abc ")),
            "{head}"
        );
        assert!(
            !head.contains(SandboxConfig::DEFAULT_TOKEN),
            "token sent elsewhere: {head}"
        );
        assert!(
            !head.to_ascii_lowercase().contains("authorization"),
            "{head}"
        );
    }
}

#[test]
fn api_errors_show_status_and_request_id_and_bad_keys_show_the_rule() {
    let world = World::start("errors", SandboxConfig::default());
    let unknown = "550e8400-e29b-41d4-a716-446655440000";
    for args in [
        vec!["book", "--team", TEAM, "--shipment", unknown],
        vec!["book", "--team", TEAM, "--shipment", unknown, "--wait"],
    ] {
        let (code, stdout, stderr) = run(world.smartsend(&args));
        assert_eq!(code, Some(1), "{args:?}: {stderr}");
        assert!(stdout.is_empty());
        assert!(stderr.starts_with("parcelkit: book_shipment: "), "{stderr}");
        assert!(stderr.contains("status 404"), "{stderr}");
        assert!(stderr.contains("Request-ID "), "{stderr}");
    }

    let (code, _, stderr) = run(world.smartsend(&[
        "book",
        "--team",
        TEAM,
        "--shipment",
        unknown,
        "--idempotency-key",
        "too/short",
    ]));
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains("16 to 128 characters from A-Z a-z 0-9 . _ -"),
        "{stderr}"
    );
    assert_eq!(world.total("book_shipment"), 0);
}

/// Writes `count` shipments, `Bulk-0001` ..., one per line.
fn write_lines(path: &Path, count: usize) {
    let mut text = String::new();
    for n in 1..=count {
        text.push_str(&shipment(&format!("Bulk-{n:04}"), 1).to_string());
        text.push('\n');
    }
    std::fs::write(path, text).unwrap();
}

fn read_report(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn count(report: &[Value], key: &str, value: Value) -> usize {
    report.iter().filter(|e| e[key] == value).count()
}

/// Spawns `book-many` and waits until the ledger holds at least `bookings`.
fn spawn_until(world: &World, args: &[&str], bookings: u64) -> Child {
    let mut child = world
        .smartsend(args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while world.total("create_and_book_shipment") < bookings {
        assert!(Instant::now() < deadline, "no progress");
        if let Some(status) = child.try_wait().unwrap() {
            panic!("book-many ended early with {status}");
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    child
}

#[test]
fn book_many_killed_then_interrupted_then_rerun_books_each_line_exactly_once() {
    // 10 ms per request keeps the 500 lines in flight long enough to interrupt halfway.
    let world = World::start(
        "many",
        SandboxConfig {
            faults: "latency=10ms".parse::<Faults>().unwrap(),
            ..SandboxConfig::default()
        },
    );
    let lines = world.path("lines.jsonl");
    write_lines(&lines, 500);
    let report_path = world.path("lines.jsonl.report.jsonl");
    let args = [
        "book-many",
        "--team",
        TEAM,
        lines.to_str().unwrap(),
        "--concurrency",
        "4",
    ];

    // A crash: SIGKILL at ~150 bookings. Requests in flight may or may not have committed.
    let mut child = spawn_until(&world, &args, 150);
    child.kill().unwrap();
    child.wait().unwrap();
    // Every request the killed run sent is handled once its connection has closed: from then
    // on the ledger cannot change (no guess at how long a late commit may take).
    let deadline = Instant::now() + Duration::from_secs(30);
    while world.sandbox.open_connections() > 0 {
        assert!(
            Instant::now() < deadline,
            "connections stay open after the kill"
        );
        std::thread::sleep(Duration::from_millis(1));
    }
    let after_kill = world.total("create_and_book_shipment");
    assert!((150..500).contains(&after_kill), "{after_kill}");

    // A Ctrl-C at ~300: in-flight lines finish, the report is written, exit 130.
    let child = spawn_until(&world, &args, 300);
    let sigint = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(sigint.success());
    let output = child.wait_with_output().unwrap();
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(130), "{stderr}");
    assert!(stderr.contains("interrupted"), "{stderr}");
    let after_interrupt = world.total("create_and_book_shipment");
    assert!((300..500).contains(&after_interrupt), "{after_interrupt}");
    let report = read_report(&report_path);
    assert_eq!(report.len(), 500, "one report line per input line");
    // What the killed run's journal shows booked is skipped without a request; what was in
    // flight at the kill comes back as a replay if it had committed.
    let from_journal = count(&report, "via", json!("journal"));
    let replayed = count(&report, "replayed", json!(true));
    assert!(
        from_journal + 4 >= after_kill as usize,
        "{from_journal} of {after_kill}"
    );
    assert!(from_journal + replayed <= after_kill as usize);
    assert_eq!(
        count(&report, "status", json!("booked")),
        after_interrupt as usize
    );
    assert_eq!(
        count(&report, "status", json!("skipped")),
        500 - after_interrupt as usize
    );

    // The re-run books the rest, and sends nothing for what the journal shows booked.
    let (code, _, stderr) = run(world.smartsend(&args));
    assert_eq!(code, Some(0), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "500 booked (0 replayed, {after_interrupt} from the journal, 0 found by reference), \
             0 failed, 0 unknown, 0 conflict, 0 invalid"
        )),
        "{stderr}"
    );
    assert_eq!(world.total("create_and_book_shipment"), 500);
    let report = read_report(&report_path);
    assert_eq!(report.len(), 500);
    assert_eq!(count(&report, "status", json!("booked")), 500);
    assert_eq!(
        count(&report, "via", json!("journal")),
        after_interrupt as usize
    );
    let lines: Vec<u64> = report.iter().map(|e| e["line"].as_u64().unwrap()).collect();
    assert_eq!(lines, (1..=500).collect::<Vec<u64>>(), "in line order");

    // Each reference has one shipment, and the ledger booked each shipment once.
    let references: BTreeSet<&str> = report
        .iter()
        .map(|e| e["reference"].as_str().unwrap())
        .collect();
    assert_eq!(references.len(), 500);
    let shipments: BTreeSet<String> = report
        .iter()
        .map(|e| e["shipment"].as_str().unwrap().to_owned())
        .collect();
    let ledger: BTreeMap<String, u64> = serde_json::from_value(
        world.sandbox.ledger().to_json()["smartsend"]["create_and_book_shipment"].clone(),
    )
    .unwrap();
    assert!(ledger.values().all(|n| *n == 1), "a shipment booked twice");
    assert_eq!(ledger.keys().cloned().collect::<BTreeSet<_>>(), shipments);
    assert!(
        report
            .iter()
            .all(|e| !e["tracking_codes"][0].as_str().unwrap().is_empty())
    );
}

#[test]
fn book_many_reports_bad_lines_and_books_the_good_ones() {
    let world = World::start("bad-input", SandboxConfig::default());

    let missing = world.path("nowhere.jsonl");
    let (code, _, stderr) =
        run(world.smartsend(&["book-many", "--team", TEAM, missing.to_str().unwrap()]));
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("nowhere.jsonl"), "{stderr}");

    let mut no_parties = shipment("Bad-4", 1);
    no_parties.as_object_mut().unwrap().remove("parties");
    let mut bad_weight = shipment("Bad-5", 1);
    bad_weight["parcels"][0]["gross_weight"] = json!("heavy");
    let file = world.path("mixed.jsonl");
    let content = [
        shipment("Good-1", 1).to_string(),
        "{\"currency\": \"DKK\",".to_owned(),
        String::new(),
        no_parties.to_string(),
        bad_weight.to_string(),
        shipment("Good-6", 1).to_string(),
    ]
    .join("\n");
    std::fs::write(&file, content).unwrap();
    let report_path = world.path("mixed-report.jsonl");
    let (code, _, stderr) = run(world.smartsend(&[
        "book-many",
        "--team",
        TEAM,
        file.to_str().unwrap(),
        "--report",
        report_path.to_str().unwrap(),
    ]));
    assert_eq!(code, Some(1), "{stderr}");
    for expected in [
        "line 2: not valid JSON",
        "line 4: not a ShipmentRequest: missing field `parties`",
        "line 5: parcels[0].gross_weight: invalid type: string \"heavy\"",
        "2 booked (0 replayed, 0 from the journal, 0 found by reference), 0 failed, 0 unknown, 0 conflict, 3 invalid",
    ] {
        assert!(stderr.contains(expected), "no {expected:?} in:\n{stderr}");
    }
    assert_eq!(world.total("create_and_book_shipment"), 2);
    let report = read_report(&report_path);
    let statuses: Vec<(u64, &str)> = report
        .iter()
        .map(|e| (e["line"].as_u64().unwrap(), e["status"].as_str().unwrap()))
        .collect();
    assert_eq!(
        statuses,
        [
            (1, "booked"),
            (2, "invalid"),
            (4, "invalid"),
            (5, "invalid"),
            (6, "booked")
        ]
    );
    assert_eq!(report[2]["reference"], "Bad-4");
    assert!(
        report[3]["error"]
            .as_str()
            .unwrap()
            .contains("parcels[0].gross_weight")
    );
}

#[test]
fn phygitals_ship_quotes_picks_a_rate_and_orders_with_the_address_as_written() {
    let world = World::start("ship", SandboxConfig::default());
    let url = world.sandbox.phygitals_url();
    let client = parcelkit::phygitals::Client::builder()
        .base_url(&url)
        .api_key(API_KEY)
        .build()
        .unwrap();
    let user = "collector-7";
    let bought = world.runtime.block_on(async {
        let packs = client.list_available_packs().send().await.unwrap();
        let pack = packs.iter().find(|p| p.in_stock && p.enable).unwrap();
        client
            .init_purchase()
            .body(
                parcelkit::phygitals::types::PurchaseInitRequest::builder()
                    .id(pack.id.clone())
                    .amount(2u64)
                    .user_id(user),
            )
            .send()
            .await
            .unwrap()
            .into_inner()
    });
    let items: Vec<String> = bought.nfts.iter().map(|n| n.id.clone()).collect();
    assert_eq!(items.len(), 2);

    let destination = world.path("dest.json");
    std::fs::write(
        &destination,
        json!({"name": "Emily Carter", "line1": "1450 Brickell Ave", "line2": "Apt 2304",
               "city": "Miami", "state": "FL", "postal_code": "33131", "country": "US",
               "phone": "+13055550142", "delivery_note": "Leave with the concierge"})
        .to_string(),
    )
    .unwrap();
    let ship = |extra: &[&str]| {
        let mut command = parcelkit();
        command
            .args([
                "phygitals",
                "--base-url",
                &url,
                "--api-key",
                API_KEY,
                "ship",
            ])
            .args(["--user", user, "--to", destination.to_str().unwrap()])
            .args(extra);
        run(&mut command)
    };

    // An item the user does not hold is caught before quoting.
    let (code, _, stderr) = ship(&["--items", "no-such-item"]);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains("no-such-item"), "{stderr}");

    let (code, stdout, stderr) = ship(&["--items", &items.join(","), "--rate", "priority"]);
    assert_eq!(code, Some(0), "{stderr}");
    let order: Value = serde_json::from_str(&stdout).expect("one JSON order on stdout");
    let order_id = order["order_id"].as_str().unwrap();
    assert!(order_id.starts_with("order_"), "{order}");
    assert_eq!(order["service"], "Priority Mail", "{order}");
    assert_eq!(order["items"].as_array().unwrap().len(), 2, "{order}");

    // The address reached the API as written: the key the spec does not list is kept.
    let raw: Value = world.runtime.block_on(async {
        reqwest::Client::new()
            .get(format!("{url}/api/v1/ship/order/{order_id}"))
            .header("x-api-key", API_KEY)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    });
    assert_eq!(
        raw["destination"]["delivery_note"], "Leave with the concierge",
        "{raw}"
    );

    // The items are locked in that order: shipping them again is refused, exit 1.
    let (code, _, stderr) = ship(&["--items", &items.join(",")]);
    assert_eq!(code, Some(1), "{stderr}");
}

/// A TCP relay in front of the sandbox that notes the `Idempotency-Key` of every request it
/// passes on: which bookings a run really sent, seen from outside both the CLI and the sandbox.
struct KeyTap {
    url: String,
    keys: Arc<Mutex<Vec<String>>>,
}

impl KeyTap {
    fn start(world: &World) -> KeyTap {
        let upstream = world.sandbox.addr();
        let keys = Arc::new(Mutex::new(Vec::new()));
        let listener = world
            .runtime
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .unwrap();
        let url = world.sandbox.smartsend_url().replace(
            &upstream.to_string(),
            &listener.local_addr().unwrap().to_string(),
        );
        let noted = keys.clone();
        world.runtime.spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let noted = noted.clone();
                tokio::spawn(async move {
                    let Ok(server) = tokio::net::TcpStream::connect(upstream).await else {
                        return;
                    };
                    let (mut from_client, mut to_server) =
                        (client.into_split(), server.into_split());
                    let upward = relay_noting_keys(&mut from_client.0, &mut to_server.1, noted);
                    let downward = tokio::io::copy(&mut to_server.0, &mut from_client.1);
                    // Either side closing ends the relay: a connection the sandbox drops is
                    // dropped for the client too.
                    tokio::select! {
                        _ = upward => {}
                        _ = downward => {}
                    }
                });
            }
        });
        KeyTap { url, keys }
    }

    /// The keys noted since the last call.
    fn take(&self) -> Vec<String> {
        std::mem::take(&mut *self.keys.lock().unwrap())
    }
}

async fn relay_noting_keys(
    from: &mut tokio::net::tcp::OwnedReadHalf,
    to: &mut tokio::net::tcp::OwnedWriteHalf,
    keys: Arc<Mutex<Vec<String>>>,
) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    const NAME: &[u8] = b"\r\nidempotency-key: ";
    let find =
        |haystack: &[u8], needle: &[u8]| haystack.windows(needle.len()).position(|w| w == needle);
    let mut seen: Vec<u8> = Vec::new();
    let mut chunk = vec![0u8; 16 * 1024];
    loop {
        let n = match from.read(&mut chunk).await {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        if to.write_all(&chunk[..n]).await.is_err() {
            break;
        }
        seen.extend_from_slice(&chunk[..n]);
        while let Some(start) = find(&seen, NAME) {
            let value = start + NAME.len();
            let Some(length) = find(&seen[value..], b"\r\n") else {
                break;
            };
            let key = String::from_utf8_lossy(&seen[value..value + length]).into_owned();
            keys.lock().unwrap().push(key);
            seen.drain(..value + length);
        }
        // Keep only what could be the start of a header split across reads.
        if seen.len() > 512 {
            seen.drain(..seen.len() - 512);
        }
    }
    let _ = to.shutdown().await;
}

/// The team's shipments by reference, read with retries enough to get through the faults.
fn shipments_by_reference(world: &World) -> BTreeMap<String, Vec<String>> {
    use futures_util::TryStreamExt;
    use parcelkit::smartsend::Paginate;
    let client = parcelkit::smartsend::Client::builder()
        .base_url(world.sandbox.smartsend_url())
        .token(SandboxConfig::DEFAULT_TOKEN)
        .team(TEAM)
        .clock(Arc::new(parcelkit::runtime::ManualClock::new()))
        .retry_policy(
            parcelkit::RetryPolicy::default()
                .with_max_attempts(40)
                .with_deadline(None),
        )
        .build()
        .unwrap();
    let shipments: Vec<parcelkit::smartsend::types::Shipment> = world
        .runtime
        .block_on(
            client
                .list_shipments()
                .per_page(1000)
                .stream()
                .try_collect(),
        )
        .unwrap();
    let mut by_reference: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for shipment in shipments {
        by_reference
            .entry(shipment.reference.clone().unwrap_or_default())
            .or_default()
            .push(shipment.uuid.to_string());
    }
    by_reference
}

/// Every line a report marks `failed` has no shipment: failed means not booked.
fn assert_failed_lines_not_booked(report: &[Value], shipments: &BTreeMap<String, Vec<String>>) {
    for entry in report.iter().filter(|e| e["status"] == "failed") {
        let reference = entry["reference"].as_str().unwrap();
        assert!(
            !shipments.contains_key(reference),
            "{reference} is reported failed but was booked: {entry}"
        );
    }
}

/// The reference a derived key was made from (`Bulk-0001_<digest>`).
fn reference_of(key: &str) -> &str {
    key.rsplit_once('_').map_or(key, |(reference, _)| reference)
}

#[test]
fn book_many_at_30_percent_faults_books_each_line_once_across_a_kill_and_a_day() {
    const LINES: usize = 2000;
    let world = World::start(
        "journal",
        SandboxConfig {
            faults: "drop-after-commit=0.1,unavailable=0.1,error-before=0.1"
                .parse::<Faults>()
                .unwrap(),
            ..SandboxConfig::default()
        },
    );
    let tap = KeyTap::start(&world);
    let lines = world.path("orders.jsonl");
    write_lines(&lines, LINES);
    let report_path = world.path("orders.jsonl.report.jsonl");
    let book_many = |extra: &[&str]| {
        let mut command = parcelkit();
        command
            .args(["smartsend", "--base-url", &tap.url])
            .args(["--token", SandboxConfig::DEFAULT_TOKEN])
            .args(["book-many", "--team", TEAM, lines.to_str().unwrap()])
            .args(["--concurrency", "32"])
            .args(extra);
        command
    };
    let quiet = |world: &World| {
        let deadline = Instant::now() + Duration::from_secs(30);
        while world.sandbox.open_connections() > 0 {
            assert!(Instant::now() < deadline, "connections stay open");
            std::thread::sleep(Duration::from_millis(1));
        }
    };

    // 1. Killed halfway (SIGKILL: no chance to write anything more).
    let mut child = book_many(&[])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(120);
    while world.total("create_and_book_shipment") < (LINES / 2) as u64 {
        assert!(Instant::now() < deadline, "no progress");
        assert!(child.try_wait().unwrap().is_none(), "ended before the kill");
        std::thread::sleep(Duration::from_millis(2));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    quiet(&world);
    tap.take();

    // 2. A re-run that gives up after one attempt per line, so it leaves outcomes unknown (a
    //    503 or a dropped connection) for the run after the keys have expired.
    let (code, _, stderr) = run(book_many(&["--max-attempts", "1"]));
    assert_eq!(code, Some(1), "{stderr}");
    let report = read_report(&report_path);
    assert_eq!(report.len(), LINES);
    let shipments = shipments_by_reference(&world);
    assert_failed_lines_not_booked(&report, &shipments);
    let unknown = count(&report, "status", json!("unknown"));
    assert!(unknown > 0, "{stderr}");
    let booked_before: BTreeSet<String> = report
        .iter()
        .filter(|e| e["status"] == "booked")
        .map(|e| e["reference"].as_str().unwrap().to_owned())
        .collect();
    // Nothing the killed run's journal shows booked was sent again.
    let sent: BTreeSet<String> = tap
        .take()
        .iter()
        .map(|k| reference_of(k).to_owned())
        .collect();
    for entry in report.iter().filter(|e| e["via"] == "journal") {
        assert!(!sent.contains(entry["reference"].as_str().unwrap()));
    }
    quiet(&world);

    // 3. A day later the sandbox has forgotten every key: unknown lines are looked up by
    //    reference, and only what is not booked is sent.
    world.sandbox.clock().advance(chrono::Duration::hours(25));
    let (code, _, stderr) = run(book_many(&[]));
    assert_eq!(code, Some(0), "{stderr}");
    let report = read_report(&report_path);
    assert_eq!(count(&report, "status", json!("booked")), LINES, "{stderr}");
    let sent: BTreeSet<String> = tap
        .take()
        .iter()
        .map(|k| reference_of(k).to_owned())
        .collect();
    let overlap: Vec<&String> = sent.intersection(&booked_before).collect();
    assert!(overlap.is_empty(), "booked lines sent again: {overlap:?}");
    assert!(sent.len() <= LINES - booked_before.len());
    assert!(count(&report, "via", json!("lookup")) > 0, "{stderr}");

    // Exactly one shipment per line, each booked once.
    let shipments = shipments_by_reference(&world);
    assert_eq!(shipments.len(), LINES);
    let duplicates: Vec<_> = shipments.iter().filter(|(_, s)| s.len() > 1).collect();
    assert!(duplicates.is_empty(), "{duplicates:?}");
    let ledger: BTreeMap<String, u64> = serde_json::from_value(
        world.sandbox.ledger().to_json()["smartsend"]["create_and_book_shipment"].clone(),
    )
    .unwrap();
    assert_eq!(ledger.len(), LINES);
    assert!(ledger.values().all(|n| *n == 1));
}

#[test]
fn book_many_reports_a_line_changed_since_it_was_booked_as_a_conflict_and_sends_nothing() {
    let world = World::start("conflict", SandboxConfig::default());
    let tap = KeyTap::start(&world);
    let lines = world.path("orders.jsonl");
    write_lines(&lines, 3);
    let book_many = || {
        let mut command = parcelkit();
        command
            .args(["smartsend", "--base-url", &tap.url])
            .args(["--token", SandboxConfig::DEFAULT_TOKEN])
            .args(["book-many", "--team", TEAM, lines.to_str().unwrap()]);
        command
    };
    let (code, _, stderr) = run(book_many());
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(tap.take().len(), 3);
    let first = read_report(&world.path("orders.jsonl.report.jsonl"));

    // Line 2 now asks for two parcels: booking it again would make a second shipment.
    let text = std::fs::read_to_string(&lines).unwrap();
    let mut changed: Vec<String> = text.lines().map(str::to_owned).collect();
    changed[1] = shipment("Bulk-0002", 2).to_string();
    std::fs::write(&lines, changed.join("\n")).unwrap();
    let (code, _, stderr) = run(book_many());
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains("line 2 (Bulk-0002) conflict: booked on "),
        "{stderr}"
    );
    assert!(
        stderr.contains("2 booked (0 replayed, 2 from the journal"),
        "{stderr}"
    );
    assert!(tap.take().is_empty(), "nothing is sent");
    assert_eq!(world.total("create_and_book_shipment"), 3);
    let report = read_report(&world.path("orders.jsonl.report.jsonl"));
    assert_eq!(report[1]["status"], "conflict");
    assert_eq!(
        report[1]["shipment"], first[1]["shipment"],
        "the shipment it was booked as"
    );

    // A journal damaged before its last line is refused before anything is sent.
    let journal = world.path("orders.jsonl.journal.jsonl");
    let mut damaged = std::fs::read_to_string(&journal).unwrap();
    damaged.insert_str(0, "{\"not\": \"a record\"}\n");
    std::fs::write(&journal, damaged).unwrap();
    let (code, _, stderr) = run(book_many());
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("is damaged at line 1"), "{stderr}");
    assert!(tap.take().is_empty());
}

#[test]
fn book_many_with_a_wrong_token_stops_before_booking_anything() {
    let world = World::start("wrong-token", SandboxConfig::default());
    let lines = world.path("orders.jsonl");
    write_lines(&lines, 5);
    let (code, _, stderr) = run(parcelkit()
        .args(["smartsend", "--base-url", &world.sandbox.smartsend_url()])
        .args(["--token", "not-the-token"])
        .args(["book-many", "--team", TEAM, lines.to_str().unwrap()]));
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains("cannot start (nothing was sent)"),
        "{stderr}"
    );
    assert!(stderr.contains("401"), "{stderr}");
    assert_eq!(world.total("create_and_book_shipment"), 0);
}
