//! End to end: the real Phygitals client against the local sandbox (`parcelkit-sandbox`), on
//! 127.0.0.1 with a fixed clock. Every operation of the spec is called, every flow of the
//! vendor's documented sandbox is walked (packs, purchases, inventory, cards, recent pulls,
//! sell-back, quoting, ordering, expiries, locks, partner isolation), and every response is
//! checked against the spec by the sandbox itself (`validate_responses`).
//!
//! What the typed client refuses to send (a three-letter country, an empty `item_ids`, a
//! `quote_id` without `_rate_`, unknown destination keys, malformed JSON) goes over a raw
//! HTTP/1.1 connection instead.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use parcelkit::phygitals::ResponseValue;
use parcelkit::phygitals::{self, OrderWaitError, PhygitalsError, QuoteId, ShippingQuotes, types};
use parcelkit::{ErrorKind, PollPolicy};
use parcelkit_sandbox::{Clock, Sandbox, SandboxConfig, SandboxHandle};
use serde_json::{Value, json};

const START: &str = "2026-03-04T09:15:00Z";
const KEY: &str = "sandbox-partner-a";
const OTHER_KEY: &str = "sandbox-partner-b";
/// The seeded packs (see the sandbox's catalogue).
const BOWMAN: &str = "7Hq3VkZpM2xRtN8cWbLd5FsYj4GaUe9KmPo1DrTz6Bnv";
const PRIZM: &str = "5Jx8RmWq2TvN9cKbP4LdY7FsHg3ZaUe6MkQo1DrBt8Vn";
const POKEMON_OUT_OF_STOCK: &str = "3FtWq8NzL5cVbR2mXk7YhJ9dGs4PaUe6KpTo1MrZ8Dnx";

/// Every operation these tests call, by `operationId`.
const CALLED: &[&str] = &[
    "buyback_item",
    "get_card",
    "get_inventory",
    "get_purchase_status",
    "get_shipping_order",
    "init_purchase",
    "list_available_packs",
    "list_recent_pulls",
    "quote_shipping",
    "request_shipping",
];

fn start() -> DateTime<Utc> {
    START.parse().unwrap()
}

async fn sandbox() -> SandboxHandle {
    Sandbox::start(SandboxConfig {
        validate_responses: true,
        clock: Clock::fixed(start()),
        ..Default::default()
    })
    .await
    .unwrap()
}

fn client(handle: &SandboxHandle, key: &str) -> phygitals::Client {
    phygitals::Client::builder()
        .base_url(handle.phygitals_url())
        .api_key(key)
        .clock(Arc::new(parcelkit::runtime::ManualClock::new()))
        .build()
        .unwrap()
}

/// The error of a call that must fail, with its status and typed details checked.
fn refused<T>(
    result: Result<ResponseValue<T>, parcelkit::Error>,
    status: u16,
    expected: PhygitalsError,
) -> parcelkit::Error {
    let Err(error) = result else {
        panic!("expected {expected:?}, got a success");
    };
    // 401 is `Authentication`, the other documented errors (4xx) `Api`.
    let kind = if status == 401 {
        ErrorKind::Authentication
    } else {
        ErrorKind::Api
    };
    assert_eq!(error.kind(), kind, "{error:?}");
    assert_eq!(
        error.status().map(|s| s.as_u16()),
        Some(status),
        "{error:?}"
    );
    assert_eq!(error.phygitals(), Some(&expected), "{error:?}");
    error
}

fn assert_no_violations(handle: &SandboxHandle) {
    let violations = handle.spec_violations();
    assert!(violations.is_empty(), "{violations:#?}");
}

async fn buy(
    c: &phygitals::Client,
    pack: &str,
    amount: u64,
    user: &str,
) -> types::PurchaseInitResponse {
    c.init_purchase()
        .body(
            types::PurchaseInitRequest::builder()
                .id(pack)
                .amount(amount)
                .user_id(user),
        )
        .send()
        .await
        .unwrap()
        .into_inner()
}

async fn inventory(c: &phygitals::Client, user: &str) -> Vec<types::InventoryItem> {
    c.get_inventory()
        .user_id(user)
        .send()
        .await
        .unwrap()
        .into_inner()
        .items
}

fn miami() -> Value {
    json!({
        "name": "Emily Carter",
        "line1": "1450 Brickell Ave",
        "line2": "Apt 2304",
        "city": "Miami",
        "state": "FL",
        "postal_code": "33131",
        "country": "US",
        "phone": "+13055550142",
        "email": "emily.carter@example.com"
    })
}

