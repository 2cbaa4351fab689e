// The dashboard's plan history, kept in the data dir's database so a restart
// of `switchyard up` does not wipe the charts of a plan that ran before it:
// one row per point (src/api/plan-history.ts), keyed by the plan and its uid
// (a plan deleted and created again under the same name starts afresh).
// Written on the API server's watch of TrafficPlans: a point per judged
// window, a few bytes, one indexed insert.
import type Database from 'better-sqlite3';
import type { PlanPoint } from '../api/plan-history.ts';
import { openSharedDb } from './shared-db.ts';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS plan_history (
  namespace TEXT NOT NULL,
  name TEXT NOT NULL,
  uid TEXT NOT NULL,
  at INTEGER NOT NULL,
  point TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS plan_history_plan ON plan_history (namespace, name, uid, at);`;

export interface PlanRef {
  namespace: string;
  name: string;
  uid: string;
}

export class PlanHistoryLog {
  private readonly db: Database.Database;
  private readonly insert: Database.Statement;
  private readonly trimBefore: Database.Statement;

  /** onError: a write that failed (disk full, a lock held too long); the chart misses that point, the server goes on. */
  constructor(path: string, private readonly onError: (err: Error) => void = () => undefined) {
    this.db = openSharedDb(path);
    this.db.exec(SCHEMA);
    this.insert = this.db.prepare('INSERT INTO plan_history (namespace, name, uid, at, point) VALUES (?, ?, ?, ?, ?)');
    this.trimBefore = this.db.prepare('DELETE FROM plan_history WHERE namespace = ? AND name = ? AND uid = ? AND at < ?');
  }

  /**
   * Runs a write from the store's watch. The history is a view, not a record: a write after close
   * (a watch event in flight at shutdown) is dropped, and a failed one is reported, never thrown
   * into the watch that feeds the rest of the server.
   */
  private write(op: () => void): void {
    if (!this.db.open) return;
    try {
      op();
    } catch (err) {
      this.onError(err as Error);
    }
  }

  append(plan: PlanRef, point: PlanPoint): void {
    this.write(() => this.insert.run(plan.namespace, plan.name, plan.uid, point.at, JSON.stringify(point)));
  }

  /** Drops a plan's points older than `at` (those the bounded history no longer keeps). */
  trim(plan: PlanRef, at: number): void {
    this.write(() => this.trimBefore.run(plan.namespace, plan.name, plan.uid, at));
  }

  /** A plan's newest `max` points, oldest first. */
  points(plan: PlanRef, max: number): PlanPoint[] {
    const rows = this.db.prepare('SELECT point FROM plan_history WHERE namespace = ? AND name = ? AND uid = ? ORDER BY at DESC, rowid DESC LIMIT ?')
      .all(plan.namespace, plan.name, plan.uid, max) as Array<{ point: string }>;
    return rows.reverse().map((r) => JSON.parse(r.point) as PlanPoint);
  }

  /** Deletes every point but those of the plans given (the plans that exist now). */
  keepOnly(plans: readonly PlanRef[]): number {
    const keep = new Set(plans.map((p) => `${p.namespace}/${p.name}/${p.uid}`));
    const stored = this.db.prepare('SELECT DISTINCT namespace, name, uid FROM plan_history').all() as PlanRef[];
    const remove = this.db.prepare('DELETE FROM plan_history WHERE namespace = ? AND name = ? AND uid = ?');
    let removed = 0;
    for (const p of stored) if (!keep.has(`${p.namespace}/${p.name}/${p.uid}`)) removed += remove.run(p.namespace, p.name, p.uid).changes;
    return removed;
  }

  remove(plan: PlanRef): void {
    this.write(() => this.db.prepare('DELETE FROM plan_history WHERE namespace = ? AND name = ? AND uid = ?').run(plan.namespace, plan.name, plan.uid));
  }

  close(): void {
    this.db.close();
  }
}
