//! The Smart Send operations, at the spec's paths: shipments, booking (synchronous, or
//! asynchronous with `Prefer: respond-async`), booking batches, rates, services, service points
//! and operations; plus the label download, which is public.
//!
//! Every handler reads its body as bytes and answers malformed JSON with 400, a body breaking
//! the spec with 422 naming the fields, and unknown resources with 404, all as problem
//! documents; it never panics on input. State lives in [`state::Store`] behind one mutex, held
//! only in synchronous code.

// Handlers' helpers return `Result<_, Response>` so `?`-style early answers read plainly; the
// response is built once per request, so its size does not matter.
#![allow(clippy::result_large_err)]

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::{FromRequest, FromRequestParts, Query, RawPathParams, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use parcelkit::smartsend::types;
use serde::Serialize;
use serde::de::DeserializeOwned;
use uuid::Uuid;

use super::problem::{Kind, Language, Problem};
use crate::Shared;
use crate::smartsend::Caller;
use crate::spec::{FieldError, SpecApi};

mod catalogue;
mod label;
mod state;

use state::{BookingError, Store, StoredBatch, StoredOperation, StoredShipment};

/// Where labels are served, below the API prefix: `/labels/{parcel}.pdf`.
const LABELS_PATH: &str = "/labels";

/// What every handler shares.
struct App {
    shared: Arc<Shared>,
    store: Mutex<Store>,
}

type AppState = State<Arc<App>>;

/// Every Smart Send route: the spec's operations (to be wrapped in authentication and
/// idempotency), and the public routes (label downloads), which share their state.
pub fn routes(shared: Arc<Shared>) -> (Router, Router) {
    let app = Arc::new(App {
        shared,
        store: Mutex::new(Store::default()),
    });
    let api = Router::new()
        .route(
            "/team/{team}/shipments",
            post(create_shipment).get(list_shipments),
        )
        .route(
            "/team/{team}/shipments/{shipment}",
            get(get_shipment).delete(delete_shipment),
        )
        .route(
            "/team/{team}/shipments/{shipment}/booking",
            post(book_shipment),
        )
        .route(
            "/team/{team}/shipments/booking",
            post(create_and_book_shipment),
        )
        .route(
            "/team/{team}/booking-batches",
            get(list_booking_batches).post(create_booking_batch),
        )
        .route(
            "/team/{team}/booking-batches/{batch}",
            get(get_booking_batch),
        )
        .route(
            "/team/{team}/booking-batches/{batch}/shipments",
            post(add_booking_batch_shipments),
        )
        .route(
            "/team/{team}/booking-batches/{batch}/dispatch",
            post(dispatch_booking_batch),
        )
        .route("/team/{team}/rates", post(get_rates))
        .route("/team/{team}/routing/services", get(list_services))
        .route("/team/{team}/service-points", get(list_service_points))
        .route(
            "/team/{team}/service-points/{service_point}",
            get(get_service_point),
        )
        .route(
            "/team/{team}/service-points/{carrier}/{country}/{code}",
            get(get_service_point_by_carrier_code),
        )
        .route("/team/{team}/operations/{operation}", get(get_operation))
        .with_state(app.clone());
    let public = Router::new()
        .route(&format!("{LABELS_PATH}/{{file}}"), get(get_label))
        .with_state(app);
    (api, public)
}

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/// The per-request context: caller, language, instance path, and origin for absolute URLs.
struct Ctx {
    team: String,
    language: Language,
    instance: String,
    origin: String,
}

/// Every Smart Send handler's context, from the request's parts: the caller authentication
/// found (team, language), the full path for problems' `instance`, and the origin for URLs.
impl<S: Send + Sync> FromRequestParts<S> for Ctx {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Ctx, Response> {
        match parts.extensions.get::<Caller>() {
            Some(caller) => Ok(Ctx::new(caller.clone(), &parts.uri, &parts.headers)),
            // Routes are only reachable through authentication; a route added outside it is a
            // bug of the sandbox, answered in the API's format rather than a panic.
            None => Err(Problem::new(Kind::InternalError, Language::En).into_response()),
        }
    }
}

impl Ctx {
    fn new(caller: Caller, uri: &Uri, headers: &HeaderMap) -> Ctx {
        Ctx {
            team: caller.team,
            language: caller.language,
            // Handlers see the path below the nesting prefix; the instance is the full path.
            instance: format!("{}{}", super::PREFIX, uri.path()),
            origin: origin(headers),
        }
    }

    fn problem(&self, kind: Kind) -> Problem {
        Problem::new(kind, self.language).instance(self.instance.clone())
    }

    fn not_found(&self) -> Response {
        self.problem(Kind::NotFound).into_response()
    }

    /// 400 naming query parameters: the spec gives the GET lists no 422, and its 400 covers
    /// "invalid header or query value". (Kind has no query variant; InvalidHeader's title fits
    /// and the detail is set here in both languages.)
    fn query_problem(&self, errors: &[FieldError]) -> Response {
        let detail = match self.language {
            Language::En => "A query parameter is invalid.",
            Language::Da => "En forespørgselsparameter er ugyldig.",
        };
        self.problem(Kind::InvalidHeader)
            .detail(detail)
            .field_errors(errors)
            .into_response()
    }

    fn query_field_problem(&self, field: &str, message: impl Into<String>) -> Response {
        self.query_problem(&[FieldError {
            path: field.to_owned(),
            message: message.into(),
        }])
    }

    fn field_problem(&self, field: &str, message: impl Into<String>) -> Response {
        self.problem(Kind::ValidationFailed)
            .field_errors(&[FieldError {
                path: field.to_owned(),
                message: message.into(),
            }])
            .into_response()
    }

    /// An absolute URL below the API prefix, in this team: `{origin}/smartsend/api/v2/team/{team}{rest}`.
    fn team_url(&self, rest: &str) -> String {
        format!(
            "{}{}/team/{}{rest}",
            self.origin,
            super::PREFIX,
            encode_segment(&self.team)
        )
    }
}

/// `http://{Host}` of the request (the sandbox serves plain HTTP).
fn origin(headers: &HeaderMap) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .filter(|h| !h.is_empty() && h.bytes().all(|b| b.is_ascii_graphic()))
        .unwrap_or("127.0.0.1");
    format!("http://{host}")
}

