// One host's software as a CycloneDX 1.6 JSON SBOM: the host is the BOM's subject
// (metadata.component), its OS a component of type operating-system, each installed package a
// library component identified by its purl. Pure: the caller reads the facts "as of" a time.
import { randomUUID } from 'node:crypto';
import type { PackageFact } from '../../collectors/packages.ts';
import { type DebEpochStyle, formatPurl, packagePurl } from './purl.ts';

export const CYCLONEDX_SPEC_VERSION = '1.6';

export interface CycloneDxInput {
  host: { id: string; name: string };
  os: { id: string; versionId: string | null; prettyName: string | null } | null;
  packages: readonly PackageFact[];
  /** The moment the facts describe. */
  asOf: Date;
  /** When the BOM is made; `asOf` when absent, so that the same input gives the same BOM. */
  createdAt?: Date;
  /** `urn:uuid:…`; a random one when absent (the spec wants each BOM to have its own). */
  serialNumber?: string;
  toolVersion?: string;
  debEpoch?: DebEpochStyle;
}

export interface CycloneDxProperty {
  name: string;
  value: string;
}

export interface CycloneDxComponent {
  type: 'device' | 'operating-system' | 'library';
  'bom-ref': string;
  name: string;
  version?: string;
  description?: string;
  publisher?: string;
  purl?: string;
  properties?: CycloneDxProperty[];
}

export interface CycloneDxBom {
  $schema: string;
  bomFormat: 'CycloneDX';
  specVersion: string;
  serialNumber: string;
  version: number;
  metadata: {
    timestamp: string;
    lifecycles: { phase: 'operations' }[];
    tools: { components: { type: 'application'; name: string; version?: string }[] };
    component: CycloneDxComponent;
    properties: CycloneDxProperty[];
  };
  components: CycloneDxComponent[];
  dependencies: { ref: string; dependsOn: string[] }[];
}

const SERIAL = /^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-[1-5][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

export function toCycloneDx(input: CycloneDxInput): CycloneDxBom {
  const serialNumber = input.serialNumber ?? `urn:uuid:${randomUUID()}`;
  if (!SERIAL.test(serialNumber)) throw new Error(`not a urn:uuid serial number: ${serialNumber}`);
  const hostRef = `hostintel:host:${input.host.id}`;
  // A running machine, physical or virtual: CycloneDX's closest component type is device.
  const host: CycloneDxComponent = {
    type: 'device',
    'bom-ref': hostRef,
    name: input.host.name,
    properties: [{ name: 'hostintel:host:id', value: input.host.id }],
  };

  const components: CycloneDxComponent[] = [];
  if (input.os) components.push(osComponent(input.os));
  const refs = new Set<string>(components.map((c) => c['bom-ref']));
  const sorted = [...input.packages].sort((a, b) =>
    a.name === b.name ? compare(a.arch, b.arch) || compare(a.evr, b.evr) : compare(a.name, b.name),
  );
  for (const pkg of sorted) {
    const purl = packagePurl(pkg, input.os, { debEpoch: input.debEpoch ?? 'version' });
    if (!purl) continue;
    const ref = formatPurl(purl);
    // The same name, version and arch twice (a duplicated rpm database entry) is one package.
    if (refs.has(ref)) continue;
    refs.add(ref);
    components.push(packageComponent(pkg, ref));
  }

  const toolVersion = input.toolVersion;
  return {
    $schema: `http://cyclonedx.org/schema/bom-${CYCLONEDX_SPEC_VERSION}.schema.json`,
    bomFormat: 'CycloneDX',
    specVersion: CYCLONEDX_SPEC_VERSION,
    serialNumber,
    version: 1,
    metadata: {
      timestamp: (input.createdAt ?? input.asOf).toISOString(),
      lifecycles: [{ phase: 'operations' }],
      tools: {
        components: [
          {
            type: 'application',
            name: 'hostintel',
            ...(toolVersion ? { version: toolVersion } : {}),
          },
        ],
      },
      component: host,
      properties: [{ name: 'hostintel:as-of', value: input.asOf.toISOString() }],
    },
    components,
    dependencies: [{ ref: hostRef, dependsOn: components.map((c) => c['bom-ref']) }],
  };
}

function osComponent(os: NonNullable<CycloneDxInput['os']>): CycloneDxComponent {
  return {
    type: 'operating-system',
    'bom-ref': `hostintel:os:${os.id}${os.versionId ? `@${os.versionId}` : ''}`,
    name: os.id,
    ...(os.versionId ? { version: os.versionId } : {}),
    ...(os.prettyName ? { description: os.prettyName } : {}),
  };
}

function packageComponent(pkg: PackageFact, purl: string): CycloneDxComponent {
  const properties: CycloneDxProperty[] = [
    { name: 'hostintel:package:manager', value: pkg.manager },
    { name: 'hostintel:package:arch', value: pkg.arch },
  ];
  if (pkg.epoch !== null)
    properties.push({ name: 'hostintel:package:epoch', value: String(pkg.epoch) });
  if (pkg.source) {
    properties.push(
      { name: 'hostintel:package:source-name', value: pkg.source.name },
      { name: 'hostintel:package:source-version', value: pkg.source.version },
    );
  }
  return {
    type: 'library',
    'bom-ref': purl,
    name: pkg.name,
    version: pkg.evr,
    ...(pkg.vendor ? { publisher: pkg.vendor } : {}),
    purl,
    properties,
  };
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
