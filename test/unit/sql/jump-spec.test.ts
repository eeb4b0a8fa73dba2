import { describe, expect, it } from 'vitest';
import { JumpHostError } from '../../../collectors/transport.ts';
import { parseJumpSpec } from '../../../sql/jump-hosts.ts';

describe('parseJumpSpec (ssh ProxyJump syntax)', () => {
  it('reads user, host and port of each hop, first hop first', () => {
    expect(parseJumpSpec('bastion')).toEqual([{ user: null, host: 'bastion', port: null }]);
    expect(parseJumpSpec('ops@gw.example.net:2222, [fd00::1]:22,10.0.0.5')).toEqual([
      { user: 'ops', host: 'gw.example.net', port: 2222 },
      { user: null, host: 'fd00::1', port: 22 },
      { user: null, host: '10.0.0.5', port: null },
    ]);
  });

  it.each([
    ['', 'empty'],
    ['a b', 'a space'],
    ['host:0', 'port 0'],
    ['host:65536', 'a port beyond 65535'],
    ['user@', 'no host'],
    ['a,,b', 'an empty hop'],
    ['a,b,c,d,e', 'five hops'],
  ])('refuses %j (%s) with a JumpHostError', (spec) => {
    expect(() => parseJumpSpec(spec)).toThrow(JumpHostError);
  });

  it('takes an option-like value as a name: it is only looked up, never given to a shell', () => {
    expect(parseJumpSpec('-oProxyCommand=sh')).toEqual([
      { user: null, host: '-oProxyCommand=sh', port: null },
    ]);
  });
});