/// Percent-encodes everything but RFC 3986's unreserved characters.
fn encode_segment(segment: &str) -> String {
    segment
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

fn json(status: StatusCode, body: &impl Serialize) -> Response {
    let mut response = (
        status,
        serde_json::to_string(body).expect("response types serialize"),
    )
        .into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

fn with_location(mut response: Response, location: &str) -> Response {
    if let Ok(value) = HeaderValue::from_str(location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    response
}

/// A path parameter by name.
fn param(params: &RawPathParams, name: &str) -> Option<String> {
    params
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, v)| v.to_owned())
}

/// A uuid path parameter; anything that is not a uuid names no resource (404).
fn uuid_param(params: &RawPathParams, name: &str) -> Option<Uuid> {
    param(params, name).and_then(|v| Uuid::parse_str(&v).ok())
}

/// A request body checked against its component schema in the spec (a 422 problem naming each
/// field otherwise; 400 for what is not JSON), then typed: one extractor instead of the same
/// lines in every handler that takes a body.
struct SpecJson<T>(T);

/// A body type, and the spec's component schema it is checked against.
trait SpecSchema: DeserializeOwned {
    const SCHEMA: &'static str;
}

impl SpecSchema for types::ShipmentRequest {
    const SCHEMA: &'static str = "ShipmentRequest";
}

impl SpecSchema for types::BatchRequest {
    const SCHEMA: &'static str = "BatchRequest";
}

impl SpecSchema for types::BatchShipmentsRequest {
    const SCHEMA: &'static str = "BatchShipmentsRequest";
}

impl SpecSchema for types::RateRequest {
    const SCHEMA: &'static str = "RateRequest";
}

impl<S: Send + Sync, T: SpecSchema> FromRequest<S> for SpecJson<T> {
    type Rejection = Response;

    async fn from_request(request: Request, state: &S) -> Result<SpecJson<T>, Response> {
        let (mut parts, body) = request.into_parts();
        let ctx = Ctx::from_request_parts(&mut parts, state).await?;
        // The front layer has limited and buffered the body already.
        let bytes = axum::body::to_bytes(body, usize::MAX)
            .await
            .map_err(|_| ctx.problem(Kind::MalformedJson).into_response())?;
        let value: serde_json::Value = serde_json::from_slice(&bytes)
            .map_err(|_| ctx.problem(Kind::MalformedJson).into_response())?;
        SpecApi::SmartSend
            .validate_component(T::SCHEMA, &value)
            .map_err(|errors| {
                ctx.problem(Kind::ValidationFailed)
                    .field_errors(&errors)
                    .into_response()
            })?;
        // The spec and the generated types agree; should they not, still a 422, never a 500.
        serde_json::from_value(value)
            .map(SpecJson)
            .map_err(|e| ctx.field_problem("", e.to_string()))
    }
}

/// Whether `Prefer` asks for `respond-async` (RFC 7240: comma-separated preferences, each
/// possibly with a value and parameters; a preference the API does not know is ignored, §2).
fn prefers_async(headers: &HeaderMap) -> bool {
    headers
        .get_all("prefer")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|p| {
            p.split(';')
                .next()
                .is_some_and(|t| t.trim().eq_ignore_ascii_case("respond-async"))
        })
}

