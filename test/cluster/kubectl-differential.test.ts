// The project's kubectl sequence run side by side: the same real kubectl
// commands against a real kube-apiserver holding the real KServe, Istio
// and TrafficPlan CRDs, and against `switchyard up`. Outputs are compared
// once kubectl-output.ts has taken out what any two servers differ in
// (uids, resourceVersions, times, ages); every other difference must be one
// of KNOWN, each of which says what differs and why, is listed in
// docs/cluster.md, and must still hold (a known difference that is gone
// fails the test too, so the list stays true).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { parseAllDocuments, stringify } from 'yaml';
import { NEEDS_CONTROL_PLANE, ROOT, startControlPlane, type ControlPlane } from './control-plane.ts';
import { KUBECTL_VERSIONS, kubectl as upKubectl, kubectlPath, removeDir, run, startUp, type Up } from '../e2e/harness.ts';
import * as read from './kubectl-output.ts';
import { KNOWN, type Known } from './kubectl-known.ts';

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
type Side = 'real' | 'up';
type Run = (args: string[], input?: string) => Promise<read.Output>;

const CRDS = [
  'deploy/crds/trafficplans.switchyard.dev.yaml',
  ...['serving.kserve.io_clusterservingruntimes', 'serving.kserve.io_servingruntimes', 'serving.kserve.io_inferenceservices', 'serving.kserve.io_inferencegraphs',
    'networking.istio.io_virtualservices', 'networking.istio.io_serviceentries', 'networking.istio.io_destinationrules'].map((f) => `test/fixtures/crds/${f}.yaml`),
].map((f) => join(ROOT, f));

/** kubectl's TYPE for each kind of the fixture, fully qualified so every version resolves it alike. */
const TYPE: Record<string, string> = {
  ClusterServingRuntime: 'clusterservingruntimes.serving.kserve.io', ServingRuntime: 'servingruntimes.serving.kserve.io',
  InferenceService: 'inferenceservices.serving.kserve.io', InferenceGraph: 'inferencegraphs.serving.kserve.io',
  VirtualService: 'virtualservices.networking.istio.io', ServiceEntry: 'serviceentries.networking.istio.io',
  DestinationRule: 'destinationrules.networking.istio.io', TrafficPlan: 'trafficplans.switchyard.dev',
};

interface Step {
  id: string;
  args: string[];
  /** What to compare (text by default). */
  read?: (out: read.Output) => unknown;
  /** stdin; a function when it is built from what that server answered (replace). */
  input?: string | ((k: Run) => Promise<string>);
}

/**
 * The sequence for one kubectl version: its own namespace, and the
 * fixture's one cluster-scoped object renamed, so versions share the servers.
 */
