// What every host page shows above its tab: the host, its actor (live), its OS, "probe now"
// and the tabs. loadHost reads what the frame needs; null when there is no such host.
import type { Child, FC } from 'hono/jsx';
import { currentFacts } from '../../sql/fact-queries.ts';
import { getHost, type HostRow } from '../../sql/hosts.ts';
import { type ActorView, toActorView } from './actor-view.ts';
import {
  ActorState,
  Badge,
  Failures,
  LastOutcome,
  NextDue,
  ProbeNow,
  When,
} from './components.tsx';
import type { ConsoleDeps } from './console-env.ts';
import { cellText, isRecord } from './format.ts';
import { Layout, type PageContext } from './layout.tsx';
import { hostPath } from './paths.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface HostFrameData {
  host: HostRow;
  view: ActorView | null;
  os: Record<string, unknown> | null;
}

export async function loadHost(deps: ConsoleDeps, id: string): Promise<HostFrameData | null> {
  if (!UUID.test(id)) return null;
  const host = await getHost(deps.sql, id);
  if (!host) return null;
  const [os] = await currentFacts(deps.sql, id, 'os');
  return {
    host,
    view: toActorView(deps.control.actorView(id)),
    os: isRecord(os?.value) ? os.value : null,
  };
}

export const hostTabs = [
  { id: '', label: 'Facts' },
  { id: 'changes', label: 'Changes' },
  { id: 'probes', label: 'Probe log' },
  { id: 'metrics', label: 'Metrics' },
  { id: 'vulnerabilities', label: 'Vulnerabilities' },
] as const;

export type HostTab = (typeof hostTabs)[number]['id'];

export const HostFrame: FC<{
  ctx: PageContext;
  data: HostFrameData;
  tab: HostTab;
  children?: Child;
}> = ({ ctx, data, tab, children }) => {
  const { host, view, os } = data;
  const now = Date.now();
  const label = hostTabs.find((t) => t.id === tab)?.label ?? '';
  return (
    <Layout title={`${host.name} · ${label}`} ctx={ctx} section="fleet">
      <section class="host-head" data-host-id={host.id}>
        <div>
          <h1>{host.name}</h1>
          <p class="muted">
            {host.username}@{host.address}:{host.port} · host key {host.hostKeyPolicy}
            {host.sudo ? ' · sudo' : ''}
            {host.enabled ? '' : ' · disabled'}
          </p>
          <p>
            {os ? cellText(os.prettyName ?? os.name) : 'OS not known yet'}
            {os?.kernelRelease ? (
              <span class="muted"> · kernel {cellText(os.kernelRelease)}</span>
            ) : null}
            {os?.rebootRequired === true ? <Badge kind="flag" value="reboot-required" /> : null}
          </p>
          <p class="labels">
            {Object.entries(host.labels).map(([k, v]) => (
              <span class="chip">
                {k}={v}
              </span>
            ))}
            {host.groups.map((g) => (
              <span class="chip group">{g}</span>
            ))}
          </p>
        </div>
        <dl class="actor">
          <dt>State</dt>
          <dd>
            <ActorState view={view} />
          </dd>
          <dt>Last probe</dt>
          <dd>
            <LastOutcome outcome={view?.lastProbe?.outcome ?? null} />{' '}
            <When at={view?.lastProbe?.finishedAt ?? null} now={now} field="last-probe" />
          </dd>
          <dt>Next due</dt>
          <dd>
            <NextDue view={view} now={now} />
          </dd>
          <dt>Failures</dt>
          <dd>
            <Failures view={view} />
          </dd>
          <dt>Last error</dt>
          <dd class={view?.lastError ? 'error-text' : undefined} data-field="last-error">
            {view?.lastError ?? '—'}
          </dd>
          <dt />
          <dd>
            <ProbeNow hostId={host.id} ctx={ctx} />
          </dd>
        </dl>
      </section>
      <nav class="tabs">
        {hostTabs.map((t) => (
          <a href={hostPath(host.id, t.id)} class={t.id === tab ? 'active' : undefined}>
            {t.label}
          </a>
        ))}
      </nav>
      {children}
    </Layout>
  );
};
