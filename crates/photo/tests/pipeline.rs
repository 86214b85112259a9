//! The photo pipeline on real image files made here: JPEGs with real EXIF segments, PNGs with
//! alpha, noise, damaged and hostile files.

mod common;

use common::*;
use image::{Rgb, RgbImage, Rgba, RgbaImage};
use multiline_photo::{Options, Stage, process};
use rand::{Rng, SeedableRng};

/// An EXIF APP1 segment (written by kamadak-exif) spliced in after the JPEG's SOI marker.
fn with_exif(jpeg: &[u8], fields: &[exif::Field]) -> Vec<u8> {
    let mut writer = exif::experimental::Writer::new();
    for f in fields {
        writer.push_field(f);
    }
    let mut tiff = std::io::Cursor::new(Vec::new());
    writer.write(&mut tiff, false).unwrap();
    let tiff = tiff.into_inner();
    let mut out = jpeg[..2].to_vec();
    out.extend_from_slice(&[0xFF, 0xE1]);
    out.extend_from_slice(&((tiff.len() + 8) as u16).to_be_bytes());
    out.extend_from_slice(b"Exif\0\0");
    out.extend_from_slice(&tiff);
    out.extend_from_slice(&jpeg[2..]);
    out
}

fn field(tag: exif::Tag, value: exif::Value) -> exif::Field {
    exif::Field {
        tag,
        ifd_num: exif::In::PRIMARY,
        value,
    }
}

fn orientation(o: u16) -> exif::Field {
    field(exif::Tag::Orientation, exif::Value::Short(vec![o]))
}

fn gps() -> Vec<exif::Field> {
    let r = |n, d| exif::Rational { num: n, denom: d };
    vec![
        field(
            exif::Tag::GPSLatitudeRef,
            exif::Value::Ascii(vec![b"N".to_vec()]),
        ),
        field(
            exif::Tag::GPSLatitude,
            exif::Value::Rational(vec![r(38, 1), r(53, 1), r(2351, 100)]),
        ),
        field(
            exif::Tag::GPSLongitudeRef,
            exif::Value::Ascii(vec![b"W".to_vec()]),
        ),
        field(
            exif::Tag::GPSLongitude,
            exif::Value::Rational(vec![r(77, 1), r(2, 1), r(1234, 100)]),
        ),
        field(
            exif::Tag::Make,
            exif::Value::Ascii(vec![b"PhoneMaker".to_vec()]),
        ),
        field(
            exif::Tag::DateTimeOriginal,
            exif::Value::Ascii(vec![b"2026:11:20 09:41:00".to_vec()]),
        ),
    ]
}

#[test]
fn every_exif_orientation_comes_out_upright() {
    // A landscape scene larger than the bound, so the resize and the rotation both happen.
    let (w, h) = (2000, 1200);
    for o in 1..=8 {
        let input = with_exif(&jpeg(&stored(o, w, h), 90), &[orientation(o)]);
        let photo = run(&input).unwrap();
        assert_eq!(
            (photo.image.width, photo.image.height),
            (1600, 960),
            "orientation {o}"
        );
        let out = decode(&photo.image.bytes);
        for (x, y) in [(400, 240), (1200, 240), (400, 720), (1200, 720)] {
            let expected = upright_colour(x, y, 1600, 960);
            assert!(
                near(out.get_pixel(x, y), expected),
                "orientation {o}: pixel ({x}, {y}) is {:?}, expected {expected:?}",
                out.get_pixel(x, y)
            );
        }
        let thumb = decode(&photo.thumbnail.bytes);
        assert_eq!(thumb.dimensions(), (320, 192), "orientation {o}");
        assert!(
            near(thumb.get_pixel(80, 48), RED),
            "thumbnail, orientation {o}"
        );
    }
}

#[test]
fn gps_and_all_other_metadata_are_dropped() {
    let mut fields = gps();
    fields.push(orientation(1));
    let input = with_exif(&jpeg(&stored(1, 800, 600), 90), &fields);
    // The input really carries them.
    let exif = exif::Reader::new()
        .read_from_container(&mut std::io::Cursor::new(&input))
        .unwrap();
    assert!(
        exif.get_field(exif::Tag::GPSLatitude, exif::In::PRIMARY)
            .is_some()
    );

    let photo = run(&input).unwrap();
    for bytes in [&photo.image.bytes, &photo.thumbnail.bytes] {
        assert!(matches!(
            exif::Reader::new().read_from_container(&mut std::io::Cursor::new(bytes)),
            Err(exif::Error::NotFound(_))
        ));
        // No APP1 (EXIF, XMP) or APP2 (ICC) segment, no comment: only JFIF is written.
        for marker in [[0xFF, 0xE1], [0xFF, 0xE2], [0xFF, 0xFE]] {
            assert!(!bytes.windows(2).any(|w| w == marker), "{marker:02X?}");
        }
        assert!(!bytes.windows(4).any(|w| w == b"Exif"));
        assert!(!bytes.windows(10).any(|w| w == b"PhoneMaker"));
    }
}

