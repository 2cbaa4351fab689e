// The built-in ClusterServingRuntimes, created at startup when absent so
// `kubectl get clusterservingruntimes` lists them: `switchyard-onnx` (this
// package's ONNX server, run with the server's node), and KServe's Python
// runtimes by KServe's names and model formats, run from the Python
// environments under the runtimes dir (src/runtime/python): `kserve-mlserver`
// (Seldon MLServer), `kserve-sklearnserver`, `kserve-xgbserver`,
// `kserve-lgbserver` (KServe-SDK servers in python/kserve_servers/) and
// `switchyard-python` for custom kserve.Model predictors.
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { canonicalJson } from '../../core/canonical.ts';
import { SERVER_TYPE_ANNOTATION, SERVER_TYPE_CUSTOM, SERVER_TYPE_MLSERVER } from '../../controllers/isvc/server-type.ts';
import {
  CUSTOM_RUNTIME, ENVIRONMENTS, KSERVE_SERVERS_DIR, LIGHTGBM_RUNTIME, MLSERVER_RUNTIME, SKLEARN_RUNTIME, XGBOOST_RUNTIME, environmentBin,
} from '../../runtime/python/environments.ts';
import type { Actor, KubeObject, Store } from '../../store/types.ts';

export const BUILTIN_ONNX_RUNTIME = 'switchyard-onnx';
export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by';
const CLUSTER_RUNTIMES = { group: 'serving.kserve.io', resource: 'clusterservingruntimes' };
const BIN = fileURLToPath(new URL('../../../bin/switchyard.js', import.meta.url));
const DESCRIPTION = 'switchyard.dev/description';

type Format = { name: string; version?: string; autoSelect: boolean; priority?: number };

function runtime(name: string, description: string, spec: { formats: Format[]; protocols: string[]; container: Record<string, unknown> }, serverType?: string): KubeObject {
  return {
    apiVersion: 'serving.kserve.io/v1alpha1',
    kind: 'ClusterServingRuntime',
    metadata: {
      name,
      labels: { [MANAGED_BY_LABEL]: 'switchyard' },
      annotations: { [DESCRIPTION]: description, ...(serverType ? { [SERVER_TYPE_ANNOTATION]: serverType } : {}) },
    },
    spec: {
      supportedModelFormats: spec.formats,
      protocolVersions: spec.protocols,
      multiModel: false,
      disabled: false,
      containers: [{ name: 'kserve-container', image: 'local', ...spec.container }],
    },
  };
}

export function builtinOnnxRuntime(node = process.execPath, bin = BIN): KubeObject {
  return runtime(BUILTIN_ONNX_RUNTIME, "Built-in ONNX model server (KServe V1 and V2); run with the server's node", {
    formats: [{ name: 'onnx', version: '1', autoSelect: true }],
    protocols: ['v1', 'v2'],
    container: {
      command: [node, bin, 'model-server'],
      args: ['--model-dir', '{{.ModelDir}}', '--name', '{{.Name}}', '--port', '{{.Port}}'],
      readinessProbe: { httpGet: { path: '/v2/health/ready' } },
    },
  });
}

const env = (name: string) => ENVIRONMENTS.find((e) => e.name === name)!;

/** KServe's kserve-mlserver: the same formats, priorities and MLSERVER_* settings, on loopback ports. */
function mlserverRuntime(runtimesDir: string): KubeObject {
  const versions = (name: string, vs: string[]): Format[] => vs.map((version) => ({ name, version, autoSelect: true, priority: 2 }));
  return runtime(MLSERVER_RUNTIME, "Seldon MLServer for scikit-learn, XGBoost and LightGBM (Open Inference Protocol V2), from the mlserver Python environment", {
    formats: [...versions('sklearn', ['0', '1']), ...versions('xgboost', ['1', '2']), ...versions('lightgbm', ['3', '4'])],
    protocols: ['v2'],
    container: {
      command: [environmentBin(runtimesDir, env('mlserver'), 'mlserver'), 'start', '{{.ModelDir}}'],
      env: [
        { name: 'MLSERVER_MODEL_IMPLEMENTATION', value: '{{.Labels.modelClass}}' },
        { name: 'MLSERVER_HOST', value: '127.0.0.1' },
        { name: 'MLSERVER_HTTP_PORT', value: '{{.Port}}' },
        // Switchyard routes REST only; gRPC takes any free port, metrics stay off (each replica would want 8082).
        { name: 'MLSERVER_GRPC_PORT', value: '0' },
        { name: 'MLSERVER_METRICS_ENDPOINT', value: '' },
        // Inference in the server process: no worker pool (and no .envs/.metrics dirs in the working directory).
        { name: 'MLSERVER_PARALLEL_WORKERS', value: '0' },
      ],
      readinessProbe: { httpGet: { path: '/v2/health/ready' } },
    },
  }, SERVER_TYPE_MLSERVER);
}

