import { describe, expect, it } from 'vitest';
import { backoffDelay, CircuitBreaker } from '../../../new-pipeline/http/circuit-breaker.js';
import { PacedQueue } from '../../../new-pipeline/http/paced-queue.js';
import { defaultLimits, platformLimits, RetryBudget } from '../../../new-pipeline/http/platform-client.js';
import { TokenBucket } from '../../../new-pipeline/http/token-bucket.js';

describe('token bucket', () => {
  it('lets a burst through, then spaces callers exactly at the rate', () => {
    const bucket = new TokenBucket(10, 2, 0);
    const waits = [0, 0, 0, 0, 0].map(() => bucket.reserve(0));
    expect(waits).toEqual([0, 0, 100, 200, 300]);
  });

  it('refills with time up to the burst and no further', () => {
    const bucket = new TokenBucket(10, 2, 0);
    bucket.reserve(0);
    bucket.reserve(0);
    expect(bucket.reserve(10_000)).toBe(0);
    expect(bucket.reserve(10_000)).toBe(0);
    expect(bucket.reserve(10_000)).toBe(100);
  });

  it('refuses without taking when a server enforces the limit', () => {
    const bucket = new TokenBucket(1, 1, 0);
    expect(bucket.tryTake(0)).toBe(0);
    expect(bucket.tryTake(0)).toBe(1000);
    expect(bucket.tryTake(500)).toBe(500);
    expect(bucket.tryTake(1000)).toBe(0);
  });

  it('makes everyone wait after the platform says to back off', () => {
    const bucket = new TokenBucket(10, 10, 0);
    bucket.pauseUntil(2_000, 0);
    expect(bucket.reserve(0)).toBeGreaterThanOrEqual(2_000);
  });
});

describe('circuit breaker', () => {
  it('opens after the threshold of failures in a row and refuses calls while open', () => {
    const breaker = new CircuitBreaker(3, 1_000);
    [0, 1, 2].forEach((t) => breaker.onFailure(t));
    expect(breaker.state(10)).toBe('open');
    expect(breaker.allow(10)).toBe(false);
  });

  it('allows one trial after the cool-down and closes on its success', () => {
    const breaker = new CircuitBreaker(1, 1_000);
    breaker.onFailure(0);
    expect(breaker.allow(1_000)).toBe(true);
    expect(breaker.allow(1_000)).toBe(false);
    breaker.onSuccess();
    expect(breaker.state(1_000)).toBe('closed');
  });

  it('reopens at once when the trial fails', () => {
    const breaker = new CircuitBreaker(5, 1_000);
    for (let i = 0; i < 5; i++) breaker.onFailure(0);
    expect(breaker.allow(1_000)).toBe(true);
    breaker.onFailure(1_000);
    expect(breaker.state(1_500)).toBe('open');
  });

  it('is reset by a success between failures', () => {
    const breaker = new CircuitBreaker(2, 1_000);
    breaker.onFailure(0);
    breaker.onSuccess();
    breaker.onFailure(1);
    expect(breaker.state(2)).toBe('closed');
  });
});

describe('backoff and retry budget', () => {
  it('draws full jitter under an exponential cap', () => {
    expect(backoffDelay(3, 100, 10_000, () => 0.999)).toBe(799);
    expect(backoffDelay(30, 100, 10_000, () => 0.5)).toBe(5_000);
    expect(backoffDelay(2, 100, 10_000, () => 0)).toBe(0);
  });

  it('allows retries up to a floor plus a share of the calls made', () => {
    const budget = new RetryBudget(0.5, 1);
    expect(budget.tryTake()).toBe(true);
    expect(budget.tryTake()).toBe(false);
    budget.recordCall();
    budget.recordCall();
    expect(budget.tryTake()).toBe(true);
  });
});

describe('paced queue', () => {
  /** A clock the test moves: `sleep` advances it, so the queue's pacing is exact and instant. */
  function fakeClock() {
    let now = 0;
    return { now: () => now, sleep: async (ms: number) => void (now += ms) };
  }

  it('hands out turns at the bucket\'s rate, the highest priority first and equals in arrival order', async () => {
    const clock = fakeClock();
    const queue = new PacedQueue(new TokenBucket(10, 1, 0), clock.now, clock.sleep);
    const order: string[] = [];
    const turns = [
      ['a', 0],
      ['b', 0],
      ['c', 5],
      ['d', 1],
    ].map(([name, priority]) => queue.take(priority as number).then(() => order.push(name as string)));
    await Promise.all(turns);
    // The first turn is due at once and goes to the first caller; the rest follow 100 ms apart, by priority.
    expect(order).toEqual(['a', 'c', 'd', 'b']);
    expect(clock.now()).toBe(300);
  });

  it('holds every waiting caller when the platform asks for a pause', async () => {
    const clock = fakeClock();
    const bucket = new TokenBucket(10, 1, 0);
    const queue = new PacedQueue(bucket, clock.now, clock.sleep);
    await queue.take(0);
    bucket.pauseUntil(5_000, clock.now());
    await queue.take(0);
    expect(clock.now()).toBeGreaterThanOrEqual(5_000);
  });
});

describe('platform limits', () => {
  it('raises the in-flight cap with a configured rate, so that a higher rate is not held back by it', () => {
    expect(platformLimits('shopify', { requestsPerSecond: 700 }).concurrency).toBe(350);
    expect(platformLimits('google_ads').concurrency).toBe(defaultLimits('google_ads').concurrency);
    expect(platformLimits('shopify', { requestsPerSecond: 700, concurrency: 4 }).concurrency).toBe(4);
  });
});
