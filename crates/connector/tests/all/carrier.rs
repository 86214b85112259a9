//! SMS and voicemail through the carrier (F22), end to end on loopback: the connector's API
//! and its carrier webhooks, with the simulator playing Twilio (signed webhooks, status
//! callbacks, opt-out words, recordings, transcripts).

use std::time::Duration;

use crate::support::*;
use multiline_domain::api::{
    Channel, Contact, DeliveryState, Direction, Event, Message, MessageBody, Thread,
};
use serde_json::json;

const ANA_E164: &str = "+12025550147";

pub(crate) async fn sms_thread(h: &Harness) -> Thread {
    let contacts: Vec<Contact> = h.get("/v1/contacts?q=Ana").await;
    let r = h
        .post(
            "/v1/threads",
            json!({ "contact_id": contacts[0].id, "phone": ANA_E164, "channel": "sms" }),
        )
        .await;
    assert_eq!(r.status(), 200);
    let thread: Thread = r.json().await.unwrap();
    assert_eq!(thread.channel, Channel::Sms);
    thread
}

/// Polls the API until `done` holds for the thread's messages (waiting for the system).
pub(crate) async fn until_messages(
    h: &Harness,
    thread: &Thread,
    done: impl Fn(&[Message]) -> bool,
) -> Vec<Message> {
    tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            let messages = h.messages(thread).await;
            if done(&messages) {
                return messages;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .expect("the messages got there")
}

async fn threads(h: &Harness) -> Vec<Thread> {
    h.get("/v1/threads").await
}

#[tokio::test]
async fn a_text_goes_out_by_sms_is_delivered_and_the_reply_comes_back_in_the_same_thread() {
    let h = Harness::start().await;
    let whatsapp = h.ana_thread().await;
    let sms = sms_thread(&h).await;
    assert_ne!(whatsapp.id, sms.id, "one open thread per channel");
    assert_eq!(sms_thread(&h).await.id, sms.id, "the open one is returned");

    let sent = h.send_text(&sms, "Your car is ready, Ana.").await;
    let messages = until_messages(&h, &sms, |m| {
        m.iter()
            .any(|m| m.id == sent.id && m.state == DeliveryState::Delivered)
    })
    .await;
    assert_eq!(messages.len(), 1);
    let texts = h.demo.sim.texts_received(ANA_E164);
    assert_eq!(texts.len(), 1, "sent once");
    assert_eq!(texts[0].body, "Your car is ready, Ana.");
    assert!(texts[0].sid.starts_with("SM"));
    assert!(
        h.demo.sim.received(ANA).is_empty(),
        "nothing went to WhatsApp"
    );

    h.demo
        .sim
        .guest_texts(ANA_E164, "Great, see you at 5")
        .unwrap();
    let messages = until_messages(&h, &sms, |m| m.len() == 2).await;
    assert_eq!(messages[1].direction, Direction::Inbound);
    assert_eq!(
        messages[1].body,
        MessageBody::Text {
            text: "Great, see you at 5".into()
        }
    );
    assert!(
        h.messages(&whatsapp)
            .await
            .iter()
            .all(|m| m.direction != Direction::Inbound || m.body != messages[1].body),
        "the WhatsApp thread did not get it"
    );
    // SMS needs no opt-in and has no window: a day later a text still goes.
    h.advance(chrono::Duration::hours(30));
    let later = h.send_text(&sms, "Still there?").await;
    until_messages(&h, &sms, |m| {
        m.iter()
            .any(|m| m.id == later.id && m.state == DeliveryState::Delivered)
    })
    .await;
    // Templates are WhatsApp's.
    let r = h
        .post(
            &format!("/v1/threads/{}/templates", sms.id),
            json!({ "client_id": crate::support::fresh_uuid(), "name": "conversation_restart", "language": "en_US",
                    "values": [{ "part": "body", "key": "1", "value": "Ana" }] }),
        )
        .await;
    assert_eq!(r.status(), 422);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["error"]["code"], "whatsapp_only");
}

