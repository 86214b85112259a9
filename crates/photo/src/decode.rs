//! From a file's bytes to upright-to-be RGB pixels, its orientation and its colour profile.
//!
//! - JPEG through libjpeg-turbo (baseline, progressive, arithmetic-coded; grayscale, RGB,
//!   CMYK and YCCK), decoded straight at a reduced size where the output allows (its IDCT
//!   scaling: the shrink-on-load libvips does), never below the wanted size. Warnings are
//!   errors: a truncated or damaged scan is refused, not sent with a grey bottom. A progressive
//!   file shown at 1/2, 1/4 or 1/8 is decoded by [`crate::progressive`] instead, which keeps
//!   only the coefficients that size shows; what it does not handle goes to libjpeg-turbo.
//! - WebP (lossy, lossless, animated: the first frame) through libwebp ([`webpx`]), a lossy
//!   picture decoded straight at a reduced size as JPEG is, on two threads.
//! - PNG (8- and 16-bit, grey, palette, alpha) through the `png` crate, a row at a time into
//!   8-bit RGB (or one grey band): a 16-bit photo never exists whole at 16 bits.
//! - GIF (the first frame) through the `gif` crate and `weezl` ([`crate::gif_frame`]), its
//!   palette indices straight to RGB.
//! - Transparency is laid over white.
//! - HEIC/HEIF and AVIF through libheif ([`crate::heif`]), behind the `heif` feature.
//!
//! Metadata is only read here: the orientation (leniently, [`crate::orientation`]) and the ICC
//! profile; none of it reaches the output.

use std::io::Cursor;

use image::metadata::Orientation;
use image::{DynamicImage, ImageDecoder, ImageFormat, RgbImage};

use crate::{Limits, PhotoError, check_size, corrupt, flatten};

/// What a file is, by its first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Jpeg,
    Png,
    WebP,
    Gif,
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
        Ok(ImageFormat::Png) => Ok(Kind::Png),
        Ok(ImageFormat::WebP) => Ok(Kind::WebP),
        Ok(ImageFormat::Gif) => Ok(Kind::Gif),
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
        Kind::WebP => webp(bytes, long_edge, limits),
        Kind::Png => png(bytes, limits),
        Kind::Gif => Ok(Decoded {
            image: DynamicImage::ImageRgb8(crate::gif_frame::decode(bytes, limits)?),
            orientation: Orientation::NoTransforms,
            icc: None,
        }),
        #[cfg(feature = "heif")]
        Kind::Heif(name) => {
            let decoded = crate::heif::decode(bytes, name == "AVIF", long_edge, limits)?;
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
    let denom = [8, 4, 2]
        .into_iter()
        .find(|&d| long.div_ceil(d) >= long_edge as usize);
    // A progressive file shown smaller keeps only the coefficients that size needs.
    let (image, cmyk) = match denom.and_then(|d| crate::progressive::decode(bytes, d)) {
        Some(image) => (image, false),
        None => libjpeg(&mut decoder, &header, bytes, denom, meta.adobe)?,
    };
    let gray = matches!(image, DynamicImage::ImageLuma8(_));
    Ok(Decoded {
        image,
        // A picture whose EXIF cannot be read at all is shown as stored, as viewers do.
        orientation: meta.orientation.unwrap_or(Orientation::NoTransforms),
        // A CMYK profile describes ink, not these RGB pixels (and a grey one, one band).
        icc: meta.icc.filter(|_| !cmyk && !gray),
    })
}

/// libjpeg-turbo's decode at 1/`denom` (or full size): grey, or RGB (CMYK made RGB, `adobe`
/// telling whether it is stored inverted), and whether the file was CMYK.
fn libjpeg(
    decoder: &mut turbojpeg::Decompressor,
    header: &turbojpeg::DecompressHeader,
    bytes: &[u8],
    denom: Option<usize>,
    adobe: bool,
) -> Result<(DynamicImage, bool), PhotoError> {
    let scale = denom.map_or(turbojpeg::ScalingFactor::ONE, |d| {
        turbojpeg::ScalingFactor::new(1, d)
    });
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
            crate::color::cmyk_to_rgb(&image.pixels, adobe)
        } else {
            image.pixels
        };
        DynamicImage::ImageRgb8(
            RgbImage::from_raw(width, height, pixels).expect("buffer sized for the image"),
        )
    };
    Ok((image, cmyk))
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

