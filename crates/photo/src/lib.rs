//! The photo pipeline (F16-F18): what happens to a picture between the user choosing it and
//! the connector uploading it.
//!
//! 1. The format is read from the bytes, not the file name: JPEG (baseline, progressive,
//!    arithmetic; grayscale, CMYK, YCCK), PNG (8/16-bit, palette), WebP, GIF (the first frame),
//!    and, with the `heif` feature, HEIC/HEIF and AVIF; anything else is refused with a clear
//!    error (TIFF, a PDF renamed `.jpg`, ...). `src/decode.rs` has the decoders.
//! 2. The header is read first and checked against [`Limits`]: a decompression bomb (a small
//!    file claiming 100000x100000 pixels) is refused before a pixel buffer exists.
//! 3. Pixels are decoded: JPEG by libjpeg-turbo, straight at the smallest of 1/8, 1/4, 1/2 or
//!    full size that is still at least the wanted size (shrink-on-load, as libvips does), with
//!    any decoder warning (a truncated scan) an error, except a progressive file shown smaller,
//!    which our own decoder reads keeping only the coefficients that size shows
//!    (`src/progressive.rs`: a third of libjpeg-turbo's memory, and faster); PNG by the `png`
//!    crate, WebP by libwebp, GIF by the `gif` crate and `weezl`, HEIC/AVIF by libheif, with
//!    transparency laid over white (WhatsApp shows pictures on white; JPEG has no alpha). A
//!    GIF no larger than the output is painted straight into the JPEG's planes while it is
//!    decoded (`gif_through_planes`).
//! 4. The long edge is bounded ([`Options::long_edge`], 1600 px) with a Lanczos3 filter, then the
//!    EXIF orientation (read leniently: `src/orientation.rs`) is applied, so the result is upright
//!    whatever the camera or the editor wrote; an embedded ICC profile (Display P3, Adobe RGB)
//!    is converted to sRGB (`src/color.rs`).
//! 5. The JPEG is written from pixels alone: no EXIF (GPS, camera, time), no XMP, no ICC, no
//!    comments survive. If it is over the Cloud API's image limit (5 MB), quality and then size
//!    step down until it fits.
//! 6. A thumbnail (320 px long edge) is made from the resized image.
//!
//! The work is CPU-bound and takes tens of milliseconds: callers run it off the async runtime
//! (`spawn_blocking`). Progress is reported through a callback. The sizes and qualities are
//! chosen in docs/design.md ("Photos").

use std::io::Cursor;

use fast_image_resize as fr;
use image::{DynamicImage, ImageFormat, ImageReader, RgbImage};

mod color;
mod decode;
mod gif_frame;
#[cfg(feature = "heif")]
mod heif;
#[cfg(feature = "heif")]
#[doc(hidden)]
pub mod heif_testing;
mod orientation;
mod planes;
mod progressive;
use multiline_domain::errors::ErrorCode;

/// The Cloud API's limit for an image message: 5 MB (the domain's rule, which the pipeline
/// writes under).
pub const CLOUD_API_IMAGE_LIMIT: usize =
    multiline_domain::policy::MAX_WHATSAPP_IMAGE_BYTES as usize;

/// What input is accepted at all. A photo over these is refused, never decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Bytes of the file itself.
    pub max_input_bytes: usize,
    /// Either side, in pixels.
    pub max_side: u32,
    /// Width times height: 200 MP covers the largest phone sensors.
    pub max_pixels: u64,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_input_bytes: 100 * 1024 * 1024,
            max_side: 20_000,
            max_pixels: 200_000_000,
        }
    }
}

/// The output wanted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Options {
    /// The longest side of the sent picture, in pixels (never enlarged).
    pub long_edge: u32,
    /// JPEG quality (1-100) of the sent picture.
    pub quality: u8,
    /// The longest side of the thumbnail.
    pub thumbnail_long_edge: u32,
    pub thumbnail_quality: u8,
    /// The sent picture is guaranteed to be at most this many bytes.
    pub max_output_bytes: usize,
    pub limits: Limits,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            long_edge: 1600,
            quality: 80,
            thumbnail_long_edge: 320,
            thumbnail_quality: 70,
            max_output_bytes: CLOUD_API_IMAGE_LIMIT,
            limits: Limits::default(),
        }
    }
}

