//! `parcelkit demo`: the main flows of both APIs, step by step, through the public client API.
//!
//! It starts the sandbox in-process, so it runs anywhere and costs nothing. Only a base URL given
//! on its own command line (`--smartsend-url`, `--phygitals-url`) points it at a real API, never
//! the environment's `SMARTSEND_BASE_URL`/`PHYGITALS_BASE_URL` (which the README tells users to
//! export), and then only with `--yes`: both flows spend money (Smart Send books a parcel,
//! Phygitals buys a pack and ships it). Credentials come from flags or the environment, and go
//! only to a URL given on the command line; the sandbox gets its own.

use std::time::Duration;

use parcelkit::phygitals::{self, ShippingQuotes};
use parcelkit::smartsend::{self, BookingOutcome};
use parcelkit::{IdempotencyKey, PollPolicy, ResponseMeta};
use parcelkit_sandbox::{Sandbox, SandboxConfig};

use crate::Failure;
use crate::output::step;

/// Flags of `parcelkit demo`.
#[derive(Debug, clap::Args)]
pub struct DemoArgs {
    /// Smart Send base URL of a real API (default: the built-in sandbox). Never read from
    /// the environment.
    #[arg(long)]
    smartsend_url: Option<String>,
    /// Smart Send bearer token.
    #[arg(long, env = "SMARTSEND_TOKEN", hide_env_values = true)]
    smartsend_token: Option<String>,
    /// Smart Send team.
    #[arg(long, env = "SMARTSEND_TEAM")]
    team: Option<String>,
    /// Phygitals base URL of a real API (default: the built-in sandbox). Never read from the
    /// environment.
    #[arg(long)]
    phygitals_url: Option<String>,
    /// Phygitals API key.
    #[arg(long, env = "PHYGITALS_API_KEY", hide_env_values = true)]
    phygitals_api_key: Option<String>,
    /// Against a real API: really book a parcel (Smart Send), buy a pack and ship it
    /// (Phygitals).
    #[arg(long)]
    yes: bool,
    /// One line per attempt on stderr, besides the steps.
    #[arg(long)]
    pub verbose: bool,
}

/// Runs the demo.
pub async fn run(args: DemoArgs) -> Result<(), Failure> {
    let local = args.smartsend_url.is_none() && args.phygitals_url.is_none();
    // The sandbox lives as long as the demo; asynchronous bookings complete in half a second.
    let sandbox = if local {
        let sandbox = Sandbox::start(SandboxConfig {
            async_delay: Duration::from_millis(500),
            ..SandboxConfig::default()
        })
        .await
        .map_err(|e| Failure::Api(format!("cannot start the sandbox: {e}")))?;
        println!("Built-in sandbox at {}", sandbox.base_url());
        Some(sandbox)
    } else {
        None
    };
    if args.verbose {
        eprintln!("(--verbose: each step prints its Request-ID)");
    }

    match (&args.smartsend_url, &sandbox) {
        (Some(url), _) if args.yes => {
            let token = args.smartsend_token.clone().unwrap_or_default();
            let team = args.team.clone().unwrap_or_default();
            smartsend_flow(url, &token, &team).await?;
        }
        (Some(_), _) => println!(
            "\nSmart Send: skipped; against a real API the demo books a real parcel: pass --yes"
        ),
        (None, Some(sandbox)) => {
            smartsend_flow(
                &sandbox.smartsend_url(),
                SandboxConfig::DEFAULT_TOKEN,
                SandboxConfig::DEFAULT_TEAM,
            )
            .await?;
        }
        (None, None) => println!("\nSmart Send: skipped (no --smartsend-url)"),
    }

    match (&args.phygitals_url, &sandbox) {
        (Some(url), _) if args.yes => {
            let key = args.phygitals_api_key.clone().unwrap_or_default();
            phygitals_flow(url, &key).await?;
        }
        (Some(_), _) => println!(
            "\nPhygitals: skipped; against a real API the demo buys a pack and ships it: pass --yes"
        ),
        (None, Some(sandbox)) => phygitals_flow(&sandbox.phygitals_url(), "sandbox-demo").await?,
        (None, None) => println!("\nPhygitals: skipped (no --phygitals-url)"),
    }
    if let Some(sandbox) = sandbox {
        println!(
            "\nLedger (writes the sandbox executed): {}",
            sandbox.ledger().to_json()
        );
        sandbox.shutdown().await;
    }
    println!("\ndone");
    Ok(())
}

