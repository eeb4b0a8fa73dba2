// The users collector: accounts and groups as NSS resolves them (getent), with each user's
// SSH authorized keys (fingerprints only). Never reads /etc/shadow or any password hash.
import { ParseError } from './errors.ts';
import { count, identifier, text } from './sanitize.ts';
import { okOutput, optionalOutput } from './section.ts';
import type { Collector, CollectorOutput, Fact, Sections } from './types.ts';

export type AuthorizedKey = {
  /** As ssh-keygen prints it: ED25519, RSA, ECDSA, ED25519-SK… */
  readonly type: string;
  readonly bits: number;
  /** `SHA256:…` (or `aa:bb:…` MD5 from OpenSSH < 6.8). */
  readonly fingerprint: string;
  /** null when the key has none (ssh-keygen prints "no comment"). */
  readonly comment: string | null;
  /** Which file under ~/.ssh it is in; sshd reads both by default. */
  readonly file: AuthorizedKeysFile;
};

export const authorizedKeysFiles = ['authorized_keys', 'authorized_keys2'] as const;
export type AuthorizedKeysFile = (typeof authorizedKeysFiles)[number];

export type UserFact = {
  readonly name: string;
  readonly uid: number;
  readonly gid: number;
  readonly gecos: string;
  readonly home: string;
  readonly shell: string;
  /** Primary group and every group listing the user as a member, sorted. A primary gid with
   * no group entry appears as its number, like `id -Gn` prints it. */
  readonly groups: readonly string[];
  /** Member of sudo, wheel or admin (the groups distributions grant sudo to). */
  readonly sudo: boolean;
  /** false for nologin/false-style shells that refuse interactive logins. */
  readonly loginShell: boolean;
  /** null = unknown (not readable with the probe's privileges, or ssh-keygen missing);
   * [] = known to have none. Sorted by file then fingerprint. */
  readonly authorizedKeys: readonly AuthorizedKey[] | null;
};

export type GroupFact = {
  readonly name: string;
  readonly gid: number;
  /** Supplementary members as listed in the group entry, sorted. */
  readonly members: readonly string[];
};

export const USER_KIND = 'user';
export const GROUP_KIND = 'group';

// getent answers for every NSS source (LDAP, SSSD…); minimal containers may lack it, and the
// local files hold no password hashes (those are in shadow/gshadow, never read).
const PASSWD_COMMAND =
  'if command -v getent >/dev/null 2>&1; then getent passwd; else cat /etc/passwd; fi';
const GROUP_COMMAND =
  'if command -v getent >/dev/null 2>&1; then getent group; else cat /etc/group; fi';

/**
 * For each account and each of ~/.ssh/authorized_keys{,2}, one frame line:
 *   `@keys <file> <user>` + ssh-keygen's fingerprint lines + `@end <exit status>`
 *   `@absent <file> <user>`   the file certainly does not exist
 *   (nothing)                  not readable, or existence cannot be told: unknown
 * Frame lines start with `@` and fingerprint lines with a digit, and authorized_keys is
 * line-based, so a key comment cannot forge a frame. Symlinked files are not followed: as
 * root that could read any file on the host. Paths are quoted variables, never command text.
 */
const AUTHORIZED_KEYS_COMMAND =
  'command -v ssh-keygen >/dev/null 2>&1 || exit 127; ' +
  '{ getent passwd 2>/dev/null || cat /etc/passwd; } | while IFS=: read -r u _ _ _ _ h _; do ' +
  '[ -n "$u" ] && [ -n "$h" ] || continue; d="$h/.ssh"; ' +
  'for n in authorized_keys authorized_keys2; do f="$d/$n"; ' +
  'if [ -f "$f" ] && [ ! -L "$f" ] && [ -r "$f" ]; then ' +
  'echo "@keys $n $u"; ssh-keygen -lf "$f" </dev/null 2>/dev/null; echo "@end $?"; ' +
  'elif [ -e "$f" ] || [ -L "$f" ]; then :; ' +
  'elif { [ -d "$d" ] && [ -x "$d" ]; } || { [ ! -e "$d" ] && [ -d "$h" ] && [ -x "$h" ]; } || ' +
  '{ [ ! -e "$h" ] && [ -x "${h%/*}/" ]; }; then echo "@absent $n $u"; fi; done; done';

