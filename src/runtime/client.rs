//! Client construction and the per-request behaviour both APIs share: credentials, User-Agent,
//! `Request-ID`, automatic `Idempotency-Key`s, default language and retries. The generated
//! `send()`s call it directly (`prepare` fills in headers, `execute` sends with retries), and so
//! do progenitor's hooks `pre` and `exec`; each API only supplies an [`ApiProfile`].

use std::fmt;
use std::marker::PhantomData;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use reqwest::Method;
use reqwest::header::{
    ACCEPT_LANGUAGE, AUTHORIZATION, CONTENT_LENGTH, HeaderMap, HeaderName, HeaderValue, USER_AGENT,
};
use tracing::Instrument;

use super::clock::{Clock, SystemClock};
use super::decode::{ReadBody, read_capped};
use super::error::{self, CallRecord, Captured};
use super::retry_loop::{AttemptOutcome, RetrySafety, classify, run_with_retries};
use super::{AcceptLanguage, IdempotencyKey, Jitter, RequestId, RetryPolicy};

use super::headers::{IDEMPOTENCY_KEY, IDEMPOTENCY_REPLAYED, REQUEST_ID};

/// How an API authenticates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum AuthScheme {
    /// `Authorization: Bearer <token>` (Smart Send).
    Bearer,
    /// The key in a header of its own (Phygitals: `X-API-Key`).
    ApiKeyHeader(&'static str),
}

/// What the shared runtime needs to know about one API.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ApiProfile {
    /// Short name, used in logs and messages (`smartsend`).
    pub name: &'static str,
    /// The production base URL, the default.
    pub production_url: &'static str,
    /// How requests authenticate.
    pub auth: AuthScheme,
    /// Whether the API deduplicates writes by `Idempotency-Key` (then every POST and DELETE
    /// gets one, and writes are retried like reads).
    pub idempotent_writes: bool,
    /// The environment variable [`ClientBuilder::from_env`] reads the credential from.
    pub credential_env: &'static str,
    /// The environment variable that overrides the base URL.
    pub base_url_env: &'static str,
    /// The environment variable [`ClientBuilder::from_env`] reads the default team from, for an
    /// API whose resources belong to a team (Smart Send: `SMARTSEND_TEAM`).
    pub team_env: Option<&'static str>,
}

/// A generated API client the shared builder can construct.
pub trait ApiClient: Sized {
    /// The API's profile.
    const PROFILE: ApiProfile;

    /// Assembles the client (called by [`ClientBuilder::build`]).
    fn from_parts(base_url: &str, http: reqwest::Client, context: ClientContext) -> Self;
}

/// A credential: never printed, never logged.
#[derive(Clone)]
struct Secret(String);

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// Why a client could not be built.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum BuildError {
    /// The base URL does not parse or is not http(s).
    InvalidBaseUrl(String),
    /// The credential cannot be sent in a header (control characters, say). The value is not
    /// repeated here.
    InvalidCredential,
    /// The product given for the User-Agent cannot be sent in a header.
    InvalidUserAgent(String),
    /// The default language cannot be sent (an empty list).
    InvalidLanguage(String),
    /// A size limit of zero.
    InvalidLimit(&'static str),
    /// `from_env` found no credential in this variable.
    MissingEnv(&'static str),
    /// reqwest could not build its client.
    Http(String),
}

impl fmt::Display for BuildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BuildError::InvalidBaseUrl(why) => write!(f, "invalid base URL: {why}"),
            BuildError::InvalidCredential => f.write_str(
                "the credential contains characters that cannot be sent in an HTTP header",
            ),
            BuildError::InvalidUserAgent(p) => write!(f, "invalid User-Agent product {p:?}"),
            BuildError::InvalidLanguage(why) => write!(f, "invalid default language: {why}"),
            BuildError::InvalidLimit(what) => write!(f, "{what} must be at least 1 byte"),
            BuildError::MissingEnv(var) => write!(f, "environment variable {var} is not set"),
            BuildError::Http(why) => write!(f, "cannot build the HTTP client: {why}"),
        }
    }
}

impl std::error::Error for BuildError {}

