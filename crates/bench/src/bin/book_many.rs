//! `parcelkit smartsend book-many` measured as its users run it: the release binary against the
//! in-process sandbox.
//!
//! - `throughput [rounds] [lines] [concurrency]`: fault-free, book-many's wall time for a file
//!   against two hand-written loops that POST the same lines to create-and-book (reqwest, a key
//!   per line, `concurrency` at a time), one decoding each answer into the generated
//!   `ShipmentEnvelope` (as a loop that learns the shipment must), one dropping it. Each round
//!   runs the three on a fresh sandbox, starting with another side; the medians of book-many's
//!   per-round ratios to each loop are reported.
//! - `faults [lines] [concurrency...]`: a file at 30 % faults (`drop-after-commit=0.1,
//!   unavailable=0.1,error-before=0.1`), one run per concurrency on a fresh sandbox; then the
//!   report is checked against the sandbox's shipments: wall time, shipments/s, and the lines
//!   the report got wrong (`booked` without exactly one shipment, `failed` with one).
//!
//! ```sh
//! cargo build --release -p parcelkit-cli
//! cargo run --release -p parcelkit-bench --bin book_many -- throughput 5 10000 8
//! cargo run --release -p parcelkit-bench --bin book_many -- faults 10000 8 64
//! ```

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use futures_util::{StreamExt, TryStreamExt, stream};
use parcelkit::smartsend::{self, Paginate};
use parcelkit_bench::{median, start_sandbox};
use parcelkit_sandbox::{Faults, SandboxConfig};

type Result<T, E = Box<dyn std::error::Error + Send + Sync>> = std::result::Result<T, E>;

const TOKEN: &str = SandboxConfig::DEFAULT_TOKEN;
const TEAM: &str = SandboxConfig::DEFAULT_TEAM;
const FAULTS: &str = "drop-after-commit=0.1,unavailable=0.1,error-before=0.1";

/// The `parcelkit` binary built beside this one.
fn cli_binary() -> Result<PathBuf> {
    let binary = std::env::current_exe()?
        .parent()
        .ok_or("no directory")?
        .join(format!("parcelkit{}", std::env::consts::EXE_SUFFIX));
    if !binary.exists() {
        return Err(format!(
            "{} is missing: build it first (cargo build --release -p parcelkit-cli)",
            binary.display()
        )
        .into());
    }
    Ok(binary)
}

/// A shipment request line with `reference`.
fn line(reference: &str) -> String {
    serde_json::json!({
        "reference": reference,
        "currency": "DKK",
        "delivery": {"carrier": "postnord", "service": "home"},
        "parties": {"receiver": {
            "address": {"address_lines": ["Vestergade 12"], "postal_code": "8000", "city": "Aarhus", "country": "DK"},
            "contact": {"name_lines": ["Jane Doe"], "email": "jane@example.com"}
        }},
        "parcels": [{"gross_weight": 1250}]
    })
    .to_string()
}

/// Writes `lines` lines with references `<prefix>-<n>` to a fresh file in `dir`.
fn write_file(dir: &Path, prefix: &str, lines: usize) -> Result<(PathBuf, Vec<String>)> {
    let path = dir.join(format!("{prefix}.jsonl"));
    let text: Vec<String> = (1..=lines)
        .map(|n| line(&format!("{prefix}-{n:05}")))
        .collect();
    std::fs::write(&path, text.join("\n") + "\n")?;
    Ok((path, text))
}

/// Runs book-many on `file`; its wall time and stderr's summary line.
fn run_cli(base: &str, file: &Path, concurrency: usize) -> Result<(Duration, String)> {
    let started = Instant::now();
    let output = Command::new(cli_binary()?)
        .args(["smartsend", "--base-url", base, "--token", TOKEN])
        .args(["book-many", "--team", TEAM])
        .arg(file)
        .args(["--concurrency", &concurrency.to_string()])
        .output()?;
    let elapsed = started.elapsed();
    let stderr = String::from_utf8_lossy(&output.stderr);
    let summary = stderr
        .lines()
        .find(|l| l.starts_with("book-many "))
        .unwrap_or_default()
        .to_owned();
    if output.status.code() != Some(0) && summary.is_empty() {
        return Err(format!("book-many failed: {stderr}").into());
    }
    Ok((elapsed, summary))
}

