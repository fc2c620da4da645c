//! Smart Send API v2, served under [`PREFIX`]: shipments, booking (also asynchronous), batches,
//! rates, routing services and service points, per team, with idempotent writes.

use std::sync::Arc;

use axum::Router;
use axum::middleware::from_fn_with_state;

use crate::Shared;

pub mod auth;
mod idempotency;
pub mod problem;

mod routes;

pub use auth::Caller;

/// Where Smart Send is served: the spec's paths follow (`/smartsend/api/v2/team/{team}/...`).
pub const PREFIX: &str = "/smartsend/api/v2";

/// The Smart Send router, with authentication, team scoping and idempotency around every route.
pub fn router(shared: Arc<Shared>) -> Router {
    let keys = Arc::new(idempotency::Store::new(shared.clock.clone()));
    // The API's routes are authenticated; the public ones (label downloads) are merged after.
    let (api, public) = routes::routes(shared.clone());
    api.route_layer(axum::middleware::from_fn(crate::faults::processing_time))
        .route_layer(from_fn_with_state(keys, idempotency::layer))
        .route_layer(from_fn_with_state(shared, auth::require))
        .merge(public)
        .fallback(auth::not_found)
        .method_not_allowed_fallback(auth::method_not_allowed)
}
