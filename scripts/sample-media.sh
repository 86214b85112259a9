#!/usr/bin/env bash
# Regenerates the simulator's sample media in crates/wa-sim/samples/ from scratch: the files the
# simulated "guest phone" sends, and that the Cloud API webhook fixtures
# (crates/connector/tests/fixtures/cloud-api/) name by base64 SHA-256. Run by hand, never by the build;
# the outputs are committed once. After a rerun the bytes may differ (encoder versions), so the
# fixtures' `sha256` values must then be recomputed:
#   openssl dgst -sha256 -binary crates/wa-sim/samples/<file> | base64
#
# Needs (Debian 12 package names):
#   ffmpeg        (ffmpeg with libopus, libmp3lame, libx264 and the native AAC encoder; ffprobe to check)
#   imagemagick   (convert: the JPEG and the sticker frames)
#   webp          (cwebp, img2webp, webpinfo)
#   python3       (writes the PDF by hand; no modules needed)
#   poppler-utils, qpdf, file   (only for the checks at the end)
#   apt-get install -y ffmpeg imagemagick webp poppler-utils qpdf file
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=crates/wa-sim/samples
mkdir -p "$OUT"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

# ImageMagick 7 calls itself `magick`; Debian 12 ships 6 as `convert`. Prefer the real binary in
# /usr/bin over any wrapper earlier in PATH.
if command -v magick >/dev/null 2>&1; then IM=magick; IDENTIFY=(magick identify)
elif [ -x /usr/bin/convert ]; then IM=/usr/bin/convert; IDENTIFY=(/usr/bin/identify)
else IM=convert; IDENTIFY=(identify); fi

FF=(ffmpeg -hide_banner -loglevel error -y)
# No encoder/creation-time tags, so a rerun on the same versions gives the same bytes.
BITEXACT=(-map_metadata -1 -fflags +bitexact -flags:v +bitexact -flags:a +bitexact)

# --- voice.ogg: a WhatsApp-style voice note. OGG/Opus, mono, 48 kHz, 3 s, two tones (A4 then E5)
#     with a short fade between, at a voice-note bitrate.
"${FF[@]}" \
  -f lavfi -i "sine=frequency=440:sample_rate=48000:duration=1.5" \
  -f lavfi -i "sine=frequency=660:sample_rate=48000:duration=1.5" \
  -filter_complex "[0:a]afade=t=out:st=1.35:d=0.15[a];[1:a]afade=t=in:st=0:d=0.15[b];[a][b]concat=n=2:v=0:a=1,volume=0.6[out]" \
  -map "[out]" -ac 1 -ar 48000 -c:a libopus -b:a 24k -application voip "${BITEXACT[@]}" \
  "$OUT/voice.ogg"

# --- song.mp3: an "audio file" (not a voice note). MP3, mono, 44.1 kHz, 3 s, a three-note arpeggio.
"${FF[@]}" \
  -f lavfi -i "sine=frequency=523.25:sample_rate=44100:duration=1" \
  -f lavfi -i "sine=frequency=659.25:sample_rate=44100:duration=1" \
  -f lavfi -i "sine=frequency=783.99:sample_rate=44100:duration=1" \
  -filter_complex "[0:a][1:a][2:a]concat=n=3:v=0:a=1,volume=0.5[out]" \
  -map "[out]" -ac 1 -ar 44100 -c:a libmp3lame -b:a 48k -id3v2_version 0 -write_xing 1 "${BITEXACT[@]}" \
  "$OUT/song.mp3"

# --- clip.mp4: H.264 constrained baseline, yuv420p, 320x240 at 15 fps, 2 s of ffmpeg's colour-bar
#     test pattern with a moving counter (testsrc2), AAC-LC mono 440 Hz tone; moov atom first.
"${FF[@]}" \
  -f lavfi -i "testsrc2=size=320x240:rate=15:duration=2" \
  -f lavfi -i "sine=frequency=440:sample_rate=44100:duration=2" \
  -map 0:v -map 1:a \
  -c:v libx264 -profile:v baseline -level 3.0 -pix_fmt yuv420p -preset veryslow -crf 30 -g 30 \
  -x264-params "threads=1" \
  -c:a aac -b:a 48k -ac 1 -ar 44100 \
  -movflags +faststart "${BITEXACT[@]}" \
  "$OUT/clip.mp4"

# --- photo.jpg: a 640x480 "photo-like" picture: a sky-to-grass gradient, a sun, a house.
$IM -size 640x480 gradient:'#5fa8e8-#cfe9ff' \
  \( -size 640x170 gradient:'#6dbb4a-#3d7a2a' \) -geometry +0+310 -composite \
  -fill '#ffd84a' -stroke '#f2a900' -strokewidth 4 -draw "circle 520,90 520,140" \
  -fill '#c0392b' -stroke none -draw "polygon 170,250 290,160 410,250" \
  -fill '#f4e1c1' -draw "rectangle 190,250 390,380" \
  -fill '#6b4226' -draw "rectangle 270,300 310,380" \
  -fill '#8fd3ff' -stroke '#ffffff' -strokewidth 3 -draw "rectangle 210,270 250,310" -draw "rectangle 330,270 370,310" \
  -strip -interlace none -sampling-factor 4:2:0 -quality 82 \
  "$OUT/photo.jpg"

