"""libvips in process (pyvips), for `make bench`'s per-format comparison (benches/formats.rs).

Does what the pipeline does, the way an app embedding libvips would: thumbnail_buffer
(shrink-on-load, auto-rotation; an embedded profile, or CMYK's fallback one, converted to sRGB
by default) to a 1600 px long edge, then a JPEG at quality 80 without metadata, with optimised
Huffman tables as ours. The operation cache is off, so every run decodes. (Asking for
`export_profile="srgb"` as well would put a profile-less picture through an import and export
that costs it: measured 6.9 levels on average against vipsthumbnail's own output.)

Usage: vips_in_process.py RUNS OUT_DIR FILE...
Prints one JSON object: {file: median seconds}; writes OUT_DIR/<name>.vips.jpg for each.
"""

import json
import os
import statistics
import sys
import time

import pyvips


def main() -> None:
    runs = int(sys.argv[1])
    out_dir = sys.argv[2]
    pyvips.cache_set_max(0)
    medians = {}
    for path in sys.argv[3:]:
        with open(path, "rb") as f:
            data = f.read()
        times = []
        out = b""
        for _ in range(runs):
            start = time.perf_counter()
            image = pyvips.Image.thumbnail_buffer(data, 1600, height=1600)
            out = image.jpegsave_buffer(Q=80, strip=True, optimize_coding=True)
            times.append(time.perf_counter() - start)
        name = os.path.basename(path)
        with open(os.path.join(out_dir, name + ".vips.jpg"), "wb") as f:
            f.write(out)
        medians[path] = statistics.median(times)
    print(json.dumps(medians))


if __name__ == "__main__":
    main()
