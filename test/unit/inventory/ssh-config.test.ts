import { describe, expect, it } from 'vitest';
import { parseSshConfig } from '../../../cli/inventory/ssh-config.ts';
import { InventoryError, type InventoryNotice } from '../../../cli/inventory/types.ts';
import { byName, fixture, sshReference } from './fixtures.ts';

const notices: InventoryNotice[] = [];
const hosts = parseSshConfig(fixture('ssh_config'), {
  file: 'ssh_config',
  onNotice: (n) => notices.push(n),
});
const host = byName(hosts);

describe('ssh_config', () => {
  it('has every literal Host name and no pattern', () => {
    expect(hosts.map((h) => h.name)).toEqual([
      'bastion',
      'web1',
      'web2',
      'db-primary',
      'git.example.net',
    ]);
  });

  it('resolves each host exactly as `ssh -G` does (first obtained value wins)', () => {
    for (const [name, options] of sshReference()) {
      if (name === 'legacy-nas') continue;
      const got = host.get(name);
      expect(got, name).toBeDefined();
      const first = (key: string) => options.get(key)?.[0];
      expect(got?.address, name).toBe(first('hostname'));
      expect(String(got?.port), name).toBe(first('port'));
      expect(got?.username, name).toBe(first('user'));
      expect(got?.identityFile, name).toBe(first('identityfile'));
      const jump = first('proxyjump');
      const command = first('proxycommand');
      if (jump) expect(got?.proxyJump, name).toBe(jump);
      else if (command) expect(`ssh -W %h:%p -q ${got?.proxyJump}`, name).toBe(command);
      else expect(got?.proxyJump, name).toBeNull();
    }
  });

  it('turns ProxyCommand ssh -W into a jump host and uses Match host on the HostName', () => {
    expect(host.get('db-primary')).toEqual({
      name: 'db-primary',
      address: '10.20.0.11',
      port: 2222,
      username: 'postgres-admin',
      identityFile: '~/.ssh/db_ed25519',
      proxyJump: 'ops@bastion.example.net',
      groups: [],
      labels: {},
    });
  });

  it('reports what it could not follow, with lines, and skips the nc-proxied host', () => {
    expect(notices).toEqual([
      {
        line: 2,
        message: 'Include ~/.ssh/config.d/* is not followed: import those files separately',
      },
      {
        line: 31,
        message:
          'Match exec test -f /nonexistent/hostintel-vpn-up: the "exec" criterion depends on the machine ssh runs on; the settings of this block are ignored',
      },
      {
        line: 21,
        host: 'legacy-nas',
        message:
          'legacy-nas skipped: ProxyCommand "nc -X 5 -x proxy.example.net:1080 %h %p" is not "ssh -W %h:%p <jump host>"',
      },
    ]);
  });

  it('accepts Keyword=value, quoted values and `ProxyJump none`', () => {
    const text =
      'Host=a\n  HostName = "192.0.2.1"\n  ProxyJump none\nHost *\n  ProxyJump bastion\n';
    expect(parseSshConfig(text)[0]).toMatchObject({ address: '192.0.2.1', proxyJump: null });
  });

  it('treats Match all and negated patterns as ssh does', () => {
    const text = [
      'Host a b',
      'Host * !b',
      '  User alice',
      'Match all',
      '  User bob',
      '  Port 2022',
    ].join('\n');
    const parsed = byName(parseSshConfig(text));
    expect(parsed.get('a')).toMatchObject({ username: 'alice', port: 2022 });
    expect(parsed.get('b')).toMatchObject({ username: 'bob', port: 2022 });
  });
});

describe('invalid files are rejected whole, with the line', () => {
  it.each([
    ['broken-port.ssh_config', 6, 'Port: invalid port "ssh"'],
    ['broken-user.ssh_config', 3, '"web admin" is not a valid user name'],
  ])('%s: line %i', (name, line, message) => {
    let error: unknown;
    try {
      parseSshConfig(fixture(name), { file: name });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InventoryError);
    expect((error as InventoryError).line).toBe(line);
    expect((error as InventoryError).message).toContain(`${name}:${line}: ${message}`);
  });

  it('an unclosed quote and a keyword without a value', () => {
    expect(() => parseSshConfig('Host a\n  HostName "x\n')).toThrow(
      'inventory:2: cannot parse HostName',
    );
    expect(() => parseSshConfig('Host a\n  User\n')).toThrow(
      'inventory:2: expected "Keyword value"',
    );
  });
});
