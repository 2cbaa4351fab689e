// The shapes the InferenceService reconciler works with, and the one port it
// needs from the outside world: a Deployer that runs a revision's replicas.
// The reconciler is pure and the controller loop drives it through the port;
// src/server/local implements the port with the supervisor and the storage
// initializer.
import type { ServingRuntimeSpec } from '../../api/kinds/servingruntime.ts';
import type { KubeObject } from '../../store/types.ts';

export type RuntimeKind = 'ServingRuntime' | 'ClusterServingRuntime';

/** A runtime the selector may pick: namespace-scoped ServingRuntime or ClusterServingRuntime. */
export interface RuntimeCandidate {
  kind: RuntimeKind;
  name: string;
  spec: ServingRuntimeSpec;
  /** The runtime object's metadata.annotations (serving.kserve.io/server-type picks server defaults). */
  annotations?: Record<string, string>;
}

export type Component = 'predictor' | 'transformer' | 'explainer';

/**
 * Everything needed to run one immutable revision. `{{.Name}}` is already
 * replaced; `{{.ModelDir}}` (the deployer's local copy of storageUri) and
 * `{{.Port}}` (each replica's port) are left for the deployer and supervisor.
 */
export interface RevisionTemplate {
  namespace: string;
  isvc: string;
  component: Component;
  revision: string;
  /** Which runtime the revision runs; `InferenceService` for a custom predictor container. */
  runtime: { kind: RuntimeKind | 'InferenceService'; name: string };
  modelName: string;
  protocolVersion: string;
  storageUri?: string;
  /** Whose Secrets the storage initializer may use (KServe: the predictor's, else `default`). */
  serviceAccountName?: string;
  /** The Secret named by the InferenceService's serving.kserve.io/storageSecretName annotation. */
  storageSecretName?: string;
  /** argv[0] then its arguments. */
  command: string[];
  env: Record<string, string>;
  workingDir?: string;
  readinessPath: string;
  /** Scaling knobs copied from the component spec (the autoscaler reads them later). */
  scaling: { minReplicas: number; maxReplicas?: number; scaleMetric?: string; scaleTarget?: number; containerConcurrency?: number };
}

/** What the deployer can tell about a running revision. */
export interface RevisionObservation {
  /** Pod views (v1 Pod objects) of the revision's replicas. */
  pods: KubeObject[];
  /** sha256 of the model artifact, once the storage initializer resolved it. */
  digest?: string;
  /** Artifact size in bytes, with the digest. */
  bytes?: number;
}

/** The port the reconciler drives. All calls are idempotent. */
export interface Deployer {
  /** Run the revision (if not yet) with this many replicas. A running revision's template never changes. */
  ensure(template: RevisionTemplate, replicas: number): void;
  stop(namespace: string, revision: string): Promise<void>;
  /** undefined when the revision is not running. Revision names repeat across namespaces. */
  observe(namespace: string, revision: string): RevisionObservation | undefined;
  /** Revisions currently running for an InferenceService. */
  running(namespace: string, isvc: string): string[];
  /** The InferenceService (namespace/name) a running revision (by revisionKey) belongs to. */
  ownerOf(key: string): string | undefined;
}