/// A realistic shipment: one parcel from a Danish web shop to a PostNord pickup point.
fn shipment(reference: &str) -> smartsend::types::ShipmentRequest {
    serde_json::from_value(serde_json::json!({
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
        "parcels": [{"gross_weight": 3100, "length": 50, "width": 35, "height": 20}]
    }))
    .expect("the demo shipment matches the spec")
}

fn tracking(shipment: &smartsend::types::Shipment) -> String {
    shipment
        .parcels
        .iter()
        .map(|p| {
            let label = p
                .documents
                .iter()
                .find(|d| d.type_ == "label")
                .map_or("no label".to_owned(), |d| format!("label {}", d.url));
            format!(
                "tracking {} ({label})",
                p.tracking_code.as_deref().unwrap_or("-")
            )
        })
        .collect::<Vec<_>>()
        .join("; ")
}

async fn smartsend_flow(url: &str, token: &str, team: &str) -> Result<(), Failure> {
    println!("\nSmart Send API v2 at {url}");
    let client = smartsend::Client::builder()
        .base_url(url)
        .token(token)
        .user_agent("parcelkit-demo/0.1")
        .build()
        .map_err(|e| Failure::Usage(e.to_string()))?;

    let created = client
        .create_shipment()
        .team(team)
        .body(shipment("Demo-1001"))
        .send()
        .await
        .map_err(Failure::api("create_shipment"))?;
    let uuid = created.data.uuid;
    step(
        "create_shipment",
        format!(
            "{} shipment {uuid} ({})",
            created.status(),
            created.data.state
        ),
        created.request_id(),
    );

    let booked = client
        .book_shipment()
        .team(team)
        .shipment(uuid)
        .send()
        .await
        .map_err(Failure::api("book_shipment"))?;
    step(
        "book_shipment (sync)",
        format!("{}: {}", booked.data.state, tracking(&booked.data)),
        booked.request_id(),
    );

    let fetched = client
        .get_shipment()
        .team(team)
        .shipment(uuid)
        .send()
        .await
        .map_err(Failure::api("get_shipment"))?;
    step(
        "get_shipment",
        tracking(&fetched.data),
        fetched.request_id(),
    );

    let accepted = client
        .create_and_book_shipment()
        .team(team)
        .body(shipment("Demo-1002"))
        .respond_async()
        .send()
        .await
        .map_err(Failure::api("create_and_book_shipment"))?;
    match accepted {
        BookingOutcome::Accepted(handle) => {
            step(
                "create_and_book (async)",
                format!(
                    "202 operation {} ({})",
                    handle.operation().uuid,
                    handle.operation().state
                ),
                None,
            );
            let policy = PollPolicy::fixed(Duration::from_millis(250), Duration::from_secs(60));
            let done = handle
                .with_poll_policy(policy)
                .wait()
                .await
                .map_err(|e| Failure::Api(format!("get_operation: {e}")))?;
            step(
                "get_operation (polled)",
                format!("succeeded: {}", tracking(&done)),
                None,
            );
        }
        done => {
            let shipment = done
                .wait()
                .await
                .map_err(|e| Failure::Api(format!("create_and_book_shipment: {e}")))?;
            step("create_and_book (sync)", tracking(&shipment), None);
        }
    }

    // A retry with the same key: the server answers from its store, and books nothing twice.
    let third = client
        .create_shipment()
        .team(team)
        .body(shipment("Demo-1003"))
        .send()
        .await
        .map_err(Failure::api("create_shipment"))?;
    let key =
        IdempotencyKey::derive("demo-1003-booking", &third.data.uuid).expect("a uuid is JSON");
    for attempt in ["book_shipment (first try)", "book_shipment (retry)"] {
        let response = client
            .book_shipment()
            .team(team)
            .shipment(third.data.uuid)
            .idempotency_key(key.clone())
            .send()
            .await
            .map_err(Failure::api("book_shipment"))?;
        let replayed = response.replayed();
        step(
            attempt,
            format!("replayed: {replayed}; {}", tracking(&response.data)),
            response.request_id(),
        );
    }
    Ok(())
}

