//! Asynchronous booking: `Prefer: respond-async` turns a booking into an operation to poll.
//!
//! [`Client::book_shipment_async`] and [`Client::create_and_book_shipment_async`] return a
//! [`BookingOutcome`]: the booked shipment when the server finished within the request (200), or
//! an [`OperationHandle`] when it accepted the work for later (202). Which one is decided by the
//! status code, never by the shape of the body. The handle polls the operation, following the
//! `Location` the server gave (when it is on the client's own origin) or else the modelled
//! `GET /team/{team}/operations/{operation}`, until it succeeds, fails or times out. Dropping the
//! future returned by [`OperationHandle::wait`] stops polling.

use std::fmt;
use std::time::Duration;

use progenitor_client::ResponseValue;

use super::{Client, types};
use crate::Error;
use crate::runtime::PollClock;
use crate::{IdempotencyKey, PollPolicy, ResponseMeta};

/// What a booking came to.
#[derive(Debug)]
pub enum BookingOutcome {
    /// 200: booked within the request.
    Booked(Box<ResponseValue<types::ShipmentEnvelope>>),
    /// 202: accepted; poll the handle for the result.
    Accepted(Box<OperationHandle>),
}

/// Why waiting for an operation did not produce a shipment.
#[derive(Debug)]
pub enum OperationError {
    /// A poll request failed (after the client's own retries).
    Request(Box<Error>),
    /// The operation ended in state `failed`; its `error` says why.
    Failed(Box<types::Operation>),
    /// The operation succeeded without a `result` shipment.
    MissingResult(Box<types::Operation>),
    /// The poll policy's timeout passed while the operation was still pending, running, or in a
    /// state the spec does not list (read as "not finished": the booking may yet go through).
    TimedOut {
        /// The operation.
        operation: uuid::Uuid,
        /// Its state at the last poll.
        last_state: types::OperationState,
        /// How long was waited.
        waited: Duration,
    },
}

impl fmt::Display for OperationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OperationError::Request(e) => write!(f, "polling the operation failed: {e}"),
            OperationError::Failed(op) => match &op.error {
                Some(problem) => write!(
                    f,
                    "operation {} failed: {}{}",
                    op.uuid,
                    problem.title,
                    problem
                        .detail
                        .as_deref()
                        .map(|d| format!(": {d}"))
                        .unwrap_or_default()
                ),
                None => write!(f, "operation {} failed", op.uuid),
            },
            OperationError::MissingResult(op) => {
                write!(f, "operation {} succeeded but carries no shipment", op.uuid)
            }
            OperationError::TimedOut {
                operation,
                last_state,
                waited,
            } => write!(
                f,
                "operation {operation} timed out after {:.1} s; last state {:?}{}",
                waited.as_secs_f64(),
                last_state.as_str(),
                if last_state.is_unknown() {
                    " (not in the spec)"
                } else {
                    ""
                }
            ),
        }
    }
}

impl std::error::Error for OperationError {}

/// An accepted booking: poll it with [`OperationHandle::wait`].
#[derive(Debug, Clone)]
pub struct OperationHandle {
    client: Client,
    team: String,
    operation: types::Operation,
    location: Option<reqwest::Url>,
    policy: PollPolicy,
}

impl OperationHandle {
    /// The operation as last seen.
    pub fn operation(&self) -> &types::Operation {
        &self.operation
    }

    /// Where the server said to poll (`Location`), if it said so and it is on the client's origin.
    pub fn location(&self) -> Option<&reqwest::Url> {
        self.location.as_ref()
    }

    /// Replaces the poll policy.
    pub fn with_poll_policy(mut self, policy: PollPolicy) -> Self {
        self.policy = policy;
        self
    }

    /// Polls until the operation succeeds (its shipment), fails, or the policy's timeout passes.
    /// A state the spec does not list counts as not finished. Dropping the returned future stops
    /// polling.
    pub async fn wait(mut self) -> Result<types::Shipment, OperationError> {
        let mut clock = PollClock::start(&self.policy, self.client.context());
        loop {
            match self.operation.state {
                types::OperationState::Succeeded => {
                    return match self.operation.result.take() {
                        Some(shipment) => Ok(shipment),
                        None => Err(OperationError::MissingResult(Box::new(self.operation))),
                    };
                }
                types::OperationState::Failed => {
                    return Err(OperationError::Failed(Box::new(self.operation)));
                }
                // A state the spec does not list is "not finished" (the spec says so): keep
                // polling; the timeout error names it if it never changes.
                types::OperationState::Pending
                | types::OperationState::Running
                | types::OperationState::Unknown(_) => {}
            }
            let Some(delay) = clock.next_delay() else {
                return Err(OperationError::TimedOut {
                    operation: self.operation.uuid,
                    last_state: self.operation.state.clone(),
                    waited: clock.waited(),
                });
            };
            self.client.context().sleep(delay).await;
            self.operation = self.poll_once().await?;
        }
    }

    async fn poll_once(&self) -> Result<types::Operation, OperationError> {
        let response = match &self.location {
            Some(url) => {
                self.client
                    .get_json::<types::OperationEnvelope>(url.clone(), "get_operation")
                    .await
            }
            None => {
                self.client
                    .get_operation()
                    .team(self.team.as_str())
                    .operation(self.operation.uuid)
                    .send()
                    .await
            }
        };
        response
            .map(|r| r.into_inner().data)
            .map_err(|e| OperationError::Request(Box::new(e)))
    }
}

