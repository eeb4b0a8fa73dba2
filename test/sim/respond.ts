// What a simulated host prints for one probe script: the script's own logic (run() and its
// modes, the sudo check) applied to the host's answers, with the host's faults mixed in.
import { randomBytes } from 'node:crypto';
import { type Fault, faultOf } from './faults.ts';
import { type Answer, frameDone, frameSection, sectionHead, sectionTrailer } from './frame.ts';
import type { HostModel } from './host-model.ts';
import type { ParsedScript, ScriptSection } from './script-parser.ts';

/** A run of `bytes` bytes made by repeating `fill`: streamed, never held in memory whole. */
export interface Repeat {
  fill: Buffer;
  bytes: number;
}
export type Part = Buffer | Repeat;

export const DEFAULT_OVERSIZED_BYTES = 100 * 1024 * 1024;

export interface RespondOptions {
  /** The login user may run anything through `sudo -n` on this host. */
  sudoGranted: boolean;
  nowMs: number;
}

/** The tool a snippet runs, for the shell's "not found" message. */
function toolOf(command: string): string {
  const probe = /command -v (\S+)/.exec(command)?.[1];
  return probe ?? command.split(/\s/, 1)[0] ?? 'sh';
}

function sectionAnswer(
  section: ScriptSection,
  host: HostModel,
  faults: readonly Fault[],
  sudoWorks: boolean,
  nowMs: number,
): Answer {
  // run(): a root section goes through sudo when the check passed; `preferred` falls back to
  // the user; `required` is then not run at all.
  let mode: string = section.mode;
  if (mode !== 'user' && sudoWorks) mode = 'sudo';
  else if (mode === 'preferred') mode = 'user';
  if (mode === 'required') {
    return { stdout: '', rc: 126, stderr: 'hostintel: needs root (no sudo)\n' };
  }
  const refused = faultOf(faults, 'sudo-refused');
  if (mode === 'sudo' && refused && refused.variant !== 'no-sudo') {
    return { stdout: '', rc: 1, stderr: 'sudo: a password is required\n' };
  }
  const collector = section.id.split('.', 1)[0];
  if (faults.some((f) => f.type === 'tool-missing' && f.collector === collector)) {
    return { stdout: '', rc: 127, stderr: `sh: 1: ${toolOf(section.command)}: not found\n` };
  }
  const answer = host.answer(section.id, mode === 'sudo', nowMs);
  const garbage = faultOf(faults, 'garbage');
  const garbled = garbage?.mode !== 'random' && (garbage?.collectors ?? ['packages']);
  if (garbage && garbled && collector && garbled.includes(collector)) {
    if (garbage.stdout !== undefined) return { ...answer, stdout: garbage.stdout };
    const size = Math.max(256, Math.min(Buffer.byteLength(answer.stdout), 64 * 1024));
    return { ...answer, stdout: randomBytes(size) };
  }
  return answer;
}

export function respond(
  script: ParsedScript,
  host: HostModel,
  faults: readonly Fault[],
  options: RespondOptions,
): Part[] {
  const { boundary, stderrTailBytes } = script;
  const garbage = faultOf(faults, 'garbage');
  const oversized = faultOf(faults, 'oversized');
  const oversizedId = oversized?.section ?? 'packages.dpkg';
  const noSudo = faultOf(faults, 'sudo-refused')?.variant === 'no-sudo';
  const sudoWorks = script.sudo && options.sudoGranted && !noSudo;
  let t = host.uptime(options.nowMs);
  const parts: Part[] = [];
  for (const section of script.sections) {
    const answer = sectionAnswer(section, host, faults, sudoWorks, options.nowMs);
    const size = Buffer.byteLength(answer.stdout);
    // Sections run concurrently; each takes a little time, more for more output.
    const timing = { t0: t, t1: t + 0.01 + size / 20e6 };
    t += 0.001;
    if (oversized && section.id === oversizedId) {
      const fill = Buffer.from(size > 0 ? answer.stdout : 'x\n');
      parts.push(
        sectionHead(boundary, section.id),
        { fill, bytes: oversized.bytes ?? DEFAULT_OVERSIZED_BYTES },
        sectionTrailer(boundary, { rc: 0, stderr: '' }, timing, stderrTailBytes),
      );
      continue;
    }
    parts.push(frameSection(boundary, section.id, answer, timing, stderrTailBytes));
  }
  parts.push(frameDone(boundary));
  if (garbage?.mode === 'random') {
    const size = parts.reduce((sum, p) => sum + (Buffer.isBuffer(p) ? p.length : 0), 0);
    return [randomBytes(Math.min(size, 256 * 1024))];
  }
  return parts;
}

export function partsLength(parts: readonly Part[]): number {
  return parts.reduce((sum, p) => sum + (Buffer.isBuffer(p) ? p.length : p.bytes), 0);
}
