//! What may be sent: the one decision (PRODUCT.md F1, F4-F9, F17-F18, F22), taken by the
//! connector before it queues anything and by the app before it writes to its outbox, so the
//! two can never disagree. Every limit is a named constant here.
//!
//! [`decide`] answers for a draft (text, picture, template, opt-in) in a thread; [`may_send`]
//! answers for a kind of message before anything is written (the composer's state). The
//! first refusal wins, in this order:
//!
//! 1. the thread is closed ([`Refusal::ThreadClosed`]);
//! 2. the channel cannot carry the kind: nothing is sent in a voicemail thread, templates
//!    and the opt-in are WhatsApp's ([`Refusal::VoicemailOnly`], [`Refusal::WhatsappOnly`]);
//! 3. the organization has WhatsApp turned off ([`Refusal::WhatsappDisabled`]);
//! 4. the guest's standing: WhatsApp consent (missing, pending, opted out, the opt-in too
//!    soon or not needed), or an SMS STOP ([`Refusal::SmsStopped`]);
//! 5. the 24-hour window, for free-form messages ([`Refusal::WindowClosedUseTemplate`]);
//! 6. the draft itself: empty, too long, a caption too long, a picture the channel cannot
//!    carry.
//!
//! Why this order: each step names the most useful next action. An opted-out guest can get
//! nothing, not even a template, so "opted out" beats "use a template"; whether a text is too
//! long matters only where a text may be sent at all.

use crate::api::{Channel, Thread, ThreadStatus};
use crate::consent::Consent;
use crate::errors::ErrorCode;
use crate::time::Timestamp;
use crate::window::{Window, WindowFacts, WindowRule};

/// The most characters a WhatsApp text may have (the Cloud API's limit).
pub const MAX_WHATSAPP_TEXT_CHARS: usize = 4096;
/// The longest SMS the carrier takes (Twilio: 1,600 characters, sent as several segments).
pub const MAX_SMS_CHARS: usize = 1600;
/// The Cloud API's limit for a picture's caption.
pub const MAX_CAPTION_CHARS: usize = 1024;
/// The Cloud API's limit for an image (5 MB).
pub const MAX_WHATSAPP_IMAGE_BYTES: u64 = 5 * 1024 * 1024;
/// The picture formats the Cloud API takes as an image message (WebP is for stickers).
pub const WHATSAPP_IMAGE_TYPES: &[&str] = &["image/jpeg", "image/png"];

/// The Cloud API's limit for a document (100 MB).
pub const MAX_WHATSAPP_DOCUMENT_BYTES: u64 = 100 * 1024 * 1024;
/// The documents the Cloud API takes (Meta's "Supported media types": text, PDF, Word,
/// Excel, PowerPoint), by file name extension.
pub const WHATSAPP_DOCUMENT_TYPES: &[(&str, &str)] = &[
    ("pdf", "application/pdf"),
    ("txt", "text/plain"),
    ("doc", "application/msword"),
    (
        "docx",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ),
    ("xls", "application/vnd.ms-excel"),
    (
        "xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ),
    ("ppt", "application/vnd.ms-powerpoint"),
    (
        "pptx",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    ),
];

/// The MIME type a document named `filename` is sent as, by its extension; `None` for a file
/// WhatsApp does not take as a document.
pub fn document_type(filename: &str) -> Option<&'static str> {
    let (_, ext) = filename.rsplit_once('.')?;
    WHATSAPP_DOCUMENT_TYPES
        .iter()
        .find(|(e, _)| e.eq_ignore_ascii_case(ext))
        .map(|(_, mime)| *mime)
}

/// The kinds of outbound message the rules tell apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutboundKind {
    /// The pre-approved opt-in request template.
    OptInTemplate,
    /// Any other approved template.
    Template,
    /// Text or pictures written by the user.
    FreeForm,
}

/// What decides whether anything may be sent in a thread now, as both sides know it (the
/// connector from its store, the app from the thread the connector reported:
/// [`SendFacts::of`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendFacts {
    pub channel: Channel,
    pub status: ThreadStatus,
    /// F1: the organization may use WhatsApp.
    pub whatsapp_enabled: bool,
    /// The guest's standing on the thread's channel: WhatsApp consent, or whether texts may
    /// go to the number (an SMS STOP is `Revoked`); `None` for voicemail.
    pub standing: Consent,
    pub window_rule: WindowRule,
    pub window: WindowFacts,
    /// The Cloud API refused a free-form message as outside its window (131047): only a
    /// template may go until the guest writes again.
    pub template_required: bool,
}

