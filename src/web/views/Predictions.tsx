// The prediction log of a service: its latest rows, filtered by revision,
// variant and status, or paired — each primary answer beside its shadow
// (mirror) answer for the same request id.
import { useState } from 'preact/hooks';
import { PATHS, urlOf } from '../api.ts';
import { ErrorNote } from '../components/Live.tsx';
import { answerText } from '../../analysis/answer-text.ts';
import { clock, significant } from '../format.ts';
import { useCollection, usePoll } from '../hooks.ts';
import type { Isvc } from '../model/kinds.ts';
import { hrefOf } from '../router.ts';

interface Row {
  requestId: string; time: number; service: string; variant: string | null; revision: string | null; role: string; status: number; latencyMs: number; output: unknown; route: string | null;
}
/** `compared`: how the server's shadow comparison reads the two answers (labels, argmax of probability rows). */
interface Pair { requestId: string; primary: Row; mirror: Row; compared: 'agree' | 'disagree' | 'incomparable' | 'invalid' }

const LIMITS = [50, 100, 500];

function short(v: unknown): string {
  if (v === null || v === undefined) return '—';
  return answerText(v, 80);
}

function revisionsOf(isvc: Isvc | undefined): string[] {
  const p = isvc?.status?.components?.predictor;
  return [...new Set([...(p?.traffic ?? []).map((t) => t.revisionName), p?.latestCreatedRevision, p?.latestRolledoutRevision, p?.previousRolledoutRevision].filter((r): r is string => Boolean(r)))].sort();
}

function Select({ id, label, value, options, onChange }: { id: string; label: string; value: string; options: Array<[string, string]>; onChange: (v: string) => void }) {
  return (
    <div class="field">
      <label for={id}>{label}</label>
      <select id={id} value={value} onChange={(e) => onChange((e.target as HTMLSelectElement).value)}>
        {options.map(([v, text]) => <option key={v} value={v}>{text}</option>)}
      </select>
    </div>
  );
}

export function PredictionsView({ namespace, service }: { namespace?: string | undefined; service?: string | undefined }) {
  const isvcs = useCollection<Isvc>(PATHS.isvc());
  const namespaces = [...new Set(isvcs.items.map((i) => i.metadata.namespace ?? 'default'))].sort();
  const ns = namespace ?? namespaces[0] ?? '';
  const services = isvcs.items.filter((i) => (i.metadata.namespace ?? 'default') === ns).map((i) => i.metadata.name).sort();
  const svc = service ?? services[0] ?? '';
  const [revision, setRevision] = useState('');
  const [variant, setVariant] = useState('');
  const [status, setStatus] = useState('');
  const [paired, setPaired] = useState(false);
  const [limit, setLimit] = useState(100);
  const [follow, setFollow] = useState(true);
  const go = (n: string, s: string) => {
    location.hash = hrefOf({ view: 'predictions', namespace: n, service: s });
    setRevision('');
  };
  const path = ns && svc
    ? urlOf(`/switchyard/v1/namespaces/${encodeURIComponent(ns)}/predictions`, { service: svc, revision, variant, status, paired: paired || undefined, limit })
    : undefined;
  const rows = usePoll<{ items: Array<Row | Pair>; policy?: unknown }>(path, follow ? 2000 : 0);
  const items = rows.data?.items ?? [];
  const isvc = isvcs.items.find((i) => i.metadata.name === svc && (i.metadata.namespace ?? 'default') === ns);

  return (
    <main id="main" tabIndex={-1} class="predictions">
      <h1>Predictions</h1>
      <form class="filters" onSubmit={(e) => { e.preventDefault(); rows.refresh(); }}>
        <Select id="pred-namespace" label="Namespace" value={ns} options={namespaces.map((n) => [n, n])} onChange={(n) => go(n, '')} />
        <Select id="pred-service" label="InferenceService" value={svc} options={services.map((s) => [s, s])} onChange={(s) => go(ns, s)} />
        <Select id="pred-revision" label="Revision" value={revision} options={[['', 'any'], ...revisionsOf(isvc).map((r): [string, string] => [r, r])]} onChange={setRevision} />
        <div class="field">
          <label for="pred-variant">Variant</label>
          <input id="pred-variant" type="text" value={variant} placeholder="any" onChange={(e) => setVariant((e.target as HTMLInputElement).value.trim())} />
        </div>
        <Select id="pred-status" label="Status" value={status} options={[['', 'any'], ['2xx', '2xx (answered)'], ['4xx', '4xx (client errors)'], ['5xx', '5xx (server errors)']]} onChange={setStatus} />
        <Select id="pred-limit" label="Rows" value={String(limit)} options={LIMITS.map((l) => [String(l), String(l)])} onChange={(v) => setLimit(Number(v))} />
        <fieldset class="field">
          <legend>View</legend>
          <label><input type="radio" name="pred-view" checked={!paired} onChange={() => setPaired(false)} /> rows</label>
          <label><input type="radio" name="pred-view" checked={paired} onChange={() => setPaired(true)} /> paired with shadow</label>
        </fieldset>
        <div class="field">
          <label><input type="checkbox" checked={follow} onChange={(e) => setFollow((e.target as HTMLInputElement).checked)} /> follow new rows</label>
        </div>
        <button type="submit">Refresh</button>
      </form>
      <ErrorNote error={rows.error} what="the prediction log" />
      {!path ? <p class="muted">{isvcs.loaded ? 'No InferenceService yet.' : 'Loading…'}</p>
        : items.length === 0 ? <p class="muted">{rows.data ? (paired ? 'No paired rows: nothing mirrored this service\'s requests to a shadow.' : 'No rows match.') : 'Loading…'}</p>
        : paired ? <PairTable pairs={items as Pair[]} /> : <RowTable rows={items as Row[]} />}
    </main>
  );
}

