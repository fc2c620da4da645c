//! Smart Send's in-memory state, per team, and the clock-driven progress of background work.
//!
//! Nothing runs in the background: [`Store::settle`] is called at the start of every request of a
//! team and completes whatever work is due by the clock's time (an asynchronous booking accepted
//! at `t` completes at `t + async_delay`; a dispatched batch books its shipments spread over
//! `[t + delay/2, t + delay]`). Each booking is executed exactly once, when it falls due, so a
//! test that advances the clock and reads sees a deterministic result.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use parcelkit::smartsend::types;
use uuid::Uuid;

use super::catalogue;
use super::label::Label;
use crate::Ledger;
use crate::clock::api_time;
use crate::smartsend::problem::{Kind, Language, Problem};

/// The whole Smart Send state: teams, and the labels (public, so outside the teams).
#[derive(Debug, Default)]
pub(super) struct Store {
    pub teams: HashMap<String, Team>,
    /// Labels by parcel uuid (the unguessable part of the label URL).
    pub labels: HashMap<Uuid, Label>,
}

/// One team's resources.
#[derive(Debug, Default)]
pub(super) struct Team {
    /// Private, with `shipment_order`: only [`Team::add_shipment`] and
    /// [`Team::remove_shipment`] change which shipments exist, so the list order always holds
    /// exactly them.
    shipments: HashMap<Uuid, StoredShipment>,
    /// Shipment uuids in creation order (the list order).
    shipment_order: Vec<Uuid>,
    pub batches: HashMap<Uuid, StoredBatch>,
    pub batch_order: Vec<Uuid>,
    pub operations: HashMap<Uuid, StoredOperation>,
}

impl Team {
    /// Adds a new shipment, last in the list order.
    pub fn add_shipment(&mut self, shipment: StoredShipment) {
        self.shipment_order.push(shipment.uuid);
        self.shipments.insert(shipment.uuid, shipment);
    }

    /// Removes a shipment from the team and from the list order.
    pub fn remove_shipment(&mut self, uuid: &Uuid) -> Option<StoredShipment> {
        let removed = self.shipments.remove(uuid)?;
        self.shipment_order.retain(|u| u != uuid);
        Some(removed)
    }

    pub fn shipment(&self, uuid: &Uuid) -> Option<&StoredShipment> {
        self.shipments.get(uuid)
    }

    pub fn shipment_mut(&mut self, uuid: &Uuid) -> Option<&mut StoredShipment> {
        self.shipments.get_mut(uuid)
    }

    /// The shipments' uuids in list (creation) order.
    pub fn shipment_order(&self) -> &[Uuid] {
        &self.shipment_order
    }
}

#[derive(Debug, Clone)]
pub(super) struct StoredShipment {
    pub uuid: Uuid,
    pub state: types::ShipmentState,
    pub request: types::ShipmentRequest,
    pub parcel_uuids: Vec<Uuid>,
    /// Per parcel, once booked: (tracking code, tracking URL, label URL).
    pub booking: Option<Vec<(String, String, String)>>,
    pub created_at: DateTime<Utc>,
    pub booked_at: Option<DateTime<Utc>>,
    /// The language texts (add-on names) are rendered in, fixed at creation.
    pub language: Language,
}

#[derive(Debug, Clone)]
pub(super) struct StoredBatch {
    pub uuid: Uuid,
    pub reference: Option<String>,
    pub identifier: Option<String>,
    pub shipments: Vec<Uuid>,
    pub created_at: DateTime<Utc>,
    pub dispatched_at: Option<DateTime<Utc>>,
    /// Where label URLs of its bookings point (the origin of the dispatch request).
    pub origin: String,
    pub completed: i64,
    pub failed: i64,
    /// How many of `shipments` have been processed.
    pub processed: usize,
}

#[derive(Debug, Clone)]
pub(super) struct StoredOperation {
    pub uuid: Uuid,
    pub shipment: Uuid,
    /// The operationId to record in the ledger when the booking executes.
    pub ledger_operation: &'static str,
    pub origin: String,
    pub created_at: DateTime<Utc>,
    pub completed_at: Option<DateTime<Utc>>,
    pub result: Option<types::Shipment>,
    pub error: Option<types::Problem>,
}

/// Why a booking could not be made.
#[derive(Debug, Clone)]
pub(super) enum BookingError {
    /// Booked (or being booked) already.
    AlreadyBooked,
    /// The carrier or service is not in the catalogue.
    Rejected(String, String),
}

impl BookingError {
    pub fn problem(&self, language: Language) -> Problem {
        match self {
            BookingError::AlreadyBooked => Problem::new(Kind::AlreadyBooked, language),
            BookingError::Rejected(field, message) => {
                let detail = match language {
                    Language::En => "The carrier rejected the booking.",
                    Language::Da => "Fragtfirmaet afviste bookingen.",
                };
                Problem::new(Kind::ValidationFailed, language)
                    .detail(detail)
                    .field_errors(&[crate::spec::FieldError {
                        path: field.clone(),
                        message: message.clone(),
                    }])
            }
        }
    }
}

