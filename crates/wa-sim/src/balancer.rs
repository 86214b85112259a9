//! The operator's load balancer in front of several connector instances, played for tests
//! like the rest of the world around the connector: a TCP proxy on loopback that hands each
//! new connection to the next backend in turn (round robin), skipping a backend that refuses
//! the connection (a dead instance), as a layer-4 balancer with health checks does. HTTP keep-alive keeps a
//! client's requests on one backend; a client that opens a connection per request is
//! spread over all of them. WebSockets pass through untouched.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::net::{TcpListener, TcpStream};

/// The balancer; it stops when dropped.
pub struct RoundRobin {
    addr: SocketAddr,
    task: tokio::task::JoinHandle<()>,
}

impl RoundRobin {
    /// Listens on a free loopback port in front of `backends`.
    pub async fn start(backends: Vec<SocketAddr>) -> std::io::Result<RoundRobin> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let next = Arc::new(AtomicUsize::new(0));
        let backends = Arc::new(backends);
        let task = tokio::spawn(async move {
            loop {
                let Ok((mut client, _)) = listener.accept().await else {
                    continue;
                };
                let (backends, next) = (backends.clone(), next.clone());
                tokio::spawn(async move {
                    let Some(mut backend) = connect_next(&backends, &next).await else {
                        return; // every backend refused: the client's connection closes
                    };
                    let _ = tokio::io::copy_bidirectional(&mut client, &mut backend).await;
                });
            }
        });
        Ok(RoundRobin { addr, task })
    }

    /// `http://` and the address it listens on.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for RoundRobin {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A connection to the next backend that takes one, trying each at most once.
async fn connect_next(backends: &[SocketAddr], next: &AtomicUsize) -> Option<TcpStream> {
    for _ in 0..backends.len() {
        let i = next.fetch_add(1, Ordering::Relaxed) % backends.len();
        if let Ok(stream) = TcpStream::connect(backends[i]).await {
            return Some(stream);
        }
    }
    None
}
