//! The webhook parser on arbitrary bytes: whatever a signed body holds, parsing answers a
//! result (never panics, never hangs), and the signature check answers a boolean.
#![no_main]

use libfuzzer_sys::fuzz_target;
use multiline_whatsapp_webhook::{parse, phone_number_ids, signature_valid};

fuzz_target!(|data: &[u8]| {
    // Parsing twice gives the same answer: nothing depends on state or time.
    let first = parse(data);
    let again = parse(data);
    assert_eq!(format!("{first:?}"), format!("{again:?}"));
    // Every message and status, alone in its envelope, reads as it did in the whole body.
    if let Ok(whole) = &first {
        for (i, element) in whole.elements.iter().enumerate() {
            if matches!(element.item, multiline_whatsapp_webhook::Item::Unreadable { .. }) {
                continue;
            }
            let alone = parse(&whole.envelope(i)).expect("an envelope is a webhook body");
            assert_eq!(alone.elements.len(), 1);
            assert_eq!(alone.elements[0].item, element.item);
        }
    }
    let _ = phone_number_ids(data);
    // The first bytes as a signature header, the rest as the body.
    let split = data.len().min(71);
    let header = std::str::from_utf8(&data[..split]).ok();
    let _ = signature_valid("app-secret", &data[split..], header);
});
