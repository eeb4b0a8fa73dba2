// One-line messages a page shows after a redirect (?notice=code). Only these fixed texts can
// appear: a crafted link can pick one, never write one.

export const notices = {
  'probe-accepted': { tone: 'ok', text: 'Probe requested: the state badge follows it live.' },
  'probe-in-flight': { tone: 'warn', text: 'A probe of this host is running already.' },
  'probe-debounced': { tone: 'warn', text: 'A probe was requested moments ago; try again soon.' },
  'host-paused': { tone: 'warn', text: 'The host is paused or disabled: it is not probed.' },
  'no-actor': {
    tone: 'warn',
    text: 'No probe actor runs for this host here (no runner has picked it up yet).',
  },
  forbidden: { tone: 'error', text: 'Probing needs the operator role.' },
  'logged-out': { tone: 'ok', text: 'Logged out. The token itself stays valid until revoked.' },
  'bad-form': { tone: 'error', text: 'The form was stale or came from elsewhere; try again.' },
} as const;

export type NoticeCode = keyof typeof notices;

export function noticeOf(code: string | undefined): (typeof notices)[NoticeCode] | null {
  return code !== undefined && Object.hasOwn(notices, code) ? notices[code as NoticeCode] : null;
}