#[tokio::test]
async fn a_phone_off_the_network_turns_the_text_failed_with_the_carriers_reason() {
    let h = Harness::start().await;
    let sms = sms_thread(&h).await;
    h.demo.sim.set_sms_reachable(ANA_E164, false);
    let sent = h.send_text(&sms, "Are you there?").await;
    let messages = until_messages(&h, &sms, |m| {
        m.iter()
            .any(|m| m.id == sent.id && m.state == DeliveryState::Failed)
    })
    .await;
    assert_eq!(
        messages[0].failure.as_deref(),
        Some("The phone was unreachable (off or out of coverage).")
    );
}

fn form(fields: &[(&str, &str)]) -> Vec<(String, String)> {
    fields
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[tokio::test]
async fn a_forged_or_missing_signature_is_refused_and_nothing_is_stored() {
    let h = Harness::start().await;
    let line = h.line();
    let url = h.demo.connector.carrier_webhook_url(line.id, "sms");
    let fields = form(&[
        ("AccountSid", &h.demo.sim.twilio_account().account_sid),
        ("MessageSid", "SM11111111111111111111111111111111"),
        ("From", ANA_E164),
        ("To", &h.demo.sim.twilio_account().number),
        ("Body", "Transfer the money to this account"),
        ("NumMedia", "0"),
    ]);
    let token = h.demo.sim.twilio_account().auth_token.clone();
    let before = h.row_counts();
    let post = |signature: Option<String>| {
        let mut request = h.http.post(&url).form(&fields);
        if let Some(signature) = signature {
            request = request.header("x-twilio-signature", signature);
        }
        request.send()
    };
    let forged = [
        None,
        Some("not-a-signature".to_owned()),
        Some(wa_sim::twilio_signature(
            "someone-elses-token",
            &url,
            &fields,
        )),
        // Signed for another address.
        Some(wa_sim::twilio_signature(
            &token,
            "https://evil.example/sms",
            &fields,
        )),
        // Signed for other fields.
        Some(wa_sim::twilio_signature(
            &token,
            &url,
            &form(&[("Body", "hello")]),
        )),
    ];
    for signature in forged {
        let r = post(signature.clone()).await.unwrap();
        assert_eq!(r.status(), 401, "{signature:?}");
    }
    assert_eq!(h.row_counts(), before);

    // The same request, signed as Twilio signs it, is taken (once, however often sent).
    let signed = wa_sim::twilio_signature(&token, &url, &fields);
    for _ in 0..2 {
        let r = post(Some(signed.clone())).await.unwrap();
        assert_eq!(r.status(), 200);
        assert!(r.text().await.unwrap().contains("<Response/>"));
    }
    // Taken means kept in the inbox: applied by its worker, here at once.
    h.settle().await;
    let sms: Vec<Thread> = threads(&h)
        .await
        .into_iter()
        .filter(|t| {
            t.channel == Channel::Sms
                && t.guest_phone.as_ref().map(|p| p.as_str()) == Some(ANA_E164)
        })
        .collect();
    assert_eq!(sms.len(), 1);
    assert_eq!(h.messages(&sms[0]).await.len(), 1, "stored once");
}

#[tokio::test]
async fn stop_stops_texts_until_start_and_whatsapp_consent_is_not_touched() {
    let h = Harness::start().await;
    let whatsapp = h.ana_thread().await;
    let sms = sms_thread(&h).await;
    h.demo.sim.guest_texts(ANA_E164, "STOP").unwrap();
    until_messages(&h, &sms, |m| m.len() == 1).await;
    let thread: Thread = h.get(&format!("/v1/threads/{}", sms.id)).await;
    assert!(matches!(
        thread.consent,
        multiline_domain::consent::Consent::Revoked { .. }
    ));

    let r = h
        .post(
            &format!("/v1/threads/{}/messages", sms.id),
            json!({ "client_id": crate::support::fresh_uuid(), "text": "But wait" }),
        )
        .await;
    assert_eq!(r.status(), 422);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["error"]["code"], "sms_stopped");
    assert_eq!(
        body["error"]["message"],
        "This person replied STOP. Texts can't be sent until they reply START."
    );
    assert!(h.demo.sim.texts_received(ANA_E164).is_empty());
    // Her WhatsApp consent is another matter.
    let wa: Thread = h.get(&format!("/v1/threads/{}", whatsapp.id)).await;
    assert_eq!(wa.consent, whatsapp.consent);

    h.demo.sim.guest_texts(ANA_E164, "start").unwrap();
    until_messages(&h, &sms, |m| m.len() == 2).await;
    let sent = h.send_text(&sms, "Welcome back").await;
    until_messages(&h, &sms, |m| {
        m.iter()
            .any(|m| m.id == sent.id && m.state == DeliveryState::Delivered)
    })
    .await;
    let audit = h.audit();
    assert_eq!(
        audit
            .iter()
            .filter(|e| e["action"] == "consent.changed" && e["thread_id"] == json!(sms.id))
            .count(),
        2,
        "STOP and START audited"
    );
}

