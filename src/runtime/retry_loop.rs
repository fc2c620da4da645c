//! The retry engine: what to do after each attempt, and the loop that does it. Transport-agnostic
//! at its core ([`decide`] is a pure function), so every rule is tested without a network; the
//! client hooks feed it `reqwest` results through [`classify`]. Internal: users choose a
//! [`RetryPolicy`] and read the outcome on the error.

use std::future::Future;
use std::time::{Duration, SystemTime};

use super::clock::Clock;
use super::retry::{Jitter, RetryPolicy, is_retryable_status, parse_retry_after};

/// How safe it is to send a request again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RetrySafety {
    /// Repeating it cannot do anything twice: a GET, or a write carrying an `Idempotency-Key`
    /// (the server replays instead of executing again).
    Idempotent,
    /// A write the server does not deduplicate (Phygitals POSTs): retried only when the request
    /// provably never reached the server (the connection could not be made).
    OnlyIfNotSent,
}

/// What one attempt came to, as far as retrying is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AttemptOutcome {
    /// A response to hand to the caller (success, or an error a retry would only repeat).
    Final,
    /// A response whose status is worth another attempt (408, 409, 429, 502, 503, 504), with the
    /// server's `Retry-After` when it gave one.
    RetryableStatus {
        /// The parsed `Retry-After`.
        retry_after: Option<Duration>,
    },
    /// No response. `reached_server` is false only when the connection was never made, so the
    /// request cannot have been processed; otherwise (a timeout, a dropped connection) it may
    /// have been.
    TransportError {
        /// Whether the request may have reached the server.
        reached_server: bool,
    },
}

/// The decision after an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Decision {
    /// Hand the attempt's result to the caller.
    Stop,
    /// Wait this long, then send the same request again.
    RetryAfter(Duration),
}

/// Decides, after `attempts_made` attempts (the one just made included) that took `elapsed` since
/// the first started, whether and when to try again.
pub(crate) fn decide(
    policy: &RetryPolicy,
    safety: RetrySafety,
    outcome: AttemptOutcome,
    attempts_made: u32,
    elapsed: Duration,
    jitter: &mut Jitter,
) -> Decision {
    let retry_after = match (outcome, safety) {
        (AttemptOutcome::Final, _) => return Decision::Stop,
        // The server answered: for a non-deduplicated write it may have acted on the request.
        (AttemptOutcome::RetryableStatus { .. }, RetrySafety::OnlyIfNotSent) => {
            return Decision::Stop;
        }
        (
            AttemptOutcome::TransportError {
                reached_server: true,
            },
            RetrySafety::OnlyIfNotSent,
        ) => {
            return Decision::Stop;
        }
        // A server that asks for a longer pause than the policy allows is not slept through:
        // the caller gets the answer now, with the requested delay on the error.
        (
            AttemptOutcome::RetryableStatus {
                retry_after: Some(wait),
            },
            RetrySafety::Idempotent,
        ) if wait > policy.max_delay() => return Decision::Stop,
        (AttemptOutcome::RetryableStatus { retry_after }, RetrySafety::Idempotent) => retry_after,
        (AttemptOutcome::TransportError { .. }, _) => None,
    };
    let delay = policy.delay(attempts_made.saturating_sub(1), retry_after, jitter);
    if policy.allows(attempts_made, elapsed, delay) {
        Decision::RetryAfter(delay)
    } else {
        Decision::Stop
    }
}

/// Classifies a `reqwest` attempt; `now` reads the wall clock, for an HTTP-date `Retry-After`
/// (read only then).
pub(crate) fn classify(
    result: &reqwest::Result<reqwest::Response>,
    now: impl FnOnce() -> SystemTime,
) -> AttemptOutcome {
    match result {
        Ok(response) if is_retryable_status(response.status().as_u16()) => {
            AttemptOutcome::RetryableStatus {
                retry_after: response
                    .headers()
                    .get(reqwest::header::RETRY_AFTER)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| parse_retry_after(v, now())),
            }
        }
        Ok(_) => AttemptOutcome::Final,
        Err(error) => AttemptOutcome::TransportError {
            reached_server: !error.is_connect(),
        },
    }
}

/// Runs `attempt` until [`decide`] says stop, sleeping between attempts, and returns the last
/// result. `attempt` receives the 1-based attempt number; it must send the same request each
/// time (same `Idempotency-Key`), which is what makes retrying safe.
pub(crate) async fn run_with_retries<T, F, Fut>(
    policy: &RetryPolicy,
    safety: RetrySafety,
    jitter: &mut Jitter,
    clock: &dyn Clock,
    classify: impl Fn(&T) -> AttemptOutcome,
    mut attempt: F,
) -> T
where
    F: FnMut(u32) -> Fut,
    Fut: Future<Output = T>,
{
    let started = clock.now();
    let mut attempts_made = 0;
    loop {
        attempts_made += 1;
        let result = attempt(attempts_made).await;
        let outcome = classify(&result);
        if outcome == AttemptOutcome::Final {
            return result;
        }
        let elapsed = clock.now().saturating_duration_since(started);
        match decide(policy, safety, outcome, attempts_made, elapsed, jitter) {
            Decision::Stop => {
                tracing::debug!(
                    attempt = attempts_made,
                    ?outcome,
                    "giving up: {}",
                    why_stop(policy, outcome, safety, attempts_made)
                );
                return result;
            }
            Decision::RetryAfter(delay) => {
                tracing::debug!(
                    attempt = attempts_made,
                    ?outcome,
                    delay_ms = delay.as_millis() as u64,
                    "retrying"
                );
                clock.sleep(delay).await;
            }
        }
    }
}

