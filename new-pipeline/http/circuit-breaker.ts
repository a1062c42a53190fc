export type BreakerState = 'closed' | 'open' | 'half-open';

/**
 * One breaker per platform: after `failureThreshold` failures in a row the platform is skipped for
 * `cooldownMs`, so a dead platform fails its partitions fast instead of holding every worker in retries.
 * After the cool-down one trial request decides whether it closes again.
 */
export class CircuitBreaker {
  private failures = 0;
  private openedAt: number | undefined;
  private trialInFlight = false;

  constructor(
    private readonly failureThreshold: number,
    private readonly cooldownMs: number,
  ) {}

  state(now: number): BreakerState {
    if (this.openedAt === undefined) return 'closed';
    return now - this.openedAt >= this.cooldownMs ? 'half-open' : 'open';
  }

  /** Whether a request may go out now; in half-open, only one trial at a time. */
  allow(now: number): boolean {
    const state = this.state(now);
    if (state === 'closed') return true;
    if (state === 'open' || this.trialInFlight) return false;
    this.trialInFlight = true;
    return true;
  }

  onSuccess(): void {
    this.failures = 0;
    this.openedAt = undefined;
    this.trialInFlight = false;
  }

  onFailure(now: number): void {
    this.failures += 1;
    this.trialInFlight = false;
    if (this.failures >= this.failureThreshold || this.openedAt !== undefined) this.openedAt = now;
  }
}

/** Full-jitter exponential backoff: a random wait in [0, min(max, base × 2^attempt)]. */
export function backoffDelay(attempt: number, baseMs: number, maxMs: number, random: () => number = Math.random): number {
  return Math.floor(random() * Math.min(maxMs, baseMs * 2 ** attempt));
}