function steps(ns: string, file: string, changedFile: string, csr: string): Step[] {
  const n = ['-n', ns];
  const inNs = (o: Obj) => JSON.stringify({ ...o, metadata: { ...o.metadata, namespace: ns } });
  const kinds = Object.entries(TYPE).map(([kind, type]) => ({ kind, type, name: kind === 'ClusterServingRuntime' ? csr : fixtureName(kind), ns: kind === 'ClusterServingRuntime' ? [] : n }));
  return [
    { id: 'create namespace', args: ['create', 'namespace', ns] },
    { id: 'apply --dry-run=server (new)', args: ['apply', '--dry-run=server', '-f', file] },
    { id: 'get after a dry run', args: ['get', 'isvc,vs,tp', ...n] },
    { id: 'apply --server-side --dry-run=server', args: ['apply', '--server-side', '--dry-run=server', '-f', file] },
    { id: 'apply (create)', args: ['apply', '-f', file] },
    { id: 'apply (unchanged)', args: ['apply', '-f', file] },
    { id: 'apply --dry-run=server (changed)', args: ['apply', '--dry-run=server', '-f', changedFile] },
    { id: 'create (exists)', args: ['create', '-f', file], read: read.text },
    ...kinds.map((k) => ({ id: `get ${k.kind}`, args: ['get', k.type, ...k.ns], read: read.table })),
    ...kinds.map((k) => ({ id: `get ${k.kind} -o yaml`, args: ['get', k.type, k.name, ...k.ns, '-o', 'yaml'], read: read.object })),
    { id: 'get InferenceService -o wide', args: ['get', 'isvc', ...n, '-o', 'wide'], read: read.table },
    { id: 'get TrafficPlan -o wide', args: ['get', 'tp', ...n, '-o', 'wide'], read: read.table },
    { id: 'get VirtualService -o json', args: ['get', 'vs', 'iris-vs', ...n, '-o', 'json'], read: read.object },
    { id: 'get list -o json', args: ['get', 'se,dr', ...n, '-o', 'json'], read: read.object },
    { id: 'get -o jsonpath', args: ['get', 'vs', 'iris-vs', ...n, '-o', 'jsonpath={.spec.hosts[0]} {.spec.http[0].route[*].weight} {.spec.http[0].mirrorPercentage.value}'] },
    { id: 'get -o jsonpath range', args: ['get', 'isvc,vs,se,dr,tp', ...n, '-o', 'jsonpath={range .items[*]}{.kind}/{.metadata.name} generation={.metadata.generation}{"\\n"}{end}'] },
    { id: 'get -o custom-columns', args: ['get', 'isvc', ...n, '-o', 'custom-columns=NAME:.metadata.name,URI:.spec.predictor.model.storageUri,CANARY:.spec.predictor.canaryTrafficPercent,TEAM:.metadata.labels.team'], read: read.table },
    { id: 'get -o name -l team=risk', args: ['get', 'isvc', ...n, '-l', 'team=risk', '-o', 'name'] },
    { id: 'get -l set-based', args: ['get', 'isvc', ...n, '-l', 'team in (risk,ops),!stage', '-o', 'name'] },
    { id: 'get -l none', args: ['get', 'isvc', ...n, '-l', 'team=nobody'] },
    { id: 'get --show-labels', args: ['get', 'isvc', ...n, '--show-labels'], read: read.table },
    { id: 'get -A --show-labels', args: ['get', 'vs', '-A', '--show-labels'], read: read.table },
    { id: 'describe InferenceService', args: ['describe', 'isvc', 'iris', ...n], read: read.describe },
    { id: 'describe VirtualService', args: ['describe', 'vs', 'iris-vs', ...n], read: read.describe },
    { id: 'describe ServiceEntry', args: ['describe', 'se', 'vllm', ...n], read: read.describe },
    { id: 'describe TrafficPlan', args: ['describe', 'tp', 'iris-v2', ...n], read: read.describe },
    { id: 'patch merge --dry-run=server', args: ['patch', 'isvc', 'iris', ...n, '--type', 'merge', '-p', '{"spec":{"predictor":{"canaryTrafficPercent":20}}}', '--dry-run=server', '-o', 'jsonpath={.metadata.generation} {.spec.predictor.canaryTrafficPercent}'] },
    { id: 'get after a dry-run patch', args: ['get', 'isvc', 'iris', ...n, '-o', 'jsonpath={.metadata.generation} {.spec.predictor.canaryTrafficPercent}'] },
    { id: 'patch merge', args: ['patch', 'isvc', 'iris', ...n, '--type', 'merge', '-p', '{"spec":{"predictor":{"canaryTrafficPercent":20}},"metadata":{"labels":{"stage":"canary"}}}'] },
    { id: 'patch json', args: ['patch', 'vs', 'iris-vs', ...n, '--type', 'json', '-p', '[{"op":"replace","path":"/spec/http/0/route/0/weight","value":80},{"op":"replace","path":"/spec/http/0/route/1/weight","value":20}]'] },
    { id: 'patch json (failed test)', args: ['patch', 'vs', 'iris-vs', ...n, '--type', 'json', '-p', '[{"op":"test","path":"/spec/hosts/0","value":"nope"}]'], read: read.error },
    { id: 'patch (strategic, the default)', args: ['patch', 'tp', 'iris-v2', ...n, '-p', '{"spec":{"window":"2m"}}'], read: read.error },
    { id: 'patch merge TrafficPlan', args: ['patch', 'tp', 'iris-v2', ...n, '--type', 'merge', '-p', '{"spec":{"window":"2m"}}'] },
    { id: 'label', args: ['label', 'se', 'vllm', ...n, 'tier=external'] },
    { id: 'annotate', args: ['annotate', 'dr', 'iris-dr', ...n, 'note=reviewed'] },
    {
      id: 'replace', args: ['replace', '-f', '-'],
      input: async (k) => {
        const got = JSON.parse((await k(['get', 'dr', 'iris-dr', ...n, '-o', 'json'])).stdout) as Obj;
        got.spec.subsets[0].name = 'stable';
        return JSON.stringify(got);
      },
    },
    { id: 'replace (stale resourceVersion)', args: ['replace', '-f', '-'], read: read.error, input: async (k) => {
      const got = JSON.parse((await k(['get', 'se', 'vllm', ...n, '-o', 'json'])).stdout) as Obj;
      await k(['label', 'se', 'vllm', ...n, 'touched=yes']);
      return JSON.stringify(got);
    } },
    { id: 'get after patch and replace', args: ['get', 'isvc,vs,se,dr,tp', ...n, '-o', 'jsonpath={range .items[*]}{.kind}/{.metadata.name} generation={.metadata.generation} labels={.metadata.labels}{"\\n"}{end}'] },
    { id: 'get DestinationRule -o yaml after replace', args: ['get', 'dr', 'iris-dr', ...n, '-o', 'yaml'], read: read.object },
    { id: 'wait --for=jsonpath (spec)', args: ['wait', 'isvc/iris', ...n, '--for=jsonpath={.spec.predictor.canaryTrafficPercent}=20', '--timeout=10s'] },
    { id: 'wait --for=jsonpath (TrafficPlan)', args: ['wait', 'tp/iris-v2', ...n, '--for=jsonpath={.spec.window}=2m', '--timeout=10s'] },
    { id: 'wait --for=condition (not found)', args: ['wait', 'isvc/nope', ...n, '--for=condition=Ready', '--timeout=2s'], read: read.error },
    { id: 'explain InferenceService', args: ['explain', 'inferenceservice'], read: read.explain },
    { id: 'explain InferenceService predictor', args: ['explain', 'inferenceservice.spec.predictor'], read: read.explain },
    { id: 'explain InferenceService model', args: ['explain', 'inferenceservice.spec.predictor.model'], read: read.explain },
    { id: 'explain InferenceService canaryTrafficPercent', args: ['explain', 'inferenceservice.spec.predictor.canaryTrafficPercent'], read: read.explain },
    { id: 'explain VirtualService spec', args: ['explain', 'virtualservice.spec'], read: read.explain },
    { id: 'explain VirtualService http.route', args: ['explain', 'virtualservice.spec.http.route'], read: read.explain },
    { id: 'explain ServiceEntry spec', args: ['explain', 'serviceentry.spec'], read: read.explain },
    { id: 'explain TrafficPlan spec', args: ['explain', 'trafficplan.spec'], read: read.explain },
    { id: 'explain TrafficPlan gates', args: ['explain', 'trafficplan.spec.gates'], read: read.explain },
    { id: 'explain TrafficPlan canary', args: ['explain', 'trafficplan.spec.phases.canary'], read: read.explain },
    { id: 'explain (no such field)', args: ['explain', 'inferenceservice.spec.predictor.nosuchfield'], read: read.explain },
    { id: 'bad input: unknown field', args: ['create', '-f', '-'], read: read.error, input: inNs({ apiVersion: 'serving.kserve.io/v1beta1', kind: 'InferenceService', metadata: { name: 'bad' }, spec: { predictor: { model: { modelFormat: { name: 'onnx' }, storageUri: 'pvc://m/x' } }, bogus: 1 } }) },
    { id: 'bad input: wrong type', args: ['create', '-f', '-'], read: read.error, input: inNs({ apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', metadata: { name: 'bad' }, spec: { hosts: 'not-a-list' } }) },
    { id: 'bad input: out of range and missing', args: ['create', '-f', '-'], read: read.error, input: inNs({ apiVersion: 'switchyard.dev/v1alpha1', kind: 'TrafficPlan', metadata: { name: 'bad' }, spec: { target: { inferenceService: 'x' }, candidate: { storageUri: 'pvc://m/y' }, phases: [{ canary: { steps: [1, 200] } }], gates: [{ metric: 'errorRate', max: 0.01 }] } }) },
    { id: 'bad input: canaryTrafficPercent 101', args: ['create', '--dry-run=server', '-f', '-'], read: read.error, input: inNs({ apiVersion: 'serving.kserve.io/v1beta1', kind: 'InferenceService', metadata: { name: 'bad' }, spec: { predictor: { canaryTrafficPercent: 101, model: { modelFormat: { name: 'onnx' }, storageUri: 'pvc://m/x' } } } }) },
    { id: 'bad input: invalid name', args: ['create', '-f', '-'], read: read.error, input: inNs({ apiVersion: 'networking.istio.io/v1', kind: 'ServiceEntry', metadata: { name: 'Bad_Name' }, spec: { hosts: ['x.external'] } }) },
    { id: 'bad input: namespace mismatch', args: ['apply', '-n', 'default', '-f', '-'], read: read.error, input: inNs({ apiVersion: 'networking.istio.io/v1', kind: 'ServiceEntry', metadata: { name: 'x' }, spec: { hosts: ['x.external'] } }) },
    { id: 'not found: get', args: ['get', 'isvc', 'nope', ...n], read: read.error },
    { id: 'not found: get -o yaml', args: ['get', 'vs', 'nope', ...n, '-o', 'yaml'], read: read.error },
    { id: 'not found: describe', args: ['describe', 'tp', 'nope', ...n], read: read.error },
    { id: 'not found: patch', args: ['patch', 'isvc', 'nope', ...n, '--type', 'merge', '-p', '{}'], read: read.error },
    { id: 'not found: delete', args: ['delete', 'se', 'nope', ...n], read: read.error },
    { id: 'not found: namespace', args: ['get', 'isvc', 'iris', '-n', `${ns}-none`], read: read.error },
    { id: 'not found: resource type', args: ['get', 'nosuchkinds'], read: read.error },
    // --sort-by asks for Table rows with the whole object (includeObject=Object) and sorts them on it: two objects to sort.
    { id: 'create a second VirtualService', args: ['create', '-f', '-'], input: inNs({ apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', metadata: { name: 'aardvark-vs' }, spec: { hosts: ['zz.example.com'], http: [{ route: [{ destination: { host: 'iris-predictor' } }] }] } }) },
    { id: 'get --sort-by a spec field', args: ['get', 'vs', ...n, '--sort-by=.spec.hosts[0]'], read: read.table },
    { id: 'delete the second VirtualService', args: ['delete', 'vs', 'aardvark-vs', ...n] },
    { id: 'delete --dry-run=server', args: ['delete', '-f', file, '--dry-run=server'] },
    { id: 'get after a dry-run delete', args: ['get', 'isvc,ig,vs,se,dr,tp', ...n, '-o', 'name'] },
    { id: 'delete --wait=false', args: ['delete', 'vs', 'iris-vs', ...n, '--wait=false'] },
    { id: 'wait --for=delete', args: ['wait', 'vs/iris-vs', ...n, '--for=delete', '--timeout=10s'] },
    { id: 'delete -f', args: ['delete', '-f', file, '--ignore-not-found'] },
    { id: 'get after delete', args: ['get', 'isvc,ig,vs,se,dr,tp', ...n] },
    { id: 'delete --ignore-not-found', args: ['delete', 'isvc', 'iris', ...n, '--ignore-not-found'] },
  ];
}

const FIXTURE = parseAllDocuments(readFileSync(join(ROOT, 'test/e2e/fixtures/kinds.yaml'), 'utf8')).map((d) => d.toJS() as Obj);
function fixtureName(kind: string): string {
  return FIXTURE.find((d) => d.kind === kind)!.metadata.name as string;
}

/** The fixture in namespace `ns`, its cluster-scoped runtime named `csr`; `changed` moves the canary to 50. */
function fixtureIn(ns: string, csr: string, changed: boolean): string {
  return FIXTURE.map((d) => {
    const o = structuredClone(d);
    if (o.kind === 'ClusterServingRuntime') o.metadata.name = csr;
    else o.metadata.namespace = ns;
    if (changed && o.kind === 'InferenceService') o.spec.predictor.canaryTrafficPercent = 50;
    return stringify(o);
  }).join('---\n');
}

/** Runs one step on one side and reads its output the step's way (after a known difference's own reading, if any). */
async function outcome(step: Step, k: Run, known: Known | undefined, side: Side): Promise<{ raw: read.Output; value: unknown; knownValue: unknown }> {
  const input = typeof step.input === 'function' ? await step.input(k) : step.input;
  const raw = await k(step.args, input);
  const value = (step.read ?? read.text)(raw);
  return { raw, value, knownValue: known ? known.normalise(structuredClone(value) as Obj, side) : value };
}

describe('kubectl side by side: a real kube-apiserver with the real CRDs and switchyard up', { skip: NEEDS_CONTROL_PLANE, concurrency: false }, () => {
  let cp: ControlPlane;
  let up: Up;
  let dir: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sy-kubectl-diff-'));
    [cp, up] = await Promise.all([startControlPlane(), startUp()]);
    await cp.installCrds(CRDS);
  });
  after(async () => {
    await up?.stop();
    if (up) removeDir(up.dataDir);
    await cp?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  for (const version of KUBECTL_VERSIONS) {
    test(`kubectl ${version}: every output agrees, or differs only as a known difference says`, { timeout: 120_000 }, async () => {
      const ns = `kd-${version.replace('.', '-')}`;
      const csr = `e2e-onnx-${version.replace('.', '-')}`;
      const file = join(dir, `kinds-${ns}.yaml`);
      const changedFile = join(dir, `kinds-${ns}-changed.yaml`);
      writeFileSync(file, fixtureIn(ns, csr, false));
      writeFileSync(changedFile, fixtureIn(ns, csr, true));
      const real: Run = (args, input) => run(kubectlPath(version), ['--kubeconfig', cp.kubeconfigFile(), '--cache-dir', join(cp.dir, `kubecache-${version}`), ...args], input === undefined ? {} : { input });
      const sy: Run = (args, input) => upKubectl(version, up, args, input === undefined ? {} : { input });
      const problems: string[] = [];
      for (const step of steps(ns, file, changedFile, csr)) {
        const known = KNOWN.find((k) => k.step === step.id);
        const [a, b] = await Promise.all([outcome(step, real, known, 'real'), outcome(step, sy, known, 'up')]);
        const show = () => `\n  real (exit ${a.raw.code}): ${(a.raw.stdout + a.raw.stderr).slice(0, 1500)}\n  up (exit ${b.raw.code}): ${(b.raw.stdout + b.raw.stderr).slice(0, 1500)}`;
        const same = isDeepStrictEqual(a.value, b.value);
        if (!known && !same) problems.push(`${step.id}: outputs differ (kubectl ${step.args.join(' ')}):${show()}\n  real: ${JSON.stringify(a.value).slice(0, 1500)}\n  up:   ${JSON.stringify(b.value).slice(0, 1500)}`);
        if (known && same) problems.push(`${step.id}: the known difference "${known.differs}" is gone: remove it from KNOWN and docs/cluster.md`);
        if (known && !same && !isDeepStrictEqual(a.knownValue, b.knownValue)) {
          problems.push(`${step.id}: differs beyond the known difference "${known.differs}":${show()}\n  real: ${JSON.stringify(a.knownValue).slice(0, 1500)}\n  up:   ${JSON.stringify(b.knownValue).slice(0, 1500)}`);
        }
      }
      assert.deepEqual(problems, [], problems.join('\n\n'));
    });
  }

  test('every known difference is in docs/cluster.md\'s table, and the table names no other command', () => {
    const doc = readFileSync(join(ROOT, 'docs/cluster.md'), 'utf8');
    const section = doc.slice(doc.indexOf('## What kubectl shows differently'), doc.indexOf('## How it is tested'));
    const listed = section.split('\n').filter((l) => l.startsWith('| `')).flatMap((l) => [...l.split(' | ')[0]!.matchAll(/`([^`]+)`/g)].map((m) => m[1]!));
    assert.deepEqual([...new Set(listed)].sort(), [...new Set(KNOWN.map((k) => k.command))].sort());
  });
});
