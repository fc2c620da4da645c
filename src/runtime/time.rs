//! Instants and calendar dates as both APIs write them (RFC 3339): [`Timestamp`] for
//! `format: date-time`, [`Date`] for `format: date`.
//!
//! parcelkit's own types rather than chrono's: a client only reads, compares and writes them
//! back, and chrono is a second or so of every application's build for that. Each converts to
//! and from [`std::time::SystemTime`], and to and from chrono's types with the `chrono` feature.

use std::fmt;
use std::str::FromStr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

const SECONDS_PER_DAY: i64 = 86_400;
const NANOS_PER_SECOND: u32 = 1_000_000_000;
/// Days from 0000-03-01 to 1970-01-01 in the proleptic Gregorian calendar.
const EPOCH_DAY_OFFSET: i64 = 719_468;
/// Days in a 400-year cycle of the Gregorian calendar.
const DAYS_PER_ERA: i64 = 146_097;

/// An instant in UTC, to the nanosecond, between the years 0000 and 9999 (what RFC 3339 can
/// write): the APIs' `format: date-time` fields.
///
/// Read from any RFC 3339 offset (`2026-03-04T10:30:00+01:00` is `2026-03-04T09:30:00Z`) and
/// written in UTC with `Z`, with 0, 3, 6 or 9 fractional digits, the fewest that keep it exact.
/// Ordered by time.
///
/// ```
/// use parcelkit::Timestamp;
///
/// let booked: Timestamp = "2026-03-04T10:30:00+01:00".parse()?;
/// assert_eq!(booked.to_string(), "2026-03-04T09:30:00Z");
/// assert_eq!(booked.unix_seconds(), 1_772_616_600);
/// assert!(booked < "2026-03-04T09:30:00.5Z".parse()?);
///
/// let later = std::time::SystemTime::from(booked) + std::time::Duration::from_secs(90);
/// assert_eq!(Timestamp::try_from(later)?.to_string(), "2026-03-04T09:31:30Z");
/// # Ok::<(), parcelkit::InvalidTime>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp {
    /// Seconds since 1970-01-01T00:00:00Z.
    seconds: i64,
    /// Below [`NANOS_PER_SECOND`].
    nanos: u32,
}

/// A calendar date (`YYYY-MM-DD`, years 0000 to 9999): the APIs' `format: date` fields.
///
/// ```
/// use parcelkit::Date;
///
/// let ships_on: Date = "2028-02-29".parse()?;
/// assert_eq!((ships_on.year(), ships_on.month(), ships_on.day()), (2028, 2, 29));
/// assert_eq!(ships_on.to_string(), "2028-02-29");
/// assert!("2026-02-29".parse::<Date>().is_err());
/// # Ok::<(), parcelkit::InvalidTime>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    year: u16,
    month: u8,
    day: u8,
}

/// Why a text is not a [`Timestamp`] or a [`Date`] (or a time is outside the years 0000-9999).
///
/// ```
/// let error = "2026-13-01T00:00:00Z".parse::<parcelkit::Timestamp>().unwrap_err();
/// assert_eq!(
///     error.to_string(),
///     "\"2026-13-01T00:00:00Z\" is not an RFC 3339 date-time: month 13 is not 1-12"
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidTime {
    input: String,
    expected: &'static str,
    reason: String,
}

impl InvalidTime {
    fn new(input: &str, expected: &'static str, reason: impl Into<String>) -> Self {
        // Enough to recognise the value; a whole document pasted by mistake stays out of logs.
        const SHOWN: usize = 40;
        let input = match input.char_indices().nth(SHOWN) {
            Some((end, _)) => format!("{}...", &input[..end]),
            None => input.to_owned(),
        };
        InvalidTime {
            input,
            expected,
            reason: reason.into(),
        }
    }
}

impl fmt::Display for InvalidTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:?} is not {}: {}",
            self.input, self.expected, self.reason
        )
    }
}

impl std::error::Error for InvalidTime {}

