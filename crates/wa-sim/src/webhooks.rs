//! Webhook delivery as Meta does it: changes queued at the same moment go out together in
//! one POST (several changes, in one or two entries), serialised the way Meta's servers write
//! JSON (every non-ASCII character as `\uXXXX`, `/` as `\/`) and signed over exactly those
//! bytes (`X-Hub-Signature-256`). A delivery the callback does not answer with 200 is tried
//! again "immediately, then a few more times with decreasing frequency over the next 7 days",
//! by the simulator's clock, while later webhooks go on (so they may arrive out of order).

use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hmac::{Hmac, Mac};
use multiline_domain::time::{Clock, Timestamp};
use serde_json::{Value, json};
use sha2::Sha256;
use tokio::sync::mpsc;

/// How long after its first attempt a delivery is tried again, attempt after attempt: then
/// it is dropped (Meta: "over the next 7 days").
const RETRIES: &[i64] = &[
    0,
    10,
    60,
    5 * 60,
    30 * 60,
    2 * 3600,
    6 * 3600,
    12 * 3600,
    24 * 3600,
    48 * 3600,
    96 * 3600,
    7 * 24 * 3600,
];

/// At most this many changes in one POST (Meta: up to 1,000 updates).
const BATCH: usize = 100;

/// How many delivered bodies are kept for tests that compare them with Meta's.
const LOG: usize = 200;

