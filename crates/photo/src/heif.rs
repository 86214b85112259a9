//! HEIC/HEIF (every iPhone photo) and AVIF, through libheif (the system's: Debian's
//! `libheif1`, with libde265 for HEVC and dav1d for AV1). Meta takes only JPEG and PNG, so
//! these are converted, never sent as they are.
//!
//! libheif applies the container's own rotation and mirroring (`irot`, `imir`) and crop while
//! decoding; HEIF's rule is that these, not the EXIF orientation inside, say which way is up,
//! so the EXIF tag is not applied on top (it would turn an iPhone photo twice).

use image::RgbImage;
use libheif_rs::{ColorSpace, HeifContext, LibHeif, RgbChroma};

use crate::{Limits, PhotoError, check_size};

/// A decoded HEIF/AVIF picture: upright RGB, already bounded to the long edge asked for
/// (resized straight from libheif's buffer, without a copy of the full-size pixels), and its
/// ICC profile if it has one.
pub(crate) struct Decoded {
    pub rgb: RgbImage,
    pub icc: Option<Vec<u8>>,
}

pub(crate) fn decode(bytes: &[u8], long_edge: u32, limits: &Limits) -> Result<Decoded, PhotoError> {
    let lib = LibHeif::new();
    let context = HeifContext::read_from_bytes(bytes).map_err(corrupt)?;
    let handle = context.primary_image_handle().map_err(corrupt)?;
    // The size before anything is decoded (rotation swaps the sides, not the area).
    check_size(handle.width(), handle.height(), limits)?;
    let icc = handle.color_profile_raw().map(|p| p.data);
    // Alpha is decoded along (RGBA) and laid over white, as for PNG.
    let chroma = if handle.has_alpha_channel() {
        RgbChroma::Rgba
    } else {
        RgbChroma::Rgb
    };
    let image = lib
        .decode(&handle, ColorSpace::Rgb(chroma), None)
        .map_err(corrupt)?;
    let planes = image.planes();
    let plane = planes
        .interleaved
        .ok_or_else(|| PhotoError::Corrupt("no picture in the file".into()))?;
    let (width, height) = (plane.width, plane.height);
    check_size(width, height, limits)?;
    let channels = if chroma == RgbChroma::Rgba { 4 } else { 3 };
    let row = width as usize * channels;
    let (w, h) = crate::fit(width, height, long_edge);
    if channels == 3 && plane.stride == row {
        let pixels = plane.data.get(..row * height as usize).ok_or_else(short)?;
        let rgb = crate::resize_pixels(pixels, width, height, w, h);
        return Ok(Decoded { rgb, icc });
    }
    let mut pixels = Vec::with_capacity(row * height as usize);
    for line in plane.data.chunks(plane.stride).take(height as usize) {
        pixels.extend_from_slice(line.get(..row).ok_or_else(short)?);
    }
    let full = if channels == 4 {
        let rgba = image::RgbaImage::from_raw(width, height, pixels).ok_or_else(short)?;
        crate::flatten(image::DynamicImage::ImageRgba8(rgba))
    } else {
        RgbImage::from_raw(width, height, pixels).ok_or_else(short)?
    };
    let rgb = crate::resize(&full, w, h);
    Ok(Decoded { rgb, icc })
}

fn corrupt(e: libheif_rs::HeifError) -> PhotoError {
    PhotoError::Corrupt(e.message)
}

fn short() -> PhotoError {
    PhotoError::Corrupt("the decoded picture is shorter than its size".into())
}