/// A JPEG and its size.
#[derive(Clone, PartialEq, Eq)]
pub struct Jpeg {
    pub bytes: Vec<u8>,
    pub width: u32,
    pub height: u32,
}

impl std::fmt::Debug for Jpeg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Jpeg({}x{}, {} bytes)",
            self.width,
            self.height,
            self.bytes.len()
        )
    }
}

/// A processed photo, ready to upload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Photo {
    pub image: Jpeg,
    pub thumbnail: Jpeg,
}

/// Where the pipeline is, for a progress bar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    Decoding,
    Resizing,
    Encoding,
    Done,
}

impl Stage {
    /// A rough fraction of the work done when this stage starts (decoding dominates).
    pub fn fraction(self) -> f32 {
        match self {
            Stage::Decoding => 0.0,
            Stage::Resizing => 0.6,
            Stage::Encoding => 0.8,
            Stage::Done => 1.0,
        }
    }
}

/// Why a picture cannot be sent. Each has a stable [`code`](PhotoError::code) and a message
/// written for the person who chose the file.
#[derive(Debug, thiserror::Error)]
pub enum PhotoError {
    #[error(
        "This file is not a picture that can be sent. Use a photo: JPEG, PNG, HEIC, WebP or GIF."
    )]
    Unsupported,
    #[error("{0} pictures can't be sent. Use a photo: JPEG, PNG, HEIC, WebP or GIF.")]
    UnsupportedFormat(&'static str),
    /// A format the pipeline converts, offered where only what the Cloud API takes is
    /// accepted (an upload to the connector).
    #[error("{0} pictures are converted by the app before they are sent; send the converted JPEG.")]
    Unconverted(&'static str),
    #[error("The picture is damaged or incomplete ({0}).")]
    Corrupt(String),
    #[error("The file is too large ({mb} MB). Pictures up to {max_mb} MB can be sent.")]
    FileTooLarge { mb: usize, max_mb: usize },
    #[error(
        "The picture is too large ({width}x{height} pixels). Pictures up to {max_side} pixels a side and {max_mp} megapixels can be sent."
    )]
    TooManyPixels {
        width: u32,
        height: u32,
        max_side: u32,
        max_mp: u64,
    },
}

impl PhotoError {
    /// The stable code the app and the connector answer with.
    pub fn code(&self) -> ErrorCode {
        match self {
            PhotoError::Unsupported
            | PhotoError::UnsupportedFormat(_)
            | PhotoError::Unconverted(_) => ErrorCode::UnsupportedImage,
            PhotoError::Corrupt(_) => ErrorCode::CorruptImage,
            PhotoError::FileTooLarge { .. } => ErrorCode::ImageFileTooLarge,
            PhotoError::TooManyPixels { .. } => ErrorCode::ImageTooLarge,
        }
    }
}

impl From<image::ImageError> for PhotoError {
    fn from(e: image::ImageError) -> PhotoError {
        PhotoError::Corrupt(e.to_string())
    }
}

/// Reads the format from the file's first bytes: JPEG, PNG or WebP, what the connector takes
/// for upload. Pictures [`process`] converts (HEIC, AVIF, GIF) are refused as unconverted.
pub fn sniff(bytes: &[u8]) -> Result<ImageFormat, PhotoError> {
    // HEIC/AVIF: converted by `process`, never uploaded as they are (Meta takes JPEG and PNG).
    if let Some(name) = decode::heif_brand(bytes) {
        return Err(PhotoError::Unconverted(name));
    }
    match image::guess_format(bytes) {
        Ok(f @ (ImageFormat::Jpeg | ImageFormat::Png | ImageFormat::WebP)) => Ok(f),
        Ok(ImageFormat::Gif) => Err(PhotoError::Unconverted("GIF")),
        Ok(ImageFormat::Tiff) => Err(PhotoError::UnsupportedFormat("TIFF")),
        Ok(ImageFormat::Bmp) => Err(PhotoError::UnsupportedFormat("BMP")),
        _ => Err(PhotoError::Unsupported),
    }
}

/// What a picture's header says, read without decoding it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    pub format: ImageFormat,
    pub width: u32,
    pub height: u32,
}

impl Header {
    pub fn mime_type(&self) -> &'static str {
        self.format.to_mime_type()
    }
}

