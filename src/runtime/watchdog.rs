//! Attempt timeouts without a tokio timer per attempt.
//!
//! Every attempt of a call has a timeout. Wrapping each one in `tokio::time::timeout` registers
//! a timer with tokio's time driver and cancels it again: the driver's lock twice and, when the
//! new deadline is the driver's earliest, an unpark of the driver from another thread. A run of
//! the bench (`crates/bench`, `overhead`) put `get_shipment` at concurrency 32 at 0.85x of
//! hand-written reqwest's throughput with that timer and 0.98x with a client that sets none.
//! (Later runs on a loaded machine could not resolve that difference, for the timer or for this
//! watchdog; in isolation, 32 attempts in flight on one worker, both cost about 200-250 ns per
//! attempt. What the watchdog takes off the attempt's path is tokio's time driver: its lock and
//! its unparks.)
//!
//! A [`Watchdog`] (one per client, shared by its copies) keeps the deadlines of the attempts in
//! flight in a min-heap behind a plain mutex, and ONE background task sleeps until the earliest
//! of them, marks what is due as expired and wakes it. Registering costs one lock and a push (a
//! deadline later than every other, as with one timeout for every attempt, is placed without
//! moving anything); a deadline later than the one the task already sleeps until does not wake
//! the task at all. Dropping a registration takes no lock: the entry is marked, and swept from
//! the heap by a later registration (and reused by it), so nothing is allocated per attempt in
//! the steady state.

use std::cmp::Ordering as Order;
use std::collections::BinaryHeap;
use std::future::{Future, poll_fn};
use std::pin::{Pin, pin};
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::task::{Context, Poll};
use std::time::Instant;

use futures_util::task::AtomicWaker;
use tokio::runtime::{Handle, Id as RuntimeId};
use tokio::sync::Notify;
use tokio::time::Sleep;

/// The deadlines of a client's attempts in flight, and the one task that expires them (see the
/// module's documentation for why not a tokio timer each). Cheap to clone: clones share one
/// heap and one task.
///
/// The task runs on the runtime of the registration that started it. An attempt registered
/// from another runtime while that task lives (one client used by two runtimes at once) gets a
/// tokio timer of its own instead: its timeout must not depend on another runtime being driven.
/// When the task's runtime shuts down, the entries still registered are woken and start a task
/// on the runtime that polls them, so an attempt never loses its timeout.
#[derive(Clone, Default)]
pub(crate) struct Watchdog(Arc<Shared>);

/// What the clients' copies and the registrations share; the task holds it weakly, so a
/// dropped client does not keep a task alive.
#[derive(Default)]
struct Shared {
    state: Mutex<State>,
    /// Shared with the task, which must be woken when this is dropped.
    signal: Arc<Signal>,
}

/// How the task is woken early: a deadline earlier than the one it sleeps until, a heap that
/// was empty, or the watchdog dropped.
#[derive(Default)]
struct Signal {
    notify: Notify,
    /// How many times the task woke up, so tests can tell that it was left asleep.
    #[cfg(test)]
    wakeups: std::sync::atomic::AtomicUsize,
}

/// The heap is swept of dropped registrations once it holds this many entries, at least (and
/// otherwise twice as many as after the last sweep): a dropped entry costs memory until then,
/// and sweeping costs a pass over the heap, so this bounds the one and amortizes the other.
const SWEEP_AT_LEAST: usize = 64;

/// The most entries kept for reuse.
const SPARE_ENTRIES: usize = 256;

/// The registered deadlines and the task's state, behind [`Shared::state`].
#[derive(Default)]
struct State {
    /// Earliest deadline on top. Holds dropped registrations too, until they are swept.
    queue: BinaryHeap<Queued>,
    /// The length of the queue after its last sweep.
    swept: usize,
    /// Entries of dropped registrations, reset and handed to the next registrations.
    spare: Vec<Arc<Entry>>,
    /// The runtime the task runs on, and its generation (so that only the current task's
    /// end marks the watchdog as without a task); `None` when there is none.
    task: Option<(RuntimeId, u64)>,
    generations: u64,
    /// The task looks at the queue again at this time at the latest; `None` when it waits only
    /// to be notified. A deadline not before it needs no notification.
    plan: Option<Instant>,
}

/// An entry in the queue, ordered so that the earliest deadline is the heap's top.
struct Queued {
    deadline: Instant,
    entry: Arc<Entry>,
}

