// The only module that reads the environment. Parsed once with zod; an invalid value is a
// one-line error naming the variable, and the process exits non-zero.
import path from 'node:path';
import { z } from 'zod';

const logLevels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const days = z.coerce.number().int().min(1).max(36_500);

const schema = z.object({
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// URL')
    .optional(),
  HOSTINTEL_HOST: z.string().min(1).default('127.0.0.1'),
  HOSTINTEL_PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  HOSTINTEL_DATA_DIR: z.string().min(1).default('.data'),
  HOSTINTEL_ADMIN_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  HOSTINTEL_SECRET_KEY: z
    .string()
    .regex(/^[A-Za-z0-9+/]{43}=$/, 'must be 32 bytes in base64 (openssl rand -base64 32)')
    .optional(),
  HOSTINTEL_LOG_LEVEL: z.enum(logLevels).default('info'),
  HOSTINTEL_RETENTION_RAW_METRICS_DAYS: days.default(30),
  HOSTINTEL_RETENTION_ROLLUP_DAYS: days.default(400),
  HOSTINTEL_RETENTION_FACT_HISTORY_DAYS: days.default(400),
  HOSTINTEL_RETENTION_PROBE_LOG_DAYS: days.default(30),
  HOSTINTEL_PROBE_CONCURRENCY: z.coerce.number().int().min(1).max(10_000).default(32),
  HOSTINTEL_PROBE_CONCURRENCY_PER_GROUP: z.coerce.number().int().min(1).max(10_000).default(8),
  HOSTINTEL_LEASE_TTL_S: z.coerce.number().min(1).max(3600).default(30),
});

export interface Config {
  databaseUrl: string | undefined;
  host: string;
  port: number;
  dataDir: string;
  adminToken: string | undefined;
  secretKey: string | undefined;
  logLevel: (typeof logLevels)[number];
  retention: {
    rawMetricsDays: number;
    rollupDays: number;
    factHistoryDays: number;
    probeLogDays: number;
  };
  probeConcurrency: { global: number; perGroup: number };
  /** How long a runner's host leases last without a heartbeat (several runners, README). */
  leaseTtlS: number;
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const variable = issue?.path.join('.') ?? 'environment';
    throw new ConfigError(`invalid ${variable}: ${issue?.message ?? 'invalid value'}`);
  }
  const e = parsed.data;
  return {
    databaseUrl: e.DATABASE_URL,
    host: e.HOSTINTEL_HOST,
    port: e.HOSTINTEL_PORT,
    dataDir: path.resolve(e.HOSTINTEL_DATA_DIR),
    adminToken: e.HOSTINTEL_ADMIN_TOKEN,
    secretKey: e.HOSTINTEL_SECRET_KEY,
    logLevel: e.HOSTINTEL_LOG_LEVEL,
    retention: {
      rawMetricsDays: e.HOSTINTEL_RETENTION_RAW_METRICS_DAYS,
      rollupDays: e.HOSTINTEL_RETENTION_ROLLUP_DAYS,
      factHistoryDays: e.HOSTINTEL_RETENTION_FACT_HISTORY_DAYS,
      probeLogDays: e.HOSTINTEL_RETENTION_PROBE_LOG_DAYS,
    },
    probeConcurrency: {
      global: e.HOSTINTEL_PROBE_CONCURRENCY,
      perGroup: e.HOSTINTEL_PROBE_CONCURRENCY_PER_GROUP,
    },
    leaseTtlS: e.HOSTINTEL_LEASE_TTL_S,
  };
}
