#!/usr/bin/env bash
# `make test-package` (part of `make test`): packages the debug build `make test` made,
# installs the packages on this machine, checks what they put where (files, the service's
# user and permissions, the unit by `systemd-analyze verify`, the desktop entry), runs the
# installed connector and app end to end (tests/e2e/tests/all/e2e/installed.rs), removes
# the packages (`dpkg -r` keeps data, settings and user; `dpkg --purge` removes them), and
# checks the machine is as it was. Needs root (dpkg), or sudo without a password.
set -euo pipefail
cd "$(dirname "$0")/.."

TARGET_DIR=${CARGO_TARGET_DIR:-$PWD/target}
PACKAGES=$TARGET_DIR/debug/packages
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo -n"; fi
fail() { echo "test-package: $*" >&2; exit 1; }
check() { # check <description> <command...>
  local what=$1; shift
  "$@" >/dev/null 2>&1 || fail "$what"
  echo "  ok: $what"
}
installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "ok installed"; }
mode() { stat -c '%a %U:%G' "$1"; }

# The machine must not have them already: the test leaves it as it found it.
for package in multiline multiline-connector; do
  if installed "$package"; then fail "$package is installed here already: remove it first"; fi
done
getent passwd multiline >/dev/null && fail "a user 'multiline' exists here already"
[ -e /etc/multiline ] && fail "/etc/multiline exists here already"
[ -e /var/lib/multiline ] && fail "/var/lib/multiline exists here already"
# What "as it was" is compared on: users, groups, and the installed packages.
machine() { getent passwd; getent group; dpkg-query -W -f='${Package} ${Version} ${Status}\n'; }
before=$(mktemp)
trap 'rm -f "$before"' EXIT
machine | sort >"$before"

bash scripts/package.sh debug
APP_DEB=$(ls "$PACKAGES"/multiline_*.deb)
APP_RPM=$(ls "$PACKAGES"/multiline-*.rpm)
CONNECTOR_DEB=$(ls "$PACKAGES"/multiline-connector_*.deb)

purge() { $SUDO dpkg --purge multiline multiline-connector >/dev/null 2>&1 || true; }
trap 'purge; rm -f "$before"' EXIT

echo "test-package: the RPM"
check "the rpm names the app's binary, desktop entry and icons" \
  bash -c "rpm -qpl '$APP_RPM' | grep -qx /usr/bin/multiline &&
           rpm -qpl '$APP_RPM' | grep -qx /usr/share/applications/multiline.desktop &&
           rpm -qpl '$APP_RPM' | grep -qx /usr/share/icons/hicolor/256x256/apps/multiline.png"
check "the rpm requires WebKitGTK" bash -c "rpm -qpR '$APP_RPM' | grep -q 'libwebkit2gtk-4.1.so'"

echo "test-package: installing"
$SUDO dpkg -i "$CONNECTOR_DEB" "$APP_DEB" >/dev/null
check "both packages are installed" bash -c "dpkg-query -W multiline multiline-connector"
check "the app is /usr/bin/multiline" test -x /usr/bin/multiline
check "the desktop entry is valid" desktop-file-validate /usr/share/applications/multiline.desktop
check "the desktop entry claims no MIME type or URL scheme (tel: included)" \
  bash -c "! grep -q '^MimeType' /usr/share/applications/multiline.desktop"
for size in 16 32 48 64 128 256 512; do
  check "an icon of ${size}x${size}" \
    bash -c "identify -format '%wx%h' /usr/share/icons/hicolor/${size}x${size}/apps/multiline.png | grep -qx ${size}x${size}"
done
check "the connector and its admin command are on the PATH" \
  bash -c "command -v multiline-connector && command -v multiline-admin"
check "the service's user is a system user with no login" \
  bash -c "uid=\$(id -u multiline) && [ \"\$uid\" -lt 1000 ] && [ \"\$(getent passwd multiline | cut -d: -f7)\" = /usr/sbin/nologin ]"
check "the state folder is 0700, the service user's" test "$(mode /var/lib/multiline)" = "700 multiline:multiline"
check "the settings are 0640, readable by the service's group only" \
  test "$(mode /etc/multiline/connector.toml)" = "640 root:multiline"
check "the settings are a conffile (kept on upgrade and on remove)" \
  bash -c "dpkg-query -W -f='\${Conffiles}' multiline-connector | grep -q /etc/multiline/connector.toml"
check "the unit passes systemd-analyze verify" \
  bash -c "out=\$(systemd-analyze verify /lib/systemd/system/multiline-connector.service 2>&1) && [ -z \"\$out\" ] || { echo \"\$out\" >&2; false; }"
check "the unit's exposure (systemd-analyze security) is at most 2.0 of 10" \
  systemd-analyze security --offline=true --threshold=20 /lib/systemd/system/multiline-connector.service
for option in "ProtectSystem=strict" "NoNewPrivileges=yes" "StateDirectory=multiline" \
  "StateDirectoryMode=0700" "User=multiline"; do
  check "the unit sets $option" grep -qx "$option" /lib/systemd/system/multiline-connector.service
done
VERSION=$(python3 -c 'import tomllib; print(tomllib.load(open("Cargo.toml", "rb"))["workspace"]["package"]["version"])')
check "both packages have the workspace's version, $VERSION" \
  test "$(dpkg-query -W -f='${Version} ' multiline multiline-connector)" = "$VERSION $VERSION "
check "the installed connector answers its version" \
  bash -c "multiline-connector --version | grep -q \"$(dpkg-query -W -f='${Version}' multiline-connector)\""

echo "test-package: the installed connector and app, end to end"
export MULTILINE_APP_BIN=/usr/bin/multiline
export MULTILINE_SIM_BIN=$TARGET_DIR/debug/wa-sim
xvfb-run -a -s "-screen 0 1280x800x24" bash scripts/with-keyring.sh \
  cargo test --workspace --locked --features multiline-app/custom-protocol --tests \
  e2e::installed -- --ignored --test-threads=1 --nocapture
check "the connector's store was made by the service's user, 0600" \
  test "$(mode /var/lib/multiline/connector.sqlite3)" = "600 multiline:multiline"
check "its secret key too" test "$(mode /var/lib/multiline/secret.key)" = "600 multiline:multiline"

echo "test-package: removing"
$SUDO dpkg -r multiline multiline-connector >/dev/null
check "the binaries are gone" bash -c "[ ! -e /usr/bin/multiline ] && [ ! -e /usr/bin/multiline-connector ] && [ ! -e /usr/bin/multiline-admin ]"
check "the desktop entry and the unit are gone" \
  bash -c "[ ! -e /usr/share/applications/multiline.desktop ] && [ ! -e /lib/systemd/system/multiline-connector.service ]"
check "dpkg -r keeps the data, the settings and the user" \
  bash -c "[ -f /var/lib/multiline/connector.sqlite3 ] && [ -f /etc/multiline/connector.toml ] && getent passwd multiline"
$SUDO dpkg --purge multiline multiline-connector >/dev/null
check "dpkg --purge removes the data, the settings and the user" \
  bash -c "[ ! -e /var/lib/multiline ] && [ ! -e /etc/multiline ] && ! getent passwd multiline && ! getent group multiline"
check "no file of either package is left" \
  bash -c "! ls /usr/share/icons/hicolor/*/apps/multiline.png /usr/share/doc/multiline-connector 2>/dev/null | grep -q ."
after=$(mktemp)
machine | sort >"$after"
check "the machine's users, groups and packages are as they were" cmp -s "$before" "$after"
rm -f "$after"
echo "test-package: all passed"
