//! `parcelkit-sandbox`: a stateful local server for both APIs parcelkit speaks (Smart Send API
//! v2 and the Phygitals Partner API), with in-memory state and the documented semantics, so
//! end-to-end tests run offline.
//!
//! - Smart Send under `http://ADDR/smartsend/api/v2`, Phygitals under `http://ADDR/phygitals`;
//! - `GET http://ADDR/__sandbox/ledger`: how many times each write really executed;
//! - an adjustable [`Clock`] for expiries, and injectable [`Faults`].
//!
//! ```no_run
//! # async fn run() -> std::io::Result<()> {
//! use parcelkit_sandbox::{Sandbox, SandboxConfig};
//!
//! let sandbox = Sandbox::start(SandboxConfig::default()).await?;
//! println!("Smart Send at {}", sandbox.smartsend_url());
//! sandbox.shutdown().await;
//! # Ok(()) }
//! ```

#![warn(missing_docs)]

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

pub mod cli;
pub mod clock;
pub mod faults;
pub mod ledger;
pub mod phygitals;
pub mod smartsend;
pub mod spec;

mod front;
mod server;

pub use clock::Clock;
pub use faults::Faults;
pub use ledger::Ledger;

/// How a sandbox starts.
#[derive(Debug, Clone)]
pub struct SandboxConfig {
    /// Where to listen; port 0 takes any free port.
    pub listen: SocketAddr,
    /// Smart Send bearer tokens and the teams each may use. Empty: `sandbox-token` for
    /// `sandbox-team`.
    pub tokens: BTreeMap<String, BTreeSet<String>>,
    /// The clock every expiry and timestamp reads.
    pub clock: Clock,
    /// How long an asynchronous booking (`Prefer: respond-async`) or a batch takes to complete.
    pub async_delay: std::time::Duration,
    /// Faults injected into every request at these rates (per request: the `Sandbox-Fault` header).
    pub faults: Faults,
    /// The largest request body accepted, in bytes.
    pub body_limit: usize,
    /// Check every response against the spec's schema for its status, recording violations
    /// (see [`SandboxHandle::spec_violations`]). On in tests; costs a little time per response.
    pub validate_responses: bool,
}

impl Default for SandboxConfig {
    fn default() -> SandboxConfig {
        SandboxConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            tokens: BTreeMap::new(),
            clock: Clock::system(),
            async_delay: std::time::Duration::from_secs(2),
            faults: Faults::default(),
            body_limit: 1024 * 1024,
            validate_responses: false,
        }
    }
}

impl SandboxConfig {
    /// The default bearer token when none are configured.
    pub const DEFAULT_TOKEN: &'static str = "sandbox-token";
    /// The team of [`SandboxConfig::DEFAULT_TOKEN`].
    pub const DEFAULT_TEAM: &'static str = "sandbox-team";

    /// Binds `token` to `team` (repeatable: one token may use several teams).
    pub fn token(mut self, token: impl Into<String>, team: impl Into<String>) -> SandboxConfig {
        self.tokens
            .entry(token.into())
            .or_default()
            .insert(team.into());
        self
    }

    /// The token table in effect: the configured one, or the default token and team.
    pub fn effective_tokens(&self) -> BTreeMap<String, BTreeSet<String>> {
        if self.tokens.is_empty() {
            BTreeMap::from([(
                Self::DEFAULT_TOKEN.to_owned(),
                BTreeSet::from([Self::DEFAULT_TEAM.to_owned()]),
            )])
        } else {
            self.tokens.clone()
        }
    }
}

/// What every part of the sandbox shares.
#[derive(Debug)]
pub struct Shared {
    /// The configuration it started with.
    pub config: SandboxConfig,
    /// The clock (same as `config.clock`).
    pub clock: Clock,
    /// Executed writes.
    pub ledger: Ledger,
    /// Responses that broke the spec (when `validate_responses` is on).
    pub violations: Mutex<Vec<String>>,
}

/// The sandbox.
#[derive(Debug)]
pub struct Sandbox;

impl Sandbox {
    /// Binds, starts serving in the background, and returns the handle.
    pub async fn start(config: SandboxConfig) -> std::io::Result<SandboxHandle> {
        let listener = tokio::net::TcpListener::bind(config.listen).await?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared {
            clock: config.clock.clone(),
            ledger: Ledger::default(),
            violations: Mutex::new(Vec::new()),
            config,
        });
        let app = front::app(shared.clone());
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let open = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let task = tokio::spawn(server::serve(listener, app, stopped, Arc::clone(&open)));
        Ok(SandboxHandle {
            addr,
            shared,
            open,
            stop,
            task: Mutex::new(Some(task)),
        })
    }
}

/// A running sandbox. Dropping it stops the server.
#[derive(Debug)]
pub struct SandboxHandle {
    addr: SocketAddr,
    shared: Arc<Shared>,
    open: Arc<std::sync::atomic::AtomicUsize>,
    stop: tokio::sync::watch::Sender<bool>,
    task: Mutex<Option<tokio::task::JoinHandle<()>>>,
}

impl SandboxHandle {
    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://ADDR`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Smart Send's base URL: `http://ADDR/smartsend/api/v2`.
    pub fn smartsend_url(&self) -> String {
        format!("{}{}", self.base_url(), smartsend::PREFIX)
    }

    /// Phygitals' base URL: `http://ADDR/phygitals`.
    pub fn phygitals_url(&self) -> String {
        format!("{}{}", self.base_url(), phygitals::PREFIX)
    }

    /// The clock, to fast-forward.
    pub fn clock(&self) -> &Clock {
        &self.shared.clock
    }

    /// How many client connections are open. Zero after a client went away means every request
    /// it sent has been handled (or abandoned): the ledger is final for it.
    pub fn open_connections(&self) -> usize {
        self.open.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// The ledger of executed writes.
    pub fn ledger(&self) -> &Ledger {
        &self.shared.ledger
    }

    /// Every response so far that broke the spec (with `validate_responses`).
    pub fn spec_violations(&self) -> Vec<String> {
        self.shared
            .violations
            .lock()
            .expect("violations lock")
            .clone()
    }

    /// Stops accepting, lets requests in progress finish, and waits for the server to end.
    pub async fn shutdown(&self) {
        let _ = self.stop.send(true);
        let task = self.task.lock().expect("task lock").take();
        if let Some(task) = task {
            let _ = task.await;
        }
    }
}

impl Drop for SandboxHandle {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}
