//! Reading a body element by element into the connector's terms.

use multiline_domain::api::{
    AdReferral, CardPhone, ContactCard, Degrees, DeliveryState, FormField, Forwarded, MessageBody,
    Notice,
};
use multiline_domain::cloud_errors::describe_failure;
use multiline_domain::ids::MediaId;
use multiline_domain::messages::unsupported;
use multiline_domain::phone::E164;
use multiline_domain::time::Timestamp;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::wire;
use crate::{
    AccountError, ChangeContext, Content, Element, Guest, Item, MediaKind, MediaRef, Message,
    Notification, ParseError, Pricing, Sha256, Status,
};

/// A body whose strings hold U+0000: the same body with U+FFFD in its place
/// ([`multiline_domain::messages::without_nul`]).
fn without_nul(body: &[u8]) -> Result<Vec<u8>, ParseError> {
    fn clean(v: &mut Value) {
        match v {
            Value::String(s) => *s = multiline_domain::messages::without_nul(std::mem::take(s)),
            Value::Array(items) => items.iter_mut().for_each(clean),
            Value::Object(fields) => fields.values_mut().for_each(clean),
            _ => {}
        }
    }
    let mut value: Value = serde_json::from_slice(body)?;
    clean(&mut value);
    Ok(serde_json::to_vec(&value)?)
}

pub fn notification(body: &[u8]) -> Result<Notification, ParseError> {
    let cleaned;
    let body = if body.windows(6).any(|w| w == b"\\u0000") {
        cleaned = without_nul(body)?;
        cleaned.as_slice()
    } else {
        body
    };
    let envelope: wire::Envelope = serde_json::from_slice(body)?;
    if envelope.object != "whatsapp_business_account" {
        return Err(ParseError::Object(envelope.object));
    }
    let mut out = Notification::default();
    for entry_raw in envelope.entry {
        let entry: wire::Entry = match serde_json::from_str(entry_raw.get()) {
            Ok(entry) => entry,
            Err(e) => {
                unreadable(&mut out, entry_raw.get(), format!("an entry: {e}"));
                continue;
            }
        };
        for change_raw in entry.changes {
            let change: wire::Change = match serde_json::from_str(change_raw.get()) {
                Ok(change) => change,
                Err(e) => {
                    unreadable(&mut out, change_raw.get(), format!("a change: {e}"));
                    continue;
                }
            };
            if change.field != "messages" {
                out.other_fields.push(change.field);
                continue;
            }
            let value = change
                .value
                .ok_or_else(|| "a change without a value".to_owned())
                .and_then(|v| {
                    serde_json::from_str::<wire::ChangeValue>(v.get())
                        .map_err(|e| format!("a change's value: {e}"))
                });
            let value = match value {
                Ok(value) => value,
                Err(reason) => {
                    unreadable(&mut out, change_raw.get(), reason);
                    continue;
                }
            };
            let contacts: Vec<wire::Contact> = value
                .contacts
                .and_then(|c| serde_json::from_str::<Vec<Value>>(c.get()).ok())
                .unwrap_or_default()
                .into_iter()
                .filter_map(|c| serde_json::from_value(c).ok())
                .collect();
            let change_index = out.changes.len();
            out.changes.push(ChangeContext {
                entry_id: match &entry.id {
                    Some(Value::String(s)) => s.clone(),
                    Some(other) => other.to_string(),
                    None => String::new(),
                },
                metadata: value.metadata.map(|m| m.get().to_owned()),
                contacts: value.contacts.map(|c| c.get().to_owned()),
            });
            for raw in value.messages {
                out.elements.push(Element {
                    item: message(raw.get(), &contacts),
                    raw: raw.get().to_owned(),
                    is_status: false,
                    change: change_index,
                });
            }
            for raw in value.statuses {
                out.elements.push(Element {
                    item: status(raw.get()),
                    raw: raw.get().to_owned(),
                    is_status: true,
                    change: change_index,
                });
            }
            for raw in value.errors {
                out.account_errors
                    .push(match serde_json::from_str::<wire::Error>(raw.get()) {
                        Ok(e) => AccountError {
                            code: e.code.unwrap_or(0),
                            details: e.details().map(str::to_owned),
                            title: e.title,
                        },
                        Err(_) => AccountError {
                            code: 0,
                            title: "An error WhatsApp reported in a form this app cannot read"
                                .into(),
                            details: Some(raw.get().to_owned()),
                        },
                    });
            }
        }
    }
    Ok(out)
}

