//! A progressive JPEG decoded at 1/2, 1/4 or 1/8 of its size, keeping only the coefficients
//! that size shows.
//!
//! A progressive file sends every block's coefficients in several passes (the DC first, then
//! bands of frequencies, then their lower bits), so a decoder must keep all of them until the
//! last scan: libjpeg-turbo keeps every coefficient at two bytes (73 MB for a 12 MP picture at
//! 4:4:4) and reduces each block only at the end. Shown at 1/2, a block gives 4 x 4 samples,
//! and this decoder keeps only the 4 x 4 lowest frequencies that make them (2 x 2 at 1/4, the
//! DC at 1/8) and, for every other coefficient, one bit: whether it is nonzero yet, which is
//! all the refinement scans need to know of it (their correction bits are read and dropped).
//! 40 bytes a block at 1/2 instead of 128: 22 MB for that picture.
//!
//! Each reduced sample is the mean of the samples a full decode would give in its place, less
//! the frequencies above what the reduced size can show (which the mean would fold back in as
//! aliasing): the kept coefficients through the 8-point IDCT's basis averaged over each group
//! of samples. A chroma plane stored at half the luma's resolution keeps twice the
//! frequencies across (or down) instead, as libjpeg scales chroma, so every plane comes out
//! at the output's size without upsampling; the planes are made RGB by JFIF's equations.
//!
//! What it does not handle gives `None`, and libjpeg-turbo decodes the file as it did before
//! (and says what is wrong with a damaged one): baseline and arithmetic-coded files, other
//! precisions than 8 bits, CMYK, YCCK and RGB-stored files, sampling factors other than 1 and
//! 2, and any scan that does not decode cleanly (a truncated file, a bad Huffman code, a
//! restart marker out of place, more scans than any encoder writes).

mod entropy;
mod idct;

use image::DynamicImage;

use entropy::{Bits, Huffman, run_scan};
use idct::finish;

/// The natural (row-major) index of each coefficient in zigzag order.
const ZIGZAG: [u8; 64] = zigzag();

const fn zigzag() -> [u8; 64] {
    let mut out = [0u8; 64];
    let mut k = 0;
    let mut diagonal = 0;
    while diagonal < 15 {
        let mut i = 0;
        while i <= diagonal {
            // Even anti-diagonals run up and to the right, odd ones down and to the left.
            let (row, col) = if diagonal % 2 == 0 {
                (diagonal - i, i)
            } else {
                (i, diagonal - i)
            };
            if row < 8 && col < 8 {
                out[k] = (row * 8 + col) as u8;
                k += 1;
            }
            i += 1;
        }
        diagonal += 1;
    }
    out
}

/// More scans than any encoder writes (libjpeg's most detailed script has 10 for colour); a
/// file with more is left to libjpeg-turbo.
const MAX_SCANS: usize = 256;

