// Reading a posted form and checking that it is this site's: same origin always, and the
// session's CSRF token for forms behind the login.
import type { Context } from 'hono';
import { isSameOrigin } from './same-origin.ts';
import { csrfMatches, type Session } from './session.ts';

export type Form = Record<string, string>;

/** The string fields of a urlencoded or multipart body (files are ignored). */
export async function readForm(c: Context): Promise<Form> {
  const body = await c.req.parseBody();
  const form: Form = {};
  for (const [key, value] of Object.entries(body)) {
    if (typeof value === 'string') form[key] = value;
  }
  return form;
}

export function fromThisSite(c: Context): boolean {
  return isSameOrigin({
    origin: c.req.header('origin'),
    secFetchSite: c.req.header('sec-fetch-site'),
    // The URL's host is the Host header as the server received it.
    hosts: [new URL(c.req.url).host, c.req.header('x-forwarded-host')?.split(',')[0]?.trim()],
  });
}

/** Same origin and the session's CSRF token. */
export function isGenuine(c: Context, form: Form, session: Session): boolean {
  return fromThisSite(c) && csrfMatches(session.csrf, form.csrf);
}

export function wantsJson(c: Context): boolean {
  return c.req.header('accept')?.includes('application/json') === true;
}