/// An entry or change that cannot be read: kept as one unreadable element.
fn unreadable(out: &mut Notification, raw: &str, reason: String) {
    out.changes.push(ChangeContext::default());
    out.elements.push(Element {
        item: Item::Unreadable { reason },
        raw: raw.to_owned(),
        is_status: false,
        change: out.changes.len() - 1,
    });
}

/// A field read as `T`, or `None` when absent or of another shape.
fn field<T: DeserializeOwned>(v: &Value, key: &str) -> Option<T> {
    v.get(key)
        .filter(|f| !f.is_null())
        .and_then(|f| T::deserialize(f).ok())
}

fn timestamp(v: Option<&Value>) -> Option<Timestamp> {
    let seconds = match v? {
        Value::String(s) => s.trim().parse::<i64>().ok()?,
        Value::Number(n) => n.as_i64()?,
        _ => return None,
    };
    chrono::DateTime::from_timestamp(seconds, 0)
}

fn non_empty(s: Option<String>) -> Option<String> {
    s.filter(|s| !s.trim().is_empty())
}

fn message(raw: &str, contacts: &[wire::Contact]) -> Item {
    let v: Value = match serde_json::from_str(raw) {
        Ok(v @ Value::Object(_)) => v,
        _ => {
            return Item::Unreadable {
                reason: "a message that is not an object".into(),
            };
        }
    };
    let Some(wamid) = field::<String>(&v, "id").filter(|id| !id.is_empty()) else {
        return Item::Unreadable {
            reason: "a message without an id".into(),
        };
    };
    let from = field::<String>(&v, "from");
    // A notice that the guest's user id changed names them only inside (no `from`).
    let user_id = non_empty(field::<String>(&v, "from_user_id")).or_else(|| {
        v.get("system")
            .and_then(|s| field::<String>(s, "user_id").or_else(|| field(s, "previous_user_id")))
            .filter(|_| from.is_none())
    });
    let phone = from.as_deref().and_then(|f| E164::from_wa_id(f).ok());
    if phone.is_none() && user_id.is_none() {
        let reason = match from {
            Some(from) => format!("message {wamid}: the sender {from:?} is not a WhatsApp id"),
            None => format!("message {wamid}: no sender"),
        };
        return Item::Unreadable { reason };
    }
    let contact = contacts
        .iter()
        .find(|c| {
            (c.wa_id.is_some() && c.wa_id == from) || (c.user_id.is_some() && c.user_id == user_id)
        })
        .or(match contacts {
            [only] => Some(only),
            _ => None,
        });
    let profile = contact.and_then(|c| c.profile.as_ref());
    let guest = Guest {
        phone,
        user_id,
        name: profile.and_then(|p| non_empty(p.name.clone())),
        username: profile.and_then(|p| non_empty(p.username.clone())),
    };
    let kind = field::<String>(&v, "type").unwrap_or_default();
    let context: Option<wire::Context> = field(&v, "context");
    let forwarded = context.as_ref().and_then(|c| {
        if c.frequently_forwarded {
            Some(Forwarded::Many)
        } else if c.forwarded {
            Some(Forwarded::Once)
        } else {
            None
        }
    });
    let ad = field::<wire::Referral>(&v, "referral").map(|r| AdReferral {
        headline: non_empty(r.headline),
        body: non_empty(r.body),
        source_url: non_empty(r.source_url),
    });
    let errors: Vec<wire::Error> = field(&v, "errors").unwrap_or_default();
    Item::Message(Box::new(Message {
        wamid,
        guest,
        at: timestamp(v.get("timestamp")),
        content: content(&v, &kind, &errors),
        reply_to: context.and_then(|c| c.id).filter(|id| !id.is_empty()),
        forwarded,
        ad,
    }))
}

/// A message of kind `kind` that does not hold what its kind needs.
fn unreadable_kind(kind: &str) -> MessageBody {
    MessageBody::Unsupported {
        kind: Some(kind.to_owned()),
        description: format!("A message this app could not read ({kind})"),
    }
}

fn body(body: MessageBody) -> Content {
    Content::Body {
        body: Box::new(body),
        media: None,
        payload: None,
    }
}

