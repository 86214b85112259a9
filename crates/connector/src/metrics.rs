//! What a running connector tells its monitoring: Prometheus metrics (`GET /metrics`, in the
//! OpenMetrics text format), counted where things happen and, for the queues, read from the
//! store when scraped. `docs/operations.md` lists each series and what to alert on.

use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::{Registry, Unit};

use crate::error::Result;
use crate::store::{Backlog, InboxBacklog, Store, Tx};
use multiline_domain::time::Timestamp;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RequestLabels {
    /// The route's pattern (`/v1/threads/{id}`), never the path itself (ids would make a
    /// series per thread); `unmatched` for what no route took.
    pub route: String,
    pub method: String,
    pub status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RouteLabels {
    pub route: String,
    pub method: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct LineLabels {
    pub line: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ProviderErrorLabels {
    /// `whatsapp`, or the SMS carrier's name.
    pub provider: String,
    /// The provider's error code (Meta's `131047`...); `none` without one (a transport
    /// failure, or a send refused before the call).
    pub code: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct DispatchLabels {
    /// `sent` or `failed`.
    pub outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct StoreLabels {
    /// `read` or `write`.
    pub transaction: &'static str,
}

type Seconds = Gauge<f64, AtomicU64>;

fn histogram() -> Histogram {
    // 0.5 ms .. ~16 s.
    Histogram::new(exponential_buckets(0.0005, 2.0, 16))
}

/// The connector's metrics, shared by every part of it.
pub struct Metrics {
    registry: Registry,
    pub requests: Family<RequestLabels, Counter>,
    pub request_duration: Family<RouteLabels, Histogram, fn() -> Histogram>,
    pub inbox_waiting: Gauge,
    pub inbox_oldest_age: Seconds,
    pub inbox_set_aside: Gauge,
    pub outbox_depth: Family<LineLabels, Gauge>,
    pub outbox_oldest_age: Family<LineLabels, Seconds>,
    pub dispatch_duration: Family<DispatchLabels, Histogram, fn() -> Histogram>,
    pub provider_errors: Family<ProviderErrorLabels, Counter>,
    pub event_sockets: Gauge,
    pub store_duration: Family<StoreLabels, Histogram, fn() -> Histogram>,
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("multiline");
        let m = Metrics {
            requests: Family::default(),
            request_duration: Family::new_with_constructor(histogram),
            inbox_waiting: Gauge::default(),
            inbox_oldest_age: Seconds::default(),
            inbox_set_aside: Gauge::default(),
            outbox_depth: Family::default(),
            outbox_oldest_age: Family::default(),
            dispatch_duration: Family::new_with_constructor(histogram),
            provider_errors: Family::default(),
            event_sockets: Gauge::default(),
            store_duration: Family::new_with_constructor(histogram),
            registry: Registry::default(),
        };
        registry.register(
            "http_requests",
            "HTTP requests answered, by route, method and status",
            m.requests.clone(),
        );
        registry.register_with_unit(
            "http_request_duration",
            "Time to answer an HTTP request, by route and method",
            Unit::Seconds,
            m.request_duration.clone(),
        );
        registry.register(
            "inbox_waiting",
            "Webhooks received and not applied yet",
            m.inbox_waiting.clone(),
        );
        registry.register_with_unit(
            "inbox_oldest_age",
            "How long the oldest webhook not applied yet has waited",
            Unit::Seconds,
            m.inbox_oldest_age.clone(),
        );
        registry.register(
            "inbox_set_aside",
            "Webhooks set aside after their last attempt (dead letters)",
            m.inbox_set_aside.clone(),
        );
        registry.register(
            "outbox_depth",
            "Messages waiting to go out or in flight, by line",
            m.outbox_depth.clone(),
        );
        registry.register_with_unit(
            "outbox_oldest_age",
            "How long the oldest message waiting to go out has waited, by line",
            Unit::Seconds,
            m.outbox_oldest_age.clone(),
        );
        registry.register_with_unit(
            "dispatch_duration",
            "Time of one send at the provider (upload included), by outcome",
            Unit::Seconds,
            m.dispatch_duration.clone(),
        );
        registry.register(
            "provider_errors",
            "Errors answered by the Cloud API or the SMS carrier, by provider and code",
            m.provider_errors.clone(),
        );
        registry.register(
            "event_sockets",
            "Event WebSockets open on this instance",
            m.event_sockets.clone(),
        );
        registry.register_with_unit(
            "store_transaction_duration",
            "Time of one store transaction, waiting for it included, by kind",
            Unit::Seconds,
            m.store_duration.clone(),
        );
        Metrics { registry, ..m }
    }
}

impl Metrics {
    /// The queues' gauges, from what the store holds at `now`.
    pub fn set_backlogs(
        &self,
        inbox: InboxBacklog,
        outbox: &[(uuid::Uuid, Backlog)],
        now: Timestamp,
    ) {
        let age = |b: &Backlog| {
            b.oldest
                .map(|at| (now - at).to_std().unwrap_or(Duration::ZERO).as_secs_f64())
                .unwrap_or(0.0)
        };
        self.inbox_waiting.set(inbox.waiting.count as i64);
        self.inbox_oldest_age.set(age(&inbox.waiting));
        self.inbox_set_aside.set(inbox.set_aside as i64);
        // A line whose queue emptied has no series rather than a stale one.
        self.outbox_depth.clear();
        self.outbox_oldest_age.clear();
        for (line, backlog) in outbox {
            let labels = LineLabels {
                line: line.to_string(),
            };
            self.outbox_depth
                .get_or_create(&labels)
                .set(backlog.count as i64);
            self.outbox_oldest_age
                .get_or_create(&labels)
                .set(age(backlog));
        }
    }

    /// The registry in the OpenMetrics text format.
    pub fn encode(&self) -> String {
        let mut out = String::new();
        prometheus_client::encoding::text::encode(&mut out, &self.registry)
            .expect("writing to a String cannot fail");
        out
    }

    /// Counts an error answered by a provider.
    pub fn provider_error(&self, provider: &str, code: Option<u32>) {
        self.provider_errors
            .get_or_create(&ProviderErrorLabels {
                provider: provider.to_owned(),
                code: code.map_or_else(|| "none".to_owned(), |c| c.to_string()),
            })
            .inc();
    }
}

/// Measures how long something took, for the metrics only: never a rule's time (that is
/// the injected clock's, which a test holds still).
pub struct Stopwatch(std::time::Instant);

impl Stopwatch {
    #[allow(clippy::disallowed_methods)] // a duration to report, decides nothing
    pub fn start() -> Stopwatch {
        Stopwatch(std::time::Instant::now())
    }

    pub fn seconds(&self) -> f64 {
        self.0.elapsed().as_secs_f64()
    }
}

/// The OpenMetrics content type.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// A store whose transactions are timed into [`Metrics::store_duration`]; everything else is
/// the wrapped store's.
pub struct TimedStore {
    pub inner: Arc<dyn Store>,
    pub metrics: Arc<Metrics>,
}

impl TimedStore {
    fn timed(&self, transaction: &'static str, run: impl FnOnce() -> Result<()>) -> Result<()> {
        let started = Stopwatch::start();
        let out = run();
        self.metrics
            .store_duration
            .get_or_create(&StoreLabels { transaction })
            .observe(started.seconds());
        out
    }
}

impl Store for TimedStore {
    fn write_with(&self, work: &mut dyn FnMut(&mut dyn Tx) -> Result<()>) -> Result<()> {
        self.timed("write", || self.inner.write_with(work))
    }

    fn read_with(&self, work: &mut dyn FnMut(&mut dyn Tx) -> Result<()>) -> Result<()> {
        self.timed("read", || self.inner.read_with(work))
    }

    fn queue_with(&self, work: &mut dyn FnMut(&mut dyn Tx) -> Result<()>) -> Result<()> {
        self.timed("queue", || self.inner.queue_with(work))
    }

    fn row_counts(&self) -> Result<Vec<(String, i64)>> {
        self.inner.row_counts()
    }

    fn outside_writes(&self) -> Result<u64> {
        self.inner.outside_writes()
    }

    fn schema_current(&self) -> Result<bool> {
        self.inner.schema_current()
    }

    fn shared(&self) -> bool {
        self.inner.shared()
    }

    fn follow_events(&self, tell: crate::store::EventTell) -> Result<Option<Box<dyn Send + Sync>>> {
        self.inner.follow_events(tell)
    }

    fn take_send_slot(
        &self,
        line: uuid::Uuid,
        per_second: std::num::NonZeroU32,
    ) -> Result<Option<Duration>> {
        self.inner.take_send_slot(line, per_second)
    }

    fn claim_periodic(&self, job: &str, every: Duration) -> Result<bool> {
        self.inner.claim_periodic(job, every)
    }
}
