//! What the UI renders: view types computed in Rust (the UI decides no policy), exported to
//! TypeScript with ts-rs.

use multiline_domain::api::{Channel, Message, Thread, ThreadStatus};
use multiline_domain::consent::Consent;
use multiline_domain::errors::ErrorCode;
use multiline_domain::ids::{ClientMessageId, ContactId, ThreadId};
use multiline_domain::policy::{self, OutboundKind};
use multiline_domain::templates::{Part, Template, TemplateValues, ValueError};
use multiline_domain::time::Timestamp;
use serde::Serialize;
use ts_rs::TS;

/// What the composer may do now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(tag = "state", rename_all = "snake_case")]
#[ts(export)]
pub enum Composer {
    Allowed,
    /// Disabled; `message` says why, `reason` is the stable code.
    Refused {
        reason: ErrorCode,
        message: String,
    },
}

/// A thread as the Messages and History lists draw it: nothing that only the open thread
/// needs, so that 10,000 of them cross the IPC and sit in the web view cheaply.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct ThreadRow {
    pub id: ThreadId,
    pub channel: Channel,
    pub contact_id: Option<ContactId>,
    pub contact_name: String,
    /// None for a WhatsApp user known only by their user id (a username user).
    pub guest_phone: Option<String>,
    pub status: ThreadStatus,
    pub last_message_preview: Option<String>,
    pub last_message_at: Option<Timestamp>,
    pub unread_count: u32,
    /// WhatsApp: free-form messages may be sent until then (the 24-hour window), when they
    /// may be sent at all; the countdown and the "Closing soon" group. Re-announced with
    /// none once it has passed.
    pub free_until: Option<Timestamp>,
    /// When the conversation was opened, and who is in it (History tells a guest's
    /// conversations apart by them).
    pub opened_at: Option<Timestamp>,
    pub participant_names: Vec<String>,
}

/// The open thread: its row, what may be sent in it now, and who is in it (the thread
/// header, the composer, the consent notice and the participants panel).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct ThreadSummary {
    #[serde(flatten)]
    #[ts(flatten)]
    pub row: ThreadRow,
    /// Free-form text and pictures.
    pub composer: Composer,
    /// Approved templates (the Expand '+' menu's Template tool).
    pub template: Composer,
    /// The opt-in request (asking the guest for consent).
    pub opt_in: Composer,
    /// Where consent stands, for the thread's notice ("waiting for consent", "opted out").
    pub consent: Consent,
    /// Who is in the conversation (F19-F20), in the order they joined.
    pub participants: Vec<multiline_domain::api::User>,
}

impl std::ops::Deref for ThreadSummary {
    type Target = ThreadRow;

    fn deref(&self) -> &ThreadRow {
        &self.row
    }
}

/// A change to who is in a thread (F20), as the UI asks for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize, TS)]
#[serde(tag = "op", rename_all = "snake_case")]
#[ts(export)]
pub enum ParticipantChange {
    Add {
        user_id: multiline_domain::ids::UserId,
    },
    Transfer {
        user_id: multiline_domain::ids::UserId,
    },
    Remove {
        user_id: multiline_domain::ids::UserId,
    },
    Leave,
    Restart,
}

impl From<ParticipantChange> for multiline_domain::api::ParticipantsRequest {
    fn from(c: ParticipantChange) -> Self {
        use multiline_domain::api::ParticipantsRequest as R;
        match c {
            ParticipantChange::Add { user_id } => R::Add { user_id },
            ParticipantChange::Transfer { user_id } => R::Transfer { user_id },
            ParticipantChange::Remove { user_id } => R::Remove { user_id },
            ParticipantChange::Leave => R::Leave,
            ParticipantChange::Restart => R::Restart,
        }
    }
}

/// The connection to the connector, as the user sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(tag = "state", rename_all = "snake_case")]
#[ts(export)]
pub enum SyncState {
    Online,
    Connecting,
    Offline {
        since: Timestamp,
    },
    Error {
        message: String,
    },
    /// The connector no longer accepts this session (signed out elsewhere, revoked by an
    /// admin, expired): the user must sign in again. Queued messages stay queued.
    SignedOut,
}