fn content(v: &Value, kind: &str, errors: &[wire::Error]) -> Content {
    let placeholder = MediaId(uuid::Uuid::nil());
    match kind {
        "text" => match field::<wire::Text>(v, "text") {
            Some(t) => body(MessageBody::Text { text: t.body }),
            None => body(unreadable_kind(kind)),
        },
        "image" | "audio" | "video" | "document" | "sticker" => {
            let Some(m) = field::<wire::Media>(v, kind) else {
                return body(unreadable_kind(kind));
            };
            let media_kind = match kind {
                "image" => MediaKind::Image,
                "audio" => MediaKind::Audio,
                "video" => MediaKind::Video,
                "document" => MediaKind::Document,
                _ => MediaKind::Sticker,
            };
            let mime_type = m.mime_type.clone().unwrap_or_default();
            let caption = non_empty(m.caption.clone());
            let message_body = match media_kind {
                MediaKind::Image => MessageBody::Picture {
                    media_id: placeholder,
                    caption,
                    width: 0,
                    height: 0,
                },
                MediaKind::Audio => MessageBody::Audio {
                    media_id: placeholder,
                    mime_type,
                    size: 0,
                    voice: m.voice,
                    duration_secs: None,
                },
                MediaKind::Video => MessageBody::Video {
                    media_id: placeholder,
                    mime_type,
                    size: 0,
                    caption,
                },
                MediaKind::Document => MessageBody::Document {
                    media_id: placeholder,
                    mime_type,
                    size: 0,
                    filename: non_empty(m.filename.clone()).unwrap_or_else(|| "Document".into()),
                    caption,
                },
                MediaKind::Sticker => MessageBody::Sticker {
                    media_id: placeholder,
                    mime_type,
                    animated: m.animated,
                },
            };
            Content::Body {
                body: Box::new(message_body),
                media: Some(MediaRef {
                    id: m.id,
                    kind: media_kind,
                    mime_type: m.mime_type,
                    sha256: m.sha256.as_deref().and_then(Sha256::parse),
                    url: m.url,
                }),
                payload: None,
            }
        }
        "location" => {
            let place = field::<wire::Location>(v, "location").and_then(|l| {
                Some(MessageBody::Location {
                    latitude: Degrees::try_from(l.latitude).ok()?,
                    longitude: Degrees::try_from(l.longitude).ok()?,
                    name: non_empty(l.name),
                    address: non_empty(l.address),
                    url: non_empty(l.url),
                })
            });
            body(place.unwrap_or_else(|| unreadable_kind(kind)))
        }
        "contacts" => match field::<Vec<wire::Card>>(v, "contacts") {
            Some(cards) if !cards.is_empty() => body(MessageBody::Contacts {
                cards: cards.into_iter().map(card).collect(),
            }),
            _ => body(unreadable_kind(kind)),
        },
        "reaction" => match field::<wire::Reaction>(v, "reaction") {
            Some(r) => Content::Reaction {
                target: r.message_id,
                emoji: non_empty(r.emoji),
            },
            None => body(unreadable_kind(kind)),
        },
        "button" => match field::<wire::Button>(v, "button") {
            Some(b) => {
                let payload = non_empty(Some(b.payload));
                Content::Body {
                    body: Box::new(MessageBody::Choice {
                        text: non_empty(Some(b.text))
                            .or_else(|| payload.clone())
                            .unwrap_or_default(),
                        description: None,
                        id: payload.clone(),
                    }),
                    media: None,
                    payload,
                }
            }
            None => body(unreadable_kind(kind)),
        },
        "interactive" => body(interactive(v).unwrap_or_else(|| unreadable_kind(kind))),
        "system" => body(system(v).unwrap_or_else(|| unreadable_kind(kind))),
        "request_welcome" => body(MessageBody::Notice {
            notice: Notice::OpenedChat,
            text: String::new(),
        }),
        "unsupported" | "unknown" => {
            let named = field::<wire::Unsupported>(v, "unsupported").and_then(|u| u.kind);
            let why = errors
                .first()
                .map(|e| e.details().unwrap_or(&e.title).to_owned())
                .filter(|w| !w.is_empty());
            body(MessageBody::Unsupported {
                kind: named.clone().or_else(|| Some(kind.to_owned())),
                description: match (named, why) {
                    (Some(named), _) => {
                        format!("A message of a kind this app can't show yet ({named})")
                    }
                    (None, Some(why)) => format!("A message WhatsApp could not deliver: {why}"),
                    (None, None) => "A message WhatsApp could not deliver".into(),
                },
            })
        }
        "" => body(unreadable_kind("no type")),
        other => body(unsupported(other)),
    }
}