#[test]
fn the_long_edge_is_bounded_and_small_pictures_are_not_enlarged() {
    let portrait = run(&jpeg(&stored(1, 3000, 4000), 85)).unwrap();
    assert_eq!((portrait.image.width, portrait.image.height), (1200, 1600));
    assert_eq!(decode(&portrait.image.bytes).dimensions(), (1200, 1600));

    let small = run(&jpeg(&stored(1, 640, 480), 85)).unwrap();
    assert_eq!((small.image.width, small.image.height), (640, 480));
    assert_eq!((small.thumbnail.width, small.thumbnail.height), (320, 240));
}

fn noise(w: u32, h: u32, seed: u64) -> RgbImage {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let mut buf = vec![0u8; w as usize * h as usize * 3];
    rng.fill(&mut buf[..]);
    RgbImage::from_raw(w, h, buf).unwrap()
}

/// A gradient under strong grain, like a photo taken in the dark at high ISO.
fn grainy(w: u32, h: u32, seed: u64) -> RgbImage {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    RgbImage::from_fn(w, h, |x, y| {
        let base = [(x * 255 / w) as i32, (y * 255 / h) as i32, 128];
        Rgb(base.map(|b| (b + rng.random_range(-60..=60)).clamp(0, 255) as u8))
    })
}

#[test]
fn a_noisy_50_megapixel_photo_comes_out_under_the_cloud_api_limit() {
    // 8660 x 5774 = 50.0 MP of heavy grain at quality 92: a very large camera file.
    let input = jpeg(&grainy(8660, 5774, 7), 92);
    assert!(input.len() > 20 * 1024 * 1024, "{} bytes", input.len());
    let photo = run(&input).unwrap();
    assert_eq!((photo.image.width, photo.image.height), (1600, 1067));
    assert!(photo.image.bytes.len() <= multiline_photo::CLOUD_API_IMAGE_LIMIT);
}

#[test]
fn quality_then_size_step_down_until_the_picture_fits() {
    let input = jpeg(&noise(2400, 1600, 9), 95);
    let options = Options {
        max_output_bytes: 200 * 1024,
        ..Options::default()
    };
    let photo = process(&input, &options, |_| {}).unwrap();
    assert!(photo.image.bytes.len() <= 200 * 1024, "{:?}", photo.image);
    // Quality alone could not get noise there: the picture was made smaller too.
    assert!(photo.image.width < 1600, "{:?}", photo.image);
    assert_eq!(
        decode(&photo.image.bytes).dimensions(),
        (photo.image.width, photo.image.height)
    );
}

#[test]
fn png_transparency_is_laid_over_white() {
    let png = RgbaImage::from_fn(200, 100, |x, _| match x {
        0..50 => Rgba([0, 0, 0, 0]),        // transparent: white
        50..100 => Rgba([255, 0, 0, 128]),  // half-transparent red: pink
        100..150 => Rgba([0, 0, 255, 255]), // opaque blue
        _ => Rgba([0, 0, 0, 255]),          // opaque black
    });
    let mut bytes = Vec::new();
    png.write_to(
        &mut std::io::Cursor::new(&mut bytes),
        image::ImageFormat::Png,
    )
    .unwrap();
    let photo = run(&bytes).unwrap();
    let out = decode(&photo.image.bytes);
    for (x, expected) in [
        (25, [255, 255, 255]),
        (75, [255, 127, 127]),
        (125, [0, 0, 255]),
        (175, [0, 0, 0]),
    ] {
        assert!(
            near(out.get_pixel(x, 50), expected),
            "x {x}: {:?}, expected {expected:?}",
            out.get_pixel(x, 50)
        );
    }
}

#[test]
fn webp_is_accepted() {
    let mut bytes = Vec::new();
    stored(1, 300, 200)
        .write_to(
            &mut std::io::Cursor::new(&mut bytes),
            image::ImageFormat::WebP,
        )
        .unwrap();
    let photo = run(&bytes).unwrap();
    assert_eq!((photo.image.width, photo.image.height), (300, 200));
}