const DATE_TIME: &str = "an RFC 3339 date-time";
const DATE: &str = "an RFC 3339 date (YYYY-MM-DD)";

fn is_leap_year(year: i64) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

fn days_in_month(year: i64, month: u8) -> u8 {
    match month {
        2 if is_leap_year(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days from 1970-01-01 to the date (negative before), by counting 400-year eras from a year
/// that starts in March, so that the leap day is the last day of its year.
fn days_from_civil(year: i64, month: u8, day: u8) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month_from_march = (i64::from(month) + 9) % 12;
    let day_of_year = (153 * month_from_march + 2) / 5 + i64::from(day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * DAYS_PER_ERA + day_of_era - EPOCH_DAY_OFFSET
}

/// The date `days` after 1970-01-01: the inverse of [`days_from_civil`].
fn civil_from_days(days: i64) -> (i64, u8, u8) {
    let days = days + EPOCH_DAY_OFFSET;
    let era = days.div_euclid(DAYS_PER_ERA);
    let day_of_era = days - era * DAYS_PER_ERA;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_from_march = (5 * day_of_year + 2) / 153;
    let day = (day_of_year - (153 * month_from_march + 2) / 5 + 1) as u8;
    let month = if month_from_march < 10 {
        month_from_march + 3
    } else {
        month_from_march - 9
    } as u8;
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// Reads fixed-width decimal fields and single separators from the front of a text.
struct Cursor<'a> {
    rest: &'a [u8],
}

impl Cursor<'_> {
    fn digits(&mut self, width: usize, what: &str) -> Result<u32, String> {
        match self.rest.get(..width) {
            Some(field) if field.iter().all(u8::is_ascii_digit) => {
                self.rest = &self.rest[width..];
                Ok(field.iter().fold(0, |n, d| n * 10 + u32::from(d - b'0')))
            }
            _ => Err(format!("expected {width} digits for the {what}")),
        }
    }

    fn separator(&mut self, accepted: &[u8], what: &str) -> Result<u8, String> {
        match self.rest.first() {
            Some(c) if accepted.contains(c) => {
                self.rest = &self.rest[1..];
                Ok(*c)
            }
            _ => Err(format!("expected {what}")),
        }
    }
}

/// `YYYY-MM-DD`, checked: the year, month and day.
fn read_date(cursor: &mut Cursor<'_>) -> Result<(i64, u8, u8), String> {
    let year = i64::from(cursor.digits(4, "year")?);
    cursor.separator(b"-", "'-' after the year")?;
    let month = cursor.digits(2, "month")? as u8;
    cursor.separator(b"-", "'-' after the month")?;
    let day = cursor.digits(2, "day")? as u8;
    if !(1..=12).contains(&month) {
        return Err(format!("month {month} is not 1-12"));
    }
    let last = days_in_month(year, month);
    if !(1..=last).contains(&day) {
        return Err(format!(
            "day {day} is not in {year:04}-{month:02} (which has {last} days)"
        ));
    }
    Ok((year, month, day))
}

fn in_range(value: u32, high: u32, what: &str) -> Result<i64, String> {
    if value > high {
        return Err(format!("{what} {value} is not 0-{high}"));
    }
    Ok(i64::from(value))
}

impl Timestamp {
    /// 0000-01-01T00:00:00Z.
    const MIN_SECONDS: i64 = -62_167_219_200;
    /// 9999-12-31T23:59:59Z.
    const MAX_SECONDS: i64 = 253_402_300_799;

    /// The instant `seconds` (and `nanos`) after 1970-01-01T00:00:00Z; `None` outside the years
    /// 0000-9999 or when `nanos` is a second or more.
    ///
    /// ```
    /// let t = parcelkit::Timestamp::from_unix(1_772_616_600, 250_000_000).unwrap();
    /// assert_eq!(t.to_string(), "2026-03-04T09:30:00.250Z");
    /// ```
    pub fn from_unix(seconds: i64, nanos: u32) -> Option<Self> {
        ((Self::MIN_SECONDS..=Self::MAX_SECONDS).contains(&seconds) && nanos < NANOS_PER_SECOND)
            .then_some(Timestamp { seconds, nanos })
    }

    /// Seconds since 1970-01-01T00:00:00Z (negative before), without the fraction.
    pub fn unix_seconds(&self) -> i64 {
        self.seconds
    }

    /// The fraction of the second, in nanoseconds.
    pub fn subsec_nanos(&self) -> u32 {
        self.nanos
    }

    /// The calendar date of this instant in UTC.
    ///
    /// ```
    /// let t: parcelkit::Timestamp = "2026-03-04T23:30:00-01:00".parse()?;
    /// assert_eq!(t.date_utc().to_string(), "2026-03-05");
    /// # Ok::<(), parcelkit::InvalidTime>(())
    /// ```
    pub fn date_utc(&self) -> Date {
        let (year, month, day) = civil_from_days(self.seconds.div_euclid(SECONDS_PER_DAY));
        // In range by construction: the seconds are within the years 0000-9999.
        Date {
            year: year as u16,
            month,
            day,
        }
    }

    fn parse(text: &str) -> Result<Self, String> {
        let mut cursor = Cursor {
            rest: text.as_bytes(),
        };
        let (year, month, day) = read_date(&mut cursor)?;
        cursor.separator(b"Tt ", "'T' between the date and the time")?;
        let hour = in_range(cursor.digits(2, "hour")?, 23, "hour")?;
        cursor.separator(b":", "':' after the hour")?;
        let minute = in_range(cursor.digits(2, "minute")?, 59, "minute")?;
        cursor.separator(b":", "':' after the minute")?;
        // 60: a leap second, counted as the first second of the next minute.
        let second = in_range(cursor.digits(2, "second")?, 60, "second")?;
        let mut nanos = 0;
        if cursor.rest.first() == Some(&b'.') {
            cursor.rest = &cursor.rest[1..];
            let count = cursor
                .rest
                .iter()
                .take_while(|c| c.is_ascii_digit())
                .count();
            if count == 0 {
                return Err("expected digits after '.'".to_owned());
            }
            // Beyond nanoseconds the digits are dropped, as other RFC 3339 readers do.
            for (place, digit) in cursor.rest[..count].iter().take(9).enumerate() {
                nanos += u32::from(digit - b'0') * 10u32.pow(8 - place as u32);
            }
            cursor.rest = &cursor.rest[count..];
        }
        let offset = match cursor.separator(b"Zz+-", "'Z' or an offset (+HH:MM)")? {
            b'Z' | b'z' => 0,
            sign => {
                let hours = in_range(cursor.digits(2, "offset's hours")?, 23, "offset hour")?;
                cursor.separator(b":", "':' in the offset")?;
                let minutes = in_range(cursor.digits(2, "offset's minutes")?, 59, "offset minute")?;
                let offset = hours * 3600 + minutes * 60;
                if sign == b'-' { -offset } else { offset }
            }
        };
        if !cursor.rest.is_empty() {
            return Err("unexpected text after the offset".to_owned());
        }
        let seconds = days_from_civil(year, month, day) * SECONDS_PER_DAY
            + hour * 3600
            + minute * 60
            + second
            - offset;
        Timestamp::from_unix(seconds, nanos)
            .ok_or_else(|| "in UTC it is outside the years 0000-9999".to_owned())
    }
}

impl FromStr for Timestamp {
    type Err = InvalidTime;

    fn from_str(text: &str) -> Result<Self, InvalidTime> {
        Timestamp::parse(text).map_err(|reason| InvalidTime::new(text, DATE_TIME, reason))
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let time_of_day = self.seconds.rem_euclid(SECONDS_PER_DAY);
        write!(
            f,
            "{}T{:02}:{:02}:{:02}",
            self.date_utc(),
            time_of_day / 3600,
            time_of_day / 60 % 60,
            time_of_day % 60
        )?;
        // The fewest of 0, 3, 6 or 9 digits that write the fraction exactly.
        match self.nanos {
            0 => {}
            n if n % 1_000_000 == 0 => write!(f, ".{:03}", n / 1_000_000)?,
            n if n % 1_000 == 0 => write!(f, ".{:06}", n / 1_000)?,
            n => write!(f, ".{n:09}")?,
        }
        f.write_str("Z")
    }
}

impl fmt::Debug for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Timestamp({self})")
    }
}

