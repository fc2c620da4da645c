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

// build.rs writes only what this crate compiles; the CLI's and the sandbox's files are held to
// the specs by `cargo xtask regen --check` (in CI), which writes every output.
same_bytes!(smartsend_client, "smartsend", "smartsend.rs");
same_bytes!(phygitals_client, "phygitals", "phygitals.rs");

#[cfg(feature = "httpmock")]
mod mocks {
    same_bytes!(smartsend_mocks, "smartsend", "smartsend_httpmock.rs");
    same_bytes!(phygitals_mocks, "phygitals", "phygitals_httpmock.rs");
}

/// build.rs generates the mocks only with the `httpmock` feature, and never the CLI's or the
/// sandbox's files (nothing in this crate would compile them).
#[cfg(feature = "smartsend")]
#[test]
fn build_rs_generates_only_what_the_crate_compiles() {
    let out_dir = std::path::Path::new(env!("OUT_DIR"));
    assert!(out_dir.join("smartsend.rs").exists());
    assert_eq!(
        out_dir.join("smartsend_httpmock.rs").exists(),
        cfg!(feature = "httpmock")
    );
    for skipped in ["smartsend_cli.rs", "smartsend.normalised.yaml"] {
        assert!(!out_dir.join(skipped).exists(), "{skipped}");
    }
}
