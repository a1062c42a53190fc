/**
 * A token bucket that hands out future slots: `reserve` never refuses, it says how long the caller must wait
 * for its token. Callers that reserve in turn are spaced exactly at the rate, which is what keeps a day's fetch
 * close to the lower bound the platforms' limits allow. Pure apart from the clock passed in.
 */
export class TokenBucket {
  private tokens: number;
  private updatedAt: number;

  constructor(
    /** Tokens added per second. */
    private readonly ratePerSecond: number,
    /** Most tokens held at once: how large a burst may go out unspaced. */
    private readonly burst: number,
    now: number,
  ) {
    this.tokens = burst;
    this.updatedAt = now;
  }

  private refill(now: number): void {
    const elapsed = Math.max(0, now - this.updatedAt) / 1000;
    this.tokens = Math.min(this.burst, this.tokens + elapsed * this.ratePerSecond);
    this.updatedAt = now;
  }

  /** Takes one token; returns the milliseconds until it is really available (0 when it is now). */
  reserve(now: number): number {
    this.refill(now);
    this.tokens -= 1;
    return this.tokens >= 0 ? 0 : Math.ceil((-this.tokens / this.ratePerSecond) * 1000);
  }

  /**
   * Takes a token only if one is available now (as a server enforcing a limit does); otherwise returns the
   * milliseconds until one will be, and takes nothing.
   */
  tryTake(now: number): number {
    this.refill(now);
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return 0;
    }
    return Math.ceil(((1 - this.tokens) / this.ratePerSecond) * 1000);
  }

  /** Empties the bucket until `untilMs`: the platform said to back off, so nobody may call before then. */
  pauseUntil(untilMs: number, now: number): void {
    const debt = ((untilMs - now) / 1000) * this.ratePerSecond;
    this.reserve(now);
    this.tokens = Math.min(this.tokens, -debt);
  }
}
