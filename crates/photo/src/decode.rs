//! From a file's bytes to upright-to-be RGB pixels, its orientation and its colour profile.
//!
//! - JPEG through libjpeg-turbo (baseline, progressive, arithmetic-coded; grayscale, RGB,
//!   CMYK and YCCK), decoded straight at a reduced size where the output allows (its IDCT
//!   scaling: the shrink-on-load libvips does), never below the wanted size. Warnings are
//!   errors: a truncated or damaged scan is refused, not sent with a grey bottom.
//! - WebP (lossy, lossless, animated: the first frame) through libwebp ([`webpx`]), a lossy
//!   picture decoded straight at a reduced size as JPEG is, on two threads.
//! - PNG (8- and 16-bit, palette) and GIF (the first frame) through the `image` crate, within
//!   its memory limits; transparency laid over white.
//! - HEIC/HEIF and AVIF through libheif ([`crate::heif`]), behind the `heif` feature.
//!
//! Metadata is only read here: the orientation (leniently, [`crate::orientation`]) and the ICC
//! profile; none of it reaches the output.

use std::io::Cursor;

use image::metadata::Orientation;
use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, RgbImage};

use crate::{Limits, PhotoError, check_size, corrupt, flatten};

/// What a file is, by its first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Jpeg,
    /// PNG, WebP or GIF: the `image` crate's.
    Image(ImageFormat),
    /// HEIC/HEIF or AVIF (the name said in errors).
    Heif(&'static str),
}

/// The file's kind, or why it is not a picture that can be sent.
pub(crate) fn kind(bytes: &[u8]) -> Result<Kind, PhotoError> {
    if let Some(name) = heif_brand(bytes) {
        return Ok(Kind::Heif(name));
    }
    match image::guess_format(bytes) {
        Ok(ImageFormat::Jpeg) => Ok(Kind::Jpeg),
        Ok(f @ (ImageFormat::Png | ImageFormat::WebP | ImageFormat::Gif)) => Ok(Kind::Image(f)),
        Ok(ImageFormat::Tiff) => Err(PhotoError::UnsupportedFormat("TIFF")),
        Ok(ImageFormat::Bmp) => Err(PhotoError::UnsupportedFormat("BMP")),
        _ => Err(PhotoError::Unsupported),
    }
}

/// `HEIC` or `AVIF` when the file is an ISO-BMFF still picture (its `ftyp` box's major brand
/// or, for files that declare a generic one, a compatible brand); `None` for anything else,
/// an MP4 video included.
pub(crate) fn heif_brand(bytes: &[u8]) -> Option<&'static str> {
    if bytes.len() < 16 || &bytes[4..8] != b"ftyp" {
        return None;
    }
    let size = u32::from_be_bytes(bytes[0..4].try_into().ok()?) as usize;
    let end = size.clamp(16, bytes.len().min(256));
    // The major brand, then the compatible brands (after the minor version).
    let brands = std::iter::once(&bytes[8..12]).chain(bytes[16..end].chunks_exact(4));
    let mut generic = false;
    for brand in brands {
        match brand {
            b"avif" | b"avis" => return Some("AVIF"),
            b"heic" | b"heix" | b"hevc" | b"hevx" | b"heim" | b"heis" => return Some("HEIC"),
            b"mif1" | b"msf1" => generic = true,
            _ => {}
        }
    }
    generic.then_some("HEIC")
}

/// Pixels as stored, with what is needed to show them as meant.
pub(crate) struct Decoded {
    /// RGB, or one grey band for a grayscale picture.
    pub image: DynamicImage,
    /// To apply after resizing (libheif has already applied HEIF's own).
    pub orientation: Orientation,
    /// The embedded ICC profile, converted from after resizing.
    pub icc: Option<Vec<u8>>,
}

pub(crate) fn decode(
    bytes: &[u8],
    kind: Kind,
    long_edge: u32,
    limits: &Limits,
) -> Result<Decoded, PhotoError> {
    match kind {
        Kind::Jpeg => jpeg(bytes, long_edge, limits),
        Kind::Image(ImageFormat::WebP) => webp(bytes, long_edge, limits),
        Kind::Image(format) => other(bytes, format, limits),
        #[cfg(feature = "heif")]
        Kind::Heif(_) => {
            let decoded = crate::heif::decode(bytes, long_edge, limits)?;
            Ok(Decoded {
                image: DynamicImage::ImageRgb8(decoded.rgb),
                orientation: Orientation::NoTransforms,
                icc: decoded.icc,
            })
        }
        #[cfg(not(feature = "heif"))]
        Kind::Heif(name) => Err(PhotoError::UnsupportedFormat(name)),
    }
}

