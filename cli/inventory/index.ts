// Inventory import: parsers from a file's text to hosts, and the plan of what importing them
// would change.
export { parseAnsibleIni } from './ansible-ini.ts';
export { parseAnsibleYaml } from './ansible-yaml.ts';
export { detectInventoryFormat, type InventoryFormat, parseInventory } from './detect.ts';
export { type ExistingHost, formatPlan, type ImportPlan, planImport } from './plan.ts';
export { parseSshConfig } from './ssh-config.ts';
export {
  type InventoryHost,
  InventoryError,
  type InventoryNotice,
  type ParseOptions,
} from './types.ts';
