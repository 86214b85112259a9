//! Every common picture format in, an upright sRGB JPEG of pixels alone out (issue 18).
//!
//! The corpus is made here, by each format's own encoder (libjpeg-turbo, the `image` crate,
//! the `png` crate, libheif with x265 and aom), with the metadata added the ways the tools
//! that write it do: EXIF orientation as kamadak-exif writes it, big-endian with a LONG, in an
//! IFD that claims more entries than it has, after an entry whose value lies past the end,, after an XMP
//! segment, under a mangled `Exif` prefix; in a PNG's `eXIf` chunk and a WebP's `EXIF` chunk;
//! HEIF's own `irot`/`imir`. Each output is checked by where the scene's four coloured
//! quadrants land in its pixels (not by its dimensions alone) and by its segments.

mod common;

use common::*;
use image::{DynamicImage, Rgb, RgbImage};
use img_parts::jpeg::{Jpeg, JpegSegment, markers};
use img_parts::{ImageEXIF, ImageICC};
use multiline_photo::PhotoError;
use multiline_photo::heif_testing as heif;

/// The scene's size: small, so the corpus is quick to make; wider than tall, so a picture
/// left on its side shows.
const W: u32 = 480;
const H: u32 = 320;

/// Runs the pipeline and checks the output: upright, clean, the scene's size.
fn check(bytes: &[u8], gray: bool, label: &str) {
    let photo = run(bytes).unwrap_or_else(|e| panic!("{label}: refused: {e}"));
    assert_clean_jpeg(&photo.image.bytes, label);
    let out = decode(&photo.image.bytes);
    assert_eq!(out.dimensions(), (W, H), "{label}");
    assert_upright(&out, gray, label);
    assert_clean_jpeg(&photo.thumbnail.bytes, &format!("{label} (thumbnail)"));
}

// --- EXIF, as different tools write it ------------------------------------------------------

/// A TIFF structure (an EXIF block without its `Exif\0\0`) holding orientation `o`.
#[derive(Debug, Clone, Copy)]
enum ExifWriter {
    /// kamadak-exif's writer: well formed.
    Kamadak,
    /// Motorola byte order, the orientation as a LONG, a next-IFD pointer into nowhere.
    BigEndianLong,
    /// An IFD whose count says 300 entries where the block holds one.
    OverCounted,
    /// An entry whose value lies past the block's end (a Make string pointing nowhere)
    /// before the orientation.
    DanglingValueFirst,
}

const WRITERS: [ExifWriter; 4] = [
    ExifWriter::Kamadak,
    ExifWriter::BigEndianLong,
    ExifWriter::OverCounted,
    ExifWriter::DanglingValueFirst,
];

fn exif_block(writer: ExifWriter, o: u16) -> Vec<u8> {
    let entry = |little: bool, tag: u16, kind: u16, value: u32| -> Vec<u8> {
        let (t, k, c) = (tag, kind, 1u32);
        if little {
            [
                t.to_le_bytes().as_slice(),
                &k.to_le_bytes(),
                &c.to_le_bytes(),
                &value.to_le_bytes(),
            ]
            .concat()
        } else {
            // A SHORT sits in the value field's first two bytes.
            let v = if kind == 3 {
                [(value as u16).to_be_bytes().as_slice(), &[0, 0]].concat()
            } else {
                value.to_be_bytes().to_vec()
            };
            [
                t.to_be_bytes().as_slice(),
                &k.to_be_bytes(),
                &c.to_be_bytes(),
                &v,
            ]
            .concat()
        }
    };
    match writer {
        ExifWriter::Kamadak => {
            let field = exif::Field {
                tag: exif::Tag::Orientation,
                ifd_num: exif::In::PRIMARY,
                value: exif::Value::Short(vec![o]),
            };
            let mut w = exif::experimental::Writer::new();
            w.push_field(&field);
            let mut out = std::io::Cursor::new(Vec::new());
            w.write(&mut out, false).unwrap();
            out.into_inner()
        }
        ExifWriter::BigEndianLong => [
            b"MM\0*".as_slice(),
            &8u32.to_be_bytes(),
            &1u16.to_be_bytes(),
            &entry(false, 0x0112, 4, u32::from(o)),
            &0xFFFF_FF00u32.to_be_bytes(),
        ]
        .concat(),
        ExifWriter::OverCounted => [
            b"II*\0".as_slice(),
            &8u32.to_le_bytes(),
            &300u16.to_le_bytes(),
            &entry(true, 0x0112, 3, u32::from(o)),
        ]
        .concat(),
        ExifWriter::DanglingValueFirst => [
            b"II*\0".as_slice(),
            &8u32.to_le_bytes(),
            &2u16.to_le_bytes(),
            &ascii_past_the_end(),
            &entry(true, 0x0112, 3, u32::from(o)),
            &0u32.to_le_bytes(),
        ]
        .concat(),
    }
}

