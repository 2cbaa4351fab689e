import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import { exportManifests } from '../../src/server/export.ts';
import { exampleDataDir } from './export-fixture.ts';

test('export prints what the author wrote, defaults included, and nothing the server or a controller added', async () => {
  const { dir, stored } = await exampleDataDir();
  try {
    const docs = parseAllDocuments(await exportManifests(dir)).map((d) => d.toJS() as Record<string, any>); // eslint-disable-line @typescript-eslint/no-explicit-any
    assert.deepEqual(docs.map((d) => `${d.kind} ${d.metadata.namespace}/${d.metadata.name}`), ['InferenceService demo/iris', 'VirtualService demo/iris-router', 'TrafficPlan demo/iris-v2']);
    for (const [i, d] of docs.entries()) {
      assert.equal(d.status, undefined);
      assert.deepEqual(Object.keys(d.metadata).filter((k) => !['name', 'namespace', 'labels', 'annotations'].includes(k)), []);
      assert.equal(d.metadata.annotations?.['kubectl.kubernetes.io/last-applied-configuration'], undefined);
      assert.deepEqual(d.spec, stored[i]!.spec, 'the spec as stored, defaults included');
    }
    assert.equal(await exportManifests(dir, 'other'), '');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('export of a directory that holds no data is an error naming it', async () => {
  await assert.rejects(exportManifests('/nonexistent/switchyard'), { code: 'SY_ERR_CONFIG', message: /no Switchyard data directory at \/nonexistent\/switchyard/ });
});