type QueryPairs = Result<Query<Vec<(String, String)>>, axum::extract::rejection::QueryRejection>;

/// The query's pairs, or a 400 problem when it cannot be decoded.
fn query_pairs(ctx: &Ctx, query: QueryPairs) -> Result<Vec<(String, String)>, Response> {
    query
        .map(|Query(pairs)| pairs)
        .map_err(|e| ctx.query_field_problem("query", e.body_text()))
}

fn query_value<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

/// `page` (1 to the spec's int64 maximum, default 1) and `per_page` (1 to 1000, default 100);
/// 400 naming the parameter otherwise.
fn pagination(ctx: &Ctx, pairs: &[(String, String)]) -> Result<(u64, u64), Response> {
    let mut errors = Vec::new();
    let mut read = |name: &str, default: u64, max: u64| -> u64 {
        match query_value(pairs, name) {
            None => default,
            Some(raw) => match raw.parse::<u64>() {
                Ok(n) if (1..=max).contains(&n) => n,
                _ => {
                    errors.push(FieldError {
                        path: name.to_owned(),
                        message: format!("The {name} must be an integer from 1 to {max}."),
                    });
                    default
                }
            },
        }
    };
    // `format: int64` in the spec: a larger page number is not a page.
    let page = read("page", 1, i64::MAX as u64);
    let per_page = read("per_page", 100, 1000);
    if errors.is_empty() {
        Ok((page, per_page))
    } else {
        Err(ctx.query_problem(&errors))
    }
}

/// One page of `items` and its `meta`.
fn paginate<T: Clone>(items: &[T], page: u64, per_page: u64) -> (Vec<T>, types::PaginationMeta) {
    use std::num::NonZeroU64;
    let total = items.len() as u64;
    let start = (page - 1).saturating_mul(per_page);
    let data: Vec<T> = items
        .iter()
        .skip(usize::try_from(start).unwrap_or(usize::MAX))
        .take(usize::try_from(per_page).unwrap_or(usize::MAX))
        .cloned()
        .collect();
    let last_page = total.div_ceil(per_page).max(1);
    let (from, to) = if data.is_empty() {
        (None, None)
    } else {
        (
            NonZeroU64::new(start + 1),
            NonZeroU64::new(start + data.len() as u64),
        )
    };
    let meta = types::PaginationMeta {
        current_page: NonZeroU64::new(page).expect("page >= 1"),
        from,
        last_page: NonZeroU64::new(last_page).expect("last_page >= 1"),
        per_page: NonZeroU64::new(per_page).expect("per_page >= 1"),
        to,
        total: total as i64,
    };
    (data, meta)
}

