//! Test support, not for the app: HEIC and AVIF files made by libheif's encoders (x265, aom),
//! so the tests make their pictures rather than commit them, and turned the way a phone
//! stores a photo taken sideways.
//!
//! [`encode`] adds the `irot`/`imir` boxes to the file itself, as ISO/IEC 23008-12 defines
//! them, rather than asking libheif's writer (1.15 wrote none; 1.23 can), so the reader under
//! test is not checked against the writer of the same library: `irot`
//! turns anti-clockwise by 90 degrees times its angle, then `imir` mirrors (mode 0: top and
//! bottom swap; mode 1: left and right). The item's `iloc` offsets move by the bytes added.

use image::RgbImage;
use libheif_rs::{
    Channel, ColorSpace, CompressionFormat, EncoderQuality, HeifContext, LibHeif, RgbChroma,
};

/// `image` (the pixels as stored) as HEIC (`avif`: AVIF) whose container says to show it
/// as EXIF orientation `orientation` (1-8) says, as a phone writes a photo taken sideways.
pub fn encode(image: &RgbImage, avif: bool, orientation: u8) -> Vec<u8> {
    encode_in(image, avif, orientation, None, false)
}

/// A HEIC as an iPhone writes one: the container's `irot`/`imir` for `orientation`, and an
/// EXIF block whose orientation tag says the same (for software that reads only EXIF).
pub fn encode_like_an_iphone(image: &RgbImage, orientation: u8) -> Vec<u8> {
    encode_in(image, false, orientation, None, true)
}

/// [`encode`], its colour described by nclx code points with these primaries (sRGB's transfer
/// curve), as AVIF encoders and Android phones describe Display P3.
pub fn encode_with_primaries(
    image: &RgbImage,
    avif: bool,
    primaries: libheif_rs::ColorPrimaries,
) -> Vec<u8> {
    encode_in(image, avif, 1, Some(primaries), false)
}

/// `image` as an iPhone lays a photo out: a grid of `tile` x `tile` HEVC pictures (iPhones
/// write 512), each its own bitstream, which readers decode one by one and put together. The
/// image's sides must be whole tiles.
pub fn encode_grid(image: &RgbImage, tile: u32) -> Vec<u8> {
    let (w, h) = image.dimensions();
    assert!(
        w % tile == 0 && h % tile == 0,
        "{w}x{h} is not whole {tile} px tiles"
    );
    let lib = LibHeif::new();
    let mut tiles = Vec::new();
    for top in (0..h).step_by(tile as usize) {
        for left in (0..w).step_by(tile as usize) {
            let part = image::imageops::crop_imm(image, left, top, tile, tile).to_image();
            tiles.push(heif_picture(&part));
        }
    }
    let mut context = HeifContext::new().expect("a context");
    let mut encoder = lib
        .encoder_for_format(CompressionFormat::Hevc)
        .expect("libheif's encoder");
    encoder
        .set_quality(EncoderQuality::Lossy(90))
        .expect("a quality");
    // libheif 1.23's heif_context_encode_grid takes (rows, columns) by its header and
    // (columns, rows) by its definition (heif_tiling.cc); libheif-rs passes the header's
    // order, so its `rows` is the grid's columns here (the test reads the layout back).
    let columns = std::num::NonZeroU16::new((w / tile) as u16).expect("a column of tiles");
    context
        .encode_grid(&tiles, columns, &mut encoder, None)
        .expect("encoded");
    context.write_to_bytes().expect("written")
}

/// `image` as libheif's 8-bit interleaved RGB picture.
fn heif_picture(image: &RgbImage) -> libheif_rs::Image {
    let (w, h) = image.dimensions();
    let mut picture =
        libheif_rs::Image::new(w, h, ColorSpace::Rgb(RgbChroma::Rgb)).expect("an image");
    picture
        .create_plane(Channel::Interleaved, w, h, 8)
        .expect("a plane");
    {
        let planes = picture.planes_mut();
        let plane = planes.interleaved.expect("the plane made above");
        let row = w as usize * 3;
        for (y, line) in image.as_raw().chunks(row).enumerate() {
            plane.data[y * plane.stride..y * plane.stride + row].copy_from_slice(line);
        }
    }
    picture
}

