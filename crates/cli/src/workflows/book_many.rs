//! `parcelkit smartsend book-many --team TEAM shipments.jsonl`: create and book every shipment
//! of a JSONL file, a bounded number at a time, re-runnable at any age of the file without booking a
//! line twice.
//!
//! Each line is a `ShipmentRequest` JSON object with a `reference` (blank lines are skipped).
//! Its Idempotency-Key is derived from the reference and the line's JSON
//! (`IdempotencyKey::derive(reference, &line)`).
//!
//! A journal (`--journal`, default `<FILE>.journal.jsonl`, see `journal.rs`) records, as it
//! happens, what was sent for each reference and how it ended. A re-run:
//! - skips every line the journal shows booked with the same payload (no request);
//! - reports a line booked with another payload as a `conflict` (the line changed since), and
//!   does not book it again;
//! - resends a line whose outcome is unknown with the same key while the server still holds
//!   it (first sent less than 23 hours ago on the server's clock: a booking made is replayed),
//!   and after that first looks the team's shipments up by reference;
//! - sends the rest (never sent, or known not booked) with their derived keys.
//!
//! Invalid lines (not JSON, not a valid `ShipmentRequest`, no `reference`, or a reference used by
//! an earlier line) are reported with their line number and field, and the valid lines still
//! go through. The report (`--report`, default `<FILE>.report.jsonl`), written at the end, has
//! one JSON line per input line: `{line, reference, status, via, shipment, tracking_codes,
//! replayed, request_id, error}` with `status` one of `booked`, `failed` (known not booked),
//! `unknown` (an attempt may have committed and its answer was lost: run the file again),
//! `conflict`, `invalid`, or `skipped` (not started because of Ctrl-C); `via` says how a booked
//! line was known: `booking` (this run), `journal` or `lookup` (found by reference).
//!
//! Bulk work retries more than a single call (`--max-attempts`, default 8): the keys make every
//! retry safe. The summary says what bounded the rate.
//!
//! Exit codes: 0 when every line is booked; 1 when any line failed, is unknown, in conflict or
//! invalid; 2 when the file or the journal cannot be read; 130 after Ctrl-C (in-flight bookings
//! are finished and recorded first; a second Ctrl-C stops at once).

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::TryStreamExt;
use indicatif::{ProgressBar, ProgressStyle};
use parcelkit::smartsend::{Paginate, types};
use parcelkit::{IdempotencyKey, ResponseMeta, RetryPolicy};
use serde::Serialize;
use serde_json::Value;
use tokio::task::JoinSet;

use super::journal::{self, Event, History, Journal, Record, ServerClock};
use super::{progress_target, tracking_codes};
use crate::Failure;

/// Flags of `parcelkit smartsend book-many`.
#[derive(Debug, clap::Args)]
pub struct BookManyArgs {
    /// The team (its id).
    #[arg(long)]
    team: String,
    /// The shipments: one ShipmentRequest JSON object per line, each with a unique `reference`.
    file: PathBuf,
    /// How many bookings are in flight at once.
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=1024))]
    concurrency: u16,
    /// Attempts per booking before it is given up for this run (every retry carries the same
    /// Idempotency-Key, so none can book twice).
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u32).range(1..=100))]
    max_attempts: u32,
    /// Where to write the report (JSONL, one line per input line) [default: <FILE>.report.jsonl].
    #[arg(long, value_name = "FILE")]
    report: Option<PathBuf>,
    /// The journal that makes re-runs safe at any age [default: <FILE>.journal.jsonl]. Keep it
    /// with the file.
    #[arg(long, value_name = "FILE")]
    journal: Option<PathBuf>,
}

