//! The JSON Schema that schemars derives for every generated type agrees with the spec's
//! component schema: the same fields, the same required-ness and nullability, the same enum
//! values, the same variants, the same types (see `parcelkit_conformance::derived`).

use parcelkit_conformance::{Api, derived};

#[test]
fn every_generated_type_has_the_fields_and_required_ness_of_its_schema() {
    let mut problems = Vec::new();
    let mut compared = 0;
    for api in Api::ALL {
        for ty in api.schema_types() {
            for mismatch in derived::mismatches(api, ty.name, &ty.derived_schema()) {
                problems.push(format!(
                    "{}: {} ({}): {mismatch}",
                    api.name(),
                    ty.name,
                    ty.rust_type()
                ));
            }
            compared += 1;
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert_eq!(compared, 55 + 37, "every component schema of both specs");
}

/// The comparison must be able to fail: each kind of drift, made by hand in a derived schema,
/// is reported at its path.
#[test]
fn each_kind_of_drift_is_reported() {
    let api = Api::SmartSend;
    let ty = api
        .schema_types()
        .iter()
        .find(|t| t.name == "Shipment")
        .unwrap();
    let pristine = ty.derived_schema();
    let drift = |edit: &dyn Fn(&mut serde_json::Value)| {
        let mut doctored = pristine.clone();
        edit(&mut doctored);
        derived::mismatches(api, "Shipment", &doctored)
    };
    assert_eq!(drift(&|_| {}), Vec::<String>::new());
    assert_eq!(
        drift(&|d| {
            d["properties"].as_object_mut().unwrap().remove("reference");
        }),
        ["Shipment.reference: in the spec, not in the type"]
    );
    assert_eq!(
        drift(&|d| d["properties"]["surprise"] = serde_json::json!({"type": "string"})),
        ["Shipment.surprise: in the type, not in the spec"]
    );
    assert_eq!(
        drift(&|d| d["required"]
            .as_array_mut()
            .unwrap()
            .retain(|f| f != "uuid")),
        ["Shipment.uuid: the spec requires (not null) it, the type does not require it"]
    );
    assert_eq!(
        drift(&|d| d["properties"]["invoice_number"]["type"] = serde_json::json!("string")),
        ["Shipment.invoice_number: nullable in the spec, the type refuses null"]
    );
    assert_eq!(
        drift(&|d| d["definitions"]["Parcel"]["properties"]["uuid"] =
            serde_json::json!({"type": "integer"})),
        Vec::<String>::new(),
        "Parcel is compared as its own component, not inside Shipment"
    );
    let parcel = api
        .schema_types()
        .iter()
        .find(|t| t.name == "Parcel")
        .unwrap();
    let mut doctored = parcel.derived_schema();
    doctored["properties"]["gross_weight"]["type"] = serde_json::json!(["string", "null"]);
    assert_eq!(
        derived::mismatches(api, "Parcel", &doctored),
        ["Parcel.gross_weight: the spec says number, the type has string"]
    );
    let state = api
        .schema_types()
        .iter()
        .find(|t| t.name == "OperationState")
        .unwrap();
    let mut doctored = state.derived_schema();
    doctored["enum"][0] = serde_json::json!("queued");
    assert_eq!(
        derived::mismatches(api, "OperationState", &doctored).len(),
        1
    );
}