/// Reads and checks a picture's header only: its format (by its bytes) and its size against
/// `limits`. Cheap: the connector checks uploads with it.
pub fn inspect(bytes: &[u8], limits: &Limits) -> Result<Header, PhotoError> {
    if bytes.len() > limits.max_input_bytes {
        return Err(PhotoError::FileTooLarge {
            mb: bytes.len().div_ceil(1024 * 1024),
            max_mb: limits.max_input_bytes / (1024 * 1024),
        });
    }
    let format = sniff(bytes)?;
    let (width, height) = match format {
        ImageFormat::Jpeg => {
            let header = turbojpeg::read_header(bytes).map_err(corrupt)?;
            (header.width as u32, header.height as u32)
        }
        _ => {
            let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
            reader.no_limits();
            reader.into_dimensions()?
        }
    };
    check_size(width, height, limits)?;
    Ok(Header {
        format,
        width,
        height,
    })
}

/// Runs the whole pipeline on a file's bytes.
pub fn process(
    bytes: &[u8],
    options: &Options,
    mut progress: impl FnMut(Stage),
) -> Result<Photo, PhotoError> {
    let limits = &options.limits;
    if bytes.len() > limits.max_input_bytes {
        return Err(PhotoError::FileTooLarge {
            mb: bytes.len().div_ceil(1024 * 1024),
            max_mb: limits.max_input_bytes / (1024 * 1024),
        });
    }
    let kind = decode::kind(bytes)?;
    progress(Stage::Decoding);
    if kind == decode::Kind::Gif {
        let frame = gif_frame::GifFrame::open(bytes, limits)?;
        if fit(frame.width, frame.height, options.long_edge) == (frame.width, frame.height)
            && let Some(photo) = gif_through_planes(&frame, options, &mut progress)?
        {
            return Ok(photo);
        }
    }
    let decoded = decode::decode(bytes, kind, options.long_edge, limits)?;

    progress(Stage::Resizing);
    let decoded_image = decoded.image;
    let (w, h) = fit(
        decoded_image.width(),
        decoded_image.height(),
        options.long_edge,
    );
    // Already small enough (or resized by its decoder): no copy.
    let mut resized = if (w, h) == (decoded_image.width(), decoded_image.height()) {
        decoded_image
    } else {
        resize(&decoded_image, w, h)
    };
    resized.apply_orientation(decoded.orientation);
    if let (Some(icc), DynamicImage::ImageRgb8(rgb)) = (decoded.icc, &mut resized) {
        color::to_srgb(rgb, &icc);
    }

    progress(Stage::Encoding);
    let (tw, th) = fit(
        resized.width(),
        resized.height(),
        options.thumbnail_long_edge,
    );
    // The thumbnail is made on a second thread while the picture is encoded (phones and
    // laptops have several cores; the encode is the longer of the two).
    let (image, thumbnail) = with_thumbnail(
        || encode_within(&resized, options.quality, options.max_output_bytes),
        || encode(&resize(&resized, tw, th), options.thumbnail_quality),
    );
    let (image, thumbnail) = (image?, thumbnail?);
    progress(Stage::Done);
    Ok(Photo { image, thumbnail })
}

/// A GIF no larger than the output (most are): nothing to resize, no orientation, no
/// profile. Its LZW data is decoded on a second thread while this one paints each row of
/// indices straight into the JPEG's planes ([`planes::PalettePlanes`]: the bytes the RGB path
/// writes, without the RGB copy or the encoder's colour conversion); the thumbnail is made
/// from the planes on the second thread while the picture is encoded. None when the JPEG is
/// over the output limit (never at 1600 px and quality 80): the caller then goes the RGB way,
/// which steps the quality down.
fn gif_through_planes(
    frame: &gif_frame::GifFrame,
    options: &Options,
    progress: &mut impl FnMut(Stage),
) -> Result<Option<Photo>, PhotoError> {
    let mut planes = planes::PalettePlanes::white(frame.width, frame.height, |i| frame.colour(i));
    // Bands of rows (the first row's number, then the rows' indices end to end): one
    // hand-over per band, not per row.
    let (bands, received) = std::sync::mpsc::sync_channel::<(usize, usize, Vec<u8>)>(16);
    std::thread::scope(|scope| {
        let decoder = scope.spawn(move || {
            let mut band = Vec::new();
            let (mut first, mut len) = (0, 0);
            frame.lzw_rows(|y, indices| {
                if band.is_empty() {
                    (first, len) = (y, indices.len());
                }
                band.extend_from_slice(indices);
                band.len() < 16 * len || bands.send((first, len, std::mem::take(&mut band))).is_ok()
            })?;
            if !band.is_empty() {
                bands.send((first, len, band)).ok();
            }
            Ok::<_, PhotoError>(())
        });
        for (first, len, band) in received {
            for (y, indices) in (first..).zip(band.chunks_exact(len)) {
                planes.paint(y, frame.left(), indices);
            }
        }
        decoder
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    })?;
    let planes = planes.finish();
    progress(Stage::Encoding);
    let (tw, th) = fit(planes.width, planes.height, options.thumbnail_long_edge);
    let (image, thumbnail) = with_thumbnail(
        || encode_planes(&planes, options.quality),
        || encode_planes(&planes.resize(tw, th), options.thumbnail_quality),
    );
    let image = image?;
    if image.bytes.len() > options.max_output_bytes {
        return Ok(None);
    }
    progress(Stage::Done);
    Ok(Some(Photo {
        image,
        thumbnail: thumbnail?,
    }))
}

