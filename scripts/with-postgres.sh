#!/usr/bin/env bash
# Runs a command with a throwaway PostgreSQL cluster: made in a temporary folder, listening on
# 127.0.0.1 on a free port (and a socket in that folder), trusted user `app`, stopped and
# removed when the command ends. The command finds it in MULTILINE_TEST_POSTGRES
# (postgres://app@127.0.0.1:PORT/postgres); the connector's tests make a database per test in
# it. PostgreSQL refuses to run as root: as root, the server runs as the `postgres` user.
# The server skips what makes a commit durable (fsync, synchronous_commit and
# full_page_writes off): cheap for the tests, which make a database each. With
# MULTILINE_PG_DURABLE=1 (`make bench`, where skipping them would flatter PostgreSQL beside
# SQLite), those three are left at PostgreSQL's defaults: durable.
set -euo pipefail
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
if [ -z "$bin" ] || [ ! -x "$bin/initdb" ]; then
  echo "with-postgres: PostgreSQL's server is not installed (make setup installs it)" >&2
  exit 1
fi
dir=$(mktemp -d /tmp/multiline-pg.XXXXXX)
as_owner=()
if [ "$(id -u)" = 0 ]; then
  chown postgres: "$dir"
  as_owner=(runuser -u postgres --)
fi
stop() {
  "${as_owner[@]}" "$bin/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap stop EXIT
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"${as_owner[@]}" "$bin/initdb" -D "$dir/data" -A trust -U app --no-sync >"$dir/initdb.log" 2>&1 \
  || { cat "$dir/initdb.log" >&2; exit 1; }
# TLS for the clients that ask for it (`sslmode=require`): a throwaway certificate authority
# and a server certificate for 127.0.0.1 it signed; the authority's certificate is exported
# as MULTILINE_TEST_POSTGRES_CA. Clients that do not ask connect in the clear, as before.
(
  cd "$dir"
  ec=(-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes)
  openssl req -x509 "${ec[@]}" -keyout ca.key -out ca.pem -days 2 -subj "/CN=MultiLine test CA" 2>/dev/null
  openssl req "${ec[@]}" -keyout server.key -out server.csr -subj "/CN=127.0.0.1" 2>/dev/null
  printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n' >server.ext
  openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 \
    -extfile server.ext -out server.pem 2>/dev/null
  chmod 600 server.key
  if [ "$(id -u)" = 0 ]; then chown postgres: server.key server.pem; fi
) || { echo "with-postgres: making the test certificates failed (is openssl installed?)" >&2; exit 1; }
tls="-c ssl=on -c ssl_cert_file=$dir/server.pem -c ssl_key_file=$dir/server.key"
# Durability is not what the tests measure: fsync off makes a database per test cheap.
durability="-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
if [ "${MULTILINE_PG_DURABLE:-}" = 1 ]; then
  durability=""
fi
# More server settings, for looking into it (e.g. "-c shared_preload_libraries=pg_stat_statements").
extra="${MULTILINE_PG_OPTIONS:-}"
"${as_owner[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -o \
  "-p $port -k $dir -c listen_addresses=127.0.0.1 $durability $tls -c max_connections=300 $extra" \
  start >/dev/null || { cat "$dir/server.log" >&2; exit 1; }
export MULTILINE_TEST_POSTGRES="postgres://app@127.0.0.1:$port/postgres"
export MULTILINE_TEST_POSTGRES_CA="$dir/ca.pem"
"$@"
