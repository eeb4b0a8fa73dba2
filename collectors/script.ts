// Builds the ONE remote POSIX-sh script a probe runs, and splits its output back into
// sections. Each section is framed by a per-probe random boundary (a host cannot forge what
// it does not know), carries its own exit status and a capped stderr tail, runs in its own
// subshell with stdin from /dev/null (so no tool reads the SSH channel or a login rc file),
// under LC_ALL=C, with a per-section time limit and a remote byte cap.
//
// Cost model (measured with perf and a cgroup around a dev sshd): the script is CPU-bound on
// the host, and what costs is processes: ~1 ms per exec, ~0.3 ms per fork of the shell. So a
// section is ONE forked shell that evals its command (no `sh -c`, no `timeout`, no wrapper
// process), one `sleep` is the clock for every section's time limit, the trailers are written
// by the subshell that started the sections (it has their exact exit statuses from `wait`),
// and one `cat` prints everything at the end. Only the timeout path walks /proc.
import { randomBytes } from 'node:crypto';
import { ParseError } from './errors.ts';
import type { CommandSpec, Section } from './types.ts';

export interface ScriptOptions {
  /** The host lets the probe user run allowlisted commands through `sudo -n`. */
  sudo: boolean;
  sectionTimeoutS: number;
  sectionMaxBytes: number;
  stderrTailBytes: number;
}

export interface ProbeScript {
  boundary: string;
  text: string;
}

const SECTION_ID = /^[a-z0-9][a-z0-9.-]{0,63}$/;

/**
 * `cat FILE` for a small text file, with shell builtins only: the same bytes (a last line
 * without a newline included), a non-zero status when the file cannot be read, and no process
 * started (~1 ms of a host's CPU each). Not for big files: `read` takes a byte per system call.
 */
export function readFileCommand(file: string): string {
  if (!/^\/[A-Za-z0-9_./-]+$/.test(file)) throw new Error(`not a plain path: ${file}`);
  return (
    `while IFS= read -r l; do printf '%s\\n' "$l"; done <${file} || exit; ` +
    '[ -z "$l" ] || printf %s "$l"'
  );
}

