use aws_lc_rs::digest;
use serde::Serialize;
use serde_json::Value;

use super::header_token::{InvalidHeaderValue, is_token_char, validate};

/// How much of the caller's id a derived key keeps readable (the hash carries all of it).
const READABLE_PREFIX_CHARS: usize = 48;

/// A Smart Send `Idempotency-Key` (16 to 128 characters from `[A-Za-z0-9._-]`), valid by
/// construction. The same key on a retried write makes the server replay the stored response
/// instead of executing the write again (within 24 hours).
///
/// Three ways to get one:
/// - [`IdempotencyKey::new`] for a key you already have (validated; the error names the rule);
/// - [`IdempotencyKey::new_random`] for a fresh key, kept for the retries of one call;
/// - [`IdempotencyKey::derive`] for a key computed from your own id and the payload, so that a
///   retry from another process (after a crash, say) arrives at the same key without storing it.
///
/// ```
/// use parcelkit::IdempotencyKey;
/// use serde_json::json;
///
/// let payload = json!({"reference": "Order-5521", "parcels": [{"gross_weight": 1250}]});
/// let key = IdempotencyKey::derive("order-5521", &payload)?;
/// assert!(key.as_str().starts_with("order-5521_"));
/// // Same id and an equal payload (key order does not matter): the same key.
/// let reordered = json!({"parcels": [{"gross_weight": 1250}], "reference": "Order-5521"});
/// assert_eq!(key, IdempotencyKey::derive("order-5521", &reordered)?);
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    /// The header name.
    pub const HEADER: &'static str = "Idempotency-Key";
    /// Shortest valid key.
    pub const MIN_LEN: usize = 16;
    /// Longest valid key.
    pub const MAX_LEN: usize = 128;

    /// Validates `value`; the error names the rule broken.
    pub fn new(value: impl Into<String>) -> Result<Self, InvalidHeaderValue> {
        let value = value.into();
        validate(Self::HEADER, &value, Self::MIN_LEN, Self::MAX_LEN)?;
        Ok(IdempotencyKey(value))
    }

    /// A fresh random key, `pk-` and 32 random hex digits (122 bits of randomness).
    pub fn new_random() -> Self {
        IdempotencyKey(super::random::random_token())
    }

    /// A deterministic key from the caller's id (an order id, say: any Unicode, any length) and
    /// the request payload, as the vendor recommends.
    ///
    /// The key is `<readable prefix>_<64 hex digits>`: the prefix is the caller's id with every
    /// character outside `[A-Za-z0-9._-]` replaced by `-`, cut to 48 characters (for reading logs
    /// only); the hex digits are SHA-256 over the whole caller id and the canonical JSON of the
    /// payload (object keys sorted, no whitespace, integral floats written as integers). So
    /// ids that differ only in replaced characters still get different keys, a payload change in
    /// any field changes the key, and payloads that are equal as JSON share it. Always valid:
    /// at least 64 and at most 113 characters.
    ///
    /// Fails only if `payload` cannot be represented as JSON (e.g. a map with non-string keys).
    pub fn derive<T: Serialize + ?Sized>(
        caller_id: &str,
        payload: &T,
    ) -> Result<Self, serde_json::Error> {
        Ok(Self::derive_from_json(
            caller_id,
            &serde_json::to_value(payload)?,
        ))
    }

    /// [`IdempotencyKey::derive`] for a payload that is JSON already (a line read from a file,
    /// say): the same key, without copying the payload, and it cannot fail.
    ///
    /// ```
    /// use parcelkit::IdempotencyKey;
    ///
    /// let line: serde_json::Value = serde_json::from_str(r#"{"b": 1, "a": [2.0]}"#).unwrap();
    /// let key = IdempotencyKey::derive_from_json("order-5521", &line);
    /// let same = IdempotencyKey::derive("order-5521", &serde_json::json!({"a": [2], "b": 1}));
    /// assert_eq!(key, same.unwrap());
    /// ```
    pub fn derive_from_json(caller_id: &str, value: &serde_json::Value) -> Self {
        // SHA-256 from aws-lc-rs: the TLS stack links it already, so the client carries no
        // second implementation.
        let mut hasher = digest::Context::new(&digest::SHA256);
        // Length-prefix the id so that (id, payload) pairs cannot run into each other.
        hasher.update(&(caller_id.len() as u64).to_be_bytes());
        hasher.update(caller_id.as_bytes());
        // The canonical text goes straight into the hash, never held whole; buffered, because
        // it is written a token at a time.
        let mut hashing = std::io::BufWriter::with_capacity(512, Hashing(&mut hasher));
        write_canonical(value, &mut hashing).expect("hashing cannot fail to write");
        std::io::Write::flush(&mut hashing).expect("hashing cannot fail to write");
        drop(hashing);
        let digest = hasher.finish();
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let mut hex = String::with_capacity(2 * digest.as_ref().len());
        for &byte in digest.as_ref() {
            hex.push(char::from(HEX[usize::from(byte >> 4)]));
            hex.push(char::from(HEX[usize::from(byte & 0xf)]));
        }

        let prefix: String = caller_id
            .chars()
            .map(|c| if is_token_char(c) { c } else { '-' })
            .take(READABLE_PREFIX_CHARS)
            .collect();
        let key = if prefix.is_empty() {
            hex
        } else {
            format!("{prefix}_{hex}")
        };
        debug_assert!(validate(Self::HEADER, &key, Self::MIN_LEN, Self::MAX_LEN).is_ok());
        IdempotencyKey(key)
    }

    /// The key as sent on the wire.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The value as an owned string.
    pub fn into_string(self) -> String {
        self.0
    }
}

