// The demo volume: on a data dir's first start, volumes/models/ gets a copy
// of examples/models/ so the quickstart's pvc://models/iris-v1/ resolves.
import { cpSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const EXAMPLE_MODELS = fileURLToPath(new URL('../../../examples/models', import.meta.url));

/** Copies the example models into <volumes>/models unless that directory exists. Returns whether it did. */
export function seedDemoVolume(volumesDir: string, source = EXAMPLE_MODELS): boolean {
  const target = join(volumesDir, 'models');
  if (existsSync(target) || !existsSync(source)) return false;
  cpSync(source, target, { recursive: true });
  return true;
}

/** How to reach a model through the gateway, KServe-style (Host header), and see its pods. */
export function servingHint(kubeconfig: string, namespace: string, name: string, gatewayPort: number): string[] {
  const k = `kubectl --kubeconfig ${kubeconfig} -n ${namespace}`;
  return [
    `  ${k} wait --for=condition=Ready isvc/${name} --timeout=60s`,
    `  ${k} get pods -l serving.kserve.io/inferenceservice=${name}`,
    `  curl -s -H "Host: ${name}.${namespace}.example.com" http://127.0.0.1:${gatewayPort}/v1/models/${name}:predict -d '{"instances": [[6.8, 2.8, 4.8, 1.4]]}'`,
  ];
}