/// Builds an API client: base URL, credential, User-Agent, timeouts, retry policy, default
/// language, or your own `reqwest::Client`. Obtained from `smartsend::Client::builder()` or
/// `phygitals::Client::builder()`.
///
/// ```
/// use std::time::Duration;
/// use parcelkit::{smartsend, RetryPolicy};
///
/// let client = smartsend::Client::builder()
///     .base_url("http://127.0.0.1:4010/smartsend/api/v2")
///     .token("sandbox-token")
///     .user_agent("my-shop/2.3.1")
///     .timeout(Duration::from_secs(20))
///     .retry_policy(RetryPolicy::default().with_max_attempts(5))
///     .language("da-DK, da;q=0.9, en;q=0.8".parse()?)
///     .build()?;
/// assert!(!format!("{client:?}").contains("sandbox-token"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct ClientBuilder<C> {
    base_url: Option<String>,
    credential: Option<Secret>,
    product: Option<String>,
    timeout: Duration,
    connect_timeout: Duration,
    retry: RetryPolicy,
    language: Option<AcceptLanguage>,
    team: Option<String>,
    max_response_body: usize,
    http: Option<reqwest::Client>,
    clock: Option<Arc<dyn Clock>>,
    jitter_seed: Option<u64>,
    api: PhantomData<fn() -> C>,
}

impl<C> fmt::Debug for ClientBuilder<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("base_url", &self.base_url)
            .field("credential", &self.credential)
            .field("product", &self.product)
            .field("timeout", &self.timeout)
            .field("connect_timeout", &self.connect_timeout)
            .field("retry", &self.retry)
            .field("language", &self.language)
            .field("max_response_body", &self.max_response_body)
            .finish_non_exhaustive()
    }
}

impl<C: ApiClient> Default for ClientBuilder<C> {
    fn default() -> Self {
        Self::new()
    }
}

impl<C: ApiClient> ClientBuilder<C> {
    /// Production base URL, no credential, 30 s per attempt (10 s to connect), default retries
    /// (3 attempts within a 60 s deadline per call), responses up to 32 MiB.
    pub fn new() -> Self {
        ClientBuilder {
            base_url: None,
            credential: None,
            product: None,
            timeout: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(10),
            retry: RetryPolicy::default(),
            language: None,
            team: None,
            max_response_body: DEFAULT_MAX_RESPONSE_BODY,
            http: None,
            clock: None,
            jitter_seed: None,
            api: PhantomData,
        }
    }

    /// Reads the credential (`SMARTSEND_TOKEN` / `PHYGITALS_API_KEY`) and, when set, the base URL
    /// (`SMARTSEND_BASE_URL` / `PHYGITALS_BASE_URL`) and Smart Send's default team
    /// (`SMARTSEND_TEAM`) from the environment.
    pub fn from_env() -> Result<Self, BuildError> {
        let profile = C::PROFILE;
        let credential = std::env::var(profile.credential_env)
            .ok()
            .filter(|v| !v.is_empty())
            .ok_or(BuildError::MissingEnv(profile.credential_env))?;
        let mut builder = Self::new().credential(credential);
        if let Some(url) = std::env::var(profile.base_url_env)
            .ok()
            .filter(|v| !v.is_empty())
        {
            builder = builder.base_url(url);
        }
        if let Some(team) = profile
            .team_env
            .and_then(|var| std::env::var(var).ok())
            .filter(|v| !v.is_empty())
        {
            builder = builder.team(team);
        }
        Ok(builder)
    }

