//! Workflows that take more than one call: booking with a wait, booking many shipments from a
//! file, downloading labels, shipping Phygitals cards.
//!
//! Conventions shared by every workflow: results go to stdout as JSON (pretty on a terminal,
//! compact when piped); progress (spinners, bars) and summaries go to stderr, and are hidden
//! when stderr is not a terminal; API errors exit 1 with the status and Request-ID in the
//! message, bad command lines and unreadable input files exit 2.

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::Failure;

mod book;
mod book_many;
mod journal;
mod label;
mod ship;

/// Smart Send workflows.
#[derive(Debug, clap::Subcommand)]
pub enum SmartsendWorkflow {
    /// Book an existing shipment and print it; `--wait` books asynchronously and polls.
    Book(book::BookArgs),
    /// Create and book every shipment of a JSONL file, safely re-runnable after a crash.
    BookMany(book_many::BookManyArgs),
    /// Download the label PDF(s) of a booked shipment.
    Label(label::LabelArgs),
}

/// Phygitals workflows.
#[derive(Debug, clap::Subcommand)]
pub enum PhygitalsWorkflow {
    /// Quote shipping for a user's items, pick a rate, request shipping, print the order.
    Ship(ship::ShipArgs),
}

/// Runs a Smart Send workflow.
pub async fn run_smartsend(
    workflow: SmartsendWorkflow,
    client: &parcelkit::smartsend::Client,
    verbose: bool,
) -> Result<(), Failure> {
    match workflow {
        SmartsendWorkflow::Book(args) => book::run(args, client, verbose).await,
        SmartsendWorkflow::BookMany(args) => book_many::run(args, client, verbose).await,
        SmartsendWorkflow::Label(args) => label::run(args, client, verbose).await,
    }
}

/// Runs a Phygitals workflow.
pub async fn run_phygitals(
    workflow: PhygitalsWorkflow,
    client: &parcelkit::phygitals::Client,
    verbose: bool,
) -> Result<(), Failure> {
    match workflow {
        PhygitalsWorkflow::Ship(args) => ship::run(args, client, verbose).await,
    }
}

/// Where progress is drawn: stderr on a terminal, nowhere otherwise (so logs and pipes stay
/// clean, and `--verbose` output is not interleaved with bar redraws).
fn progress_target() -> ProgressDrawTarget {
    if std::io::stderr().is_terminal() {
        ProgressDrawTarget::stderr()
    } else {
        ProgressDrawTarget::hidden()
    }
}

/// A spinner on stderr saying `message`, ticking by itself.
fn spinner(message: String) -> ProgressBar {
    let spinner = ProgressBar::with_draw_target(None, progress_target());
    spinner.set_style(
        ProgressStyle::with_template("{spinner} {msg} ({elapsed})")
            .expect("a valid template")
            .tick_chars("⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏ "),
    );
    spinner.set_message(message);
    spinner.enable_steady_tick(Duration::from_millis(100));
    spinner
}

/// The tracking codes of a shipment's parcels, in parcel order (parcels without one skipped).
fn tracking_codes(shipment: &parcelkit::smartsend::types::Shipment) -> Vec<String> {
    shipment
        .parcels
        .iter()
        .filter_map(|p| p.tracking_code.clone())
        .collect()
}