impl App {
    fn delay(&self) -> chrono::Duration {
        chrono::Duration::from_std(self.shared.config.async_delay).unwrap_or(chrono::Duration::MAX)
    }

    /// Runs `f` on the team's settled state, under the lock.
    fn with_team<R>(&self, team: &str, f: impl FnOnce(&mut Store, &mut Locked) -> R) -> R {
        let now = self.shared.clock.now();
        let delay = self.delay();
        let mut store = self.store.lock().expect("smartsend store lock");
        store.settle(team, now, delay, &self.shared.ledger);
        let mut ctx = Locked {
            now,
            delay,
            ledger: &self.shared.ledger,
            team: team.to_owned(),
        };
        f(&mut store, &mut ctx)
    }
}

/// What a handler needs under the lock.
struct Locked<'a> {
    now: chrono::DateTime<chrono::Utc>,
    delay: chrono::Duration,
    ledger: &'a crate::Ledger,
    team: String,
}

impl Locked<'_> {
    fn record(&self, operation: &str, resource: &str) {
        self.ledger.record("smartsend", operation, resource);
    }
}

fn team<'a>(store: &'a mut Store, c: &Locked) -> &'a mut state::Team {
    store.teams.entry(c.team.clone()).or_default()
}

// ---------------------------------------------------------------------------------------------
// Shipments
// ---------------------------------------------------------------------------------------------

async fn create_shipment(
    State(app): AppState,
    ctx: Ctx,
    SpecJson(request): SpecJson<types::ShipmentRequest>,
) -> Response {
    let shipment = app.with_team(&ctx.team, |store, c| {
        let shipment = StoredShipment::new(request, c.now, ctx.language);
        let team = team(store, c);
        team.add_shipment(shipment.clone());
        c.record("create_shipment", &shipment.uuid.to_string());
        shipment.to_api()
    });
    json(
        StatusCode::CREATED,
        &types::ShipmentEnvelope { data: shipment },
    )
}

async fn list_shipments(State(app): AppState, ctx: Ctx, query: QueryPairs) -> Response {
    let (page, per_page) = match query_pairs(&ctx, query).and_then(|q| pagination(&ctx, &q)) {
        Ok(p) => p,
        Err(response) => return response,
    };
    // Only the page is converted: a list call costs its page, not the team's history (and
    // holds the store's lock that long).
    let (data, meta) = app.with_team(&ctx.team, |store, c| {
        let team = team(store, c);
        let (uuids, meta) = paginate(team.shipment_order(), page, per_page);
        let data: Vec<types::Shipment> = uuids
            .iter()
            .filter_map(|uuid| team.shipment(uuid))
            .map(StoredShipment::to_api)
            .collect();
        (data, meta)
    });
    json(StatusCode::OK, &types::ShipmentList { data, meta })
}

async fn get_shipment(State(app): AppState, ctx: Ctx, params: RawPathParams) -> Response {
    let Some(uuid) = uuid_param(&params, "shipment") else {
        return ctx.not_found();
    };
    let shipment = app.with_team(&ctx.team, |store, c| {
        team(store, c).shipment(&uuid).map(StoredShipment::to_api)
    });
    match shipment {
        Some(data) => json(StatusCode::OK, &types::ShipmentEnvelope { data }),
        None => ctx.not_found(),
    }
}