    /// The API's base URL (default: production).
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = Some(url.into());
        self
    }

    /// The credential: Smart Send's bearer token or Phygitals' API key (also [`Self::token`] and
    /// [`Self::api_key`], whichever reads better).
    pub fn credential(mut self, credential: impl Into<String>) -> Self {
        self.credential = Some(Secret(credential.into()));
        self
    }

    /// Smart Send's bearer token.
    pub fn token(self, token: impl Into<String>) -> Self {
        self.credential(token)
    }

    /// Phygitals' API key.
    pub fn api_key(self, key: impl Into<String>) -> Self {
        self.credential(key)
    }

    /// Your product, `name/version` (e.g. `my-shop/2.3.1 (MyPlatform/1.0)`), put before
    /// `parcelkit/<version>` in the User-Agent, as Smart Send asks integrators to.
    pub fn user_agent(mut self, product: impl Into<String>) -> Self {
        self.product = Some(product.into());
        self
    }

    /// The timeout of each attempt, from sending to the last byte of the answer (default 30 s).
    /// A call's attempts and the waits between them are bounded as a whole by the retry
    /// policy's deadline ([`RetryPolicy::with_deadline`], default 60 s): an attempt never runs
    /// past it.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The connect timeout (each attempt, default 10 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// When and how often requests are retried.
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// The `Accept-Language` sent when a call does not set its own (a call sets its own with
    /// `.accept_language(..)` on the operation).
    pub fn language(mut self, accept_language: AcceptLanguage) -> Self {
        self.language = Some(accept_language);
        self
    }

    /// The team every operation uses unless it sets its own (Smart Send scopes every resource to
    /// a team): operations then need no `.team(..)`. See also `Client::team`.
    pub fn team(mut self, team: impl Into<String>) -> Self {
        self.team = Some(team.into());
        self
    }

    /// The largest response body read (default 32 MiB). A larger success body is an error
    /// that says so; error bodies are read up to [`MAX_ERROR_BODY`](super::MAX_ERROR_BODY)
    /// whatever this says. What lies past a cap is never read into memory.
    pub fn max_response_body(mut self, bytes: usize) -> Self {
        self.max_response_body = bytes;
        self
    }

    /// Use this `reqwest::Client` (its own timeouts, proxy and TLS settings apply; the timeouts
    /// of this builder do not, but the call deadline does). Build it with
    /// `.redirect(reqwest::redirect::Policy::none())`: a client that follows redirects sends
    /// the credential wherever a server points it, which parcelkit's own client never does.
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.http = Some(client);
        self
    }

    /// The clock the client reads and waits on: retries, the call deadline, `Retry-After`
    /// dates and polling (default: [`SystemClock`]). A [`ManualClock`](super::ManualClock)
    /// skips every wait, for tests.
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = Some(clock);
        self
    }

    /// Fix the jitter sequence; for reproducible tests.
    pub fn jitter_seed(mut self, seed: u64) -> Self {
        self.jitter_seed = Some(seed);
        self
    }

    /// Builds the client.
    pub fn build(self) -> Result<C, BuildError> {
        let profile = C::PROFILE;
        let base_url = self
            .base_url
            .unwrap_or_else(|| profile.production_url.to_owned());
        let parsed = reqwest::Url::parse(&base_url)
            .map_err(|e| BuildError::InvalidBaseUrl(format!("{base_url:?}: {e}")))?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(BuildError::InvalidBaseUrl(format!(
                "{base_url:?}: the scheme must be http or https"
            )));
        }
        let credential = self
            .credential
            .map(|Secret(value)| {
                let text = match profile.auth {
                    AuthScheme::Bearer => format!("Bearer {value}"),
                    AuthScheme::ApiKeyHeader(_) => value,
                };
                let mut header =
                    HeaderValue::from_str(&text).map_err(|_| BuildError::InvalidCredential)?;
                // Sensitive values print as `Sensitive` in reqwest's and http's Debug output.
                header.set_sensitive(true);
                Ok(header)
            })
            .transpose()?;
        let agent = match &self.product {
            Some(product) => format!("{product} parcelkit/{}", env!("CARGO_PKG_VERSION")),
            None => format!("parcelkit/{}", env!("CARGO_PKG_VERSION")),
        };
        let user_agent = HeaderValue::from_str(&agent)
            .map_err(|_| BuildError::InvalidUserAgent(self.product.clone().unwrap_or_default()))?;
        let language = self
            .language
            .map(|l| {
                l.to_header_value()
                    .map_err(|e| BuildError::InvalidLanguage(e.to_string()))
            })
            .transpose()?;
        if self.max_response_body == 0 {
            return Err(BuildError::InvalidLimit("max_response_body"));
        }
        let (http, attempt_timeout) = match self.http {
            Some(http) => (http, None),
            // The attempt timeout is set per request (bounded by the call's deadline), not here.
            // Redirects are never followed: reqwest would carry custom credential headers
            // (`X-API-Key`), bodies and Idempotency-Keys to whatever origin a server names.
            None => (
                reqwest::Client::builder()
                    .connect_timeout(self.connect_timeout)
                    .redirect(reqwest::redirect::Policy::none())
                    .build()
                    .map_err(|e| BuildError::Http(e.to_string()))?,
                Some(self.timeout),
            ),
        };
        // Parsed once: each call's URL is this one with its path set (see `ClientContext::url`).
        let mut base = parsed;
        let path = base.path().trim_end_matches('/').to_owned();
        base.set_path(&path);
        let jitter = self
            .jitter_seed
            .map_or_else(Jitter::from_entropy, Jitter::seeded);
        let context = ClientContext::new(Arc::new(Runtime {
            profile,
            base,
            credential,
            user_agent,
            language,
            retry: self.retry,
            attempt_timeout,
            team: self.team,
            max_response_body: self.max_response_body,
            jitter: Mutex::new(jitter),
            clock: self.clock.unwrap_or_else(|| Arc::new(SystemClock)),
        }));
        Ok(C::from_parts(base_url.trim_end_matches('/'), http, context))
    }
}

