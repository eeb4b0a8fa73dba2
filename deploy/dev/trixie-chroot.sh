#!/usr/bin/env bash
# Debian 13 (trixie) chroot at $HOSTINTEL_DEV_ROOT/trixie, shared by timescaledb.sh (PostgreSQL 17
# + TimescaleDB, which Debian 12 does not package) and ssh-hosts.sh (the `deb13` test host).
#
#   trixie-chroot.sh [ensure]   build it once, then make sure /proc, /sys, /dev/pts, /dev/shm are
#                               mounted in it (idempotent, fast when already done)
#   trixie-chroot.sh umount     unmount those again (stop the services first: see down.sh)
#
# Prints nothing on stdout.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# No iproute2 on purpose: the deb13 host lacks `ip` and `ss`, a realistic "unsupported" case.
PACKAGES=postgresql-17,postgresql-17-timescaledb,openssh-server
MARKER=.hostintel-dev-chroot
RECIPE="trixie --variant=minbase --include=$PACKAGES"

# unmount_under DIR: unmount everything mounted at or below DIR, deepest first. Must run before
# any rm -rf of a chroot, or the rm would walk into the bind-mounted /dev/pts and /dev/shm.
unmount_under() {
  local mnt
  awk -v d="$1" '$5 == d || index($5, d "/") == 1 { print $5 }' /proc/self/mountinfo |
    sort -r | while read -r mnt; do
    umount "$mnt" 2>/dev/null || umount -l "$mnt"
  done
}

build() {
  local tmp="$TRIXIE.tmp" mirror
  ensure_cmds debootstrap:debootstrap
  mirror=$(debian_mirror)
  # Anything here is a leftover of an interrupted build: start over.
  for dir in "$tmp" "$TRIXIE"; do
    if [[ -e $dir ]]; then
      log "removing incomplete chroot $dir"
      unmount_under "$dir"
      rm -rf --one-file-system "$dir"
    fi
  done
  log "debootstrap trixie into $tmp from $mirror (about a minute)"
  # Debootstrap's fake start-stop-daemon keeps the packages' postinsts from starting sshd or
  # PostgreSQL inside the half-built tree.
  debootstrap --variant=minbase --include="$PACKAGES" trixie "$tmp" "$mirror" >&2
  # postgresql-common created a default cluster 17/main on port 5432; timescaledb.sh initdbs its
  # own, so drop it to avoid confusion.
  if [[ -d $tmp/etc/postgresql/17/main ]]; then
    chroot "$tmp" pg_dropcluster 17 main >&2
  fi
  unmount_under "$tmp"
  printf '%s\nbuilt %s from %s\n' "$RECIPE" "$(date -u +%FT%TZ)" "$mirror" >"$tmp/$MARKER"
  # The rename is atomic, so $TRIXIE only ever exists complete (with its marker).
  mv "$tmp" "$TRIXIE"
  log "chroot ready at $TRIXIE"
}

# ensure_mount TARGET MOUNT-ARGS...: mount unless something is already mounted there.
ensure_mount() {
  local target=$1
  shift
  mountpoint -q "$target" || mount "$@" "$target"
}

ensure() {
  if [[ ! -f $TRIXIE/$MARKER ]]; then
    build
  elif [[ $(head -n1 "$TRIXIE/$MARKER") != "$RECIPE" ]]; then
    log "WARNING: $TRIXIE was built from another recipe; run down.sh and delete it to rebuild"
  fi
  ensure_mount "$TRIXIE/proc" -t proc proc # ps, sshd and PostgreSQL need it
  ensure_mount "$TRIXIE/sys" -t sysfs sysfs # collectors read /sys/class/...
  ensure_mount "$TRIXIE/dev/pts" --bind /dev/pts # interactive ssh sessions (ptys)
  ensure_mount "$TRIXIE/dev/shm" --bind /dev/shm # PostgreSQL's dynamic shared memory
}

main() {
  require_root
  take_lock trixie
  case "${1:-ensure}" in
    ensure) ensure ;;
    umount) unmount_under "$TRIXIE" ;;
    *) die "usage: $0 [ensure|umount]" ;;
  esac
}

main "$@"