export const usersCollector: Collector = {
  name: 'users',
  description: 'Local and directory users and groups, sudo membership, SSH authorized keys',
  kinds: [USER_KIND, GROUP_KIND],
  commands: [
    { id: 'users.passwd', command: PASSWD_COMMAND, why: 'User accounts (no password hashes)' },
    { id: 'users.group', command: GROUP_COMMAND, why: 'Groups and their members' },
    {
      id: 'users.authorized-keys',
      command: AUTHORIZED_KEYS_COMMAND,
      root: 'preferred',
      why: 'Fingerprints of the SSH keys that may log in as each user (as root: every home)',
    },
  ],
  parse: parseUsers,
};

function parseUsers(sections: Sections): CollectorOutput {
  const passwd = parseGetentPasswd(okOutput(sections, 'users.passwd'));
  const groups = parseGetentGroup(okOutput(sections, 'users.group'));
  // Keys are an extra: without ssh-keygen, or when the section failed, they are unknown (null).
  const keysOutput = optionalOutput(sections, 'users.authorized-keys');
  const keys = keysOutput === undefined ? new Map() : parseAuthorizedKeys(keysOutput);
  const facts: Fact[] = [
    ...buildUsers(passwd, groups, keys).map((value) => ({
      kind: USER_KIND,
      key: value.name,
      value,
    })),
    ...groups.map((value) => ({ kind: GROUP_KIND, key: value.name, value })),
  ];
  return { facts };
}

export type PasswdEntry = {
  readonly name: string;
  readonly uid: number;
  readonly gid: number;
  readonly gecos: string;
  readonly home: string;
  readonly shell: string;
};

/** passwd(5) lines; the first entry of a name wins, as in getpwnam. Sorted by name. */
export function parseGetentPasswd(stdout: string): PasswdEntry[] {
  const entries = new Map<string, PasswdEntry>();
  for (const line of stdout.split('\n')) {
    if (line === '') continue;
    const fields = line.split(':');
    if (fields.length !== 7)
      throw new ParseError(`passwd: expected 7 fields, got ${fields.length}`);
    const [name, , uid, gid, gecos, home, shell] = fields as [
      string,
      string,
      string,
      string,
      string,
      string,
      string,
    ];
    // NIS compat markers (`+`, `+@netgroup`, `-user`) are not accounts.
    if (/^[+-]/.test(name)) continue;
    const entry: PasswdEntry = {
      name: identifier(name, 'user name'),
      uid: count(uid, `uid of ${name}`),
      gid: count(gid, `gid of ${name}`),
      gecos: text(gecos),
      home: text(home),
      shell: text(shell),
    };
    if (!entries.has(entry.name)) entries.set(entry.name, entry);
  }
  if (entries.size === 0) throw new ParseError('passwd: no accounts (not even root)');
  return [...entries.values()].sort(byName);
}

/** group(5) lines; the first entry of a name wins, as in getgrnam. Sorted by name. */
export function parseGetentGroup(stdout: string): GroupFact[] {
  const groups = new Map<string, GroupFact>();
  for (const line of stdout.split('\n')) {
    if (line === '') continue;
    const fields = line.split(':');
    if (fields.length !== 4) throw new ParseError(`group: expected 4 fields, got ${fields.length}`);
    const [name, , gid, members] = fields as [string, string, string, string];
    if (/^[+-]/.test(name)) continue;
    const group: GroupFact = {
      name: identifier(name, 'group name'),
      gid: count(gid, `gid of group ${name}`),
      members: [
        ...new Set(
          members
            .split(',')
            .filter(Boolean)
            .map((member) => identifier(member, `member of ${name}`)),
        ),
      ].sort(),
    };
    if (!groups.has(group.name)) groups.set(group.name, group);
  }
  if (groups.size === 0) throw new ParseError('group: no groups (not even root)');
  return [...groups.values()].sort(byName);
}

const SUDO_GROUPS = new Set(['sudo', 'wheel', 'admin']);
const NO_LOGIN_SHELLS = new Set(['nologin', 'false', 'true', 'sync', 'shutdown', 'halt']);

