//! What every request meets before an API's routes, and every response after: the body limit,
//! `Request-ID`, `Date` (the sandbox's clock), injected faults, `Allow` on 405, and (in tests) the check of each response
//! against the spec.

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{Next, from_fn_with_state};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::server::ConnectionKiller;
use crate::smartsend::problem::{Kind, Language, Problem};
use crate::spec::SpecApi;
use crate::{Shared, faults, phygitals, smartsend};

/// The whole application: both APIs under their prefixes, and the ledger.
pub(crate) fn app(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/__sandbox/ledger", get(ledger))
        .route("/__sandbox/health", get(health))
        .with_state(shared.clone())
        .nest(
            smartsend::PREFIX,
            smartsend::router(shared.clone()).layer(from_fn_with_state(
                (shared.clone(), SpecApi::SmartSend),
                front,
            )),
        )
        .nest(
            phygitals::PREFIX,
            phygitals::router(shared.clone())
                .layer(from_fn_with_state((shared, SpecApi::Phygitals), front)),
        )
        .fallback(not_found)
}

/// A path no route takes (the prefixes themselves, say): a 404 in the format of the API whose
/// prefix it is under, or plain JSON outside both.
async fn not_found(request: Request) -> Response {
    let path = request.uri().path();
    let language = Language::negotiate(request.headers());
    if path.starts_with(smartsend::PREFIX) {
        api_error(SpecApi::SmartSend, Kind::NotFound, language, None)
    } else {
        phygitals::error(StatusCode::NOT_FOUND, "Not found").into_response()
    }
}

/// A constant-cost answer: the server's floor for load tests (the ledger grows with every write).
async fn health() -> Response {
    axum::Json(serde_json::json!({"ok": true})).into_response()
}

async fn ledger(State(shared): State<Arc<Shared>>) -> Response {
    axum::Json(shared.ledger.to_json()).into_response()
}

/// An error in the API's own format.
fn api_error(api: SpecApi, kind: Kind, language: Language, detail: Option<String>) -> Response {
    match api {
        SpecApi::SmartSend => {
            let problem = Problem::new(kind, language);
            match detail {
                Some(detail) => problem.detail(detail).into_response(),
                None => problem.into_response(),
            }
        }
        SpecApi::Phygitals => {
            let message = match kind {
                Kind::MalformedJson => "Invalid JSON body",
                Kind::PayloadTooLarge => "Request body too large",
                Kind::Unavailable => "Service unavailable",
                Kind::InvalidHeader => "Invalid header",
                _ => "An unexpected error occurred",
            };
            phygitals::error(kind.status(), message).into_response()
        }
    }
}

async fn front(
    State((shared, api)): State<(Arc<Shared>, SpecApi)>,
    request: Request,
    next: Next,
) -> Response {
    let language = Language::negotiate(request.headers());
    // The path below the API's prefix, as the spec writes it (whether or not nesting stripped it).
    let prefix = match api {
        SpecApi::SmartSend => smartsend::PREFIX,
        SpecApi::Phygitals => phygitals::PREFIX,
    };
    let full_path = request.uri().path();
    let path = full_path
        .strip_prefix(prefix)
        .unwrap_or(full_path)
        .to_owned();
    let method = request.method().clone();

    // Request-ID: Smart Send validates it; both echo it, or make one up.
    // Checked against the spec's `RequestId` parameter, not with the client's code.
    let made_up = || uuid::Uuid::new_v4().to_string();
    let request_id = match request.headers().get("request-id") {
        Some(value) => match SpecApi::SmartSend.checked_header("RequestId", value) {
            Ok(id) => id,
            Err(reason) if api == SpecApi::SmartSend => {
                return api_error(api, Kind::InvalidHeader, language, Some(reason));
            }
            Err(_) => made_up(),
        },
        None => made_up(),
    };
    let mut response = process(&shared, api, language, request, next).await;
    if response.status() == StatusCode::METHOD_NOT_ALLOWED
        && let Some(template) = api.path_template(&path)
        && let Ok(allow) = HeaderValue::from_str(&api.methods(template).join(", "))
    {
        response.headers_mut().insert(header::ALLOW, allow);
    }
    if shared.config.validate_responses {
        response = check_against_spec(&shared, api, method.as_str(), &path, response).await;
    }
    if let Ok(value) = HeaderValue::from_str(&request_id) {
        response.headers_mut().insert("request-id", value);
    }
    // The server's time, on the sandbox's clock (hyper would stamp the real one): a client that
    // measures the age of an Idempotency-Key measures it where the key expires.
    if let Ok(value) = HeaderValue::from_str(&shared.clock.http_date()) {
        response.headers_mut().insert(header::DATE, value);
    }
    response
}

