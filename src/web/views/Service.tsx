// One InferenceService, live: its revisions and traffic, conditions with
// their messages, pods with their latest log lines, the plans that move its
// traffic, and request rate, latency and errors per revision.
import { PATHS } from '../api.ts';
import { ConditionBadge, PhaseBadge } from '../components/Badge.tsx';
import { Conditions } from '../components/Conditions.tsx';
import { ErrorNote, Live } from '../components/Live.tsx';
import { Missing } from '../components/Missing.tsx';
import { useCollection, useNow } from '../hooks.ts';
import { conditionOf, ISVC_LABEL, type Isvc, type Plan, type Pod } from '../model/kinds.ts';
import { hrefOf } from '../router.ts';
import { Pods } from './service/Pods.tsx';
import { Telemetry } from './service/Telemetry.tsx';

function Revisions({ isvc }: { isvc: Isvc }) {
  const p = isvc.status?.components?.predictor ?? {};
  const traffic = p.traffic ?? [];
  const named: Array<[string, string | undefined]> = [
    ['Latest created', p.latestCreatedRevision], ['Latest ready', p.latestReadyRevision],
    ['Latest rolled out', p.latestRolledoutRevision], ['Previously rolled out', p.previousRolledoutRevision],
  ];
  return (
    <>
      <div class="table-wrap">
        <table>
          <caption>Traffic</caption>
          <thead><tr><th scope="col">Revision</th><th scope="col">Tag</th><th scope="col">Latest</th><th scope="col">Percent</th><th scope="col">Tag URL</th></tr></thead>
          <tbody>
            {traffic.map((t, i) => (
              <tr key={`${t.revisionName}-${i}`} data-revision={t.revisionName}>
                <th scope="row">{t.revisionName ?? '—'}</th>
                <td>{t.tag ?? '—'}</td>
                <td>{t.latestRevision ? 'yes' : 'no'}</td>
                <td class="num">{t.percent !== undefined ? `${t.percent} %` : '—'}</td>
                <td class="url">{t.url ?? ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <dl class="facts">
        {named.map(([k, v]) => <div key={k}><dt>{k}</dt><dd>{v ?? '—'}</dd></div>)}
        <div><dt>canaryTrafficPercent</dt><dd>{isvc.spec?.predictor?.canaryTrafficPercent ?? 'unset (all traffic on the latest ready revision)'}</dd></div>
      </dl>
    </>
  );
}

export function ServiceView({ namespace, name }: { namespace: string; name: string }) {
  const now = useNow(5000);
  const isvcs = useCollection<Isvc>(PATHS.isvc(namespace), { fieldSelector: `metadata.name=${name}` });
  const pods = useCollection<Pod>(PATHS.pod(namespace), { labelSelector: `${ISVC_LABEL}=${name}` });
  const plans = useCollection<Plan>(PATHS.plan(namespace));
  const isvc = isvcs.items[0];
  const mine = plans.items.filter((p) => p.spec?.target?.inferenceService === name);

  if (!isvc) {
    return <Missing kind="InferenceService" namespace={namespace} name={name} loaded={isvcs.loaded} error={isvcs.error} />;
  }
  const model = isvc.spec?.predictor?.model;
  return (
    <main id="main" tabIndex={-1} class="service">
      <div class="title-row">
        <h1>InferenceService {name}</h1>
        <ConditionBadge status={conditionOf(isvc, 'Ready')?.status} trueText="Ready" falseText="Not ready" />
        <Live state={isvcs.state} error={isvcs.error} />
      </div>
      <dl class="facts">
        <div><dt>Namespace</dt><dd>{namespace}</dd></div>
        <div><dt>URL</dt><dd class="url">{isvc.status?.url ?? '—'}</dd></div>
        <div><dt>Model</dt><dd>{model?.modelFormat?.name ?? '—'} from {model?.storageUri ?? '—'}</dd></div>
        <div><dt>Predictions</dt><dd><a href={hrefOf({ view: 'predictions', namespace, service: name })}>Prediction log of {name}</a></dd></div>
      </dl>

      <section aria-labelledby="revisions-heading">
        <h2 id="revisions-heading">Revisions and traffic</h2>
        <Revisions isvc={isvc} />
      </section>

      {mine.length > 0 && (
        <section aria-labelledby="plans-heading">
          <h2 id="plans-heading">TrafficPlans</h2>
          <ul>
            {mine.map((p) => (
              <li key={p.metadata.name}>
                <a href={hrefOf({ view: 'plan', namespace, name: p.metadata.name })}>{p.metadata.name}</a> <PhaseBadge phase={p.status?.phase} />{' '}
                {typeof p.status?.message === 'string' ? p.status.message : ''}
              </li>
            ))}
          </ul>
        </section>
      )}

      <section aria-labelledby="telemetry-heading">
        <h2 id="telemetry-heading">Requests, latency and errors</h2>
        <Telemetry namespace={namespace} service={name} />
      </section>

      <section aria-labelledby="conditions-heading">
        <h2 id="conditions-heading">Conditions</h2>
        <Conditions conditions={isvc.status?.conditions} now={now} />
      </section>

      <section aria-labelledby="pods-heading">
        <h2 id="pods-heading">Pods</h2>
        <ErrorNote error={pods.error} what="pods" />
        <Pods pods={pods.items} now={now} />
      </section>
    </main>
  );
}
