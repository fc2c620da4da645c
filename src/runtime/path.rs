//! What the generated `send()` writes into a request before it goes out, without allocating per
//! call: path parameters, and the messages of builder fields (a required one never set, a value
//! that does not convert).

use std::fmt::{self, Write as _};

/// A path parameter as it goes into the URL: its `Display` text, percent-encoded as a path
/// segment (the set progenitor's `encode_path` uses: controls, non-ASCII, space and
/// `` "#<>?`{}/% ``), written straight into the URL being formatted instead of through the two
/// strings `encode_path(&value.to_string())` makes.
pub(crate) struct PathSegment<'a, T: ?Sized>(pub(crate) &'a T);

impl<T: fmt::Display + ?Sized> fmt::Display for PathSegment<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(Escaping(f), "{}", self.0)
    }
}

/// Writes through to a formatter, percent-encoding what a path segment cannot carry as it is.
struct Escaping<'a, 'b>(&'a mut fmt::Formatter<'b>);

impl fmt::Write for Escaping<'_, '_> {
    fn write_str(&mut self, text: &str) -> fmt::Result {
        // Ids, the usual parameters, need no escaping: written as they are.
        if !text.bytes().any(escaped) {
            return self.0.write_str(text);
        }
        let mut rest = text.as_bytes();
        while let Some(at) = rest.iter().position(|&b| escaped(b)) {
            // Everything before `at` is ASCII (every non-ASCII byte is escaped).
            self.0
                .write_str(std::str::from_utf8(&rest[..at]).map_err(|_| fmt::Error)?)?;
            write!(self.0, "%{:02X}", rest[at])?;
            rest = &rest[at + 1..];
        }
        self.0
            .write_str(std::str::from_utf8(rest).map_err(|_| fmt::Error)?)
    }
}

/// Whether a byte of a path segment is percent-encoded.
fn escaped(byte: u8) -> bool {
    ESCAPED[usize::from(byte)]
}

/// [`escaped`] as a table, one lookup per byte.
static ESCAPED: [bool; 256] = {
    let mut table = [false; 256];
    let mut byte = 0;
    while byte < 256 {
        let b = byte as u8;
        table[byte] = !b.is_ascii()
            || b.is_ascii_control()
            || matches!(
                b,
                b' ' | b'"' | b'#' | b'<' | b'>' | b'?' | b'`' | b'{' | b'}' | b'/' | b'%'
            );
        byte += 1;
    }
    table
};

/// The error of a builder field: a required field starts as an empty error (no message is
/// allocated for every builder made), and `message`, the generator's own words ("shipment was
/// not initialized", "no value supplied for currency"), is written only when the field is found
/// unset.
pub(crate) fn unset_field(error: String, message: &'static str) -> String {
    if error.is_empty() {
        message.to_owned()
    } else {
        error
    }
}

