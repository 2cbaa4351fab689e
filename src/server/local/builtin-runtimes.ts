// The built-in ClusterServingRuntime `switchyard-onnx`: this package's own
// ONNX model server, run with the node that runs the server. Created at
// startup when absent so `kubectl get clusterservingruntimes` lists it.
import { fileURLToPath } from 'node:url';
import { canonicalJson } from '../../core/canonical.ts';
import type { Actor, KubeObject, Store } from '../../store/types.ts';

export const BUILTIN_ONNX_RUNTIME = 'switchyard-onnx';
export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by';
const CLUSTER_RUNTIMES = { group: 'serving.kserve.io', resource: 'clusterservingruntimes' };
const BIN = fileURLToPath(new URL('../../../bin/switchyard.js', import.meta.url));

export function builtinOnnxRuntime(node = process.execPath, bin = BIN): KubeObject {
  return {
    apiVersion: 'serving.kserve.io/v1alpha1',
    kind: 'ClusterServingRuntime',
    metadata: {
      name: BUILTIN_ONNX_RUNTIME,
      labels: { [MANAGED_BY_LABEL]: 'switchyard' },
      annotations: { 'switchyard.dev/description': 'Built-in ONNX model server (KServe V1 and V2); run with the server\'s node' },
    },
    spec: {
      supportedModelFormats: [{ name: 'onnx', version: '1', autoSelect: true }],
      protocolVersions: ['v1', 'v2'],
      multiModel: false,
      disabled: false,
      containers: [{
        name: 'kserve-container',
        image: 'local',
        command: [node, bin, 'model-server'],
        args: ['--model-dir', '{{.ModelDir}}', '--name', '{{.Name}}', '--port', '{{.Port}}'],
        readinessProbe: { httpGet: { path: '/v2/health/ready' } },
      }],
    },
  };
}

/**
 * Create the built-in runtime, or refresh it when it is still ours (label
 * managed-by=switchyard) and its command moved (another node or checkout).
 * Removing the label hands the object to the user.
 */
export async function ensureBuiltinRuntimes(store: Store, actor: Actor): Promise<void> {
  const want = builtinOnnxRuntime();
  const have = await store.get({ ...CLUSTER_RUNTIMES, namespace: '', name: BUILTIN_ONNX_RUNTIME });
  if (!have) {
    await store.create(CLUSTER_RUNTIMES, want, { actor });
    return;
  }
  if (have.metadata.labels?.[MANAGED_BY_LABEL] === 'switchyard' && canonicalJson(have.spec) !== canonicalJson(want.spec)) {
    await store.update(CLUSTER_RUNTIMES, { ...have, spec: want.spec }, { actor });
  }
}
