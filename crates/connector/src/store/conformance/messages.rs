//! Messages, media, templates.

use multiline_domain::api::{
    AdReferral, Channel, DeliveryState, Direction, Forwarded, MessageBody, Quote, Reaction,
};
use multiline_domain::ids::{ClientMessageId, MediaId, MessageId, ThreadId};
use multiline_domain::templates::TemplateStatus;
use multiline_domain::window::WindowFacts;

use super::{id, inbound, is_conflict, is_not_found, outbound, t, thread, world};
use crate::store::{
    ListedTemplate, MessageAbout, NewMedia, NewReaction, NewThread, Store, StoreExt,
};

pub fn messages_are_unique_by_wamid_and_client_id(s: &dyn Store) {
    let w = world(s);
    let thread = s.write(|tx| thread(tx, &w)).unwrap();
    s.write(|tx| tx.insert_message(&inbound(thread, "wamid.1", "hi", t(1))))
        .unwrap();
    assert!(is_conflict(s.write(|tx| tx.insert_message(&inbound(
        thread,
        "wamid.1",
        "again",
        t(2)
    )))));
    let mine = outbound(thread, w.alex.user_id, "hello", t(3));
    s.write(|tx| tx.insert_message(&mine)).unwrap();
    let mut again = outbound(thread, w.alex.user_id, "hello again", t(4));
    again.client_id = mine.client_id;
    assert!(is_conflict(s.write(|tx| tx.insert_message(&again))));
    // The key is per author: a colleague may use the same client id.
    let mut sams = outbound(thread, w.sam.user_id, "hello from Sam", t(4));
    sams.client_id = mine.client_id;
    s.write(|tx| tx.insert_message(&sams)).unwrap();
    let client_id: ClientMessageId = mine.client_id.unwrap();
    assert_eq!(
        s.read(|tx| tx.message_by_client_id(w.alex.user_id, client_id))
            .unwrap(),
        Some((mine.id, thread))
    );
    assert_eq!(
        s.read(|tx| tx.message_by_client_id(w.olga.user_id, client_id))
            .unwrap(),
        None
    );
    assert!(s.read(|tx| tx.wamid_known("wamid.1")).unwrap());
    assert!(!s.read(|tx| tx.wamid_known("wamid.2")).unwrap());
}

pub fn messages_are_listed_in_order_and_found_by_their_ids(s: &dyn Store) {
    let w = world(s);
    let thread = s.write(|tx| thread(tx, &w)).unwrap();
    let first = outbound(thread, w.alex.user_id, "first", t(5));
    let second = inbound(thread, "wamid.2", "second, same time", t(5));
    let earlier = inbound(thread, "wamid.0", "earlier", t(1));
    s.write(|tx| {
        tx.insert_message(&first)?;
        tx.insert_message(&second)?;
        tx.insert_message(&earlier)
    })
    .unwrap();
    let texts: Vec<String> = s
        .read(|tx| tx.messages(thread))
        .unwrap()
        .into_iter()
        .map(|m| m.body.preview())
        .collect();
    assert_eq!(
        texts,
        ["earlier", "first", "second, same time"],
        "time, then stored order"
    );
    let message = s.read(|tx| tx.message(first.id)).unwrap();
    assert_eq!(message.author_name.as_deref(), Some("Alex Doe"));
    assert_eq!(message.client_id, first.client_id);
    assert_eq!(message.state, DeliveryState::Sending);
    assert!(is_not_found(s.read(|tx| tx.message(MessageId(id())))));
    // Its provider id, state, failure, body.
    s.write(|tx| {
        tx.set_message_wamid(first.id, "wamid.out")?;
        tx.set_message_state(first.id, DeliveryState::Failed, Some("No."))?;
        tx.set_message_state(first.id, DeliveryState::Failed, None)?;
        tx.set_message_body(
            first.id,
            &MessageBody::Text {
                text: "changed".into(),
            },
        )
    })
    .unwrap();
    let message = s.read(|tx| tx.message(first.id)).unwrap();
    assert_eq!(
        message.failure.as_deref(),
        Some("No."),
        "kept when none is given"
    );
    assert_eq!(message.body.preview(), "changed");
    assert_eq!(
        s.read(|tx| tx.outbound_by_wamid(w.line, "wamid.out"))
            .unwrap(),
        Some(first.id)
    );
    assert_eq!(
        s.read(|tx| tx.outbound_by_wamid(w.other_line, "wamid.out"))
            .unwrap(),
        None,
        "only the line's own"
    );
    assert_eq!(
        s.read(|tx| tx.outbound_by_wamid(w.line, "wamid.2"))
            .unwrap(),
        None,
        "outbound only"
    );
    assert_eq!(
        s.read(|tx| tx.newest_inbound_wamid(thread))
            .unwrap()
            .as_deref(),
        Some("wamid.2")
    );
    assert_eq!(
        s.read(|tx| tx.latest_outbound_at(thread, t(10))).unwrap(),
        Some(t(5))
    );
    assert_eq!(
        s.read(|tx| tx.latest_outbound_at(thread, t(4))).unwrap(),
        None
    );
    // A voicemail is found by its recording's id, in a voicemail thread of the line.
    let voicemail = ThreadId(id());
    s.write(|tx| {
        tx.insert_thread(&NewThread {
            id: voicemail,
            org: w.alex.org_id,
            line: w.line,
            channel: Channel::Voicemail,
            guest: w.ana_guest.clone(),
            guest_name: None,
            contact: None,
            participants: vec![w.alex.user_id],
            window: WindowFacts::default(),
            template_required: false,
            created_at: t(6),
        })?;
        tx.insert_message(&inbound(voicemail, "RE1", "a voicemail", t(6)))
    })
    .unwrap();
    assert!(
        s.read(|tx| tx.voicemail_by_recording(w.line, "RE1"))
            .unwrap()
            .is_some()
    );
    assert!(
        s.read(|tx| tx.voicemail_by_recording(w.line, "wamid.2"))
            .unwrap()
            .is_none()
    );
    assert!(
        s.read(|tx| tx.voicemail_by_recording(w.other_line, "RE1"))
            .unwrap()
            .is_none()
    );
    assert_eq!(
        s.read(|tx| tx.newest_inbound_wamid(voicemail)).unwrap(),
        None,
        "read receipts are WhatsApp's"
    );
}

