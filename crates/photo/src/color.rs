//! Colour: what is sent is sRGB, whatever the picture was stored in.
//!
//! - An embedded ICC profile (Display P3 from an iPhone, Adobe RGB from a camera) is converted
//!   to sRGB by Little CMS, so the picture does not look washed out where the profile is
//!   dropped (and the output has no profile: [`crate`] writes pixels alone).
//! - CMYK and YCCK JPEGs (print workflows, some editors) are converted with the naive formula
//!   (no press profile is assumed), honouring Adobe's convention: when the file has an Adobe
//!   APP14 marker, its CMYK values are stored inverted, as Photoshop writes them.

use image::RgbImage;

/// Converts `image` (RGB pixels described by the ICC profile `icc`) to sRGB, in place.
/// A profile that is not an RGB profile, or that Little CMS cannot read, is ignored: the
/// pixels are sent as they are, as a browser would show them without colour management.
pub(crate) fn to_srgb(image: &mut RgbImage, icc: &[u8]) {
    let Ok(profile) = lcms2::Profile::new_icc(icc) else {
        return;
    };
    if profile.color_space() != lcms2::ColorSpaceSignature::RgbData {
        return;
    }
    let Ok(transform) = lcms2::Transform::<u8, u8>::new(
        &profile,
        lcms2::PixelFormat::RGB_8,
        &lcms2::Profile::new_srgb(),
        lcms2::PixelFormat::RGB_8,
        lcms2::Intent::Perceptual,
    ) else {
        return;
    };
    let raw: &mut [u8] = image;
    transform.transform_in_place(raw);
}

/// CMYK pixels (4 bytes each, as libjpeg-turbo gives them) to RGB. `inverted`: the Adobe
/// convention (255 is no ink).
pub(crate) fn cmyk_to_rgb(cmyk: &[u8], inverted: bool) -> Vec<u8> {
    let mut rgb = Vec::with_capacity(cmyk.len() / 4 * 3);
    for px in cmyk.chunks_exact(4) {
        // In "ink left out" terms: 255 - ink, which is what an inverted file stores.
        let [c, m, y, k] = if inverted {
            [px[0], px[1], px[2], px[3]]
        } else {
            [255 - px[0], 255 - px[1], 255 - px[2], 255 - px[3]]
        };
        let k = u32::from(k);
        for v in [c, m, y] {
            rgb.push(((u32::from(v) * k + 127) / 255) as u8);
        }
    }
    rgb
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cmyk_follows_the_adobe_convention_only_when_told() {
        // Pure cyan ink, no black: (0, 255, 255) in RGB.
        assert_eq!(cmyk_to_rgb(&[255, 0, 0, 0], false), vec![0, 255, 255]);
        assert_eq!(cmyk_to_rgb(&[0, 255, 255, 255], true), vec![0, 255, 255]);
        // Half black over nothing else: mid grey.
        assert_eq!(cmyk_to_rgb(&[0, 0, 0, 128], false), vec![127, 127, 127]);
    }
}
