// spec.owner.canHalt with real kubectl against the real `switchyard up`: an
// operator outside the owner team and canHalt is refused by `kubectl
// annotate` (403 naming both, audited); an on-call token in canHalt pulls the
// kill switch with the same command and the controller rolls the plan back.
import { strict as assert } from 'node:assert';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { BIN, KUBECTL_VERSIONS, ROOT, apiFetch, kubectl, removeDir, run, startUp, type Up } from './harness.ts';

const VERSION = KUBECTL_VERSIONS.at(-1)!;
let up: Up;
const sy = (args: string[]) => run(process.execPath, [BIN, '--kubeconfig', up.kubeconfig, ...args]);
const ok = (r: { code: number; stdout: string; stderr: string }, what: string) => {
  assert.equal(r.code, 0, `${what}: ${r.stdout}${r.stderr}`);
  return r.stdout;
};

before(async () => {
  up = await startUp();
  const isvc = { apiVersion: 'serving.kserve.io/v1beta1', kind: 'InferenceService', metadata: { name: 'iris', namespace: 'default' }, spec: { predictor: { model: { modelFormat: { name: 'onnx' }, storageUri: 'pvc://models/iris-v1/' } } } };
  writeFileSync(join(up.dataDir, 'isvc.json'), JSON.stringify(isvc));
  ok(await kubectl(VERSION, up, ['apply', '-f', join(up.dataDir, 'isvc.json')]), 'apply isvc');
  ok(await kubectl(VERSION, up, ['wait', '--for=condition=Ready', 'isvc/iris', '--timeout=60s']), 'wait isvc');
  // owner: {team: ml-platform, canHalt: [sre]}
  writeFileSync(join(up.dataDir, 'plan.yaml'), readFileSync(join(ROOT, 'examples/plans/iris-v2.yaml'), 'utf8').replace('namespace: quickstart', 'namespace: default'));
  ok(await kubectl(VERSION, up, ['apply', '-f', join(up.dataDir, 'plan.yaml')]), 'apply plan');
  ok(await kubectl(VERSION, up, ['wait', '--for=jsonpath={.status.phase}=Progressing', 'tp/iris-v2', '--timeout=60s']), 'plan progressing');
});
after(async () => {
  await up.stop();
  removeDir(up.dataDir);
});

test(`kubectl ${VERSION} annotate: refused outside the owner team and canHalt, the kill switch for canHalt`, async () => {
  const outsider = ok(await sy(['token', 'create', '--role', 'operator', '--name', 'dana', '--group', 'data-eng']), 'token dana').trim();
  const oncall = ok(await sy(['token', 'create', '--role', 'operator', '--name', 'sam', '--group', 'sre']), 'token sam').trim();
  const annotate = ['annotate', 'tp', 'iris-v2', 'switchyard.dev/command=kill', 'switchyard.dev/command-reason=drill', '--overwrite'];

  const refused = await kubectl(VERSION, up, ['--token', outsider, ...annotate]);
  assert.equal(refused.code, 1, refused.stdout);
  assert.match(refused.stderr, /Error from server \(Forbidden\): trafficplans\.switchyard\.dev "iris-v2" is forbidden: operator "dana" \(groups: data-eng\) cannot kill this plan: only its owner team "ml-platform", the groups in spec\.owner\.canHalt \(sre\) or an admin may pause, roll back, abort or kill it/);
  const plan = JSON.parse(ok(await kubectl(VERSION, up, ['get', 'tp', 'iris-v2', '-o', 'json']), 'get tp'));
  assert.equal(plan.status.phase, 'Progressing');
  assert.equal(plan.metadata.annotations?.['switchyard.dev/command'], undefined);

  ok(await kubectl(VERSION, up, ['--token', oncall, ...annotate]), 'kill by sre');
  ok(await kubectl(VERSION, up, ['wait', '--for=jsonpath={.status.phase}=Aborted', 'tp/iris-v2', '--timeout=30s']), 'killed');
  const isvc = JSON.parse(ok(await kubectl(VERSION, up, ['get', 'isvc', 'iris', '-o', 'json']), 'get isvc'));
  assert.equal(isvc.spec.predictor.canaryTrafficPercent, 0);

  const audit = (await (await apiFetch(up, '/switchyard/v1/audit?limit=100000')).json()) as { items: Array<{ verb: string; actor: string; resource: string; evidence?: unknown }> };
  const mine = audit.items.filter((r) => r.resource === 'switchyard.dev/trafficplans/default/iris-v2');
  const forbidden = mine.find((r) => r.verb === 'forbidden');
  assert.equal(forbidden?.actor, 'operator:dana');
  assert.deepEqual(forbidden?.evidence, { command: 'kill', groups: ['data-eng'], owner: { team: 'ml-platform', canHalt: ['sre'] } });
  assert.equal(mine.find((r) => r.verb === 'plan/kill')?.actor, 'operator:sam');
});
