// The audit log in a cluster: one events.k8s.io/v1 Event per decision, on
// the object it concerns (a TrafficPlan transition on the plan), so
// `kubectl describe tp` and `kubectl get events` show it next to everything
// else the cluster did. The note is the transition in words; annotations
// carry who decided, the evidence (compact JSON, when it fits) and its
// sha256, so a reader can check that the evidence is the one decided on.
// Kubernetes keeps Events for the API server's --event-ttl (1 h by
// default): ship them to a log store for a longer record (docs/cluster.md).
import { canonicalJson, sha256Hex } from '../core/canonical.ts';
import type { AuditEntry, AuditRecord } from '../store/types.ts';
import { clusterResource } from './resources.ts';

export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by';
export const MANAGED_BY = 'switchyard';
export const ACTOR_ANNOTATION = 'switchyard.dev/actor';
export const VERB_ANNOTATION = 'switchyard.dev/verb';
export const EVIDENCE_ANNOTATION = 'switchyard.dev/evidence';
export const EVIDENCE_DIGEST_ANNOTATION = 'switchyard.dev/evidence-sha256';
/** Annotations share 256 KiB per object; evidence above this is kept by digest only. */
export const MAX_EVIDENCE_BYTES = 192 * 1024;
export const REPORTING_CONTROLLER = 'switchyard.dev/plan-controller';

/** Causes after which traffic left the candidate for a reason other than success, or the plan cannot go on by itself. */
const WARNING_CAUSES = new Set(['gate-failed', 'candidate-failed', 'target-deleted', 'errors-exceeded', 'rollback', 'kill', 'abort', 'max-duration', 'shadow-max-duration',
  'request-budget', 'budget', 'sample-ratio-mismatch', 'incomparable-outputs']);

export interface EventSource {
  /** The controller's instance (pod name); Kubernetes requires one per Event. */
  instance: string;
  now: () => Date;
}

/** 'group/resource/namespace/name' (the audit resource key) back to its parts. */
export function parseAuditResource(resource: string): { group: string; resource: string; namespace: string; name: string } {
  const [group = '', plural = '', namespace = '', ...rest] = resource.split('/');
  return { group, resource: plural, namespace, name: rest.join('/') };
}

const camel = (s: string) => s.split(/[^A-Za-z0-9]+/).filter(Boolean).map((w) => w[0]!.toUpperCase() + w.slice(1)).join('') || 'Audit';

/** A plan transition's cause (`gate-failed`) as an Event's reason (`GateFailed`) and type: the same in a cluster and in `switchyard up`. */
export function transitionEventReason(cause: string): { reason: string; type: 'Normal' | 'Warning' } {
  return { reason: camel(cause).slice(0, 128), type: WARNING_CAUSES.has(cause) ? 'Warning' : 'Normal' };
}

/** MicroTime as Kubernetes writes it: RFC 3339 with microseconds. */
export function microTime(d: Date): string {
  return d.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

function noteOf(entry: AuditEntry): string {
  const t = entry.evidence as { from?: string; to?: string; cause?: string; reason?: string } | undefined;
  const text = t?.from && t?.to ? `${t.from} → ${t.to} (${t.cause ?? entry.verb}): ${t.reason ?? ''}` : `${entry.verb} by ${entry.actor}`;
  return text.length > 1024 ? `${text.slice(0, 1021)}...` : text;
}

/** An Event's name prefix from its object's name: a DNS subdomain whatever the name (an Event's name must be one). */
function eventPrefix(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9.-]+/g, '-').replace(/^[^a-z0-9]+|[^a-z0-9]+$/g, '').slice(0, 200) || 'audit';
}

/** The Event recording one audit entry, with its regarding object's uid when known. */
export function auditEvent(entry: AuditEntry, source: EventSource, uid?: string): Record<string, unknown> {
  const where = parseAuditResource(entry.resource);
  const r = clusterResource(where);
  const cause = entry.verb.replace(/^plan\//, '');
  const annotations: Record<string, string> = { [ACTOR_ANNOTATION]: entry.actor, [VERB_ANNOTATION]: entry.verb };
  if (entry.evidence !== undefined) {
    const json = canonicalJson(entry.evidence);
    annotations[EVIDENCE_DIGEST_ANNOTATION] = sha256Hex(entry.evidence);
    if (Buffer.byteLength(json) <= MAX_EVIDENCE_BYTES) annotations[EVIDENCE_ANNOTATION] = json;
  }
  return {
    apiVersion: 'events.k8s.io/v1',
    kind: 'Event',
    metadata: { generateName: `${eventPrefix(where.name)}-`, namespace: where.namespace || 'default', labels: { [MANAGED_BY_LABEL]: MANAGED_BY }, annotations },
    eventTime: microTime(source.now()),
    reportingController: REPORTING_CONTROLLER,
    reportingInstance: source.instance.slice(0, 128),
    action: entry.verb.slice(0, 128),
    ...transitionEventReason(cause),
    note: noteOf(entry),
    regarding: {
      apiVersion: r.group ? `${r.group}/${r.version}` : r.version, kind: r.kind, name: where.name,
      ...(r.namespaced ? { namespace: where.namespace } : {}), ...(uid ? { uid } : {}),
    },
  };
}

type EventObject = { metadata: { name?: string; annotations?: Record<string, string>; resourceVersion?: string }; eventTime?: string; regarding?: { kind?: string; name?: string; namespace?: string; apiVersion?: string }; action?: string };

/** An Event written by auditEvent as an AuditRecord (seq is its place in the list; there is no hash chain). */
export function recordOfEvent(ev: EventObject, seq: number): AuditRecord {
  const a = ev.metadata.annotations ?? {};
  const apiVersion = ev.regarding?.apiVersion ?? '';
  const group = apiVersion.includes('/') ? apiVersion.split('/')[0]! : '';
  const plural = `${(ev.regarding?.kind ?? '').toLowerCase()}s`;
  const evidence = a[EVIDENCE_ANNOTATION] !== undefined ? JSON.parse(a[EVIDENCE_ANNOTATION]) as unknown : undefined;
  return {
    seq, time: ev.eventTime ?? '', actor: a[ACTOR_ANNOTATION] ?? '', verb: a[VERB_ANNOTATION] ?? ev.action ?? '',
    resource: `${group}/${plural}/${ev.regarding?.namespace ?? ''}/${ev.regarding?.name ?? ''}`,
    digestBefore: '', digestAfter: '', ...(evidence !== undefined ? { evidence } : {}),
    prevHash: '', hash: a[EVIDENCE_DIGEST_ANNOTATION] ?? '',
  };
}

/** Why an Event's evidence does not match its digest, or undefined when it does (or is kept by digest only). */
export function evidenceProblem(ev: EventObject): string | undefined {
  const a = ev.metadata.annotations ?? {};
  if (a[EVIDENCE_ANNOTATION] === undefined) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(a[EVIDENCE_ANNOTATION]);
  } catch {
    return `event ${ev.metadata.name}: evidence is not JSON`;
  }
  return sha256Hex(parsed) === a[EVIDENCE_DIGEST_ANNOTATION] ? undefined : `event ${ev.metadata.name}: evidence does not match its sha256 (edited)`;
}
