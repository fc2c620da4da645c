//! build.rs and `cargo xtask regen` share parcelkit-codegen; this holds them to it: the code
//! compiled into this crate is token for token the reviewed copy in `generated/`. build.rs writes
//! it in the compact layout (unformatted: only the compiler reads it), xtask formatted; both are
//! prints of the same generated syntax tree.

use parcelkit_codegen::{APIS, Layout, Output};

/// What parcelkit-codegen generates now for `api`'s `output` in `layout`.
fn generated(api: &str, output: Output, layout: Layout) -> String {
    let api = APIS.iter().find(|a| a.name == api).expect("a known API");
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = parcelkit_codegen::generate(api, root, &[output], layout).expect("generates");
    files.remove(0).contents
}

/// The first line where `a` and `b` differ, shortened, for a readable failure.
fn first_difference(a: &str, b: &str) -> Option<String> {
    let (mut left, mut right) = (a.lines(), b.lines());
    for line in 1.. {
        match (left.next(), right.next()) {
            (None, None) => return None,
            (l, r) if l == r => continue,
            (l, r) => {
                return Some(format!(
                    "line {line}:\n  {:.300}\n  {:.300}",
                    l.unwrap_or("<end>"),
                    r.unwrap_or("<end>")
                ));
            }
        }
    }
    unreachable!("1.. does not end")
}

macro_rules! same_tokens {
    ($test:ident, $feature:literal, $api:literal, $output:expr, $file:literal) => {
        #[cfg(feature = $feature)]
        #[test]
        fn $test() {
            let built = include_str!(concat!(env!("OUT_DIR"), "/", $file));
            let committed = include_str!(concat!("../generated/", $file));
            if let Some(at) = first_difference(built, &generated($api, $output, Layout::Compact)) {
                panic!(
                    "build.rs emitted another {} than the generator makes, at {at}",
                    $file
                );
            }
            if let Some(at) =
                first_difference(committed, &generated($api, $output, Layout::Reviewed))
            {
                panic!(
                    "generated/{} is stale (run `cargo xtask regen`), at {at}",
                    $file
                );
            }
        }
    };
}

// build.rs writes only what this crate compiles; the CLI's and the sandbox's files are held to
// the specs by `cargo xtask regen --check` (in CI), which writes every output.
same_tokens!(
    smartsend_client,
    "smartsend",
    "smartsend",
    Output::Client,
    "smartsend.rs"
);
same_tokens!(
    phygitals_client,
    "phygitals",
    "phygitals",
    Output::Client,
    "phygitals.rs"
);

#[cfg(feature = "httpmock")]
mod mocks {
    use super::*;

    same_tokens!(
        smartsend_mocks,
        "smartsend",
        "smartsend",
        Output::Mocks,
        "smartsend_httpmock.rs"
    );
    same_tokens!(
        phygitals_mocks,
        "phygitals",
        "phygitals",
        Output::Mocks,
        "phygitals_httpmock.rs"
    );
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
