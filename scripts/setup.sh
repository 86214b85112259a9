#!/usr/bin/env bash
# Idempotent setup: installs the Debian packages needed to build the Tauri app and run the
# end-to-end tests, tauri-driver, and the UI's npm packages. Safe to run again: every step
# checks before it installs, so a second run takes seconds. Never reads stdin.
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo -n"; fi
# `make test` lints the workspace as it compiles it (clippy-driver as the rustc wrapper);
# the tools installed here are not ours to lint.
unset RUSTC_WORKSPACE_WRAPPER CLIPPY_ARGS

# Build: what a Tauri 2 app on WebKitGTK 4.1 links against.
BUILD_PKGS="build-essential pkg-config libssl-dev libwebkit2gtk-4.1-dev libgtk-3-dev \
libsoup-3.0-dev libjavascriptcoregtk-4.1-dev librsvg2-dev libayatana-appindicator3-dev libxdo-dev \
cmake nasm mold libde265-dev libx265-dev libdav1d-dev libaom-dev libnuma-dev"
# cmake and nasm build libjpeg-turbo (the photo pipeline's JPEG codec) from source; cmake also
# builds libheif 1.23 (HEIC and AVIF) from the source libheif-sys carries, with Debian's codecs:
# libde265 (HEVC) and dav1d (AV1) to decode, x265 and aom to encode the tests' pictures (x265
# links libnuma); mold
# links (.cargo/config.toml): the test binaries link several times faster than with ld.
# Tests: a virtual display, the WebDriver for WebKitGTK, a private D-Bus with a keyring,
# ImageMagick for screenshots of the X screen; libvips' tools for `make bench`, which puts the
# photo pipeline beside vipsthumbnail and ImageMagick; libwebp's encoders (cwebp, img2webp)
# write the photo tests' lossy and animated WebP, libavif's avifenc AVIFs of each YCbCr matrix and
# range. PostgreSQL's server: the connector's tests
# start a throwaway cluster of their own (scripts/with-postgres.sh), never the system's.
TEST_PKGS="xvfb xauth webkit2gtk-driver dbus dbus-x11 gnome-keyring libsecret-tools imagemagick \
libvips-tools xdotool fonts-noto-color-emoji systemd desktop-file-utils rpm webp libavif-bin postgresql openssl"
# Playing what guests send: WebKitGTK plays media through GStreamer. Ogg/Opus voice notes and
# MP3 (base, good), MP4 video with H.264 and AAC (libav's decoders). In the end-to-end tests,
# xdotool answers the save dialog and the emoji font draws reactions in the screenshots.
# The package test (scripts/test-package.sh) checks the service unit with systemd-analyze,
# the desktop entry with desktop-file-validate, and reads the RPM with rpm.
MEDIA_PKGS="gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-libav"

missing=()
for p in $BUILD_PKGS $TEST_PKGS $MEDIA_PKGS; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -q
  $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}" </dev/null
fi

# tauri-driver: the WebDriver proxy that launches the app for WebKitWebDriver.
TAURI_DRIVER_VERSION=2.1.0
if ! command -v tauri-driver >/dev/null 2>&1 && [ ! -x "$HOME/.cargo/bin/tauri-driver" ]; then
  echo "setup: installing tauri-driver $TAURI_DRIVER_VERSION"
  cargo install tauri-driver --version "$TAURI_DRIVER_VERSION" --locked
fi

# cargo-fuzz: drives the webhook parser's fuzz target (`make fuzz`, and a short fixed run in
# `make test`).
CARGO_FUZZ_VERSION=0.13.2
if ! command -v cargo-fuzz >/dev/null 2>&1 && [ ! -x "$HOME/.cargo/bin/cargo-fuzz" ]; then
  echo "setup: installing cargo-fuzz $CARGO_FUZZ_VERSION"
  cargo install cargo-fuzz --version "$CARGO_FUZZ_VERSION" --locked
fi

# UI packages, exactly as locked.
if [ -f ui/package-lock.json ]; then
  if [ ! -d ui/node_modules ] || [ ui/package-lock.json -nt ui/node_modules/.package-lock.json ]; then
    echo "setup: installing npm packages"
    (cd ui && npm ci --no-audit --no-fund)
  fi
fi
echo "setup: done"