fn encode_in(
    image: &RgbImage,
    avif: bool,
    orientation: u8,
    primaries: Option<libheif_rs::ColorPrimaries>,
    with_exif: bool,
) -> Vec<u8> {
    let lib = LibHeif::new();
    let mut picture = heif_picture(image);
    if let Some(primaries) = primaries {
        let mut nclx = libheif_rs::ColorProfileNCLX::new().expect("an nclx profile");
        nclx.set_color_primaries(primaries);
        picture
            .set_color_profile_nclx(&nclx)
            .expect("the nclx profile set");
    }
    let mut context = HeifContext::new().expect("a context");
    let format = if avif {
        CompressionFormat::Av1
    } else {
        CompressionFormat::Hevc
    };
    let mut encoder = lib.encoder_for_format(format).expect("libheif's encoder");
    encoder
        .set_quality(EncoderQuality::Lossy(90))
        .expect("a quality");
    // With options, libheif writes the picture's nclx description into the file (without,
    // it writes none).
    let options = primaries.map(|_| libheif_rs::EncodingOptions::new().expect("options"));
    let handle = context
        .encode_image(&picture, &mut encoder, options)
        .expect("encoded");
    if with_exif {
        let field = exif::Field {
            tag: exif::Tag::Orientation,
            ifd_num: exif::In::PRIMARY,
            value: exif::Value::Short(vec![u16::from(orientation)]),
        };
        let mut writer = exif::experimental::Writer::new();
        writer.push_field(&field);
        let mut tiff = std::io::Cursor::new(Vec::new());
        writer.write(&mut tiff, false).expect("an EXIF block");
        context
            .add_exif_metadata(&handle, &tiff.into_inner())
            .expect("EXIF added");
    }
    let file = context.write_to_bytes().expect("written");
    // EXIF orientation as HEIF's transforms, applied in this order.
    let (irot, imir) = match orientation {
        2 => (None, Some(1)),
        3 => (Some(2), None),
        4 => (None, Some(0)),
        5 => (Some(1), Some(0)),
        6 => (Some(3), None),
        7 => (Some(3), Some(0)),
        8 => (Some(1), None),
        _ => (None, None),
    };
    with_transforms(&file, irot, imir)
}

/// A box: where it starts, where its content starts, where it ends.
#[derive(Clone, Copy)]
struct Bmff {
    start: usize,
    body: usize,
    end: usize,
}

fn u32_at(b: &[u8], at: usize) -> usize {
    u32::from_be_bytes(b[at..at + 4].try_into().expect("4 bytes")) as usize
}

/// The child box of type `kind` within `within` (from `from`, after any full-box header).
fn child(file: &[u8], from: usize, end: usize, kind: &[u8; 4]) -> Bmff {
    let mut at = from;
    while at + 8 <= end {
        let size = u32_at(file, at);
        if &file[at + 4..at + 8] == kind {
            return Bmff {
                start: at,
                body: at + 8,
                end: at + size,
            };
        }
        at += size;
    }
    panic!("no {} box", String::from_utf8_lossy(kind))
}

/// Sizes of a box whose content grew by `grew` bytes.
fn grow(file: &mut [u8], b: Bmff, grew: usize) {
    let size = (b.end - b.start + grew) as u32;
    file[b.start..b.start + 4].copy_from_slice(&size.to_be_bytes());
}