fn card(c: wire::Card) -> ContactCard {
    let name = c.name.and_then(|n| {
        non_empty(n.formatted_name).or_else(|| {
            let joined = [n.first_name, n.last_name]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(" ");
            non_empty(Some(joined))
        })
    });
    ContactCard {
        name: name.unwrap_or_else(|| "Contact".into()),
        phones: c
            .phones
            .into_iter()
            .filter_map(|p| {
                let number = non_empty(p.phone).or_else(|| p.wa_id.clone())?;
                Some(CardPhone {
                    number,
                    wa_id: non_empty(p.wa_id),
                    label: non_empty(p.label),
                })
            })
            .collect(),
        emails: c
            .emails
            .into_iter()
            .filter_map(|e| non_empty(e.email))
            .collect(),
        organization: c.org.and_then(|o| non_empty(o.company)),
    }
}

fn interactive(v: &Value) -> Option<MessageBody> {
    let i: wire::Interactive = field(v, "interactive")?;
    let reply = match i.kind.as_str() {
        "button_reply" => i.button_reply,
        "list_reply" => i.list_reply,
        "nfm_reply" => {
            let flow = i.nfm_reply?;
            let fields = flow
                .response_json
                .as_deref()
                .and_then(|j| serde_json::from_str::<serde_json::Map<String, Value>>(j).ok())
                .unwrap_or_default()
                .into_iter()
                .filter(|(name, _)| name != "flow_token")
                .map(|(name, value)| FormField {
                    name,
                    value: match value {
                        Value::String(s) => s,
                        other => other.to_string(),
                    },
                })
                .collect();
            return Some(MessageBody::Form {
                text: non_empty(flow.body)
                    .or(non_empty(flow.name))
                    .unwrap_or_else(|| "Form sent".into()),
                fields,
            });
        }
        other => return Some(unsupported(&format!("interactive {other}"))),
    }?;
    Some(MessageBody::Choice {
        text: reply.title,
        description: non_empty(reply.description),
        id: non_empty(reply.id),
    })
}

fn system(v: &Value) -> Option<MessageBody> {
    let s: wire::System = field(v, "system")?;
    let what = s.kind.unwrap_or_else(|| "system".into());
    let notice = if what == "user_changed_user_id" {
        Notice::UserIdChanged
    } else if what.ends_with("changed_number") {
        Notice::NumberChanged {
            new_phone: s
                .new_wa_id
                .or(s.wa_id)
                .and_then(|w| E164::from_wa_id(&w).ok()),
            applied: false,
        }
    } else {
        Notice::Other { what }
    };
    Some(MessageBody::Notice {
        notice,
        text: s.body.unwrap_or_default(),
    })
}

fn status(raw: &str) -> Item {
    let s: wire::Status = match serde_json::from_str(raw) {
        Ok(s) => s,
        Err(e) => {
            return Item::Unreadable {
                reason: format!("a status: {e}"),
            };
        }
    };
    let Some(wamid) = s.id.filter(|id| !id.is_empty()) else {
        return Item::Unreadable {
            reason: "a status without a message id".into(),
        };
    };
    let state = match s.status.as_deref() {
        Some("sent") => DeliveryState::Sent,
        Some("delivered") => DeliveryState::Delivered,
        Some("read") => DeliveryState::Read,
        Some("played") => DeliveryState::Played,
        Some("failed") => DeliveryState::Failed,
        other => {
            return Item::Unreadable {
                reason: format!("status of {wamid}: unknown status {other:?}"),
            };
        }
    };
    // The sentence a user reads is made here, by the provider's side; the store shows it
    // as given (the carrier's statuses are put into words the same way).
    let error = match s.errors.first() {
        Some(e) => {
            let code = e.code.unwrap_or(0);
            let title = if e.title.is_empty() {
                e.details().unwrap_or_default()
            } else {
                &e.title
            };
            Some((code, describe_failure(code, title)))
        }
        None if state == DeliveryState::Failed => Some((0, describe_failure(0, "Not delivered"))),
        None => None,
    };
    Item::Status(Box::new(Status {
        wamid,
        state,
        error,
        at: timestamp(s.timestamp.as_ref()),
        recipient: Guest {
            phone: s
                .recipient_id
                .as_deref()
                .and_then(|r| E164::from_wa_id(r).ok()),
            user_id: non_empty(s.recipient_user_id),
            name: None,
            username: None,
        },
        pricing: s.pricing.map(|p| Pricing {
            billable: p.billable,
            model: p.pricing_model,
            category: p.category,
        }),
        callback: non_empty(s.biz_opaque_callback_data),
    }))
}
