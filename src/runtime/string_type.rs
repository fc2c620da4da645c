//! The conversions every validated string type of parcelkit shares, written once.

/// Implements `Display`, `FromStr`, `TryFrom<&str>`, `TryFrom<String>`, `AsRef<str>` and
/// `From<T> for String` for a string type that is valid by construction, given its error type
/// and its validating constructors. The type must have `as_str(&self) -> &str` and
/// `into_string(self) -> String`. (`Debug` is left to each type.)
macro_rules! string_type_impls {
    ($ty:ident, $err:ty, parse: $parse:path, parse_owned: $parse_owned:path) => {
        impl ::std::fmt::Display for $ty {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::std::str::FromStr for $ty {
            type Err = $err;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                $parse(s)
            }
        }

        impl TryFrom<&str> for $ty {
            type Error = $err;
            fn try_from(s: &str) -> Result<Self, Self::Error> {
                $parse(s)
            }
        }

        impl TryFrom<String> for $ty {
            type Error = $err;
            fn try_from(s: String) -> Result<Self, Self::Error> {
                $parse_owned(s)
            }
        }

        impl AsRef<str> for $ty {
            fn as_ref(&self) -> &str {
                self.as_str()
            }
        }

        impl From<$ty> for String {
            fn from(value: $ty) -> String {
                value.into_string()
            }
        }
    };
}
pub(crate) use string_type_impls;