pub fn media_are_scoped_to_their_organization(s: &dyn Store) {
    let w = world(s);
    let thread = s.write(|tx| thread(tx, &w)).unwrap();
    let media = NewMedia {
        id: MediaId(id()),
        org: w.alex.org_id,
        thread: None,
        uploader: Some(w.alex.user_id),
        mime_type: "image/png".into(),
        width: 4,
        height: 3,
        bytes: vec![1, 2, 3],
        created_at: t(1),
    };
    let info = s.write(|tx| tx.insert_media(&media)).unwrap();
    assert_eq!((info.size, info.width, info.height), (3, 4, 3));
    let record = s
        .read(|tx| tx.media_record(w.alex.org_id, media.id))
        .unwrap()
        .unwrap();
    assert_eq!(record.info, info);
    assert_eq!(
        (record.thread, record.uploader),
        (None, Some(w.alex.user_id))
    );
    assert!(
        s.read(|tx| tx.media_record(w.olga.org_id, media.id))
            .unwrap()
            .is_none()
    );
    s.write(|tx| tx.attach_media(media.id, thread)).unwrap();
    let record = s
        .read(|tx| tx.media_record(w.alex.org_id, media.id))
        .unwrap()
        .unwrap();
    assert_eq!(record.thread, Some(thread));
    assert_eq!(s.read(|tx| tx.media(media.id)).unwrap().bytes, [1, 2, 3]);
    assert!(is_not_found(s.read(|tx| tx.media(MediaId(id())))));
    assert!(is_not_found(
        s.write(|tx| tx.attach_media(MediaId(id()), thread))
    ));
}

fn listed(name: &str, status: &str, body: &str) -> ListedTemplate {
    ListedTemplate {
        name: name.into(),
        language: "en_US".into(),
        status: status.into(),
        category: "UTILITY".into(),
        parameter_format: None,
        components: serde_json::json!([{ "type": "BODY", "text": body }]),
    }
}

