# shellcheck shell=bash
# Helpers shared by deploy/dev/*.sh. Sourced, never executed.
# Contract of every script here: machine-readable KEY=VALUE lines on stdout, everything else
# (progress, apt/debootstrap output, errors) on stderr.

HOSTINTEL_DEV_ROOT="${HOSTINTEL_DEV_ROOT:-/var/lib/hostintel-dev}"
# shellcheck disable=SC2034 # used by the scripts that source this file
DEV_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
TRIXIE="$HOSTINTEL_DEV_ROOT/trixie"
# sshd, useradd, debootstrap... live in sbin, which a non-login root shell may not have on PATH.
PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin"

log() { printf '[%s] %s\n' "${0##*/}" "$*" >&2; }
die() {
  log "ERROR: $*"
  exit 1
}

require_root() {
  [[ $EUID -eq 0 ]] || die "must run as root (it creates users, mounts and a chroot)"
  mkdir -p "$HOSTINTEL_DEV_ROOT"
  # Group/other-writable parents would make sshd's StrictModes reject the authorized_keys files.
  chmod 0755 "$HOSTINTEL_DEV_ROOT"
}

# take_lock NAME: serialise concurrent runs of one script (e.g. two CI jobs calling up.sh).
# The lock lives on fd 9, so every daemon we start must be launched with `9>&-`, or it would
# hold the lock forever.
take_lock() {
  exec 9>"$HOSTINTEL_DEV_ROOT/.$1.lock"
  flock 9
}

# apt_install PKG...: install from the host's (Debian 12) archive, quietly, no recommends.
apt_install() {
  local rc=0 tmp_policy=''
  if [[ ! -e /usr/sbin/policy-rc.d ]]; then
    # Stop dpkg from starting services: a system sshd on 0.0.0.0:22 would take the port that
    # our per-host sshds bind on 127.0.0.x.
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
    chmod 0755 /usr/sbin/policy-rc.d
    tmp_policy=1
  fi
  log "apt-get install $*"
  export DEBIAN_FRONTEND=noninteractive
  if ! apt-get install -y --no-install-recommends "$@" >&2; then
    # A fresh machine may have no package lists yet.
    apt-get update >&2 && apt-get install -y --no-install-recommends "$@" >&2 || rc=$?
  fi
  [[ -z $tmp_policy ]] || rm -f /usr/sbin/policy-rc.d
  return "$rc"
}

# ensure_cmds CMD:PKG...: install PKG for every CMD that is not on PATH (cheap when all exist).
ensure_cmds() {
  local pair missing=()
  for pair in "$@"; do
    command -v "${pair%%:*}" >/dev/null 2>&1 || missing+=("${pair#*:}")
  done
  ((${#missing[@]} == 0)) || apt_install "${missing[@]}"
}

# debian_mirror: the Debian archive URI this machine's apt already uses (the only archive that
# is reachable here), read from sources.list(.d) in both one-line and deb822 formats.
# HOSTINTEL_DEV_MIRROR overrides it.
debian_mirror() {
  if [[ -n ${HOSTINTEL_DEV_MIRROR:-} ]]; then
    printf '%s\n' "${HOSTINTEL_DEV_MIRROR%/}"
    return
  fi
  local files=() f uri=''
  shopt -s nullglob
  files=(/etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources)
  shopt -u nullglob
  for f in "${files[@]}"; do
    [[ -f $f ]] || continue
    # A Debian archive root ends in /debian (or is a snapshot of one); its main suite has no dash
    # (bookworm, not bookworm-security or cloud-sdk-bookworm).
    uri=$(awk '
      function archive(u) { return u ~ /\/debian\/?$/ || u ~ /\/debian\/[0-9]+T[0-9]+Z\/?$/ }
      function flush(  n, m, i, j, u, s) {
        if (types ~ /(^| )deb( |$)/ && tolower(enabled) !~ /no/) {
          n = split(uris, u, " "); m = split(suites, s, " ")
          for (i = 1; i <= n; i++) for (j = 1; j <= m; j++)
            if (archive(u[i]) && s[j] ~ /^[a-z]+$/) { print u[i]; found = 1; exit }
        }
        types = uris = suites = enabled = ""
      }
      /^[ \t]*#/ { next }
      /^[ \t]*$/ { flush(); next }
      $1 == "deb" {  # one-line format: deb [options] URI SUITE COMPONENTS...
        i = 2
        if ($2 ~ /^\[/) { while (i < NF && $i !~ /\]$/) i++; i++ }
        if (archive($i) && $(i + 1) ~ /^[a-z]+$/) { print $i; found = 1; exit }
        next
      }
      { key = tolower($1); $1 = "" }
      key == "types:" { types = $0 }
      key == "uris:" { uris = $0 }
      key == "suites:" { suites = $0 }
      key == "enabled:" { enabled = $0 }
      END { if (!found) flush() }
    ' "$f")
    if [[ -n $uri ]]; then
      printf '%s\n' "${uri%/}"
      return
    fi
  done
  log "no Debian archive found in apt sources; falling back to http://deb.debian.org/debian"
  echo http://deb.debian.org/debian
}

# in_trixie USER CMD...: run CMD inside the chroot as USER with a clean environment.
# setpriv resolves USER inside the chroot (the host has no `postgres` user) and, unlike
# su/runuser, involves no PAM.
in_trixie() {
  local user=$1
  shift
  chroot "$TRIXIE" /usr/bin/env -i PATH=/usr/lib/postgresql/17/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    LANG=C.UTF-8 HOME=/var/lib/postgresql \
    /usr/bin/setpriv --reuid="$user" --regid="$user" --init-groups -- "$@"
}

# pid_alive_with PIDFILE NEEDLE: true when PIDFILE names a live process whose command line
# contains NEEDLE (guards against a stale pid file whose pid was reused after a reboot).
pid_alive_with() {
  local pid=''
  [[ -s $1 ]] || return 1
  read -r pid <"$1" || true
  [[ $pid =~ ^[0-9]+$ && -r /proc/$pid/cmdline ]] || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- "$2"
}
