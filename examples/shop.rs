//! A small shop's day with parcelkit, written as a user writes it: book 20 orders with keys
//! derived from the order (a rerun books nothing twice), list the shipments page by page,
//! download a label, ship trading cards with Phygitals, and handle the errors a shop meets.
//!
//! Against the local sandbox (what CI runs):
//!
//! ```sh
//! cargo run -p parcelkit-sandbox -- --listen 127.0.0.1:4010 &
//! export SMARTSEND_BASE_URL=http://127.0.0.1:4010/smartsend/api/v2
//! export SMARTSEND_TOKEN=sandbox-token SMARTSEND_TEAM=sandbox-team
//! export PHYGITALS_BASE_URL=http://127.0.0.1:4010/phygitals PHYGITALS_API_KEY=sandbox-shop
//! cargo run --example shop
//! ```
//!
//! Against the real APIs, leave the base URLs unset: it then books real parcels.

use std::time::Duration;

use futures_util::TryStreamExt;
use parcelkit::phygitals::{self, PhygitalsError, ShippingQuotes};
use parcelkit::smartsend::{self, Paginate, types};
use parcelkit::{ErrorKind, IdempotencyKey, PollPolicy, ResponseMeta};

type Result<T, E = Box<dyn std::error::Error>> = std::result::Result<T, E>;

/// A one-parcel shipment for an order.
fn shipment_for(order: u32) -> types::builder::ShipmentRequest {
    types::ShipmentRequest::builder()
        .reference(format!("order-{order}"))
        .currency("DKK")
        .delivery(
            types::DeliveryRequest::builder()
                .carrier("postnord")
                .service("home"),
        )
        .parties(
            types::Parties::builder().receiver(
                types::Receiver::builder()
                    .address(
                        types::Address::builder()
                            .address_lines(["Vestergade 12"])
                            .postal_code("8000")
                            .city("Aarhus")
                            .country("DK"),
                    )
                    .contact(
                        types::Contact::builder()
                            .name_lines(["Jane Doe"])
                            .email("jane@example.com"),
                    ),
            ),
        )
        .parcels([types::ParcelRequest::builder()
            .gross_weight(1250.0)
            .total_net_amount(parcelkit::Decimal::new(39920, 2))])
}