/// Deletes an open (or failed) shipment; one that is booked or being booked answers 422, as
/// the spec allows, since deleting it would leave a paid booking behind.
async fn delete_shipment(State(app): AppState, ctx: Ctx, params: RawPathParams) -> Response {
    let Some(uuid) = uuid_param(&params, "shipment") else {
        return ctx.not_found();
    };
    let outcome = app.with_team(&ctx.team, |store, c| {
        let team = team(store, c);
        match team.shipment(&uuid).map(|s| s.state.clone()) {
            None => Err(None),
            Some(types::ShipmentState::Booked | types::ShipmentState::Booking) => {
                Err(Some(BookingError::AlreadyBooked))
            }
            Some(_) => {
                team.remove_shipment(&uuid);
                c.record("delete_shipment", &uuid.to_string());
                Ok(())
            }
        }
    });
    match outcome {
        Ok(()) => json(
            StatusCode::OK,
            &types::DeleteResult {
                message: match ctx.language {
                    Language::En => "Shipment deleted.",
                    Language::Da => "Forsendelsen er slettet.",
                }
                .to_owned(),
            },
        ),
        Err(None) => ctx.not_found(),
        Err(Some(e)) => e
            .problem(ctx.language)
            .instance(ctx.instance.clone())
            .into_response(),
    }
}

// ---------------------------------------------------------------------------------------------
// Booking
// ---------------------------------------------------------------------------------------------

/// What a booking request came to, decided under the lock.
enum Booked {
    Now(Box<types::Shipment>),
    Accepted(Box<types::Operation>),
    Failed(BookingError),
    NotFound,
}

/// Books `uuid` now, or (async) registers an operation that books it when due.
fn book(
    store: &mut Store,
    c: &Locked,
    uuid: Uuid,
    respond_async: bool,
    ledger_operation: &'static str,
    origin: &str,
) -> Booked {
    let Store { teams, labels } = store;
    let team = teams.entry(c.team.clone()).or_default();
    let Some(shipment) = team.shipment_mut(&uuid) else {
        return Booked::NotFound;
    };
    if matches!(
        shipment.state,
        types::ShipmentState::Booked | types::ShipmentState::Booking
    ) {
        return Booked::Failed(BookingError::AlreadyBooked);
    }
    if respond_async {
        shipment.state = types::ShipmentState::Booking;
        let op = StoredOperation {
            uuid: Uuid::new_v4(),
            shipment: uuid,
            ledger_operation,
            origin: origin.to_owned(),
            created_at: c.now,
            completed_at: None,
            result: None,
            error: None,
        };
        let api = op.to_api(c.now, c.delay);
        team.operations.insert(op.uuid, op);
        return Booked::Accepted(Box::new(api));
    }
    c.record(ledger_operation, &uuid.to_string());
    match shipment.book(c.now, origin, labels) {
        Ok(()) => Booked::Now(Box::new(shipment.to_api())),
        Err(e) => Booked::Failed(e),
    }
}

fn booking_response(ctx: &Ctx, booked: Booked) -> Response {
    match booked {
        Booked::Now(shipment) => json(StatusCode::OK, &types::ShipmentEnvelope { data: *shipment }),
        Booked::Accepted(op) => {
            let location = ctx.team_url(&format!("/operations/{}", op.uuid));
            let mut response = with_location(
                json(
                    StatusCode::ACCEPTED,
                    &types::OperationEnvelope { data: *op },
                ),
                &location,
            );
            // RFC 7240 §3: which preference shaped this answer.
            response.headers_mut().insert(
                "preference-applied",
                axum::http::HeaderValue::from_static("respond-async"),
            );
            response
        }
        Booked::Failed(e) => e
            .problem(ctx.language)
            .instance(ctx.instance.clone())
            .into_response(),
        Booked::NotFound => ctx.not_found(),
    }
}

async fn book_shipment(
    State(app): AppState,
    ctx: Ctx,
    headers: HeaderMap,
    params: RawPathParams,
) -> Response {
    let Some(uuid) = uuid_param(&params, "shipment") else {
        return ctx.not_found();
    };
    let respond_async = prefers_async(&headers);
    let booked = app.with_team(&ctx.team, |store, c| {
        book(store, c, uuid, respond_async, "book_shipment", &ctx.origin)
    });
    booking_response(&ctx, booked)
}

