// The service's replicas (local processes shown as Pods) with their latest
// log lines, as `kubectl logs --tail` reads them.
import { useEffect, useState } from 'preact/hooks';
import { PATHS, send } from '../../api.ts';
import { ConditionBadge } from '../../components/Badge.tsx';
import { ago } from '../../format.ts';
import { conditionOf, REVISION_LABEL, type Pod } from '../../model/kinds.ts';

const TAIL = 5;
const MAX_PODS_WITH_LOGS = 12;

function PodLog({ pod }: { pod: Pod }) {
  const [lines, setLines] = useState<string | undefined>(undefined);
  const path = `${PATHS.pod(pod.metadata.namespace, pod.metadata.name)}/log`;
  // Logs are not a watchable resource: read the tail every few seconds.
  useEffect(() => {
    let live = true;
    const load = () => send(path, { query: { tailLines: TAIL } }).then((r) => r.text()).then((t) => live && setLines(t), (e: Error) => live && setLines(`(no log: ${e.message})`));
    void load();
    const timer = setInterval(load, 5000);
    return () => {
      live = false;
      clearInterval(timer);
    };
  }, [path]);
  return <pre class="log" aria-label={`Last ${TAIL} log lines of ${pod.metadata.name}`}>{lines === undefined ? 'Loading…' : lines.trimEnd() || '(empty)'}</pre>;
}

export function Pods({ pods, now }: { pods: Pod[]; now: number }) {
  if (pods.length === 0) return <p class="muted">No pods: the service has scaled to zero or is starting.</p>;
  const sorted = [...pods].sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
  return (
    <div class="pods">
      {sorted.map((p, i) => {
        const restarts = (p.status?.containerStatuses ?? []).reduce((n, c) => n + (c.restartCount ?? 0), 0);
        return (
          <article key={p.metadata.name} class="pod" aria-labelledby={`pod-${i}`}>
            <h3 id={`pod-${i}`}>{p.metadata.name}</h3>
            <p>
              <ConditionBadge status={conditionOf(p, 'Ready')?.status} trueText="Ready" falseText="Not ready" />{' '}
              {p.status?.phase ?? '—'} · revision {p.metadata.labels?.[REVISION_LABEL] ?? '—'} · {restarts} restarts · started {ago(p.status?.startTime ?? p.metadata.creationTimestamp, now)}
            </p>
            {i < MAX_PODS_WITH_LOGS ? <PodLog pod={p} /> : <p class="muted">Logs: <code>kubectl logs {p.metadata.name} -n {p.metadata.namespace}</code></p>}
          </article>
        );
      })}
    </div>
  );
}
