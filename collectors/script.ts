// Builds the ONE remote POSIX-sh script a probe runs, and splits its output back into
// sections. Each section is framed by a per-probe random boundary (a host cannot forge what
// it does not know), carries its own exit status and a capped stderr tail, runs in its own
// subshell with stdin from /dev/null (so no tool reads the SSH channel or a login rc file),
// under LC_ALL=C, with a per-section time limit and a remote byte cap.
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

function quote(text: string): string {
  return `'${text.replaceAll("'", `'\\''`)}'`;
}

export function buildScript(commands: readonly CommandSpec[], options: ScriptOptions): ProbeScript {
  const boundary = `HI${randomBytes(16).toString('hex')}`;
  const lines = [
    'export LC_ALL=C LANG=C',
    // ip, ss and friends live in sbin, which a login user's PATH often lacks.
    'PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin"; export PATH',
    `B=${boundary}`,
    'T=$(mktemp -d 2>/dev/null) || { T=/tmp/hostintel.$$; mkdir -m 700 "$T" || exit 1; }',
    `trap 'rm -rf "$T"' EXIT`,
    `TO=; command -v timeout >/dev/null 2>&1 && TO="timeout ${options.sectionTimeoutS}"`,
    // sudo is tried once: root commands run through it only when it really works.
    options.sudo ? 'S=0; sudo -n sh -c : </dev/null >/dev/null 2>&1 && S=1' : 'S=0',
    // run ID MODE CMD — MODE is user, required (root or nothing) or preferred (root if we can).
    // Writes the framed section to $T/ID; all sections run at once and are printed in order.
    'run() {',
    '  o=$T/$1; e=$o.e; m=$2; c=$3; t0=; t1=',
    '  { read -r t0 _ </proc/uptime; } 2>/dev/null',
    '  if [ "$m" != user ] && [ "$S" = 1 ]; then m=sudo; elif [ "$m" = preferred ]; then m=user; fi',
    '  printf \'%s begin %s\\n\' "$B" "$1" >"$o"',
    '  if [ "$m" = required ]; then rc=126; echo "hostintel: needs root (no sudo)" >"$e"',
    '  else',
    '    if [ "$m" = sudo ]; then set -- $TO sudo -n sh -c "$c"; else set -- $TO sh -c "$c"; fi',
    // ulimit -f (a builtin, in 512-byte blocks) caps what a section may write on the host's
    // disk without a `head` process per section; the client still cuts at sectionMaxBytes.
    `    ( ulimit -f ${Math.ceil(options.sectionMaxBytes / 512) + 2} 2>/dev/null; exec "$@" ) </dev/null 2>"$e" >>"$o"; rc=$?`,
    '  fi',
    '  { read -r t1 _ </proc/uptime; } 2>/dev/null',
    '  n=0; [ -s "$e" ] && n=$(wc -c <"$e")',
    `  printf '\\n%s end %s %s %s %s\\n' "$B" "$rc" "$n" "\${t0:--}" "\${t1:--}" >>"$o"`,
    `  [ "$n" -gt 0 ] && tail -c ${options.stderrTailBytes} "$e" >>"$o"`,
    '  printf \'\\n%s tail\\n\' "$B" >>"$o"',
    '}',
  ];
  const ids: string[] = [];
  for (const command of commands) {
    if (!SECTION_ID.test(command.id)) throw new Error(`invalid section id ${command.id}`);
    const mode = command.root ?? 'user';
    lines.push(`run ${command.id} ${mode} ${quote(command.command)} &`);
    ids.push(command.id);
  }
  lines.push('wait');
  for (const id of ids) lines.push(`cat "$T/${id}"`);
  lines.push('printf \'%s done\\n\' "$B"');
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
