//! What a simulated guest sends the business, and the statuses of what the business sent
//! them, as Meta's webhooks carry them (the shapes of `crates/connector/tests/fixtures/
//! cloud-api`, which are Meta's): a guest named by `contacts[]` (profile name, username,
//! `wa_id` unless hidden, `user_id`) and `from`/`from_user_id`; files announced with their
//! id, type, base64 SHA-256 and a download `url`; statuses with `pricing` and the
//! recipient's ids.

use base64::Engine;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::samples;
use crate::state::{Guest, SimError, SimState};

/// Something a guest sends (the control API's `POST /control/guests/{wa_id}/message`).
/// Files are the small samples in `crates/wa-sim/samples` unless bytes are given.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum GuestMessage {
    Text {
        text: String,
        /// Quote this message (a wamid): the guest's reply to it.
        #[serde(default)]
        reply_to: Option<String>,
        #[serde(default)]
        forwarded: bool,
    },
    Image {
        #[serde(default)]
        caption: Option<String>,
    },
    Voice,
    Audio,
    Video {
        #[serde(default)]
        caption: Option<String>,
    },
    Document {
        #[serde(default)]
        caption: Option<String>,
    },
    Sticker {
        #[serde(default)]
        animated: bool,
    },
    Location {
        latitude: f64,
        longitude: f64,
        #[serde(default)]
        name: Option<String>,
        #[serde(default)]
        address: Option<String>,
    },
    /// A contact card from the guest's address book.
    Contact {
        name: String,
        phone: String,
    },
    /// A reaction to `to` (a wamid; the latest message the business sent when absent);
    /// no emoji removes it.
    Reaction {
        #[serde(default)]
        to: Option<String>,
        #[serde(default)]
        emoji: Option<String>,
    },
    /// A tap on an interactive message's button.
    ButtonReply {
        id: String,
        title: String,
        #[serde(default)]
        to: Option<String>,
    },
    /// A row chosen in an interactive list.
    ListReply {
        id: String,
        title: String,
        #[serde(default)]
        description: Option<String>,
        #[serde(default)]
        to: Option<String>,
    },
}

impl SimState {
    /// The guest as `contacts[]` names them.
    fn contact(guest: &Guest) -> Value {
        let mut profile = json!({ "name": guest.name });
        if let Some(username) = &guest.username {
            profile["username"] = json!(username);
        }
        let mut contact = json!({ "profile": profile, "user_id": guest.user_id });
        if guest.shares_number {
            contact["wa_id"] = json!(guest.wa_id);
        }
        contact
    }

    fn metadata(&self) -> Value {
        json!({
            "display_phone_number": self.config.display_phone_number,
            "phone_number_id": self.config.phone_number_id,
        })
    }

    /// The latest message the business sent the guest (what a reply or reaction answers
    /// when the guest names none).
    fn latest_received(&self, wa_id: &str) -> Option<String> {
        let world = self.world();
        world
            .guests
            .get(wa_id)?
            .received
            .last()
            .map(|r| r.wamid.clone())
    }

    /// A file the guest sends: stored like Meta keeps it (for the media endpoints), and
    /// announced as webhooks do.
    fn announce_media(&self, bytes: Vec<u8>, mime_type: &str) -> Value {
        let id = self.store_media(bytes, mime_type);
        let sha256 = self.world().media[&id].sha256;
        let base = self
            .base_url
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        json!({
            "mime_type": mime_type,
            "sha256": base64::engine::general_purpose::STANDARD.encode(sha256),
            "id": id,
            "url": format!("{base}/whatsapp_business/attachments/?mid={id}&source=webhook"),
        })
    }

