//! Messages as the connector stores them and the app shows them: what a message holds (every
//! kind a guest can send by WhatsApp, SMS or voicemail, and what the business sends), and what
//! is said about it (the message it answers, forwarding, the ad it came from, reactions).
//!
//! The kinds follow what Meta's Cloud API delivers (../shared/whatsapp-cloud-api.md): a kind
//! the app cannot show yet (an order, a new kind Meta adds) is still a message,
//! [`MessageBody::Unsupported`], with its kind named, never dropped.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::ids::{ClientMessageId, MediaId, MessageId, ThreadId};
use crate::templates::SendComponent;
pub use crate::templates::TemplateFile;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "type", rename_all = "snake_case")]
#[ts(export)]
pub enum MessageBody {
    Text {
        text: String,
    },
    /// An approved template, sent by name and parameters; `text` is what the guest reads.
    Template {
        name: String,
        language: String,
        text: String,
        /// The send request's `components` (the filled parameters).
        components: Vec<SendComponent>,
        /// The header's file, as the guest sees it above the text.
        #[serde(default)]
        header: Option<Box<TemplateFile>>,
        /// The buttons' labels, as the guest sees them under the text.
        #[serde(default)]
        buttons: Vec<String>,
    },
    /// A picture (F16-F18), stored by the connector: `GET /v1/media/{media_id}` has it.
    Picture {
        media_id: MediaId,
        caption: Option<String>,
        width: u32,
        height: u32,
    },
    /// A voice note (`voice`: recorded in WhatsApp, OGG/Opus) or an audio file.
    Audio {
        media_id: MediaId,
        mime_type: String,
        /// Bytes.
        #[ts(type = "number")]
        size: u64,
        voice: bool,
        /// How long it plays, when the connector could read it from the file (Ogg/Opus).
        #[serde(default)]
        duration_secs: Option<u32>,
    },
    /// A video (MP4 or 3GPP).
    Video {
        media_id: MediaId,
        mime_type: String,
        #[ts(type = "number")]
        size: u64,
        caption: Option<String>,
    },
    /// A file (a PDF, a spreadsheet...), with the name its sender gave it.
    Document {
        media_id: MediaId,
        mime_type: String,
        #[ts(type = "number")]
        size: u64,
        filename: String,
        caption: Option<String>,
    },
    /// A sticker: a WebP picture, `animated` or not.
    Sticker {
        media_id: MediaId,
        mime_type: String,
        animated: bool,
    },
    /// A place: coordinates, and the name and address when the sender chose a named place.
    Location {
        latitude: Degrees,
        longitude: Degrees,
        name: Option<String>,
        address: Option<String>,
        /// The place's web site, when WhatsApp gives one.
        url: Option<String>,
    },
    /// Contact cards shared from the sender's address book.
    Contacts {
        cards: Vec<ContactCard>,
    },
    /// The guest chose an answer the business offered: a template's quick-reply button, an
    /// interactive message's button or list row. The message it answers is `reply_to`.
    Choice {
        /// The button's or row's title, as the guest saw it.
        text: String,
        /// A list row's description.
        description: Option<String>,
        /// The business's id for the button or row (a template button's payload).
        id: Option<String>,
    },
    /// The guest filled in and sent a form (a WhatsApp Flow).
    Form {
        /// What WhatsApp showed the guest ("Sent").
        text: String,
        /// The answers, in the order the form sent them.
        fields: Vec<FormField>,
    },
    /// A line the thread shows about itself: a change to the thread (F20), as a sentence
    /// with names ("Alex Morgan added Sam Rivera") and as the event it records.
    System {
        event: crate::participants::SystemEvent,
        text: String,
    },
    /// A line WhatsApp sends about the guest ("Ana changed her number", "Ana opened the
    /// chat"), shown like a system line.
    Notice {
        notice: Notice,
        text: String,
    },
    /// A message of a kind this app cannot show yet (an order, a kind Meta adds later),
    /// stored with its kind, never dropped; the connector keeps what Meta sent.
    Unsupported {
        /// Meta's name for the kind ("order"), when there is one.
        #[serde(default)]
        kind: Option<String>,
        description: String,
    },
    /// A voicemail left on the line (F22): the recording (`GET /v1/media/{media_id}`), how
    /// long it is, the carrier's transcript when it sends one, and when it was first played.
    Voicemail {
        media_id: MediaId,
        duration_secs: u32,
        transcript: Option<String>,
        heard_at: Option<DateTime<Utc>>,
    },
}

