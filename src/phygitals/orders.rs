//! Waiting for a shipping order to reach a status.
//!
//! Production moves an order through `queued`, `processing`, `label_created`, `shipped` and
//! `delivered` (or `cancelled`/`failed`); the vendor's sandbox leaves it `queued` forever, so a
//! wait there ends in [`OrderWaitError::TimedOut`], by design of the sandbox.

use std::fmt;
use std::time::Duration;

use super::{Client, OrderId, types};
use crate::Error;
use crate::PollPolicy;
use crate::runtime::PollClock;

/// Why waiting for an order did not end in the awaited status.
#[derive(Debug)]
#[non_exhaustive]
pub enum OrderWaitError {
    /// Fetching the order failed (after the client's own retries); e.g. `Order not found`.
    Request(Box<Error>),
    /// The policy's timeout passed first.
    TimedOut {
        /// The order.
        order_id: OrderId,
        /// Its status at the last poll.
        last_status: types::ShippingOrderStatus,
        /// How long was waited.
        waited: Duration,
    },
}

impl fmt::Display for OrderWaitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OrderWaitError::Request(e) => write!(f, "fetching the order failed: {e}"),
            OrderWaitError::TimedOut {
                order_id,
                last_status,
                waited,
            } => write!(
                f,
                "order {order_id} timed out after {:.1} s; last status {:?}{}",
                waited.as_secs_f64(),
                last_status.as_str(),
                if last_status.is_unknown() {
                    " (not in the spec)"
                } else {
                    ""
                }
            ),
        }
    }
}

impl std::error::Error for OrderWaitError {}

/// Whether an order has reached an end state (delivered, cancelled or failed) and will not change.
/// A status the spec does not list is not an end state: a wait goes on until it changes or times
/// out.
pub fn is_terminal(status: types::ShippingOrderStatus) -> bool {
    matches!(
        status,
        types::ShippingOrderStatus::Delivered
            | types::ShippingOrderStatus::Cancelled
            | types::ShippingOrderStatus::Failed
    )
}

impl Client {
    /// Polls `order_id` until it is delivered, cancelled or failed, or the policy times out; a
    /// status the spec does not list counts as not finished.
    ///
    /// ```no_run
    /// # async fn demo(client: parcelkit::phygitals::Client) -> Result<(), Box<dyn std::error::Error>> {
    /// use std::time::Duration;
    /// use parcelkit::PollPolicy;
    ///
    /// let policy = PollPolicy::default().with_interval(Duration::from_secs(30)).with_timeout(Duration::from_secs(3600));
    /// let order_id: parcelkit::phygitals::OrderId = "order_Zk3pQ9vX2mB7tL1c".parse()?;
    /// let order = client.wait_for_order(&order_id, policy).await?;
    /// println!("{} {:?}", order.status, order.tracking_number);
    /// # Ok(()) }
    /// ```
    pub async fn wait_for_order(
        &self,
        order_id: &OrderId,
        policy: PollPolicy,
    ) -> Result<types::ShippingOrder, OrderWaitError> {
        self.wait_for_order_until(order_id, policy, is_terminal)
            .await
    }

    /// Polls `order_id` until `reached(status)` (e.g. a label exists), or the policy times out.
    /// A status the spec does not list reaches nothing unless `reached` says so.
    pub async fn wait_for_order_until(
        &self,
        order_id: &OrderId,
        policy: PollPolicy,
        reached: impl Fn(types::ShippingOrderStatus) -> bool,
    ) -> Result<types::ShippingOrder, OrderWaitError> {
        let mut clock = PollClock::start(&policy, self.context());
        loop {
            let order = self
                .get_shipping_order()
                .order_id(order_id)
                .send()
                .await
                .map_err(|e| OrderWaitError::Request(Box::new(e)))?
                .into_inner();
            // `reached` takes the status by value (its public signature); the order is returned.
            if reached(order.status.clone()) {
                return Ok(order);
            }
            let Some(delay) = clock.next_delay() else {
                return Err(OrderWaitError::TimedOut {
                    order_id: order_id.clone(),
                    last_status: order.status,
                    waited: clock.waited(),
                });
            };
            self.context().sleep(delay).await;
        }
    }
}
