//! A GIF's first frame, as a still picture (the `gif` crate reads the container, `weezl`
//! decodes the LZW data), a band of rows at a time: for the RGB path ([`decode`]) and for
//! the one that paints the JPEG's planes while the frame is decoded (`gif_through_planes`
//! in lib.rs).

use std::io::Cursor;

use image::RgbImage;

use crate::{Limits, PhotoError, check_size, corrupt};

/// A GIF's first frame, as a still picture: its palette indices made RGB in one pass onto a
/// white canvas of the file's size (where the frame does not cover it, and its transparent
/// colour, white: what laying a transparent canvas over white gave).
pub(crate) fn decode(bytes: &[u8], limits: &Limits) -> Result<RgbImage, PhotoError> {
    let frame = GifFrame::open(bytes, limits)?;
    let (w, h) = (frame.width as usize, frame.height as usize);
    let mut rgb = vec![255u8; w * h * 3];
    frame.lzw_rows(|y, row| {
        let out = &mut rgb[(y * w + frame.left) * 3..(y + 1) * w * 3];
        for (&index, px) in row.iter().zip(out.chunks_exact_mut(3)) {
            if let Some(colour) = frame.colour(index) {
                px.copy_from_slice(colour);
            }
        }
        true
    })?;
    Ok(RgbImage::from_raw(frame.width, frame.height, rgb).expect("buffer sized for the image"))
}

/// A GIF's first frame, opened: the canvas size checked against the limits and the frame's
/// against the canvas before any pixel buffer exists; its LZW data read, not decoded.
pub(crate) struct GifFrame {
    /// The frame's LZW data (its minimum code size first), as the `gif` crate hands it over.
    lzw: Vec<u8>,
    palette: Vec<u8>,
    transparent: Option<u8>,
    interlaced: bool,
    /// The frame's place on the canvas, and its size.
    left: usize,
    top: usize,
    frame_width: usize,
    frame_height: usize,
    pub(crate) width: u32,
    pub(crate) height: u32,
}

/// Frame rows decoded at a time by [`GifFrame::lzw_rows`].
const GIF_BAND_ROWS: usize = 16;

impl GifFrame {
    pub(crate) fn open(bytes: &[u8], limits: &Limits) -> Result<GifFrame, PhotoError> {
        let mut options = gif::DecodeOptions::new();
        options.set_color_output(gif::ColorOutput::Indexed);
        // Pixels are decoded by weezl 0.2 (below), 1.4x as fast as the 0.1 the `gif`
        // crate uses: the crate hands over the frame's LZW data as it is.
        options.skip_frame_decoding(true);
        // The frame's header first: it is checked before its data is copied (the crate
        // reserves a quarter of the frame's claimed size for it).
        let mut header = options
            .clone()
            .read_info(Cursor::new(bytes))
            .map_err(corrupt)?;
        let (width, height) = (u32::from(header.width()), u32::from(header.height()));
        check_size(width, height, limits)?;
        let info = header
            .next_frame_info()
            .map_err(corrupt)?
            .ok_or_else(|| corrupt("it holds no picture"))?;
        // A frame is drawn within the picture: one larger than it (a bomb's way to make the
        // decoder allocate what the picture's size would not) is refused before it is read.
        if u64::from(info.width) * u64::from(info.height) > u64::from(width) * u64::from(height) {
            return Err(corrupt("a frame larger than the picture"));
        }
        let global = header.global_palette().map(<[u8]>::to_vec);
        let mut decoder = options.read_info(Cursor::new(bytes)).map_err(corrupt)?;
        let frame = decoder
            .read_next_frame()
            .map_err(corrupt)?
            .ok_or_else(|| corrupt("it holds no picture"))?;
        let palette = frame
            .palette
            .clone()
            .or(global)
            .ok_or_else(|| corrupt("it has no colours"))?;
        Ok(GifFrame {
            lzw: frame.buffer.to_vec(),
            palette,
            transparent: frame.transparent,
            interlaced: frame.interlaced,
            left: usize::from(frame.left),
            top: usize::from(frame.top),
            frame_width: usize::from(frame.width),
            frame_height: usize::from(frame.height),
            width,
            height,
        })
    }

