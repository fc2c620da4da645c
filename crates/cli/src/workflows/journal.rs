//! book-many's journal: what was sent for each reference and how it ended, kept beside the
//! input file across runs, so a re-run skips what is booked and never books a line twice, even
//! after the server has forgotten its Idempotency-Keys (Smart Send keeps them 24 hours).
//!
//! One JSON record per line, appended with a single write each: `sending` before a line's first
//! request of a run, then `booked`, `failed` (known not booked) or `unknown` (an attempt may
//! have committed: its answer was lost). A kill at any moment leaves at most a torn last line,
//! which is ignored: the record before it still stands (a `sending` without an outcome reads as
//! `unknown`). Times are the server's (its `Date` header), since the server's clock is the one
//! its keys expire on.

use std::collections::{BTreeMap, HashMap};
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicI64, Ordering};

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::Failure;

/// How long after a key's first use a re-run still trusts the server to replay it: Smart Send
/// keeps keys 24 hours; the hour of margin covers the `Date` header's second resolution and a
/// run that takes a while.
pub(super) const REPLAY_WINDOW: Duration = Duration::hours(23);

/// What happened to a line, as the journal records it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(super) enum Event {
    /// About to send the line's first request of a run.
    Sending,
    /// The server answered with the booked shipment.
    Booked,
    /// Known not booked: refused, or never reached the server.
    Failed,
    /// May have been booked: an attempt reached the server and its answer was lost.
    Unknown,
}

/// One journal line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(super) struct Record {
    pub reference: String,
    /// SHA-256 of the reference and the line's canonical JSON (the digest in its key).
    pub payload: String,
    pub key: String,
    pub event: Event,
    /// The server's time when this was written (estimated from its `Date` headers).
    pub at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shipment: Option<uuid::Uuid>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tracking_codes: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// A booking the journal knows of.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Booked {
    pub payload: String,
    pub shipment: Option<uuid::Uuid>,
    pub tracking_codes: Vec<String>,
    pub at: DateTime<Utc>,
}

/// What the journal knows of one reference.
#[derive(Debug, Clone, Default, PartialEq)]
pub(super) struct History {
    /// The latest booking.
    pub booked: Option<Booked>,
    /// Payloads sent whose outcome is not known, with when each was first sent (since its last
    /// known outcome): the age that decides between replay and looking the shipment up.
    pub unresolved: BTreeMap<String, DateTime<Utc>>,
}

impl History {
    fn apply(&mut self, record: &Record) {
        match record.event {
            Event::Sending | Event::Unknown => {
                self.unresolved
                    .entry(record.payload.clone())
                    .or_insert(record.at);
            }
            Event::Failed => {
                self.unresolved.remove(&record.payload);
            }
            Event::Booked => {
                self.unresolved.remove(&record.payload);
                self.booked = Some(Booked {
                    payload: record.payload.clone(),
                    shipment: record.shipment,
                    tracking_codes: record.tracking_codes.clone(),
                    at: record.at,
                });
            }
        }
    }
}

/// The journal file, open for appending, and what it held when opened.
pub(super) struct Journal {
    path: PathBuf,
    file: File,
    histories: HashMap<String, History>,
}

impl Journal {
    /// Reads `path` (a missing file is an empty journal) and opens it for appending. A torn last
    /// line (a kill while it was written) is cut off; a damaged line before the last is an
    /// error, since guessing could book a line twice.
    pub fn open(path: &Path) -> Result<Journal, Failure> {
        let failed = |e: std::io::Error| {
            Failure::Usage(format!("cannot use the journal {}: {e}", path.display()))
        };
        let text = match std::fs::read(path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
            Err(e) => return Err(failed(e)),
        };
        let mut histories: HashMap<String, History> = HashMap::new();
        // Where the whole records end: a torn tail after it is cut off.
        let mut whole = 0;
        let mut lines = text.split_inclusive(|&b| b == b'\n').enumerate().peekable();
        while let Some((index, line)) = lines.next() {
            let is_last = lines.peek().is_none();
            if line.trim_ascii().is_empty() {
                whole += line.len();
                continue;
            }
            match serde_json::from_slice::<Record>(line) {
                Ok(record) if line.ends_with(b"\n") => {
                    histories
                        .entry(record.reference.clone())
                        .or_default()
                        .apply(&record);
                    whole += line.len();
                }
                _ if is_last => break,
                _ => {
                    return Err(Failure::Usage(format!(
                        "the journal {} is damaged at line {}: fix or move it (it is what keeps \
                         a re-run from booking twice)",
                        path.display(),
                        index + 1
                    )));
                }
            }
        }
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(failed)?;
        if whole < text.len() {
            file.set_len(whole as u64).map_err(failed)?;
        }
        Ok(Journal {
            path: path.to_owned(),
            file,
            histories,
        })
    }

    /// What the journal held for `reference` when it was opened.
    pub fn history(&self, reference: &str) -> Option<&History> {
        self.histories.get(reference)
    }

    /// Appends `record` with one write, so a kill leaves it whole or torn, never interleaved.
    pub fn append(&mut self, record: &Record) -> Result<(), Failure> {
        self.append_all(std::slice::from_ref(record))
    }

