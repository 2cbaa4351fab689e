// A TrafficPlan's recent history as the API answers it
// (GET /switchyard/v1/namespaces/NS/trafficplans/NAME/history): one point per
// judged window and per change of split or phase. Kept by the server
// (src/server/plan-history.ts), drawn by the dashboard (src/web).

/** One gate's value at a look: the latest window alone and the step's cumulative value with its interval. */
export interface GatePoint {
  name: string;
  metric: string;
  slice?: string;
  verdict?: string;
  /** The latest window alone. */
  window?: number | null;
  /** The step's cumulative value and its always-valid interval. */
  value?: number | null;
  interval?: Array<number | null>;
}

export interface PlanPoint {
  /** Epoch ms: the judged window's end, or when the status changed for a change without a new window. */
  at: number;
  phase?: string;
  phaseIndex?: number;
  step?: number;
  canaryPercent?: number;
  split?: Record<string, number>;
  stepRequests?: number;
  /** Set when the point is a judged window: its verdict. */
  verdict?: string;
  gates: GatePoint[];
  /** In a shadow phase: pairs judged so far and the share whose answers agreed. */
  shadow?: { pairs: number; agreement?: number };
}
