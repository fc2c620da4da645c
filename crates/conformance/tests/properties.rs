//! Property tests: the hand-checked rules of parcelkit's header values and identifiers hold for
//! every input, not only for the examples in the unit tests.
//!
//! - `idempotency_key_*`, `request_id_*`: `new`, `FromStr` and both `TryFrom`s accept a string
//!   exactly when it matches `^[A-Za-z0-9._-]{16,128}$` (`{1,128}`), and a refusal names the
//!   header, the rule and what broke it.
//! - `invalid_header_values_are_refused_before_sending`: a generated operation builder given an
//!   invalid key or id fails `send()` without opening a connection.
//! - `random_*`: `new_random` values match their pattern and never repeat.
//! - `derived_key*`: `IdempotencyKey::derive` is valid, stable and pinned (snapshot), changes with
//!   any character of the caller id and any field of the payload, and ignores key order and
//!   `1` versus `1.0`.
//! - `quote_id_*`: `<session_id>_rate_<key>` parses and formats back losslessly, split at the
//!   last `_rate_`; anything else is refused with the reason.
//! - `order_id_*`: `order_<16 base64url>` is sandbox format and nothing else is; `OrderId::parse`
//!   refuses exactly what cannot be one URL path segment.
//! - `accept_language_*`: lists of (BCP 47 tag, q) format to RFC 9110 `Accept-Language` and
//!   parse back to the same list, from any spelling the grammar allows; a q outside 0..=1 or
//!   with more than 3 decimals is refused.
//! - `times_*`: `Timestamp` and `Date` read every RFC 3339 spelling of an instant (any offset,
//!   0-9 fractional digits) as the instant chrono reads, write it as chrono writes UTC, and
//!   refuse exactly the calendar dates chrono refuses.
//!
//! Every property compares the runtime with an oracle written here from the documented rule (the
//! spec's patterns, RFC 9110's grammar), never with the runtime itself. Each `proptest!`
//! property runs 1,000 cases unless `PROPTEST_CASES` says otherwise; the one doing I/O runs 64.
//! Failures are not persisted to `proptest-regressions/`: the minimal failing input printed by
//! the shrinker is the record.

use std::collections::HashSet;
use std::fmt::{Debug, Display};
use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use parcelkit::phygitals::{OrderId, OrderIdProblem, QuoteId, QuoteIdProblem};
use parcelkit::runtime::{AcceptLanguage, LanguagePreference};
use parcelkit::{IdempotencyKey, InvalidHeaderValue, RequestId, RetryPolicy};
use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::{Config as RunnerConfig, TestRunner};
use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};
use serde_json::{Value, json};

/// `cases` cases (proptest lets `PROPTEST_CASES` override it, in either direction; nothing
/// reads `CI`), without failure persistence.
fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        // The shrunk input in the failure message is the record; keep the tree clean.
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

// =============================================================================================
// Idempotency-Key and Request-ID

/// The alphabet of both headers, spelled out rather than computed, so the oracle shares no code
/// (and no `is_ascii_alphanumeric` mistake) with the runtime.
const TOKEN_ALPHABET: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-";

/// One header's documented rule.
#[derive(Clone, Copy, Debug)]
struct TokenRule {
    header: &'static str,
    min: usize,
    max: usize,
}

const IDEMPOTENCY_KEY: TokenRule = TokenRule {
    header: "Idempotency-Key",
    min: 16,
    max: 128,
};

const REQUEST_ID: TokenRule = TokenRule {
    header: "Request-ID",
    min: 1,
    max: 128,
};

impl TokenRule {
    /// The messages a refusal of `s` may carry (one per broken part of the rule, in the format
    /// documented on `InvalidHeaderValue`); empty when `s` matches the pattern.
    fn expected_refusals(self, s: &str) -> Vec<String> {
        let mut problems = Vec::new();
        let first_forbidden = s
            .chars()
            .enumerate()
            .find(|(_, c)| !TOKEN_ALPHABET.contains(*c));
        if let Some((position, c)) = first_forbidden {
            problems.push(format!(
                "character {c:?} at position {position} is not allowed"
            ));
        }
        let len = s.chars().count();
        if !(self.min..=self.max).contains(&len) {
            problems.push(format!("{len} characters"));
        }
        problems
            .into_iter()
            .map(|problem| {
                format!(
                    "invalid {}: {problem}, but it must be {}",
                    self.header,
                    self.rule_text()
                )
            })
            .collect()
    }

    fn rule_text(self) -> String {
        format!(
            "{} to {} characters from A-Z a-z 0-9 . _ -",
            self.min, self.max
        )
    }

    fn matches(self, s: &str) -> bool {
        self.expected_refusals(s).is_empty()
    }
}

fn token_string(len: std::ops::RangeInclusive<usize>) -> impl Strategy<Value = String> {
    let alphabet: Vec<char> = TOKEN_ALPHABET.chars().collect();
    prop::collection::vec(prop::sample::select(alphabet), len).prop_map(String::from_iter)
}

/// Characters outside the alphabet, weighted towards the ones a caller would plausibly type
/// and the ones a Unicode-aware check would wrongly let through (fullwidth letters, other
/// scripts' digits).
fn forbidden_char() -> impl Strategy<Value = char> {
    prop_oneof![
        prop::sample::select(vec![
            ' ', '/', ':', '+', '=', '@', '#', '?', '%', '"', '\'', '\\', ',', ';', '~', '*', '(',
            ')', '[', ']', '{', '}', '<', '>', '|', '!', '$', '&', '^', '`',
        ]),
        prop_oneof![(0u8..0x20).prop_map(char::from), Just('\u{7f}')],
        prop::sample::select(vec![
            'é', 'ø', 'æ', 'ß', 'Ж', 'я', '€', '😀', '\u{a0}', '\u{200b}', 'Ａ', '١', 'ﬁ', '²',
        ]),
        any::<char>().prop_filter("outside the alphabet", |c| !TOKEN_ALPHABET.contains(*c)),
    ]
}

/// Inserts `c` before the character at `at` (or at the end).
fn insert_char(s: &str, at: Index, c: char) -> String {
    let mut chars: Vec<char> = s.chars().collect();
    let position = at.index(chars.len() + 1);
    chars.insert(position, c);
    chars.into_iter().collect()
}

/// Candidates around every edge of the rule: valid over the whole length range, one character
/// too short or too long, one forbidden character anywhere, empty, and anything at all.
fn token_candidate(rule: TokenRule) -> impl Strategy<Value = String> {
    prop_oneof![
        3 => token_string(rule.min..=rule.max),
        1 => token_string(rule.min - 1..=rule.min - 1),
        1 => token_string(rule.max + 1..=rule.max + 1),
        3 => (token_string(rule.min..=rule.max), any::<Index>(), forbidden_char())
            .prop_map(|(s, at, c)| insert_char(&s, at, c)),
        1 => Just(String::new()),
        1 => any::<String>(),
        2 => token_string(0..=rule.max + 8),
    ]
}