#[tokio::main]
async fn main() -> Result<()> {
    let shop = smartsend::Client::from_env()?;

    // 1. Book 20 orders. The key is derived from the order and its payload: a retry, or a rerun
    //    of this program within 24 hours, is answered from the API's store instead of booking
    //    again.
    let mut booked = Vec::new();
    for order in 1..=20 {
        let body = types::ShipmentRequest::try_from(shipment_for(order))?;
        let key = IdempotencyKey::derive(&format!("order-{order}"), &body)?;
        let response = shop
            .create_and_book_shipment()
            .body(body)
            .idempotency_key(key)
            .send()
            .await?;
        let replayed = if response.replayed() {
            " (replayed)"
        } else {
            ""
        };
        let shipment = response.into_inner().data;
        println!(
            "order-{order}: {} {}{replayed}",
            shipment.state,
            shipment.parcels[0].tracking_code.as_deref().unwrap_or("-")
        );
        booked.push(shipment);
    }

    // The same order again: the stored answer, not a second booking.
    let again = types::ShipmentRequest::try_from(shipment_for(1))?;
    let key = IdempotencyKey::derive("order-1", &again)?;
    let replay = shop
        .create_and_book_shipment()
        .body(again)
        .idempotency_key(key)
        .send()
        .await?;
    println!(
        "order-1 again: replayed={}, same shipment: {}",
        replay.replayed(),
        replay.data.uuid == booked[0].uuid
    );
    check(
        replay.replayed() && replay.data.uuid == booked[0].uuid,
        "a retried order books nothing twice",
    )?;

    // 2. Every shipment, 5 per page.
    let all: Vec<types::Shipment> = shop
        .list_shipments()
        .per_page(5)
        .stream()
        .try_collect()
        .await?;
    let ours = all
        .iter()
        .filter(|s| booked.iter().any(|b| b.uuid == s.uuid))
        .count();
    println!(
        "listed {} shipment(s), {ours} of them booked just now",
        all.len()
    );
    check(ours == booked.len(), "every booked shipment is listed")?;

    // 3. The first label.
    let label = booked[0]
        .parcels
        .iter()
        .flat_map(|parcel| &parcel.documents)
        .next()
        .ok_or("a booked parcel has a label")?;
    let file = shop.download_document(label).await?;
    println!(
        "label: {} {}, {} bytes",
        label.type_,
        label.format,
        file.bytes.len()
    );
    check(file.bytes.starts_with(b"%PDF"), "the label is a PDF")?;

    // 4. Phygitals: buy a pack for a user, quote shipping for the cards, take the cheapest rate,
    //    ship, and follow the order.
    let cards = phygitals::Client::from_env()?;
    let pack = cards
        .list_available_packs()
        .send()
        .await?
        .into_inner()
        .into_iter()
        .find(|p| p.in_stock && p.enable)
        .ok_or("a pack in stock")?;
    cards
        .init_purchase()
        .body(
            phygitals::types::PurchaseInitRequest::builder()
                .id(pack.id)
                .amount(2u64)
                .user_id("user-1"),
        )
        .send()
        .await?;
    let inventory = cards.get_inventory().user_id("user-1").send().await?;
    let item_ids = inventory.items.iter().map(|item| item.id.as_str());
    let quote = cards
        .quote_shipping()
        .body(
            phygitals::types::QuoteRequest::builder()
                .item_ids(item_ids)
                .destination(
                    phygitals::types::Destination::builder()
                        .name("Emily Carter")
                        .line1("1450 Brickell Ave")
                        .city("Miami")
                        .state("FL")
                        .postal_code("33131")
                        .country("US"),
                ),
        )
        .send()
        .await?
        .into_inner();
    let rate = quote.cheapest().ok_or("a rate")?;
    println!(
        "cheapest rate: {} {} at ${}",
        rate.carrier, rate.service, rate.amount
    );
    let shipped = cards
        .request_shipping()
        .body(phygitals::types::ShipRequest::builder().quote_id(&rate.id))
        .send()
        .await?;
    let policy = PollPolicy::default()
        .with_interval(Duration::from_millis(200))
        .with_timeout(Duration::from_secs(30));
    let order = cards
        .wait_for_order_until(&shipped.order_id, policy, |status| !status.is_unknown())
        .await?;
    println!("order {}: {}", order.order_id, order.status);

    // 5. The errors a shop meets, each told apart without reading prose.
    // An invalid key is refused before anything is sent.
    match IdempotencyKey::new("order 1") {
        Err(e) => println!("invalid key: {e}"),
        Ok(_) => return Err("a key with a space must be refused".into()),
    }

    // A wrong token.
    let mut stranger = smartsend::Client::builder()
        .token("not-my-token")
        .team("sandbox-team");
    if let Ok(url) = std::env::var("SMARTSEND_BASE_URL") {
        stranger = stranger.base_url(url);
    }
    let stranger = stranger.build()?;
    match stranger.list_services().send().await {
        Err(e) if e.kind() == ErrorKind::Authentication => println!("wrong token: {e}"),
        other => return Err(format!("a wrong token must be refused, got {other:?}").into()),
    }

    // A shipment that does not exist.
    match shop
        .get_shipment()
        .shipment(uuid::Uuid::new_v4())
        .send()
        .await
    {
        Err(e) if e.status().is_some_and(|s| s.as_u16() == 404) => {
            println!("unknown shipment: {e}")
        }
        other => return Err(format!("an unknown shipment must be a 404, got {other:?}").into()),
    }

    // A quote used twice.
    let twice = cards
        .request_shipping()
        .body(phygitals::types::ShipRequest::builder().quote_id(&rate.id))
        .send()
        .await;
    match twice {
        Err(e)
            if matches!(
                e.phygitals(),
                Some(PhygitalsError::QuoteExpired | PhygitalsError::ItemAlreadyShipped)
            ) =>
        {
            println!("quote used twice: {e}")
        }
        other => return Err(format!("a used quote must be refused, got {other:?}").into()),
    }

    // A body the API refuses (422), with the reason per field: a parcel weighing nothing. (A
    // malformed body, such as the country "Denmark", is refused before sending.)
    let weightless = shipment_for(21).parcels([types::ParcelRequest::builder().gross_weight(0.0)]);
    match shop.create_shipment().body(weightless).send().await {
        Err(e) if e.status().is_some_and(|s| s.as_u16() == 422) => {
            let field = "parcels.0.gross_weight";
            println!("refused body: {e}; {field}: {:?}", e.field_errors(field));
            check(!e.field_errors(field).is_empty(), "the 422 names the field")?;
        }
        other => return Err(format!("a weightless parcel must be a 422, got {other:?}").into()),
    }

    println!("done");
    Ok(())
}

/// Stops the program with `what` when `ok` is false: CI runs this example against the sandbox.
fn check(ok: bool, what: &str) -> Result<()> {
    if ok {
        Ok(())
    } else {
        Err(format!("expected: {what}").into())
    }
}
