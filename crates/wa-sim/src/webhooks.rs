//! Webhook delivery: one ordered queue, each payload signed with X-Hub-Signature-256 over the
//! exact bytes sent, retried with backoff while the callback answers anything but 200.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::Sha256;
use tokio::sync::mpsc;

/// How often a delivery is tried before it is dropped (Meta keeps trying for days; a test or
/// demo that waits longer than this has a broken connector).
const MAX_ATTEMPTS: u32 = 12;

/// `sha256=<hex>` of the HMAC-SHA256 of `body` keyed with `secret`.
pub fn signature(secret: &str, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

pub(crate) fn spawn_delivery(
    mut rx: mpsc::UnboundedReceiver<Value>,
    url: Arc<Mutex<Option<String>>>,
    secret: String,
    pending: Arc<AtomicUsize>,
) {
    tokio::spawn(async move {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .expect("a plain HTTP client builds");
        while let Some(payload) = rx.recv().await {
            let body = serde_json::to_vec(&payload).expect("JSON values serialize");
            let sig = signature(&secret, &body);
            let mut delay = Duration::from_millis(50);
            for attempt in 1..=MAX_ATTEMPTS {
                let target = url.lock().unwrap_or_else(|e| e.into_inner()).clone();
                let Some(target) = target else {
                    tokio::time::sleep(delay).await;
                    continue;
                };
                let result = http
                    .post(&target)
                    .header("content-type", "application/json")
                    .header("x-hub-signature-256", &sig)
                    .body(body.clone())
                    .send()
                    .await;
                match result {
                    Ok(response) if response.status() == reqwest::StatusCode::OK => break,
                    Ok(response) => {
                        tracing::warn!(status = %response.status(), attempt, "webhook refused")
                    }
                    Err(error) => tracing::warn!(%error, attempt, "webhook delivery failed"),
                }
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(Duration::from_secs(5));
            }
            pending.fetch_sub(1, Ordering::SeqCst);
        }
    });
}
