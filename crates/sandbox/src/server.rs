//! The accept loop. Each connection is served by hyper with the axum app, and carries a
//! [`ConnectionKiller`] so a fault can close it without a response after the write committed,
//! which is what a client sees when a network drops mid-request.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::Router;
use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::{Notify, watch};
use tower::ServiceExt;

/// Closes the connection of the request that carries it, without a response.
#[derive(Debug, Clone, Default)]
pub struct ConnectionKiller(Arc<Notify>);

impl ConnectionKiller {
    /// Closes the connection. The caller should then never complete (await a pending future), so
    /// that hyper cannot write the response first.
    pub fn kill(&self) {
        self.0.notify_one();
    }
}

/// Serves `app` on `listener` until `stop` turns true; then stops accepting and lets each open
/// connection finish its request in progress.
pub(crate) async fn serve(
    listener: TcpListener,
    app: Router,
    mut stop: watch::Receiver<bool>,
    open: Arc<AtomicUsize>,
) {
    let mut connections = tokio::task::JoinSet::new();
    loop {
        let (stream, _) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                // Out of file descriptors and the like: back off briefly, keep serving.
                Err(_) => {
                    tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                    continue;
                }
            },
            () = stopped(&mut stop) => break,
        };
        let _ = stream.set_nodelay(true);
        let killer = ConnectionKiller::default();
        let service = app.clone().map_request({
            let killer = killer.clone();
            move |mut request: hyper::Request<hyper::body::Incoming>| {
                request.extensions_mut().insert(killer.clone());
                request
            }
        });
        let mut stop = stop.clone();
        let open = OpenConnection::count(&open);
        connections.spawn(async move {
            let _open = open;
            let connection = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), TowerToHyperService::new(service));
            tokio::pin!(connection);
            tokio::select! {
                biased;
                () = killer.0.notified() => {}
                _ = connection.as_mut() => {}
                () = stopped(&mut stop) => {
                    connection.as_mut().graceful_shutdown();
                    let _ = tokio::time::timeout(std::time::Duration::from_secs(5), connection).await;
                }
            }
        });
        // Reap finished connections so the set does not grow without bound.
        while connections.try_join_next().is_some() {}
    }
    while connections.join_next().await.is_some() {}
}

/// Counts a connection as open until dropped (its task ends: every request it carried has been
/// answered or abandoned).
struct OpenConnection(Arc<AtomicUsize>);

impl OpenConnection {
    fn count(open: &Arc<AtomicUsize>) -> OpenConnection {
        open.fetch_add(1, Ordering::SeqCst);
        OpenConnection(Arc::clone(open))
    }
}

impl Drop for OpenConnection {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Resolves once `stop` is true (or its sender is gone), holding no borrow across awaits.
async fn stopped(stop: &mut watch::Receiver<bool>) {
    let _ = stop.wait_for(|stopped| *stopped).await;
}
