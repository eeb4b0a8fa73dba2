// Jump hosts as inventories spell them: ssh's ProxyJump / -J, or the older
// `ProxyCommand ssh -W %h:%p bastion`, which is the same thing. Any other ProxyCommand runs a
// program hostintel cannot run, so such a host cannot be imported faithfully.
import { ShellWordsError, splitWords } from './shell-words.ts';

export type ProxySetting =
  | { kind: 'jump'; jump: string }
  /** Explicitly no proxy (`ProxyJump none`). */
  | { kind: 'direct' }
  | { kind: 'unsupported'; reason: string };

// ssh(1) options that take an argument; every other single letter is a flag.
const SSH_OPTIONS_WITH_ARG = new Set('BbcDEeFIiJLlmOoPpQRSWw'.split(''));

/** A ProxyJump value: `none` means direct. */
export function proxyJumpValue(value: string): ProxySetting {
  return value.toLowerCase() === 'none' ? { kind: 'direct' } : { kind: 'jump', jump: value };
}

/** A ProxyCommand value: only `ssh [options] -W %h:%p destination` can be a jump host. */
export function proxyCommandValue(command: string): ProxySetting {
  if (command.toLowerCase() === 'none') return { kind: 'direct' };
  let argv: string[];
  try {
    argv = splitWords(command);
  } catch (error) {
    return { kind: 'unsupported', reason: `ProxyCommand cannot be parsed: ${String(error)}` };
  }
  const unsupported = {
    kind: 'unsupported',
    reason: `ProxyCommand ${JSON.stringify(command)} is not "ssh -W %h:%p <jump host>"`,
  } as const;
  const program = argv[0];
  if (program === undefined || !/(^|\/)ssh$/.test(program)) return unsupported;
  let forward: string | undefined;
  let user: string | undefined;
  let port: string | undefined;
  const rest: string[] = [];
  for (let i = 1; i < argv.length; i++) {
    const arg = argv[i] as string;
    // ssh takes options after the destination too; other words would be a remote command.
    if (!arg.startsWith('-') || arg === '-') {
      rest.push(arg);
      continue;
    }
    // Bundled flags (-qT), then possibly one option with its argument (-p22 or -p 22).
    for (let j = 1; j < arg.length; j++) {
      const letter = arg[j] as string;
      if (!SSH_OPTIONS_WITH_ARG.has(letter)) continue;
      let value = arg.slice(j + 1);
      if (value === '') value = argv[++i] ?? '';
      if (letter === 'W') forward = value;
      else if (letter === 'l') user = value;
      else if (letter === 'p') port = value;
      else if (letter === 'J') return unsupported;
      break;
    }
  }
  const destination = rest[0];
  if (forward !== '%h:%p' || destination === undefined || rest.length !== 1) return unsupported;
  const withUser = user && !destination.includes('@') ? `${user}@${destination}` : destination;
  return { kind: 'jump', jump: port ? `${withUser}:${port}` : withUser };
}

/**
 * The jump host in extra ssh arguments (Ansible's ansible_ssh_common_args and
 * ansible_ssh_extra_args): `-J host`, `-o ProxyJump=host`, `-o ProxyCommand="ssh -W …"`.
 * undefined when they set no proxy.
 */
export function proxyFromSshArgs(args: string): ProxySetting | undefined {
  let argv: string[];
  try {
    argv = splitWords(args);
  } catch (error) {
    if (error instanceof ShellWordsError) {
      return { kind: 'unsupported', reason: `ssh arguments cannot be parsed: ${error.message}` };
    }
    throw error;
  }
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '-J' || (arg.startsWith('-J') && arg.length > 2)) {
      const value = arg === '-J' ? argv[++i] : arg.slice(2);
      if (value) return proxyJumpValue(value);
    } else if (arg === '-o' || (arg.startsWith('-o') && arg.length > 2)) {
      const option = arg === '-o' ? (argv[++i] ?? '') : arg.slice(2);
      const match = /^\s*(\w+)\s*(?:=|\s)\s*(.*)$/s.exec(option);
      const keyword = match?.[1]?.toLowerCase();
      const value = match?.[2]?.trim() ?? '';
      if (keyword === 'proxyjump') return proxyJumpValue(value);
      if (keyword === 'proxycommand') return proxyCommandValue(value);
    }
  }
  return undefined;
}
