//! A vendor that adds an enum value or drops a null field must not break a read (issue 10):
//! unknown values decode into the catch-all and go back out unchanged, pollers wait through an
//! unknown state, a missing required-nullable field is `None`, and parsing stays strict.

mod support;

use std::sync::Arc;
use std::time::Duration;

use parcelkit::PollPolicy;
use parcelkit::phygitals::{self, OrderWaitError};
use parcelkit::smartsend::{self, BookingOutcome, OperationError};
use serde_json::{Value, json};
use support::{ManualClock, ScriptedServer, Step, json, json_with};

const TEAM: &str = "ad9546c1-393e-49a5-9a72-5cc146c9bec5";
const SHIPMENT: &str = "550e8400-e29b-41d4-a716-446655440000";
const ORDER: &str = "order_Zk3pQ9vX2mB7tL1c";

fn order_id() -> parcelkit::phygitals::OrderId {
    ORDER.parse().unwrap()
}

fn smartsend_example(schema: &str) -> Value {
    support::schema_example("smartsend", schema)
}

fn phygitals_example(schema: &str) -> Value {
    support::schema_example("phygitals", schema)
}

fn smartsend_client(server: &ScriptedServer, clock: &ManualClock) -> smartsend::Client {
    smartsend::Client::builder()
        .base_url(&server.base_url)
        .token("t0ken")
        .clock(Arc::new(clock.clone()))
        .build()
        .unwrap()
}

fn phygitals_client(server: &ScriptedServer, clock: &ManualClock) -> phygitals::Client {
    phygitals::Client::builder()
        .base_url(&server.base_url)
        .api_key("sandbox-k")
        .clock(Arc::new(clock.clone()))
        .build()
        .unwrap()
}

async fn get_shipment(body: Value) -> smartsend::types::Shipment {
    let server = ScriptedServer::start(vec![json(200, json!({ "data": body }))]).await;
    smartsend_client(&server, &ManualClock::new())
        .get_shipment()
        .team(TEAM)
        .shipment(SHIPMENT.parse::<uuid::Uuid>().unwrap())
        .send()
        .await
        .expect("the shipment decodes")
        .into_inner()
        .data
}

#[tokio::test]
async fn a_shipment_with_new_state_unit_and_currency_decodes_and_goes_back_unchanged() {
    use smartsend::types::{DimensionUnit, ShipmentState, WeightUnit};
    let mut body = smartsend_example("Shipment");
    body["state"] = json!("cancelled");
    body["weight_unit"] = json!("ct");
    body["dimension_unit"] = json!("ft");
    body["currency"] = json!("EUR");
    let shipment = get_shipment(body).await;
    assert_eq!(shipment.state, ShipmentState::Unknown("cancelled".into()));
    assert!(shipment.state.is_unknown());
    assert_eq!(shipment.state.as_str(), "cancelled");
    assert_eq!(shipment.state.to_string(), "cancelled");
    assert_eq!(shipment.weight_unit, Some(WeightUnit::Unknown("ct".into())));
    assert_eq!(
        shipment.dimension_unit,
        Some(DimensionUnit::Unknown("ft".into()))
    );
    assert_eq!(shipment.currency.as_str(), "EUR");
    let back = serde_json::to_value(&shipment).unwrap();
    assert_eq!(back["state"], "cancelled");
    assert_eq!(back["weight_unit"], "ct");
    assert_eq!(back["dimension_unit"], "ft");
    assert_eq!(back["currency"], "EUR");
}

#[tokio::test]
async fn documented_values_stay_typed() {
    use smartsend::types::{ShipmentState, WeightUnit};
    let shipment = get_shipment(smartsend_example("Shipment")).await;
    assert_eq!(shipment.state, ShipmentState::Booked);
    assert!(!shipment.state.is_unknown());
    assert_eq!(shipment.weight_unit, Some(WeightUnit::G));
}

#[tokio::test]
async fn a_list_page_with_one_unknown_state_decodes_whole() {
    let known = smartsend_example("Shipment");
    let mut odd = known.clone();
    odd["state"] = json!("on_hold");
    let mut page = smartsend_example("ShipmentList");
    page["data"] = json!([known, odd]);
    page["meta"]["total"] = json!(2);
    let server = ScriptedServer::start(vec![json(200, page)]).await;
    let list = smartsend_client(&server, &ManualClock::new())
        .list_shipments()
        .team(TEAM)
        .send()
        .await
        .expect("the page decodes")
        .into_inner();
    let states: Vec<&str> = list.data.iter().map(|s| s.state.as_str()).collect();
    assert_eq!(states, ["booked", "on_hold"]);
    assert!(list.data[1].state.is_unknown());
}

