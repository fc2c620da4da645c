//! The two modes of a booking request, as the generated builders offer them (a parcelkit-codegen
//! rule, `respond_async`): `send()` waits for the booked shipment; `respond_async().send()` asks
//! the server not to wait and returns a [`BookingOutcome`].

use std::future::Future;

use progenitor_client::ResponseValue;

use super::operations::{BookingOutcome, OperationError, OperationHandle};
use super::{Client, types};
use crate::{Error, PollPolicy};

/// What the generated builder of an operation that accepts `Prefer: respond-async` provides.
/// Public in a private module: the builders implement it, callers never name it.
pub trait Request: Sized + Send {
    /// The client and the team the request goes to (`None` when the request has no valid team:
    /// sending it then fails before anything goes out).
    fn scope(&self) -> (Client, Option<types::TeamId>);

    /// Sends the request, with `Prefer: respond-async` when `respond_async`; the body split by
    /// what it is: the finished shipment or the accepted operation.
    fn send_preferring(
        self,
        respond_async: bool,
    ) -> impl Future<
        Output = Result<
            ResponseValue<Result<types::ShipmentEnvelope, types::OperationEnvelope>>,
            Error,
        >,
    > + Send;
}

/// `send()` of a booking request: without `Prefer`, the server answers when the booking is done.
/// A `202` anyway (a key first used with `respond_async` replays its stored `202`) is followed to
/// its end with the default poll policy; the value then carries the `202`'s status and headers.
pub(crate) async fn finished<R: Request>(
    request: R,
) -> Result<ResponseValue<types::ShipmentEnvelope>, Error> {
    let (client, team) = request.scope();
    // Boxed: the request's future is large (the body, the builder, the attempts), and every
    // caller's future (a task per booking, say) would otherwise carry it and be moved with it.
    let response = Box::pin(request.send_preferring(false)).await?;
    let status = response.status();
    if matches!(status.as_u16(), 200 | 201) && response.is_ok() {
        // The usual answer: the shipment, with the response's own headers (no copy).
        let finished: Result<_, std::convert::Infallible> = response.map(|body| match body {
            Ok(shipment) => shipment,
            Err(_) => unreachable!("checked above: a finished body"),
        });
        let Ok(finished) = finished;
        return Ok(finished);
    }
    let headers = response.headers().clone();
    match (status.as_u16(), response.into_inner()) {
        (200 | 201, Ok(shipment)) => Ok(ResponseValue::new(shipment, status, headers)),
        (202, Err(operation)) => {
            let handle = OperationHandle::new(client, team, operation.data, &headers);
            // Boxed: polling is the rare path, and its future would otherwise double the
            // size of every synchronous booking's.
            match Box::pin(handle.wait()).await {
                Ok(data) => Ok(ResponseValue::new(
                    types::ShipmentEnvelope { data },
                    status,
                    headers,
                )),
                Err(OperationError::Request(e)) => Err(*e),
                Err(other) => Err(Error::unexpected_answer(
                    "Smart Send",
                    status,
                    headers,
                    format!("booking accepted for later, then: {other}"),
                )),
            }
        }
        (code, body) => Err(unexpected(
            code,
            body,
            status,
            headers,
            "200 with a shipment",
        )),
    }
}

fn unexpected(
    code: u16,
    body: Result<types::ShipmentEnvelope, types::OperationEnvelope>,
    status: reqwest::StatusCode,
    headers: reqwest::header::HeaderMap,
    expected: &str,
) -> Error {
    let what = match &body {
        Ok(_) => "a shipment".to_owned(),
        Err(op) => format!(
            "operation {} (state {:?}; poll it with get_operation)",
            op.data.uuid,
            op.data.state.as_str()
        ),
    };
    Error::unexpected_answer(
        "Smart Send",
        status,
        headers,
        format!("booking answered {code} with {what}; expected {expected}"),
    )
}

/// A booking request that asks the server not to wait (`Prefer: respond-async`), from
/// `.respond_async()` on `book_shipment()` or `create_and_book_shipment()`.
///
/// ```no_run
/// # async fn demo(client: parcelkit::smartsend::Client) -> Result<(), Box<dyn std::error::Error>> {
/// use parcelkit::smartsend::BookingOutcome;
///
/// let shop = client.team("ad9546c1-393e-49a5-9a72-5cc146c9bec5");
/// let shipment: uuid::Uuid = "550e8400-e29b-41d4-a716-446655440000".parse()?;
/// let outcome = shop.book_shipment().shipment(shipment).respond_async().send().await?;
/// if let BookingOutcome::Accepted(handle) = &outcome {
///     println!("accepted as operation {}", handle.operation().uuid);
/// }
/// let booked = outcome.wait().await?;
/// println!("{:?}", booked.parcels[0].tracking_code);
/// # Ok(()) }
/// ```
#[derive(Debug)]
#[must_use = "a request does nothing until it is sent"]
pub struct RespondAsync<R> {
    request: R,
    policy: PollPolicy,
}

impl<R: Request> RespondAsync<R> {
    pub(crate) fn new(request: R) -> Self {
        RespondAsync {
            request,
            policy: PollPolicy::default(),
        }
    }

    /// How an accepted operation's handle polls (its default: [`PollPolicy::default`]).
    pub fn poll_policy(mut self, policy: PollPolicy) -> Self {
        self.policy = policy;
        self
    }

    /// Sends the request. `200` is [`BookingOutcome::Booked`]; `202` is
    /// [`BookingOutcome::Accepted`] with a handle that polls the `Location` the server gave (when
    /// it is on the client's origin) or else `get_operation`. Decided by status code.
    pub async fn send(self) -> Result<BookingOutcome, Error> {
        let (client, team) = self.request.scope();
        let response = self.request.send_preferring(true).await?;
        let status = response.status();
        let headers = response.headers().clone();
        match (status.as_u16(), response.into_inner()) {
            (200 | 201, Ok(shipment)) => Ok(BookingOutcome::Booked(Box::new(ResponseValue::new(
                shipment, status, headers,
            )))),
            (202, Err(operation)) => Ok(BookingOutcome::Accepted(Box::new(
                OperationHandle::new(client, team, operation.data, &headers)
                    .with_poll_policy(self.policy),
            ))),
            (code, body) => Err(unexpected(
                code,
                body,
                status,
                headers,
                "200 with a shipment or 202 with an operation",
            )),
        }
    }
}
