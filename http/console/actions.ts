// The console's form posts behind the login: log out, and "probe now". Each must come from
// a page of this site with the session's CSRF token (form.ts). "Probe now" answers JSON to
// the page script (which stays on the page and lets the event stream show the probe), and a
// redirect back with a notice to a browser without JavaScript.
import type { Context } from 'hono';
import { getHost } from '../../sql/hosts.ts';
import { roleAllows } from '../../sql/tokens.ts';
import { probeAnswer } from '../actors/probe-answer.ts';
import type { ConsoleDeps, ConsoleEnv } from './console-env.ts';
import { isGenuine, readForm, wantsJson } from './form.ts';
import type { NoticeCode } from './notices.ts';
import { notices } from './notices.ts';
import { problemPage } from './pages/problem.tsx';
import { consolePath, withParams } from './paths.ts';
import { clearSessionCookie } from './session.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

type ProbeStatus = 202 | 400 | 403 | 404 | 409 | 429;

export function createActions(deps: ConsoleDeps) {
  const refuseForm = (c: Context<ConsoleEnv>) =>
    wantsJson(c)
      ? c.json({ accepted: false, message: notices['bad-form'].text }, 403)
      : problemPage(c, deps, 403, 'Refused', notices['bad-form'].text);

  const logout = async (c: Context<ConsoleEnv>) => {
    const form = await readForm(c);
    if (!isGenuine(c, form, c.get('session'))) return refuseForm(c);
    clearSessionCookie(c);
    return c.redirect('/console/login?notice=logged-out', 303);
  };

  const probe = async (c: Context<ConsoleEnv>) => {
    const form = await readForm(c);
    if (!isGenuine(c, form, c.get('session'))) return refuseForm(c);
    const id = c.req.param('id') ?? '';
    const back = consolePath(form.back);
    const answer = async (status: ProbeStatus, notice: NoticeCode, message?: string) =>
      wantsJson(c)
        ? c.json({ accepted: status === 202, message: message ?? notices[notice].text }, status)
        : c.redirect(withParams(back, { notice }), 303);

    const { role } = c.get('session').principal;
    if (!roleAllows(role, 'operator')) {
      return answer(403, 'forbidden', `Probing needs the operator role (you are ${role}).`);
    }
    if (!UUID.test(id) || !(await getHost(deps.sql, id))) {
      return wantsJson(c)
        ? c.json({ accepted: false, message: 'No such host.' }, 404)
        : problemPage(c, deps, 404, 'Not found', 'No such host.');
    }
    const result = probeAnswer(await deps.control.requestProbe(id));
    if (result.status === 202) return answer(202, 'probe-accepted', 'Probe requested.');
    const retry = result.retryAfterS ? ` (retry in ${result.retryAfterS} s)` : '';
    const code: NoticeCode =
      result.status === 404
        ? 'no-actor'
        : result.status === 429
          ? 'probe-debounced'
          : result.kind === 'host-paused'
            ? 'host-paused'
            : 'probe-in-flight';
    return answer(result.status, code, `${notices[code].text}${retry}`);
  };

  return { logout, probe };
}