/// The metadata of a JPEG's header segments: EXIF orientation, ICC profile, and whether an
/// Adobe APP14 marker is there (CMYK stored inverted). A header img-parts cannot read gives
/// none of them; libjpeg-turbo then says whether the picture itself is readable.
struct JpegMeta {
    orientation: Option<Orientation>,
    icc: Option<Vec<u8>>,
    adobe: bool,
}

fn jpeg_meta(bytes: &[u8]) -> JpegMeta {
    use img_parts::ImageICC;
    let none = JpegMeta {
        orientation: None,
        icc: None,
        adobe: false,
    };
    let Ok(jpeg) = img_parts::jpeg::Jpeg::from_bytes(bytes.to_vec().into()) else {
        return none;
    };
    let segments = jpeg.segments();
    JpegMeta {
        // Every APP1 that looks like EXIF (some files carry XMP first, or a mangled prefix).
        orientation: segments
            .iter()
            .filter(|s| s.marker() == img_parts::jpeg::markers::APP1)
            .filter(|s| s.contents().starts_with(b"Exif") || s.contents().starts_with(b"II"))
            .find_map(|s| crate::orientation::from_exif(s.contents())),
        icc: jpeg.icc_profile().map(|b| b.to_vec()),
        adobe: segments.iter().any(|s| {
            s.marker() == img_parts::jpeg::markers::APP14 && s.contents().starts_with(b"Adobe")
        }),
    }
}

fn jpeg(bytes: &[u8], long_edge: u32, limits: &Limits) -> Result<Decoded, PhotoError> {
    let mut decoder = turbojpeg::Decompressor::new().map_err(corrupt)?;
    let header = decoder.read_header(bytes).map_err(corrupt)?;
    check_size(header.width as u32, header.height as u32, limits)?;
    let meta = jpeg_meta(bytes);
    let long = header.width.max(header.height);
    let scale = [8, 4, 2]
        .into_iter()
        .map(|d| turbojpeg::ScalingFactor::new(1, d))
        .find(|f| f.scale(long) >= long_edge as usize)
        .unwrap_or(turbojpeg::ScalingFactor::ONE);
    decoder.set_scaling_factor(scale).map_err(corrupt)?;
    let size = header.scaled(scale);
    let cmyk = matches!(
        header.colorspace,
        turbojpeg::Colorspace::CMYK | turbojpeg::Colorspace::YCCK
    );
    let gray = header.colorspace == turbojpeg::Colorspace::Gray;
    let (format, channels) = if cmyk {
        (turbojpeg::PixelFormat::CMYK, 4)
    } else if gray {
        (turbojpeg::PixelFormat::GRAY, 1)
    } else {
        (turbojpeg::PixelFormat::RGB, 3)
    };
    let mut image = turbojpeg::Image {
        pixels: vec![0; size.width * size.height * channels],
        width: size.width,
        pitch: size.width * channels,
        height: size.height,
        format,
    };
    decoder
        .decompress(bytes, image.as_deref_mut())
        .map_err(corrupt)?;
    let (width, height) = (size.width as u32, size.height as u32);
    let image = if gray {
        DynamicImage::ImageLuma8(
            image::GrayImage::from_raw(width, height, image.pixels)
                .expect("buffer sized for the image"),
        )
    } else {
        let pixels = if cmyk {
            crate::color::cmyk_to_rgb(&image.pixels, meta.adobe)
        } else {
            image.pixels
        };
        DynamicImage::ImageRgb8(
            RgbImage::from_raw(width, height, pixels).expect("buffer sized for the image"),
        )
    };
    Ok(Decoded {
        image,
        // A picture whose EXIF cannot be read at all is shown as stored, as viewers do.
        orientation: meta.orientation.unwrap_or(Orientation::NoTransforms),
        // A CMYK profile describes ink, not these RGB pixels (and a grey one, one band).
        icc: meta.icc.filter(|_| !cmyk && !gray),
    })
}

