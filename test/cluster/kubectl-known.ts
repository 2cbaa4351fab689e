// The differences kubectl shows between `switchyard up` and a real
// kube-apiserver holding the real CRDs (and, as on the test machines, no
// KServe or Istio controllers and no admission webhooks), each with its
// reason; docs/cluster.md lists the same. `normalise` takes exactly that
// difference out of one side's reading: after it both sides must agree, and
// without it they must not (kubectl-differential.test.ts checks both).

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
type Side = 'real' | 'up';

export interface Known {
  /** The step of kubectl-differential.test.ts. */
  step: string;
  /** The command as docs/cluster.md's table names it. */
  command: string;
  differs: string;
  why: string;
  normalise: (value: Obj, side: Side) => unknown;
}

const NO_CONTROLLERS = 'written by switchyard\'s controllers on `up`; the test\'s API server runs no KServe, Istio or Switchyard controller, so nothing writes status there';

/** Table cells that come from .status (additionalPrinterColumns), emptied. */
function blankColumns(columns: string[]) {
  return (v: Obj) => ({ ...v, tables: (v.tables as Obj[][]).map((rows) => rows.map((r) => ({ ...r, ...Object.fromEntries(columns.filter((c) => c in r).map((c) => [c, ''])) }))) });
}

function withoutStatus(v: Obj) {
  if (v.object) delete v.object.status;
  return v;
}

/** describe's Status section (up to Events). */
function withoutStatusSection(v: Obj) {
  const lines = v.lines as string[];
  const from = lines.indexOf('Status:');
  const to = lines.findIndex((l) => l.startsWith('Events:'));
  // kubectl aligns Events with the widest key above it, which the Status section moves.
  const events = lines.slice(to).map((l) => l.replace(/\s+/g, ' '));
  return { ...v, lines: [...lines.slice(0, from < 0 ? to : from), ...events] };
}

/** explain's prose: KServe's published CRD carries none, Istio's is its own; switchyard serves its own descriptions. */
function withoutDescriptions(v: Obj) {
  return { ...v, description: '', fields: (v.fields as Obj[]).map((f) => ({ ...f, description: '' })) };
}

const DESCRIPTIONS = 'switchyard publishes its own one-line descriptions; KServe\'s CRD (config/crd/full) has none and Istio\'s are generated from its protos';

function unrequired(names: string[]) {
  return (v: Obj) => ({ ...v, fields: (v.fields as Obj[]).map((f) => (names.includes(f.name) ? { ...f, required: false } : f)) });
}

const ISVC_STATUS = ['URL', 'READY', 'PREV', 'LATEST', 'PREVROLLEDOUTREVISION', 'LATESTREADYREVISION'];
const TP_STATUS = ['TARGET', 'PHASE', 'STEP', 'CANARY', 'REQUESTS', 'MESSAGE'];

