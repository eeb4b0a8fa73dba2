import { createRoute, z } from '@hono/zod-openapi';
import { HTTPException } from 'hono/http-exception';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { createErrorHandler, notFound } from '../../../http/errors.ts';
import { requestLog } from '../../../http/request-log.ts';
import { createRouter } from '../../../http/route.ts';

function app() {
  const lines: string[] = [];
  const logger = pino({ level: 'debug' }, { write: (l: string) => lines.push(l) });
  const router = createRouter();
  router.use('*', requestLog(logger));
  router.openapi(
    createRoute({
      method: 'post',
      path: '/things/{id}',
      request: {
        params: z.object({ id: z.uuid() }),
        query: z.object({ limit: z.coerce.number().int().max(5).optional() }),
        body: {
          required: true,
          content: { 'application/json': { schema: z.strictObject({ n: z.number() }) } },
        },
      },
      responses: { 200: { description: 'ok' } },
    }),
    (c) => {
      const { n } = c.req.valid('json');
      if (n === 415) throw new HTTPException(415, { message: 'Unsupported Media Type' });
      if (n === 409)
        throw Object.assign(new Error('duplicate key value "web-1"'), { code: '23505' });
      if (n === 22) throw Object.assign(new Error('invalid input "x"'), { code: '22P02' });
      if (n === 500) throw new Error('secret internal detail');
      return c.body(null, 200);
    },
  );
  router.notFound(notFound);
  router.onError(createErrorHandler(logger));
  return { router, lines };
}

const id = '0b9f1f4e-3a52-4c1e-9d0a-3c5b2f5e8a71';

interface Problem {
  type: string;
  detail?: string;
  requestId: string;
  errors: Record<string, unknown>[];
}
const problemOf = async (res: Response) => (await res.json()) as Problem;
const post = (a: ReturnType<typeof app>, path: string, body: unknown) =>
  a.router.request(path, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });

describe('problem responses', () => {
  it('answers a body that fails its schema with 422 and the issues, input not echoed', async () => {
    const res = await post(app(), `/things/${id}`, { n: 'not a number: hunter2', x: 1 });
    expect(res.status).toBe(422);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    const text = await res.text();
    expect(text).not.toContain('hunter2');
    const body = JSON.parse(text);
    expect(body).toMatchObject({
      type: 'https://hostintel.dev/problems/validation-failed',
      title: 'The request body is invalid',
      status: 422,
      instance: `/things/${id}`,
    });
    expect(body.requestId).toEqual(expect.any(String));
    expect(body.errors).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ location: 'body', path: 'n', code: 'invalid_type' }),
        expect.objectContaining({ location: 'body', code: 'unrecognized_keys' }),
      ]),
    );
  });

  it('answers a malformed id with 404 and a bad query with 400', async () => {
    const a = app();
    const missing = await post(a, '/things/nope', { n: 1 });
    expect(missing.status).toBe(404);
    expect((await problemOf(missing)).type).toBe('https://hostintel.dev/problems/not-found');
    const query = await post(a, `/things/${id}?limit=99`, { n: 1 });
    expect(query.status).toBe(400);
    expect((await problemOf(query)).errors[0]).toMatchObject({ location: 'query', path: 'limit' });
    expect((await post(a, `/things/${id}`, { n: 1 })).status).toBe(200);
  });

  it('maps HTTP exceptions, database refusals and unknown errors', async () => {
    const a = app();
    const media = await post(a, `/things/${id}`, { n: 415 });
    expect(media.status).toBe(415);
    expect((await problemOf(media)).type).toBe(
      'https://hostintel.dev/problems/unsupported-media-type',
    );

    const conflict = await post(a, `/things/${id}`, { n: 409 });
    expect(conflict.status).toBe(409);
    expect(await conflict.text()).not.toContain('web-1');
    expect((await post(a, `/things/${id}`, { n: 22 })).status).toBe(400);

    const boom = await post(a, `/things/${id}`, { n: 500 });
    expect(boom.status).toBe(500);
    const body = await problemOf(boom);
    expect(body).toEqual({
      type: 'https://hostintel.dev/problems/internal',
      title: 'Internal server error',
      status: 500,
      instance: `/things/${id}`,
      requestId: expect.any(String),
    });
    const logged = a.lines.join('');
    expect(logged).toContain('secret internal detail');
    expect(logged).toContain(body.requestId);
  });

  it('answers malformed JSON with 400 and unknown routes with 404', async () => {
    const a = app();
    const res = await a.router.request(`/things/${id}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"n":',
    });
    expect(res.status).toBe(400);
    expect((await problemOf(res)).detail).toBe('Malformed JSON in request body');
    const none = await a.router.request('/nothing');
    expect(none.status).toBe(404);
    expect(none.headers.get('content-type')).toBe('application/problem+json');
  });

  it('keeps a sane client request id and replaces anything else', async () => {
    const a = app();
    const kept = await a.router.request('/nothing', { headers: { 'x-request-id': 'abc-12345' } });
    expect(kept.headers.get('x-request-id')).toBe('abc-12345');
    const replaced = await a.router.request('/nothing', {
      headers: { 'x-request-id': 'bad id\twith "quotes"' },
    });
    expect(replaced.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });
});
