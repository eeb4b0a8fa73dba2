#!/usr/bin/env bash
# Real OpenSSH test hosts on loopback, one sshd per host, each with its own config, host key and
# pid file, listening on port 22 of its own 127.0.0.x address (Linux routes all of 127.0.0.0/8
# to lo, so no interface setup is needed):
#
#   deb12      127.0.0.2  hiprobe  this machine's Debian 12 sshd, no sudo
#   deb13      127.0.0.3  hiprobe  sshd *inside* the Debian 13 chroot (its own OS, dpkg database,
#                                  no ip/ss), see trixie-chroot.sh
#   deb12sudo  127.0.0.4  hisudo   Debian 12 again, with passwordless `sudo -n` for a fixed list of
#                                  read-only commands (SUDO_COMMANDS below)
#
#   ssh-hosts.sh [start]  create/start what is missing; writes $ROOT/ssh/known_hosts and
#                         $ROOT/hosts.json; stdout: HOSTINTEL_TEST_HOSTS=$ROOT/hosts.json
#   ssh-hosts.sh stop     stop the sshds (by their pid files)
#
# All hosts accept one key pair: $ROOT/ssh/id_ed25519. $ROOT is $HOSTINTEL_DEV_ROOT
# (default /var/lib/hostintel-dev).
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

SSH_DIR=$HOSTINTEL_DEV_ROOT/ssh
KEY=$SSH_DIR/id_ed25519
# deb13's sshd cannot see outside the chroot, so its files live inside it, here, and
# $SSH_DIR/deb13 is a symlink to them.
CHROOT_HOST_DIR=/etc/hostintel-dev/sshd
SUDOERS=/etc/sudoers.d/hostintel-dev
# What `hisudo` may run as root via `sudo -n`. hostintel runs each allowlisted root section as
# `sudo -n sh -c '<fixed command text>'` (the text is in `hostintel collectors`), so the
# sudoers entry is the shell; production sudoers can pin the exact command strings instead.
SUDO_COMMANDS=(
  /bin/sh
  /usr/bin/sh
)

# name address user sudo fs-root
HOSTS=(
  "deb12 127.0.0.2 hiprobe false /"
  "deb13 127.0.0.3 hiprobe false $TRIXIE"
  "deb12sudo 127.0.0.4 hisudo true /"
)

# host_dir NAME: the host's directory as seen from this machine; inner_dir NAME: as its sshd sees it.
host_dir() {
  if [[ $1 == deb13 ]]; then echo "$TRIXIE$CHROOT_HOST_DIR"; else echo "$SSH_DIR/$1"; fi
}
inner_dir() {
  if [[ $1 == deb13 ]]; then echo "$CHROOT_HOST_DIR"; else echo "$SSH_DIR/$1"; fi
}

# in_root FSROOT CMD...: run CMD on the host system or inside the chroot.
in_root() {
  local root=$1
  shift
  if [[ $root == / ]]; then "$@"; else chroot "$root" "$@"; fi
}

# ensure_user FSROOT USER: an unprivileged login user whose key is the only way in.
ensure_user() {
  local root=$1 user=$2
  if ! grep -q "^$user:" "${root%/}/etc/passwd"; then
    log "creating user $user in $root"
    in_root "$root" useradd -m -s /bin/sh "$user"
  fi
  # useradd leaves the password field "!" (locked). With UsePAM no, sshd itself reads
  # /etc/shadow and refuses locked accounts even for key logins; "*" means "no password can
  # match" without meaning "locked".
  if [[ $(awk -F: -v u="$user" '$1 == u { print $2 }' "${root%/}/etc/shadow") != '*' ]]; then
    in_root "$root" usermod -p '*' "$user"
  fi
}