/// Every way to build the type agrees with the oracle, and a refusal is the documented message.
fn check_token_type<T>(
    rule: TokenRule,
    s: &str,
    new: fn(String) -> Result<T, InvalidHeaderValue>,
) -> Result<(), TestCaseError>
where
    T: FromStr<Err = InvalidHeaderValue>
        + for<'a> TryFrom<&'a str, Error = InvalidHeaderValue>
        + TryFrom<String, Error = InvalidHeaderValue>
        + AsRef<str>
        + Display
        + Debug
        + PartialEq,
{
    let built = new(s.to_owned());
    prop_assert_eq!(&T::from_str(s), &built, "FromStr vs new for {:?}", s);
    prop_assert_eq!(&T::try_from(s), &built, "TryFrom<&str> vs new for {:?}", s);
    prop_assert_eq!(
        &T::try_from(s.to_owned()),
        &built,
        "TryFrom<String> vs new for {:?}",
        s
    );
    let expected = rule.expected_refusals(s);
    match built {
        Ok(value) => {
            prop_assert!(
                expected.is_empty(),
                "{:?} breaks the pattern ({:?}) but was accepted as {:?}",
                s,
                expected,
                value
            );
            prop_assert_eq!(value.as_ref(), s);
            prop_assert_eq!(value.to_string(), s);
        }
        Err(err) => {
            prop_assert!(
                !expected.is_empty(),
                "{:?} matches the pattern but was refused: {}",
                s,
                err
            );
            prop_assert_eq!(err.header(), rule.header, "for {:?}", s);
            prop_assert_eq!(err.rule(), rule.rule_text(), "for {:?}", s);
            prop_assert!(
                expected.contains(&err.to_string()),
                "{:?} was refused with {:?}, expected one of {:?}",
                s,
                err.to_string(),
                expected
            );
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(config(1000))]

    #[test]
    fn idempotency_key_accepts_exactly_the_pattern(s in token_candidate(IDEMPOTENCY_KEY)) {
        check_token_type(IDEMPOTENCY_KEY, &s, IdempotencyKey::new)?;
    }

    #[test]
    fn request_id_accepts_exactly_the_pattern(s in token_candidate(REQUEST_ID)) {
        check_token_type(REQUEST_ID, &s, RequestId::new)?;
    }
}

#[test]
fn random_keys_and_request_ids_match_their_pattern_and_never_repeat() {
    const N: usize = 10_000;
    let mut keys = HashSet::with_capacity(N);
    let mut ids = HashSet::with_capacity(N);
    for _ in 0..N {
        let key = IdempotencyKey::new_random().into_string();
        let id = RequestId::new_random().into_string();
        for (rule, value) in [(IDEMPOTENCY_KEY, &key), (REQUEST_ID, &id)] {
            assert!(rule.matches(value), "{} {value:?}", rule.header);
            // Documented: `pk-` and 32 random hex digits.
            let hex = value.strip_prefix("pk-").expect(value);
            assert!(
                hex.len() == 32 && hex.chars().all(|c| c.is_ascii_hexdigit()),
                "{value:?}"
            );
        }
        assert!(keys.insert(key.clone()), "repeated key {key:?}");
        assert!(ids.insert(id.clone()), "repeated request id {id:?}");
    }
}

// ---------------------------------------------------------------------------------------------
// Refused before sending

/// A loopback listener that counts the connections it accepts and drops each at once.
struct CountingListener {
    port: u16,
    accepted: Arc<AtomicUsize>,
}

impl CountingListener {
    async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let accepted = Arc::new(AtomicUsize::new(0));
        let counter = accepted.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                counter.fetch_add(1, Ordering::SeqCst);
                drop(stream);
            }
        });
        CountingListener { port, accepted }
    }

    fn accepted(&self) -> usize {
        self.accepted.load(Ordering::SeqCst)
    }
}

#[derive(Clone, Debug)]
enum BadHeader {
    IdempotencyKey(String),
    RequestId(String),
}

/// Values the pattern refuses, drawn from the same edges as the acceptance properties.
fn bad_header() -> impl Strategy<Value = BadHeader> {
    prop_oneof![
        token_candidate(IDEMPOTENCY_KEY)
            .prop_filter("invalid", |s| !IDEMPOTENCY_KEY.matches(s))
            .prop_map(BadHeader::IdempotencyKey),
        token_candidate(REQUEST_ID)
            .prop_filter("invalid", |s| !REQUEST_ID.matches(s))
            .prop_map(BadHeader::RequestId),
    ]
}

/// A body the spec accepts, so that the header is the only thing wrong with the request.
fn shipment_request() -> parcelkit::smartsend::types::ShipmentRequest {
    let case = parcelkit_conformance::synth::cases(
        parcelkit_conformance::Api::SmartSend,
        "ShipmentRequest",
    )
    .unwrap()
    .into_iter()
    .find(|case| case.name == "minimal")
    .expect("a minimal ShipmentRequest");
    serde_json::from_value(case.value).unwrap()
}

#[test]
fn invalid_header_values_are_refused_before_sending() {
    const TEAM: &str = "ad9546c1-393e-49a5-9a72-5cc146c9bec5";
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let listener = runtime.block_on(CountingListener::start());
    let client = parcelkit::smartsend::Client::builder()
        .base_url(format!("http://127.0.0.1:{}", listener.port))
        .retry_policy(RetryPolicy::never())
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    let body = shipment_request();
    let send = |key: Option<&str>, request_id: Option<&str>| {
        let mut operation = client.create_shipment().team(TEAM).body(body.clone());
        if let Some(key) = key {
            operation = operation.idempotency_key(key);
        }
        if let Some(id) = request_id {
            operation = operation.request_id(id);
        }
        // Only the refusal message matters; the rest of the (large) error is dropped here.
        match runtime.block_on(operation.send()) {
            Err(e) if e.kind() == parcelkit::ErrorKind::InvalidRequest => Err(e
                .message()
                .strip_prefix("refused before sending: ")
                .expect("an invalid request says it was refused before sending")
                .to_owned()),
            other => Ok(format!("{other:?}")),
        }
    };

    // The control: with valid values the same request does reach the listener, so a count of
    // zero below means "not sent", not "not observable".
    let sent = send(Some("order-4521_valid-key"), Some("order-4521"));
    assert!(sent.is_ok(), "the valid request was refused: {sent:?}");
    assert_eq!(listener.accepted(), 1, "the valid request was sent");

    // I/O per case, so fewer cases than the pure properties.
    let mut runner = TestRunner::new(RunnerConfig {
        cases: 64,
        failure_persistence: None,
        ..RunnerConfig::default()
    });
    runner
        .run(&bad_header(), |bad| {
            let before = listener.accepted();
            let (result, parameter, rule) = match &bad {
                BadHeader::IdempotencyKey(key) => (
                    send(Some(key), None),
                    "idempotency_key: invalid Idempotency-Key: ",
                    "must be 16 to 128 characters from A-Z a-z 0-9 . _ -",
                ),
                BadHeader::RequestId(id) => (
                    send(None, Some(id)),
                    "request_id: invalid Request-ID: ",
                    "must be 1 to 128 characters from A-Z a-z 0-9 . _ -",
                ),
            };
            match result {
                // The setter keeps the conversion error: parameter, header and rule are named.
                Err(message) => {
                    prop_assert!(message.starts_with(parameter), "{:?}: {}", bad, message);
                    prop_assert!(message.ends_with(rule), "{:?}: {}", bad, message);
                }
                Ok(other) => {
                    prop_assert!(false, "{:?}: expected InvalidRequest, got {}", bad, other)
                }
            }
            prop_assert_eq!(listener.accepted(), before, "{:?} reached the network", bad);
            Ok(())
        })
        .unwrap();
    assert_eq!(listener.accepted(), 1, "only the control was sent");
}