/// A builder setter's conversion: `value` into the field's type, or the conversion's error as
/// "`what`: `error`" (for example "team: must not be empty"). One generic function in place of
/// a closure and a `format!` in each of the generated setters, which the compiler checks one by
/// one.
pub(crate) fn convert_field<T, U>(value: T, what: &'static str) -> Result<U, String>
where
    T: TryInto<U>,
    T::Error: fmt::Display,
{
    value.try_into().map_err(|e| format!("{what}: {e}"))
}

/// A builder setter's conversion whose error has no text to keep (progenitor's setters of ids,
/// numbers and enums): `value` into the field's type, or `message`.
pub(crate) fn convert_field_or<T, U>(value: T, message: &'static str) -> Result<U, String>
where
    T: TryInto<U>,
{
    value.try_into().map_err(|_| message.to_owned())
}

/// A list setter's conversion: each item into the element type, or the first item's error as
/// "error converting supplied value for `what`\[`index`\]: `error`".
pub(crate) fn convert_items<T, I, U>(items: T, what: &'static str) -> Result<Vec<U>, String>
where
    T: IntoIterator<Item = I>,
    I: TryInto<U>,
    I::Error: fmt::Display,
{
    items
        .into_iter()
        .enumerate()
        .map(|(index, item)| {
            item.try_into()
                .map_err(|e| format!("error converting supplied value for {what}[{index}]: {e}"))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_segments_are_encoded_as_progenitor_encodes_them() {
        let mut samples: Vec<String> = (0u32..0x300)
            .chain([0x7ff, 0x800, 0xfffd, 0x1_f600, 0x10_ffff])
            .filter_map(char::from_u32)
            .map(|c| format!("a{c}b{c}"))
            .collect();
        samples.extend(
            [
                "",
                "plain-id_0.9~",
                "a/b?c#d%e f",
                "æøå/100%",
                "{x}<y>`z`\"q\"",
            ]
            .map(String::from),
        );
        for sample in samples {
            assert_eq!(
                PathSegment(&sample).to_string(),
                progenitor_client::encode_path(&sample),
                "{sample:?}"
            );
        }
    }

    #[test]
    fn any_display_goes_through_the_encoder() {
        let id = uuid::Uuid::from_u128(0x5f0c8a3c_7d7e_4f4f_9a43_2b1d2a9c1e10);
        assert_eq!(
            format!("/shipments/{}", PathSegment(&id)),
            "/shipments/5f0c8a3c-7d7e-4f4f-9a43-2b1d2a9c1e10"
        );
        assert_eq!(PathSegment(&"50%/x").to_string(), "50%25%2Fx");
    }

    #[test]
    fn an_unset_field_is_named_only_when_it_is_unset() {
        let unset = "shipment was not initialized";
        assert_eq!(unset_field(String::new(), unset), unset);
        assert_eq!(unset_field("team: empty".into(), unset), "team: empty");
    }

    #[test]
    fn a_conversion_error_is_prefixed_with_what_was_converted() {
        let count: Result<u8, String> = convert_field(300u16, "count");
        assert_eq!(
            count.unwrap_err(),
            format!("count: {}", u8::try_from(300u16).unwrap_err())
        );
        assert_eq!(convert_field::<_, u8>(7u16, "count"), Ok(7));
        let page: Result<std::num::NonZeroU64, String> =
            convert_field_or(0u64, "conversion to `NonZeroU64` for page failed");
        assert_eq!(
            page.unwrap_err(),
            "conversion to `NonZeroU64` for page failed"
        );
    }

    #[test]
    fn a_list_conversion_names_the_first_item_that_fails() {
        let sizes: Result<Vec<u8>, String> = convert_items([1u16, 2, 300, 400], "sizes");
        assert_eq!(
            sizes.unwrap_err(),
            format!(
                "error converting supplied value for sizes[2]: {}",
                u8::try_from(300u16).unwrap_err()
            )
        );
        assert_eq!(
            convert_items::<_, _, u8>(vec![1u16, 2], "sizes"),
            Ok(vec![1, 2])
        );
    }

    /// Body builders start required fields unset without a message; the conversion names the
    /// first one missing in typify's words.
    #[cfg(feature = "smartsend")]
    #[test]
    fn a_body_builder_names_a_missing_required_field() {
        use crate::smartsend::types::{DeliveryRequest, ParcelRequest, ShipmentRequest, builder};
        let missing = ShipmentRequest::try_from(builder::ShipmentRequest::default()).unwrap_err();
        assert_eq!(missing.to_string(), "no value supplied for currency");
        let no_parties = ShipmentRequest::try_from(
            ShipmentRequest::builder()
                .currency("DKK")
                .delivery(
                    DeliveryRequest::builder()
                        .carrier("postnord")
                        .service("home"),
                )
                .parcels([ParcelRequest::builder().gross_weight(1250.0)]),
        )
        .unwrap_err();
        assert_eq!(no_parties.to_string(), "no value supplied for parties");
    }
}
