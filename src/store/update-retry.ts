// Read–modify–write under optimistic concurrency: read the latest object,
// change a copy, write it with its resourceVersion; on a conflict (someone
// wrote in between) read again and redo the change, a few times. The one
// loop every controller that updates an object it does not own uses.
import type { KubeObject, Store, WriteOptions } from './types.ts';

export interface ObjectKey {
  group: string;
  resource: string;
  namespace: string;
  name: string;
}

/** Conflicts retried before the last one is thrown. */
export const CONFLICT_ATTEMPTS = 5;

/**
 * Applies `change` to a copy of the current object and writes it; `change`
 * returns false when there is nothing to write. Resolves true when it wrote,
 * false when nothing changed or the object is gone; throws anything but a
 * conflict, and the last conflict.
 */
export async function updateWithRetry<T extends KubeObject>(store: Store, key: ObjectKey, change: (obj: T) => boolean, opts: WriteOptions): Promise<boolean> {
  for (let attempt = 1; ; attempt++) {
    const current = await store.get(key);
    if (!current) return false;
    const next = structuredClone(current) as T;
    if (!change(next)) return false;
    try {
      await store.update(key, next, opts);
      return true;
    } catch (err) {
      if ((err as { code?: string }).code !== 'SY_ERR_CONFLICT' || attempt >= CONFLICT_ATTEMPTS) throw err;
    }
  }
}
