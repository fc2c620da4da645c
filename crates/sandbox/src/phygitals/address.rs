//! The sandbox's address validator: what counts as an "obviously invalid" destination for
//! `quote_shipping`, and the correction it suggests.
//!
//! The vendor validates with a real address service; the sandbox applies these rules, in order,
//! and stops at the first that fails:
//!
//! 1. `name`, `line1` and `city` are non-empty strings, and so is the postal code (`postal_code`,
//!    or `zip` when `postal_code` is absent: the vendor accepts a destination sent with `zip`).
//! 2. `line1` has a street number (a digit).
//! 3. For `US` destinations, the postal code is a ZIP code: 5 digits, or ZIP+4 (`12345-6789`).
//! 4. For `US` destinations in a city of the built-in gazetteer (city and state, case-insensitive),
//!    the ZIP code belongs to that city (its first three digits).
//!
//! Rules 3 and 4 suggest the destination with the city's main ZIP code when the city is in the
//! gazetteer; the others suggest nothing.

use serde_json::{Map, Value};

/// Why a destination failed, and the correction when there is one.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Invalid {
    /// The readable explanation (`details`).
    pub(crate) details: String,
    /// The corrected destination (`suggested`).
    pub(crate) suggested: Option<Value>,
}

/// A gazetteer city: its state, the ZIP prefixes (first three digits) it uses, and its main ZIP.
struct City {
    name: &'static str,
    state: &'static str,
    prefixes: &'static [&'static str],
    main_zip: &'static str,
}

const GAZETTEER: &[City] = &[
    City {
        name: "Miami",
        state: "FL",
        prefixes: &["331", "332"],
        main_zip: "33131",
    },
    City {
        name: "Austin",
        state: "TX",
        prefixes: &["733", "786", "787"],
        main_zip: "78703",
    },
    City {
        name: "Denver",
        state: "CO",
        prefixes: &["802"],
        main_zip: "80203",
    },
    City {
        name: "New York",
        state: "NY",
        prefixes: &["100", "101", "102"],
        main_zip: "10001",
    },
    City {
        name: "Los Angeles",
        state: "CA",
        prefixes: &["900", "901"],
        main_zip: "90012",
    },
    City {
        name: "San Francisco",
        state: "CA",
        prefixes: &["941"],
        main_zip: "94103",
    },
    City {
        name: "Chicago",
        state: "IL",
        prefixes: &["606", "607", "608"],
        main_zip: "60601",
    },
    City {
        name: "Seattle",
        state: "WA",
        prefixes: &["981"],
        main_zip: "98101",
    },
    City {
        name: "Boston",
        state: "MA",
        prefixes: &["021", "022"],
        main_zip: "02108",
    },
    City {
        name: "Atlanta",
        state: "GA",
        prefixes: &["303"],
        main_zip: "30303",
    },
];

/// A non-empty (after trimming) string field.
fn text<'a>(destination: &'a Map<String, Value>, key: &str) -> Option<&'a str> {
    destination
        .get(key)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

