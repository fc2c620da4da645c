//! Which server and credentials a command talks to: flags, else the environment, else the
//! production base URL. Credentials are never printed (clap hides their environment values).

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime};

use parcelkit::runtime::{Clock, SystemClock};

use crate::Failure;

/// Connection flags of `parcelkit smartsend ...`.
#[derive(Debug, Clone, clap::Args)]
pub struct SmartsendConnection {
    /// Base URL (default: production, https://app.smartsend.io/api/v2).
    #[arg(long, env = "SMARTSEND_BASE_URL", global = true)]
    pub base_url: Option<String>,
    /// Bearer token.
    #[arg(long, env = "SMARTSEND_TOKEN", hide_env_values = true, global = true)]
    pub token: Option<String>,
}

/// Connection flags of `parcelkit phygitals ...`.
#[derive(Debug, Clone, clap::Args)]
pub struct PhygitalsConnection {
    /// Base URL (default: production, https://api.phygitals.com).
    #[arg(long, env = "PHYGITALS_BASE_URL", global = true)]
    pub base_url: Option<String>,
    /// API key (`sandbox-...` for the vendor's sandbox).
    #[arg(long, env = "PHYGITALS_API_KEY", hide_env_values = true, global = true)]
    pub api_key: Option<String>,
}

impl SmartsendConnection {
    /// A client for these flags.
    pub fn client(&self) -> Result<parcelkit::smartsend::Client, Failure> {
        let mut builder = parcelkit::smartsend::Client::builder().user_agent(USER_AGENT);
        if let Some(url) = &self.base_url {
            builder = builder.base_url(url);
        }
        let token = self.token.as_deref().ok_or_else(|| {
            Failure::Usage("no Smart Send token: pass --token or set SMARTSEND_TOKEN".into())
        })?;
        builder
            .token(token)
            .clock(Arc::new(CountingClock))
            .build()
            .map_err(|e| Failure::Usage(e.to_string()))
    }
}

impl PhygitalsConnection {
    /// A client for these flags.
    pub fn client(&self) -> Result<parcelkit::phygitals::Client, Failure> {
        let mut builder = parcelkit::phygitals::Client::builder().user_agent(USER_AGENT);
        if let Some(url) = &self.base_url {
            builder = builder.base_url(url);
        }
        let key = self.api_key.as_deref().ok_or_else(|| {
            Failure::Usage("no Phygitals API key: pass --api-key or set PHYGITALS_API_KEY".into())
        })?;
        builder
            .api_key(key)
            .clock(Arc::new(CountingClock))
            .build()
            .map_err(|e| Failure::Usage(e.to_string()))
    }
}

/// What the CLI calls itself in User-Agent (parcelkit appends its own version).
const USER_AGENT: &str = concat!("parcelkit-cli/", env!("CARGO_PKG_VERSION"));

/// The waits between attempts so far (retry delays: backoff, or the server's Retry-After).
#[derive(Debug, Clone, Copy, Default)]
pub struct Waits {
    /// How many.
    pub count: u64,
    /// Their total.
    pub total: Duration,
}

impl Waits {
    /// What was waited since `earlier`.
    pub fn since(self, earlier: Waits) -> Waits {
        Waits {
            count: self.count - earlier.count,
            total: self.total.saturating_sub(earlier.total),
        }
    }
}

static WAIT_COUNT: AtomicU64 = AtomicU64::new(0);
static WAITED_MICROS: AtomicU64 = AtomicU64::new(0);

/// Every wait the CLI's clients have made, for summaries that say what bounded a run's rate.
pub fn waits() -> Waits {
    Waits {
        count: WAIT_COUNT.load(Ordering::Relaxed),
        total: Duration::from_micros(WAITED_MICROS.load(Ordering::Relaxed)),
    }
}

/// The real clock, counting the waits asked of it (the runtime waits only between attempts
/// and between polls).
struct CountingClock;

impl Clock for CountingClock {
    fn now(&self) -> Instant {
        SystemClock.now()
    }

    fn wall(&self) -> SystemTime {
        SystemClock.wall()
    }

    fn sleep(&self, duration: Duration) -> Pin<Box<dyn Future<Output = ()> + Send>> {
        WAIT_COUNT.fetch_add(1, Ordering::Relaxed);
        WAITED_MICROS.fetch_add(duration.as_micros() as u64, Ordering::Relaxed);
        SystemClock.sleep(duration)
    }
}
