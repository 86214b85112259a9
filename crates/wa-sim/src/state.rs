//! The simulator's world: one business phone number, its templates, and simulated guests.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use multiline_domain::time::{Clock, Timestamp};
use serde::Serialize;
use serde_json::{Value, json};
use tokio::sync::mpsc;

/// The business account the simulator plays.
#[derive(Debug, Clone)]
pub struct SimConfig {
    pub phone_number_id: String,
    pub display_phone_number: String,
    pub waba_id: String,
    /// The system-user access token every request must carry as a bearer token.
    pub access_token: String,
    /// The app secret that signs webhooks (X-Hub-Signature-256).
    pub app_secret: String,
}

impl SimConfig {
    /// The demo's account; tests use it too.
    pub fn demo() -> Self {
        SimConfig {
            phone_number_id: "106540352242922".into(),
            display_phone_number: "15550001111".into(),
            waba_id: "102290129340398".into(),
            access_token: "demo-access-token".into(),
            app_secret: "demo-app-secret".into(),
        }
    }
}

/// An approved (or not) message template, in Meta's listing shape.
#[derive(Debug, Clone, Serialize)]
pub struct Template {
    pub id: String,
    pub name: String,
    pub language: String,
    /// APPROVED, PENDING, REJECTED, PAUSED, DISABLED
    pub status: String,
    pub category: String,
    pub parameter_format: String,
    pub components: Value,
}

/// A simulated WhatsApp user.
#[derive(Debug, Clone)]
pub struct Guest {
    pub wa_id: String,
    pub name: String,
    /// When the guest last wrote to the business: Meta's 24 h window starts here.
    pub last_message_at: Option<Timestamp>,
    pub received: Vec<Received>,
}

/// A message the Cloud API accepted for a guest.
#[derive(Debug, Clone, Serialize, serde::Deserialize, PartialEq)]
pub struct Received {
    pub wamid: String,
    pub at: Timestamp,
    /// The `type` of the send request: text, image, template.
    #[serde(rename = "type")]
    pub kind: String,
    /// The text body, the caption, or the template name.
    pub text: String,
    /// The whole send request as the connector sent it.
    pub request: Value,
}

/// A stored media file (an upload by the business, or a guest's picture).
#[derive(Debug, Clone)]
pub struct Media {
    pub bytes: Vec<u8>,
    pub mime_type: String,
    /// Hex SHA-256 of the bytes.
    pub sha256: String,
}

/// The Cloud API's limit for images.
pub const IMAGE_LIMIT: usize = 5 * 1024 * 1024;

/// A failure the simulator plays on its next Graph API calls (sends and media), injected
/// through the control API: the failures the connector must survive.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Fault {
    /// A Graph API error with Meta's `code` (131026, 131047, 190, ...), HTTP 400 unless said.
    Error {
        code: u32,
        #[serde(default)]
        status: Option<u16>,
    },
    /// HTTP 500: Meta's "Service temporarily unavailable" (code 2).
    ServerError,
    /// HTTP 429 with 130429: the number's throughput limit.
    RateLimit,
    /// The answer comes after `ms` milliseconds (then the call goes on normally).
    Delay { ms: u64 },
}

#[derive(Debug, thiserror::Error)]
pub enum SimError {
    #[error("no simulated guest with wa_id {0}")]
    UnknownGuest(String),
    #[error("guest {0} has no template to answer")]
    NoTemplate(String),
}

/// Moves the shared clock forward (the demo's; tests inject their own clocks instead).
pub type ClockControl = Arc<dyn Fn(chrono::Duration) + Send + Sync>;

pub(crate) struct SimState {
    pub config: SimConfig,
    pub clock: Arc<dyn Clock>,
    pub clock_control: Mutex<Option<ClockControl>>,
    pub world: Mutex<World>,
    pub webhooks: mpsc::UnboundedSender<Value>,
    pub webhook_url: Arc<Mutex<Option<String>>>,
    pub pending: Arc<AtomicUsize>,
}

#[derive(Default)]
pub(crate) struct World {
    pub guests: HashMap<String, Guest>,
    pub templates: Vec<Template>,
    pub next_id: u64,
    /// Uploaded and received media by id.
    pub media: HashMap<String, Media>,
    /// Short-lived download links: token -> (media id, expiry).
    pub downloads: HashMap<String, (String, Timestamp)>,
    /// Faults for the next calls, first first, each with how many calls it still takes.
    pub faults: std::collections::VecDeque<(Fault, u32)>,
    /// Guests whose phone is off the network: sends are accepted, then fail (131026).
    pub unreachable: std::collections::HashSet<String>,
    /// How many of the next webhooks are delivered twice.
    pub duplicate_next: u32,
    /// The next `reorder_next` webhooks are held and then delivered newest first.
    pub reorder_next: u32,
    pub held: Vec<Value>,
}

