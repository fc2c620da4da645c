//! Generates the API clients from `openapi/*.yaml` into `OUT_DIR` with parcelkit-codegen, the
//! same code `cargo xtask regen` uses to write the reviewed copy in `generated/`.

use std::path::PathBuf;

fn main() {
    let root = PathBuf::from(
        std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"),
    );
    let out_dir = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    println!("cargo:rerun-if-changed=build.rs");
    for api in parcelkit_codegen::APIS {
        println!("cargo:rerun-if-changed={}", api.spec_path);
        // Only the APIs whose cargo feature is on are generated (and can fail the build).
        let feature = format!("CARGO_FEATURE_{}", api.name.to_uppercase());
        if std::env::var_os(feature).is_none() {
            continue;
        }
        // Only what this crate compiles: the CLI and the normalised spec are embedded by the
        // CLI and the sandbox from `generated/`, which `cargo xtask regen --check` keeps current.
        let mut outputs = vec![parcelkit_codegen::Output::Client];
        if std::env::var_os("CARGO_FEATURE_HTTPMOCK").is_some() {
            outputs.push(parcelkit_codegen::Output::Mocks);
        }
        // An earlier build with other features may have left outputs this one does not write.
        for output in parcelkit_codegen::Output::ALL {
            if !outputs.contains(&output) {
                let _ = std::fs::remove_file(out_dir.join(output.file_name(api)));
            }
        }
        // Compact: the same tokens as the reviewed copy, unformatted (no formatter in the build).
        let layout = parcelkit_codegen::Layout::Compact;
        match parcelkit_codegen::generate(api, &root, &outputs, layout) {
            Ok(files) => {
                for file in files {
                    // Written every time: when this script reruns, cargo recompiles the crate
                    // whatever the files hold, so comparing first would save nothing.
                    let path = out_dir.join(&file.name);
                    if let Err(e) = std::fs::write(&path, &file.contents) {
                        eprintln!("error: cannot write {}: {e}", path.display());
                        std::process::exit(1);
                    }
                }
            }
            Err(error) => {
                // The message names the spec and the reason; no backtrace into the generator.
                eprintln!("error: {error}");
                std::process::exit(1);
            }
        }
    }
}
