import { describe, expect, it } from 'vitest';
import { collect, describeIssue, parseInteger, parseLabels } from '../../../cli/hosts-args.ts';
import { registrationFlags } from '../../../cli/hosts.ts';
import { registerHostSchema } from '../../../http/hosts/hosts.schemas.ts';

const issues = (body: Record<string, unknown>) => {
  const parsed = registerHostSchema.safeParse({
    name: 'web1',
    address: '192.0.2.10',
    username: 'ops',
    credential: { type: 'agent' },
    ...body,
  });
  if (parsed.success) throw new Error('expected the body to be refused');
  return parsed.error.issues;
};

describe('repeated options and labels', () => {
  it('collects every occurrence in order', () => {
    expect(collect('b', collect('a'))).toEqual(['a', 'b']);
  });

  it('splits key=value at the first =, keeping = in values', () => {
    expect(parseLabels(['env=prod', 'query=a=b', 'empty='])).toEqual({
      env: 'prod',
      query: 'a=b',
      empty: '',
    });
    expect(parseLabels(undefined)).toEqual({});
  });

  it.each([['env'], ['=prod']])('refuses %j in one line', (value) => {
    expect(() => parseLabels([value])).toThrow(`--label must be key=value, got "${value}"`);
  });

  it('refuses a key given twice', () => {
    expect(() => parseLabels(['env=a', 'env=b'])).toThrow('--label env is given twice');
  });

  it('reads whole numbers only', () => {
    expect(parseInteger('2222', '--port')).toBe(2222);
    for (const bad of ['22x', '-1', '1.5', '', '0x16']) {
      expect(() => parseInteger(bad, '--port')).toThrow(/^--port must be a whole number/);
    }
  });
});

describe('the API schema’s issues, told by flag', () => {
  it.each([
    [{ port: 70000 }, 'invalid --port: Too big: expected number to be <=65535'],
    [{ address: 'a b' }, 'invalid --address: a host name or an IP address'],
    [{ hostKeyPolicy: 'trust' }, 'invalid --host-key-policy: Invalid option: expected one of'],
    [{ labels: { 'bad key': 'v' } }, 'invalid --label bad key: letters, digits and ._/- (max 63)'],
    [{ labels: { env: 'a\u0007' } }, 'invalid --label env: must not contain control characters'],
    [{ groups: ['a b'] }, 'invalid --group: letters, digits and ._- (max 63)'],
    [
      { credential: { type: 'privateKey', privateKey: 'not a key' } },
      'invalid --key-file: not a private key in a format ssh2 reads (OpenSSH, PEM or PuTTY)',
    ],
    [{ credential: { id: 'nope' } }, 'invalid --credential: Invalid UUID'],
  ])('%j', (body, line) => {
    expect(describeIssue(issues(body), registrationFlags)).toContain(line);
  });

  it('never repeats the refused value', () => {
    const secret = 'hunter2-not-a-key';
    const line = describeIssue(
      issues({ credential: { type: 'privateKey', privateKey: secret } }),
      registrationFlags,
    );
    expect(line).not.toContain(secret);
  });
});
