use std::time::{Duration, SystemTime};

/// When and how often a request is retried.
///
/// Delays grow exponentially with full jitter: before retry `n` (0-based) the client waits a
/// uniformly random time in `[0, min(max_delay, base_delay * 2^n)]`, so many clients that failed
/// together do not retry together. A `Retry-After` from the server replaces the computed delay;
/// one longer than `max_delay` is not waited for: the call returns the answer at once, with the
/// requested delay on the error (`Error::retry_after`). `deadline` bounds the whole call,
/// measured from the first attempt: no retry starts that would pass it, and no attempt runs past
/// it.
///
/// ```
/// use std::time::Duration;
/// use parcelkit::{Jitter, RetryPolicy};
///
/// let policy = RetryPolicy::default().with_max_attempts(5);
/// let mut jitter = Jitter::seeded(7);
/// let delay = policy.backoff(2, &mut jitter);
/// assert!(delay <= Duration::from_secs(2)); // 500 ms * 2^2
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    max_attempts: u32,
    base_delay: Duration,
    max_delay: Duration,
    deadline: Option<Duration>,
}

impl Default for RetryPolicy {
    /// 3 attempts, 500 ms base, 20 s cap, 60 s deadline for the whole call.
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 3,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(20),
            deadline: Some(Duration::from_secs(60)),
        }
    }
}

impl RetryPolicy {
    /// A policy that sends each request once.
    pub fn never() -> Self {
        RetryPolicy {
            max_attempts: 1,
            ..RetryPolicy::default()
        }
    }

    /// Total attempts, the first included (at least 1).
    pub fn with_max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts.max(1);
        self
    }

    /// The first retry's delay ceiling; each further retry doubles it.
    pub fn with_base_delay(mut self, delay: Duration) -> Self {
        self.base_delay = delay;
        self
    }

    /// The largest delay between two attempts, `Retry-After` included (a longer `Retry-After`
    /// ends the call instead).
    pub fn with_max_delay(mut self, delay: Duration) -> Self {
        self.max_delay = delay;
        self
    }

    /// The whole call, every attempt and wait, ends this long after it started at the latest
    /// (`None`: no deadline; each attempt is still bounded by the client's timeout).
    pub fn with_deadline(mut self, deadline: Option<Duration>) -> Self {
        self.deadline = deadline;
        self
    }

    /// Total attempts, the first included.
    pub fn max_attempts(&self) -> u32 {
        self.max_attempts
    }

    /// The overall deadline, if any.
    pub fn deadline(&self) -> Option<Duration> {
        self.deadline
    }

    /// The largest delay between two attempts.
    pub fn max_delay(&self) -> Duration {
        self.max_delay
    }

    /// The computed delay before retry `retry` (0 for the first retry): full jitter over the
    /// capped exponential.
    pub fn backoff(&self, retry: u32, jitter: &mut Jitter) -> Duration {
        let ceiling = self
            .base_delay
            .checked_mul(1u32.checked_shl(retry).unwrap_or(u32::MAX))
            .unwrap_or(self.max_delay)
            .min(self.max_delay);
        ceiling.mul_f64(jitter.next_unit())
    }

    /// The delay before retry `retry`: the server's `Retry-After` when given (clamped to
    /// `max_delay`; the retry engine does not retry at all past it), else
    /// [`RetryPolicy::backoff`].
    pub fn delay(
        &self,
        retry: u32,
        retry_after: Option<Duration>,
        jitter: &mut Jitter,
    ) -> Duration {
        match retry_after {
            Some(wait) => wait.min(self.max_delay),
            None => self.backoff(retry, jitter),
        }
    }

    /// Whether a retry that would start `elapsed + delay` after the first attempt, as attempt
    /// number `attempts_made + 1`, is still allowed.
    pub fn allows(&self, attempts_made: u32, elapsed: Duration, delay: Duration) -> bool {
        attempts_made < self.max_attempts
            && self
                .deadline
                .is_none_or(|d| elapsed.saturating_add(delay) <= d)
    }
}

/// The statuses worth another attempt: 408 Request Timeout, 409 Conflict (Smart Send: the
/// original request with this Idempotency-Key is still running), 429 Too Many Requests, and 502,
/// 503, 504 (a gateway or the service was briefly unavailable). Everything else, in particular
/// 400 and 422, is an answer that a retry would only repeat.
///
/// ```
/// assert!(parcelkit::is_retryable_status(503));
/// assert!(!parcelkit::is_retryable_status(422));
/// ```
pub fn is_retryable_status(status: u16) -> bool {
    matches!(status, 408 | 409 | 429 | 502 | 503 | 504)
}

