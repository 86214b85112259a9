//! The small sample files a simulated guest sends (`crates/wa-sim/samples`, made by
//! `scripts/sample-media.sh`; see the README there): real files of each kind, a few KB each.

pub const PHOTO: &[u8] = include_bytes!("../samples/photo.jpg");
pub const VOICE: &[u8] = include_bytes!("../samples/voice.ogg");
pub const SONG: &[u8] = include_bytes!("../samples/song.mp3");
pub const CLIP: &[u8] = include_bytes!("../samples/clip.mp4");
pub const INVOICE: &[u8] = include_bytes!("../samples/invoice.pdf");
pub const STICKER: &[u8] = include_bytes!("../samples/sticker.webp");
pub const STICKER_ANIMATED: &[u8] = include_bytes!("../samples/sticker-animated.webp");