impl World {
    /// A fresh message id, unique across restarts (a connector keeps the ids it saw).
    pub fn wamid(&mut self) -> String {
        self.next_id += 1;
        format!(
            "wamid.SIM{}{:04X}",
            crate::opaque_id(),
            self.next_id & 0xFFFF
        )
    }
}

impl SimState {
    pub fn new(config: SimConfig, clock: Arc<dyn Clock>) -> Arc<Self> {
        let (tx, rx) = mpsc::unbounded_channel();
        let webhook_url = Arc::new(Mutex::new(None));
        let pending = Arc::new(AtomicUsize::new(0));
        crate::webhooks::spawn_delivery(
            rx,
            webhook_url.clone(),
            config.app_secret.clone(),
            pending.clone(),
        );
        Arc::new(SimState {
            config,
            clock,
            clock_control: Mutex::new(None),
            world: Mutex::new(World::default()),
            webhooks: tx,
            webhook_url,
            pending,
        })
    }

    pub fn world(&self) -> std::sync::MutexGuard<'_, World> {
        self.world.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn set_webhook_url(&self, url: String) {
        *self.webhook_url.lock().unwrap_or_else(|e| e.into_inner()) = Some(url);
    }

    pub fn add_guest(&self, wa_id: &str, name: &str) {
        self.world()
            .guests
            .entry(wa_id.to_owned())
            .or_insert_with(|| Guest {
                wa_id: wa_id.to_owned(),
                name: name.to_owned(),
                last_message_at: None,
                received: Vec::new(),
            });
    }

    pub fn add_template(&self, template: Template) {
        self.world().templates.push(template);
    }

    pub fn set_guest_last_message_at(&self, wa_id: &str, at: Timestamp) {
        if let Some(guest) = self.world().guests.get_mut(wa_id) {
            guest.last_message_at = Some(at);
        }
    }

    /// Stores media and answers its id.
    pub fn store_media(&self, bytes: Vec<u8>, mime_type: &str) -> String {
        use sha2::Digest;
        let sha256 = hex::encode(sha2::Sha256::digest(&bytes));
        let mut world = self.world();
        world.next_id += 1;
        let id = format!(
            "{}{:06}",
            7_000_000_000u64 + world.next_id,
            world.next_id % 1_000_000
        );
        world.media.insert(
            id.clone(),
            Media {
                bytes,
                mime_type: mime_type.to_owned(),
                sha256,
            },
        );
        id
    }

    /// The guest sends a picture: stored as media, then a signed `image` webhook.
    pub fn guest_sends_image(
        &self,
        wa_id: &str,
        bytes: Vec<u8>,
        mime_type: &str,
        caption: Option<&str>,
    ) -> Result<String, SimError> {
        if !self.world().guests.contains_key(wa_id) {
            return Err(SimError::UnknownGuest(wa_id.into()));
        }
        let media_id = self.store_media(bytes, mime_type);
        let now = self.clock.now();
        let (wamid, name, sha256) = {
            let mut world = self.world();
            let wamid = world.wamid();
            let sha256 = world.media[&media_id].sha256.clone();
            let guest = world.guests.get_mut(wa_id).expect("checked above");
            guest.last_message_at = Some(now);
            (wamid, guest.name.clone(), sha256)
        };
        let mut image = json!({ "id": media_id, "mime_type": mime_type, "sha256": sha256 });
        if let Some(caption) = caption {
            image["caption"] = json!(caption);
        }
        let value = json!({
            "messaging_product": "whatsapp",
            "metadata": self.metadata(),
            "contacts": [{ "profile": { "name": name }, "wa_id": wa_id }],
            "messages": [{
                "from": wa_id,
                "id": wamid,
                "timestamp": now.timestamp().to_string(),
                "type": "image",
                "image": image
            }]
        });
        self.enqueue_webhook(self.envelope(value));
        Ok(wamid)
    }

    pub fn inject_fault(&self, fault: Fault, count: u32) {
        if count > 0 {
            self.world().faults.push_back((fault, count));
        }
    }

    pub fn set_reachable(&self, wa_id: &str, reachable: bool) {
        let mut world = self.world();
        if reachable {
            world.unreachable.remove(wa_id);
        } else {
            world.unreachable.insert(wa_id.to_owned());
        }
    }

    pub fn received(&self, wa_id: &str) -> Vec<Received> {
        self.world()
            .guests
            .get(wa_id)
            .map(|g| g.received.clone())
            .unwrap_or_default()
    }

    pub fn pending_webhooks(&self) -> usize {
        self.pending.load(Ordering::SeqCst)
    }