impl Client {
    /// Books an existing shipment with `Prefer: respond-async` and an Idempotency-Key (yours,
    /// or a fresh one), deciding by status code whether it is done (200) or accepted (202).
    ///
    /// ```no_run
    /// # async fn demo(client: parcelkit::smartsend::Client) -> Result<(), Box<dyn std::error::Error>> {
    /// use parcelkit::smartsend::BookingOutcome;
    ///
    /// let team = "ad9546c1-393e-49a5-9a72-5cc146c9bec5";
    /// let shipment = "550e8400-e29b-41d4-a716-446655440000".parse()?;
    /// let booked = match client.book_shipment_async(team, shipment, None).await? {
    ///     BookingOutcome::Booked(done) => done.into_inner().data,
    ///     BookingOutcome::Accepted(handle) => handle.wait().await?,
    /// };
    /// println!("{:?}", booked.parcels[0].tracking_code);
    /// # Ok(()) }
    /// ```
    pub async fn book_shipment_async(
        &self,
        team: &str,
        shipment: uuid::Uuid,
        key: Option<IdempotencyKey>,
    ) -> Result<BookingOutcome, Error> {
        let response = self
            .book_shipment()
            .team(team)
            .shipment(shipment)
            .prefer(types::BookShipmentPrefer::RespondAsync)
            .idempotency_key(key.unwrap_or_else(IdempotencyKey::new_random))
            .send()
            .await?;
        self.outcome(team, response, |s| match s {
            types::BookShipmentSuccess::ShipmentEnvelope(e) => Ok(Box::new(e)),
            types::BookShipmentSuccess::OperationEnvelope(e) => Err(Box::new(e)),
        })
    }

    /// Creates and books a shipment in one call with `Prefer: respond-async`; see
    /// [`Client::book_shipment_async`].
    pub async fn create_and_book_shipment_async(
        &self,
        team: &str,
        request: types::ShipmentRequest,
        key: Option<IdempotencyKey>,
    ) -> Result<BookingOutcome, Error> {
        let response = self
            .create_and_book_shipment()
            .team(team)
            .body(request)
            .prefer(types::CreateAndBookShipmentPrefer::RespondAsync)
            .idempotency_key(key.unwrap_or_else(IdempotencyKey::new_random))
            .send()
            .await?;
        self.outcome(team, response, |s| match s {
            types::CreateAndBookShipmentSuccess::ShipmentEnvelope(e) => Ok(Box::new(e)),
            types::CreateAndBookShipmentSuccess::OperationEnvelope(e) => Err(Box::new(e)),
        })
    }

    /// 200 must carry a shipment, 202 an operation; anything else is a malformed answer.
    fn outcome<S>(
        &self,
        team: &str,
        response: ResponseValue<S>,
        split: impl FnOnce(S) -> Result<Box<types::ShipmentEnvelope>, Box<types::OperationEnvelope>>,
    ) -> Result<BookingOutcome, Error> {
        let status = response.status();
        let headers = response.headers().clone();
        let request_id = response.request_id().unwrap_or("-").to_owned();
        match (status.as_u16(), split(response.into_inner())) {
            (202, Err(op)) => {
                let location = headers
                    .get(reqwest::header::LOCATION)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|l| self.same_origin_url(l));
                Ok(BookingOutcome::Accepted(Box::new(OperationHandle {
                    client: self.clone(),
                    team: team.to_owned(),
                    operation: op.data,
                    location,
                    policy: PollPolicy::default(),
                })))
            }
            (200 | 201, Ok(shipment)) => Ok(BookingOutcome::Booked(Box::new(ResponseValue::new(
                *shipment, status, headers,
            )))),
            (code, body) => Err(Error::unexpected_answer(
                "Smart Send",
                status,
                headers,
                format!(
                    "booking answered {code} with {} (Request-ID {request_id}); expected 200 \
                     with a shipment or 202 with an operation",
                    if body.is_ok() {
                        "a shipment"
                    } else {
                        "an operation"
                    }
                ),
            )),
        }
    }

    /// Resolves `location` against the base URL; `None` when it points elsewhere, so the
    /// credential is never sent to another origin.
    fn same_origin_url(&self, location: &str) -> Option<reqwest::Url> {
        let base = reqwest::Url::parse(&self.baseurl).ok()?;
        let url = base.join(location).ok()?;
        (url.origin() == base.origin()).then_some(url)
    }

    /// A GET of a URL outside the generated operations (a `Location`), through the same
    /// runtime (credentials, Request-ID, retries).
    async fn get_json<T: serde::de::DeserializeOwned>(
        &self,
        url: reqwest::Url,
        operation_id: &str,
    ) -> Result<ResponseValue<T>, Error> {
        use progenitor_client::Error as Raw;
        let call = self.for_call();
        let result: Result<ResponseValue<T>, Raw<types::Problem>> = async {
            let mut request = call
                .client
                .get(url)
                .header(reqwest::header::ACCEPT, "application/json")
                .build()?;
            call.inner.prepare(&mut request);
            let response = call
                .inner
                .execute(&call.client, request, operation_id)
                .await?;
            match response.status().as_u16() {
                200..=299 => crate::runtime::decode::success(response).await,
                400..=599 => Err(Raw::ErrorResponse(
                    crate::runtime::decode::error_response(response).await?,
                )),
                _ => Err(Raw::UnexpectedResponse(response)),
            }
        }
        .await;
        call.finish_call(result)
    }
}