/// Runs `image` here and `thumbnail` on a second thread at the same time (phones and laptops
/// have several cores; the picture's encode is the longer of the two).
fn with_thumbnail<I, T: Send>(
    image: impl FnOnce() -> I,
    thumbnail: impl FnOnce() -> T + Send,
) -> (I, T) {
    std::thread::scope(|scope| {
        let thumbnail = scope.spawn(thumbnail);
        let image = image();
        let thumbnail = thumbnail
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        (image, thumbnail)
    })
}

/// Writes Y, Cb, Cr planes at 4:2:0 as a JPEG, with the settings of [`encode`].
fn encode_planes(planes: &planes::Planes, quality: u8) -> Result<Jpeg, PhotoError> {
    let bytes = compressor(quality)?
        .compress_yuv_planes_to_vec(&turbojpeg::YuvPlanesImage {
            y_plane: &planes.y,
            u_plane: &planes.cb,
            v_plane: &planes.cr,
            width: planes.width as usize,
            height: planes.height as usize,
            y_stride: planes.y_stride(),
            u_stride: planes.chroma_stride(),
            v_stride: planes.chroma_stride(),
            subsamp: turbojpeg::Subsamp::Sub2x2,
        })
        .map_err(corrupt)?;
    Ok(Jpeg {
        bytes,
        width: planes.width,
        height: planes.height,
    })
}

pub(crate) fn corrupt(e: impl std::fmt::Display) -> PhotoError {
    PhotoError::Corrupt(e.to_string())
}

pub(crate) fn check_size(width: u32, height: u32, limits: &Limits) -> Result<(), PhotoError> {
    if u64::from(width) * u64::from(height) > limits.max_pixels
        || width > limits.max_side
        || height > limits.max_side
    {
        return Err(PhotoError::TooManyPixels {
            width,
            height,
            max_side: limits.max_side,
            max_mp: limits.max_pixels / 1_000_000,
        });
    }
    Ok(())
}

/// The size that fits `long_edge` keeping the aspect ratio; never larger than the input.
pub fn fit(width: u32, height: u32, long_edge: u32) -> (u32, u32) {
    let long = width.max(height);
    if long <= long_edge {
        return (width, height);
    }
    let scale = f64::from(long_edge) / f64::from(long);
    let side = |v: u32| ((f64::from(v) * scale).round() as u32).max(1);
    (side(width), side(height))
}

/// 8-bit RGB; transparency is laid over white.
pub(crate) fn flatten(image: DynamicImage) -> RgbImage {
    if !image.color().has_alpha() {
        return image.into_rgb8();
    }
    let rgba = image.into_rgba8();
    let (w, h) = rgba.dimensions();
    let mut rgb = Vec::with_capacity(w as usize * h as usize * 3);
    for px in rgba.pixels() {
        let [r, g, b, a] = px.0;
        let a = u32::from(a);
        for c in [r, g, b] {
            // c * a + 255 * (255 - a), rounded, over 255.
            rgb.push(((u32::from(c) * a + 255 * (255 - a) + 127) / 255) as u8);
        }
    }
    RgbImage::from_raw(w, h, rgb).expect("buffer sized for the image")
}

