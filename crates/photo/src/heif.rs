//! HEIC/HEIF (every iPhone photo) and AVIF, through libheif (1.23, built from source and
//! linked statically, with the system's libde265 for HEVC and dav1d for AV1). Meta takes only
//! JPEG and PNG, so these are converted, never sent as they are.
//!
//! HEVC decodes on as many threads as the machine has cores ([`codec_threads`]): libde265
//! splits a picture written with wavefront rows (x265's default) between them, near twice as
//! fast on two cores as Debian's libheif 1.15, which runs it on one. A grid picture (as iPhones
//! write them, tiles of 512 x 512) is decoded tile by tile on libheif's own threads besides.
//! AV1 decodes on one: dav1d on several threads decodes a frame in two passes and keeps all
//! of its coefficients in between, which a video's stream of frames repays and a still
//! picture's one frame does not.
//!
//! An 8-bit picture without transparency (every camera photo) is decoded as YCbCr in its own
//! chroma layout (4:2:0, 4:2:2, 4:4:4) and its planes are resized to the output's size before
//! they are made RGB (yuvutils-rs, the matrix and range its colour description gives):
//! libheif's own conversion would make the full-size RGB first (36 MB for 12 MP, and a fifth
//! of an AVIF's time). Anything else, or a matrix this path does not know, goes through
//! libheif's conversion to RGB.
//!
//! libheif applies the container's own rotation and mirroring (`irot`, `imir`) and crop while
//! decoding; HEIF's rule is that these, not the EXIF orientation inside, say which way is up,
//! so the EXIF tag is not applied on top (it would turn an iPhone photo twice).

use image::RgbImage;
use libheif_rs::{Chroma, ColorSpace, DecodingOptions, HeifContext, LibHeif, RgbChroma};

use crate::{Limits, PhotoError, check_size};

/// A decoded HEIF/AVIF picture: upright RGB, already bounded to the long edge asked for
/// (resized straight from libheif's buffer, without a copy of the full-size pixels), and its
/// ICC profile if it has one.
pub(crate) struct Decoded {
    pub rgb: RgbImage,
    pub icc: Option<Vec<u8>>,
}

