// What an inventory file says about the hosts to register, whatever its format.

export interface InventoryHost {
  /** The inventory's name for the host (Ansible inventory_hostname, ssh_config Host). */
  name: string;
  /** Where to connect: ansible_host / HostName, else the name itself. */
  address: string;
  port: number;
  /** null: the file does not say; the importer decides (e.g. a --user option). */
  username: string | null;
  /** As written in the file (e.g. `~/.ssh/id_ed25519`): the importer reads and resolves it. */
  identityFile: string | null;
  /** `[user@]host[:port]`, or a comma-separated chain of them, as ssh's ProxyJump takes. */
  proxyJump: string | null;
  /** Sorted; Ansible's implicit `all` and `ungrouped` are left out (they say nothing). */
  groups: string[];
  labels: Record<string, string>;
}

/** Something the parser left out on purpose, for the importer to show (not an error). */
export interface InventoryNotice {
  line: number;
  message: string;
  /** The host it concerns, when it concerns one host. */
  host?: string;
}

export interface ParseOptions {
  /** Named in error messages; `inventory` when absent. */
  file?: string;
  onNotice?: (notice: InventoryNotice) => void;
}

/** An invalid file: the whole import is rejected, and this says where and why. */
export class InventoryError extends Error {
  override readonly name = 'InventoryError';
  readonly file: string;
  readonly line: number;
  readonly reason: string;

  constructor(file: string, line: number, reason: string, options?: ErrorOptions) {
    super(`${file}:${line}: ${reason}`, options);
    this.file = file;
    this.line = line;
    this.reason = reason;
  }
}

export const DEFAULT_FILE_NAME = 'inventory';
export const DEFAULT_SSH_PORT = 22;
