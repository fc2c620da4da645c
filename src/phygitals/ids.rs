//! Typed identifiers for shipping: rate ids ([`QuoteId`]) and order ids ([`OrderId`]).
//!
//! The wire carries both ids as plain strings; the generated client reads and takes these types
//! wherever the spec's `QuoteId` and `OrderId` schemas appear (codegen replaces them). Checking
//! an id once, where it enters a program, turns a malformed id into a clear local error instead
//! of the server's vague `quote_id is required` or `Order not found`.

use std::fmt;

#[cfg(feature = "json-schema")]
use schemars::JsonSchema;
#[cfg(feature = "json-schema")]
use schemars::schema::{InstanceType, Schema, SchemaObject, StringValidation};

/// The text between a rate id's session id and its rate key.
const RATE_SEPARATOR: &str = "_rate_";

/// The prefix of a sandbox order id.
const SANDBOX_ORDER_PREFIX: &str = "order_";

/// The length of the base64url part of a sandbox order id.
const SANDBOX_ORDER_SUFFIX_LEN: usize = 16;

// ---------------------------------------------------------------------------------------------
// QuoteId

/// A shipping rate id (`ShippingQuote::id` of a quote, `ShipRequest::quote_id` of a ship
/// request):
/// `<session_id>_rate_<key>`, e.g. `quote_01JQ7ZK4M8P2R5T9V3X6Y1B4CD_rate_priority`.
///
/// # Which `_rate_` separates
///
/// The id is split at the **last** `_rate_`: everything before it is the session id, everything
/// after it the rate key. Rate keys are short words (`standard`, `priority`, `express`), while the
/// session id is the part whose format the vendor may change, so the session side is the one
/// allowed to contain anything, `_rate_` included. Hence `a_rate_b_rate_express` has session
/// `a_rate_b` and key `express`. Because the separator's last `_` can also begin a later
/// `_rate_`, `s_rate_rate_x` splits as session `s_rate`, key `x`.
///
/// # What is checked
///
/// Strict where the server is strict, lenient elsewhere: the id must contain `_rate_` (the
/// server refuses an id without it), and the session id and the rate key must be non-empty. The
/// session id is *not* required to be `quote_<ULID>`, although it is in practice, so a new id
/// format on the server does not break clients.
///
/// Formatting gives back exactly the parsed text: `QuoteId::parse(s)?.to_string() == s`.
///
/// ```
/// use parcelkit::phygitals::QuoteId;
///
/// let id: QuoteId = "quote_01JQ7ZK4M8P2R5T9V3X6Y1B4CD_rate_priority".parse()?;
/// assert_eq!(id.session_id(), "quote_01JQ7ZK4M8P2R5T9V3X6Y1B4CD");
/// assert_eq!(id.rate_key(), "priority");
/// assert_eq!(id.to_string(), "quote_01JQ7ZK4M8P2R5T9V3X6Y1B4CD_rate_priority");
///
/// assert_eq!(QuoteId::new("quote_01JQ7ZK4M8P2R5T9V3X6Y1B4CD", "priority")?, id);
/// assert!(QuoteId::parse("quote_01JQ7ZK4M8P2R5T9V3X6Y1B4CD").is_err());
/// # Ok::<(), parcelkit::phygitals::InvalidQuoteId>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct QuoteId {
    raw: String,
    /// Byte offset of the separating `_rate_` in `raw`; a function of `raw`, so the derived
    /// comparisons still order by the text.
    separator_at: usize,
}

impl QuoteId {
    /// Parses a rate id, splitting it at its last `_rate_`.
    ///
    /// Fails when the id is empty, has no `_rate_`, or has nothing before or after it.
    pub fn parse(id: &str) -> Result<QuoteId, InvalidQuoteId> {
        Self::from_string(id.to_owned())
    }

