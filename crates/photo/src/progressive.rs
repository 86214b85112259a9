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
//! of samples. Chroma stored at half the luma's resolution is brought up to it by the
//! triangle filter libjpeg's "fancy upsampling" uses, and made RGB by JFIF's equations.
//!
//! What it does not handle gives `None`, and libjpeg-turbo decodes the file as it did before
//! (and says what is wrong with a damaged one): baseline and arithmetic-coded files, other
//! precisions than 8 bits, CMYK, YCCK and RGB-stored files, sampling factors other than 1 and
//! 2, and any scan that does not decode cleanly (a truncated file, a bad Huffman code, a
//! restart marker out of place, more scans than any encoder writes).

use image::{DynamicImage, GrayImage, RgbImage};

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

/// Bits looked up at once when decoding a Huffman code.
const LOOK: u32 = 9;

struct Huffman {
    /// For each 9-bit prefix: the code's length << 8 | its symbol, or 0 if the code is longer.
    fast: Vec<u16>,
    /// The largest code of each length (-1: none), and what turns a code into its symbol's index.
    max_code: [i32; 17],
    offset: [i32; 17],
    symbols: Vec<u8>,
}

impl Huffman {
    /// The table a DHT segment defines: 16 counts, then the symbols by code length.
    fn new(counts: &[u8], symbols: &[u8]) -> Option<Huffman> {
        let mut fast = vec![0u16; 1 << LOOK];
        let mut max_code = [-1i32; 17];
        let mut offset = [0i32; 17];
        let mut code = 0u32;
        let mut index = 0usize;
        for len in 1..=16u32 {
            let count = usize::from(counts[len as usize - 1]);
            offset[len as usize] = index as i32 - code as i32;
            for _ in 0..count {
                if code >= 1 << len {
                    return None;
                }
                if len <= LOOK {
                    let shift = LOOK - len;
                    let entry = (len as u16) << 8 | u16::from(symbols[index]);
                    fast[(code << shift) as usize..((code + 1) << shift) as usize].fill(entry);
                }
                code += 1;
                index += 1;
            }
            if count > 0 {
                max_code[len as usize] = code as i32 - 1;
            }
            code <<= 1;
        }
        Some(Huffman {
            fast,
            max_code,
            offset,
            symbols: symbols.to_vec(),
        })
    }
}

/// The entropy-coded data of a scan, most significant bit first, its stuffed zero bytes
/// removed. At a marker (or the file's end) it feeds zero bits and counts them: a scan that
/// used any is truncated.
struct Bits<'a> {
    data: &'a [u8],
    pos: usize,
    buf: u64,
    n: u32,
    padded: u32,
    at_marker: bool,
}