ensure_prereqs() {
  ensure_cmds sshd:openssh-server ssh-keygen:openssh-client ssh:openssh-client jq:jq \
    sudo:sudo visudo:sudo dmidecode:dmidecode nft:nftables flock:util-linux
  "$DEV_DIR/trixie-chroot.sh" ensure 9>&-
  mkdir -p "$SSH_DIR" /run/sshd "$TRIXIE/run/sshd" # /run/sshd: sshd's privilege-separation dir
  chmod 0755 "$SSH_DIR" /run/sshd "$TRIXIE/run/sshd"
  if [[ ! -f $KEY ]]; then
    log "generating client key $KEY"
    rm -f "$KEY.pub"
    ssh-keygen -q -t ed25519 -N '' -C hostintel-dev -f "$KEY"
  fi
  chmod 0600 "$KEY"
  if [[ ! -L $SSH_DIR/deb13 ]]; then
    rm -rf "$SSH_DIR/deb13"
    ln -s "../trixie$CHROOT_HOST_DIR" "$SSH_DIR/deb13" # relative: survives moving $ROOT
  fi
}

ensure_sudoers() {
  local tmp cmds
  tmp=$(mktemp)
  cmds=$(printf '%s, ' "${SUDO_COMMANDS[@]}")
  cat >"$tmp" <<EOF
# Written by deploy/dev/ssh-hosts.sh for the deb12sudo test host (user hisudo).
# Passwordless, non-interactive (sudo -n) root for these commands only; anything else is refused.
hisudo ALL=(root) NOPASSWD: ${cmds%, }
EOF
  if ! cmp -s "$tmp" "$SUDOERS"; then
    visudo -c -q -f "$tmp" >&2 || die "generated sudoers drop-in is invalid: $tmp"
    install -m 0440 -o root -g root "$tmp" "$SUDOERS"
    log "wrote $SUDOERS"
  fi
  rm -f "$tmp"
}

# write_config NAME ADDRESS USER: prints "changed" when the config file was (re)written.
write_config() {
  local name=$1 address=$2 user=$3 dir inner tmp
  dir=$(host_dir "$name")
  inner=$(inner_dir "$name")
  tmp=$(mktemp)
  cat >"$tmp" <<EOF
# Written by deploy/dev/ssh-hosts.sh; edits are overwritten.
ListenAddress $address:22
HostKey $inner/ssh_host_ed25519_key
PidFile $inner/sshd.pid
AuthorizedKeysFile $inner/authorized_keys
AllowUsers $user
PermitRootLogin no
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
# No PAM: nothing to configure in /etc/pam.d, but see "usermod -p '*'" in ensure_user.
UsePAM no
# Test suites open many connections at once; the default 10:30:100 starts refusing
# unauthenticated connections at random once 10 are in flight.
MaxStartups 100:30:200
# Collectors may run several commands in parallel over one connection (default: 10 channels).
MaxSessions 50
LogLevel ERROR
X11Forwarding no
PrintMotd no
Subsystem sftp internal-sftp
EOF
  if [[ $name == deb13 ]]; then
    cat >>"$tmp" <<'EOF'
# OpenSSH >= 9.8 shuts out a source address for a while after failed logins; tests fail logins
# on purpose, and every test connects from 127.0.0.1.
PerSourcePenalties no
EOF
  fi
  if cmp -s "$tmp" "$dir/sshd_config"; then
    rm -f "$tmp"
  else
    mv "$tmp" "$dir/sshd_config"
    chmod 0644 "$dir/sshd_config"
    echo changed
  fi
}

# sshd_cmd NAME ARGS...: run that host's /usr/sbin/sshd (the chroot's for deb13) with its config.
# The absolute path matters: sshd re-executes itself by it.
sshd_cmd() {
  local name=$1
  shift
  if [[ $name == deb13 ]]; then
    chroot "$TRIXIE" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 \
      /usr/sbin/sshd -f "$CHROOT_HOST_DIR/sshd_config" "$@"
  else
    /usr/sbin/sshd -f "$SSH_DIR/$name/sshd_config" "$@"
  fi
}

sshd_alive() { pid_alive_with "$(host_dir "$1")/sshd.pid" "$(inner_dir "$1")/sshd_config"; }

