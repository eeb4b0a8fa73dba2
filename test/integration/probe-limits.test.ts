
import { describe, expect, it } from 'vitest';
import { probe } from '../../collectors/probe.ts';
import { okOutput } from '../../collectors/section.ts';
import type { Collector, CommandSpec } from '../../collectors/types.ts';
import { testHost } from '../support/env.ts';
import { processesRunning } from '../support/processes.ts';
import { targetFor } from '../support/ssh.ts';

/** A collector of one command whose parse only checks that the section ran to a good end. */
function oneCommand(name: string, command: string, root?: CommandSpec['root']): Collector {
  const id = `${name}.cmd`;
  return {
    name,
    description: 'test',
    kinds: ['thing'],
    commands: [{ id, command, why: 'test', ...(root ? { root } : {}) }],
    parse(sections) {
      const out = okOutput(sections, id).trim();
      return { facts: [{ kind: 'thing', key: out || 'empty', value: {} }] };
    },
  };
}

describe('per-section time limits over SSH', () => {
  it('cuts off hung sections and their children; the others complete', async () => {
    const started = Date.now();
    const result = await probe(targetFor(testHost('deb12')), {
      type: 'facts',
      sudo: false,
      collectors: [
        oneCommand('hang', 'sleep 51.17'),
        oneCommand('children', 'echo started; sleep 52.17 | cat; echo never'),
        oneCommand('fine', 'echo fine'),
        oneCommand('fails', 'echo nope >&2; exit 4'),
      ],
      limits: { sectionTimeoutS: 1 },
    });
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(result.outcome).toBe('partial');
    expect(result.collectors.hang).toMatchObject({
      status: 'timeout',
      error: 'hang.cmd timed out',
    });
    expect(result.collectors.children?.status).toBe('timeout');
    expect(result.collectors.fine?.status).toBe('ok');
    expect(result.collectors.fine?.facts?.map((f) => f.key)).toEqual(['fine']);
    expect(result.collectors.fine?.durationMs).toBeLessThan(900);
    expect(result.collectors.hang?.durationMs).toBeGreaterThanOrEqual(900);
    expect(result.collectors.fails).toMatchObject({
      status: 'failed',
      error: 'fails.cmd exited 4: nope',
    });
    expect(processesRunning('sleep 51.17')).toEqual([]);
    expect(processesRunning('sleep 52.17')).toEqual([]);
  });

  // The root command itself may outlive the cut (sudo does not relay a signal sent from its own
  // process group, and root processes are not the probe user's to kill), as under `timeout`:
  // hence a short sleep here.
  it('cuts off a hung root section run through sudo; user and root sections complete', async () => {
    const result = await probe(targetFor(testHost('deb12sudo')), {
      type: 'facts',
      sudo: true,
      collectors: [
        oneCommand('root-hang', 'sleep 5.17', 'required'),
        oneCommand('root-fine', 'id -u', 'required'),
        oneCommand('user-fine', 'id -un'),
      ],
      limits: { sectionTimeoutS: 1 },
    });
    expect(result.collectors['root-hang']?.status).toBe('timeout');
    expect(result.collectors['root-fine']?.facts?.map((f) => f.key)).toEqual(['0']);
    expect(result.collectors['user-fine']?.facts?.map((f) => f.key)).toEqual(['hisudo']);
  });

  it('is not held up by the clock when every section ends early', async () => {
    const started = Date.now();
    const result = await probe(targetFor(testHost('deb12')), {
      type: 'facts',
      sudo: false,
      collectors: [oneCommand('fine', 'echo fine')],
      limits: { sectionTimeoutS: 54 },
    });
    expect(result.outcome).toBe('ok');
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(processesRunning('sleep 54')).toEqual([]);
  });
});