/// How one input line ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
enum Status {
    /// Booked: now, earlier (`via`), or replayed by the server.
    Booked,
    /// Known not booked: the API refused it, or it never reached the server.
    Failed,
    /// May have been booked: an attempt reached the server and its answer was lost. The next
    /// run finds out before booking.
    Unknown,
    /// Booked earlier with another payload: the line changed since; not booked again.
    Conflict,
    /// The line is not a valid shipment; nothing was sent.
    Invalid,
    /// Not started: the run was interrupted first.
    Skipped,
}

/// How a booked line is known to be booked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
enum Via {
    /// This run's booking request (or the server's replay of an earlier one).
    Booking,
    /// The journal: booked by an earlier run with the same payload; nothing was sent.
    Journal,
    /// Found among the team's shipments by its reference.
    Lookup,
}

/// One line of the report.
#[derive(Debug, Clone, Serialize)]
struct Entry {
    line: usize,
    reference: Option<String>,
    status: Status,
    via: Option<Via>,
    shipment: Option<uuid::Uuid>,
    tracking_codes: Vec<String>,
    replayed: bool,
    request_id: Option<String>,
    error: Option<String>,
    /// How long the booking took, for the summary.
    #[serde(skip)]
    took: Duration,
}

impl Entry {
    fn new(line: usize, reference: Option<String>, status: Status, error: Option<String>) -> Self {
        Entry {
            line,
            reference,
            status,
            via: None,
            shipment: None,
            tracking_codes: Vec::new(),
            replayed: false,
            request_id: None,
            error,
            took: Duration::ZERO,
        }
    }
}

/// A valid line, ready to send.
struct Job {
    line: usize,
    reference: String,
    /// Moved out when the line is sent.
    request: Option<types::ShipmentRequest>,
    key: IdempotencyKey,
}

impl Job {
    /// The digest in the key: SHA-256 of the reference and the line's canonical JSON.
    fn payload(&self) -> &str {
        let key = self.key.as_str();
        key.rsplit_once('_').map_or(key, |(_, digest)| digest)
    }

    fn record(&self, event: Event, at: chrono::DateTime<chrono::Utc>) -> Record {
        Record {
            reference: self.reference.clone(),
            payload: self.payload().to_owned(),
            key: self.key.as_str().to_owned(),
            event,
            at,
            shipment: None,
            tracking_codes: Vec::new(),
            error: None,
        }
    }

    fn entry(&self, status: Status, error: Option<String>) -> Entry {
        Entry::new(self.line, Some(self.reference.clone()), status, error)
    }
}

/// What to do with a line, given the journal.
#[derive(Debug, PartialEq)]
enum Plan {
    /// Booked with this payload: nothing to send.
    Booked,
    /// Booked with another payload.
    Conflict,
    /// Outcome unknown: resend with the same key if the server still holds it, else look up.
    Unresolved,
    /// Outcome unknown with another payload than the line's now: look up.
    Lookup,
    /// Never sent, or known not booked.
    Send,
}

fn plan(history: Option<&History>, payload: &str) -> Plan {
    let Some(history) = history else {
        return Plan::Send;
    };
    match &history.booked {
        Some(booked) if booked.payload == payload => return Plan::Booked,
        Some(_) => return Plan::Conflict,
        None => {}
    }
    if history.unresolved.is_empty() {
        Plan::Send
    } else if history.unresolved.keys().all(|p| p == payload) {
        Plan::Unresolved
    } else {
        Plan::Lookup
    }
}

/// How many lines' `sending` records are written at once (at least the concurrency).
const SENDING_BATCH: usize = 64;

/// Failures printed on stderr as they happen; the rest are only in the report.
const SHOWN_PROBLEMS: usize = 20;