    /// Sends a `messages` webhook for one message of the guest: `fields` are the message's
    /// type-specific fields (`{"type": "text", "text": {...}}`), `context` what it answers.
    /// Returns the wamid. A reaction does not move the guest's window.
    fn guest_message(
        &self,
        wa_id: &str,
        fields: Value,
        context: Option<Value>,
    ) -> Result<String, SimError> {
        let now = self.clock.now();
        let counts = fields["type"] != "reaction";
        let (wamid, guest) = {
            let mut world = self.world();
            let wamid = world.wamid();
            let guest = world
                .guests
                .get_mut(wa_id)
                .ok_or_else(|| SimError::UnknownGuest(wa_id.into()))?;
            if counts {
                guest.last_message_at = Some(now);
            }
            (wamid, guest.clone())
        };
        let mut message = json!({
            "from_user_id": guest.user_id,
            "id": wamid,
            "timestamp": now.timestamp().to_string(),
        });
        if guest.shares_number {
            message["from"] = json!(guest.wa_id);
        }
        if let Some(context) = context {
            message["context"] = context;
        }
        for (key, value) in fields.as_object().into_iter().flatten() {
            message[key] = value.clone();
        }
        self.enqueue_change(json!({
            "messaging_product": "whatsapp",
            "metadata": self.metadata(),
            "contacts": [Self::contact(&guest)],
            "messages": [message]
        }));
        Ok(wamid)
    }

    fn quoting(&self, wamid: &str) -> Value {
        json!({ "from": self.config.display_phone_number, "id": wamid })
    }

    /// The guest sends `message`. Returns its wamid.
    pub fn guest_sends(&self, wa_id: &str, message: GuestMessage) -> Result<String, SimError> {
        if !self.world().guests.contains_key(wa_id) {
            return Err(SimError::UnknownGuest(wa_id.into()));
        }
        let or_latest = |to: Option<String>| -> Result<String, SimError> {
            to.or_else(|| self.latest_received(wa_id))
                .ok_or_else(|| SimError::NothingToAnswer(wa_id.into()))
        };
        let (fields, context) = match message {
            GuestMessage::Text {
                text,
                reply_to,
                forwarded,
            } => {
                let context = match (reply_to, forwarded) {
                    (Some(id), _) => Some(self.quoting(&id)),
                    (None, true) => Some(json!({ "forwarded": true })),
                    (None, false) => None,
                };
                (json!({ "type": "text", "text": { "body": text } }), context)
            }
            GuestMessage::Image { caption } => {
                let mut image = self.announce_media(samples::PHOTO.to_vec(), "image/jpeg");
                if let Some(caption) = caption {
                    image["caption"] = json!(caption);
                }
                (json!({ "type": "image", "image": image }), None)
            }
            GuestMessage::Voice => {
                let mut audio =
                    self.announce_media(samples::VOICE.to_vec(), "audio/ogg; codecs=opus");
                audio["voice"] = json!(true);
                (json!({ "type": "audio", "audio": audio }), None)
            }
            GuestMessage::Audio => {
                let mut audio = self.announce_media(samples::SONG.to_vec(), "audio/mpeg");
                audio["voice"] = json!(false);
                (json!({ "type": "audio", "audio": audio }), None)
            }
            GuestMessage::Video { caption } => {
                let mut video = self.announce_media(samples::CLIP.to_vec(), "video/mp4");
                if let Some(caption) = caption {
                    video["caption"] = json!(caption);
                }
                (json!({ "type": "video", "video": video }), None)
            }
            GuestMessage::Document { caption } => {
                let mut document =
                    self.announce_media(samples::INVOICE.to_vec(), "application/pdf");
                document["filename"] = json!("invoice.pdf");
                if let Some(caption) = caption {
                    document["caption"] = json!(caption);
                }
                (json!({ "type": "document", "document": document }), None)
            }
            GuestMessage::Sticker { animated } => {
                let bytes = if animated {
                    samples::STICKER_ANIMATED
                } else {
                    samples::STICKER
                };
                let mut sticker = self.announce_media(bytes.to_vec(), "image/webp");
                sticker["animated"] = json!(animated);
                (json!({ "type": "sticker", "sticker": sticker }), None)
            }
            GuestMessage::Location {
                latitude,
                longitude,
                name,
                address,
            } => {
                let mut location = json!({ "latitude": latitude, "longitude": longitude });
                if let Some(name) = name {
                    location["name"] = json!(name);
                }
                if let Some(address) = address {
                    location["address"] = json!(address);
                }
                (json!({ "type": "location", "location": location }), None)
            }
            GuestMessage::Contact { name, phone } => {
                let digits: String = phone.chars().filter(char::is_ascii_digit).collect();
                let (first, last) = name.split_once(' ').unwrap_or((&name, ""));
                let mut card_name = json!({ "formatted_name": name, "first_name": first });
                if !last.is_empty() {
                    card_name["last_name"] = json!(last);
                }
                let card = json!({
                    "name": card_name,
                    "phones": [{ "phone": phone, "wa_id": digits, "type": "CELL" }]
                });
                (json!({ "type": "contacts", "contacts": [card] }), None)
            }
            GuestMessage::Reaction { to, emoji } => {
                let mut reaction = json!({ "message_id": or_latest(to)? });
                if let Some(emoji) = emoji {
                    reaction["emoji"] = json!(emoji);
                }
                (json!({ "type": "reaction", "reaction": reaction }), None)
            }
            GuestMessage::ButtonReply { id, title, to } => (
                json!({ "type": "interactive", "interactive": {
                    "type": "button_reply", "button_reply": { "id": id, "title": title } } }),
                Some(self.quoting(&or_latest(to)?)),
            ),
            GuestMessage::ListReply {
                id,
                title,
                description,
                to,
            } => {
                let mut reply = json!({ "id": id, "title": title });
                if let Some(description) = description {
                    reply["description"] = json!(description);
                }
                (
                    json!({ "type": "interactive", "interactive": {
                        "type": "list_reply", "list_reply": reply } }),
                    Some(self.quoting(&or_latest(to)?)),
                )
            }
        };
        self.guest_message(wa_id, fields, context)
    }

