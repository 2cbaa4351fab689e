// Server-side dry run (?dryRun=All, as `kubectl apply --dry-run=server`
// sends): every check a write makes, the answer it would give, and nothing
// stored, watched or audited.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ApiServer } from '../../src/server/apiserver/index.ts';
import type { KubeObject, Store } from '../../src/store/types.ts';
import { startApiFixture, type ApiFixture } from './api-fixture.ts';

let f: ApiFixture;
let store: Store;
let api: ApiServer;
let admin: string;

before(async () => {
  f = await startApiFixture([]);
  ({ api, store } = f);
  admin = f.tokens.admin;
});

after(() => f.close());

async function call(method: string, path: string, body?: unknown, type = 'application/json') {
  const res = await fetch(`${api.url}${path}`, { method, headers: { 'content-type': type, authorization: `Bearer ${admin}` }, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
  return { status: res.status, body: (await res.json()) as KubeObject & { reason?: string; message?: string } };
}

const SE = '/apis/networking.istio.io/v1/namespaces/ml/serviceentries';
const se = (name: string, hosts: unknown = [`${name}.external`]) => ({ apiVersion: 'networking.istio.io/v1', kind: 'ServiceEntry', metadata: { name, namespace: 'ml' }, spec: { hosts } });
const state = async () => ({ audit: (await store.verifyAudit()).records, list: (await store.list({ group: 'networking.istio.io', resource: 'serviceentries' })).items });

test('a dry-run create answers the object it would create (uid, generation 1, no resourceVersion) and stores nothing', async () => {
  const before = await state();
  const r = await call('POST', `${SE}?dryRun=All`, se('a'));
  assert.equal(r.status, 201);
  assert.equal(r.body.metadata.name, 'a');
  assert.equal(r.body.metadata.generation, 1);
  assert.ok(r.body.metadata.uid);
  assert.equal(r.body.metadata.resourceVersion, undefined);
  assert.deepEqual(await state(), before);
  assert.equal((await call('GET', `${SE}/a`)).status, 404);
});

test('a dry run makes every check a write makes: schema, AlreadyExists, NotFound, stale resourceVersion', async () => {
  assert.equal((await call('POST', SE, se('b'))).status, 201);
  const before = await state();
  assert.equal((await call('POST', `${SE}?dryRun=All`, se('bad', 'not-a-list'))).status, 422);
  assert.equal((await call('POST', `${SE}?dryRun=All`, se('b'))).body.reason, 'AlreadyExists');
  assert.equal((await call('PATCH', `${SE}/nope?dryRun=All`, { spec: { hosts: ['x'] } }, 'application/merge-patch+json')).status, 404);
  const stale = { ...se('b', ['y']), metadata: { name: 'b', namespace: 'ml', resourceVersion: '1' } };
  assert.equal((await call('PUT', `${SE}/b?dryRun=All`, stale)).status, 409);
  assert.equal((await call('POST', `${SE}?dryRun=Some`, se('c'))).status, 400);
  assert.deepEqual(await state(), before);
});

test('a dry-run patch and replace answer the new spec and generation; a dry-run delete deletes nothing', async () => {
  const stored = (await call('GET', `${SE}/b`)).body;
  const before = await state();
  const patched = await call('PATCH', `${SE}/b?dryRun=All`, { spec: { hosts: ['z.external'] } }, 'application/merge-patch+json');
  assert.equal(patched.status, 200);
  assert.deepEqual((patched.body.spec as { hosts: string[] }).hosts, ['z.external']);
  assert.equal(patched.body.metadata.generation, 2);
  assert.equal(patched.body.metadata.resourceVersion, stored.metadata.resourceVersion);
  const replaced = await call('PUT', `${SE}/b?dryRun=All`, { ...stored, spec: { hosts: ['r.external'] } });
  assert.equal(replaced.status, 200);
  assert.deepEqual((replaced.body.spec as { hosts: string[] }).hosts, ['r.external']);
  assert.equal((await call('DELETE', `${SE}/b?dryRun=All`)).status, 200);
  // kubectl delete --dry-run=server sends it in the DeleteOptions body.
  assert.equal((await call('DELETE', `${SE}/b`, { kind: 'DeleteOptions', apiVersion: 'v1', dryRun: ['All'] })).status, 200);
  assert.equal((await call('DELETE', `${SE}/b`, { kind: 'DeleteOptions', apiVersion: 'v1', dryRun: ['Some'] })).status, 400);
  assert.deepEqual(await state(), before);
  assert.deepEqual((await call('GET', `${SE}/b`)).body, stored);
});
