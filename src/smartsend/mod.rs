//! Smart Send API v2: shipments, booking, booking batches, rates, services and service points.
//!
//! The client, its request builders and the types are generated from `openapi/smartsend.yaml`.
//! Production base URL: `https://app.smartsend.io/api/v2`; requests authenticate with a bearer
//! token.

generated_api!("smartsend");

// The generated client calls these hooks around every request. The defaults send the request
// as built; the shared runtime (retries, Request-ID, Idempotency-Key) plugs in here.
impl progenitor_client::ClientHooks for Client {}
