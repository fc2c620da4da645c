//! Generates each API's command-line operations (progenitor's CLI generator, through
//! parcelkit-codegen, with the same settings as the client) into OUT_DIR. The reviewed copy is
//! `generated/<api>_cli.rs`, written by `cargo xtask regen`.

use std::path::PathBuf;

fn main() {
    let root =
        PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("set by cargo")).join("../..");
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("set by cargo"));
    for api in parcelkit_codegen::APIS {
        println!(
            "cargo:rerun-if-changed={}",
            root.join(api.spec_path).display()
        );
        let files = match parcelkit_codegen::generate(api, &root) {
            Ok(files) => files,
            Err(e) => {
                println!("cargo:warning={e}");
                eprintln!("error: {e}");
                std::process::exit(1);
            }
        };
        for file in files.into_iter().filter(|f| f.name.ends_with("_cli.rs")) {
            std::fs::write(out.join(&file.name), file.contents).expect("OUT_DIR is writable");
        }
    }
}