# --- sticker.webp: static WebP sticker, 512x512 with transparency (WhatsApp's sticker size):
#     a yellow smiley on a transparent background, with the customary white outline.
$IM -size 512x512 xc:none \
  -fill white -draw "circle 256,256 256,26" \
  -fill '#ffcc33' -stroke '#e09b00' -strokewidth 8 -draw "circle 256,256 256,46" \
  -fill '#333333' -stroke none -draw "ellipse 190,210 22,34 0,360" -draw "ellipse 322,210 22,34 0,360" \
  -fill none -stroke '#333333' -strokewidth 16 -draw "arc 150,230 362,390 20,160" \
  -depth 8 "PNG32:$TMP/sticker.png"
cwebp -quiet -q 80 -alpha_q 100 -m 6 -metadata none "$TMP/sticker.png" -o "$OUT/sticker.webp"

# --- sticker-animated.webp: animated WebP, 512x512, 8 frames (a bouncing, colour-cycling ball),
#     looping forever, 120 ms a frame.
frames=()
colours=('#e74c3c' '#e67e22' '#f1c40f' '#2ecc71' '#1abc9c' '#3498db' '#9b59b6' '#e84393')
offsets=(0 40 70 90 90 70 40 0)
for i in 0 1 2 3 4 5 6 7; do
  y=$((300 - ${offsets[$i]} * 2))
  $IM -size 512x512 xc:none \
    -fill white -draw "circle 256,$y 256,$((y - 130))" \
    -fill "${colours[$i]}" -draw "circle 256,$y 256,$((y - 115))" \
    -fill 'rgba(255,255,255,0.6)' -draw "ellipse 215,$((y - 45)) 30,20 0,360" \
    -depth 8 "PNG32:$TMP/frame$i.png"
  frames+=("$TMP/frame$i.png")
done
img2webp -loop 0 -lossy -q 60 -m 6 -d 120 "${frames[@]}" -o "$OUT/sticker-animated.webp" >/dev/null

# --- invoice.pdf: a hand-written one-page PDF 1.4 (A4, Helvetica), with a correct xref table.
python3 - "$OUT/invoice.pdf" <<'PY'
import sys
lines = [
    (72, 770, 20, "Invoice 1042"),
    (72, 740, 11, "Casa do Mar Guesthouse - 12 Rua das Flores, Lisbon"),
    (72, 712, 11, "Billed to: Sheena Nelson"),
    (72, 696, 11, "Date: 2025-11-24        Due: 2025-12-08"),
    (72, 660, 11, "3 nights, double room (Nov 21-24) ........ EUR 330.00"),
    (72, 644, 11, "Breakfast x 6 .............................. EUR  54.00"),
    (72, 628, 11, "City tax ................................... EUR   6.00"),
    (72, 600, 13, "Total due: EUR 390.00"),
    (72, 570, 9,  "Sample document for the MultiLine WhatsApp simulator."),
]
def esc(s):
    return s.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
content = "".join(f"BT /F1 {size} Tf {x} {y} Td ({esc(text)}) Tj ET\n" for x, y, size, text in lines).encode("ascii")
objects = [
    b"<< /Type /Catalog /Pages 2 0 R >>",
    b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
    b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
    b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
    b"<< /Length %d >>\nstream\n" % len(content) + content + b"endstream",
    b"<< /Title (Invoice 1042) /Producer (MultiLine sample-media.sh) >>",
]
out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
offsets = []
for n, body in enumerate(objects, start=1):
    offsets.append(len(out))
    out += b"%d 0 obj\n" % n + body + b"\nendobj\n"
xref = len(out)
out += b"xref\n0 %d\n" % (len(objects) + 1)
out += b"0000000000 65535 f \n"
for off in offsets:
    out += b"%010d 00000 n \n" % off
out += b"trailer\n<< /Size %d /Root 1 0 R /Info 6 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
open(sys.argv[1], "wb").write(out)
PY

# --- Checks: each file is what its name says, and small.
echo "== checks"
file "$OUT"/*
for f in voice.ogg song.mp3 clip.mp4; do
  ffprobe -hide_banner -loglevel error -show_entries \
    format=format_name,duration:stream=codec_name,profile,pix_fmt,width,height,sample_rate,channels \
    -of compact "$OUT/$f"
done
webpinfo "$OUT/sticker.webp" | grep -E "Canvas size|Alpha|Animation|Format|No error" || true
webpinfo -summary "$OUT/sticker-animated.webp" | grep -E "Canvas size|Loop count|Number of frames" || true
pdfinfo "$OUT/invoice.pdf" | grep -E "Title|Pages|Page size|PDF version"
qpdf --check "$OUT/invoice.pdf" | tail -1
"${IDENTIFY[@]}" "$OUT/photo.jpg" "$OUT/sticker.webp"
# moov before mdat (faststart)
python3 - "$OUT/clip.mp4" <<'PY'
import struct, sys
d = open(sys.argv[1], "rb").read(); i = 0; order = []
while i + 8 <= len(d):
    size, kind = struct.unpack(">I4s", d[i:i + 8]); order.append(kind.decode()); i += size or len(d)
print("mp4 top-level boxes:", " ".join(order))
PY
echo "== sizes (bytes) and base64 SHA-256 (the webhook's media sha256)"
total=0
for f in photo.jpg song.mp3 voice.ogg clip.mp4 invoice.pdf sticker.webp sticker-animated.webp; do
  size=$(stat -c %s "$OUT/$f"); total=$((total + size))
  printf '%-22s %7d  %s\n' "$f" "$size" "$(openssl dgst -sha256 -binary "$OUT/$f" | base64)"
done
echo "total $total"
