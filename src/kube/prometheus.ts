// The Prometheus provider of TrafficPlan gates: PromQL instant queries, one
// per side (candidate → value, baseline → baseline), answered as the
// ProviderResult the gate logic reads. A query that fails (Prometheus down,
// timeout, bad PromQL, a result that is not one number) yields `error`, which
// Argo-style gates count toward the consecutive-error limit instead of failing
// at once; a query that succeeds without a number (empty result, NaN) yields no
// value, i.e. nodata. Nothing here throws for a failed query.
import { z } from 'zod';
import { gateKey, type GateSpec } from '../analysis/gates.ts';
import type { Counts, ProviderResult } from '../analysis/gate-providers.ts';
import { renderQuery, usesRevision } from './promql.ts';

/** Where the Prometheus address comes from when a gate names none. */
export const PROMETHEUS_URL_ENV = 'SWITCHYARD_PROMETHEUS_URL';
export const DEFAULT_QUERY_TIMEOUT_MS = 5000;

export interface QueryOptions {
  timeoutMs: number;
  signal?: AbortSignal;
  /** Evaluation time (epoch ms); Prometheus' own clock when absent. */
  now?: () => number;
}

/** One instant query's answer: a value, no value (nodata), or an error. */
export interface QueryResult {
  value?: number;
  error?: string;
}

const sampleValue = z.tuple([z.number(), z.string()]);
const vectorSample = z.object({ metric: z.record(z.string(), z.string()), value: sampleValue.optional(), histogram: z.unknown().optional() });
const responseSchema = z.discriminatedUnion('status', [
  z.object({
    status: z.literal('success'),
    data: z.discriminatedUnion('resultType', [
      z.object({ resultType: z.literal('vector'), result: z.array(vectorSample) }),
      z.object({ resultType: z.literal('scalar'), result: sampleValue }),
      z.object({ resultType: z.literal('matrix'), result: z.array(z.unknown()) }),
      z.object({ resultType: z.literal('string'), result: z.unknown() }),
    ]),
  }),
  z.object({ status: z.literal('error'), errorType: z.string().optional(), error: z.string().optional() }),
]);

/** Prometheus writes sample values as strings, with NaN, +Inf and -Inf spelled out. */
export function parseSampleValue(text: string): number | undefined {
  if (text === 'NaN') return undefined;
  if (text === '+Inf' || text === 'Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  const n = Number(text);
  return text.trim() === '' || Number.isNaN(n) ? undefined : n;
}

const labelsText = (m: Record<string, string>) => `{${Object.entries(m).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(',')}}`;

function interpret(body: z.infer<typeof responseSchema>): QueryResult {
  if (body.status === 'error') return { error: `${body.errorType ?? 'error'}: ${body.error ?? 'no message'}` };
  const d = body.data;
  switch (d.resultType) {
    case 'scalar': {
      const value = parseSampleValue(d.result[1]);
      return value === undefined ? {} : { value };
    }
    case 'vector': {
      if (d.result.length === 0) return {};
      if (d.result.length > 1) {
        const shown = d.result.slice(0, 3).map((s) => labelsText(s.metric)).join(', ');
        return { error: `the query returned ${d.result.length} series (${shown}${d.result.length > 3 ? ', …' : ''}), not one; aggregate them, e.g. sum(...)` };
      }
      const s = d.result[0]!;
      if (!s.value) return { error: 'the query returned a native histogram; wrap it in histogram_quantile(), histogram_count() or similar' };
      const value = parseSampleValue(s.value[1]);
      return value === undefined ? {} : { value };
    }
    case 'matrix': return { error: 'the query returned a range vector; wrap the range selector in a function such as rate() or avg_over_time()' };
    case 'string': return { error: 'the query returned a string, not a number' };
  }
}

function failure(err: unknown, timeoutMs: number, timedOut: boolean): string {
  if (timedOut) return `timed out after ${timeoutMs} ms`;
  const e = err as Error & { cause?: { code?: string; message?: string } };
  if (e?.name === 'AbortError') return 'aborted';
  const cause = e?.cause?.code ?? e?.cause?.message;
  return cause ? `${e.message}: ${cause}` : String(e?.message ?? err);
}

type QueryBody = z.infer<typeof responseSchema>;

/** POSTs one instant query; the parsed answer, or why there is none. Never throws. */
async function instantQuery(address: string, promql: string, opts: QueryOptions): Promise<{ body: QueryBody; where: string } | { error: string }> {
  let url: URL;
  try {
    url = new URL(`${address.replace(/\/+$/, '')}/api/v1/query`);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('not http(s)');
  } catch {
    return { error: `prometheus address ${JSON.stringify(address)} is not an http(s) URL` };
  }
  const form = new URLSearchParams({ query: promql, timeout: `${Math.max(1, Math.round(opts.timeoutMs))}ms` });
  if (opts.now) form.set('time', (opts.now() / 1000).toFixed(3));
  const timer = AbortSignal.timeout(opts.timeoutMs);
  const signal = opts.signal ? AbortSignal.any([timer, opts.signal]) : timer;
  const where = `prometheus ${url.origin}`;
  try {
    // POST keeps long queries out of URL length limits; Prometheus accepts both.
    const res = await fetch(url, { method: 'POST', body: form, signal, headers: { accept: 'application/json' } });
    const text = await res.text();
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      return { error: `${where}: HTTP ${res.status}: ${text.slice(0, 200).trim() || 'empty body'}` };
    }
    const parsed = responseSchema.safeParse(json);
    if (!parsed.success) return { error: `${where}: HTTP ${res.status}: not a Prometheus query response` };
    return { body: parsed.data, where };
  } catch (err) {
    return { error: `${where}: ${failure(err, opts.timeoutMs, timer.aborted)}` };
  }
}

