//! The main job until the CLI lands: both generated clients, end to end, on 127.0.0.1.
//!
//! A loopback server answers every operation of both specs with the spec's own success example
//! (status, `Request-ID` header and body), and the generated clients drive a few real flows through
//! it. What is printed was serialised by the client, sent over HTTP, and decoded into the
//! generated types: the specs, the generator and the client agree.
//!
//! Run: `cargo run --example tour`

use std::error::Error;
use std::path::Path;

use httpmock::MockServer;
use parcelkit::{phygitals, smartsend};
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    let server = MockServer::start_async().await;
    println!("loopback server: {}", server.base_url());
    for api in parcelkit_codegen::APIS {
        let served = serve_examples(&server, api)?;
        println!(
            "  {}: {served} operations answered from {}",
            api.name, api.spec_path
        );
    }

    println!("\nSmart Send API v2");
    let smartsend = smartsend::Client::builder()
        .base_url(server.url("/smartsend"))
        .token("tour-token")
        .user_agent("parcelkit-tour/1")
        .build()?;
    let team = "ad9546c1-393e-49a5-9a72-5cc146c9bec5";
    let request: smartsend::types::ShipmentRequest =
        request_example("smartsend", "create_shipment")?;
    let created = smartsend
        .create_shipment()
        .team(team)
        .body(request)
        .send()
        .await?;
    let shipment = &created.data;
    println!(
        "  create_shipment -> {} {} ({:?}, {} parcel(s))",
        created.status(),
        shipment.uuid,
        shipment.state,
        shipment.parcels.len()
    );
    let booked = smartsend
        .book_shipment()
        .team(team)
        .shipment(shipment.uuid)
        .send()
        .await?;
    let status = booked.status();
    match booked.into_inner() {
        smartsend::types::BookShipmentSuccess::ShipmentEnvelope(done) => {
            for parcel in &done.data.parcels {
                println!(
                    "  book_shipment -> {status} tracking {} ({} document(s))",
                    parcel.tracking_code.as_deref().unwrap_or("-"),
                    parcel.documents.len()
                );
            }
        }
        smartsend::types::BookShipmentSuccess::OperationEnvelope(op) => {
            println!(
                "  book_shipment -> {status} operation {} ({:?})",
                op.data.uuid, op.data.state
            );
        }
    }
    let rates = smartsend
        .get_rates()
        .team(team)
        .body(request_example::<smartsend::types::RateRequest>(
            "smartsend",
            "get_rates",
        )?)
        .send()
        .await?;
    println!("  get_rates -> {} rate(s)", rates.data.len());

    println!("\nPhygitals Partner API");
    let phygitals = phygitals::Client::builder()
        .base_url(server.url("/phygitals"))
        .api_key("sandbox-tour")
        .build()?;
    let quote = phygitals
        .quote_shipping()
        .body(request_example::<phygitals::types::QuoteRequest>(
            "phygitals",
            "quote_shipping",
        )?)
        .send()
        .await?;
    let cheapest = quote
        .quotes
        .iter()
        .min_by(|a, b| a.amount.total_cmp(&b.amount))
        .ok_or("the quote example has no rates")?;
    println!(
        "  quote_shipping -> session {} with {} rate(s); cheapest {} {} at ${:.2}",
        quote.session_id,
        quote.quotes.len(),
        cheapest.carrier,
        cheapest.service,
        cheapest.amount
    );
    let order = phygitals
        .request_shipping()
        .body(phygitals::types::ShipRequest::builder().quote_id(cheapest.id.clone()))
        .send()
        .await?;
    println!(
        "  request_shipping -> order {} ({:?})",
        order.order_id, order.status
    );
    let status = phygitals
        .get_shipping_order()
        .order_id(order.order_id.clone())
        .send()
        .await?;
    println!(
        "  get_shipping_order -> {:?}, {} item(s)",
        status.status,
        status.items.len()
    );
    Ok(())
}

fn spec(api_name: &str) -> Result<Value, Box<dyn Error>> {
    let api = parcelkit_codegen::APIS
        .iter()
        .find(|a| a.name == api_name)
        .ok_or("unknown API")?;
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(api.spec_path);
    Ok(parcelkit_codegen::yaml_to_json(&std::fs::read_to_string(
        path,
    )?)?)
}

fn operations(spec: &Value) -> impl Iterator<Item = (&str, &str, &Value)> {
    spec["paths"]
        .as_object()
        .into_iter()
        .flatten()
        .flat_map(|(path, item)| {
            ["get", "post", "put", "patch", "delete"]
                .into_iter()
                .filter_map(move |m| item.get(m).map(|op| (path.as_str(), m, op)))
        })
}

/// The example of a media type: `example`, or the first of `examples`.
fn media_example(media: &Value) -> Option<Value> {
    media.get("example").cloned().or_else(|| {
        media["examples"]
            .as_object()?
            .values()
            .next()
            .map(|e| e["value"].clone())
    })
}

/// The request body example of an operation, decoded into the generated request type.
fn request_example<T: serde::de::DeserializeOwned>(
    api: &str,
    operation_id: &str,
) -> Result<T, Box<dyn Error>> {
    let spec = spec(api)?;
    let (_, _, op) = operations(&spec)
        .find(|(_, _, op)| op["operationId"] == operation_id)
        .ok_or("no such operation")?;
    let example = media_example(&op["requestBody"]["content"]["application/json"])
        .ok_or("no request example")?;
    Ok(serde_json::from_value(example)?)
}

/// Mocks every operation of `api` under `/<api.name>` with its first success response's example.
fn serve_examples(
    server: &MockServer,
    api: &parcelkit_codegen::ApiSpec,
) -> Result<usize, Box<dyn Error>> {
    let spec = spec(api.name)?;
    let mut served = 0;
    for (path, method, op) in operations(&spec) {
        let Some((status, response)) = op["responses"]
            .as_object()
            .and_then(|r| r.iter().find(|(code, _)| code.starts_with('2')))
        else {
            continue;
        };
        let body = media_example(&response["content"]["application/json"]).unwrap_or(Value::Null);
        // `{team}` and friends match one path segment.
        let segments: Vec<String> = path
            .split('/')
            .map(|seg| {
                if seg.starts_with('{') {
                    "[^/]+".to_owned()
                } else {
                    regex::escape(seg)
                }
            })
            .collect();
        let pattern = format!("^/{}{}$", api.name, segments.join("/"));
        let status: u16 = status.parse()?;
        let operation_id = op["operationId"].as_str().unwrap_or("op").to_owned();
        server.mock(|when, then| {
            when.method(method.to_uppercase().as_str())
                .path_matches(pattern.as_str());
            then.status(status)
                .header("content-type", "application/json")
                .header(
                    "Request-ID",
                    format!("tour-{operation_id}").replace('_', "-"),
                )
                .json_body(body);
        });
        served += 1;
    }
    Ok(served)
}
