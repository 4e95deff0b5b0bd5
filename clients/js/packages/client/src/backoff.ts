/** Settings of the reconnect backoff. */
export interface BackoffOptions {
  /** The cap of the first delay, in ms. Default 500. */
  minMs?: number;
  /** The largest cap, in ms. Default 30 000. */
  maxMs?: number;
  /** How much the cap grows per failed attempt. Default 2. */
  multiplier?: number;
}

/**
 * Exponential backoff with full jitter: attempt `n` waits a uniformly random time between zero and
 * `min(maxMs, minMs · multiplier^n)`, so many clients cut off by one server restart do not come back in waves.
 */
export class Backoff {
  readonly minMs: number;
  readonly maxMs: number;
  readonly multiplier: number;

  constructor(options: BackoffOptions = {}, private readonly random: () => number = Math.random) {
    this.minMs = options.minMs ?? 500;
    this.maxMs = options.maxMs ?? 30_000;
    this.multiplier = options.multiplier ?? 2;
    if (!(this.minMs > 0)) throw new RangeError('reconnect.minMs must be positive');
    if (!(this.maxMs >= this.minMs)) throw new RangeError('reconnect.maxMs must be at least reconnect.minMs');
    if (!(this.multiplier >= 1)) throw new RangeError('reconnect.multiplier must be at least 1');
  }

  /** The upper bound of the delay before attempt `attempt` (0 for the first retry), before jitter. */
  cap(attempt: number): number {
    const cap = this.minMs * Math.pow(this.multiplier, Math.max(0, attempt));
    return Number.isFinite(cap) && cap < this.maxMs ? cap : this.maxMs;
  }

  /** A delay for attempt `attempt`: uniform in [0, cap(attempt)). */
  delay(attempt: number): number {
    const fraction = Math.min(1, Math.max(0, this.random()));
    return Math.floor(this.cap(attempt) * fraction);
  }
}