/// One component's kept coefficients, block by block over the padded grid of whole MCUs.
struct Component {
    id: u8,
    h: usize,
    v: usize,
    table: usize,
    /// The padded grid (whole MCUs) and the blocks the picture covers (a one-component scan's).
    grid_w: usize,
    grid_h: usize,
    blocks_w: usize,
    blocks_h: usize,
    /// The frequencies kept across and down: the samples a block gives at the output's size
    /// (8 / the denominator, times 2 where the component has half the luma's resolution, as
    /// libjpeg scales its chroma: then every plane comes out at the output's size).
    keep_x: usize,
    keep_y: usize,
    /// For each zigzag position, its index among a block's kept coefficients (255: dropped).
    slot: [u8; 64],
    /// `keep_x * keep_y` coefficients a block, row-major by frequency.
    coefs: Vec<i16>,
    /// For each block, a bit for each coefficient (zigzag order) that is nonzero yet.
    nonzero: Vec<u64>,
    quant: Option<[u16; 64]>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Pass {
    DcFirst,
    DcRefine,
    AcFirst,
    AcRefine,
}

struct Scan {
    /// Component index, DC table, AC table.
    comps: Vec<(usize, usize, usize)>,
    start: usize,
    end: usize,
    low: u32,
    pass: Pass,
}

struct Frame {
    width: usize,
    height: usize,
    mcus_w: usize,
    mcus_h: usize,
    comps: Vec<Component>,
}

/// The whole picture at 1/`denom` of its size (2, 4 or 8), grey or RGB, or `None` for what is
/// left to libjpeg-turbo (see the module's doc).
pub(crate) fn decode(bytes: &[u8], denom: usize) -> Option<DynamicImage> {
    if !matches!(denom, 2 | 4 | 8) {
        return None;
    }
    decode_at(bytes, denom)
}

/// As [`decode`], or at full size (a subsampled file then gives `None`): what the tests
/// compare with libjpeg-turbo's own full decode, coefficient for coefficient.
fn decode_at(bytes: &[u8], denom: usize) -> Option<DynamicImage> {
    if bytes.get(..2)? != [0xFF, 0xD8] {
        return None;
    }
    let keep = 8 / denom;
    let mut pos = 2;
    let mut quant: [Option<[u16; 64]>; 4] = [None; 4];
    let mut dc: [Option<Huffman>; 4] = [None, None, None, None];
    let mut ac: [Option<Huffman>; 4] = [None, None, None, None];
    let mut restart = 0usize;
    let mut frame: Option<Frame> = None;
    let mut scans = 0;
    let mut adobe_rgb = false;
    loop {
        if bytes.get(pos)? != &0xFF {
            return None;
        }
        let marker = *bytes.get(pos + 1)?;
        if marker == 0xFF {
            pos += 1; // fill byte
            continue;
        }
        if marker == 0xD9 {
            break;
        }
        let len = usize::from(u16::from_be_bytes([
            *bytes.get(pos + 2)?,
            *bytes.get(pos + 3)?,
        ]));
        if len < 2 {
            return None;
        }
        let body = bytes.get(pos + 4..pos + 2 + len)?;
        pos += 2 + len;
        match marker {
            0xC2 if frame.is_none() => frame = Some(start_frame(body, keep, adobe_rgb)?),
            0xC0 | 0xC1 | 0xC3 | 0xC5..=0xC7 | 0xC9..=0xCB | 0xCD..=0xCF => return None,
            0xC4 => define_huffman(body, &mut dc, &mut ac)?,
            0xDB => define_quant(body, &mut quant)?,
            0xDD => restart = usize::from(u16::from_be_bytes([*body.first()?, *body.get(1)?])),
            0xEE if body.starts_with(b"Adobe") => adobe_rgb = body.get(11) == Some(&0),
            0xE0..=0xEF | 0xFE => {}
            0xDA => {
                scans += 1;
                if scans > MAX_SCANS {
                    return None;
                }
                let frame = frame.as_mut()?;
                let scan = start_scan(body, frame, &quant)?;
                let mut bits = Bits::new(bytes, pos);
                run_scan(frame, &scan, &dc, &ac, &mut bits, restart)?;
                if !bits.clean() {
                    return None;
                }
                // What follows the scan's last bits must be a marker.
                pos = bits.pos;
                if !bits.at_marker && bytes.get(pos) != Some(&0xFF) {
                    return None;
                }
            }
            _ => return None,
        }
    }
    finish(frame?, denom)
}

fn start_frame(body: &[u8], keep: usize, adobe_rgb: bool) -> Option<Frame> {
    let [precision, h0, h1, w0, w1, count, ref rest @ ..] = *body else {
        return None;
    };
    let height = usize::from(u16::from_be_bytes([h0, h1]));
    let width = usize::from(u16::from_be_bytes([w0, w1]));
    let count = usize::from(count);
    if precision != 8 || width == 0 || height == 0 || !(count == 1 || count == 3) {
        return None;
    }
    let specs: Vec<(u8, usize, usize, usize)> = rest
        .chunks_exact(3)
        .take(count)
        .map(|c| {
            (
                c[0],
                usize::from(c[1] >> 4),
                usize::from(c[1] & 15),
                usize::from(c[2]),
            )
        })
        .collect();
    if specs.len() != count || (count == 3 && (adobe_rgb || specs.iter().map(|s| s.0).eq(*b"RGB")))
    {
        return None;
    }
    let h_max = specs.iter().map(|s| s.1).max()?;
    let v_max = specs.iter().map(|s| s.2).max()?;
    let factor_ok = |f: usize, max: usize| f >= 1 && (f == max || f * 2 == max);
    if count == 1 {
        // A one-component frame is one block an MCU, whatever its factors say.
    } else if !specs
        .iter()
        .all(|s| factor_ok(s.1, h_max) && factor_ok(s.2, v_max) && s.3 < 4)
    {
        return None;
    }
    let (h_max, v_max) = if count == 1 { (1, 1) } else { (h_max, v_max) };
    let mcus_w = width.div_ceil(8 * h_max);
    let mcus_h = height.div_ceil(8 * v_max);
    let comps = specs
        .into_iter()
        .map(|(id, h, v, table)| {
            let (h, v) = if count == 1 { (1, 1) } else { (h, v) };
            let (grid_w, grid_h) = (mcus_w * h, mcus_h * v);
            let (keep_x, keep_y) = (keep * h_max / h, keep * v_max / v);
            if keep_x > 8 || keep_y > 8 {
                return None;
            }
            let mut slot = [u8::MAX; 64];
            for (k, &natural) in ZIGZAG.iter().enumerate() {
                let (row, col) = (usize::from(natural) / 8, usize::from(natural) % 8);
                if row < keep_y && col < keep_x {
                    slot[k] = (row * keep_x + col) as u8;
                }
            }
            Some(Component {
                id,
                h,
                v,
                table,
                grid_w,
                grid_h,
                blocks_w: (width * h).div_ceil(h_max).div_ceil(8),
                blocks_h: (height * v).div_ceil(v_max).div_ceil(8),
                keep_x,
                keep_y,
                slot,
                coefs: vec![0; grid_w * grid_h * keep_x * keep_y],
                nonzero: vec![0; grid_w * grid_h],
                quant: None,
            })
        })
        .collect::<Option<Vec<_>>>()?;
    if comps.iter().any(|c| c.table > 3) {
        return None;
    }
    Some(Frame {
        width,
        height,
        mcus_w,
        mcus_h,
        comps,
    })
}

fn define_huffman(
    mut body: &[u8],
    dc: &mut [Option<Huffman>; 4],
    ac: &mut [Option<Huffman>; 4],
) -> Option<()> {
    while !body.is_empty() {
        let class_id = *body.first()?;
        let counts = body.get(1..17)?;
        let total: usize = counts.iter().map(|&c| usize::from(c)).sum();
        let symbols = body.get(17..17 + total)?;
        let table = Huffman::new(counts, symbols)?;
        let id = usize::from(class_id & 15);
        match class_id >> 4 {
            0 => *dc.get_mut(id)? = Some(table),
            1 => *ac.get_mut(id)? = Some(table),
            _ => return None,
        }
        body = &body[17 + total..];
    }
    Some(())
}

fn define_quant(mut body: &[u8], quant: &mut [Option<[u16; 64]>; 4]) -> Option<()> {
    while !body.is_empty() {
        let precision_id = *body.first()?;
        let sixteen = precision_id >> 4 == 1;
        let size = if sixteen { 128 } else { 64 };
        let values = body.get(1..1 + size)?;
        let mut table = [0u16; 64];
        for (k, &natural) in ZIGZAG.iter().enumerate() {
            table[usize::from(natural)] = if sixteen {
                u16::from_be_bytes([values[2 * k], values[2 * k + 1]])
            } else {
                u16::from(values[k])
            };
        }
        *quant.get_mut(usize::from(precision_id & 15))? = Some(table);
        body = &body[1 + size..];
    }
    Some(())
}

fn start_scan(body: &[u8], frame: &mut Frame, quant: &[Option<[u16; 64]>; 4]) -> Option<Scan> {
    let count = usize::from(*body.first()?);
    let specs = body.get(1..1 + 2 * count)?;
    let &[start, end, approx] = body.get(1 + 2 * count..4 + 2 * count)? else {
        return None;
    };
    let (start, end) = (usize::from(start), usize::from(end));
    let (high, low) = (u32::from(approx >> 4), u32::from(approx & 15));
    if count == 0
        || count > frame.comps.len()
        || start > end
        || end > 63
        || (start == 0) != (end == 0)
        || (start > 0 && count != 1)
        || low > 13
    {
        return None;
    }
    let mut comps = Vec::with_capacity(count);
    for spec in specs.chunks_exact(2) {
        let index = frame.comps.iter().position(|c| c.id == spec[0])?;
        if comps.iter().any(|&(i, _, _)| i == index) {
            return None;
        }
        let comp = &mut frame.comps[index];
        // Each component's table as it stood at its first scan, as libjpeg latches it.
        if comp.quant.is_none() {
            comp.quant = Some((*quant.get(comp.table)?)?);
        }
        comps.push((index, usize::from(spec[1] >> 4), usize::from(spec[1] & 15)));
    }
    if comps.iter().any(|&(_, d, a)| d > 3 || a > 3) {
        return None;
    }
    let pass = match (start == 0, high == 0) {
        (true, true) => Pass::DcFirst,
        (true, false) => Pass::DcRefine,
        (false, true) => Pass::AcFirst,
        (false, false) => Pass::AcRefine,
    };
    Some(Scan {
        comps,
        start,
        end,
        low,
        pass,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::RgbImage;
    use turbojpeg::{Compressor, PixelFormat, Subsamp};

    /// Gradients, waves, hard edges and a little grain: what photographs hold.
    fn scene(width: u32, height: u32) -> RgbImage {
        let grain = crate::noise((width * height) as usize, 7);
        RgbImage::from_fn(width, height, |x, y| {
            let (fx, fy) = (x as f32, y as f32);
            let g = grain[(y * width + x) as usize] as f32 / 255.0 * 12.0 - 6.0;
            let edge = if (x / 41 + y / 29) % 2 == 0 {
                60.0
            } else {
                0.0
            };
            let r = 120.0 + 90.0 * (fx / 37.0).sin() * (fy / 23.0).cos() + g;
            let gr = 40.0 + 170.0 * fx / width as f32 + edge * 0.5 + g;
            let b = 70.0 + edge + 100.0 * fy / height as f32 - g;
            image::Rgb([r, gr, b].map(|v| v.clamp(0.0, 255.0) as u8))
        })
    }

    /// libjpeg-turbo's baseline file made progressive without loss (jpegtran's way).
    fn progressive(image: &RgbImage, subsamp: Subsamp, quality: i32) -> Vec<u8> {
        let baseline = turbojpeg::compress_image(image, quality, subsamp).unwrap();
        let mut lossless = turbojpeg::Transform::default();
        lossless.progressive = true;
        turbojpeg::transform(&lossless, &baseline).unwrap().to_vec()
    }

    /// libjpeg-turbo's full-size decode, each `denom` x `denom` group averaged: what the
    /// reduced decode stands for.
    fn reference(bytes: &[u8], denom: usize, channels: usize) -> (usize, usize, Vec<u8>) {
        let full: Vec<u8> = if channels == 1 {
            turbojpeg::decompress_image::<image::Luma<u8>>(bytes)
                .unwrap()
                .into_raw()
        } else {
            turbojpeg::decompress_image::<image::Rgb<u8>>(bytes)
                .unwrap()
                .into_raw()
        };
        let header = turbojpeg::read_header(bytes).unwrap();
        let (w, h) = (header.width, header.height);
        let (ow, oh) = (w.div_ceil(denom), h.div_ceil(denom));
        let mut out = vec![0u8; ow * oh * channels];
        for oy in 0..oh {
            for ox in 0..ow {
                for c in 0..channels {
                    let (mut sum, mut n) = (0u32, 0u32);
                    for y in oy * denom..((oy + 1) * denom).min(h) {
                        for x in ox * denom..((ox + 1) * denom).min(w) {
                            sum += u32::from(full[(y * w + x) * channels + c]);
                            n += 1;
                        }
                    }
                    out[(oy * ow + ox) * channels + c] = ((sum + n / 2) / n) as u8;
                }
            }
        }
        (ow, oh, out)
    }

    /// libjpeg-turbo's own reduced decode.
    fn libjpeg_scaled(bytes: &[u8], denom: usize, channels: usize) -> Vec<u8> {
        let mut d = turbojpeg::Decompressor::new().unwrap();
        let header = d.read_header(bytes).unwrap();
        let scale = turbojpeg::ScalingFactor::new(1, denom);
        d.set_scaling_factor(scale).unwrap();
        let size = header.scaled(scale);
        let mut image = turbojpeg::Image {
            pixels: vec![0; size.width * size.height * channels],
            width: size.width,
            pitch: size.width * channels,
            height: size.height,
            format: if channels == 1 {
                PixelFormat::GRAY
            } else {
                PixelFormat::RGB
            },
        };
        d.decompress(bytes, image.as_deref_mut()).unwrap();
        image.pixels
    }

    /// Mean and largest absolute difference.
    fn difference(a: &[u8], b: &[u8]) -> (f64, u8) {
        assert_eq!(a.len(), b.len());
        let sum: u64 = a
            .iter()
            .zip(b)
            .map(|(&x, &y)| u64::from(x.abs_diff(y)))
            .sum();
        let max = a.iter().zip(b).map(|(&x, &y)| x.abs_diff(y)).max().unwrap();
        (sum as f64 / a.len() as f64, max)
    }

    fn ours(bytes: &[u8], denom: usize) -> (u32, u32, Vec<u8>) {
        let image = decode(bytes, denom).expect("decoded");
        let (w, h) = (image.width(), image.height());
        (w, h, image.into_bytes())
    }

    #[test]
    fn every_sampling_and_scale_matches_the_mean_of_a_full_decode() {
        let subsamplings = [
            (Subsamp::None, "4:4:4"),
            (Subsamp::Sub2x2, "4:2:0"),
            (Subsamp::Sub2x1, "4:2:2"),
            (Subsamp::Sub1x2, "4:4:0"),
            (Subsamp::Gray, "grey"),
        ];
        for (width, height) in [(333, 217), (64, 48), (17, 9), (1, 1)] {
            let image = scene(width, height);
            for (subsamp, name) in subsamplings {
                let bytes = progressive(&image, subsamp, 90);
                let channels = if subsamp == Subsamp::Gray { 1 } else { 3 };
                for denom in [2, 4, 8] {
                    let (w, h, got) = ours(&bytes, denom);
                    let (rw, rh, want) = reference(&bytes, denom, channels);
                    assert_eq!((w as usize, h as usize), (rw, rh), "{name} 1/{denom}");
                    let (mean, max) = difference(&got, &want);
                    let theirs = libjpeg_scaled(&bytes, denom, channels);
                    let (their_mean, _) = difference(&theirs, &want);
                    // The mean leaves out the frequencies above what the size shows (which
                    // the mean of a full decode folds in), so it is not libjpeg's to the level.
                    let case = format!("{width}x{height} {name} 1/{denom}");
                    assert!(
                        mean < their_mean + 1.0 && mean < 2.5 && max < 16,
                        "{case}: mean {mean:.3}, max {max}, libjpeg-turbo's mean {their_mean:.3}"
                    );
                }
            }
        }
    }

    #[test]
    fn at_full_size_every_coefficient_is_libjpeg_turbos() {
        for (subsamp, channels) in [(Subsamp::None, 3), (Subsamp::Gray, 1)] {
            for quality in [50, 90, 100] {
                let bytes = progressive(&scene(203, 157), subsamp, quality);
                let image = decode_at(&bytes, 1).expect("decoded");
                let (_, _, want) = reference(&bytes, 1, channels);
                let (mean, max) = difference(image.as_bytes(), &want);
                assert!(
                    mean < 0.1 && max <= 4,
                    "{subsamp:?} q{quality}: mean {mean:.3}, max {max}"
                );
            }
        }
    }

    #[test]
    fn restart_intervals_and_another_encoders_scans() {
        use jpeg_encoder::{ColorType, Encoder, SamplingFactor};
        let image = scene(203, 157);
        for interval in [1, 3, 7] {
            for scans in [2, 4, 11] {
                for (sampling, name) in [
                    (SamplingFactor::F_1_1, "4:4:4"),
                    (SamplingFactor::F_2_2, "4:2:0"),
                ] {
                    let mut bytes = Vec::new();
                    let mut encoder = Encoder::new(&mut bytes, 85);
                    encoder.set_progressive_scans(scans);
                    encoder.set_restart_interval(interval);
                    encoder.set_sampling_factor(sampling);
                    encoder
                        .encode(image.as_raw(), 203, 157, ColorType::Rgb)
                        .unwrap();
                    let case = format!("{name}, {scans} scans, a restart every {interval}");
                    assert!(bytes.windows(2).any(|w| w == [0xFF, 0xD7]), "{case}: RST7");
                    let (_, _, want) = reference(&bytes, 2, 3);
                    let (_, _, got) = ours(&bytes, 2);
                    let (mean, max) = difference(&got, &want);
                    assert!(mean < 1.5 && max < 16, "{case}: mean {mean:.3}, max {max}");
                    if sampling == SamplingFactor::F_1_1 {
                        let (_, _, want) = reference(&bytes, 1, 3);
                        let image = decode_at(&bytes, 1).expect("decoded");
                        let (mean, max) = difference(image.as_bytes(), &want);
                        assert!(mean < 0.1 && max <= 4, "{case}: mean {mean:.3}, max {max}");
                    }
                }
            }
        }
    }

    #[test]
    fn what_it_does_not_handle_is_left_to_libjpeg_turbo() {
        let image = scene(64, 48);
        let mut c = Compressor::new().unwrap();
        c.set_quality(90).unwrap();
        let pixels = turbojpeg::Image {
            pixels: image.as_raw().as_slice(),
            width: 64,
            pitch: 64 * 3,
            height: 48,
            format: PixelFormat::RGB,
        };
        let baseline = c.compress_to_vec(pixels).unwrap();
        assert!(decode(&baseline, 2).is_none(), "baseline");
        c.set_progressive(true).unwrap();
        c.set_arithmetic(true).unwrap();
        let arithmetic = c.compress_to_vec(pixels).unwrap();
        assert!(decode(&arithmetic, 2).is_none(), "arithmetic");
        let good = progressive(&image, Subsamp::Sub2x2, 90);
        assert!(decode(&good, 2).is_some());
        assert!(decode(&good, 1).is_none(), "full size");
        assert!(decode(b"not a picture", 2).is_none());
    }

    #[test]
    fn a_truncated_or_damaged_file_never_panics_and_a_cut_one_is_left_to_libjpeg_turbo() {
        let bytes = progressive(&scene(120, 90), Subsamp::Sub2x2, 85);
        for cut in (0..bytes.len() - 2).step_by(37) {
            assert!(decode(&bytes[..cut], 2).is_none(), "cut at {cut}");
        }
        // Every third byte flipped by one bit, set to 0 and to 0xFF (a marker where none was).
        for (i, pos) in (2..bytes.len()).step_by(3).enumerate() {
            for value in [bytes[pos] ^ 1 << (i % 8), 0, 0xFF] {
                let mut damaged = bytes.clone();
                damaged[pos] = value;
                let _ = decode(&damaged, 2 << (i % 3));
            }
        }
        // And 3,000 files with one to three random bytes changed, in every layout.
        use rand::{Rng, SeedableRng};
        let mut rng = rand::rngs::StdRng::seed_from_u64(18);
        let files: Vec<Vec<u8>> = [
            Subsamp::Sub2x2,
            Subsamp::None,
            Subsamp::Sub2x1,
            Subsamp::Gray,
        ]
        .into_iter()
        .map(|subsamp| progressive(&scene(97, 61), subsamp, 80))
        .collect();
        for i in 0..3000 {
            let mut damaged = files[i % files.len()].clone();
            for _ in 0..rng.random_range(1..=3) {
                let pos = rng.random_range(2..damaged.len());
                damaged[pos] = rng.random();
            }
            let _ = decode(&damaged, 2 << (i % 3));
        }
    }
}
