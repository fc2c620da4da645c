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

/// A one-parcel shipment as the README writes it: nested builders, list fields from builders.
fn one_parcel(weight: f64) -> builder::ShipmentRequest {
    use parcelkit::smartsend::types::{
        Address, Contact, DeliveryRequest, ParcelRequest, Parties, Receiver,
    };
    ShipmentRequest::builder()
        .currency("DKK")
        .delivery(
            DeliveryRequest::builder()
                .carrier("postnord")
                .service("private"),
        )
        .parties(
            Parties::builder().receiver(
                Receiver::builder()
                    .address(Address::builder().city("Aarhus").country("DK"))
                    .contact(Contact::builder().name_lines(["Jane Doe"])),
            ),
        )
        .parcels([
            ParcelRequest::builder()
                .reference("box-1")
                .gross_weight(weight),
            ParcelRequest::builder().reference("box-2"),
        ])
}

#[test]
fn list_fields_take_builders_and_nested_builders_convert() {
    let request = ShipmentRequest::try_from(one_parcel(1250.0)).unwrap();
    let sent = serde_json::to_value(&request).unwrap();
    assert_eq!(sent["parcels"][0]["reference"], json!("box-1"));
    assert_eq!(sent["parcels"][0]["gross_weight"], json!(1250.0));
    assert_eq!(sent["parcels"][1]["reference"], json!("box-2"));
    assert_eq!(
        sent["parties"]["receiver"]["contact"]["name_lines"],
        json!(["Jane Doe"])
    );
    assert_eq!(sent["delivery"]["carrier"], json!("postnord"));
}

#[test]
fn a_list_item_that_does_not_convert_is_named_by_its_index() {
    use parcelkit::smartsend::types::{AddonRequest, DeliveryRequest};
    let delivery = DeliveryRequest::builder()
        .carrier("postnord")
        .service("private")
        .addons([
            AddonRequest::builder().code("sms"),
            AddonRequest::builder(), // no code
        ]);
    let error = DeliveryRequest::try_from(delivery).unwrap_err().to_string();
    assert!(error.contains("addons[1]"), "{error}");
    assert!(error.contains("code"), "{error}");
    // An empty list is a list, and a Vec of built values still works.
    let empty: [AddonRequest; 0] = [];
    let built = vec![AddonRequest::try_from(AddonRequest::builder().code("sms")).unwrap()];
    for addons in [empty.to_vec(), built] {
        let n = addons.len();
        let delivery = DeliveryRequest::builder()
            .carrier("postnord")
            .service("private")
            .addons(addons);
        assert_eq!(
            DeliveryRequest::try_from(delivery)
                .unwrap()
                .addons
                .map(|a| a.len()),
            Some(n)
        );
    }
}

/// The spec's `pattern`s are compiled into plain checks at generation time (no regex engine in
/// the client); these hold them to the patterns' meaning.
#[test]
fn country_and_currency_codes_are_checked_against_their_patterns() {
    use parcelkit::smartsend::types::{AddressCountry, ShipmentRequestCurrency};

    assert_eq!(AddressCountry::try_from("DK").unwrap().as_str(), "DK");
    for refused in ["dk", "D", "DNK", "D1", "ÆØ", "DK\n", ""] {
        let error = AddressCountry::try_from(refused).unwrap_err().to_string();
        assert!(error.contains("^[A-Z]{2}$"), "{refused:?}: {error}");
    }
    assert!(ShipmentRequestCurrency::try_from("DKK").is_ok());
    for refused in ["DK", "DKKK", "dkk", "DK1"] {
        assert!(
            ShipmentRequestCurrency::try_from(refused).is_err(),
            "{refused:?}"
        );
    }
}
