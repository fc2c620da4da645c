//! Every component schema of both specs, as three values (the spec's example, a maximal value
//! with every optional field set, a minimal one with only the required fields), goes through its
//! generated Rust type and comes back as the same JSON, valid against the spec. The JSON the type
//! serializes (as on the wire: the type's field order, pretty-printed) is snapshotted, one
//! reviewed file per schema and case under
//! `snapshots/serialization/<api>/<Schema>.<case>.snap`.

use std::collections::BTreeSet;

use parcelkit_conformance::{Api, equivalence, synth};
use serde_json::json;

fn snapshot_dir(api: Api) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/snapshots/serialization")
        .join(api.name())
}

/// The checks that need no review: the value is valid per the spec before and after, and the
/// type gives back exactly what it was given. All problems are listed, not just the first.
#[test]
fn every_case_survives_its_generated_type_unchanged() {
    let mut problems = Vec::new();
    let mut checked = 0;
    for api in Api::ALL {
        for ty in api.schema_types() {
            let schema_ref = json!({ "$ref": format!("#/components/schemas/{}", ty.name) });
            let cases = match synth::cases(api, ty.name) {
                Ok(cases) => cases,
                Err(e) => {
                    problems.push(format!("{}: {e}", api.name()));
                    continue;
                }
            };
            for case in cases {
                let at = format!("{}: {}.{}", api.name(), ty.name, case.name);
                if let Err(e) = api.validate(&schema_ref, &case.value) {
                    problems.push(format!(
                        "{at}: the built value is not valid per the spec: {e}"
                    ));
                    continue;
                }
                let back = match ty.round_trip(&case.value) {
                    Ok(back) => back,
                    Err(e) => {
                        problems.push(format!("{at}: {} {e}", ty.rust_type()));
                        continue;
                    }
                };
                let changed = equivalence::differences(api, &schema_ref, &case.value, &back);
                if !changed.is_empty() {
                    problems.push(format!(
                        "{at}: changed by {}: {}",
                        ty.rust_type(),
                        changed.join("; ")
                    ));
                } else if let Err(e) = api.validate(&schema_ref, &back) {
                    problems.push(format!("{at}: serialized as JSON the spec refuses: {e}"));
                } else {
                    checked += 1;
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    // 92 schemas, three cases each, plus the other variants of the unions.
    assert!(checked >= 276, "only {checked} cases checked");
}

#[test]
fn every_case_matches_its_reviewed_snapshot() {
    for api in Api::ALL {
        let mut settings = insta::Settings::clone_current();
        settings.set_snapshot_path(snapshot_dir(api));
        settings.set_prepend_module_to_snapshot(false);
        settings.set_omit_expression(true);
        settings.bind(|| {
            for ty in api.schema_types() {
                for case in synth::cases(api, ty.name).expect("checked by the test above") {
                    let serialized = ty
                        .wire_text(&case.value)
                        .expect("checked by the test above");
                    insta::with_settings!({ info => &format!("{} as {}", ty.name, ty.rust_type()) }, {
                        insta::assert_snapshot!(format!("{}.{}", ty.name, case.name), serialized);
                    });
                }
            }
        });
    }
}

/// A schema added to a spec without snapshots fails here by name (insta alone would only fail on
/// the first one), and so does a snapshot left behind by a removed schema.
#[test]
fn every_schema_has_its_snapshots_and_no_snapshot_is_orphaned() {
    let mut problems = Vec::new();
    for api in Api::ALL {
        let expected: BTreeSet<String> = api
            .schema_types()
            .iter()
            .flat_map(|ty| {
                synth::case_names(api, ty.name)
                    .into_iter()
                    .map(move |case| format!("{}.{case}.snap", ty.name))
            })
            .collect();
        for problem in parcelkit_conformance::snapshot_coverage(&snapshot_dir(api), &expected) {
            problems.push(format!(
                "{}: {problem} (new schema? run `cargo insta test -p parcelkit-conformance --review`)",
                api.name()
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
