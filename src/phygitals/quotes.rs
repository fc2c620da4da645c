//! Choosing a rate from a quote ([`ShippingQuotes`]): cheapest, fastest, or by rate key.

use std::cmp::Ordering;

use super::types;

mod sealed {
    pub trait Sealed {}
    impl Sealed for [super::types::ShippingQuote] {}
    impl Sealed for super::types::QuoteResponse {}
}

/// Choosing among the rates of a quote; implemented for `[ShippingQuote]` (so also for the
/// `Vec` in `QuoteResponse::quotes`) and for `QuoteResponse` itself.
///
/// Every choice is deterministic, whatever the order of the rates: ties are broken down to the
/// rate id. Amounts are exact decimals, so equal prices are equal.
///
/// ```
/// use parcelkit::phygitals::{ShippingQuotes, types};
///
/// let response: types::QuoteResponse = serde_json::from_value(serde_json::json!({
///     "session_id": "quote_01JQ7ZK4M8P2R5T9V3X6Y1B4CD",
///     "expires_at": "2026-03-04T09:30:00Z",
///     "quotes": [
///         {"id": "quote_01JQ7ZK4M8P2R5T9V3X6Y1B4CD_rate_standard", "carrier": "USPS",
///          "service": "Ground Advantage", "amount": 6.45,
///          "estimated_days_min": 3, "estimated_days_max": 5, "insured": false},
///         {"id": "quote_01JQ7ZK4M8P2R5T9V3X6Y1B4CD_rate_priority", "carrier": "USPS",
///          "service": "Priority Mail", "amount": 10.2,
///          "estimated_days_min": 1, "estimated_days_max": 3, "insured": true},
///         {"id": "quote_01JQ7ZK4M8P2R5T9V3X6Y1B4CD_rate_express", "carrier": "FedEx",
///          "service": "Standard Overnight", "amount": 38.9,
///          "estimated_days_min": 1, "estimated_days_max": 1, "insured": true}
///     ]
/// }))?;
///
/// assert_eq!(response.cheapest().unwrap().service, "Ground Advantage");
/// assert_eq!(response.fastest().unwrap().service, "Standard Overnight");
/// assert_eq!(response.by_rate_key("priority").unwrap().amount.to_string(), "10.2");
/// let prices: Vec<String> =
///     response.quotes.sorted_by_price().iter().map(|q| q.amount.to_string()).collect();
/// assert_eq!(prices, ["6.45", "10.2", "38.9"]);
/// # Ok::<(), serde_json::Error>(())
/// ```
pub trait ShippingQuotes: sealed::Sealed {
    /// The rates to choose from.
    fn rates(&self) -> &[types::ShippingQuote];

    /// The lowest-priced rate; among equal prices the one with the fewest
    /// `estimated_days_max`, then the smallest id. `None` when there are no rates.
    fn cheapest(&self) -> Option<&types::ShippingQuote> {
        self.rates().iter().min_by(|a, b| by_price(a, b))
    }

    /// The rate with the fewest `estimated_days_max`; among equals the lowest amount, then the
    /// smallest id. `None` when there are no rates.
    fn fastest(&self) -> Option<&types::ShippingQuote> {
        self.rates().iter().min_by(|a, b| by_speed(a, b))
    }

    /// All rates, cheapest first, in the order [`cheapest`](Self::cheapest) uses.
    fn sorted_by_price(&self) -> Vec<&types::ShippingQuote> {
        let mut sorted: Vec<_> = self.rates().iter().collect();
        sorted.sort_by(|a, b| by_price(a, b));
        sorted
    }

    /// The first rate whose id has this rate key (e.g. `priority`, as in
    /// [`QuoteId::rate_key`](super::QuoteId::rate_key)).
    fn by_rate_key(&self, rate_key: &str) -> Option<&types::ShippingQuote> {
        self.rates().iter().find(|q| q.id.rate_key() == rate_key)
    }
}

impl ShippingQuotes for [types::ShippingQuote] {
    fn rates(&self) -> &[types::ShippingQuote] {
        self
    }
}

impl ShippingQuotes for types::QuoteResponse {
    fn rates(&self) -> &[types::ShippingQuote] {
        &self.quotes
    }
}

/// Price, then speed, then id.
fn by_price(a: &types::ShippingQuote, b: &types::ShippingQuote) -> Ordering {
    a.amount
        .cmp(&b.amount)
        .then(a.estimated_days_max.cmp(&b.estimated_days_max))
        .then_with(|| a.id.cmp(&b.id))
}

