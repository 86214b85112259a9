//! Every header format and button kind: parsed from Meta's listing shape, the user's values
//! checked, and the exact request components (insta snapshots). The listings follow Meta's
//! "Template components" and "Template media" pages (developers.facebook.com/documentation/
//! business-messaging/whatsapp/templates/components, .../template-media).

use serde_json::json;

use super::super::*;

fn listed(name: &str, components: serde_json::Value) -> Result<Template, TemplateError> {
    let components: Vec<ListedComponent> = serde_json::from_value(components).unwrap();
    Template::from_components(
        name,
        "en_US",
        TemplateStatus::Approved,
        TemplateCategory::Marketing,
        ParameterFormat::Positional,
        components,
    )
}

fn vals(pairs: &[(Part, &str, &str)]) -> TemplateValues {
    pairs
        .iter()
        .map(|(p, k, v)| ((*p, (*k).to_owned()), (*v).to_owned()))
        .collect()
}

const PICTURE: &str = "0b9e3f4c-5a6d-4e7f-8a9b-0c1d2e3f4a5b";

/// An IMAGE header (sample in `header_handle`), a body variable, a URL button with a
/// variable ending, a static URL, a phone number, a copy code and a quick reply.
fn summer_sale() -> Template {
    listed(
        "summer_sale",
        json!([
            {"type": "HEADER", "format": "IMAGE",
             "example": {"header_handle": ["https://scontent.whatsapp.net/v/summer.jpg"]}},
            {"type": "BODY", "text": "Hi {{1}}, our summer sale is on.",
             "example": {"body_text": [["Ana"]]}},
            {"type": "FOOTER", "text": "Reply STOP to opt out"},
            {"type": "BUTTONS", "buttons": [
                {"type": "URL", "text": "Shop now", "url": "https://shop.example/sale/{{1}}",
                 "example": ["https://shop.example/sale/summer"]},
                {"type": "URL", "text": "Our stores", "url": "https://shop.example/stores"},
                {"type": "PHONE_NUMBER", "text": "Call us", "phone_number": "+15550100"},
                {"type": "COPY_CODE", "example": "SUMMER25"},
                {"type": "QUICK_REPLY", "text": "Not interested"}
            ]}
        ]),
    )
    .unwrap()
}

#[test]
fn a_listing_with_every_button_kind_parses() {
    insta::assert_json_snapshot!("summer_sale_template", summer_sale());
    let t = summer_sale();
    insta::assert_json_snapshot!("summer_sale_slots", t.slots());
}

#[test]
fn every_header_format_parses_and_asks_for_what_it_needs() {
    for (format, media) in [
        ("IMAGE", Some(HeaderMedia::Image)),
        ("VIDEO", Some(HeaderMedia::Video)),
        ("GIF", Some(HeaderMedia::Gif)),
        ("DOCUMENT", Some(HeaderMedia::Document)),
        ("LOCATION", None),
    ] {
        let t = listed(
            "h",
            json!([{"type": "HEADER", "format": format}, {"type": "BODY", "text": "Hi"}]),
        )
        .unwrap();
        assert_eq!(t.header.as_ref().unwrap().media(), media, "{format}");
        let kinds: Vec<SlotKind> = t.slots().iter().map(|s| s.kind).collect();
        if media.is_some() {
            assert_eq!(kinds, [SlotKind::Media], "{format}");
        } else {
            assert_eq!(
                kinds,
                [
                    SlotKind::Latitude,
                    SlotKind::Longitude,
                    SlotKind::PlaceName,
                    SlotKind::PlaceAddress
                ]
            );
        }
    }
    let text = listed(
        "h",
        json!([{"type": "HEADER", "format": "TEXT", "text": "Order {{1}}"},
               {"type": "BODY", "text": "Hi"}]),
    )
    .unwrap();
    assert_eq!(text.header_text(), Some("Order {{1}}"));
    assert_eq!(
        listed(
            "h",
            json!([{"type": "HEADER", "format": "CAROUSEL"}, {"type": "BODY", "text": "x"}])
        ),
        Err(TemplateError::HeaderFormat("CAROUSEL".into()))
    );
}

#[test]
fn buttons_that_cannot_be_sent_make_the_template_unusable() {
    for button in [
        json!({"type": "FLOW", "text": "Book", "flow_id": "1"}),
        json!({"type": "OTP", "otp_type": "COPY_CODE", "text": "Copy"}),
        json!({"type": "URL", "text": "x", "url": "https://a.example/{{1}}/b"}),
        json!({"type": "QUICK_REPLY"}),
    ] {
        let got = listed(
            "b",
            json!([{"type": "BODY", "text": "x"}, {"type": "BUTTONS", "buttons": [button]}]),
        );
        assert!(
            matches!(got, Err(TemplateError::Button(_))),
            "{button}: {got:?}"
        );
    }
}

