// One host's inventory, now or as of an instant, in each export format: JSON (the host and all
// its facts by kind), CSV (one row per installed package, led by the host's identity; a host
// without package facts is one row with the package cells empty) and a CycloneDX 1.6 SBOM.
// Shared by `hostintel export` and GET /v1/hosts/{id}/export. Host attributes (address,
// labels, groups) are today's: only facts have history.
import { readFileSync } from 'node:fs';
import type { OsFact } from '../../collectors/os.ts';
import type { PackageFact } from '../../collectors/packages.ts';
import type { Sql } from '../../sql/client.ts';
import { currentFacts, type FactRow, factsAsOf } from '../../sql/fact-queries.ts';
import type { HostRow } from '../../sql/hosts.ts';
import { csvCell, type CsvValue } from './csv.ts';
import { type CycloneDxBom, toCycloneDx } from './cyclonedx.ts';
import { groupFacts } from './facts-json.ts';
import { formatPurl, packagePurl } from './purl.ts';

export const exportFormats = ['csv', 'json', 'cyclonedx'] as const;
export type ExportFormat = (typeof exportFormats)[number];

export const exportMediaTypes = {
  csv: 'text/csv; charset=utf-8',
  json: 'application/json',
  cyclonedx: 'application/vnd.cyclonedx+json',
} as const satisfies Record<ExportFormat, string>;

export const exportExtensions = {
  csv: 'csv',
  json: 'json',
  cyclonedx: 'cdx.json',
} as const satisfies Record<ExportFormat, string>;

export const PACKAGE_CSV_COLUMNS = [
  'host',
  'host_id',
  'address',
  'os_id',
  'os_version',
  'kernel',
  'arch',
  'package',
  'version',
  'epoch',
  'release',
  'package_arch',
  'manager',
  'source_name',
  'source_version',
  'purl',
] as const;

const TOOL_VERSION = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  }
).version;

/** The host's facts valid at `asOf` (null: now); only the kinds the format needs. */
export async function readExportFacts(
  sql: Sql,
  hostId: string,
  format: ExportFormat,
  asOf: Date | null,
): Promise<FactRow[]> {
  const read = (kind?: string) =>
    asOf ? factsAsOf(sql, hostId, asOf, kind) : currentFacts(sql, hostId, kind);
  if (format === 'json') return read();
  const [os, packages] = await Promise.all([read('os'), read('package')]);
  return [...os, ...packages];
}

function osOf(facts: readonly FactRow[]): OsFact | null {
  return (facts.find((f) => f.kind === 'os')?.value as OsFact | undefined) ?? null;
}

function packagesOf(facts: readonly FactRow[]): PackageFact[] {
  return facts.filter((f) => f.kind === 'package').map((f) => f.value as PackageFact);
}

/** The JSON export's entry for one host. */
export function hostJson(host: HostRow, facts: readonly FactRow[]) {
  return {
    id: host.id,
    name: host.name,
    address: host.address,
    port: host.port,
    username: host.username,
    labels: host.labels,
    groups: host.groups,
    enabled: host.enabled,
    createdAt: host.createdAt.toISOString(),
    facts: groupFacts(facts),
  };
}

/** The JSON export document around its hosts (written piecewise for a fleet). */
export const jsonDocument = {
  head: (asOf: Date, generatedAt: Date) =>
    `{"generatedAt":${JSON.stringify(generatedAt.toISOString())},` +
    `"asOf":${JSON.stringify(asOf.toISOString())},"hosts":[`,
  separator: ',\n',
  tail: ']}\n',
};

export function csvHeader(): string {
  return `${PACKAGE_CSV_COLUMNS.join(',')}\r\n`;
}

/** The host's CSV rows, each CRLF-terminated, without the header. */
export function csvRows(host: HostRow, facts: readonly FactRow[]): string {
  const os = osOf(facts);
  const lead: CsvValue[] = [
    host.name,
    host.id,
    host.address,
    os?.id,
    os?.versionId,
    os?.kernelRelease,
    os?.arch,
  ];
  const packages = packagesOf(facts).sort((a, b) =>
    a.name === b.name ? compare(a.arch, b.arch) : compare(a.name, b.name),
  );
  const rows: CsvValue[][] =
    packages.length === 0
      ? [[...lead, ...Array(PACKAGE_CSV_COLUMNS.length - lead.length).fill(null)]]
      : packages.map((p) => {
          const purl = packagePurl(p, os);
          return [
            ...lead,
            p.name,
            p.evr,
            p.epoch,
            p.release,
            p.arch,
            p.manager,
            p.source?.name,
            p.source?.version,
            purl ? formatPurl(purl) : null,
          ];
        });
  return rows.map((row) => `${row.map(csvCell).join(',')}\r\n`).join('');
}

export function hostBom(
  host: HostRow,
  facts: readonly FactRow[],
  asOf: Date,
  createdAt: Date,
): CycloneDxBom {
  const os = osOf(facts);
  return toCycloneDx({
    host: { id: host.id, name: host.name },
    os: os ? { id: os.id, versionId: os.versionId, prettyName: os.prettyName } : null,
    packages: packagesOf(facts),
    asOf,
    createdAt,
    toolVersion: TOOL_VERSION,
  });
}

export interface RenderedExport {
  body: string;
  mediaType: string;
  /** A safe file name for Content-Disposition or a directory of BOMs. */
  filename: string;
}

/** One host's export as one document. */
export async function renderHostExport(
  sql: Sql,
  host: HostRow,
  format: ExportFormat,
  asOf: Date | null,
  now: Date = new Date(),
): Promise<RenderedExport> {
  const facts = await readExportFacts(sql, host.id, format, asOf);
  const at = asOf ?? now;
  const body =
    format === 'json'
      ? `${jsonDocument.head(at, now)}${JSON.stringify(hostJson(host, facts))}${jsonDocument.tail}`
      : format === 'csv'
        ? `${csvHeader()}${csvRows(host, facts)}`
        : `${JSON.stringify(hostBom(host, facts, at, now), null, 2)}\n`;
  return { body, mediaType: exportMediaTypes[format], filename: exportFileName(host, format) };
}

/** `<name>.<ext>` with anything but letters, digits and .-_ replaced; never hidden. */
export function exportFileName(host: Pick<HostRow, 'name'>, format: ExportFormat): string {
  const safe = host.name.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\.+/, '_');
  return `${safe || 'host'}.${exportExtensions[format]}`;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