    /// Builds the rate id `<session_id>_rate_<rate_key>`.
    ///
    /// Besides the rules of [`parse`](Self::parse), the rate key must neither contain `_rate_`
    /// nor start with `rate_`: such an id would split at a later `_rate_` when parsed back, into
    /// different parts than the ones given.
    ///
    /// ```
    /// use parcelkit::phygitals::{QuoteId, QuoteIdProblem};
    ///
    /// let id = QuoteId::new("quote_01JQ7ZK4M8P2R5T9V3X6Y1B4CD", "express")?;
    /// assert_eq!(id.as_str(), "quote_01JQ7ZK4M8P2R5T9V3X6Y1B4CD_rate_express");
    ///
    /// let err = QuoteId::new("quote_01JQ7ZK4M8P2R5T9V3X6Y1B4CD", "rate_express").unwrap_err();
    /// assert_eq!(err.problem(), QuoteIdProblem::AmbiguousRateKey);
    /// # Ok::<(), parcelkit::phygitals::InvalidQuoteId>(())
    /// ```
    pub fn new(session_id: &str, rate_key: &str) -> Result<QuoteId, InvalidQuoteId> {
        let raw = format!("{session_id}{RATE_SEPARATOR}{rate_key}");
        if rate_key.contains(RATE_SEPARATOR) || rate_key.starts_with("rate_") {
            return Err(InvalidQuoteId {
                input: raw,
                problem: QuoteIdProblem::AmbiguousRateKey,
            });
        }
        let id = Self::from_string(raw)?;
        debug_assert_eq!((id.session_id(), id.rate_key()), (session_id, rate_key));
        Ok(id)
    }

    /// Parses an owned id without copying it.
    fn from_string(raw: String) -> Result<QuoteId, InvalidQuoteId> {
        let problem = if raw.is_empty() {
            QuoteIdProblem::Empty
        } else {
            // `rfind` reports the start of the last match, overlapping ones included, which is
            // what makes `s_rate_rate_x` split after `s_rate`.
            match raw.rfind(RATE_SEPARATOR) {
                None => QuoteIdProblem::MissingSeparator,
                Some(0) => QuoteIdProblem::EmptySession,
                Some(at) if at + RATE_SEPARATOR.len() == raw.len() => QuoteIdProblem::EmptyRateKey,
                Some(separator_at) => return Ok(QuoteId { raw, separator_at }),
            }
        };
        Err(InvalidQuoteId {
            input: raw,
            problem,
        })
    }

    /// The quote session the rate belongs to (`QuoteResponse::session_id`), e.g.
    /// `quote_01JQ7ZK4M8P2R5T9V3X6Y1B4CD`.
    pub fn session_id(&self) -> &str {
        &self.raw[..self.separator_at]
    }

    /// The rate's key within its session, e.g. `priority`.
    pub fn rate_key(&self) -> &str {
        &self.raw[self.separator_at + RATE_SEPARATOR.len()..]
    }

    /// The id as sent on the wire.
    pub fn as_str(&self) -> &str {
        &self.raw
    }

    /// The id as sent on the wire, without copying.
    pub fn into_string(self) -> String {
        self.raw
    }
}

crate::runtime::string_type_impls!(QuoteId, InvalidQuoteId, parse: QuoteId::parse, parse_owned: QuoteId::from_string);

/// Lets a borrowed id go into a setter (`.quote_id(&id)`), which takes its value by `TryInto`.
impl From<&QuoteId> for QuoteId {
    fn from(value: &QuoteId) -> Self {
        value.clone()
    }
}

/// The spec's `QuoteId` schema, for the conformance suite's comparison of derived schemas with
/// the spec: the server's own rule (a `_rate_` somewhere). [`QuoteId::parse`] is stricter.
#[cfg(feature = "json-schema")]
impl JsonSchema for QuoteId {
    fn schema_name() -> String {
        "QuoteId".to_owned()
    }

    fn json_schema(_: &mut schemars::r#gen::SchemaGenerator) -> Schema {
        string_schema(Some("^.*_rate_.*$"), None)
    }
}

/// A string schema with a pattern or a minimum length.
#[cfg(feature = "json-schema")]
fn string_schema(pattern: Option<&str>, min_length: Option<u32>) -> Schema {
    Schema::Object(SchemaObject {
        instance_type: Some(InstanceType::String.into()),
        string: Some(Box::new(StringValidation {
            pattern: pattern.map(str::to_owned),
            min_length,
            max_length: None,
        })),
        ..SchemaObject::default()
    })
}

