// The dashboard's plan history, kept in the data dir's database so a restart
// of `switchyard up` does not wipe the charts of a plan that ran before it:
// one row per point (src/api/plan-history.ts), keyed by the plan and its uid
// (a plan deleted and created again under the same name starts afresh).
// Written on the API server's watch of TrafficPlans: a point per judged
// window, a few bytes, one indexed insert.
import Database from 'better-sqlite3';
import type { PlanPoint } from '../api/plan-history.ts';

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

  constructor(path: string) {
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('busy_timeout = 1000');
    this.db.exec(SCHEMA);
    this.insert = this.db.prepare('INSERT INTO plan_history (namespace, name, uid, at, point) VALUES (?, ?, ?, ?, ?)');
    this.trimBefore = this.db.prepare('DELETE FROM plan_history WHERE namespace = ? AND name = ? AND uid = ? AND at < ?');
  }

  // After close (a watch event still in flight at shutdown), writes are dropped: the history is a view, not a record.
  append(plan: PlanRef, point: PlanPoint): void {
    if (!this.db.open) return;
    this.insert.run(plan.namespace, plan.name, plan.uid, point.at, JSON.stringify(point));
  }

  /** Drops a plan's points older than `at` (those the bounded history no longer keeps). */
  trim(plan: PlanRef, at: number): void {
    if (!this.db.open) return;
    this.trimBefore.run(plan.namespace, plan.name, plan.uid, at);
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
    if (!this.db.open) return;
    this.db.prepare('DELETE FROM plan_history WHERE namespace = ? AND name = ? AND uid = ?').run(plan.namespace, plan.name, plan.uid);
  }

  close(): void {
    this.db.close();
  }
}
