#!/usr/bin/env bash
# Stops what up.sh started (the three sshds, then PostgreSQL) and unmounts /proc, /sys, /dev/pts
# and /dev/shm from the chroot: the state after a reboot. Keeps all data, keys and the chroot;
# `up.sh` brings everything back. To start from scratch: down.sh, then
# `rm -rf --one-file-system /var/lib/hostintel-dev`.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

require_root
"$DEV_DIR/ssh-hosts.sh" stop
[[ ! -d $TRIXIE ]] || "$DEV_DIR/timescaledb.sh" stop
"$DEV_DIR/trixie-chroot.sh" umount