fn quote_request(items: &[&str], destination: Value) -> types::QuoteRequest {
    serde_json::from_value(json!({"item_ids": items, "destination": destination})).unwrap()
}

async fn quote(
    c: &phygitals::Client,
    items: &[&str],
    destination: Value,
) -> Result<ResponseValue<types::QuoteResponse>, parcelkit::Error> {
    c.quote_shipping()
        .body(quote_request(items, destination))
        .send()
        .await
}

async fn ship(
    c: &phygitals::Client,
    quote_id: &QuoteId,
) -> Result<ResponseValue<types::ShipResponse>, parcelkit::Error> {
    c.request_shipping()
        .body(types::ShipRequest::builder().quote_id(quote_id))
        .send()
        .await
}

async fn buyback(
    c: &phygitals::Client,
    item: &str,
) -> Result<ResponseValue<types::BuybackResponse>, parcelkit::Error> {
    c.buyback_item()
        .body(types::BuybackRequest::builder().item_id(item.to_owned()))
        .send()
        .await
}

/// A plain HTTP exchange with the sandbox's Phygitals routes, for what the typed client cannot
/// send: status, content type, and the body as JSON (`Value::Null` when it is not JSON).
async fn raw(
    handle: &SandboxHandle,
    method: &str,
    path: &str,
    key: Option<&str>,
    body: &str,
) -> (u16, String, Value) {
    let method = reqwest::Method::from_bytes(method.as_bytes()).expect("a method");
    let mut request = reqwest::Client::new()
        .request(method, format!("{}{path}", handle.phygitals_url()))
        .header("content-type", "application/json")
        .body(body.to_owned());
    if let Some(key) = key {
        request = request.header("x-api-key", key);
    }
    let response = request.send().await.expect("the sandbox answers");
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let bytes = response.bytes().await.expect("a body");
    (
        status,
        content_type,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

/// `{"error": message}` with `status`, as a raw exchange answered it.
fn assert_error(answer: (u16, String, Value), status: u16, message: &str) {
    assert_eq!(answer.0, status, "{answer:?}");
    assert!(answer.1.starts_with("application/json"), "{answer:?}");
    assert_eq!(answer.2["error"], message, "{answer:?}");
}

#[test]
fn every_phygitals_operation_is_called_by_these_tests() {
    let mut in_spec: Vec<&str> =
        parcelkit_codegen::spec_walk::operations(parcelkit_conformance::Api::Phygitals.spec())
            .iter()
            .map(|o| o.label)
            .collect();
    in_spec.sort_unstable();
    assert_eq!(in_spec, CALLED);
}

#[tokio::test]
async fn packs_purchase_status_inventory_cards_and_recent_pulls() {
    let handle = sandbox().await;
    let c = client(&handle, KEY);

    let packs = c.list_available_packs().send().await.unwrap().into_inner();
    assert!(packs.len() >= 3, "{packs:?}");
    assert!(
        packs
            .iter()
            .any(|p| p.id == BOWMAN && p.in_stock && p.enable)
    );
    assert!(
        packs
            .iter()
            .any(|p| p.id == POKEMON_OUT_OF_STOCK && !p.in_stock)
    );
    let mainnet = c.list_available_packs().platform("mainnet").send().await;
    assert_eq!(mainnet.unwrap().into_inner(), packs);
    let devnet = c.list_available_packs().platform("devnet").send().await;
    assert!(devnet.unwrap().into_inner().is_empty());

    // buy/init fulfils at once.
    let bought = buy(&c, BOWMAN, 3, "user-1").await;
    assert_eq!(bought.nfts.len(), 3);
    assert_eq!(
        handle
            .ledger()
            .count("phygitals", "init_purchase", &bought.session_id),
        1
    );

    // buy/status: never pending.
    let status = c
        .get_purchase_status()
        .body(types::PurchaseStatusRequest::builder().session_id(bought.session_id.clone()))
        .send()
        .await
        .unwrap()
        .into_inner();
    let types::PurchaseStatusResponse::Complete(done) = status else {
        panic!("the sandbox never answers pending: {status:?}");
    };
    let result = done.result;
    assert_eq!(result.session_id, bought.session_id);
    assert_eq!(result.user_id, "user-1");
    assert!(result.tx_hash.starts_with("sandbox_"), "{}", result.tx_hash);
    let ids: Vec<&str> = bought.nfts.iter().map(|n| n.id.as_str()).collect();
    let status_ids: Vec<&str> = result.nfts.iter().map(|n| n.id.as_str()).collect();
    assert_eq!(status_ids, ids);

    // The inventory: the pulled items with their prices and the 7-day window.
    let items = inventory(&c, "user-1").await;
    assert_eq!(items.iter().map(|i| i.id.as_str()).collect::<Vec<_>>(), ids);
    for (item, nft) in items.iter().zip(&bought.nfts) {
        assert_eq!(item.claw_id, BOWMAN);
        assert_eq!(item.claw_slug.as_deref(), Some("bowman-chrome-2023"));
        assert_eq!(item.buyback_price, nft.buyback_price);
        assert_eq!(DateTime::<Utc>::from(item.purchased_at), start());
        assert_eq!(
            item.buyback_expires_at.map(DateTime::<Utc>::from),
            Some(start() + chrono::Duration::days(7))
        );
        assert_eq!(item.content.metadata.name, nft.content.metadata.name);
        match &item.mint_address {
            Some(mint) => assert_eq!(mint, &item.id),
            None => assert!(item.id.starts_with("v1|"), "{}", item.id),
        }

        // The card, by item id.
        let card = c
            .get_card()
            .item_id(item.id.as_str())
            .send()
            .await
            .unwrap()
            .into_inner();
        assert_eq!(card.id, item.id);
        assert_eq!(card.name, item.content.metadata.name);
        assert_eq!(card.fmv, market_value(item.buyback_price));
    }
    let missing = c.get_card().item_id("v1|100000000000|9").send();
    refused(missing.await, 404, PhygitalsError::CardNotFound);

    // A later purchase of another pack, for another user.
    handle.clock().advance(chrono::Duration::minutes(1));
    let later = buy(&c, PRIZM, 2, "user-2").await;

    // Recent pulls: newest first, filtered by pack, limited.
    let pulls = |claw_ids: Vec<&str>, limit: Option<i64>| {
        let mut call = c.list_recent_pulls();
        if !claw_ids.is_empty() {
            call = call.claw_ids(claw_ids.into_iter().map(str::to_owned).collect::<Vec<_>>());
        }
        if let Some(limit) = limit {
            call = call.limit(limit);
        }
        async move { call.send().await.unwrap().into_inner() }
    };
    let all = pulls(vec![], None).await;
    assert_eq!(all.len(), 5);
    assert!(all[..2].iter().all(|p| p.claw_id == PRIZM));
    assert!(all.iter().any(|p| p.id == later.nfts[0].id));
    for pull in &all {
        assert_eq!(pull.value, market_value(pull.buyback_price));
    }
    let bowman = pulls(vec![BOWMAN], None).await;
    assert_eq!(bowman.len(), 3);
    assert!(bowman.iter().all(|p| p.claw_id == BOWMAN));
    assert_eq!(pulls(vec![BOWMAN, PRIZM], None).await.len(), 5);
    assert!(pulls(vec!["unknown-pack"], None).await.is_empty());
    // The vendor clamps `limit` into 1..100 rather than refusing it; so does the sandbox.
    assert_eq!(pulls(vec![], Some(0)).await.len(), 1);
    assert_eq!(pulls(vec![], Some(500)).await.len(), 5);
    let newest = pulls(vec![], Some(1)).await;
    assert_eq!(newest.len(), 1);
    assert_eq!(newest[0].claw_id, PRIZM);

    // An unknown purchase session.
    let unknown = c
        .get_purchase_status()
        .body(types::PurchaseStatusRequest::builder().session_id("no-such-session".to_owned()))
        .send()
        .await;
    refused(unknown, 400, PhygitalsError::TransactionFailed);
    assert_no_violations(&handle);
}

#[tokio::test]
async fn purchases_the_sandbox_refuses() {
    let handle = sandbox().await;
    let c = client(&handle, KEY);
    let attempt = |pack: &'static str, amount: u64| {
        c.init_purchase()
            .body(
                types::PurchaseInitRequest::builder()
                    .id(pack)
                    .amount(amount)
                    .user_id("user-1"),
            )
            .send()
    };
    for (pack, amount) in [
        ("no-such-pack", 1),
        (BOWMAN, 11), // max_per_mint is 10
        (POKEMON_OUT_OF_STOCK, 1),
    ] {
        refused(
            attempt(pack, amount).await,
            400,
            PhygitalsError::TransactionFailed,
        );
    }
    // What the typed client cannot send: zero pulls, and malformed JSON.
    let zero =
        r#"{"id": "7Hq3VkZpM2xRtN8cWbLd5FsYj4GaUe9KmPo1DrTz6Bnv", "amount": 0, "user_id": "u"}"#;
    assert_error(
        raw(&handle, "POST", "/api/v1/vm/buy/init", Some(KEY), zero).await,
        400,
        "Transaction failed",
    );
    assert_error(
        raw(&handle, "POST", "/api/v1/vm/buy/init", Some(KEY), "{").await,
        400,
        "Invalid JSON body",
    );
    assert_eq!(handle.ledger().total("phygitals", "init_purchase"), 0);
    assert!(
        c.get_inventory().user_id("user-1").send().await.is_err(),
        "no purchase, no user"
    );

    assert_no_violations(&handle);
}

#[tokio::test]
async fn buyback_pays_the_price_removes_the_item_and_expires_after_7_days() {
    let handle = sandbox().await;
    let c = client(&handle, KEY);
    let bought = buy(&c, BOWMAN, 3, "user-1").await;
    let [first, second, third] = &bought.nfts[..] else {
        panic!("three pulls");
    };

    let paid = buyback(&c, &first.id).await.unwrap().into_inner();
    assert!(paid.success);
    assert_eq!(paid.amount, first.buyback_price);
    assert_eq!(
        handle
            .ledger()
            .count("phygitals", "buyback_item", &first.id),
        1
    );
    let left: Vec<String> = inventory(&c, "user-1")
        .await
        .into_iter()
        .map(|i| i.id)
        .collect();
    assert_eq!(left, [second.id.clone(), third.id.clone()]);

    refused(
        buyback(&c, &first.id).await,
        400,
        PhygitalsError::ItemNotFound,
    );
    refused(
        buyback(&c, "v1|100000000000|0").await,
        400,
        PhygitalsError::ItemNotFound,
    );

    // The window is 7 days, its last instant included.
    handle.clock().advance(chrono::Duration::days(7));
    let paid = buyback(&c, &second.id).await.unwrap().into_inner();
    assert_eq!(paid.amount, second.buyback_price);
    handle.clock().advance(chrono::Duration::seconds(1));
    refused(
        buyback(&c, &third.id).await,
        400,
        PhygitalsError::ItemExpired,
    );
    // An expired item stays in the inventory (it can still be shipped).
    let left = inventory(&c, "user-1").await;
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].id, third.id);
    assert_eq!(handle.ledger().total("phygitals", "buyback_item"), 2);
    assert_no_violations(&handle);
}

