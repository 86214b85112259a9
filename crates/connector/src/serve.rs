//! The HTTP server's edge: accepting connections within a cap, and the timeouts that keep a
//! slow or idle client from holding the connector's resources (a slowloris, or thousands of
//! sockets opened and left). Each request carries its client's address
//! ([`axum::extract::ConnectInfo`]): the sign-in throttle keys on it.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;

/// How long, and how many, the server allows its clients.
#[derive(Debug, Clone)]
pub struct ServerLimits {
    /// From a connection's opening, or from the end of its last response, to the end of the
    /// next request's headers: an idle keep-alive connection, or one that sends its headers
    /// a byte at a time, is closed after this.
    pub header_timeout: Duration,
    /// The longest a request's body may take to arrive (then `408`).
    pub body_timeout: Duration,
    /// Connections served at once (never more than the process's open-files limit allows);
    /// further ones wait in the kernel's queue until one ends. Event sockets are not counted
    /// once upgraded (they end with their session).
    pub max_connections: usize,
    /// In-flight requests get this long to finish when the connector stops.
    pub drain_timeout: Duration,
}

impl Default for ServerLimits {
    fn default() -> Self {
        ServerLimits {
            header_timeout: Duration::from_secs(30),
            body_timeout: Duration::from_secs(60),
            max_connections: 4096,
            drain_timeout: Duration::from_secs(10),
        }
    }
}

/// Serves `app` on `listener` within `limits` until `stopped` turns true; then stops
/// accepting, lets in-flight requests finish for [`ServerLimits::drain_timeout`], and ends.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: ServerLimits,
    mut stopped: tokio::sync::watch::Receiver<bool>,
) {
    let app = app.layer(tower_http::timeout::RequestBodyTimeoutLayer::new(
        limits.body_timeout,
    ));
    let max_connections = limits.max_connections.min(connections_possible());
    let slots = Arc::new(tokio::sync::Semaphore::new(max_connections));
    loop {
        let slot = tokio::select! {
            slot = slots.clone().acquire_owned() => match slot {
                Ok(slot) => slot,
                Err(_) => break,
            },
            () = until_stopped(&mut stopped) => break,
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    // Out of file descriptors, or a connection reset before it was taken:
                    // wait a little rather than spin.
                    tracing::warn!(%error, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = until_stopped(&mut stopped) => break,
        };
        let _ = stream.set_nodelay(true);
        let service = tower::ServiceExt::map_request(
            app.clone(),
            move |mut request: axum::http::Request<hyper::body::Incoming>| {
                request.extensions_mut().insert(ConnectInfo(peer));
                request
            },
        );
        let mut connection = hyper::server::conn::http1::Builder::new()
            .timer(TokioTimer::new())
            .header_read_timeout(limits.header_timeout)
            .serve_connection(
                TokioIo::new(stream),
                hyper_util::service::TowerToHyperService::new(service),
            )
            .with_upgrades();
        let mut stopping = stopped.clone();
        tokio::spawn(async move {
            let ended = tokio::select! {
                ended = &mut connection => ended,
                () = until_stopped(&mut stopping) => {
                    // Finish the request in flight (if any), then close.
                    std::pin::Pin::new(&mut connection).graceful_shutdown();
                    connection.await
                }
            };
            if let Err(error) = ended {
                tracing::debug!(%error, %peer, "connection ended");
            }
            drop(slot);
        });
    }
    drop(listener);
    // Every slot back: every connection ended.
    let all = u32::try_from(max_connections).unwrap_or(u32::MAX);
    if tokio::time::timeout(limits.drain_timeout, slots.acquire_many(all))
        .await
        .is_err()
    {
        tracing::warn!("requests still running after the drain timeout were cut");
    }
}

/// File descriptors kept for the store, logs and outgoing calls.
const FILES_KEPT: u64 = 256;

/// How many connections the process can hold open: raises the soft limit on open files to
/// the hard one first (as Go's runtime and nginx do: distributions start services at 1024),
/// then keeps [`FILES_KEPT`] for everything else.
fn connections_possible() -> usize {
    let limit = match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(limit) => limit,
        Err(error) => {
            tracing::warn!(%error, "the open-files limit could not be read or raised");
            1024
        }
    };
    usize::try_from(limit.saturating_sub(FILES_KEPT).max(16)).unwrap_or(usize::MAX)
}

/// The client's address of a request served by [`serve`] (none for a request made in
/// process, as tests of the router do).
pub fn client_addr(parts: &axum::http::request::Parts) -> Option<SocketAddr> {
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| *addr)
}

/// Waits until the connector shuts down (`Ctx::stopping` becomes true); forever if it never
/// does (dropping the last `Connector` handle does not stop the server).
pub async fn until_stopped(rx: &mut tokio::sync::watch::Receiver<bool>) {
    loop {
        if *rx.borrow_and_update() {
            return;
        }
        if rx.changed().await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}
