// The probe script run by this machine's own /bin/sh (no SSH): every section keeps its own exit
// status, stderr tail, timing and byte cap, and the one clock cuts off a hung section — with
// its children — while the others complete. The same text runs on every probed host.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildScript, type ScriptOptions, splitSections } from '../../../collectors/script.ts';
import type { CommandSpec } from '../../../collectors/types.ts';
import { processesRunning } from '../../support/processes.ts';

const defaults: ScriptOptions = {
  sudo: false,
  sectionTimeoutS: 30,
  sectionMaxBytes: 1 << 20,
  stderrTailBytes: 400,
};

function runLocally(commands: CommandSpec[], options: Partial<ScriptOptions> = {}, env = {}) {
  const limits = { ...defaults, ...options };
  const script = buildScript(commands, limits);
  const started = performance.now();
  const result = spawnSync('/bin/sh', ['-s'], {
    input: script.text,
    env: { PATH: process.env.PATH, HOME: os.tmpdir(), ...env },
    timeout: 20_000,
  });
  const wallMs = performance.now() - started;
  const { sections, complete } = splitSections(result.stdout, script.boundary, commands, limits);
  return { sections, complete, wallMs, stderr: result.stderr.toString(), status: result.status };
}

const spec = (id: string, command: string, root?: CommandSpec['root']): CommandSpec => ({
  id,
  command,
  why: 'test',
  ...(root ? { root } : {}),
});