/// Why the loop stopped on an outcome worth retrying, for the log.
fn why_stop(
    policy: &RetryPolicy,
    outcome: AttemptOutcome,
    safety: RetrySafety,
    attempts_made: u32,
) -> &'static str {
    match (outcome, safety) {
        (AttemptOutcome::RetryableStatus { .. }, RetrySafety::OnlyIfNotSent)
        | (
            AttemptOutcome::TransportError {
                reached_server: true,
            },
            RetrySafety::OnlyIfNotSent,
        ) => "the request may have been processed and is not deduplicated",
        (
            AttemptOutcome::RetryableStatus {
                retry_after: Some(wait),
            },
            _,
        ) if wait > policy.max_delay() => "Retry-After is longer than the policy's max delay",
        _ if attempts_made >= policy.max_attempts() => "no attempts left",
        _ => "the call's deadline would pass",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime::ManualClock;

    const RETRY_503: AttemptOutcome = AttemptOutcome::RetryableStatus { retry_after: None };
    const DROPPED: AttemptOutcome = AttemptOutcome::TransportError {
        reached_server: true,
    };
    const REFUSED: AttemptOutcome = AttemptOutcome::TransportError {
        reached_server: false,
    };

    fn decide_once(safety: RetrySafety, outcome: AttemptOutcome) -> Decision {
        decide(
            &RetryPolicy::default(),
            safety,
            outcome,
            1,
            Duration::ZERO,
            &mut Jitter::seeded(9),
        )
    }

    #[test]
    fn idempotent_requests_retry_statuses_and_transport_errors() {
        for outcome in [RETRY_503, DROPPED, REFUSED] {
            assert!(
                matches!(
                    decide_once(RetrySafety::Idempotent, outcome),
                    Decision::RetryAfter(_)
                ),
                "{outcome:?}"
            );
        }
        assert_eq!(
            decide_once(RetrySafety::Idempotent, AttemptOutcome::Final),
            Decision::Stop
        );
    }

    #[test]
    fn non_deduplicated_writes_retry_only_what_never_reached_the_server() {
        assert!(matches!(
            decide_once(RetrySafety::OnlyIfNotSent, REFUSED),
            Decision::RetryAfter(_)
        ));
        assert_eq!(
            decide_once(RetrySafety::OnlyIfNotSent, DROPPED),
            Decision::Stop
        );
        assert_eq!(
            decide_once(RetrySafety::OnlyIfNotSent, RETRY_503),
            Decision::Stop
        );
    }

    #[test]
    fn retry_after_is_honoured_up_to_the_cap_and_not_slept_through_beyond_it() {
        let policy = RetryPolicy::default().with_max_delay(Duration::from_secs(10));
        let after = |secs| {
            decide(
                &policy,
                RetrySafety::Idempotent,
                AttemptOutcome::RetryableStatus {
                    retry_after: Some(Duration::from_secs(secs)),
                },
                1,
                Duration::ZERO,
                &mut Jitter::seeded(1),
            )
        };
        assert_eq!(after(10), Decision::RetryAfter(Duration::from_secs(10)));
        assert_eq!(after(11), Decision::Stop);
        assert_eq!(after(999_999), Decision::Stop);
    }

    /// Replays `outcomes` one per attempt; returns (attempts made, delays slept).
    async fn run(
        policy: RetryPolicy,
        safety: RetrySafety,
        outcomes: &[AttemptOutcome],
    ) -> (u32, Vec<Duration>) {
        let clock = ManualClock::new();
        let attempts = run_with_retries(
            &policy,
            safety,
            &mut Jitter::seeded(5),
            &clock,
            |n: &u32| outcomes[(*n - 1) as usize],
            |n| async move { n },
        )
        .await;
        (attempts, clock.slept())
    }

    #[tokio::test]
    async fn the_attempt_limit_is_respected() {
        let (attempts, slept) = run(
            RetryPolicy::default(),
            RetrySafety::Idempotent,
            &[RETRY_503; 10],
        )
        .await;
        assert_eq!(attempts, 3);
        assert_eq!(slept.len(), 2);
        assert!(
            slept[0] <= Duration::from_millis(500) && slept[1] <= Duration::from_secs(1),
            "{slept:?}"
        );
    }

    #[tokio::test]
    async fn a_success_after_failures_stops_the_loop() {
        let outcomes = [
            AttemptOutcome::RetryableStatus {
                retry_after: Some(Duration::from_secs(1)),
            },
            AttemptOutcome::Final,
            RETRY_503,
        ];
        let (attempts, slept) =
            run(RetryPolicy::default(), RetrySafety::Idempotent, &outcomes).await;
        assert_eq!((attempts, slept), (2, vec![Duration::from_secs(1)]));
    }

    #[tokio::test]
    async fn never_sends_once() {
        let (attempts, slept) = run(
            RetryPolicy::never(),
            RetrySafety::Idempotent,
            &[RETRY_503; 3],
        )
        .await;
        assert_eq!((attempts, slept.len()), (1, 0));
    }

    #[tokio::test]
    async fn a_refused_connection_is_classified_as_not_sent() {
        // Bind then drop a listener: the port is closed, the connect is refused, on loopback.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let result = reqwest::Client::new()
            .get(format!("http://127.0.0.1:{port}/"))
            .send()
            .await;
        assert_eq!(
            classify(&result, SystemTime::now),
            AttemptOutcome::TransportError {
                reached_server: false
            }
        );
    }
}
