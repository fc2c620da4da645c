//! `parcelkit smartsend book-many TEAM shipments.jsonl`: create and book every shipment of a
//! JSONL file, a bounded number at a time, safely re-runnable.
//!
//! Each line is a `ShipmentRequest` JSON object with a `reference` (blank lines are skipped).
//! Its Idempotency-Key is derived from the reference and the line's JSON
//! (`IdempotencyKey::derive(reference, &line)`), so running the same file again, after a crash,
//! a kill or a Ctrl-C, books nothing twice: lines the server already booked are replayed
//! (`replayed: true` in the report) and only the rest are booked.
//!
//! Invalid lines (not JSON, not a valid `ShipmentRequest`, no `reference`, or a reference used by
//! an earlier line) are reported with their line number and field, and the valid lines still
//! go through. The report (`--report`, default `<FILE>.report.jsonl`) has one JSON line per input
//! line: `{line, reference, status, shipment, tracking_codes, replayed, request_id, error}` with
//! `status` one of `booked`, `failed`, `invalid`, or `skipped` (not started because of Ctrl-C).
//! It is appended to as lines finish (so a killed run leaves what it knew) and rewritten in line
//! order at the end.
//!
//! Exit codes: 0 when every line was booked; 1 when any line failed or was invalid; 2 when the
//! file cannot be read; 130 after Ctrl-C (in-flight bookings are finished and reported first; a
//! second Ctrl-C stops at once).

use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};
use parcelkit::smartsend::types;
use parcelkit::{IdempotencyKey, ResponseMeta};
use serde::Serialize;
use serde_json::Value;
use tokio::task::JoinSet;

use super::{progress_target, tracking_codes};
use crate::Failure;

/// Flags of `parcelkit smartsend book-many`.
#[derive(Debug, clap::Args)]
pub struct BookManyArgs {
    /// The team (its id).
    team: String,
    /// The shipments: one ShipmentRequest JSON object per line, each with a unique `reference`.
    file: PathBuf,
    /// How many bookings are in flight at once.
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=1024))]
    concurrency: u16,
    /// Where to write the report (JSONL, one line per input line) [default: <FILE>.report.jsonl].
    #[arg(long, value_name = "FILE")]
    report: Option<PathBuf>,
}

/// How one input line ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
enum Status {
    /// Booked now, or earlier (then `replayed`).
    Booked,
    /// The API refused or could not be reached (after the client's retries).
    Failed,
    /// The line is not a valid shipment; nothing was sent.
    Invalid,
    /// Not started: the run was interrupted first.
    Skipped,
}

/// One line of the report.
#[derive(Debug, Clone, Serialize)]
struct Entry {
    line: usize,
    reference: Option<String>,
    status: Status,
    shipment: Option<uuid::Uuid>,
    tracking_codes: Vec<String>,
    replayed: bool,
    request_id: Option<String>,
    error: Option<String>,
}

impl Entry {
    fn new(line: usize, reference: Option<String>, status: Status, error: Option<String>) -> Self {
        Entry {
            line,
            reference,
            status,
            shipment: None,
            tracking_codes: Vec::new(),
            replayed: false,
            request_id: None,
            error,
        }
    }
}

/// A valid line, ready to send.
struct Job {
    line: usize,
    reference: String,
    request: types::ShipmentRequest,
    key: IdempotencyKey,
}

/// Failures printed on stderr as they happen; the rest are only in the report.
const SHOWN_PROBLEMS: usize = 20;