export const KNOWN: Known[] = [
  {
    step: 'apply --dry-run=server (new)', command: 'kubectl apply --dry-run=server -f kinds.yaml (nothing created yet)',
    differs: 'up refuses the InferenceGraph: the InferenceService it names does not exist, as the dry run created nothing',
    why: 'switchyard checks that an InferenceGraph\'s steps name existing InferenceServices when it is written; the real API server has no such check (and the test installs no KServe webhook)',
    normalise: (v, side) => side === 'real'
      ? { ...v, stdout: (v.stdout as string).replace(/^inferencegraph\.serving\.kserve\.io\/pipeline created \(server dry run\)\n/m, '') }
      : /The InferenceGraph "pipeline" is invalid:[\s\S]*InferenceService "iris" does not exist/.test(v.stderr) ? { ...v, code: 0, stderr: '' } : v,
  },
  {
    step: 'apply --server-side --dry-run=server', command: 'kubectl apply --server-side',
    differs: 'up answers 415: server-side apply (application/apply-patch+yaml) is not served',
    why: 'switchyard up implements client-side apply (last-applied annotation, merge patches); server-side apply\'s field ownership (managedFields) is not implemented',
    normalise: (v, side) => (side === 'real' ? v.code === 0 && /serverside-applied \(server dry run\)/.test(v.stdout) : v.code !== 0 && /Server-side apply not available/.test(v.stderr)),
  },
  {
    step: 'get ClusterServingRuntime', command: 'kubectl get clusterservingruntimes',
    differs: 'up also lists its built-in runtimes (kserve-*, switchyard-*)',
    why: 'switchyard up installs KServe\'s standard ClusterServingRuntimes and its own at start, as installing KServe does; the test\'s API server holds only what the test creates',
    normalise: (v) => ({ ...v, tables: (v.tables as Obj[][]).map((rows) => rows.filter((r) => !/^(kserve|switchyard)-/.test(r.NAME))) }),
  },
  ...['get InferenceService', 'get InferenceService -o wide', 'get --show-labels'].map((step) => ({
    step, command: step === 'get --show-labels' ? 'kubectl get isvc --show-labels' : `kubectl get isvc${step.endsWith('wide') ? ' -o wide' : ''}`,
    differs: `${ISVC_STATUS.join(', ')} are empty on the real API server`, why: `these columns read .status, ${NO_CONTROLLERS}`, normalise: blankColumns(ISVC_STATUS),
  })),
  {
    step: 'get InferenceGraph', command: 'kubectl get ig',
    differs: 'URL and READY are empty on the real API server', why: `these columns read .status, ${NO_CONTROLLERS}`, normalise: blankColumns(['URL', 'READY']),
  },
  ...['get TrafficPlan', 'get TrafficPlan -o wide'].map((step) => ({
    step, command: `kubectl get tp${step.endsWith('wide') ? ' -o wide' : ''}`,
    differs: `${TP_STATUS.filter((c) => step.endsWith('wide') || !['REQUESTS', 'MESSAGE'].includes(c)).join(', ')} are empty on the real API server`,
    why: `these columns read .status, ${NO_CONTROLLERS}`, normalise: blankColumns(TP_STATUS),
  })),
  ...[['get InferenceService -o yaml', 'isvc'], ['get InferenceGraph -o yaml', 'ig'], ['get VirtualService -o yaml', 'vs'], ['get VirtualService -o json', 'vs', 'json'], ['get TrafficPlan -o yaml', 'tp']].map(([step, short, format = 'yaml']) => ({
    step: step!, command: `kubectl get ${short} NAME -o ${format}`,
    differs: 'status is absent on the real API server', why: `status is ${NO_CONTROLLERS}`, normalise: withoutStatus,
  })),
  ...[['describe InferenceService', 'isvc'], ['describe VirtualService', 'vs'], ['describe TrafficPlan', 'tp']].map(([step, short]) => ({
    step: step!, command: `kubectl describe ${short} NAME`,
    differs: 'no Status section on the real API server', why: `status is ${NO_CONTROLLERS}`, normalise: withoutStatusSection,
  })),
  {
    step: 'explain InferenceService', command: 'kubectl explain inferenceservice',
    differs: 'the descriptions; spec is marked -required- on up', why: `${DESCRIPTIONS}; switchyard refuses an InferenceService without spec; KServe's CRD does not mark it required`,
    normalise: (v) => unrequired(['spec'])(withoutDescriptions(v)),
  },
  {
    step: 'explain InferenceService predictor', command: 'kubectl explain inferenceservice.spec.predictor',
    differs: 'the descriptions (the fields and their types are the same: switchyard up accepts the pod-spec fields and ignores them)', why: DESCRIPTIONS,
    normalise: withoutDescriptions,
  },
  {
    step: 'explain InferenceService model', command: 'kubectl explain inferenceservice.spec.predictor.model',
    differs: 'the descriptions; up marks modelFormat -required-',
    why: `${DESCRIPTIONS}; switchyard needs modelFormat to pick a runtime, which KServe's CRD does not mark required`,
    normalise: (v) => unrequired(['modelFormat'])(withoutDescriptions(v)),
  },
  ...[['explain InferenceService canaryTrafficPercent', 'inferenceservice.spec.predictor.canaryTrafficPercent'], ['explain VirtualService spec', 'virtualservice.spec'],
    ['explain VirtualService http.route', 'virtualservice.spec.http.route'], ['explain ServiceEntry spec', 'serviceentry.spec']].map(([step, field]) => ({
    step: step!, command: `kubectl explain ${field}`,
    differs: 'the descriptions', why: DESCRIPTIONS,
    normalise: withoutDescriptions,
  })),
  {
    step: 'bad input: canaryTrafficPercent 101', command: 'kubectl create --dry-run=server (canaryTrafficPercent: 101)',
    differs: 'up refuses it (422, naming spec.predictor.canaryTrafficPercent); the real API server accepts it',
    why: 'KServe\'s CRD schema puts no bounds on canaryTrafficPercent; switchyard refuses a percentage above 100 when it is written rather than failing later in the controller',
    normalise: (v, side) => (side === 'real' ? v.code === 0 : v.code === 1 && v.fields.includes('spec.predictor.canaryTrafficPercent')),
  },
];