/// Body limit and faults around the API's routes.
async fn process(
    shared: &Shared,
    api: SpecApi,
    language: Language,
    request: Request,
    next: Next,
) -> Response {
    let chosen = match shared.config.faults.choose(
        request
            .headers()
            .get(faults::HEADER)
            .and_then(|v| v.to_str().ok()),
    ) {
        Ok(chosen) => chosen,
        Err(reason) => return api_error(api, Kind::InvalidHeader, language, Some(reason)),
    };
    if chosen.error_before {
        return api_error(api, Kind::BadGateway, language, None);
    }
    if chosen.unavailable {
        let mut response = api_error(api, Kind::Unavailable, language, None);
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        return response;
    }
    let killer = request.extensions().get::<ConnectionKiller>().cloned();
    let limit = shared.config.body_limit;
    let (parts, body) = request.into_parts();
    let declared_too_large = parts
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok())
        .is_some_and(|length| length > limit);
    let bytes = match axum::body::to_bytes(body, limit).await {
        Ok(bytes) if !declared_too_large => bytes,
        _ => return api_error(api, Kind::PayloadTooLarge, language, None),
    };
    let mut request = Request::from_parts(parts, Body::from(bytes));
    // Latency is spent inside the routes (see `faults::processing_time`), where a request is
    // "still being processed" as far as idempotency is concerned.
    request.extensions_mut().insert(chosen);
    let response = next.run(request).await;
    if chosen.drop_after_commit
        && let Some(killer) = killer
    {
        // The write is done (and, for an idempotent one, stored): the client never hears.
        drop(response);
        killer.kill();
        return std::future::pending::<Response>().await;
    }
    response
}

/// Records a violation when `response` is not what the spec says for this operation and status.
async fn check_against_spec(
    shared: &Shared,
    api: SpecApi,
    method: &str,
    path: &str,
    response: Response,
) -> Response {
    let status = response.status();
    let Some(template) = api.path_template(path) else {
        return response;
    };
    if status == StatusCode::METHOD_NOT_ALLOWED {
        return response;
    }
    let (parts, body) = response.into_parts();
    let bytes = axum::body::to_bytes(body, usize::MAX)
        .await
        .unwrap_or_default();
    let problem = match api.response_schema(template, method, status.as_u16()) {
        None => Some("the spec documents no JSON body for this status".to_owned()),
        Some(schema) => match serde_json::from_slice::<serde_json::Value>(&bytes) {
            Err(e) => Some(format!("the body is not JSON: {e}")),
            Ok(value) => api.validate(schema, &value).err().map(|errors| {
                errors
                    .iter()
                    .map(|e| format!("{}: {}", e.path, e.message))
                    .collect::<Vec<_>>()
                    .join("; ")
            }),
        },
    };
    if let Some(problem) = problem {
        shared
            .violations
            .lock()
            .expect("violations lock")
            .push(format!(
                "{} {method} {path} -> {}: {problem}",
                api.name(),
                status.as_u16()
            ));
    }
    Response::from_parts(parts, Body::from(bytes))
}
