//! Phygitals' errors: `{"error": "<message>"}` with exact wire messages, mapped to typed
//! variants; an unknown message is kept as [`PhygitalsError::Other`].

use super::types;
use crate::runtime::{ErrorBody, ErrorDetails};

/// A Phygitals error message, typed. The wire strings are matched exactly, as documented.
///
/// ```
/// use parcelkit::phygitals::PhygitalsError;
///
/// assert_eq!(PhygitalsError::from_message("Quote expired"), PhygitalsError::QuoteExpired);
/// assert_eq!(PhygitalsError::QuoteExpired.message(), "Quote expired");
/// assert_eq!(
///     PhygitalsError::from_message("Something new"),
///     PhygitalsError::Other("Something new".into())
/// );
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum PhygitalsError {
    /// `Invalid API key` (401).
    InvalidApiKey,
    /// `item_ids is required`.
    ItemIdsRequired,
    /// `Invalid destination address`, with the validator's explanation and, when it has one, a
    /// corrected address.
    InvalidDestination {
        /// Why the address failed.
        details: Option<String>,
        /// A corrected address, when the validator proposes one.
        suggested: Option<Box<types::PartialDestination>>,
    },
    /// `Item not found`.
    ItemNotFound,
    /// `No shippable items in request`.
    NoShippableItems,
    /// `Country not supported` (422).
    CountryNotSupported,
    /// `Failed to fetch shipping rates` (500).
    FailedToFetchRates,
    /// `quote_id is required` (missing, or without the `_rate_` separator).
    QuoteIdRequired,
    /// `Quote expired` (also an unknown session or rate key).
    QuoteExpired,
    /// `Item already shipped`.
    ItemAlreadyShipped,
    /// `Failed to create shipping request` (500).
    FailedToCreateShippingRequest,
    /// `Order not found` (404).
    OrderNotFound,
    /// `User not found` (404).
    UserNotFound,
    /// `Item has expired` (sell-back window over).
    ItemExpired,
    /// `Transaction failed`.
    TransactionFailed,
    /// `Item already has an active buyback session`.
    BuybackSessionActive,
    /// `A buyback request for this item is already being processed` (429).
    BuybackInProgress,
    /// `Card not found` (404).
    CardNotFound,
    /// `An unexpected error occurred` (500).
    Unexpected,
    /// A message this version does not know, kept as sent.
    Other(String),
}

/// Builds the variant for one message (a function, since some variants own data).
type MakeError = fn() -> PhygitalsError;

/// Every exact wire message and its variant; `Invalid destination address` is apart because it
/// carries details.
const MESSAGES: &[(&str, MakeError)] = &[
    ("Invalid API key", || PhygitalsError::InvalidApiKey),
    ("item_ids is required", || PhygitalsError::ItemIdsRequired),
    ("Item not found", || PhygitalsError::ItemNotFound),
    ("No shippable items in request", || {
        PhygitalsError::NoShippableItems
    }),
    ("Country not supported", || {
        PhygitalsError::CountryNotSupported
    }),
    ("Failed to fetch shipping rates", || {
        PhygitalsError::FailedToFetchRates
    }),
    ("quote_id is required", || PhygitalsError::QuoteIdRequired),
    ("Quote expired", || PhygitalsError::QuoteExpired),
    ("Item already shipped", || {
        PhygitalsError::ItemAlreadyShipped
    }),
    ("Failed to create shipping request", || {
        PhygitalsError::FailedToCreateShippingRequest
    }),
    ("Order not found", || PhygitalsError::OrderNotFound),
    ("User not found", || PhygitalsError::UserNotFound),
    ("Item has expired", || PhygitalsError::ItemExpired),
    ("Transaction failed", || PhygitalsError::TransactionFailed),
    ("Item already has an active buyback session", || {
        PhygitalsError::BuybackSessionActive
    }),
    (
        "A buyback request for this item is already being processed",
        || PhygitalsError::BuybackInProgress,
    ),
    ("Card not found", || PhygitalsError::CardNotFound),
    ("An unexpected error occurred", || {
        PhygitalsError::Unexpected
    }),
];

const INVALID_DESTINATION: &str = "Invalid destination address";

