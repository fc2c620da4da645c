//! Phygitals Partner API: packs, purchases, inventory, sell-back and shipping of trading cards.
//!
//! The client, its request builders and the types are generated from `openapi/phygitals.yaml`.
//! Production base URL: `https://api.phygitals.com` (sandbox: `https://api.phygitals.com/_`, see
//! [`ClientBuilder::sandbox`](crate::runtime::ClientBuilder::sandbox)); requests authenticate
//! with an `X-API-Key` header. The API does not deduplicate writes, so its POSTs are retried
//! only when the request provably never reached the server.

generated_api!("phygitals");

mod errors;
mod ids;
mod orders;
mod quotes;

pub use errors::PhygitalsError;
pub use ids::{InvalidOrderId, InvalidQuoteId, OrderId, OrderIdProblem, QuoteId, QuoteIdProblem};
pub use orders::{OrderWaitError, is_terminal};
pub use quotes::ShippingQuotes;

/// How the shared runtime treats Phygitals.
pub const PROFILE: crate::runtime::ApiProfile = crate::runtime::ApiProfile {
    name: "phygitals",
    production_url: "https://api.phygitals.com",
    auth: crate::runtime::AuthScheme::ApiKeyHeader("x-api-key"),
    idempotent_writes: false,
    credential_env: "PHYGITALS_API_KEY",
    base_url_env: "PHYGITALS_BASE_URL",
    team_env: None,
};

/// The vendor's online sandbox, which mirrors every route under `/_`.
pub const SANDBOX_URL: &str = "https://api.phygitals.com/_";

impl crate::runtime::ClientBuilder<Client> {
    /// Targets the vendor's online sandbox ([`SANDBOX_URL`]); use a `sandbox-` API key.
    pub fn sandbox(self) -> Self {
        self.base_url(SANDBOX_URL)
    }
}