stop_host() {
  local name=$1 pidfile pid i
  pidfile="$(host_dir "$name")/sshd.pid"
  sshd_alive "$name" || return 0
  read -r pid <"$pidfile"
  log "stopping $name sshd (pid $pid)"
  kill -TERM "$pid"
  for ((i = 0; i < 50; i++)); do
    [[ -e /proc/$pid ]] || break
    sleep 0.1
  done
  rm -f "$pidfile"
}

start_host() {
  local name=$1 address=$2 user=$3 root=$4 dir changed i
  dir=$(host_dir "$name")
  mkdir -p "$dir"
  ensure_user "$root" "$user"
  if [[ ! -f $dir/ssh_host_ed25519_key ]]; then
    rm -f "$dir/ssh_host_ed25519_key.pub"
    ssh-keygen -q -t ed25519 -N '' -C "$name" -f "$dir/ssh_host_ed25519_key"
  fi
  # Root-owned and not group/other-writable, as sshd's StrictModes demands.
  if ! cmp -s "$KEY.pub" "$dir/authorized_keys"; then
    install -m 0644 "$KEY.pub" "$dir/authorized_keys"
  fi
  changed=$(write_config "$name" "$address" "$user")
  if sshd_alive "$name"; then
    [[ -z $changed ]] && return 0
    log "$name: sshd_config changed, restarting"
    stop_host "$name"
  fi
  sshd_cmd "$name" -t >&2 || die "$name: invalid sshd_config ($dir/sshd_config)"
  log "starting $name sshd on $address:22"
  sshd_cmd "$name" -E "$(inner_dir "$name")/sshd.log" 9>&- ||
    die "$name: sshd failed to start: $(tail -n 3 "$dir/sshd.log" 2>/dev/null)"
  for ((i = 0; i < 50; i++)); do
    sshd_alive "$name" && return 0
    sleep 0.1
  done
  die "$name: sshd did not come up: $(tail -n 3 "$dir/sshd.log" 2>/dev/null)"
}

write_inventory() {
  local line name address user sudo root hostkey tsv='' known=''
  for line in "${HOSTS[@]}"; do
    read -r name address user sudo root <<<"$line"
    hostkey=$(cut -d' ' -f1,2 "$(host_dir "$name")/ssh_host_ed25519_key.pub")
    known+="$address $hostkey"$'\n'
    tsv+="$name"$'\t'"$address"$'\t'"$user"$'\t'"$sudo"$'\t'"$root"$'\t'"$hostkey"$'\n'
  done
  printf '%s' "$known" >"$SSH_DIR/known_hosts.tmp"
  mv "$SSH_DIR/known_hosts.tmp" "$SSH_DIR/known_hosts"
  printf '%s' "$tsv" | jq -R -s --arg key "$KEY" '
    split("\n") | map(select(length > 0) | split("\t") | {
      name: .[0], address: .[1], port: 22, username: .[2], privateKeyPath: $key,
      hostKey: .[5], sudo: (.[3] == "true"), root: .[4]
    })' >"$HOSTINTEL_DEV_ROOT/hosts.json.tmp"
  mv "$HOSTINTEL_DEV_ROOT/hosts.json.tmp" "$HOSTINTEL_DEV_ROOT/hosts.json"
}

start() {
  local line name address user sudo root
  ensure_prereqs
  ensure_sudoers
  for line in "${HOSTS[@]}"; do
    read -r name address user sudo root <<<"$line"
    start_host "$name" "$address" "$user" "$root"
  done
  write_inventory
  echo "HOSTINTEL_TEST_HOSTS=$HOSTINTEL_DEV_ROOT/hosts.json"
}

main() {
  require_root
  take_lock ssh-hosts
  case "${1:-start}" in
    start) start ;;
    stop)
      local line name
      for line in "${HOSTS[@]}"; do
        read -r name _ <<<"$line"
        stop_host "$name"
      done
      ;;
    *) die "usage: $0 [start|stop]" ;;
  esac
}

main "$@"