/// Runs `parcelkit smartsend book-many`.
pub async fn run(
    args: BookManyArgs,
    client: &parcelkit::smartsend::Client,
    verbose: bool,
) -> Result<(), Failure> {
    let started = Instant::now();
    let text = std::fs::read_to_string(&args.file)
        .map_err(|e| Failure::Usage(format!("cannot read {}: {e}", args.file.display())))?;
    let report_path = args.report.clone().unwrap_or_else(|| {
        let mut name = args.file.clone().into_os_string();
        name.push(".report.jsonl");
        PathBuf::from(name)
    });
    if report_path == args.file {
        return Err(Failure::Usage(format!(
            "the report would overwrite the input {}: pass another --report",
            args.file.display()
        )));
    }
    let mut report = Report::create(&report_path)?;

    let (jobs, invalid) = parse(&text);
    let mut tally = Tally::default();
    for entry in &invalid {
        tally.problem(entry, verbose, None);
        report.append(entry)?;
    }

    let bar = ProgressBar::with_draw_target(Some(jobs.len() as u64), progress_target());
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] {wide_bar} {pos}/{len} {per_sec} ETA {eta} {msg}",
        )
        .expect("a valid template"),
    );
    bar.enable_steady_tick(Duration::from_millis(200));

    // Ctrl-C goes to a channel: the first stops new bookings, a second stops waiting.
    let (signal_tx, mut signals) = tokio::sync::mpsc::unbounded_channel();
    let listener = tokio::spawn(async move {
        while tokio::signal::ctrl_c().await.is_ok() {
            if signal_tx.send(()).is_err() {
                break;
            }
        }
    });

    let concurrency = usize::from(args.concurrency);
    let mut pending = jobs.into_iter();
    let mut running: JoinSet<Entry> = JoinSet::new();
    let mut in_flight: BTreeMap<usize, String> = BTreeMap::new();
    let mut interrupted = false;
    let mut abandoned = false;
    loop {
        while !interrupted && running.len() < concurrency {
            let Some(job) = pending.next() else { break };
            in_flight.insert(job.line, job.reference.clone());
            running.spawn(book_one(client.clone(), args.team.clone(), job));
        }
        if running.is_empty() {
            break;
        }
        tokio::select! {
            joined = running.join_next() => {
                let entry = match joined {
                    Some(Ok(entry)) => entry,
                    Some(Err(e)) => return Err(Failure::Api(format!("a booking task failed: {e}"))),
                    None => break,
                };
                in_flight.remove(&entry.line);
                bar.inc(1);
                tally.record(&entry, verbose, &bar);
                if tally.failed > 0 {
                    bar.set_message(format!("{} failed", tally.failed));
                }
                report.append(&entry)?;
            }
            Some(()) = signals.recv() => {
                if interrupted {
                    abandoned = true;
                    break;
                }
                interrupted = true;
                bar.suspend(|| eprintln!(
                    "parcelkit: interrupted: finishing {} booking(s) in flight, not starting the \
                     other {} (Ctrl-C again to stop waiting)",
                    running.len(),
                    pending.len()
                ));
            }
        }
    }
    listener.abort();
    bar.finish_and_clear();

    // Lines whose outcome is unknown (abandoned in flight) or that never started.
    for (line, reference) in in_flight {
        let entry = Entry::new(
            line,
            Some(reference),
            Status::Failed,
            Some(
                "interrupted while in flight: it may have been booked; run the file again to \
                  find out (a booking made is replayed, not repeated)"
                    .into(),
            ),
        );
        tally.record(&entry, verbose, &bar);
        report.append(&entry)?;
    }
    for job in pending {
        let entry = Entry::new(
            job.line,
            Some(job.reference),
            Status::Skipped,
            Some("not started: interrupted".into()),
        );
        tally.skipped += 1;
        report.append(&entry)?;
    }
    report.finish()?;

    let elapsed = started.elapsed();
    eprintln!("{}", tally.summary(&args.file, elapsed));
    eprintln!("report: {}", report_path.display());
    if interrupted || abandoned {
        return Err(Failure::Interrupted);
    }
    if tally.failed + tally.invalid > 0 {
        return Err(Failure::Api(format!(
            "{} line(s) failed, {} invalid; see {}",
            tally.failed,
            tally.invalid,
            report_path.display()
        )));
    }
    Ok(())
}

/// Splits the file into jobs and invalid lines (line numbers are 1-based, blank lines skipped).
fn parse(text: &str) -> (Vec<Job>, Vec<Entry>) {
    let mut jobs = Vec::new();
    let mut invalid = Vec::new();
    let mut first_line_of: HashMap<String, usize> = HashMap::new();
    for (index, raw) in text.lines().enumerate() {
        let line = index + 1;
        if raw.trim().is_empty() {
            continue;
        }
        match parse_line(raw) {
            Ok((reference, request, value)) => {
                if let Some(first) = first_line_of.get(&reference) {
                    invalid.push(Entry::new(
                        line,
                        Some(reference),
                        Status::Invalid,
                        Some(format!(
                            "line {line}: reference: already used on line {first}; each line \
                             needs its own (the idempotency key is derived from it)"
                        )),
                    ));
                    continue;
                }
                first_line_of.insert(reference.clone(), line);
                // Hash the line as written, so the key does not depend on how this version of
                // parcelkit serializes the typed request.
                match IdempotencyKey::derive(&reference, &value) {
                    Ok(key) => jobs.push(Job {
                        line,
                        reference,
                        request,
                        key,
                    }),
                    Err(e) => invalid.push(Entry::new(
                        line,
                        Some(reference),
                        Status::Invalid,
                        Some(format!("line {line}: {e}")),
                    )),
                }
            }
            Err((reference, error)) => invalid.push(Entry::new(
                line,
                reference,
                Status::Invalid,
                Some(format!("line {line}: {error}")),
            )),
        }
    }
    (jobs, invalid)
}