impl Ord for Queued {
    fn cmp(&self, other: &Self) -> Order {
        other.deadline.cmp(&self.deadline)
    }
}

impl PartialOrd for Queued {
    fn partial_cmp(&self, other: &Self) -> Option<Order> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Queued {
    fn eq(&self, other: &Self) -> bool {
        self.deadline == other.deadline
    }
}

impl Eq for Queued {}

/// The entry is waiting for its deadline.
const PENDING: u8 = 0;
/// The deadline passed (the task took the entry out of the queue).
const EXPIRED: u8 = 1;
/// The task ended (its runtime shut down) before the deadline: the registration must see that
/// a task runs again.
const ORPHANED: u8 = 2;
/// The registration was dropped: the entry waits in the queue to be swept.
const DROPPED: u8 = 3;

/// One registered deadline's state: whether it passed, and whom to wake when it does. Shared
/// by the queue and its [`Registration`].
#[derive(Default)]
struct Entry {
    state: AtomicU8,
    waker: AtomicWaker,
}

impl Entry {
    /// Marks the deadline as passed and wakes the attempt waiting on it, unless it is gone.
    fn expire(&self) {
        let marked = self
            .state
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |s| {
                (s != DROPPED).then_some(EXPIRED)
            })
            .is_ok();
        if marked {
            self.waker.wake();
        }
    }

    /// Whether its registration is gone (the entry only waits to be swept).
    fn is_dropped(&self) -> bool {
        self.state.load(Ordering::Acquire) == DROPPED
    }
}

/// What a registration must do once the lock is released.
enum Placement {
    /// The task will see the new entry in time.
    Nothing,
    /// The task sleeps past the new deadline (or waits with nothing planned): notify it.
    Notify,
    /// No task runs: start one on this runtime, with this timer and generation.
    Spawn(Sleep, u64),
    /// The task runs on another runtime: use a timer of this runtime.
    Elsewhere,
}

impl Watchdog {
    /// Registers `deadline` (a real, monotonic time: never the client's `Clock`, whose waits
    /// a test may skip). The registration resolves once the deadline has passed; dropping it
    /// deregisters. Must be called inside a tokio runtime with its time driver enabled, like
    /// `tokio::time::timeout`.
    pub(crate) fn register(&self, deadline: Instant) -> Registration<'_> {
        let here = Handle::current();
        let mut state = self.lock();
        let placement = state.place(&here, deadline);
        let kind = match placement {
            Placement::Elsewhere => {
                drop(state);
                Kind::Own(Box::pin(tokio::time::sleep_until(deadline.into())))
            }
            _ => {
                let entry = state.enqueue(deadline);
                drop(state);
                Kind::Watched(entry)
            }
        };
        let mut registration = Registration {
            watchdog: self,
            deadline,
            kind,
        };
        registration.carry_out(placement, &here);
        registration
    }

    /// The state; see [`Shared::lock`].
    fn lock(&self) -> MutexGuard<'_, State> {
        self.0.lock()
    }

    /// The number of registrations in the queue (not dropped), for tests.
    #[cfg(test)]
    fn len(&self) -> usize {
        let state = self.lock();
        state.queue.iter().filter(|q| !q.entry.is_dropped()).count()
    }

    /// The number of entries in the queue, dropped ones included, for tests.
    #[cfg(test)]
    fn queued(&self) -> usize {
        self.lock().queue.len()
    }
}

impl Shared {
    /// The state, even after a panic while it was held: every change under the lock leaves it
    /// consistent (at worst an entry too many in the queue, swept later).
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Takes what is due at `now` out of the queue, and plans the next look: the earliest
    /// deadline left, or none (then the task waits to be notified).
    fn take_due(&self, now: Instant) -> (Vec<Arc<Entry>>, Option<Instant>) {
        let mut state = self.lock();
        let mut due = Vec::new();
        while let Some(top) = state.queue.peek() {
            if top.entry.is_dropped() {
                state.pop_dropped();
            } else if top.deadline <= now {
                let Some(top) = state.queue.pop() else { break };
                due.push(top.entry);
            } else {
                break;
            }
        }
        state.plan = state.queue.peek().map(|q| q.deadline);
        (due, state.plan)
    }
}

impl Drop for Shared {
    /// The client and every registration are gone: the task ends.
    fn drop(&mut self) {
        self.signal.notify.notify_one();
    }
}

