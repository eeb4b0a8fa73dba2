import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ParseError, UnsupportedError } from '../../../collectors/errors.ts';
import { sectionsOf } from '../../../collectors/section.ts';
import type { Fact, Section, Sections } from '../../../collectors/types.ts';
import {
  type GroupFact,
  parseAuthorizedKeys,
  parseGetentGroup,
  parseGetentPasswd,
  type UserFact,
  usersCollector,
} from '../../../collectors/users.ts';

const shared = path.resolve(import.meta.dirname, '../../../../shared/fixtures/users');
const own = path.resolve(import.meta.dirname, '../../fixtures/users');
const ownFile = (name: string): string => readFileSync(path.join(own, name), 'utf8');
const sharedFile = (name: string): string => readFileSync(path.join(shared, name), 'utf8');

/** A recording made by running every command of the collector on one host. */
function recorded(prefix: string): Record<string, Partial<Section>> {
  const exits = JSON.parse(ownFile(`${prefix}__exit-codes.json`));
  const outputs: Record<string, Partial<Section>> = {};
  for (const { id } of usersCollector.commands) {
    const what = id.slice(id.indexOf('.') + 1);
    outputs[id] = {
      stdout: ownFile(`${prefix}__${what}.txt`),
      exitCode: exits[id].exitCode,
      stderrTail: exits[id].stderrTail,
    };
  }
  return outputs;
}

function parsed(sections: Sections): {
  users: Map<string, UserFact>;
  groups: Map<string, GroupFact>;
} {
  const facts = (usersCollector.parse(sections).facts ?? []) as Fact<UserFact | GroupFact>[];
  const users = new Map<string, UserFact>();
  const groups = new Map<string, GroupFact>();
  for (const fact of facts) {
    expect(fact.key).toBe(fact.value.name);
    if (fact.kind === 'user') users.set(fact.key, fact.value as UserFact);
    else if (fact.kind === 'group') groups.set(fact.key, fact.value as GroupFact);
    else throw new Error(`unexpected kind ${fact.kind}`);
  }
  return { users, groups };
}

describe('Debian 12 recording (keys section run as root)', () => {
  const { users, groups } = parsed(sectionsOf(recorded('debian-12')));

  it('has exactly the users of getent passwd and the groups of getent group', () => {
    const names = (file: string): string[] =>
      ownFile(file)
        .trim()
        .split('\n')
        .map((line) => line.split(':')[0] ?? '');
    expect(users.size).toBe(26);
    expect([...users.keys()].sort()).toEqual(names('debian-12__passwd.txt').sort());
    expect(groups.size).toBe(53);
    expect([...groups.keys()].sort()).toEqual(names('debian-12__group.txt').sort());
  });

  it('builds each user from passwd, group membership and the keys section', () => {
    expect(users.get('root')).toEqual({
      name: 'root',
      uid: 0,
      gid: 0,
      gecos: 'root',
      home: '/root',
      shell: '/bin/bash',
      groups: ['root'],
      sudo: false,
      loginShell: true,
      // As root the probe could look: no authorized_keys, no authorized_keys2.
      authorizedKeys: [],
    });
    expect(users.get('postgres')).toMatchObject({
      gecos: 'PostgreSQL administrator,,,',
      groups: ['postgres', 'ssl-cert'],
      loginShell: true,
    });
    expect(users.get('sync')).toMatchObject({ shell: '/bin/sync', loginShell: false });
    expect(users.get('www-data')).toMatchObject({ uid: 33, loginShell: false });
    // _apt's primary gid 65534 is nogroup.
    expect(users.get('_apt')?.groups).toEqual(['nogroup']);
  });

  it('reads groups with their members', () => {
    expect(groups.get('ssl-cert')).toEqual({ name: 'ssl-cert', gid: 103, members: ['postgres'] });
    expect(groups.get('sudo')).toEqual({ name: 'sudo', gid: 27, members: [] });
  });

  it('never reads shadow files or password hashes', () => {
    for (const command of usersCollector.commands) {
      expect(command.command).not.toMatch(/shadow|getent (shadow|gshadow)/);
    }
    expect([...users.values()].some((user) => 'password' in user)).toBe(false);
  });

  it('is byte-identical when parsed twice', () => {
    const again = parsed(sectionsOf(recorded('debian-12')));
    expect(JSON.stringify([...again.users])).toBe(JSON.stringify([...users]));
  });
});