/// One line: its reference, the typed request and the JSON as written; or what is wrong with
/// it (naming the field), with the reference when one could be read.
#[allow(clippy::type_complexity)]
fn parse_line(
    raw: &str,
) -> Result<(String, types::ShipmentRequest, Value), (Option<String>, String)> {
    let value: Value =
        serde_json::from_str(raw).map_err(|e| (None, format!("not valid JSON: {e}")))?;
    let reference = value
        .get("reference")
        .and_then(Value::as_str)
        .map(str::to_owned);
    let request: types::ShipmentRequest =
        serde_path_to_error::deserialize(&value).map_err(|e| {
            let path = e.path().to_string();
            let error = if path == "." {
                format!("not a ShipmentRequest: {}", e.inner())
            } else {
                format!("{path}: {}", e.inner())
            };
            (reference.clone(), error)
        })?;
    match reference {
        Some(reference) if !reference.trim().is_empty() => Ok((reference, request, value)),
        _ => Err((
            None,
            "reference: missing or empty; each line needs a unique reference (the idempotency \
             key is derived from it)"
                .into(),
        )),
    }
}

/// Creates and books one shipment (synchronously: no `Prefer`), with the client's retries:
/// transport errors and 409 (key in flight) are retried with the same key.
async fn book_one(client: parcelkit::smartsend::Client, team: String, job: Job) -> Entry {
    let mut entry = Entry::new(job.line, Some(job.reference), Status::Failed, None);
    let result = client
        .create_and_book_shipment()
        .team(team.as_str())
        .body(job.request)
        .idempotency_key(job.key)
        .send()
        .await;
    let response = match result {
        Ok(response) => response,
        Err(e) => {
            entry.request_id = e.request_id().map(str::to_owned);
            entry.error = Some(e.to_string());
            return entry;
        }
    };
    entry.replayed = response.replayed();
    entry.request_id = response.request_id().map(str::to_owned);
    let shipment = response.into_inner().data;
    entry.shipment = Some(shipment.uuid);
    entry.tracking_codes = tracking_codes(&shipment);
    if shipment.state == types::ShipmentState::Booked {
        entry.status = Status::Booked;
    } else {
        entry.error = Some(format!(
            "created, but the shipment is {} rather than booked",
            shipment.state
        ));
    }
    entry
}

/// Counts, and the first few problems on stderr.
#[derive(Debug, Default)]
struct Tally {
    booked: usize,
    replayed: usize,
    failed: usize,
    invalid: usize,
    skipped: usize,
    shown: usize,
}

impl Tally {
    fn record(&mut self, entry: &Entry, verbose: bool, bar: &ProgressBar) {
        match entry.status {
            Status::Booked => {
                self.booked += 1;
                self.replayed += usize::from(entry.replayed);
            }
            Status::Skipped => self.skipped += 1,
            Status::Failed | Status::Invalid => self.problem(entry, verbose, Some(bar)),
        }
    }

    fn problem(&mut self, entry: &Entry, verbose: bool, bar: Option<&ProgressBar>) {
        match entry.status {
            Status::Invalid => self.invalid += 1,
            _ => self.failed += 1,
        }
        self.shown += 1;
        if !verbose && self.shown > SHOWN_PROBLEMS {
            return;
        }
        let message = match entry.status {
            // An invalid line's error starts with its line number already.
            Status::Invalid => format!(
                "parcelkit: invalid {}",
                entry.error.as_deref().unwrap_or("")
            ),
            _ => format!(
                "parcelkit: line {} ({}): {}",
                entry.line,
                entry.reference.as_deref().unwrap_or("-"),
                entry.error.as_deref().unwrap_or("")
            ),
        };
        let print = || {
            eprintln!("{message}");
            if !verbose && self.shown == SHOWN_PROBLEMS {
                eprintln!("parcelkit: (further problems only in the report)");
            }
        };
        match bar {
            Some(bar) => bar.suspend(print),
            None => print(),
        }
    }

    fn summary(&self, file: &Path, elapsed: Duration) -> String {
        let seconds = elapsed.as_secs_f64();
        let sent = self.booked + self.failed;
        // A rate over less than a second says more about the clock than the run (three lines
        // in 3 ms read "1024 shipments/s").
        let rate = if seconds >= 1.0 {
            format!(", {:.0} shipments/s", sent as f64 / seconds)
        } else {
            String::new()
        };
        format!(
            "book-many {}: {} booked ({} replayed), {} failed, {} invalid, {} skipped; \
             {seconds:.1} s{rate}",
            file.display(),
            self.booked,
            self.replayed,
            self.failed,
            self.invalid,
            self.skipped
        )
    }
}