impl TryFrom<SystemTime> for Timestamp {
    type Error = InvalidTime;

    /// Fails only for a time outside the years 0000-9999.
    fn try_from(time: SystemTime) -> Result<Self, InvalidTime> {
        let (seconds, nanos) = match time.duration_since(UNIX_EPOCH) {
            Ok(after) => (i64::try_from(after.as_secs()).ok(), after.subsec_nanos()),
            Err(before) => {
                let before = before.duration();
                let whole = i64::try_from(before.as_secs()).ok();
                match before.subsec_nanos() {
                    0 => (whole.map(|s| -s), 0),
                    n => (whole.map(|s| -s - 1), NANOS_PER_SECOND - n),
                }
            }
        };
        seconds
            .and_then(|seconds| Timestamp::from_unix(seconds, nanos))
            .ok_or_else(|| {
                InvalidTime::new(
                    &format!("{time:?}"),
                    DATE_TIME,
                    "it is outside the years 0000-9999",
                )
            })
    }
}

impl From<Timestamp> for SystemTime {
    fn from(time: Timestamp) -> SystemTime {
        let nanos = Duration::from_nanos(u64::from(time.nanos));
        if time.seconds >= 0 {
            UNIX_EPOCH + Duration::from_secs(time.seconds as u64) + nanos
        } else {
            UNIX_EPOCH - Duration::from_secs(time.seconds.unsigned_abs()) + nanos
        }
    }
}

