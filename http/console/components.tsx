// Small pieces the pages share: badges, times, the live actor fields (the browser script
// finds them by data-field and updates them from the event stream) and "probe now".
import type { FC } from 'hono/jsx';
import { roleAllows } from '../../sql/tokens.ts';
import type { ActorView } from './actor-view.ts';
import { relative, utc } from './format.ts';
import type { PageContext } from './layout.tsx';
import { hostPath } from './paths.ts';

export const Badge: FC<{
  kind: string;
  value: string;
  /** What it says, when not the value itself. */
  text?: string;
  field?: string;
  hidden?: boolean;
}> = ({ kind, value, text, field, hidden }) => (
  <span
    class={`badge ${kind}-${value.replace(/[^a-z0-9-]/gi, '')}`}
    data-field={field}
    hidden={hidden}
  >
    {text ?? value}
  </span>
);

/** The outcome of the last probe; always present (maybe hidden) so live updates can fill it. */
export const LastOutcome: FC<{ outcome: string | null }> = ({ outcome }) => (
  <Badge kind="outcome" value={outcome ?? 'none'} field="last-outcome" hidden={!outcome} />
);

export const When: FC<{ at: Date | string | null; now: number; field?: string }> = ({
  at,
  now,
  field,
}) => {
  const iso = at === null ? undefined : new Date(at).toISOString();
  return (
    <time datetime={iso} title={at === null ? undefined : utc(at)} data-field={field}>
      {relative(at, now)}
    </time>
  );
};

/** The actor's state and the unreachable flag; "no actor" when no runner holds the host. */
export const ActorState: FC<{ view: ActorView | null }> = ({ view }) => (
  <span class="state">
    <Badge
      kind="state"
      value={view?.state ?? 'none'}
      text={view ? view.state : 'no actor'}
      field="state"
    />
    <span class="badge flag-unreachable" data-field="unreachable" hidden={!view?.unreachable}>
      unreachable
    </span>
  </span>
);

export const Failures: FC<{ view: ActorView | null }> = ({ view }) => (
  <span
    data-field="failures"
    class={view && view.failures.facts + view.failures.metrics > 0 ? 'bad' : ''}
  >
    {view ? `${view.failures.facts} facts · ${view.failures.metrics} metrics` : '—'}
  </span>
);

export const NextDue: FC<{ view: ActorView | null; now: number }> = ({ view, now }) => (
  <span class="due">
    <small class="muted">facts</small>{' '}
    <When at={view?.nextFactsDueAt ?? null} now={now} field="next-facts" />
    <br />
    <small class="muted">metrics</small>{' '}
    <When at={view?.nextMetricsDueAt ?? null} now={now} field="next-metrics" />
  </span>
);

/** "Probe now": a form for operators; for viewers a disabled button that says why. */
export const ProbeNow: FC<{ hostId: string; ctx: PageContext }> = ({ hostId, ctx }) => {
  const { role } = ctx.session.principal;
  if (!roleAllows(role, 'operator')) {
    return (
      <span class="probe-now">
        <button type="button" disabled title={`Probing needs the operator role (you are ${role})`}>
          Probe now
        </button>
        <small class="muted">needs operator role</small>
      </span>
    );
  }
  return (
    <form method="post" action={hostPath(hostId, 'probe')} class="inline probe-now" data-probe="">
      <input type="hidden" name="csrf" value={ctx.session.csrf} />
      <input type="hidden" name="back" value={ctx.here} />
      <button type="submit">Probe now</button>
      <output data-field="probe-result" aria-live="polite" />
    </form>
  );
};

export const Empty: FC<{ text: string }> = ({ text }) => <p class="empty">{text}</p>;