/// WebP through libwebp. The header's size is checked before any pixel buffer exists; a still
/// picture larger than wanted is decoded straight at 1/n of its size (libwebp's area-averaging
/// rescaler, the largest whole n that keeps the long edge at least `long_edge`, as JPEG's
/// shrink-on-load), leaving the last step to the Lanczos3 resize. An animation gives its
/// first frame, at full size. The orientation and the ICC profile are read from the file's
/// chunks by the `image` crate's container reader (no pixels decoded there).
fn webp(bytes: &[u8], long_edge: u32, limits: &Limits) -> Result<Decoded, PhotoError> {
    let decoder = webpx::Decoder::new(bytes).map_err(corrupt)?;
    let info = decoder.info().clone();
    check_size(info.width, info.height, limits)?;
    let (orientation, icc) = webp_meta(bytes);
    // Our own limits were checked above; webpx's defaults (64 Mpx) are lower than ours.
    let mut config = webpx::DecoderConfig::new()
        .use_threads(true)
        .limits(webpx::Limits::none());
    let (w, h) = crate::fit(info.width, info.height, long_edge);
    if (w, h) != (info.width, info.height) && !info.has_animation {
        config = config.scale(w, h);
    }
    let decoder = decoder.config(config);
    let image = if info.has_alpha {
        let (rgba, w, h) = decoder.decode_rgba_raw().map_err(corrupt)?;
        flatten(DynamicImage::ImageRgba8(
            image::RgbaImage::from_raw(w, h, rgba).ok_or_else(|| corrupt("short pixels"))?,
        ))
    } else {
        let (rgb, w, h) = decoder.decode_rgb_raw().map_err(corrupt)?;
        RgbImage::from_raw(w, h, rgb).ok_or_else(|| corrupt("short pixels"))?
    };
    Ok(Decoded {
        image: DynamicImage::ImageRgb8(image),
        orientation,
        icc,
    })
}

/// A WebP's EXIF orientation and ICC profile, from its RIFF chunks; none when the container
/// cannot be read (libwebp then says whether the picture itself can).
fn webp_meta(bytes: &[u8]) -> (Orientation, Option<Vec<u8>>) {
    let Ok(mut container) = image::codecs::webp::WebPDecoder::new(Cursor::new(bytes)) else {
        return (Orientation::NoTransforms, None);
    };
    let orientation = container
        .exif_metadata()
        .ok()
        .flatten()
        .and_then(|exif| crate::orientation::from_exif(&exif))
        .unwrap_or(Orientation::NoTransforms);
    (orientation, container.icc_profile().ok().flatten())
}

/// PNG and GIF through the `image` crate, with its memory limits.
fn other(bytes: &[u8], format: ImageFormat, limits: &Limits) -> Result<Decoded, PhotoError> {
    // The header alone first: its size is checked before any pixel buffer exists.
    let mut header = ImageReader::with_format(Cursor::new(bytes), format);
    header.no_limits();
    let (width, height) = header.into_dimensions()?;
    check_size(width, height, limits)?;
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    let mut decoder_limits = image::Limits::default();
    decoder_limits.max_image_width = Some(limits.max_side);
    decoder_limits.max_image_height = Some(limits.max_side);
    // RGBA at 16 bits (a 16-bit PNG) plus the decoder's own working memory.
    decoder_limits.max_alloc = Some(limits.max_pixels * 8 + 64 * 1024 * 1024);
    reader.limits(decoder_limits);
    let mut decoder = reader.into_decoder().map_err(|e| too_large(e, limits))?;
    let (width, height) = decoder.dimensions();
    check_size(width, height, limits)?;
    let orientation = decoder
        .exif_metadata()
        .ok()
        .flatten()
        .and_then(|exif| crate::orientation::from_exif(&exif))
        .unwrap_or(Orientation::NoTransforms);
    let icc = decoder.icc_profile().ok().flatten();
    let decoded = DynamicImage::from_decoder(decoder).map_err(|e| too_large(e, limits))?;
    // Grey without transparency stays one band; the rest RGB, transparency over white.
    let gray = matches!(
        decoded.color(),
        image::ColorType::L8 | image::ColorType::L16
    );
    Ok(Decoded {
        image: if gray {
            DynamicImage::ImageLuma8(decoded.into_luma8())
        } else {
            DynamicImage::ImageRgb8(flatten(decoded))
        },
        orientation,
        icc,
    })
}

/// The decoder's own limit errors (its working memory), said plainly.
fn too_large(e: image::ImageError, limits: &Limits) -> PhotoError {
    match e {
        image::ImageError::Limits(_) => PhotoError::Corrupt(format!(
            "it needs more memory to open than a picture of at most {} megapixels should",
            limits.max_pixels / 1_000_000
        )),
        other => other.into(),
    }
}