function RowTable({ rows }: { rows: Row[] }) {
  return (
    <div class="table-wrap">
      <table>
        <caption>{rows.length} rows, newest first</caption>
        <thead><tr><th scope="col">Time</th><th scope="col">Request id</th><th scope="col">Revision</th><th scope="col">Variant</th><th scope="col">Role</th><th scope="col">Status</th><th scope="col">Latency</th><th scope="col">Output</th></tr></thead>
        <tbody>
          {rows.map((r) => (
            <tr key={`${r.requestId}-${r.role}-${r.time}`}>
              <td>{clock(r.time)}</td>
              <td class="id">{r.requestId}</td>
              <td>{r.revision ?? '—'}</td>
              <td>{r.variant ?? '—'}</td>
              <td>{r.role}</td>
              <td class="num">{r.status}</td>
              <td class="num">{significant(r.latencyMs)} ms</td>
              <td class="output">{short(r.output)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

const agrees = (p: Pair): boolean => p.compared === 'agree';
const VERDICT: Record<Pair['compared'], string> = { agree: '✓ same', disagree: '✗ differs', incomparable: '? not comparable', invalid: '✗ failed or unreadable' };

function PairTable({ pairs: all }: { pairs: Pair[] }) {
  const [onlyDisagreements, setOnly] = useState(false);
  const same = all.filter(agrees).length;
  const pairs = onlyDisagreements ? all.filter((p) => !agrees(p)) : all;
  return (
    <>
      <p>{same} of {all.length} pairs answered the same ({significant((100 * same) / all.length)} % agreement).</p>
      <label><input type="checkbox" checked={onlyDisagreements} onChange={(e) => setOnly((e.target as HTMLInputElement).checked)} /> only disagreements</label>
      <div class="table-wrap">
        <table>
          <caption>{pairs.length} pairs, newest first</caption>
          <thead><tr><th scope="col">Time</th><th scope="col">Request id</th><th scope="col">Primary</th><th scope="col">Primary output</th><th scope="col">Shadow</th><th scope="col">Shadow output</th><th scope="col">Agree</th></tr></thead>
          <tbody>
            {pairs.map((p) => (
                <tr key={`${p.requestId}-${p.mirror.service}`}>
                  <td>{clock(p.primary.time)}</td>
                  <td class="id">{p.requestId}</td>
                  <td>{p.primary.revision ?? p.primary.service} · {p.primary.status} · {significant(p.primary.latencyMs)} ms</td>
                  <td class="output">{short(p.primary.output)}</td>
                  <td>{p.mirror.revision ?? p.mirror.service} · {p.mirror.status} · {significant(p.mirror.latencyMs)} ms</td>
                  <td class="output">{short(p.mirror.output)}</td>
                  <td>{VERDICT[p.compared]}</td>
                </tr>
            ))}
          </tbody>
        </table>
      </div>
    </>
  );
}
