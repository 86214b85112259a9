#!/usr/bin/env bash
# Runs a command inside a private D-Bus session with gnome-keyring's Secret Service unlocked,
# so keychain tests talk to a real Secret Service without touching the user's own keyring.
set -euo pipefail
if [ "${1:-}" != "--inside" ]; then
  exec dbus-run-session -- "$0" --inside "$@"
fi
shift
# A throwaway keyring home: the login keyring is created fresh, unlocked with a test password.
export XDG_DATA_HOME
XDG_DATA_HOME=$(mktemp -d)
trap 'rm -rf "$XDG_DATA_HOME"' EXIT
eval "$(printf 'test' | gnome-keyring-daemon --unlock --components=secrets)" >/dev/null
export GNOME_KEYRING_CONTROL
"$@"