/// The sentence for a message of a kind the app cannot show yet.
/// `text` with U+FFFD for each U+0000 (JSON allows it escaped, `\u0000`): no text a guest
/// writes holds one, PostgreSQL's text cannot store it, and a message is not to be set aside
/// for it. A text without one is handed back as it is.
pub fn without_nul(text: String) -> String {
    if text.contains('\0') {
        text.replace('\0', "\u{FFFD}")
    } else {
        text
    }
}

pub fn unsupported(kind: &str) -> MessageBody {
    MessageBody::Unsupported {
        kind: Some(kind.to_owned()),
        description: format!("A message of a kind this app can't show yet ({kind})"),
    }
}

impl MessageBody {
    /// One line for thread lists and notifications. Words, not emoji: not every system has
    /// a font for them.
    pub fn preview(&self) -> String {
        fn with(label: &str, more: Option<&str>) -> String {
            match more.map(str::trim) {
                Some(m) if !m.is_empty() => {
                    format!("{label}: {}", m.lines().next().unwrap_or_default())
                }
                _ => label.to_owned(),
            }
        }
        match self {
            MessageBody::Text { text } => text.lines().next().unwrap_or_default().to_owned(),
            // A template's first line is often its header ("Reminder"): show all of it.
            MessageBody::Template { text, .. } => text
                .lines()
                .filter(|l| !l.trim().is_empty())
                .collect::<Vec<_>>()
                .join(" · "),
            MessageBody::Picture { caption, .. } => with("Photo", caption.as_deref()),
            MessageBody::Audio { voice: true, .. } => "Voice message".to_owned(),
            MessageBody::Audio { voice: false, .. } => "Audio".to_owned(),
            MessageBody::Video { caption, .. } => with("Video", caption.as_deref()),
            MessageBody::Document { filename, .. } => with("Document", Some(filename)),
            MessageBody::Sticker { .. } => "Sticker".to_owned(),
            MessageBody::Location { name, address, .. } => {
                with("Location", name.as_deref().or(address.as_deref()))
            }
            MessageBody::Contacts { cards } => match cards.as_slice() {
                [one] => with("Contact", Some(&one.name)),
                more => format!("{} contacts", more.len()),
            },
            MessageBody::Choice { text, .. } | MessageBody::Form { text, .. } => {
                text.lines().next().unwrap_or_default().to_owned()
            }
            MessageBody::System { text, .. } | MessageBody::Notice { text, .. } => text.clone(),
            MessageBody::Unsupported { description, .. } => description.clone(),
            MessageBody::Voicemail { duration_secs, .. } => {
                format!(
                    "Voicemail ({}:{:02})",
                    duration_secs / 60,
                    duration_secs % 60
                )
            }
        }
    }

    /// The stored file this message carries, if any.
    pub fn media_id(&self) -> Option<MediaId> {
        match self {
            MessageBody::Picture { media_id, .. }
            | MessageBody::Audio { media_id, .. }
            | MessageBody::Video { media_id, .. }
            | MessageBody::Document { media_id, .. }
            | MessageBody::Sticker { media_id, .. }
            | MessageBody::Voicemail { media_id, .. } => Some(*media_id),
            _ => None,
        }
    }

    /// The words a guest wrote or chose, as consent and STOP/START rules read them.
    pub fn words(&self) -> &str {
        match self {
            MessageBody::Text { text }
            | MessageBody::Template { text, .. }
            | MessageBody::Choice { text, .. } => text,
            _ => "",
        }
    }
}

