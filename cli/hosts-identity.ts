// Where an inventory's key file really is. ssh expands `~` and the %-tokens of IdentityFile
// (ssh_config(5) TOKENS) before opening it, and Ansible hands ansible_private_key_file to ssh
// as IdentityFile, so both are expanded the same way here; a relative path is relative to the
// working directory, as it is for ssh.
import path from 'node:path';
import { UsageError } from './hosts-io.ts';

export interface IdentityContext {
  home: string;
  localUser: string;
  /** The inventory's name for the host (%n). */
  name: string;
  /** Where ssh connects (%h). */
  address: string;
  port: number;
  /** The remote user (%r), when known. */
  remoteUser: string | null;
}

export function expandIdentityFile(file: string, context: IdentityContext): string {
  let expanded = file;
  if (expanded === '~' || expanded.startsWith('~/')) {
    expanded = context.home + expanded.slice(1);
  } else if (expanded.startsWith('~')) {
    throw new UsageError(`${file}: ~user paths are not supported, write the path out`);
  }
  expanded = expanded.replace(/%(.?)/g, (_, token: string) => {
    switch (token) {
      case '%':
        return '%';
      case 'd':
        return context.home;
      case 'u':
        return context.localUser;
      case 'n':
        return context.name;
      case 'h':
        return context.address;
      case 'p':
        return String(context.port);
      case 'r':
        if (context.remoteUser !== null) return context.remoteUser;
        throw new UsageError(
          `${file}: %r needs the host's user, which the inventory does not give`,
        );
      default:
        throw new UsageError(`${file}: the token %${token} is not supported in a key file path`);
    }
  });
  return path.resolve(expanded);
}
