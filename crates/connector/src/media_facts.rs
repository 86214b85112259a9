//! What the connector reads from a received file's bytes, pure: an Ogg/Opus voice note's
//! length (WhatsApp's webhooks do not say it, and a web view may only know it once it has
//! played the stream to its end).

/// The length of an Ogg/Opus stream, in whole seconds (rounded to the nearest), from its last
/// page's granule position (48 kHz samples) less the pre-skip its `OpusHead` declares. `None`
/// for anything else, or a stream too damaged to tell.
pub fn ogg_opus_duration_secs(bytes: &[u8]) -> Option<u32> {
    const CAPTURE: &[u8] = b"OggS";
    if !bytes.starts_with(CAPTURE) {
        return None;
    }
    // The first page holds the identification header: "OpusHead", version, channels, then
    // the pre-skip (u16, little-endian).
    let head = find(bytes, b"OpusHead")?;
    let pre_skip = u16::from_le_bytes(bytes.get(head + 10..head + 12)?.try_into().ok()?);
    // The last page: the last "OggS" whose header is whole; its granule position is the
    // stream's end in samples at 48 kHz.
    let last = rfind(bytes, CAPTURE)?;
    let granule = u64::from_le_bytes(bytes.get(last + 6..last + 14)?.try_into().ok()?);
    if granule == u64::MAX {
        return None; // "no packet ends on this page"
    }
    let samples = granule.checked_sub(u64::from(pre_skip))?;
    u32::try_from((samples + 24_000) / 48_000).ok()
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn rfind(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).rposition(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::ogg_opus_duration_secs;

    #[test]
    fn reads_a_voice_notes_length_from_its_last_page() {
        let voice = include_bytes!("../../wa-sim/samples/voice.ogg");
        assert_eq!(ogg_opus_duration_secs(voice), Some(3));
        assert_eq!(ogg_opus_duration_secs(b"ID3 not ogg"), None);
        assert_eq!(ogg_opus_duration_secs(&voice[..40]), None, "cut short");
    }
}
