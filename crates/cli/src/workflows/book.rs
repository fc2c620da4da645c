//! `parcelkit smartsend book --team TEAM --shipment SHIPMENT [--wait]`: book one existing
//! shipment and print it.
//!
//! Without `--wait` the booking is synchronous (the server answers with the booked shipment).
//! With `--wait` it is sent with `Prefer: respond-async`; a 202 is followed by polling the
//! operation, with a spinner on stderr, until the shipment is booked, the operation fails or
//! `--timeout` passes.
//!
//! The Idempotency-Key defaults to one derived from the team and the shipment, so running the
//! same command again (after a crash, a lost connection, a Ctrl-C) replays the first booking
//! instead of being refused as "already booked". Pass `--idempotency-key` to choose another.

use std::time::Duration;

use parcelkit::smartsend::{BookingOutcome, OperationError, types};
use parcelkit::{IdempotencyKey, PollPolicy, ResponseMeta};

use super::spinner;
use crate::Failure;
use crate::output::{OutputFormat, print_value};

/// Flags of `parcelkit smartsend book`.
#[derive(Debug, clap::Args)]
pub struct BookArgs {
    /// The team (its id).
    #[arg(long)]
    team: String,
    /// The shipment to book (its uuid).
    #[arg(long)]
    shipment: uuid::Uuid,
    /// Book asynchronously (`Prefer: respond-async`) and poll until booked, with a spinner.
    #[arg(long)]
    wait: bool,
    /// The Idempotency-Key: 16 to 128 characters from A-Z a-z 0-9 . _ -. Default: derived
    /// from TEAM and SHIPMENT, so repeating the command replays the first booking.
    #[arg(long, value_parser = parse_key)]
    idempotency_key: Option<IdempotencyKey>,
    /// With --wait: stop polling after this many seconds (the booking itself carries on).
    #[arg(long, value_name = "SECONDS", default_value_t = 300)]
    timeout: u64,
}

/// `--idempotency-key`, checked by the SDK's own rule so the message names it.
fn parse_key(text: &str) -> Result<IdempotencyKey, String> {
    IdempotencyKey::new(text).map_err(|e| e.to_string())
}

/// The key a plain `book --team TEAM --shipment SHIPMENT` uses: the same for the same team and
/// shipment.
fn derived_key(team: &str, shipment: uuid::Uuid) -> IdempotencyKey {
    IdempotencyKey::derive(
        &format!("book-{shipment}"),
        &serde_json::json!({"team": team, "shipment": shipment}),
    )
    .expect("strings are JSON")
}

/// Runs `parcelkit smartsend book`.
pub async fn run(
    args: BookArgs,
    client: &parcelkit::smartsend::Client,
    verbose: bool,
) -> Result<(), Failure> {
    let key = args
        .idempotency_key
        .clone()
        .unwrap_or_else(|| derived_key(&args.team, args.shipment));
    if verbose {
        eprintln!("Idempotency-Key: {}", key.as_str());
    }
    if args.wait {
        let shipment = book_and_wait(&args, client, key).await?;
        print_value(&shipment, OutputFormat::Json);
        return Ok(());
    }
    let response = client
        .book_shipment()
        .team(args.team.as_str())
        .shipment(args.shipment)
        .idempotency_key(key)
        .send()
        .await
        .map_err(Failure::api("book_shipment"))?;
    if response.replayed() {
        eprintln!(
            "parcelkit: replayed: this key booked the shipment before; nothing was booked again"
        );
    }
    // A key first used with --wait replays its stored 202: the SDK follows that operation.
    print_value(&response.data, OutputFormat::Json);
    Ok(())
}

/// Books with `Prefer: respond-async` and, on 202, polls the operation with a spinner.
async fn book_and_wait(
    args: &BookArgs,
    client: &parcelkit::smartsend::Client,
    key: IdempotencyKey,
) -> Result<types::Shipment, Failure> {
    let outcome = client
        .book_shipment()
        .team(args.team.as_str())
        .shipment(args.shipment)
        .idempotency_key(key)
        .respond_async()
        .send()
        .await
        .map_err(Failure::api("book_shipment"))?;
    let BookingOutcome::Accepted(handle) = outcome else {
        return outcome
            .wait()
            .await
            .map_err(|e| Failure::Api(format!("book_shipment: {e}")));
    };
    let operation = handle.operation().uuid;
    let spinner = spinner(format!("booking {}: operation {operation}", args.shipment));
    // Faster than the SDK's default first poll (1 s): a person is watching.
    let policy = PollPolicy::default()
        .with_interval(Duration::from_millis(250))
        .with_max_interval(Duration::from_secs(5))
        .with_timeout(Duration::from_secs(args.timeout));
    let result = handle.with_poll_policy(policy).wait().await;
    spinner.finish_and_clear();
    result.map_err(|e| {
        let hint = match &e {
            OperationError::TimedOut { .. } => format!(
                "; it may still complete: parcelkit smartsend get-operation --team {} \
                 --operation {operation}",
                args.team
            ),
            _ => String::new(),
        };
        // A failed poll's error says its status and Request-ID itself.
        Failure::Api(format!("get_operation: {e}{hint}"))
    })
}