/// Creates the shipment and books it: at once (200), or as an operation (202). A shipment the
/// carrier rejects stays, in state `failed`.
async fn create_and_book_shipment(
    State(app): AppState,
    ctx: Ctx,
    headers: HeaderMap,
    SpecJson(request): SpecJson<types::ShipmentRequest>,
) -> Response {
    let respond_async = prefers_async(&headers);
    let booked = app.with_team(&ctx.team, |store, c| {
        let shipment = StoredShipment::new(request, c.now, ctx.language);
        let uuid = shipment.uuid;
        let team = team(store, c);
        team.add_shipment(shipment);
        book(
            store,
            c,
            uuid,
            respond_async,
            "create_and_book_shipment",
            &ctx.origin,
        )
    });
    booking_response(&ctx, booked)
}

async fn get_operation(State(app): AppState, ctx: Ctx, params: RawPathParams) -> Response {
    let Some(uuid) = uuid_param(&params, "operation") else {
        return ctx.not_found();
    };
    let op = app.with_team(&ctx.team, |store, c| {
        team(store, c)
            .operations
            .get(&uuid)
            .map(|op| op.to_api(c.now, c.delay))
    });
    match op {
        Some(data) => json(StatusCode::OK, &types::OperationEnvelope { data }),
        None => ctx.not_found(),
    }
}

/// A label PDF, by parcel (`/labels/{parcel}.pdf`); public, like a carrier's signed URL.
async fn get_label(
    State(app): AppState,
    headers: HeaderMap,
    params: RawPathParams,
    uri: Uri,
) -> Response {
    let label = param(&params, "file")
        .as_deref()
        .and_then(|f| f.strip_suffix(".pdf"))
        .and_then(|u| Uuid::parse_str(u).ok())
        .and_then(|parcel| {
            app.store
                .lock()
                .expect("smartsend store lock")
                .labels
                .get(&parcel)
                .cloned()
        });
    let Some(label) = label else {
        return Problem::new(Kind::NotFound, Language::negotiate(&headers))
            .instance(format!("{}{}", super::PREFIX, uri.path()))
            .into_response();
    };
    let mut response = (StatusCode::OK, label::pdf(&label)).into_response();
    let out = response.headers_mut();
    out.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/pdf"),
    );
    out.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_static("inline; filename=\"label.pdf\""),
    );
    response
}

// ---------------------------------------------------------------------------------------------
// Booking batches
// ---------------------------------------------------------------------------------------------

async fn create_booking_batch(
    State(app): AppState,
    ctx: Ctx,
    SpecJson(request): SpecJson<types::BatchRequest>,
) -> Response {
    let batch = app.with_team(&ctx.team, |store, c| {
        let batch = StoredBatch {
            uuid: Uuid::new_v4(),
            reference: Some(request.reference),
            identifier: request.identifier,
            shipments: Vec::new(),
            created_at: c.now,
            dispatched_at: None,
            origin: ctx.origin.clone(),
            completed: 0,
            failed: 0,
            processed: 0,
        };
        let api = batch.to_api(c.now, c.delay);
        let team = team(store, c);
        team.batch_order.push(batch.uuid);
        team.batches.insert(batch.uuid, batch);
        c.record("create_booking_batch", &api.uuid.to_string());
        api
    });
    json(StatusCode::CREATED, &types::BatchEnvelope { data: batch })
}