/// A change the UI should show, pushed after the cache changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[ts(export)]
pub enum UiEvent {
    MessageUpserted {
        message: Message,
    },
    ThreadUpserted {
        thread: ThreadSummary,
    },
    ContactsChanged,
    /// The approved templates changed: reload them.
    TemplatesChanged,
    /// Changes came faster than they could be passed on, or the first sync stored everything
    /// at once: reload everything shown.
    Resync,
    SyncStateChanged {
        sync: SyncState,
    },
    /// The user is no longer in this thread (removed, left, transferred it).
    ThreadRemoved {
        thread_id: ThreadId,
    },
    /// A picture being prepared moved on (see `prepare_photo`).
    PhotoProgress {
        progress: PhotoProgress,
    },
    /// A queued picture's upload to the connector moved on.
    UploadProgress {
        progress: UploadProgress,
    },
    /// WhatsApp reports a problem with the user's line (its account or number), in words.
    LineProblem {
        text: String,
    },
    /// The core's clock moved by more than time passing (the demo's "skip ahead"): times
    /// shown follow `now`.
    ClockMoved {
        now: Timestamp,
    },
}

/// A picture ready to send: what the composer shows before the user presses Send.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct PreparedPhoto {
    /// The id to send it by.
    pub id: String,
    pub width: u32,
    pub height: u32,
    pub bytes: u32,
    /// The thumbnail as a `data:image/jpeg;base64,...` URL (a few KB).
    pub thumbnail: String,
}

/// How far a picture's preparation is, for a progress bar.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct PhotoProgress {
    pub id: String,
    /// 0 to 100.
    pub percent: u8,
}

/// How much of a queued picture has been handed to the connector.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct UploadProgress {
    pub thread_id: ThreadId,
    /// The queued message's `client_id`.
    pub client_id: ClientMessageId,
    /// 0 to 100.
    pub percent: u8,
}

/// Who is signed in, or what the sign-in screen needs: the app shows the inbox only when
/// `signed_in`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(tag = "state", rename_all = "snake_case")]
#[ts(export)]
pub enum AccountState {
    /// The core is starting (the demo's servers, a resumed session).
    Booting,
    SignedIn {
        session: multiline_domain::api::Session,
        connector_url: String,
        /// Signed in to the embedded demo connector.
        demo: bool,
    },
    SignedOut {
        /// The last connector and email used, to prefill the form.
        connector_url: String,
        email: String,
        /// The embedded demo's accounts, when the demo is running.
        demo_accounts: Vec<DemoAccount>,
        /// Why the user was signed out, when it was not their choice.
        reason: Option<String>,
    },
    /// The core could not start at all.
    Failed { error: AppError },
}

/// A demo user, with the password the demo publishes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct DemoAccount {
    pub name: String,
    pub email: String,
    pub password: String,
}

/// The one error shape of every command: the UI branches on `code`, shows `message`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct AppError {
    pub code: ErrorCode,
    pub message: String,
    /// The form field the error belongs to, where there is one: "name", "notes",
    /// "phones.2" (the third number as sent).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub field: Option<String>,
}

impl AppError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> AppError {
        AppError {
            code,
            message: message.into(),
            field: None,
        }
    }
}

/// A contact as the user typed it (F2): numbers as typed, validated by the core.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize, TS)]
#[ts(export)]
pub struct ContactDraft {
    pub name: String,
    pub company: Option<String>,
    pub notes: Option<String>,
    pub phones: Vec<DraftPhone>,
}

/// A number as typed, and its label ("mobile", "work", ...).
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize, TS)]
#[ts(export)]
pub struct DraftPhone {
    pub number: String,
    pub label: String,
}

/// What the composer, the template tool or the opt-in button may do now: the domain's one
/// decision ([`policy::may_send`]) over the thread's facts, with the app's clock.
fn may(thread: &Thread, whatsapp_enabled: bool, kind: OutboundKind, now: Timestamp) -> Composer {
    match policy::may_send(&policy::SendFacts::of(thread, whatsapp_enabled), kind, now) {
        Ok(()) => Composer::Allowed,
        Err(r) => Composer::Refused {
            reason: r.code(),
            message: r.to_string(),
        },
    }
}

