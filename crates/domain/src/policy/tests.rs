//! Table tests: each refusal, and which one wins when several apply.

use chrono::{Duration, TimeZone, Utc};

use super::*;

fn t(h: i64) -> Timestamp {
    Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap() + Duration::hours(h)
}

fn granted() -> Consent {
    Consent::Granted {
        at: t(0),
        reply: "yes".into(),
    }
}

fn opted_out() -> Consent {
    Consent::Revoked {
        at: t(1),
        guest_returned_at: None,
    }
}

/// A WhatsApp thread with consent whose guest wrote at `t(0)`: everything may be sent until
/// `t(24)`.
fn open() -> SendFacts {
    SendFacts {
        channel: Channel::Whatsapp,
        status: ThreadStatus::Open,
        whatsapp_enabled: true,
        standing: granted(),
        window_rule: WindowRule::AnyMessage,
        window: WindowFacts {
            last_message_at: Some(t(0)),
            last_guest_message_at: Some(t(0)),
        },
        template_required: false,
    }
}

fn with(change: impl FnOnce(&mut SendFacts)) -> SendFacts {
    let mut facts = open();
    change(&mut facts);
    facts
}

const HELLO: Draft<'static> = Draft::Text("Hello");

fn jpeg(bytes: u64) -> Option<Attachment<'static>> {
    Some(Attachment {
        mime_type: "image/jpeg",
        bytes,
    })
}

/// A name, the facts, the draft, the time, and the answer.
type Case<'a> = (
    &'a str,
    SendFacts,
    Draft<'a>,
    Timestamp,
    Result<(), Refusal>,
);

