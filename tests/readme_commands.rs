//! The README's quick start names two commands: the main job and the tests. CI must run the
//! second one, and both must name things that exist.

const README: &str = include_str!("../README.md");
const CI: &str = include_str!("../.ci/run");

/// The commands of the README's quick start block, without their comments.
fn quick_start() -> Vec<&'static str> {
    let start = README
        .find("## Quick start")
        .expect("README has a quick start");
    let block = &README[start..];
    let open = block.find("```sh\n").expect("quick start has a sh block") + "```sh\n".len();
    let close = open + block[open..].find("```").expect("closed block");
    block[open..close]
        .lines()
        .map(|l| l.split('#').next().unwrap_or("").trim())
        .filter(|l| !l.is_empty())
        .collect()
}

#[test]
fn quick_start_has_the_main_job_then_the_tests() {
    let commands = quick_start();
    assert_eq!(commands.len(), 2, "{commands:?}");
    assert!(commands[0].starts_with("cargo run"), "{commands:?}");
    assert!(commands[1].starts_with("cargo test"), "{commands:?}");
}

#[test]
fn ci_runs_the_readme_test_command() {
    let test_command = quick_start()[1];
    assert!(
        CI.lines()
            .filter(|l| !l.trim_start().starts_with('#'))
            .any(|l| l.contains(test_command)),
        ".ci/run does not run `{test_command}`"
    );
}

#[test]
fn the_main_job_is_the_cli_demo() {
    let main_job = quick_start()[0];
    let package = main_job
        .split("-p ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .expect("the main job names its package");
    let manifest = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("crates")
        .join(package.trim_start_matches("parcelkit-"))
        .join("Cargo.toml");
    let text = std::fs::read_to_string(&manifest).unwrap_or_default();
    assert!(
        text.contains(&format!("name = \"{package}\"")),
        "{main_job}: no {}",
        manifest.display()
    );
    assert!(main_job.ends_with("-- demo"), "{main_job}");
}
