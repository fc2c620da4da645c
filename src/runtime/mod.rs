//! The runtime both API clients share: header values that are valid by construction
//! ([`IdempotencyKey`], [`RequestId`]), the retry policy and the retry engine. Nothing here is
//! specific to one API.

mod client;
mod clock;
// Public only so the conformance suite can fuzz exactly what `send()` runs; not part of the API.
#[doc(hidden)]
pub mod decode;
mod error;
mod header_token;
mod headers;
mod idempotency;
mod json_path;
mod language;
mod path;
mod poll;
mod random;
mod request_id;
mod retry;
mod retry_loop;
mod string_type;
mod text;
mod time;

pub(crate) use client::Call;
pub use client::{
    ApiClient, ApiProfile, AuthScheme, BuildError, ClientBuilder, ClientContext, ResponseMeta,
};
pub use clock::{Clock, ManualClock, SystemClock};
pub use error::{Error, ErrorBody, ErrorDetails, ErrorKind, MAX_ERROR_BODY, RetryAdvice};
pub use header_token::InvalidHeaderValue;
pub use idempotency::{IdempotencyKey, canonical_json};
pub use language::{AcceptLanguage, InvalidLanguage, LanguagePreference};
pub(crate) use path::{PathSegment, convert_field, convert_field_or, convert_items, unset_field};
pub(crate) use poll::PollClock;
pub use poll::PollPolicy;
pub use request_id::RequestId;
pub use retry::{Jitter, RetryPolicy, is_retryable_status, parse_retry_after};
pub(crate) use string_type::string_type_impls;
pub use text::OptionalText;
pub use time::{Date, InvalidTime, Timestamp};