#[test]
fn each_refusal_and_what_it_refuses() {
    let long_whatsapp = "x".repeat(MAX_WHATSAPP_TEXT_CHARS + 1);
    let long_sms = "x".repeat(MAX_SMS_CHARS + 1);
    let long_caption = "x".repeat(MAX_CAPTION_CHARS + 1);
    let sms = || with(|f| f.channel = Channel::Sms);
    let cases: Vec<Case<'_>> = vec![
        ("a text in the window", open(), HELLO, t(1), Ok(())),
        (
            "closed",
            with(|f| f.status = ThreadStatus::Closed),
            HELLO,
            t(1),
            Err(Refusal::ThreadClosed),
        ),
        (
            "voicemail",
            with(|f| f.channel = Channel::Voicemail),
            HELLO,
            t(1),
            Err(Refusal::VoicemailOnly),
        ),
        (
            "a template by SMS",
            sms(),
            Draft::Template,
            t(1),
            Err(Refusal::WhatsappOnly),
        ),
        (
            "the opt-in by SMS",
            sms(),
            Draft::OptIn,
            t(1),
            Err(Refusal::WhatsappOnly),
        ),
        (
            "WhatsApp off",
            with(|f| f.whatsapp_enabled = false),
            HELLO,
            t(1),
            Err(Refusal::WhatsappDisabled),
        ),
        (
            "never asked",
            with(|f| f.standing = Consent::None),
            HELLO,
            t(1),
            Err(Refusal::ConsentMissing),
        ),
        (
            "asked, no answer",
            with(|f| f.standing = Consent::Requested { at: t(0) }),
            HELLO,
            t(1),
            Err(Refusal::ConsentPending),
        ),
        (
            "opted out",
            with(|f| f.standing = opted_out()),
            HELLO,
            t(1),
            Err(Refusal::OptedOut),
        ),
        (
            "the opt-in again within 24 h",
            with(|f| f.standing = Consent::Requested { at: t(0) }),
            Draft::OptIn,
            t(23),
            Err(Refusal::OptInTooSoon),
        ),
        (
            "the opt-in again after 24 h",
            with(|f| f.standing = Consent::Requested { at: t(0) }),
            Draft::OptIn,
            t(24),
            Ok(()),
        ),
        (
            "the opt-in with consent",
            open(),
            Draft::OptIn,
            t(1),
            Err(Refusal::AlreadyConsented),
        ),
        (
            "the opt-in after an opt-out",
            with(|f| f.standing = opted_out()),
            Draft::OptIn,
            t(2),
            Err(Refusal::OptedOut),
        ),
        (
            "the opt-in once the opted-out guest wrote again",
            with(|f| {
                f.standing = Consent::Revoked {
                    at: t(1),
                    guest_returned_at: Some(t(2)),
                }
            }),
            Draft::OptIn,
            t(3),
            Ok(()),
        ),
        (
            "texts after STOP",
            with(|f| {
                f.channel = Channel::Sms;
                f.standing = opted_out();
            }),
            HELLO,
            t(1),
            Err(Refusal::SmsStopped),
        ),
        (
            "an SMS needs no consent or window",
            with(|f| {
                f.channel = Channel::Sms;
                f.standing = Consent::None;
                f.window = WindowFacts::default();
            }),
            HELLO,
            t(100),
            Ok(()),
        ),
        (
            "a text after 24 h",
            open(),
            HELLO,
            t(24),
            Err(Refusal::WindowClosedUseTemplate),
        ),
        (
            "a template after 24 h",
            open(),
            Draft::Template,
            t(100),
            Ok(()),
        ),
        (
            "a text after the Cloud API said 131047",
            with(|f| f.template_required = true),
            HELLO,
            t(1),
            Err(Refusal::WindowClosedUseTemplate),
        ),
        (
            "a template after 131047",
            with(|f| f.template_required = true),
            Draft::Template,
            t(1),
            Ok(()),
        ),
        (
            "an empty text",
            open(),
            Draft::Text(" \n\t "),
            t(1),
            Err(Refusal::EmptyMessage),
        ),
        (
            "a WhatsApp text over its limit",
            open(),
            Draft::Text(&long_whatsapp),
            t(1),
            Err(Refusal::WhatsappTextTooLong),
        ),
        (
            "an SMS over its limit",
            sms(),
            Draft::Text(&long_sms),
            t(1),
            Err(Refusal::SmsTooLong),
        ),
        (
            "an SMS of 1,601 characters is fine on WhatsApp",
            open(),
            Draft::Text(&long_sms),
            t(1),
            Ok(()),
        ),
        (
            "a picture by SMS",
            sms(),
            Draft::Picture {
                caption: None,
                attachment: jpeg(1000),
            },
            t(1),
            Err(Refusal::MmsUnsupported),
        ),
        (
            "a caption over its limit",
            open(),
            Draft::Picture {
                caption: Some(&long_caption),
                attachment: jpeg(1000),
            },
            t(1),
            Err(Refusal::CaptionTooLong),
        ),
        (
            "a WebP picture",
            open(),
            Draft::Picture {
                caption: None,
                attachment: Some(Attachment {
                    mime_type: "image/webp",
                    bytes: 1000,
                }),
            },
            t(1),
            Err(Refusal::NotAnImage),
        ),
        (
            "a picture over 5 MB",
            open(),
            Draft::Picture {
                caption: None,
                attachment: jpeg(MAX_WHATSAPP_IMAGE_BYTES + 1),
            },
            t(1),
            Err(Refusal::ImageTooLarge),
        ),
        (
            "a picture of exactly 5 MB with a caption of 1,024 characters",
            open(),
            Draft::Picture {
                caption: Some(&long_caption[1..]),
                attachment: jpeg(MAX_WHATSAPP_IMAGE_BYTES),
            },
            t(1),
            Ok(()),
        ),
        (
            "a picture is free-form: not after 24 h",
            open(),
            Draft::Picture {
                caption: None,
                attachment: None,
            },
            t(30),
            Err(Refusal::WindowClosedUseTemplate),
        ),
    ];
    for (name, facts, draft, now, want) in cases {
        assert_eq!(decide(&facts, &draft, now), want, "{name}");
    }
}