impl<'a> Bits<'a> {
    fn new(data: &'a [u8], pos: usize) -> Bits<'a> {
        Bits {
            data,
            pos,
            buf: 0,
            n: 0,
            padded: 0,
            at_marker: false,
        }
    }

    fn refill(&mut self) {
        // The next eight bytes at once when none of them is 0xFF (no stuffing, no marker).
        if !self.at_marker
            && let Some(chunk) = self.data.get(self.pos..self.pos + 8)
        {
            let word = u64::from_be_bytes(chunk.try_into().expect("eight bytes"));
            let inverted = !word;
            let any_ff =
                inverted.wrapping_sub(0x0101_0101_0101_0101) & !inverted & 0x8080_8080_8080_8080;
            if any_ff == 0 {
                let bytes = (64 - self.n) / 8;
                self.buf |= word >> (64 - 8 * bytes) << (64 - self.n - 8 * bytes);
                self.n += 8 * bytes;
                self.pos += bytes as usize;
                return;
            }
        }
        while self.n <= 56 {
            let byte = if self.at_marker {
                self.padded += 8;
                0
            } else {
                match self.data.get(self.pos) {
                    Some(&0xFF) if self.data.get(self.pos + 1) == Some(&0) => {
                        self.pos += 2;
                        0xFF
                    }
                    Some(&0xFF) | None => {
                        self.at_marker = true;
                        self.padded += 8;
                        0
                    }
                    Some(&b) => {
                        self.pos += 1;
                        b
                    }
                }
            };
            self.buf |= u64::from(byte) << (56 - self.n);
            self.n += 8;
        }
    }

    /// At least `k` bits (up to 57) in the buffer.
    #[inline(always)]
    fn ensure(&mut self, k: u32) {
        if self.n < k {
            self.refill();
        }
    }

    /// The next `k` bits (1 to 16), which must be in the buffer.
    #[inline(always)]
    fn take(&mut self, k: u32) -> u32 {
        let v = (self.buf >> (64 - k)) as u32;
        self.buf <<= k;
        self.n -= k;
        v
    }

    #[inline(always)]
    fn bit(&mut self) -> bool {
        self.ensure(1);
        self.take(1) == 1
    }

    /// A Huffman-coded symbol; 16 bits must be in the buffer.
    #[inline(always)]
    fn symbol(&mut self, table: &Huffman) -> Option<u8> {
        let entry = table.fast[(self.buf >> (64 - LOOK)) as usize];
        if entry != 0 {
            let len = u32::from(entry >> 8);
            self.buf <<= len;
            self.n -= len;
            return Some(entry as u8);
        }
        let peek = (self.buf >> 48) as i32;
        for len in LOOK + 1..=16 {
            let code = peek >> (16 - len);
            if code <= table.max_code[len as usize] {
                self.buf <<= len;
                self.n -= len;
                return table
                    .symbols
                    .get((code + table.offset[len as usize]) as usize)
                    .copied();
            }
        }
        None
    }

    /// A value of `s` bits (1 to 15, in the buffer) in JPEG's sign convention.
    #[inline(always)]
    fn value(&mut self, s: u32) -> i32 {
        let v = self.take(s) as i32;
        if v < 1 << (s - 1) {
            v - (1 << s) + 1
        } else {
            v
        }
    }

    /// Whether no zero bit fed past the data was used.
    fn clean(&self) -> bool {
        self.padded <= self.n
    }

    /// At a restart marker: the bits left are padding, the marker must be RSTn.
    fn restart(&mut self, n: u8) -> Option<()> {
        if !self.clean() || self.data.get(self.pos..self.pos + 2)? != [0xFF, 0xD0 + n] {
            return None;
        }
        *self = Bits::new(self.data, self.pos + 2);
        Some(())
    }
}

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
            0xC2 => frame = Some(start_frame(body, keep, adobe_rgb)?),
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

fn run_scan(
    frame: &mut Frame,
    scan: &Scan,
    dc: &[Option<Huffman>; 4],
    ac: &[Option<Huffman>; 4],
    bits: &mut Bits,
    restart: usize,
) -> Option<()> {
    // A DC refinement reads raw bits, no table.
    let tables = scan
        .comps
        .iter()
        .map(|&(_, d, a)| match scan.pass {
            Pass::DcFirst => dc[d].as_ref(),
            Pass::AcFirst | Pass::AcRefine => ac[a].as_ref(),
            Pass::DcRefine => None,
        })
        .collect::<Vec<_>>();
    if scan.pass != Pass::DcRefine && tables.iter().any(Option::is_none) {
        return None;
    }
    let single = scan.comps.len() == 1;
    let (units_w, units_h) = if single {
        let c = &frame.comps[scan.comps[0].0];
        (c.blocks_w, c.blocks_h)
    } else {
        (frame.mcus_w, frame.mcus_h)
    };
    let mut state = State {
        eob_run: 0,
        predictions: [0; 4],
    };
    // Each scanned component's layout, looked up once.
    let layouts: Vec<(usize, usize, usize, [u8; 64])> = scan
        .comps
        .iter()
        .map(|&(index, _, _)| {
            let c = &frame.comps[index];
            let (h, v) = if single { (1, 1) } else { (c.h, c.v) };
            (h, v, c.keep_x * c.keep_y, c.slot)
        })
        .collect();
    let mut todo = restart;
    let mut next_marker = 0u8;
    for uy in 0..units_h {
        for ux in 0..units_w {
            if restart > 0 {
                if todo == 0 {
                    bits.restart(next_marker)?;
                    next_marker = (next_marker + 1) & 7;
                    todo = restart;
                    state = State {
                        eob_run: 0,
                        predictions: [0; 4],
                    };
                }
                todo -= 1;
            }
            for (i, &(index, _, _)) in scan.comps.iter().enumerate() {
                let comp = &mut frame.comps[index];
                let (h, v, kk, ref slot) = layouts[i];
                for by in 0..v {
                    for bx in 0..h {
                        let block = (uy * v + by) * comp.grid_w + ux * h + bx;
                        let coefs = &mut comp.coefs[block * kk..(block + 1) * kk];
                        let nonzero = &mut comp.nonzero[block];
                        match scan.pass {
                            Pass::DcFirst => {
                                bits.ensure(32);
                                let s = u32::from(bits.symbol(tables[i]?)?);
                                if s > 15 {
                                    return None;
                                }
                                let diff = if s == 0 { 0 } else { bits.value(s) };
                                let p = &mut state.predictions[i];
                                *p = p.wrapping_add(diff);
                                let dc = (*p << scan.low) as i16;
                                coefs[0] = dc;
                                if dc != 0 {
                                    *nonzero |= 1;
                                }
                            }
                            Pass::DcRefine => {
                                if bits.bit() {
                                    coefs[0] |= 1 << scan.low;
                                    *nonzero |= 1;
                                }
                            }
                            Pass::AcFirst => {
                                ac_first(bits, tables[i]?, scan, slot, coefs, nonzero, &mut state)?
                            }
                            Pass::AcRefine => {
                                ac_refine(bits, tables[i]?, scan, slot, coefs, nonzero, &mut state)?
                            }
                        }
                    }
                }
            }
        }
    }
    Some(())
}

struct State {
    eob_run: u32,
    predictions: [i32; 4],
}

#[inline(always)]
fn ac_first(
    bits: &mut Bits,
    table: &Huffman,
    scan: &Scan,
    slot: &[u8; 64],
    coefs: &mut [i16],
    nonzero: &mut u64,
    state: &mut State,
) -> Option<()> {
    if state.eob_run > 0 {
        state.eob_run -= 1;
        return Some(());
    }
    let mut k = scan.start;
    while k <= scan.end {
        bits.ensure(32);
        let rs = bits.symbol(table)?;
        let (r, s) = (usize::from(rs >> 4), u32::from(rs & 15));
        if s != 0 {
            k += r;
            if k > scan.end {
                return None;
            }
            let value = bits.value(s) << scan.low;
            *nonzero |= 1 << k;
            if let Some(c) = coefs.get_mut(usize::from(slot[k])) {
                *c = value as i16;
            }
            k += 1;
        } else if r < 15 {
            state.eob_run = (1 << r) - 1;
            if r > 0 {
                state.eob_run += bits.take(r as u32);
            }
            break;
        } else {
            k += 16;
        }
    }
    Some(())
}

#[inline(always)]
fn ac_refine(
    bits: &mut Bits,
    table: &Huffman,
    scan: &Scan,
    slot: &[u8; 64],
    coefs: &mut [i16],
    nonzero: &mut u64,
    state: &mut State,
) -> Option<()> {
    let plus = 1i16 << scan.low;
    let minus = -1i16 << scan.low;
    // A correction bit for an already nonzero coefficient: 1 raises its magnitude.
    let correct = |bits: &mut Bits, k: usize, coefs: &mut [i16]| {
        if bits.bit()
            && let Some(c) = coefs.get_mut(usize::from(slot[k]))
            && *c & plus == 0
        {
            *c += if *c >= 0 { plus } else { minus };
        }
    };
    // The band's positions, as bits in zigzag order.
    let band = (u64::MAX >> (63 - scan.end)) & (u64::MAX << scan.start);
    let mut k = scan.start;
    if state.eob_run == 0 {
        while k <= scan.end {
            bits.ensure(32);
            let rs = bits.symbol(table)?;
            let (r, s) = (rs >> 4, rs & 15);
            let mut value = 0i16;
            if s != 0 {
                if s != 1 {
                    return None;
                }
                value = if bits.take(1) == 1 { plus } else { minus };
            } else if r != 15 {
                state.eob_run = 1 << r;
                if r > 0 {
                    state.eob_run += bits.take(r as u32);
                }
                break;
            }
            // Past r zero coefficients (and the nonzero ones among them, each with its
            // correction bit) to the one that becomes nonzero: the (r + 1)th zero of the band
            // from k, found in the block's bits.
            let from = band & (u64::MAX << k);
            let mut zeros = !*nonzero & from;
            for _ in 0..r {
                zeros &= zeros.wrapping_sub(1);
            }
            let target = if zeros == 0 {
                scan.end + 1
            } else {
                zeros.trailing_zeros() as usize
            };
            let mut before = *nonzero & from & !(u64::MAX << target.min(63) << (target / 64));
            while before != 0 {
                correct(bits, before.trailing_zeros() as usize, coefs);
                before &= before - 1;
            }
            k = target;
            if value != 0 {
                if k > scan.end {
                    return None;
                }
                *nonzero |= 1 << k;
                if let Some(c) = coefs.get_mut(usize::from(slot[k])) {
                    *c = value;
                }
            }
            k += 1;
        }
    }
    if state.eob_run > 0 {
        // A correction bit for each nonzero coefficient left in the band.
        if k <= scan.end {
            let mut left = *nonzero & band & (u64::MAX << k);
            while left != 0 {
                correct(bits, left.trailing_zeros() as usize, coefs);
                left &= left - 1;
            }
        }
        state.eob_run -= 1;
    }
    Some(())
}

/// Every block through the reduced IDCT, then the planes (each at the output's size) as one
/// grey or RGB picture.
fn finish(frame: Frame, denom: usize) -> Option<DynamicImage> {
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
            // JFIF's equations in 16-bit fixed point.
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

#[cfg(test)]
mod tests {
    use super::*;
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

    fn progressive(image: &RgbImage, subsamp: Subsamp, quality: i32) -> Vec<u8> {
        let mut c = Compressor::new().unwrap();
        c.set_quality(quality).unwrap();
        c.set_subsamp(subsamp).unwrap();
        c.set_progressive(true).unwrap();
        c.set_optimize(true).unwrap();
        let (width, height) = image.dimensions();
        c.compress_to_vec(turbojpeg::Image {
            pixels: image.as_raw().as_slice(),
            width: width as usize,
            pitch: width as usize * 3,
            height: height as usize,
            format: PixelFormat::RGB,
        })
        .unwrap()
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
    fn a_truncated_or_damaged_file_never_panics_and_a_cut_one_is_refused() {
        let bytes = progressive(&scene(120, 90), Subsamp::Sub2x2, 85);
        for cut in (0..bytes.len() - 2).step_by(37) {
            assert!(decode(&bytes[..cut], 2).is_none(), "cut at {cut}");
        }
        for (i, pos) in (20..bytes.len()).step_by(11).enumerate() {
            let mut damaged = bytes.clone();
            damaged[pos] ^= 1 << (i % 8);
            let _ = decode(&damaged, 2 << (i % 3));
        }
    }
}
