// What `switchyard plan status` prints: a pure function of the plan object and
// the clock, so the same text is tested, printed once, or redrawn by --watch.
import { humanDuration } from '../api/age.ts';
import { COMMAND_ANNOTATION, COMMAND_BY_ANNOTATION, COMMAND_REASON_ANNOTATION, TERMINAL_PLAN_PHASES, type TrafficPlanStatus } from '../api/kinds/trafficplan.ts';
import { optionalDurationMs } from '../core/duration.ts';
import { alignColumns } from './table.ts';

export const TERMINAL_PHASES = TERMINAL_PLAN_PHASES;

type Hold = { minRequests?: number; passingWindows?: number; minDuration?: string };
type PhaseSpec = {
  shadow?: { percent?: number };
  canary?: { steps?: number[]; hold?: Hold };
  blueGreen?: { hold?: Hold };
  abTest?: { percent?: number; hold?: Hold };
  bandit?: Record<string, unknown>;
};

/** The plan as read from the API; loose because a plan may not have been reconciled yet. */
export interface PlanObject {
  metadata?: { name?: string; namespace?: string; annotations?: Record<string, string> };
  spec?: {
    target?: { inferenceService?: string; virtualService?: { name: string; route?: string } };
    owner?: { team?: string };
    phases?: PhaseSpec[];
    maxDuration?: string;
  };
  status?: TrafficPlanStatus;
}

export interface ViewOptions {
  now: number;
  /** ANSI colours (only when stdout is a terminal). */
  color?: boolean;
  barWidth?: number;
}

const ANSI = { green: '32', red: '31', yellow: '33', bold: '1', dim: '2' } as const;
const paint = (on: boolean | undefined, code: keyof typeof ANSI, text: string) => (on ? `\x1b[${ANSI[code]}m${text}\x1b[0m` : text);

const PHASE_COLOR: Record<string, keyof typeof ANSI> = { Promoted: 'green', RolledBack: 'red', Aborted: 'red', Paused: 'yellow', Progressing: 'bold' };
const VERDICT_COLOR: Record<string, keyof typeof ANSI> = { pass: 'green', fail: 'red', error: 'red', inconclusive: 'yellow', nodata: 'yellow' };

export const isTerminal = (plan: PlanObject): boolean => TERMINAL_PHASES.has(plan.status?.phase ?? '');

/** 0.001234 → "0.001234", 12.3456 → "12.35", undefined → "-". */
export function formatNumber(v: number | null | undefined): string {
  if (v === null || v === undefined) return '-';
  if (!Number.isFinite(v)) return String(v);
  if (Number.isInteger(v)) return String(v);
  return String(Number(v.toPrecision(4)));
}

