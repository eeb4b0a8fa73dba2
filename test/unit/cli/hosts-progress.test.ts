import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { formatElapsed, formatProgress, Progress } from '../../../cli/hosts-progress.ts';
import { memoryIo } from './memory-io.ts';

describe('formatting', () => {
  it.each([
    [0, '0.0 s'],
    [420, '0.4 s'],
    [9_949, '9.9 s'],
    [12_300, '12 s'],
    [185_000, '3 min 05 s'],
  ])('%d ms → %s', (ms, text) => {
    expect(formatElapsed(ms)).toBe(text);
  });

  it('says done/total, ok, failed and elapsed', () => {
    expect(
      formatProgress('probing', { done: 3, total: 40, ok: 2, failed: 1, elapsedMs: 4200 }),
    ).toBe('probing 3/40 hosts: 2 ok, 1 failed, 4.2 s');
  });
});

describe('Progress', () => {
  let now = 0;
  beforeEach(() => {
    vi.useFakeTimers();
    now = 0;
  });
  afterEach(() => vi.useRealTimers());

  it('redraws one line in place on a terminal, keeps notes above it, and clears it at the end', () => {
    const { io, err } = memoryIo({ tty: true, columns: 120 });
    const progress = new Progress({ verb: 'probing', total: 3, stream: io.stderr, now: () => now });
    now = 200;
    progress.succeeded();
    now = 250; // within the redraw interval: not drawn
    progress.failed('web2: failed: connection refused');
    now = 400;
    progress.succeeded();
    const counts = progress.finish('probed 3 hosts in 0.4 s: 2 ok, 1 failed');
    expect(counts).toEqual({ done: 3, total: 3, ok: 2, failed: 1, elapsedMs: 400 });
    expect(err()).toBe(
      '\r\x1b[Kprobing 0/3 hosts: 0 ok, 0 failed, 0.0 s' +
        '\r\x1b[Kprobing 1/3 hosts: 1 ok, 0 failed, 0.2 s' +
        '\r\x1b[Kweb2: failed: connection refused\n' +
        '\r\x1b[Kprobing 2/3 hosts: 1 ok, 1 failed, 0.3 s' +
        '\r\x1b[Kprobing 3/3 hosts: 2 ok, 1 failed, 0.4 s' +
        '\r\x1b[K' +
        'probed 3 hosts in 0.4 s: 2 ok, 1 failed\n',
    );
  });

  it('redraws every second on a terminal even when nothing finishes (the clock moves)', () => {
    const { io, err } = memoryIo({ tty: true });
    const progress = new Progress({ verb: 'probing', total: 1, stream: io.stderr, now: () => now });
    now = 1000;
    vi.advanceTimersByTime(1000);
    expect(err()).toContain('probing 0/1 hosts: 0 ok, 0 failed, 1.0 s');
    progress.finish();
  });

  it('cuts the line to the terminal width, so \\r redraws all of it', () => {
    const { io, err } = memoryIo({ tty: true, columns: 30 });
    new Progress({ verb: 'importing', total: 10, stream: io.stderr, now: () => now }).finish();
    expect(err()).toBe('\r\x1b[Kimporting 0/10 hosts: 0 ok, 0\r\x1b[K');
  });

  it('writes plain lines periodically when stderr is not a terminal, and notes as they come', () => {
    const { io, err } = memoryIo();
    const progress = new Progress({
      verb: 'probing',
      total: 2,
      stream: io.stderr,
      now: () => now,
      plainEveryMs: 5000,
    });
    progress.failed('web1: timeout: probe exceeded its 60000 ms deadline');
    now = 5000;
    vi.advanceTimersByTime(5000);
    progress.succeeded();
    progress.finish('probed 2 hosts in 5.0 s: 1 ok, 1 failed');
    vi.advanceTimersByTime(20_000); // stopped: nothing more
    expect(err()).toBe(
      'web1: timeout: probe exceeded its 60000 ms deadline\n' +
        'probing 1/2 hosts: 0 ok, 1 failed, 5.0 s\n' +
        'probed 2 hosts in 5.0 s: 1 ok, 1 failed\n',
    );
  });
});
