import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../../cli/config.ts';

describe('loadConfig', () => {
  it('applies the documented defaults', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      databaseUrl: undefined,
      host: '127.0.0.1',
      port: 8080,
      logLevel: 'info',
      retention: { rawMetricsDays: 30, rollupDays: 400, factHistoryDays: 400, probeLogDays: 30 },
      probeConcurrency: { global: 32, perGroup: 8 },
    });
    expect(config.dataDir).toMatch(/\/\.data$/);
  });

  it.each([
    [{ HOSTINTEL_PORT: 'abc' }, /HOSTINTEL_PORT/],
    [{ HOSTINTEL_PORT: '70000' }, /HOSTINTEL_PORT/],
    [{ DATABASE_URL: 'mysql://x' }, /DATABASE_URL: must be a postgres/],
    [{ HOSTINTEL_ADMIN_TOKEN: 'short' }, /HOSTINTEL_ADMIN_TOKEN: must be at least 16/],
    [{ HOSTINTEL_SECRET_KEY: 'nope' }, /HOSTINTEL_SECRET_KEY/],
    [{ HOSTINTEL_LOG_LEVEL: 'loud' }, /HOSTINTEL_LOG_LEVEL/],
    [{ HOSTINTEL_RETENTION_RAW_METRICS_DAYS: '0' }, /HOSTINTEL_RETENTION_RAW_METRICS_DAYS/],
  ])('rejects %o with one line naming the variable', (env, message) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(message);
  });
});