impl State {
    /// Decides how an entry for `deadline`, registered from the runtime `here`, gets expired,
    /// and records what that changes (a task about to start, an earlier plan).
    fn place(&mut self, here: &Handle, deadline: Instant) -> Placement {
        match self.task {
            Some((runtime, _)) if runtime == here.id() => {
                if self.plan.is_none_or(|plan| deadline < plan) {
                    // The task looks again promptly: later registrations before that need not
                    // notify it again.
                    self.plan = Some(deadline);
                    Placement::Notify
                } else {
                    Placement::Nothing
                }
            }
            Some(_) => Placement::Elsewhere,
            None => {
                // Made before the state changes: it panics, as `tokio::time::timeout` did,
                // in a runtime without a time driver, and leaves no task promised.
                let sleep = tokio::time::sleep_until(deadline.into());
                self.generations += 1;
                self.task = Some((here.id(), self.generations));
                // The task plans first thing: until then, no registration needs to notify it.
                self.plan = Some(deadline);
                Placement::Spawn(sleep, self.generations)
            }
        }
    }

    /// Queues an entry for `deadline` (a reused one if there is one), after taking dropped
    /// entries off the top and, when the queue has grown enough, sweeping it.
    fn enqueue(&mut self, deadline: Instant) -> Arc<Entry> {
        while self.queue.peek().is_some_and(|q| q.entry.is_dropped()) {
            self.pop_dropped();
        }
        if self.queue.len() >= (2 * self.swept).max(SWEEP_AT_LEAST) {
            self.sweep();
        }
        let entry = match self.spare.pop() {
            Some(entry) => {
                entry.state.store(PENDING, Ordering::Relaxed);
                entry
            }
            None => Arc::default(),
        };
        self.queue.push(Queued {
            deadline,
            entry: Arc::clone(&entry),
        });
        entry
    }

    /// Takes the dropped entry on top of the queue off, for reuse.
    fn pop_dropped(&mut self) {
        if let Some(top) = self.queue.pop() {
            self.keep_spare(top.entry);
        }
    }

    /// Takes every dropped entry out of the queue.
    fn sweep(&mut self) {
        let mut queued = std::mem::take(&mut self.queue).into_vec();
        for dropped in queued.extract_if(.., |q| q.entry.is_dropped()) {
            self.keep_spare(dropped.entry);
        }
        self.queue = BinaryHeap::from(queued);
        self.swept = self.queue.len();
    }

    /// Keeps a dropped entry for reuse, if nothing else holds it (its registration may still
    /// be finishing its drop) and there is room.
    fn keep_spare(&mut self, entry: Arc<Entry>) {
        if self.spare.len() < SPARE_ENTRIES && Arc::strong_count(&entry) == 1 {
            self.spare.push(entry);
        }
    }
}

/// A registered deadline, raced against an attempt (see [`Registration::around`]). As a
/// future it resolves once the deadline has passed; dropping it deregisters the deadline.
pub(crate) struct Registration<'a> {
    watchdog: &'a Watchdog,
    deadline: Instant,
    kind: Kind,
}

/// How a registration learns that its deadline passed.
enum Kind {
    /// From the watchdog's task.
    Watched(Arc<Entry>),
    /// From a tokio timer of its own: the watchdog's task runs on another runtime (or could
    /// not be started).
    Own(Pin<Box<Sleep>>),
}

