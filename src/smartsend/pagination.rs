//! Every item of a paginated list, across pages, as a `Stream`.
//!
//! The list operations (`list_shipments`, `list_booking_batches`, `list_service_points`) answer
//! one page at a time with a `meta` block (`current_page`, `last_page`, ...). [`Paginate::stream`]
//! takes a configured list builder and yields its items from page 1 to the last page, fetching a
//! page only when the previous one is used up.

use std::num::NonZeroU64;

use futures_util::{Stream, TryStreamExt, stream};

use super::{builder, types};
use crate::Error;

/// A list operation whose pages can be walked.
///
/// ```no_run
/// # async fn demo(client: parcelkit::smartsend::Client) -> Result<(), Box<dyn std::error::Error>> {
/// use futures_util::TryStreamExt;
/// use parcelkit::smartsend::Paginate;
///
/// let team = "ad9546c1-393e-49a5-9a72-5cc146c9bec5";
/// let shipments: Vec<_> = client.list_shipments().team(team).per_page(100).stream().try_collect().await?;
/// println!("{} shipments", shipments.len());
/// # Ok(()) }
/// ```
pub trait Paginate {
    /// What the list holds.
    type Item;

    /// The items of every page, from page 1 (any `page` set on the builder is replaced). The
    /// first error ends the stream.
    fn stream(self) -> impl Stream<Item = Result<Self::Item, Error>>;
}

macro_rules! paginate {
    ($builder:ident, $item:ty) => {
        impl Paginate for builder::$builder<'_> {
            type Item = $item;

            fn stream(self) -> impl Stream<Item = Result<$item, Error>> {
                stream::try_unfold(Some((self, NonZeroU64::MIN)), |state| async move {
                    let Some((builder, page)) = state else {
                        return Ok::<_, Error>(None);
                    };
                    let list = builder.clone().page(page).send().await?.into_inner();
                    // Advance by the page asked for, not the page reported, so a server that
                    // ignores `page` cannot keep the stream going forever.
                    let next = (page < list.meta.last_page && !list.data.is_empty())
                        .then(|| page.checked_add(1))
                        .flatten()
                        .map(|next| (builder, next));
                    Ok(Some((list.data, next)))
                })
                .map_ok(|items| stream::iter(items.into_iter().map(Ok::<_, Error>)))
                .try_flatten()
            }
        }
    };
}

paginate!(ListShipments, types::Shipment);
paginate!(ListBookingBatches, types::Batch);
paginate!(ListServicePoints, types::ServicePoint);