/// A thread's row in the lists, at `now`.
pub fn row(thread: &Thread, whatsapp_enabled: bool, now: Timestamp) -> ThreadRow {
    ThreadRow {
        id: thread.id,
        channel: thread.channel,
        contact_id: thread.contact_id,
        contact_name: thread.contact_name.clone(),
        guest_phone: thread.guest_phone.as_ref().map(|p| p.to_string()),
        status: thread.status,
        last_message_preview: thread.last_message_preview.clone(),
        last_message_at: thread.last_message_at,
        unread_count: thread.unread_count,
        free_until: policy::free_until(&policy::SendFacts::of(thread, whatsapp_enabled), now),
        opened_at: thread.opened_at,
        participant_names: thread.participants.iter().map(|u| u.name.clone()).collect(),
    }
}

pub fn summary(thread: &Thread, whatsapp_enabled: bool, now: Timestamp) -> ThreadSummary {
    ThreadSummary {
        row: row(thread, whatsapp_enabled, now),
        composer: may(thread, whatsapp_enabled, OutboundKind::FreeForm, now),
        template: may(thread, whatsapp_enabled, OutboundKind::Template, now),
        opt_in: may(thread, whatsapp_enabled, OutboundKind::OptInTemplate, now),
        consent: thread.consent.clone(),
        participants: thread.participants.clone(),
    }
}

/// A problem with one filled value, for the field that holds it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct TemplateProblem {
    pub part: Part,
    /// The variable ("1", "first_name"); `None` for the whole message (too long).
    pub key: Option<String>,
    pub message: String,
}

/// A template as it would be sent with the values given so far.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct TemplatePreview {
    /// Header, body and footer with the values filled in; unfilled variables stay `{{1}}`.
    pub text: String,
    pub problems: Vec<TemplateProblem>,
    /// No problems: Send may be enabled.
    pub ready: bool,
}

