//! What may be sent now: one function the connector enforces and the app uses to explain
//! early (PRODUCT.md F4-F9).

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::consent::Consent;
use crate::window::Window;

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

/// Why a send is refused. Each has a stable code (its serde name) the UI and API branch on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS, thiserror::Error)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum Refusal {
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
}

impl Refusal {
    /// The stable code, as in API errors (`window_closed_use_template`, ...).
    pub fn code(self) -> &'static str {
        match self {
            Refusal::ConsentMissing => "consent_missing",
            Refusal::ConsentPending => "consent_pending",
            Refusal::OptedOut => "opted_out",
            Refusal::WindowClosedUseTemplate => "window_closed_use_template",
            Refusal::OptInTooSoon => "opt_in_too_soon",
            Refusal::AlreadyConsented => "already_consented",
            Refusal::SmsStopped => "sms_stopped",
            Refusal::WhatsappOnly => "whatsapp_only",
            Refusal::VoicemailOnly => "voicemail_only",
        }
    }
}

/// May a message of `kind` go out in a thread on `channel`? WhatsApp follows
/// [`may_send`]; an SMS may be text at any time unless the guest opted out (`consent` is the
/// number's SMS standing, [`crate::sms`]); nothing is sent in a voicemail thread.
pub fn may_send_on(
    channel: crate::api::Channel,
    consent: &Consent,
    window: Window,
    kind: OutboundKind,
    now: crate::time::Timestamp,
) -> Result<(), Refusal> {
    use crate::api::Channel;
    match (channel, kind) {
        (Channel::Whatsapp, _) => may_send(consent, window, kind, now),
        (Channel::Voicemail, _) => Err(Refusal::VoicemailOnly),
        (Channel::Sms, OutboundKind::FreeForm) => match consent {
            Consent::Revoked { .. } => Err(Refusal::SmsStopped),
            _ => Ok(()),
        },
        (Channel::Sms, OutboundKind::Template | OutboundKind::OptInTemplate) => {
            Err(Refusal::WhatsappOnly)
        }
    }
}

/// May a message of `kind` go to a guest with `consent`, given the `window` now?
pub fn may_send(
    consent: &Consent,
    window: Window,
    kind: OutboundKind,
    now: crate::time::Timestamp,
) -> Result<(), Refusal> {
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
        (OutboundKind::Template, Consent::Granted { .. }) => Ok(()),
        (OutboundKind::FreeForm, Consent::Granted { .. }) => match window {
            Window::Open { .. } => Ok(()),
            Window::Closed { .. } => Err(Refusal::WindowClosedUseTemplate),
        },
    }
}

#[cfg(test)]
mod tests {
    use chrono::{Duration, TimeZone, Utc};

    use super::*;
    use crate::window::{WindowFacts, WindowRule};

    #[test]
    fn sms_needs_neither_consent_nor_a_window_but_stop_stops_it() {
        use crate::api::Channel;
        let closed = Window::Closed { since: Some(t(24)) };
        let stopped = Consent::Revoked {
            at: t(1),
            guest_returned_at: None,
        };
        let free = OutboundKind::FreeForm;
        assert_eq!(
            may_send_on(Channel::Sms, &Consent::None, closed, free, t(30)),
            Ok(())
        );
        assert_eq!(
            may_send_on(Channel::Sms, &stopped, closed, free, t(30)),
            Err(Refusal::SmsStopped)
        );
        assert_eq!(
            may_send_on(
                Channel::Sms,
                &Consent::None,
                closed,
                OutboundKind::Template,
                t(30)
            ),
            Err(Refusal::WhatsappOnly)
        );
        assert_eq!(
            may_send_on(Channel::Voicemail, &granted(), closed, free, t(30)),
            Err(Refusal::VoicemailOnly)
        );
        // WhatsApp is unchanged.
        assert_eq!(
            may_send_on(Channel::Whatsapp, &Consent::None, closed, free, t(30)),
            Err(Refusal::ConsentMissing)
        );
    }

    fn t(h: i64) -> crate::time::Timestamp {
        Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap() + Duration::hours(h)
    }

    fn granted() -> Consent {
        Consent::Granted {
            at: t(0),
            reply: "yes".into(),
        }
    }

    #[test]
    fn free_form_needs_consent_and_an_open_window() {
        let open = Window::Open { closes_at: t(24) };
        let closed = Window::Closed { since: Some(t(24)) };
        let cases = [
            (Consent::None, open, Err(Refusal::ConsentMissing)),
            (
                Consent::Requested { at: t(0) },
                open,
                Err(Refusal::ConsentPending),
            ),
            (
                Consent::Revoked {
                    at: t(0),
                    guest_returned_at: None,
                },
                open,
                Err(Refusal::OptedOut),
            ),
            (
                Consent::Revoked {
                    at: t(0),
                    guest_returned_at: Some(t(1)),
                },
                open,
                Err(Refusal::OptedOut),
            ),
            (granted(), open, Ok(())),
            (granted(), closed, Err(Refusal::WindowClosedUseTemplate)),
        ];
        for (consent, window, want) in cases {
            assert_eq!(
                may_send(&consent, window, OutboundKind::FreeForm, t(1)),
                want,
                "{consent:?}"
            );
        }
    }

    #[test]
    fn templates_go_any_time_with_consent() {
        let closed = Window::Closed { since: None };
        assert_eq!(
            may_send(&granted(), closed, OutboundKind::Template, t(100)),
            Ok(())
        );
        assert_eq!(
            may_send(&Consent::None, closed, OutboundKind::Template, t(100)),
            Err(Refusal::ConsentMissing)
        );
    }

    #[test]
    fn opt_in_may_be_resent_only_24_hours_later() {
        let closed = Window::Closed { since: None };
        let requested = Consent::Requested { at: t(0) };
        let opt_in = OutboundKind::OptInTemplate;
        assert_eq!(may_send(&Consent::None, closed, opt_in, t(0)), Ok(()));
        assert_eq!(
            may_send(&requested, closed, opt_in, t(23)),
            Err(Refusal::OptInTooSoon)
        );
        assert_eq!(may_send(&requested, closed, opt_in, t(24)), Ok(()));
        assert_eq!(
            may_send(&granted(), closed, opt_in, t(24)),
            Err(Refusal::AlreadyConsented)
        );
    }

    #[test]
    fn window_is_closed_exactly_at_24_hours() {
        let facts = WindowFacts {
            last_message_at: Some(t(0)),
            last_guest_message_at: Some(t(0)),
        };
        let rule = WindowRule::AnyMessage;
        assert_eq!(
            rule.window(facts, t(24) - Duration::seconds(1)),
            Window::Open { closes_at: t(24) }
        );
        assert_eq!(
            rule.window(facts, t(24)),
            Window::Closed { since: Some(t(24)) }
        );
    }

    #[test]
    fn guest_rule_ignores_business_messages() {
        let facts = WindowFacts {
            last_message_at: Some(t(20)),
            last_guest_message_at: Some(t(0)),
        };
        assert_eq!(WindowRule::AnyMessage.closes_at(facts), Some(t(44)));
        assert_eq!(WindowRule::GuestMessage.closes_at(facts), Some(t(24)));
        assert!(matches!(
            WindowRule::GuestMessage.window(facts, t(30)),
            Window::Closed { .. }
        ));
    }
}