describe('keys section run as an unprivileged user (nobody)', () => {
  const { users } = parsed(
    sectionsOf({
      ...recorded('debian-12'),
      'users.authorized-keys': ownFile('debian-12-as-nobody__authorized-keys.txt'),
    }),
  );

  it('marks keys unknown where the home could not be looked into', () => {
    // /root is mode 700: nobody cannot tell whether /root/.ssh/authorized_keys exists.
    expect(users.get('root')?.authorizedKeys).toBeNull();
    // /home/cloudsdk is world-searchable and has no .ssh: certainly no keys.
    expect(users.get('cloudsdk')?.authorizedKeys).toEqual([]);
  });
});

describe('keys section over crafted homes (real ssh-keygen 9.2 output)', () => {
  const keys = parseAuthorizedKeys(ownFile('crafted-homes__authorized-keys.txt'));

  it('reads type, bits, fingerprint and comment of each key', () => {
    expect(keys.get('alice')).toEqual([
      {
        type: 'RSA',
        bits: 3072,
        fingerprint: 'SHA256:0ULymViFRY622NG2R0o9Ye3SaaVE6szGwsNX3/w46ZA',
        comment: 'deploy key with spaces',
        file: 'authorized_keys',
      },
      {
        type: 'ED25519',
        bits: 256,
        fingerprint: 'SHA256:Xzose45t8iZWdAJl91X+tMSfptgmgKuVSddfVVTGof4',
        comment: 'alice@laptop',
        file: 'authorized_keys',
      },
      {
        // This key has no comment; ssh-keygen 9.2 repeats the previous line's comment.
        type: 'ECDSA',
        bits: 256,
        fingerprint: 'SHA256:zZ5pbF3ic62ANS6tEf5kuKIUXPInuPhz6vfLxV0NjKI',
        comment: 'deploy key with spaces',
        file: 'authorized_keys',
      },
    ]);
  });

  it('tells no keys, unknown and keys in authorized_keys2 apart', () => {
    // An empty file: ssh-keygen exits 255 without output.
    expect(keys.get('bob')).toEqual([]);
    // A symlinked authorized_keys is not followed: unknown, not "none".
    expect(keys.has('carol')).toBe(false);
    expect(keys.get('dave')).toEqual([
      {
        type: 'ED25519',
        bits: 256,
        fingerprint: 'SHA256:Xzose45t8iZWdAJl91X+tMSfptgmgKuVSddfVVTGof4',
        comment: 'alice@laptop',
        file: 'authorized_keys2',
      },
    ]);
    // A home that does not exist.
    expect(keys.get('erin')).toEqual([]);
  });

  it('gives the users of the crafted passwd their keys', () => {
    const { users } = parsed(
      sectionsOf({
        'users.passwd': ownFile('crafted-homes__passwd.txt'),
        'users.group': 'alice:x:2001:\nwheel:x:10:dave\n',
        'users.authorized-keys': ownFile('crafted-homes__authorized-keys.txt'),
      }),
    );
    expect(users.get('carol')?.authorizedKeys).toBeNull();
    expect(users.get('alice')?.authorizedKeys).toHaveLength(3);
    expect(users.get('dave')).toMatchObject({ sudo: true, groups: ['2004', 'wheel'] });
    expect(users.get('erin')).toMatchObject({ loginShell: false, authorizedKeys: [] });
  });
});

