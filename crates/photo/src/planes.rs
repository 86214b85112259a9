//! A picture as the JPEG encoder's own planes: Y at full size, Cb and Cr at half size each
//! way (4:2:0), handed to TurboJPEG without a colour conversion.
//!
//! [`PalettePlanes`] makes them straight from palette indices (a GIF's), as libjpeg-turbo
//! makes them from RGB: each pixel's Y, Cb and Cr by its fixed-point formula (jccolor.c),
//! each chroma sample the mean of its 2 x 2 pixels with its alternating rounding bias
//! (jcsample.c's h2v2), the right and bottom edges of an odd-sided picture repeated. So the
//! planes are the ones libjpeg-turbo makes from the RGB, made with a third of the memory and
//! without the RGB copy. Only where a picture's side is not a whole number of 16-pixel blocks
//! does the JPEG differ: TurboJPEG pads a chroma plane to whole blocks by repeating its last
//! sample, libjpeg-turbo pads the RGB by repeating its last pixel, so the last block's
//! (invisible) padding differs, and with it that block's pixels a little (tested: every other
//! pixel is the same).

/// Y, Cb, Cr planes of a `width` x `height` picture at 4:2:0. The Y plane has an even number
/// of columns and rows (TurboJPEG reads whole 2 x 2 blocks), the last repeated where the
/// picture has an odd side.
pub(crate) struct Planes {
    pub width: u32,
    pub height: u32,
    pub y: Vec<u8>,
    pub cb: Vec<u8>,
    pub cr: Vec<u8>,
}

impl Planes {
    pub(crate) fn y_stride(&self) -> usize {
        (self.width as usize).next_multiple_of(2)
    }

    pub(crate) fn chroma_stride(&self) -> usize {
        (self.width as usize).div_ceil(2)
    }

    /// Resized (Lanczos3), plane by plane: the chroma planes to the chroma size of the new
    /// one, covering the same part of the picture.
    pub(crate) fn resize(&self, width: u32, height: u32) -> Planes {
        let (cw, ch) = (self.width.div_ceil(2), self.height.div_ceil(2));
        let (tcw, tch) = (width.div_ceil(2), height.div_ceil(2));
        // The new chroma samples cover 2 * tcw new pixels: tcw * width / new width old
        // samples (at most all of them).
        let crop_w = (f64::from(tcw) * f64::from(self.width) / f64::from(width)).min(f64::from(cw));
        let crop_h =
            (f64::from(tch) * f64::from(self.height) / f64::from(height)).min(f64::from(ch));
        let y_even = (self.y_stride() as u32, self.height.next_multiple_of(2));
        let y = crate::resize_plane(
            &self.y,
            y_even,
            (0.0, 0.0, f64::from(self.width), f64::from(self.height)),
            (width, height),
        );
        let chroma = |plane: &[u8]| {
            crate::resize_plane(plane, (cw, ch), (0.0, 0.0, crop_w, crop_h), (tcw, tch))
        };
        Planes {
            width,
            height,
            y: even_sided(&y, width as usize, height as usize),
            cb: chroma(&self.cb),
            cr: chroma(&self.cr),
        }
    }
}

/// A plane of `width` x `height` with an even number of columns and rows, the last repeated
/// where one is missing.
pub(crate) fn even_sided(plane: &[u8], width: usize, height: usize) -> Vec<u8> {
    let stride = width.next_multiple_of(2);
    let mut padded = Vec::with_capacity(stride * height.next_multiple_of(2));
    for row in plane.chunks_exact(width).take(height) {
        padded.extend_from_slice(row);
        if stride > width {
            padded.push(row[width - 1]);
        }
    }
    if height % 2 == 1 {
        padded.extend_from_within(padded.len() - stride..);
    }
    padded
}

/// libjpeg-turbo's RGB to YCbCr (jccolor.c): 16-bit fixed point, Y rounded, Cb and Cr
/// rounded down from half (`ONE_HALF - 1`), centred on 128.
fn ycc([r, g, b]: [u8; 3]) -> [u8; 3] {
    let (r, g, b) = (i32::from(r), i32::from(g), i32::from(b));
    let y = (19595 * r + 38470 * g + 7471 * b + 32768) >> 16;
    let cb = (-11059 * r - 21709 * g + 32768 * b + (128 << 16) + 32767) >> 16;
    let cr = (32768 * r - 27439 * g - 5329 * b + (128 << 16) + 32767) >> 16;
    [y as u8, cb as u8, cr as u8]
}

/// White: where a GIF's frame does not cover its canvas, and its transparent colour.
const WHITE: [u8; 3] = [255, 128, 128];

/// Planes being painted from palette indices, row by row in any order, on a white canvas.
pub(crate) struct PalettePlanes {
    width: usize,
    height: usize,
    /// Y, Cb, Cr of each palette index.
    table: [[u8; 3]; 256],
    y: Vec<u8>,
    /// Each chroma sample's sum over its 2 x 2 pixels (edges counted as libjpeg repeats
    /// them), white until painted.
    cb: Vec<u16>,
    cr: Vec<u16>,
}