/// The state a generated client carries: shared, cheap to clone, credentials redacted in `Debug`.
#[derive(Clone)]
pub struct ClientContext {
    runtime: Arc<Runtime>,
}

/// One call of a generated `send()`: the client's runtime, and the record of the call's final
/// response, from which its error is assembled. Lives in the call's future (no allocation, no
/// reference count to touch on a counter other threads share) and is borrowed by `execute`.
pub(crate) struct Call<'a, E> {
    context: &'a ClientContext,
    record: CallRecord,
    /// The API's error body (`Problem`), which the call's errors are assembled with.
    error_body: PhantomData<fn() -> E>,
}

/// The default of [`ClientBuilder::max_response_body`].
pub(crate) const DEFAULT_MAX_RESPONSE_BODY: usize = 32 * 1024 * 1024;

struct Runtime {
    profile: ApiProfile,
    /// The base URL, its path without a trailing `/` (but for a root path, `/` itself).
    base: reqwest::Url,
    credential: Option<HeaderValue>,
    user_agent: HeaderValue,
    language: Option<HeaderValue>,
    retry: RetryPolicy,
    /// Per attempt; `None` when the caller's own `reqwest::Client` sets its timeouts.
    attempt_timeout: Option<Duration>,
    /// The team operations use when they set none.
    team: Option<String>,
    max_response_body: usize,
    jitter: Mutex<Jitter>,
    clock: Arc<dyn Clock>,
}

impl fmt::Debug for ClientContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let r = &self.runtime;
        f.debug_struct("ClientContext")
            .field("api", &r.profile.name)
            .field("credential", &r.credential.as_ref().map(|_| "<redacted>"))
            .field("user_agent", &r.user_agent)
            .field("language", &r.language)
            .field("team", &r.team)
            .field("retry", &r.retry)
            .finish_non_exhaustive()
    }
}

impl ClientContext {
    fn new(runtime: Arc<Runtime>) -> ClientContext {
        ClientContext { runtime }
    }

    /// The retry policy in force.
    pub fn retry_policy(&self) -> &RetryPolicy {
        &self.runtime.retry
    }

