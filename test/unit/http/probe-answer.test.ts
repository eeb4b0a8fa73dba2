import { describe, expect, it } from 'vitest';
import { probeAnswer } from '../../../http/actors/probe-answer.ts';

describe('probeAnswer', () => {
  it('maps each HostControl answer to its HTTP answer', () => {
    expect(probeAnswer({ accepted: true, probeId: 'p' })).toEqual({ status: 202, probeId: 'p' });
    expect(
      probeAnswer({ accepted: false, reason: 'in-flight', retryAfterMs: 30_001 }),
    ).toMatchObject({ status: 409, kind: 'probe-in-flight', retryAfterS: 31 });
    expect(probeAnswer({ accepted: false, reason: 'debounce', retryAfterMs: 999 })).toMatchObject({
      status: 429,
      kind: 'probe-debounced',
      retryAfterS: 1,
    });
    expect(probeAnswer({ accepted: false, reason: 'paused', retryAfterMs: 0 })).toMatchObject({
      status: 409,
      kind: 'host-paused',
    });
    expect(probeAnswer({ accepted: false, reason: 'unknown-host', retryAfterMs: 0 })).toMatchObject(
      { status: 404, kind: 'no-actor' },
    );
  });

  it('never says Retry-After: 0, which would invite a refused retry at once', () => {
    const answer = probeAnswer({ accepted: false, reason: 'debounce', retryAfterMs: 0 });
    expect(answer).toMatchObject({ retryAfterS: 1 });
  });
});
