//! The token grammar Smart Send uses for `Idempotency-Key` and `Request-ID`:
//! `[A-Za-z0-9._-]` with a length range. One validator serves both, so their messages agree.

use std::fmt;

/// A header value that breaks its documented rule; the message names the header and the rule.
///
/// ```
/// let err = parcelkit::IdempotencyKey::new("short").unwrap_err();
/// assert_eq!(
///     err.to_string(),
///     "invalid Idempotency-Key: 5 characters, but it must be 16 to 128 characters from A-Z a-z 0-9 . _ -"
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidHeaderValue {
    header: &'static str,
    problem: String,
    rule: String,
}

impl InvalidHeaderValue {
    /// The header whose value was refused (`Idempotency-Key`, `Request-ID`).
    pub fn header(&self) -> &'static str {
        self.header
    }

    /// The rule the value must follow, e.g. `16 to 128 characters from A-Z a-z 0-9 . _ -`.
    pub fn rule(&self) -> &str {
        &self.rule
    }
}

impl fmt::Display for InvalidHeaderValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "invalid {}: {}, but it must be {}",
            self.header, self.problem, self.rule
        )
    }
}

impl std::error::Error for InvalidHeaderValue {}

/// Whether `c` may appear in a token.
pub(crate) fn is_token_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')
}

/// The rule in words: `16 to 128 characters from A-Z a-z 0-9 . _ -`.
pub(crate) fn token_rule(min: usize, max: usize) -> String {
    format!("{min} to {max} characters from A-Z a-z 0-9 . _ -")
}

/// Checks `value` against `[A-Za-z0-9._-]{min,max}`. Lengths count characters, as the pattern
/// does; since every allowed character is ASCII, characters and bytes agree for valid values.
pub(crate) fn validate(
    header: &'static str,
    value: &str,
    min: usize,
    max: usize,
) -> Result<(), InvalidHeaderValue> {
    let rule = token_rule(min, max);
    let refuse = |problem: String| InvalidHeaderValue {
        header,
        problem,
        rule: rule.clone(),
    };
    if let Some((position, c)) = value.chars().enumerate().find(|(_, c)| !is_token_char(*c)) {
        // Show the character escaped, so a space, a control character or an emoji is legible.
        return Err(refuse(format!(
            "character {:?} at position {position} is not allowed",
            c
        )));
    }
    let len = value.chars().count();
    if len < min || len > max {
        return Err(refuse(format!("{len} characters")));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_the_bounds() {
        assert!(validate("X", &"a".repeat(16), 16, 128).is_ok());
        assert!(validate("X", &"Z9._-".repeat(26)[..128], 16, 128).is_ok());
    }

    #[test]
    fn refuses_length_and_characters_with_the_rule() {
        let too_long = validate("X", &"a".repeat(129), 16, 128).unwrap_err();
        assert_eq!(
            too_long.to_string(),
            "invalid X: 129 characters, but it must be 16 to 128 characters from A-Z a-z 0-9 . _ -"
        );
        let bad_char = validate("X", "order/4521-abcdefgh", 16, 128).unwrap_err();
        assert_eq!(
            bad_char.to_string(),
            "invalid X: character '/' at position 5 is not allowed, but it must be 16 to 128 characters from A-Z a-z 0-9 . _ -"
        );
        assert!(
            validate("X", "ordre-æøå-1234567", 16, 128).is_err(),
            "non-ASCII letters"
        );
        assert!(validate("X", "", 1, 128).is_err(), "empty");
    }
}