    /// The colour of a palette index; none (the canvas' white) for the transparent colour
    /// and for an index past the palette.
    pub(crate) fn colour(&self, index: u8) -> Option<&[u8]> {
        let at = usize::from(index) * 3;
        if Some(index) == self.transparent {
            return None;
        }
        self.palette.get(at..at + 3)
    }

    /// The frame's column on the canvas.
    pub(crate) fn left(&self) -> usize {
        self.left
    }

    /// Decodes the frame's palette indices, handing `row(y, indices)` each row that falls on
    /// the canvas (`y` the canvas row; `indices` cut at the canvas' right edge), in order: a
    /// band at a time as they are decoded, an interlaced frame's (stored in four passes) once
    /// all are. `row` answers false to stop. A truncated or damaged stream is an error.
    pub(crate) fn lzw_rows(
        &self,
        mut row: impl FnMut(usize, &[u8]) -> bool,
    ) -> Result<(), PhotoError> {
        let (w, h) = (self.width as usize, self.height as usize);
        let rows = if self.frame_width > 0 && self.left < w {
            self.frame_height.min(h.saturating_sub(self.top))
        } else {
            0
        };
        if rows == 0 {
            return Ok(());
        }
        let visible = self.frame_width.min(w - self.left);
        let (&min_code_size, mut data) = self
            .lzw
            .split_first()
            .ok_or_else(|| corrupt("image truncated"))?;
        if !(1..=11).contains(&min_code_size) {
            return Err(corrupt("invalid minimal code size"));
        }
        let mut lzw = weezl::decode::Decoder::new(weezl::BitOrder::Lsb, min_code_size);
        let mut fill = |out: &mut [u8]| -> Result<(), PhotoError> {
            let mut filled = 0;
            while filled < out.len() {
                let result = lzw.decode_bytes(data, &mut out[filled..]);
                data = &data[result.consumed_in..];
                filled += result.consumed_out;
                let status = result.status.map_err(corrupt)?;
                if filled < out.len()
                    && (!matches!(status, weezl::LzwStatus::Ok)
                        || result.consumed_in + result.consumed_out == 0)
                {
                    return Err(corrupt("image truncated"));
                }
            }
            Ok(())
        };
        let stopped = || corrupt("the picture was not wanted any more");
        if self.interlaced {
            // Rows of the first pass (every 8th), then the second (every 8th from 4), the
            // third (every 4th from 2), the fourth (every other from 1).
            let mut indices = vec![0u8; self.frame_width * self.frame_height];
            fill(&mut indices)?;
            let h = self.frame_height;
            let stored = (0..h)
                .step_by(8)
                .chain((4..h).step_by(8))
                .chain((2..h).step_by(4))
                .chain((1..h).step_by(2));
            let mut order = vec![0usize; h];
            for (at, y) in stored.enumerate() {
                order[y] = at;
            }
            for (y, &at) in order.iter().enumerate().take(rows) {
                let start = at * self.frame_width;
                if !row(self.top + y, &indices[start..start + visible]) {
                    return Err(stopped());
                }
            }
            return Ok(());
        }
        let mut band = vec![0u8; self.frame_width * GIF_BAND_ROWS.min(rows)];
        let mut y = 0;
        while y < rows {
            let count = GIF_BAND_ROWS.min(rows - y);
            let band = &mut band[..count * self.frame_width];
            fill(band)?;
            for (i, indices) in band.chunks_exact(self.frame_width).enumerate() {
                if !row(self.top + y + i, &indices[..visible]) {
                    return Err(stopped());
                }
            }
            y += count;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::noise;
    use image::{DynamicImage, ImageFormat};

    /// A GIF of two frames on a `canvas`, the first at `at` (left, top, width, height) with
    /// indices from `noise` (some past a 100-colour local palette, when it has one).
    fn gif_file(canvas: (u16, u16), at: [u16; 4], local: bool, interlaced: bool) -> Vec<u8> {
        let [left, top, width, height] = at;
        let first = gif::Frame {
            left,
            top,
            width,
            height,
            buffer: noise(usize::from(width) * usize::from(height), 5).into(),
            palette: local.then(|| noise(100 * 3, 6)),
            transparent: Some(17),
            interlaced,
            ..gif::Frame::default()
        };
        let second = gif::Frame {
            width: canvas.0,
            height: canvas.1,
            buffer: vec![0; usize::from(canvas.0) * usize::from(canvas.1)].into(),
            ..gif::Frame::default()
        };
        gif_of(canvas, &noise(256 * 3, 3), &[first, second])
    }

    /// A GIF of `frames` on a `canvas` with a `global` palette.
    fn gif_of(canvas: (u16, u16), global: &[u8], frames: &[gif::Frame<'_>]) -> Vec<u8> {
        let mut out = Vec::new();
        {
            let mut encoder = gif::Encoder::new(&mut out, canvas.0, canvas.1, global).unwrap();
            for frame in frames {
                encoder.write_frame(frame).unwrap();
            }
        }
        out
    }

    /// The GIF cases: canvas, frame (left, top, width, height), local palette, interlaced.
    type GifCase = ((u16, u16), [u16; 4], bool, bool);
    const GIF_CASES: [GifCase; 8] = [
        ((40, 30), [0, 0, 40, 30], false, false),
        ((40, 30), [7, 5, 21, 13], false, false),
        ((40, 30), [3, 2, 30, 25], true, true),
        ((33, 17), [0, 0, 33, 17], true, false),
        ((33, 17), [1, 1, 32, 16], false, false),
        ((33, 17), [5, 3, 28, 14], false, true),
        ((64, 48), [0, 0, 64, 48], false, true),
        ((1, 1), [0, 0, 1, 1], false, false),
    ];

    #[test]
    fn a_gif_written_from_its_planes_is_the_jpeg_its_rgb_gives() {
        // `process` paints a GIF no larger than the output into Y, Cb, Cr planes while its
        // LZW is decoded; the RGB path (`gif`, then `encode`) is the reference: the same
        // bytes when both sides are whole 16-pixel blocks, else the same pixels but in the
        // last block column and row, whose padding differs (planes.rs), and the two pixels
        // before them (a decoder's chroma upsampling reaches one sample over).
        for (canvas, at, local, interlaced) in GIF_CASES {
            let label =
                format!("canvas {canvas:?}, frame {at:?}, local {local}, interlaced {interlaced}");
            let bytes = gif_file(canvas, at, local, interlaced);
            let photo = crate::process(&bytes, &crate::Options::default(), |_| {}).unwrap();
            let rgb = DynamicImage::ImageRgb8(decode(&bytes, &Limits::default()).unwrap());
            let reference = crate::encode(&rgb, crate::Options::default().quality).unwrap();
            let (w, h) = (u32::from(canvas.0), u32::from(canvas.1));
            assert_eq!((photo.image.width, photo.image.height), (w, h), "{label}");
            if w % 16 == 0 && h % 16 == 0 {
                assert!(photo.image.bytes == reference.bytes, "{label}: other bytes");
            }
            let ours: RgbImage = turbojpeg::decompress_image(&photo.image.bytes).unwrap();
            let theirs: RgbImage = turbojpeg::decompress_image(&reference.bytes).unwrap();
            let whole = |side: u32| side / 16 * 16;
            for (x, y, px) in ours.enumerate_pixels() {
                let want = theirs.get_pixel(x, y);
                let off =
                    px.0.iter()
                        .zip(want.0)
                        .map(|(a, b)| a.abs_diff(b))
                        .max()
                        .unwrap();
                if x + 2 < whole(w) && y + 2 < whole(h) {
                    assert_eq!(off, 0, "{label} at ({x}, {y}): {px:?}, RGB path {want:?}");
                }
            }
        }
    }

    #[test]
    fn a_gifs_thumbnail_made_from_its_planes_is_the_picture_made_small() {
        // 640 x 480 of smooth colours: the thumbnail (320 x 240, each plane resized) against
        // the RGB path's own thumbnail (the RGB resized, then encoded alike).
        let (w, h) = (640u16, 480u16);
        let palette: Vec<u8> = (0..=255u8).flat_map(|i| [i, 255 - i, i / 2]).collect();
        let indices: Vec<u8> = (0..h)
            .flat_map(|y| {
                (0..w)
                    .map(move |x| ((u32::from(x) * 255 / 639 + u32::from(y) * 255 / 479) / 2) as u8)
            })
            .collect();
        let frame = gif::Frame {
            width: w,
            height: h,
            buffer: indices.into(),
            ..gif::Frame::default()
        };
        let bytes = gif_of((w, h), &palette, &[frame]);
        let options = crate::Options::default();
        let photo = crate::process(&bytes, &options, |_| {}).unwrap();
        assert_eq!((photo.thumbnail.width, photo.thumbnail.height), (320, 240));
        let ours: RgbImage = turbojpeg::decompress_image(&photo.thumbnail.bytes).unwrap();
        let rgb = decode(&bytes, &Limits::default()).unwrap();
        let small = crate::resize_pixels(rgb.as_raw(), 640, 480, 320, 240);
        let reference =
            crate::encode(&DynamicImage::ImageRgb8(small), options.thumbnail_quality).unwrap();
        let theirs: RgbImage = turbojpeg::decompress_image(&reference.bytes).unwrap();
        let diffs = ours
            .as_raw()
            .iter()
            .zip(theirs.as_raw())
            .map(|(a, b)| a.abs_diff(*b));
        let mean = diffs.clone().map(f64::from).sum::<f64>() / ours.as_raw().len() as f64;
        let max = diffs.max().unwrap();
        assert!(
            mean < 1.0 && max <= 12,
            "mean difference {mean:.2}, max {max}"
        );
    }

    #[test]
    fn a_truncated_gif_is_refused_by_both_paths() {
        let bytes = gif_file((64, 48), [0, 0, 64, 48], false, false);
        // Cut inside the first frame's LZW data (its sub-blocks start after the header,
        // the global palette and the frame's descriptor, 13 + 768 + 10 bytes).
        let cut = &bytes[..13 + 768 + 10 + 400];
        for result in [
            crate::process(cut, &crate::Options::default(), |_| {}).map(|_| ()),
            decode(cut, &Limits::default()).map(|_| ()),
        ] {
            let Err(PhotoError::Corrupt(message)) = result else {
                panic!("a truncated GIF was read: {result:?}");
            };
            assert!(!message.is_empty());
        }
    }

    #[test]
    fn a_gifs_first_frame_reads_as_the_image_crate_read_it() {
        for (canvas, at, local, interlaced) in GIF_CASES {
            let label =
                format!("canvas {canvas:?}, frame {at:?}, local {local}, interlaced {interlaced}");
            let bytes = gif_file(canvas, at, local, interlaced);
            let ours = DynamicImage::ImageRgb8(decode(&bytes, &Limits::default()).unwrap());
            let decoded = image::load_from_memory_with_format(&bytes, ImageFormat::Gif).unwrap();
            let theirs = DynamicImage::ImageRgb8(crate::flatten(decoded));
            assert_eq!(
                (ours.width(), ours.height()),
                (u32::from(canvas.0), u32::from(canvas.1))
            );
            assert!(
                ours.as_bytes() == theirs.as_bytes(),
                "{label}: other pixels"
            );
        }
    }
}
