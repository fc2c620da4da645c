//! What an optional text field of a request body accepts: `.reference("order-1")` as well as
//! `.reference(Some(name))` or `.reference(None)`.

/// A value for an optional text field of a generated body builder (`Option<String>`): a `&str`,
/// a `String`, an `Option` of either, or a `&String`. parcelkit-codegen makes those setters take
/// it, because the generator's own bound (`TryInto<Option<String>>`) refuses a plain `&str`.
///
/// ```
/// use parcelkit::smartsend::types::ShipmentRequest;
///
/// let with = ShipmentRequest::builder().reference("Order-5521").invoice_number(Some("INV-1"));
/// let without = ShipmentRequest::builder().reference(None::<String>);
/// # let _ = (with, without);
/// ```
pub trait OptionalText {
    /// The field's value.
    fn into_optional_text(self) -> Option<String>;
}

impl OptionalText for &str {
    fn into_optional_text(self) -> Option<String> {
        Some(self.to_owned())
    }
}

impl OptionalText for String {
    fn into_optional_text(self) -> Option<String> {
        Some(self)
    }
}

impl OptionalText for &String {
    fn into_optional_text(self) -> Option<String> {
        Some(self.clone())
    }
}

impl<T: OptionalText> OptionalText for Option<T> {
    fn into_optional_text(self) -> Option<String> {
        self.and_then(OptionalText::into_optional_text)
    }
}