/// Parses a `Retry-After` value: delay-seconds (`120`) or an HTTP-date
/// (`Wed, 21 Oct 2026 07:28:00 GMT`, measured from `now`; a date in the past means now).
/// Anything else is `None`.
///
/// ```
/// use std::time::{Duration, SystemTime};
/// let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
/// assert_eq!(parcelkit::parse_retry_after("3", now), Some(Duration::from_secs(3)));
/// assert_eq!(
///     parcelkit::parse_retry_after("Tue, 14 Nov 2023 22:13:30 GMT", now),
///     Some(Duration::from_secs(10))
/// );
/// assert_eq!(parcelkit::parse_retry_after("soon", now), None);
/// ```
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        // Absurdly long digit strings saturate rather than fail: the policy clamps them anyway.
        return Some(Duration::from_secs(value.parse().unwrap_or(u64::MAX)));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

/// The randomness of backoff jitter: a small seedable generator (SplitMix64), so tests can fix
/// the sequence and production draws its seed from the OS.
#[derive(Debug, Clone)]
pub struct Jitter(u64);

impl Jitter {
    /// A fixed sequence, for tests.
    pub fn seeded(seed: u64) -> Self {
        Jitter(seed)
    }

    /// A sequence seeded from the operating system's randomness.
    pub fn from_entropy() -> Self {
        let mut seed = [0u8; 8];
        super::random::random_bytes(&mut seed);
        Jitter(u64::from_le_bytes(seed))
    }

    /// A seed for an independent sequence (one per call, so calls do not share a lock).
    pub fn next_seed(&mut self) -> u64 {
        self.next_raw()
    }

    /// The next value, uniform in `[0, 1]`.
    pub fn next_unit(&mut self) -> f64 {
        // 53 random bits, the precision of an f64 mantissa.
        (self.next_raw() >> 11) as f64 / ((1u64 << 53) - 1) as f64
    }

    fn next_raw(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_stays_under_the_capped_exponential() {
        let policy = RetryPolicy::default();
        let mut jitter = Jitter::seeded(1);
        for retry in 0..40 {
            let ceiling = Duration::from_millis(500)
                .saturating_mul(2u32.saturating_pow(retry))
                .min(Duration::from_secs(20));
            for _ in 0..50 {
                assert!(
                    policy.backoff(retry, &mut jitter) <= ceiling,
                    "retry {retry}"
                );
            }
        }
    }

    #[test]
    fn jitter_spreads_and_is_reproducible() {
        let draws: Vec<f64> = {
            let mut j = Jitter::seeded(42);
            (0..1000).map(|_| j.next_unit()).collect()
        };
        let again: Vec<f64> = {
            let mut j = Jitter::seeded(42);
            (0..1000).map(|_| j.next_unit()).collect()
        };
        assert_eq!(draws, again);
        assert!(draws.iter().all(|d| (0.0..=1.0).contains(d)));
        let low = draws.iter().filter(|d| **d < 0.5).count();
        assert!(
            (400..600).contains(&low),
            "roughly uniform: {low} of 1000 below 0.5"
        );
    }

    #[test]
    fn retry_after_replaces_backoff_and_is_clamped() {
        let policy = RetryPolicy::default().with_max_delay(Duration::from_secs(5));
        let mut jitter = Jitter::seeded(3);
        assert_eq!(
            policy.delay(0, Some(Duration::from_secs(2)), &mut jitter),
            Duration::from_secs(2)
        );
        assert_eq!(
            policy.delay(0, Some(Duration::from_secs(3600)), &mut jitter),
            Duration::from_secs(5)
        );
    }

    #[test]
    fn attempts_and_deadline_bound_retries() {
        let policy = RetryPolicy::default()
            .with_max_attempts(3)
            .with_deadline(Some(Duration::from_secs(10)));
        assert!(policy.allows(1, Duration::ZERO, Duration::from_secs(1)));
        assert!(policy.allows(2, Duration::from_secs(8), Duration::from_secs(2)));
        assert!(
            !policy.allows(3, Duration::ZERO, Duration::ZERO),
            "third attempt was the last"
        );
        assert!(
            !policy.allows(1, Duration::from_secs(9), Duration::from_secs(2)),
            "past the deadline"
        );
        assert!(!RetryPolicy::never().allows(1, Duration::ZERO, Duration::ZERO));
    }

    #[test]
    fn retry_after_forms() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        assert_eq!(parse_retry_after(" 0 ", now), Some(Duration::ZERO));
        assert_eq!(
            parse_retry_after("99999999999999999999999", now),
            Some(Duration::from_secs(u64::MAX))
        );
        assert_eq!(
            parse_retry_after("Tue, 14 Nov 2023 22:00:00 GMT", now),
            Some(Duration::ZERO),
            "past"
        );
        assert_eq!(parse_retry_after("-5", now), None);
        assert_eq!(parse_retry_after("", now), None);
    }

    #[test]
    fn retryable_statuses() {
        let retryable: Vec<u16> = (100..600).filter(|s| is_retryable_status(*s)).collect();
        assert_eq!(retryable, [408, 409, 429, 502, 503, 504]);
    }
}
