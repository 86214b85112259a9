//! Decompression bombs, in their own test binary with a counting allocator. It counts every
//! thread's allocations, so its tests run one at a time (a lock) and nothing else runs here.

use std::alloc::System;

mod common;

use multiline_photo::{Options, process};
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;
static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// The pipeline's refusal of `bytes`, and how many bytes it allocated meanwhile (alone: the
/// count is every thread's).
fn refused(bytes: &[u8]) -> (multiline_photo::PhotoError, usize) {
    let _alone = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let region = Region::new(GLOBAL);
    let e = process(bytes, &Options::default(), |_| {}).unwrap_err();
    (e, region.change().bytes_allocated)
}

/// A PNG whose header says 100000 x 100000 (30 GB of pixels) followed by a little data.
fn png_bomb() -> Vec<u8> {
    let mut out = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut out, 100_000, 100_000);
        encoder.set_color(png::ColorType::Rgb);
        let mut writer = encoder.write_header().unwrap();
        // The start of a zlib stream: enough to look like pixel data follows.
        writer
            .write_chunk(
                png::chunk::IDAT,
                &[0x78, 0x9C, 0xED, 0xC1, 0x01, 0x0D, 0x00],
            )
            .unwrap();
        // Never finished: the file ends early, like a crafted bomb would.
        std::mem::forget(writer);
    }
    out
}

#[test]
fn a_decompression_bomb_is_refused_without_allocating_its_pixels() {
    let bomb = png_bomb();
    assert!(bomb.len() < 100 * 1024, "{} bytes", bomb.len());
    let (e, allocated) = refused(&bomb);
    assert_eq!(e.code().as_str(), "image_too_large", "{e}");
    assert_eq!(
        e.to_string(),
        "The picture is too large (100000x100000 pixels). Pictures up to 20000 pixels a side and 200 megapixels can be sent."
    );
    // The pixels would take 30 GB; reading the header takes a few buffers.
    assert!(allocated < 16 * 1024 * 1024, "allocated {allocated} bytes");
}

#[test]
fn a_jpeg_claiming_65000_by_65000_pixels_is_refused_from_its_header() {
    let small = image::RgbImage::from_pixel(16, 16, image::Rgb([10, 20, 30]));
    let mut jpeg = turbojpeg::compress_image(&small, 80, turbojpeg::Subsamp::Sub2x2)
        .unwrap()
        .to_vec();
    // The baseline frame header: FF C0, length, precision, then height and width.
    let sof = jpeg.windows(2).position(|w| w == [0xFF, 0xC0]).unwrap();
    jpeg[sof + 5..sof + 9].copy_from_slice(&[0xFD, 0xE8, 0xFD, 0xE8]);
    let (e, allocated) = refused(&jpeg);
    assert_eq!(e.code().as_str(), "image_too_large", "{e}");
    assert!(e.to_string().contains("65000x65000"), "{e}");
    assert!(allocated < 16 * 1024 * 1024, "allocated {allocated} bytes");
}

#[test]
fn a_webp_claiming_16383_by_16383_pixels_is_refused_from_its_header() {
    let mut webp = common::cwebp(&image::RgbImage::from_pixel(
        16,
        16,
        image::Rgb([10, 20, 30]),
    ));
    // A lossy frame's header (RFC 9649, 5.1): the start code 9D 01 2A, then 14 bits of width
    // and 14 of height, each under 2 bits of upscaling.
    let frame = webp
        .windows(3)
        .position(|w| w == [0x9D, 0x01, 0x2A])
        .unwrap()
        + 3;
    webp[frame..frame + 4].copy_from_slice(&[0xFF, 0x3F, 0xFF, 0x3F]);
    let (e, allocated) = refused(&webp);
    assert_eq!(e.code().as_str(), "image_too_large", "{e}");
    assert!(e.to_string().contains("16383x16383"), "{e}");
    assert!(allocated < 16 * 1024 * 1024, "allocated {allocated} bytes");
}

#[test]
fn a_gif_frame_claiming_more_pixels_than_its_picture_is_refused_unread() {
    let mut gif = Vec::new();
    {
        let mut encoder = gif::Encoder::new(&mut gif, 16, 16, &[0, 0, 0, 255, 255, 255]).unwrap();
        let frame = gif::Frame {
            width: 16,
            height: 16,
            buffer: vec![1; 256].into(),
            ..gif::Frame::default()
        };
        encoder.write_frame(&frame).unwrap();
    }
    // The image descriptor (2C, then left, top, width, height, little-endian): 14000 x 14000,
    // under the 200 MP limit, in a 16 x 16 picture.
    let descriptor = gif.iter().rposition(|&b| b == 0x2C).unwrap();
    gif[descriptor + 5..descriptor + 9].copy_from_slice(&[0xB0, 0x36, 0xB0, 0x36]);
    let (e, allocated) = refused(&gif);
    assert_eq!(e.code().as_str(), "corrupt_image", "{e}");
    assert!(
        e.to_string().contains("a frame larger than the picture"),
        "{e}"
    );
    assert!(allocated < 16 * 1024 * 1024, "allocated {allocated} bytes");
}