    /// One call on this runtime, with a record of its own (see [`Call::finish`]), whose API
    /// answers errors with `E` (`Problem`).
    pub(crate) fn for_call<E>(&self) -> Call<'_, E> {
        Call {
            context: self,
            record: CallRecord::default(),
            error_body: PhantomData,
        }
    }

    /// The same context with another retry policy (and so another deadline).
    pub(crate) fn with_retry_policy(&self, retry: RetryPolicy) -> ClientContext {
        self.copy_with(|r| r.retry = retry)
    }

    /// The same context with another timeout per attempt.
    pub(crate) fn with_attempt_timeout(&self, timeout: Duration) -> ClientContext {
        self.copy_with(|r| r.attempt_timeout = Some(timeout))
    }

    /// The same context with another default team (Smart Send's `Client::team`).
    #[cfg(feature = "smartsend")]
    pub(crate) fn with_team(&self, team: String) -> ClientContext {
        self.copy_with(|r| r.team = Some(team))
    }

    /// The default team, if one is set.
    pub(crate) fn default_team(&self) -> Option<&str> {
        self.runtime.team.as_deref()
    }

    /// A copy of the runtime with `change` applied; the rest is shared or copied. Backs the
    /// clients' `with_*` methods and `team`.
    fn copy_with(&self, change: impl FnOnce(&mut Runtime)) -> ClientContext {
        let r = &self.runtime;
        let seed = r
            .jitter
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .next_seed();
        let mut runtime = Runtime {
            profile: r.profile,
            base: r.base.clone(),
            credential: r.credential.clone(),
            user_agent: r.user_agent.clone(),
            language: r.language.clone(),
            retry: r.retry.clone(),
            attempt_timeout: r.attempt_timeout,
            team: r.team.clone(),
            max_response_body: r.max_response_body,
            jitter: Mutex::new(Jitter::seeded(seed)),
            clock: Arc::clone(&r.clock),
        };
        change(&mut runtime);
        ClientContext::new(Arc::new(runtime))
    }

    /// Waits `duration` on the client's clock.
    pub(crate) async fn sleep(&self, duration: Duration) {
        self.runtime.clock.sleep(duration).await;
    }

    /// The client's clock.
    pub(crate) fn clock(&self) -> &dyn Clock {
        self.runtime.clock.as_ref()
    }

    /// The URL of an operation: `path` (its template with the parameters percent-encoded, as
    /// the generated `send()` writes it) after the base URL's own path. The base was parsed
    /// when the client was built; only the path is parsed here, where a URL `format!`ted whole
    /// would be parsed whole, scheme, host and all, on every call.
    pub(crate) fn url(&self, path: fmt::Arguments<'_>) -> reqwest::Url {
        let mut url = self.runtime.base.clone();
        let mut full = String::with_capacity(url.path().len() + 64);
        full.push_str(url.path().trim_end_matches('/'));
        fmt::Write::write_fmt(&mut full, path).expect("a path parameter failed to format");
        url.set_path(&full);
        url
    }

    /// Fills in what the caller did not set: credential, User-Agent, `Request-ID`, an
    /// `Idempotency-Key` on writes of an API that deduplicates them, and the default language.
    /// Runs once per call, before the first attempt, so every retry carries the same values.
    pub(crate) fn prepare(&self, request: &mut reqwest::Request) {
        let r = &self.runtime;
        let is_write = matches!(*request.method(), Method::POST | Method::DELETE);
        let bodiless_write = matches!(
            *request.method(),
            Method::POST | Method::PUT | Method::PATCH
        ) && request.body().is_none();
        let headers = request.headers_mut();
        // hyper sends a bodiless POST without any Content-Length, which some front ends answer
        // with 411 Length Required.
        if bodiless_write {
            headers.insert(CONTENT_LENGTH, HeaderValue::from_static("0"));
        }
        if let Some(credential) = &r.credential {
            let name = match r.profile.auth {
                AuthScheme::Bearer => AUTHORIZATION,
                AuthScheme::ApiKeyHeader(name) => HeaderName::from_static(name),
            };
            headers.insert(name, credential.clone());
        }
        headers.insert(USER_AGENT, r.user_agent.clone());
        if !headers.contains_key(REQUEST_ID) {
            headers.insert(
                REQUEST_ID,
                token_header(RequestId::new_random().into_string()),
            );
        }
        if r.profile.idempotent_writes && is_write && !headers.contains_key(IDEMPOTENCY_KEY) {
            headers.insert(
                IDEMPOTENCY_KEY,
                token_header(IdempotencyKey::new_random().into_string()),
            );
        }
        if let Some(language) = &r.language {
            headers
                .entry(ACCEPT_LANGUAGE)
                .or_insert_with(|| language.clone());
        }
    }

    /// Sends `request`, retrying per the policy. A request is retried only where that is safe:
    /// reads, and writes that carry an `Idempotency-Key`, on transport errors and retryable
    /// statuses; other writes only when the connection could not even be made. The response
    /// carries the `Request-ID` and `Idempotency-Key` that were sent, when the server did not
    /// echo them, so the caller can always read them back.
    ///
    /// Not an `async fn`: what needs no waiting is done here, so the future keeps the request
    /// once (an `async fn` keeps its arguments twice) and each attempt's future holds reqwest's
    /// 16-byte `Pending`, not a request. Boxed: a future is moved (copied whole, ~1.5 KB here)
    /// into every level that awaits it, a box not at all: `Box::write` lets the compiler make the
    /// future in its box (`Box::pin` made it on the stack, then copied it).
    pub(crate) fn execute<'a>(
        &'a self,
        http: &'a reqwest::Client,
        request: reqwest::Request,
        operation_id: &str,
    ) -> impl Future<Output = reqwest::Result<reqwest::Response>> + Send + 'a {
        self.execute_recording(None, http, request, operation_id)
    }

    /// [`ClientContext::execute`], the final response (or the request, when there was none)
    /// written to `record` for the call's error.
    fn execute_recording<'a>(
        &'a self,
        record: Option<&'a CallRecord>,
        http: &'a reqwest::Client,
        request: reqwest::Request,
        operation_id: &str,
    ) -> impl Future<Output = reqwest::Result<reqwest::Response>> + Send + 'a {
        let r = &*self.runtime;
        let sent_request_id = request.headers().get(REQUEST_ID).cloned();
        let sent_key = request.headers().get(IDEMPOTENCY_KEY).cloned();
        let safety =
            if matches!(*request.method(), Method::GET | Method::HEAD) || sent_key.is_some() {
                RetrySafety::Idempotent
            } else {
                RetrySafety::OnlyIfNotSent
            };
        let span = tracing::info_span!(
            "parcelkit.request",
            api = r.profile.name,
            operation = operation_id,
            method = %request.method(),
            url = %request.url(),
            request_id = sent_request_id.as_ref().and_then(|v| v.to_str().ok()).unwrap_or(""),
        );
        // Each call draws its own jitter sequence, so concurrent calls do not share a lock
        // across awaits.
        let mut jitter = {
            let mut shared = r.jitter.lock().unwrap_or_else(|e| e.into_inner());
            Jitter::seeded(shared.next_seed())
        };
        let clock = r.clock.as_ref();
        let started = clock.now();
        // One attempt: send, then read the body (capped) inside the attempt, so a connection
        // that drops mid-body is a transport error the retry rules see, and the attempt's
        // timeout, never later than the call's deadline, covers the whole answer.
        let attempt = move |request: reqwest::Request| {
            let remaining = r
                .retry
                .deadline()
                .map(|d| d.saturating_sub(clock.now().saturating_duration_since(started)));
            let limit = match (r.attempt_timeout, remaining) {
                (Some(a), Some(d)) => Some(a.min(d)),
                (a, d) => a.or(d),
            };
            // reqwest takes the request now; the attempt's future holds only its `Pending`.
            let pending = http.execute(request);
            async move {
                // Timed only for the log.
                let sent = tracing::enabled!(tracing::Level::DEBUG).then(|| clock.now());
                let exchange = async {
                    let mut response = pending.await?;
                    let cap = if response.status().is_success() {
                        r.max_response_body
                    } else {
                        error::MAX_ERROR_BODY
                    };
                    read_capped(&mut response, cap).await?;
                    Ok(response)
                };
                // One timer around the whole exchange, answer and body: reqwest's own
                // per-request timeout costs a boxed timer and a wrapper on every body read.
                let result = match limit {
                    Some(limit) => tokio::time::timeout(limit, exchange)
                        .await
                        .map_or(Attempt::TimedOut, Attempt::Done),
                    None => Attempt::Done(exchange.await),
                };
                if let Some(sent) = sent {
                    log_attempt(&result, clock.now().saturating_duration_since(sent));
                }
                result
            }
        };
        // Moved into the call's future, and borrowed there: a rebinding would keep it twice.
        let mut plan = match request.body() {
            // In memory (or none): each attempt sends a copy, sharing these bytes.
            None => Plan::Repeat(request, None),
            Some(body) => match body.as_bytes().map(Bytes::copy_from_slice) {
                Some(bytes) => Plan::Repeat(request, Some(bytes)),
                // A streaming body cannot be sent twice: one attempt only. Boxed, so this rare
                // case does not size every call's future.
                None => Plan::Once(Box::pin(attempt(request))),
            },
        };
        Box::into_pin(Box::write(Box::new_uninit(), async move {
            // Whether any attempt reached the server without a definitive answer: the call may
            // have been executed even if a later attempt got a 503 (see
            // `Error::possibly_executed`).
            let unanswered = AtomicBool::new(false);
            let note = |result: &Attempt| {
                if result.unanswered() {
                    unanswered.store(true, Ordering::Relaxed);
                }
            };
            // Borrowed, not moved: the request is kept once, in this future. Pinned where it is
            // made: awaited by value, this future (~900 bytes) was copied into an await slot.
            let result = {
                let send = std::pin::pin!(async {
                    match &mut plan {
                        Plan::Once(only) => {
                            let result = only.await;
                            note(&result);
                            result
                        }
                        Plan::Repeat(template, body) => {
                            run_with_retries(
                                &r.retry,
                                safety,
                                &mut jitter,
                                clock,
                                |result| {
                                    note(result);
                                    match result {
                                        Attempt::Done(result) => classify(result, || clock.wall()),
                                        // The request went out: only a safe request is sent again.
                                        Attempt::TimedOut => AttemptOutcome::TransportError {
                                            reached_server: true,
                                        },
                                    }
                                },
                                |n| {
                                    tracing::trace!(attempt = n, "sending");
                                    attempt(copy_request(template, body.as_ref()))
                                },
                            )
                            .await
                        }
                    }
                });
                // Instrumented only when some subscriber takes the span: entering a disabled one on
                // every poll is work for nothing.
                if span.is_disabled() {
                    send.await
                } else {
                    send.instrument(span.clone()).await
                }
            };
            let _entered = span.enter();
            let (result, timed_out) = match result {
                Attempt::Done(result) => (result, false),
                Attempt::TimedOut => (Err(timed_out_error(http).await), true),
            };
            let unanswered = unanswered.into_inner();
            let mut response = match result {
                Ok(response) => response,
                Err(error) => {
                    if let Some(record) = record {
                        // No response: the error still names the request it was about.
                        let mut sent = HeaderMap::new();
                        if let Some(id) = sent_request_id {
                            sent.insert(REQUEST_ID, id);
                        }
                        if let Some(key) = sent_key {
                            sent.insert(IDEMPOTENCY_KEY, key);
                        }
                        record.record(Captured {
                            status: None,
                            headers: sent,
                            body: Bytes::new(),
                            replay_safe: safety == RetrySafety::Idempotent,
                            received_at: None,
                            timed_out,
                            unanswered_attempt: unanswered,
                        });
                    }
                    return Err(error);
                }
            };
            let headers = response.headers_mut();
            if let Some(id) = sent_request_id {
                headers.entry(REQUEST_ID).or_insert(id);
            }
            if let Some(key) = sent_key {
                headers.entry(IDEMPOTENCY_KEY).or_insert(key);
            }
            if let Some(record) = record {
                let replay_safe = safety == RetrySafety::Idempotent;
                let mut captured = capture_response(&response, replay_safe, clock.wall());
                captured.unanswered_attempt = unanswered;
                record.record(captured);
            }
            Ok(response)
        }))
    }
}

