import { describe, expect, it } from 'vitest';
import {
  expandRanges,
  HostPatternError,
  MAX_RANGE_HOSTS,
  splitHostPort,
} from '../../../cli/inventory/host-pattern.ts';
import { proxyCommandValue, proxyFromSshArgs } from '../../../cli/inventory/proxy.ts';
import { ShellWordsError, splitWords } from '../../../cli/inventory/shell-words.ts';

describe('host ranges (as Ansible expands them)', () => {
  it.each([
    ['web[01:03].example.net', ['web01.example.net', 'web02.example.net', 'web03.example.net']],
    ['db-[a:c]', ['db-a', 'db-b', 'db-c']],
    ['n[1:10:4]', ['n1', 'n5', 'n9']],
    ['r[1:2]-[x:y]', ['r1-x', 'r1-y', 'r2-x', 'r2-y']],
    ['h[:2]', ['h0', 'h1', 'h2']],
    ['plain.example.net', ['plain.example.net']],
  ])('%s', (pattern, hosts) => {
    expect(expandRanges(pattern)).toEqual(hosts);
  });

  it.each([
    ['web[01:3]', 'equal length'],
    ['web[5:1]', 'begin <= end'],
    ['web[1:]', 'must have an end'],
    ['web[1:2:3:4]', '[begin:end] or [begin:end:step]'],
    ['web[a:5]', 'numbers or letters'],
    [`web[0:${MAX_RANGE_HOSTS}]`, `more than ${MAX_RANGE_HOSTS} hosts`],
    ['a[0:99]b[0:999]', `more than ${MAX_RANGE_HOSTS} hosts`],
  ])('%s is refused', (pattern, message) => {
    expect(() => expandRanges(pattern)).toThrow(HostPatternError);
    expect(() => expandRanges(pattern)).toThrow(message);
  });
});

describe('host:port', () => {
  it.each([
    ['web01', { host: 'web01', port: null }],
    ['web01:2222', { host: 'web01', port: 2222 }],
    ['web[01:03]:2222', { host: 'web[01:03]', port: 2222 }],
    ['[2001:db8::1]:2200', { host: '2001:db8::1', port: 2200 }],
    ['[2001:db8::1]', { host: '2001:db8::1', port: null }],
    ['2001:db8::1', { host: '2001:db8::1', port: null }],
  ])('%s', (pattern, expected) => {
    expect(splitHostPort(pattern)).toEqual(expected);
  });

  it('refuses a port out of range or not a number', () => {
    expect(() => splitHostPort('web01:65536')).toThrow('out of range');
    expect(() => splitHostPort('web01:ssh')).toThrow('invalid port');
  });
});

describe('splitWords', () => {
  it('splits like shlex: quotes, escapes and comments', () => {
    expect(splitWords(`a 'b c' "d \\"e\\" \\n" f\\ g`)).toEqual(['a', 'b c', 'd "e" \\n', 'f g']);
    expect(splitWords('h1 x=1 # comment', 'anywhere')).toEqual(['h1', 'x=1']);
    expect(splitWords('h1 x=a#b', 'anywhere')).toEqual(['h1', 'x=a']);
    expect(splitWords('h1 x=a#b # c', 'word-start')).toEqual(['h1', 'x=a#b']);
    expect(splitWords("'#not a comment'", 'anywhere')).toEqual(['#not a comment']);
  });

  it('refuses unclosed quotes and a trailing backslash', () => {
    expect(() => splitWords("a 'b")).toThrow(ShellWordsError);
    expect(() => splitWords('a "b')).toThrow('no closing quotation');
    expect(() => splitWords('a \\')).toThrow('no escaped character');
  });
});

describe('jump hosts', () => {
  it.each([
    ['-J ops@bastion', { kind: 'jump', jump: 'ops@bastion' }],
    ['-Jbastion:2200', { kind: 'jump', jump: 'bastion:2200' }],
    ['-o StrictHostKeyChecking=no -o ProxyJump=b1,b2', { kind: 'jump', jump: 'b1,b2' }],
    ['-o "ProxyJump bastion"', { kind: 'jump', jump: 'bastion' }],
    ['-o ProxyJump=none', { kind: 'direct' }],
    [`-o ProxyCommand="ssh -W %h:%p -q gw"`, { kind: 'jump', jump: 'gw' }],
  ])('%s', (args, expected) => {
    expect(proxyFromSshArgs(args)).toEqual(expected);
  });

  it('no proxy option is no answer', () => {
    expect(proxyFromSshArgs('-o ControlMaster=auto -C')).toBeUndefined();
  });

  it.each([
    ['ssh -W %h:%p bastion', 'bastion'],
    ['/usr/bin/ssh -q -W %h:%p -l ops bastion -p 2200', 'ops@bastion:2200'],
    ['ssh -i ~/.ssh/jump -W %h:%p ops@bastion', 'ops@bastion'],
  ])('ProxyCommand %s', (command, jump) => {
    expect(proxyCommandValue(command)).toEqual({ kind: 'jump', jump });
  });

  it.each([
    'nc -x proxy:1080 %h %p',
    'ssh bastion nc %h %p',
    'ssh -W %h:22 bastion',
    'ssh -J a -W %h:%p b',
  ])('ProxyCommand %s is not a jump host', (command) => {
    expect(proxyCommandValue(command).kind).toBe('unsupported');
  });
});
