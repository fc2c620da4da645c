//! How many times each write was actually executed, per API, operation and resource: what a test
//! reads to prove exactly-once (`GET /__sandbox/ledger`).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use serde_json::Value;

/// Counts of executed writes. Cloning shares it.
///
/// ```
/// let ledger = parcelkit_sandbox::Ledger::default();
/// ledger.record("smartsend", "book_shipment", "550e8400-e29b-41d4-a716-446655440000");
/// assert_eq!(ledger.count("smartsend", "book_shipment", "550e8400-e29b-41d4-a716-446655440000"), 1);
/// assert_eq!(ledger.total("smartsend", "book_shipment"), 1);
/// ```
#[derive(Debug, Clone, Default)]
pub struct Ledger(Arc<Mutex<Counts>>);

type Counts = BTreeMap<String, BTreeMap<String, BTreeMap<String, u64>>>;

impl Ledger {
    /// Records one execution of `operation` (an operationId) on `resource` (its id).
    pub fn record(&self, api: &str, operation: &str, resource: &str) {
        let mut counts = self.0.lock().expect("ledger lock");
        *counts
            .entry(api.to_owned())
            .or_default()
            .entry(operation.to_owned())
            .or_default()
            .entry(resource.to_owned())
            .or_default() += 1;
    }

    /// How many times `operation` was executed on `resource`.
    pub fn count(&self, api: &str, operation: &str, resource: &str) -> u64 {
        let counts = self.0.lock().expect("ledger lock");
        counts
            .get(api)
            .and_then(|ops| ops.get(operation))
            .and_then(|resources| resources.get(resource))
            .copied()
            .unwrap_or(0)
    }

    /// How many times `operation` was executed, on any resource.
    pub fn total(&self, api: &str, operation: &str) -> u64 {
        let counts = self.0.lock().expect("ledger lock");
        counts
            .get(api)
            .and_then(|ops| ops.get(operation))
            .map_or(0, |resources| resources.values().sum())
    }

    /// Everything, as `{api: {operation: {resource: count}}}`.
    pub fn to_json(&self) -> Value {
        // A copy under the lock, the JSON outside it: writers wait for the copy only.
        let counts = self.0.lock().expect("ledger lock").clone();
        serde_json::to_value(counts).expect("counts are JSON")
    }
}