/// A Make entry (little-endian): 64 ASCII bytes at offset 0xFFF0, far past any block's end.
fn ascii_past_the_end() -> Vec<u8> {
    [
        0x010Fu16.to_le_bytes().as_slice(),
        &2u16.to_le_bytes(),
        &64u32.to_le_bytes(),
        &0xFFF0u32.to_le_bytes(),
    ]
    .concat()
}

/// `jpeg` with `segments` (marker, contents) inserted after SOI, in order.
fn with_segments(jpeg: &[u8], segments: &[(u8, Vec<u8>)]) -> Vec<u8> {
    let mut parsed = Jpeg::from_bytes(jpeg.to_vec().into()).unwrap();
    for (i, (marker, contents)) in segments.iter().enumerate() {
        parsed.segments_mut().insert(
            i,
            JpegSegment::new_with_contents(*marker, contents.clone().into()),
        );
    }
    parsed.encoder().bytes().to_vec()
}

fn xmp() -> Vec<u8> {
    let mut xmp = b"http://ns.adobe.com/xap/1.0/\0".to_vec();
    xmp.extend_from_slice(b"<x:xmpmeta xmlns:x='adobe:ns:meta/'><rdf:RDF/></x:xmpmeta>");
    xmp
}

#[test]
fn the_strict_parser_refuses_some_of_these_blocks() {
    // What made pictures go out sideways: kamadak-exif alone rejects them.
    for writer in [ExifWriter::OverCounted, ExifWriter::DanglingValueFirst] {
        let block = exif_block(writer, 6);
        assert!(
            exif::Reader::new().read_raw(block).is_err(),
            "{writer:?} should be one a strict parser rejects"
        );
    }
}

#[test]
fn jpeg_exif_written_by_any_tool_in_all_8_orientations_comes_out_upright() {
    for writer in WRITERS {
        for o in 1..=8 {
            let stored = jpeg(&stored(o, W, H), 92);
            let block = exif_block(writer, o);
            let input = with_segments(
                &stored,
                &[(markers::APP1, [b"Exif\0\0".as_slice(), &block].concat())],
            );
            check(&input, false, &format!("{writer:?}, orientation {o}"));
        }
    }
    // After an XMP segment, and under a prefix missing its padding.
    for o in [3, 6, 8] {
        let stored = jpeg(&stored(o, W, H), 92);
        let block = exif_block(ExifWriter::Kamadak, o);
        let after_xmp = with_segments(
            &stored,
            &[
                (markers::APP1, xmp()),
                (markers::APP1, [b"Exif\0\0".as_slice(), &block].concat()),
            ],
        );
        check(&after_xmp, false, &format!("after XMP, orientation {o}"));
        let mangled = with_segments(
            &stored,
            &[(markers::APP1, [b"Exif".as_slice(), &block].concat())],
        );
        check(&mangled, false, &format!("prefix 'Exif', orientation {o}"));
    }
}

fn png_bytes(image: &DynamicImage) -> Vec<u8> {
    let mut out = Vec::new();
    image
        .write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png)
        .unwrap();
    out
}

fn webp_bytes(image: &RgbImage) -> Vec<u8> {
    let mut out = Vec::new();
    // The `image` crate writes lossless WebP.
    DynamicImage::ImageRgb8(image.clone())
        .write_to(
            &mut std::io::Cursor::new(&mut out),
            image::ImageFormat::WebP,
        )
        .unwrap();
    out
}

