//! Every operation of both specs as a subcommand (`parcelkit smartsend get-shipment --team T
//! --shipment S`), generated from the specs by progenitor's CLI generator: a new operation in a
//! spec appears here with no hand work once `cargo xtask regen` has rewritten `generated/`.
//! Output is JSON (pretty on a terminal, compact in a pipe), or a table for lists with
//! `--output table`; API errors go to stderr with status and Request-ID.

use clap::{ArgMatches, FromArgMatches, Subcommand};

use crate::output::{OutputFormat, print_value};

/// Prints what the generated commands produce.
#[derive(Debug, Clone, Copy)]
pub struct Printer {
    /// JSON or table.
    pub format: OutputFormat,
    /// `--verbose`: requests are shown on stderr.
    pub verbose: bool,
}

/// The kebab-case command name of an operationId (`get_shipment` -> `get-shipment`).
fn command_name(operation_id: &str) -> String {
    operation_id.replace('_', "-")
}

macro_rules! api_operations {
    ($api:ident, $file:literal, $workflow:ty, $command:ident) => {
        /// The generated commands of this API.
        pub mod $api {
            #[allow(
                missing_docs,
                unused_imports,
                unused_variables,
                dead_code,
                clippy::all,
                clippy::pedantic
            )]
            mod generated {
                // The committed copy, kept current by `cargo xtask regen --check` (CI); rustc
                // records an included file, so editing it rebuilds this crate.
                include!(concat!(
                    env!("CARGO_MANIFEST_DIR"),
                    "/../../generated/",
                    $file
                ));
            }
            pub use generated::{Cli, CliCommand, CliConfig};
        }

        impl $api::CliConfig for Printer {
            fn success_item<T>(&self, value: &parcelkit::$api::ResponseValue<T>)
            where
                T: serde::Serialize + std::fmt::Debug,
            {
                print_value(&**value, self.format);
            }

            fn success_no_item(&self, value: &parcelkit::$api::ResponseValue<()>) {
                eprintln!("{}", value.status());
            }

            fn error(&self, value: &parcelkit::Error) {
                report_error(value);
            }

            fn list_start<T>(&self)
            where
                T: serde::Serialize + std::fmt::Debug,
            {
            }

            fn list_item<T>(&self, value: &T)
            where
                T: serde::Serialize + std::fmt::Debug,
            {
                print_value(value, self.format);
            }

            fn list_end_success<T>(&self)
            where
                T: serde::Serialize + std::fmt::Debug,
            {
            }

            fn list_end_error(&self, value: &parcelkit::Error) {
                self.error(value);
            }
        }

        /// A subcommand of `parcelkit <api>`: a workflow, or one generated operation.
        #[derive(Debug)]
        pub enum $command {
            /// A hand-written workflow.
            Workflow($workflow),
            /// One operation, with its own arguments.
            Operation($api::CliCommand, ArgMatches),
        }

        impl $command {
            /// Runs an operation with `client`. A call's error has been reported on stderr by
            /// the printer; anything that failed before the call (the body file, its JSON, a
            /// value the types refuse) is reported here. Bad input exits 2.
            pub async fn run_operation(
                operation: $api::CliCommand,
                matches: &ArgMatches,
                client: parcelkit::$api::Client,
                printer: Printer,
            ) -> Result<(), crate::Failure> {
                $api::Cli::new(client, printer)
                    .execute(operation, matches)
                    .await
                    .map_err(|e| match e.downcast_ref::<parcelkit::Error>() {
                        Some(call) if call.kind() == parcelkit::ErrorKind::InvalidRequest => {
                            crate::Failure::ReportedUsage
                        }
                        Some(_) => crate::Failure::Reported,
                        None => crate::Failure::Usage(format!("{e:#}")),
                    })
            }
        }

        impl FromArgMatches for $command {
            fn from_arg_matches(matches: &ArgMatches) -> Result<Self, clap::Error> {
                if let Some((name, sub)) = matches.subcommand()
                    && let Some(operation) =
                        $api::CliCommand::iter().find(|op| command_name(op.operation_id()) == name)
                {
                    return Ok(Self::Operation(operation, sub.clone()));
                }
                <$workflow>::from_arg_matches(matches).map(Self::Workflow)
            }

            fn update_from_arg_matches(&mut self, matches: &ArgMatches) -> Result<(), clap::Error> {
                *self = Self::from_arg_matches(matches)?;
                Ok(())
            }
        }

        impl Subcommand for $command {
            fn augment_subcommands(command: clap::Command) -> clap::Command {
                $api::CliCommand::iter().fold(
                    <$workflow>::augment_subcommands(command),
                    |command, operation| {
                        command.subcommand(
                            $api::Cli::<Printer>::get_command(operation)
                                .name(command_name(operation.operation_id()))
                                .mut_arg_if_present("json-body", |arg| {
                                    arg.alias("file").help(
                                        "The request body: a JSON file, or - for standard input",
                                    )
                                })
                                .mut_arg_if_present("accept-language", |arg| arg.alias("language")),
                        )
                    },
                )
            }

            fn augment_subcommands_for_update(command: clap::Command) -> clap::Command {
                Self::augment_subcommands(command)
            }

            fn has_subcommand(name: &str) -> bool {
                <$workflow>::has_subcommand(name)
                    || $api::CliCommand::iter().any(|op| command_name(op.operation_id()) == name)
            }
        }
    };
}

api_operations!(
    smartsend,
    "smartsend_cli.rs",
    crate::workflows::SmartsendWorkflow,
    SmartsendCommand
);
api_operations!(
    phygitals,
    "phygitals_cli.rs",
    crate::workflows::PhygitalsWorkflow,
    PhygitalsCommand
);

/// `mut_arg` for an argument only some commands have.
trait MutArgIfPresent {
    fn mut_arg_if_present(self, id: &str, f: impl FnOnce(clap::Arg) -> clap::Arg) -> Self;
}

impl MutArgIfPresent for clap::Command {
    fn mut_arg_if_present(self, id: &str, f: impl FnOnce(clap::Arg) -> clap::Arg) -> Self {
        if self.get_arguments().any(|a| a.get_id() == id) {
            self.mut_arg(id, f)
        } else {
            self
        }
    }
}

/// One line on stderr: the error says its status, Request-ID and what the API said (bounded).
fn report_error(error: &parcelkit::Error) {
    eprintln!("parcelkit: {error}");
}
