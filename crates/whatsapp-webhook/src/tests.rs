use super::*;
use hmac::Mac;

/// A text, a sticker and a sender that is no WhatsApp id, and a status, as Meta's "Webhooks
/// payload examples" (Cloud API docs, messages and statuses) show them, one entry each.
const BODY: &str = r#"{
  "object": "whatsapp_business_account",
  "entry": [{ "id": "102290129340398", "changes": [{ "field": "messages", "value": {
    "messaging_product": "whatsapp",
    "metadata": { "display_phone_number": "15550783881", "phone_number_id": "106540352242922" },
    "contacts": [{ "profile": { "name": "Sheena Nelson" }, "wa_id": "16505551234" }],
    "messages": [{ "from": "16505551234", "id": "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=",
                   "timestamp": "1749416383", "type": "text", "text": { "body": "Does it come in another color?" } },
                 { "from": "16505551234", "id": "wamid.2", "timestamp": "1749416384", "type": "sticker",
                   "sticker": { "id": "1", "mime_type": "image/webp", "sha256": "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=", "animated": false } },
                 { "from": "not a number", "id": "wamid.3", "timestamp": "1749416385", "type": "text",
                   "text": { "body": "?" } }],
    "statuses": [{ "id": "wamid.out", "status": "failed", "timestamp": "1750263773",
                   "recipient_id": "16505551234",
                   "errors": [{ "code": 131047, "title": "Re-engagement message" }] }]
  }}]}]
}"#;

fn messages(n: &Notification) -> Vec<&Message> {
    n.elements
        .iter()
        .filter_map(|e| match &e.item {
            Item::Message(m) => Some(m.as_ref()),
            _ => None,
        })
        .collect()
}

#[test]
fn reads_every_element_and_sets_aside_only_what_it_cannot_use() {
    let n = parse(BODY.as_bytes()).unwrap();
    let m = messages(&n);
    assert_eq!(m.len(), 2);
    let Content::Body { body, .. } = &m[0].content else {
        panic!("a text")
    };
    assert_eq!(
        **body,
        MessageBody::Text {
            text: "Does it come in another color?".into()
        }
    );
    assert_eq!(m[0].guest.phone.as_ref().unwrap().as_str(), "+16505551234");
    assert_eq!(m[0].guest.name.as_deref(), Some("Sheena Nelson"));
    assert_eq!(m[0].at.unwrap().timestamp(), 1_749_416_383);
    let Content::Body {
        body,
        media: Some(media),
        ..
    } = &m[1].content
    else {
        panic!("a sticker: {:?}", m[1].content)
    };
    let MessageBody::Sticker { animated, .. } = **body else {
        panic!("a sticker: {body:?}")
    };
    assert!(!animated);
    assert_eq!(media.kind, MediaKind::Sticker);
    assert_eq!(
        media.sha256,
        Some(Sha256::of(b"")),
        "base64 of the empty digest"
    );
    let unreadable: Vec<_> = n
        .elements
        .iter()
        .filter(|e| matches!(e.item, Item::Unreadable { .. }))
        .collect();
    assert_eq!(unreadable.len(), 1);
    assert!(unreadable[0].raw.contains("not a number"));
    let Some(Item::Status(status)) = n.elements.last().map(|e| &e.item) else {
        panic!("a status last")
    };
    assert_eq!(status.state, DeliveryState::Failed);
    assert_eq!(status.error.as_ref().map(|e| e.0), Some(131047));
}

#[test]
fn an_element_alone_in_its_envelope_reads_as_it_did() {
    let n = parse(BODY.as_bytes()).unwrap();
    for i in 0..n.elements.len() {
        let alone = parse(&n.envelope(i)).unwrap();
        assert_eq!(alone.elements.len(), 1);
        assert_eq!(alone.elements[0].item, n.elements[i].item, "element {i}");
        assert_eq!(alone.elements[0].raw, n.elements[i].raw);
        assert_eq!(
            phone_number_ids(&n.envelope(i)).unwrap(),
            vec!["106540352242922".to_owned()]
        );
    }
}

