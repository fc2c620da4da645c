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