impl Registration<'_> {
    /// Runs `work` until it completes (`Some`) or the deadline passes first (`None`). `work` is
    /// polled first, as `tokio::time::timeout` polls it: an answer that is ready when the
    /// deadline passes still counts.
    pub(crate) async fn around<F: Future>(mut self, work: F) -> Option<F::Output> {
        let mut work = pin!(work);
        poll_fn(|cx| {
            if let Poll::Ready(output) = work.as_mut().poll(cx) {
                return Poll::Ready(Some(output));
            }
            match Pin::new(&mut self).poll(cx) {
                Poll::Ready(()) => Poll::Ready(None),
                Poll::Pending => Poll::Pending,
            }
        })
        .await
    }

    /// Does what [`State::place`] decided, now that the lock is released.
    fn carry_out(&mut self, placement: Placement, here: &Handle) {
        match placement {
            Placement::Nothing | Placement::Elsewhere => {}
            Placement::Notify => self.watchdog.0.signal.notify.notify_one(),
            Placement::Spawn(sleep, generation) => {
                let shared = &self.watchdog.0;
                let orphans = Orphans {
                    shared: Arc::downgrade(shared),
                    generation,
                };
                let task = here.spawn(run(orphans, Arc::clone(&shared.signal), sleep));
                // A runtime that is shutting down drops a new task at once (its end has
                // orphaned the entries): do not start another one on every poll.
                if task.is_finished() {
                    self.fall_back();
                }
            }
        }
    }

    /// Leaves the watchdog for a tokio timer of this registration's own.
    fn fall_back(&mut self) {
        let own = Kind::Own(Box::pin(tokio::time::sleep_until(self.deadline.into())));
        if let Kind::Watched(entry) = std::mem::replace(&mut self.kind, own) {
            entry.state.store(DROPPED, Ordering::Release);
        }
    }

    /// The watchdog's task ended before the deadline: registers with a task again (starting
    /// one on the current runtime if none runs).
    fn reattach(&mut self) {
        let Kind::Watched(entry) = &self.kind else {
            return;
        };
        let here = Handle::current();
        let mut state = self.watchdog.lock();
        if entry
            .state
            .compare_exchange(ORPHANED, PENDING, Ordering::AcqRel, Ordering::Acquire)
            .is_err()
        {
            // A task started meanwhile has expired it.
            return;
        }
        let placement = state.place(&here, self.deadline);
        drop(state);
        match placement {
            Placement::Elsewhere => self.fall_back(),
            placement => self.carry_out(placement, &here),
        }
    }

    /// Whether the watchdog has expired this registration, for tests.
    #[cfg(test)]
    fn expired(&self) -> bool {
        match &self.kind {
            Kind::Watched(entry) => entry.state.load(Ordering::Acquire) == EXPIRED,
            Kind::Own(sleep) => sleep.is_elapsed(),
        }
    }
}

impl Future for Registration<'_> {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = &mut *self;
        loop {
            match &mut this.kind {
                Kind::Own(sleep) => return sleep.as_mut().poll(cx),
                Kind::Watched(entry) => {
                    if entry.state.load(Ordering::Acquire) == PENDING {
                        entry.waker.register(cx.waker());
                    }
                    match entry.state.load(Ordering::Acquire) {
                        PENDING => return Poll::Pending,
                        EXPIRED => return Poll::Ready(()),
                        _ => this.reattach(),
                    }
                }
            }
        }
    }
}

impl Drop for Registration<'_> {
    /// Marks the entry, without the lock: the next registration sweeps it off the queue.
    fn drop(&mut self) {
        if let Kind::Watched(entry) = &self.kind {
            entry.state.store(DROPPED, Ordering::Release);
            // The attempt's waker is not kept alive by a spare entry.
            drop(entry.waker.take());
        }
    }
}

/// The watchdog's task: expire what is due, sleep until the earliest deadline left (or until
/// notified), again. Ends when the watchdog is dropped; if its runtime drops it first,
/// `orphans` hands the entries on. It is an argument, not a local: a task dropped before its
/// first poll never ran its body, but drops its arguments.
async fn run(orphans: Orphans, signal: Arc<Signal>, sleep: Sleep) {
    let shared = &orphans.shared;
    let mut sleep = pin!(sleep);
    loop {
        let (due, plan) = match shared.upgrade() {
            Some(shared) => shared.take_due(Instant::now()),
            None => return,
        };
        for entry in due {
            entry.expire();
        }
        // Made after the plan: a notification sent since is kept as a permit, not lost.
        let mut notified = pin!(signal.notify.notified());
        match plan {
            Some(at) => {
                sleep.as_mut().reset(at.into());
                poll_fn(|cx| {
                    if sleep.as_mut().poll(cx).is_ready() || notified.as_mut().poll(cx).is_ready() {
                        Poll::Ready(())
                    } else {
                        Poll::Pending
                    }
                })
                .await
            }
            None => notified.await,
        }
        #[cfg(test)]
        signal.wakeups.fetch_add(1, Ordering::Relaxed);
    }
}

/// Dropped with the task: if the watchdog is still in use (its runtime shut down under it),
/// marks it as without a task and wakes every entry, whose registration then starts a task
/// where it is polled.
struct Orphans {
    shared: Weak<Shared>,
    generation: u64,
}

