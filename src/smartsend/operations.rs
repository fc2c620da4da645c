//! Asynchronous booking: `Prefer: respond-async` turns a booking into an operation to poll.
//!
//! `.respond_async().send()` on a booking request returns a [`BookingOutcome`]: the booked
//! shipment when the server finished within the request (200), or an [`OperationHandle`] when it
//! accepted the work for later (202). Which one is decided by the status code, never by the
//! shape of the body. The handle polls the operation, following the
//! `Location` the server gave (when it is on the client's own origin) or else the modelled
//! `GET /team/{team}/operations/{operation}`, until it succeeds, fails or times out. Dropping the
//! future returned by [`OperationHandle::wait`] stops polling.

use std::fmt;
use std::time::Duration;

use progenitor_client::ResponseValue;

use super::{Client, types};
use crate::Error;
use crate::PollPolicy;
use crate::runtime::PollClock;

/// What a booking sent with `Prefer: respond-async` came to.
#[derive(Debug)]
#[non_exhaustive]
pub enum BookingOutcome {
    /// 200: booked within the request.
    Booked(Box<ResponseValue<types::ShipmentEnvelope>>),
    /// 202: accepted; poll the handle for the result.
    Accepted(Box<OperationHandle>),
}

impl BookingOutcome {
    /// The booked shipment: at once when the server finished within the request, else by
    /// polling the handle with its policy ([`OperationHandle::wait`]).
    ///
    /// ```no_run
    /// # async fn demo(client: parcelkit::smartsend::Client) -> Result<(), Box<dyn std::error::Error>> {
    /// let shop = client.team("ad9546c1-393e-49a5-9a72-5cc146c9bec5");
    /// let shipment: uuid::Uuid = "550e8400-e29b-41d4-a716-446655440000".parse()?;
    /// let outcome = shop.book_shipment().shipment(shipment).respond_async().send().await?;
    /// let booked = outcome.wait().await?;
    /// println!("{:?}", booked.parcels[0].tracking_code);
    /// # Ok(()) }
    /// ```
    pub async fn wait(self) -> Result<types::Shipment, OperationError> {
        match self {
            BookingOutcome::Booked(done) => Ok(done.into_inner().data),
            BookingOutcome::Accepted(handle) => handle.wait().await,
        }
    }
}

/// Why waiting for an operation did not produce a shipment.
#[derive(Debug)]
#[non_exhaustive]
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
    team: Option<types::TeamId>,
    operation: types::Operation,
    location: Option<reqwest::Url>,
    policy: PollPolicy,
}

impl OperationHandle {
    /// A handle for `operation`, accepted with `headers`: it polls their `Location` when that is
    /// on the client's origin (the credential never goes elsewhere), else `get_operation`.
    pub(super) fn new(
        client: Client,
        team: Option<types::TeamId>,
        operation: types::Operation,
        headers: &reqwest::header::HeaderMap,
    ) -> OperationHandle {
        let location = headers
            .get(reqwest::header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|l| client.same_origin_url(l));
        OperationHandle {
            client,
            team,
            operation,
            location,
            policy: PollPolicy::default(),
        }
    }

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
                let mut request = self.client.get_operation();
                if let Some(team) = &self.team {
                    request = request.team(team.clone());
                }
                request.operation(self.operation.uuid).send().await
            }
        };
        response
            .map(|r| r.into_inner().data)
            .map_err(|e| OperationError::Request(Box::new(e)))
    }
}

impl Client {
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
        let call = self.inner.for_call::<types::Problem>();
        let sent: Result<reqwest::Response, Raw<types::Problem>> = async {
            let mut request = self
                .client
                .get(url)
                .header(reqwest::header::ACCEPT, "application/json")
                .build()?;
            self.inner.prepare(&mut request);
            Ok(call.execute(&self.client, request, operation_id).await?)
        }
        .await;
        let response = sent.map_err(|e| call.fail(e))?;
        match response.status().as_u16() {
            200..=299 => crate::runtime::decode::call_success(&call, response),
            400..=599 => Err(call.fail(
                match crate::runtime::decode::error_response::<types::Problem, types::Problem>(
                    response,
                ) {
                    Ok(problem) => Raw::ErrorResponse(problem),
                    Err(error) => error,
                },
            )),
            _ => Err(call.fail(Raw::UnexpectedResponse(response))),
        }
    }
}