/// The report file: appended to as lines finish, rewritten in line order at the end.
struct Report {
    path: PathBuf,
    file: std::io::BufWriter<std::fs::File>,
    entries: Vec<Entry>,
}

impl Report {
    fn create(path: &Path) -> Result<Report, Failure> {
        let file = std::fs::File::create(path)
            .map_err(|e| Failure::Usage(format!("cannot write {}: {e}", path.display())))?;
        Ok(Report {
            path: path.to_owned(),
            file: std::io::BufWriter::new(file),
            entries: Vec::new(),
        })
    }

    fn failed(&self, e: std::io::Error) -> Failure {
        Failure::Api(format!("cannot write {}: {e}", self.path.display()))
    }

    /// Appends `entry` and flushes, so a killed run leaves every line it finished.
    fn append(&mut self, entry: &Entry) -> Result<(), Failure> {
        let line = serde_json::to_string(entry).expect("an entry is JSON");
        writeln!(self.file, "{line}")
            .and_then(|()| self.file.flush())
            .map_err(|e| self.failed(e))?;
        self.entries.push(entry.clone());
        Ok(())
    }

    /// Rewrites the report in line order (through a temporary file, renamed into place).
    fn finish(mut self) -> Result<(), Failure> {
        self.entries.sort_by_key(|e| e.line);
        let mut name = self.path.clone().into_os_string();
        name.push(".tmp");
        let temporary = PathBuf::from(name);
        let mut text = String::new();
        for entry in &self.entries {
            text.push_str(&serde_json::to_string(entry).expect("an entry is JSON"));
            text.push('\n');
        }
        std::fs::write(&temporary, text)
            .and_then(|()| std::fs::rename(&temporary, &self.path))
            .map_err(|e| self.failed(e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_summary_gives_a_rate_only_over_a_second_or_more() {
        let tally = Tally {
            booked: 3,
            ..Tally::default()
        };
        let quick = tally.summary(Path::new("f.jsonl"), Duration::from_millis(3));
        assert!(quick.ends_with("0.0 s"), "{quick}");
        let tally = Tally {
            booked: 9,
            failed: 1,
            ..Tally::default()
        };
        let slow = tally.summary(Path::new("f.jsonl"), Duration::from_secs(2));
        assert!(slow.ends_with("2.0 s, 5 shipments/s"), "{slow}");
    }

    const VALID: &str = r#"{"currency":"DKK","reference":"R-1","delivery":{"carrier":"postnord","service":"home"},"parties":{"receiver":{"address":{"address_lines":["Kongensgade 21"],"postal_code":"5000","city":"Odense C","country":"DK"},"contact":{"name_lines":["Sofie Jensen"]}}},"parcels":[{"gross_weight":1000}]}"#;

    #[test]
    fn invalid_lines_name_their_line_and_field_and_valid_ones_pass() {
        let missing_parties = VALID.replace(r#""reference":"R-1""#, r#""reference":"R-3""#);
        let missing_parties = missing_parties.replace(r#""parties":"#, r#""not_parties":"#);
        let text = format!(
            "{VALID}\n\n{{not json\n{missing_parties}\n{}\n{VALID}\n",
            VALID.replace(r#""reference":"R-1","#, "")
        );
        let (jobs, invalid) = parse(&text);
        assert_eq!(jobs.len(), 1);
        assert_eq!(jobs[0].line, 1);
        let errors: Vec<(usize, String)> = invalid
            .iter()
            .map(|e| (e.line, e.error.clone().unwrap()))
            .collect();
        assert_eq!(errors.len(), 4, "{errors:?}");
        assert!(
            errors[0].1.starts_with("line 3: not valid JSON"),
            "{errors:?}"
        );
        assert!(
            errors[1].1.contains("missing field `parties`"),
            "{errors:?}"
        );
        assert_eq!(invalid[1].reference.as_deref(), Some("R-3"));
        assert!(
            errors[2].1.starts_with("line 5: reference: missing"),
            "{errors:?}"
        );
        assert!(errors[3].1.contains("already used on line 1"), "{errors:?}");
    }

    #[test]
    fn the_key_depends_on_reference_and_line_only() {
        let (first, _) = parse(VALID);
        let (again, _) = parse(&format!("\n\n{VALID}"));
        assert_eq!(first[0].key, again[0].key);
        assert!(first[0].key.as_str().starts_with("R-1_"));
    }
}