async fn list_booking_batches(State(app): AppState, ctx: Ctx, query: QueryPairs) -> Response {
    let pairs = match query_pairs(&ctx, query) {
        Ok(pairs) => pairs,
        Err(response) => return response,
    };
    let (page, per_page) = match pagination(&ctx, &pairs) {
        Ok(p) => p,
        Err(response) => return response,
    };
    let wanted = match query_value(&pairs, "state") {
        None => None,
        Some(raw) => match raw.parse::<types::BatchState>() {
            Ok(state) => Some(state),
            Err(_) => {
                return ctx.query_field_problem(
                    "state",
                    "The state must be one of open, queued, processing, completed, failed.",
                );
            }
        },
    };
    let all: Vec<types::Batch> = app.with_team(&ctx.team, |store, c| {
        let team = team(store, c);
        team.batch_order
            .iter()
            .filter_map(|uuid| team.batches.get(uuid))
            .map(|b| b.to_api(c.now, c.delay))
            .filter(|b| wanted.as_ref().is_none_or(|w| b.state == *w))
            .collect()
    });
    let (data, meta) = paginate(&all, page, per_page);
    json(StatusCode::OK, &types::BatchList { data, meta })
}

async fn get_booking_batch(State(app): AppState, ctx: Ctx, params: RawPathParams) -> Response {
    let Some(uuid) = uuid_param(&params, "batch") else {
        return ctx.not_found();
    };
    let batch = app.with_team(&ctx.team, |store, c| {
        team(store, c)
            .batches
            .get(&uuid)
            .map(|b| b.to_api(c.now, c.delay))
    });
    match batch {
        Some(data) => json(StatusCode::OK, &types::BatchEnvelope { data }),
        None => ctx.not_found(),
    }
}

/// Why a batch request was refused.
enum BatchRefusal {
    NotFound,
    NotOpen,
    Empty,
}

impl BatchRefusal {
    fn response(self, ctx: &Ctx) -> Response {
        match self {
            BatchRefusal::NotFound => ctx.not_found(),
            BatchRefusal::NotOpen => ctx.problem(Kind::BatchNotOpen).into_response(),
            BatchRefusal::Empty => ctx.problem(Kind::BatchEmpty).into_response(),
        }
    }
}

/// Adds the shipments (all or none: one invalid entry rejects the request) to an open batch.
async fn add_booking_batch_shipments(
    State(app): AppState,
    ctx: Ctx,
    params: RawPathParams,
    SpecJson(request): SpecJson<types::BatchShipmentsRequest>,
) -> Response {
    let Some(uuid) = uuid_param(&params, "batch") else {
        return ctx.not_found();
    };
    let outcome = app.with_team(&ctx.team, |store, c| {
        let team = team(store, c);
        let Some(batch) = team.batches.get_mut(&uuid) else {
            return Err(BatchRefusal::NotFound);
        };
        if batch.dispatched_at.is_some() {
            return Err(BatchRefusal::NotOpen);
        }
        let added: Vec<StoredShipment> = request
            .data
            .into_iter()
            .map(|request| StoredShipment::new(request, c.now, ctx.language))
            .collect();
        batch.shipments.extend(added.iter().map(|s| s.uuid));
        let answer = batch.to_api(c.now, c.delay);
        for shipment in added {
            team.add_shipment(shipment);
        }
        c.record("add_booking_batch_shipments", &uuid.to_string());
        Ok(answer)
    });
    match outcome {
        Ok(data) => json(StatusCode::OK, &types::BatchEnvelope { data }),
        Err(refusal) => refusal.response(&ctx),
    }
}

