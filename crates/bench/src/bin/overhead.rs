//! What the client costs over hand-written reqwest + serde_json doing the same requests.
//!
//! Both talk to the in-process sandbox (on a runtime and thread of its own) with the same
//! connection settings, send the same requests (a `Request-ID` on each, an `Idempotency-Key` on
//! each create, so the sandbox does the same work for both) and decode into the same generated
//! types, so the difference is parcelkit's own work: Request-ID and Idempotency-Key, the retry loop, the call deadline,
//! the capped body read, the error capture. Rounds interleave the two (alternating which goes
//! first) and each round gives a ratio of throughputs; the median is reported, with the middle
//! half of the rounds (first to third quartile) to show the scatter.
//!
//! ```sh
//! cargo run --release -p parcelkit-bench --bin overhead -- [rounds] [requests per run]
//! # One side alone, for a profiler (`perf record`): client or hand-written, get or create.
//! cargo run --release -p parcelkit-bench --bin overhead -- profile client get 32 200000
//! # Heap allocations per request on the client side, each side alone (exact, not timed).
//! cargo run --release -p parcelkit-bench --bin overhead -- allocs get 32 20000
//! ```

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use futures_util::{StreamExt, TryStreamExt, stream};
use parcelkit::smartsend::{self, types};
use parcelkit_bench::{cpu_seconds_by_side, median, quartiles, start_sandbox};
use parcelkit_sandbox::SandboxConfig;

type Result<T, E = Box<dyn std::error::Error + Send + Sync>> = std::result::Result<T, E>;

const TOKEN: &str = SandboxConfig::DEFAULT_TOKEN;
const TEAM: &str = SandboxConfig::DEFAULT_TEAM;