#[tokio::test]
async fn a_phygitals_order_and_inventory_item_with_new_values_decode() {
    use phygitals::types::{ItemType, ShippingOrderCurrency, ShippingOrderStatus};
    let mut order = phygitals_example("ShippingOrder");
    order["status"] = json!("on_hold");
    order["currency"] = json!("EUR");
    let mut item = phygitals_example("InventoryItem");
    item["type"] = json!("pokemon_center");
    let mut inventory = phygitals_example("Inventory");
    inventory["items"] = json!([item]);
    let server = ScriptedServer::start(vec![json(200, order), json(200, inventory)]).await;
    let client = phygitals_client(&server, &ManualClock::new());
    let order = client
        .get_shipping_order()
        .order_id(ORDER)
        .send()
        .await
        .expect("the order decodes")
        .into_inner();
    assert_eq!(order.status, ShippingOrderStatus::Unknown("on_hold".into()));
    assert_eq!(order.currency, ShippingOrderCurrency::Unknown("EUR".into()));
    let back = serde_json::to_value(&order).unwrap();
    assert_eq!(
        (back["status"].as_str(), back["currency"].as_str()),
        (Some("on_hold"), Some("EUR"))
    );
    let inventory = client
        .get_inventory()
        .user_id("user_7f3c9a2e")
        .send()
        .await
        .expect("the inventory decodes")
        .into_inner();
    assert_eq!(
        inventory.items[0].type_,
        Some(ItemType::Unknown("pokemon_center".into()))
    );
    assert_eq!(
        serde_json::to_value(&inventory).unwrap()["items"][0]["type"],
        "pokemon_center"
    );
}

fn operation(state: &str) -> Value {
    let mut op = smartsend_example("Operation");
    op["state"] = json!(state);
    op["error"] = Value::Null;
    op["result"] = if state == "succeeded" {
        smartsend_example("Shipment")
    } else {
        Value::Null
    };
    op
}

async fn accepted(server: &ScriptedServer, clock: &ManualClock) -> smartsend::OperationHandle {
    let outcome = smartsend_client(server, clock)
        .book_shipment()
        .team(TEAM)
        .shipment(SHIPMENT.parse::<uuid::Uuid>().unwrap())
        .respond_async()
        .send()
        .await
        .expect("the booking is answered");
    let BookingOutcome::Accepted(handle) = outcome else {
        panic!("202 must give a handle");
    };
    *handle
}

#[tokio::test]
async fn an_operation_in_an_unknown_state_is_polled_to_the_timeout_which_names_it() {
    let on_hold = json(200, json!({ "data": operation("on_hold") }));
    let server = ScriptedServer::start(vec![
        json_with(202, &[], json!({ "data": operation("pending") })),
        on_hold.clone(),
        on_hold.clone(),
        on_hold,
    ])
    .await;
    let clock = ManualClock::new();
    let handle = accepted(&server, &clock).await;
    let policy = PollPolicy::fixed(Duration::from_secs(1), Duration::from_millis(2500));
    let error = handle.with_poll_policy(policy).wait().await.unwrap_err();
    let text = error.to_string();
    match error {
        OperationError::TimedOut {
            last_state, waited, ..
        } => {
            assert_eq!(
                last_state,
                smartsend::types::OperationState::Unknown("on_hold".into())
            );
            // The client's clock: the 2 s slept, plus the real time the polls took.
            assert!(
                waited >= Duration::from_secs(2) && waited < Duration::from_millis(2500),
                "{waited:?}"
            );
        }
        other => panic!("expected a timeout, got {other:?}"),
    }
    assert!(
        text.contains("timed out after 2.0 s; last state \"on_hold\" (not in the spec)"),
        "{text}"
    );
    assert_eq!(server.requests().len(), 3, "the booking and two polls");
    assert_eq!(clock.slept(), [Duration::from_secs(1); 2]);
}

#[tokio::test]
async fn an_operation_passing_through_an_unknown_state_still_succeeds() {
    let server = ScriptedServer::start(vec![
        json_with(202, &[], json!({ "data": operation("pending") })),
        json(200, json!({ "data": operation("on_hold") })),
        json(200, json!({ "data": operation("succeeded") })),
    ])
    .await;
    let shipment = accepted(&server, &ManualClock::new())
        .await
        .wait()
        .await
        .expect("succeeds after the unknown state");
    assert_eq!(shipment.uuid.to_string(), SHIPMENT);
}

fn order_step(status: &str) -> Step {
    let mut order = phygitals_example("ShippingOrder");
    order["status"] = json!(status);
    json(200, order)
}

