// What the simulator frames, hostintel's splitSections must read back unchanged.
import { describe, expect, it } from 'vitest';
import { splitSections } from '../../../collectors/script.ts';
import type { CommandSpec } from '../../../collectors/types.ts';
import { frameDone, frameSection } from '../../sim/frame.ts';

const boundary = `HI${'ab'.repeat(16)}`;
const commands: CommandSpec[] = [
  { id: 'a.plain', command: 'true', why: 't' },
  { id: 'a.failing', command: 'false', why: 't' },
  { id: 'a.root', command: 'true', root: 'required', why: 't' },
  { id: 'a.sudo', command: 'true', root: 'preferred', why: 't' },
];

describe('frameSection', () => {
  it('round-trips stdout, exit status, stderr tail and timing through splitSections', () => {
    const output = Buffer.concat([
      frameSection(
        boundary,
        'a.plain',
        { stdout: 'one\ntwo\n', rc: 0, stderr: '' },
        { t0: 10, t1: 10.25 },
        400,
      ),
      frameSection(
        boundary,
        'a.failing',
        { stdout: '', rc: 3, stderr: `${'x'.repeat(500)}END\n` },
        { t0: null, t1: null },
        400,
      ),
      frameSection(
        boundary,
        'a.root',
        { stdout: '', rc: 126, stderr: 'hostintel: needs root (no sudo)\n' },
        { t0: 1, t1: 1 },
        400,
      ),
      frameSection(
        boundary,
        'a.sudo',
        { stdout: 'no newline', rc: 1, stderr: 'sudo: a password is required\n' },
        { t0: 1, t1: 2 },
        400,
      ),
      frameDone(boundary),
    ]);
    const { sections } = splitSections(output, boundary, commands, { sectionMaxBytes: 1 << 20 });
    expect(sections.get('a.plain')).toMatchObject({
      stdout: 'one\ntwo\n',
      exitCode: 0,
      stderrTail: '',
      elapsedMs: 250,
      privilegeDenied: false,
    });
    const failing = sections.get('a.failing');
    expect(failing?.exitCode).toBe(3);
    expect(failing?.stderrTail).toHaveLength(400);
    expect(failing?.stderrTail.endsWith('END\n')).toBe(true);
    expect(failing?.elapsedMs).toBeNull();
    expect(sections.get('a.root')).toMatchObject({ exitCode: 126, privilegeDenied: true });
    expect(sections.get('a.sudo')).toMatchObject({
      stdout: 'no newline',
      exitCode: 1,
      privilegeDenied: true,
      elapsedMs: 1000,
    });
  });
});
