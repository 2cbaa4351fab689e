// Pod names and labels as KServe (on Knative) gives them, so `kubectl get pods
// -l serving.kserve.io/inferenceservice=NAME` selects the same pods here as on
// a cluster.

/** Kubernetes' name-suffix alphabet: no vowels (no accidental words), no 0/1/3. */
const ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

export type Component = 'predictor' | 'transformer' | 'explainer';

export function randomSuffix(length: number, random: () => number): string {
  let out = '';
  for (let i = 0; i < length; i++) out += ALPHABET[Math.floor(random() * ALPHABET.length) % ALPHABET.length];
  return out;
}

/** `<revision>-deployment-<10>-<5>`: a Deployment's ReplicaSet hash, then the pod suffix. */
export function podName(revision: string, random: () => number): string {
  return `${revision}-deployment-${randomSuffix(10, random)}-${randomSuffix(5, random)}`;
}

export interface PodIdentity {
  namespace: string;
  isvc: string;
  component: Component;
  revision: string;
}

/** The labels KServe's predictor pods carry in Knative mode. */
export function podLabels(id: PodIdentity, extra: Record<string, string> = {}): Record<string, string> {
  const service = `${id.isvc}-${id.component}`;
  return {
    ...extra,
    app: id.revision,
    component: id.component,
    'serving.kserve.io/inferenceservice': id.isvc,
    'serving.knative.dev/configuration': service,
    'serving.knative.dev/revision': id.revision,
    'serving.knative.dev/service': service,
  };
}
