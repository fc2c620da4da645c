//! `regen --check` passes on a fresh tree, fails after any spec edit, and passes again after
//! `regen`: the contract CI relies on.

use std::path::{Path, PathBuf};

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// A scratch copy of what regen reads and writes.
fn scratch_copy() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = workspace_root();
    for sub in ["openapi", "generated"] {
        std::fs::create_dir_all(dir.path().join(sub)).unwrap();
        for entry in std::fs::read_dir(root.join(sub)).unwrap() {
            let entry = entry.unwrap();
            std::fs::copy(entry.path(), dir.path().join(sub).join(entry.file_name())).unwrap();
        }
    }
    std::fs::copy(root.join("README.md"), dir.path().join("README.md")).unwrap();
    dir
}

#[test]
fn committed_copy_is_fresh() {
    let stale = xtask::check(&workspace_root()).unwrap();
    assert!(
        stale.is_empty(),
        "generated/ or README.md is stale; run `cargo xtask regen`: {stale:#?}"
    );
}

#[test]
fn a_spec_edit_makes_check_fail_until_regen() {
    let dir = scratch_copy();
    assert_eq!(xtask::check(dir.path()).unwrap(), []);

    let spec = dir.path().join("openapi/phygitals.yaml");
    let text = std::fs::read_to_string(&spec).unwrap();
    let edited = text.replacen(
        "title: Phygitals Partner API",
        "title: Phygitals Partner API (edited)",
        1,
    );
    assert_ne!(text, edited, "the edit must change the spec");
    std::fs::write(&spec, edited).unwrap();

    let stale = xtask::check(dir.path()).unwrap();
    let paths: Vec<_> = stale.iter().map(|s| s.path.to_str().unwrap()).collect();
    assert!(paths.contains(&"generated/phygitals.rs"), "{stale:#?}");
    assert!(
        paths.contains(&"generated/phygitals.normalised.yaml"),
        "{stale:#?}"
    );
    assert!(
        !paths.iter().any(|p| p.contains("smartsend")),
        "only the edited API is stale: {stale:#?}"
    );
    let summary = &stale
        .iter()
        .find(|s| s.path.ends_with("phygitals.rs"))
        .unwrap()
        .summary;
    assert!(
        summary.contains("(edited)"),
        "the summary shows the change: {summary}"
    );

    let written = xtask::regen(dir.path()).unwrap();
    assert!(written.contains(&PathBuf::from("generated/phygitals.rs")));
    assert_eq!(xtask::check(dir.path()).unwrap(), []);
}

#[test]
fn leftover_and_missing_files_are_stale() {
    let dir = scratch_copy();
    std::fs::write(dir.path().join("generated/old_api.rs"), "// gone\n").unwrap();
    std::fs::remove_file(dir.path().join("generated/smartsend_httpmock.rs")).unwrap();
    let stale = xtask::check(dir.path()).unwrap();
    let summaries: Vec<_> = stale
        .iter()
        .map(|s| format!("{}: {}", s.path.display(), s.summary))
        .collect();
    assert_eq!(
        summaries,
        [
            "generated/smartsend_httpmock.rs: missing",
            "generated/old_api.rs: not produced by the generator any more (delete it)",
        ]
    );
}

#[test]
fn readme_statistics_follow_the_specs() {
    let dir = scratch_copy();
    let spec = dir.path().join("openapi/smartsend.yaml");
    let text = std::fs::read_to_string(&spec).unwrap();
    // Marking one more operation as modelled must change the README's numbers.
    let edited = text.replacen(
        "operationId: get_shipment\n",
        "operationId: get_shipment\n      x-parcelkit-modelled: true\n",
        1,
    );
    assert_ne!(text, edited);
    std::fs::write(&spec, edited).unwrap();
    let stale = xtask::check(dir.path()).unwrap();
    assert!(
        stale.iter().any(|s| s.path == Path::new("README.md")),
        "{stale:#?}"
    );
}

#[test]
fn diff_summary_points_at_the_first_difference() {
    let s = xtask::diff_summary("a\nb\nc\n", "a\nB\nc\nd\n");
    assert_eq!(
        s,
        "2 lines differ (was 3 lines, now 4); first at line 2:\n    - b\n    + B"
    );
}
