// InferenceService reconciler: pure decisions (runtime selection, revisions,
// status) behind a Deployer port. The server wires it to local pods.
export { reconcile, type ReconcileInput, type ReconcileOutput, type RevisionRecord } from './reconcile.ts';
export { selectRuntime, describeRuntimes, type Selection, type SelectionRequest, type ModelFormat } from './runtime-select.ts';
export { buildTemplate, desiredReplicas, predictorModel, revisionName, templateFingerprint } from './template.ts';
export { revisionState, type ModelState, type RevisionState } from './revision-state.ts';
export { mergeConditions, readyFrom, type Condition } from './conditions.ts';
export { IsvcController, type IsvcControllerOptions } from './controller.ts';
export type { Deployer, RevisionObservation, RevisionTemplate, RuntimeCandidate, RuntimeKind } from './types.ts';
