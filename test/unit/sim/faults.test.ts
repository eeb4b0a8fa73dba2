import { describe, expect, it } from 'vitest';
import { parseFaultSpec } from '../../sim/faults.ts';

describe('parseFaultSpec', () => {
  it('reads hosts, ranges, arguments, and accumulates faults per host', () => {
    const faults = parseFaultSpec(
      '0:hang,1-3:slow=250,2:tool-missing=listeners,4:garbage=random,5:garbage=users+os,' +
        '6:oversized=1048576,7:sudo-refused=no-sudo,8:disconnect=0.25,9:auth-failure',
    );
    expect(faults.get(0)).toEqual([{ type: 'hang' }]);
    expect(faults.get(1)).toEqual([{ type: 'slow', ms: 250 }]);
    expect(faults.get(2)).toEqual([
      { type: 'slow', ms: 250 },
      { type: 'tool-missing', collector: 'listeners' },
    ]);
    expect(faults.get(4)).toEqual([{ type: 'garbage', mode: 'random' }]);
    expect(faults.get(5)).toEqual([
      { type: 'garbage', mode: 'sections', collectors: ['users', 'os'] },
    ]);
    expect(faults.get(6)).toEqual([{ type: 'oversized', bytes: 1048576 }]);
    expect(faults.get(7)).toEqual([{ type: 'sudo-refused', variant: 'no-sudo' }]);
    expect(faults.get(8)).toEqual([{ type: 'disconnect', fraction: 0.25 }]);
    expect(faults.get(9)).toEqual([{ type: 'auth-failure' }]);
    expect(faults.has(10)).toBe(false);
  });

  it('rejects unknown faults and malformed items', () => {
    expect(() => parseFaultSpec('0:explode')).toThrow(/unknown fault/);
    expect(() => parseFaultSpec('x:hang')).toThrow(/bad fault item/);
    expect(() => parseFaultSpec('0:tool-missing')).toThrow(/needs a collector/);
  });
});
