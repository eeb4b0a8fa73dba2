// A host's metrics over a range, bucketed (hourly rollups serve whole-hour steps).
import { z } from '@hono/zod-openapi';
import { MAX_RANGE_POINTS } from '../../sql/metrics-range.ts';
import { metricSeries } from '../../sql/metric-fields.ts';
import { problemResponse } from '../problem.ts';
import { json, secureRoute } from '../route.ts';
import { idParams, timestampSchema, uuidSchema } from '../schemas.ts';

const fieldValues = z.record(z.string(), z.number().nullable());

export const metricsSchema = z
  .object({
    hostId: uuidSchema,
    series: z.enum(metricSeries),
    from: timestampSchema,
    to: timestampSchema,
    stepSeconds: z.number().int(),
    source: z.enum(['raw', 'hourly']),
    points: z.array(
      z.object({
        time: timestampSchema.openapi({ description: 'Start of the bucket' }),
        label: z.string().nullable().openapi({ description: 'Mount, interface or device' }),
        samples: z.number().int(),
        avg: fieldValues,
        max: fieldValues,
      }),
    ),
  })
  .openapi('MetricsRange');

export const metricsRoute = secureRoute('viewer', {
  method: 'get',
  path: '/v1/hosts/{id}/metrics',
  tags: ['metrics'],
  operationId: 'getHostMetrics',
  summary: 'The host’s metrics in buckets (average and maximum per bucket)',
  request: {
    params: idParams,
    query: z.object({
      series: z.enum(metricSeries).default('host'),
      from: timestampSchema.optional().openapi({ description: 'Default: 24 hours before `to`' }),
      to: timestampSchema.optional().openapi({ description: 'Default: now' }),
      step: z.coerce
        .number()
        .int()
        .min(1)
        .max(31_536_000)
        .optional()
        .openapi({
          description:
            `Bucket width in seconds; default: 60 up to 2 days, else 3600 (hourly rollups) ` +
            `or 86400 beyond 1 year. At most ${MAX_RANGE_POINTS} buckets.`,
        }),
    }),
  },
  responses: {
    200: json(metricsSchema, 'The buckets, by time then label'),
    400: problemResponse('Invalid series, range or step'),
    404: problemResponse('No such host'),
  },
});
