// The rpm snippet run by /bin/sh against a stand-in `rpm` that records how it was called: it
// must only ever read a database that exists (rpm creates one where it looks otherwise), and
// start rpm at most once.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RPM_COMMAND } from '../../../collectors/packages-rpm.ts';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'hostintel-rpm-'));
  mkdirSync(path.join(dir, 'bin'));
  mkdirSync(path.join(dir, 'home'));
  const row = 'bash\\t(none)\\t5.2\\t1.el9\\tx86_64\\tbash-5.2-1.el9.src.rpm\\tRocky\\t1700000000';
  const fake = `#!/bin/sh\necho "$*" >>'${dir}/calls'\nprintf '${row}\\n'\n`;
  writeFileSync(path.join(dir, 'bin', 'rpm'), fake, { mode: 0o755 });
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function runSnippet(withRpm = true) {
  // The snippet needs nothing but rpm itself: the shell's builtins do the rest.
  const result = spawnSync('/bin/sh', ['-c', RPM_COMMAND], {
    encoding: 'utf8',
    env: { PATH: path.join(dir, withRpm ? 'bin' : 'home'), HOME: path.join(dir, 'home') },
  });
  let calls: string[] = [];
  try {
    calls = readFileSync(path.join(dir, 'calls'), 'utf8').trim().split('\n');
  } catch {
    // rpm was never started.
  }
  return { status: result.status, stdout: result.stdout, calls };
}

// The system paths (/var/lib/rpm, /usr/lib/sysimage/rpm) are this Debian machine's, where rpm
// has no system database (the dev and CI machines; deploy/dev/README.md).
describe('the rpm snippet', () => {
  it('exits 127 without starting rpm when no database exists', () => {
    expect(runSnippet()).toEqual({ status: 127, stdout: '', calls: [] });
  });

  it('exits 127 when there is no rpm at all', () => {
    mkdirSync(path.join(dir, 'home', '.rpmdb'));
    writeFileSync(path.join(dir, 'home', '.rpmdb', 'rpmdb.sqlite'), '');
    expect(runSnippet(false).status).toBe(127);
  });

  it.each(['rpmdb.sqlite', 'Packages', 'Packages.db'])(
    "reads Debian's per-user database (%s) with --dbpath, once",
    (file) => {
      mkdirSync(path.join(dir, 'home', '.rpmdb'));
      writeFileSync(path.join(dir, 'home', '.rpmdb', file), '');
      const { status, stdout, calls } = runSnippet();
      expect(status).toBe(0);
      expect(stdout).toBe(
        'bash\t(none)\t5.2\t1.el9\tx86_64\tbash-5.2-1.el9.src.rpm\tRocky\t1700000000\n',
      );
      expect(calls).toHaveLength(1);
      expect(calls[0]).toMatch(new RegExp(`^-qa --dbpath ${dir}/home/\\.rpmdb --queryformat `));
    },
  );
});