impl<'a, E: error::ErrorBody> Call<'a, E> {
    /// [`ClientContext::execute`], recording the final response for the call's error.
    pub(crate) fn execute(
        &'a self,
        http: &'a reqwest::Client,
        request: reqwest::Request,
        operation_id: &str,
    ) -> impl Future<Output = reqwest::Result<reqwest::Response>> + Send + 'a {
        self.context
            .execute_recording(Some(&self.record), http, request, operation_id)
    }

    /// The call's outcome, with progenitor's error made a [`crate::Error`] from what the call
    /// recorded.
    pub(crate) fn finish<T>(
        &self,
        result: Result<progenitor_client::ResponseValue<T>, progenitor_client::Error<E>>,
    ) -> Result<progenitor_client::ResponseValue<T>, crate::Error> {
        result.map_err(|e| self.fail(e))
    }

    /// Progenitor's error made a [`crate::Error`] from what the call recorded.
    pub(crate) fn fail(&self, error: progenitor_client::Error<E>) -> crate::Error {
        self.record.fail(error)
    }

    /// Adds the final response's headers to the call's record (see `decode::call_success`).
    pub(crate) fn record_headers(&self, headers: HeaderMap) {
        self.record.record_headers(headers);
    }
}

/// How a call sends its request: copies of it for as many attempts as the policy allows, or
/// (a streaming body, which cannot be sent twice) the one attempt already started.
// The large variant is the usual one: boxing it would cost every call an allocation.
#[allow(clippy::large_enum_variant)]
enum Plan<F> {
    Repeat(reqwest::Request, Option<Bytes>),
    Once(std::pin::Pin<Box<F>>),
}