impl Date {
    /// The date, if it exists in the years 0000-9999.
    ///
    /// ```
    /// assert!(parcelkit::Date::new(2026, 3, 4).is_some());
    /// assert!(parcelkit::Date::new(2026, 2, 29).is_none());
    /// ```
    pub fn new(year: u16, month: u8, day: u8) -> Option<Self> {
        let valid = year <= 9999
            && (1..=12).contains(&month)
            && (1..=days_in_month(i64::from(year), month)).contains(&day);
        valid.then_some(Date { year, month, day })
    }

    /// The year (0-9999).
    pub fn year(&self) -> u16 {
        self.year
    }

    /// The month (1-12).
    pub fn month(&self) -> u8 {
        self.month
    }

    /// The day of the month (1-31).
    pub fn day(&self) -> u8 {
        self.day
    }

    /// The first instant of the date in UTC.
    ///
    /// ```
    /// let d: parcelkit::Date = "2026-03-04".parse()?;
    /// assert_eq!(d.start_utc().to_string(), "2026-03-04T00:00:00Z");
    /// # Ok::<(), parcelkit::InvalidTime>(())
    /// ```
    pub fn start_utc(&self) -> Timestamp {
        Timestamp {
            seconds: days_from_civil(i64::from(self.year), self.month, self.day) * SECONDS_PER_DAY,
            nanos: 0,
        }
    }
}

impl FromStr for Date {
    type Err = InvalidTime;

    fn from_str(text: &str) -> Result<Self, InvalidTime> {
        let mut cursor = Cursor {
            rest: text.as_bytes(),
        };
        let parsed = read_date(&mut cursor).and_then(|date| match cursor.rest {
            [] => Ok(date),
            _ => Err("unexpected text after the day".to_owned()),
        });
        match parsed {
            Ok((year, month, day)) => Ok(Date {
                year: year as u16,
                month,
                day,
            }),
            Err(reason) => Err(InvalidTime::new(text, DATE, reason)),
        }
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

impl fmt::Debug for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Date({self})")
    }
}

