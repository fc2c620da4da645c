//! Smart Send API v2: shipments, booking, booking batches, rates, services and service points.
//!
//! The client, its request builders and the types are generated from `openapi/smartsend.yaml`.
//! Production base URL: `https://app.smartsend.io/api/v2`; requests authenticate with a bearer
//! token. Every POST and DELETE carries an `Idempotency-Key` (yours, or a random one made once
//! per call), so writes are retried as safely as reads.

generated_api!("smartsend");

mod documents;
mod errors;
mod operations;
mod pagination;
mod respond_async;

pub use documents::DownloadedDocument;
pub use errors::KEY_REUSED_PROBLEM_TYPE;
pub use operations::{BookingOutcome, OperationError, OperationHandle};
pub use pagination::Paginate;
pub use respond_async::RespondAsync;

/// How the shared runtime treats Smart Send.
pub const PROFILE: crate::runtime::ApiProfile = crate::runtime::ApiProfile {
    name: "smartsend",
    production_url: "https://app.smartsend.io/api/v2",
    auth: crate::runtime::AuthScheme::Bearer,
    idempotent_writes: true,
    credential_env: "SMARTSEND_TOKEN",
    base_url_env: "SMARTSEND_BASE_URL",
    team_env: Some("SMARTSEND_TEAM"),
};

impl Client {
    /// This client scoped to `team`: its operations need no `.team(..)` (one can still set
    /// another). A cheap copy: the connection pool and credentials are shared. A default team
    /// can also come from the builder (`.team(..)`) or `SMARTSEND_TEAM` (`from_env`).
    ///
    /// ```no_run
    /// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
    /// let client = parcelkit::smartsend::Client::builder().token("my-token").build()?;
    /// let shop = client.team("ad9546c1-393e-49a5-9a72-5cc146c9bec5");
    /// let services = shop.list_services().send().await?;
    /// println!("{} services", services.data.len());
    /// # Ok(()) }
    /// ```
    pub fn team(&self, team: impl Into<String>) -> Client {
        Client::new_with_client(
            &self.baseurl,
            self.client.clone(),
            self.inner.with_team(team.into()),
        )
    }
}
