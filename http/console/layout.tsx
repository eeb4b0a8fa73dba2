// The frame of every console page: head (stylesheet and script from our own routes), the
// navigation, who is logged in, the log-out form, and the notice of a redirect if any.
import type { Context } from 'hono';
import type { Child, FC } from 'hono/jsx';
import type { AssetPaths } from './assets.ts';
import type { ConsoleEnv } from './console-env.ts';
import { noticeOf } from './notices.ts';
import { withParams } from './paths.ts';
import type { Session } from './session.ts';

export interface PageContext {
  session: Session;
  assets: AssetPaths;
  /** This page's path and query: where forms on it come back to. */
  here: string;
  notice?: string | undefined;
}

const sections = [
  { id: 'fleet', href: '/console', label: 'Fleet' },
  { id: 'summary', href: '/console/summary', label: 'Summary' },
  { id: 'search', href: '/console/search', label: 'Search' },
] as const;

export type Section = (typeof sections)[number]['id'];

const Head: FC<{ title: string; assets: AssetPaths }> = ({ title, assets }) => (
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    {/* hostintel's default header says no-referrer, which makes browsers send "Origin: null"
        on form posts; same-origin keeps the Origin that the CSRF check reads. */}
    <meta name="referrer" content="same-origin" />
    <title>{`${title} · hostintel`}</title>
    <link rel="icon" href={assets.icon} type="image/svg+xml" />
    <link rel="stylesheet" href={assets.css} />
    <script type="module" src={assets.js} />
  </head>
);

export const Notice: FC<{ code: string | undefined }> = ({ code }) => {
  const notice = noticeOf(code);
  return notice ? (
    <p class={`notice ${notice.tone}`} role="status">
      {notice.text}
    </p>
  ) : null;
};

export const Layout: FC<{
  title: string;
  ctx: PageContext;
  section?: Section;
  children?: Child;
}> = ({ title, ctx, section, children }) => (
  <html lang="en">
    <Head title={title} assets={ctx.assets} />
    <body>
      <header class="top">
        <a class="brand" href="/console">
          hostintel
        </a>
        <nav>
          {sections.map((s) => (
            <a href={s.href} class={s.id === section ? 'active' : undefined}>
              {s.label}
            </a>
          ))}
        </nav>
        <span class="live" data-live="off" title="Live actor state (needs JavaScript)" />
        <span class="who">
          {ctx.session.principal.name} <span class="role">{ctx.session.principal.role}</span>
        </span>
        <form method="post" action="/console/logout" class="inline">
          <input type="hidden" name="csrf" value={ctx.session.csrf} />
          <button type="submit" class="link">
            Log out
          </button>
        </form>
      </header>
      <main>
        <Notice code={ctx.notice} />
        {children}
      </main>
    </body>
  </html>
);

/** The frame of the pages outside the login (the login form itself). */
export const BareLayout: FC<{ title: string; assets: AssetPaths; children?: Child }> = ({
  title,
  assets,
  children,
}) => (
  <html lang="en">
    <Head title={title} assets={assets} />
    <body class="bare">
      <main>{children}</main>
    </body>
  </html>
);

/** The context of a page behind the login, from its request. */
export function pageContext(c: Context<ConsoleEnv>, assets: AssetPaths): PageContext {
  const url = new URL(c.req.url);
  return {
    session: c.get('session'),
    assets,
    here: withParams(`${url.pathname}${url.search}`, { notice: undefined }),
    notice: c.req.query('notice'),
  };
}