/** KServe's kserve-sklearnserver, -xgbserver, -lgbserver: their formats, protocols and arguments. */
function kserveServer(runtimesDir: string, name: string, script: string, format: Format, extraArgs: string[], what: string): KubeObject {
  return runtime(name, `${what} on KServe's Python SDK (KServe V1 and V2), from the kserve Python environment`, {
    formats: [format],
    protocols: ['v1', 'v2'],
    container: {
      command: [environmentBin(runtimesDir, env('kserve'), 'python'), join(KSERVE_SERVERS_DIR, script)],
      args: ['--model_name={{.Name}}', '--model_dir={{.ModelDir}}', '--http_port={{.Port}}', '--enable_grpc=false', ...extraArgs],
    },
  });
}

/** Custom predictors: the InferenceService's args name the script (or -m module); KServe's arguments are appended. */
function customRuntime(runtimesDir: string): KubeObject {
  return runtime(CUSTOM_RUNTIME, 'Python with the KServe SDK for custom kserve.Model predictors (KServe V1 and V2); the InferenceService names the script or module', {
    formats: [{ name: 'custom', autoSelect: true }],
    protocols: ['v1', 'v2'],
    container: { command: [environmentBin(runtimesDir, env('kserve'), 'python')] },
  }, SERVER_TYPE_CUSTOM);
}

export function builtinRuntimes(runtimesDir: string): KubeObject[] {
  return [
    builtinOnnxRuntime(),
    mlserverRuntime(runtimesDir),
    kserveServer(runtimesDir, SKLEARN_RUNTIME, 'sklearnserver.py', { name: 'sklearn', version: '1', autoSelect: true, priority: 1 }, [], 'scikit-learn models (.joblib, .pkl)'),
    kserveServer(runtimesDir, XGBOOST_RUNTIME, 'xgbserver.py', { name: 'xgboost', version: '2', autoSelect: true, priority: 1 }, ['--nthread=1'], 'XGBoost boosters (.bst, .json, .ubj)'),
    kserveServer(runtimesDir, LIGHTGBM_RUNTIME, 'lgbserver.py', { name: 'lightgbm', version: '4', autoSelect: true, priority: 1 }, ['--nthread=1'], 'LightGBM boosters (.bst)'),
    customRuntime(runtimesDir),
  ];
}

/**
 * Create each built-in runtime, or refresh it when it is still ours (label
 * managed-by=switchyard) and its spec moved (another node, checkout, runtimes
 * dir or pinned environment). Removing the label hands the object to the user.
 */
export async function ensureBuiltinRuntimes(store: Store, actor: Actor, runtimesDir: string): Promise<void> {
  for (const want of builtinRuntimes(runtimesDir)) {
    const have = await store.get({ ...CLUSTER_RUNTIMES, namespace: '', name: want.metadata.name });
    if (!have) {
      await store.create(CLUSTER_RUNTIMES, want, { actor });
      continue;
    }
    const ours = have.metadata.labels?.[MANAGED_BY_LABEL] === 'switchyard';
    if (ours && (canonicalJson(have.spec) !== canonicalJson(want.spec) || canonicalJson(have.metadata.annotations) !== canonicalJson(want.metadata.annotations))) {
      await store.update(CLUSTER_RUNTIMES, { ...have, metadata: { ...have.metadata, annotations: want.metadata.annotations }, spec: want.spec }, { actor });
    }
  }
}