#[tokio::test]
async fn quote_cheapest_rate_ship_and_follow_the_queued_order() {
    let handle = sandbox().await;
    let c = client(&handle, KEY);
    let bought = buy(&c, BOWMAN, 2, "user-1").await;
    let ids: Vec<&str> = bought.nfts.iter().map(|n| n.id.as_str()).collect();

    let quoted = quote(&c, &ids, miami()).await.unwrap().into_inner();
    let session = &quoted.session_id;
    let ulid = session.strip_prefix("quote_").unwrap();
    assert_eq!(ulid.len(), 26);
    assert!(
        ulid.chars()
            .all(|ch| "0123456789ABCDEFGHJKMNPQRSTVWXYZ".contains(ch))
    );
    assert_eq!(
        DateTime::<Utc>::from(quoted.expires_at),
        start() + chrono::Duration::minutes(15)
    );
    let mut keys: Vec<String> = quoted
        .quotes
        .iter()
        .map(|q| {
            assert_eq!(q.id.session_id(), session);
            q.id.rate_key().to_owned()
        })
        .collect();
    keys.sort();
    assert_eq!(keys, ["express", "priority", "standard"]);
    assert_eq!(
        handle
            .ledger()
            .count("phygitals", "quote_shipping", session),
        1
    );
    // Quoting reserves nothing.
    assert_eq!(inventory(&c, "user-1").await.len(), 2);

    let cheapest = quoted.cheapest().unwrap().clone();
    assert_eq!(cheapest.id.rate_key(), "standard");
    let fastest = quoted.fastest().unwrap();
    assert_eq!(fastest.id.rate_key(), "express");
    assert_eq!(
        quoted.by_rate_key("priority").unwrap().service,
        "Priority Mail"
    );

    let shipped = ship(&c, &cheapest.id).await.unwrap().into_inner();
    assert_eq!(shipped.status, types::ShipResponseStatus::Success);
    let order_id = shipped.order_id;
    assert!(order_id.is_sandbox_format(), "{order_id}");
    assert_eq!(
        handle
            .ledger()
            .count("phygitals", "request_shipping", order_id.as_str()),
        1
    );

    let order = c
        .get_shipping_order()
        .order_id(&order_id)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(order.order_id, order_id);
    assert_eq!(order.status, types::ShippingOrderStatus::Queued);
    assert_eq!(
        (order.carrier.as_str(), order.service.as_str()),
        ("USPS", "Ground Advantage")
    );
    assert_eq!(order.amount, cheapest.amount);
    assert_eq!(order.currency, types::ShippingOrderCurrency::Usd);
    assert_eq!(order.tracking_number, None);
    assert_eq!(order.tracking_url, None);
    assert_eq!(order.shipped_at, None);
    assert_eq!(order.delivered_at, None);
    assert_eq!(order.error_message, None);
    assert_eq!(DateTime::<Utc>::from(order.created_at), start());
    assert_eq!(serde_json::to_value(&order.destination).unwrap(), miami());
    let order_items: Vec<&str> = order.items.iter().map(|i| i.item_id.as_str()).collect();
    assert_eq!(order_items, ids);

    // The items left the inventory; the user is still known.
    assert!(inventory(&c, "user-1").await.is_empty());

    // Orders never advance in the sandbox: a bounded wait ends in a timeout at `queued`.
    let waited = c
        .wait_for_order(
            &order_id,
            PollPolicy::fixed(Duration::from_secs(10), Duration::from_secs(25)),
        )
        .await;
    match waited {
        Err(OrderWaitError::TimedOut {
            last_status,
            waited,
            ..
        }) => {
            assert_eq!(last_status, types::ShippingOrderStatus::Queued);
            // The client's clock: the 20 s slept, plus the real time the polls took.
            assert!(
                waited >= Duration::from_secs(20) && waited < Duration::from_millis(20500),
                "{waited:?}"
            );
        }
        other => panic!("expected a timeout, got {other:?}"),
    }
    let queued = c
        .wait_for_order_until(&order_id, PollPolicy::default(), |s| {
            s == types::ShippingOrderStatus::Queued
        })
        .await
        .unwrap();
    assert_eq!(queued.order_id, order_id);
    assert_no_violations(&handle);
}

