// OpenSSH client configuration (ssh_config(5)) as a host list: every literal name in a `Host`
// line is a host; patterns with wildcards or negations only carry settings. For each host the
// blocks that match it are applied in file order and, as ssh does, the first value obtained for
// a setting wins — which is why `Host *` defaults belong at the end of the file.
import { parsePort, HostPatternError } from './host-pattern.ts';
import { type ProxySetting, proxyCommandValue, proxyJumpValue } from './proxy.ts';
import { ShellWordsError, splitWords } from './shell-words.ts';
import {
  DEFAULT_FILE_NAME,
  DEFAULT_SSH_PORT,
  type InventoryHost,
  InventoryError,
  type ParseOptions,
} from './types.ts';
import { addressProblem, hostNameProblem, usernameProblem } from './validate.ts';

type Setting = 'hostname' | 'port' | 'user' | 'identityfile' | 'proxy';

interface Block {
  line: number;
  /** null: applies to every host (the lines before the first Host/Match, `Match all`). */
  matches: ((name: string, hostname: string) => boolean) | null;
  /** Lines that never apply (an unsupported Match): kept to be ignored, not applied. */
  inert: boolean;
  settings: Obtained[];
}

interface Obtained {
  key: Setting;
  /** The keyword as written, lowercased: ProxyJump and ProxyCommand share one setting. */
  keyword: string;
  value: string;
  line: number;
}

const SETTINGS: Record<string, Setting> = {
  hostname: 'hostname',
  port: 'port',
  user: 'user',
  identityfile: 'identityfile',
  proxyjump: 'proxy',
  proxycommand: 'proxy',
};

export function parseSshConfig(text: string, options: ParseOptions = {}): InventoryHost[] {
  const file = options.file ?? DEFAULT_FILE_NAME;
  const fail = (line: number, reason: string): never => {
    throw new InventoryError(file, line, reason);
  };
  const blocks: Block[] = [{ line: 1, matches: null, inert: false, settings: [] }];
  const names = new Map<string, number>();

  const lines = text.split('\n');
  for (let index = 0; index < lines.length; index++) {
    const lineNo = index + 1;
    const line = (lines[index] as string).trim();
    if (line === '' || line.startsWith('#')) continue;
    // `Keyword value…` or `Keyword=value…`.
    const match = /^([A-Za-z]+)(?:\s*=\s*|\s+)(.*)$/s.exec(line);
    if (!match) return fail(lineNo, `expected "Keyword value", got ${JSON.stringify(line)}`);
    const written = match[1] as string;
    const rest = match[2] as string;
    const keyword = written.toLowerCase();
    let args: string[];
    try {
      args = splitWords(rest, 'word-start');
    } catch (error) {
      if (!(error instanceof ShellWordsError)) throw error;
      return fail(lineNo, `cannot parse ${written}: ${error.message}`);
    }
    if (args.length === 0) fail(lineNo, `${written} needs a value`);

    if (keyword === 'host') {
      for (const pattern of args) {
        if (isLiteral(pattern) && !names.has(pattern)) {
          const problem = hostNameProblem(pattern);
          if (problem) fail(lineNo, problem);
          names.set(pattern, lineNo);
        }
      }
      blocks.push({ line: lineNo, matches: hostMatcher(args), inert: false, settings: [] });
    } else if (keyword === 'match') {
      const parsed = matchBlock(args);
      if (typeof parsed === 'string') {
        options.onNotice?.({
          line: lineNo,
          message: `Match ${args.join(' ')}: ${parsed}; the settings of this block are ignored`,
        });
        blocks.push({ line: lineNo, matches: () => false, inert: true, settings: [] });
      } else {
        blocks.push({ line: lineNo, matches: parsed, inert: false, settings: [] });
      }
    } else if (keyword === 'include') {
      options.onNotice?.({
        line: lineNo,
        message: `Include ${args.join(' ')} is not followed: import those files separately`,
      });
    } else {
      const setting = SETTINGS[keyword];
      const block = blocks[blocks.length - 1] as Block;
      if (setting) {
        // ProxyCommand's value is one command line; every other setting here takes one word.
        const value = keyword === 'proxycommand' ? rest.trim() : (args[0] as string);
        block.settings.push({ key: setting, keyword, value, line: lineNo });
      }
    }
  }

  const hosts: InventoryHost[] = [];
  for (const [name, line] of names) {
    const obtained = new Map<Setting, Obtained>();
    for (const block of blocks) {
      if (block.inert) continue;
      const hostname = obtained.get('hostname')?.value ?? name;
      if (block.matches && !block.matches(name, expandHostname(hostname, name))) continue;
      for (const s of block.settings) {
        if (!obtained.has(s.key)) obtained.set(s.key, s);
      }
    }
    const host = toHost(name, line, obtained, fail, options);
    if (host) hosts.push(host);
  }
  return hosts;
}