#[tokio::test]
async fn a_voicemail_arrives_live_with_its_recording_and_transcript_and_is_marked_heard() {
    let h = Harness::start().await;
    let head: serde_json::Value = h.get("/v1/events/head").await;
    let mut socket = h.events(head["seq"].as_u64().unwrap()).await;
    let caller = "+4915112345678"; // David Okafor, in the address book
    h.demo
        .sim
        .guest_leaves_voicemail(caller, 4, Some("Please call me back about Monday."))
        .unwrap();

    // Live: the voicemail, then its transcript.
    let voicemail = |e: &multiline_domain::api::EventEnvelope| {
        matches!(&e.event, Event::MessageUpserted { message }
            if matches!(&message.body, MessageBody::Voicemail { transcript: Some(_), .. }))
    };
    let event = next_matching(&mut socket, voicemail).await;
    let message = message_event(&event).unwrap().clone();
    let MessageBody::Voicemail {
        media_id,
        duration_secs,
        transcript,
        heard_at,
    } = &message.body
    else {
        unreachable!()
    };
    assert_eq!(*duration_secs, 4);
    assert_eq!(
        transcript.as_deref(),
        Some("Please call me back about Monday.")
    );
    assert_eq!(*heard_at, None);
    let thread: Thread = h.get(&format!("/v1/threads/{}", message.thread_id)).await;
    assert_eq!(thread.channel, Channel::Voicemail);
    assert_eq!(thread.contact_name, "David Okafor");
    assert_eq!(
        thread.last_message_preview.as_deref(),
        Some("Voicemail (0:04)")
    );

    // The recording: a WAV of four seconds, for the thread's participants.
    let audio = h
        .http
        .get(h.url(&format!("/v1/media/{media_id}")))
        .bearer_auth(&h.token)
        .send()
        .await
        .unwrap();
    assert_eq!(audio.status(), 200);
    let bytes = audio.bytes().await.unwrap();
    let wav = hound::WavReader::new(std::io::Cursor::new(bytes)).unwrap();
    assert_eq!(wav.duration() / wav.spec().sample_rate, 4);

    // Nothing can be sent in a voicemail thread.
    let r = h
        .post(
            &format!("/v1/threads/{}/messages", thread.id),
            json!({ "client_id": crate::support::fresh_uuid(), "text": "Hi" }),
        )
        .await;
    assert_eq!(r.status(), 422);

    // Played: heard, once, announced and audited.
    let heard = h
        .post(&format!("/v1/messages/{}/heard", message.id), json!({}))
        .await;
    assert_eq!(heard.status(), 200);
    let heard: Message = heard.json().await.unwrap();
    let MessageBody::Voicemail {
        heard_at: Some(at), ..
    } = heard.body
    else {
        panic!("not heard: {heard:?}")
    };
    assert_eq!(at, multiline_domain::time::Clock::now(&*h.clock));
    next_matching(&mut socket, |e| {
        matches!(&e.event, Event::MessageUpserted { message: m } if m.id == message.id
            && matches!(m.body, MessageBody::Voicemail { heard_at: Some(_), .. }))
    })
    .await;
    h.advance(chrono::Duration::minutes(5));
    let again: Message = h
        .post(&format!("/v1/messages/{}/heard", message.id), json!({}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(again.body, heard.body, "first heard is kept");
    let audit = h.audit();
    assert_eq!(
        audit
            .iter()
            .filter(|e| e["action"] == "voicemail.heard")
            .count(),
        1
    );

    // A text is not a voicemail.
    let ana = h.ana_thread().await;
    let text = h.send_text(&ana, "hello").await;
    let r = h
        .post(&format!("/v1/messages/{}/heard", text.id), json!({}))
        .await;
    assert_eq!(r.status(), 400);
}

#[tokio::test]
async fn a_carrier_level_opt_out_fails_the_text_and_stops_the_next_ones() {
    let h = Harness::start().await;
    let sms = sms_thread(&h).await;
    h.demo.sim.set_sms_opted_out(ANA_E164);
    let sent = h.send_text(&sms, "Your appointment is at 3").await;
    let messages = until_messages(&h, &sms, |m| {
        m.iter()
            .any(|m| m.id == sent.id && m.state == DeliveryState::Failed)
    })
    .await;
    assert_eq!(
        messages[0].failure.as_deref(),
        Some(
            "This person replied STOP to your texts; they must reply START before you can text them again."
        )
    );
    let thread: Thread = h.get(&format!("/v1/threads/{}", sms.id)).await;
    assert!(matches!(
        thread.consent,
        multiline_domain::consent::Consent::Revoked { .. }
    ));
    let r = h
        .post(
            &format!("/v1/threads/{}/messages", sms.id),
            json!({ "client_id": crate::support::fresh_uuid(), "text": "Hello?" }),
        )
        .await;
    assert_eq!(r.status(), 422, "refused before it is tried");
    assert!(h.demo.sim.texts_received(ANA_E164).is_empty());
}

#[tokio::test]
async fn a_withheld_number_hears_why_and_nothing_is_recorded() {
    let h = Harness::start().await;
    let line = h.line();
    let url = h.demo.connector.carrier_webhook_url(line.id, "voice");
    let account = h.demo.sim.twilio_account().clone();
    for caller in ["+266696687", "client:anonymous"] {
        let fields = form(&[
            ("AccountSid", &account.account_sid),
            ("CallSid", "CA11111111111111111111111111111111"),
            ("From", caller),
            ("To", &account.number),
            ("CallStatus", "ringing"),
        ]);
        let signature = wa_sim::twilio_signature(&account.auth_token, &url, &fields);
        let r = h
            .http
            .post(&url)
            .header("x-twilio-signature", signature)
            .form(&fields)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{caller}");
        let twiml = r.text().await.unwrap();
        assert!(twiml.contains("withheld number"), "{twiml}");
        assert!(
            twiml.contains("<Hangup/>") && !twiml.contains("<Record"),
            "{twiml}"
        );
    }
}

#[tokio::test]
async fn an_mms_picture_arrives_as_a_picture_and_an_unfetchable_one_loses_no_text() {
    let h = Harness::start().await;
    let png = crate::support::png(640, 480, [20, 120, 200]);
    h.demo
        .sim
        .guest_texts_picture(ANA_E164, "The dent on the door", png.clone(), "image/png")
        .unwrap();
    let sms = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            if let Some(t) = threads(&h).await.into_iter().find(|t| {
                t.channel == Channel::Sms
                    && t.guest_phone.as_ref().map(|p| p.as_str()) == Some(ANA_E164)
            }) {
                return t;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .unwrap();
    let messages = until_messages(&h, &sms, |m| !m.is_empty()).await;
    let MessageBody::Picture {
        media_id,
        caption,
        width,
        height,
    } = &messages[0].body
    else {
        panic!("not a picture: {:?}", messages[0].body)
    };
    assert_eq!((*width, *height), (640, 480));
    assert_eq!(caption.as_deref(), Some("The dent on the door"));
    assert_eq!(h.media(*media_id).await, png);

    // A file the connector may not fetch (not at the account's API): the words still arrive.
    let line = h.line();
    let url = h.demo.connector.carrier_webhook_url(line.id, "sms");
    let account = h.demo.sim.twilio_account().clone();
    let fields = form(&[
        ("AccountSid", &account.account_sid),
        ("MessageSid", "SM22222222222222222222222222222222"),
        ("From", ANA_E164),
        ("To", &account.number),
        ("Body", "And another one"),
        ("NumMedia", "1"),
        ("MediaUrl0", "https://elsewhere.example/picture.jpg"),
        ("MediaContentType0", "image/jpeg"),
    ]);
    let signature = wa_sim::twilio_signature(&account.auth_token, &url, &fields);
    let r = h
        .http
        .post(&url)
        .header("x-twilio-signature", signature)
        .form(&fields)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let messages = until_messages(&h, &sms, |m| m.len() == 2).await;
    assert_eq!(
        messages[1].body,
        MessageBody::Text {
            text: "And another one\n(1 attachment sent by MMS is not shown in MultiLine)".into()
        }
    );
}

/// The statuses of the files of `kind` the connector fetched, and whether every webhook
/// whose URL ends with `path` was answered before the file was handed over.
fn fetches(h: &Harness, kind: wa_sim::FileKind, path: &str) -> (Vec<u16>, bool) {
    let exchanges = h.demo.sim.carrier_exchanges();
    // The worker is woken when the event is kept, so its first try may reach the carrier
    // while the 200 is still on its way back (a busy machine showed it); the file handed
    // over comes only after the retries, by the connector's clock: the answer never waits
    // for it.
    let handed_over = exchanges.iter().position(
        |e| matches!(e, wa_sim::Exchange::FileFetched { what, status: 200 } if *what == kind),
    );
    let answered = exchanges
        .iter()
        .position(|e| matches!(e, wa_sim::Exchange::WebhookAnswered { url } if url.contains(path)));
    let statuses = exchanges
        .iter()
        .filter_map(|e| match e {
            wa_sim::Exchange::FileFetched { what, status } if *what == kind => Some(*status),
            _ => None,
        })
        .collect();
    let before = matches!((answered, handed_over), (Some(a), Some(f)) if a < f);
    (statuses, before)
}

/// Every inbound event takes the durable road: the carrier's SMS webhook is answered at once,
/// and the MMS picture is fetched by the inbox worker, which tries again (by the connector's
/// clock) while the carrier's media server is down.
#[tokio::test]
async fn an_mms_picture_is_fetched_after_the_answer_and_again_until_the_carrier_hands_it_over() {
    let h = Harness::start().await;
    h.demo.sim.fail_media_downloads(2);
    let png = crate::support::png(320, 200, [200, 40, 40]);
    h.demo
        .sim
        .guest_texts_picture(ANA_E164, "Scratch on the bumper", png.clone(), "image/png")
        .unwrap();
    let message = h
        .until_arrived(|| async {
            let sms = threads(&h).await.into_iter().find(|t| {
                t.channel == Channel::Sms
                    && t.guest_phone.as_ref().map(|p| p.as_str()) == Some(ANA_E164)
            })?;
            h.messages(&sms).await.into_iter().next()
        })
        .await;
    let MessageBody::Picture {
        media_id,
        caption,
        width,
        height,
    } = &message.body
    else {
        panic!("not a picture: {:?}", message.body)
    };
    assert_eq!((*width, *height), (320, 200));
    assert_eq!(caption.as_deref(), Some("Scratch on the bumper"));
    assert_eq!(h.media(*media_id).await, png);
    let (statuses, answered_first) = fetches(&h, wa_sim::FileKind::MmsPicture, "/sms");
    assert_eq!(statuses, [503, 503, 200], "down twice, then handed over");
    assert!(
        answered_first,
        "the webhook was answered before the picture was handed over"
    );
}

/// The same road for a voicemail: the recording callback is answered, then the recording is
/// fetched, again after the carrier failed to hand it over twice.
#[tokio::test]
async fn a_recording_the_carrier_fails_to_hand_over_is_fetched_again_not_lost() {
    let h = Harness::start().await;
    h.demo.sim.fail_recording_downloads(2);
    h.demo
        .sim
        .guest_leaves_voicemail("+393471234567", 2, None)
        .unwrap();
    let voicemail = h
        .until_arrived(|| async {
            threads(&h)
                .await
                .into_iter()
                .find(|t| t.channel == Channel::Voicemail && t.contact_name == "Elena Rossi")
        })
        .await;
    let messages = h.messages(&voicemail).await;
    assert!(matches!(
        messages[0].body,
        MessageBody::Voicemail {
            duration_secs: 2,
            transcript: None,
            ..
        }
    ));
    let (statuses, answered_first) = fetches(&h, wa_sim::FileKind::Recording, "/recording");
    assert_eq!(statuses, [503, 503, 200]);
    assert!(
        answered_first,
        "the recording callback was answered before the recording was handed over"
    );
}
