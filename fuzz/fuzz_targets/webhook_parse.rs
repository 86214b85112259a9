//! The webhook parser on arbitrary bytes: whatever a signed body holds, parsing answers a
//! result (never panics, never hangs), and the signature check answers a boolean.
#![no_main]

use libfuzzer_sys::fuzz_target;
use multiline_whatsapp_webhook::{parse, signature_valid};

fuzz_target!(|data: &[u8]| {
    // Parsing twice gives the same answer: nothing depends on state or time.
    let first = parse(data).map(|p| (p.messages.len(), p.statuses.len(), p.skipped));
    let again = parse(data).map(|p| (p.messages.len(), p.statuses.len(), p.skipped));
    assert_eq!(format!("{first:?}"), format!("{again:?}"));
    // The first bytes as a signature header, the rest as the body.
    let split = data.len().min(71);
    let header = std::str::from_utf8(&data[..split]).ok();
    let _ = signature_valid("app-secret", &data[split..], header);
});
