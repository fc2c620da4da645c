//! `parcelkit phygitals ship --user U [--items a,b] --to address.json [--cheapest|--rate KEY]`:
//! quote shipping for a user's items, pick a rate, request shipping, print the order.
//!
//! The items are checked against the user's inventory first (default: all of them), so a typo
//! is caught before anything is quoted. The destination file is sent as written, unknown keys
//! included: the typed `Destination` would drop fields the spec does not list, so the quote
//! request is built from the raw JSON and sent through the client's own hooks (credentials,
//! Request-ID, retries). The order is printed as JSON on stdout; what was chosen goes to stderr.

use std::path::PathBuf;

use parcelkit::phygitals::{ShippingQuotes, types};
use progenitor_client::{ClientHooks, ClientInfo, OperationInfo, ResponseValue};
use serde_json::Value;

use crate::Failure;
use crate::output::{OutputFormat, print_value};

/// Flags of `parcelkit phygitals ship`.
#[derive(Debug, clap::Args)]
pub struct ShipArgs {
    /// The partner's user whose items ship.
    #[arg(long)]
    user: String,
    /// Ids of the items to ship together, comma-separated [default: every item the user holds].
    #[arg(long, value_delimiter = ',', value_name = "ID,...")]
    items: Vec<String>,
    /// The destination: a JSON file (name, line1, line2, city, state, postal_code, country,
    /// phone, email), sent as written.
    #[arg(long, value_name = "FILE")]
    to: PathBuf,
    /// Take the cheapest rate (the default).
    #[arg(long, conflicts_with = "rate")]
    cheapest: bool,
    /// Take the rate with this key: the part after `_rate_` in its id, e.g. `priority`.
    #[arg(long, value_name = "KEY")]
    rate: Option<String>,
}

/// Runs `parcelkit phygitals ship`.
pub async fn run(
    args: ShipArgs,
    client: &parcelkit::phygitals::Client,
    _verbose: bool,
) -> Result<(), Failure> {
    let destination = read_destination(&args.to)?;

    let inventory = client
        .get_inventory()
        .user_id(args.user.as_str())
        .send()
        .await
        .map_err(Failure::api("get_inventory"))?
        .into_inner();
    let held: Vec<String> = inventory.items.iter().map(|i| i.id.clone()).collect();
    let items = if args.items.is_empty() {
        held
    } else {
        let missing: Vec<&str> = args
            .items
            .iter()
            .filter(|id| !held.contains(id))
            .map(String::as_str)
            .collect();
        if !missing.is_empty() {
            return Err(Failure::Api(format!(
                "get_inventory: user {} holds no available item {} (held: {})",
                args.user,
                missing.join(", "),
                if held.is_empty() {
                    "none".to_owned()
                } else {
                    held.join(", ")
                }
            )));
        }
        args.items.clone()
    };
    if items.is_empty() {
        return Err(Failure::Api(format!(
            "user {} holds no items to ship",
            args.user
        )));
    }

    let body = serde_json::json!({"item_ids": items, "destination": destination});
    let quotes = quote(client, &body)
        .await
        .map_err(Failure::api("quote_shipping"))?
        .into_inner();
    let chosen = match &args.rate {
        Some(key) => quotes.by_rate_key(key).ok_or_else(|| {
            let offered: Vec<String> = quotes
                .quotes
                .iter()
                .map(|q| {
                    format!(
                        "{} ({} {}, {:.2})",
                        q.id.rate_key(),
                        q.carrier,
                        q.service,
                        q.amount
                    )
                })
                .collect();
            Failure::Api(format!(
                "quote_shipping: no rate {key:?} on offer; offered: {}",
                offered.join(", ")
            ))
        })?,
        None => quotes
            .cheapest()
            .ok_or_else(|| Failure::Api("quote_shipping: no rates on offer".into()))?,
    };
    eprintln!(
        "parcelkit: {} item(s); rate {}: {} {}, {:.2}, {}-{} days",
        items.len(),
        chosen.id,
        chosen.carrier,
        chosen.service,
        chosen.amount,
        chosen.estimated_days_min,
        chosen.estimated_days_max
    );

    let shipped = client
        .request_shipping()
        .body(types::ShipRequest::builder().quote_id(&chosen.id))
        .send()
        .await
        .map_err(Failure::api("request_shipping"))?
        .into_inner();
    // The order exists now; if reading it back fails, show what request_shipping said rather
    // than fail a command whose write succeeded.
    match client
        .get_shipping_order()
        .order_id(&shipped.order_id)
        .send()
        .await
    {
        Ok(order) => print_value(&order.into_inner(), OutputFormat::Json),
        Err(e) => {
            eprintln!("parcelkit: order created; reading it back failed: get_shipping_order: {e}");
            print_value(&shipped, OutputFormat::Json);
        }
    }
    Ok(())
}

/// The destination file as a JSON object.
fn read_destination(path: &PathBuf) -> Result<Value, Failure> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| Failure::Usage(format!("cannot read {}: {e}", path.display())))?;
    let value: Value = serde_json::from_str(&text)
        .map_err(|e| Failure::Usage(format!("{} is not JSON: {e}", path.display())))?;
    if !value.is_object() {
        return Err(Failure::Usage(format!(
            "{} must hold a JSON object (the destination address)",
            path.display()
        )));
    }
    Ok(value)
}

/// `quote_shipping` with a raw JSON body, through the client's hooks like the generated
/// operation (same URL, operation id and status handling), so `detailed()` works on it.
async fn quote(
    client: &parcelkit::phygitals::Client,
    body: &Value,
) -> Result<ResponseValue<types::QuoteResponse>, progenitor_client::Error<types::QuoteShippingError>>
{
    let url = format!("{}/api/v1/ship/quote", client.baseurl());
    let mut request = client
        .client()
        .post(url)
        .header(reqwest::header::ACCEPT, "application/json")
        .json(body)
        .build()?;
    let info = OperationInfo {
        operation_id: "quote_shipping",
    };
    client.pre(&mut request, &info).await?;
    let response = client.exec(request, &info).await?;
    match response.status().as_u16() {
        200..=299 => ResponseValue::from_response(response).await,
        400..=599 => Err(progenitor_client::Error::ErrorResponse(
            ResponseValue::from_response(response).await?,
        )),
        _ => Err(progenitor_client::Error::UnexpectedResponse(response)),
    }
}