#[test]
fn the_users_values_are_checked_as_meta_would() {
    let t = summer_sale();
    let ok = vals(&[
        (Part::Header, "media", PICTURE),
        (Part::Body, "1", "Ana"),
        (Part::Button, "0", "summer-2026"),
        (Part::Button, "3", "SUMMER25"),
    ]);
    assert_eq!(t.validate(&ok), Ok(()));
    // The template's sample, by link, is a header file too.
    let mut by_link = ok.clone();
    by_link.insert(
        (Part::Header, "media".into()),
        "https://scontent.whatsapp.net/v/summer.jpg".into(),
    );
    assert_eq!(t.validate(&by_link), Ok(()));

    let errors = t.validate(&vals(&[(Part::Body, "1", "Ana")])).unwrap_err();
    let said: Vec<String> = errors.iter().map(ToString::to_string).collect();
    assert_eq!(
        said,
        [
            "Fill in the header's picture.",
            "Fill in the link's ending.",
            "Fill in the coupon code."
        ]
    );
    let bad = vals(&[
        (Part::Header, "media", "http://insecure.example/a.jpg"),
        (Part::Body, "1", "Ana"),
        (Part::Button, "0", "two words"),
        (Part::Button, "3", "MUCHTOOLONGCOUPON"),
    ]);
    assert_eq!(
        t.validate(&bad).unwrap_err(),
        vec![
            ValueError::BadMedia {
                part: Part::Header,
                key: "media".into()
            },
            ValueError::BadUrlSuffix {
                part: Part::Button,
                key: "0".into()
            },
            ValueError::TooLong {
                part: Part::Button,
                len: 17,
                max: MAX_COUPON_CHARS
            },
        ]
    );
    // A value for a button that takes none is refused, as Meta would (132000).
    let mut extra = ok;
    extra.insert((Part::Button, "1".into()), "x".into());
    assert_eq!(
        t.validate(&extra).unwrap_err(),
        vec![ValueError::Unexpected {
            part: Part::Button,
            key: "1".into()
        }]
    );
}

#[test]
fn a_place_needs_coordinates_in_range() {
    let t = listed(
        "visit",
        json!([{"type": "HEADER", "format": "LOCATION"}, {"type": "BODY", "text": "Visit us"}]),
    )
    .unwrap();
    let place = vals(&[
        (Part::Header, "latitude", "37.483307"),
        (Part::Header, "longitude", "-122.148981"),
    ]);
    assert_eq!(t.validate(&place), Ok(()));
    let far = vals(&[
        (Part::Header, "latitude", "91"),
        (Part::Header, "longitude", "east"),
    ]);
    assert_eq!(
        t.validate(&far).unwrap_err(),
        vec![
            ValueError::BadCoordinate {
                part: Part::Header,
                key: "latitude".into(),
                max: 90
            },
            ValueError::BadCoordinate {
                part: Part::Header,
                key: "longitude".into(),
                max: 180
            },
        ]
    );
    let mut named = place;
    named.insert((Part::Header, "name".into()), "Northwind Motors".into());
    named.insert((Part::Header, "address".into()), "1 Main St".into());
    insta::assert_json_snapshot!(
        "location_header_components",
        t.send_components(&named).unwrap()
    );
}

#[test]
fn the_request_carries_exactly_metas_components() {
    let t = summer_sale();
    let ok = vals(&[
        (Part::Header, "media", PICTURE),
        (Part::Body, "1", "Ana"),
        (Part::Button, "0", "summer-2026"),
        (Part::Button, "3", "SUMMER25"),
    ]);
    insta::assert_json_snapshot!("summer_sale_components", t.send_components(&ok).unwrap());
    assert_eq!(
        t.button_url(0, &ok).as_deref(),
        Some("https://shop.example/sale/summer-2026")
    );
    for (format, kind) in [("VIDEO", "video"), ("GIF", "gif"), ("DOCUMENT", "document")] {
        let t = listed(
            "m",
            json!([{"type": "HEADER", "format": format}, {"type": "BODY", "text": "Hi"}]),
        )
        .unwrap();
        let c = t
            .send_components(&vals(&[(
                Part::Header,
                "media",
                "https://cdn.example/file",
            )]))
            .unwrap();
        let wire = serde_json::to_value(&c).unwrap();
        assert_eq!(
            wire,
            json!([{"type": "header", "parameters": [
                {"type": kind, kind: {"link": "https://cdn.example/file"}}
            ]}]),
            "{format}"
        );
    }
    // A named text header and body: each parameter carries its name.
    let named = Template::from_components(
        "n",
        "en_US",
        TemplateStatus::Approved,
        TemplateCategory::Utility,
        ParameterFormat::Named,
        serde_json::from_value(json!([
            {"type": "HEADER", "format": "TEXT", "text": "Order {{order_id}}"},
            {"type": "BODY", "text": "Hi {{first_name}}"}
        ]))
        .unwrap(),
    )
    .unwrap();
    let c = named
        .send_components(&vals(&[
            (Part::Header, "order_id", "A-17"),
            (Part::Body, "first_name", "Ana"),
        ]))
        .unwrap();
    insta::assert_json_snapshot!("named_text_header_components", c);
}
