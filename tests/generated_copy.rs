//! build.rs and `cargo xtask regen` share parcelkit-codegen; this holds them to it: the code
//! compiled into this crate is byte for byte the reviewed copy in `generated/`.

macro_rules! same_bytes {
    ($test:ident, $feature:literal, $file:literal) => {
        #[cfg(feature = $feature)]
        #[test]
        fn $test() {
            let built = include_str!(concat!(env!("OUT_DIR"), "/", $file));
            let committed = include_str!(concat!("../generated/", $file));
            assert!(
                built == committed,
                "generated/{} differs from what build.rs emitted; run `cargo xtask regen`",
                $file
            );
        }
    };
}

same_bytes!(smartsend_client, "smartsend", "smartsend.rs");
same_bytes!(smartsend_mocks, "smartsend", "smartsend_httpmock.rs");
same_bytes!(smartsend_cli, "smartsend", "smartsend_cli.rs");
same_bytes!(
    smartsend_normalised_spec,
    "smartsend",
    "smartsend.normalised.yaml"
);
same_bytes!(phygitals_client, "phygitals", "phygitals.rs");
same_bytes!(phygitals_mocks, "phygitals", "phygitals_httpmock.rs");
same_bytes!(phygitals_cli, "phygitals", "phygitals_cli.rs");
same_bytes!(
    phygitals_normalised_spec,
    "phygitals",
    "phygitals.normalised.yaml"
);
