//! Bearer tokens bound to teams: an unknown or missing token is 401; a team the token is not
//! bound to is 404, exactly like a team that does not exist, so nothing about other teams leaks.

use std::sync::Arc;

use axum::extract::{RawPathParams, Request, State};
use axum::http::{HeaderMap, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::problem::{Kind, Language, Problem};
use crate::Shared;

/// Who is calling, set on every authenticated Smart Send request (an extension).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// The bearer token (scopes idempotency keys).
    pub token: String,
    /// The team of the path.
    pub team: String,
    /// The negotiated language of texts.
    pub language: Language,
}

/// Middleware: authenticates, checks the team, and adds [`Caller`].
pub async fn require(
    State(shared): State<Arc<Shared>>,
    params: RawPathParams,
    mut request: Request,
    next: Next,
) -> Response {
    let language = Language::negotiate(request.headers());
    // The middleware sees the path below the nesting prefix; the instance is the full path,
    // as on every other problem.
    let instance = format!("{}{}", super::PREFIX, request.uri().path());
    let token = bearer(request.headers());
    let tokens = shared.config.effective_tokens();
    let Some(teams) = token.as_deref().and_then(|t| tokens.get(t)) else {
        return Problem::new(Kind::Unauthenticated, language)
            .instance(instance)
            .header(
                header::WWW_AUTHENTICATE,
                header::HeaderValue::from_static("Bearer"),
            )
            .into_response();
    };
    let team = params
        .iter()
        .find(|(name, _)| *name == "team")
        .map(|(_, value)| value.to_owned());
    let Some(team) = team.filter(|team| teams.contains(team)) else {
        return Problem::new(Kind::NotFound, language)
            .instance(instance)
            .into_response();
    };
    request.extensions_mut().insert(Caller {
        token: token.expect("checked above"),
        team,
        language,
    });
    next.run(request).await
}

fn bearer(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim().to_owned())
        .filter(|t| !t.is_empty())
}

/// Fallback for paths Smart Send does not have.
pub async fn not_found(request: Request) -> Response {
    Problem::new(Kind::NotFound, Language::negotiate(request.headers()))
        .instance(request.uri().path())
        .into_response()
}

/// Fallback for a method a path does not take (the `Allow` header is added in front).
pub async fn method_not_allowed(request: Request) -> Response {
    Problem::new(
        Kind::MethodNotAllowed,
        Language::negotiate(request.headers()),
    )
    .instance(request.uri().path())
    .into_response()
}
