//! parcelkit: a Rust SDK for the [Smart Send API v2](smartsend) (multi-carrier shipping) and the
//! [Phygitals Partner API](phygitals) (trading-card vending, shipping and sell-back).
//!
//! Each API's client is generated at build time from the hand-written OpenAPI spec in `openapi/`
//! (progenitor, through `parcelkit-codegen`); the reviewed copy of that code is in `generated/`.
//! Every operation is a builder on the API's `Client`:
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use parcelkit::smartsend::Client;
//!
//! let client = Client::builder().token("my-token").user_agent("my-shop/1.0").build()?;
//! let shipment = client
//!     .get_shipment()
//!     .team("ad9546c1-393e-49a5-9a72-5cc146c9bec5")
//!     .shipment(uuid::Uuid::parse_str("550e8400-e29b-41d4-a716-446655440000")?)
//!     .send()
//!     .await?;
//! println!("state: {:?}", shipment.data.state);
//! # Ok(()) }
//! ```
#![warn(missing_docs)]
// Built with neither API feature, the runtime's request plumbing (used only by the API modules'
// hooks) has no caller and the error's details cannot exist; that configuration is still valid
// (CI builds it), just not useful.
#![cfg_attr(
    not(any(feature = "smartsend", feature = "phygitals")),
    allow(dead_code, unused_imports, unused_variables, unreachable_code)
)]

/// Declares the module contents for one generated API: the generated code in a private module,
/// its public items re-exported, and (with the `httpmock` feature) the typed mock helpers.
#[cfg(any(feature = "smartsend", feature = "phygitals"))]
macro_rules! generated_api {
    ($name:literal) => {
        #[allow(missing_docs, unused_imports, clippy::all, clippy::pedantic)]
        mod generated {
            include!(concat!(env!("OUT_DIR"), "/", $name, ".rs"));
        }

        /// The error of every call: parcelkit's one [`Error`](crate::Error) type.
        pub use crate::Error;
        pub use generated::{ByteStream, Client, ResponseValue, builder, prelude, types};

        impl Client {
            /// A builder for this API's client: base URL (default: production), credential,
            /// User-Agent, timeouts, retry policy, default language.
            pub fn builder() -> $crate::runtime::ClientBuilder<Client> {
                $crate::runtime::ClientBuilder::new()
            }

            /// A client configured from the environment (credential and, optionally, base URL);
            /// see [`ClientBuilder::from_env`]($crate::runtime::ClientBuilder::from_env).
            pub fn from_env() -> Result<Client, $crate::runtime::BuildError> {
                $crate::runtime::ClientBuilder::from_env()?.build()
            }

            /// The runtime state: retry policy and the rest (credentials redacted in `Debug`).
            pub fn context(&self) -> &$crate::runtime::ClientContext {
                &self.inner
            }

            /// This client with another retry policy, for the calls made through it (a cheap
            /// copy: the connection pool and credentials are shared).
            pub fn with_retry_policy(&self, policy: $crate::RetryPolicy) -> Client {
                Client::new_with_client(
                    &self.baseurl,
                    self.client.clone(),
                    self.inner.with_retry_policy(policy),
                )
            }

            /// This client with another timeout for each attempt of the calls made through it
            /// (from sending to the last byte of the answer; the call's deadline still bounds
            /// the whole call). For one call: `client.with_timeout(d).get_shipment()...`.
            pub fn with_timeout(&self, timeout: std::time::Duration) -> Client {
                Client::new_with_client(
                    &self.baseurl,
                    self.client.clone(),
                    self.inner.with_attempt_timeout(timeout),
                )
            }

            /// The default team its operations use unless they set their own (for a Smart Send
            /// client: every resource belongs to a team).
            #[doc(hidden)]
            pub fn default_team(&self) -> Option<&str> {
                self.inner.default_team()
            }

            /// This client with another deadline for each call made through it: every attempt
            /// and every wait between attempts ends by then (`None`: no deadline). For one
            /// call: `client.with_deadline(Some(Duration::from_secs(5))).get_shipment()...`.
            pub fn with_deadline(&self, deadline: Option<std::time::Duration>) -> Client {
                self.with_retry_policy(self.inner.retry_policy().clone().with_deadline(deadline))
            }
        }

        impl $crate::runtime::ApiClient for Client {
            const PROFILE: $crate::runtime::ApiProfile = PROFILE;

            fn from_parts(
                base_url: &str,
                http: reqwest::Client,
                context: $crate::runtime::ClientContext,
            ) -> Self {
                Client::new_with_client(base_url, http, context)
            }
        }

        // The hooks, for whoever calls them; the generated `send()` calls the runtime itself
        // (codegen's `slim_call`): `prepare` fills in the headers the caller did not set, and
        // `execute` sends with retries. Shared by both APIs.
        impl progenitor_client::ClientHooks<$crate::runtime::ClientContext> for Client {
            async fn pre<E>(
                &self,
                request: &mut reqwest::Request,
                _info: &progenitor_client::OperationInfo,
            ) -> Result<(), progenitor_client::Error<E>> {
                self.inner.prepare(request);
                Ok(())
            }

            // For callers of the hook (the generated `send()` calls the runtime itself): the
            // response's body reads as usual, from the bytes the runtime read.
            async fn exec(
                &self,
                request: reqwest::Request,
                info: &progenitor_client::OperationInfo,
            ) -> reqwest::Result<reqwest::Response> {
                let response = self
                    .inner
                    .execute(&self.client, request, info.operation_id)
                    .await?;
                Ok($crate::runtime::decode::readable(response))
            }
        }

        /// Typed [httpmock](https://docs.rs/httpmock) helpers: one `MockServerExt` method per
        /// operation, with `When`/`Then` builders typed by the spec. For scripted client tests.
        #[cfg(feature = "httpmock")]
        #[allow(missing_docs, unused_imports, clippy::all, clippy::pedantic)]
        pub mod mock {
            include!(concat!(env!("OUT_DIR"), "/", $name, "_httpmock.rs"));
        }
    };
}

pub mod runtime;

pub use runtime::{
    AcceptLanguage, BuildError, Error, ErrorDetails, ErrorKind, IdempotencyKey, InvalidHeaderValue,
    Jitter, MAX_ERROR_BODY, PollPolicy, RequestId, ResponseMeta, RetryAdvice, RetryPolicy,
    canonical_json, is_retryable_status, parse_retry_after,
};
pub use runtime::{Date, InvalidTime, Timestamp};

/// Money in both APIs (`format: decimal` in the specs): an exact decimal, read and sent as a
/// JSON number, so `19.85` stays `19.85` and sums do not drift.
///
/// ```
/// use parcelkit::Decimal;
///
/// let net: Decimal = "399.20".parse().unwrap();
/// let tax = net * Decimal::new(25, 2); // 25 % VAT
/// assert_eq!(tax.to_string(), "99.8000");
/// assert_eq!(serde_json::to_string(&tax.normalize()).unwrap(), "99.8");
/// ```
pub use rust_decimal::Decimal;

#[cfg(feature = "smartsend")]
pub mod smartsend;

#[cfg(feature = "phygitals")]
pub mod phygitals;

// The README's Rust examples compile as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