#[test]
fn png_and_webp_exif_in_all_8_orientations_comes_out_upright() {
    for o in 1..=8 {
        for writer in [ExifWriter::Kamadak, ExifWriter::OverCounted] {
            let block = exif_block(writer, o);
            let mut png = img_parts::png::Png::from_bytes(
                png_bytes(&DynamicImage::ImageRgb8(stored(o, W, H))).into(),
            )
            .unwrap();
            png.set_exif(Some(block.clone().into()));
            check(
                &png.encoder().bytes(),
                false,
                &format!("PNG eXIf {writer:?}, orientation {o}"),
            );
            let mut webp =
                img_parts::webp::WebP::from_bytes(webp_bytes(&stored(o, W, H)).into()).unwrap();
            webp.set_exif(Some(block.into()));
            check(
                &webp.encoder().bytes(),
                false,
                &format!("WebP EXIF {writer:?}, orientation {o}"),
            );
        }
    }
}

// --- JPEG's variants -------------------------------------------------------------------------

fn compressor(quality: i32, subsamp: turbojpeg::Subsamp) -> turbojpeg::Compressor {
    let mut c = turbojpeg::Compressor::new().unwrap();
    c.set_quality(quality).unwrap();
    c.set_subsamp(subsamp).unwrap();
    c
}

fn compress(
    c: &mut turbojpeg::Compressor,
    pixels: &[u8],
    format: turbojpeg::PixelFormat,
) -> Vec<u8> {
    let channels = format.size();
    c.compress_to_vec(turbojpeg::Image {
        pixels,
        width: W as usize,
        pitch: W as usize * channels,
        height: H as usize,
        format,
    })
    .unwrap()
}

/// The scene as CMYK, `inverted` as Adobe's applications store it (255: no ink).
fn cmyk(inverted: bool) -> Vec<u8> {
    let scene = stored(1, W, H);
    let mut out = Vec::with_capacity(scene.len() / 3 * 4);
    for Rgb([r, g, b]) in scene.pixels().copied() {
        // Black takes what the three share; the inks the rest (as ink-left-out values).
        let max = r.max(g).max(b).max(1);
        let scale = |v: u8| ((u32::from(v) * 255 + u32::from(max) / 2) / u32::from(max)) as u8;
        let left_out = [scale(r), scale(g), scale(b), max];
        out.extend(left_out.map(|v| if inverted { v } else { 255 - v }));
    }
    out
}