impl SendFacts {
    /// The facts of a thread as the connector reports it, with the organization's WhatsApp
    /// switch (F1).
    pub fn of(thread: &Thread, whatsapp_enabled: bool) -> SendFacts {
        SendFacts {
            channel: thread.channel,
            status: thread.status,
            whatsapp_enabled,
            standing: thread.consent.clone(),
            window_rule: thread.window_rule,
            window: thread.window,
            template_required: thread.template_required,
        }
    }
}

/// A picture to send, as far as the rules look at it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Attachment<'a> {
    pub mime_type: &'a str,
    pub bytes: u64,
}

/// What the user wants to send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Draft<'a> {
    /// A text as typed (trailing white space is not sent: [`text_to_send`]).
    Text(&'a str),
    /// A picture, with its caption as typed. `attachment` is `None` where the picture's
    /// bytes are not at hand yet (the app queues a prepared photo, always a JPEG).
    Picture {
        caption: Option<&'a str>,
        attachment: Option<Attachment<'a>>,
    },
    /// A document (a PDF, an Office file, a text file), with its caption as typed.
    Document {
        caption: Option<&'a str>,
        attachment: Option<Attachment<'a>>,
    },
    /// An approved template (its values are checked by [`crate::templates`]).
    Template,
    /// The organization's opt-in request template.
    OptIn,
}

impl Draft<'_> {
    pub fn kind(&self) -> OutboundKind {
        match self {
            Draft::Text(_) | Draft::Picture { .. } | Draft::Document { .. } => {
                OutboundKind::FreeForm
            }
            Draft::Template => OutboundKind::Template,
            Draft::OptIn => OutboundKind::OptInTemplate,
        }
    }
}

/// Why a send is refused: one stable code each ([`Refusal::code`]), and a sentence that says
/// what to do instead.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("This conversation is closed. Reply to continue with this contact.")]
    ThreadClosed,
    #[error("WhatsApp is not enabled for your organization.")]
    WhatsappDisabled,
    #[error("This contact has not been asked for consent yet. Send the opt-in request first.")]
    ConsentMissing,
    #[error("Waiting for the guest to reply with consent to the opt-in request.")]
    ConsentPending,
    #[error("The guest opted out. Nothing can be sent until they write to you again.")]
    OptedOut,
    #[error("24 hours have passed; restart the conversation with a template message.")]
    WindowClosedUseTemplate,
    #[error("The opt-in request was already sent and can be sent again 24 hours later.")]
    OptInTooSoon,
    #[error("The guest already consented; the opt-in request is not needed.")]
    AlreadyConsented,
    #[error("This person replied STOP. Texts can't be sent until they reply START.")]
    SmsStopped,
    #[error("Templates and opt-in requests are WhatsApp messages; an SMS is plain text.")]
    WhatsappOnly,
    #[error("A voicemail can't be answered here. Reply by SMS or WhatsApp.")]
    VoicemailOnly,
    #[error("The message is empty.")]
    EmptyMessage,
    #[error("A WhatsApp message can have at most {MAX_WHATSAPP_TEXT_CHARS} characters.")]
    WhatsappTextTooLong,
    #[error("A text message can have at most {MAX_SMS_CHARS} characters.")]
    SmsTooLong,
    #[error("A caption can have at most {MAX_CAPTION_CHARS} characters.")]
    CaptionTooLong,
    #[error("Pictures and files can't be sent by SMS yet; send them on WhatsApp.")]
    MmsUnsupported,
    #[error("Send pictures as JPEG or PNG.")]
    NotAnImage,
    #[error("Pictures can be at most 5 MB.")]
    ImageTooLarge,
    #[error("Send documents as PDF, Word, Excel, PowerPoint or text files.")]
    NotADocument,
    #[error("Documents can be at most 100 MB.")]
    DocumentTooLarge,
}