/** An instant query against `address` (e.g. http://prometheus:9090, a path prefix allowed) answered by one number. Never throws. */
export async function queryPrometheus(address: string, promql: string, opts: QueryOptions): Promise<QueryResult> {
  const q = await instantQuery(address, promql, opts);
  if ('error' in q) return q;
  const r = interpret(q.body);
  return r.error !== undefined && q.body.status === 'error' ? { error: `${q.where}: ${r.error}` } : r;
}

/** One series of an instant vector: its labels and value. */
export interface VectorSample {
  metric: Record<string, string>;
  value: number | undefined;
}

/** An instant query whose answer may hold many series (e.g. histogram buckets by `le`); an empty vector is no samples. Never throws. */
export async function queryPrometheusVector(address: string, promql: string, opts: QueryOptions): Promise<{ samples: VectorSample[] } | { error: string }> {
  const q = await instantQuery(address, promql, opts);
  if ('error' in q) return q;
  const body = q.body;
  if (body.status === 'error') return { error: `${q.where}: ${body.errorType ?? 'error'}: ${body.error ?? 'no message'}` };
  if (body.data.resultType !== 'vector') return { error: `${q.where}: the query returned a ${body.data.resultType}, not an instant vector` };
  return { samples: body.data.result.map((s) => ({ metric: s.metric, value: s.value ? parseSampleValue(s.value[1]) : undefined })) };
}

export interface PrometheusContext {
  namespace: string;
  service: string;
  /** Revision names filled into {{revision}}; no baseline query without a baseline. */
  candidate: string;
  baseline?: string | undefined;
  /** The plan's gate window (spec.window), a Go duration or milliseconds, for {{window}}. */
  window: string | number;
  /** Used when a gate has no address; else $SWITCHYARD_PROMETHEUS_URL. */
  defaultAddress?: string | undefined;
  /** Per query; default 5 s. */
  timeoutMs?: number;
  signal?: AbortSignal;
  now?: () => number;
  env?: Readonly<Record<string, string | undefined>>;
}

async function side(query: string, revision: string, address: string, ctx: PrometheusContext, timeoutMs: number): Promise<QueryResult> {
  const rendered = renderQuery(query, { namespace: ctx.namespace, service: ctx.service, revision, window: ctx.window });
  if ('error' in rendered) return rendered;
  return queryPrometheus(address, rendered.query, { timeoutMs, ...(ctx.signal ? { signal: ctx.signal } : {}), ...(ctx.now ? { now: ctx.now } : {}) });
}

