//! The Smart Send operations. (Being written.)

use std::sync::Arc;

use axum::Router;

use crate::Shared;

/// Every Smart Send route, at the spec's paths.
pub fn routes(_shared: Arc<Shared>) -> Router {
    Router::new()
}