#[test]
fn every_kind_of_jpeg_is_read() {
    use turbojpeg::{Colorspace, PixelFormat, Subsamp};
    let scene = stored(1, W, H);
    let mut cases: Vec<(&str, Vec<u8>, bool)> = Vec::new();

    let mut c = compressor(90, Subsamp::Sub2x2);
    cases.push((
        "baseline 4:2:0",
        compress(&mut c, &scene, PixelFormat::RGB),
        false,
    ));
    let mut c = compressor(90, Subsamp::None);
    cases.push((
        "baseline 4:4:4",
        compress(&mut c, &scene, PixelFormat::RGB),
        false,
    ));
    let mut c = compressor(90, Subsamp::Sub2x2);
    c.set_progressive(true).unwrap();
    cases.push((
        "progressive",
        compress(&mut c, &scene, PixelFormat::RGB),
        false,
    ));
    let mut c = compressor(90, Subsamp::Sub2x2);
    c.set_arithmetic(true).unwrap();
    cases.push((
        "arithmetic",
        compress(&mut c, &scene, PixelFormat::RGB),
        false,
    ));
    let mut c = compressor(90, Subsamp::Sub2x2);
    c.set_arithmetic(true).unwrap();
    c.set_progressive(true).unwrap();
    cases.push((
        "progressive arithmetic",
        compress(&mut c, &scene, PixelFormat::RGB),
        false,
    ));
    let mut c = compressor(90, Subsamp::Gray);
    cases.push((
        "grayscale",
        compress(&mut c, &scene, PixelFormat::RGB),
        true,
    ));

    // CMYK and YCCK as Photoshop writes them: an Adobe APP14 marker (libjpeg-turbo writes
    // one for both), the values inverted.
    let mut c = compressor(95, Subsamp::None);
    c.set_colorspace(Colorspace::CMYK).unwrap();
    let adobe_cmyk = compress(&mut c, &cmyk(true), PixelFormat::CMYK);
    let mut c = compressor(95, Subsamp::None);
    c.set_colorspace(Colorspace::YCCK).unwrap();
    let adobe_ycck = compress(&mut c, &cmyk(true), PixelFormat::CMYK);
    // Plain CMYK: no Adobe marker, the values as ink.
    let mut c = compressor(95, Subsamp::None);
    c.set_colorspace(Colorspace::CMYK).unwrap();
    let mut plain =
        Jpeg::from_bytes(compress(&mut c, &cmyk(false), PixelFormat::CMYK).into()).unwrap();
    plain.remove_segments_by_marker(markers::APP14);
    for (label, bytes) in [("Adobe CMYK", &adobe_cmyk), ("Adobe YCCK", &adobe_ycck)] {
        let header = turbojpeg::read_header(bytes).unwrap();
        assert!(
            matches!(header.colorspace, Colorspace::CMYK | Colorspace::YCCK),
            "{label}"
        );
        assert!(bytes.windows(5).any(|w| w == b"Adobe"), "{label}");
    }
    cases.push(("Adobe CMYK", adobe_cmyk, false));
    cases.push(("Adobe YCCK", adobe_ycck, false));
    cases.push(("plain CMYK", plain.encoder().bytes().to_vec(), false));

    for (label, bytes, gray) in cases {
        check(&bytes, gray, label);
        // Meta takes 8-bit RGB images: a grayscale photo goes out as YCbCr too.
        let out = run(&bytes).unwrap().image.bytes;
        let colorspace = turbojpeg::read_header(&out).unwrap().colorspace;
        assert_eq!(colorspace, turbojpeg::Colorspace::YCbCr, "{label}");
    }
}

// --- PNG, WebP, GIF ----------------------------------------------------------------------------

#[test]
fn png_of_every_depth_and_palette_webp_and_gif_are_read() {
    let scene = stored(1, W, H);
    let mut cases: Vec<(&str, Vec<u8>)> = vec![
        (
            "PNG RGB 8-bit",
            png_bytes(&DynamicImage::ImageRgb8(scene.clone())),
        ),
        (
            "PNG RGB 16-bit",
            png_bytes(&DynamicImage::ImageRgb16(
                DynamicImage::ImageRgb8(scene.clone()).into_rgb16(),
            )),
        ),
        (
            "PNG RGBA 16-bit",
            png_bytes(&DynamicImage::ImageRgba16(
                DynamicImage::ImageRgb8(scene.clone()).into_rgba16(),
            )),
        ),
        ("WebP lossless", webp_bytes(&scene)),
    ];

    // A palette PNG: the four colours, indexed.
    let palette = [RED, GREEN, BLUE, WHITE];
    let indices: Vec<u8> = scene
        .pixels()
        .map(|p| palette.iter().position(|c| *c == p.0).unwrap() as u8)
        .collect();
    let mut indexed = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut indexed, W, H);
        encoder.set_color(png::ColorType::Indexed);
        encoder.set_depth(png::BitDepth::Eight);
        encoder.set_palette(palette.concat());
        let mut writer = encoder.write_header().unwrap();
        writer.write_image_data(&indices).unwrap();
    }
    cases.push(("PNG palette", indexed));

    // An animated GIF: the first frame is the picture; the second (the scene upside down)
    // must not be what is sent.
    let mut gif = Vec::new();
    {
        let rgba = |image: RgbImage| DynamicImage::ImageRgb8(image).into_rgba8();
        let mut encoder = image::codecs::gif::GifEncoder::new(&mut gif);
        encoder
            .encode_frames([
                image::Frame::new(rgba(scene.clone())),
                image::Frame::new(rgba(stored(3, W, H))),
            ])
            .unwrap();
    }
    cases.push(("animated GIF", gif));

    for (label, bytes) in cases {
        check(&bytes, false, label);
    }
}