    pub fn guest_sends_text(&self, wa_id: &str, text: &str) -> Result<String, SimError> {
        self.guest_message(
            wa_id,
            json!({ "type": "text", "text": { "body": text } }),
            None,
        )
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
        let mut image = self.announce_media(bytes, mime_type);
        if let Some(caption) = caption {
            image["caption"] = json!(caption);
        }
        self.guest_message(wa_id, json!({ "type": "image", "image": image }), None)
    }

    /// The guest answers the latest template with its quick-reply button: a `button`
    /// message whose `context.id` is the template's wamid.
    pub fn guest_presses_button(
        &self,
        wa_id: &str,
        payload: &str,
        text: &str,
    ) -> Result<String, SimError> {
        let context = {
            let world = self.world();
            let guest = world
                .guests
                .get(wa_id)
                .ok_or_else(|| SimError::UnknownGuest(wa_id.into()))?;
            guest
                .received
                .iter()
                .rev()
                .find(|r| r.kind == "template")
                .map(|r| r.wamid.clone())
                .ok_or_else(|| SimError::NoTemplate(wa_id.into()))?
        };
        self.guest_message(
            wa_id,
            json!({ "type": "button", "button": { "payload": payload, "text": text } }),
            Some(self.quoting(&context)),
        )
    }

    /// A status webhook for a message the business sent the guest, with Meta's `pricing` on
    /// `sent` and `delivered` (`template_category`: the template's category, for a template).
    pub fn status(&self, wamid: &str, wa_id: &str, status: &str, template_category: Option<&str>) {
        self.status_with(wamid, wa_id, status, template_category, 131026);
    }

    /// A template's status changes: every language of `name` gets `status`, and a
    /// `message_template_status_update` webhook says so (Meta's shape: `event`, the
    /// template's id, name and language, `reason`).
    pub fn template_status(
        &self,
        name: &str,
        status: &str,
        reason: Option<&str>,
    ) -> Result<(), SimError> {
        let changed: Vec<(String, String)> = {
            let mut world = self.world();
            world
                .templates
                .iter_mut()
                .filter(|t| t.name == name)
                .map(|t| {
                    t.status = status.to_owned();
                    (t.id.clone(), t.language.clone())
                })
                .collect()
        };
        if changed.is_empty() {
            return Err(SimError::NoSuchTemplate(name.into()));
        }
        for (id, language) in changed {
            self.enqueue_change(json!({
                "event": status,
                "message_template_id": id.parse::<u64>().map_or(json!(id), |n| json!(n)),
                "message_template_name": name,
                "message_template_language": language,
                "reason": reason.unwrap_or("NONE"),
            }));
        }
        Ok(())
    }

