use std::time::Duration;

/// How a long-running thing is polled (a Smart Send booking operation, a Phygitals order): no
/// jitter (one client, one resource), an interval that grows by `multiplier` up to
/// `max_interval`, and a `timeout` for the whole wait.
///
/// ```
/// use std::time::Duration;
/// use parcelkit::PollPolicy;
///
/// let policy = PollPolicy::default().with_interval(Duration::from_millis(250)).with_timeout(Duration::from_secs(30));
/// assert_eq!(policy.delay(0), Duration::from_millis(250));
/// assert_eq!(policy.delay(1), Duration::from_millis(375));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct PollPolicy {
    interval: Duration,
    max_interval: Duration,
    multiplier: f64,
    timeout: Duration,
}

impl Default for PollPolicy {
    /// 1 s, growing by 1.5 up to 10 s, for at most 5 minutes.
    fn default() -> Self {
        PollPolicy {
            interval: Duration::from_secs(1),
            max_interval: Duration::from_secs(10),
            multiplier: 1.5,
            timeout: Duration::from_secs(300),
        }
    }
}

impl PollPolicy {
    /// A fixed interval (no growth).
    pub fn fixed(interval: Duration, timeout: Duration) -> Self {
        PollPolicy {
            interval,
            max_interval: interval,
            multiplier: 1.0,
            timeout,
        }
    }

    /// The first delay.
    pub fn with_interval(mut self, interval: Duration) -> Self {
        self.interval = interval;
        self
    }

    /// The largest delay.
    pub fn with_max_interval(mut self, interval: Duration) -> Self {
        self.max_interval = interval;
        self
    }

    /// How long to wait in all before giving up.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// How long to wait in all.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// The delay before poll number `poll` (0-based).
    pub fn delay(&self, poll: u32) -> Duration {
        let factor = self.multiplier.max(1.0).powi(poll.min(64) as i32);
        self.interval
            .mul_f64(factor)
            .min(self.max_interval.max(self.interval))
    }
}

/// One wait under a [`PollPolicy`]: hands out the delays and says when the timeout is reached,
/// on the client's clock. Shared by every poll loop, so they all count time alike.
pub(crate) struct PollClock {
    policy: PollPolicy,
    context: super::ClientContext,
    started: std::time::Instant,
    polls: u32,
}

impl PollClock {
    pub(crate) fn start(policy: &PollPolicy, context: &super::ClientContext) -> Self {
        PollClock {
            policy: policy.clone(),
            context: context.clone(),
            started: context.clock().now(),
            polls: 0,
        }
    }

    /// How long has been waited, on the client's clock.
    pub(crate) fn waited(&self) -> Duration {
        self.context
            .clock()
            .now()
            .saturating_duration_since(self.started)
    }

    /// The delay to sleep before the next poll, or `None` when it would pass the timeout.
    pub(crate) fn next_delay(&mut self) -> Option<Duration> {
        let delay = self.policy.delay(self.polls);
        if self.waited() + delay > self.policy.timeout {
            return None;
        }
        self.polls += 1;
        Some(delay)
    }
}
