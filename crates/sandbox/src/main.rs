//! `parcelkit-sandbox --listen 127.0.0.1:4010`: both APIs on one port, until SIGINT or SIGTERM.

use std::process::ExitCode;

use clap::Parser;

/// A stateful local server for the Smart Send API v2 (under /smartsend/api/v2) and the Phygitals
/// Partner API (under /phygitals), for offline tests.
#[derive(Debug, Parser)]
#[command(name = "parcelkit-sandbox", version)]
struct Command {
    #[command(flatten)]
    args: parcelkit_sandbox::cli::Args,
}

#[tokio::main]
async fn main() -> ExitCode {
    match parcelkit_sandbox::cli::run(Command::parse().args).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("parcelkit-sandbox: {message}");
            ExitCode::FAILURE
        }
    }
}
