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

pub use documents::DownloadedDocument;
pub use errors::ApiError;
pub use operations::{BookingOutcome, OperationError, OperationHandle};
pub use pagination::Paginate;

/// How the shared runtime treats Smart Send.
pub const PROFILE: crate::runtime::ApiProfile = crate::runtime::ApiProfile {
    name: "smartsend",
    production_url: "https://app.smartsend.io/api/v2",
    auth: crate::runtime::AuthScheme::Bearer,
    idempotent_writes: true,
    credential_env: "SMARTSEND_TOKEN",
    base_url_env: "SMARTSEND_BASE_URL",
};
