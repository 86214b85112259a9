//! The feed of other instances' events: a connection of its own LISTENing on the channel
//! every committed event is announced on.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use uuid::Uuid;

/// The channel each committed event is announced on: its payload is the user's id.
pub(crate) const EVENTS_CHANNEL: &str = "multiline_events";

/// Sets its flag when dropped: the feed of events stops.
pub(super) struct StopOnDrop(pub(super) Arc<AtomicBool>);

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

/// The feed of events: LISTENs on [`EVENTS_CHANNEL`] (PostgreSQL delivers a NOTIFY when its
/// transaction commits, in commit order) and tells each user named, until `stop`. A lost
/// connection is made again; then `tell(None)`: what was committed meanwhile was not heard.
pub(super) fn follow(
    config: &postgres::Config,
    tls: &super::tls::Tls,
    tell: &crate::store::EventTell,
    stop: &AtomicBool,
) {
    use postgres::fallible_iterator::FallibleIterator as _;
    while !stop.load(Ordering::Relaxed) {
        let mut client = match tls.connect(config) {
            Ok(client) => client,
            Err(error) => {
                tracing::warn!(%error, "the store's event feed cannot connect; again in 1 s");
                std::thread::sleep(Duration::from_secs(1));
                continue;
            }
        };
        if let Err(error) = client.batch_execute(&format!("LISTEN {EVENTS_CHANNEL}")) {
            tracing::warn!(%error, "the store's event feed cannot listen");
            std::thread::sleep(Duration::from_secs(1));
            continue;
        }
        // Anything committed before the LISTEN (the first time: while the connector was
        // starting; after a lost connection: meanwhile) was not heard: sockets read again.
        tell(None);
        let mut quiet = 0;
        while !stop.load(Ordering::Relaxed) {
            // A connection that died without a word (a NAT's timeout, a failover) is found
            // out by a ping every 15 s of silence.
            if quiet >= 60 {
                quiet = 0;
                if let Err(error) = client.batch_execute("") {
                    tracing::warn!(%error, "the store's event feed lost its connection");
                    break;
                }
            }
            let next = client
                .notifications()
                .timeout_iter(Duration::from_millis(250))
                .next();
            match next {
                Ok(Some(n)) => match Uuid::parse_str(n.payload()) {
                    Ok(user) => tell(Some(multiline_domain::ids::UserId(user))),
                    Err(_) => tell(None),
                },
                Ok(None) if client.is_closed() => break,
                Ok(None) => quiet += 1,
                Err(error) => {
                    tracing::warn!(%error, "the store's event feed lost its connection");
                    break;
                }
            }
        }
    }
}

// ---- how values are read --------------------------------------------------------------------