/// Closes an open, non-empty batch and queues its shipments (state `booking`) for booking.
async fn dispatch_booking_batch(State(app): AppState, ctx: Ctx, params: RawPathParams) -> Response {
    let Some(uuid) = uuid_param(&params, "batch") else {
        return ctx.not_found();
    };
    let outcome = app.with_team(&ctx.team, |store, c| {
        let team = team(store, c);
        let Some(batch) = team.batches.get_mut(&uuid) else {
            return Err(BatchRefusal::NotFound);
        };
        if batch.dispatched_at.is_some() {
            return Err(BatchRefusal::NotOpen);
        }
        if batch.shipments.is_empty() {
            return Err(BatchRefusal::Empty);
        }
        batch.dispatched_at = Some(c.now);
        batch.origin = ctx.origin.clone();
        let answer = batch.to_api(c.now, c.delay);
        let queued = batch.shipments.clone();
        for shipment in &queued {
            if let Some(s) = team.shipment_mut(shipment)
                && s.state == types::ShipmentState::Open
            {
                s.state = types::ShipmentState::Booking;
            }
        }
        c.record("dispatch_booking_batch", &uuid.to_string());
        Ok(answer)
    });
    match outcome {
        Ok(data) => {
            let location = ctx.team_url(&format!("/booking-batches/{uuid}"));
            with_location(
                json(StatusCode::ACCEPTED, &types::BatchEnvelope { data }),
                &location,
            )
        }
        Err(refusal) => refusal.response(&ctx),
    }
}

// ---------------------------------------------------------------------------------------------
// Rates, services, service points
// ---------------------------------------------------------------------------------------------

async fn get_rates(
    State(app): AppState,
    ctx: Ctx,
    SpecJson(request): SpecJson<types::RateRequest>,
) -> Response {
    let now = app.with_team(&ctx.team, |_, c| {
        c.record("get_rates", &c.team);
        c.now
    });
    let data = catalogue::rates(&request, now, ctx.language);
    json(StatusCode::OK, &types::RateList { data })
}

async fn list_services(State(app): AppState, ctx: Ctx) -> Response {
    app.with_team(&ctx.team, |_, _| ());
    json(
        StatusCode::OK,
        &types::ServiceList {
            data: catalogue::services(),
        },
    )
}

async fn list_service_points(State(app): AppState, ctx: Ctx, query: QueryPairs) -> Response {
    let pairs = match query_pairs(&ctx, query) {
        Ok(pairs) => pairs,
        Err(response) => return response,
    };
    let (page, per_page) = match pagination(&ctx, &pairs) {
        Ok(p) => p,
        Err(response) => return response,
    };
    // Required, and `minLength: 1` in the spec: `carrier=` names no carrier either.
    let carrier = match query_value(&pairs, "carrier") {
        None => {
            return ctx.query_field_problem("carrier", "The carrier query parameter is required.");
        }
        Some("") => {
            return ctx
                .query_field_problem("carrier", "The carrier query parameter must not be empty.");
        }
        Some(carrier) => carrier,
    };
    let country = query_value(&pairs, "country");
    if let Some(country) = country
        && !(country.len() == 2 && country.bytes().all(|b| b.is_ascii_uppercase()))
    {
        return ctx.query_field_problem(
            "country",
            "The country must be a two-letter ISO 3166-1 code in capitals.",
        );
    }
    app.with_team(&ctx.team, |_, _| ());
    let all = catalogue::service_points(carrier, country, query_value(&pairs, "postal_code"));
    let (data, meta) = paginate(&all, page, per_page);
    json(StatusCode::OK, &types::ServicePointList { data, meta })
}

async fn get_service_point(State(app): AppState, ctx: Ctx, params: RawPathParams) -> Response {
    app.with_team(&ctx.team, |_, _| ());
    match uuid_param(&params, "service_point").and_then(catalogue::service_point_by_uuid) {
        Some(data) => json(StatusCode::OK, &types::ServicePointEnvelope { data }),
        None => ctx.not_found(),
    }
}

async fn get_service_point_by_carrier_code(
    State(app): AppState,
    ctx: Ctx,
    params: RawPathParams,
) -> Response {
    app.with_team(&ctx.team, |_, _| ());
    let found = match (
        param(&params, "carrier"),
        param(&params, "country"),
        param(&params, "code"),
    ) {
        (Some(carrier), Some(country), Some(code)) => {
            catalogue::service_point_by_code(&carrier, &country, &code)
        }
        _ => None,
    };
    match found {
        Some(data) => json(StatusCode::OK, &types::ServicePointEnvelope { data }),
        None => ctx.not_found(),
    }
}