#[test]
fn the_first_refusal_wins_in_the_documented_order() {
    let too_long = "x".repeat(5000);
    let everything_wrong = SendFacts {
        channel: Channel::Whatsapp,
        status: ThreadStatus::Closed,
        whatsapp_enabled: false,
        standing: opted_out(),
        window_rule: WindowRule::AnyMessage,
        window: WindowFacts::default(),
        template_required: true,
    };
    // Lift one fault at a time: the next one in the order answers.
    let mut facts = everything_wrong;
    let draft = Draft::Text(&too_long);
    let mut seen = Vec::new();
    seen.push(decide(&facts, &draft, t(30)));
    facts.status = ThreadStatus::Open;
    seen.push(decide(&facts, &draft, t(30)));
    facts.whatsapp_enabled = true;
    seen.push(decide(&facts, &draft, t(30)));
    facts.standing = granted();
    seen.push(decide(&facts, &draft, t(30)));
    facts.template_required = false;
    facts.window = WindowFacts {
        last_message_at: Some(t(29)),
        last_guest_message_at: Some(t(29)),
    };
    seen.push(decide(&facts, &draft, t(30)));
    assert_eq!(
        seen,
        [
            Err(Refusal::ThreadClosed),
            Err(Refusal::WhatsappDisabled),
            Err(Refusal::OptedOut),
            Err(Refusal::WindowClosedUseTemplate),
            Err(Refusal::WhatsappTextTooLong),
        ]
    );
}

#[test]
fn past_the_window_and_opted_out_is_opted_out() {
    // Nothing can go to an opted-out guest, not even a template: "use a template" would send
    // the user the wrong way.
    let facts = with(|f| {
        f.standing = opted_out();
        f.template_required = true;
    });
    assert_eq!(decide(&facts, &HELLO, t(48)), Err(Refusal::OptedOut));
    assert_eq!(
        decide(&facts, &Draft::Template, t(48)),
        Err(Refusal::OptedOut)
    );
}

#[test]
fn a_closed_voicemail_thread_says_closed_and_an_open_one_voicemail_only() {
    let voicemail = with(|f| f.channel = Channel::Voicemail);
    assert_eq!(
        may_send(&voicemail, OutboundKind::Template, t(1)),
        Err(Refusal::VoicemailOnly)
    );
    let closed = SendFacts {
        status: ThreadStatus::Closed,
        ..voicemail
    };
    assert_eq!(
        may_send(&closed, OutboundKind::FreeForm, t(1)),
        Err(Refusal::ThreadClosed)
    );
}

#[test]
fn trailing_space_is_not_sent_nor_counted() {
    let exactly = format!("{}   \n", "x".repeat(MAX_WHATSAPP_TEXT_CHARS));
    assert_eq!(decide(&open(), &Draft::Text(&exactly), t(1)), Ok(()));
    assert_eq!(text_to_send(&exactly).len(), MAX_WHATSAPP_TEXT_CHARS);
    assert_eq!(caption_to_send(Some("  ")), None);
    assert_eq!(caption_to_send(Some(" Dent ")), Some("Dent"));
}

#[test]
fn characters_are_counted_not_bytes() {
    let accents = "é".repeat(MAX_WHATSAPP_TEXT_CHARS);
    assert_eq!(decide(&open(), &Draft::Text(&accents), t(1)), Ok(()));
}

#[test]
fn the_window_closes_exactly_at_24_hours_under_either_rule() {
    let facts = with(|f| {
        f.window = WindowFacts {
            last_message_at: Some(t(20)),
            last_guest_message_at: Some(t(0)),
        }
    });
    let guest_rule = SendFacts {
        window_rule: WindowRule::GuestMessage,
        ..facts.clone()
    };
    assert_eq!(decide(&facts, &HELLO, t(43)), Ok(()));
    assert_eq!(
        decide(&facts, &HELLO, t(44)),
        Err(Refusal::WindowClosedUseTemplate)
    );
    assert_eq!(
        decide(&guest_rule, &HELLO, t(24) - Duration::seconds(1)),
        Ok(())
    );
    assert_eq!(
        decide(&guest_rule, &HELLO, t(24)),
        Err(Refusal::WindowClosedUseTemplate)
    );
}

