//! The EXIF orientation, read so that a picture is never sent sideways because one parser
//! disliked its metadata.
//!
//! Phone apps, editors and scripting libraries write EXIF blocks that a strict parser rejects:
//! an IFD that claims more entries than the block holds, a next-IFD pointer into nowhere, an
//! entry of an unknown type, the `Exif\0\0` prefix missing or mangled, the orientation as a
//! LONG rather than a SHORT. libvips and ImageMagick read such files upright; so does this.
//! First kamadak-exif, told to keep what it could read ([`exif::Reader::continue_on_error`]);
//! then, when even that fails, the one tag looked up in IFD0 directly.

use image::metadata::Orientation;

/// The orientation in an EXIF block (a TIFF structure, with or without the `Exif\0\0` that
/// JPEG's APP1 and some WebP writers put first). `None`: none readable, shown as stored.
pub(crate) fn from_exif(block: &[u8]) -> Option<Orientation> {
    let tiff = tiff_start(block)?;
    parsed(tiff)
        .or_else(|| in_ifd0(tiff))
        .and_then(|o| u8::try_from(o).ok())
        .and_then(Orientation::from_exif)
}

/// Where the TIFF header starts: `II*\0` or `MM\0*` within the block's first bytes (after
/// `Exif\0\0`, `Exif\0\xFF`, `Exif` alone, or nothing).
fn tiff_start(block: &[u8]) -> Option<&[u8]> {
    let head = &block[..block.len().min(16)];
    let at = head
        .windows(4)
        .position(|w| w == b"II*\0" || w == b"MM\0*")?;
    Some(&block[at..])
}

/// kamadak-exif, keeping whatever it could read.
fn parsed(tiff: &[u8]) -> Option<u32> {
    let exif = match exif::Reader::new()
        .continue_on_error(true)
        .read_raw(tiff.to_vec())
    {
        Ok(exif) => exif,
        Err(e) => e.distill_partial_result(|_| {}).ok()?,
    };
    exif.get_field(exif::Tag::Orientation, exif::In::PRIMARY)?
        .value
        .get_uint(0)
}

/// The orientation tag (0x0112) looked up in IFD0 by hand: as many entries as are in the
/// block, whatever the count says; SHORT or LONG; entries of other tags not read at all.
fn in_ifd0(tiff: &[u8]) -> Option<u32> {
    let little = tiff.starts_with(b"II");
    let u16_at = |at: usize| -> Option<u16> {
        let b: [u8; 2] = tiff.get(at..at + 2)?.try_into().ok()?;
        Some(if little {
            u16::from_le_bytes(b)
        } else {
            u16::from_be_bytes(b)
        })
    };
    let u32_at = |at: usize| -> Option<u32> {
        let b: [u8; 4] = tiff.get(at..at + 4)?.try_into().ok()?;
        Some(if little {
            u32::from_le_bytes(b)
        } else {
            u32::from_be_bytes(b)
        })
    };
    let ifd0 = usize::try_from(u32_at(4)?).ok()?;
    let count = usize::from(u16_at(ifd0)?);
    (0..count)
        .map(|i| ifd0 + 2 + i * 12)
        .take_while(|entry| entry + 12 <= tiff.len())
        .find(|&entry| u16_at(entry) == Some(0x0112))
        .and_then(|entry| match u16_at(entry + 2)? {
            // SHORT: the value sits in the first two bytes of the value field.
            3 => u16_at(entry + 8).map(u32::from),
            // LONG, as some libraries write it.
            4 => u32_at(entry + 8),
            _ => None,
        })
        .filter(|o| (1..=8).contains(o))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A little-endian TIFF block: header, IFD0 with `entries` (tag, type, count, value).
    fn tiff(entries: &[(u16, u16, u32, u32)], claimed: Option<u16>) -> Vec<u8> {
        let mut out = b"II*\0".to_vec();
        out.extend_from_slice(&8u32.to_le_bytes());
        let n = claimed.unwrap_or(entries.len() as u16);
        out.extend_from_slice(&n.to_le_bytes());
        for &(tag, kind, count, value) in entries {
            out.extend_from_slice(&tag.to_le_bytes());
            out.extend_from_slice(&kind.to_le_bytes());
            out.extend_from_slice(&count.to_le_bytes());
            out.extend_from_slice(&value.to_le_bytes());
        }
        out.extend_from_slice(&0u32.to_le_bytes());
        out
    }

    #[test]
    fn a_well_formed_block_is_read() {
        let block = [b"Exif\0\0".as_slice(), &tiff(&[(0x0112, 3, 1, 6)], None)].concat();
        assert_eq!(from_exif(&block), Some(Orientation::Rotate90));
    }

    #[test]
    fn an_ifd_claiming_more_entries_than_the_block_holds_still_gives_its_orientation() {
        let block = tiff(&[(0x0112, 3, 1, 8)], Some(40));
        assert_eq!(from_exif(&block), Some(Orientation::Rotate270));
    }

    #[test]
    fn a_long_a_missing_prefix_and_a_bad_neighbour_are_tolerated() {
        // An entry of type 0 (no such type) before the orientation, written as a LONG.
        let block = [
            b"Exif".as_slice(),
            &tiff(&[(0x010F, 0, 1, 0), (0x0112, 4, 1, 3)], None),
        ]
        .concat();
        assert_eq!(from_exif(&block), Some(Orientation::Rotate180));
    }

    #[test]
    fn nonsense_gives_none_never_a_panic() {
        assert_eq!(from_exif(b""), None);
        assert_eq!(from_exif(b"Exif\0\0II*\0\xff\xff\xff\xff"), None);
        assert_eq!(from_exif(&tiff(&[(0x0112, 3, 1, 9)], None)), None);
        assert_eq!(from_exif(&tiff(&[], Some(u16::MAX))), None);
    }
}