impl Refusal {
    /// The stable code, as in API errors and the app's `AppError`.
    pub fn code(self) -> ErrorCode {
        match self {
            Refusal::ThreadClosed => ErrorCode::ThreadClosed,
            Refusal::WhatsappDisabled => ErrorCode::WhatsappDisabled,
            Refusal::ConsentMissing => ErrorCode::ConsentMissing,
            Refusal::ConsentPending => ErrorCode::ConsentPending,
            Refusal::OptedOut => ErrorCode::OptedOut,
            Refusal::WindowClosedUseTemplate => ErrorCode::WindowClosedUseTemplate,
            Refusal::OptInTooSoon => ErrorCode::OptInTooSoon,
            Refusal::AlreadyConsented => ErrorCode::AlreadyConsented,
            Refusal::SmsStopped => ErrorCode::SmsStopped,
            Refusal::WhatsappOnly => ErrorCode::WhatsappOnly,
            Refusal::VoicemailOnly => ErrorCode::VoicemailOnly,
            Refusal::EmptyMessage => ErrorCode::EmptyMessage,
            Refusal::WhatsappTextTooLong | Refusal::SmsTooLong => ErrorCode::MessageTooLong,
            Refusal::CaptionTooLong => ErrorCode::CaptionTooLong,
            Refusal::MmsUnsupported => ErrorCode::MmsUnsupported,
            Refusal::NotAnImage => ErrorCode::NotAnImage,
            Refusal::ImageTooLarge => ErrorCode::ImageTooLarge,
            Refusal::NotADocument => ErrorCode::NotADocument,
            Refusal::DocumentTooLarge => ErrorCode::DocumentTooLarge,
        }
    }
}

/// The text that is sent for `typed`: without trailing white space.
pub fn text_to_send(typed: &str) -> &str {
    typed.trim_end()
}

/// The caption that is sent for `typed`: trimmed; a blank one is no caption.
pub fn caption_to_send(typed: Option<&str>) -> Option<&str> {
    typed.map(str::trim).filter(|c| !c.is_empty())
}

/// May `draft` be sent in a thread with these `facts` at `now`? `Ok`, or the first
/// [`Refusal`] in the order the module documents.
pub fn decide(facts: &SendFacts, draft: &Draft<'_>, now: Timestamp) -> Result<(), Refusal> {
    may_send(facts, draft.kind(), now)?;
    match *draft {
        Draft::Text(typed) => {
            let text = text_to_send(typed);
            if text.trim().is_empty() {
                return Err(Refusal::EmptyMessage);
            }
            let (limit, refusal) = match facts.channel {
                Channel::Sms => (MAX_SMS_CHARS, Refusal::SmsTooLong),
                Channel::Whatsapp | Channel::Voicemail => {
                    (MAX_WHATSAPP_TEXT_CHARS, Refusal::WhatsappTextTooLong)
                }
            };
            if text.chars().count() > limit {
                return Err(refusal);
            }
            Ok(())
        }
        Draft::Picture {
            caption,
            attachment,
        } => check_file(facts, caption, attachment, check_picture),
        Draft::Document {
            caption,
            attachment,
        } => check_file(facts, caption, attachment, check_document),
        Draft::Template | Draft::OptIn => Ok(()),
    }
}

