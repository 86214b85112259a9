#!/usr/bin/env bash
# What `make bench` needs beyond scripts/setup.sh: avifenc (libavif's tools, to write the
# AVIF of the photo formats' corpus) and pyvips in a virtual environment under target/ (the
# photo pipeline is compared with libvips in process). Idempotent; never reads stdin.
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo -n"; fi
if ! dpkg-query -W -f='${Status}' libavif-bin 2>/dev/null | grep -q "install ok installed"; then
  echo "bench-setup: installing libavif-bin"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get install -y -q --no-install-recommends libavif-bin </dev/null
fi

VENV="${CARGO_TARGET_DIR:-target}/bench-venv"
if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c "import pyvips" 2>/dev/null; then
  echo "bench-setup: pyvips in $VENV"
  python3 -m venv "$VENV"
  # pyvips' ABI mode: it loads Debian's libvips42 (installed with libvips-tools).
  "$VENV/bin/pip" install -q "pyvips==3.0.0" </dev/null
fi
echo "bench-setup: done"