/// Adds `irot` (angle) and `imir` (mode) properties to the primary item of a HEIF file that
/// libheif wrote (one `meta` before the `mdat`).
fn with_transforms(file: &[u8], irot: Option<u8>, imir: Option<u8>) -> Vec<u8> {
    let mut added = Vec::new();
    for (kind, value) in [(b"irot", irot), (b"imir", imir)] {
        if let Some(v) = value {
            added.extend_from_slice(&9u32.to_be_bytes());
            added.extend_from_slice(kind);
            added.push(v);
        }
    }
    if added.is_empty() {
        return file.to_vec();
    }
    let count = added.len() / 9;
    let meta = child(file, 0, file.len(), b"meta");
    let inside = meta.body + 4;
    let pitm = child(file, inside, meta.end, b"pitm");
    let primary = u16::from_be_bytes([file[pitm.body + 4], file[pitm.body + 5]]);
    let iprp = child(file, inside, meta.end, b"iprp");
    let ipco = child(file, iprp.body, iprp.end, b"ipco");
    let ipma = child(file, iprp.body, iprp.end, b"ipma");
    let mut properties = 0;
    let mut at = ipco.body;
    while at < ipco.end {
        properties += 1;
        at += u32_at(file, at);
    }
    // ipma: version 0 (16-bit item ids), flags bit 0 clear (1-byte associations), as libheif
    // writes it for a few properties.
    assert_eq!(
        file[ipma.body..ipma.body + 4],
        [0, 0, 0, 0],
        "ipma v0, 1-byte"
    );
    let mut entry = ipma.body + 8;
    let insert_at = loop {
        let item = u16::from_be_bytes([file[entry], file[entry + 1]]);
        let n = usize::from(file[entry + 2]);
        if item == primary {
            break entry;
        }
        entry += 3 + n;
    };
    let associations: Vec<u8> = (0..count)
        .map(|i| 0x80 | (properties + 1 + i) as u8)
        .collect();
    let grew = added.len() + associations.len();

    let mut out = file.to_vec();
    // The file offsets of the item data (in the mdat after meta) move by `grew`.
    shift_iloc(&mut out, child(file, inside, meta.end, b"iloc"), grew);
    let n = usize::from(out[insert_at + 2]);
    out[insert_at + 2] += count as u8;
    let after_entry = insert_at + 3 + n;
    // From the back (ipma follows ipco), so that the earlier positions hold.
    out.splice(after_entry..after_entry, associations.iter().copied());
    grow(&mut out, ipma, associations.len());
    out.splice(ipco.end..ipco.end, added.iter().copied());
    grow(&mut out, ipco, added.len());
    grow(&mut out, iprp, grew);
    grow(&mut out, meta, grew);
    out
}

/// Adds `by` to every file offset in `iloc` (construction method 0).
fn shift_iloc(file: &mut [u8], iloc: Bmff, by: usize) {
    let version = file[iloc.body];
    let mut at = iloc.body + 4;
    let (offset_size, length_size) = (usize::from(file[at] >> 4), usize::from(file[at] & 15));
    let (base_size, index_size) = (
        usize::from(file[at + 1] >> 4),
        usize::from(file[at + 1] & 15),
    );
    at += 2;
    let read = |b: &[u8], at: usize, size: usize| -> usize {
        b[at..at + size]
            .iter()
            .fold(0usize, |v, &x| (v << 8) | usize::from(x))
    };
    let write = |b: &mut [u8], at: usize, size: usize, v: usize| {
        for i in 0..size {
            b[at + i] = (v >> (8 * (size - 1 - i))) as u8;
        }
    };
    let items = if version < 2 {
        at += 2;
        read(file, at - 2, 2)
    } else {
        at += 4;
        read(file, at - 4, 4)
    };
    for _ in 0..items {
        at += if version < 2 { 2 } else { 4 };
        let method = if version >= 1 {
            at += 2;
            read(file, at - 2, 2) & 15
        } else {
            0
        };
        at += 2; // data_reference_index
        let base = read(file, at, base_size);
        if method == 0 && base_size > 0 && base > 0 {
            write(file, at, base_size, base + by);
        }
        at += base_size;
        let extents = read(file, at, 2);
        at += 2;
        for _ in 0..extents {
            if version >= 1 {
                at += index_size;
            }
            if method == 0 && (base_size == 0 || base == 0) {
                let offset = read(file, at, offset_size);
                write(file, at, offset_size, offset + by);
            }
            at += offset_size + length_size;
        }
    }
}