function quote(text: string): string {
  return `'${text.replaceAll("'", `'\\''`)}'`;
}

/**
 * The fixed part of the script. Files in $T: `<id>` the framed section, and (upper case, so no
 * section id can collide) `<id>.E` its stderr, `<id>.T` its start and end times, written as it
 * exits (so: it has ended), `<id>.K` written when the clock cut it off; `P` the sections'
 * ids:pids:modes, `ALL` when every section ended, `RANG` once the clock stopped. The simulator
 * (test/sim/script-parser.ts) reads the B=, S= and `run` lines and `tail -c N "$e"`: keep
 * their shape.
 */
function prelude(boundary: string, options: ScriptOptions): string[] {
  const blocks = Math.ceil(options.sectionMaxBytes / 512) + 2;
  return [
    'export LC_ALL=C LANG=C',
    // ip, ss and friends live in sbin, which a login user's PATH often lacks.
    'PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin"; export PATH',
    `B=${boundary}`,
    // A tmpfs when there is one — the login's own runtime dir, else /dev/shm: creating ~100
    // small files in a disk /tmp costs more CPU than most sections do (ext4 inode allocation,
    // measured with perf). Absolute: sections may cd.
    'T=$(mktemp -d -p "${XDG_RUNTIME_DIR:-/dev/shm}" 2>/dev/null || mktemp -d 2>/dev/null) ||',
    '  { T=/tmp/hostintel.$$; mkdir -m 700 "$T" || exit 1; }',
    'case $T in /*) ;; *) T=$PWD/$T;; esac',
    // Removed however the script ends, also when the client hangs up (SIGPIPE on the last
    // write). Not TERM: a child forked but not yet exec'd still has this shell's handler, and
    // the clock must die on the TERM that stops it, however early that comes.
    `trap 'rm -rf "$T"' EXIT; trap 'exit 129' HUP PIPE INT`,
    // sudo is tried once: root commands run through it only when it really works.
    options.sudo ? 'S=0; sudo -n sh -c : </dev/null >/dev/null 2>&1 && S=1' : 'S=0',
    // The one clock for every section's time limit (sections all start now). Without `sleep`
    // sections run unlimited, as they did without `timeout`; the probe deadline still holds.
    'Z=; command -v sleep >/dev/null 2>&1 &&',
    `  { sleep ${options.sectionTimeoutS} </dev/null >/dev/null 2>&1 & Z=$!; }`,
    // run ID MODE CMD (in its own background shell) — MODE is user, required (root or nothing)
    // or preferred (root if we can). Writes the section's first line to $T/ID, then becomes the
    // command: stdout appended to $T/ID, stderr to $T/ID.E. It cannot see $B, so it cannot
    // forge a boundary. ulimit -f (a builtin, in 512-byte blocks) caps what it may write on
    // the host's disk; the client still cuts at sectionMaxBytes.
    'run() {',
    '  o=$T/$1; m=$2; c=$3; t=',
    '  if [ "$m" != user ] && [ "$S" = 1 ]; then m=sudo',
    '  elif [ "$m" = preferred ]; then m=user; fi',
    '  printf \'%s begin %s\\n\' "$B" "$1" >"$o"',
    '  { read -r t _ </proc/uptime; } 2>/dev/null',
    '  [ "$m" = required ] && { echo "${t:--} ${t:--}" >"$o.T"; exit 126; }',
    // The end time, written as the shell exits (whatever the command does but exec).
    "  trap \"{ IFS=' ' read -r t _ </proc/uptime;" +
      ` echo '\${t:--}' \\$t >'$o.T'; } 2>/dev/null" EXIT`,
    `  exec </dev/null >>"$o" 2>"$o.E"; ulimit -f ${blocks} 2>/dev/null`,
    '  if [ "$m" = sudo ]; then unset B T S Z o m t; sudo -n sh -c "$c"',
    '  else unset B T S Z o m t; set --; eval "$c"; fi',
    '}',
    // fin ID STATUS MODE: the section's trailer, once its shell has been waited for.
    'fin() {',
    '  o=$T/$1; e=$o.E; rc=$2; x=; t0=; t1=; n=0',
    '  { read -r t0 t1 <"$o.T"; } 2>/dev/null || : >>"$o.T"',
    '  [ -n "$t1" ] || { t0=$U; read -r t1 _ </proc/uptime; } 2>/dev/null',
    '  [ -e "$o.K" ] && rc=124',
    '  if [ "$3" = required ] && [ "$S" != 1 ]; then',
    "    x='hostintel: needs root (no sudo)'; n=$((${#x} + 1))",
    '  elif [ -s "$e" ]; then n=$(wc -c <"$e"); fi',
    `  printf '\\n%s end %s %s %s %s\\n' "$B" "$rc" "$n" "\${t0:--}" "\${t1:--}" >>"$o"`,
    '  if [ -n "$x" ]; then echo "$x" >>"$o"',
    `  elif [ "$n" -gt 0 ]; then tail -c ${options.stderrTailBytes} "$e" >>"$o"; fi`,
    '  printf \'\\n%s tail\\n\' "$B" >>"$o"',
    '}',
    // tree PID: the pid and its descendants, read from /proc/*/stat with builtins.
    'tree() {',
    '  l=" $1 "; g=1',
    '  while [ -n "$g" ]; do g=',
    '    for s in /proc/[0-9]*/stat; do',
    '      { read -r x <"$s"; } 2>/dev/null || continue',
    '      q=${x%% *}; x=${x##*) }; x=${x#* }; x=${x%% *}',
    '      case $l in *" $q "*) ;; *" $x "*) l="$l$q "; g=1;; esac',
    '    done',
    '  done',
    '  echo $l',
    '}',
    // cut: the clock rang; every section that has not ended is marked and killed with its
    // children (an ended one has its .T, written as it exits or by fin).
    'cut() {',
    '  { read -r L <"$T/P"; } 2>/dev/null',
    '  for x in $L; do',
    '    i=${x%%:*}; x=${x#*:}; [ -e "$T/$i.T" ] && continue',
    '    : >"$T/$i.K"; kill -TERM $(tree "${x%%:*}") 2>/dev/null',
    '  done',
    '}',
  ];
}