/// Both are written as their RFC 3339 text and read from it (serde, and `TryFrom` text so that
/// builder setters take `&str`).
macro_rules! text_impls {
    ($type:ty, $expected:expr) => {
        impl TryFrom<&str> for $type {
            type Error = InvalidTime;

            fn try_from(text: &str) -> Result<Self, InvalidTime> {
                text.parse()
            }
        }

        impl TryFrom<String> for $type {
            type Error = InvalidTime;

            fn try_from(text: String) -> Result<Self, InvalidTime> {
                text.parse()
            }
        }

        impl serde::Serialize for $type {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.collect_str(self)
            }
        }

        impl<'de> serde::Deserialize<'de> for $type {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                struct Visitor;
                impl serde::de::Visitor<'_> for Visitor {
                    type Value = $type;

                    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                        f.write_str($expected)
                    }

                    fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<$type, E> {
                        text.parse().map_err(E::custom)
                    }
                }
                deserializer.deserialize_str(Visitor)
            }
        }
    };
}

text_impls!(Timestamp, DATE_TIME);
text_impls!(Date, DATE);

#[cfg(feature = "json-schema")]
mod json_schema {
    use schemars::r#gen::SchemaGenerator;
    use schemars::schema::{InstanceType, Schema, SchemaObject};

    /// As the spec declares each (`type: string` with its `format`), inline like chrono's.
    macro_rules! string_with_format {
        ($type:ty, $name:literal, $format:literal) => {
            impl schemars::JsonSchema for $type {
                fn is_referenceable() -> bool {
                    false
                }

                fn schema_name() -> String {
                    $name.to_owned()
                }

                fn json_schema(_: &mut SchemaGenerator) -> Schema {
                    SchemaObject {
                        instance_type: Some(InstanceType::String.into()),
                        format: Some($format.to_owned()),
                        ..SchemaObject::default()
                    }
                    .into()
                }
            }
        };
    }

    string_with_format!(super::Timestamp, "DateTime", "date-time");
    string_with_format!(super::Date, "Date", "date");
}

#[cfg(feature = "chrono")]
mod chrono_conversions {
    use super::{DATE, DATE_TIME, Date, InvalidTime, Timestamp};
    use chrono::{DateTime, Datelike, NaiveDate, Utc};

    impl From<Timestamp> for DateTime<Utc> {
        fn from(time: Timestamp) -> Self {
            DateTime::from_timestamp(time.seconds, time.nanos)
                .expect("the years 0000-9999 are within chrono's range")
        }
    }

    impl TryFrom<DateTime<Utc>> for Timestamp {
        type Error = InvalidTime;

        /// Fails for an instant outside the years 0000-9999 (or in a leap second).
        fn try_from(time: DateTime<Utc>) -> Result<Self, InvalidTime> {
            Timestamp::from_unix(time.timestamp(), time.timestamp_subsec_nanos()).ok_or_else(|| {
                InvalidTime::new(&time.to_rfc3339(), DATE_TIME, "outside the years 0000-9999")
            })
        }
    }

    impl From<Date> for NaiveDate {
        fn from(date: Date) -> Self {
            NaiveDate::from_ymd_opt(
                i32::from(date.year),
                u32::from(date.month),
                u32::from(date.day),
            )
            .expect("a valid date of the years 0000-9999")
        }
    }

    impl TryFrom<NaiveDate> for Date {
        type Error = InvalidTime;

