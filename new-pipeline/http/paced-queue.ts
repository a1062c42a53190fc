import type { TokenBucket } from './token-bucket.js';

interface Waiter {
  priority: number;
  seq: number;
  resolve: () => void;
}

/**
 * Hands out a platform's request slots at the rate of its token bucket, to the waiting caller with the highest
 * priority first (first come, first served among equals). The fetch gives a partition's later pages a higher
 * priority, so that a long chain of pages (an account in a spike) moves at the speed of the network instead of
 * one turn among every partition in flight, and does not trail the day on its own at the end.
 */
export class PacedQueue {
  /** Highest priority first, then oldest. */
  private readonly waiting: Waiter[] = [];
  private seq = 0;
  private pumping = false;

  constructor(
    private readonly bucket: TokenBucket,
    private readonly now: () => number,
    private readonly sleep: (ms: number) => Promise<void>,
  ) {}

  /** Resolves when the caller may send: a token was taken for it. */
  take(priority: number): Promise<void> {
    return new Promise((resolve) => {
      const waiter = { priority, seq: this.seq++, resolve };
      const at = this.waiting.findIndex((other) => other.priority < priority);
      this.waiting.splice(at < 0 ? this.waiting.length : at, 0, waiter);
      void this.pump();
    });
  }

  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (this.waiting.length > 0) {
        // Taken only when due, so a pause the platform asks for meanwhile holds for everyone still waiting.
        const wait = this.bucket.tryTake(this.now());
        if (wait > 0) await this.sleep(wait);
        else this.waiting.shift()!.resolve();
      }
    } finally {
      this.pumping = false;
    }
  }
}
