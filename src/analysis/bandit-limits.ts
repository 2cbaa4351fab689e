// Guardrails on a bandit's allocation: a floor and a ceiling on each arm's
// share of traffic, and arms frozen at 0 because their guardrail failed.
// The allocation keeps its shape where the limits allow: each arm gets
// clamp(c · weight, floor, ceiling) with the one scale c that makes the
// shares sum to 1, so what a clamped arm gives up or takes is spread over
// the others in proportion to their weights.

export interface Limits {
  /** Floor: the least share of traffic an arm keeps (a fraction, one for every arm or one per arm). */
  min?: number | readonly number[];
  /** Ceiling: the most share an arm may take. */
  max?: number | readonly number[];
  /** Arms held at 0 (a failed guardrail); their traffic goes to the others. */
  frozen?: readonly boolean[];
}

function perArm(v: number | readonly number[] | undefined, k: number, fallback: number, name: string): number[] {
  const out = typeof v === 'object' ? [...v] : new Array<number>(k).fill(v ?? fallback);
  if (out.length !== k) throw new RangeError(`limits.${name} has ${out.length} entries for ${k} arms`);
  out.forEach((x, i) => {
    if (!(x >= 0 && x <= 1)) throw new RangeError(`limits.${name}[${i}] must be a fraction in [0, 1], got ${x}`);
  });
  return out;
}

function resolve(k: number, limits: Limits) {
  const lo = perArm(limits.min, k, 0, 'min');
  const hi = perArm(limits.max, k, 1, 'max');
  lo.forEach((l, i) => {
    if (l > hi[i]!) throw new RangeError(`limits: arm ${i}'s floor ${l} is above its ceiling ${hi[i]}`);
  });
  const frozen = limits.frozen ?? [];
  if (frozen.length > k) throw new RangeError(`limits.frozen has ${frozen.length} entries for ${k} arms`);
  const active = Array.from({ length: k }, (_, i) => i).filter((i) => !frozen[i]);
  return { lo, hi, active };
}

/** Why these limits cannot all hold for `arms` arms (every arm frozen, floors above 1 in all, ceilings below 1), or undefined. */
export function limitsProblem(arms: number, limits: Limits): string | undefined {
  const { lo, hi, active } = resolve(arms, limits);
  if (active.length === 0) return 'every arm is frozen: no arm can take the traffic';
  const floors = active.reduce((a, i) => a + lo[i]!, 0);
  const ceilings = active.reduce((a, i) => a + hi[i]!, 0);
  if (floors > 1 + 1e-12) return `the floors of the ${active.length} active arms add up to ${floors.toFixed(4)}, more than all the traffic`;
  if (ceilings < 1 - 1e-12) return `the ceilings of the ${active.length} active arms add up to ${ceilings.toFixed(4)}, less than all the traffic`;
  return undefined;
}

/** clamp(c · w, lo, hi) summed over arms is nondecreasing in c: find the c where it reaches `total`. */
function fill(w: readonly number[], lo: readonly number[], hi: readonly number[], total: number): number[] {
  const clampAt = (c: number) => w.map((x, i) => Math.min(hi[i]!, Math.max(lo[i]!, c * x)));
  const sum = (xs: readonly number[]) => xs.reduce((a, x) => a + x, 0);
  if (sum(lo) >= total) return [...lo];
  const positive = w.map((x) => x > 0);
  const reach = sum(w.map((_, i) => (positive[i] ? hi[i]! : lo[i]!)));
  if (reach < total) {
    // Even at their ceilings the weighted arms leave traffic over: the arms without weight share it equally.
    const rest = w.flatMap((_, i) => (positive[i] ? [] : [i]));
    const weighted = sum(w.map((_, i) => (positive[i] ? hi[i]! : 0)));
    const spill = fill(rest.map(() => 1), rest.map((i) => lo[i]!), rest.map((i) => hi[i]!), total - weighted);
    const out = w.map((_, i) => (positive[i] ? hi[i]! : 0));
    rest.forEach((i, j) => (out[i] = spill[j]!));
    return out;
  }
  let low = 0;
  let high = Math.max(...w.map((x, i) => (x > 0 ? hi[i]! / x : 0)));
  for (let n = 0; n < 200 && low < high; n++) {
    const mid = (low + high) / 2;
    if (sum(clampAt(mid)) < total) low = mid;
    else high = mid;
  }
  // Solve exactly on the segment found: the arms between their limits scale, the others sit at a limit.
  const atLimits = clampAt(high);
  const free = w.map((x, i) => atLimits[i]! > lo[i]! && atLimits[i]! < hi[i]! && x > 0);
  const freeWeight = sum(w.filter((_, i) => free[i]));
  if (freeWeight === 0) return atLimits;
  const c = (total - sum(atLimits.filter((_, i) => !free[i]))) / freeWeight;
  return clampAt(c);
}

/**
 * The allocation after the guardrails: frozen arms at 0, every other arm within its floor and
 * ceiling, the traffic clamped arms give up or need spread over the rest in proportion to their
 * weights (equally where no active arm has weight), summing to 1.
 * When the limits cannot all hold (limitsProblem says why) the active arms split the traffic
 * equally: that keeps every arm serving and no arm's share further from its limits than the
 * others'. Throws when every arm is frozen: something must take the traffic.
 */
export function applyLimits(weights: readonly number[], limits: Limits): number[] {
  const k = weights.length;
  if (k === 0) throw new RangeError('applyLimits needs at least one arm');
  weights.forEach((x, i) => {
    if (!(x >= 0 && Number.isFinite(x))) throw new RangeError(`weights[${i}] must be a finite number ≥ 0, got ${x}`);
  });
  const { lo, hi, active } = resolve(k, limits);
  if (active.length === 0) throw new RangeError('every arm is frozen: no arm can take the traffic');
  const out = new Array<number>(k).fill(0);
  if (limitsProblem(k, limits)) {
    for (const i of active) out[i] = 1 / active.length;
    return out;
  }
  const w = active.map((i) => weights[i]!);
  const even = w.every((x) => x === 0);
  const shares = fill(even ? w.map(() => 1) : w, active.map((i) => lo[i]!), active.map((i) => hi[i]!), 1);
  active.forEach((i, j) => (out[i] = shares[j]!));
  return out;
}
