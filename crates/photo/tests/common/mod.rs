//! What the photo tests share: the test scene (four coloured quadrants, so where each lands
//! in the output shows its orientation), how a camera stores it under each EXIF orientation,
//! and how outputs are read back.
#![allow(dead_code)]

use image::{Rgb, RgbImage};
use multiline_photo::{Options, PhotoError, process};

pub const RED: [u8; 3] = [220, 30, 30];
pub const GREEN: [u8; 3] = [30, 200, 30];
pub const BLUE: [u8; 3] = [30, 30, 220];
pub const WHITE: [u8; 3] = [250, 250, 250];

/// How the picture should look: red top-left, green top-right, blue bottom-left, white
/// bottom-right.
pub fn upright_colour(x: u32, y: u32, w: u32, h: u32) -> [u8; 3] {
    match (x < w / 2, y < h / 2) {
        (true, true) => RED,
        (false, true) => GREEN,
        (true, false) => BLUE,
        (false, false) => WHITE,
    }
}

/// The pixels a camera stores for an upright `w`x`h` scene with EXIF orientation `o`, from
/// the meaning of the tag in the EXIF 2.32 specification: where the stored image's row 0 and
/// column 0 are in the scene. Maps a stored pixel to the scene pixel it shows.
pub fn stored(o: u16, w: u32, h: u32) -> RgbImage {
    let (sw, sh) = if o >= 5 { (h, w) } else { (w, h) };
    RgbImage::from_fn(sw, sh, |x, y| {
        let (vx, vy) = match o {
            1 => (x, y),
            2 => (w - 1 - x, y),
            3 => (w - 1 - x, h - 1 - y),
            4 => (x, h - 1 - y),
            5 => (y, x),
            6 => (w - 1 - y, x),
            7 => (w - 1 - y, h - 1 - x),
            8 => (y, h - 1 - x),
            _ => unreachable!(),
        };
        Rgb(upright_colour(vx, vy, w, h))
    })
}

pub fn jpeg(image: &RgbImage, quality: i32) -> Vec<u8> {
    turbojpeg::compress_image(image, quality, turbojpeg::Subsamp::Sub2x2)
        .unwrap()
        .to_vec()
}

pub fn decode(bytes: &[u8]) -> RgbImage {
    let image = turbojpeg::decompress(bytes, turbojpeg::PixelFormat::RGB).unwrap();
    RgbImage::from_raw(image.width as u32, image.height as u32, image.pixels).unwrap()
}

pub fn near(actual: &Rgb<u8>, expected: [u8; 3]) -> bool {
    actual
        .0
        .iter()
        .zip(expected)
        .all(|(a, e)| a.abs_diff(e) <= 24)
}

pub fn run(bytes: &[u8]) -> Result<multiline_photo::Photo, PhotoError> {
    process(bytes, &Options::default(), |_| {})
}

/// The marker check: each quadrant's centre of `out` (an upright `w`x`h` scene) has its
/// colour, within JPEG's error; `gray` for a grayscale source (the colours' luma).
pub fn assert_upright(out: &RgbImage, gray: bool, label: &str) {
    let (w, h) = out.dimensions();
    for (x, y) in [
        (w / 4, h / 4),
        (3 * w / 4, h / 4),
        (w / 4, 3 * h / 4),
        (3 * w / 4, 3 * h / 4),
    ] {
        let mut expected = upright_colour(x, y, w, h);
        if gray {
            let [r, g, b] = expected.map(f32::from);
            expected = [(0.299 * r + 0.587 * g + 0.114 * b).round() as u8; 3];
        }
        assert!(
            near(out.get_pixel(x, y), expected),
            "{label}: pixel ({x}, {y}) is {:?}, expected {expected:?}",
            out.get_pixel(x, y)
        );
    }
}

/// What the pipeline promises of every output: a baseline JPEG of pixels alone. Its segments
/// (read by img-parts) are the codec's own and JFIF's: no EXIF or XMP (APP1), no ICC
/// profile (APP2), no other application segment, no comment.
pub fn assert_clean_jpeg(bytes: &[u8], label: &str) {
    use img_parts::jpeg::{Jpeg, markers};
    let jpeg = Jpeg::from_bytes(bytes.to_vec().into())
        .unwrap_or_else(|e| panic!("{label}: the output is not a JPEG: {e}"));
    for segment in jpeg.segments() {
        let m = segment.marker();
        let app = (markers::APP1..=markers::APP15).contains(&m);
        assert!(
            !app && m != markers::COM,
            "{label}: the output has a {m:#04X} segment"
        );
    }
    assert!(
        bytes.len() <= multiline_photo::CLOUD_API_IMAGE_LIMIT,
        "{label}"
    );
    // Colour as YCbCr of sRGB (no profile says otherwise), as every viewer reads it, and as
    // Meta takes images (8-bit RGB).
    let header = turbojpeg::read_header(bytes).unwrap();
    assert_eq!(header.colorspace, turbojpeg::Colorspace::YCbCr, "{label}");
    let out = decode(bytes);
    assert!(out.width().max(out.height()) <= 1600, "{label}");
}

/// Runs one of libwebp's command-line encoders (Debian's `webp`, which `scripts/setup.sh`
/// installs) in `dir` and reads what it wrote.
pub fn libwebp_tool(dir: &std::path::Path, tool: &str, args: &[&str]) -> Vec<u8> {
    let out = dir.join("out.webp");
    let status = std::process::Command::new(tool)
        .current_dir(dir)
        .args(args)
        .arg("-o")
        .arg(&out)
        .stderr(std::process::Stdio::null())
        .status()
        .unwrap_or_else(|e| panic!("{tool} (Debian's webp package) could not run: {e}"));
    assert!(status.success(), "{tool} failed");
    std::fs::read(out).unwrap()
}

/// `image` as a lossy WebP at quality 85, written by libwebp's own `cwebp`.
pub fn cwebp(image: &RgbImage) -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    image.save(dir.path().join("in.png")).unwrap();
    libwebp_tool(dir.path(), "cwebp", &["-quiet", "-q", "85", "in.png"])
}