/// `sha256=<hex>` of the HMAC-SHA256 of `body` keyed with `secret`.
pub fn signature(secret: &str, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// JSON as Meta's servers write it: compact, every non-ASCII character escaped as `\uXXXX`
/// (a UTF-16 surrogate pair beyond the BMP), and `/` as `\/`.
pub fn meta_json(value: &Value) -> Vec<u8> {
    struct MetaFormatter;
    impl serde_json::ser::Formatter for MetaFormatter {
        fn write_string_fragment<W: ?Sized + std::io::Write>(
            &mut self,
            writer: &mut W,
            fragment: &str,
        ) -> std::io::Result<()> {
            let mut units = [0u16; 2];
            for c in fragment.chars() {
                if c == '/' {
                    writer.write_all(b"\\/")?;
                } else if c.is_ascii() {
                    writer.write_all(&[c as u8])?;
                } else {
                    for unit in c.encode_utf16(&mut units) {
                        write!(writer, "\\u{unit:04x}")?;
                    }
                }
            }
            Ok(())
        }
    }
    let mut out = Vec::new();
    let mut serializer = serde_json::Serializer::with_formatter(&mut out, MetaFormatter);
    serde::Serialize::serialize(value, &mut serializer).expect("JSON values serialize");
    out
}

/// The delivery side: where to, the secret, what is pending, what went out.
pub(crate) struct Delivery {
    secret: String,
    waba_id: String,
    clock: Arc<dyn Clock>,
    url: Mutex<Option<String>>,
    pending: AtomicUsize,
    log: Mutex<VecDeque<Vec<u8>>>,
}

/// A batch that was not answered with 200, due again at `due`.
struct Retry {
    changes: Vec<Value>,
    first_attempt: Timestamp,
    attempts: usize,
    due: Timestamp,
}

impl Delivery {
    pub fn new(secret: String, waba_id: String, clock: Arc<dyn Clock>) -> Arc<Delivery> {
        Arc::new(Delivery {
            secret,
            waba_id,
            clock,
            url: Mutex::new(None),
            pending: AtomicUsize::new(0),
            log: Mutex::new(VecDeque::new()),
        })
    }

    pub fn set_url(&self, url: String) {
        *self.url.lock().unwrap_or_else(|e| e.into_inner()) = Some(url);
    }

    fn url(&self) -> Option<String> {
        self.url.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    pub fn queued(&self) {
        self.pending.fetch_add(1, Ordering::SeqCst);
    }

    /// Changes queued and not yet answered with 200 (nor given up on).
    pub fn pending(&self) -> usize {
        self.pending.load(Ordering::SeqCst)
    }

    /// The bodies delivered lately (answered or not), oldest first, as sent.
    pub fn log(&self) -> Vec<Vec<u8>> {
        self.log
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .cloned()
            .collect()
    }

    /// A body of Meta's shape for these changes: one entry, or two when there are three or
    /// more (Meta groups updates by entry as it likes; a receiver must read them all).
    fn body(&self, changes: &[Value]) -> Vec<u8> {
        // A template's status change is its own field (Meta's `message_template_status_update`).
        let change = |value: &Value| {
            let field = if value.get("message_template_id").is_some() {
                "message_template_status_update"
            } else {
                "messages"
            };
            json!({ "value": value, "field": field })
        };
        let entry = |changes: &[Value]| json!({ "id": self.waba_id, "changes": changes.iter().map(change).collect::<Vec<_>>() });
        let entries = if changes.len() >= 3 {
            let (a, b) = changes.split_at(changes.len() / 2);
            vec![entry(a), entry(b)]
        } else {
            vec![entry(changes)]
        };
        meta_json(&json!({ "object": "whatsapp_business_account", "entry": entries }))
    }

    /// POSTs one body; true when answered 200.
    async fn post(&self, http: &reqwest::Client, changes: &[Value]) -> bool {
        let Some(url) = self.url() else {
            return false;
        };
        let body = self.body(changes);
        {
            let mut log = self.log.lock().unwrap_or_else(|e| e.into_inner());
            if log.len() == LOG {
                log.pop_front();
            }
            log.push_back(body.clone());
        }
        let result = http
            .post(&url)
            .header("content-type", "application/json")
            .header("x-hub-signature-256", signature(&self.secret, &body))
            .body(body)
            .send()
            .await;
        match result {
            Ok(response) if response.status() == reqwest::StatusCode::OK => true,
            Ok(response) => {
                tracing::warn!(status = %response.status(), "webhook refused");
                false
            }
            Err(error) => {
                tracing::warn!(%error, "webhook delivery failed");
                false
            }
        }
    }

    fn done(&self, changes: usize) {
        self.pending.fetch_sub(changes, Ordering::SeqCst);
    }
}

/// Delivers what is queued, batching what waits together, and retries by the clock.
pub(crate) fn spawn(mut rx: mpsc::UnboundedReceiver<Value>, delivery: Arc<Delivery>) {
    tokio::spawn(async move {
        // A connection per delivery: behind a load balancer that balances connections (the
        // tests' round robin in front of several connector instances), deliveries spread
        // over the instances instead of following one kept-alive connection.
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .pool_max_idle_per_host(0)
            .build()
            .expect("a plain HTTP client builds");
        let mut retries: Vec<Retry> = Vec::new();
        let mut carry = None;
        loop {
            // New changes first (everything queued by now goes in one body), else a retry
            // that is due; with nothing to do, wait for either.
            let mut changes: Vec<Value> = carry.take().into_iter().collect();
            while changes.len() < BATCH {
                match rx.try_recv() {
                    Ok(change) => changes.push(change),
                    Err(_) => break,
                }
            }
            let now = delivery.clock.now();
            if !changes.is_empty() {
                if delivery.post(&http, &changes).await {
                    delivery.done(changes.len());
                } else {
                    retries.push(Retry {
                        changes,
                        first_attempt: now,
                        attempts: 1,
                        due: now + chrono::Duration::seconds(RETRIES[0]),
                    });
                }
                continue;
            }
            if let Some(i) = retries.iter().position(|r| r.due <= now) {
                let mut retry = retries.remove(i);
                if delivery.post(&http, &retry.changes).await {
                    delivery.done(retry.changes.len());
                } else if let Some(after) = RETRIES.get(retry.attempts) {
                    retry.attempts += 1;
                    retry.due = retry.first_attempt + chrono::Duration::seconds(*after);
                    retries.push(retry);
                } else {
                    tracing::error!(
                        changes = retry.changes.len(),
                        "webhook dropped after 7 days of retries"
                    );
                    delivery.done(retry.changes.len());
                }
                continue;
            }
            tokio::select! {
                change = rx.recv() => match change {
                    Some(change) => carry = Some(change),
                    None => return,
                },
                // A retry may have come due (the clock moves on, or is moved by hand).
                _ = tokio::time::sleep(Duration::from_millis(50)), if !retries.is_empty() => {}
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::meta_json;

    #[test]
    fn writes_json_the_way_metas_servers_do() {
        let value = serde_json::json!({ "text": "Olá 👍 https://x.test/a" });
        assert_eq!(
            String::from_utf8(meta_json(&value)).unwrap(),
            r#"{"text":"Ol\u00e1 \ud83d\udc4d https:\/\/x.test\/a"}"#
        );
        let back: serde_json::Value = serde_json::from_slice(&meta_json(&value)).unwrap();
        assert_eq!(back, value);
    }
}
