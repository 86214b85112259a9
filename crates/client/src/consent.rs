//! Where a guest stands on WhatsApp, number by number (Contact Details), and the evidence of
//! it: the consent record a compliance officer asks for (the opt-in requests, the reply that
//! decided, their times and message ids). Read from the cache: it works offline.

use multiline_domain::api::{Channel, DeliveryState, Direction, Message, MessageBody, Thread};
use multiline_domain::api::{ThreadStatus, User};
use multiline_domain::consent::Consent;
use multiline_domain::ids::{ContactId, MessageId, ThreadId};
use multiline_domain::policy::{self, OutboundKind, SendFacts};
use multiline_domain::time::Timestamp;
use multiline_domain::window::{WindowFacts, WindowRule};
use serde::Serialize;
use ts_rs::TS;

use crate::view::Composer;
use crate::{Client, ClientError, Result};

/// One of a contact's numbers on WhatsApp: where consent stands, and whether the opt-in
/// request may be sent now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct NumberStanding {
    /// E.164.
    pub number: String,
    pub consent: Consent,
    /// The conversation it was read from (the open one, else the latest); none when the
    /// number has never had a WhatsApp conversation.
    pub thread_id: Option<ThreadId>,
    /// The opt-in request, now (tapping WhatsApp offers it when allowed).
    pub opt_in: Composer,
}

/// The evidence of a guest's consent, as exported (JSON, or a printable page).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct ConsentRecord {
    pub organization: String,
    pub contact_name: String,
    /// E.164; none for a guest known by a WhatsApp username only.
    pub number: Option<String>,
    pub consent: Consent,
    /// Every opt-in request sent to this number, oldest first (any of its conversations).
    pub requests: Vec<RecordedMessage>,
    /// The guest's message that granted or withdrew consent, when it is here.
    pub reply: Option<RecordedMessage>,
    pub exported_at: Timestamp,
    pub exported_by: User,
}

/// A message as the record cites it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct RecordedMessage {
    pub id: MessageId,
    pub thread_id: ThreadId,
    pub direction: Direction,
    /// What the guest read or wrote.
    pub text: String,
    pub at: Timestamp,
    pub state: DeliveryState,
}

impl Client {
    /// Each of the contact's numbers on WhatsApp: consent, and whether it may be asked now.
    pub async fn whatsapp_standing(&self, contact: ContactId) -> Result<Vec<NumberStanding>> {
        let enabled = self.inner.session.organization.whatsapp_enabled;
        let now = self.inner.clock.now();
        let (contact, threads) = self
            .inner
            .cache(move |c| {
                let found = c.contact(contact)?;
                let threads = c.filter_map_threads(|t| {
                    (t.channel == Channel::Whatsapp && t.contact_id == Some(contact)).then_some(t)
                })?;
                Ok((found, threads))
            })
            .await?;
        let contact = contact.ok_or(ClientError::NotFound("contact"))?;
        Ok(contact
            .phones
            .iter()
            .map(|phone| {
                let number = phone.number.to_string();
                let thread = standing_thread(&threads, &number);
                let facts = match thread {
                    Some(t) => SendFacts::of(t, enabled),
                    None => unasked(enabled),
                };
                NumberStanding {
                    opt_in: match policy::may_send(&facts, OutboundKind::OptInTemplate, now) {
                        Ok(()) => Composer::Allowed,
                        Err(r) => Composer::Refused {
                            reason: r.code(),
                            message: r.to_string(),
                        },
                    },
                    consent: facts.standing,
                    thread_id: thread.map(|t| t.id),
                    number,
                }
            })
            .collect())
    }

    /// The consent record of the guest of `thread`: what was asked, what they answered,
    /// when, with the messages' ids; gathered from every WhatsApp conversation with them.
    pub async fn consent_record(&self, thread: ThreadId) -> Result<ConsentRecord> {
        let opt_in_template = self.inner.session.organization.opt_in_template.clone();
        let found = self
            .inner
            .cache(move |c| {
                let Some(thread) = c.thread(thread)? else {
                    return Ok(None);
                };
                // A guest known by a username only: this conversation alone.
                let same_guest = match &thread.guest_phone {
                    None => vec![thread.id],
                    Some(phone) => c.filter_map_threads(|t| {
                        (t.channel == Channel::Whatsapp && t.guest_phone.as_ref() == Some(phone))
                            .then_some(t.id)
                    })?,
                };
                let mut messages = Vec::new();
                for id in same_guest {
                    messages.extend(c.messages(id)?);
                }
                Ok(Some((thread, messages)))
            })
            .await?;
        let (thread, messages) = found.ok_or(ClientError::NotFound("thread"))?;
        let requests = opt_in_requests(&messages, &opt_in_template);
        Ok(ConsentRecord {
            organization: self.inner.session.organization.name.clone(),
            contact_name: thread.contact_name.clone(),
            number: thread.guest_phone.as_ref().map(|p| p.to_string()),
            reply: deciding_reply(&thread.consent, &messages),
            consent: thread.consent,
            requests,
            exported_at: self.inner.clock.now(),
            exported_by: self.inner.session.user.clone(),
        })
    }
}

/// The thread a number's standing is read from: its open WhatsApp thread, else the one with
/// the latest activity (consent belongs to the guest; the open thread is kept current).
fn standing_thread<'t>(threads: &'t [Thread], number: &str) -> Option<&'t Thread> {
    let mine = || {
        threads
            .iter()
            .filter(move |t| t.guest_phone.as_ref().is_some_and(|p| p.as_str() == number))
    };
    mine()
        .find(|t| t.status == ThreadStatus::Open)
        .or_else(|| mine().max_by_key(|t| t.last_message_at))
}