impl StoredShipment {
    pub fn new(request: types::ShipmentRequest, now: DateTime<Utc>, language: Language) -> Self {
        StoredShipment {
            uuid: Uuid::new_v4(),
            state: types::ShipmentState::Open,
            parcel_uuids: request.parcels.iter().map(|_| Uuid::new_v4()).collect(),
            request,
            booking: None,
            created_at: now,
            booked_at: None,
            language,
        }
    }

    /// The shipment as the API shows it.
    pub fn to_api(&self) -> types::Shipment {
        let r = &self.request;
        let addons: Vec<String> = r
            .delivery
            .addons
            .iter()
            .flatten()
            .map(|a| a.code.clone())
            .collect();
        types::Shipment {
            booked_at: self.booked_at.map(api_time),
            created_at: api_time(self.created_at),
            currency: r.currency.as_str().parse().expect("validated currency"),
            delivery: catalogue::delivery(
                &r.delivery.carrier,
                &r.delivery.service,
                &addons,
                r.delivery.incoterm.clone(),
                self.language,
            ),
            dimension_unit: r.dimension_unit.clone(),
            duty_amount: r.duty_amount,
            identifier: r.identifier.clone(),
            invoice_number: r.invoice_number.clone(),
            parcels: r
                .parcels
                .iter()
                .zip(&self.parcel_uuids)
                .enumerate()
                .map(|(i, (p, uuid))| {
                    let booked = self.booking.as_ref().and_then(|b| b.get(i));
                    types::Parcel {
                        documents: booked
                            .map(|(_, _, url)| {
                                vec![types::Document {
                                    format: "pdf".to_owned(),
                                    type_: "label".to_owned(),
                                    url: url.clone(),
                                }]
                            })
                            .unwrap_or_default(),
                        duty_amount: p.duty_amount,
                        freetext: p.freetext.clone(),
                        gross_weight: p.gross_weight,
                        height: p.height,
                        identifier: p.identifier.clone(),
                        items: p.items.clone().unwrap_or_default(),
                        length: p.length,
                        reference: p.reference.clone(),
                        tax_amount: p.tax_amount,
                        total_net_amount: p.total_net_amount,
                        tracking_code: booked.map(|(code, _, _)| code.clone()),
                        tracking_url: booked.map(|(_, url, _)| url.clone()),
                        uuid: *uuid,
                        width: p.width,
                    }
                })
                .collect(),
            parties: r.parties.clone(),
            reference: r.reference.clone(),
            shipping_net_amount: r.shipping_net_amount,
            shipping_tax_amount: r.shipping_tax_amount,
            state: self.state.clone(),
            tax_amount: r.tax_amount,
            total_net_amount: r.total_net_amount,
            uri: r.uri.clone(),
            uuid: self.uuid,
            weight_unit: r.weight_unit.clone(),
        }
    }

    /// Books the shipment now: tracking codes, tracking URLs and labels (served under `origin`).
    /// Fails (state `failed`) when its carrier or service is not in the catalogue.
    pub fn book(
        &mut self,
        now: DateTime<Utc>,
        origin: &str,
        labels: &mut HashMap<Uuid, Label>,
    ) -> Result<(), BookingError> {
        let delivery = &self.request.delivery;
        let Some(carrier) = catalogue::carrier(&delivery.carrier) else {
            self.state = types::ShipmentState::Failed;
            return Err(BookingError::Rejected(
                "delivery.carrier".to_owned(),
                format!("Unknown carrier {:?}.", delivery.carrier),
            ));
        };
        let Some(service) = catalogue::service(carrier.code, &delivery.service) else {
            self.state = types::ShipmentState::Failed;
            return Err(BookingError::Rejected(
                "delivery.service".to_owned(),
                format!("{} has no service {:?}.", carrier.name, delivery.service),
            ));
        };
        let receiver = &self.request.parties.receiver;
        let mut receiver_lines = receiver.contact.name_lines.clone();
        receiver_lines.extend(receiver.address.address_lines.iter().flatten().cloned());
        receiver_lines.push(format!(
            "{} {} {}",
            receiver.address.postal_code.as_deref().unwrap_or(""),
            receiver.address.city,
            receiver.address.country.as_str()
        ));
        let mut booking = Vec::new();
        for parcel in &self.parcel_uuids {
            let code = catalogue::tracking_code(carrier, *parcel);
            let url = catalogue::tracking_url(carrier, &code);
            labels.insert(
                *parcel,
                Label {
                    carrier: carrier.name.to_owned(),
                    service: service.name.to_owned(),
                    tracking_code: code.clone(),
                    receiver: receiver_lines.clone(),
                    reference: self.request.reference.clone(),
                },
            );
            booking.push((code, url, label_url(origin, *parcel)));
        }
        self.booking = Some(booking);
        self.booked_at = Some(now);
        self.state = types::ShipmentState::Booked;
        Ok(())
    }
}

/// Where a parcel's label is served (outside authentication, like a carrier's signed URL).
pub(super) fn label_url(origin: &str, parcel: Uuid) -> String {
    format!(
        "{origin}{}{}/{parcel}.pdf",
        crate::smartsend::PREFIX,
        super::LABELS_PATH
    )
}