/// One attempt, at DEBUG: its status, or its error with every cause, and how long it took.
fn log_attempt(result: &Attempt, took: Duration) {
    let took_ms = took.as_millis() as u64;
    match result {
        Attempt::Done(Ok(response)) => {
            tracing::debug!(status = response.status().as_u16(), took_ms, "attempt")
        }
        Attempt::Done(Err(e)) => {
            tracing::debug!(error = %error::with_causes(e), took_ms, "attempt failed")
        }
        Attempt::TimedOut => tracing::debug!(took_ms, "attempt timed out"),
    }
}

/// A copy of `request` for one attempt, with `body` (the request's body, in memory) as its
/// body: what `reqwest::Request::try_clone` makes, without the three allocations it spends
/// setting an absent timeout. reqwest keeps a request's extensions private; the only one a
/// `RequestBuilder` sets is that timeout, copied here.
fn copy_request(request: &reqwest::Request, body: Option<&Bytes>) -> reqwest::Request {
    let mut copy = reqwest::Request::new(request.method().clone(), request.url().clone());
    *copy.headers_mut() = request.headers().clone();
    *copy.version_mut() = request.version();
    if let Some(timeout) = request.timeout() {
        *copy.timeout_mut() = Some(*timeout);
    }
    *copy.body_mut() = body.cloned().map(reqwest::Body::from);
    copy
}

