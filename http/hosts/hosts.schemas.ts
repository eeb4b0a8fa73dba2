// What a host looks like over HTTP: the registration and patch bodies (with write-only
// credentials) and the host as answered (a credential only as { id, type }).
import { z } from '@hono/zod-openapi';
import { collectorNames } from '../../collectors/registry.ts';
import { hostKeyPolicies } from '../../collectors/transport.ts';
import { credentialTypes } from '../../sql/credentials.ts';
import { isJumpSpec } from '../../sql/jump-hosts.ts';
import { credentialVariants } from '../credential-schemas.ts';
import { textSchema, timestampSchema, uuidSchema, wellFormed } from '../schemas.ts';
import { normalizePublicKey } from '../ssh-key.ts';

// Host and group names and label keys stay shell-, URL- and filter-friendly.
const LABEL_KEY = /^[A-Za-z0-9][A-Za-z0-9._/-]{0,62}$/;
const GROUP = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;

export const labelKeySchema = z.string().regex(LABEL_KEY, 'letters, digits and ._/- (max 63)');
export const labelValueSchema = z
  .string()
  .max(253)
  .regex(/^[^\u0000-\u001f\u007f]*$/, 'must not contain control characters')
  .refine(wellFormed, 'must be well-formed Unicode (no lone surrogates)');
export const groupSchema = z.string().regex(GROUP, 'letters, digits and ._- (max 63)');

const labelsSchema = z
  .record(labelKeySchema, labelValueSchema)
  .refine((labels) => Object.keys(labels).length <= 64, 'at most 64 labels')
  .openapi({ example: { env: 'prod', role: 'db' } });

const groupsSchema = z
  .array(groupSchema)
  .max(64)
  .refine((groups) => new Set(groups).size === groups.length, 'groups must be unique')
  .openapi({ example: ['web'] });

const nameSchema = textSchema(253).openapi({ example: 'web-1' });
const addressSchema = z
  .string()
  .min(1)
  .max(253)
  .regex(/^[A-Za-z0-9._:%[\]-]+$/, 'a host name or an IP address')
  .openapi({ example: '192.0.2.10' });
const portSchema = z.number().int().min(1).max(65535);
const usernameSchema = z
  .string()
  .regex(/^[A-Za-z0-9._][A-Za-z0-9._@-]{0,63}$/, 'a user name (max 64)')
  .openapi({ example: 'hostintel' });
const factsIntervalSchema = z.number().int().min(10).max(2_592_000).nullable();
const metricsIntervalSchema = z.number().int().min(5).max(604_800).nullable();
const disabledCollectorsSchema = z
  .array(z.enum(collectorNames as [string, ...string[]]))
  .max(collectorNames.length)
  .refine((names) => new Set(names).size === names.length, 'collectors must be unique');

/** An inline credential: its secrets are stored encrypted and never answered. */
export const inlineCredentialSchema = credentialVariants({}).openapi('InlineCredential');

export const credentialInputSchema = z
  .union([inlineCredentialSchema, z.strictObject({ id: uuidSchema })])
  .openapi('CredentialInput', {
    description: 'An inline credential (write-only), or the id of a stored one',
  });

