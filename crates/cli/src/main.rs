//! `parcelkit`: drive the Smart Send API v2 and the Phygitals Partner API from a shell.
//!
//! `parcelkit demo` runs both APIs' main flows end to end against the built-in sandbox (or, with
//! `--base-url` and credentials, against a real API). Exit codes: 0 ok, 1 an API error (its
//! status and Request-ID on stderr), 2 a usage error.

// The arguments' doc comments are clap's `--help` text, read in a terminal: a URL stays bare and
// a `<FILE>` placeholder is not an HTML tag.
#![allow(rustdoc::bare_urls, rustdoc::invalid_html_tags)]

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod connection;
mod demo;
mod operations;
mod output;
mod workflows;

// The generated operation commands name parcelkit's hand-written types as `crate::...`.
pub use parcelkit::{AcceptLanguage, Decimal, IdempotencyKey, RequestId};
/// The Phygitals ids, where the generated commands look for them (`crate::phygitals::QuoteId`).
pub mod phygitals {
    pub use parcelkit::phygitals::{OrderId, QuoteId};
}

/// Drive the Smart Send API v2 and the Phygitals Partner API from a shell.
#[derive(Debug, Parser)]
#[command(name = "parcelkit", version, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// How an API command shows its results and requests: flags of `smartsend` and `phygitals` and
/// their subcommands only, where they act.
#[derive(Debug, Clone, Copy, clap::Args)]
struct Presentation {
    /// Show each attempt and retry on stderr, one line each (never a credential).
    #[arg(long, global = true)]
    verbose: bool,
    /// How results are printed.
    #[arg(long, global = true, value_enum, default_value_t)]
    output: output::OutputFormat,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the main flows of both APIs, step by step (against the built-in sandbox by default).
    Demo(demo::DemoArgs),
    /// Smart Send API v2: every operation, and the workflows book, book-many, label.
    Smartsend {
        #[command(flatten)]
        connection: connection::SmartsendConnection,
        #[command(flatten)]
        presentation: Presentation,
        #[command(subcommand)]
        command: operations::SmartsendCommand,
    },
    /// Phygitals Partner API: every operation, and the workflow ship.
    Phygitals {
        #[command(flatten)]
        connection: connection::PhygitalsConnection,
        #[command(flatten)]
        presentation: Presentation,
        #[command(subcommand)]
        command: operations::PhygitalsCommand,
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
    /// An API error already reported on stderr (exit 1).
    Reported,
    /// Input refused before sending, already reported on stderr (exit 2).
    ReportedUsage,
    /// Stopped by Ctrl-C after writing what it had (exit 130, as a shell reports SIGINT).
    Interrupted,
}

impl Failure {
    /// Turns an API error into the failure of `operation`; the error's `Display` (a
    /// `parcelkit::Error`) carries the status and the Request-ID.
    pub fn api<E: std::fmt::Display>(operation: &str) -> impl Fn(E) -> Failure + '_ {
        move |e| Failure::Api(format!("{operation}: {e}"))
    }

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
            Failure::Reported => ExitCode::from(1),
            Failure::ReportedUsage => ExitCode::from(2),
            Failure::Interrupted => ExitCode::from(130),
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse_from(stdin_for_dash(std::env::args_os()));
    // A server (`sandbox`, and the demo's built-in one) gets a thread per core. A client
    // command gets one thread: its work is waiting on the network, and a second worker only
    // adds cross-thread wake-ups (book-many at 0.55x of a raw POST loop with two, 0.70x with
    // one: `cargo run --release -p parcelkit-bench --bin book_many -- throughput`).
    let mut runtime = match cli.command {
        Command::Sandbox(_) | Command::Demo(_) => tokio::runtime::Builder::new_multi_thread(),
        _ => tokio::runtime::Builder::new_current_thread(),
    };
    match runtime.enable_all().build() {
        Ok(runtime) => runtime.block_on(run(cli)),
        Err(e) => Failure::Usage(format!("cannot start the async runtime: {e}")).exit(),
    }
}

async fn run(cli: Cli) -> ExitCode {
    let result = match cli.command {
        Command::Demo(args) => {
            if args.verbose {
                show_requests();
            }
            demo::run(args).await
        }
        Command::Smartsend {
            connection,
            presentation,
            command,
        } => match (presentation.start(), connection.client(), command) {
            (_, Err(failure), _) => Err(failure),
            (printer, Ok(client), operations::SmartsendCommand::Workflow(workflow)) => {
                workflows::run_smartsend(workflow, &client, printer.verbose).await
            }
            (printer, Ok(client), operations::SmartsendCommand::Operation(operation, matches)) => {
                operations::SmartsendCommand::run_operation(operation, &matches, client, printer)
                    .await
            }
        },
        Command::Phygitals {
            connection,
            presentation,
            command,
        } => match (presentation.start(), connection.client(), command) {
            (_, Err(failure), _) => Err(failure),
            (printer, Ok(client), operations::PhygitalsCommand::Workflow(workflow)) => {
                workflows::run_phygitals(workflow, &client, printer.verbose).await
            }
            (printer, Ok(client), operations::PhygitalsCommand::Operation(operation, matches)) => {
                operations::PhygitalsCommand::run_operation(operation, &matches, client, printer)
                    .await
            }
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

/// `--json-body -` (or `--file -`) reads the body from standard input.
fn stdin_for_dash(args: impl Iterator<Item = std::ffi::OsString>) -> Vec<std::ffi::OsString> {
    let mut out: Vec<std::ffi::OsString> = Vec::new();
    for arg in args {
        let after_body_flag = out
            .last()
            .is_some_and(|last| last == "--json-body" || last == "--file");
        if after_body_flag && arg == "-" {
            out.push("/dev/stdin".into());
        } else {
            out.push(arg);
        }
    }
    out
}

impl Presentation {
    /// Starts showing requests when `--verbose`; what prints the results.
    fn start(self) -> operations::Printer {
        if self.verbose {
            show_requests();
        }
        operations::Printer {
            format: self.output,
            verbose: self.verbose,
        }
    }
}

/// `--verbose`: parcelkit's request events on stderr.
fn show_requests() {
    // The runtime's request span carries method, URL, operation and Request-ID, never a
    // credential; each attempt and its status are events inside it.
    // parcelkit's own events only (one line per attempt, one per retry decision); hyper's
    // connection-pool chatter is not what --verbose promises.
    use tracing_subscriber::layer::{Layer, SubscriberExt};
    use tracing_subscriber::util::SubscriberInitExt;
    let ours = tracing_subscriber::filter::filter_fn(|meta| {
        let target = meta.target();
        (target == "parcelkit" || target.starts_with("parcelkit::"))
            && *meta.level() <= tracing::Level::DEBUG
    });
    tracing_subscriber::registry()
        .with(
            tracing_subscriber::fmt::layer()
                .with_writer(std::io::stderr)
                .with_target(false)
                .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
                .with_filter(ours),
        )
        .init();
}
