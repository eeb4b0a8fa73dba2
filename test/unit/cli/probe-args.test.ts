import { describe, expect, it } from 'vitest';
import { checkProbeArguments, parseCollectors } from '../../../cli/probe.ts';

describe('probe arguments', () => {
  it('takes a destination or --all', () => {
    expect(() => checkProbeArguments('u@h', {})).not.toThrow();
    expect(() => checkProbeArguments(undefined, { all: true, concurrency: '4' })).not.toThrow();
    expect(() => checkProbeArguments(undefined, {})).toThrow('give user@host[:port], or --all');
    expect(() => checkProbeArguments('u@h', { all: true })).toThrow(
      'give a destination or --all, not both',
    );
  });

  it('refuses single-host options with --all, and --concurrency without it', () => {
    expect(() =>
      checkProbeArguments(undefined, { all: true, identity: 'k', hostKeyPolicy: 'off' }),
    ).toThrow("--identity, --host-key-policy: only with a destination (--all uses each host's own");
    expect(() => checkProbeArguments('u@h', { concurrency: '2' })).toThrow(
      '--concurrency goes with --all',
    );
  });

  it('reads --collectors against the registry', () => {
    expect(parseCollectors(undefined)).toBeUndefined();
    expect(parseCollectors('os, packages')).toEqual(['os', 'packages']);
    expect(() => parseCollectors('os,shadow')).toThrow('unknown collector(s): shadow');
  });
});