/// Runs `parcelkit smartsend book-many`.
pub async fn run(
    args: BookManyArgs,
    client: &parcelkit::smartsend::Client,
    verbose: bool,
) -> Result<(), Failure> {
    let started = Instant::now();
    let waits_before = crate::connection::waits();
    let text = std::fs::read_to_string(&args.file)
        .map_err(|e| Failure::Usage(format!("cannot read {}: {e}", args.file.display())))?;
    let beside = |suffix: &str| {
        let mut name = args.file.clone().into_os_string();
        name.push(suffix);
        PathBuf::from(name)
    };
    let report_path = args
        .report
        .clone()
        .unwrap_or_else(|| beside(".report.jsonl"));
    let journal_path = args
        .journal
        .clone()
        .unwrap_or_else(|| beside(".journal.jsonl"));
    if report_path == args.file || journal_path == args.file || journal_path == report_path {
        return Err(Failure::Usage(format!(
            "the input {}, the report {} and the journal {} must be three files",
            args.file.display(),
            report_path.display(),
            journal_path.display()
        )));
    }
    let mut journal = Journal::open(&journal_path)?;
    let client = client
        .team(args.team.as_str())
        .with_retry_policy(bulk_retry_policy(args.max_attempts));
    let server_clock = Arc::new(ServerClock::default());

    let (jobs, invalid) = parse(&text);
    let mut tally = Tally::default();
    let mut entries: Vec<Entry> = Vec::with_capacity(jobs.len() + invalid.len());
    for entry in invalid {
        tally.problem(&entry, verbose, None);
        entries.push(entry);
    }

    // What the journal says of each line.
    let mut to_send = Vec::with_capacity(jobs.len());
    let mut unresolved = Vec::new();
    let mut to_look_up = Vec::new();
    for job in jobs {
        let history = journal.history(&job.reference);
        match plan(history, job.payload()) {
            Plan::Send => to_send.push(job),
            Plan::Unresolved => unresolved.push(job),
            Plan::Lookup => to_look_up.push(job),
            Plan::Booked => {
                let booked = history
                    .and_then(|h| h.booked.as_ref())
                    .expect("planned from a booking");
                let mut entry = job.entry(Status::Booked, None);
                entry.via = Some(Via::Journal);
                entry.shipment = booked.shipment;
                entry.tracking_codes = booked.tracking_codes.clone();
                tally.record(&entry, verbose, None);
                entries.push(entry);
            }
            Plan::Conflict => {
                let booked = history
                    .and_then(|h| h.booked.as_ref())
                    .expect("planned from a booking");
                let mut entry = job.entry(Status::Conflict, Some(conflict_message(booked)));
                entry.shipment = booked.shipment;
                tally.record(&entry, verbose, None);
                entries.push(entry);
            }
        }
    }
    // One read before any booking: a wrong token, team or URL stops the run here, and the
    // answer's Date gives the server's time.
    probe_server_time(&client, &server_clock).await?;
    // Unknown outcomes: the server replays a key it still holds; older ones are looked up.
    if !unresolved.is_empty() {
        let now = server_clock.now();
        for job in unresolved {
            let first_sent = journal
                .history(&job.reference)
                .and_then(|h| h.unresolved.get(job.payload()).copied())
                .unwrap_or(now);
            if server_clock.known() && now - first_sent < journal::REPLAY_WINDOW {
                to_send.push(job);
            } else {
                to_look_up.push(job);
            }
        }
    }
    if !to_look_up.is_empty() {
        let found = look_up(&client, &to_look_up).await;
        let now = server_clock.now();
        for job in to_look_up {
            match resolve(&journal, &job, &found, now) {
                Resolved::Send => to_send.push(job),
                Resolved::Done(settled) => {
                    let (entry, record) = *settled;
                    if let Some(record) = record {
                        journal.append(&record)?;
                    }
                    tally.record(&entry, verbose, None);
                    entries.push(entry);
                }
            }
        }
    }
    to_send.sort_by_key(|job| job.line);

    let bar = ProgressBar::with_draw_target(Some(to_send.len() as u64), progress_target());
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
    let mut pending = to_send.into_iter();
    let mut running: JoinSet<(Entry, Record)> = JoinSet::new();
    let mut in_flight: BTreeMap<usize, String> = BTreeMap::new();
    let mut interrupted = false;
    let mut abandoned = false;
    // `sending` is written ahead for a batch of lines in one write, before any of them goes
    // out: a kill leaves a few lines "sent" that were not, which the next run resolves like
    // any unknown outcome (by replay, or a lookup that finds nothing), never a send unrecorded.
    let batch = concurrency.max(SENDING_BATCH);
    let mut announced = 0;
    let mut started_lines = 0;
    loop {
        while !interrupted && running.len() < concurrency {
            let Some(job) = pending.next() else { break };
            if started_lines == announced {
                let ahead: Vec<Record> = std::iter::once(&job)
                    .chain(pending.as_slice().iter())
                    .take(batch)
                    .map(|job| job.record(Event::Sending, server_clock.now()))
                    .collect();
                journal.append_all(&ahead)?;
                announced += ahead.len();
            }
            started_lines += 1;
            in_flight.insert(job.line, job.reference.clone());
            running.spawn(book_one(client.clone(), server_clock.clone(), job));
        }
        if running.is_empty() {
            break;
        }
        tokio::select! {
            joined = running.join_next() => {
                let (entry, record) = match joined {
                    Some(Ok(done)) => done,
                    Some(Err(e)) => return Err(Failure::Api(format!("a booking task failed: {e}"))),
                    None => break,
                };
                journal.append(&record)?;
                in_flight.remove(&entry.line);
                bar.inc(1);
                tally.record(&entry, verbose, Some(&bar));
                if tally.failed + tally.unknown > 0 {
                    bar.set_message(format!("{} failed, {} unknown", tally.failed, tally.unknown));
                }
                entries.push(entry);
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

    // Abandoned in flight: the journal's `sending` stands, and the next run resolves it.
    for (line, reference) in in_flight {
        let entry = Entry::new(
            line,
            Some(reference),
            Status::Unknown,
            Some(
                "interrupted while in flight: it may have been booked; run the file again to \
                 find out (a booking made is replayed or found, not repeated)"
                    .into(),
            ),
        );
        tally.record(&entry, verbose, Some(&bar));
        entries.push(entry);
    }
    for job in pending {
        let entry = job.entry(Status::Skipped, Some("not started: interrupted".into()));
        tally.skipped += 1;
        entries.push(entry);
    }
    write_report(&report_path, entries)?;

    let waits = crate::connection::waits().since(waits_before);
    eprintln!(
        "{}",
        tally.summary(&args.file, started.elapsed(), concurrency, waits)
    );
    eprintln!("report: {}", report_path.display());
    if interrupted || abandoned {
        return Err(Failure::Interrupted);
    }
    let unsettled = tally.failed + tally.unknown + tally.conflict + tally.invalid;
    if unsettled > 0 {
        return Err(Failure::Api(format!(
            "{} line(s) failed, {} unknown, {} in conflict, {} invalid; see {}",
            tally.failed,
            tally.unknown,
            tally.conflict,
            tally.invalid,
            report_path.display()
        )));
    }
    Ok(())
}

/// Retries for bulk work: more attempts than a single call's default and a longer deadline,
/// since every retry carries the line's key and a run should not end on a passing fault.
fn bulk_retry_policy(max_attempts: u32) -> RetryPolicy {
    RetryPolicy::default()
        .with_max_attempts(max_attempts)
        .with_deadline(Some(Duration::from_secs(300)))
}

fn conflict_message(booked: &journal::Booked) -> String {
    let shipment = booked
        .shipment
        .map_or_else(|| "a shipment".to_owned(), |s| format!("shipment {s}"));
    format!(
        "booked on {} as {shipment} with other content: the line changed since; not booked \
         again (give it a new reference to book it as another shipment)",
        booked.at.format("%Y-%m-%d %H:%M:%S UTC")
    )
}

/// Reads the server's time from one cheap request (the `Date` header), so the age of an
/// unresolved key is measured where the key expires; a failure (after the bulk retries) ends
/// the run before anything is booked.
async fn probe_server_time(
    client: &parcelkit::smartsend::Client,
    clock: &ServerClock,
) -> Result<(), Failure> {
    // A read: retried as a bulk booking would be (whatever `--max-attempts` says), within a
    // bound a person waits for (an unreachable URL, say).
    let response = client
        .with_retry_policy(bulk_retry_policy(8).with_deadline(Some(Duration::from_secs(15))))
        .list_shipments()
        .per_page(1)
        .send()
        .await
        .map_err(|e| Failure::Api(format!("cannot start (nothing was sent): {e}")))?;
    clock.observe(response.headers());
    Ok(())
}

/// A shipment found by its reference.
#[derive(Debug, Clone)]
struct Found {
    uuid: uuid::Uuid,
    state: types::ShipmentState,
    tracking_codes: Vec<String>,
}

/// The team's shipments whose reference is one of `jobs`', by reference; or why the list
/// could not be read.
async fn look_up(
    client: &parcelkit::smartsend::Client,
    jobs: &[Job],
) -> Result<HashMap<String, Vec<Found>>, String> {
    let wanted: std::collections::HashSet<&str> =
        jobs.iter().map(|job| job.reference.as_str()).collect();
    let mut found: HashMap<String, Vec<Found>> = HashMap::new();
    let mut shipments = std::pin::pin!(client.list_shipments().per_page(1000).stream());
    while let Some(shipment) = shipments
        .try_next()
        .await
        .map_err(|e| format!("could not look the team's shipments up by reference: {e}"))?
    {
        if let Some(reference) = shipment.reference.as_deref()
            && wanted.contains(reference)
        {
            let tracking_codes = tracking_codes(&shipment);
            found.entry(reference.to_owned()).or_default().push(Found {
                uuid: shipment.uuid,
                state: shipment.state.clone(),
                tracking_codes,
            });
        }
    }
    Ok(found)
}

/// What a lookup settles for a line.
enum Resolved {
    /// Not found: book it.
    Send,
    /// Settled without sending: the report entry, and what the journal learns.
    Done(Box<(Entry, Option<Record>)>),
}

fn resolve(
    journal: &Journal,
    job: &Job,
    found: &Result<HashMap<String, Vec<Found>>, String>,
    now: chrono::DateTime<chrono::Utc>,
) -> Resolved {
    let found = match found {
        Ok(found) => found,
        Err(reason) => {
            return Resolved::Done(Box::new((
                job.entry(Status::Unknown, Some(reason.clone())),
                None,
            )));
        }
    };
    let Some(shipments) = found.get(&job.reference) else {
        return Resolved::Send;
    };
    let Some(booked) = shipments
        .iter()
        .find(|s| s.state == types::ShipmentState::Booked)
    else {
        let listed: Vec<String> = shipments
            .iter()
            .map(|s| format!("{} ({})", s.uuid, s.state))
            .collect();
        return Resolved::Done(Box::new((
            job.entry(
                Status::Unknown,
                Some(format!(
                    "the team has a shipment with this reference that is not booked: {}; \
                     book or delete it, then run the file again",
                    listed.join(", ")
                )),
            ),
            None,
        )));
    };
    // Which payload was booked: this line's, if it was ever sent; else the latest one sent.
    let history = journal.history(&job.reference);
    let sent_this = history.is_some_and(|h| h.unresolved.contains_key(job.payload()));
    let booked_payload = if sent_this {
        job.payload().to_owned()
    } else {
        history
            .and_then(|h| h.unresolved.iter().max_by_key(|(_, at)| **at))
            .map_or_else(String::new, |(payload, _)| payload.clone())
    };
    let mut record = job.record(Event::Booked, now);
    record.payload = booked_payload;
    record.shipment = Some(booked.uuid);
    record.tracking_codes = booked.tracking_codes.clone();
    let mut entry = if sent_this {
        job.entry(Status::Booked, None)
    } else {
        job.entry(
            Status::Conflict,
            Some(format!(
                "shipment {} with this reference was booked from an earlier version of the \
                 line; not booked again",
                booked.uuid
            )),
        )
    };
    entry.via = Some(Via::Lookup);
    entry.shipment = Some(booked.uuid);
    entry.tracking_codes = booked.tracking_codes.clone();
    Resolved::Done(Box::new((entry, Some(record))))
}

/// Splits the file into jobs and invalid lines (line numbers are 1-based, blank lines skipped).
fn parse(text: &str) -> (Vec<Job>, Vec<Entry>) {
    let lines: Vec<(usize, &str)> = text
        .lines()
        .enumerate()
        .filter(|(_, raw)| !raw.trim().is_empty())
        .map(|(index, raw)| (index + 1, raw))
        .collect();
    // Lines parse and hash independently: one half on another thread, so the bookings start
    // sooner; the order-dependent check (a reference used twice) runs after, in line order.
    let (first, second) = lines.split_at(lines.len() / 2);
    let parse_all = |lines: &[(usize, &str)]| -> Vec<_> {
        lines
            .iter()
            .map(|&(line, raw)| (line, parse_line(raw)))
            .collect()
    };
    let (mut parsed, rest) = std::thread::scope(|scope| {
        let other = scope.spawn(|| parse_all(second));
        let mine = parse_all(first);
        (mine, other.join().expect("parsing does not panic"))
    });
    parsed.extend(rest);

    let mut jobs = Vec::with_capacity(parsed.len());
    let mut invalid = Vec::new();
    let mut first_line_of: HashMap<String, usize> = HashMap::new();
    for (line, result) in parsed {
        match result {
            Ok((reference, request, key)) => {
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
                jobs.push(Job {
                    line,
                    reference,
                    request: Some(request),
                    key,
                });
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

/// One line: its reference, the typed request and its key; or what is wrong with it (naming
/// the field), with the reference when one could be read.
#[allow(clippy::type_complexity)]
fn parse_line(
    raw: &str,
) -> Result<(String, types::ShipmentRequest, IdempotencyKey), (Option<String>, String)> {
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
        Some(reference) if !reference.trim().is_empty() => {
            // Hash the line as written, so the key does not depend on how this version of
            // parcelkit serializes the typed request.
            let key = IdempotencyKey::derive_from_json(&reference, &value);
            Ok((reference, request, key))
        }
        _ => Err((
            None,
            "reference: missing or empty; each line needs a unique reference (the idempotency \
             key is derived from it)"
                .into(),
        )),
    }
}

/// Creates and books one shipment (synchronously: no `Prefer`), with the bulk retries: every
/// attempt carries the line's key. Returns the report entry and the journal's record.
async fn book_one(
    client: parcelkit::smartsend::Client,
    server_clock: Arc<ServerClock>,
    mut job: Job,
) -> (Entry, Record) {
    let started = Instant::now();
    let mut entry = job.entry(Status::Failed, None);
    let request = job.request.take().expect("a job is sent once");
    let result = client
        .create_and_book_shipment()
        .body(request)
        .idempotency_key(job.key.clone())
        .send()
        .await;
    entry.took = started.elapsed();
    let response = match result {
        Ok(response) => response,
        Err(e) => {
            server_clock.observe(e.headers());
            entry.request_id = e.request_id().map(str::to_owned);
            entry.error = Some(e.to_string());
            let event = if e.possibly_executed() {
                entry.status = Status::Unknown;
                Event::Unknown
            } else {
                Event::Failed
            };
            let mut record = job.record(event, server_clock.now());
            record.error = entry.error.clone();
            return (entry, record);
        }
    };
    server_clock.observe(response.headers());
    entry.replayed = response.replayed();
    entry.request_id = response.request_id().map(str::to_owned);
    let shipment = response.into_inner().data;
    entry.shipment = Some(shipment.uuid);
    entry.tracking_codes = tracking_codes(&shipment);
    let event = if shipment.state == types::ShipmentState::Booked {
        entry.status = Status::Booked;
        entry.via = Some(Via::Booking);
        Event::Booked
    } else {
        entry.error = Some(format!(
            "created, but the shipment is {} rather than booked",
            shipment.state
        ));
        Event::Failed
    };
    let mut record = job.record(event, server_clock.now());
    record.shipment = entry.shipment;
    record.tracking_codes = entry.tracking_codes.clone();
    record.error = entry.error.clone();
    (entry, record)
}

/// Counts, and the first few problems on stderr.
#[derive(Debug, Default)]
struct Tally {
    booked: usize,
    replayed: usize,
    from_journal: usize,
    looked_up: usize,
    failed: usize,
    unknown: usize,
    conflict: usize,
    invalid: usize,
    skipped: usize,
    shown: usize,
    /// Lines sent this run, and the time their bookings took in all.
    sent: usize,
    busy: Duration,
}

impl Tally {
    fn record(&mut self, entry: &Entry, verbose: bool, bar: Option<&ProgressBar>) {
        if entry.took > Duration::ZERO {
            self.sent += 1;
            self.busy += entry.took;
        }
        match entry.status {
            Status::Booked => {
                self.booked += 1;
                self.replayed += usize::from(entry.replayed);
                self.from_journal += usize::from(entry.via == Some(Via::Journal));
                self.looked_up += usize::from(entry.via == Some(Via::Lookup));
            }
            Status::Skipped => self.skipped += 1,
            Status::Failed | Status::Invalid | Status::Unknown | Status::Conflict => {
                self.problem(entry, verbose, bar)
            }
        }
    }

    fn problem(&mut self, entry: &Entry, verbose: bool, bar: Option<&ProgressBar>) {
        match entry.status {
            Status::Invalid => self.invalid += 1,
            Status::Unknown => self.unknown += 1,
            Status::Conflict => self.conflict += 1,
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
            status => format!(
                "parcelkit: line {} ({}) {}: {}",
                entry.line,
                entry.reference.as_deref().unwrap_or("-"),
                serde_json::to_value(status)
                    .expect("a status is JSON")
                    .as_str()
                    .unwrap_or(""),
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

    fn summary(
        &self,
        file: &Path,
        elapsed: Duration,
        concurrency: usize,
        waits: crate::connection::Waits,
    ) -> String {
        let seconds = elapsed.as_secs_f64();
        // A rate over less than a second says more about the clock than the run (three lines
        // in 3 ms read "1024 shipments/s").
        let rate = if seconds >= 1.0 && self.sent > 0 {
            format!(
                ", {:.0} shipments/s; {}",
                self.sent as f64 / seconds,
                self.bound(concurrency, waits)
            )
        } else {
            String::new()
        };
        format!(
            "book-many {}: {} booked ({} replayed, {} from the journal, {} found by reference), \
             {} failed, {} unknown, {} conflict, {} invalid, {} skipped; {seconds:.1} s{rate}",
            file.display(),
            self.booked,
            self.replayed,
            self.from_journal,
            self.looked_up,
            self.failed,
            self.unknown,
            self.conflict,
            self.invalid,
            self.skipped
        )
    }

    /// What bounded the rate: the waits between attempts (the server's Retry-After, backoff
    /// after faults) when they took a quarter of the bookings' time or more, else how many
    /// bookings were in flight at once.
    fn bound(&self, concurrency: usize, waits: crate::connection::Waits) -> String {
        let busy = self.busy.as_secs_f64();
        let waited = waits.total.as_secs_f64();
        if busy > 0.0 && waited / busy >= 0.25 {
            format!(
                "bounded by waits between attempts: {} retries waited {waited:.1} s in all, \
                 {:.0} % of the bookings' time (the server's Retry-After, or backoff after a \
                 fault)",
                waits.count,
                100.0 * waited / busy
            )
        } else {
            let average_ms = 1000.0 * busy / self.sent.max(1) as f64;
            format!(
                "bounded by concurrency: {concurrency} in flight, {average_ms:.1} ms per booking \
                 ({} retries)",
                waits.count
            )
        }
    }
}

/// Writes the report in line order (through a temporary file, renamed into place).
fn write_report(path: &Path, mut entries: Vec<Entry>) -> Result<(), Failure> {
    entries.sort_by_key(|e| e.line);
    let mut name = path.to_owned().into_os_string();
    name.push(".tmp");
    let temporary = PathBuf::from(name);
    let mut text = String::new();
    for entry in &entries {
        text.push_str(&serde_json::to_string(entry).expect("an entry is JSON"));
        text.push('\n');
    }
    std::fs::write(&temporary, text)
        .and_then(|()| std::fs::rename(&temporary, path))
        .map_err(|e| Failure::Api(format!("cannot write {}: {e}", path.display())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_summary_gives_a_rate_only_over_a_second_and_names_what_bounded_it() {
        let none = crate::connection::Waits::default();
        let tally = Tally {
            booked: 3,
            sent: 3,
            busy: Duration::from_millis(3),
            ..Tally::default()
        };
        let quick = tally.summary(Path::new("f.jsonl"), Duration::from_millis(3), 8, none);
        assert!(quick.ends_with("0.0 s"), "{quick}");
        let tally = Tally {
            booked: 9,
            failed: 1,
            sent: 10,
            busy: Duration::from_secs(4),
            ..Tally::default()
        };
        let slow = tally.summary(Path::new("f.jsonl"), Duration::from_secs(2), 2, none);
        assert!(
            slow.ends_with(
                "2.0 s, 5 shipments/s; bounded by concurrency: 2 in flight, 400.0 ms per \
                 booking (0 retries)"
            ),
            "{slow}"
        );
        let waited = crate::connection::Waits {
            count: 12,
            total: Duration::from_secs(2),
        };
        let slow = tally.summary(Path::new("f.jsonl"), Duration::from_secs(2), 2, waited);
        assert!(
            slow.contains(
                "bounded by waits between attempts: 12 retries waited 2.0 s in all, 50 %"
            ),
            "{slow}"
        );
    }

    fn history(booked: Option<&str>, unresolved: &[&str]) -> History {
        let at: chrono::DateTime<chrono::Utc> = "2026-03-04T09:00:00Z".parse().unwrap();
        History {
            booked: booked.map(|payload| journal::Booked {
                payload: payload.into(),
                shipment: None,
                tracking_codes: Vec::new(),
                at,
            }),
            unresolved: unresolved.iter().map(|p| (p.to_string(), at)).collect(),
        }
    }

    #[test]
    fn the_journal_decides_what_is_sent() {
        assert_eq!(plan(None, "p1"), Plan::Send);
        assert_eq!(plan(Some(&history(Some("p1"), &[])), "p1"), Plan::Booked);
        assert_eq!(plan(Some(&history(Some("p1"), &[])), "p2"), Plan::Conflict);
        assert_eq!(
            plan(Some(&history(Some("p1"), &["p2"])), "p2"),
            Plan::Conflict
        );
        assert_eq!(plan(Some(&history(None, &["p1"])), "p1"), Plan::Unresolved);
        assert_eq!(plan(Some(&history(None, &["p0"])), "p1"), Plan::Lookup);
        assert_eq!(
            plan(Some(&history(None, &["p0", "p1"])), "p1"),
            Plan::Lookup
        );
        assert_eq!(plan(Some(&history(None, &[])), "p1"), Plan::Send);
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