#[derive(Clone, Copy, Debug, PartialEq)]
enum Operation {
    GetShipment,
    CreateShipment,
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Side {
    Client,
    HandWritten,
}

struct Bench {
    base: String,
    client: smartsend::Client,
    http: reqwest::Client,
    shipments: Vec<uuid::Uuid>,
    body: types::ShipmentRequest,
}

fn shipment_request() -> types::ShipmentRequest {
    serde_json::from_value(serde_json::json!({
        "reference": "bench",
        "currency": "DKK",
        "delivery": {"carrier": "postnord", "service": "home"},
        "parties": {"receiver": {
            "address": {"address_lines": ["Vestergade 12"], "postal_code": "8000", "city": "Aarhus", "country": "DK"},
            "contact": {"name_lines": ["Jane Doe"], "email": "jane@example.com"}
        }},
        "parcels": [{"gross_weight": 1250, "total_net_amount": 399.2}]
    }))
    .expect("a valid ShipmentRequest")
}

/// The client side's runtime: one worker thread, named so CPU time can be told apart, and
/// marked so its allocations are counted apart from the sandbox's.
fn client_runtime() -> Result<tokio::runtime::Runtime> {
    CLIENT_SIDE.set(true);
    Ok(tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .thread_name("bench-client")
        .on_thread_start(|| CLIENT_SIDE.set(true))
        .enable_all()
        .build()?)
}

/// The system allocator, counting what the client side's threads allocate (the sandbox runs in
/// this process too, on threads of its own, and is not counted).
struct CountingAllocator;

thread_local! {
    static CLIENT_SIDE: Cell<bool> = const { Cell::new(false) };
}

/// Allocations (and reallocations), bytes asked for, and allocations of 1 KiB or more, which
/// glibc serves from its large bins after consolidating the small free chunks.
static ALLOCATIONS: [AtomicU64; 3] = [AtomicU64::new(0), AtomicU64::new(0), AtomicU64::new(0)];

fn count(size: usize) {
    if CLIENT_SIDE.get() {
        ALLOCATIONS[0].fetch_add(1, Ordering::Relaxed);
        ALLOCATIONS[1].fetch_add(size as u64, Ordering::Relaxed);
        if size >= 1024 {
            ALLOCATIONS[2].fetch_add(1, Ordering::Relaxed);
        }
    }
}

fn allocations() -> [u64; 3] {
    ALLOCATIONS.each_ref().map(|a| a.load(Ordering::Relaxed))
}

// SAFETY: every call is passed to the system allocator unchanged; counting touches only atomics
// and a const thread-local, neither of which allocates.
unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count(layout.size());
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        count(layout.size());
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count(new_size);
        unsafe { System.realloc(ptr, layout, new_size) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: CountingAllocator = CountingAllocator;

/// Client-side heap allocations per request of each side alone, after a warm-up.
fn allocs(op: Operation, concurrency: usize, requests: usize) -> Result<()> {
    client_runtime()?.block_on(async {
        let bench = Bench::start().await?;
        println!("client-side heap allocations per request, {op:?} at concurrency {concurrency}");
        println!("| side | allocations | bytes | of 1 KiB or more |");
        println!("|---|---:|---:|---:|");
        for side in [Side::Client, Side::HandWritten] {
            bench.run(side, op, concurrency, requests / 4).await?;
            let before = allocations();
            bench.run(side, op, concurrency, requests).await?;
            let after = allocations();
            let per = |i: usize| (after[i] - before[i]) as f64 / requests as f64;
            println!(
                "| {side:?} | {:.1} | {:.0} | {:.2} |",
                per(0),
                per(1),
                per(2)
            );
        }
        Ok(())
    })
}

fn profile(side: Side, op: Operation, concurrency: usize, requests: usize) -> Result<()> {
    client_runtime()?.block_on(async {
        let bench = Bench::start().await?;
        let rate = bench.run(side, op, concurrency, requests).await?;
        println!("{side:?} {op:?} c={concurrency}: {rate:.0} req/s over {requests} requests");
        Ok(())
    })
}

impl Bench {
    /// Starts the sandbox and both clients, and creates the shipments the reads fetch.
    async fn start() -> Result<Arc<Bench>> {
        let base = start_sandbox(SandboxConfig::default());
        let client = smartsend::Client::builder()
            .base_url(&base)
            .token(TOKEN)
            .team(TEAM)
            .build()?;
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        let body = shipment_request();
        let mut shipments = Vec::new();
        for _ in 0..100 {
            let created = client.create_shipment().body(body.clone()).send().await?;
            shipments.push(created.data.uuid);
        }
        Ok(Arc::new(Bench {
            base,
            client,
            http,
            shipments,
            body,
        }))
    }

    async fn one(&self, side: Side, op: Operation, i: usize) -> Result<()> {
        let shipment = self.shipments[i % self.shipments.len()];
        match (side, op) {
            (Side::Client, Operation::GetShipment) => {
                self.client.get_shipment().shipment(shipment).send().await?;
            }
            (Side::Client, Operation::CreateShipment) => {
                self.client
                    .create_shipment()
                    .body(self.body.clone())
                    .send()
                    .await?;
            }
            (Side::HandWritten, Operation::GetShipment) => {
                let url = format!("{}/team/{TEAM}/shipments/{shipment}", self.base);
                let response = self
                    .http
                    .get(url)
                    .bearer_auth(TOKEN)
                    .header(reqwest::header::ACCEPT, "application/json")
                    // The same request as the client's: the API correlates by Request-ID.
                    .header("Request-ID", uuid::Uuid::new_v4().to_string())
                    .send()
                    .await?
                    .error_for_status()?;
                let bytes = response.bytes().await?;
                serde_json::from_slice::<types::ShipmentEnvelope>(&bytes)?;
            }
            (Side::HandWritten, Operation::CreateShipment) => {
                let url = format!("{}/team/{TEAM}/shipments", self.base);
                // A hand-written client must send a key too, or a retry could duplicate.
                let key = uuid::Uuid::new_v4().to_string();
                let response = self
                    .http
                    .post(url)
                    .bearer_auth(TOKEN)
                    .header(reqwest::header::ACCEPT, "application/json")
                    .header("Idempotency-Key", key)
                    .header("Request-ID", uuid::Uuid::new_v4().to_string())
                    .json(&self.body)
                    .send()
                    .await?
                    .error_for_status()?;
                let bytes = response.bytes().await?;
                serde_json::from_slice::<types::ShipmentEnvelope>(&bytes)?;
            }
        }
        Ok(())
    }

    /// Requests per second of `requests` calls, `concurrency` at a time, made by a task on the
    /// client side's worker thread (where the connections' tasks run too), not by the thread
    /// that called `block_on`: the side measured keeps to one thread, the sandbox to another.
    async fn run(
        self: &Arc<Self>,
        side: Side,
        op: Operation,
        concurrency: usize,
        requests: usize,
    ) -> Result<f64> {
        let bench = Arc::clone(self);
        tokio::spawn(async move {
            let started = Instant::now();
            stream::iter(0..requests)
                .map(|i| bench.one(side, op, i))
                .buffer_unordered(concurrency)
                .try_for_each(|()| async { Ok(()) })
                .await?;
            Ok(requests as f64 / started.elapsed().as_secs_f64())
        })
        .await?
    }
}

/// What to run: the interleaved comparison, or one side alone for a profiler.
enum Mode {
    Compare {
        rounds: usize,
        requests: usize,
    },
    Profile {
        side: Side,
        op: Operation,
        concurrency: usize,
        requests: usize,
    },
    Allocations {
        op: Operation,
        concurrency: usize,
        requests: usize,
    },
}

fn mode() -> Result<Mode> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let number = |i: usize, default: usize| -> Result<usize> {
        Ok(args
            .get(i)
            .map(|a| a.parse())
            .transpose()?
            .unwrap_or(default))
    };
    let operation = |i: usize| match args.get(i).map(String::as_str) {
        Some("get") => Ok(Operation::GetShipment),
        Some("create") => Ok(Operation::CreateShipment),
        other => Err(format!("operation {other:?} is not `get` or `create`")),
    };
    match args.first().map(String::as_str) {
        Some("profile") => {}
        Some("allocs") => {
            return Ok(Mode::Allocations {
                op: operation(1)?,
                concurrency: number(2, 32)?,
                requests: number(3, 20_000)?,
            });
        }
        _ => {
            return Ok(Mode::Compare {
                rounds: number(0, 7)?,
                requests: number(1, 2_000)?,
            });
        }
    }
    let side = match args.get(1).map(String::as_str) {
        Some("client") => Side::Client,
        Some("hand-written") => Side::HandWritten,
        other => {
            return Err(
                format!("profile: side {other:?} is not `client` or `hand-written`").into(),
            );
        }
    };
    Ok(Mode::Profile {
        side,
        op: operation(2)?,
        concurrency: number(3, 32)?,
        requests: number(4, 100_000)?,
    })
}

fn main() -> Result<()> {
    let (rounds, requests) = match mode()? {
        Mode::Compare { rounds, requests } => (rounds, requests),
        Mode::Profile {
            side,
            op,
            concurrency,
            requests,
        } => {
            return profile(side, op, concurrency, requests);
        }
        Mode::Allocations {
            op,
            concurrency,
            requests,
        } => return allocs(op, concurrency, requests),
    };

    let runtime = client_runtime()?;
    runtime.block_on(async {
        let bench = Bench::start().await?;

        println!("parcelkit client vs hand-written reqwest + serde_json, against the sandbox");
        println!("{rounds} interleaved rounds of {requests} requests each; medians\n");
        println!(
            "| operation | concurrency | client req/s | hand-written req/s | ratio | middle half of the rounds \
             | client-side CPU µs/request (client / hand-written) | sandbox CPU µs/request (same) |"
        );
        println!("|---|---:|---:|---:|---:|---|---:|---:|");
        for op in [Operation::GetShipment, Operation::CreateShipment] {
            for concurrency in [1, 32] {
                // Warm-up: connections, allocator, caches.
                bench
                    .run(Side::Client, op, concurrency, requests / 4)
                    .await?;
                bench
                    .run(Side::HandWritten, op, concurrency, requests / 4)
                    .await?;
                let (mut ours, mut theirs, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
                // CPU seconds (sandbox threads, client side) per side, over all rounds.
                let mut cpu = [(0.0, 0.0); 2];
                for round in 0..rounds {
                    let order = if round % 2 == 0 {
                        [Side::Client, Side::HandWritten]
                    } else {
                        [Side::HandWritten, Side::Client]
                    };
                    let mut measured = [0.0; 2];
                    for side in order {
                        let before = cpu_seconds_by_side();
                        let rate = bench.run(side, op, concurrency, requests).await?;
                        let index = usize::from(side == Side::HandWritten);
                        measured[index] = rate;
                        if let (Some(before), Some(after)) = (before, cpu_seconds_by_side()) {
                            cpu[index].0 += after.0 - before.0;
                            cpu[index].1 += after.1 - before.1;
                        }
                    }
                    ours.push(measured[0]);
                    theirs.push(measured[1]);
                    ratios.push(measured[0] / measured[1]);
                }
                let name = match op {
                    Operation::GetShipment => "get_shipment",
                    Operation::CreateShipment => "create_shipment",
                };
                let (low, middle, high) = quartiles(&mut ratios);
                let per_request = |seconds: f64| seconds * 1e6 / (rounds * requests) as f64;
                println!(
                    "| {name} | {concurrency} | {:.0} | {:.0} | {middle:.2}x | {low:.2}x-{high:.2}x | {:.0} / {:.0} | {:.0} / {:.0} |",
                    median(&mut ours),
                    median(&mut theirs),
                    per_request(cpu[0].1),
                    per_request(cpu[1].1),
                    per_request(cpu[0].0),
                    per_request(cpu[1].0),
                );
            }
        }
        Ok(())
    })
}