/// Lanczos3 to `width` x `height`: RGB, or one grey band (a grayscale photo stays one band
/// from decoder to encoder: a third of the work, and a grayscale JPEG out).
fn resize(src: &DynamicImage, width: u32, height: u32) -> DynamicImage {
    if (width, height) == (src.width(), src.height()) {
        return src.clone();
    }
    match src {
        DynamicImage::ImageLuma8(gray) => DynamicImage::ImageLuma8(
            image::GrayImage::from_raw(
                width,
                height,
                resize_raw(gray.as_raw(), gray.dimensions(), (width, height), true),
            )
            .expect("buffer sized for the image"),
        ),
        other => {
            let rgb = other.as_rgb8().expect("the pipeline works on RGB or grey");
            DynamicImage::ImageRgb8(resize_pixels(
                rgb.as_raw(),
                rgb.width(),
                rgb.height(),
                width,
                height,
            ))
        }
    }
}

/// Lanczos3 from tightly packed RGB `pixels` (`src_width` x `src_height`), borrowed: a
/// decoder's own buffer is resized without a copy.
pub(crate) fn resize_pixels(
    pixels: &[u8],
    src_width: u32,
    src_height: u32,
    width: u32,
    height: u32,
) -> RgbImage {
    RgbImage::from_raw(
        width,
        height,
        resize_raw(pixels, (src_width, src_height), (width, height), false),
    )
    .expect("buffer sized for the image")
}

fn resize_raw(pixels: &[u8], from: (u32, u32), to: (u32, u32), gray: bool) -> Vec<u8> {
    let kind = if gray {
        fr::PixelType::U8
    } else {
        fr::PixelType::U8x3
    };
    lanczos3(pixels, kind, from, None, to)
}

/// Lanczos3 of one 8-bit plane (`from` its size) to `to`, from the part of it `crop` says
/// (left, top, width, height; the filter reads past it where the plane goes on).
pub(crate) fn resize_plane(
    plane: &[u8],
    from: (u32, u32),
    crop: (f64, f64, f64, f64),
    to: (u32, u32),
) -> Vec<u8> {
    lanczos3(plane, fr::PixelType::U8, from, Some(crop), to)
}

/// Lanczos3 of tightly packed `pixels` of `kind` (`from` their size) to `to`, from all of
/// them or the part `crop` says.
fn lanczos3(
    pixels: &[u8],
    kind: fr::PixelType,
    from: (u32, u32),
    crop: Option<(f64, f64, f64, f64)>,
    to: (u32, u32),
) -> Vec<u8> {
    let src = fr::images::ImageRef::new(from.0, from.1, pixels, kind)
        .expect("buffer sized for the image");
    let mut dst = fr::images::Image::new(to.0, to.1, kind);
    let mut options =
        fr::ResizeOptions::new().resize_alg(fr::ResizeAlg::Convolution(fr::FilterType::Lanczos3));
    if let Some((left, top, width, height)) = crop {
        options = options.crop(left, top, width, height);
    }
    fr::Resizer::new()
        .resize(&src, &mut dst, &options)
        .expect("same pixel type on both sides");
    dst.into_vec()
}

/// TurboJPEG with the pipeline's settings: `quality`, 4:2:0, optimised Huffman tables.
fn compressor(quality: u8) -> Result<turbojpeg::Compressor, PhotoError> {
    let mut compressor = turbojpeg::Compressor::new().map_err(corrupt)?;
    compressor
        .set_quality(i32::from(quality))
        .map_err(corrupt)?;
    compressor
        .set_subsamp(turbojpeg::Subsamp::Sub2x2)
        .map_err(corrupt)?;
    compressor.set_optimize(true).map_err(corrupt)?;
    Ok(compressor)
}

