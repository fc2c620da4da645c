//! The open-enum and required-nullable rules reach every enum and field of both real specs, so a
//! change in typify's output shape (which the rules recognise) cannot leave one closed unnoticed.

use std::path::PathBuf;

use parcelkit_codegen::{APIS, Layout, Output, generate};
use quote::ToTokens;

fn client_file(api: &parcelkit_codegen::ApiSpec) -> syn::File {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let files = generate(api, &root, &[Output::Client], Layout::Reviewed).unwrap();
    assert_eq!(files.len(), 1);
    assert_eq!(files[0].name, format!("{}.rs", api.name));
    syn::parse_file(&files[0].contents).unwrap()
}

fn enums(items: &[syn::Item], out: &mut Vec<syn::ItemEnum>) {
    for item in items {
        match item {
            syn::Item::Enum(e) => out.push(e.clone()),
            syn::Item::Mod(m) => {
                if let Some((_, inner)) = &m.content {
                    enums(inner, out);
                }
            }
            _ => {}
        }
    }
}

#[test]
fn every_string_enum_of_both_specs_is_open() {
    let mut opened = Vec::new();
    let mut problems = Vec::new();
    for api in APIS {
        let file = client_file(api);
        let mut found = Vec::new();
        enums(&file.items, &mut found);
        for e in found {
            let attrs = e.attrs.iter().map(|a| a.to_token_stream().to_string());
            let attrs: Vec<String> = attrs.collect();
            if attrs.iter().any(|a| a.contains("untagged")) {
                continue; // a oneOf union of objects, not a string enum
            }
            let last = e.variants.last().unwrap().to_token_stream().to_string();
            if !last.ends_with("Unknown (:: std :: string :: String)") {
                problems.push(format!("{}: {} has no catch-all", api.name, e.ident));
            }
            if attrs.iter().any(|a| a.contains("Copy")) {
                problems.push(format!("{}: {} is still Copy", api.name, e.ident));
            }
            opened.push(e.ident.to_string());
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    // The enums the issue names (and the rest typify made), so the walk cannot pass empty.
    for name in [
        "ShipmentState",
        "OperationState",
        "BatchState",
        "WeightUnit",
        "DimensionUnit",
        "ItemType",
        "ShippingOrderStatus",
        "ShippingOrderCurrency",
    ] {
        assert!(opened.iter().any(|o| o == name), "{name} in {opened:?}");
    }
}

#[test]
fn no_required_nullable_field_fails_when_missing() {
    for api in APIS {
        let text = client_file(api).to_token_stream().to_string();
        assert!(
            !text.contains("Option :: deserialize"),
            "{}: a field still refuses to be missing",
            api.name
        );
    }
}
