// Reading one TrafficPlan over the API, and following its changes: list with
// a field selector, then watch from the list's resourceVersion (as `wait`
// does), listing again when the watch ends or its version expired.
import { syError } from '../../core/errors.ts';
import type { ApiClient } from '../client.ts';
import type { KubeObject } from '../output.ts';
import { ServerError } from '../status.ts';
import { sleep } from '../../core/sleep.ts';

export const PLAN_GROUP_VERSION = 'switchyard.dev/v1alpha1';
export const PLAN_LABEL = 'trafficplan.switchyard.dev';

export function planPath(ns: string, name?: string): string {
  const base = `/apis/${PLAN_GROUP_VERSION}/namespaces/${encodeURIComponent(ns)}/trafficplans`;
  return name === undefined ? base : `${base}/${encodeURIComponent(name)}`;
}

export function planNotFound(name: string): ServerError {
  return new ServerError('SY_ERR_NOT_FOUND', `trafficplans.switchyard.dev "${name}" not found`, 'NotFound', 404, []);
}

export const getPlan = (client: ApiClient, ns: string, name: string): Promise<KubeObject> => client.get<KubeObject>(planPath(ns, name));


/**
 * Yields the plan now and again on every change, until `signal` aborts.
 * A deleted (or never existing) plan ends the iteration with a NotFound error.
 */
export async function* followPlan(client: ApiClient, ns: string, name: string, signal: AbortSignal): AsyncGenerator<KubeObject> {
  const fieldSelector = `metadata.name=${name}`;
  let last = '';
  while (!signal.aborted) {
    let list: { items?: KubeObject[]; metadata?: { resourceVersion?: string } };
    try {
      list = await client.get(planPath(ns), { query: { fieldSelector }, signal });
    } catch (err) {
      if (signal.aborted) return;
      throw err;
    }
    const obj = (list.items ?? []).find((o) => o.metadata?.name === name);
    if (!obj) throw planNotFound(name);
    if (obj.metadata?.resourceVersion !== last) {
      last = obj.metadata?.resourceVersion ?? '';
      yield obj;
    }
    try {
      const query = { fieldSelector, resourceVersion: list.metadata?.resourceVersion || undefined };
      for await (const event of client.watch(planPath(ns), query, signal)) {
        if (event.type === 'ERROR') break;
        const o = event.object as KubeObject;
        if (o.metadata?.name !== name) continue;
        if (event.type === 'DELETED') throw syError('SY_ERR_NOT_FOUND', `trafficplan "${name}" was deleted while watching it`);
        if (o.metadata?.resourceVersion === last) continue;
        last = o.metadata?.resourceVersion ?? '';
        yield o;
      }
    } catch (err) {
      // An expired resourceVersion means: list again.
      if (signal.aborted) return;
      if (!(err instanceof ServerError && err.httpStatus === 410)) throw err;
    }
    await sleep(200, signal);
  }
}
