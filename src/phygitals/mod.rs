//! Phygitals Partner API: packs, purchases, inventory, sell-back and shipping of trading cards.
//!
//! The client, its request builders and the types are generated from `openapi/phygitals.yaml`.
//! Production base URL: `https://api.phygitals.com` (sandbox: `https://api.phygitals.com/_`);
//! requests authenticate with an `X-API-Key` header.

generated_api!("phygitals");

// The generated client calls these hooks around every request. The defaults send the request
// as built; the shared runtime (retries, Request-ID) plugs in here.
impl progenitor_client::ClientHooks for Client {}
