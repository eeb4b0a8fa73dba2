// Which of the three formats a file is, from its name and then its first meaningful line, so
// that `hostintel hosts import <file>` needs no --format in the usual cases.
import { parseAnsibleIni } from './ansible-ini.ts';
import { parseAnsibleYaml } from './ansible-yaml.ts';
import { parseSshConfig } from './ssh-config.ts';
import type { InventoryHost, ParseOptions } from './types.ts';

export const inventoryFormats = ['ansible-ini', 'ansible-yaml', 'ssh-config'] as const;
export type InventoryFormat = (typeof inventoryFormats)[number];

const SSH_KEYWORD =
  /^(host|match|hostname|user|port|identityfile|proxyjump|proxycommand|include)(\s|=)/i;

export function detectInventoryFormat(text: string, fileName = ''): InventoryFormat {
  if (/\.(ya?ml|json)$/i.test(fileName)) return 'ansible-yaml';
  if (/(^|[/\\])(ssh_config|config)$/.test(fileName) || /\.conf$/i.test(fileName)) {
    return 'ssh-config';
  }
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    if (line.startsWith('[')) return 'ansible-ini';
    if (SSH_KEYWORD.test(line)) return 'ssh-config';
    if (line === '---' || line.startsWith('{') || /^[^\s=]+:(\s|$)/.test(line)) {
      return 'ansible-yaml';
    }
    return 'ansible-ini';
  }
  return 'ansible-ini';
}

export function parseInventory(
  text: string,
  options: ParseOptions & { format?: InventoryFormat } = {},
): InventoryHost[] {
  const format = options.format ?? detectInventoryFormat(text, options.file);
  if (format === 'ansible-yaml') return parseAnsibleYaml(text, options);
  if (format === 'ssh-config') return parseSshConfig(text, options);
  return parseAnsibleIni(text, options);
}