/// Speed, then price, then id.
fn by_speed(a: &types::ShippingQuote, b: &types::ShippingQuote) -> Ordering {
    a.estimated_days_max
        .cmp(&b.estimated_days_max)
        .then(a.amount.cmp(&b.amount))
        .then_with(|| a.id.cmp(&b.id))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SESSION: &str = "quote_01JQ7ZK4M8P2R5T9V3X6Y1B4CD";

    fn quote(key: &str, amount: &str, days_max: i64) -> types::ShippingQuote {
        types::ShippingQuote {
            id: format!("{SESSION}_rate_{key}").parse().unwrap(),
            carrier: "USPS".into(),
            service: key.into(),
            amount: amount.parse().unwrap(),
            estimated_days_min: 1,
            estimated_days_max: days_max,
            insured: false,
        }
    }

    fn keys(quotes: &[&types::ShippingQuote]) -> Vec<String> {
        quotes.iter().map(|q| q.id.rate_key().to_owned()).collect()
    }

    fn key_of(q: Option<&types::ShippingQuote>) -> Option<String> {
        q.map(|q| q.id.rate_key().to_owned())
    }

    /// Every rotation and the reverse of `quotes`, so tie-breaks cannot rest on input order.
    fn orderings(quotes: &[types::ShippingQuote]) -> Vec<Vec<types::ShippingQuote>> {
        let mut all = Vec::new();
        for start in 0..quotes.len() {
            let mut rotated = quotes.to_vec();
            rotated.rotate_left(start);
            all.push(rotated.clone());
            rotated.reverse();
            all.push(rotated);
        }
        all
    }

    #[test]
    fn empty_quotes_choose_nothing() {
        let none: &[types::ShippingQuote] = &[];
        assert!(none.cheapest().is_none());
        assert!(none.fastest().is_none());
        assert!(none.sorted_by_price().is_empty());
        assert!(none.by_rate_key("standard").is_none());
    }

    #[test]
    fn cheapest_takes_the_lowest_amount() {
        let quotes = [
            quote("priority", "10.2", 3),
            quote("standard", "6.45", 5),
            quote("express", "38.9", 1),
        ];
        for q in orderings(&quotes) {
            assert_eq!(key_of(q.cheapest()).as_deref(), Some("standard"));
        }
    }

    #[test]
    fn cheapest_breaks_ties_by_days_then_id() {
        // Same price: fewer days wins.
        let quotes = [
            quote("slow", "5.0", 7),
            quote("quick", "5.0", 2),
            quote("dear", "9.0", 1),
        ];
        for q in orderings(&quotes) {
            assert_eq!(key_of(q.cheapest()).as_deref(), Some("quick"));
        }
        // Same price and days: the smaller id wins.
        let quotes = [
            quote("b", "5.0", 2),
            quote("a", "5.0", 2),
            quote("c", "5.0", 2),
        ];
        for q in orderings(&quotes) {
            assert_eq!(key_of(q.cheapest()).as_deref(), Some("a"));
        }
        // Negative zero and zero are one price.
        let quotes = [quote("b", "0.0", 2), quote("a", "-0.0", 3)];
        for q in orderings(&quotes) {
            assert_eq!(key_of(q.cheapest()).as_deref(), Some("b"));
        }
    }

    #[test]
    fn fastest_takes_fewest_max_days_then_lowest_amount_then_id() {
        let quotes = [
            quote("standard", "6.45", 5),
            quote("express", "38.9", 1),
            quote("overnight", "25.0", 1),
            quote("priority", "10.2", 3),
        ];
        for q in orderings(&quotes) {
            assert_eq!(key_of(q.fastest()).as_deref(), Some("overnight"));
        }
        let quotes = [
            quote("b", "9.0", 1),
            quote("a", "9.0", 1),
            quote("c", "9.0", 4),
        ];
        for q in orderings(&quotes) {
            assert_eq!(key_of(q.fastest()).as_deref(), Some("a"));
        }
    }

    #[test]
    fn sorted_by_price_orders_all_rates() {
        let quotes = [
            quote("express", "38.9", 1),
            quote("slow", "6.45", 9),
            quote("standard", "6.45", 5),
            quote("priority", "10.2", 3),
        ];
        for q in orderings(&quotes) {
            let sorted = q.sorted_by_price();
            assert_eq!(keys(&sorted), ["standard", "slow", "priority", "express"]);
            assert_eq!(sorted.first().copied(), q.cheapest());
        }
    }

    #[test]
    fn by_rate_key_matches_the_parsed_key_only() {
        let mut nested = quote("unused", "2.0", 1);
        nested.id = "quote_X_rate_priority_rate_express".parse().unwrap();
        let quotes = [
            quote("standard", "6.45", 5),
            nested,
            quote("priority", "10.2", 3),
        ];

        assert_eq!(
            quotes.by_rate_key("standard").unwrap().amount.to_string(),
            "6.45"
        );
        // `priority` is not the key of the nested id (that is `express`), so the real one wins.
        assert_eq!(
            quotes.by_rate_key("priority").unwrap().amount.to_string(),
            "10.2"
        );
        assert_eq!(
            quotes.by_rate_key("express").unwrap().amount.to_string(),
            "2.0"
        );
        // Keys match exactly, not by prefix or case.
        assert!(quotes.by_rate_key("prio").is_none());
        assert!(quotes.by_rate_key("Priority").is_none());
        assert!(quotes.by_rate_key("").is_none());
    }

    #[test]
    fn quote_response_delegates_to_its_quotes() {
        // A response type: built as a struct literal (only request types have builders).
        let response = types::QuoteResponse {
            session_id: SESSION.to_owned(),
            expires_at: "2026-03-04T09:30:00Z".parse().unwrap(),
            quotes: vec![quote("priority", "10.2", 3), quote("standard", "6.45", 5)],
        };
        assert_eq!(key_of(response.cheapest()).as_deref(), Some("standard"));
        assert_eq!(key_of(response.fastest()).as_deref(), Some("priority"));
        assert_eq!(keys(&response.sorted_by_price()), ["standard", "priority"]);
        assert_eq!(
            response.by_rate_key("priority").unwrap().amount.to_string(),
            "10.2"
        );
        assert_eq!(response.rates().len(), 2);
    }
}