#[test]
fn lossy_and_animated_webp_as_libwebp_writes_them_are_read() {
    let dir = tempfile::tempdir().unwrap();
    for (o, name) in [(1, "upright.png"), (3, "upside-down.png")] {
        DynamicImage::ImageRgb8(stored(o, W, H))
            .save(dir.path().join(name))
            .unwrap();
    }
    let lossy = libwebp_tool(dir.path(), "cwebp", &["-quiet", "-q", "85", "upright.png"]);
    assert_eq!(&lossy[12..16], b"VP8 ", "a lossy WebP");
    check(&lossy, false, "lossy WebP");
    // Two frames, the second upside down: the first is the picture.
    let animated = libwebp_tool(
        dir.path(),
        "img2webp",
        &["-lossy", "-q", "85", "upright.png", "upside-down.png"],
    );
    assert!(
        animated.windows(4).any(|w| w == b"ANMF"),
        "an animated WebP"
    );
    check(&animated, false, "animated WebP");
}

/// A lossy WebP larger than the output is decoded straight at the output's size (libwebp's
/// scaled decode): still upright in every orientation, the right size, and a transparent part
/// laid over white.
#[test]
fn a_large_lossy_webp_is_decoded_at_its_output_size_upright_in_every_orientation() {
    let dir = tempfile::tempdir().unwrap();
    let (w, h) = (3600, 2400);
    for o in 1..=8 {
        DynamicImage::ImageRgb8(stored(o, w, h))
            .save(dir.path().join("stored.png"))
            .unwrap();
        let lossy = libwebp_tool(dir.path(), "cwebp", &["-quiet", "-q", "85", "stored.png"]);
        let mut webp = img_parts::webp::WebP::from_bytes(lossy.into()).unwrap();
        webp.set_exif(Some(exif_block(ExifWriter::Kamadak, o).into()));
        let label = format!("lossy WebP {w}x{h}, orientation {o}");
        let photo = run(&webp.encoder().bytes()).unwrap_or_else(|e| panic!("{label}: {e}"));
        assert_clean_jpeg(&photo.image.bytes, &label);
        let out = decode(&photo.image.bytes);
        assert_eq!(out.dimensions(), (1600, 1067), "{label}");
        assert_upright(&out, false, &label);
    }

    // The left half transparent, the right half opaque blue.
    let rgba = image::RgbaImage::from_fn(w, h, |x, _| {
        if x < w / 2 {
            image::Rgba([0, 0, 0, 0])
        } else {
            image::Rgba([30, 30, 220, 255])
        }
    });
    DynamicImage::ImageRgba8(rgba)
        .save(dir.path().join("alpha.png"))
        .unwrap();
    let lossy = libwebp_tool(dir.path(), "cwebp", &["-quiet", "-q", "85", "alpha.png"]);
    let out = decode(&run(&lossy).unwrap().image.bytes);
    assert_eq!(out.dimensions(), (1600, 1067));
    for (x, expected) in [(400, [255, 255, 255]), (1200, BLUE)] {
        assert!(
            near(out.get_pixel(x, 533), expected),
            "lossy WebP with alpha at x {x}: {:?}, expected {expected:?}",
            out.get_pixel(x, 533)
        );
    }
}