pub fn templates_are_replaced_and_changes_noticed(s: &dyn Store) {
    let w = world(s);
    let org = w.alex.org_id;
    let listing = [
        listed("reminder", "APPROVED", "Hi {{1}}, see you on {{2}}."),
        listed("offer", "PENDING", "20% off"),
        listed("broken", "APPROVED", "Hi {{2}}"),
    ];
    assert!(
        s.write(|tx| tx.replace_templates(w.line, &listing, t(1)))
            .unwrap()
    );
    assert!(
        !s.write(|tx| tx.replace_templates(w.line, &listing, t(2)))
            .unwrap(),
        "the same listing changes nothing"
    );
    let approved: Vec<String> = s
        .read(|tx| tx.approved_templates(org))
        .unwrap()
        .into_iter()
        .map(|t| t.name)
        .collect();
    assert_eq!(approved, ["reminder"], "approved and readable only");
    let offer = s
        .read(|tx| tx.template(org, "offer", "en_US"))
        .unwrap()
        .unwrap();
    assert_eq!(offer.status, TemplateStatus::Pending);
    assert!(
        s.read(|tx| tx.template(org, "broken", "en_US"))
            .unwrap()
            .is_none()
    );
    assert!(
        s.read(|tx| tx.template(org, "reminder", "pt_BR"))
            .unwrap()
            .is_none()
    );
    assert!(
        s.read(|tx| tx.template(w.olga.org_id, "reminder", "en_US"))
            .unwrap()
            .is_none()
    );
    assert!(
        s.write(|tx| tx.replace_templates(w.line, &listing[..1], t(3)))
            .unwrap(),
        "one gone"
    );
    assert!(
        s.read(|tx| tx.template(org, "offer", "en_US"))
            .unwrap()
            .is_none()
    );
}

pub fn what_a_message_says_about_itself_and_its_reactions_are_kept(s: &dyn Store) {
    let w = world(s);
    let thread = s.write(|tx| thread(tx, &w)).unwrap();
    let first = inbound(thread, "wamid.first", "Is the room free?", t(1));
    let mut reply = inbound(thread, "wamid.reply", "Sorry, the 29th", t(2));
    reply.about = MessageAbout {
        reply_to: Some("wamid.first".into()),
        forwarded: Some(Forwarded::Once),
        ad: Some(AdReferral {
            headline: Some("Chat with us".into()),
            body: None,
            source_url: None,
        }),
        raw: Some("{\"as\":\"sent\"}".into()),
    };
    let mut lost = inbound(thread, "wamid.lost", "About that", t(3));
    lost.about.reply_to = Some("wamid.never-seen".into());
    s.write(|tx| {
        tx.insert_message(&first)?;
        tx.insert_message(&reply)?;
        tx.insert_message(&lost)
    })
    .unwrap();
    let got = s.read(|tx| tx.message(reply.id)).unwrap();
    assert_eq!(
        got.reply_to,
        Some(Quote {
            message_id: Some(first.id),
            direction: Some(Direction::Inbound),
            preview: "Is the room free?".into()
        })
    );
    assert_eq!(got.forwarded, Some(Forwarded::Once));
    assert_eq!(got.ad.unwrap().headline.as_deref(), Some("Chat with us"));
    assert_eq!(
        s.read(|tx| tx.message_raw(reply.id)).unwrap().as_deref(),
        Some("{\"as\":\"sent\"}")
    );
    assert_eq!(s.read(|tx| tx.message_raw(first.id)).unwrap(), None);
    let quote = s.read(|tx| tx.message(lost.id)).unwrap().reply_to.unwrap();
    assert_eq!((quote.message_id, quote.preview.as_str()), (None, ""));
    assert_eq!(
        s.read(|tx| tx.message_by_wamid(w.line, "wamid.first"))
            .unwrap(),
        Some(first.id)
    );
    assert_eq!(
        s.read(|tx| tx.message_by_wamid(w.other_line, "wamid.first"))
            .unwrap(),
        None
    );

    // A reaction; a newer one replaces it; an older one delivered late does not.
    let react = |emoji: Option<&str>, at| NewReaction {
        emoji: emoji.map(str::to_owned),
        by: "Ana Lima".into(),
        at,
    };
    let reactions = |id| s.read(|tx| tx.message(id)).unwrap().reactions;
    s.write(|tx| tx.set_reaction(w.line, "wamid.first", &react(Some("👍"), t(5))))
        .unwrap();
    assert_eq!(
        reactions(first.id),
        [Reaction {
            emoji: "👍".into(),
            by: "Ana Lima".into(),
            at: t(5)
        }]
    );
    s.write(|tx| tx.set_reaction(w.line, "wamid.first", &react(Some("❤️"), t(7))))
        .unwrap();
    s.write(|tx| tx.set_reaction(w.line, "wamid.first", &react(Some("😮"), t(6))))
        .unwrap();
    assert_eq!(reactions(first.id)[0].emoji, "❤️");
    // Removed; a reaction on another line's message of the same id is not this one.
    s.write(|tx| tx.set_reaction(w.line, "wamid.first", &react(None, t(8))))
        .unwrap();
    s.write(|tx| tx.set_reaction(w.other_line, "wamid.reply", &react(Some("🎉"), t(8))))
        .unwrap();
    assert!(reactions(first.id).is_empty());
    assert!(reactions(reply.id).is_empty());
    // A reaction that came before its message shows once the message is stored.
    s.write(|tx| tx.set_reaction(w.line, "wamid.later", &react(Some("🙏"), t(9))))
        .unwrap();
    let later = inbound(thread, "wamid.later", "Thanks!", t(10));
    s.write(|tx| tx.insert_message(&later)).unwrap();
    assert_eq!(reactions(later.id)[0].emoji, "🙏");
    let listed = s.read(|tx| tx.messages(thread)).unwrap();
    assert_eq!(
        listed.len(),
        4,
        "one row per message, whatever is said about it"
    );
}