/** "ssh-ed25519 AAAA…", normalized (comment dropped); refused when ssh2 cannot read it. */
export const publicKeySchema = z
  .string()
  .max(16_384)
  .transform((line, ctx) => {
    const key = normalizePublicKey(line);
    if (!key) ctx.addIssue({ code: 'custom', message: 'not an OpenSSH public key line' });
    return key ?? '';
  })
  .openapi({ type: 'string', example: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI…' });

/** ssh's ProxyJump syntax; every hop must be a registered host when the host is probed. */
const jumpHostSchema = z
  .string()
  .max(1024)
  .refine(isJumpSpec, { message: 'not [user@]host[:port], comma-separated, at most 4 hops' })
  .nullable()
  .openapi({
    description:
      'Reach the host through these hosts (ssh ProxyJump syntax, first hop first); each hop ' +
      'must be a registered host, whose credential and pinned key are used',
    example: 'bastion',
  });

export const registerHostSchema = z
  .strictObject({
    name: nameSchema,
    address: addressSchema,
    port: portSchema.default(22),
    username: usernameSchema,
    hostKeyPolicy: z.enum(hostKeyPolicies).default('accept-new'),
    hostKey: publicKeySchema.optional().openapi({
      description: 'Pin this host key now (required in practice for the strict policy)',
    }),
    labels: labelsSchema.optional(),
    groups: groupsSchema.optional(),
    sudo: z.boolean().optional(),
    enabled: z.boolean().optional(),
    factsIntervalS: factsIntervalSchema.optional(),
    metricsIntervalS: metricsIntervalSchema.optional(),
    disabledCollectors: disabledCollectorsSchema.optional(),
    jumpHost: jumpHostSchema.optional(),
    credential: credentialInputSchema,
  })
  .openapi('HostRegistration');

export const patchHostSchema = z
  .strictObject({
    name: nameSchema.optional(),
    address: addressSchema.optional(),
    port: portSchema.optional(),
    username: usernameSchema.optional(),
    hostKeyPolicy: z.enum(hostKeyPolicies).optional(),
    labels: labelsSchema.optional().openapi({ description: 'Replaces all labels' }),
    groups: groupsSchema.optional().openapi({ description: 'Replaces all groups' }),
    sudo: z.boolean().optional(),
    enabled: z.boolean().optional(),
    factsIntervalS: factsIntervalSchema.optional(),
    metricsIntervalS: metricsIntervalSchema.optional(),
    disabledCollectors: disabledCollectorsSchema.optional(),
    jumpHost: jumpHostSchema.optional().openapi({ description: 'null: no jump host' }),
    credential: credentialInputSchema.optional(),
  })
  .openapi('HostPatch');

export const hostSchema = z
  .object({
    id: uuidSchema,
    name: z.string(),
    address: z.string(),
    port: z.number().int(),
    username: z.string(),
    hostKeyPolicy: z.enum(hostKeyPolicies),
    hostKeyFingerprint: z.string().nullable().openapi({ example: 'SHA256:…' }),
    labels: z.record(z.string(), z.string()),
    groups: z.array(z.string()),
    sudo: z.boolean(),
    enabled: z.boolean(),
    factsIntervalS: z.number().int().nullable(),
    metricsIntervalS: z.number().int().nullable(),
    disabledCollectors: z.array(z.string()),
    jumpHost: z.string().nullable(),
    credential: z.object({ id: uuidSchema, type: z.enum(credentialTypes) }).nullable(),
    createdAt: timestampSchema,
    updatedAt: timestampSchema,
  })
  .openapi('Host');

export const hostKeySchema = z
  .object({
    hostId: uuidSchema,
    hostKeyPolicy: z.enum(hostKeyPolicies),
    hostKey: z.string().nullable().openapi({ description: 'null: nothing pinned yet' }),
    keyType: z.string().nullable().openapi({ example: 'ssh-ed25519' }),
    fingerprint: z.string().nullable().openapi({ example: 'SHA256:…' }),
    pinnedAt: timestampSchema.nullable(),
  })
  .openapi('HostKey');

export const pinHostKeySchema = z.strictObject({ hostKey: publicKeySchema }).openapi('HostKeyPin');

const labelFilter = z
  .string()
  .max(320)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._/-]{0,62}:[^\u0000-\u001f\u007f]{0,253}$/, 'key:value')
  .refine(wellFormed, 'must be well-formed Unicode');
const groupFilter = groupSchema;

export const listHostsQuery = z.object({
  label: z
    .union([labelFilter, z.array(labelFilter).max(20)])
    .optional()
    .openapi({ description: 'key:value; repeat to require several labels' }),
  group: z
    .union([groupFilter, z.array(groupFilter).max(20)])
    .optional()
    .openapi({ description: 'A group; repeat to require several' }),
});

/** A query value that may be given once or repeated, as a list. */
export function many<T>(value: T | T[] | undefined): T[] {
  return value === undefined ? [] : Array.isArray(value) ? value : [value];
}

/** "key:value" → [key, value] (the value may hold more colons). */
export function splitLabel(filter: string): [string, string] {
  const at = filter.indexOf(':');
  return [filter.slice(0, at), filter.slice(at + 1)];
}
