//! `parcelkit`: drive the Smart Send API v2 and the Phygitals Partner API from a shell.
//!
//! `parcelkit demo` runs both APIs' main flows end to end against the built-in sandbox (or, with
//! `--base-url` and credentials, against a real API). Exit codes: 0 ok, 1 an API error (its
//! status and Request-ID on stderr), 2 a usage error.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod connection;
mod demo;
mod output;
mod workflows;

/// Drive the Smart Send API v2 and the Phygitals Partner API from a shell.
#[derive(Debug, Parser)]
#[command(name = "parcelkit", version, propagate_version = true)]
struct Cli {
    /// Show each request line and its Request-ID on stderr (credentials are never shown).
    #[arg(long, global = true)]
    verbose: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the main flows of both APIs, step by step (against the built-in sandbox by default).
    Demo(demo::DemoArgs),
    /// Smart Send API v2: workflows (and every operation).
    Smartsend {
        #[command(flatten)]
        connection: connection::SmartsendConnection,
        #[command(subcommand)]
        command: workflows::SmartsendWorkflow,
    },
    /// Phygitals Partner API: workflows (and every operation).
    Phygitals {
        #[command(flatten)]
        connection: connection::PhygitalsConnection,
        #[command(subcommand)]
        command: workflows::PhygitalsWorkflow,
    },
    /// Serve both APIs locally: the same server as `parcelkit-sandbox`.
    Sandbox(parcelkit_sandbox::cli::Args),
    /// Print shell completions for SHELL to stdout.
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
}

/// How a command ended, as an exit code.
#[derive(Debug)]
pub enum Failure {
    /// The API said no, or could not be reached (exit 1).
    Api(String),
    /// The command line or its input was wrong (exit 2).
    Usage(String),
}

impl Failure {
    fn exit(self) -> ExitCode {
        match self {
            Failure::Api(message) => {
                eprintln!("parcelkit: {message}");
                ExitCode::from(1)
            }
            Failure::Usage(message) => {
                eprintln!("parcelkit: {message}");
                ExitCode::from(2)
            }
        }
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Demo(args) => demo::run(args, cli.verbose).await,
        Command::Smartsend {
            connection,
            command,
        } => match connection.client() {
            Ok(client) => workflows::run_smartsend(command, &client, cli.verbose).await,
            Err(failure) => Err(failure),
        },
        Command::Phygitals {
            connection,
            command,
        } => match connection.client() {
            Ok(client) => workflows::run_phygitals(command, &client, cli.verbose).await,
            Err(failure) => Err(failure),
        },
        Command::Sandbox(args) => parcelkit_sandbox::cli::run(args)
            .await
            .map_err(Failure::Usage),
        Command::Completions { shell } => {
            let mut command = <Cli as clap::CommandFactory>::command();
            clap_complete::generate(shell, &mut command, "parcelkit", &mut std::io::stdout());
            Ok(())
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => failure.exit(),
    }
}