/// A message read in the transaction that stored it reads as it does once committed,
/// whatever is joined to it (a backend may answer that read from what it was given).
pub fn a_message_reads_in_its_own_transaction_as_stored(s: &dyn Store) {
    let w = world(s);
    let thread = s.write(|tx| thread(tx, &w)).unwrap();
    let react = |emoji: &str| NewReaction {
        emoji: Some(emoji.into()),
        by: "Ana Lima".into(),
        at: t(1),
    };
    s.write(|tx| {
        tx.insert_message(&inbound(thread, "wamid.quoted", "Is it free?", t(1)))?;
        // A reaction that came before its message.
        tx.set_reaction(w.line, "wamid.early", &react("🙏"))
    })
    .unwrap();
    let plain = inbound(thread, "wamid.plain", "Hello", t(2));
    let early = inbound(thread, "wamid.early", "Thanks", t(3));
    let mut quoting = inbound(thread, "wamid.quoting", "That one", t(4));
    quoting.about = MessageAbout {
        reply_to: Some("wamid.quoted".into()),
        ..Default::default()
    };
    // Sub-microsecond time, a place, a forward and an ad: each through its column.
    let mut placed = inbound(
        thread,
        "wamid.placed",
        "",
        t(5) + chrono::Duration::nanoseconds(1_500),
    );
    placed.body = serde_json::from_value(serde_json::json!({
        "type": "location", "latitude": 38.7223, "longitude": -9.1393,
        "name": "Café ☕", "address": null, "url": null
    }))
    .unwrap();
    placed.about.forwarded = Some(Forwarded::Many);
    placed.about.ad = Some(AdReferral {
        headline: Some("Chat with us".into()),
        body: Some("«Rooms»".into()),
        source_url: None,
    });
    let mine = outbound(thread, w.alex.user_id, "On it", t(6));
    let mut notice = inbound(thread, "", "Ana opened the chat", t(7));
    notice.wamid = None;
    notice.direction = Direction::System;
    let then = inbound(thread, "wamid.then", "Great", t(8));
    let all = [plain, early, quoting, placed, mine, notice, then];
    let wamids: Vec<&str> = all.iter().filter_map(|m| m.wamid.as_deref()).collect();
    let inside = s
        .write(|tx| {
            tx.expect_wamids(&wamids)?;
            let mut read = Vec::new();
            for m in &all {
                tx.insert_message(m)?;
                read.push(tx.message(m.id)?);
            }
            // Reacted to after it was read: read again.
            tx.set_reaction(w.line, "wamid.then", &react("👍"))?;
            read.pop();
            read.push(tx.message(all[6].id)?);
            Ok(read)
        })
        .unwrap();
    for (m, got) in all.iter().zip(&inside) {
        assert_eq!(got, &s.read(|tx| tx.message(m.id)).unwrap(), "{:?}", m.body);
    }
    assert_eq!(inside[1].reactions[0].emoji, "🙏", "the early reaction");
    assert!(inside[2].reply_to.as_ref().unwrap().message_id.is_some());
    assert_eq!(inside[4].author_name.as_deref(), Some("Alex Doe"));
    assert_eq!(
        inside[6].reactions[0].emoji, "👍",
        "the reaction made after"
    );
}
