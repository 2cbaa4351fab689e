// Local "pods": supervised model-server replicas, one replica set per revision.
export { Supervisor, DEFAULT_GRACE_MS, type PodSink, type ReplicaSetSpec, type SupervisorOptions, type Endpoint, type ChangeNotice } from './supervisor.ts';
export { podObject, eventObject, eventName, CONTAINER, type ReplicaSnapshot, type EventInput, type Termination } from './pod-view.ts';
export { podLabels, podName, type Component, type PodIdentity } from './names.ts';
export { nextBackoff, DEFAULT_BACKOFF, type BackoffPolicy } from './backoff.ts';
export { readLogLines, logFiles, RotatingLog, DEFAULT_ROTATION, type RotationPolicy, type ReadLogOptions } from './logs.ts';
export type { InitHook, ProbePolicy, EventType } from './replica.ts';