    /// Queues one webhook delivery (in order with every other, unless told to duplicate or
    /// reorder).
    pub fn enqueue_webhook(&self, payload: Value) {
        let out = {
            let mut world = self.world();
            let copies = if world.duplicate_next > 0 {
                world.duplicate_next -= 1;
                2
            } else {
                1
            };
            let mut out = Vec::new();
            for _ in 0..copies {
                if world.reorder_next > 0 {
                    world.held.push(payload.clone());
                    if world.held.len() as u32 >= world.reorder_next {
                        world.reorder_next = 0;
                        out.extend(world.held.drain(..).rev());
                    }
                } else {
                    out.push(payload.clone());
                }
            }
            out
        };
        for payload in out {
            self.pending.fetch_add(1, Ordering::SeqCst);
            // The receiver lives as long as the runtime; an error means it is shutting down.
            let _ = self.webhooks.send(payload);
        }
    }

    /// The fault the next call plays, if one is planned.
    pub fn next_fault(&self) -> Option<Fault> {
        let mut world = self.world();
        let (fault, remaining) = world.faults.front_mut()?;
        let fault = fault.clone();
        *remaining -= 1;
        if *remaining == 0 {
            world.faults.pop_front();
        }
        Some(fault)
    }

    /// The guest answers a template's quick-reply button: a `button` message whose
    /// `context.id` is the template's wamid.
    pub fn guest_presses_button(
        &self,
        wa_id: &str,
        payload: &str,
        text: &str,
    ) -> Result<String, SimError> {
        let now = self.clock.now();
        let (wamid, name, context) = {
            let mut world = self.world();
            let wamid = world.wamid();
            let guest = world
                .guests
                .get_mut(wa_id)
                .ok_or_else(|| SimError::UnknownGuest(wa_id.into()))?;
            guest.last_message_at = Some(now);
            let context = guest
                .received
                .iter()
                .rev()
                .find(|r| r.kind == "template")
                .map(|r| r.wamid.clone())
                .ok_or_else(|| SimError::NoTemplate(wa_id.into()))?;
            (wamid, guest.name.clone(), context)
        };
        let value = json!({
            "messaging_product": "whatsapp",
            "metadata": self.metadata(),
            "contacts": [{ "profile": { "name": name }, "wa_id": wa_id }],
            "messages": [{
                "context": { "from": self.config.display_phone_number, "id": context },
                "from": wa_id,
                "id": wamid,
                "timestamp": now.timestamp().to_string(),
                "type": "button",
                "button": { "payload": payload, "text": text }
            }]
        });
        self.enqueue_webhook(self.envelope(value));
        Ok(wamid)
    }

    /// The `value` envelope every webhook shares.
    pub fn envelope(&self, value: Value) -> Value {
        json!({
            "object": "whatsapp_business_account",
            "entry": [{
                "id": self.config.waba_id,
                "changes": [{ "field": "messages", "value": value }]
            }]
        })
    }

    fn metadata(&self) -> Value {
        json!({
            "display_phone_number": self.config.display_phone_number,
            "phone_number_id": self.config.phone_number_id,
        })
    }

    pub fn guest_sends_text(&self, wa_id: &str, text: &str) -> Result<String, SimError> {
        let now = self.clock.now();
        let (wamid, name) = {
            let mut world = self.world();
            let wamid = world.wamid();
            let guest = world
                .guests
                .get_mut(wa_id)
                .ok_or_else(|| SimError::UnknownGuest(wa_id.into()))?;
            guest.last_message_at = Some(now);
            (wamid, guest.name.clone())
        };
        let value = json!({
            "messaging_product": "whatsapp",
            "metadata": self.metadata(),
            "contacts": [{ "profile": { "name": name }, "wa_id": wa_id }],
            "messages": [{
                "from": wa_id,
                "id": wamid,
                "timestamp": now.timestamp().to_string(),
                "type": "text",
                "text": { "body": text }
            }]
        });
        self.enqueue_webhook(self.envelope(value));
        Ok(wamid)
    }

    /// A status webhook for a message the business sent.
    pub fn status(&self, wamid: &str, recipient: &str, status: &str) {
        let mut entry = json!({
            "id": wamid,
            "status": status,
            "timestamp": self.clock.now().timestamp().to_string(),
            "recipient_id": recipient,
        });
        if status == "failed" {
            entry["errors"] = json!([{
                "code": 131026,
                "title": "Message undeliverable",
                "message": "Message undeliverable",
                "error_data": { "details": "The recipient's phone could not be reached." }
            }]);
        }
        let value = json!({
            "messaging_product": "whatsapp",
            "metadata": self.metadata(),
            "statuses": [entry]
        });
        self.enqueue_webhook(self.envelope(value));
    }
}