/// PNG through the `png` crate. The header's size is checked before any pixel buffer exists;
/// then each row, as it is unfiltered, is brought to 8 bits (rounded, as the `image` crate
/// does), its transparency laid over white, into the one output buffer. Only an interlaced
/// (Adam7) file, whose rows come in seven passes, is decoded whole first.
fn png(bytes: &[u8], limits: &Limits) -> Result<Decoded, PhotoError> {
    // The decoder's own buffers (text and profile chunks, rows being unfiltered) stay within
    // the png crate's default 64 MiB: the pixels are in a buffer of ours, sized once the
    // header is checked.
    let mut decoder = png::Decoder::new(Cursor::new(bytes));
    // Palette to RGB, tRNS to alpha, 1/2/4-bit grey to 8; 16-bit stays (rounded below).
    decoder.set_transformations(png::Transformations::EXPAND);
    let mut reader = decoder.read_info().map_err(png_error)?;
    let info = reader.info();
    check_size(info.width, info.height, limits)?;
    let (width, height) = (info.width, info.height);
    let orientation = info
        .exif_metadata
        .as_deref()
        .and_then(crate::orientation::from_exif)
        .unwrap_or(Orientation::NoTransforms);
    let icc = info.icc_profile.as_deref().map(<[u8]>::to_vec);
    let interlaced = info.interlaced;
    let (color, depth) = reader.output_color_type();
    let shape = PngRow::new(color, depth == png::BitDepth::Sixteen)?;
    let out_row = width as usize * shape.out_channels();
    let mut out = vec![0u8; out_row * height as usize];
    if interlaced {
        let size = reader
            .output_buffer_size()
            .ok_or_else(|| corrupt("too large"))?;
        let mut whole = vec![0u8; size];
        let frame = reader.next_frame(&mut whole).map_err(png_error)?;
        for (src, dst) in whole
            .chunks_exact(frame.line_size)
            .zip(out.chunks_exact_mut(out_row))
        {
            shape.convert(src, dst);
        }
    } else {
        let mut rows = out.chunks_exact_mut(out_row);
        while let Some(row) = reader.next_row().map_err(png_error)? {
            let dst = rows
                .next()
                .ok_or_else(|| corrupt("more rows than its height"))?;
            shape.convert(row.data(), dst);
        }
        if rows.next().is_some() {
            return Err(corrupt("fewer rows than its height"));
        }
    }
    let image = if shape.out_channels() == 1 {
        DynamicImage::ImageLuma8(
            image::GrayImage::from_raw(width, height, out).expect("buffer sized for the image"),
        )
    } else {
        DynamicImage::ImageRgb8(
            RgbImage::from_raw(width, height, out).expect("buffer sized for the image"),
        )
    };
    Ok(Decoded {
        image,
        orientation,
        icc,
    })
}

fn png_error(e: png::DecodingError) -> PhotoError {
    match e {
        png::DecodingError::LimitsExceeded => {
            corrupt("it needs more memory to open than a picture of its size should")
        }
        other => corrupt(other),
    }
}

/// How a PNG row (after `EXPAND`) becomes an output row.
#[derive(Debug, Clone, Copy)]
struct PngRow {
    /// Samples a pixel: grey 1, grey and alpha 2, RGB 3, RGBA 4.
    channels: usize,
    sixteen: bool,
}

impl PngRow {
    fn new(color: png::ColorType, sixteen: bool) -> Result<PngRow, PhotoError> {
        let channels = match color {
            png::ColorType::Grayscale => 1,
            png::ColorType::GrayscaleAlpha => 2,
            png::ColorType::Rgb => 3,
            png::ColorType::Rgba => 4,
            png::ColorType::Indexed => return Err(corrupt("a palette that could not be expanded")),
        };
        Ok(PngRow { channels, sixteen })
    }

    /// Grey without transparency stays one band; everything else is RGB.
    fn out_channels(self) -> usize {
        if self.channels == 1 { 1 } else { 3 }
    }

