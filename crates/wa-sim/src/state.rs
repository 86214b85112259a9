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

#[derive(Debug, thiserror::Error)]
pub enum SimError {
    #[error("no simulated guest with wa_id {0}")]
    UnknownGuest(String),
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
}

impl World {
    /// A fresh message id, unique across restarts (a connector keeps the ids it saw).
    pub fn wamid(&mut self) -> String {
        self.next_id += 1;
        format!(
            "wamid.SIM{}{:04X}",
            uuid::Uuid::now_v7().simple(),
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

    /// Queues one webhook delivery (in order with every other).
    pub fn enqueue_webhook(&self, payload: Value) {
        self.pending.fetch_add(1, Ordering::SeqCst);
        // The receiver lives as long as the runtime; a send error means it is shutting down.
        let _ = self.webhooks.send(payload);
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
        let value = json!({
            "messaging_product": "whatsapp",
            "metadata": self.metadata(),
            "statuses": [{
                "id": wamid,
                "status": status,
                "timestamp": self.clock.now().timestamp().to_string(),
                "recipient_id": recipient,
            }]
        });
        self.enqueue_webhook(self.envelope(value));
    }
}
