//! Faults for reliability tests: configured as rates at start (`--faults`), or asked for per
//! request with the `Sandbox-Fault` header.
//!
//! | fault | what happens |
//! |---|---|
//! | `error-before` | 502 before anything is processed |
//! | `unavailable` | 503 with `Retry-After: 1`, before anything is processed |
//! | `drop-after-commit` | the request is processed (and its write committed), then the connection closes without a response |
//! | `latency=<ms>ms` | processing takes that much longer (inside idempotency: the key is in flight meanwhile) |

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// The header that asks for faults on one request, e.g. `Sandbox-Fault: drop-after-commit`.
pub const HEADER: &str = "sandbox-fault";

/// Fault rates (0.0 to 1.0) and added latency.
///
/// ```
/// let faults: parcelkit_sandbox::Faults = "drop-after-commit=0.1,latency=20ms".parse().unwrap();
/// assert_eq!(faults.drop_after_commit, 0.1);
/// assert_eq!(faults.latency, std::time::Duration::from_millis(20));
/// assert!("teleport=1".parse::<parcelkit_sandbox::Faults>().is_err());
/// ```
#[derive(Debug, Clone, Default)]
pub struct Faults {
    /// Share of requests answered 502 before processing.
    pub error_before: f64,
    /// Share of requests answered 503 + Retry-After before processing.
    pub unavailable: f64,
    /// Share of requests whose connection drops after processing.
    pub drop_after_commit: f64,
    /// Added to every response.
    pub latency: Duration,
    draws: Arc<AtomicU64>,
}

/// The faults chosen for one request.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Chosen {
    /// Answer 502 before processing.
    pub error_before: bool,
    /// Answer 503 before processing.
    pub unavailable: bool,
    /// Drop the connection after processing.
    pub drop_after_commit: bool,
    /// Delay the response.
    pub latency: Duration,
}

impl Faults {
    /// Draws this request's faults: the header's, else by the configured rates.
    pub fn choose(&self, header: Option<&str>) -> Result<Chosen, String> {
        if let Some(header) = header {
            let asked: Faults = header.parse()?;
            return Ok(Chosen {
                error_before: asked.error_before > 0.0,
                unavailable: asked.unavailable > 0.0,
                drop_after_commit: asked.drop_after_commit > 0.0,
                latency: asked.latency,
            });
        }
        Ok(Chosen {
            error_before: self.draw(self.error_before),
            unavailable: self.draw(self.unavailable),
            drop_after_commit: self.draw(self.drop_after_commit),
            latency: self.latency,
        })
    }

    /// True with probability `rate` (SplitMix64 over a shared counter: no dependency, and
    /// reproducible for a given request order).
    fn draw(&self, rate: f64) -> bool {
        if rate <= 0.0 {
            return false;
        }
        let mut z = self
            .draws
            .fetch_add(0x9E37_79B9_7F4A_7C15, Ordering::Relaxed)
            .wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        ((z >> 11) as f64 / (1u64 << 53) as f64) < rate
    }
}

impl std::str::FromStr for Faults {
    type Err = String;

    /// `name[=value]` items separated by commas; a bare name means "always" (rate 1).
    fn from_str(text: &str) -> Result<Faults, String> {
        let mut faults = Faults::default();
        for item in text.split(',').map(str::trim).filter(|i| !i.is_empty()) {
            let (name, value) = item.split_once('=').unwrap_or((item, "1"));
            let rate = || -> Result<f64, String> {
                value
                    .parse::<f64>()
                    .ok()
                    .filter(|r| (0.0..=1.0).contains(r))
                    .ok_or_else(|| {
                        format!("fault {name}: rate {value:?} is not a number from 0 to 1")
                    })
            };
            match name {
                "error-before" => faults.error_before = rate()?,
                "unavailable" => faults.unavailable = rate()?,
                "drop-after-commit" => faults.drop_after_commit = rate()?,
                "latency" => {
                    let ms = value
                        .strip_suffix("ms")
                        .and_then(|ms| ms.parse::<u64>().ok())
                        .ok_or_else(|| format!("fault latency: {value:?} is not like 250ms"))?;
                    faults.latency = Duration::from_millis(ms);
                }
                other => {
                    return Err(format!(
                        "unknown fault {other:?} (known: error-before, unavailable, drop-after-commit, latency)"
                    ));
                }
            }
        }
        Ok(faults)
    }
}

/// Middleware, innermost around each API's routes: spends the chosen latency as processing time.
pub async fn processing_time(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let latency = request
        .extensions()
        .get::<Chosen>()
        .map_or(Duration::ZERO, |chosen| chosen.latency);
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    next.run(request).await
}