/// A number with no WhatsApp conversation: never asked.
fn unasked(whatsapp_enabled: bool) -> SendFacts {
    SendFacts {
        channel: Channel::Whatsapp,
        status: ThreadStatus::Open,
        whatsapp_enabled,
        standing: Consent::None,
        window_rule: WindowRule::AnyMessage,
        window: WindowFacts::default(),
        template_required: false,
    }
}

fn recorded(m: &Message, text: String) -> RecordedMessage {
    RecordedMessage {
        id: m.id,
        thread_id: m.thread_id,
        direction: m.direction,
        text,
        at: m.created_at,
        state: m.state,
    }
}

/// The organization's opt-in template messages, oldest first.
fn opt_in_requests(messages: &[Message], template: &str) -> Vec<RecordedMessage> {
    let mut out: Vec<RecordedMessage> = messages
        .iter()
        .filter(|m| m.direction == Direction::Outbound)
        .filter_map(|m| match &m.body {
            MessageBody::Template { name, text, .. } if name == template => {
                Some(recorded(m, text.clone()))
            }
            _ => None,
        })
        .collect();
    out.sort_by_key(|m| m.at);
    out
}

/// The guest's message that decided consent: at the moment consent was granted or
/// withdrawn (the connector dates the decision by that message), preferring one that says
/// the recorded reply.
fn deciding_reply(consent: &Consent, messages: &[Message]) -> Option<RecordedMessage> {
    let (at, said) = match consent {
        Consent::Granted { at, reply } => (*at, Some(reply.as_str())),
        Consent::Revoked { at, .. } => (*at, None),
        Consent::None | Consent::Requested { .. } => return None,
    };
    let slack = chrono::Duration::seconds(2);
    let near = |m: &&Message| {
        m.direction == Direction::Inbound
            && m.created_at <= at + slack
            && at - m.created_at <= slack
    };
    let text = |m: &Message| match &m.body {
        MessageBody::Text { text } | MessageBody::Choice { text, .. } => text.clone(),
        other => other.preview(),
    };
    let candidates: Vec<&Message> = messages.iter().filter(near).collect();
    let best = candidates
        .iter()
        .find(|m| said.is_some_and(|s| text(m).trim().eq_ignore_ascii_case(s.trim())))
        .or_else(|| candidates.iter().max_by_key(|m| m.created_at))?;
    Some(recorded(best, text(best)))
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use multiline_domain::ids::ThreadId;

    use super::*;

    fn t(s: i64) -> Timestamp {
        chrono::Utc.with_ymd_and_hms(2026, 12, 1, 9, 0, 0).unwrap() + chrono::Duration::seconds(s)
    }

    fn message(direction: Direction, body: MessageBody, at: Timestamp) -> Message {
        Message {
            id: MessageId::random(),
            client_id: None,
            thread_id: ThreadId::random(),
            direction,
            author_name: None,
            body,
            state: DeliveryState::Delivered,
            failure: None,
            remedy: None,
            created_at: at,
            reply_to: None,
            forwarded: None,
            ad: None,
            reactions: Vec::new(),
        }
    }

    fn text(direction: Direction, text: &str, at: Timestamp) -> Message {
        message(direction, MessageBody::Text { text: text.into() }, at)
    }

    fn template(name: &str, at: Timestamp) -> Message {
        let body = MessageBody::Template {
            name: name.into(),
            language: "en_US".into(),
            text: format!("{name} text"),
            components: Vec::new(),
            header: None,
            buttons: Vec::new(),
        };
        message(Direction::Outbound, body, at)
    }

    #[test]
    fn the_requests_are_the_organizations_opt_in_template_oldest_first() {
        let messages = [
            template("optin_request", t(100)),
            template("appointment_reminder", t(50)),
            template("optin_request", t(10)),
            text(Direction::Outbound, "optin_request", t(20)),
        ];
        let requests = opt_in_requests(&messages, "optin_request");
        let ids: Vec<_> = requests.iter().map(|r| r.id).collect();
        assert_eq!(ids, [messages[2].id, messages[0].id]);
        assert_eq!(requests[0].text, "optin_request text");
    }

    #[test]
    fn the_reply_is_the_guests_message_at_the_decision_saying_the_recorded_words() {
        let granted = Consent::Granted {
            at: t(60),
            reply: "Yes".into(),
        };
        let messages = [
            text(Direction::Inbound, "Who is this?", t(30)),
            text(Direction::Inbound, "yes", t(60)),
            text(Direction::Inbound, "thanks", t(61)),
            text(Direction::Outbound, "Yes", t(60)),
        ];
        let reply = deciding_reply(&granted, &messages).expect("a reply");
        assert_eq!((reply.id, reply.text.as_str()), (messages[1].id, "yes"));
        let stop = Consent::Revoked {
            at: t(30),
            guest_returned_at: None,
        };
        assert_eq!(deciding_reply(&stop, &messages).unwrap().id, messages[0].id);
        assert_eq!(
            deciding_reply(&Consent::Requested { at: t(0) }, &messages),
            None
        );
        let long_ago = Consent::Granted {
            at: t(5000),
            reply: "YES".into(),
        };
        assert_eq!(deciding_reply(&long_ago, &messages), None, "not here");
    }
}