#[tokio::test]
async fn the_destination_is_echoed_exactly_unknown_keys_included() {
    let handle = sandbox().await;
    let c = client(&handle, KEY);
    let bought = buy(&c, PRIZM, 1, "user-1").await;
    let destination = json!({
        "name": "Dana Whitfield",
        "line1": "88 Pearl St",
        "city": "Denver",
        "state": "CO",
        "zip": "80203",
        "country": "US",
        "delivery_note": "Leave at the front desk"
    });
    // The typed client has no `zip`: send the quote raw.
    let body = json!({"item_ids": [bought.nfts[0].id], "destination": destination});
    let (status, _, quoted) = raw(
        &handle,
        "POST",
        "/api/v1/ship/quote",
        Some(KEY),
        &body.to_string(),
    )
    .await;
    assert_eq!(status, 200, "{quoted}");
    let rate = QuoteId::new(quoted["session_id"].as_str().unwrap(), "priority").unwrap();

    let order_id = ship(&c, &rate).await.unwrap().into_inner().order_id;
    let order = c
        .get_shipping_order()
        .order_id(&order_id)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(order.service, "Priority Mail");
    assert_eq!(order.destination.postal_code, None);
    assert_eq!(order.destination.extra["zip"], "80203");
    assert_eq!(
        serde_json::to_value(&order.destination).unwrap(),
        destination
    );
    assert_no_violations(&handle);
}