    fn convert(self, src: &[u8], dst: &mut [u8]) {
        let bytes = if self.sixteen { 2 } else { 1 };
        // A 16-bit sample (big-endian) to 8 bits, rounded: what the `image` crate gives.
        let sample = |px: &[u8], i: usize| -> u8 {
            if self.sixteen {
                let v = u32::from(u16::from_be_bytes([px[2 * i], px[2 * i + 1]]));
                ((v + 128) / 257) as u8
            } else {
                px[i]
            }
        };
        let over_white = |c: u8, a: u8| -> u8 {
            let a = u32::from(a);
            ((u32::from(c) * a + 255 * (255 - a) + 127) / 255) as u8
        };
        let pixels = src.chunks_exact(self.channels * bytes);
        match self.channels {
            1 => {
                for (px, out) in pixels.zip(dst.iter_mut()) {
                    *out = sample(px, 0);
                }
            }
            2 => {
                for (px, out) in pixels.zip(dst.chunks_exact_mut(3)) {
                    out.fill(over_white(sample(px, 0), sample(px, 1)));
                }
            }
            3 if !self.sixteen => dst.copy_from_slice(&src[..dst.len()]),
            3 => {
                for (px, out) in pixels.zip(dst.chunks_exact_mut(3)) {
                    for (i, o) in out.iter_mut().enumerate() {
                        *o = sample(px, i);
                    }
                }
            }
            _ => {
                for (px, out) in pixels.zip(dst.chunks_exact_mut(3)) {
                    let a = sample(px, 3);
                    for (i, o) in out.iter_mut().enumerate() {
                        *o = over_white(sample(px, i), a);
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::noise;

    fn png_file(color: png::ColorType, depth: png::BitDepth, w: u32, h: u32) -> Vec<u8> {
        let mut out = Vec::new();
        let mut encoder = png::Encoder::new(&mut out, w, h);
        encoder.set_color(color);
        encoder.set_depth(depth);
        if color == png::ColorType::Indexed {
            encoder.set_palette(noise(256 * 3, 7));
            if depth == png::BitDepth::Eight {
                encoder.set_trns(noise(256, 8));
            }
        }
        let bits = color.samples() * depth as usize;
        let line = (w as usize * bits).div_ceil(8);
        let mut writer = encoder.write_header().unwrap();
        writer
            .write_image_data(&noise(line * h as usize, w * h + bits as u32))
            .unwrap();
        writer.finish().unwrap();
        out
    }

    /// What the `image` crate's decoder (the one `png` replaced) made of a file.
    fn through_image(bytes: &[u8]) -> DynamicImage {
        let decoded = image::load_from_memory_with_format(bytes, ImageFormat::Png).unwrap();
        match decoded.color() {
            image::ColorType::L8 | image::ColorType::L16 => {
                DynamicImage::ImageLuma8(decoded.into_luma8())
            }
            _ => DynamicImage::ImageRgb8(flatten(decoded)),
        }
    }

    fn assert_same(bytes: &[u8], label: &str) {
        let ours = png(bytes, &Limits::default()).unwrap().image;
        let theirs = through_image(bytes);
        assert_eq!(ours.color(), theirs.color(), "{label}");
        assert_eq!(
            (ours.width(), ours.height()),
            (theirs.width(), theirs.height()),
            "{label}"
        );
        assert!(
            ours.as_bytes() == theirs.as_bytes(),
            "{label}: other pixels"
        );
    }

    #[test]
    fn every_kind_of_png_reads_as_the_image_crate_read_it() {
        use png::{BitDepth as D, ColorType as C};
        for (color, depth) in [
            (C::Grayscale, D::One),
            (C::Grayscale, D::Four),
            (C::Grayscale, D::Eight),
            (C::Grayscale, D::Sixteen),
            (C::GrayscaleAlpha, D::Eight),
            (C::GrayscaleAlpha, D::Sixteen),
            (C::Rgb, D::Eight),
            (C::Rgb, D::Sixteen),
            (C::Rgba, D::Eight),
            (C::Rgba, D::Sixteen),
            (C::Indexed, D::Eight),
            (C::Indexed, D::Four),
        ] {
            let bytes = png_file(color, depth, 37, 23);
            assert_same(&bytes, &format!("{color:?} {depth:?}"));
        }

        // Interlaced (Adam7), as ImageMagick writes it: decoded whole, then converted alike.
        let dir = tempfile::tempdir().unwrap();
        let plain = dir.path().join("plain.png");
        let interlaced = dir.path().join("interlaced.png");
        std::fs::write(&plain, png_file(C::Rgba, D::Sixteen, 37, 23)).unwrap();
        let status = std::process::Command::new("convert")
            .arg(&plain)
            .args(["-interlace", "PNG"])
            .arg(&interlaced)
            .status()
            .expect("ImageMagick's convert (scripts/setup.sh installs it)");
        assert!(status.success());
        let bytes = std::fs::read(&interlaced).unwrap();
        let reader = png::Decoder::new(Cursor::new(&bytes)).read_info().unwrap();
        assert!(
            reader.info().interlaced,
            "ImageMagick wrote an interlaced PNG"
        );
        assert_same(&bytes, "interlaced RGBA 16-bit");
    }
}