/// What one attempt came to: reqwest's result, or no complete answer within its time.
enum Attempt {
    Done(reqwest::Result<reqwest::Response>),
    TimedOut,
}

impl Attempt {
    /// Whether the request may have reached the server and got no definitive answer: the
    /// connection dropped after it was made, no answer in time, a 5xx (a gateway's 502 can
    /// follow a commit upstream), or 409 (an earlier attempt with the key is still running).
    fn unanswered(&self) -> bool {
        match self {
            Attempt::TimedOut => true,
            Attempt::Done(Err(e)) => !e.is_connect(),
            Attempt::Done(Ok(response)) => {
                let status = response.status();
                status.is_server_error() || status == reqwest::StatusCode::CONFLICT
            }
        }
    }
}

/// A `reqwest::Error` to hand progenitor for a call that timed out: reqwest makes its errors
/// only itself, and a request with a scheme it refuses fails at once, before any connection.
/// The call's record says it timed out, and the call's error says so (kind `Timeout`).
async fn timed_out_error(http: &reqwest::Client) -> reqwest::Error {
    let url = reqwest::Url::parse("parcelkit-timed-out:/").expect("a valid URL");
    match http.execute(reqwest::Request::new(Method::GET, url)).await {
        Err(e) => e,
        Ok(_) => unreachable!("reqwest sends only http and https URLs"),
    }
}

/// Status, headers and (for an error status) the raw body of the final response, for the
/// call's error. The body was read (capped) by the attempt, which kept the bytes beside the
/// response ([`ReadBody`]); the response keeps its body for the generated code to decode.
fn capture_response(
    response: &reqwest::Response,
    replay_safe: bool,
    received_at: std::time::SystemTime,
) -> Captured {
    let status = response.status();
    let (headers, body) = if status.is_success() {
        // Most answers: the call's error, if any, is a body that does not decode, and the
        // decoder records the headers then (`decode::call_success`). A copy of them here
        // would cost every call ~3,000 instructions and two allocations.
        (HeaderMap::new(), Bytes::new())
    } else {
        // Every response here went through `read_capped`, so an unread body cannot happen.
        let body = ReadBody::of(response).map_or_else(Bytes::new, |read| read.bytes.clone());
        (response.headers().clone(), body)
    };
    Captured {
        status: Some(status),
        headers,
        body,
        replay_safe,
        received_at: Some(received_at),
        timed_out: false,
        unanswered_attempt: false,
    }
}

/// A generated token as a header value, its string's buffer reused rather than copied.
fn token_header(token: String) -> HeaderValue {
    HeaderValue::from_maybe_shared(Bytes::from(token))
        .expect("token characters are valid header characters")
}

/// What every response (and every error response) tells about its request.
///
/// ```no_run
/// # async fn demo(client: parcelkit::smartsend::Client) -> Result<(), Box<dyn std::error::Error>> {
/// use parcelkit::ResponseMeta;
///
/// let created = client
///     .create_shipment()
///     .team("ad9546c1-393e-49a5-9a72-5cc146c9bec5")
///     .body_map(|b| b.currency("DKK").reference("Order-5521"))
///     .send()
///     .await?;
/// println!("request {:?}, key {:?}, replayed: {}", created.request_id(), created.idempotency_key(), created.replayed());
/// # Ok(()) }
/// ```
pub trait ResponseMeta {
    /// The `Request-ID` of the request (echoed by the server, or the one parcelkit sent).
    fn request_id(&self) -> Option<&str>;
    /// The `Idempotency-Key` the request carried, if any.
    fn idempotency_key(&self) -> Option<&str>;
    /// Whether the server replayed a stored response (`Idempotency-Replayed: true`) instead of
    /// executing the request again.
    fn replayed(&self) -> bool;
}

impl<T> ResponseMeta for progenitor_client::ResponseValue<T> {
    fn request_id(&self) -> Option<&str> {
        self.headers().get(REQUEST_ID).and_then(|v| v.to_str().ok())
    }

    fn idempotency_key(&self) -> Option<&str> {
        self.headers()
            .get(IDEMPOTENCY_KEY)
            .and_then(|v| v.to_str().ok())
    }

    fn replayed(&self) -> bool {
        self.headers()
            .get(IDEMPOTENCY_REPLAYED)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("true"))
    }
}