/// The canonical JSON text of `value`, which [`IdempotencyKey::derive`] hashes: object keys
/// sorted, no insignificant whitespace, integral floats written as the integer they equal. Two
/// values get the same text exactly when they are equal as JSON, so a server (the sandbox) can
/// use it to tell "the same payload" the way the client does.
///
/// ```
/// use serde_json::json;
/// assert_eq!(
///     parcelkit::canonical_json(&json!({"b": [1.0, 2.5], "a": null})),
///     r#"{"a":null,"b":[1,2.5]}"#
/// );
/// ```
pub fn canonical_json(value: &Value) -> String {
    let mut out = Vec::new();
    write_canonical(value, &mut out).expect("writing to memory cannot fail");
    String::from_utf8(out).expect("serde_json writes UTF-8")
}

/// Feeds what is written into a SHA-256.
struct Hashing<'a>(&'a mut digest::Context);

impl std::io::Write for Hashing<'_> {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.update(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// 2^63: integral floats in `-2^63..2^63` fit an i64, those in `0..2^64` a u64.
const I64_BOUND: f64 = 9_223_372_036_854_775_808.0;

/// Canonical JSON: sorted object keys, no insignificant whitespace, and numbers that are equal
/// as JSON written alike (`1.0` as `1`). serde_json's own output follows the map's insertion
/// order when its `preserve_order` feature is on anywhere in the build, so this does not rely on it.
fn write_canonical(value: &Value, out: &mut impl std::io::Write) -> std::io::Result<()> {
    match value {
        Value::Null | Value::Bool(_) | Value::String(_) => serde_json::to_writer(out, value)?,
        Value::Number(n) => match n.as_f64() {
            // Every integral float that an integer of serde_json (i64 or u64) can hold exactly is
            // written as that integer; the casts are exact inside these bounds.
            Some(f) if n.is_f64() && f.fract() == 0.0 && (-I64_BOUND..I64_BOUND).contains(&f) => {
                write!(out, "{}", f as i64)?;
            }
            Some(f) if n.is_f64() && f.fract() == 0.0 && (0.0..2.0 * I64_BOUND).contains(&f) => {
                write!(out, "{}", f as u64)?;
            }
            _ => serde_json::to_writer(out, n)?,
        },
        Value::Array(items) => {
            out.write_all(b"[")?;
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.write_all(b",")?;
                }
                write_canonical(item, out)?;
            }
            out.write_all(b"]")?;
        }
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            out.write_all(b"{")?;
            for (i, (k, v)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.write_all(b",")?;
                }
                serde_json::to_writer(&mut *out, k)?;
                out.write_all(b":")?;
                write_canonical(v, out)?;
            }
            out.write_all(b"}")?;
        }
    }
    Ok(())
}

