// A probe meant to run with sudo where sudo did not work. Its root sections then either did
// not run (`required`, or refused by sudo: privilegeDenied) or ran as the login user
// (`preferred`, once the script's own `sudo -n` check failed). A collector parsing them would
// report a lesser, non-root view — users' authorized keys unknown, sockets without owners, no
// DMI serial — and storing it would overwrite the full view stored before, then flip back
// once sudo works again. Such a collector could not really answer: it is `needs-privilege`,
// and its facts are left as they were (DESIGN §1: a failed collector is never "no data").
import type { CollectorResult } from './probe.ts';
import type { Collector, Sections } from './types.ts';

/** What the script's `fin` writes for a `required` section when its sudo check failed. */
const NO_SUDO_MARK = 'hostintel: needs root (no sudo)';

/** The collector's root sections that did not run as root although the probe had sudo. */
export function sectionsWithoutRoot(
  collector: Collector,
  sections: Sections,
  sudo: boolean,
): string[] {
  if (!sudo) return [];
  const roots = collector.commands.filter((c) => c.root !== undefined);
  if (roots.length === 0) return [];
  // The sudo check is not reported as such; a `required` section marked this way says it
  // failed, and then every `preferred` section ran as the user.
  const checkFailed = [...sections.values()].some(
    (s) => s.privilegeDenied && s.stderrTail.includes(NO_SUDO_MARK),
  );
  return roots
    .filter((c) => sections.get(c.id)?.privilegeDenied || (checkFailed && c.root === 'preferred'))
    .map((c) => c.id);
}

/** needs-privilege for a collector that would report a non-root view; undefined otherwise. */
export function withoutRootOutcome(
  collector: Collector,
  sections: Sections,
  sudo: boolean,
  durationMs: number,
): { result: CollectorResult; metrics: undefined } | undefined {
  const ids = sectionsWithoutRoot(collector, sections, sudo);
  if (ids.length === 0) return undefined;
  const error = `${ids.join(', ')} did not run as root (sudo refused): facts left as they were`;
  return { result: { status: 'needs-privilege', durationMs, error }, metrics: undefined };
}
