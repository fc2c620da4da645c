//! On the real specs: every type a request body can carry keeps its builder (the body types and
//! the types inside them), and response-only types have none.

use std::path::PathBuf;

use parcelkit_codegen::{APIS, Layout, Output, generate};

fn client_text(api: &parcelkit_codegen::ApiSpec) -> String {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let files = generate(api, &root, &[Output::Client], Layout::Reviewed).unwrap();
    files[0].contents.replace(char::is_whitespace, "")
}

#[test]
fn request_types_keep_builders_and_response_types_have_none() {
    let smartsend = client_text(&APIS[0]);
    for request_type in [
        "ShipmentRequest",
        "Parties",
        "Receiver",
        "Address",
        "Contact",
        "ParcelRequest",
        "DeliveryRequest",
        "AddonRequest",
        "RateRequest",
        "BatchRequest",
    ] {
        assert!(
            smartsend.contains(&format!("TryFrom<{request_type}>forsuper::{request_type}")),
            "{request_type} lost its builder"
        );
    }
    for response_type in ["Shipment", "ShipmentEnvelope", "Rate", "Problem", "Batch"] {
        // Neither `X::builder()` nor the builder's conversion into `X`.
        assert!(
            !smartsend.contains(&format!("builder::{response_type}{{"))
                && !smartsend.contains(&format!(
                    "TryFrom<{response_type}>forsuper::{response_type}"
                )),
            "{response_type} still has a builder"
        );
    }
    let phygitals = client_text(&APIS[1]);
    for request_type in [
        "ShipRequest",
        "QuoteRequest",
        "Destination",
        "BuybackRequest",
    ] {
        assert!(
            phygitals.contains(&format!("TryFrom<{request_type}>forsuper::{request_type}")),
            "{request_type} lost its builder"
        );
    }
    assert!(!phygitals.contains("builder::QuoteResponse{"));
}
