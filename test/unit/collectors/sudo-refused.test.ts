// A probe with sudo where sudo did not work: collectors that would report a non-root view
// answer needs-privilege instead, so the full view stored before is left as it was.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { listenersCollector } from '../../../collectors/listeners.ts';
import { osCollector } from '../../../collectors/os.ts';
import { packagesCollector } from '../../../collectors/packages.ts';
import { sectionsOf } from '../../../collectors/section.ts';
import { sectionsWithoutRoot, withoutRootOutcome } from '../../../collectors/sudo-refused.ts';
import type { Section } from '../../../collectors/types.ts';
import { usersCollector } from '../../../collectors/users.ts';

const own = path.resolve(import.meta.dirname, '../../fixtures/users');
const ownFile = (name: string): string => readFileSync(path.join(own, name), 'utf8');

/** The recorded Debian 12 users sections, as root: every authorized_keys file known. */
const users = (keys: Partial<Section> = {}): Record<string, string | Partial<Section>> => ({
  'users.passwd': ownFile('debian-12__passwd.txt'),
  'users.group': ownFile('debian-12__group.txt'),
  'users.authorized-keys': { stdout: ownFile('debian-12__authorized-keys.txt'), ...keys },
});

// What the script writes for a `required` section when `sudo -n` did not work (script.ts fin).
const noSudo: Partial<Section> = {
  exitCode: 126,
  stderrTail: 'hostintel: needs root (no sudo)\n',
  privilegeDenied: true,
};
// What sudo answers when it runs but refuses the command.
const refused: Partial<Section> = {
  exitCode: 1,
  stderrTail: 'sudo: a password is required\n',
  privilegeDenied: true,
};

describe('collectors whose root sections did not run as root', () => {
  it('are none when sudo worked', () => {
    const sections = sectionsOf({ ...users(), 'listeners.ss': '' });
    for (const collector of [usersCollector, listenersCollector, osCollector]) {
      expect(sectionsWithoutRoot(collector, sections, true)).toEqual([]);
    }
    expect(usersCollector.parse(sections).facts?.length).toBeGreaterThan(10);
  });

  it('are none on a host registered without sudo: the user view is its stable state', () => {
    const sections = sectionsOf({ ...users(), 'os.dmi-private': noSudo, 'listeners.ss': '' });
    expect(sectionsWithoutRoot(usersCollector, sections, false)).toEqual([]);
    expect(sectionsWithoutRoot(listenersCollector, sections, false)).toEqual([]);
    expect(sectionsWithoutRoot(osCollector, sections, false)).toEqual([]);
  });

  it('include a section sudo refused: users would lose every known authorized key', () => {
    const sections = sectionsOf(users(refused));
    // What the collector alone would say: every user's keys unknown (null), not [] as stored.
    const parsed = usersCollector.parse(sections).facts ?? [];
    expect(
      parsed.filter((f) => f.kind === 'user').every((f) => f.value.authorizedKeys === null),
    ).toBe(true);
    expect(withoutRootOutcome(usersCollector, sections, true, 12)).toEqual({
      result: {
        status: 'needs-privilege',
        durationMs: 12,
        error: 'users.authorized-keys did not run as root (sudo refused): facts left as they were',
      },
      metrics: undefined,
    });
  });

  it('include `preferred` sections that ran as the user once the sudo check failed', () => {
    // listeners.ss ran (as the user) and succeeded; os.dmi-private says sudo did not work.
    const sections = sectionsOf({ ...users(), 'os.dmi-private': noSudo, 'listeners.ss': '' });
    expect(sectionsWithoutRoot(listenersCollector, sections, true)).toEqual(['listeners.ss']);
    expect(sectionsWithoutRoot(usersCollector, sections, true)).toEqual(['users.authorized-keys']);
    expect(sectionsWithoutRoot(osCollector, sections, true)).toEqual(['os.dmi-private']);
  });

  it('never include a collector without root sections', () => {
    const sections = sectionsOf({ 'os.dmi-private': noSudo });
    expect(sectionsWithoutRoot(packagesCollector, sections, true)).toEqual([]);
    expect(withoutRootOutcome(packagesCollector, sections, true, 0)).toBeUndefined();
  });
});