// =============================================================================================
// IdempotencyKey::derive

fn finite_f64() -> impl Strategy<Value = f64> {
    prop_oneof![
        prop::num::f64::NORMAL | prop::num::f64::SUBNORMAL | prop::num::f64::ZERO,
        // Integral floats, which canonical JSON writes as integers.
        (-1_000_000i32..1_000_000).prop_map(f64::from),
        (-1000i32..1000).prop_map(|n| f64::from(n) / 8.0),
    ]
}

fn json_leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        (-1000i64..1000).prop_map(Value::from),
        // Large integers that a float holds exactly, beyond 2^53 and up to the u64 range.
        (1u64..1024, 50u32..54).prop_map(|(m, e)| Value::from(m << e)),
        (1i64..1024, 50u32..53).prop_map(|(m, e)| Value::from(-(m << e))),
        finite_f64().prop_map(Value::from),
        "[a-zA-Z0-9 ]{0,12}".prop_map(Value::String),
        any::<String>().prop_map(Value::String),
    ]
}

fn json_key() -> impl Strategy<Value = String> {
    // Short keys collide across siblings and levels, long ones exercise escaping.
    prop_oneof![3 => "[a-c]{1,2}", 1 => any::<String>()]
}

/// Arbitrary JSON: null, booleans, integers, finite floats, strings, arrays and objects.
fn json_value() -> impl Strategy<Value = Value> {
    json_leaf().prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(json_key(), inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// A JSON object with at least two keys at the top, so key order has something to reorder.
fn json_object() -> impl Strategy<Value = Value> {
    prop::collection::btree_map(json_key(), json_value(), 2..8)
        .prop_map(|m| Value::Object(m.into_iter().collect()))
}

/// Caller ids: any Unicode, short and up to a few KB, and realistic order ids.
fn caller_id() -> impl Strategy<Value = String> {
    prop_oneof![
        2 => any::<String>(),
        // Up to a few KB, yet able to shrink to nothing.
        1 => prop::collection::vec(any::<char>(), 0..4096).prop_map(String::from_iter),
        1 => token_string(0..=200),
        1 => "(order|ordre|Order)-[0-9]{1,8}",
        1 => Just(String::new()),
    ]
}

/// Caller ids for the properties about the payload: any Unicode, but short, so that a shrunk
/// counterexample stays readable.
fn short_caller_id() -> impl Strategy<Value = String> {
    prop_oneof![any::<String>(), "(order|ordre)-[0-9]{1,8}"]
}

fn derive(id: &str, payload: &impl Serialize) -> IdempotencyKey {
    IdempotencyKey::derive(id, payload).expect("JSON payloads always serialize")
}

/// The documented shape: `<prefix>_<64 lowercase hex>`, the prefix being the caller id with every
/// character outside the alphabet replaced by `-`, cut to 48 characters (no prefix, no `_`).
fn check_derived_shape(id: &str, key: &str) -> Result<(), TestCaseError> {
    let prefix: String = id
        .chars()
        .take(48)
        .map(|c| if TOKEN_ALPHABET.contains(c) { c } else { '-' })
        .collect();
    let hex = if prefix.is_empty() {
        key
    } else {
        let rest = key
            .strip_prefix(prefix.as_str())
            .and_then(|r| r.strip_prefix('_'));
        prop_assert!(
            rest.is_some(),
            "{:?} does not start with {:?}_",
            key,
            prefix
        );
        rest.unwrap_or_default()
    };
    prop_assert!(
        hex.len() == 64
            && hex
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)),
        "{:?} does not end in 64 lowercase hex digits",
        key
    );
    prop_assert!(
        IDEMPOTENCY_KEY.matches(key),
        "{:?} is not a valid Idempotency-Key",
        key
    );
    prop_assert!((64..=113).contains(&key.len()), "{:?}", key);
    Ok(())
}

/// A JSON value whose objects serialize their keys in a chosen order, as `serde_json` with
/// `preserve_order` (or any hand-written `Serialize`) would; without that feature a
/// `serde_json::Map` always serializes sorted, which would make a key-order test vacuous.
enum Ordered {
    Leaf(Value),
    Array(Vec<Ordered>),
    Object(Vec<(String, Ordered)>),
}

impl Serialize for Ordered {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Ordered::Leaf(value) => value.serialize(serializer),
            Ordered::Array(items) => {
                let mut seq = serializer.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(item)?;
                }
                seq.end()
            }
            Ordered::Object(entries) => {
                let mut map = serializer.serialize_map(Some(entries.len()))?;
                for (key, value) in entries {
                    map.serialize_entry(key, value)?;
                }
                map.end()
            }
        }
    }
}

