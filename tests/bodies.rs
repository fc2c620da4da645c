//! Request bodies read as a user writes them: optional text fields take a `&str`, an `Option`,
//! or `None`, and a missing required field is named.

mod support;

use parcelkit::smartsend::types::{ShipmentRequest, builder};
use serde_json::json;

#[test]
fn optional_text_fields_take_str_string_and_options() {
    // The spec's example supplies the required fields; the text fields are set here.
    let example: ShipmentRequest =
        serde_json::from_value(support::schema_example("smartsend", "ShipmentRequest")).unwrap();
    let request: ShipmentRequest = builder::ShipmentRequest::from(example)
        .reference("Order-5521")
        .invoice_number(String::from("INV-1"))
        .identifier(Some("shop-42"))
        .uri(None::<&str>)
        .try_into()
        .unwrap();
    let sent = serde_json::to_value(&request).unwrap();
    assert_eq!(sent["reference"], json!("Order-5521"));
    assert_eq!(sent["invoice_number"], json!("INV-1"));
    assert_eq!(sent["identifier"], json!("shop-42"));
    assert!(
        sent.get("uri").is_none_or(serde_json::Value::is_null),
        "{sent}"
    );
}

#[test]
fn a_missing_required_field_is_named() {
    let error = ShipmentRequest::try_from(builder::ShipmentRequest::default()).unwrap_err();
    assert!(error.to_string().contains("currency"), "{error}");
}
