// Leader election's rules on the Store (the embedded SQLite store here; the
// cluster suite runs the same code against a real API server's Lease), with
// each replica's own clock passed in.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LeaderElector } from '../../src/kube/lease.ts';
import { openSqliteStore } from '../../src/store/sqlite/store.ts';
import type { Store } from '../../src/store/types.ts';

async function withStore(fn: (store: Store) => Promise<void>): Promise<void> {
  const store = await openSqliteStore({ path: ':memory:' });
  try {
    await fn(store);
  } finally {
    await store.close();
  }
}

const elector = (store: Store, identity: string, clock: { ms: number }) =>
  new LeaderElector({ store, namespace: 'switchyard-system', name: 'switchyard-controller', identity, leaseDurationMs: 15_000, renewDeadlineMs: 10_000, now: () => clock.ms });

const holder = async (store: Store) => ((await store.get({ group: 'coordination.k8s.io', resource: 'leases', namespace: 'switchyard-system', name: 'switchyard-controller' }))?.spec as { holderIdentity?: string; leaseTransitions?: number } | undefined);

test('one replica leads; the other takes over only once the lease has gone unrenewed for its duration on its own clock', () =>
  withStore(async (store) => {
    const a = { ms: 1_000_000 };
    const b = { ms: 5_000 }; // skewed: B's clock is nowhere near A's, and it does not matter
    const ea = elector(store, 'a', a);
    const eb = elector(store, 'b', b);
    assert.equal(await ea.tryAcquireOrRenew(), true);
    assert.equal(await eb.tryAcquireOrRenew(), false);
    for (let i = 0; i < 5; i++) {
      a.ms += 2_000;
      b.ms += 2_000;
      assert.equal(await ea.tryAcquireOrRenew(), true, 'the leader renews');
      assert.equal(await eb.tryAcquireOrRenew(), false, 'a renewed lease is not taken');
    }
    // A dies: B must wait a whole lease duration from when it last saw the record change.
    b.ms += 14_000;
    assert.equal(await eb.tryAcquireOrRenew(), false);
    b.ms += 1_000;
    assert.equal(await eb.tryAcquireOrRenew(), true);
    assert.deepEqual([(await holder(store))?.holderIdentity, (await holder(store))?.leaseTransitions], ['b', 1]);
    // A comes back: it sees B's renewals and does not take the lease back.
    a.ms += 60_000;
    assert.equal(await ea.tryAcquireOrRenew(), false);
  }));

test('of two replicas racing for a free lease exactly one wins', () =>
  withStore(async (store) => {
    const clock = { ms: 0 };
    const results = await Promise.all(['a', 'b', 'c'].map((id) => elector(store, id, clock).tryAcquireOrRenew()));
    assert.equal(results.filter(Boolean).length, 1);
  }));

test('a released lease is taken at once, without waiting for it to expire', () =>
  withStore(async (store) => {
    const clock = { ms: 0 };
    const ea = elector(store, 'a', clock);
    const eb = elector(store, 'b', clock);
    assert.equal(await ea.acquire(new AbortController().signal), true);
    assert.equal(await eb.tryAcquireOrRenew(), false);
    await ea.release();
    assert.equal(await eb.tryAcquireOrRenew(), true);
    assert.equal((await holder(store))?.holderIdentity, 'b');
  }));

test('a renew deadline not shorter than the lease duration is a configuration error', () =>
  withStore(async (store) => {
    assert.throws(() => new LeaderElector({ store, namespace: 'n', name: 'l', identity: 'a', leaseDurationMs: 10_000, renewDeadlineMs: 10_000 }), { code: 'SY_ERR_CONFIG' });
  }));