#[test]
fn damaged_and_truncated_files_are_refused_clearly() {
    let good = jpeg(&noise(800, 600, 3), 90);
    let truncated = &good[..good.len() / 2];
    let e = run(truncated).unwrap_err();
    assert_eq!(e.code().as_str(), "corrupt_image", "{e}");
    assert!(
        e.to_string()
            .starts_with("The picture is damaged or incomplete")
    );

    // A JPEG whose entropy-coded data is garbage.
    let mut garbled = good.clone();
    let start = garbled.len() / 3;
    for b in &mut garbled[start..start + 4000] {
        *b = 0xFF;
    }
    let e = run(&garbled).unwrap_err();
    assert_eq!(e.code().as_str(), "corrupt_image", "{e}");

    let mut png = Vec::new();
    stored(1, 300, 200)
        .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .unwrap();
    let e = run(&png[..png.len() - 40]).unwrap_err();
    assert_eq!(e.code().as_str(), "corrupt_image", "{e}");

    // A lossy WebP cut short, and one whose frame header is damaged (its start code). Garbage
    // inside a lossy bitstream decodes to garbage pixels in every decoder: VP8 has no check.
    let webp = cwebp(&noise(800, 600, 4));
    let e = run(&webp[..webp.len() / 2]).unwrap_err();
    assert_eq!(e.code().as_str(), "corrupt_image", "{e}");
    let mut damaged = webp.clone();
    let frame = damaged
        .windows(3)
        .position(|w| w == [0x9D, 0x01, 0x2A])
        .unwrap();
    damaged[frame] = 0;
    let e = run(&damaged).unwrap_err();
    assert_eq!(e.code().as_str(), "corrupt_image", "{e}");

    // Only the signature.
    let e = run(&good[..3]).unwrap_err();
    assert_eq!(e.code().as_str(), "corrupt_image", "{e}");
}

#[test]
fn other_files_are_refused_by_what_they_are_not_by_their_name() {
    let e = run(b"%PDF-1.7\n%\xE2\xE3\xCF\xD3\n1 0 obj").unwrap_err();
    assert_eq!(e.code().as_str(), "unsupported_image");
    assert_eq!(
        e.to_string(),
        "This file is not a picture that can be sent. Use a photo: JPEG, PNG, HEIC, WebP or GIF."
    );
    let e = run(b"II*\0\x08\0\0\0\0\0").unwrap_err();
    assert_eq!(
        e.to_string(),
        "TIFF pictures can't be sent. Use a photo: JPEG, PNG, HEIC, WebP or GIF."
    );
    assert_eq!(run(&[]).unwrap_err().code().as_str(), "unsupported_image");
}

#[test]
fn the_connector_takes_only_what_the_cloud_api_takes() {
    // `sniff`, for uploads: HEIC and GIF are the app's to convert.
    let e = multiline_photo::sniff(b"\0\0\0\x18ftypheic\0\0\0\0mif1heic").unwrap_err();
    assert_eq!(e.code().as_str(), "unsupported_image");
    assert!(
        e.to_string().starts_with("HEIC pictures are converted"),
        "{e}"
    );
    let e = multiline_photo::sniff(b"GIF89a\x01\x00\x01\x00\x00\x00\x00").unwrap_err();
    assert!(
        e.to_string().starts_with("GIF pictures are converted"),
        "{e}"
    );
    assert_eq!(
        multiline_photo::sniff(&jpeg(&stored(1, 16, 16), 80)).unwrap(),
        image::ImageFormat::Jpeg
    );
}

#[test]
fn a_file_over_the_input_limit_is_refused_unread() {
    let options = Options {
        limits: multiline_photo::Limits {
            max_input_bytes: 1024 * 1024,
            ..Default::default()
        },
        ..Options::default()
    };
    let e = process(&vec![0xFF; 3 * 1024 * 1024], &options, |_| {}).unwrap_err();
    assert_eq!(e.code().as_str(), "image_file_too_large");
    assert_eq!(
        e.to_string(),
        "The file is too large (3 MB). Pictures up to 1 MB can be sent."
    );
}

#[test]
fn progress_is_reported_in_order() {
    let mut stages = Vec::new();
    process(&jpeg(&stored(1, 400, 300), 85), &Options::default(), |s| {
        stages.push(s)
    })
    .unwrap();
    assert_eq!(
        stages,
        [
            Stage::Decoding,
            Stage::Resizing,
            Stage::Encoding,
            Stage::Done
        ]
    );
    assert!(stages.windows(2).all(|w| w[0].fraction() < w[1].fraction()));
}

#[test]
fn a_header_is_inspected_without_decoding() {
    let header =
        multiline_photo::inspect(&jpeg(&stored(1, 640, 480), 85), &Default::default()).unwrap();
    assert_eq!((header.width, header.height), (640, 480));
    assert_eq!(header.mime_type(), "image/jpeg");
    let e = multiline_photo::inspect(b"plain text", &Default::default()).unwrap_err();
    assert_eq!(e.code().as_str(), "unsupported_image");
    let good = jpeg(&stored(1, 64, 64), 85);
    let e = multiline_photo::inspect(&good[..20], &Default::default()).unwrap_err();
    assert_eq!(e.code().as_str(), "corrupt_image");
}