type PromProvider = NonNullable<NonNullable<GateSpec['provider']>['prometheus']>;

async function valueResult(gate: GateSpec, query: string, address: string, ctx: PrometheusContext, timeoutMs: number): Promise<ProviderResult> {
  const wantBaseline = ctx.baseline !== undefined && usesRevision(query);
  const [c, b] = await Promise.all([
    side(query, ctx.candidate, address, ctx, timeoutMs),
    wantBaseline ? side(query, ctx.baseline!, address, ctx, timeoutMs) : Promise.resolve<QueryResult>({}),
  ]);
  if (c.error !== undefined) return { error: `candidate query: ${c.error}` };
  // A failed baseline query only matters to thresholds that compare against it.
  const needsBaseline = gate.maxDelta !== undefined || gate.minDelta !== undefined || gate.maxRelativeDelta !== undefined || gate.minRelativeDelta !== undefined;
  if (b.error !== undefined && needsBaseline) return { error: `baseline query: ${b.error}` };
  const r: ProviderResult = {};
  if (c.value !== undefined) r.value = c.value;
  if (b.value !== undefined) r.baseline = b.value;
  return r;
}

/** events and total for one revision; counts of an empty window are 0 (no series: nothing happened). */
async function countsOf(p: PromProvider, revision: string, address: string, ctx: PrometheusContext, timeoutMs: number): Promise<Counts | { error: string }> {
  const [e, t] = await Promise.all([side(p.events!, revision, address, ctx, timeoutMs), side(p.total!, revision, address, ctx, timeoutMs)]);
  const bad = e.error !== undefined ? `events query: ${e.error}` : t.error !== undefined ? `total query: ${t.error}` : undefined;
  if (bad) return { error: bad };
  const total = Math.max(0, Number.isFinite(t.value) ? t.value! : 0);
  const events = Math.min(total, Math.max(0, Number.isFinite(e.value) ? e.value! : 0));
  return { events, total };
}

async function countResult(p: PromProvider, address: string, ctx: PrometheusContext, timeoutMs: number): Promise<ProviderResult> {
  const wantBaseline = ctx.baseline !== undefined && usesRevision(p.events!) && usesRevision(p.total!);
  const [c, b] = await Promise.all([
    countsOf(p, ctx.candidate, address, ctx, timeoutMs),
    wantBaseline ? countsOf(p, ctx.baseline!, address, ctx, timeoutMs) : Promise.resolve(undefined),
  ]);
  if ('error' in c) return { error: `candidate ${c.error}` };
  if (b && 'error' in b) return { error: `baseline ${b.error}` };
  return { counts: { candidate: c, ...(b ? { baseline: b } : {}) } };
}

async function gateResult(gate: GateSpec, p: PromProvider, address: string | undefined, ctx: PrometheusContext): Promise<ProviderResult> {
  if (!address) return { error: `no Prometheus address: set provider.prometheus.address on the gate or ${PROMETHEUS_URL_ENV}` };
  const timeoutMs = ctx.timeoutMs ?? DEFAULT_QUERY_TIMEOUT_MS;
  return p.query !== undefined ? valueResult(gate, p.query, address, ctx, timeoutMs) : countResult(p, address, ctx, timeoutMs);
}

/**
 * Results of every gate with a Prometheus provider, keyed by gateKey, queried
 * in parallel (two queries per gate when it uses {{revision}} and there is a
 * baseline). Gates without a Prometheus provider are left out.
 */
export async function prometheusProviderResults(gates: readonly GateSpec[], ctx: PrometheusContext): Promise<Record<string, ProviderResult>> {
  const env = ctx.env ?? process.env;
  const fallback = ctx.defaultAddress ?? (env[PROMETHEUS_URL_ENV] || undefined);
  const entries = await Promise.all(
    gates.flatMap((g) => {
      const p = g.provider?.prometheus;
      return p ? [gateResult(g, p, p.address ?? fallback, ctx).then((r) => [gateKey(g), r] as const)] : [];
    }),
  );
  return Object.fromEntries(entries);
}
