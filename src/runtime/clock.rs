//! The one clock the runtime reads and waits on: retries and their backoff, the call deadline,
//! `Retry-After` dates and polling all go through [`Clock`], so a test (yours or ours) can skip
//! every wait without touching the network.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

/// What the runtime knows of time: a monotonic `now`, the wall clock (for HTTP-date
/// `Retry-After`s) and a way to wait. Set one with `ClientBuilder::clock`.
pub trait Clock: Send + Sync {
    /// Monotonic time: what deadlines and poll timeouts are measured on.
    fn now(&self) -> Instant;
    /// The wall clock.
    fn wall(&self) -> SystemTime;
    /// A future that completes after `duration` on this clock.
    fn sleep(&self, duration: Duration) -> Pin<Box<dyn Future<Output = ()> + Send>>;
}

/// The real clock: `Instant::now`, `SystemTime::now` and `tokio::time::sleep`. The default.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Instant {
        Instant::now()
    }

    fn wall(&self) -> SystemTime {
        SystemTime::now()
    }

    fn sleep(&self, duration: Duration) -> Pin<Box<dyn Future<Output = ()> + Send>> {
        Box::pin(tokio::time::sleep(duration))
    }
}

/// A clock for tests: a wait returns at once and moves this clock forward by its duration
/// (recorded, see [`ManualClock::slept`]); [`ManualClock::advance`] moves it by hand. Between
/// waits it runs with real time, so time spent on the network still counts. Clones share one
/// clock.
///
/// ```
/// use std::sync::Arc;
/// use std::time::Duration;
/// use parcelkit::runtime::{Clock, ManualClock};
///
/// let clock = ManualClock::new();
/// let client = parcelkit::smartsend::Client::builder()
///     .base_url("http://127.0.0.1:4010/smartsend/api/v2")
///     .clock(Arc::new(clock.clone()))
///     .build()?;
/// # let _ = client;
/// let before = clock.now();
/// clock.advance(Duration::from_secs(60));
/// assert!(clock.now() - before >= Duration::from_secs(60));
/// assert!(clock.slept().is_empty(), "advancing is not sleeping");
/// # Ok::<(), parcelkit::BuildError>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct ManualClock(Arc<Mutex<Skipped>>);

#[derive(Debug, Default)]
struct Skipped {
    ahead: Duration,
    slept: Vec<Duration>,
}

impl ManualClock {
    /// A clock at the real time, with nothing slept yet.
    pub fn new() -> Self {
        ManualClock::default()
    }

    /// Moves the clock forward by `duration`.
    pub fn advance(&self, duration: Duration) {
        self.lock().ahead += duration;
    }

    /// Every wait asked of this clock so far, in order.
    pub fn slept(&self) -> Vec<Duration> {
        self.lock().slept.clone()
    }

    fn ahead(&self) -> Duration {
        self.lock().ahead
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Skipped> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Instant {
        Instant::now() + self.ahead()
    }

    fn wall(&self) -> SystemTime {
        SystemTime::now() + self.ahead()
    }

    fn sleep(&self, duration: Duration) -> Pin<Box<dyn Future<Output = ()> + Send>> {
        let mut state = self.lock();
        state.ahead += duration;
        state.slept.push(duration);
        Box::pin(async {})
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_manual_clock_skips_waits_and_counts_them() {
        let clock = ManualClock::new();
        let start = clock.now();
        let wall = clock.wall();
        clock.sleep(Duration::from_secs(30)).await;
        clock.clone().sleep(Duration::from_secs(5)).await;
        assert!(clock.now() - start >= Duration::from_secs(35));
        assert!(clock.wall().duration_since(wall).unwrap() >= Duration::from_secs(35));
        assert_eq!(
            clock.slept(),
            [Duration::from_secs(30), Duration::from_secs(5)]
        );
    }
}