#[tokio::test]
async fn a_quote_expires_after_15_minutes() {
    let handle = sandbox().await;
    let c = client(&handle, KEY);
    let bought = buy(&c, BOWMAN, 2, "user-1").await;
    let first = quote(&c, &[&bought.nfts[0].id], miami())
        .await
        .unwrap()
        .into_inner();
    let second = quote(&c, &[&bought.nfts[1].id], miami())
        .await
        .unwrap()
        .into_inner();

    // Unknown rate key and unknown session: `Quote expired` too.
    let overnight = QuoteId::new(&first.session_id, "overnight").unwrap();
    refused(
        ship(&c, &overnight).await,
        400,
        PhygitalsError::QuoteExpired,
    );
    refused(
        ship(
            &c,
            &QuoteId::parse("quote_01KJVZ9Q0000000000000000AA_rate_standard").unwrap(),
        )
        .await,
        400,
        PhygitalsError::QuoteExpired,
    );

    // Usable up to its `expires_at`, included...
    handle.clock().advance(chrono::Duration::minutes(15));
    ship(&c, &first.by_rate_key("standard").unwrap().id)
        .await
        .unwrap();
    // ...and not a second later.
    handle.clock().advance(chrono::Duration::seconds(1));
    let error = refused(
        ship(&c, &second.by_rate_key("standard").unwrap().id).await,
        400,
        PhygitalsError::QuoteExpired,
    );
    assert!(!error.is_retryable());
    assert_eq!(handle.ledger().total("phygitals", "request_shipping"), 1);
    // The item of the expired quote is still available.
    let left = inventory(&c, "user-1").await;
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].id, bought.nfts[1].id);
    assert_no_violations(&handle);
}