impl serde::Serialize for QuoteId {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.raw)
    }
}

/// Deserializing checks the id like [`QuoteId::parse`].
impl<'de> serde::Deserialize<'de> for QuoteId {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(deserializer)?;
        QuoteId::from_string(raw).map_err(serde::de::Error::custom)
    }
}

/// Why a text is not a [`QuoteId`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum QuoteIdProblem {
    /// The id is the empty string.
    Empty,
    /// The id contains no `_rate_` (the server answers such an id with `quote_id is required`).
    MissingSeparator,
    /// Nothing precedes the last `_rate_`.
    EmptySession,
    /// Nothing follows the last `_rate_`.
    EmptyRateKey,
    /// [`QuoteId::new`] only: the rate key contains `_rate_` or starts with `rate_`, so the id
    /// would split elsewhere when parsed back.
    AmbiguousRateKey,
}

impl QuoteIdProblem {
    /// The broken rule, as the error message states it.
    fn explain(self) -> &'static str {
        match self {
            QuoteIdProblem::Empty => "the id is empty",
            QuoteIdProblem::MissingSeparator => "the `_rate_` separator is missing",
            QuoteIdProblem::EmptySession => "the session id before the last `_rate_` is empty",
            QuoteIdProblem::EmptyRateKey => "the rate key after the last `_rate_` is empty",
            QuoteIdProblem::AmbiguousRateKey => {
                "the rate key must not contain `_rate_` or start with `rate_`, \
                 or the id would not split back into the same session id and key"
            }
        }
    }
}

/// A text that is not a valid [`QuoteId`], and why.
///
/// ```
/// use parcelkit::phygitals::{QuoteId, QuoteIdProblem};
///
/// let err = QuoteId::parse("abc").unwrap_err();
/// assert_eq!(err.problem(), QuoteIdProblem::MissingSeparator);
/// assert_eq!(
///     err.to_string(),
///     "invalid quote id \"abc\": it must be <session_id>_rate_<key> (the `_rate_` separator is missing)"
/// );
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InvalidQuoteId {
    input: String,
    problem: QuoteIdProblem,
}

impl InvalidQuoteId {
    /// The refused text (for [`QuoteId::new`], the joined id).
    pub fn input(&self) -> &str {
        &self.input
    }

    /// Which rule the text breaks.
    pub fn problem(&self) -> QuoteIdProblem {
        self.problem
    }
}

impl fmt::Display for InvalidQuoteId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "invalid quote id {:?}: it must be <session_id>_rate_<key> ({})",
            self.input,
            self.problem.explain()
        )
    }
}

impl std::error::Error for InvalidQuoteId {}

// ---------------------------------------------------------------------------------------------
// OrderId

/// A shipping order id, as returned by `request_shipping` (and in every `ShippingOrder`) and
/// taken by `get_shipping_order` and [`Client::wait_for_order`](super::Client::wait_for_order).
///
/// Sandbox ids are `order_` followed by 16 base64url characters (see
/// [`is_sandbox_format`](Self::is_sandbox_format)); the production format is not documented, so
/// any id is accepted that can safely be one segment of a URL path: not empty, no `/`, and not
/// `.` or `..` (a URL parser resolves those, which would send the request to another route).
///
/// ```
/// use parcelkit::phygitals::OrderId;
///
/// let id: OrderId = "order_Zk3pQ9vX2mB7tL1c".parse()?;
/// assert!(id.is_sandbox_format());
/// assert_eq!(id.as_str(), "order_Zk3pQ9vX2mB7tL1c");
///
/// let production: OrderId = "ORD-2026-000123".parse()?;
/// assert!(!production.is_sandbox_format());
///
/// assert!(OrderId::parse("order/1").is_err());
/// # Ok::<(), parcelkit::phygitals::InvalidOrderId>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct OrderId(String);

impl OrderId {
    /// Checks an order id: not empty, no `/`, not `.` or `..`.
    pub fn parse(id: &str) -> Result<OrderId, InvalidOrderId> {
        Self::from_string(id.to_owned())
    }

