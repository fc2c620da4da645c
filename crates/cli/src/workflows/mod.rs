//! Workflows that take more than one call: booking with a wait, booking many shipments from a
//! file, downloading labels, shipping Phygitals cards. (Being written.)

use crate::Failure;

/// Smart Send workflows.
#[derive(Debug, clap::Subcommand)]
pub enum SmartsendWorkflow {}

/// Phygitals workflows.
#[derive(Debug, clap::Subcommand)]
pub enum PhygitalsWorkflow {}

/// Runs a Smart Send workflow.
pub async fn run_smartsend(
    workflow: SmartsendWorkflow,
    _client: &parcelkit::smartsend::Client,
    _verbose: bool,
) -> Result<(), Failure> {
    match workflow {}
}

/// Runs a Phygitals workflow.
pub async fn run_phygitals(
    workflow: PhygitalsWorkflow,
    _client: &parcelkit::phygitals::Client,
    _verbose: bool,
) -> Result<(), Failure> {
    match workflow {}
}
