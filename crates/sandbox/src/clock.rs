//! The sandbox's time: the wall clock plus an offset tests can move forward, so 24-hour, 15-minute
//! and 7-day expiries are proven without sleeping.

use std::sync::{Arc, Mutex};

use chrono::{DateTime, Duration, Utc};

/// A shared, adjustable clock. Cloning shares it.
///
/// ```
/// use parcelkit_sandbox::Clock;
///
/// let clock = Clock::fixed("2026-03-04T09:00:00Z".parse().unwrap());
/// clock.advance(chrono::Duration::minutes(16));
/// assert_eq!(clock.now().to_rfc3339(), "2026-03-04T09:16:00+00:00");
/// ```
#[derive(Debug, Clone)]
pub struct Clock(Arc<Mutex<State>>);

#[derive(Debug)]
struct State {
    /// `None`: the wall clock; `Some`: a fixed start.
    start: Option<DateTime<Utc>>,
    offset: Duration,
}

impl Clock {
    /// The wall clock (what the binary uses); still movable with [`Clock::advance`].
    pub fn system() -> Clock {
        Clock(Arc::new(Mutex::new(State {
            start: None,
            offset: Duration::zero(),
        })))
    }

    /// A clock standing still at `start` until advanced: fully deterministic tests.
    pub fn fixed(start: DateTime<Utc>) -> Clock {
        Clock(Arc::new(Mutex::new(State {
            start: Some(start),
            offset: Duration::zero(),
        })))
    }

    /// The current time.
    pub fn now(&self) -> DateTime<Utc> {
        let state = self.0.lock().expect("clock lock");
        state.start.unwrap_or_else(Utc::now) + state.offset
    }

    /// The current time as an HTTP-date (RFC 9110 `IMF-fixdate`), for the `Date` header.
    ///
    /// ```
    /// use parcelkit_sandbox::Clock;
    ///
    /// let clock = Clock::fixed("2026-03-04T09:00:00Z".parse().unwrap());
    /// assert_eq!(clock.http_date(), "Wed, 04 Mar 2026 09:00:00 GMT");
    /// ```
    pub fn http_date(&self) -> String {
        self.now().format("%a, %d %b %Y %H:%M:%S GMT").to_string()
    }

    /// Moves the clock forward by `by`.
    pub fn advance(&self, by: Duration) {
        self.0.lock().expect("clock lock").offset += by;
    }
}

impl Default for Clock {
    fn default() -> Clock {
        Clock::system()
    }
}

/// A sandbox time as the API types carry it.
///
/// ```
/// let at = "2026-03-04T09:00:00Z".parse().unwrap();
/// assert_eq!(parcelkit_sandbox::clock::api_time(at).to_string(), "2026-03-04T09:00:00Z");
/// ```
pub fn api_time(at: DateTime<Utc>) -> parcelkit::Timestamp {
    at.try_into()
        .expect("the sandbox's times lie within the years 0000-9999")
}

/// A sandbox date as the API types carry it.
pub fn api_date(day: chrono::NaiveDate) -> parcelkit::Date {
    day.try_into()
        .expect("the sandbox's dates lie within the years 0000-9999")
}