/// What WhatsApp said about the guest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "kind", rename_all = "snake_case")]
#[ts(export)]
pub enum Notice {
    /// The guest moved to a new number. The thread keeps writing to the old one until a
    /// user chooses to use the new one (`applied`).
    NumberChanged {
        new_phone: Option<crate::phone::E164>,
        applied: bool,
    },
    /// The guest opened a chat with the business for the first time (Meta's
    /// `request_welcome`).
    OpenedChat,
    /// The guest's WhatsApp user id changed (they moved to a new number): the thread goes
    /// on with them.
    UserIdChanged,
    /// Another notice: WhatsApp's name for it.
    Other { what: String },
}

/// A latitude or longitude in degrees (WGS 84), finite.
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd, Serialize, TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[ts(export, type = "number")]
pub struct Degrees(pub f64);

impl<'de> Deserialize<'de> for Degrees {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Degrees::try_from(f64::deserialize(deserializer)?).map_err(serde::de::Error::custom)
    }
}

/// Degrees are finite (checked when made), so equality is total.
impl Eq for Degrees {}

impl TryFrom<f64> for Degrees {
    type Error = &'static str;
    fn try_from(value: f64) -> Result<Self, Self::Error> {
        if value.is_finite() && (-180.0..=180.0).contains(&value) {
            Ok(Degrees(value))
        } else {
            Err("degrees are a finite number between -180 and 180")
        }
    }
}

/// A contact card a guest shared.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[ts(export)]
pub struct ContactCard {
    /// The name as the card formats it ("Ana Silva").
    pub name: String,
    pub phones: Vec<CardPhone>,
    pub emails: Vec<String>,
    pub organization: Option<String>,
}

/// A number on a shared contact card, as written there (not validated: the user checks it
/// when they add the contact).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[ts(export)]
pub struct CardPhone {
    pub number: String,
    /// The number's WhatsApp id, when it is on WhatsApp.
    pub wa_id: Option<String>,
    /// "CELL", "WORK", "HOME"...
    pub label: Option<String>,
}

/// One answer of a sent form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[ts(export)]
pub struct FormField {
    pub name: String,
    pub value: String,
}

/// The message a reply answers, as the thread shows it above the reply.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[ts(export)]
pub struct Quote {
    /// The quoted message, when this thread has it (a tap scrolls to it).
    pub message_id: Option<MessageId>,
    pub direction: Option<Direction>,
    /// Its one line ([`MessageBody::preview`]); empty when the message is not known here.
    pub preview: String,
}

/// How often a message was forwarded before it reached us, as WhatsApp says it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum Forwarded {
    /// "Forwarded".
    Once,
    /// "Forwarded many times" (five times or more).
    Many,
}

/// The ad a guest tapped before writing (a click-to-WhatsApp ad).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[ts(export)]
pub struct AdReferral {
    pub headline: Option<String>,
    pub body: Option<String>,
    pub source_url: Option<String>,
}

