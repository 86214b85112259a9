//! The MultiLine connector: the organization's server and the authority on every rule. It
//! owns users, contacts, threads, messages and consent; sends through the WhatsApp Cloud API
//! (and SMS through the line's carrier) from a durable queue; takes their signed webhooks
//! through a durable inbox; and pushes every change a user may see over one WebSocket per
//! app, numbered per user so that nothing is missed or seen twice.
//!
//! The layers, each using only those below it (`docs/code-map.md`):
//! - [`api`]: `/v1` (JSON, bearer tokens), `/v1/events` (WebSocket) and the webhooks: it
//!   parses, calls one use case (or keeps a webhook in the inbox), and maps errors;
//! - [`dispatch`] and [`inbox`]: the durable roads out and in, the workers that call the
//!   providers and hand their answers to the use cases;
//! - [`usecases`]: the rules (the domain's), applied in one transaction each;
//! - [`providers`]: the Cloud API and the carrier, behind the connector's traits;
//! - [`store`]: the persistence contract ([`store::Store`]) and its SQLite backend.
//!
//! Plus [`admin`] (what the admin commands do), [`ctx`] (what handlers and workers run with),
//! [`server`] (a running connector) and [`metrics`] (what it tells its monitoring).

pub mod admin;
pub mod api;
pub mod ctx;
pub mod dispatch;
pub mod error;
pub mod inbox;
pub mod lines_seen;
pub mod media_facts;
pub mod metrics;
pub mod passwords;
pub mod providers;
pub mod serve;
pub mod server;
pub mod store;
pub mod template_sync;
pub mod throttle;
pub mod usecases;