/** `[########------------]  2600/5000 (52%)`; without a budget just the count. */
export function progressBar(done: number, total: number | undefined, width = 30): string {
  if (!total) return `${done} requests (no request budget in this step)`;
  const ratio = Math.min(1, Math.max(0, done / total));
  const filled = Math.round(ratio * width);
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}]  ${done}/${total} (${Math.floor(ratio * 100)}%)`;
}

function holdOf(ph: PhaseSpec | undefined): Hold | undefined {
  return ph?.canary?.hold ?? ph?.blueGreen?.hold ?? ph?.abTest?.hold;
}

/** "canary step 2/4 at 10%", prefixed with "phase 2/3: " when the plan has several phases. */
export function stepDescription(plan: PlanObject): string {
  const s = plan.status ?? {};
  const phases = plan.spec?.phases ?? [];
  const index = s.phaseIndex ?? 0;
  const ph = phases[index];
  const pct = s.canaryPercent ?? 0;
  let text: string;
  if (ph?.canary) {
    const steps = s.steps ?? ph.canary.steps ?? [];
    text = `canary step ${(s.currentStep ?? 0) + 1}/${steps.length} at ${pct}%`;
  } else if (ph?.shadow) text = `shadow copying ${ph.shadow.percent ?? 0}% to the candidate`;
  else if (ph?.blueGreen) text = pct === 0 ? 'blueGreen preview (0% live)' : `blueGreen at ${pct}%`;
  // The test's split is its design (fixed while it runs), not where traffic is now: after a win the candidate has 100 %.
  else if (ph?.abTest) text = `abTest at ${ph.abTest.percent ?? 50}%${abProgress(s)}`;
  else if (ph?.bandit) text = `bandit${banditProgress(s) ?? ` at ${pct}%`}`;
  else text = `at ${pct}%`;
  return phases.length > 1 ? `phase ${index + 1}/${phases.length}: ${text}` : text;
}

/** ": 316/1774 units per arm" while an A/B test runs (its smaller arm against the design's size). */
function abProgress(s: TrafficPlanStatus): string {
  const e = s.experiment as { baseline?: { units?: number }; candidate?: { units?: number }; horizon?: { unitsPerArm?: number } } | undefined;
  if (!e || e.baseline?.units === undefined || e.candidate?.units === undefined) return '';
  const size = e.horizon?.unitsPerArm;
  return `: ${Math.min(e.baseline.units, e.candidate.units)}${size ? `/${size}` : ''} units per arm`;
}

/** " allocation v5: arm-a 20%, arm-b 30%, arm-c 50%" once a bandit allocates. */
function banditProgress(s: TrafficPlanStatus): string | undefined {
  const b = s.bandit;
  if (!b) return undefined;
  return ` allocation v${b.version}: ${b.arms.map((a) => `${a.name} ${formatNumber(Math.round(a.weight * 1000) / 10)}%`).join(', ')}`;
}

function targetText(plan: PlanObject): string {
  const t = plan.spec?.target;
  if (t?.inferenceService) return `InferenceService ${t.inferenceService}`;
  if (t?.virtualService) return `VirtualService ${t.virtualService.name}${t.virtualService.route ? ` route ${t.virtualService.route}` : ''}`;
  return '<none>';
}

function splitText(s: TrafficPlanStatus): string {
  const entries = Object.entries(s.split ?? {}).sort((a, b) => b[1] - a[1]);
  if (entries.length === 0) return '<none>';
  const role = (rev: string) => (rev === s.candidateRevision ? ' (candidate)' : rev === s.baselineRevision ? ' (baseline)' : '');
  return entries.map(([rev, pct]) => `${rev}${role(rev)} ${formatNumber(pct)}%`).join(', ');
}

const sinceMs = (iso: string | undefined, now: number): number | undefined => {
  const t = iso === undefined ? NaN : Date.parse(iso);
  return Number.isNaN(t) ? undefined : Math.max(0, now - t);
};
const clock = (iso: string) => (/T(\d\d:\d\d:\d\d)/.exec(iso)?.[1] ?? iso);

function timeText(plan: PlanObject, now: number): string | undefined {
  const s = plan.status ?? {};
  const parts: string[] = [];
  const inStep = sinceMs(s.stepStartedAt, now);
  const minDuration = holdOf(plan.spec?.phases?.[s.phaseIndex ?? 0])?.minDuration;
  if (inStep !== undefined) parts.push(`${humanDuration(inStep)} in step${minDuration ? ` (minDuration ${minDuration}${inStep >= (optionalDurationMs(minDuration) ?? 0) ? ', met' : ''})` : ''}`);
  const running = sinceMs(s.startedAt, now);
  if (running !== undefined) parts.push(`${humanDuration(running)} since start${plan.spec?.maxDuration ? ` (maxDuration ${plan.spec.maxDuration})` : ''}`);
  return parts.length > 0 ? parts.join(', ') : undefined;
}

// JSON carries an unbounded end (±Infinity) as null: an interval's null ends read -∞ and ∞.
const intervalText = (iv: Array<number | null> | undefined) => (iv && iv.length === 2 ? ` [${iv[0] === null ? '-∞' : formatNumber(iv[0])}, ${iv[1] === null ? '∞' : formatNumber(iv[1])}]` : '');

/** One row per gate: the step's value with its interval, the baseline, the last window alone, and what an undecided gate still needs. */
function gateRows(s: TrafficPlanStatus, color: boolean | undefined): string[] {
  const gates = s.gates ?? [];
  if (gates.length === 0) return ['  <no gate evaluated yet>'];
  const rows = gates.map((g) => [
    `${g.name && g.name !== g.metric ? `${g.name} (${g.metric})` : g.metric}${g.slice ? ` [${g.slice}]` : ''}`,
    // A maxDelta gate's interval is of candidate − baseline, not of the value beside it: marked Δ.
    `${formatNumber(g.value)}${g.interval ? intervalText(g.interval) : g.deltaInterval ? ` Δ${intervalText(g.deltaInterval)}` : ''}`, formatNumber(g.baseline),
    g.lastWindow ? `${formatNumber(g.lastWindow.value)}${g.lastWindow.failed ? ' FAILED' : ''}` : '-',
    g.threshold ?? '-', g.skipped ? 'skipped' : (g.verdict ?? '-'), g.needs?.message ?? '',
  ]);
  const lines = alignColumns([['GATE', 'STEP [INTERVAL]', 'BASELINE', 'LAST WINDOW', 'THRESHOLD', 'VERDICT', 'NEEDS'], ...rows]);
  const out = lines.map((line, i) => {
    const verdict = i === 0 || gates[i - 1]!.skipped ? undefined : gates[i - 1]!.verdict;
    const code = verdict ? VERDICT_COLOR[verdict] : undefined;
    return `  ${code ? paint(color, code, line) : line}`;
  });
  // Reasons are long: one line each under the table.
  gates.forEach((g) => { if (g.reason) out.push(`    ${g.name ?? g.metric}${g.slice ? ` [${g.slice}]` : ''}: ${g.reason}`); });
  return out;
}

function conditionRows(s: TrafficPlanStatus, now: number): string[] {
  const conditions = s.conditions ?? [];
  if (conditions.length === 0) return [];
  const rows = conditions.map((c) => {
    const age = sinceMs(c.lastTransitionTime, now);
    return [c.type, c.status, c.reason ?? '', age === undefined ? '' : `${humanDuration(age)} ago`];
  });
  return ['Conditions:', ...alignColumns([['TYPE', 'STATUS', 'REASON', 'SINCE'], ...rows]).map((l) => `  ${l}`)];
}

interface ShadowStatus {
  percent: number; pairedRequests?: number; pairs: number; compared: number; agree: number; labelled: number; agreement?: number;
  candidateErrors: number; baselineErrors: number; invalid: number; incomparable: number; unpaired: number;
  byOutput?: Record<string, { compared: number; agree: number }>; confusion?: Record<string, Record<string, number>>; incomparableReason?: string;
  /** Set once the shadow phase passed and a later phase runs: its verdict and 1-based phase number. */
  verdict?: string; phase?: number;
}

const pct = (x: number | undefined) => (x === undefined ? '-' : `${formatNumber(Math.round(x * 10000) / 100)}%`);

/** The shadow's pairs: progress toward exit.pairedRequests, agreement, failures, and the confusion matrix (baseline label × candidate label). */
export function shadowRows(sh: ShadowStatus): string[] {
  const lines = [
    `Shadow:     ${sh.verdict ? `phase ${sh.phase ?? '?'} ${sh.verdict}: ` : ''}${sh.percent}% of requests copied to the candidate; ${sh.pairedRequests ? progressBar(sh.pairs, sh.pairedRequests, 20).replace(/\s\d+\/\d+ /, ` ${sh.pairs}/${sh.pairedRequests} pairs `) : `${sh.pairs} pairs`}`,
    `            agreement ${pct(sh.agreement)} (${sh.agree} of ${sh.labelled}), candidate failed ${sh.candidateErrors}, invalid ${sh.invalid}, baseline failed ${sh.baselineErrors}, unpaired ${sh.unpaired}${sh.incomparable ? `, NOT COMPARABLE ${sh.incomparable}: ${sh.incomparableReason ?? ''}` : ''}`,
  ];
  const outputs = Object.entries(sh.byOutput ?? {});
  if (outputs.length > 1) lines.push(`            per output: ${outputs.map(([n, o]) => `${n} ${pct(o.compared ? o.agree / o.compared : undefined)}`).join(', ')}`);
  const confusion = sh.confusion ?? {};
  const base = Object.keys(confusion).sort();
  if (base.length > 0) {
    const cand = [...new Set(base.flatMap((b) => Object.keys(confusion[b]!)))].sort();
    const rows = base.map((b) => [`    ${b}`, ...cand.map((c) => String(confusion[b]![c] ?? 0))]);
    lines.push('  Confusion (rows: baseline label, columns: candidate label):', ...alignColumns([['    ', ...cand], ...rows]).map((l) => `  ${l}`));
  }
  return lines;
}

/** The whole status block. */
export function renderPlanStatus(plan: PlanObject, opts: ViewOptions): string {
  const s = plan.status ?? {};
  const name = plan.metadata?.name ?? '';
  const phase = s.phase ?? 'Pending';
  const lines: string[] = [];
  const field = (label: string, value: string) => lines.push(`${`${label}:`.padEnd(12)}${value}`);
  lines.push(paint(opts.color, 'bold', `TrafficPlan ${name}${plan.metadata?.namespace ? ` (namespace ${plan.metadata.namespace})` : ''}`));
  const phaseText = plan.status === undefined
    ? 'Pending (the controller has not reported on this plan yet)'
    : TERMINAL_PHASES.has(phase) ? `${phase} (${s.startedAt ? `ended in ${stepDescription(plan).replace(/ at \d+(\.\d+)?%$/, '')}` : 'before it started'}), candidate now at ${s.canaryPercent ?? 0}%`
      // Waiting to start (see Message): nothing has moved, so no step is current yet.
      : phase === 'Pending' ? 'Pending, not started yet' : `${phase}, ${stepDescription(plan)}`;
  field('Phase', PHASE_COLOR[phase] ? paint(opts.color, PHASE_COLOR[phase]!, phaseText) : phaseText);
  field('Target', targetText(plan));
  if (plan.spec?.owner?.team) field('Owner', plan.spec.owner.team);
  field('Candidate', s.candidateRevision ?? '<not created yet>');
  field('Baseline', s.baselineRevision ?? '<unknown>');
  field('Split', splitText(s));
  if (s.previewURL) field('Preview', `${s.previewURL}: the requests sent there judge the candidate (0% of live traffic)`);
  if (!TERMINAL_PHASES.has(phase)) {
    field('Requests', progressBar(s.stepRequests ?? 0, s.stepMinRequests, opts.barWidth));
    const windows = s.requiredPassingWindows ? `${s.passingWindows ?? 0}/${s.requiredPassingWindows} consecutive passing` : `${s.passingWindows ?? 0} consecutive passing`;
    field('Windows', `${windows}${s.lastWindow ? `; last ${clock(s.lastWindow.from)}-${clock(s.lastWindow.to)}: ${s.lastWindow.verdict}` : ''}`);
    if (s.evidence) field('Evidence', `${s.evidence.candidateRequests} candidate and ${s.evidence.baselineRequests} baseline requests in ${s.evidence.windows} window${s.evidence.windows === 1 ? '' : 's'} since ${clock(s.evidence.since)}${s.evidence.baselineIsReference ? ' (baseline: reference from before the split moved)' : ''}`);
    const decidable = s.conditions?.find((c) => c.type === 'Decidable');
    if (decidable?.message) field('Decision', `${decidable.status === 'False' ? paint(opts.color, 'red', 'not expected: ') : ''}${decidable.message}`);
    const time = timeText(plan, opts.now);
    if (time) field('Time', time);
  }
  const a = plan.metadata?.annotations ?? {};
  if (a[COMMAND_ANNOTATION]) {
    const by = a[COMMAND_BY_ANNOTATION] ? ` by ${a[COMMAND_BY_ANNOTATION]}` : '';
    field('Command', `${a[COMMAND_ANNOTATION]}${by}${a[COMMAND_REASON_ANNOTATION] ? ` (${a[COMMAND_REASON_ANNOTATION]})` : ''}, not yet acted on by the controller`);
  }
  if (s.message) field('Message', s.message);
  if (s.restore) field('Restore', s.restore);
  if (s.shadow) lines.push(...shadowRows(s.shadow as unknown as ShadowStatus));
  lines.push('Gates:', ...gateRows(s, opts.color));
  lines.push(...conditionRows(s, opts.now));
  return lines.join('\n');
}

/** Terminal rows a block occupies once long lines wrap at `columns`. */
export function screenRows(text: string, columns: number): number {
  // eslint-disable-next-line no-control-regex
  const plain = text.replace(/\x1b\[[0-9;]*m/g, '');
  return plain.split('\n').reduce((n, line) => n + Math.max(1, Math.ceil(line.length / Math.max(1, columns))), 0);
}

/**
 * Escape sequence that moves the cursor up over the previous block and clears it, so the next one
 * replaces it; a block taller than the screen cannot be reached that way, so the screen is cleared.
 */
export function redrawPrefix(previous: string | undefined, columns: number, screenHeight = Infinity): string {
  if (previous === undefined) return '';
  const rows = screenRows(previous, columns);
  return rows >= screenHeight ? '\x1b[H\x1b[2J' : `\x1b[${rows}F\x1b[0J`;
}
