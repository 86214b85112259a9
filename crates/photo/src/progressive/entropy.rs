//! The entropy-coded scans: Huffman tables, the bit reader, and each kind of scan's
//! decoding into the kept coefficients and the nonzero bits.

use super::{Frame, Pass, Scan};

/// Bits looked up at once when decoding a Huffman code.
const LOOK: u32 = 9;

pub(super) struct Huffman {
    /// For each 9-bit prefix: the code's length << 8 | its symbol, or 0 if the code is longer.
    fast: Vec<u16>,
    /// The largest code of each length (-1: none), and what turns a code into its symbol's index.
    max_code: [i32; 17],
    offset: [i32; 17],
    symbols: Vec<u8>,
}

impl Huffman {
    /// The table a DHT segment defines: 16 counts, then the symbols by code length.
    pub(super) fn new(counts: &[u8], symbols: &[u8]) -> Option<Huffman> {
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
pub(super) struct Bits<'a> {
    data: &'a [u8],
    pub(super) pos: usize,
    buf: u64,
    n: u32,
    padded: u32,
    pub(super) at_marker: bool,
}

impl<'a> Bits<'a> {
    pub(super) fn new(data: &'a [u8], pos: usize) -> Bits<'a> {
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
    pub(super) fn clean(&self) -> bool {
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

/// One scan's entropy-coded data into the frame's kept coefficients and nonzero bits, MCU
/// by MCU (block by block in a one-component scan), checking its restart markers.
pub(super) fn run_scan(
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
                            Pass::AcFirst | Pass::AcRefine => {
                                let band = Band {
                                    table: tables[i]?,
                                    scan,
                                    slot,
                                };
                                let block = Block { coefs, nonzero };
                                if scan.pass == Pass::AcFirst {
                                    ac_first(bits, &band, block, &mut state)?
                                } else {
                                    ac_refine(bits, &band, block, &mut state)?
                                }
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

/// What decoding a band needs besides the bits: the component's AC table, the scan, and
/// which of its coefficients the component keeps.
#[derive(Clone, Copy)]
struct Band<'a> {
    table: &'a Huffman,
    scan: &'a Scan,
    slot: &'a [u8; 64],
}

/// A block's kept coefficients and its nonzero bits.
struct Block<'a> {
    coefs: &'a mut [i16],
    nonzero: &'a mut u64,
}

#[inline(always)]
fn ac_first(bits: &mut Bits, band: &Band, block: Block, state: &mut State) -> Option<()> {
    let Band { table, scan, slot } = *band;
    let Block { coefs, nonzero } = block;
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
fn ac_refine(bits: &mut Bits, band: &Band, block: Block, state: &mut State) -> Option<()> {
    let Band { table, scan, slot } = *band;
    let Block { coefs, nonzero } = block;
    let plus = 1i16 << scan.low;
    let minus = -1i16 << scan.low;
    // A correction bit for an already nonzero coefficient: 1 raises its magnitude.
    let correct = |bits: &mut Bits, k: usize, coefs: &mut [i16]| {
        if bits.bit()
            && let Some(c) = coefs.get_mut(usize::from(slot[k]))
            && *c & plus == 0
        {
            *c = c.wrapping_add(if *c >= 0 { plus } else { minus });
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