    /// Checks an owned id without copying it.
    fn from_string(raw: String) -> Result<OrderId, InvalidOrderId> {
        let problem = if raw.is_empty() {
            OrderIdProblem::Empty
        } else if raw.contains('/') {
            OrderIdProblem::ContainsSlash
        } else if raw == "." || raw == ".." {
            OrderIdProblem::DotSegment
        } else {
            return Ok(OrderId(raw));
        };
        Err(InvalidOrderId {
            input: raw,
            problem,
        })
    }

    /// Whether the id has the vendor sandbox's shape, exactly `^order_[A-Za-z0-9_-]{16}$`.
    ///
    /// Useful to catch a sandbox id used against production (or the reverse); `false` does not
    /// mean the id is wrong, since production ids are undocumented.
    pub fn is_sandbox_format(&self) -> bool {
        self.0
            .strip_prefix(SANDBOX_ORDER_PREFIX)
            .is_some_and(|rest| {
                // Bytes, not chars: a non-ASCII char is never base64url, and its UTF-8 bytes
                // fail the test below.
                rest.len() == SANDBOX_ORDER_SUFFIX_LEN
                    && rest
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
            })
    }

    /// The id as sent on the wire.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The id as sent on the wire, without copying.
    pub fn into_string(self) -> String {
        self.0
    }
}

crate::runtime::string_type_impls!(OrderId, InvalidOrderId, parse: OrderId::parse, parse_owned: OrderId::from_string);

/// Lets a borrowed id go into a setter (`.order_id(&id)`), which takes its value by `TryInto`.
impl From<&OrderId> for OrderId {
    fn from(value: &OrderId) -> Self {
        value.clone()
    }
}

/// The spec's `OrderId` schema (a non-empty string); [`OrderId::parse`] is stricter.
#[cfg(feature = "json-schema")]
impl JsonSchema for OrderId {
    fn schema_name() -> String {
        "OrderId".to_owned()
    }

    fn json_schema(_: &mut schemars::r#gen::SchemaGenerator) -> Schema {
        string_schema(None, Some(1))
    }
}

impl serde::Serialize for OrderId {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

/// Deserializing checks the id like [`OrderId::parse`].
impl<'de> serde::Deserialize<'de> for OrderId {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(deserializer)?;
        OrderId::from_string(raw).map_err(serde::de::Error::custom)
    }
}

/// Why a text is not an [`OrderId`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum OrderIdProblem {
    /// The id is the empty string.
    Empty,
    /// The id contains `/`, which would split the URL path of `get_shipping_order`.
    ContainsSlash,
    /// The id is `.` or `..`, which a URL parser resolves away.
    DotSegment,
}

impl OrderIdProblem {
    /// The broken rule, as the error message states it.
    fn explain(self) -> &'static str {
        match self {
            OrderIdProblem::Empty => "the id is empty",
            OrderIdProblem::ContainsSlash => "it must not contain `/`",
            OrderIdProblem::DotSegment => "it must not be `.` or `..`",
        }
    }
}

/// A text that is not a valid [`OrderId`], and why.
///
/// ```
/// use parcelkit::phygitals::{OrderId, OrderIdProblem};
///
/// let err = OrderId::parse("order/1").unwrap_err();
/// assert_eq!(err.problem(), OrderIdProblem::ContainsSlash);
/// assert_eq!(
///     err.to_string(),
///     "invalid order id \"order/1\": it goes into a URL path segment (it must not contain `/`)"
/// );
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InvalidOrderId {
    input: String,
    problem: OrderIdProblem,
}

impl InvalidOrderId {
    /// The refused text.
    pub fn input(&self) -> &str {
        &self.input
    }

    /// Which rule the text breaks.
    pub fn problem(&self) -> OrderIdProblem {
        self.problem
    }
}

impl fmt::Display for InvalidOrderId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "invalid order id {:?}: it goes into a URL path segment ({})",
            self.input,
            self.problem.explain()
        )
    }
}

impl std::error::Error for InvalidOrderId {}

#[cfg(test)]
mod tests {
    use super::*;