    /// Appends `records` with one write: a kill leaves a prefix of them, the last maybe torn.
    pub fn append_all(&mut self, records: &[Record]) -> Result<(), Failure> {
        let mut lines = Vec::with_capacity(256 * records.len());
        for record in records {
            serde_json::to_writer(&mut lines, record).expect("a record is JSON");
            lines.push(b'\n');
        }
        self.file.write_all(&lines).map_err(|e| {
            Failure::Api(format!(
                "cannot write the journal {}: {e}",
                self.path.display()
            ))
        })
    }
}

/// The server's clock as seen through its `Date` headers: the local clock plus the last offset
/// observed. Shared by the booking tasks.
#[derive(Debug, Default)]
pub(super) struct ServerClock {
    offset_ms: AtomicI64,
    observed: std::sync::atomic::AtomicBool,
}

impl ServerClock {
    /// Takes the offset from a response's `Date` header, when it has a valid one.
    pub fn observe(&self, headers: &reqwest::header::HeaderMap) {
        let Some(date) = headers
            .get(reqwest::header::DATE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| DateTime::parse_from_rfc2822(v).ok())
        else {
            return;
        };
        let offset = date.with_timezone(&Utc) - Utc::now();
        self.offset_ms
            .store(offset.num_milliseconds(), Ordering::Relaxed);
        self.observed.store(true, Ordering::Relaxed);
    }

    /// Whether any response has told the server's time yet.
    pub fn known(&self) -> bool {
        self.observed.load(Ordering::Relaxed)
    }

    /// The server's time now, as far as known (the local clock until a `Date` was seen).
    pub fn now(&self) -> DateTime<Utc> {
        Utc::now() + Duration::milliseconds(self.offset_ms.load(Ordering::Relaxed))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(reference: &str, payload: &str, event: Event, hours: i64) -> Record {
        Record {
            reference: reference.into(),
            payload: payload.into(),
            key: format!("{reference}_{payload}"),
            event,
            at: "2026-03-04T09:00:00Z".parse::<DateTime<Utc>>().unwrap() + Duration::hours(hours),
            shipment: None,
            tracking_codes: Vec::new(),
            error: None,
        }
    }

    fn scratch(name: &str) -> PathBuf {
        let path = std::env::temp_dir().join(format!(
            "parcelkit-journal-{name}-{}.jsonl",
            std::process::id()
        ));
        let _ = std::fs::remove_file(&path);
        path
    }

    #[test]
    fn outcomes_resolve_what_was_sent_and_the_first_sending_time_is_kept() {
        let path = scratch("outcomes");
        let mut journal = Journal::open(&path).unwrap();
        for r in [
            record("A", "a1", Event::Sending, 0),
            record("A", "a1", Event::Unknown, 0),
            record("A", "a1", Event::Sending, 5),
            record("B", "b1", Event::Sending, 0),
            record("B", "b1", Event::Booked, 0),
            record("C", "c1", Event::Sending, 0),
            record("C", "c1", Event::Failed, 0),
        ] {
            journal.append(&r).unwrap();
        }
        let journal = Journal::open(&path).unwrap();
        let a = journal.history("A").unwrap();
        assert_eq!(a.booked, None);
        assert_eq!(
            a.unresolved.get("a1"),
            Some(&"2026-03-04T09:00:00Z".parse().unwrap()),
            "the key's age counts from its first use"
        );
        let b = journal.history("B").unwrap();
        assert_eq!(b.booked.as_ref().unwrap().payload, "b1");
        assert!(b.unresolved.is_empty());
        let c = journal.history("C").unwrap();
        assert!(c.booked.is_none() && c.unresolved.is_empty());
        assert!(journal.history("D").is_none());
    }

    #[test]
    fn a_torn_last_line_is_cut_off_and_a_damaged_middle_refused() {
        let path = scratch("torn");
        let whole = serde_json::to_string(&record("A", "a1", Event::Sending, 0)).unwrap();
        let booked = serde_json::to_string(&record("A", "a1", Event::Booked, 0)).unwrap();
        std::fs::write(&path, format!("{whole}\n{}", &booked[..20])).unwrap();
        let mut journal = Journal::open(&path).unwrap();
        assert!(journal.history("A").unwrap().unresolved.contains_key("a1"));
        journal
            .append(&record("B", "b1", Event::Sending, 0))
            .unwrap();
        // The torn record is gone; the new one follows the last whole one, and reads back.
        let reread = Journal::open(&path).unwrap();
        assert!(reread.history("A").unwrap().booked.is_none());
        assert!(reread.history("B").is_some());
        assert_eq!(std::fs::read_to_string(&path).unwrap().lines().count(), 2);

        std::fs::write(&path, format!("{whole}\nnot a record\n{whole}\n")).unwrap();
        let error = match Journal::open(&path) {
            Err(Failure::Usage(message)) => message,
            Err(other) => panic!("{other:?}"),
            Ok(_) => panic!("a damaged middle line must be refused"),
        };
        assert!(error.contains("damaged at line 2"), "{error}");
    }

    #[test]
    fn the_server_clock_follows_the_date_header() {
        let clock = ServerClock::default();
        assert!(!clock.known());
        let mut headers = reqwest::header::HeaderMap::new();
        let ahead = Utc::now() + Duration::hours(25);
        headers.insert(
            reqwest::header::DATE,
            ahead
                .format("%a, %d %b %Y %H:%M:%S GMT")
                .to_string()
                .parse()
                .unwrap(),
        );
        clock.observe(&headers);
        assert!(clock.known());
        let drift = (clock.now() - ahead).num_seconds().abs();
        assert!(drift <= 2, "{drift}");
    }
}