/// Checks `destination` (already known to have a two-character `country`) by the module's rules.
pub(crate) fn validate(destination: &Map<String, Value>) -> Result<(), Invalid> {
    let fail = |details: String, suggested: Option<Value>| Err(Invalid { details, suggested });
    for field in ["name", "line1", "city"] {
        if text(destination, field).is_none() {
            return fail(format!("The address has no {field}."), None);
        }
    }
    let postal_key = if destination.contains_key("postal_code") {
        "postal_code"
    } else {
        "zip"
    };
    let Some(postal) = text(destination, postal_key) else {
        return fail("The address has no postal code.".to_owned(), None);
    };
    let line1 = text(destination, "line1").unwrap_or_default();
    if !line1.chars().any(|c| c.is_ascii_digit()) {
        return fail(
            format!("No street number was found in line1 \"{line1}\"."),
            None,
        );
    }
    let country = text(destination, "country").unwrap_or_default();
    if !country.eq_ignore_ascii_case("US") {
        return Ok(());
    }
    let city = text(destination, "city").unwrap_or_default();
    let state = text(destination, "state").unwrap_or_default();
    let known = GAZETTEER
        .iter()
        .find(|c| c.name.eq_ignore_ascii_case(city) && c.state.eq_ignore_ascii_case(state));
    let suggest = |city: &City| {
        let mut corrected = destination.clone();
        // A correction is a normalised address: the postal code under its documented key.
        corrected.remove("zip");
        corrected.insert("postal_code".into(), Value::from(city.main_zip));
        Value::Object(corrected)
    };
    if !is_zip(postal) {
        return fail(
            format!("\"{postal}\" is not a US ZIP code (5 digits, or ZIP+4)."),
            known.map(suggest),
        );
    }
    if let Some(city) = known
        && !city.prefixes.contains(&&postal[..3])
    {
        return fail(
            format!(
                "The postal code {postal} is not in {}, {}.",
                city.name, city.state
            ),
            Some(suggest(city)),
        );
    }
    Ok(())
}

/// `12345` or `12345-6789`.
fn is_zip(s: &str) -> bool {
    let b = s.as_bytes();
    let digits = |r: &[u8]| r.iter().all(u8::is_ascii_digit);
    match b.len() {
        5 => digits(b),
        10 => digits(&b[..5]) && b[5] == b'-' && digits(&b[6..]),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn check(v: Value) -> Result<(), Invalid> {
        validate(v.as_object().unwrap())
    }

    fn miami() -> Value {
        json!({"name": "Emily Carter", "line1": "1450 Brickell Ave", "city": "Miami",
               "state": "FL", "postal_code": "33131", "country": "US"})
    }

    #[test]
    fn a_good_address_passes_and_zip_stands_for_postal_code() {
        assert_eq!(check(miami()), Ok(()));
        assert_eq!(
            check(
                json!({"name": "Dana Whitfield", "line1": "88 Pearl St", "city": "Denver",
                         "state": "CO", "zip": "80203", "country": "US"})
            ),
            Ok(())
        );
        // Outside the US only the street number and presence rules apply.
        let mut abroad = miami();
        abroad["country"] = json!("ZZ");
        abroad["postal_code"] = json!("SW1A 1AA");
        assert_eq!(check(abroad), Ok(()));
        // A ZIP+4 in the right city.
        let mut plus4 = miami();
        plus4["postal_code"] = json!("33131-2304");
        assert_eq!(check(plus4), Ok(()));
    }

    #[test]
    fn a_zip_from_another_city_is_corrected() {
        let mut wrong = miami();
        wrong["postal_code"] = json!("90210");
        let invalid = check(wrong).unwrap_err();
        assert_eq!(
            invalid.details,
            "The postal code 90210 is not in Miami, FL."
        );
        assert_eq!(invalid.suggested, Some(miami()));
    }

    #[test]
    fn missing_fields_no_street_number_and_bad_zips_fail() {
        let mut no_number = miami();
        no_number["line1"] = json!("Brickell Avenue");
        let invalid = check(no_number).unwrap_err();
        assert_eq!(invalid.suggested, None);
        assert!(invalid.details.contains("street number"), "{invalid:?}");

        let mut no_city = miami();
        no_city["city"] = json!("  ");
        assert_eq!(
            check(no_city).unwrap_err().details,
            "The address has no city."
        );

        let mut no_postal = miami();
        no_postal.as_object_mut().unwrap().remove("postal_code");
        assert_eq!(
            check(no_postal).unwrap_err().details,
            "The address has no postal code."
        );

        let mut letters = miami();
        letters["postal_code"] = json!("3313A");
        assert_eq!(check(letters).unwrap_err().suggested, Some(miami()));

        let mut unknown_city = miami();
        unknown_city["city"] = json!("Springfield");
        unknown_city["postal_code"] = json!("123");
        assert_eq!(check(unknown_city).unwrap_err().suggested, None);
    }
}
