#!/usr/bin/env bash
# PostgreSQL 17 + TimescaleDB (Debian's Apache-2 edition) for tests, run inside the trixie chroot
# (Debian 12 packages neither; see README.md).
#
#   timescaledb.sh [start]  build the chroot if needed, initdb once, start if not running, wait
#                           until ready; stdout (one line):
#                           DATABASE_URL=postgres://postgres@127.0.0.1:55432/postgres
#   timescaledb.sh stop     stop it (pg_ctl -m fast)
#   timescaledb.sh restart  stop, then start (stdout as for start)
#   timescaledb.sh status   exit 0 when it accepts connections
#   timescaledb.sh check    start, then smoke-test CREATE EXTENSION timescaledb, create_hypertable,
#                           time_bucket and drop_chunks in a scratch database
#
# Paths inside the chroot: data /var/lib/hostintel/pg, log /var/log/postgresql/hostintel-dev.log.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

PORT=55432
DATA=/var/lib/hostintel/pg
LOGFILE=/var/log/postgresql/hostintel-dev.log
URL="postgres://postgres@127.0.0.1:$PORT/postgres"

# pg CMD...: run a PostgreSQL binary as `postgres` inside the chroot.
pg() { in_trixie postgres "$@" 9>&-; }

# The postmaster's command line is `postgres -D $DATA`; matching it defeats stale pid files.
postmaster_alive() { pid_alive_with "$TRIXIE$DATA/postmaster.pid" "-D $DATA"; }
ready() { pg pg_isready -q -h 127.0.0.1 -p "$PORT"; }

init_cluster() {
  [[ -f $TRIXIE$DATA/PG_VERSION ]] && return
  # initdb into a temporary directory and rename, so an interrupted initdb is redone, not reused.
  log "initdb $DATA (inside the chroot)"
  rm -rf "$TRIXIE$DATA.tmp"
  chroot "$TRIXIE" install -d -o postgres -g postgres -m 0700 "$DATA.tmp"
  pg initdb -D "$DATA.tmp" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 \
    --no-sync >&2
  echo "include 'hostintel-dev.conf'" >>"$TRIXIE$DATA.tmp/postgresql.conf"
  mv "$TRIXIE$DATA.tmp" "$TRIXIE$DATA"
}

# Rewritten on every start so that edits here apply after a restart.
write_config() {
  cat >"$TRIXIE$DATA/hostintel-dev.conf" <<EOF
# Written by deploy/dev/timescaledb.sh; edits are overwritten.
listen_addresses = '127.0.0.1'
port = $PORT
unix_socket_directories = '/run/postgresql'
shared_preload_libraries = 'timescaledb'
# Test suites open many pools in parallel.
max_connections = 300
# Speed over durability: this is a throwaway test database. A clean or killed server restarts
# fine; only an OS crash could lose or corrupt data.
fsync = off
synchronous_commit = off
full_page_writes = off
# Never try to phone home (there is no network besides loopback anyway).
timescaledb.telemetry_level = off
EOF
  cat >"$TRIXIE$DATA/pg_hba.conf" <<'EOF'
# Written by deploy/dev/timescaledb.sh; edits are overwritten.
# TYPE DATABASE USER      ADDRESS       METHOD
local  all      postgres                trust
host   all      postgres  127.0.0.1/32  trust
# Roles created by tests log in with a password.
host   all      all       127.0.0.1/32  scram-sha-256
EOF
  chroot "$TRIXIE" chown postgres:postgres "$DATA/hostintel-dev.conf" "$DATA/pg_hba.conf"
}

# PostgreSQL refuses to start while the pid in postmaster.pid exists at all. After kill -9 the dead
# postmaster lingers as a zombie until init reaps it (about a second here); after a reboot the pid
# may belong to an unrelated process. Neither is our postmaster, so the file is stale.
clear_stale_pidfile() {
  local pidfile=$TRIXIE$DATA/postmaster.pid pid='' stat i
  [[ -s $pidfile ]] || return 0
  read -r pid <"$pidfile" || true
  for ((i = 0; i < 100; i++)); do
    [[ $pid =~ ^[0-9]+$ && -e /proc/$pid ]] || return 0
    stat=$(<"/proc/$pid/stat") || return 0
    stat=${stat##*) }
    [[ ${stat%% *} == Z ]] || break
    sleep 0.1
  done
  log "removing stale postmaster.pid (pid $pid is not our postmaster)"
  rm -f "$pidfile"
}

start_server() {
  clear_stale_pidfile
  log "starting PostgreSQL 17 + TimescaleDB on 127.0.0.1:$PORT (log: $TRIXIE$LOGFILE)"
  # Retried because backends of a killed postmaster may hold its shared memory for a moment.
  for _ in 1 2 3; do
    pg pg_ctl -D "$DATA" -l "$LOGFILE" -w -t 120 start >&2 && return 0
    sleep 2
  done
  tail -n 30 "$TRIXIE$LOGFILE" >&2 || true
  die "PostgreSQL did not start"
}

start() {
  "$DEV_DIR/trixie-chroot.sh" ensure 9>&-
  if postmaster_alive; then
    log "PostgreSQL already running"
  else
    init_cluster
    write_config
    # Socket dir: /run in the chroot is a plain directory, but recreate it in case it was wiped.
    chroot "$TRIXIE" install -d -o postgres -g postgres -m 2775 /run/postgresql
    start_server
  fi
  # The server may still be in crash recovery (e.g. after kill -9 by a recovery test).
  local i
  for ((i = 0; i < 240; i++)); do
    if ready; then
      echo "DATABASE_URL=$URL"
      return
    fi
    sleep 0.5
  done
  die "PostgreSQL is running but not accepting connections on port $PORT"
}

stop() {
  if postmaster_alive; then
    log "stopping PostgreSQL (fast)"
    pg pg_ctl -D "$DATA" -m fast -w -t 120 stop >&2
  else
    log "PostgreSQL not running"
  fi
}

check() {
  start >/dev/null
  local db=hostintel_devcheck
  psql_() { pg psql -X -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PORT" -U postgres "$@"; }
  psql_ -q -d postgres -c 'SET client_min_messages = warning' \
    -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db"
  psql_ -q -At -d "$db" >&2 <<'SQL'
SET client_min_messages = error;
CREATE EXTENSION timescaledb;
SELECT 'extversion ' || extversion FROM pg_extension WHERE extname = 'timescaledb';
SELECT 'license ' || current_setting('timescaledb.license');
CREATE TABLE m (time timestamptz NOT NULL, v double precision NOT NULL);
SELECT 'hypertable ' || create_hypertable('m', by_range('time', interval '1 day'));
INSERT INTO m SELECT t, 1 FROM generate_series(now() - interval '5 days', now(), '1 hour') t;
SELECT 'time_bucket days ' || count(DISTINCT time_bucket('1 day', time)) FROM m;
SELECT 'drop_chunks dropped ' || count(*) FROM drop_chunks('m', older_than => interval '2 days');
SQL
  psql_ -q -d postgres -c "DROP DATABASE $db"
  log "timescaledb smoke test passed"
}

main() {
  require_root
  take_lock timescaledb
  case "${1:-start}" in
    start) start ;;
    stop) stop ;;
    restart)
      stop
      start
      ;;
    status) postmaster_alive && ready ;;
    check) check ;;
    *) die "usage: $0 [start|stop|restart|status|check]" ;;
  esac
}

main "$@"