    const SESSION: &str = "quote_01JQ7ZK4M8P2R5T9V3X6Y1B4CD";

    fn problem(id: &str) -> QuoteIdProblem {
        QuoteId::parse(id).expect_err(id).problem()
    }

    // --- QuoteId ------------------------------------------------------------------------------

    #[test]
    fn quote_id_parses_the_documented_shape() {
        let id = QuoteId::parse("quote_01JQ7ZK4M8P2R5T9V3X6Y1B4CD_rate_priority").unwrap();
        assert_eq!(id.session_id(), SESSION);
        assert_eq!(id.rate_key(), "priority");
        assert_eq!(
            id.as_str(),
            "quote_01JQ7ZK4M8P2R5T9V3X6Y1B4CD_rate_priority"
        );
    }

    #[test]
    fn quote_id_round_trips_through_display_and_from_str() {
        for s in [
            "quote_01JQ7ZK4M8P2R5T9V3X6Y1B4CD_rate_standard",
            "a_rate_b",
            "x_rate_y_rate_z",
            "s_rate_rate_x",
            "_rate__rate_k",
            "not-a-ulid at all_rate_k",
            "s_rate_ k ",
        ] {
            let id: QuoteId = s.parse().unwrap();
            assert_eq!(id.to_string(), s);
            assert_eq!(id.as_str(), s);
            assert_eq!(String::from(id.clone()), s);
            assert_eq!(QuoteId::try_from(s.to_owned()).unwrap(), id);
            assert_eq!(
                format!("{}{RATE_SEPARATOR}{}", id.session_id(), id.rate_key()),
                s
            );
        }
    }

    #[test]
    fn quote_id_does_not_require_a_ulid_session() {
        let id = QuoteId::parse("sess-42_rate_economy").unwrap();
        assert_eq!(id.session_id(), "sess-42");
        assert_eq!(id.rate_key(), "economy");
    }

    #[test]
    fn quote_id_splits_at_the_last_separator() {
        let id = QuoteId::parse("quote_A_rate_B_rate_express").unwrap();
        assert_eq!(id.session_id(), "quote_A_rate_B");
        assert_eq!(id.rate_key(), "express");

        // The separator's last `_` begins another `_rate_`: the later one wins.
        let id = QuoteId::parse("s_rate_rate_x").unwrap();
        assert_eq!(id.session_id(), "s_rate");
        assert_eq!(id.rate_key(), "x");

        // Two separators back to back: the session keeps the first.
        let id = QuoteId::parse("_rate__rate_k").unwrap();
        assert_eq!(id.session_id(), "_rate_");
        assert_eq!(id.rate_key(), "k");
    }

    #[test]
    fn quote_id_refusals_name_the_rule() {
        assert_eq!(problem(""), QuoteIdProblem::Empty);
        assert_eq!(problem("abc"), QuoteIdProblem::MissingSeparator);
        assert_eq!(problem(SESSION), QuoteIdProblem::MissingSeparator);
        // Near misses of the separator are not separators.
        assert_eq!(problem("s_rate-k"), QuoteIdProblem::MissingSeparator);
        assert_eq!(problem("s_RATE_k"), QuoteIdProblem::MissingSeparator);
        assert_eq!(problem("_rate_"), QuoteIdProblem::EmptySession);
        assert_eq!(problem("_rate_priority"), QuoteIdProblem::EmptySession);
        assert_eq!(problem("quote_X_rate_"), QuoteIdProblem::EmptyRateKey);
        // The last separator decides: a key after an earlier one does not count.
        assert_eq!(problem("s_rate_k_rate_"), QuoteIdProblem::EmptyRateKey);

        assert_eq!(
            QuoteId::parse("abc").unwrap_err().to_string(),
            "invalid quote id \"abc\": it must be <session_id>_rate_<key> \
             (the `_rate_` separator is missing)"
        );
        assert_eq!(
            QuoteId::parse("").unwrap_err().to_string(),
            "invalid quote id \"\": it must be <session_id>_rate_<key> (the id is empty)"
        );
        assert_eq!(
            QuoteId::parse("_rate_k").unwrap_err().to_string(),
            "invalid quote id \"_rate_k\": it must be <session_id>_rate_<key> \
             (the session id before the last `_rate_` is empty)"
        );
        assert_eq!(
            QuoteId::parse("s_rate_").unwrap_err().to_string(),
            "invalid quote id \"s_rate_\": it must be <session_id>_rate_<key> \
             (the rate key after the last `_rate_` is empty)"
        );
        let err = QuoteId::parse("s_rate_").unwrap_err();
        assert_eq!(err.input(), "s_rate_");
    }