/// Decodes a HEIF file; `av1` when it is an AVIF (one codec thread: [`codec_threads`]).
pub(crate) fn decode(
    bytes: &[u8],
    av1: bool,
    long_edge: u32,
    limits: &Limits,
) -> Result<Decoded, PhotoError> {
    let lib = LibHeif::new();
    let context = HeifContext::read_from_bytes(bytes).map_err(corrupt)?;
    let handle = context.primary_image_handle().map_err(corrupt)?;
    let threads = codec_threads(av1);
    // The size before anything is decoded (rotation swaps the sides, not the area).
    check_size(handle.width(), handle.height(), limits)?;
    // An ICC profile, or the colour described by code points (nclx: primaries and transfer
    // curve, as Android phones and AVIF encoders write it) made into one.
    let icc = handle
        .color_profile_raw()
        .map(|p| p.data)
        .or_else(|| handle.color_profile_nclx().and_then(|n| nclx_profile(&n)));
    if let Some(chroma) = planar_chroma(&handle) {
        let mut image = lib
            .decode(&handle, ColorSpace::YCbCr(chroma), options(threads))
            .map_err(corrupt)?;
        if let Some(rgb) = from_ycbcr(&mut image, long_edge, limits)? {
            return Ok(Decoded { rgb, icc });
        }
    }
    // Alpha is decoded along (RGBA) and laid over white, as for PNG.
    let chroma = if handle.has_alpha_channel() {
        RgbChroma::Rgba
    } else {
        RgbChroma::Rgb
    };
    let image = lib
        .decode(&handle, ColorSpace::Rgb(chroma), options(threads))
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

/// libheif's decoding options: its defaults, but the codec on `threads` threads.
fn options(threads: u32) -> Option<DecodingOptions> {
    let mut options = DecodingOptions::new()?;
    options.set_num_codec_threads(threads);
    Some(options)
}

/// The threads the codec may use. HEVC: the machine's cores (libheif's default is one). AV1:
/// one. On two threads dav1d decodes a frame in two passes with every coefficient kept in
/// between (37 MB for 12 MP at 4:2:0, 8 bits), which pays off over a video's frames, not on a
/// still picture's one: on one thread a 12 MP 4:2:0 AVIF peaked at 43 MB instead of 84 and
/// took 82 ms instead of 96-100; a 3 MP 12-bit 4:4:4 one 46 MB instead of 79, 102-105 ms
/// instead of 109-126.
fn codec_threads(av1: bool) -> u32 {
    if av1 {
        return 1;
    }
    std::thread::available_parallelism().map_or(1, |n| u32::try_from(n.get()).unwrap_or(1))
}

/// How an 8-bit picture without transparency is decoded to be made RGB here: as YCbCr in its
/// own chroma layout (4:2:0, 4:2:2 or 4:4:4: no conversion in libheif), one in another layout
/// (monochrome) as 4:2:0. `None`: through libheif's RGB, as 10- and 12-bit pictures go (made
/// RGB from their planes here, a 12-bit 4:4:4 AVIF took longer, peaked as high, and scored
/// lower: docs/benchmarks.md).
fn planar_chroma(handle: &libheif_rs::ImageHandle) -> Option<Chroma> {
    if handle.has_alpha_channel() || handle.luma_bits_per_pixel() != 8 {
        return None;
    }
    match handle.preferred_decoding_colorspace() {
        Ok(ColorSpace::YCbCr(chroma @ (Chroma::C422 | Chroma::C444))) => Some(chroma),
        _ => Some(Chroma::C420),
    }
}

/// The picture made RGB at the output's size from its 8-bit YCbCr planes, each resized first,
/// by the matrix and range the decoded planes' own description gives. Not the container's: libheif may hand YCbCr planes in
/// another matrix and range than the file names (1.15 converted every file to BT.601 full
/// range and attached no description; `each_matrix_and_range_an_avif_names_...` shows a
/// limited-range or BT.709 AVIF 7 levels off when read by its container's). `None`
/// when its matrix is one only libheif converts (RGB stored as YCbCr, YCgCo, ICtCp, constant
/// luminance) or its planes are not 8-bit 4:2:0, 4:2:2 or 4:4:4.
fn from_ycbcr(
    image: &mut libheif_rs::Image,
    long_edge: u32,
    limits: &Limits,
) -> Result<Option<RgbImage>, PhotoError> {
    let Some((matrix, range)) = matrix_of(image.color_profile_nclx().as_ref()) else {
        return Ok(None);
    };
    {
        let planes = image.planes_mut();
        for plane in [planes.y, planes.cb, planes.cr].into_iter().flatten() {
            repeat_the_last_column(plane);
        }
    }
    let planes = image.planes();
    let (Some(y), Some(cb), Some(cr)) = (planes.y, planes.cb, planes.cr) else {
        return Ok(None);
    };
    if [&y, &cb, &cr]
        .iter()
        .any(|p| p.bits_per_pixel != 8 || p.storage_bits_per_pixel != 8)
    {
        return Ok(None);
    }
    let (half_w, half_h) = (y.width.div_ceil(2), y.height.div_ceil(2));
    let layout = match (cb.width, cb.height) {
        size if size == (half_w, half_h) => Layout::C420,
        size if size == (half_w, y.height) => Layout::C422,
        size if size == (y.width, y.height) => Layout::C444,
        _ => return Ok(None),
    };
    check_size(y.width, y.height, limits)?;
    let (w, h) = crate::fit(y.width, y.height, long_edge);
    let (cw, ch) = match layout {
        Layout::C420 => (w.div_ceil(2), h.div_ceil(2)),
        Layout::C422 => (w.div_ceil(2), h),
        Layout::C444 => (w, h),
    };
    let luma = resize_plane(&y, w, h)?;
    let (u, v) = (resize_plane(&cb, cw, ch)?, resize_plane(&cr, cw, ch)?);
    let mut rgb = vec![0; w as usize * h as usize * 3];
    let planar = yuvutils_rs::YuvPlanarImage {
        y_plane: &luma,
        y_stride: w,
        u_plane: &u,
        u_stride: cw,
        v_plane: &v,
        v_stride: cw,
        width: w,
        height: h,
    };
    let convert = match layout {
        Layout::C420 => yuvutils_rs::yuv420_to_rgb,
        Layout::C422 => yuvutils_rs::yuv422_to_rgb,
        Layout::C444 => yuvutils_rs::yuv444_to_rgb,
    };
    convert(&planar, &mut rgb, w * 3, range, matrix)
        .map_err(|e| PhotoError::Corrupt(e.to_string()))?;
    Ok(Some(
        RgbImage::from_raw(w, h, rgb).expect("buffer sized for the image"),
    ))
}

/// The YCbCr matrix and range of an nclx description (H.273's code points); no description is
/// libheif's default, BT.601 full range.
fn matrix_of(
    nclx: Option<&libheif_rs::ColorProfileNCLX>,
) -> Option<(yuvutils_rs::YuvStandardMatrix, yuvutils_rs::YuvRange)> {
    use libheif_rs::MatrixCoefficients as M;
    use yuvutils_rs::{YuvRange, YuvStandardMatrix as S};
    let Some(nclx) = nclx else {
        return Some((S::Bt601, YuvRange::Full));
    };
    let matrix = match nclx.matrix_coefficients() {
        M::ITU_R_BT_709_5 => S::Bt709,
        M::ITU_R_BT_601_6 | M::ITU_R_BT_470_6_System_B_G | M::Unspecified | M::Unknown => S::Bt601,
        M::ITU_R_BT_2020_2_NonConstantLuminance => S::Bt2020,
        M::SMPTE_240M => S::Smpte240,
        M::US_FCC_T47 => S::Custom(0.30, 0.11),
        _ => return None,
    };
    let range = if nclx.full_range_flag() != 0 {
        YuvRange::Full
    } else {
        YuvRange::Limited
    };
    Some((matrix, range))
}

/// The padding libheif leaves at the end of a plane's rows (its rows are aligned) filled with
/// each row's last sample. The resize reads past the picture's right edge when there is
/// something to read (the crop bounds where it samples, not what its filter reaches), so
/// without this the last column would be blended with whatever the padding holds.
fn repeat_the_last_column(plane: libheif_rs::Plane<&mut [u8]>) {
    let bytes = usize::from(plane.storage_bits_per_pixel.div_ceil(8));
    let used = plane.width as usize * bytes;
    if plane.width == 0 || plane.stride <= used {
        return;
    }
    for row in plane.data.chunks_exact_mut(plane.stride) {
        let (picture, padding) = row.split_at_mut(used);
        let last = &picture[used - bytes..];
        for sample in padding.chunks_exact_mut(bytes) {
            sample.copy_from_slice(last);
        }
    }
}

/// How the chroma planes are laid out beside the luma plane.
#[derive(Clone, Copy)]
enum Layout {
    C420,
    C422,
    C444,
}

/// One 8-bit plane resized to `w` x `h` (Lanczos3), read in place: its rows may be longer
/// than the picture (libheif aligns them), which the resize crops.
fn resize_plane(plane: &libheif_rs::Plane<&[u8]>, w: u32, h: u32) -> Result<Vec<u8>, PhotoError> {
    use fast_image_resize as fr;
    let stride = u32::try_from(plane.stride).map_err(|_| short())?;
    let rows = plane
        .data
        .get(..plane.stride * plane.height as usize)
        .ok_or_else(short)?;
    let src = fr::images::ImageRef::new(stride, plane.height, rows, fr::PixelType::U8)
        .map_err(|_| short())?;
    let mut dst = fr::images::Image::new(w, h, fr::PixelType::U8);
    fr::Resizer::new()
        .resize(
            &src,
            &mut dst,
            &fr::ResizeOptions::new()
                .resize_alg(fr::ResizeAlg::Convolution(fr::FilterType::Lanczos3))
                .crop(0.0, 0.0, f64::from(plane.width), f64::from(plane.height)),
        )
        .map_err(|e| PhotoError::Corrupt(e.to_string()))?;
    Ok(dst.into_vec())
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Smooth, saturated colour everywhere (where a wrong matrix or range shows), odd-sized.
    fn scene() -> RgbImage {
        RgbImage::from_fn(641, 479, |x, y| {
            image::Rgb([
                (x * 255 / 640) as u8,
                (y * 255 / 478) as u8,
                (255 - (x + y) * 255 / 1118) as u8,
            ])
        })
    }

    /// What libheif's own conversion makes of the file: full-size RGB.
    fn through_libheif(bytes: &[u8]) -> RgbImage {
        let context = HeifContext::read_from_bytes(bytes).unwrap();
        let handle = context.primary_image_handle().unwrap();
        let image = LibHeif::new()
            .decode(&handle, ColorSpace::Rgb(RgbChroma::Rgb), None)
            .unwrap();
        let plane = image.planes().interleaved.unwrap();
        let row = plane.width as usize * 3;
        let pixels = plane
            .data
            .chunks(plane.stride)
            .take(plane.height as usize)
            .flat_map(|line| line[..row].iter().copied())
            .collect();
        RgbImage::from_raw(plane.width, plane.height, pixels).unwrap()
    }

    /// The file's planes made RGB by this path, bounded to `long_edge`.
    fn through_planes(bytes: &[u8], long_edge: u32) -> RgbImage {
        let context = HeifContext::read_from_bytes(bytes).unwrap();
        let handle = context.primary_image_handle().unwrap();
        let chroma = planar_chroma(&handle).expect("a picture this path takes");
        let mut image = LibHeif::new()
            .decode(&handle, ColorSpace::YCbCr(chroma), None)
            .unwrap();
        from_ycbcr(&mut image, long_edge, &Limits::default())
            .unwrap()
            .expect("a matrix this path converts")
    }

    /// The mean and the largest difference of two pictures' samples.
    fn difference(a: &RgbImage, b: &RgbImage) -> (f64, u8) {
        assert_eq!(a.dimensions(), b.dimensions());
        let diffs = a
            .as_raw()
            .iter()
            .zip(b.as_raw())
            .map(|(a, b)| a.abs_diff(*b));
        let sum: f64 = diffs.clone().map(f64::from).sum();
        (sum / a.as_raw().len() as f64, diffs.max().unwrap_or(0))
    }

    #[test]
    fn planes_made_rgb_here_match_libheifs_own_conversion() {
        for (bytes, label) in [
            (crate::heif_testing::encode(&scene(), false, 1), "HEIC"),
            (crate::heif_testing::encode(&scene(), true, 1), "AVIF"),
            (
                crate::heif_testing::encode_with_primaries(
                    &scene(),
                    true,
                    libheif_rs::ColorPrimaries::SMPTE_EG_432_1,
                ),
                "AVIF described by nclx",
            ),
        ] {
            // At full size: the conversion alone (libheif upsamples chroma by repeating it,
            // this path by Lanczos3, so single pixels differ a little).
            let theirs = through_libheif(&bytes);
            let (mean, max) = difference(&through_planes(&bytes, 10_000), &theirs);
            assert!(mean < 1.0 && max <= 8, "{label}: mean {mean:.2}, max {max}");

            // Made smaller: each plane resized, then made RGB, against RGB resized.
            let ours = through_planes(&bytes, 320);
            assert_eq!(ours.dimensions(), (320, 239), "{label}");
            let theirs = crate::resize_pixels(theirs.as_raw(), 641, 479, 320, 239);
            // The largest too: the right edge is read past the picture when the plane's rows
            // are padded (641 px wide), which the padding filled by `repeat_the_last_column`
            // keeps from showing (without it, 25 levels off in the last column).
            let (mean, max) = difference(&ours, &theirs);
            assert!(
                mean < 1.0 && max <= 6,
                "{label} at 320 px: mean {mean:.2}, max {max}"
            );
        }
    }

    #[test]
    fn a_grid_of_tiles_as_iphones_write_decodes_as_one_picture() {
        // 4 x 2 tiles of 128 px: each its own HEVC picture, put together by libheif.
        let source =
            image::imageops::resize(&scene(), 512, 256, image::imageops::FilterType::Triangle);
        let bytes = crate::heif_testing::encode_grid(&source, 128);
        let context = HeifContext::read_from_bytes(&bytes).unwrap();
        let handle = context.primary_image_handle().unwrap();
        assert_eq!((handle.width(), handle.height()), (512, 256));
        let decoded = decode(&bytes, false, 10_000, &Limits::default()).unwrap();
        // Lossy at quality 90: close to the source everywhere, tile seams included.
        let (mean, max) = difference(&decoded.rgb, &source);
        assert!(mean < 1.5 && max <= 12, "mean {mean:.2}, max {max}");
    }

    /// AVIFs as libavif's `avifenc` writes them with each matrix and range (H.273 code points
    /// in their nclx box and the AV1 stream), compared with the pixels they were made from:
    /// the planes libheif hands over must be read by the matrix and range they are in.
    /// The scene written by libavif's `avifenc` with these arguments (quantizer 0: the least
    /// loss AV1's lossy mode has).
    fn avifenc(source: &RgbImage, args: &[&str]) -> Vec<u8> {
        let dir = tempfile::tempdir().unwrap();
        source.save(dir.path().join("scene.png")).unwrap();
        let out = dir.path().join("out.avif");
        let status = std::process::Command::new("avifenc")
            .args(["-s", "10", "--min", "0", "--max", "0"])
            .args(args)
            .arg(dir.path().join("scene.png"))
            .arg(&out)
            .stdout(std::process::Stdio::null())
            .status()
            .expect("libavif's avifenc (scripts/setup.sh installs libavif-bin)");
        assert!(status.success(), "avifenc {args:?}");
        std::fs::read(&out).unwrap()
    }

    #[test]
    fn each_matrix_and_range_an_avif_names_is_the_one_used() {
        let source = scene();
        for (cicp, range) in [
            ("1/13/6", "full"),
            ("1/13/6", "limited"),
            ("1/13/1", "full"),
            ("1/13/1", "limited"),
            ("9/13/9", "limited"),
            ("1/13/2", "full"),
        ] {
            let bytes = avifenc(&source, &["-y", "420", "--cicp", cicp, "-r", range]);
            let ours = through_planes(&bytes, 10_000);
            let (mean, _) = difference(&ours, &source);
            assert!(mean < 2.0, "{cicp} {range}: mean difference {mean:.2}");
        }
    }

    /// AVIFs in each chroma layout avifenc writes at 8 bits, made RGB from their own planes:
    /// against the pixels they were made from, and made smaller against libheif's own RGB
    /// resized. And at 10 and 12 bits (cameras and HDR phones), which go through libheif's RGB,
    /// the whole decode against the pixels.
    #[test]
    fn every_chroma_layout_is_made_rgb_from_its_planes_and_every_depth_decodes() {
        let source = scene();
        for (depth, layout) in [
            ("8", "420"),
            ("8", "422"),
            ("8", "444"),
            ("10", "420"),
            ("12", "444"),
        ] {
            let bytes = avifenc(&source, &["-d", depth, "-y", layout]);
            if depth != "8" {
                let decoded = decode(&bytes, true, 10_000, &Limits::default()).unwrap();
                let (mean, max) = difference(&decoded.rgb, &source);
                assert!(
                    mean < 1.0 && max <= 6,
                    "{depth}-bit {layout}: mean {mean:.2}, max {max}"
                );
                continue;
            }
            let (mean, max) = difference(&through_planes(&bytes, 10_000), &source);
            assert!(
                mean < 1.0 && max <= 6,
                "{depth}-bit {layout}: mean {mean:.2}, max {max}"
            );
            let ours = through_planes(&bytes, 320);
            let theirs = through_libheif(&bytes);
            let theirs = crate::resize_pixels(theirs.as_raw(), 641, 479, 320, 239);
            let (mean, max) = difference(&ours, &theirs);
            assert!(
                mean < 1.0 && max <= 6,
                "{depth}-bit {layout} at 320 px: mean {mean:.2}, max {max}"
            );
        }
    }
}