/// A reaction to a message (an emoji), changed or removed in place.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[ts(export)]
pub struct Reaction {
    pub emoji: String,
    /// Who reacted: the guest's name as the thread shows it.
    pub by: String,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[ts(export)]
pub struct Message {
    pub id: MessageId,
    pub client_id: Option<ClientMessageId>,
    pub thread_id: ThreadId,
    pub direction: Direction,
    /// The MultiLine user who wrote an outbound message.
    pub author_name: Option<String>,
    pub body: MessageBody,
    pub state: DeliveryState,
    /// Why a failed message failed, in words a user understands.
    pub failure: Option<String>,
    /// What a user can do about it (Meta's error table says which).
    #[serde(default)]
    pub remedy: Option<Remedy>,
    pub created_at: DateTime<Utc>,
    /// The message this one answers.
    #[serde(default)]
    pub reply_to: Option<Quote>,
    #[serde(default)]
    pub forwarded: Option<Forwarded>,
    /// The ad the guest came from.
    #[serde(default)]
    pub ad: Option<AdReferral>,
    /// Reactions to this message, oldest first.
    #[serde(default)]
    pub reactions: Vec<Reaction>,
}

/// What a user can do about a failed message: send it again (the same message, never a
/// copy), send a template instead (the 24-hour window closed), or text it by SMS (the
/// number is not on WhatsApp).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum Remedy {
    Retry,
    Template,
    Sms,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum Direction {
    Inbound,
    Outbound,
    /// A line the thread shows about itself (someone added, left, ...); never sent.
    System,
    /// A participant's private note to the colleagues in the thread (its author is
    /// `author_name`); never sent to the guest.
    Note,
}

/// A message's delivery state. Ordered: a status never moves backwards (a late `delivered`
/// webhook after `read` is ignored), except into `Failed`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum DeliveryState {
    /// Written, not yet accepted by the Cloud API.
    Sending,
    /// Handed to the provider, but the connector stopped before hearing its answer: it may
    /// have been delivered. A status from the provider settles it; a user checks with the
    /// guest before sending it again.
    Unconfirmed,
    /// Accepted by the Cloud API.
    Sent,
    /// On the guest's phone.
    Delivered,
    /// Opened by the guest (inbound messages: read by a user).
    Read,
    /// A voice note the guest played.
    Played,
    /// Will not be delivered; `failure` says why.
    Failed,
}

impl DeliveryState {
    /// The state after a status report `next`: never backwards, `Failed` only before delivery.
    pub fn advance(self, next: DeliveryState) -> DeliveryState {
        match (self, next) {
            (DeliveryState::Failed, _) => DeliveryState::Failed,
            (
                DeliveryState::Sending | DeliveryState::Unconfirmed | DeliveryState::Sent,
                DeliveryState::Failed,
            ) => next,
            (_, DeliveryState::Failed) => self,
            _ => self.max(next),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_message_stored_before_replies_and_reactions_still_reads() {
        let json = serde_json::json!({
            "id": uuid::Uuid::nil(), "client_id": null, "thread_id": uuid::Uuid::nil(),
            "direction": "inbound", "author_name": null,
            "body": { "type": "unsupported", "description": "Unsupported message type: sticker" },
            "state": "delivered", "failure": null, "created_at": "2026-05-04T09:00:00Z"
        });
        let m: Message = serde_json::from_value(json).unwrap();
        assert!(m.reply_to.is_none() && m.reactions.is_empty() && m.forwarded.is_none());
        assert_eq!(m.body.preview(), "Unsupported message type: sticker");
    }

    #[test]
    fn degrees_are_finite_and_in_range() {
        assert!(serde_json::from_str::<Degrees>("-23.5505").is_ok());
        assert!(serde_json::from_str::<Degrees>("181").is_err());
        assert!(Degrees::try_from(f64::NAN).is_err());
    }

    #[test]
    fn every_kind_has_a_line_of_words() {
        let media_id = MediaId(uuid::Uuid::nil());
        let cases = [
            (
                MessageBody::Audio {
                    media_id,
                    mime_type: "audio/ogg".into(),
                    size: 1,
                    voice: true,
                    duration_secs: None,
                },
                "Voice message",
            ),
            (
                MessageBody::Document {
                    media_id,
                    mime_type: "application/pdf".into(),
                    size: 1,
                    filename: "invoice.pdf".into(),
                    caption: None,
                },
                "Document: invoice.pdf",
            ),
            (
                MessageBody::Location {
                    latitude: Degrees(1.0),
                    longitude: Degrees(2.0),
                    name: None,
                    address: None,
                    url: None,
                },
                "Location",
            ),
            (
                unsupported("order"),
                "A message of a kind this app can't show yet (order)",
            ),
        ];
        for (body, line) in cases {
            assert_eq!(body.preview(), line);
        }
    }
}