#[tokio::test]
async fn shipped_items_are_locked() {
    let handle = sandbox().await;
    let c = client(&handle, KEY);
    let bought = buy(&c, BOWMAN, 3, "user-1").await;
    let (a, b, sold) = (
        bought.nfts[0].id.as_str(),
        bought.nfts[1].id.as_str(),
        bought.nfts[2].id.as_str(),
    );

    // Two quotes for the same item; the first order locks it.
    let q1 = quote(&c, &[a], miami()).await.unwrap().into_inner();
    let q2 = quote(&c, &[a], miami()).await.unwrap().into_inner();
    ship(&c, &q1.cheapest().unwrap().id).await.unwrap();
    refused(
        ship(&c, &q2.cheapest().unwrap().id).await,
        400,
        PhygitalsError::ItemAlreadyShipped,
    );
    // The same quote twice is the same conflict.
    refused(
        ship(&c, &q1.cheapest().unwrap().id).await,
        400,
        PhygitalsError::ItemAlreadyShipped,
    );
    // A locked item is not shippable, and not sellable.
    refused(
        quote(&c, &[a], miami()).await,
        400,
        PhygitalsError::NoShippableItems,
    );
    refused(buyback(&c, a).await, 400, PhygitalsError::ItemNotFound);

    // A sold-back item is gone; an unknown one was never there.
    buyback(&c, sold).await.unwrap();
    refused(
        quote(&c, &[sold], miami()).await,
        400,
        PhygitalsError::ItemNotFound,
    );
    refused(
        quote(&c, &["v1|100000000000|0"], miami()).await,
        400,
        PhygitalsError::ItemNotFound,
    );

    // A quote with a locked and an available item covers the available one only.
    let mixed = quote(&c, &[a, b], miami()).await.unwrap().into_inner();
    let order_id = ship(&c, &mixed.cheapest().unwrap().id)
        .await
        .unwrap()
        .into_inner()
        .order_id;
    let order = c
        .get_shipping_order()
        .order_id(&order_id)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(order.items.len(), 1);
    assert_eq!(order.items[0].item_id, b);
    assert_eq!(handle.ledger().total("phygitals", "request_shipping"), 2);
    assert!(inventory(&c, "user-1").await.is_empty());
    assert_no_violations(&handle);
}

