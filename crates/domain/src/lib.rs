//! The rules of compliant WhatsApp messaging, and the types the connector and the app share.
//!
//! This crate is sans-IO: no network, no files, no async runtime, and no clock reads in any
//! rule. Every rule that depends on time takes `now` as a parameter; the one real clock
//! ([`time::SystemClock`]) lives here only so that the workspace has exactly one, and no rule
//! calls it (`clippy.toml` forbids every other clock read).
//!
//! # The rules, in one page
//!
//! **Consent** ([`consent`]) is kept per business line and guest. A guest who was never asked
//! is `None`: the only thing that may go to them is the opt-in request, a pre-approved
//! template. Sending it makes them `Requested`. While requested, an affirmative reply grants
//! consent: the opt-in's quick-reply button, or a text that reads as yes once normalised
//! (case, accents, surrounding punctuation and spaces ignored: "Sí!" is "si"). The grant
//! records when and which reply. Any other reply leaves them requested (and is delivered like
//! every guest message). The opt-in may be sent again 24 hours after the previous one. An
//! opt-out word ("STOP", "unsubscribe", ...) revokes consent from any state; after that
//! nothing may be sent until the guest writes again, and then only a new opt-in.
//!
//! **The 24-hour window** ([`window`]) decides when free-form text and pictures may go out.
//! The organization picks the rule: `AnyMessage` (the product's, default) counts 24 hours from
//! the latest message of either side (an outbound message counts once the Cloud API accepted
//! it); `GuestMessage` (Meta's) from the guest's latest message. Exactly 24 hours after, the
//! window is closed. A guest timestamp from the future counts as now. Whatever the rule, a
//! send the Cloud API refuses as outside its window (131047) marks the thread "template
//! required" (the connector's job).
//!
//! **What may be sent now** ([`policy::decide`], the one decision, taken by the connector
//! before it queues and by the app before its outbox): the opt-in when there is no consent
//! (or as above); any other approved template with consent, at any time; free-form text and
//! pictures with consent and an open window; nothing in a closed thread, nothing by WhatsApp
//! where the organization turned it off; and drafts within the limits (4,096 characters on
//! WhatsApp, 1,600 by SMS, captions 1,024, JPEG or PNG pictures up to 5 MB), each a named
//! constant in [`policy`]. A refusal is a [`policy::Refusal`] with a stable code
//! ([`errors::ErrorCode`], the one list of codes the API and the UI share).
//!
//! **Templates** ([`templates`]) follow the Cloud API: header, body, footer, buttons;
//! positional `{{1}}..{{n}}` (numbered without gaps) or named `{{first_name}}` variables.
//! Filled values are checked as Meta checks them: all present and non-empty, nothing extra,
//! no new lines or tabs, at most four spaces in a row, the filled body within 1,024
//! characters. The fixed text is never editable: a template is sent by name and parameters.
//!
//! **Threads** ([`participants`]) join one business line and one guest, with one or more
//! MultiLine participants; at most one is open per (line, guest). Add, remove, leave,
//! transfer and restart are each checked and produce system events; the last participant
//! leaving closes the thread; restart closes it and opens a new one with the same guest,
//! consent and window facts.
//!
//! **SMS and voicemail** (F22) reach the guest through the line's carrier: no opt-in request
//! and no window. A text that is exactly an opt-out word ([`sms`]: STOP, UNSUBSCRIBE, ...)
//! stops texts to that number until the guest sends an opt-in word (START, YES, UNSTOP), as
//! carriers require. Voicemail threads are read-only: the answer goes by SMS or WhatsApp.
//! [`policy::decide`] decides for every channel.
//!
//! **Phone numbers** ([`phone`]) are E.164, parsed and validated with libphonenumber's
//! metadata; the Cloud API's `wa_id` is the same digits without `+`.
//!
//! **Wire types** ([`api`]) are the connector's `/v1` requests, responses and events, shared
//! by both sides and snapshot-tested (`tests/wire_snapshots.rs`).

pub mod api;
pub mod cloud_errors;
pub mod consent;
pub mod errors;
pub mod graph_version;
pub mod ids;
pub mod limits;
pub mod messages;
pub mod participants;
pub mod phone;
pub mod policy;
pub mod sms;
pub mod templates;
pub mod time;
pub mod version;
pub mod window;