/// A picture or a document: not by SMS, its caption within the limit, the file as `check`
/// says (when its bytes are at hand).
fn check_file(
    facts: &SendFacts,
    caption: Option<&str>,
    attachment: Option<Attachment<'_>>,
    check: fn(Attachment<'_>) -> Result<(), Refusal>,
) -> Result<(), Refusal> {
    if facts.channel == Channel::Sms {
        return Err(Refusal::MmsUnsupported);
    }
    if caption_to_send(caption).is_some_and(|c| c.chars().count() > MAX_CAPTION_CHARS) {
        return Err(Refusal::CaptionTooLong);
    }
    attachment.map_or(Ok(()), check)
}

/// May this file be sent as a WhatsApp picture? JPEG or PNG, at most 5 MB (the connector
/// checks uploads with it before any thread is named).
pub fn check_picture(file: Attachment<'_>) -> Result<(), Refusal> {
    if !WHATSAPP_IMAGE_TYPES.contains(&file.mime_type) {
        return Err(Refusal::NotAnImage);
    }
    if file.bytes > MAX_WHATSAPP_IMAGE_BYTES {
        return Err(Refusal::ImageTooLarge);
    }
    Ok(())
}

/// May this file be sent as a WhatsApp document? One of [`WHATSAPP_DOCUMENT_TYPES`], at
/// most 100 MB.
pub fn check_document(file: Attachment<'_>) -> Result<(), Refusal> {
    if !WHATSAPP_DOCUMENT_TYPES
        .iter()
        .any(|(_, mime)| *mime == file.mime_type)
    {
        return Err(Refusal::NotADocument);
    }
    if file.bytes > MAX_WHATSAPP_DOCUMENT_BYTES {
        return Err(Refusal::DocumentTooLarge);
    }
    Ok(())
}

/// Until when free-form messages may be sent (the 24-hour window as the user lives it): the
/// moment the window closes when a free-form message may be sent `now`, else none. What the
/// thread's countdown and the "Closing soon" group show.
pub fn free_until(facts: &SendFacts, now: Timestamp) -> Option<Timestamp> {
    if facts.channel != Channel::Whatsapp {
        return None;
    }
    may_send(facts, OutboundKind::FreeForm, now).ok()?;
    facts.window_rule.closes_at(facts.window)
}

/// May a message of `kind` be sent in a thread with these `facts` at `now`, whatever its
/// content? Steps 1-5 of [`decide`]: what the composer, the template tool and the opt-in
/// button show before anything is typed.
pub fn may_send(facts: &SendFacts, kind: OutboundKind, now: Timestamp) -> Result<(), Refusal> {
    if facts.status == ThreadStatus::Closed {
        return Err(Refusal::ThreadClosed);
    }
    match (facts.channel, kind) {
        (Channel::Voicemail, _) => return Err(Refusal::VoicemailOnly),
        (Channel::Sms, OutboundKind::Template | OutboundKind::OptInTemplate) => {
            return Err(Refusal::WhatsappOnly);
        }
        (Channel::Whatsapp, _) if !facts.whatsapp_enabled => {
            return Err(Refusal::WhatsappDisabled);
        }
        _ => {}
    }
    match facts.channel {
        Channel::Sms => match facts.standing {
            Consent::Revoked { .. } => Err(Refusal::SmsStopped),
            _ => Ok(()),
        },
        Channel::Whatsapp => {
            consent_allows(&facts.standing, kind, now)?;
            let window = facts.window_rule.window(facts.window, now);
            match (kind, window) {
                (OutboundKind::FreeForm, _) if facts.template_required => {
                    Err(Refusal::WindowClosedUseTemplate)
                }
                (OutboundKind::FreeForm, Window::Closed { .. }) => {
                    Err(Refusal::WindowClosedUseTemplate)
                }
                _ => Ok(()),
            }
        }
        Channel::Voicemail => Err(Refusal::VoicemailOnly),
    }
}

/// What WhatsApp consent allows (F4-F6): the opt-in when there is none (again 24 hours after
/// the last request, or once an opted-out guest wrote again); anything else only with it.
fn consent_allows(consent: &Consent, kind: OutboundKind, now: Timestamp) -> Result<(), Refusal> {
    match (kind, consent) {
        (OutboundKind::OptInTemplate, Consent::None) => Ok(()),
        // After an opt-out, a new request only once the guest has written again.
        (
            OutboundKind::OptInTemplate,
            Consent::Revoked {
                guest_returned_at: Some(_),
                ..
            },
        ) => Ok(()),
        (OutboundKind::OptInTemplate, Consent::Revoked { .. }) => Err(Refusal::OptedOut),
        (OutboundKind::OptInTemplate, Consent::Requested { at }) => {
            if now >= *at + crate::window::WINDOW {
                Ok(())
            } else {
                Err(Refusal::OptInTooSoon)
            }
        }
        (OutboundKind::OptInTemplate, Consent::Granted { .. }) => Err(Refusal::AlreadyConsented),
        (_, Consent::None) => Err(Refusal::ConsentMissing),
        (_, Consent::Requested { .. }) => Err(Refusal::ConsentPending),
        (_, Consent::Revoked { .. }) => Err(Refusal::OptedOut),
        (OutboundKind::Template | OutboundKind::FreeForm, Consent::Granted { .. }) => Ok(()),
    }
}

#[cfg(test)]
mod tests;