crate::runtime::string_type_impls!(IdempotencyKey, InvalidHeaderValue, parse: IdempotencyKey::new, parse_owned: IdempotencyKey::new);

impl std::fmt::Debug for IdempotencyKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "IdempotencyKey({:?})", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn canonical(v: &Value) -> String {
        canonical_json(v)
    }

    #[test]
    fn large_integral_floats_are_written_as_the_integer_they_equal() {
        for (float, integer) in [
            (json!(9e15), json!(9_000_000_000_000_000_i64)),
            (
                json!(9_007_199_254_740_992.0),
                json!(9_007_199_254_740_992_i64),
            ),
            (json!(-9.2e18), json!(-9_200_000_000_000_000_000_i64)),
            (json!(1e19), json!(10_000_000_000_000_000_000_u64)),
        ] {
            assert_eq!(canonical(&float), canonical(&integer), "{float}");
        }
        assert_eq!(
            canonical(&json!(1e20)),
            "1e+20",
            "beyond both integer types: as serde_json writes it"
        );
    }

    #[test]
    fn canonical_json_sorts_keys_and_normalises_integral_floats() {
        assert_eq!(
            canonical(&json!({"b": [1.0, 2.5, null], "a": {"d": true, "c": "é\"x"}})),
            r#"{"a":{"c":"é\"x","d":true},"b":[1,2.5,null]}"#
        );
    }

    #[test]
    fn derived_keys_are_pinned() {
        // Pinned (and checked against an independent implementation of the documented
        // derivation), so that a change of derivation, which would break cross-process retries
        // of users upgrading mid-flight, is a deliberate, visible change.
        let cases = [
            (
                "order-4521",
                json!({"reference": "Order-4521"}),
                "order-4521_a846026c1a02fd3e29a47a7a7727b6452e41e153fb5f7be6d93b1b846f40876b",
            ),
            (
                "ordre-æøå",
                json!({"parcels": [{"gross_weight": 1250.0}], "currency": "DKK"}),
                "ordre----_b6d9d3f4d8bfb0cb0db1e1cd0c0a36086691217695f6b9f2495ce894e736f16e",
            ),
        ];
        for (id, payload, expected) in cases {
            assert_eq!(
                IdempotencyKey::derive(id, &payload).unwrap().as_str(),
                expected
            );
        }
    }

    #[test]
    fn unicode_and_empty_ids_still_give_valid_distinct_keys() {
        let payload = json!({"n": 1});
        let a = IdempotencyKey::derive("ordre-æ", &payload).unwrap();
        let b = IdempotencyKey::derive("ordre-ø", &payload).unwrap();
        assert!(a.as_str().starts_with("ordre--_"));
        assert_ne!(
            a, b,
            "the hash covers the whole id, not the readable prefix"
        );
        let empty = IdempotencyKey::derive("", &payload).unwrap();
        assert_eq!(empty.as_str().len(), 64);
        let long = IdempotencyKey::derive(&"x".repeat(10_000), &payload).unwrap();
        assert_eq!(long.as_str().len(), 48 + 1 + 64);
        for k in [a, b, empty, long] {
            assert!(IdempotencyKey::new(k.as_str()).is_ok(), "{k:?}");
        }
    }

    #[test]
    fn any_payload_change_changes_the_key() {
        let base = json!({"reference": "Order-1", "parcels": [{"gross_weight": 1250}]});
        let changed = json!({"reference": "Order-1", "parcels": [{"gross_weight": 1251}]});
        assert_ne!(
            IdempotencyKey::derive("o", &base).unwrap(),
            IdempotencyKey::derive("o", &changed).unwrap()
        );
    }

    #[test]
    fn id_and_payload_do_not_run_into_each_other() {
        // Without the length prefix, ("ab", "c...") and ("a", "bc...") could hash alike.
        assert_ne!(
            IdempotencyKey::derive("a\"", &json!("x")).unwrap(),
            IdempotencyKey::derive("a", &json!("\"x")).unwrap()
        );
    }
}