    #[test]
    fn quote_id_new_joins_and_refuses_keys_that_would_split_elsewhere() {
        let id = QuoteId::new(SESSION, "priority").unwrap();
        assert_eq!(id.as_str(), format!("{SESSION}_rate_priority"));
        assert_eq!(id, QuoteId::parse(id.as_str()).unwrap());

        // A session may contain the separator; it still splits back the same.
        let id = QuoteId::new("a_rate_b", "express").unwrap();
        assert_eq!((id.session_id(), id.rate_key()), ("a_rate_b", "express"));

        for key in ["a_rate_b", "rate_x", "rate_", "_rate_"] {
            let err = QuoteId::new("s", key).unwrap_err();
            assert_eq!(err.problem(), QuoteIdProblem::AmbiguousRateKey, "{key}");
            assert_eq!(err.input(), format!("s_rate_{key}"));
        }
        // Similar keys that are not ambiguous.
        for key in ["rate", "xrate_", "_rate", "rates"] {
            let id = QuoteId::new("s", key).unwrap();
            assert_eq!(id.rate_key(), key);
        }

        assert_eq!(
            QuoteId::new("", "k").unwrap_err().problem(),
            QuoteIdProblem::EmptySession
        );
        assert_eq!(
            QuoteId::new("s", "").unwrap_err().problem(),
            QuoteIdProblem::EmptyRateKey
        );
    }

    /// Over every text built from separator-like pieces: `new` succeeds exactly when the joined
    /// id parses back into the same parts, and every parsed id can be rebuilt with `new`.
    #[test]
    fn quote_id_new_and_parse_agree_exhaustively() {
        const PIECES: [&str; 6] = ["", "_", "rate", "_rate_", "rate_", "x"];
        let mut texts = vec![String::new()];
        for _ in 0..3 {
            let longer: Vec<String> = texts
                .iter()
                .flat_map(|t| PIECES.iter().map(move |p| format!("{t}{p}")))
                .collect();
            texts.extend(longer);
        }
        texts.sort();
        texts.dedup();

        for s in &texts {
            if let Ok(id) = QuoteId::parse(s) {
                assert_eq!(id.to_string(), *s);
                assert_eq!(
                    QuoteId::new(id.session_id(), id.rate_key()).as_ref(),
                    Ok(&id),
                    "{s}"
                );
            }
            for k in &texts {
                let joined = format!("{s}_rate_{k}");
                let splits_back = QuoteId::parse(&joined)
                    .is_ok_and(|id| id.session_id() == s && id.rate_key() == k);
                assert_eq!(QuoteId::new(s, k).is_ok(), splits_back, "{s:?} + {k:?}");
            }
        }
    }

    #[test]
    fn quote_id_serde_checks_the_id() {
        let id: QuoteId = serde_json::from_str("\"s_rate_k\"").unwrap();
        assert_eq!(id.rate_key(), "k");
        assert_eq!(serde_json::to_string(&id).unwrap(), "\"s_rate_k\"");

        let err = serde_json::from_str::<QuoteId>("\"s_k\"").unwrap_err();
        assert!(err.to_string().contains("separator is missing"), "{err}");
    }

    // --- OrderId ------------------------------------------------------------------------------

    #[test]
    fn order_id_accepts_any_path_safe_id_and_round_trips() {
        for s in [
            "order_Zk3pQ9vX2mB7tL1c",
            "ORD-2026-000123",
            "12345",
            "a.b",
            "...",
            "order id with spaces",
        ] {
            let id: OrderId = s.parse().unwrap();
            assert_eq!(id.to_string(), s);
            assert_eq!(id.as_str(), s);
            assert_eq!(OrderId::try_from(s.to_owned()).unwrap(), id);
            assert_eq!(String::from(id), s);
        }
    }