function toHost(
  name: string,
  line: number,
  obtained: ReadonlyMap<Setting, Obtained>,
  fail: (line: number, reason: string) => never,
  options: ParseOptions,
): InventoryHost | null {
  const hostname = obtained.get('hostname');
  const address = hostname ? expandHostname(hostname.value, name) : name;
  const addressIssue = addressProblem(address);
  if (addressIssue) fail(hostname?.line ?? line, addressIssue);

  let port = DEFAULT_SSH_PORT;
  const portSetting = obtained.get('port');
  if (portSetting) {
    try {
      port = parsePort(portSetting.value);
    } catch (error) {
      if (!(error instanceof HostPatternError)) throw error;
      fail(portSetting.line, `Port: ${error.message}`);
    }
  }

  const user = obtained.get('user');
  const userIssue = user ? usernameProblem(user.value) : null;
  if (user && userIssue) fail(user.line, userIssue);

  let proxyJump: string | null = null;
  const proxy = obtained.get('proxy');
  if (proxy) {
    const setting: ProxySetting =
      proxy.keyword === 'proxyjump' ? proxyJumpValue(proxy.value) : proxyCommandValue(proxy.value);
    if (setting.kind === 'unsupported') {
      options.onNotice?.({
        line: proxy.line,
        host: name,
        message: `${name} skipped: ${setting.reason}`,
      });
      return null;
    }
    proxyJump = setting.kind === 'jump' ? setting.jump : null;
  }

  return {
    name,
    address,
    port,
    username: user?.value ?? null,
    identityFile: obtained.get('identityfile')?.value ?? null,
    proxyJump,
    groups: [],
    labels: {},
  };
}

function isLiteral(pattern: string): boolean {
  return !/[*?!]/.test(pattern);
}

/** HostName's tokens: %h is the name given on the command line, %% a percent sign. */
function expandHostname(hostname: string, name: string): string {
  return hostname.replace(/%([%h])/g, (_, token: string) => (token === '%' ? '%' : name));
}

/** ssh_config pattern lists: any positive match, and no negated one. Case-insensitive. */
function hostMatcher(patterns: readonly string[]): (name: string) => boolean {
  const compiled = patterns.map((p) => ({
    negated: p.startsWith('!'),
    regex: globRegex(p.startsWith('!') ? p.slice(1) : p),
  }));
  return (name) => {
    let matched = false;
    for (const { negated, regex } of compiled) {
      if (!regex.test(name)) continue;
      if (negated) return false;
      matched = true;
    }
    return matched;
  };
}

function globRegex(pattern: string): RegExp {
  const body = pattern
    .split('')
    .map((ch) => (ch === '*' ? '.*' : ch === '?' ? '.' : ch.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
    .join('');
  return new RegExp(`^${body}$`, 'i');
}

/**
 * The Match criteria that depend only on the host: `all`, `host` (the HostName obtained so far)
 * and `originalhost` (the name), each optionally negated with `!`. Others (exec, user,
 * localuser, canonical, final, …) depend on where ssh runs; the reason is returned.
 */
function matchBlock(
  args: readonly string[],
): ((name: string, hostname: string) => boolean) | string {
  if (args.length === 1 && args[0]?.toLowerCase() === 'all') return () => true;
  const tests: ((name: string, hostname: string) => boolean)[] = [];
  for (let i = 0; i < args.length; i++) {
    const raw = args[i] as string;
    const negated = raw.startsWith('!');
    const criterion = (negated ? raw.slice(1) : raw).toLowerCase();
    if (criterion !== 'host' && criterion !== 'originalhost') {
      return `the "${criterion}" criterion depends on the machine ssh runs on`;
    }
    const list = args[++i];
    if (list === undefined) return `"${criterion}" needs a pattern list`;
    const matcher = hostMatcher(list.split(','));
    tests.push((name, hostname) => {
      const result = matcher(criterion === 'host' ? hostname : name);
      return negated ? !result : result;
    });
  }
  return (name, hostname) => tests.every((test) => test(name, hostname));
}