describe('the probe script, run by /bin/sh', () => {
  it('frames each section with its own exit status, stderr tail and timing', () => {
    const { sections, complete, stderr } = runLocally([
      spec('t.ok', 'echo one; echo two'),
      spec('t.fails', 'echo out; echo "went wrong" >&2; exit 3'),
      spec('t.no-newline', "printf 'last'"),
      spec('t.missing', 'no-such-tool-hostintel --version'),
      spec('t.root', 'id -u', 'required'),
      spec('t.preferred', 'echo as-user', 'preferred'),
    ]);
    expect(complete).toBe(true);
    expect(stderr).toBe('');
    expect(sections.get('t.ok')).toMatchObject({ exitCode: 0, stdout: 'one\ntwo\n' });
    expect(sections.get('t.fails')).toMatchObject({
      exitCode: 3,
      stdout: 'out\n',
      stderrTail: 'went wrong\n',
    });
    expect(sections.get('t.no-newline')?.stdout).toBe('last');
    expect(sections.get('t.missing')?.exitCode).toBe(127);
    expect(sections.get('t.missing')?.stderrTail).toMatch(/not found/);
    // Without sudo a root-only section does not run, and says why.
    expect(sections.get('t.root')).toMatchObject({
      exitCode: 126,
      stdout: '',
      stderrTail: 'hostintel: needs root (no sudo)\n',
      privilegeDenied: true,
    });
    expect(sections.get('t.preferred')).toMatchObject({ exitCode: 0, stdout: 'as-user\n' });
    for (const section of sections.values()) {
      expect(section.elapsedMs).toBeGreaterThanOrEqual(0);
      expect(section.elapsedMs).toBeLessThan(10_000);
    }
  });

  it('keeps only the tail of a long stderr', () => {
    const { sections } = runLocally(
      [spec('t.noisy', 'i=0; while [ $i -lt 300 ]; do echo "line $i" >&2; i=$((i+1)); done')],
      { stderrTailBytes: 20 },
    );
    const noisy = sections.get('t.noisy');
    expect(noisy?.exitCode).toBe(0);
    const all = Array.from({ length: 300 }, (_, i) => `line ${i}\n`).join('');
    expect(noisy?.stderrTail).toBe(all.slice(-20));
  });

  it('hides the boundary and its own variables from the commands it runs', () => {
    const { sections } = runLocally([
      spec('t.forge', 'echo "$B end 0 0 - -"; echo "[$T|$S|$Z|$o|$e|$1]"'),
      spec('t.after', 'echo fine'),
    ]);
    expect(sections.get('t.forge')?.stdout).toBe(' end 0 0 - -\n[|||||]\n');
    expect(sections.get('t.after')?.stdout).toBe('fine\n');
  });

  it('caps what a section may write and the split marks it truncated', () => {
    const { sections } = runLocally(
      [spec('t.flood', "head -c 200000 /dev/zero | tr '\\0' x"), spec('t.after', 'echo fine')],
      { sectionMaxBytes: 4096 },
    );
    const flood = sections.get('t.flood');
    expect(flood?.truncated).toBe(true);
    expect(flood?.stdout).toBe('x'.repeat(4096));
    // ulimit -f stopped the writer long before 200 kB: 4096 bytes + two 512-byte blocks at most.
    expect(flood?.exitCode).not.toBe(0);
    expect(sections.get('t.after')?.stdout).toBe('fine\n');
  });

  it('cuts off a hung section and its children at the time limit while the others complete', () => {
    const { sections, complete, wallMs, stderr } = runLocally(
      [
        spec('t.hang', 'sleep 41.17'),
        spec('t.pipeline', 'echo started; sleep 42.17 | cat; echo never'),
        spec('t.fine', 'echo fine'),
        spec('t.slow-but-in-time', 'sleep 0.2; echo done'),
      ],
      { sectionTimeoutS: 1 },
    );
    expect(complete).toBe(true);
    expect(stderr).toBe('');
    expect(wallMs).toBeLessThan(8_000);
    expect(sections.get('t.hang')).toMatchObject({ exitCode: 124, stdout: '' });
    // What a cut-off section printed before the limit is kept; it is still a timeout.
    expect(sections.get('t.pipeline')).toMatchObject({ exitCode: 124, stdout: 'started\n' });
    expect(sections.get('t.pipeline')?.elapsedMs).toBeGreaterThanOrEqual(900);
    expect(sections.get('t.fine')).toMatchObject({ exitCode: 0, stdout: 'fine\n' });
    expect(sections.get('t.fine')?.elapsedMs).toBeLessThan(900);
    expect(sections.get('t.slow-but-in-time')).toMatchObject({ exitCode: 0, stdout: 'done\n' });
    // Nothing of the hung sections is left running on the host.
    expect(processesRunning('sleep 41.17')).toEqual([]);
    expect(processesRunning('sleep 42.17')).toEqual([]);
  });

  it('stops its clock as soon as every section ended', () => {
    const { complete, wallMs } = runLocally([spec('t.quick', 'echo quick')], {
      sectionTimeoutS: 43,
    });
    expect(complete).toBe(true);
    expect(wallMs).toBeLessThan(5_000);
    expect(processesRunning('sleep 43')).toEqual([]);
  });

  // The clock's TERM can come before its process has even exec'd `sleep` (a busy host, a quick
  // section): it must still stop it. Many scripts at once make that early TERM likely; with the
  // shell trapping TERM (a handler the forked child keeps until it execs) 17 of 400 waited.
  it('stops its clock even when the sections end before it has started', async () => {
    const script = buildScript([spec('t.quick', 'echo quick')], {
      ...defaults,
      sectionTimeoutS: 9,
    });
    const runOnce = () =>
      new Promise<number>((resolve) => {
        const started = performance.now();
        const child = spawn('/bin/sh', ['-s'], { stdio: ['pipe', 'ignore', 'ignore'] });
        child.stdin.end(script.text);
        child.once('exit', () => resolve(performance.now() - started));
      });
    const times: number[] = [];
    for (let batch = 0; batch < 4; batch++) {
      times.push(...(await Promise.all(Array.from({ length: 40 }, runOnce))));
    }
    expect(Math.max(...times)).toBeLessThan(5_000);
  });

  it('leaves nothing in the runtime dir, even when the reader hangs up', async () => {
    const runtime = mkdtempSync(path.join(os.tmpdir(), 'hostintel-runtime-'));
    try {
      const done = runLocally([spec('t.a', 'echo a')], {}, { XDG_RUNTIME_DIR: runtime });
      expect(done.sections.get('t.a')?.stdout).toBe('a\n');
      expect(readdirSync(runtime)).toEqual([]);

      // The client goes away before the output is written (a probe cut short): the last
      // writes get SIGPIPE, and the temporary directory must go all the same.
      const script = buildScript([spec('t.slow', 'sleep 0.3; echo late')], defaults);
      const child = spawn('/bin/sh', ['-s'], {
        env: { PATH: process.env.PATH, XDG_RUNTIME_DIR: runtime },
        stdio: ['pipe', 'pipe', 'ignore'],
      });
      child.stdin.end(script.text);
      child.stdout.destroy();
      await new Promise((resolve) => child.once('exit', resolve));
      expect(readdirSync(runtime)).toEqual([]);
    } finally {
      rmSync(runtime, { recursive: true, force: true });
    }
  });

  it('still runs every section on a host without sleep (no clock, as without timeout)', () => {
    const bin = mkdtempSync(path.join(os.tmpdir(), 'hostintel-nosleep-'));
    try {
      for (const tool of ['mktemp', 'rm', 'cat', 'wc', 'tail', 'mkdir']) {
        symlinkSync(
          spawnSync('sh', ['-c', `command -v ${tool}`])
            .stdout.toString()
            .trim(),
          path.join(bin, tool),
        );
      }
      const { sections, complete, stderr } = runLocally(
        [spec('t.a', 'echo a'), spec('t.b', 'echo b >&2; exit 5')],
        {},
        { PATH: bin },
      );
      expect(stderr).toBe('');
      expect(complete).toBe(true);
      expect(sections.get('t.a')).toMatchObject({ exitCode: 0, stdout: 'a\n' });
      expect(sections.get('t.b')).toMatchObject({ exitCode: 5, stderrTail: 'b\n' });
    } finally {
      rmSync(bin, { recursive: true, force: true });
    }
  });
});
