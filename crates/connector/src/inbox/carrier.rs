//! A carrier's events in the inbox: a text and its MMS picture, a delivery status, a
//! voicemail and its recording, a transcript.

use multiline_domain::api::{Channel, DeliveryState, MessageBody};
use multiline_domain::ids::MediaId;
// A carrier's form may carry `%00`: read as a WhatsApp webhook's texts are.
use multiline_domain::messages::without_nul;
use multiline_domain::phone::E164;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{known, picture, retry_later};
use crate::ctx::Ctx;
use crate::providers::carrier::{InboundMedia, Recording};
use crate::store::{GuestIds, Line, MessageAbout};
use crate::usecases::receive::{Arrivals, Inbound, ReceivedMedia, StatusUpdate};

/// A carrier's event, verified and read by its webhook's handler, as kept in the inbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum CarrierEvent {
    /// A guest's text, with what came with it by MMS.
    Text {
        id: String,
        from: E164,
        text: String,
        #[serde(default)]
        media: Vec<InboundMedia>,
    },
    /// A sent text's delivery status (its failure already put into words).
    Status {
        id: String,
        state: DeliveryState,
        error: Option<(u32, String)>,
    },
    /// A finished voicemail recording, still at the carrier.
    Recording {
        recording_id: String,
        url: String,
        duration_secs: u32,
        from: E164,
    },
    /// A voicemail's transcript.
    Transcript { recording_id: String, text: String },
}

/// A carrier's event: a text and its MMS picture, a status, a voicemail and its recording,
/// a transcript.
pub(super) async fn carrier(
    ctx: &Ctx,
    line: &Line,
    event: CarrierEvent,
    last_attempt: bool,
) -> std::result::Result<Arrivals, String> {
    let mut arrivals = Arrivals::default();
    let now = ctx.clock.now();
    match event {
        CarrierEvent::Text {
            id,
            from,
            text,
            media,
        } => {
            let text = without_nul(text);
            if known(ctx, &id).await? {
                // Delivered again: stored already, nothing fetched twice.
                return Ok(arrivals);
            }
            let (body, media) = mms(ctx, line, text.trim(), &media, last_attempt).await?;
            arrivals.messages.push(Inbound {
                wamid: id,
                channel: Channel::Sms,
                guest: GuestIds::phone(from),
                guest_name: None,
                body,
                payload: None,
                at: now,
                media,
                about: MessageAbout::default(),
            });
        }
        CarrierEvent::Status { id, state, error } => arrivals.statuses.push(StatusUpdate {
            callback: None,
            wamid: id,
            state,
            error,
        }),
        CarrierEvent::Recording {
            recording_id,
            url,
            duration_secs,
            from,
        } => {
            if known(ctx, &recording_id).await? {
                return Ok(arrivals);
            }
            let recording = Recording {
                id: recording_id.clone(),
                url,
                duration_secs,
                completed: true,
            };
            let (account, provider) = carrier_of(ctx, line)?;
            let (bytes, mime_type) = provider
                .fetch_recording(account, &recording)
                .await
                .map_err(|e| format!("fetching the voicemail {recording_id}: {e}"))?;
            arrivals.messages.push(Inbound {
                wamid: recording_id,
                channel: Channel::Voicemail,
                guest: GuestIds::phone(from),
                guest_name: None,
                about: MessageAbout::default(),
                body: MessageBody::Voicemail {
                    // Replaced by the stored recording's id.
                    media_id: MediaId(Uuid::nil()),
                    duration_secs,
                    transcript: None,
                    heard_at: None,
                },
                payload: None,
                at: now,
                media: Some(ReceivedMedia {
                    bytes,
                    mime_type,
                    width: 0,
                    height: 0,
                }),
            });
        }
        CarrierEvent::Transcript { recording_id, text } => {
            arrivals.transcripts.push((recording_id, without_nul(text)));
        }
    }
    Ok(arrivals)
}

fn carrier_of<'c>(
    ctx: &'c Ctx,
    line: &'c Line,
) -> std::result::Result<
    (
        &'c crate::store::CarrierAccount,
        &'c dyn crate::providers::carrier::Carrier,
    ),
    String,
> {
    let account = line
        .carrier
        .as_ref()
        .ok_or("the line no longer has a carrier")?;
    let provider = ctx
        .carriers
        .get(&account.provider)
        .ok_or("the line's carrier is not supported")?;
    Ok((account, provider))
}

/// A text's body and, with MMS, its first picture (fetched from the carrier, stored like a
/// WhatsApp picture, the text as its caption). Anything else that came (more pictures,
/// audio, a contact card) is said in words; so is a picture the carrier refuses for good, or
/// still cannot hand over at the row's last attempt. A picture the carrier cannot hand over
/// for now fails the attempt: the row is tried again later.
async fn mms(
    ctx: &Ctx,
    line: &Line,
    text: &str,
    media: &[InboundMedia],
    last_attempt: bool,
) -> std::result::Result<(MessageBody, Option<ReceivedMedia>), String> {
    let mut picture_found = None;
    let mut unshown = 0;
    for m in media {
        if picture_found.is_some() || !m.content_type.starts_with("image/") {
            unshown += 1;
            continue;
        }
        let (account, provider) = carrier_of(ctx, line)?;
        match provider.fetch_media(account, m).await {
            Ok((bytes, mime_type)) => picture_found = Some(picture(bytes, mime_type)),
            Err(error) if retry_later(&error) && !last_attempt => {
                return Err(format!("fetching an MMS picture: {error}"));
            }
            Err(error) => {
                tracing::warn!(%error, line = %line.id, "an MMS picture that cannot be fetched");
                unshown += 1;
            }
        }
    }
    let note = match unshown {
        0 => None,
        1 => Some("(1 attachment sent by MMS is not shown in MultiLine)".to_owned()),
        n => Some(format!(
            "({n} attachments sent by MMS are not shown in MultiLine)"
        )),
    };
    let words = [Some(text), note.as_deref()]
        .into_iter()
        .flatten()
        .filter(|t| !t.is_empty())
        .collect::<Vec<_>>()
        .join("\n");
    Ok(match picture_found {
        Some(p) => (
            MessageBody::Picture {
                // Replaced by the stored picture's id.
                media_id: MediaId(Uuid::nil()),
                caption: (!words.is_empty()).then_some(words),
                width: p.width,
                height: p.height,
            },
            Some(p),
        ),
        None => (MessageBody::Text { text: words }, None),
    })
}
