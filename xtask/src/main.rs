//! `cargo xtask regen [--check]`: rewrite (or verify) the committed copy of the generated code in
//! `generated/` and the spec statistics in README.md.

use std::path::PathBuf;
use std::process::ExitCode;

const USAGE: &str = "usage: cargo xtask regen [--check]

  regen           write generated/ (client code, httpmock helpers, normalised specs) and the
                  README's spec statistics from openapi/*.yaml
  regen --check   write nothing; exit 1 with a summary when anything there is stale";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    // xtask lives one level below the workspace root.
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask has a parent directory")
        .to_path_buf();
    match args.as_slice() {
        ["regen"] => match xtask::regen(&root) {
            Ok(written) if written.is_empty() => {
                println!("regen: everything is up to date");
                ExitCode::SUCCESS
            }
            Ok(written) => {
                for path in written {
                    println!("regen: wrote {}", path.display());
                }
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("error: {e}");
                ExitCode::FAILURE
            }
        },
        ["regen", "--check"] => match xtask::check(&root) {
            Ok(stale) if stale.is_empty() => {
                println!("regen --check: generated/ and README.md are up to date");
                ExitCode::SUCCESS
            }
            Ok(stale) => {
                eprintln!("regen --check: {} file(s) are stale:", stale.len());
                for s in stale {
                    eprintln!("  {}: {}", s.path.display(), s.summary);
                }
                eprintln!("run `cargo xtask regen` and commit the result");
                ExitCode::FAILURE
            }
            Err(e) => {
                eprintln!("error: {e}");
                ExitCode::FAILURE
            }
        },
        _ => {
            eprintln!("{USAGE}");
            ExitCode::from(2)
        }
    }
}