describe('CentOS 7.7 and Ubuntu 18.04 passwd/group', () => {
  it('finds wheel members as sudoers (CentOS)', () => {
    const { users, groups } = parsed(
      sectionsOf({
        'users.passwd': sharedFile('centos-7.7__jc_passwd.txt'),
        'users.group': sharedFile('centos-7.7__jc_group.txt'),
        'users.authorized-keys': { exitCode: 127 },
      }),
    );
    expect(users.size).toBe(21);
    // The group file has no final newline.
    expect(groups.get('dockerroot')).toEqual({ name: 'dockerroot', gid: 994, members: [] });
    expect(users.get('joeuser')).toEqual({
      name: 'joeuser',
      uid: 1000,
      gid: 1000,
      gecos: 'joeuser',
      home: '/home/joeuser',
      shell: '/bin/bash',
      groups: ['joeuser', 'wheel'],
      sudo: true,
      loginShell: true,
      // Without ssh-keygen the keys are unknown.
      authorizedKeys: null,
    });
    expect(users.get('halt')).toMatchObject({ shell: '/sbin/halt', loginShell: false });
    expect(users.get('root')?.sudo).toBe(false);
  });

  it('finds sudo members as sudoers (Ubuntu)', () => {
    const { users } = parsed(
      sectionsOf({
        'users.passwd': sharedFile('ubuntu-18.04__jc_passwd.txt'),
        'users.group': sharedFile('ubuntu-18.04__jc_group.txt'),
        'users.authorized-keys': { exitCode: 1 },
      }),
    );
    expect(users.size).toBe(30);
    expect(users.get('joeuser')).toMatchObject({
      gecos: 'Joe User',
      sudo: true,
      groups: ['adm', 'cdrom', 'dip', 'joeuser', 'lxd', 'plugdev', 'sudo'],
    });
    expect(users.get('lxd')).toMatchObject({ shell: '/bin/false', loginShell: false });
  });
});

describe('hostile or broken output', () => {
  const base = recorded('debian-12');
  const withPasswd = (stdout: string): Sections => sectionsOf({ ...base, 'users.passwd': stdout });

  it('rejects control characters, invalid UTF-8 and overlong names', () => {
    expect(() => parsed(withPasswd('ro\u0000ot:x:0:0:root:/root:/bin/bash\n'))).toThrow(ParseError);
    expect(() => parsed(withPasswd('r\ufffdot:x:0:0:root:/root:/bin/bash\n'))).toThrow(ParseError);
    expect(() => parsed(withPasswd(`${'u'.repeat(300)}:x:0:0::/:/bin/sh\n`))).toThrow(ParseError);
  });

  it('rejects cut or garbled lines and an empty account list', () => {
    expect(() => parsed(withPasswd('root:x:0:0:root:/root\n'))).toThrow(ParseError);
    expect(() => parsed(withPasswd('root:x:zero:0:root:/root:/bin/bash\n'))).toThrow(ParseError);
    expect(() => parsed(withPasswd(''))).toThrow(ParseError);
    expect(() => parseGetentGroup('sudo:x:27\n')).toThrow(ParseError);
  });

  it('rejects a keys section that ends inside a frame or has a foreign line', () => {
    expect(() =>
      parseAuthorizedKeys('@keys authorized_keys root\n256 SHA256:x c (ED25519)\n'),
    ).toThrow(ParseError);
    expect(() => parseAuthorizedKeys('@keys authorized_keys root\nroot:x:0:0\n@end 0\n')).toThrow(
      ParseError,
    );
    expect(() => parseAuthorizedKeys('@owned authorized_keys root\n')).toThrow(ParseError);
  });

  it('fails without passwd and skips NIS compat markers', () => {
    const missing = sectionsOf({ ...base, 'users.passwd': { exitCode: 127 } });
    expect(() => parsed(missing)).toThrow(UnsupportedError);
    expect(parseGetentPasswd('root:x:0:0::/root:/bin/sh\n+::::::\n').map((e) => e.name)).toEqual([
      'root',
    ]);
  });
});
