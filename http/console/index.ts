// The web console: server-rendered pages under /console on a plain Hono app (so none of it
// is in /openapi.json), reading through the same sql/ functions as the /v1 routes.
//
// Request path inside /console: security headers (CSP: scripts, styles and connections from
// this origin only) → audit trail (form posts) → body limit → public routes (assets, login)
// → requireSession (cookie → token, else to the login form) → pages, the event stream and
// the form posts (same origin + CSRF token). Hono runs handlers in registration order, which
// is why the public routes come before requireSession.
import type { OpenAPIHono } from '@hono/zod-openapi';
import { type Context, Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { actorStream } from '../actors/actor-stream.ts';
import { auditTrail } from '../audit.ts';
import type { ApiDeps } from '../deps.ts';
import type { AppEnv } from '../env.ts';
import { createActions } from './actions.ts';
import { serveAssets } from './assets.ts';
import type { ConsoleDeps, ConsoleEnv } from './console-env.ts';
import { createFleetPage } from './pages/fleet.tsx';
import { createHostChangesPage } from './pages/host-changes.tsx';
import { createHostFactsPage } from './pages/host-facts.tsx';
import { createHostMetricsPage } from './pages/host-metrics.tsx';
import { createHostProbesPage } from './pages/host-probes.tsx';
import { createHostVulnerabilitiesPage } from './pages/host-vulnerabilities.tsx';
import { createLoginHandlers } from './pages/login.tsx';
import { errorPage, notFoundPage } from './pages/problem.tsx';
import { createSearchPage } from './pages/search.tsx';
import { createSummaryPage } from './pages/summary.tsx';
import { requireSession } from './session.ts';

export const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join('; ');

// A login form or a button press is a few hundred bytes.
const MAX_FORM_BYTES = 16 * 1024;

export function registerConsole(app: OpenAPIHono<AppEnv>, apiDeps: ApiDeps): void {
  const ui = new Hono<ConsoleEnv>();
  ui.use('*', async (c, next) => {
    await next();
    c.header('Content-Security-Policy', CONSOLE_CSP);
  });
  ui.use('*', auditTrail(apiDeps.sql));
  ui.use(
    '*',
    bodyLimit({ maxSize: MAX_FORM_BYTES, onError: (c) => c.text('form too large', 413) }),
  );

  const deps: ConsoleDeps = { ...apiDeps, assets: serveAssets(ui) };
  const login = createLoginHandlers(deps);
  ui.get('/login', login.show);
  ui.post('/login', login.submit);

  ui.use('*', requireSession(deps.sql));
  const actions = createActions(deps);
  ui.get('/', createFleetPage(deps));
  ui.get('/summary', createSummaryPage(deps));
  ui.get('/search', createSearchPage(deps));
  ui.get('/hosts/:id', createHostFactsPage(deps));
  ui.get('/hosts/:id/changes', createHostChangesPage(deps));
  ui.get('/hosts/:id/probes', createHostProbesPage(deps));
  ui.get('/hosts/:id/metrics', createHostMetricsPage(deps));
  ui.get('/hosts/:id/vulnerabilities', createHostVulnerabilitiesPage(deps));
  // The console's context only adds the session to the app's variables.
  ui.get('/stream', (c) => actorStream(c as unknown as Context<AppEnv>, deps.control));
  ui.post('/hosts/:id/probe', actions.probe);
  ui.post('/logout', actions.logout);
  ui.all('*', (c) => notFoundPage(c, deps));
  ui.onError((error, c) => {
    c.get('logger').error({ err: error }, 'console error');
    return errorPage(c, deps);
  });

  app.route('/console', ui);
  app.get('/', (c) => c.redirect('/console', 302));
}