export function buildScript(commands: readonly CommandSpec[], options: ScriptOptions): ProbeScript {
  const boundary = `HI${randomBytes(16).toString('hex')}`;
  const lines = prelude(boundary, options);
  // One subshell starts every section at once, then waits for each in turn (their statuses
  // wait in its job table) and writes its trailer; it stops the clock once all have ended.
  lines.push('(', 'U=; { read -r U _ </proc/uptime; } 2>/dev/null; P=');
  const ids: string[] = [];
  for (const command of commands) {
    if (!SECTION_ID.test(command.id)) throw new Error(`invalid section id ${command.id}`);
    const mode = command.root ?? 'user';
    lines.push(
      `run ${command.id} ${mode} ${quote(command.command)} &`,
      `P="$P ${command.id}:$!:${mode}"`,
    );
    ids.push(command.id);
  }
  lines.push(
    'echo "$P" >"$T/P"',
    'for x in $P; do',
    '  i=${x%%:*}; x=${x#*:}; wait "${x%%:*}" 2>/dev/null; fin "$i" $? "${x#*:}"',
    'done',
    ': >"$T/ALL"; [ -z "$Z" ] || [ -e "$T/RANG" ] || kill "$Z" 2>/dev/null',
    ') & R=$!',
    // The clock ended: either the sections did (their subshell stopped it: status > 128) or it
    // rang (0), and then whatever still runs is cut off.
    'w=1; if [ -n "$Z" ]; then wait "$Z" 2>/dev/null; w=$?; : >"$T/RANG"; fi',
    '[ "$w" = 0 ] && [ ! -e "$T/ALL" ] && cut',
    'wait "$R"',
    `cat ${ids.map((id) => `"$T/${id}"`).join(' ')}`,
    'printf \'%s done\\n\' "$B"',
  );
  return { boundary, text: `${lines.join('\n')}\n` };
}

export interface SplitOptions {
  sectionMaxBytes: number;
}

/**
 * Splits the probe's stdout into sections. Sections missing from the output (the probe was
 * cut short) are simply absent: their collectors then fail with "section missing".
 */
export function splitSections(
  output: Buffer,
  boundary: string,
  commands: readonly CommandSpec[],
  options: SplitOptions,
): { sections: Map<string, Section>; complete: boolean } {
  const sections = new Map<string, Section>();
  let offset = 0;
  for (const command of commands) {
    const begin = Buffer.from(`${boundary} begin ${command.id}\n`);
    const start = output.indexOf(begin, offset);
    if (start < 0) break;
    const bodyStart = start + begin.length;
    const endMarker = Buffer.from(`\n${boundary} end `);
    const end = output.indexOf(endMarker, bodyStart);
    if (end < 0) break;
    const statusLineEnd = output.indexOf(0x0a, end + endMarker.length);
    if (statusLineEnd < 0) break;
    const [rcText, errLenText, t0, t1] = output
      .subarray(end + endMarker.length, statusLineEnd)
      .toString('latin1')
      .split(' ');
    const tailMarker = Buffer.from(`\n${boundary} tail\n`);
    const tailEnd = output.indexOf(tailMarker, statusLineEnd + 1);
    if (tailEnd < 0) break;
    const exitCode = Number(rcText);
    if (!Number.isInteger(exitCode) || errLenText === undefined) {
      throw new ParseError(`malformed section trailer for ${command.id}`);
    }
    const stdoutBytes = output.subarray(bodyStart, end);
    const stderrTail = output.subarray(statusLineEnd + 1, tailEnd).toString('utf8');
    const truncated = stdoutBytes.length > options.sectionMaxBytes;
    const sudoRefused = command.root !== undefined && exitCode !== 0 && /^sudo: /m.test(stderrTail);
    sections.set(command.id, {
      id: command.id,
      exitCode,
      stdout: stdoutBytes.subarray(0, options.sectionMaxBytes).toString('utf8'),
      stderrTail,
      truncated,
      elapsedMs: elapsed(t0, t1),
      privilegeDenied:
        (exitCode === 126 && stderrTail.includes('hostintel: needs root')) || sudoRefused,
    });
    offset = tailEnd + tailMarker.length;
  }
  // The script's last line: without it the output was cut short (disconnect, killed shell).
  const complete = output.indexOf(Buffer.from(`${boundary} done\n`), offset) >= 0;
  return { sections, complete };
}

/** Remote wall time of a section from two /proc/uptime readings (10 ms resolution). */
function elapsed(t0: string | undefined, t1: string | undefined): number | null {
  const a = Number(t0);
  const b = Number(t1);
  return Number.isFinite(a) && Number.isFinite(b) && t0 !== '-' && b >= a
    ? Math.round((b - a) * 1000)
    : null;
}