#[tokio::test]
async fn invalid_destinations_and_unsupported_countries() {
    let handle = sandbox().await;
    let c = client(&handle, KEY);
    let bought = buy(&c, BOWMAN, 1, "user-1").await;
    let item = bought.nfts[0].id.as_str();

    // A ZIP code of another city: corrected.
    let mut wrong_zip = miami();
    wrong_zip["postal_code"] = json!("90210");
    let error = quote(&c, &[item], wrong_zip).await.unwrap_err();
    assert_eq!(error.status().map(|s| s.as_u16()), Some(400));
    let Some(PhygitalsError::InvalidDestination { details, suggested }) = error.phygitals() else {
        panic!("{error:?}");
    };
    assert_eq!(
        details.as_deref(),
        Some("The postal code 90210 is not in Miami, FL.")
    );
    let suggested = suggested.as_deref().expect("a correction");
    assert_eq!(serde_json::to_value(suggested).unwrap(), miami());

    // No street number: nothing to suggest.
    let mut no_number = miami();
    no_number["line1"] = json!("Brickell Avenue");
    let error = quote(&c, &[item], no_number).await.unwrap_err();
    let Some(PhygitalsError::InvalidDestination { details, suggested }) = error.phygitals() else {
        panic!("{error:?}");
    };
    assert!(details.as_deref().unwrap().contains("street number"));
    assert!(suggested.is_none());

    // Any two-character country passes the sandbox's country check.
    let mut zz = miami();
    zz["country"] = json!("ZZ");
    quote(&c, &[item], zz).await.unwrap();

    // What the typed client refuses to send: a three-letter country, no items, no destination.
    let mut usa = miami();
    usa["country"] = json!("USA");
    let body = json!({"item_ids": [item], "destination": usa}).to_string();
    assert_error(
        raw(&handle, "POST", "/api/v1/ship/quote", Some(KEY), &body).await,
        422,
        "Country not supported",
    );
    let body = json!({"item_ids": [], "destination": miami()}).to_string();
    assert_error(
        raw(&handle, "POST", "/api/v1/ship/quote", Some(KEY), &body).await,
        400,
        "item_ids is required",
    );
    let body = json!({"item_ids": [item]}).to_string();
    let answer = raw(&handle, "POST", "/api/v1/ship/quote", Some(KEY), &body).await;
    assert!(answer.2["details"].is_string(), "{answer:?}");
    assert_error(answer, 400, "Invalid destination address");
    assert_eq!(handle.ledger().total("phygitals", "quote_shipping"), 1);
    assert_no_violations(&handle);
}

#[tokio::test]
async fn keys_are_checked_and_every_partner_has_its_own_state() {
    let handle = sandbox().await;
    let a = client(&handle, KEY);
    let b = client(&handle, OTHER_KEY);

    // Only `sandbox-` keys.
    let live = client(&handle, "live-abc123");
    refused(
        live.list_available_packs().send().await,
        401,
        PhygitalsError::InvalidApiKey,
    );
    for key in [None, Some("sandbox"), Some("")] {
        assert_error(
            raw(&handle, "GET", "/api/v1/vm/available", key, "").await,
            401,
            "Invalid API key",
        );
    }

    let bought = buy(&a, BOWMAN, 2, "user-1").await;
    let item = bought.nfts[0].id.as_str();
    let quoted = quote(&a, &[item], miami()).await.unwrap().into_inner();
    let order_id = ship(&a, &quoted.cheapest().unwrap().id)
        .await
        .unwrap()
        .into_inner()
        .order_id;
    let other_item = bought.nfts[1].id.as_str();

    // Partner B sees none of it.
    refused(
        b.get_inventory().user_id("user-1").send().await,
        404,
        PhygitalsError::UserNotFound,
    );
    refused(
        b.get_shipping_order().order_id(&order_id).send().await,
        404,
        PhygitalsError::OrderNotFound,
    );
    refused(
        b.get_purchase_status()
            .body(types::PurchaseStatusRequest::builder().session_id(bought.session_id.clone()))
            .send()
            .await,
        400,
        PhygitalsError::TransactionFailed,
    );
    refused(
        buyback(&b, other_item).await,
        400,
        PhygitalsError::ItemNotFound,
    );
    refused(
        quote(&b, &[other_item], miami()).await,
        400,
        PhygitalsError::ItemNotFound,
    );
    refused(
        ship(&b, &quoted.by_rate_key("priority").unwrap().id).await,
        400,
        PhygitalsError::QuoteExpired,
    );
    assert!(
        b.list_recent_pulls()
            .send()
            .await
            .unwrap()
            .into_inner()
            .is_empty()
    );
    // Cards are the vendor's catalogue, not partner state: any key can look one up.
    assert_eq!(
        b.get_card()
            .item_id(other_item)
            .send()
            .await
            .unwrap()
            .into_inner()
            .id,
        other_item
    );

    // B's attempts changed nothing for A.
    let left = inventory(&a, "user-1").await;
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].id, other_item);
    assert_eq!(
        a.list_recent_pulls()
            .send()
            .await
            .unwrap()
            .into_inner()
            .len(),
        2
    );
    // The same user id under B is a different user.
    buy(&b, PRIZM, 1, "user-1").await;
    assert_eq!(inventory(&b, "user-1").await.len(), 1);
    assert_eq!(inventory(&a, "user-1").await.len(), 1);
    assert_no_violations(&handle);
}

