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
    // An ICC profile, or the colour described by code points (nclx: primaries and transfer
    // curve, as Android phones and AVIF encoders write it) made into one.
    let icc = handle
        .color_profile_raw()
        .map(|p| p.data)
        .or_else(|| handle.color_profile_nclx().and_then(|n| nclx_profile(&n)));
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
    let rgb = if (w, h) == full.dimensions() {
        full
    } else {
        crate::resize_pixels(full.as_raw(), width, height, w, h)
    };
    Ok(Decoded { rgb, icc })
}

fn corrupt(e: libheif_rs::HeifError) -> PhotoError {
    PhotoError::Corrupt(e.message)
}

fn short() -> PhotoError {
    PhotoError::Corrupt("the decoded picture is shorter than its size".into())
}

/// An ICC profile for an nclx colour description that is not already sRGB's: its primaries
/// and white point as given, its transfer curve by its code. `None` for sRGB/BT.709
/// primaries (nothing to convert) and for HDR curves (PQ, HLG), which a profile cannot map to
/// sRGB without tone mapping: those pixels are taken as sRGB.
fn nclx_profile(nclx: &libheif_rs::ColorProfileNCLX) -> Option<Vec<u8>> {
    use libheif_rs::{ColorPrimaries as P, TransferCharacteristics as T};
    if matches!(
        nclx.color_primaries(),
        P::ITU_R_BT_709_5 | P::Unspecified | P::Unknown
    ) {
        return None;
    }
    // ICC parametric curves (type 1: gamma; type 4: IEC 61966-2-1's shape).
    let curve = match nclx.transfer_characteristics() {
        T::IEC_61966_2_1 | T::Unspecified | T::Unknown => lcms2::ToneCurve::new_parametric(
            4,
            &[2.4, 1.0 / 1.055, 0.055 / 1.055, 1.0 / 12.92, 0.04045],
        ),
        T::ITU_R_BT_709_5
        | T::ITU_R_BT_601_6
        | T::ITU_R_BT_2020_2_10bit
        | T::ITU_R_BT_2020_2_12bit => lcms2::ToneCurve::new_parametric(
            4,
            &[1.0 / 0.45, 1.0 / 1.099, 0.099 / 1.099, 1.0 / 4.5, 0.081],
        ),
        T::ITU_R_BT_470_6_System_M => lcms2::ToneCurve::new_parametric(1, &[2.2]),
        T::ITU_R_BT_470_6_System_B_G => lcms2::ToneCurve::new_parametric(1, &[2.8]),
        T::Linear => lcms2::ToneCurve::new_parametric(1, &[1.0]),
        _ => return None,
    }
    .ok()?;
    let xy = |x: f32, y: f32| lcms2::CIExyY {
        x: f64::from(x),
        y: f64::from(y),
        Y: 1.0,
    };
    lcms2::Profile::new_rgb(
        &xy(nclx.color_primary_white_x(), nclx.color_primary_white_y()),
        &lcms2::CIExyYTRIPLE {
            Red: xy(nclx.color_primary_red_x(), nclx.color_primary_red_y()),
            Green: xy(nclx.color_primary_green_x(), nclx.color_primary_green_y()),
            Blue: xy(nclx.color_primary_blue_x(), nclx.color_primary_blue_y()),
        },
        &[&curve, &curve, &curve],
    )
    .ok()?
    .icc()
    .ok()
}