impl PalettePlanes {
    /// A white canvas; `colour(index)` gives an index's RGB, or none for white.
    pub(crate) fn white<'p>(
        width: u32,
        height: u32,
        colour: impl Fn(u8) -> Option<&'p [u8]>,
    ) -> PalettePlanes {
        let (width, height) = (width as usize, height as usize);
        let chroma = width.div_ceil(2) * height.div_ceil(2);
        let mut table = [WHITE; 256];
        for (index, entry) in (0..=255u8).zip(table.iter_mut()) {
            if let Some(&[r, g, b]) = colour(index) {
                *entry = ycc([r, g, b]);
            }
        }
        PalettePlanes {
            width,
            height,
            table,
            y: vec![255; width.next_multiple_of(2) * height.next_multiple_of(2)],
            cb: vec![4 * 128; chroma],
            cr: vec![4 * 128; chroma],
        }
    }

    /// Paints row `y` from column `left` with `indices` (within the canvas; each pixel once).
    pub(crate) fn paint(&mut self, y: usize, left: usize, indices: &[u8]) {
        if indices.is_empty() {
            return;
        }
        let stride = self.width.next_multiple_of(2);
        let y_row = &mut self.y[y * stride + left..y * stride + left + indices.len()];
        let chroma_width = self.width.div_ceil(2);
        let cb_row = &mut self.cb[(y / 2) * chroma_width..(y / 2 + 1) * chroma_width];
        let cr_row = &mut self.cr[(y / 2) * chroma_width..(y / 2 + 1) * chroma_width];
        // The last row of an odd-sided picture counts twice in its samples (libjpeg repeats it).
        let weight: u16 = if y + 1 == self.height && self.height % 2 == 1 {
            2
        } else {
            1
        };
        let table = &self.table;
        // Adds `pixels` (one or two) to a sample, in place of as many white ones (128 each).
        let add = |sample: &mut u16, sum: u16, pixels: u16| {
            *sample = *sample + sum * weight - 128 * pixels * weight;
        };
        for (luma, &index) in y_row.iter_mut().zip(indices) {
            *luma = table[usize::from(index)][0];
        }
        // A frame starting on an odd column: its first pixel shares a sample with the canvas.
        let (first, pairs) = if left % 2 == 1 {
            let [_, cb, cr] = table[usize::from(indices[0])];
            add(&mut cb_row[left / 2], u16::from(cb), 1);
            add(&mut cr_row[left / 2], u16::from(cr), 1);
            (left + 1, &indices[1..])
        } else {
            (left, indices)
        };
        let mut sample = first / 2;
        let mut chunks = pairs.chunks_exact(2);
        for pair in &mut chunks {
            let [_, cb0, cr0] = table[usize::from(pair[0])];
            let [_, cb1, cr1] = table[usize::from(pair[1])];
            add(&mut cb_row[sample], u16::from(cb0) + u16::from(cb1), 2);
            add(&mut cr_row[sample], u16::from(cr0) + u16::from(cr1), 2);
            sample += 1;
        }
        if let [last] = chunks.remainder() {
            let [_, cb, cr] = table[usize::from(*last)];
            // The last column of an odd-sided picture counts twice (libjpeg repeats it).
            let pixels = if sample * 2 + 1 == self.width { 2 } else { 1 };
            add(&mut cb_row[sample], u16::from(cb) * pixels, pixels);
            add(&mut cr_row[sample], u16::from(cr) * pixels, pixels);
        }
    }

    pub(crate) fn finish(mut self) -> Planes {
        let (w, h) = (self.width, self.height);
        let stride = w.next_multiple_of(2);
        if w % 2 == 1 {
            for row in self.y.chunks_exact_mut(stride) {
                row[w] = row[w - 1];
            }
        }
        if h % 2 == 1 {
            let last = (h - 1) * stride;
            self.y.copy_within(last..last + stride, h * stride);
        }
        // jcsample.c's h2v2: (sum + bias) / 4, the bias 1 and 2 by turns along a row.
        let chroma_width = w.div_ceil(2);
        let mean = |sums: Vec<u16>| -> Vec<u8> {
            let mut out = vec![0u8; sums.len()];
            for (row, sums) in out
                .chunks_exact_mut(chroma_width)
                .zip(sums.chunks_exact(chroma_width))
            {
                for (x, (o, &sum)) in row.iter_mut().zip(sums).enumerate() {
                    *o = ((sum + 1 + (x as u16 & 1)) >> 2) as u8;
                }
            }
            out
        };
        Planes {
            width: w as u32,
            height: h as u32,
            y: self.y,
            cb: mean(self.cb),
            cr: mean(self.cr),
        }
    }
}