#[test]
fn free_messaging_lasts_until_the_window_closes_and_only_while_text_may_be_sent() {
    // The guest wrote at t(0): free until t(24), under either rule.
    assert_eq!(free_until(&open(), t(1)), Some(t(24)));
    let guest_rule = with(|f| {
        f.window_rule = WindowRule::GuestMessage;
        f.window.last_message_at = Some(t(20));
    });
    assert_eq!(free_until(&guest_rule, t(1)), Some(t(24)));
    // Our own later message moves it under the any-message rule.
    let ours_later = with(|f| f.window.last_message_at = Some(t(20)));
    assert_eq!(free_until(&ours_later, t(23)), Some(t(44)));
    // Once it has closed, or whenever free-form text is refused, there is nothing to count.
    assert_eq!(free_until(&open(), t(24)), None);
    for facts in [
        with(|f| f.standing = Consent::None),
        with(|f| f.standing = opted_out()),
        with(|f| f.status = ThreadStatus::Closed),
        with(|f| f.whatsapp_enabled = false),
        with(|f| f.template_required = true),
        with(|f| f.channel = Channel::Sms),
    ] {
        assert_eq!(free_until(&facts, t(1)), None, "{facts:?}");
    }
}

#[test]
fn every_refusal_has_its_own_code_but_the_two_lengths() {
    use std::collections::HashMap;
    let all = [
        Refusal::ThreadClosed,
        Refusal::WhatsappDisabled,
        Refusal::ConsentMissing,
        Refusal::ConsentPending,
        Refusal::OptedOut,
        Refusal::WindowClosedUseTemplate,
        Refusal::OptInTooSoon,
        Refusal::AlreadyConsented,
        Refusal::SmsStopped,
        Refusal::WhatsappOnly,
        Refusal::VoicemailOnly,
        Refusal::EmptyMessage,
        Refusal::WhatsappTextTooLong,
        Refusal::SmsTooLong,
        Refusal::CaptionTooLong,
        Refusal::MmsUnsupported,
        Refusal::NotAnImage,
        Refusal::ImageTooLarge,
        Refusal::NotADocument,
        Refusal::DocumentTooLarge,
    ];
    let mut by_code: HashMap<ErrorCode, Vec<Refusal>> = HashMap::new();
    for r in all {
        by_code.entry(r.code()).or_default().push(r);
        assert!(!r.to_string().is_empty());
    }
    assert_eq!(
        by_code[&ErrorCode::MessageTooLong],
        [Refusal::WhatsappTextTooLong, Refusal::SmsTooLong]
    );
    assert_eq!(by_code.len(), all.len() - 1);
}

#[test]
fn documents_follow_the_free_form_rules_and_metas_types_and_size() {
    use crate::policy::{Attachment, check_document, document_type};
    assert_eq!(document_type("Quote 2026.PDF"), Some("application/pdf"));
    assert_eq!(
        document_type("prices.xlsx"),
        Some("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    );
    assert_eq!(document_type("notes.txt"), Some("text/plain"));
    assert_eq!(document_type("setup.exe"), None);
    assert_eq!(document_type("no-extension"), None);
    let pdf = |bytes| Attachment {
        mime_type: "application/pdf",
        bytes,
    };
    assert_eq!(check_document(pdf(100 * 1024 * 1024)), Ok(()));
    assert_eq!(
        check_document(pdf(100 * 1024 * 1024 + 1)),
        Err(Refusal::DocumentTooLarge)
    );
    assert_eq!(
        check_document(Attachment {
            mime_type: "application/x-msdownload",
            bytes: 10
        }),
        Err(Refusal::NotADocument)
    );
}
