//! What the benchmarks share: a sandbox of their own, and the median they report.

use parcelkit_sandbox::{Sandbox, SandboxConfig};

/// Starts a sandbox on a thread and one-worker runtime of its own (on 2 cores, one for the
/// server and one for the side measured) and returns its Smart Send URL. It serves until the
/// process ends.
pub fn start_sandbox(config: SandboxConfig) -> String {
    let (url_tx, url_rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("sandbox")
            .enable_all()
            .build()
            .expect("a runtime");
        runtime.block_on(async {
            let sandbox = Sandbox::start(config).await.expect("the sandbox starts");
            url_tx
                .send(sandbox.smartsend_url())
                .expect("the caller waits");
            std::future::pending::<()>().await;
        });
    });
    url_rx.recv().expect("the sandbox thread sends its URL")
}

/// The median of `values` (sorted in place).
pub fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// The first quartile, median and third quartile of `values` (sorted in place): the middle half
/// of a benchmark's per-round ratios shows how far one run's figure can be trusted.
pub fn quartiles(values: &mut [f64]) -> (f64, f64, f64) {
    let middle = median(values);
    let n = values.len();
    (values[n / 4], middle, values[(3 * n) / 4])
}

/// CPU time used so far by this process's threads, split into the sandbox's (threads named
/// `sandbox...`) and everyone else's (the client side), in seconds; `None` where `/proc` is not
/// there. Dividing a run's difference by its requests gives CPU per request on each side.
pub fn cpu_seconds_by_side() -> Option<(f64, f64)> {
    // Clock ticks: 100 per second on every Linux that Rust supports.
    const TICKS_PER_SECOND: f64 = 100.0;
    let (mut sandbox, mut client) = (0.0, 0.0);
    for task in std::fs::read_dir("/proc/self/task").ok()? {
        let Ok(stat) = std::fs::read_to_string(task.ok()?.path().join("stat")) else {
            continue; // the thread ended meanwhile
        };
        // "tid (name) state ...": the name may hold spaces, so split after its ')'.
        let (head, tail) = stat.rsplit_once(')')?;
        let name = head.split_once('(')?.1;
        let fields: Vec<&str> = tail.split_whitespace().collect();
        // utime and stime are fields 14 and 15 of the line, 12 and 13 after the ')'.
        let ticks: f64 =
            fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
        if name.starts_with("sandbox") {
            sandbox += ticks / TICKS_PER_SECOND;
        } else {
            client += ticks / TICKS_PER_SECOND;
        }
    }
    Some((sandbox, client))
}
