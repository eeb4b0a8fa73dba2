// The login form: an API token in, a session cookie out. A wrong token gets the form again
// with a reason and an empty field: the token is never written into a page.
import type { Context } from 'hono';
import { getCookie } from 'hono/cookie';
import type { ConsoleDeps, ConsoleEnv } from '../console-env.ts';
import { fromThisSite, readForm } from '../form.ts';
import { BareLayout, Notice } from '../layout.tsx';
import { consolePath } from '../paths.ts';
import { render } from '../render.ts';
import { SESSION_COOKIE, sessionFor, setSessionCookie } from '../session.ts';

const LoginPage = ({
  deps,
  next,
  error,
  notice,
}: {
  deps: ConsoleDeps;
  next: string;
  error?: string;
  notice?: string | undefined;
}) => (
  <BareLayout title="Log in" assets={deps.assets}>
    <form method="post" action="/console/login" class="login card">
      <h1>hostintel</h1>
      <Notice code={notice} />
      {error ? (
        <p class="notice error" role="alert">
          {error}
        </p>
      ) : null}
      <label for="token">API token</label>
      <input
        id="token"
        name="token"
        type="password"
        required
        autocomplete="off"
        spellcheck={false}
        minlength={16}
        maxlength={1024}
        autofocus
      />
      <input type="hidden" name="next" value={next} />
      <button type="submit">Log in</button>
      <p class="muted">
        Any API token works; its role decides what you may do here (viewer: read; operator: also
        probe). Create one with <code>hostintel tokens create --role viewer</code>.
      </p>
    </form>
  </BareLayout>
);

export function createLoginHandlers(deps: ConsoleDeps) {
  const show = async (c: Context<ConsoleEnv>) => {
    const next = consolePath(c.req.query('next'));
    if (await sessionFor(deps.sql, getCookie(c, SESSION_COOKIE))) return c.redirect(next, 302);
    return render(c, <LoginPage deps={deps} next={next} notice={c.req.query('notice')} />);
  };

  const submit = async (c: Context<ConsoleEnv>) => {
    const form = await readForm(c);
    const next = consolePath(form.next);
    if (!fromThisSite(c)) {
      const error = 'This login form did not come from this site.';
      return render(c, <LoginPage deps={deps} next={next} error={error} />, 403);
    }
    const session = await sessionFor(deps.sql, form.token?.trim());
    if (!session) {
      const error = 'That token is unknown or revoked.';
      return render(c, <LoginPage deps={deps} next={next} error={error} />, 401);
    }
    setSessionCookie(c, form.token?.trim() ?? '');
    // The audit trail records the login under the token that logged in.
    c.set('principal', session.principal);
    return c.redirect(next, 303);
  };

  return { show, submit };
}