#[test]
fn a_large_progressive_jpeg_is_decoded_at_half_size_upright_in_every_orientation() {
    // 3600 x 2400: decoded at 1/2 (crates/photo/src/progressive.rs keeps only the
    // coefficients that size shows), then resized to 1600.
    let (w, h) = (3600, 2400);
    // libjpeg-turbo's baseline file made progressive without loss (jpegtran's way).
    let progressive = |image: &RgbImage, subsamp| {
        let baseline = turbojpeg::compress_image(image, 85, subsamp).unwrap();
        let mut lossless = turbojpeg::Transform::default();
        lossless.progressive = true;
        turbojpeg::transform(&lossless, &baseline).unwrap().to_vec()
    };
    let with_exif = |jpeg: &[u8], o: u16| {
        let block = exif_block(ExifWriter::Kamadak, o);
        with_segments(
            jpeg,
            &[(markers::APP1, [b"Exif\0\0".as_slice(), &block].concat())],
        )
    };
    let cases = (1..=8)
        .map(|o| (o, turbojpeg::Subsamp::Sub2x2, "4:2:0"))
        .chain([
            (6, turbojpeg::Subsamp::None, "4:4:4"),
            (8, turbojpeg::Subsamp::Sub2x1, "4:2:2"),
            (3, turbojpeg::Subsamp::Gray, "grey"),
        ]);
    for (o, subsamp, name) in cases {
        let input = with_exif(&progressive(&stored(o, w, h), subsamp), o);
        let label = format!("progressive {name} {w}x{h}, orientation {o}");
        let photo = run(&input).unwrap_or_else(|e| panic!("{label}: {e}"));
        assert_clean_jpeg(&photo.image.bytes, &label);
        let out = decode(&photo.image.bytes);
        assert_eq!(out.dimensions(), (1600, 1067), "{label}");
        assert_upright(&out, subsamp == turbojpeg::Subsamp::Gray, &label);
    }
    // Cut short, it is refused as before, not sent with a grey bottom.
    let whole = progressive(&stored(1, w, h), turbojpeg::Subsamp::Sub2x2);
    for cut in [whole.len() / 3, whole.len() - 100, whole.len() - 2] {
        assert!(
            matches!(run(&whole[..cut]), Err(PhotoError::Corrupt(_))),
            "cut at {cut} of {}",
            whole.len()
        );
    }
}

// --- Colour --------------------------------------------------------------------------------------

/// sRGB's transfer curve, as an ICC parametric curve (type 4).
fn srgb_curve() -> lcms2::ToneCurve {
    lcms2::ToneCurve::new_parametric(4, &[2.4, 1.0 / 1.055, 0.055 / 1.055, 1.0 / 12.92, 0.04045])
        .unwrap()
}

/// Display P3 (Apple's: P3 primaries, D65, sRGB's curve), built from its definition.
fn display_p3() -> Vec<u8> {
    let xyy = |x, y| lcms2::CIExyY { x, y, Y: 1.0 };
    let curve = srgb_curve();
    lcms2::Profile::new_rgb(
        &xyy(0.3127, 0.3290),
        &lcms2::CIExyYTRIPLE {
            Red: xyy(0.680, 0.320),
            Green: xyy(0.265, 0.690),
            Blue: xyy(0.150, 0.060),
        },
        &[&curve, &curve, &curve],
    )
    .unwrap()
    .icc()
    .unwrap()
}

/// Two patches, their Display P3 values and what those are in sRGB: through the published
/// P3-to-sRGB matrix (linear light, D65; the second clips in red), not the code under test.
const P3_PATCHES: [([u8; 3], [u8; 3]); 2] = [
    ([200, 60, 160], [217, 42, 164]),
    ([60, 160, 200], [0, 163, 204]),
];

/// The two patches side by side, as P3 pixel values.
fn p3_scene() -> RgbImage {
    RgbImage::from_fn(W, H, |x, _| Rgb(P3_PATCHES[usize::from(x >= W / 2)].0))
}

/// The pipeline's output of a P3 picture has the patches' sRGB values (within `tolerance`),
/// not their P3 values taken as sRGB.
fn assert_converted_from_p3(bytes: &[u8], tolerance: u8, label: &str) {
    let photo = run(bytes).unwrap();
    assert_clean_jpeg(&photo.image.bytes, label);
    let out = decode(&photo.image.bytes);
    let off = |a: [u8; 3], b: [u8; 3]| a.iter().zip(b).map(|(a, b)| a.abs_diff(b)).max();
    for (i, (p3, srgb)) in P3_PATCHES.iter().enumerate() {
        let got = out.get_pixel(W / 4 + i as u32 * W / 2, H / 2).0;
        assert!(
            off(got, *srgb) <= Some(tolerance),
            "{label}: P3 {p3:?} came out {got:?}, sRGB is {srgb:?}"
        );
        assert!(
            off(got, *p3) >= Some(15),
            "{label}: {p3:?} was left as it was"
        );
    }
}