    #[test]
    fn order_id_refusals_name_the_rule() {
        let refused = |s: &str| OrderId::parse(s).expect_err(s).problem();
        assert_eq!(refused(""), OrderIdProblem::Empty);
        assert_eq!(refused("order/1"), OrderIdProblem::ContainsSlash);
        assert_eq!(refused("/"), OrderIdProblem::ContainsSlash);
        assert_eq!(
            refused("order_Zk3pQ9vX2mB7tL1/"),
            OrderIdProblem::ContainsSlash
        );
        assert_eq!(refused("."), OrderIdProblem::DotSegment);
        assert_eq!(refused(".."), OrderIdProblem::DotSegment);
        assert_eq!(
            OrderId::parse("").unwrap_err().to_string(),
            "invalid order id \"\": it goes into a URL path segment (the id is empty)"
        );
        assert_eq!(
            OrderId::parse("..").unwrap_err().to_string(),
            "invalid order id \"..\": it goes into a URL path segment \
             (it must not be `.` or `..`)"
        );
    }

    /// Why `.` and `..` are refused: the URL parser drops them, so the request would reach
    /// another route.
    #[test]
    fn dot_segments_would_change_the_route() {
        let url = reqwest::Url::parse("https://api.phygitals.com/api/v1/ship/order/..").unwrap();
        assert_eq!(url.path(), "/api/v1/ship/");
        let url = reqwest::Url::parse("https://api.phygitals.com/api/v1/ship/order/.").unwrap();
        assert_eq!(url.path(), "/api/v1/ship/order/");
    }

    #[test]
    fn order_id_sandbox_format_is_exact() {
        let sandbox = |s: &str| OrderId::parse(s).unwrap().is_sandbox_format();
        assert!(sandbox("order_Zk3pQ9vX2mB7tL1c"));
        assert!(sandbox("order_q8Vn2Lr5Tx0bK7mW"));
        assert!(sandbox("order_01JQ80B3WS7N4F2K"));
        assert!(sandbox("order_-_-_-_-_-_-_-_-_"));
        assert!(sandbox("order_________________"));

        // 15 and 17 characters after the prefix.
        assert!(!sandbox("order_Zk3pQ9vX2mB7tL1"));
        assert!(!sandbox("order_Zk3pQ9vX2mB7tL1cA"));
        // Standard base64 characters are not base64url.
        assert!(!sandbox("order_Zk3pQ9vX2mB7tL1+"));
        assert!(!sandbox("order_Zk3p+9vX2mB7tL1c"));
        assert!(!sandbox("order_Zk3pQ9vX2mB7tL1="));
        // Padding, spaces, non-ASCII (the second is 16 bytes, but 15 characters).
        assert!(!sandbox("order_Zk3pQ9vX2mB7tL c"));
        assert!(!sandbox("order_Zk3pQ9vX2mB7té"));
        assert!(!sandbox("order_Zk3pQ9vX2mB7tLé"));
        // The prefix is exact and case-sensitive.
        assert!(!sandbox("Order_Zk3pQ9vX2mB7tL1c"));
        assert!(!sandbox("orderZk3pQ9vX2mB7tL1cX"));
        assert!(!sandbox("xorder_Zk3pQ9vX2mB7tL1c"));
        assert!(!sandbox("order_"));
        // `/` is refused before the format is ever asked about.
        assert!(OrderId::parse("order_Zk3pQ9vX2mB7t/1c").is_err());
    }

    #[test]
    fn order_id_serde_checks_the_id() {
        let id: OrderId = serde_json::from_str("\"order_Zk3pQ9vX2mB7tL1c\"").unwrap();
        assert_eq!(
            serde_json::to_string(&id).unwrap(),
            "\"order_Zk3pQ9vX2mB7tL1c\""
        );
        assert!(serde_json::from_str::<OrderId>("\"a/b\"").is_err());
        assert!(serde_json::from_str::<OrderId>("\"\"").is_err());
    }
}
