// Which responses get their output analysed: a fraction `rate` of them, and
// never more than `maxPerSecond` per series, so parsing bodies stays bounded
// however hot the route is. Each series has its own sampler, so a 1 % canary
// is not starved of samples by its 99 % baseline.
export interface SamplingOptions {
  /** Fraction of responses analysed, 0..1 (default 1). */
  rate?: number;
  /** Cap on analysed responses per second per series (default 200). */
  maxPerSecond?: number;
}

export class OutputSampler {
  private readonly rate: number;
  private readonly cap: number;
  private second = -1;
  private taken = 0;

  constructor(opts: SamplingOptions, private readonly rng: () => number) {
    this.rate = Math.min(1, Math.max(0, opts.rate ?? 1));
    this.cap = opts.maxPerSecond ?? 200;
  }

  /** Decides for one response at `nowMs`; counts it against the second's cap when true. */
  take(nowMs: number): boolean {
    if (this.rate < 1 && this.rng() >= this.rate) return false;
    const second = Math.floor(nowMs / 1000);
    if (second !== this.second) {
      this.second = second;
      this.taken = 0;
    }
    if (this.taken >= this.cap) return false;
    this.taken++;
    return true;
  }
}