#[test]
fn a_display_p3_photo_is_converted_to_srgb_not_washed_out() {
    let image = p3_scene();
    let mut c = compressor(95, turbojpeg::Subsamp::None);
    let mut jpeg =
        Jpeg::from_bytes(compress(&mut c, &image, turbojpeg::PixelFormat::RGB).into()).unwrap();
    jpeg.set_icc_profile(Some(display_p3().into()));
    assert_converted_from_p3(&jpeg.encoder().bytes(), 5, "JPEG");
    let mut png =
        img_parts::png::Png::from_bytes(png_bytes(&DynamicImage::ImageRgb8(image)).into()).unwrap();
    png.set_icc_profile(Some(display_p3().into()));
    assert_converted_from_p3(&png.encoder().bytes(), 5, "PNG");
}

#[test]
fn a_display_p3_avif_or_heic_described_by_nclx_is_converted_to_srgb() {
    // Its colour as nclx code points (P3 primaries, sRGB's curve) and no ICC profile, as
    // libavif and Android phones write it.
    for (avif, label) in [(true, "AVIF"), (false, "HEIC")] {
        let bytes = heif::encode_with_primaries(
            &p3_scene(),
            avif,
            libheif_rs::ColorPrimaries::SMPTE_EG_432_1,
        );
        assert!(bytes.windows(4).any(|w| w == b"nclx"), "{label}: no nclx");
        assert_converted_from_p3(&bytes, 8, label);
    }
}

// --- HEIC and AVIF ------------------------------------------------------------------------------

#[test]
fn heic_in_all_8_orientations_and_avif_come_out_upright() {
    for o in 1..=8 {
        let bytes = heif::encode(&stored(o, W, H), false, o as u8);
        assert_eq!(&bytes[4..12], b"ftypheic");
        check(&bytes, false, &format!("HEIC, orientation {o}"));
    }
    let avif = heif::encode(&stored(6, W, H), true, 6);
    assert_eq!(&avif[4..12], b"ftypavif");
    check(&avif, false, "AVIF, orientation 6");
}

#[test]
fn an_iphone_heic_is_turned_once_by_its_container_not_again_by_its_exif() {
    // Its `irot` and its EXIF orientation say the same turn; HEIF makes the container's the
    // truth, so applying the EXIF too would turn the photo twice.
    for o in [3, 6, 8] {
        let bytes = heif::encode_like_an_iphone(&stored(o, W, H), o as u8);
        assert!(
            bytes.windows(4).any(|w| w == b"Exif"),
            "the EXIF item is there"
        );
        check(&bytes, false, &format!("iPhone-like HEIC, orientation {o}"));
    }
}

#[test]
fn a_damaged_or_hostile_heic_is_refused_clearly() {
    let good = heif::encode(&stored(1, W, H), false, 1);
    let e = run(&good[..good.len() / 2]).unwrap_err();
    assert_eq!(e.code().as_str(), "corrupt_image", "{e}");
    assert!(
        e.to_string()
            .starts_with("The picture is damaged or incomplete")
    );

    // A bomb: its `ispe` box says 20001 x 15000 (300 megapixels); refused from the header,
    // before libheif decodes a pixel.
    let mut bomb = good.clone();
    let at = bomb.windows(4).position(|w| w == b"ispe").unwrap() + 8;
    bomb[at..at + 4].copy_from_slice(&20_001u32.to_be_bytes());
    bomb[at + 4..at + 8].copy_from_slice(&15_000u32.to_be_bytes());
    let e = run(&bomb).unwrap_err();
    assert!(
        matches!(
            e,
            PhotoError::TooManyPixels {
                width: 20_001,
                height: 15_000,
                ..
            }
        ),
        "{e:?}"
    );

    // An MP4 video shares HEIF's `ftyp` box; it is not a picture.
    let e = run(b"\0\0\0\x18ftypisom\0\0\x02\0isomiso2\0\0\0\x08free").unwrap_err();
    assert!(matches!(e, PhotoError::Unsupported), "{e:?}");
}