#[test]
fn checksums_are_compared_as_bytes_whichever_encoding_comes() {
    let digest = Sha256::of(b"hello");
    let hex = "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824";
    assert_eq!(Sha256::parse(hex), Some(digest));
    assert_eq!(Sha256::parse(&hex.to_uppercase()), Some(digest));
    assert_eq!(
        Sha256::parse("LPJNul+wow4m6DsqxbninhsWHlwfp0JecwQzYpOLmCQ="),
        Some(digest)
    );
    assert_eq!(
        Sha256::parse("LPJNul-wow4m6DsqxbninhsWHlwfp0JecwQzYpOLmCQ"),
        Some(digest)
    );
    assert_eq!(Sha256::parse("not a digest"), None);
    assert_eq!(Sha256::parse("aGVsbG8="), None, "base64, but not 32 bytes");
}

#[test]
fn a_username_user_without_a_number_is_a_guest() {
    let body = r#"{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages","value":{
      "metadata":{"phone_number_id":"106540352242922"},
      "contacts":[{"profile":{"name":"Sheena","username":"sheena"},"user_id":"US.13491208655302741918"}],
      "messages":[{"from_user_id":"US.13491208655302741918","id":"wamid.U","timestamp":"1764000000","type":"text","text":{"body":"Hi"}}]}}]}]}"#;
    let n = parse(body.as_bytes()).unwrap();
    let m = messages(&n);
    assert_eq!(m[0].guest.phone, None);
    assert_eq!(
        m[0].guest.user_id.as_deref(),
        Some("US.13491208655302741918")
    );
    assert_eq!(m[0].guest.username.as_deref(), Some("sheena"));
}

#[test]
fn only_the_app_secrets_signature_over_the_exact_bytes_is_valid() {
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(b"app-secret").unwrap();
    mac.update(BODY.as_bytes());
    let good = format!("sha256={}", hex::encode(mac.finalize().into_bytes()));
    assert!(signature_valid("app-secret", BODY.as_bytes(), Some(&good)));
    assert!(!signature_valid(
        "other-secret",
        BODY.as_bytes(),
        Some(&good)
    ));
    assert!(!signature_valid("app-secret", b"{}", Some(&good)));
    assert!(!signature_valid("app-secret", BODY.as_bytes(), None));
    assert!(!signature_valid(
        "app-secret",
        BODY.as_bytes(),
        Some("sha1=00")
    ));
}

#[test]
fn another_object_is_not_a_whatsapp_webhook() {
    assert!(matches!(
        parse(br#"{"object":"page","entry":[]}"#),
        Err(ParseError::Object(_))
    ));
    assert!(matches!(parse(b"not json"), Err(ParseError::Shape(_))));
    assert!(matches!(
        phone_number_ids(br#"{"object":"page","entry":[]}"#),
        Err(ParseError::Object(_))
    ));
}

#[test]
fn an_entry_of_the_wrong_shape_costs_only_itself() {
    let body = r#"{"object":"whatsapp_business_account","entry":[
      {"id":"1","changes":"not a list"},
      {"id":"1","changes":[{"field":"messages","value":{"messages":[
        {"from":"16505551234","id":"wamid.A","timestamp":"1764000000","type":"text","text":{"body":"kept"}}]}}]}]}"#;
    let n = parse(body.as_bytes()).unwrap();
    assert_eq!(messages(&n).len(), 1);
    assert_eq!(n.elements.len(), 2);
}

#[test]
fn a_nul_in_a_text_or_a_name_reads_as_a_replacement_character() {
    // JSON allows U+0000 escaped; no guest types one, and PostgreSQL's text cannot hold it.
    let body = BODY
        .replace("Sheena Nelson", "Sheena\\u0000Nelson")
        .replace("another color?", "another\\u0000color?");
    let n = parse(body.as_bytes()).unwrap();
    let m = messages(&n);
    assert_eq!(m.len(), 2, "nothing set aside for it");
    let Content::Body { body, .. } = &m[0].content else {
        panic!("a text")
    };
    assert_eq!(
        **body,
        MessageBody::Text {
            text: "Does it come in another\u{FFFD}color?".into()
        }
    );
    assert_eq!(m[0].guest.name.as_deref(), Some("Sheena\u{FFFD}Nelson"));
    // A backslash and "u0000" typed as words are words.
    let typed = BODY.replace("another color?", "a \\\\u0000 here");
    let n = parse(typed.as_bytes()).unwrap();
    let Content::Body { body, .. } = &messages(&n)[0].content else {
        panic!("a text")
    };
    assert_eq!(
        **body,
        MessageBody::Text {
            text: "Does it come in a \\u0000 here".into()
        }
    );
}
