//! The simulator's world: one business phone number, its templates, and simulated guests.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use multiline_domain::time::{Clock, Timestamp};
use serde::{Deserialize, Serialize};
use serde_json::Value;
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
    /// What every `/control` request must carry (`X-Sim-Token`; a picture's `GET` may
    /// name it as `?token=`): a random one per run, so a web page the user visits cannot
    /// drive the demo's guests.
    pub control_token: String,
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
            control_token: random_token(),
        }
    }
}

/// 24 random bytes, hex.
pub fn random_token() -> String {
    let mut bytes = [0u8; 24];
    rand::RngCore::fill_bytes(&mut rand::rng(), &mut bytes);
    hex::encode(bytes)
}

/// An approved (or not) message template, in Meta's listing shape.
#[derive(Debug, Clone, Serialize, Deserialize)]
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
    /// Their business-scoped user id, as every webhook since April 2026 carries it
    /// (`US.` and 20 digits, derived from the number: stable per guest).
    pub user_id: String,
    /// A username; a guest who has one and does not share their number comes without
    /// `from`/`wa_id` (`shares_number` false).
    pub username: Option<String>,
    pub shares_number: bool,
    /// Until when the guest has the business's chat open on their phone: what arrives then
    /// is read at once (`read` with no `delivered` before it).
    pub chat_open_until: Option<Timestamp>,
    /// When the guest last wrote to the business: Meta's 24 h window starts here.
    pub last_message_at: Option<Timestamp>,
    pub received: Vec<Received>,
}

impl Guest {
    /// A guest who shares their number (everyone, until usernames).
    pub fn new(wa_id: &str, name: &str) -> Guest {
        use sha2::Digest;
        let digest = sha2::Sha256::digest(wa_id.as_bytes());
        let digits: String = digest
            .iter()
            .take(10)
            .map(|b| format!("{:02}", b % 100))
            .collect();
        Guest {
            wa_id: wa_id.to_owned(),
            name: name.to_owned(),
            user_id: format!("US.{digits}"),
            username: None,
            shares_number: true,
            chat_open_until: None,
            last_message_at: None,
            received: Vec::new(),
        }
    }
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
    /// Whether the guest has read it (a `read` status went out).
    #[serde(default)]
    pub read: bool,
    /// A template's buttons, as the guest's phone shows them under it.
    #[serde(default)]
    pub buttons: Vec<String>,
}

/// A stored media file (an upload by the business, or a guest's picture).
#[derive(Debug, Clone)]
pub struct Media {
    pub bytes: Vec<u8>,
    pub mime_type: String,
    /// The digest of the bytes: hex in the media endpoint's answer, base64 in webhooks.
    pub sha256: [u8; 32],
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
    /// The answer waits until the test releases it ([`crate::Simulator::release_held`]): a
    /// call caught in flight for as long as a test looks at it, whatever the machine's speed.
    Hold,
    /// The send is accepted (200, a wamid) and fails moments later by a `failed` status
    /// webhook with Meta's `code` (131049, 131050, ...), as Meta's late failures do.
    Late { code: u32 },
}

#[derive(Debug, thiserror::Error)]
pub enum SimError {
    #[error("no simulated guest with wa_id {0}")]
    UnknownGuest(String),
    #[error("guest {0} has no template to answer")]
    NoTemplate(String),
    #[error("guest {0} received nothing to answer or react to")]
    NothingToAnswer(String),
    #[error("no template named {0}")]
    NoSuchTemplate(String),
}

/// Moves the shared clock forward (the demo's; tests inject their own clocks instead).
pub type ClockControl = Arc<dyn Fn(chrono::Duration) + Send + Sync>;

pub(crate) struct SimState {
    pub config: SimConfig,
    pub clock: Arc<dyn Clock>,
    pub clock_control: Mutex<Option<ClockControl>>,
    pub world: Mutex<World>,
    pub webhooks: mpsc::UnboundedSender<Value>,
    pub delivery: Arc<crate::webhooks::Delivery>,
    /// Raised by each release of the calls a [`Fault::Hold`] holds.
    pub releases: tokio::sync::watch::Sender<u64>,
    /// Where the simulator serves (for the media `url` webhooks carry).
    pub base_url: Mutex<String>,
}

#[derive(Default)]
pub(crate) struct World {
    pub guests: HashMap<String, Guest>,
    pub templates: Vec<Template>,
    /// How many times the templates were listed (`GET .../message_templates`).
    pub template_listings: usize,
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
    /// Wamids the next accepted sends get, first first (tests that replay Meta's payloads
    /// about known messages).
    pub next_wamids: std::collections::VecDeque<String>,
    /// Whether accepted sends are followed by status webhooks (on unless a test turns them
    /// off to play Meta's own statuses).
    pub quiet_statuses: bool,
    /// Media lookups and downloads fail (HTTP 500, code 2) until then: an outage.
    pub media_down_until: Option<Timestamp>,
    /// Calls refused for naming a Graph API version that has ended, by version.
    pub refused_versions: HashMap<String, u32>,
}

impl World {
    /// A fresh message id, unique across restarts (a connector keeps the ids it saw).
    pub fn wamid(&mut self) -> String {
        if let Some(planned) = self.next_wamids.pop_front() {
            return planned;
        }
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
        let delivery = crate::webhooks::Delivery::new(
            config.app_secret.clone(),
            config.waba_id.clone(),
            clock.clone(),
        );
        crate::webhooks::spawn(rx, delivery.clone());
        Arc::new(SimState {
            config,
            clock,
            clock_control: Mutex::new(None),
            world: Mutex::new(World::default()),
            webhooks: tx,
            delivery,
            releases: tokio::sync::watch::Sender::new(0),
            base_url: Mutex::new(String::new()),
        })
    }

    pub fn world(&self) -> std::sync::MutexGuard<'_, World> {
        self.world.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn set_webhook_url(&self, url: String) {
        self.delivery.set_url(url);
    }

    pub fn add_guest(&self, wa_id: &str, name: &str) {
        self.world()
            .guests
            .entry(wa_id.to_owned())
            .or_insert_with(|| Guest::new(wa_id, name));
    }

    /// A guest with a username who does not share their number: webhooks name them by
    /// their user id only, and sends reach them by `recipient`.
    pub fn add_username_guest(&self, wa_id: &str, name: &str, username: &str) {
        let mut guest = Guest::new(wa_id, name);
        guest.username = Some(username.to_owned());
        guest.shares_number = false;
        self.world().guests.insert(wa_id.to_owned(), guest);
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
        let id = {
            let mut world = self.world();
            world.next_id += 1;
            format!(
                "{}{:06}",
                7_000_000_000u64 + world.next_id,
                world.next_id % 1_000_000
            )
        };
        self.put_media(&id, bytes, mime_type);
        id
    }

    /// Stores media under a given id (a test replaying Meta's payloads about it).
    pub fn put_media(&self, id: &str, bytes: Vec<u8>, mime_type: &str) {
        use sha2::Digest;
        let sha256 = sha2::Sha256::digest(&bytes).into();
        self.world().media.insert(
            id.to_owned(),
            Media {
                bytes,
                mime_type: mime_type.to_owned(),
                sha256,
            },
        );
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
        self.delivery.pending()
    }

    /// Queues one change (a `messages` change's `value`) for delivery: in order with every
    /// other, batched with those queued at the same moment, unless told to duplicate or
    /// reorder.
    pub fn enqueue_change(&self, payload: Value) {
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
            self.delivery.queued();
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
}
