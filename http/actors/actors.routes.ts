// Probe actors: ask for a probe now, read what each actor is doing, follow transitions.
import { z } from '@hono/zod-openapi';
import { listSchema, pageQuery } from '../pagination.ts';
import { problemResponse } from '../problem.ts';
import { json, secureRoute } from '../route.ts';
import { idParams, timestampSchema, uuidSchema } from '../schemas.ts';

const tags = ['actors'];

export const actorStates = ['idle', 'probing', 'backoff', 'paused'] as const;
const probeTypes = ['facts', 'metrics'] as const;

// Mirrors actors/host-view.ts (HostView); loose, so fields the actors add pass through.
export const actorViewSchema = z
  .looseObject({
    hostId: uuidSchema,
    state: z.enum(actorStates),
    unreachable: z.boolean(),
    inFlight: z
      .object({
        type: z.enum(probeTypes),
        reason: z.enum(['scheduled', 'manual']),
        startedAt: timestampSchema,
      })
      .nullable(),
    nextFactsDueAt: timestampSchema.nullable(),
    nextMetricsDueAt: timestampSchema.nullable(),
    failures: z.object({ facts: z.number().int(), metrics: z.number().int() }),
    backoffUntil: z.object({
      facts: timestampSchema.nullable(),
      metrics: timestampSchema.nullable(),
    }),
    lastProbe: z
      .object({
        probeId: z.string().nullable(),
        type: z.enum(probeTypes),
        outcome: z.enum(['ok', 'partial', 'failed', 'timeout']),
        durationMs: z.number(),
        finishedAt: timestampSchema,
      })
      .nullable(),
    lastError: z.string().nullable(),
    lastRefreshAt: timestampSchema.nullable(),
  })
  .openapi('ActorView');

export const requestProbeRoute = secureRoute('operator', {
  method: 'post',
  path: '/v1/hosts/{id}/probe',
  tags,
  operationId: 'requestProbe',
  summary: 'Probe the host now',
  request: { params: idParams },
  responses: {
    202: json(
      z.object({ probeId: z.string(), hostId: uuidSchema }).openapi('ProbeAccepted'),
      'The probe is queued; follow it in /v1/actors/stream or the probe log',
    ),
    404: problemResponse('No such host, or no probe actor runs for it'),
    409: problemResponse('A probe is in flight, or the host is paused'),
    429: {
      ...problemResponse('Inside the debounce window after the last manual probe'),
      headers: z.object({ 'Retry-After': z.string().openapi({ description: 'Seconds' }) }),
    },
  },
});

export const getActorRoute = secureRoute('viewer', {
  method: 'get',
  path: '/v1/hosts/{id}/actor',
  tags,
  operationId: 'getActor',
  summary: 'What the host’s probe actor is doing',
  request: { params: idParams },
  responses: {
    200: json(actorViewSchema, 'The actor'),
    404: problemResponse('No such host, or no probe actor runs for it'),
  },
});

export const listActorsRoute = secureRoute('viewer', {
  method: 'get',
  path: '/v1/actors',
  tags,
  operationId: 'listActors',
  summary: 'Every probe actor, by host id',
  request: {
    query: z.object({ state: z.enum(actorStates).optional(), ...pageQuery }),
  },
  responses: {
    200: json(listSchema(actorViewSchema), 'A page of actors'),
    400: problemResponse('Invalid state or cursor'),
  },
});

export const actorStreamRoute = secureRoute('viewer', {
  method: 'get',
  path: '/v1/actors/stream',
  tags,
  operationId: 'streamActors',
  summary: 'Server-Sent Events: one `transition` event per actor state change',
  responses: {
    200: {
      description: 'event: transition, data: {"hostId": …, "view": ActorView}',
      content: { 'text/event-stream': { schema: z.string() } },
    },
  },
});