#[tokio::test]
async fn an_order_in_an_unknown_status_is_polled_to_the_timeout_which_names_it() {
    let server = ScriptedServer::start(vec![order_step("on_hold"); 10]).await;
    let clock = ManualClock::new();
    let error = phygitals_client(&server, &clock)
        .wait_for_order(
            &order_id(),
            PollPolicy::fixed(Duration::from_secs(10), Duration::from_secs(25)),
        )
        .await
        .unwrap_err();
    let text = error.to_string();
    match error {
        OrderWaitError::TimedOut {
            last_status,
            waited,
            ..
        } => {
            assert_eq!(
                last_status,
                phygitals::types::ShippingOrderStatus::Unknown("on_hold".into())
            );
            // The client's clock: the 20 s slept, plus the real time the polls took.
            assert!(
                waited >= Duration::from_secs(20) && waited < Duration::from_millis(20500),
                "{waited:?}"
            );
        }
        other => panic!("expected a timeout, got {other:?}"),
    }
    assert_eq!(
        text,
        format!("order {ORDER} timed out after 20.0 s; last status \"on_hold\" (not in the spec)")
    );
    assert_eq!(server.requests().len(), 3);
}

#[tokio::test]
async fn an_order_passing_through_an_unknown_status_still_ends() {
    let server = ScriptedServer::start(vec![order_step("on_hold"), order_step("delivered")]).await;
    let order = phygitals_client(&server, &ManualClock::new())
        .wait_for_order(&order_id(), PollPolicy::default())
        .await
        .expect("delivered after the unknown status");
    assert_eq!(
        order.status,
        phygitals::types::ShippingOrderStatus::Delivered
    );
}

#[tokio::test]
async fn a_missing_required_nullable_field_decodes_as_none_and_is_sent_as_null() {
    let mut body = smartsend_example("Shipment");
    let fields = body.as_object_mut().unwrap();
    fields.remove("uri");
    fields.remove("booked_at");
    body["delivery"]
        .as_object_mut()
        .unwrap()
        .remove("carrier_logo_url");
    let shipment = get_shipment(body).await;
    assert_eq!(shipment.uri, None);
    assert_eq!(shipment.booked_at, None);
    assert_eq!(shipment.delivery.carrier_logo_url, None);

    let mut order = phygitals_example("ShippingOrder");
    order.as_object_mut().unwrap().remove("error_message");
    let server = ScriptedServer::start(vec![json(200, order)]).await;
    let order = phygitals_client(&server, &ManualClock::new())
        .get_shipping_order()
        .order_id(ORDER)
        .send()
        .await
        .expect("the order decodes")
        .into_inner();
    assert_eq!(order.error_message, None);
    // What we write stays strict: a field the spec requires (and allows null) is there, as null.
    let back = serde_json::to_value(&order).unwrap();
    assert_eq!(back.get("error_message"), Some(&Value::Null));
}

#[test]
fn parsing_an_unknown_value_is_refused_with_its_name_and_the_accepted_ones() {
    use smartsend::types::ShipmentState;
    let error = "cancelled"
        .parse::<ShipmentState>()
        .unwrap_err()
        .to_string();
    assert_eq!(
        error,
        r#"invalid value "cancelled"; expected one of "open", "booking", "booked", "failed""#
    );
    assert!(ShipmentState::try_from("cancelled").is_err());
    assert!(ShipmentState::try_from(String::from("cancelled")).is_err());
    assert_eq!(
        "booked".parse::<ShipmentState>().unwrap(),
        ShipmentState::Booked
    );
    // Built on purpose, an unknown value is sent as written.
    assert_eq!(
        serde_json::to_value(ShipmentState::Unknown("cancelled".into())).unwrap(),
        "cancelled"
    );
}

#[test]
fn a_value_that_is_not_a_string_still_fails_to_decode() {
    let error = serde_json::from_value::<smartsend::types::ShipmentState>(json!(7)).unwrap_err();
    assert_eq!(
        error.to_string(),
        "invalid type: integer `7`, expected a string"
    );
    assert!(serde_json::from_value::<smartsend::types::ShipmentState>(Value::Null).is_err());
}

#[tokio::test]
async fn a_request_parameter_takes_only_documented_values() {
    let server = ScriptedServer::start(vec![]).await;
    let result = smartsend_client(&server, &ManualClock::new())
        .list_booking_batches()
        .team(TEAM)
        .state("on_hold")
        .send()
        .await;
    assert!(
        matches!(&result, Err(e) if e.kind() == parcelkit::ErrorKind::InvalidRequest),
        "{result:?}"
    );
    assert!(server.requests().is_empty(), "nothing was sent");
}