/// splitmix64: a small deterministic stream for shuffling, seeded by proptest.
fn next_random(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// `value` with every object's keys reversed (`seed` `None`) or shuffled.
fn reorder(value: &Value, seed: &mut Option<u64>) -> Ordered {
    match value {
        Value::Array(items) => Ordered::Array(items.iter().map(|v| reorder(v, seed)).collect()),
        Value::Object(map) => {
            let mut entries: Vec<(String, Ordered)> = map
                .iter()
                .map(|(k, v)| (k.clone(), reorder(v, seed)))
                .collect();
            match seed {
                None => entries.reverse(),
                Some(state) => {
                    for i in (1..entries.len()).rev() {
                        let j = (next_random(state) % (i as u64 + 1)) as usize;
                        entries.swap(i, j);
                    }
                }
            }
            Ordered::Object(entries)
        }
        leaf => Ordered::Leaf(leaf.clone()),
    }
}

/// How many nodes (leaves, arrays and objects) `value` has.
fn node_count(value: &Value) -> usize {
    1 + match value {
        Value::Array(items) => items.iter().map(node_count).sum(),
        Value::Object(map) => map.values().map(node_count).sum(),
        _ => 0,
    }
}

/// Changes node number `target` (pre-order) of `value` so that it is no longer equal as JSON:
/// a different leaf, or one element/key added or removed. Returns what was done, for messages.
fn mutate(value: &mut Value, target: &mut usize, kind: u8) -> Option<String> {
    if *target > 0 {
        *target -= 1;
        return match value {
            Value::Array(items) => items.iter_mut().find_map(|v| mutate(v, target, kind)),
            Value::Object(map) => map.values_mut().find_map(|v| mutate(v, target, kind)),
            _ => None,
        };
    }
    let done = match value {
        Value::Null => {
            *value = Value::Bool(false);
            "null -> false".to_owned()
        }
        Value::Bool(b) => {
            *b = !*b;
            "flipped a bool".to_owned()
        }
        Value::Number(n) => {
            let before = n.to_string();
            *value = if let Some(i) = n.as_i64() {
                Value::from(i.checked_add(1).unwrap_or(i - 1))
            } else if let Some(u) = n.as_u64() {
                Value::from(u - 1)
            } else {
                let f = n.as_f64().expect("a finite float");
                Value::from(if f.abs() < 1e15 { f + 1.0 } else { f / 2.0 })
            };
            format!("number {before} -> {value}")
        }
        Value::String(s) => {
            if kind.is_multiple_of(2) || s.is_empty() {
                s.push('x');
                "appended to a string".to_owned()
            } else {
                s.pop();
                "cut a string".to_owned()
            }
        }
        Value::Array(items) => {
            if kind.is_multiple_of(2) || items.is_empty() {
                items.push(Value::Null);
                "pushed null onto an array".to_owned()
            } else {
                let at = usize::from(kind) % items.len();
                items.remove(at);
                format!("removed element {at}")
            }
        }
        Value::Object(map) => {
            if kind.is_multiple_of(2) || map.is_empty() {
                let key = (0..)
                    .map(|i| format!("new{i}"))
                    .find(|k| !map.contains_key(k))
                    .unwrap();
                map.insert(key.clone(), Value::Null);
                format!("added key {key:?}")
            } else {
                let key = map
                    .keys()
                    .nth(usize::from(kind) % map.len())
                    .unwrap()
                    .clone();
                map.remove(&key);
                format!("removed key {key:?}")
            }
        }
    };
    Some(done)
}

/// `value` with every integer that a float holds exactly written as that float (`3` as `3.0`,
/// `2^60` as `1.152921504606847e18`): equal as JSON, so the key must not change.
fn floatify(value: &Value) -> Value {
    match value {
        Value::Number(n) if n.is_i64() || n.is_u64() => {
            // Compared in i128 so that a float rounded up past the integer range does not pass.
            let exact = n.as_i64().map(i128::from).or(n.as_u64().map(i128::from));
            match exact {
                Some(i) if (i as f64) as i128 == i => Value::from(i as f64),
                _ => value.clone(),
            }
        }
        Value::Array(items) => Value::Array(items.iter().map(floatify).collect()),
        Value::Object(map) => {
            Value::Object(map.iter().map(|(k, v)| (k.clone(), floatify(v))).collect())
        }
        leaf => leaf.clone(),
    }
}

/// Ids that differ only in which forbidden character they carry, so the readable prefixes of
/// their keys agree; or long ids that differ only after the 48 readable characters.
fn ids_with_the_same_prefix() -> impl Strategy<Value = (String, String)> {
    prop_oneof![
        (
            any::<String>(),
            any::<Index>(),
            forbidden_char(),
            forbidden_char()
        )
            .prop_filter("two different characters", |(_, _, a, b)| a != b)
            .prop_map(|(s, at, a, b)| (insert_char(&s, at, a), insert_char(&s, at, b))),
        (token_string(48..=48), any::<String>(), any::<String>())
            .prop_filter("different tails", |(_, a, b)| a != b)
            .prop_map(|(head, a, b)| (format!("{head}{a}"), format!("{head}{b}"))),
    ]
}

proptest! {
    #![proptest_config(config(1000))]

    #[test]
    fn derived_key_is_valid_and_stable(id in caller_id(), payload in json_value()) {
        let key = derive(&id, &payload);
        check_derived_shape(&id, key.as_str())?;
        prop_assert_eq!(&derive(&id, &payload), &key, "twice from {:?}, {}", id, payload);
        // Another process reads the payload back from its JSON text: same key.
        let reread: Value = serde_json::from_str(&payload.to_string()).unwrap();
        prop_assert_eq!(&derive(&id, &reread), &key, "after a JSON round trip of {}", payload);
        prop_assert_eq!(IdempotencyKey::new(key.as_str()), Ok(key));
    }

    #[test]
    fn derived_key_changes_with_any_payload_field(
        id in short_caller_id(),
        payload in json_value(),
        site in any::<Index>(),
        kind in any::<u8>(),
    ) {
        let mut changed = payload.clone();
        let mut target = site.index(node_count(&payload));
        let what = mutate(&mut changed, &mut target, kind).expect("the node exists");
        prop_assert_ne!(&changed, &payload);
        prop_assert_ne!(
            derive(&id, &payload),
            derive(&id, &changed),
            "{} in {} gave the same key",
            what,
            payload
        );
    }

    #[test]
    fn derived_key_changes_with_the_caller_id(
        (a, b) in prop_oneof![
            (caller_id(), caller_id()).prop_filter("different ids", |(a, b)| a != b),
            ids_with_the_same_prefix(),
        ],
        payload in json_value(),
    ) {
        prop_assert_ne!(derive(&a, &payload), derive(&b, &payload), "ids {:?} and {:?}", a, b);
    }

    #[test]
    fn derived_key_ignores_key_order(
        id in short_caller_id(),
        payload in json_object(),
        seed in any::<u64>(),
    ) {
        let key = derive(&id, &payload);
        let reversed = reorder(&payload, &mut None);
        let shuffled = reorder(&payload, &mut Some(seed));
        // Non-vacuous: the reversed payload really serializes differently.
        prop_assert_ne!(serde_json::to_string(&reversed).unwrap(), payload.to_string());
        prop_assert_eq!(&derive(&id, &reversed), &key, "reversed keys of {}", payload);
        prop_assert_eq!(&derive(&id, &shuffled), &key, "shuffled keys of {}", payload);
    }

    #[test]
    fn derived_key_treats_integral_floats_as_integers(
        id in short_caller_id(),
        payload in json_value(),
    ) {
        let floats = floatify(&payload);
        prop_assert_eq!(
            derive(&id, &floats),
            derive(&id, &payload),
            "{} written as {}",
            payload,
            floats
        );
    }
}

/// The derivation is part of the wire contract: a changed key breaks retries across an upgrade.
#[test]
fn derived_keys_are_pinned() {
    let cases: Vec<(&str, Value)> = vec![
        // These two are also pinned in src/runtime/idempotency.rs (checked below).
        ("order-4521", json!({"reference": "Order-4521"})),
        (
            "ordre-æøå",
            json!({"parcels": [{"gross_weight": 1250.0}], "currency": "DKK"}),
        ),
        ("", json!(null)),
        ("", json!({})),
        ("order-4521", json!({"reference": "Order-4521", "n": 1})),
        ("order-4521", json!({"n": 1.0, "reference": "Order-4521"})),
        (
            "order 4521/€ 😀",
            json!([1, 2.5, "x", false, null, {"a": []}]),
        ),
        (
            "0123456789012345678901234567890123456789012345678901234567890",
            json!({"b": {"d": -0.0, "c": 1e300}, "a": "é\"\\\n"}),
        ),
    ];
    let table: String = cases
        .iter()
        .map(|(id, payload)| format!("{id:?} {payload}\n  {}\n", derive(id, payload)))
        .collect();

    // An independent anchor, so the snapshot is not only checked against itself.
    assert_eq!(
        derive(cases[0].0, &cases[0].1).as_str(),
        "order-4521_a846026c1a02fd3e29a47a7a7727b6452e41e153fb5f7be6d93b1b846f40876b"
    );
    assert_eq!(
        derive(cases[1].0, &cases[1].1).as_str(),
        "ordre----_b6d9d3f4d8bfb0cb0db1e1cd0c0a36086691217695f6b9f2495ce894e736f16e"
    );

    insta::with_settings!({
        snapshot_path => "snapshots/properties",
        prepend_module_to_snapshot => false,
        omit_expression => true,
    }, {
        insta::assert_snapshot!("derived_keys", table);
    });
}

// =============================================================================================
// Phygitals ids

const SEPARATOR: &str = "_rate_";

/// The rule every refused quote id's message states.
const QUOTE_RULE: &str = "it must be <session_id>_rate_<key>";

/// Where the last `_rate_` starts, overlapping occurrences counted; written as a byte-window
/// scan rather than `rfind`.
fn last_separator(s: &str) -> Option<usize> {
    let bytes = s.as_bytes();
    (0..bytes.len().saturating_sub(SEPARATOR.len() - 1))
        .rev()
        .find(|&i| &bytes[i..i + SEPARATOR.len()] == SEPARATOR.as_bytes())
}

/// Text made of separator-like pieces, so `_rate_` appears, overlaps and nearly appears often.
fn rate_pieces(len: std::ops::Range<usize>) -> impl Strategy<Value = String> {
    let pieces = vec![
        "_rate_",
        "_rate",
        "rate_",
        "rate",
        "_",
        "r",
        "x",
        "RATE",
        "-",
        " ",
        "é",
        "quote_01JQ7ZK4",
    ];
    prop::collection::vec(prop::sample::select(pieces), len).prop_map(|p| p.concat())
}

fn quote_text() -> impl Strategy<Value = String> {
    prop_oneof![
        rate_pieces(0..8),
        any::<String>(),
        (any::<String>(), any::<String>()).prop_map(|(a, b)| format!("{a}{SEPARATOR}{b}")),
        "quote_[0-9A-HJKMNP-TV-Z]{26}_rate_(standard|priority|express)",
    ]
}

/// Rate keys the documented rule lets `QuoteId::new` take: non-empty, no `_rate_`, not
/// starting with `rate_`.
fn unambiguous_key(key: &str) -> bool {
    !key.is_empty() && !key.contains(SEPARATOR) && !key.starts_with("rate_")
}

proptest! {
    #![proptest_config(config(1000))]

    #[test]
    fn quote_id_parse_follows_the_last_separator_rule(s in quote_text()) {
        let expected = match last_separator(&s) {
            _ if s.is_empty() => Err(QuoteIdProblem::Empty),
            None => Err(QuoteIdProblem::MissingSeparator),
            Some(0) => Err(QuoteIdProblem::EmptySession),
            Some(at) if at + SEPARATOR.len() == s.len() => Err(QuoteIdProblem::EmptyRateKey),
            Some(at) => Ok((&s[..at], &s[at + SEPARATOR.len()..])),
        };
        let parsed = QuoteId::parse(&s);
        prop_assert_eq!(&QuoteId::from_str(&s), &parsed);
        prop_assert_eq!(&QuoteId::try_from(s.clone()), &parsed);
        match (expected, parsed) {
            (Ok((session, key)), Ok(id)) => {
                prop_assert_eq!(id.as_str(), &s);
                prop_assert_eq!(id.to_string(), s.clone());
                prop_assert_eq!((id.session_id(), id.rate_key()), (session, key));
            }
            (Err(problem), Err(err)) => {
                prop_assert_eq!(err.problem(), problem, "for {:?}", s);
                prop_assert_eq!(err.input(), &s);
                let message = err.to_string();
                prop_assert!(
                    message.starts_with(&format!("invalid quote id {s:?}: {QUOTE_RULE} ("))
                        && message.contains(match problem {
                            QuoteIdProblem::Empty => "empty",
                            QuoteIdProblem::MissingSeparator => "`_rate_` separator is missing",
                            QuoteIdProblem::EmptySession => {
                                "session id before the last `_rate_` is empty"
                            }
                            _ => "rate key after the last `_rate_` is empty",
                        }),
                    "{:?}: {}",
                    s,
                    message
                );
            }
            (expected, parsed) => {
                prop_assert!(false, "{:?}: expected {:?}, got {:?}", s, expected, parsed)
            }
        }
    }

    #[test]
    fn quote_id_without_separator_is_refused(
        s in prop_oneof![
            rate_pieces(1..8),
            any::<String>(),
            "s_(RATE|Rate|rate-|rat|_rate)_?k",
        ].prop_filter("no separator", |s| !s.contains(SEPARATOR) && !s.is_empty())
    ) {
        let err = QuoteId::parse(&s).expect_err("no separator");
        prop_assert_eq!(err.problem(), QuoteIdProblem::MissingSeparator);
        prop_assert_eq!(
            err.to_string(),
            format!(
                "invalid quote id {s:?}: {QUOTE_RULE} (the `_rate_` separator is missing)"
            )
        );
    }

    /// The lossless direction from parts: any session (even with `_rate_` in it) and any key the
    /// rule allows join into an id that splits back into exactly those parts, and `new` refuses
    /// exactly the keys for which it would not.
    #[test]
    fn quote_id_new_round_trips_exactly_the_unambiguous_keys(
        session in prop_oneof![rate_pieces(1..6), any::<String>()]
            .prop_filter("non-empty", |s| !s.is_empty()),
        key in prop_oneof![rate_pieces(1..6), any::<String>(), "(standard|priority|express)"],
    ) {
        let joined = format!("{session}{SEPARATOR}{key}");
        let splits_back = last_separator(&joined) == Some(session.len());
        // The documented rule and the split agree, for non-empty keys.
        prop_assert_eq!(
            unambiguous_key(&key),
            splits_back && !key.is_empty(),
            "{:?} / {:?}",
            session,
            key
        );
        match QuoteId::new(&session, &key) {
            Ok(id) => {
                prop_assert!(unambiguous_key(&key), "accepted {:?} / {:?}", session, key);
                prop_assert_eq!(id.as_str(), &joined);
                prop_assert_eq!((id.session_id(), id.rate_key()), (session.as_str(), key.as_str()));
                prop_assert_eq!(QuoteId::parse(&joined), Ok(id));
            }
            Err(err) => {
                prop_assert!(!unambiguous_key(&key), "refused {:?} / {:?}: {}", session, key, err);
                let expected = if key.is_empty() {
                    QuoteIdProblem::EmptyRateKey
                } else {
                    QuoteIdProblem::AmbiguousRateKey
                };
                prop_assert_eq!(err.problem(), expected);
                prop_assert_eq!(err.input(), &joined);
            }
        }
    }
}

const BASE64URL: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

fn base64url(len: std::ops::RangeInclusive<usize>) -> impl Strategy<Value = String> {
    let alphabet: Vec<char> = BASE64URL.chars().collect();
    prop::collection::vec(prop::sample::select(alphabet), len).prop_map(String::from_iter)
}

/// `^order_[A-Za-z0-9_-]{16}$`, counted in characters.
fn is_sandbox_oracle(s: &str) -> bool {
    s.strip_prefix("order_").is_some_and(|rest| {
        rest.chars().count() == 16 && rest.chars().all(|c| BASE64URL.contains(c))
    })
}

/// Order ids near the sandbox shape and far from it.
fn order_text() -> impl Strategy<Value = String> {
    let bad_char = prop_oneof![
        prop::sample::select(vec![
            '+', '/', '=', '.', ' ', '~', '%', 'é', '😀', '\0', 'Ａ'
        ]),
        forbidden_char(),
    ];
    prop_oneof![
        3 => base64url(16..=16).prop_map(|s| format!("order_{s}")),
        2 => base64url(0..=40).prop_map(|s| format!("order_{s}")),
        2 => (base64url(16..=16), any::<Index>(), bad_char)
            .prop_map(|(s, at, c)| {
                let mut chars: Vec<char> = s.chars().collect();
                chars[at.index(16)] = c;
                format!("order_{}", String::from_iter(chars))
            }),
        2 => (
            prop::sample::select(vec![
                "Order_", "ORDER_", "order", "order-", "xorder_", "_order_", " order_", "",
            ]),
            base64url(16..=16),
        )
            .prop_map(|(prefix, s)| format!("{prefix}{s}")),
        1 => prop::sample::select(vec!["", ".", "..", "...", "/", "order_/", "./x"])
            .prop_map(|s: &str| s.to_owned()),
        1 => any::<String>(),
        1 => "ORD-[0-9]{4}-[0-9]{6}",
    ]
}

proptest! {
    #![proptest_config(config(1000))]

    #[test]
    fn order_id_sandbox_format_is_exactly_order_and_16_base64url(s in order_text()) {
        let expected = if s.is_empty() {
            Err(OrderIdProblem::Empty)
        } else if s.contains('/') {
            Err(OrderIdProblem::ContainsSlash)
        } else if s == "." || s == ".." {
            Err(OrderIdProblem::DotSegment)
        } else {
            Ok(())
        };
        let parsed = OrderId::parse(&s);
        prop_assert_eq!(&OrderId::from_str(&s), &parsed);
        prop_assert_eq!(&OrderId::try_from(s.clone()), &parsed);
        match (expected, parsed) {
            (Ok(()), Ok(id)) => {
                prop_assert_eq!(id.as_str(), &s);
                prop_assert_eq!(id.to_string(), s.clone());
                prop_assert_eq!(id.is_sandbox_format(), is_sandbox_oracle(&s), "for {:?}", s);
            }
            (Err(problem), Err(err)) => {
                prop_assert_eq!(err.problem(), problem, "for {:?}", s);
                let reason = match problem {
                    OrderIdProblem::Empty => "the id is empty",
                    OrderIdProblem::ContainsSlash => "it must not contain `/`",
                    _ => "it must not be `.` or `..`",
                };
                prop_assert_eq!(
                    err.to_string(),
                    format!("invalid order id {s:?}: it goes into a URL path segment ({reason})")
                );
            }
            (expected, parsed) => {
                prop_assert!(false, "{:?}: expected {:?}, got {:?}", s, expected, parsed)
            }
        }
    }
}

// =============================================================================================
// Accept-Language

/// A BCP 47 tag as a caller might write it (any letter case) and in canonical case: language
/// lower case, script title case, region upper case (RFC 5646 §2.1.1); or the wildcard.
fn language_tag() -> impl Strategy<Value = (String, String)> {
    let tag = (
        "[a-zA-Z]{2,3}",
        prop::option::of("[a-zA-Z]{4}"),
        prop::option::of(prop_oneof!["[a-zA-Z]{2}", "[0-9]{3}"]),
    )
        .prop_map(|(language, script, region)| {
            let mut written = language.clone();
            let mut canonical = language.to_ascii_lowercase();
            if let Some(script) = script {
                written += &format!("-{script}");
                canonical += &format!(
                    "-{}{}",
                    script[..1].to_ascii_uppercase(),
                    script[1..].to_ascii_lowercase()
                );
            }
            if let Some(region) = region {
                written += &format!("-{region}");
                canonical += &format!("-{}", region.to_ascii_uppercase());
            }
            (written, canonical)
        });
    prop_oneof![6 => tag, 1 => Just(("*".to_owned(), "*".to_owned()))]
}

/// (written tag, canonical tag, q in thousandths) lists.
fn language_list() -> impl Strategy<Value = Vec<(String, String, u16)>> {
    let q = prop_oneof![Just(1000u16), Just(0), 0u16..=1000];
    prop::collection::vec((language_tag(), q).prop_map(|((w, c), q)| (w, c, q)), 1..6)
}

/// RFC 9110 §12.5.4 and RFC 4647 §2.1, written out independently of the runtime:
///
/// ```text
/// Accept-Language = #( language-range [ weight ] )
/// language-range  = ( 1*8ALPHA *( "-" 1*8alphanum ) ) / "*"
/// weight          = OWS ";" OWS "q=" qvalue
/// qvalue          = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] )
/// ```
///
/// Returns the ranges and their q in thousandths, or `None` if `s` is not in the grammar.
/// Following RFC 9110 §5.6.1, a recipient accepts empty list elements but needs one range.
fn rfc9110_accept_language(s: &str) -> Option<Vec<(String, u16)>> {
    let ows = |t: &str| t.trim_matches(|c| c == ' ' || c == '\t').to_owned();
    let mut out = Vec::new();
    for element in s.split(',') {
        let element = ows(element);
        if element.is_empty() {
            continue;
        }
        let (range, weight) = match element.split_once(';') {
            Some((range, weight)) => (ows(range), Some(ows(weight))),
            None => (element.clone(), None),
        };
        let subtags: Vec<&str> = range.split('-').collect();
        let range_ok = range == "*"
            || (subtags.iter().all(|t| (1..=8).contains(&t.len()))
                && subtags[0].bytes().all(|b| b.is_ascii_alphabetic())
                && subtags[1..]
                    .iter()
                    .all(|t| t.bytes().all(|b| b.is_ascii_alphanumeric())));
        if !range_ok {
            return None;
        }
        let q = match weight {
            None => 1000,
            Some(weight) => {
                rfc9110_qvalue(weight.strip_prefix("q=").or(weight.strip_prefix("Q="))?)?
            }
        };
        out.push((range, q));
    }
    (!out.is_empty()).then_some(out)
}

fn rfc9110_qvalue(text: &str) -> Option<u16> {
    let (int, frac) = match text.split_once('.') {
        Some((int, frac)) => (int, frac),
        None => (text, ""),
    };
    if frac.len() > 3 || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let frac_thousandths = format!("{frac:0<3}").parse::<u16>().ok()?;
    match int {
        "0" => Some(frac_thousandths),
        "1" if frac_thousandths == 0 => Some(1000),
        _ => None,
    }
}

/// Every way to spell q (thousandths) in the grammar: `1`, `1.`, `1.0`, `0.5`, `0.50`, `0.500`...
fn spell_q(q: u16, variant: u8) -> String {
    let digits = format!("{:03}", q % 1000);
    let int = if q == 1000 { "1" } else { "0" };
    let shortest = digits.trim_end_matches('0').len();
    let decimals = shortest + usize::from(variant) % (4 - shortest);
    if decimals == 0 && (variant >> 4) & 1 == 1 {
        format!("{int}.")
    } else if decimals == 0 {
        int.to_owned()
    } else {
        format!("{int}.{}", &digits[..decimals])
    }
}

fn tags_and_qs(list: &AcceptLanguage) -> Vec<(String, u16)> {
    list.iter()
        .map(|p| (p.tag().to_owned(), p.q_thousandths()))
        .collect()
}

/// How to write one element: weight written out even for q=1, `spell_q` variant, `Q=`, and the
/// OWS before the tag, before `;` and after it.
type Spelling = (bool, u8, bool, String, String, String);

fn spell_element(tag: &str, q: u16, (weighted, variant, upper, a, b, c): &Spelling) -> String {
    if q == 1000 && !weighted {
        format!("{a}{tag}{c}")
    } else {
        let q_name = if *upper { "Q=" } else { "q=" };
        format!("{a}{tag}{b};{c}{q_name}{}", spell_q(q, *variant))
    }
}

/// Spaces and tabs, as OWS.
fn ows() -> impl Strategy<Value = String> {
    "[ \t]{0,2}"
}

proptest! {
    #![proptest_config(config(1000))]

    #[test]
    fn accept_language_lists_format_to_the_grammar_and_parse_back(list in language_list()) {
        let pairs: Vec<(&str, f64)> = list
            .iter()
            .map(|(w, _, q)| (w.as_str(), f64::from(*q) / 1000.0))
            .collect();
        let built = AcceptLanguage::from_slice(&pairs);
        prop_assert!(built.is_ok(), "{:?}: {:?}", pairs, built);
        let built = built.unwrap();
        let text = built.to_string();
        let header = built.to_header_value().unwrap();
        prop_assert_eq!(header.to_str().unwrap(), text.as_str());

        let expected: Vec<(String, u16)> = list.iter().map(|(_, c, q)| (c.clone(), *q)).collect();
        prop_assert_eq!(
            rfc9110_accept_language(&text),
            Some(expected.clone()),
            "{:?} is not in the grammar",
            text
        );
        // The SDK's own spelling: `, ` between elements and no other whitespace.
        prop_assert_eq!(text.split(", ").count(), list.len(), "{:?}", text);
        prop_assert!(!text.replace(", ", "").contains(char::is_whitespace), "{:?}", text);

        let parsed = AcceptLanguage::from_str(&text);
        prop_assert!(parsed.is_ok(), "{:?}: {:?}", text, parsed);
        let parsed = parsed.unwrap();
        let got = tags_and_qs(&parsed);
        prop_assert_eq!(got, expected, "{:?}", text);
        prop_assert_eq!(parsed, built);
    }

    /// Header text written by someone else, in any spelling the grammar allows (OWS, `Q=`,
    /// `1.`, trailing zeros, empty list elements), parses to the list it spells.
    #[test]
    fn accept_language_text_in_any_spelling_parses_to_its_list(
        list in language_list(),
        spelling in prop::collection::vec(
            (any::<bool>(), any::<u8>(), any::<bool>(), ows(), ows(), ows()),
            6,
        ),
        empty_elements in any::<bool>(),
    ) {
        let elements: Vec<String> = list
            .iter()
            .zip(&spelling)
            .map(|((written, _, q), spelling)| spell_element(written, *q, spelling))
            .collect();
        let separator = if empty_elements { ", ,," } else { "," };
        let text = elements.join(separator);
        let expected: Vec<(String, u16)> = list.iter().map(|(_, c, q)| (c.clone(), *q)).collect();
        let in_grammar = rfc9110_accept_language(&text);
        prop_assert!(in_grammar.is_some(), "the test wrote {:?}, not in the grammar", text);

        let parsed = AcceptLanguage::from_str(&text);
        prop_assert!(parsed.is_ok(), "{:?}: {:?}", text, parsed);
        let got = tags_and_qs(&parsed.unwrap());
        prop_assert_eq!(got, expected, "{:?}", text);
    }

    /// A qvalue's text is accepted exactly when the grammar has it, with the grammar's value;
    /// refusals say whether it is out of range or too precise.
    #[test]
    fn accept_language_qvalue_text_is_accepted_exactly_per_the_grammar(
        q in prop_oneof!["-?[0-9]{1,3}(\\.[0-9]{0,6})?", "[01](\\.[0-9]{0,5})?", "1\\.0{0,6}"]
    ) {
        let text = format!("da;q={q}");
        let parsed = AcceptLanguage::from_str(&text);
        match rfc9110_qvalue(&q) {
            Some(thousandths) => {
                prop_assert!(parsed.is_ok(), "{:?}: {:?}", text, parsed);
                prop_assert_eq!(parsed.unwrap().preferences()[0].q_thousandths(), thousandths);
            }
            None => {
                prop_assert!(parsed.is_err(), "{:?} is not in the grammar: {:?}", text, parsed);
                let message = parsed.unwrap_err().to_string();
                prop_assert!(message.contains(&q) && message.contains("\"da\""), "{}", message);
                let decimals = q.split_once('.').map_or(0, |(_, f)| f.len());
                let value: f64 = q.parse().unwrap();
                if !(0.0..=1.0).contains(&value) {
                    prop_assert!(message.ends_with("is outside 0..=1"), "{}", message);
                } else if decimals > 3 {
                    prop_assert!(message.ends_with("more than 3 decimals"), "{}", message);
                }
            }
        }
    }

    /// The builder takes any q in 0..=1 with at most 3 decimals, however the float was computed.
    #[test]
    fn accept_language_builder_takes_every_thousandth(
        (_, tag) in language_tag(),
        q in 0u16..=1000,
    ) {
        let tenths = f64::from(q / 10) / 100.0 + f64::from(q % 10) / 1000.0;
        for value in [f64::from(q) / 1000.0, f64::from(q) * 0.001, tenths] {
            let pref = LanguagePreference::new(&tag, value);
            prop_assert!(pref.is_ok(), "{} / {}: {:?}", tag, value, pref);
            prop_assert_eq!(pref.unwrap().q_thousandths(), q, "{}", value);
        }
    }

    /// Out of range is refused (not clamped), a fourth to ninth decimal is refused (not rounded).
    #[test]
    fn accept_language_builder_refuses_q_it_cannot_send(
        (_, tag) in language_tag(),
        (q, expected) in prop_oneof![
            prop_oneof![
                (1001u32..10_000_000).prop_map(|t| f64::from(t) / 1000.0),
                prop::num::f64::POSITIVE.prop_filter("above 1", |q| *q > 1.0),
                prop::num::f64::NEGATIVE.prop_filter("below 0", |q| *q < 0.0),
                Just(f64::NAN),
                Just(f64::INFINITY),
                Just(f64::NEG_INFINITY),
            ].prop_map(|q| (q, "is outside 0..=1")),
            (4u32..=9, any::<u64>()).prop_map(|(decimals, n)| {
                let scale = 10u64.pow(decimals);
                // A numerator that is not a multiple of 10^(decimals-3): a real extra decimal.
                let step = 10u64.pow(decimals - 3);
                let mut numerator = n % scale;
                if numerator % step == 0 {
                    numerator = (numerator + 1) % scale;
                }
                (numerator as f64 / scale as f64, "has more than 3 decimals")
            }),
        ],
    ) {
        let err = LanguagePreference::new(&tag, q);
        prop_assert!(err.is_err(), "{} / q={} was accepted: {:?}", tag, q, err);
        let err = err.unwrap_err();
        prop_assert_eq!(err.tag(), Some(tag.as_str()));
        prop_assert_eq!(err.to_string(), format!("q {q} for {tag:?} {expected}"));
        prop_assert!(AcceptLanguage::new().with(&tag, q).is_err());
    }
}

/// A money amount as a server writes it: up to 13 integer digits and 0 to 2 decimals (any
/// amount of either API in a currency's minor unit), or up to 4 decimals (a unit price).
fn amount_text() -> impl Strategy<Value = String> {
    (
        0u64..10_000_000_000_000,
        0u32..=4,
        any::<u16>(),
        any::<bool>(),
    )
        .prop_map(|(whole, scale, fraction, negative)| {
            let whole = whole / 10u64.pow(scale); // at most 13 significant digits in all
            let sign = if negative { "-" } else { "" };
            match scale {
                0 => format!("{sign}{whole}"),
                _ => format!(
                    "{sign}{whole}.{:0width$}",
                    u32::from(fraction) % 10u32.pow(scale),
                    width = scale as usize
                ),
            }
        })
}

proptest! {
    #![proptest_config(config(2_000))]

    /// Money is exact through a round trip: the amount a server sends is the `Decimal` its text
    /// says, and what the client sends back is that same number.
    #[test]
    fn money_reads_and_writes_exactly(text in amount_text()) {
        use parcelkit::Decimal;
        let expected = Decimal::from_str(&text).unwrap();
        let mut wire = parcelkit_conformance::Api::Phygitals.schema("ShippingQuote")["example"].clone();
        wire["amount"] = serde_json::from_str(&text).unwrap();
        let quote: parcelkit::phygitals::types::ShippingQuote =
            serde_json::from_value(wire).unwrap();
        prop_assert_eq!(quote.amount, expected, "read {}", text);
        let sent = serde_json::to_value(&quote).unwrap();
        let sent_text = sent["amount"].to_string();
        prop_assert_eq!(Decimal::from_str(&sent_text).unwrap(), expected, "sent {}", sent_text);
        let summed = quote.amount + quote.amount;
        prop_assert_eq!(summed, expected * Decimal::from(2), "arithmetic is exact");
    }
}

/// Instants of the years 0000-9999 written with an offset: `(unix seconds, nanoseconds, offset
/// in seconds, fractional digits written)`, the instant's local time inside the range too.
fn instant_with_offset() -> impl Strategy<Value = (i64, u32, i32, usize)> {
    const FIRST: i64 = -62_167_219_200 + 86_400; // a day in, so any offset stays in range
    const LAST: i64 = 253_402_300_799 - 86_400;
    (
        FIRST..=LAST,
        0u32..1_000_000_000,
        -(23 * 3600 + 59 * 60)..=(23 * 3600 + 59 * 60),
        0usize..=9,
    )
        .prop_map(|(seconds, nanos, offset, digits)| {
            // Offsets in whole minutes, as RFC 3339 writes them; nanoseconds cut to `digits`.
            let cut = 10u32.pow(9 - digits as u32);
            (seconds, nanos / cut * cut, offset / 60 * 60, digits)
        })
}

proptest! {
    #![proptest_config(config(2_000))]

    /// A `date-time` as any server may write it is the instant chrono reads from the same text,
    /// written back as chrono writes it in UTC, through a response type and back.
    #[test]
    fn times_read_any_offset_and_write_utc_as_chrono_does(
        (seconds, nanos, offset, digits) in instant_with_offset()
    ) {
        use chrono::{DateTime, FixedOffset, SecondsFormat, Utc};
        let utc = DateTime::<Utc>::from_timestamp(seconds, nanos).unwrap();
        let local = utc.with_timezone(&FixedOffset::east_opt(offset).unwrap());
        let fraction = format!("{:09}", nanos);
        let text = format!(
            "{}{}{}",
            local.format("%Y-%m-%dT%H:%M:%S"),
            if digits == 0 { String::new() } else { format!(".{}", &fraction[..digits]) },
            local.format("%:z"),
        );
        let mut wire = parcelkit_conformance::Api::Phygitals.schema("ShippingOrder")["example"].clone();
        wire["created_at"] = serde_json::Value::String(text.clone());
        let order: parcelkit::phygitals::types::ShippingOrder =
            serde_json::from_value(wire).unwrap();
        prop_assert_eq!(DateTime::<Utc>::from(order.created_at), utc, "read {}", text);
        let sent = serde_json::to_value(&order).unwrap();
        prop_assert_eq!(
            sent["created_at"].as_str().unwrap(),
            utc.to_rfc3339_opts(SecondsFormat::AutoSi, true),
            "read {}", text
        );
    }

    /// A `date` is accepted exactly when it is a day of the calendar.
    #[test]
    fn times_refuse_exactly_the_dates_that_do_not_exist(
        // Century years half the time: the leap-year rule's exceptions (1900 no, 2000 yes).
        year in prop_oneof![0i32..=9999, (0i32..=99).prop_map(|century| century * 100)],
        month in 0u32..=13,
        day in 0u32..=32
    ) {
        let text = format!("{year:04}-{month:02}-{day:02}");
        let chrono_day = chrono::NaiveDate::from_ymd_opt(year, month, day);
        match (text.parse::<parcelkit::Date>(), chrono_day) {
            (Ok(ours), Some(theirs)) => {
                prop_assert_eq!(chrono::NaiveDate::from(ours), theirs);
                prop_assert_eq!(ours.to_string(), theirs.format("%Y-%m-%d").to_string());
            }
            (Err(_), None) => {}
            (ours, theirs) => prop_assert!(false, "{}: ours {:?}, chrono {:?}", text, ours, theirs),
        }
    }
}