/// The preview and problems of `template` with `values`, by the Cloud API's rules.
pub fn template_preview(template: &Template, values: &TemplateValues) -> TemplatePreview {
    let problems: Vec<TemplateProblem> = match template.validate(values) {
        Ok(()) => Vec::new(),
        Err(errors) => errors
            .iter()
            .map(|e| {
                let (part, key) = match e {
                    ValueError::Missing { part, key }
                    | ValueError::Unexpected { part, key }
                    | ValueError::LineBreak { part, key }
                    | ValueError::TooManySpaces { part, key }
                    | ValueError::Needed { part, key, .. }
                    | ValueError::BadMedia { part, key }
                    | ValueError::BadCoordinate { part, key, .. }
                    | ValueError::BadUrlSuffix { part, key } => (*part, Some(key.clone())),
                    ValueError::TooLong { part, .. } => (*part, None),
                };
                TemplateProblem {
                    part,
                    key,
                    message: e.to_string(),
                }
            })
            .collect(),
    };
    TemplatePreview {
        text: template.preview(values),
        ready: problems.is_empty(),
        problems,
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use multiline_domain::api::{Channel, Thread, ThreadStatus};
    use multiline_domain::consent::Consent;
    use multiline_domain::ids::ThreadId;
    use multiline_domain::phone::E164;
    use multiline_domain::window::{WindowFacts, WindowRule};

    use super::*;

    /// The situations the UI's fake (`ui/src/lib/ipc/fake.ts`) puts its threads in: channel,
    /// consent, and whether the guest wrote within the last 24 hours.
    fn situations() -> Vec<(String, Channel, Consent, bool)> {
        let now = now();
        let hour = chrono::Duration::hours(1);
        let mut out = Vec::new();
        let whatsapp = [
            ("none", Consent::None),
            ("requested", Consent::Requested { at: now - hour }),
            (
                "granted",
                Consent::Granted {
                    at: now - hour * 48,
                    reply: "YES".into(),
                },
            ),
            (
                "revoked",
                Consent::Revoked {
                    at: now - hour * 2,
                    guest_returned_at: None,
                },
            ),
            (
                "revoked_returned",
                Consent::Revoked {
                    at: now - hour * 2,
                    guest_returned_at: Some(now - hour),
                },
            ),
        ];
        for (name, consent) in whatsapp {
            for window_open in [true, false] {
                let key = format!(
                    "whatsapp/{name}/{}",
                    if window_open { "open" } else { "closed" }
                );
                out.push((key, Channel::Whatsapp, consent.clone(), window_open));
            }
        }
        let stopped = Consent::Revoked {
            at: now - hour,
            guest_returned_at: None,
        };
        out.push(("sms/none".into(), Channel::Sms, Consent::None, false));
        out.push(("sms/revoked".into(), Channel::Sms, stopped, false));
        out.push(("voicemail".into(), Channel::Voicemail, Consent::None, false));
        out
    }

    fn now() -> Timestamp {
        chrono::Utc.with_ymd_and_hms(2026, 6, 1, 12, 0, 0).unwrap()
    }

    fn thread(channel: Channel, consent: Consent, window_open: bool) -> Thread {
        let last = window_open.then(|| now() - chrono::Duration::hours(1));
        Thread {
            id: ThreadId(uuid::Uuid::nil()),
            channel,
            contact_id: None,
            contact_name: "Ana Silva".into(),
            guest_phone: Some(E164::from_stored("+12025550147").unwrap()),
            guest_user_id: None,
            status: ThreadStatus::Open,
            consent,
            window_rule: WindowRule::AnyMessage,
            window: WindowFacts {
                last_message_at: last,
                last_guest_message_at: last,
            },
            template_required: false,
            last_message_preview: None,
            last_message_at: last,
            unread_count: 0,
            participants: Vec::new(),
            opened_at: None,
        }
    }

    /// The UI's fake answers what the core answers: `composer`, `template` and `opt_in` for
    /// each situation the fake uses, computed here by the domain's rules and written next to
    /// the IPC bindings (`make bindings`; `make check` fails when it drifts). The fake looks
    /// them up instead of rewriting the rules in TypeScript.
    #[test]
    fn export_bindings_send_rules() {
        let mut rules = serde_json::Map::new();
        for (key, channel, consent, window_open) in situations() {
            let s = summary(&thread(channel, consent, window_open), true, now());
            rules.insert(
                key,
                serde_json::json!({
                    "composer": s.composer,
                    "template": s.template,
                    "opt_in": s.opt_in,
                }),
            );
        }
        let closed = Thread {
            status: ThreadStatus::Closed,
            ..thread(Channel::Whatsapp, Consent::None, false)
        };
        let s = summary(&closed, true, now());
        rules.insert(
            "closed".into(),
            serde_json::json!({ "composer": s.composer, "template": s.template, "opt_in": s.opt_in }),
        );
        let off = summary(
            &thread(Channel::Whatsapp, Consent::None, false),
            false,
            now(),
        );
        rules.insert(
            "whatsapp_disabled".into(),
            serde_json::json!({ "composer": off.composer, "template": off.template, "opt_in": off.opt_in }),
        );
        let json = serde_json::to_string_pretty(&serde_json::Value::Object(rules)).unwrap() + "\n";
        let dir = std::env::var("TS_RS_EXPORT_DIR").expect("set in .cargo/config.toml");
        std::fs::write(std::path::Path::new(&dir).join("rules.json"), json).unwrap();
    }

    #[test]
    fn past_the_window_and_opted_out_the_composer_says_opted_out() {
        let t = Thread {
            template_required: true,
            ..thread(
                Channel::Whatsapp,
                Consent::Revoked {
                    at: now(),
                    guest_returned_at: None,
                },
                false,
            )
        };
        assert_eq!(
            summary(&t, true, now()).composer,
            Composer::Refused {
                reason: ErrorCode::OptedOut,
                message: policy::Refusal::OptedOut.to_string(),
            }
        );
    }
}
