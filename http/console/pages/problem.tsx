// Pages for what went wrong: no such page or host (inside the frame, with navigation), and
// an unexpected error (bare: the session may be what failed). Texts are fixed here; an
// error's own message is logged, never shown.
import type { Context } from 'hono';
import type { ConsoleDeps, ConsoleEnv } from '../console-env.ts';
import { BareLayout, Layout, pageContext } from '../layout.tsx';
import { type PageStatus, render } from '../render.ts';

export function notFoundPage(c: Context<ConsoleEnv>, deps: ConsoleDeps, text = 'No such page.') {
  return problemPage(c, deps, 404, 'Not found', text);
}

export function problemPage(
  c: Context<ConsoleEnv>,
  deps: ConsoleDeps,
  status: PageStatus,
  title: string,
  text: string,
) {
  return render(
    c,
    <Layout title={title} ctx={pageContext(c, deps.assets)}>
      <h1>{title}</h1>
      <p>{text}</p>
      <p>
        <a href="/console">Back to the fleet</a>
      </p>
    </Layout>,
    status,
  );
}

export function errorPage(c: Context<ConsoleEnv>, deps: ConsoleDeps) {
  return render(
    c,
    <BareLayout title="Error" assets={deps.assets}>
      <h1>Something went wrong</h1>
      <p>
        The error is logged with request id <code>{c.get('requestId') ?? '—'}</code>.{' '}
        <a href="/console">Back to the fleet</a>
      </p>
    </BareLayout>,
    500,
  );
}