impl Drop for Orphans {
    fn drop(&mut self) {
        let Some(shared) = self.shared.upgrade() else {
            return;
        };
        let entries: Vec<Arc<Entry>> = {
            let mut state = shared.lock();
            if state.task.is_none_or(|(_, g)| g != self.generation) {
                return;
            }
            state.task = None;
            state.plan = None;
            state.queue.iter().map(|q| Arc::clone(&q.entry)).collect()
        };
        for entry in entries {
            if entry
                .state
                .compare_exchange(PENDING, ORPHANED, Ordering::AcqRel, Ordering::Acquire)
                .is_ok()
            {
                entry.waker.wake();
            }
        }
    }
}

#[cfg(test)]
// Some tests hand a registration made on one runtime to another, on purpose.
#[allow(clippy::async_yields_async)]
mod tests {
    use std::sync::atomic::Ordering;
    use std::time::Duration;

    use super::*;

    fn wakeups(watchdog: &Watchdog) -> usize {
        watchdog.0.signal.wakeups.load(Ordering::Relaxed)
    }

    fn has_task(watchdog: &Watchdog) -> bool {
        watchdog.lock().task.is_some()
    }

    /// Polls `registration` once (registering its waker), and says whether it resolved.
    async fn poll_once(registration: &mut Registration<'_>) -> bool {
        poll_fn(|cx| Poll::Ready(Pin::new(&mut *registration).poll(cx).is_ready())).await
    }

    /// Awaits `registration`, failing the test if it takes more than two seconds.
    async fn fires(registration: Registration<'_>) {
        tokio::time::timeout(Duration::from_secs(2), registration)
            .await
            .expect("the registration fires within two seconds");
    }

    #[tokio::test]
    async fn an_entry_fires_after_its_deadline_and_not_before() {
        let watchdog = Watchdog::default();
        let deadline = Instant::now() + Duration::from_millis(200);
        let mut registration = watchdog.register(deadline);
        assert!(!poll_once(&mut registration).await);
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert!(!registration.expired(), "expired at half its time");
        assert!(!poll_once(&mut registration).await);
        fires(registration).await;
        assert!(Instant::now() >= deadline);
        assert_eq!(watchdog.len(), 0, "the task took it out of the map");
    }

    #[tokio::test]
    async fn an_earlier_deadline_registered_after_a_later_one_fires_first() {
        let watchdog = Watchdog::default();
        let mut later = watchdog.register(Instant::now() + Duration::from_secs(3));
        assert!(!poll_once(&mut later).await);
        // The task starts and plans to sleep three seconds.
        tokio::time::sleep(Duration::from_millis(50)).await;
        let sooner = Instant::now() + Duration::from_millis(100);
        fires(watchdog.register(sooner)).await;
        assert!(Instant::now() >= sooner);
        assert!(!later.expired());
        assert_eq!(watchdog.len(), 1);
    }

    fn entry_of(registration: &Registration<'_>) -> *const Entry {
        match &registration.kind {
            Kind::Watched(entry) => Arc::as_ptr(entry),
            Kind::Own(_) => panic!("not watched"),
        }
    }

    #[tokio::test]
    async fn a_dropped_registration_is_removed_and_its_entry_reused() {
        let watchdog = Watchdog::default();
        let first = watchdog.register(Instant::now() + Duration::from_secs(5));
        let second = watchdog.register(Instant::now() + Duration::from_secs(5));
        let entries = [entry_of(&first), entry_of(&second)];
        assert_eq!(watchdog.len(), 2);
        drop(first);
        assert_eq!(watchdog.len(), 1);
        drop(second);
        assert_eq!(watchdog.len(), 0);
        let mut third = watchdog.register(Instant::now() + Duration::from_millis(100));
        assert_eq!(watchdog.queued(), 1, "the next registration took them off");
        assert!(entries.contains(&entry_of(&third)), "an entry is reused");
        assert!(!third.expired());
        assert!(!poll_once(&mut third).await);
        fires(third).await;
    }

    #[tokio::test]
    async fn dropped_registrations_behind_a_live_one_are_swept() {
        let watchdog = Watchdog::default();
        let now = Instant::now();
        let _first = watchdog.register(now + Duration::from_secs(1));
        for i in 0..10_000 {
            drop(watchdog.register(now + Duration::from_secs(2) + Duration::from_micros(i)));
            assert!(watchdog.queued() <= SWEEP_AT_LEAST, "{}", watchdog.queued());
        }
        assert_eq!(watchdog.len(), 1);
    }

