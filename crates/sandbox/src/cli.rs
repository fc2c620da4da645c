//! The sandbox's command line, shared by `parcelkit-sandbox` and `parcelkit sandbox`.

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;

use crate::{Faults, Sandbox, SandboxConfig};

/// The sandbox's flags.
#[derive(Debug, Clone, clap::Args)]
pub struct Args {
    /// Address to listen on; port 0 takes any free port.
    #[arg(long, default_value = "127.0.0.1:4010")]
    pub listen: SocketAddr,
    /// A Smart Send bearer token and the team it may use, as TOKEN=TEAM (repeatable). Default:
    /// sandbox-token=sandbox-team.
    #[arg(long = "token", value_name = "TOKEN=TEAM", value_parser = token_team)]
    pub tokens: Vec<(String, String)>,
    /// Fault rates for every request, e.g. `drop-after-commit=0.1,unavailable=0.05,latency=20ms`.
    #[arg(long, default_value = "")]
    pub faults: Faults,
    /// How long asynchronous bookings and batches take to complete, in milliseconds.
    #[arg(long, default_value_t = 2000)]
    pub async_delay_ms: u64,
    /// Largest request body accepted, in bytes.
    #[arg(long, default_value_t = 1024 * 1024)]
    pub body_limit: usize,
}

fn token_team(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((token, team)) if !token.is_empty() && !team.is_empty() => {
            Ok((token.to_owned(), team.to_owned()))
        }
        _ => Err(format!("{text:?} is not TOKEN=TEAM")),
    }
}

/// Starts the sandbox as `args` say, prints `parcelkit-sandbox listening on http://ADDR`, and
/// serves until SIGINT or SIGTERM. The error says why it could not start.
pub async fn run(args: Args) -> Result<(), String> {
    let mut tokens: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (token, team) in args.tokens {
        tokens.entry(token).or_default().insert(team);
    }
    let config = SandboxConfig {
        listen: args.listen,
        tokens,
        faults: args.faults,
        async_delay: std::time::Duration::from_millis(args.async_delay_ms),
        body_limit: args.body_limit,
        ..SandboxConfig::default()
    };
    let sandbox = Sandbox::start(config)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", args.listen))?;
    let stop = stopped();
    println!("parcelkit-sandbox listening on {}", sandbox.base_url());
    stop.await;
    sandbox.shutdown().await;
    Ok(())
}

/// Resolves on SIGINT or (on Unix) SIGTERM. The handlers are installed when this is called, not
/// when it is first awaited, so a signal right after the "listening" line is not missed.
fn stopped() -> impl std::future::Future<Output = ()> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut interrupt = signal(SignalKind::interrupt()).expect("a SIGINT handler");
        let mut terminate = signal(SignalKind::terminate()).expect("a SIGTERM handler");
        async move {
            tokio::select! {
                _ = interrupt.recv() => {}
                _ = terminate.recv() => {}
            }
        }
    }
    #[cfg(not(unix))]
    {
        async {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}
