#!/usr/bin/env bash
# Brings up the whole dev/CI test environment: TimescaleDB (timescaledb.sh), then the SSH test
# hosts (ssh-hosts.sh). Idempotent, and quick when everything already runs; after a reboot (chroot
# built, nothing running or mounted) it remounts and restarts what is missing.
#
# stdout, and $HOSTINTEL_DEV_ROOT/env (source it with `set -a; . /var/lib/hostintel-dev/env`):
#   DATABASE_URL=postgres://postgres@127.0.0.1:55432/postgres
#   HOSTINTEL_TEST_HOSTS=/var/lib/hostintel-dev/hosts.json
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

require_root
# Reference tools the test suite compares against: rpm's own rpm.vercmp (dpkg is always here),
# and the headless browser the console's end-to-end test drives through playwright-core.
ensure_cmds rpm:rpm chromium:chromium
db=$("$DEV_DIR/timescaledb.sh" start)
hosts=$("$DEV_DIR/ssh-hosts.sh" start)
printf '%s\n%s\n' "$db" "$hosts" >"$HOSTINTEL_DEV_ROOT/env.tmp"
mv "$HOSTINTEL_DEV_ROOT/env.tmp" "$HOSTINTEL_DEV_ROOT/env"
cat "$HOSTINTEL_DEV_ROOT/env"
