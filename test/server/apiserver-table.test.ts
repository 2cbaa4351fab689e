// Tables as kubectl asks for them: the row's object is its metadata by
// default, the whole object with includeObject=Object (what `kubectl get
// --sort-by=.spec…` and `.lastTimestamp` sort on), none with None.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startApiFixture, type ApiFixture } from './api-fixture.ts';

const TABLE = 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json';
let f: ApiFixture;

before(async () => {
  f = await startApiFixture();
  const vs = {
    apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', metadata: { name: 'scorer', namespace: 'ml' },
    spec: { hosts: ['scorer.ml.example.com'], http: [{ route: [{ destination: { host: 'scorer-a-predictor.ml.svc.cluster.local' } }] }] },
  };
  const res = await fetch(`${f.api.url}/apis/networking.istio.io/v1/namespaces/ml/virtualservices`, {
    method: 'POST', headers: { authorization: `Bearer ${f.tokens.admin}`, 'content-type': 'application/json' }, body: JSON.stringify(vs),
  });
  assert.equal(res.status, 201);
});
after(() => f.close());

const rows = async (query: string) => {
  const res = await fetch(`${f.api.url}/apis/networking.istio.io/v1/namespaces/ml/virtualservices${query}`, { headers: { authorization: `Bearer ${f.tokens.admin}`, accept: TABLE } });
  return { status: res.status, body: await res.json() as { rows?: Array<{ object?: Record<string, any> }>; message?: string } }; // eslint-disable-line @typescript-eslint/no-explicit-any
};

test('includeObject=Object puts the whole object in each row; the default, its metadata; None, nothing', async () => {
  const whole = await rows('?includeObject=Object');
  assert.deepEqual(whole.body.rows![0]!.object!.spec.hosts, ['scorer.ml.example.com']);
  assert.equal(whole.body.rows![0]!.object!.kind, 'VirtualService');
  const meta = await rows('');
  assert.equal(meta.body.rows![0]!.object!.kind, 'PartialObjectMetadata');
  assert.equal(meta.body.rows![0]!.object!.spec, undefined);
  assert.equal((await rows('?includeObject=None')).body.rows![0]!.object, undefined);
  const one = await fetch(`${f.api.url}/apis/networking.istio.io/v1/namespaces/ml/virtualservices/scorer?includeObject=Object`, { headers: { authorization: `Bearer ${f.tokens.admin}`, accept: TABLE } });
  assert.deepEqual(((await one.json()) as { rows: Array<{ object: { spec: { hosts: string[] } } }> }).rows[0]!.object.spec.hosts, ['scorer.ml.example.com']);
});

test('an unknown includeObject is a 400 naming the parameter', async () => {
  const bad = await rows('?includeObject=Everything');
  assert.equal(bad.status, 400);
  assert.match(bad.body.message!, /includeObject must be None, Metadata or Object, got "Everything"/);
});