impl PhygitalsError {
    /// The variant for a wire message (exact match), or [`PhygitalsError::Other`].
    pub fn from_message(message: &str) -> Self {
        if message == INVALID_DESTINATION {
            return PhygitalsError::InvalidDestination {
                details: None,
                suggested: None,
            };
        }
        MESSAGES.iter().find(|(m, _)| *m == message).map_or_else(
            || PhygitalsError::Other(message.to_owned()),
            |(_, make)| make(),
        )
    }

    /// The wire message.
    pub fn message(&self) -> &str {
        match self {
            PhygitalsError::InvalidDestination { .. } => INVALID_DESTINATION,
            PhygitalsError::Other(message) => message,
            known => MESSAGES
                .iter()
                .find(|(_, make)| make() == *known)
                .map_or("", |(m, _)| m),
        }
    }
}

impl PhygitalsError {
    /// The message, with the validator's explanation for an invalid destination.
    pub(crate) fn summary(&self) -> String {
        match self {
            PhygitalsError::InvalidDestination {
                details: Some(d), ..
            } => format!("{INVALID_DESTINATION}: {d}"),
            other => other.message().to_owned(),
        }
    }
}

impl ErrorBody for types::Error {
    const API: &'static str = "Phygitals";

    fn into_details(self) -> ErrorDetails {
        ErrorDetails::Phygitals(PhygitalsError::from_message(&self.error))
    }
}

impl ErrorBody for types::QuoteShippingError {
    const API: &'static str = "Phygitals";

    fn into_details(self) -> ErrorDetails {
        ErrorDetails::Phygitals(match self {
            types::QuoteShippingError::QuoteValidationError(v) => {
                match PhygitalsError::from_message(&v.error) {
                    PhygitalsError::InvalidDestination { .. } => {
                        PhygitalsError::InvalidDestination {
                            details: v.details,
                            suggested: v.suggested.map(Box::new),
                        }
                    }
                    other => other,
                }
            }
            types::QuoteShippingError::Error(e) => PhygitalsError::from_message(&e.error),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_known_message_round_trips() {
        for (message, make) in MESSAGES {
            let typed = PhygitalsError::from_message(message);
            assert_eq!(typed, make());
            assert!(!matches!(typed, PhygitalsError::Other(_)), "{message}");
            assert_eq!(typed.message(), *message);
        }
        assert_eq!(
            PhygitalsError::from_message(INVALID_DESTINATION).message(),
            INVALID_DESTINATION
        );
    }

    #[test]
    fn matching_is_exact() {
        assert_eq!(
            PhygitalsError::from_message("quote expired"),
            PhygitalsError::Other("quote expired".into())
        );
        assert_eq!(
            PhygitalsError::from_message("Quote expired "),
            PhygitalsError::Other("Quote expired ".into())
        );
    }

    fn documented_messages(node: &serde_json::Value, out: &mut Vec<String>) {
        match node {
            serde_json::Value::Object(map) => {
                for (key, value) in map {
                    if key == "x-parcelkit-messages" {
                        out.extend(
                            value
                                .as_array()
                                .into_iter()
                                .flatten()
                                .filter_map(|m| m.as_str().map(str::to_owned)),
                        );
                    } else {
                        documented_messages(value, out);
                    }
                }
            }
            serde_json::Value::Array(items) => {
                items.iter().for_each(|v| documented_messages(v, out))
            }
            _ => {}
        }
    }

    #[test]
    fn the_spec_documents_exactly_these_messages() {
        let spec =
            parcelkit_codegen::yaml_to_json(include_str!("../../openapi/phygitals.yaml")).unwrap();
        let mut documented = Vec::new();
        documented_messages(&spec, &mut documented);
        documented.sort_unstable();
        documented.dedup();
        for message in &documented {
            assert!(
                !matches!(
                    PhygitalsError::from_message(message),
                    PhygitalsError::Other(_)
                ),
                "the spec documents {message:?} but it has no variant"
            );
        }
        let mut known: Vec<String> = MESSAGES.iter().map(|(m, _)| m.to_string()).collect();
        known.push(INVALID_DESTINATION.to_owned());
        known.sort_unstable();
        assert_eq!(
            known, documented,
            "every variant's message is documented in the spec"
        );
    }
}