fn encode(image: &DynamicImage, quality: u8) -> Result<Jpeg, PhotoError> {
    let mut compressor = compressor(quality)?;
    let bytes = match image {
        // Meta takes 8-bit RGB or RGBA images, so a grey picture (resized as one band) is
        // written as colour: its band is the luma plane as it is, the chroma planes neutral.
        // What an RGB copy of it would give, without the copy and the colour conversion.
        DynamicImage::ImageLuma8(gray) => {
            let (width, height) = (gray.width() as usize, gray.height() as usize);
            // Planes of 4:2:0 cover whole 2x2 blocks: an odd side is padded by repeating the
            // last column or row (what libjpeg-turbo does to an RGB picture's edge).
            let luma = even_sided(gray);
            let y_stride = width.next_multiple_of(2);
            let chroma_stride = width.div_ceil(2);
            let neutral = vec![128; chroma_stride * height.div_ceil(2)];
            compressor.compress_yuv_planes_to_vec(&turbojpeg::YuvPlanesImage {
                y_plane: &luma,
                u_plane: &neutral,
                v_plane: &neutral,
                width,
                height,
                y_stride,
                u_stride: chroma_stride,
                v_stride: chroma_stride,
                subsamp: turbojpeg::Subsamp::Sub2x2,
            })
        }
        other => {
            let widened;
            let rgb = match other {
                DynamicImage::ImageRgb8(rgb) => rgb,
                other => {
                    widened = other.to_rgb8();
                    &widened
                }
            };
            compressor.compress_to_vec(turbojpeg::Image {
                pixels: rgb.as_raw().as_slice(),
                width: rgb.width() as usize,
                pitch: rgb.width() as usize * 3,
                height: rgb.height() as usize,
                format: turbojpeg::PixelFormat::RGB,
            })
        }
    }
    .map_err(corrupt)?;
    Ok(Jpeg {
        bytes,
        width: image.width(),
        height: image.height(),
    })
}

/// The grey band with an even number of columns and rows, the last repeated where one is
/// missing; borrowed when both already are even.
fn even_sided(gray: &image::GrayImage) -> std::borrow::Cow<'_, [u8]> {
    let (width, height) = (gray.width() as usize, gray.height() as usize);
    if width % 2 == 0 && height % 2 == 0 {
        return std::borrow::Cow::Borrowed(gray.as_raw());
    }
    std::borrow::Cow::Owned(planes::even_sided(gray.as_raw(), width, height))
}

/// Encodes at `quality`; while the result is over `max_bytes`, lowers the quality (down to
/// 50), then shrinks the picture by a quarter at a time. Always ends: a small enough picture
/// fits any limit a caller would set.
fn encode_within(image: &DynamicImage, quality: u8, max_bytes: usize) -> Result<Jpeg, PhotoError> {
    let mut quality = quality;
    let mut current = std::borrow::Cow::Borrowed(image);
    loop {
        let jpeg = encode(&current, quality)?;
        if jpeg.bytes.len() <= max_bytes || current.width().max(current.height()) <= 64 {
            return Ok(jpeg);
        }
        if quality > 50 {
            quality = quality.saturating_sub(10).max(50);
        } else {
            let long = current.width().max(current.height());
            let (w, h) = fit(current.width(), current.height(), long * 3 / 4);
            current = std::borrow::Cow::Owned(resize(&current, w, h));
        }
    }
}

/// Bytes that look random (every sample value and alpha occur), the same every run.
#[cfg(test)]
pub(crate) fn noise(len: usize, seed: u32) -> Vec<u8> {
    let mut x = seed.wrapping_mul(2_654_435_761).max(1);
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            (x >> 24) as u8
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_grey_picture_of_any_size_is_written_as_colour_with_its_own_greys() {
        for (w, h) in [(64, 48), (63, 48), (64, 47), (33, 17), (1, 1)] {
            let gray = image::GrayImage::from_fn(w, h, |x, y| {
                image::Luma([(x * 160 / w + y * 90 / h) as u8])
            });
            let jpeg = encode(&DynamicImage::ImageLuma8(gray.clone()), 95).unwrap();
            assert_eq!((jpeg.width, jpeg.height), (w, h));
            let header = turbojpeg::read_header(&jpeg.bytes).unwrap();
            assert_eq!(header.colorspace, turbojpeg::Colorspace::YCbCr);
            assert_eq!((header.width, header.height), (w as usize, h as usize));
            let rgb: RgbImage = turbojpeg::decompress_image(&jpeg.bytes).unwrap();
            for (x, y, px) in rgb.enumerate_pixels() {
                let want = gray.get_pixel(x, y).0[0];
                for c in px.0 {
                    assert!(
                        c.abs_diff(want) <= 6,
                        "{w}x{h} at ({x}, {y}): {px:?}, grey {want}"
                    );
                }
            }
        }
    }
}
