// Runs the pure KPA decisions once a second for every revision: samples the
// gateway's in-flight requests (or request rate), asks `decide`, and when a
// revision's desired count changes, asks the controller to reconcile its
// InferenceService (which scales the replica set). The gateway's activator
// pokes a revision at zero so the decision happens at once, not next tick.
import { revisionKey } from '../../core/revision-key.ts';
import type { RevisionTemplate } from '../isvc/types.ts';
import { kpaConfigFromInferenceService } from './config.ts';
import { decide, initialAutoscalerState, record, type AutoscalerState } from './kpa.ts';
import type { KpaConfig } from './knobs.ts';

/** Revisions are identified by revisionKey(namespace, revision) throughout. */
export interface AutoscalingOptions {
  /** Requests in flight for a revision right now (the gateway). */
  inflight: (key: string) => number;
  ready: (key: string) => number;
  buffered: (key: string) => number;
  /** The desired count of a revision changed: reconcile its owner. */
  onChange: (key: string) => void;
  now?: () => number;
  tickMs?: number;
  log?: (line: string) => void;
}

const INITIAL_SCALE = 'autoscaling.knative.dev/initial-scale';

interface Tracked {
  config: KpaConfig;
  state: AutoscalerState;
  desired: number;
  requests: number;
  /** Raised from zero, or starting its first replica here, and no replica ready since: a cold start in progress. */
  waking: boolean;
}

export class LocalAutoscaler {
  private readonly revisions = new Map<string, Tracked>();
  /** The same entries by namespace, then revision: counting a response builds no key string. */
  private readonly byNamespace = new Map<string, Map<string, Tracked>>();
  private timer: NodeJS.Timeout | undefined;
  private readonly now: () => number;

  constructor(private readonly opts: AutoscalingOptions) {
    this.now = opts.now ?? Date.now;
  }

  /**
   * The replicas a revision should run now; registers it on first sight with
   * Knative's initial scale: 1, or 0 when a scale-to-zero revision says
   * `autoscaling.knative.dev/initial-scale: "0"` (KServe sets it so with minReplicas 0).
   * `coldAllowed`: the revision carries no traffic and is past its keep-warm time, so, as Knative
   * does with revisions no route points at, its minimum is zero: idle, it scales to zero.
   */
  desired(template: RevisionTemplate, annotations: Record<string, string>, coldAllowed = false): number {
    const { config: configured } = kpaConfigFromInferenceService(template.scaling, annotations);
    const config = coldAllowed && configured.mode === 'Knative' ? { ...configured, minReplicas: 0, enableScaleToZero: true } : configured;
    const key = revisionKey(template.namespace, template.revision);
    let t = this.revisions.get(key);
    if (!t) {
      const zeroStart = annotations[INITIAL_SCALE] === '0' && config.minReplicas === 0 && config.mode === 'Knative' && config.enableScaleToZero;
      const initial = zeroStart ? 0 : Math.max(1, config.minReplicas);
      // Its first replica is starting (a new revision, or every revision when `switchyard up` starts again):
      // as Knative's activator does for a revision without a ready pod, requests wait for it rather than
      // fail. Standard mode has no activator.
      t = { config, state: initialAutoscalerState(config, this.now(), 0), desired: initial, requests: 0, waking: initial > 0 && config.mode === 'Knative' };
      this.revisions.set(key, t);
      let names = this.byNamespace.get(template.namespace);
      if (!names) this.byNamespace.set(template.namespace, (names = new Map()));
      names.set(template.revision, t);
    }
    t.config = config;
    return t.desired;
  }

  /** A request finished (for the rps metric); called once per response. */
  countRequest(namespace: string, revision: string): void {
    const t = this.byNamespace.get(namespace)?.get(revision);
    if (t) t.requests++;
  }

  /**
   * At zero, or raised from zero (or starting for the first time here) and not ready yet: Knative's
   * activator holds requests for such a revision until a replica is ready, whatever its minReplicas
   * (a revision no route pointed at scales to zero too, and a plan may route to it again; after a
   * restart of `switchyard up` every routed revision starts again). One that was ready and lost its
   * replicas (a crash) is not starting: its requests fail at once.
   */
  coldStarting(key: string): boolean {
    const t = this.revisions.get(key);
    return t !== undefined && (t.desired === 0 || (t.waking && this.opts.ready(key) === 0));
  }

  /** The activator holds a request for a revision without a ready replica: decide now. */
  poke(key: string): void {
    const t = this.revisions.get(key);
    if (t) this.evaluate(key, t, false);
  }

  forget(namespace: string, revision: string): void {
    this.revisions.delete(revisionKey(namespace, revision));
    this.byNamespace.get(namespace)?.delete(revision);
  }

  start(): void {
    const tickMs = this.opts.tickMs ?? 1000;
    this.timer = setInterval(() => {
      for (const [key, t] of this.revisions) this.evaluate(key, t, true);
    }, tickMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  private evaluate(key: string, t: Tracked, sample: boolean): void {
    const now = this.now();
    if (sample) {
      // Knative records a sample every second, zeros included: idleness is data.
      const value = t.config.metric === 'rps' ? t.requests : this.opts.inflight(key);
      t.requests = 0;
      t.state = record(t.state, { at: now, value });
    }
    const ready = this.opts.ready(key);
    if (ready > 0) t.waking = false;
    const d = decide(t.state, now, t.config, { ready, buffered: this.opts.buffered(key) });
    t.state = d.state;
    if (d.desired !== t.desired) {
      this.opts.log?.(`autoscaler: ${key} ${t.desired} → ${d.desired} (${d.reason})`);
      if (t.desired === 0) t.waking = true;
      t.desired = d.desired;
      this.opts.onChange(key);
    }
  }
}
