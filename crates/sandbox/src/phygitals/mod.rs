//! The Phygitals Partner API, served under [`PREFIX`], as the vendor's sandbox behaves: any
//! `X-API-Key` starting `sandbox-` is a partner with its own state.

use std::sync::Arc;

use axum::Json;
use axum::Router;
use axum::extract::Request;
use axum::http::StatusCode;
use axum::middleware::{Next, from_fn};
use axum::response::{IntoResponse, Response};

use crate::Shared;

mod address;
mod catalogue;
mod routes;
mod state;

/// Where Phygitals is served: the spec's paths follow (`/phygitals/api/v1/...`).
pub const PREFIX: &str = "/phygitals";

/// The partner a request is for (an extension): its API key.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Partner(pub String);

/// `{"error": message}` with `status`: every Phygitals error.
///
/// ```
/// use axum::response::IntoResponse;
/// let response = parcelkit_sandbox::phygitals::error(axum::http::StatusCode::BAD_REQUEST, "Quote expired");
/// assert_eq!(response.into_response().status(), 400);
/// ```
pub fn error(status: StatusCode, message: &str) -> impl IntoResponse + use<> {
    (
        status,
        Json(parcelkit::phygitals::types::Error {
            error: message.to_owned(),
        }),
    )
}

/// The Phygitals router, with the API key check around every route.
pub fn router(shared: Arc<Shared>) -> Router {
    routes::routes(shared)
        .route_layer(from_fn(crate::faults::processing_time))
        .route_layer(from_fn(require_key))
        .fallback(|| async { error(StatusCode::NOT_FOUND, "Not found") })
        .method_not_allowed_fallback(|| async {
            error(StatusCode::METHOD_NOT_ALLOWED, "Method not allowed")
        })
}

/// Middleware: `X-API-Key` must start with `sandbox-`; it names the partner.
async fn require_key(mut request: Request, next: Next) -> Response {
    let key = request
        .headers()
        .get("x-api-key")
        .and_then(|v| v.to_str().ok())
        .filter(|k| k.starts_with("sandbox-"))
        .map(str::to_owned);
    match key {
        Some(key) => {
            request.extensions_mut().insert(Partner(key));
            next.run(request).await
        }
        None => error(StatusCode::UNAUTHORIZED, "Invalid API key").into_response(),
    }
}