    #[tokio::test]
    async fn later_deadlines_do_not_wake_the_task_and_an_earlier_one_does() {
        let watchdog = Watchdog::default();
        let now = Instant::now();
        let _first = watchdog.register(now + Duration::from_secs(10));
        tokio::time::sleep(Duration::from_millis(50)).await;
        let asleep = wakeups(&watchdog);
        let later: Vec<_> = (1..=100)
            .map(|i| watchdog.register(now + Duration::from_secs(10) + Duration::from_millis(i)))
            .collect();
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert_eq!(wakeups(&watchdog), asleep, "later deadlines woke the task");
        drop(later);
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert_eq!(wakeups(&watchdog), asleep, "deregistering woke the task");
        let _sooner = watchdog.register(now + Duration::from_secs(5));
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert_eq!(
            wakeups(&watchdog),
            asleep + 1,
            "an earlier deadline re-plans"
        );
    }

    #[tokio::test]
    async fn the_task_ends_with_the_watchdog() {
        let watchdog = Watchdog::default();
        drop(watchdog.register(Instant::now() + Duration::from_secs(5)));
        tokio::time::sleep(Duration::from_millis(20)).await;
        let metrics = Handle::current().metrics();
        assert_eq!(metrics.num_alive_tasks(), 1, "the watchdog's task runs");
        drop(watchdog);
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert_eq!(metrics.num_alive_tasks(), 0, "the watchdog's task ended");
    }

    fn runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
    }

    #[test]
    fn a_watchdog_outlives_the_runtime_its_task_ran_on() {
        let watchdog = Watchdog::default();
        let first = runtime();
        // Left pending when the runtime goes: it must get a task again where it is polled.
        let mut orphan = first.block_on(async {
            fires(watchdog.register(Instant::now() + Duration::from_millis(50))).await;
            let mut orphan = watchdog.register(Instant::now() + Duration::from_millis(600));
            assert!(!poll_once(&mut orphan).await);
            orphan
        });
        assert!(has_task(&watchdog));
        drop(first);
        assert!(!has_task(&watchdog), "the task's end was noticed");
        assert!(!orphan.expired());

        let second = runtime();
        second.block_on(async {
            let deadline = Instant::now() + Duration::from_millis(100);
            fires(watchdog.register(deadline)).await;
            assert!(Instant::now() >= deadline);
            assert!(has_task(&watchdog), "a task runs on the second runtime");
            assert!(matches!(orphan.kind, Kind::Watched(_)));
            assert!(!poll_once(&mut orphan).await);
            fires(orphan).await;
        });
        assert_eq!(watchdog.len(), 0);
    }

    #[test]
    fn an_entry_orphaned_by_a_runtime_starts_a_task_where_it_is_polled() {
        let watchdog = Watchdog::default();
        let first = runtime();
        let mut orphan = first.block_on(async {
            let mut orphan = watchdog.register(Instant::now() + Duration::from_millis(500));
            assert!(!poll_once(&mut orphan).await);
            orphan
        });
        drop(first);
        assert!(!has_task(&watchdog));
        runtime().block_on(async {
            assert!(!poll_once(&mut orphan).await, "not due yet");
            assert!(has_task(&watchdog), "polling it started a task");
            fires(orphan).await;
        });
    }

    #[test]
    fn a_registration_from_another_runtime_gets_a_timer_of_its_own() {
        let watchdog = Watchdog::default();
        let first = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let _running = first.block_on(async {
            let registration = watchdog.register(Instant::now() + Duration::from_secs(10));
            assert!(matches!(registration.kind, Kind::Watched(_)));
            registration
        });
        runtime().block_on(async {
            let deadline = Instant::now() + Duration::from_millis(100);
            let registration = watchdog.register(deadline);
            assert!(matches!(registration.kind, Kind::Own(_)));
            fires(registration).await;
            assert!(Instant::now() >= deadline);
        });
        assert_eq!(
            watchdog.len(),
            1,
            "only the first runtime's entry is in the map"
        );
    }

    #[tokio::test]
    async fn around_prefers_a_finished_exchange_and_times_out_a_pending_one() {
        let watchdog = Watchdog::default();
        let done = watchdog.register(Instant::now()).around(async { 7 }).await;
        assert_eq!(done, Some(7));
        let pending = watchdog
            .register(Instant::now() + Duration::from_millis(50))
            .around(std::future::pending::<()>());
        assert_eq!(
            tokio::time::timeout(Duration::from_secs(2), pending).await,
            Ok(None)
        );
        assert_eq!(watchdog.len(), 0);
    }
}
