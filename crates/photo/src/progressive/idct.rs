//! The kept coefficients to samples, and the planes to pixels.

use image::{DynamicImage, GrayImage, RgbImage};

use super::{Component, Frame};

/// Every block through the reduced IDCT, then the planes (each at the output's size) as one
/// grey or RGB picture.
pub(super) fn finish(frame: Frame, denom: usize) -> Option<DynamicImage> {
    let width = frame.width.div_ceil(denom);
    let height = frame.height.div_ceil(denom);
    let stride = frame.comps.first()?.grid_w * frame.comps.first()?.keep_x;
    let planes = frame
        .comps
        .into_iter()
        .map(|c| {
            let quant = c.quant?;
            Some(idct_plane(&c, &quant))
        })
        .collect::<Option<Vec<_>>>()?;
    if let [grey] = &planes[..] {
        let mut out = Vec::with_capacity(width * height);
        for row in grey.chunks_exact(stride).take(height) {
            out.extend_from_slice(&row[..width]);
        }
        return GrayImage::from_raw(width as u32, height as u32, out).map(DynamicImage::ImageLuma8);
    }
    let [luma, cb, cr] = &planes[..] else {
        return None;
    };
    let mut out = vec![0u8; width * height * 3];
    for (y, row) in out.chunks_exact_mut(width * 3).enumerate() {
        let at = y * stride;
        let samples = luma[at..at + width]
            .iter()
            .zip(&cb[at..at + width])
            .zip(&cr[at..at + width]);
        for (px, ((&l, &b), &r)) in row.chunks_exact_mut(3).zip(samples) {
            // JFIF's equations in 16-bit fixed point, libjpeg's own (yuvutils-rs, which the
            // HEIF path uses, rounds differently: 0.6 levels off libjpeg-turbo on average).
            let (l, b, r) = (i32::from(l), i32::from(b) - 128, i32::from(r) - 128);
            px[0] = (l + ((91881 * r + (1 << 15)) >> 16)).clamp(0, 255) as u8;
            px[1] = (l + ((-22554 * b - 46802 * r + (1 << 15)) >> 16)).clamp(0, 255) as u8;
            px[2] = (l + ((116130 * b + (1 << 15)) >> 16)).clamp(0, 255) as u8;
        }
    }
    RgbImage::from_raw(width as u32, height as u32, out).map(DynamicImage::ImageRgb8)
}

/// `basis[x * keep + u]`: what frequency `u` adds to reduced sample `x`, the 8-point IDCT's
/// basis (with JPEG's 1/2 and 1/sqrt 2 for the DC) averaged over the 8 / `keep` samples that
/// sample stands for.
fn basis(keep: usize) -> Vec<f32> {
    let group = 8 / keep;
    let mut basis = vec![0f32; keep * keep];
    for x in 0..keep {
        for u in 0..keep {
            let scale = if u == 0 { 0.5 / 2f64.sqrt() } else { 0.5 };
            let mean = (x * group..(x + 1) * group)
                .map(|i| ((2 * i + 1) as f64 * u as f64 * std::f64::consts::PI / 16.0).cos())
                .sum::<f64>()
                / group as f64;
            basis[x * keep + u] = (scale * mean) as f32;
        }
    }
    basis
}

/// A component's samples, `grid_w * keep_x` a row.
fn idct_plane(c: &Component, quant: &[u16; 64]) -> Vec<u8> {
    let (kx, ky) = (c.keep_x, c.keep_y);
    let mut out = vec![0u8; c.grid_w * kx * c.grid_h * ky];
    let q: Vec<f32> = (0..kx * ky)
        .map(|i| f32::from(quant[(i / kx) * 8 + i % kx]))
        .collect();
    let (across, down) = (basis(kx), basis(ky));
    let args = (
        &c.coefs[..],
        c.grid_w,
        &q[..],
        &across[..],
        &down[..],
        &mut out[..],
    );
    match (kx, ky) {
        (8, 8) => idct_blocks::<8, 8>(args),
        (8, 4) => idct_blocks::<8, 4>(args),
        (4, 8) => idct_blocks::<4, 8>(args),
        (4, 4) => idct_blocks::<4, 4>(args),
        (4, 2) => idct_blocks::<4, 2>(args),
        (2, 4) => idct_blocks::<2, 4>(args),
        (2, 2) => idct_blocks::<2, 2>(args),
        (2, 1) => idct_blocks::<2, 1>(args),
        (1, 2) => idct_blocks::<1, 2>(args),
        _ => idct_blocks::<1, 1>(args),
    }
    out
}

type IdctArgs<'a> = (
    &'a [i16],
    usize,
    &'a [f32],
    &'a [f32],
    &'a [f32],
    &'a mut [u8],
);

/// Blocks of `KX` x `KY` frequencies to as many samples: rows, then columns, each step a sum
/// of rows of the basis scaled by a coefficient (which the compiler makes vector code).
fn idct_blocks<const KX: usize, const KY: usize>((coefs, grid_w, q, across, down, out): IdctArgs) {
    let width = grid_w * KX;
    // across_by_u[u][x]: what frequency u adds to sample x.
    let across_by_u: [[f32; KX]; KX] =
        std::array::from_fn(|u| std::array::from_fn(|x| across[x * KX + u]));
    for (b, block) in coefs.chunks_exact(KX * KY).enumerate() {
        let (bx, by) = (b % grid_w, b / grid_w);
        let mut rows = [[0f32; KX]; KY];
        for (v, row) in rows.iter_mut().enumerate() {
            for (u, basis) in across_by_u.iter().enumerate() {
                let f = f32::from(block[v * KX + u]) * q[v * KX + u];
                for (r, &a) in row.iter_mut().zip(basis) {
                    *r += f * a;
                }
            }
        }
        for y in 0..KY {
            let mut samples = [128.5f32; KX];
            for (v, row) in rows.iter().enumerate() {
                let a = down[y * KY + v];
                for (s, &r) in samples.iter_mut().zip(row) {
                    *s += a * r;
                }
            }
            let line = &mut out[(by * KY + y) * width + bx * KX..][..KX];
            for (o, s) in line.iter_mut().zip(samples) {
                // `as` saturates: below 0 gives 0, above 255 gives 255.
                *o = s as u8;
            }
        }
    }
}