        /// Fails for a date outside the years 0000-9999.
        fn try_from(date: NaiveDate) -> Result<Self, InvalidTime> {
            u16::try_from(date.year())
                .ok()
                .and_then(|year| Date::new(year, date.month() as u8, date.day() as u8))
                .ok_or_else(|| {
                    InvalidTime::new(&date.to_string(), DATE, "outside the years 0000-9999")
                })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(text: &str) -> Timestamp {
        text.parse().unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn the_epoch_and_the_ends_of_the_range() {
        assert_eq!(ts("1970-01-01T00:00:00Z").unix_seconds(), 0);
        assert_eq!(
            ts("0000-01-01T00:00:00Z").unix_seconds(),
            Timestamp::MIN_SECONDS
        );
        assert_eq!(
            ts("9999-12-31T23:59:59Z").unix_seconds(),
            Timestamp::MAX_SECONDS
        );
        assert!(Timestamp::from_unix(Timestamp::MIN_SECONDS - 1, 0).is_none());
        assert!(Timestamp::from_unix(Timestamp::MAX_SECONDS + 1, 0).is_none());
        assert!(Timestamp::from_unix(0, NANOS_PER_SECOND).is_none());
        let error = "9999-12-31T23:59:59-00:01"
            .parse::<Timestamp>()
            .unwrap_err();
        assert!(
            error
                .to_string()
                .ends_with("in UTC it is outside the years 0000-9999"),
            "{error}"
        );
    }

    #[test]
    fn every_day_of_four_centuries_round_trips() {
        // 1900 (not a leap year), 2000 (one) and the years between: each day's number and back.
        let mut expected = days_from_civil(1900, 1, 1);
        for year in 1900..2301 {
            for month in 1..=12 {
                for day in 1..=days_in_month(year, month) {
                    assert_eq!(days_from_civil(year, month, day), expected);
                    assert_eq!(civil_from_days(expected), (year, month, day));
                    expected += 1;
                }
            }
        }
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
    }

    #[test]
    fn offsets_are_read_and_utc_is_written() {
        assert_eq!(
            ts("2026-03-04T10:30:00+01:00").to_string(),
            "2026-03-04T09:30:00Z"
        );
        assert_eq!(
            ts("2026-03-04T00:15:00-05:30").to_string(),
            "2026-03-04T05:45:00Z"
        );
        assert_eq!(ts("2026-03-04t09:30:00z"), ts("2026-03-04T09:30:00Z"));
        assert_eq!(ts("2026-03-04 09:30:00Z"), ts("2026-03-04T09:30:00Z"));
        assert_eq!(
            ts("2026-12-31T23:59:60Z").to_string(),
            "2027-01-01T00:00:00Z"
        );
        let text = "2026-03-04T09:30:00Z";
        assert_eq!(Timestamp::try_from(text), Ok(ts(text)));
        assert_eq!(Timestamp::try_from(text.to_owned()), Ok(ts(text)));
        assert_eq!(
            Date::try_from("2026-03-04".to_owned()),
            Ok(ts(text).date_utc())
        );
        assert!(Date::try_from("2026-03-4").is_err());
    }

    #[test]
    fn fractions_are_kept_exactly_and_written_in_groups_of_three() {
        for (read, written) in [
            ("2026-03-04T09:30:00.5Z", "2026-03-04T09:30:00.500Z"),
            ("2026-03-04T09:30:00.000Z", "2026-03-04T09:30:00Z"),
            ("2026-03-04T09:30:00.123456Z", "2026-03-04T09:30:00.123456Z"),
            (
                "2026-03-04T09:30:00.1234567Z",
                "2026-03-04T09:30:00.123456700Z",
            ),
            (
                "2026-03-04T09:30:00.1234567899Z",
                "2026-03-04T09:30:00.123456789Z",
            ),
            ("1969-12-31T23:59:59.25Z", "1969-12-31T23:59:59.250Z"),
        ] {
            assert_eq!(ts(read).to_string(), written, "{read}");
        }
        assert_eq!(ts("1969-12-31T23:59:59.25Z").unix_seconds(), -1);
        assert_eq!(ts("1969-12-31T23:59:59.25Z").subsec_nanos(), 250_000_000);
    }

    #[test]
    fn each_malformed_part_is_named() {
        for (text, reason) in [
            ("2026-3-04T09:30:00Z", "expected 2 digits for the month"),
            ("2026-00-04T09:30:00Z", "month 0 is not 1-12"),
            (
                "2026-02-29T09:30:00Z",
                "day 29 is not in 2026-02 (which has 28 days)",
            ),
            (
                "2026-04-31T09:30:00Z",
                "day 31 is not in 2026-04 (which has 30 days)",
            ),
            ("2026-03-04", "expected 'T' between the date and the time"),
            ("2026-03-04T24:00:00Z", "hour 24 is not 0-23"),
            ("2026-03-04T09:60:00Z", "minute 60 is not 0-59"),
            ("2026-03-04T09:30:61Z", "second 61 is not 0-60"),
            ("2026-03-04T09:30:00.Z", "expected digits after '.'"),
            ("2026-03-04T09:30:00", "expected 'Z' or an offset (+HH:MM)"),
            ("2026-03-04T09:30:00+0100", "expected ':' in the offset"),
            ("2026-03-04T09:30:00+24:00", "offset hour 24 is not 0-23"),
            (
                "2026-03-04T09:30:00Z trailing",
                "unexpected text after the offset",
            ),
            ("", "expected 4 digits for the year"),
        ] {
            let error = text.parse::<Timestamp>().unwrap_err();
            assert_eq!(
                error.to_string(),
                format!("{text:?} is not an RFC 3339 date-time: {reason}")
            );
        }
    }

    #[test]
    fn a_long_input_is_cut_in_the_message() {
        let text = format!("2026-03-04T09:30:00Z{}", "x".repeat(500));
        let message = text.parse::<Timestamp>().unwrap_err().to_string();
        assert!(message.len() < 120, "{message}");
        assert!(
            message.starts_with("\"2026-03-04T09:30:00Zxxxxxxxxxxxxxxxxxxxx...\""),
            "{message}"
        );
    }

    #[test]
    fn dates_are_checked_and_written_with_four_digit_years() {
        assert_eq!(
            "0001-01-01".parse::<Date>().unwrap().to_string(),
            "0001-01-01"
        );
        assert_eq!(Date::new(2000, 2, 29).unwrap().to_string(), "2000-02-29");
        assert!(Date::new(1900, 2, 29).is_none());
        assert!(Date::new(10_000, 1, 1).is_none());
        let error = "2026-03-04T00:00:00Z".parse::<Date>().unwrap_err();
        assert_eq!(
            error.to_string(),
            "\"2026-03-04T00:00:00Z\" is not an RFC 3339 date (YYYY-MM-DD): unexpected text after the day"
        );
    }

    #[cfg(feature = "json-schema")]
    #[test]
    fn json_schemas_are_what_the_specs_declare() {
        use schemars::JsonSchema;
        let mut generator = schemars::r#gen::SchemaGenerator::default();
        for (schema, format) in [
            (Timestamp::json_schema(&mut generator), "date-time"),
            (Date::json_schema(&mut generator), "date"),
        ] {
            assert_eq!(
                serde_json::to_value(schema).unwrap(),
                serde_json::json!({"type": "string", "format": format})
            );
        }
    }

    #[test]
    fn system_time_both_ways() {
        for text in [
            "2026-03-04T09:30:00.000000001Z",
            "1969-12-31T23:59:59.999Z",
            "0000-01-01T00:00:00Z",
        ] {
            let time = ts(text);
            assert_eq!(
                Timestamp::try_from(SystemTime::from(time)).unwrap(),
                time,
                "{text}"
            );
        }
    }

    #[test]
    fn serde_uses_the_text_and_names_a_bad_value() {
        let time: Timestamp = serde_json::from_str("\"2026-03-04T10:30:00+01:00\"").unwrap();
        assert_eq!(
            serde_json::to_string(&time).unwrap(),
            "\"2026-03-04T09:30:00Z\""
        );
        let date: Date = serde_json::from_str("\"2026-03-04\"").unwrap();
        assert_eq!(serde_json::to_string(&date).unwrap(), "\"2026-03-04\"");
        let error = serde_json::from_str::<Timestamp>("\"yesterday\"").unwrap_err();
        assert!(
            error
                .to_string()
                .contains("\"yesterday\" is not an RFC 3339 date-time"),
            "{error}"
        );
        let error = serde_json::from_str::<Date>("20260304").unwrap_err();
        assert!(
            error.to_string().contains("expected an RFC 3339 date"),
            "{error}"
        );
    }
}