export function buildUsers(
  passwd: readonly PasswdEntry[],
  groups: readonly GroupFact[],
  keys: ReadonlyMap<string, readonly AuthorizedKey[]>,
): UserFact[] {
  const groupByGid = new Map<number, string>();
  for (const group of groups) if (!groupByGid.has(group.gid)) groupByGid.set(group.gid, group.name);
  const membership = new Map<string, Set<string>>();
  for (const group of groups) {
    for (const member of group.members) {
      const set = membership.get(member) ?? new Set<string>();
      set.add(group.name);
      membership.set(member, set);
    }
  }
  return passwd.map((entry) => {
    const names = new Set(membership.get(entry.name));
    names.add(groupByGid.get(entry.gid) ?? String(entry.gid));
    const userGroups = [...names].sort();
    const shellName = entry.shell.slice(entry.shell.lastIndexOf('/') + 1);
    return {
      ...entry,
      groups: userGroups,
      sudo: userGroups.some((group) => SUDO_GROUPS.has(group)),
      // An empty shell field means /bin/sh to login(1).
      loginShell: !NO_LOGIN_SHELLS.has(shellName),
      authorizedKeys: keys.get(entry.name) ?? null,
    };
  });
}

const KEY_LINE = /^(\d{1,5}) (\S+) (.*) \(([A-Z0-9-]{1,32})\)$/;

/**
 * The authorized-keys section → keys per user, only for users whose every authorized_keys
 * file is known (read, or certainly absent). ssh-keygen exits 255 with no output for a file
 * without any valid key: that user has none, like sshd would see it.
 */
export function parseAuthorizedKeys(stdout: string): Map<string, AuthorizedKey[]> {
  const known = new Map<string, Map<AuthorizedKeysFile, AuthorizedKey[]>>();
  let open: { user: string; file: AuthorizedKeysFile; keys: AuthorizedKey[] } | null = null;
  const record = (user: string, file: AuthorizedKeysFile, keys: AuthorizedKey[]): void => {
    const files = known.get(user) ?? new Map<AuthorizedKeysFile, AuthorizedKey[]>();
    files.set(file, keys);
    known.set(user, files);
  };
  for (const line of stdout.split('\n')) {
    if (line === '') continue;
    if (open) {
      const end = /^@end (\d+)$/.exec(line)?.[1];
      if (end !== undefined) {
        if (end === '0' || end === '255') record(open.user, open.file, open.keys);
        open = null;
        continue;
      }
      open.keys.push(parseKeyLine(line, open.file));
      continue;
    }
    const frame = /^@(keys|absent) (authorized_keys2?) (.+)$/.exec(line);
    if (!frame?.[1] || !frame[3]) {
      throw new ParseError(`authorized keys: unexpected line ${JSON.stringify(line.slice(0, 60))}`);
    }
    const file = frame[2] as AuthorizedKeysFile;
    const user = identifier(frame[3], 'user name');
    if (frame[1] === 'keys') open = { user, file, keys: [] };
    else record(user, file, []);
  }
  if (open) throw new ParseError('authorized keys: output ends inside a frame');
  const result = new Map<string, AuthorizedKey[]>();
  for (const [user, files] of known) {
    if (!authorizedKeysFiles.every((file) => files.has(file))) continue;
    result.set(user, [...files.values()].flat().sort(compareKeys));
  }
  return result;
}

function parseKeyLine(line: string, file: AuthorizedKeysFile): AuthorizedKey {
  const match = KEY_LINE.exec(line);
  if (!match?.[1] || !match[2] || match[3] === undefined || !match[4]) {
    throw new ParseError(`authorized keys: unexpected line ${JSON.stringify(line.slice(0, 60))}`);
  }
  const comment = text(match[3]);
  return {
    type: match[4],
    bits: Number(match[1]),
    fingerprint: identifier(match[2], 'key fingerprint'),
    comment: comment === 'no comment' || comment === '' ? null : comment,
    file,
  };
}

function compareKeys(a: AuthorizedKey, b: AuthorizedKey): number {
  const left = `${a.file} ${a.fingerprint} ${a.comment ?? ''}`;
  const right = `${b.file} ${b.fingerprint} ${b.comment ?? ''}`;
  return left < right ? -1 : left > right ? 1 : 0;
}

function byName(a: { name: string }, b: { name: string }): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}