    /// A `failed` status webhook with Meta's `code`: how a send that was accepted (200, a
    /// wamid) fails later (131047 window, 131026 undeliverable, 131049 and 131050 marketing).
    pub fn failed(&self, wamid: &str, wa_id: &str, code: u32) {
        self.status_with(wamid, wa_id, "failed", None, code);
    }

    fn status_with(
        &self,
        wamid: &str,
        wa_id: &str,
        status: &str,
        template_category: Option<&str>,
        code: u32,
    ) {
        let guest = self.world().guests.get(wa_id).cloned();
        let mut entry = json!({
            "id": wamid,
            "status": status,
            "timestamp": self.clock.now().timestamp().to_string(),
        });
        // Meta echoes the send's `biz_opaque_callback_data` in each of its statuses.
        if let Some(callback) = guest.as_ref().and_then(|g| {
            g.received
                .iter()
                .find(|r| r.wamid == wamid)
                .and_then(|r| r.request["biz_opaque_callback_data"].as_str())
                .map(str::to_owned)
        }) {
            entry["biz_opaque_callback_data"] = json!(callback);
        }
        match &guest {
            Some(g) => {
                if g.shares_number {
                    entry["recipient_id"] = json!(g.wa_id);
                }
                entry["recipient_user_id"] = json!(g.user_id);
            }
            None => entry["recipient_id"] = json!(wa_id),
        }
        if matches!(status, "sent" | "delivered") {
            entry["pricing"] = match template_category {
                Some(category) => json!({ "billable": true, "pricing_model": "PMP",
                    "type": "regular", "category": category.to_ascii_lowercase() }),
                None => json!({ "billable": false, "pricing_model": "PMP",
                    "type": "free_customer_service", "category": "service" }),
            };
        }
        if status == "failed" {
            let (title, details) = failure_words(code);
            entry["errors"] = json!([{
                "code": code,
                "title": title,
                "message": title,
                "error_data": { "details": details },
                "href": "/documentation/business-messaging/whatsapp/support/error-codes"
            }]);
        }
        let mut value = json!({
            "messaging_product": "whatsapp",
            "metadata": self.metadata(),
            "statuses": [entry]
        });
        // Statuses WhatsApp confirms name the guest as messages do (not a failure's).
        if let Some(g) = guest.filter(|_| status != "failed") {
            value["contacts"] = json!([Self::contact(&g)]);
        }
        self.enqueue_change(value);
    }

    /// The guest has the business's chat open on their phone (the guest phone page while it
    /// shows them): everything received is read now (a `read` status each), and what comes
    /// in the next 30 seconds is read at once, with no `delivered` before it.
    pub fn guest_reads(&self, wa_id: &str) -> Result<usize, SimError> {
        let now = self.clock.now();
        let unread: Vec<String> = {
            let mut world = self.world();
            let guest = world
                .guests
                .get_mut(wa_id)
                .ok_or_else(|| SimError::UnknownGuest(wa_id.into()))?;
            guest.chat_open_until = Some(now + chrono::Duration::seconds(30));
            guest
                .received
                .iter_mut()
                .filter(|r| !r.read)
                .map(|r| {
                    r.read = true;
                    r.wamid.clone()
                })
                .collect()
        };
        for wamid in &unread {
            self.status(wamid, wa_id, "read", None);
        }
        Ok(unread.len())
    }
}

/// The title and details of a late failure, as Meta's error-codes page words them.
fn failure_words(code: u32) -> (&'static str, &'static str) {
    match code {
        131047 => (
            "Re-engagement message",
            "Message failed to send because more than 24 hours have passed since the customer last replied to this number.",
        ),
        131049 => (
            "This message was not delivered to maintain healthy ecosystem engagement.",
            "In order to maintain a healthy ecosystem engagement, the message failed to be delivered.",
        ),
        131050 => (
            "Unable to deliver the message. This recipient has chosen to stop receiving marketing messages on WhatsApp from your business",
            "The recipient stopped marketing messages from this business.",
        ),
        _ => (
            "Message undeliverable",
            "The recipient's phone could not be reached.",
        ),
    }
}
