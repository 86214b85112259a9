"""libvips in process (pyvips), for `make bench`'s per-format comparison (benches/formats.rs).

Does what the pipeline does, the way an app embedding libvips would: thumbnail_buffer
(shrink-on-load, auto-rotation; an embedded profile, or CMYK's fallback one, converted to sRGB
by default) to a 1600 px long edge, then a JPEG at quality 80 without metadata, with optimised
Huffman tables as ours. The operation cache is off, so every run decodes. (Asking for
`export_profile="srgb"` as well would put a profile-less picture through an import and export
that costs it: measured 6.9 levels on average against vipsthumbnail's own output.)

Usage: vips_in_process.py, then one request a line on standard input: FILE, a tab, and OUT
(empty: nothing written). Each request is run once and answered with a line holding its time in
seconds; the output goes to OUT. The benchmark sends its requests between runs of its own, so
both sides meet the machine's same moments.
"""

import sys
import time

import pyvips


def main() -> None:
    pyvips.cache_set_max(0)
    files = {}
    for line in sys.stdin:
        path, out = line.rstrip("\n").split("\t")
        if path not in files:
            with open(path, "rb") as f:
                files[path] = f.read()
        start = time.perf_counter()
        image = pyvips.Image.thumbnail_buffer(files[path], 1600, height=1600)
        jpeg = image.jpegsave_buffer(Q=80, strip=True, optimize_coding=True)
        elapsed = time.perf_counter() - start
        if out:
            with open(out, "wb") as f:
                f.write(jpeg)
        print(elapsed, flush=True)


if __name__ == "__main__":
    main()