impl StoredBatch {
    pub fn state(&self, now: DateTime<Utc>, delay: Duration) -> types::BatchState {
        let Some(dispatched) = self.dispatched_at else {
            return types::BatchState::Open;
        };
        let total = self.shipments.len();
        if self.processed >= total {
            if total > 0 && self.failed as usize == total {
                types::BatchState::Failed
            } else {
                types::BatchState::Completed
            }
        } else if now >= dispatched + delay / 2 {
            types::BatchState::Processing
        } else {
            types::BatchState::Queued
        }
    }

    /// When shipment `index` of the batch falls due: evenly over the second half of the delay.
    fn due(&self, index: usize, delay: Duration) -> Option<DateTime<Utc>> {
        let start = self.dispatched_at? + delay / 2;
        let span = delay - delay / 2;
        let n = self.shipments.len().max(1) as i32;
        Some(start + span * (index as i32 + 1) / n)
    }

    pub fn to_api(&self, now: DateTime<Utc>, delay: Duration) -> types::Batch {
        let total = self.shipments.len() as i64;
        let done = self.completed + self.failed;
        let state = self.state(now, delay);
        let finished = matches!(
            state,
            types::BatchState::Completed | types::BatchState::Failed
        );
        types::Batch {
            completed_count: self.completed,
            created_at: api_time(self.created_at),
            failed_count: self.failed,
            finished_at: if finished {
                self.dispatched_at.map(|d| api_time(d + delay))
            } else {
                None
            },
            identifier: self.identifier.clone(),
            progress: if total == 0 { 0 } else { done * 100 / total },
            reference: self.reference.clone(),
            started_at: match state {
                types::BatchState::Open | types::BatchState::Queued => None,
                _ => self.dispatched_at.map(|d| api_time(d + delay / 2)),
            },
            state,
            total_count: total,
            uuid: self.uuid,
        }
    }
}

impl StoredOperation {
    pub fn to_api(&self, now: DateTime<Utc>, delay: Duration) -> types::Operation {
        let running_from = self.created_at + delay / 2;
        let (state, updated_at) = match (self.completed_at, &self.error) {
            (Some(at), None) => (types::OperationState::Succeeded, at),
            (Some(at), Some(_)) => (types::OperationState::Failed, at),
            (None, _) if now >= running_from => (types::OperationState::Running, running_from),
            (None, _) => (types::OperationState::Pending, self.created_at),
        };
        types::Operation {
            completed_at: self.completed_at.map(api_time),
            created_at: api_time(self.created_at),
            error: self.error.clone(),
            resource: types::ResourceRef {
                type_: "shipment".to_owned(),
                uuid: self.shipment,
            },
            result: self.result.clone(),
            state,
            type_: "shipment.booking".to_owned(),
            updated_at: api_time(updated_at),
            uuid: self.uuid,
        }
    }
}

impl Store {
    /// The team's state (created on first use), with everything due by `now` completed.
    pub fn settle(
        &mut self,
        team: &str,
        now: DateTime<Utc>,
        delay: Duration,
        ledger: &Ledger,
    ) -> &mut Team {
        let Store { teams, labels } = self;
        let state = teams.entry(team.to_owned()).or_default();
        let Team {
            shipments,
            batches,
            operations,
            ..
        } = state;

        // Asynchronous bookings, oldest first.
        let mut due: Vec<&mut StoredOperation> = operations
            .values_mut()
            .filter(|op| op.completed_at.is_none() && now >= op.created_at + delay)
            .collect();
        due.sort_by_key(|op| op.created_at);
        for op in due {
            let at = op.created_at + delay;
            op.completed_at = Some(at);
            let Some(shipment) = shipments.get_mut(&op.shipment) else {
                op.error = Some(problem_body(Problem::new(Kind::NotFound, Language::En)));
                continue;
            };
            ledger.record("smartsend", op.ledger_operation, &shipment.uuid.to_string());
            match shipment.book(at, &op.origin, labels) {
                Ok(()) => op.result = Some(shipment.to_api()),
                Err(e) => op.error = Some(problem_body(e.problem(shipment.language))),
            }
        }

        // Dispatched batches: each shipment in turn as its time comes.
        for batch in batches.values_mut() {
            while batch.processed < batch.shipments.len() {
                let Some(at) = batch.due(batch.processed, delay) else {
                    break;
                };
                if now < at {
                    break;
                }
                let uuid = batch.shipments[batch.processed];
                batch.processed += 1;
                let outcome = match shipments.get_mut(&uuid) {
                    None => false,
                    Some(s) if s.state == types::ShipmentState::Booked => true,
                    Some(s) => s.book(at, &batch.origin, labels).is_ok(),
                };
                if outcome {
                    batch.completed += 1;
                } else {
                    batch.failed += 1;
                }
            }
        }
        state
    }
}

/// A problem as the `error` of an operation.
fn problem_body(problem: Problem) -> types::Problem {
    let (_, body) = problem.into_response_parts();
    serde_json::from_value(body).expect("a problem document is a Problem")
}
