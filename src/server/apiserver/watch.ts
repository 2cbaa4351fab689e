// `?watch=true`: newline-delimited watch events on a chunked response, as
// kube-apiserver streams them. Used by `kubectl wait` and `get -w`.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { syError } from '../../core/errors.ts';
import type { KubeObject, LabelRequirement, Store, WatchEvent } from '../../store/types.ts';
import { matchesFields, nameFromFields, type FieldRequirement } from './fieldselector.ts';
import type { Scope } from './resources.ts';

export interface WatchRequest {
  scope: Scope;
  labels: LabelRequirement[];
  fields: FieldRequirement[];
  resourceVersion?: string;
  timeoutSeconds?: number;
  /** Turns each object into what the client asked for (object or one-row Table). */
  encode: (obj: KubeObject) => unknown;
}

const DEFAULT_TIMEOUT_S = 1800;

/** Bounds the watches open at once: a flood of watchers is refused (429) instead of taking every connection. */
export class WatchSlots {
  private readonly open = new Set<ServerResponse>();

  constructor(private readonly max: number) {}

  /** Takes a slot until `res` closes; SY_ERR_TOO_MANY_REQUESTS when none is free. */
  take(res: ServerResponse): void {
    if (this.open.size >= this.max) {
      throw syError('SY_ERR_TOO_MANY_REQUESTS', `too many watches: this server holds at most ${this.max} at once; retry later`);
    }
    this.open.add(res);
    res.once('close', () => this.open.delete(res));
  }

  /** Ends every watch stream cleanly (the server is shutting down; clients watch again elsewhere or later). */
  endAll(): void {
    for (const res of this.open) res.end();
  }
}

export async function serveWatch(store: Store, req: IncomingMessage, res: ServerResponse, w: WatchRequest): Promise<void> {
  const { scope } = w;
  const name = nameFromFields(w.fields);
  // resourceVersion "0" or absent means "from now" (after whatever the client listed).
  const from = w.resourceVersion && w.resourceVersion !== '0' ? w.resourceVersion : undefined;
  const pending: WatchEvent[] = [];
  let headerSent = false;
  const write = (ev: WatchEvent): void => {
    if (!matchesFields(w.fields, ev.object)) return;
    res.write(`${JSON.stringify({ type: ev.type, object: w.encode(ev.object) })}\n`);
  };
  const stop = await store.watch(
    { group: scope.info.group, resource: scope.info.plural },
    {
      ...(scope.info.namespaced && scope.namespace ? { namespace: scope.namespace } : {}),
      labelSelector: w.labels,
      ...(name !== undefined ? { name } : {}),
      ...(from !== undefined ? { resourceVersion: from } : {}),
    },
    (ev) => (headerSent ? write(ev) : pending.push(ev)),
  );
  res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-cache', 'transfer-encoding': 'chunked' });
  res.flushHeaders();
  headerSent = true;
  for (const ev of pending.splice(0)) write(ev);

  const timer = setTimeout(() => res.end(), (w.timeoutSeconds ?? DEFAULT_TIMEOUT_S) * 1000);
  const finish = (): void => {
    clearTimeout(timer);
    stop();
  };
  req.on('close', finish);
  res.on('close', finish);
}
