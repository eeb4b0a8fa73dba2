// A page component into the response: a doctype, and no caching of fleet data. (The
// console's Content-Security-Policy is set for every response by index.ts.)
import type { Context } from 'hono';
import type { JSX } from 'hono/jsx/jsx-runtime';

export type PageStatus = 200 | 400 | 401 | 403 | 404 | 500;

export async function render(c: Context, page: JSX.Element, status: PageStatus = 200) {
  c.header('Cache-Control', 'no-store');
  return c.html(`<!doctype html>${await page}`, status);
}
