// The CloudEvents KServe's payload logger sends (pkg/logger in its agent):
// one per inference request and one per response (the response only when the
// model answered 200), both with the request's id as ce-id, the type
// org.kubeflow.serving.inference.request|response and the extension
// attributes inferenceservicename, namespace, component and endpoint. The
// source is the logging pod (the agent's --source-uri): its name starts
// with the revision's Deployment, REVISION-deployment, which is how an event
// is attributed to a revision. Binary mode (ce-* headers, body = payload) is
// what KServe sends; structured mode (application/cloudevents+json) is
// accepted too, for brokers that re-encode.
import { z } from 'zod';

export const CE_REQUEST = 'org.kubeflow.serving.inference.request';
export const CE_RESPONSE = 'org.kubeflow.serving.inference.response';

export interface LoggedEvent {
  kind: 'request' | 'response';
  id: string;
  namespace: string;
  /** The InferenceService. */
  service: string;
  component: string;
  endpoint: string;
  source: string;
  /** The revision that answered; undefined when the source names none. */
  revision?: string;
  time?: string;
  body: Buffer;
}

/**
 * The Knative revision a pod or Deployment name belongs to:
 * NAME-predictor-00002-deployment-7965bcc66-grdbq → NAME-predictor-00002.
 * A source URI's last path segment is read; undefined when it names no revision.
 */
export function revisionOfSource(source: string): string | undefined {
  const last = source.replace(/\/+$/, '').split('/').pop() ?? '';
  const m = /^(.+-\d{5})(?:-deployment(?:-[a-z0-9]+){0,2})?$/.exec(last);
  return m?.[1];
}

const structured = z.object({
  specversion: z.string(),
  id: z.string().min(1),
  type: z.string(),
  source: z.string().default(''),
  time: z.string().optional(),
  inferenceservicename: z.string().min(1),
  namespace: z.string().min(1),
  component: z.string().default('predictor'),
  endpoint: z.string().default(''),
  data: z.unknown().optional(),
  data_base64: z.string().optional(),
});

function kindOf(type: string): 'request' | 'response' | undefined {
  return type === CE_REQUEST ? 'request' : type === CE_RESPONSE ? 'response' : undefined;
}

/** An event from an HTTP delivery, or why it is not one of the logger's. */
export function parseLoggedEvent(headers: Record<string, string | string[] | undefined>, body: Buffer): LoggedEvent | { error: string } {
  const h = (name: string) => {
    const v = headers[name];
    return Array.isArray(v) ? v[0] : v;
  };
  const contentType = h('content-type') ?? '';
  let ev: Omit<LoggedEvent, 'revision'>;
  if (contentType.startsWith('application/cloudevents+json')) {
    let json: unknown;
    try {
      json = JSON.parse(body.toString('utf8'));
    } catch {
      return { error: 'the structured CloudEvent is not JSON' };
    }
    const parsed = structured.safeParse(json);
    if (!parsed.success) return { error: `not a KServe logger event: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'event'}: ${i.message}`).join('; ')}` };
    const e = parsed.data;
    const kind = kindOf(e.type);
    if (!kind) return { error: `ce type ${e.type} is neither ${CE_REQUEST} nor ${CE_RESPONSE}` };
    const data = e.data_base64 !== undefined ? Buffer.from(e.data_base64, 'base64') : Buffer.from(typeof e.data === 'string' ? e.data : JSON.stringify(e.data ?? null));
    ev = { kind, id: e.id, namespace: e.namespace, service: e.inferenceservicename, component: e.component, endpoint: e.endpoint, source: e.source, ...(e.time ? { time: e.time } : {}), body: data };
  } else {
    const type = h('ce-type') ?? '';
    const kind = kindOf(type);
    if (!kind) return { error: `ce-type ${JSON.stringify(type)} is neither ${CE_REQUEST} nor ${CE_RESPONSE}` };
    const id = h('ce-id');
    const service = h('ce-inferenceservicename');
    const namespace = h('ce-namespace');
    const missing = [['ce-id', id], ['ce-inferenceservicename', service], ['ce-namespace', namespace]].filter(([, v]) => !v).map(([k]) => k);
    if (missing.length > 0) return { error: `missing ${missing.join(', ')}` };
    const time = h('ce-time');
    ev = { kind, id: id!, namespace: namespace!, service: service!, component: h('ce-component') ?? 'predictor', endpoint: h('ce-endpoint') ?? '', source: h('ce-source') ?? '', ...(time ? { time } : {}), body };
  }
  const revision = revisionOfSource(ev.source);
  return { ...ev, ...(revision ? { revision } : {}) };
}