async fn phygitals_flow(url: &str, key: &str) -> Result<(), Failure> {
    println!("\nPhygitals Partner API at {url}");
    let client = phygitals::Client::builder()
        .base_url(url)
        .api_key(key)
        .user_agent("parcelkit-demo/0.1")
        .build()
        .map_err(|e| Failure::Usage(e.to_string()))?;
    let packs = client
        .list_available_packs()
        .send()
        .await
        .map_err(Failure::api("list_available_packs"))?;
    let pack = packs
        .iter()
        .find(|p| p.in_stock && p.enable)
        .ok_or_else(|| Failure::Api("list_available_packs: no pack in stock".into()))?;
    step(
        "list_available_packs",
        format!("{} pack(s); buying {:?}", packs.len(), pack.name),
        None,
    );

    let user = "demo-user-1";
    let bought = client
        .init_purchase()
        .body(
            phygitals::types::PurchaseInitRequest::builder()
                .id(pack.id.clone())
                .amount(2u64)
                .user_id(user),
        )
        .send()
        .await
        .map_err(Failure::api("init_purchase"))?;
    step(
        "init_purchase",
        format!(
            "session {}, {} card(s)",
            bought.session_id,
            bought.nfts.len()
        ),
        None,
    );

    let inventory = client
        .get_inventory()
        .user_id(user)
        .send()
        .await
        .map_err(Failure::api("get_inventory"))?;
    let items: Vec<String> = inventory.items.iter().map(|i| i.id.clone()).collect();
    step("get_inventory", format!("{} item(s)", items.len()), None);

    let quote = client
        .quote_shipping()
        .body(serde_json::from_value::<phygitals::types::QuoteRequest>(serde_json::json!({
            "item_ids": items,
            "destination": {"name": "Emily Carter", "line1": "1450 Brickell Ave", "line2": "Apt 2304",
                            "city": "Miami", "state": "FL", "postal_code": "33131", "country": "US",
                            "phone": "+13055550142", "email": "emily.carter@example.com"}
        })).expect("the demo quote matches the spec"))
        .send()
        .await
        .map_err(Failure::api("quote_shipping"))?;
    let quotes = quote.into_inner();
    let cheapest = quotes
        .cheapest()
        .ok_or_else(|| Failure::Api("quote_shipping: no rates".into()))?;
    step(
        "quote_shipping",
        format!(
            "{} rate(s); cheapest {} {} at ${:.2}",
            quotes.quotes.len(),
            cheapest.carrier,
            cheapest.service,
            cheapest.amount
        ),
        None,
    );
    let order = client
        .request_shipping()
        .body(phygitals::types::ShipRequest::builder().quote_id(cheapest.id.clone()))
        .send()
        .await
        .map_err(Failure::api("request_shipping"))?;
    step(
        "request_shipping",
        format!("order {}", order.order_id),
        None,
    );
    let status = client
        .get_shipping_order()
        .order_id(order.order_id.clone())
        .send()
        .await
        .map_err(Failure::api("get_shipping_order"))?;
    step(
        "get_shipping_order",
        format!("{} ({} item(s))", status.status, status.items.len()),
        None,
    );
    Ok(())
}
