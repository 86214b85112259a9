#!/usr/bin/env bash
# The packages, from binaries already built (`make package`: release; `make test-package`:
# the debug build `make test` made): the app's .deb and .rpm by Tauri's bundler, and the
# connector's .deb by dpkg-deb, with its service unit, settings and admin command.
# Writes them to $TARGET_DIR/<profile>/packages/ and prints their paths and sizes.
# docs/packaging.md says what goes where.
set -euo pipefail
cd "$(dirname "$0")/.."

PROFILE=${1:-release}
TARGET_DIR=${CARGO_TARGET_DIR:-$PWD/target}
BIN=$TARGET_DIR/$PROFILE
OUT=$BIN/packages
for binary in multiline multiline-connector; do
  [ -x "$BIN/$binary" ] || { echo "package: $BIN/$binary is missing: build it first" >&2; exit 1; }
done
rm -rf "$OUT" "$BIN/bundle"
mkdir -p "$OUT"

# The app: Tauri's bundler reads src-tauri/tauri.conf.json (+ tauri.linux.conf.json).
bundle_flags=(--bundles deb,rpm --ci)
if [ "$PROFILE" = debug ]; then bundle_flags+=(--debug); fi
(cd src-tauri && ../ui/node_modules/.bin/tauri bundle "${bundle_flags[@]}") 2>&1 |
  grep -v '^ *Info `tauri' || true
cp "$BIN"/bundle/deb/*.deb "$BIN"/bundle/rpm/*.rpm "$OUT/"

# The connector.
VERSION=$(python3 -c 'import tomllib; print(tomllib.load(open("Cargo.toml", "rb"))["workspace"]["package"]["version"])')
ARCH=$(dpkg --print-architecture)
STAGE=$(mktemp -d)
trap 'rm -rf "$STAGE"' EXIT
ROOT=$STAGE/root
install -D -m 0755 "$BIN/multiline-connector" "$ROOT/usr/bin/multiline-connector"
# A debug build's line tables are most of its size and no use to an installed service.
if [ "$PROFILE" = debug ]; then strip --strip-debug "$ROOT/usr/bin/multiline-connector"; fi
install -D -m 0755 packaging/connector/multiline-admin "$ROOT/usr/bin/multiline-admin"
install -D -m 0644 packaging/connector/multiline-connector.service \
  "$ROOT/lib/systemd/system/multiline-connector.service"
install -D -m 0644 packaging/connector/connector.toml "$ROOT/etc/multiline/connector.toml"
install -D -m 0644 docs/operations.md "$ROOT/usr/share/doc/multiline-connector/README.md"
install -D -m 0644 packaging/connector/copyright "$ROOT/usr/share/doc/multiline-connector/copyright"
install -d -m 0755 "$ROOT/DEBIAN"
install -m 0755 packaging/connector/postinst packaging/connector/prerm packaging/connector/postrm \
  "$ROOT/DEBIAN/"
echo /etc/multiline/connector.toml >"$ROOT/DEBIAN/conffiles"

# The shared libraries the binary links, as Debian package dependencies.
mkdir -p "$STAGE/debian"
printf 'Source: multiline\n\nPackage: multiline-connector\nArchitecture: any\n' >"$STAGE/debian/control"
LIBS=$(cd "$STAGE" && dpkg-shlibdeps -O root/usr/bin/multiline-connector 2>/dev/null |
  sed -n 's/^shlibs:Depends=//p')

cat >"$ROOT/DEBIAN/control" <<CONTROL
Package: multiline-connector
Version: $VERSION
Architecture: $ARCH
Maintainer: MultiLine <support@multiline.example>
Installed-Size: $(du -sk --exclude=DEBIAN "$ROOT" | cut -f1)
Depends: $LIBS, passwd, util-linux
Section: net
Priority: optional
Homepage: https://multiline.example
Description: MultiLine WhatsApp connector
 The organization's server of MultiLine WhatsApp Messaging: the API the apps sign in to,
 the WhatsApp Cloud API's and the SMS carrier's webhooks, and the queue of messages out.
 Runs as the multiline-connector systemd service (user multiline, data in
 /var/lib/multiline, settings in /etc/multiline/connector.toml); multiline-admin runs
 its admin commands.
CONTROL
(cd "$ROOT" && find . -type f ! -path './DEBIAN/*' -printf '%P\0' | sort -z | xargs -0 md5sum) \
  >"$ROOT/DEBIAN/md5sums"
dpkg-deb --root-owner-group -Zxz --build "$ROOT" "$OUT/multiline-connector_${VERSION}_${ARCH}.deb" >/dev/null

echo "packages ($PROFILE):"
for package in "$OUT"/*; do
  printf '  %s  %s\n' "$(du -h --apparent-size "$package" | cut -f1)" "$package"
done
