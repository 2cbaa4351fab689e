// Leader election through a coordination.k8s.io/v1 Lease, with client-go's
// rules (k8s.io/client-go/tools/leaderelection): a candidate takes the lease
// when it is free or when its holder has not renewed it for leaseDuration —
// measured on this process's own clock from when it last saw the record
// change, so clock skew between replicas does not matter; every write carries
// the resourceVersion it read, so of two candidates exactly one wins (the
// other gets a 409). The leader renews every retryPeriod and gives up if it
// could not renew for renewDeadline (shorter than leaseDuration), before any
// other replica may take over. On a clean stop it releases the lease so a
// successor starts at once.
import { syError } from '../core/errors.ts';
import { sleep } from '../core/sleep.ts';
import type { KubeObject, Store } from '../store/types.ts';
import { microTime } from './audit-events.ts';
import { LEASES } from './resources.ts';

export interface LeaseOptions {
  store: Store;
  namespace: string;
  name: string;
  identity: string;
  /** How long a lease is valid without renewal (client-go default 15 s). */
  leaseDurationMs?: number;
  /** How long the leader keeps trying to renew before it gives up (default 10 s). */
  renewDeadlineMs?: number;
  /** Interval between attempts (default 2 s). */
  retryPeriodMs?: number;
  now?: () => number;
  log?: (line: string) => void;
}

interface LeaseSpec {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
}

type LeaseObject = KubeObject & { spec?: LeaseSpec };

export class LeaderElector {
  private readonly durationMs: number;
  private readonly renewDeadlineMs: number;
  private readonly retryMs: number;
  private readonly now: () => number;
  /** The record as last seen and when (our clock): expiry is judged from this, never from the holder's timestamps. */
  private observed: { record: string; atMs: number } | undefined;
  private leading = false;

  constructor(private readonly opts: LeaseOptions) {
    this.durationMs = opts.leaseDurationMs ?? 15_000;
    this.renewDeadlineMs = opts.renewDeadlineMs ?? 10_000;
    this.retryMs = opts.retryPeriodMs ?? 2_000;
    this.now = opts.now ?? Date.now;
    if (this.renewDeadlineMs >= this.durationMs) throw syError('SY_ERR_CONFIG', 'the renew deadline must be shorter than the lease duration');
  }

  private key() {
    return { ...LEASES, namespace: this.opts.namespace, name: this.opts.name };
  }

  private spec(previous: LeaseSpec | undefined, taking: boolean): LeaseSpec {
    const at = microTime(new Date(this.now()));
    return {
      holderIdentity: this.opts.identity,
      leaseDurationSeconds: Math.ceil(this.durationMs / 1000),
      acquireTime: taking ? at : (previous?.acquireTime ?? at),
      renewTime: at,
      leaseTransitions: (previous?.leaseTransitions ?? 0) + (taking && previous?.holderIdentity ? 1 : 0),
    };
  }

  /** One attempt to acquire or renew; true while this process holds the lease. Throws only what is not a lost race. */
  async tryAcquireOrRenew(): Promise<boolean> {
    const actor = { actor: { name: this.opts.identity } };
    const current = (await this.opts.store.get(this.key())) as LeaseObject | undefined;
    if (!current) {
      try {
        await this.opts.store.create(LEASES, { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: this.opts.name, namespace: this.opts.namespace }, spec: this.spec(undefined, true) }, actor);
        return true;
      } catch (err) {
        if ((err as { code?: string }).code === 'SY_ERR_ALREADY_EXISTS') return false;
        throw err;
      }
    }
    const spec = current.spec ?? {};
    const record = JSON.stringify(spec);
    if (this.observed?.record !== record) this.observed = { record, atMs: this.now() };
    const mine = spec.holderIdentity === this.opts.identity;
    const free = !spec.holderIdentity;
    const expired = this.observed.atMs + (spec.leaseDurationSeconds ?? 0) * 1000 <= this.now();
    if (!mine && !free && !expired) return false;
    try {
      await this.opts.store.update(LEASES, { ...current, spec: this.spec(spec, !mine) }, actor);
    } catch (err) {
      // Someone else wrote the lease since we read it: they won this round.
      if ((err as { code?: string }).code === 'SY_ERR_CONFLICT') return false;
      throw err;
    }
    if (!mine) this.opts.log?.(`leader election: ${this.opts.identity} took lease ${this.opts.namespace}/${this.opts.name}${spec.holderIdentity ? ` from ${spec.holderIdentity}` : ''}`);
    return true;
  }

  /** Resolves once this process leads (or `signal` aborts: then false). */
  async acquire(signal: AbortSignal): Promise<boolean> {
    while (!signal.aborted) {
      try {
        if (await this.tryAcquireOrRenew()) {
          this.leading = true;
          return true;
        }
      } catch (err) {
        this.opts.log?.(`leader election: ${(err as Error).message}`);
      }
      await sleep(this.retryMs, signal);
    }
    return false;
  }

  /**
   * Renews every retryPeriod until `signal` aborts (resolves true) or a
   * renewal has not succeeded for renewDeadline (resolves false: leadership
   * is lost and the caller must stop acting at once).
   */
  async renewUntil(signal: AbortSignal): Promise<boolean> {
    let lastRenew = this.now();
    while (!signal.aborted) {
      await sleep(this.retryMs, signal);
      if (signal.aborted) break;
      try {
        if (await this.tryAcquireOrRenew()) {
          lastRenew = this.now();
          continue;
        }
        this.opts.log?.('leader election: the lease is held by another replica');
        this.leading = false;
        return false;
      } catch (err) {
        this.opts.log?.(`leader election: renew failed: ${(err as Error).message}`);
      }
      if (this.now() - lastRenew >= this.renewDeadlineMs) {
        this.leading = false;
        return false;
      }
    }
    return true;
  }

  /** Gives the lease up so another replica takes over without waiting for it to expire. */
  async release(): Promise<void> {
    if (!this.leading) return;
    this.leading = false;
    const current = (await this.opts.store.get(this.key())) as LeaseObject | undefined;
    if (current?.spec?.holderIdentity !== this.opts.identity) return;
    const spec: LeaseSpec = { ...current.spec, holderIdentity: '', leaseDurationSeconds: 1, renewTime: microTime(new Date(this.now())) };
    await this.opts.store.update(LEASES, { ...current, spec }, { actor: { name: this.opts.identity } }).catch(() => undefined);
  }
}
