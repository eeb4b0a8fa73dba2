import { describe, expect, it } from 'vitest';
import { expandIdentityFile } from '../../../cli/hosts-identity.ts';

const context = {
  home: '/home/ops',
  localUser: 'ops',
  name: 'web1',
  address: 'web1.internal.example.net',
  port: 2222,
  remoteUser: 'deploy',
};

describe('expandIdentityFile', () => {
  it.each([
    ['~/.ssh/id_ed25519', '/home/ops/.ssh/id_ed25519'],
    ['~', '/home/ops'],
    ['%d/.ssh/%r@%h:%p', '/home/ops/.ssh/deploy@web1.internal.example.net:2222'],
    ['/keys/%n-%u', '/keys/web1-ops'],
    ['/keys/100%%', '/keys/100%'],
  ])('%s → %s', (file, expected) => {
    expect(expandIdentityFile(file, context)).toBe(expected);
  });

  it('resolves a relative path against the working directory, as ssh does', () => {
    expect(expandIdentityFile('keys/id', context)).toBe(`${process.cwd()}/keys/id`);
  });

  it('refuses what it cannot expand, naming it', () => {
    expect(() => expandIdentityFile('~root/.ssh/id', context)).toThrow('~user paths');
    expect(() => expandIdentityFile('/k/%C', context)).toThrow('the token %C is not supported');
    expect(() => expandIdentityFile('/k/%r', { ...context, remoteUser: null })).toThrow(
      '%r needs the host',
    );
  });
});