#[tokio::test]
async fn bad_input_is_a_4xx_in_the_api_format_never_a_500() {
    let handle = sandbox().await;
    let c = client(&handle, KEY);
    buy(&c, BOWMAN, 3, "user-1").await;
    let post = |path: &'static str, body: &'static str| {
        let handle = &handle;
        async move { raw(handle, "POST", path, Some(KEY), body).await }
    };

    // Malformed JSON, on every documented JSON body with a 400.
    for path in [
        "/api/v1/ship/quote",
        "/api/v1/ship/request",
        "/api/v1/vm/buyback",
        "/api/v1/vm/buy/status",
    ] {
        for body in ["{\"item_ids\": [", "not json", "{\"a\": 1,}"] {
            let answer = post(path, body).await;
            assert_eq!(
                answer.2,
                json!({"error": "Invalid JSON body"}),
                "{path} {answer:?}"
            );
            assert_error(answer, 400, "Invalid JSON body");
        }
    }

    // Wrong types, or no body: the documented message for the field.
    let cases = [
        ("/api/v1/ship/quote", "", "item_ids is required"),
        ("/api/v1/ship/quote", "[]", "item_ids is required"),
        ("/api/v1/ship/quote", "null", "item_ids is required"),
        (
            "/api/v1/ship/quote",
            r#"{"item_ids": "a", "destination": {}}"#,
            "item_ids is required",
        ),
        (
            "/api/v1/ship/quote",
            r#"{"item_ids": [1], "destination": {}}"#,
            "item_ids is required",
        ),
        (
            "/api/v1/ship/quote",
            r#"{"item_ids": ["x"], "destination": {"country": 12}}"#,
            "Country not supported",
        ),
        ("/api/v1/ship/request", "", "quote_id is required"),
        (
            "/api/v1/ship/request",
            r#"{"quote_id": 5}"#,
            "quote_id is required",
        ),
        (
            "/api/v1/ship/request",
            r#"{"quote_id": "quote_01KJVZ9Q0000000000000000AA"}"#,
            "quote_id is required",
        ),
        ("/api/v1/vm/buyback", "{}", "Item not found"),
        ("/api/v1/vm/buyback", r#"{"item_id": []}"#, "Item not found"),
        (
            "/api/v1/vm/buy/status",
            r#"{"session_id": {}}"#,
            "Transaction failed",
        ),
        ("/api/v1/vm/buy/status", "", "Transaction failed"),
    ];
    for (path, body, message) in cases {
        let answer = post(path, body).await;
        let status = if message == "Country not supported" {
            422
        } else {
            400
        };
        assert_error(answer, status, message);
    }

    // Path ids that do not decode name nothing.
    assert_error(
        raw(&handle, "GET", "/api/v1/card/%FF%FE", Some(KEY), "").await,
        404,
        "Card not found",
    );
    assert_error(
        raw(&handle, "GET", "/api/v1/ship/order/%FF", Some(KEY), "").await,
        404,
        "Order not found",
    );
    assert_error(
        raw(&handle, "GET", "/api/v1/inventory/%C3", Some(KEY), "").await,
        404,
        "User not found",
    );

    // `limit`: 20 when not a number, clamped into 1..100 otherwise; `claw_ids` repeats.
    for (query, expected) in [
        ("limit=abc", 3),
        ("limit=0", 1),
        ("limit=-3", 1),
        ("limit=2", 2),
        ("limit=1000", 3),
        (
            "claw_ids=x&claw_ids=7Hq3VkZpM2xRtN8cWbLd5FsYj4GaUe9KmPo1DrTz6Bnv",
            3,
        ),
        ("claw_ids=x&claw_ids=y", 0),
        // Broken percent-encoding is taken literally: an unknown pack, a limit that is no number.
        ("claw_ids=%ZZ", 0),
        ("limit=%&other=%E2%82", 3),
    ] {
        let path = format!("/api/v1/vm/recent-pulls?{query}");
        let (status, _, pulls) = raw(&handle, "GET", &path, Some(KEY), "").await;
        assert_eq!(status, 200, "{query}");
        assert_eq!(pulls.as_array().unwrap().len(), expected, "{query}");
    }
    assert_no_violations(&handle);
}

/// The sandbox's market value of a card: its buyback price over the 85 % share, to the cent
/// (half up: prices are positive).
fn market_value(buyback_price: parcelkit::Decimal) -> parcelkit::Decimal {
    use parcelkit::Decimal;
    let cents = buyback_price * Decimal::from(100) / Decimal::new(85, 2) + Decimal::new(5, 1);
    cents.floor() / Decimal::from(100)
}
