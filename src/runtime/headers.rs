//! The names of the headers the runtime reads and writes, in one place for the client, the
//! decoder and the error.

use reqwest::header::HeaderName;

/// `Request-ID`: sent on every request, echoed by the server.
pub(crate) const REQUEST_ID: HeaderName = HeaderName::from_static("request-id");
/// `Idempotency-Key`: sent on every Smart Send write.
pub(crate) const IDEMPOTENCY_KEY: HeaderName = HeaderName::from_static("idempotency-key");
/// `Idempotency-Replayed: true`: the server answered from its idempotency store.
pub(crate) const IDEMPOTENCY_REPLAYED: &str = "idempotency-replayed";
