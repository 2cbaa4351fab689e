// A bandit phase: each arm's share of traffic now and over time, what it has
// earned (rewards, rate and its always-valid interval, pending ones still without a reward), its probability
// of being the best arm, whether a guardrail froze it and why, and the
// off-policy estimate from the logged propensities; above them the mode
// (learning, or held and why), since a held bandit is the thing to notice.
import { Chart } from '../../components/Chart.tsx';
import { count, dateTime, percentOf, significant } from '../../format.ts';

/** status.bandit as src/controllers/plan/present.ts writes it; every field read defensively. */
export interface BanditStatus {
  algorithm?: string; version?: number; allocatedAt?: string; learning?: boolean; hold?: string; valueRemaining?: number; lastReward?: string; result?: string; promotionWaits?: string;
  arms?: Array<{ name: string; fallback?: boolean; weight?: number; rewards?: number; rewardRate?: number; pending?: number; probabilityBest?: number; rewardInterval?: [number, number]; frozen?: boolean; frozenWhy?: string; ips?: number; ipsSe?: number; logged?: number }>;
  history?: Array<{ at: string; weights: number[] }>;
}

function Mode({ b }: { b: BanditStatus }) {
  if (b.result) return <p><strong>Result: {b.result}</strong></p>;
  if (b.hold) return <p class="warn" role="status"><strong>Held:</strong> {b.hold}</p>;
  const mode = b.learning === false ? <strong>Learning is off: the allocation stays where it is.</strong> : 'Learning from rewards.';
  return <p>{mode}{b.promotionWaits ? <> <strong>Promotion waits:</strong> {b.promotionWaits}</> : null}</p>;
}

export function BanditPanel({ value }: { value: unknown }) {
  const b = (typeof value === 'object' && value !== null ? value : {}) as BanditStatus;
  const arms = b.arms ?? [];
  const history = b.history ?? [];
  return (
    <div class="bandit">
      <Mode b={b} />
      <dl class="facts">
        <div><dt>Algorithm</dt><dd>{b.algorithm ?? '—'}</dd></div>
        <div><dt>Allocation</dt><dd>v{b.version ?? 0}{b.allocatedAt ? <span class="muted"> at {dateTime(b.allocatedAt)}</span> : null}</dd></div>
        <div><dt>Last reward</dt><dd>{b.lastReward ? dateTime(b.lastReward) : 'none yet'}</dd></div>
        <div><dt>Value remaining</dt><dd>{b.valueRemaining !== undefined ? significant(b.valueRemaining, 3) : '—'}</dd></div>
      </dl>
      <div class="table-wrap">
        <table>
          <caption>Arms: share of traffic, rewards earned (the interval is always valid: an arm is promoted once its interval lies above the fallback's), probability of being best, guardrails</caption>
          <thead><tr>{['arm', 'share', 'rewards', 'reward rate', 'interval', 'pending', 'P(best)', 'IPS estimate', 'guardrail'].map((h) => <th key={h} scope="col">{h}</th>)}</tr></thead>
          <tbody>
            {arms.map((a) => (
              <tr key={a.name}>
                <th scope="row">{a.name}{a.fallback ? <span class="muted"> (fallback)</span> : null}</th>
                <td class="num">{percentOf(a.weight)}</td>
                <td class="num">{count(a.rewards)}</td>
                <td class="num">{a.rewardRate !== undefined ? significant(a.rewardRate, 3) : '—'}</td>
                <td class="num">{a.rewardInterval ? `${significant(a.rewardInterval[0], 3)} – ${significant(a.rewardInterval[1], 3)}` : '—'}</td>
                <td class="num">{count(a.pending)}</td>
                <td class="num">{percentOf(a.probabilityBest)}</td>
                <td class="num">{a.ips !== undefined ? `${significant(a.ips, 3)} ± ${significant(1.96 * (a.ipsSe ?? 0), 2)}` : '—'}</td>
                <td>{a.frozen ? <span class="badge" title={a.frozenWhy}>frozen: {a.frozenWhy || 'guardrail'}</span> : 'ok'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {history.length > 1 && (
        <Chart label="Bandit allocation over time" summary={`${history.length} allocations; now ${arms.map((a) => `${a.name} ${percentOf(a.weight)}`).join(', ')}`}
          t={history.map((h) => Date.parse(h.at) / 1000)}
          series={arms.map((a, i) => ({ label: a.name, kind: 'step' as const, values: history.map((h) => h.weights[i] ?? null), color: i }))}
          format={(v) => percentOf(v)} yRange={[0, 1]} height={180} />
      )}
    </div>
  );
}