/// The hand-written baseline: each line POSTed as written, with a key, `concurrency` at a time;
/// each answer decoded into the generated `ShipmentEnvelope` when `decode` (what a loop that
/// learns the shipment does), or read and dropped.
async fn run_raw(
    http: &reqwest::Client,
    base: &str,
    lines: &[String],
    concurrency: usize,
    decode: bool,
) -> Result<Duration> {
    let url = format!("{base}/team/{TEAM}/shipments/booking");
    let started = Instant::now();
    stream::iter(lines)
        .map(|body| {
            let request = http
                .post(&url)
                .bearer_auth(TOKEN)
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .header("Idempotency-Key", uuid::Uuid::new_v4().to_string())
                .body(body.clone());
            async move {
                let response = request.send().await?.error_for_status()?;
                // What any loop reads to know the outcome (the shipment and its tracking code).
                let bytes = response.bytes().await?;
                if decode {
                    serde_json::from_slice::<smartsend::types::ShipmentEnvelope>(&bytes)?;
                }
                Ok::<(), Box<dyn std::error::Error + Send + Sync>>(())
            }
        })
        .buffer_unordered(concurrency)
        .try_for_each(|()| async { Ok(()) })
        .await?;
    Ok(started.elapsed())
}

fn throughput(args: &[String]) -> Result<()> {
    let rounds: usize = args.first().map(|a| a.parse()).transpose()?.unwrap_or(5);
    let lines: usize = args
        .get(1)
        .map(|a| a.parse())
        .transpose()?
        .unwrap_or(10_000);
    let concurrency: usize = args.get(2).map(|a| a.parse()).transpose()?.unwrap_or(8);
    cli_binary()?;
    let dir = std::env::temp_dir().join(format!("parcelkit-book-many-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()?;

    println!("book-many (release binary) vs a hand-written POST loop, against the sandbox");
    println!(
        "{rounds} interleaved rounds of {lines} lines at concurrency {concurrency}; medians\n"
    );
    // Per side: lines/s of each round, and book-many's ratio to it.
    let mut rates: [Vec<f64>; 3] = Default::default();
    let mut ratios: [Vec<f64>; 2] = Default::default();
    for round in 0..=rounds {
        // A fresh sandbox per round, so no round pays for an earlier one's shipments.
        let base = start_sandbox(SandboxConfig::default());
        let (file, _) = write_file(&dir, &format!("cli{round}"), lines)?;
        let (_, decoded) = write_file(&dir, &format!("decoded{round}"), lines)?;
        let (_, dropped) = write_file(&dir, &format!("dropped{round}"), lines)?;
        let mut took = [Duration::ZERO; 3];
        // Each round starts with another side.
        for step in 0..3 {
            let side = (round + step) % 3;
            took[side] = match side {
                0 => run_cli(&base, &file, concurrency)?.0,
                1 => runtime.block_on(run_raw(&http, &base, &decoded, concurrency, true))?,
                _ => runtime.block_on(run_raw(&http, &base, &dropped, concurrency, false))?,
            };
        }
        eprintln!(
            "round {round}: book-many {:.2} s, loop decoding {:.2} s, loop dropping {:.2} s",
            took[0].as_secs_f64(),
            took[1].as_secs_f64(),
            took[2].as_secs_f64()
        );
        // Round 0 warms up connections, caches and the page cache.
        if round > 0 {
            let rate = |d: Duration| lines as f64 / d.as_secs_f64();
            for side in 0..3 {
                rates[side].push(rate(took[side]));
            }
            ratios[0].push(rate(took[0]) / rate(took[1]));
            ratios[1].push(rate(took[0]) / rate(took[2]));
        }
    }
    println!(
        "| concurrency | book-many lines/s | loop decoding answers | ratio | loop dropping answers | ratio |"
    );
    println!("|---:|---:|---:|---:|---:|---:|");
    let [ours, decoding, dropping] = &mut rates;
    let [vs_decoding, vs_dropping] = &mut ratios;
    println!(
        "| {concurrency} | {:.0} | {:.0} | {:.2}x | {:.0} | {:.2}x |",
        median(ours),
        median(decoding),
        median(vs_decoding),
        median(dropping),
        median(vs_dropping)
    );
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

fn faults(args: &[String]) -> Result<()> {
    let lines: usize = args
        .first()
        .map(|a| a.parse())
        .transpose()?
        .unwrap_or(10_000);
    let concurrencies: Vec<usize> = match args.get(1..) {
        Some(rest) if !rest.is_empty() => {
            rest.iter().map(|a| a.parse()).collect::<Result<_, _>>()?
        }
        _ => vec![8, 64],
    };
    cli_binary()?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    println!("book-many at 30 % faults ({FAULTS}), {lines} lines, one run each\n");
    println!(
        "| concurrency | wall time | shipments/s | booked | failed | unknown | wrong report lines | duplicates |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|");
    let mut summaries = Vec::new();
    for concurrency in concurrencies {
        let base = start_sandbox(SandboxConfig {
            faults: FAULTS.parse::<Faults>()?,
            ..SandboxConfig::default()
        });
        let dir = std::env::temp_dir().join(format!(
            "parcelkit-book-many-faults-{}-{concurrency}",
            std::process::id()
        ));
        std::fs::create_dir_all(&dir)?;
        let (file, _) = write_file(&dir, "orders", lines)?;
        let (elapsed, summary) = run_cli(&base, &file, concurrency)?;
        summaries.push(summary);

        // What the sandbox holds, read through the faults with a generous retry budget.
        let client = smartsend::Client::builder()
            .base_url(&base)
            .token(TOKEN)
            .team(TEAM)
            .retry_policy(
                parcelkit::RetryPolicy::default()
                    .with_max_attempts(40)
                    .with_base_delay(Duration::from_millis(10))
                    .with_deadline(None),
            )
            .build()?;
        let shipments: Vec<smartsend::types::Shipment> = runtime.block_on(
            client
                .list_shipments()
                .per_page(1000)
                .stream()
                .try_collect(),
        )?;
        let mut held: HashMap<String, usize> = HashMap::new();
        for shipment in &shipments {
            *held
                .entry(shipment.reference.clone().unwrap_or_default())
                .or_default() += 1;
        }
        let report = std::fs::read_to_string(dir.join("orders.jsonl.report.jsonl"))?;
        let (mut booked, mut failed, mut unknown, mut wrong) = (0, 0, 0, 0);
        for entry in report.lines() {
            let entry: serde_json::Value = serde_json::from_str(entry)?;
            let reference = entry["reference"].as_str().unwrap_or_default();
            let count = held.get(reference).copied().unwrap_or(0);
            match entry["status"].as_str() {
                Some("booked") => {
                    booked += 1;
                    wrong += usize::from(count != 1);
                }
                Some("failed") => {
                    failed += 1;
                    wrong += usize::from(count != 0);
                }
                Some("unknown") => unknown += 1,
                _ => wrong += 1,
            }
        }
        let duplicates = held.values().filter(|n| **n > 1).count();
        println!(
            "| {concurrency} | {:.1} s | {:.0} | {booked} | {failed} | {unknown} | {wrong} | {duplicates} |",
            elapsed.as_secs_f64(),
            booked as f64 / elapsed.as_secs_f64()
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
    println!();
    for summary in summaries {
        println!("{summary}");
    }
    Ok(())
}

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("throughput") => throughput(&args[1..]),
        Some("faults") => faults(&args[1..]),
        _ => Err(
            "usage: book_many throughput [rounds] [lines] [concurrency] | \
                  faults [lines] [concurrency...]"
                .into(),
        ),
    }
}
