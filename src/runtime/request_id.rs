use super::header_token::{InvalidHeaderValue, validate};

/// A `Request-ID` (1 to 128 characters from `[A-Za-z0-9._-]`), valid by construction. Smart Send
/// echoes it in the response, so it correlates a call across client logs, errors and the server.
///
/// ```
/// use parcelkit::RequestId;
///
/// let id: RequestId = "order-4521-book-a1b2c3".parse()?;
/// assert_eq!(id.as_str(), "order-4521-book-a1b2c3");
/// assert!(RequestId::new("has space").is_err());
/// assert_ne!(RequestId::new_random(), RequestId::new_random());
/// # Ok::<(), parcelkit::InvalidHeaderValue>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RequestId(String);

impl RequestId {
    /// The header name.
    pub const HEADER: &'static str = "Request-ID";
    /// Shortest valid value.
    pub const MIN_LEN: usize = 1;
    /// Longest valid value.
    pub const MAX_LEN: usize = 128;

    /// Validates `value`; the error names the rule broken.
    pub fn new(value: impl Into<String>) -> Result<Self, InvalidHeaderValue> {
        let value = value.into();
        validate(Self::HEADER, &value, Self::MIN_LEN, Self::MAX_LEN)?;
        Ok(RequestId(value))
    }

    /// A fresh id, `pk-` and 32 random hex digits.
    pub fn new_random() -> Self {
        RequestId(super::random::random_token())
    }

    /// The id as sent on the wire.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The value as an owned string.
    pub fn into_string(self) -> String {
        self.0
    }
}

crate::runtime::string_type_impls!(RequestId, InvalidHeaderValue, parse: RequestId::new, parse_owned: RequestId::new);

impl std::fmt::Debug for RequestId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "RequestId({:?})", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_ids_are_valid_and_distinct() {
        let a = RequestId::new_random();
        assert!(RequestId::new(a.as_str()).is_ok());
        assert_ne!(a, RequestId::new_random());
    }

    #[test]
    fn bounds() {
        assert!(RequestId::new("a").is_ok());
        assert!(RequestId::new("a".repeat(128)).is_ok());
        assert!(RequestId::new("a".repeat(129)).is_err());
        assert_eq!(
            RequestId::new("").unwrap_err().to_string(),
            "invalid Request-ID: 0 characters, but it must be 1 to 128 characters from A-Z a-z 0-9 . _ -"
        );
    }
}
