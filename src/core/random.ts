// Randomness is passed into decisions; this is the seeded source tests,
// simulations and the fixture training use so their runs are reproducible.

/** mulberry32: a tiny, fast, seeded PRNG, uniform on [0, 1). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A standard normal draw (Box–Muller). */
export function normalDraw(rand: () => number): number {
  const u = Math.max(rand(), Number.MIN_VALUE);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand());
}

/**
 * Binomial(n, p): exact inversion while the smaller tail's mean is under 50,
 * else the normal approximation rounded and clamped (simulations of large
 * request counts, where the difference is far below the noise).
 */
export function binomial(rand: () => number, n: number, p: number): number {
  if (n <= 0 || p <= 0) return 0;
  if (p >= 1) return n;
  const flip = p > 0.5;
  const q = flip ? 1 - p : p;
  if (n * q < 50) {
    let k = 0;
    let pk = Math.pow(1 - q, n);
    let cdf = pk;
    const u = rand();
    while (u > cdf && k < n) {
      pk *= ((n - k) / (k + 1)) * (q / (1 - q));
      k++;
      cdf += pk;
    }
    return flip ? n - k : k;
  }
  const k = Math.min(n, Math.max(0, Math.round(n * q + normalDraw(rand) * Math.sqrt(n * q * (1 - q)))));
  return flip ? n - k : k;
}

/** Multinomial counts of n draws over `probs` (summing to 1), by sequential conditional binomials. */
export function multinomial(rand: () => number, n: number, probs: readonly number[]): number[] {
  let left = n;
  let mass = 1;
  return probs.map((p, i) => {
    const k = i === probs.length - 1 ? left : binomial(rand, left, mass > 0 ? Math.min(1, p / mass) : 0);
    left -= k;
    mass -= p;
    return k;
  });
}

/**
 * Gamma(shape, 1) by Marsaglia & Tsang (2000): a squeezed rejection from a
 * transformed normal, about one normal and one uniform per draw at any shape.
 * A shape below 1 is boosted: Gamma(a) = Gamma(a + 1) · U^(1/a).
 */
export function gammaDraw(rand: () => number, shape: number): number {
  if (!(shape > 0)) throw new RangeError(`gamma shape must be > 0, got ${shape}`);
  if (shape < 1) return gammaDraw(rand, shape + 1) * Math.pow(rand(), 1 / shape);
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    const x = normalDraw(rand);
    const s = 1 + c * x;
    if (s <= 0) continue;
    const v = s * s * s;
    const u = rand();
    const x2 = x * x;
    if (u < 1 - 0.0331 * x2 * x2) return d * v;
    if (Math.log(u) < 0.5 * x2 + d * (1 - v + Math.log(v))) return d * v;
  }
}

/** Beta(a, b) as X / (X + Y) with X ~ Gamma(a), Y ~ Gamma(b). */
export function betaDraw(rand: () => number, a: number, b: number): number {
  const x = gammaDraw(rand, a);
  const y = gammaDraw(rand, b);
  // Both can underflow to 0 only for shapes far below 1; the mean is the fair answer then.
  return x + y > 0 ? x / (x + y) : a / (a + b);
}
