import type { LimitFunction } from 'p-limit';
import { BoscoError, messageOf } from '../../core/errors.js';
import type { Platform } from '../../core/metric-row.js';
import { connectorFor } from '../connectors/index.js';
import type { ApiRequest, ApiResponse, Connector } from '../connectors/types.js';
import { backoffDelay, CircuitBreaker } from './circuit-breaker.js';
import { PacedQueue } from './paced-queue.js';
import { TokenBucket } from './token-bucket.js';
import type { HttpTransport } from './transport.js';

/** How hard one platform may be called. Defaults (`defaultLimits`) take the rates from the platform's connector. */
export interface PlatformLimits {
  requestsPerSecond: number;
  /** Requests that may go out back to back before spacing applies. */
  burst: number;
  /** A tighter limit per account (platforms meter accounts separately); none when undefined. */
  perAccountRequestsPerSecond?: number;
  /** Requests in flight to this platform at once; see `platformLimits` for the default. */
  concurrency: number;
  timeoutMs: number;
  /** Retries of one request after 5xx, timeouts and truncated bodies. */
  maxRetries: number;
  /** Throttle answers one request may wait out before its partition fails. */
  maxThrottleWaits: number;
  backoffBaseMs: number;
  backoffMaxMs: number;
  breakerFailures: number;
  breakerCooldownMs: number;
}

const BASE: Omit<PlatformLimits, 'requestsPerSecond' | 'burst'> = {
  concurrency: 8,
  timeoutMs: 30_000,
  maxRetries: 4,
  maxThrottleWaits: 20,
  backoffBaseMs: 500,
  backoffMaxMs: 30_000,
  breakerFailures: 10,
  breakerCooldownMs: 30_000,
};

/** A platform's limits before config: its connector's published rate limits, and the rest from `BASE`. */
export function defaultLimits(platform: Platform): PlatformLimits {
  return { ...BASE, ...connectorFor(platform).publishedLimits };
}

/** How long an answer may take before the in-flight cap, when not configured, keeps a platform under its rate. */
const ANSWER_BUDGET_S = 0.5;

/**
 * A platform's limits: its defaults, overridden by the config. Requests in flight, unless configured, are as many as
 * the rate needs with answers taking up to `ANSWER_BUDGET_S` (Little's law), and never fewer than the default: a
 * raised rate is then not held back by a concurrency left at its default. The run's sockets still cap the total.
 */
export function platformLimits(platform: Platform, configured: Partial<PlatformLimits> = {}): PlatformLimits {
  const limits = { ...defaultLimits(platform), ...configured };
  if (configured.concurrency === undefined) limits.concurrency = Math.max(limits.concurrency, Math.ceil(limits.requestsPerSecond * ANSWER_BUDGET_S));
  return limits;
}

/** Caps retries across a whole run so an outage cannot turn into a retry storm. */
export class RetryBudget {
  private calls = 0;
  private retries = 0;
  constructor(
    private readonly ratio = 0.2,
    private readonly floor = 100,
  ) {}
  recordCall(): void {
    this.calls += 1;
  }
  tryTake(): boolean {
    if (this.retries >= this.floor + this.ratio * this.calls) return false;
    this.retries += 1;
    return true;
  }
}

/** Counters one run reports per platform. */
export interface CallStats {
  /** Requests sent, retries included. */
  calls: number;
  /** Requests sent again after a transient failure (5xx, timeout, truncated body). */
  retries: number;
  /** Throttle answers (429, RESOURCE_EXHAUSTED, Meta's throttle codes, THROTTLED, TikTok's 40100). */
  throttles: number;
  /** Requests given up on for taking longer than `timeoutMs`. */
  timeouts: number;
  /** Milliseconds the throttle answers said to wait, summed (the backoff chosen where a platform did not say). */
  throttleWaitMs: number;
}

export interface PlatformClientOptions {
  connector: Connector;
  baseUrl: string;
  credential: string;
  limits: PlatformLimits;
  /** The run's HTTP client, shared by every platform: it caps the connections of the whole run. */
  transport: HttpTransport;
  retryBudget: RetryBudget;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Calls one platform within its limits: token buckets per platform and per account, bounded concurrency, a
 * timeout on every request, the platform's own throttle signals honoured, exponential backoff with jitter on
 * transient failures, a run-wide retry budget and a circuit breaker. Errors never carry the credential.
 */
export class PlatformClient {
  readonly stats: CallStats = { calls: 0, retries: 0, throttles: 0, timeouts: 0, throttleWaitMs: 0 };
  private readonly bucket: TokenBucket;
  private readonly queue: PacedQueue;
  private readonly accountBuckets = new Map<string, TokenBucket>();
  /** Per account, until when (ms) it may not be called: its own limit was reached, or is about to be. */
  private readonly accountPauses = new Map<string, number>();
  private readonly breaker: CircuitBreaker;
  private readonly inFlight: LimitFunction;
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly random: () => number;

  constructor(private readonly options: PlatformClientOptions, inFlight: LimitFunction) {
    this.now = options.now ?? Date.now;
    this.sleep = options.sleep ?? defaultSleep;
    this.random = options.random ?? Math.random;
    this.bucket = new TokenBucket(options.limits.requestsPerSecond, options.limits.burst, this.now());
    this.queue = new PacedQueue(this.bucket, this.now, this.sleep);
    this.breaker = new CircuitBreaker(options.limits.breakerFailures, options.limits.breakerCooldownMs);
    this.inFlight = inFlight;
  }

  private get platform(): Platform {
    return this.options.connector.platform;
  }

  private fail(reason: string, cause?: unknown): BoscoError {
    return new BoscoError('PLATFORM_FAILED', `${this.platform}: ${reason}`, {
      hint: 'the partition was not landed; rerun the fetch for it once the platform recovers',
      cause,
    });
  }

  /** Holds the account's next requests until `untilMs` (never shortening a longer pause already set). */
  private pauseAccount(accountId: string, untilMs: number): void {
    if ((this.accountPauses.get(accountId) ?? 0) < untilMs) this.accountPauses.set(accountId, untilMs);
  }

  /**
   * Waits out the account's pause and its own limit, then for a turn at the platform's; `priority` orders the
   * platform's queue.
   */
  private async waitForTurn(accountId: string, priority: number): Promise<void> {
    const pausedUntil = this.accountPauses.get(accountId);
    if (pausedUntil !== undefined) {
      const now = this.now();
      if (pausedUntil > now) await this.sleep(pausedUntil - now);
      else this.accountPauses.delete(accountId);
    }
    const { perAccountRequestsPerSecond } = this.options.limits;
    if (perAccountRequestsPerSecond) {
      let bucket = this.accountBuckets.get(accountId);
      if (!bucket) {
        bucket = new TokenBucket(perAccountRequestsPerSecond, perAccountRequestsPerSecond, this.now());
        this.accountBuckets.set(accountId, bucket);
      }
      // First, so that waiting on the account holds no place in the platform's queue.
      const wait = bucket.reserve(this.now());
      if (wait > 0) await this.sleep(wait);
    }
    await this.queue.take(priority);
  }

  private async attempt(request: ApiRequest, accountId: string): Promise<ApiResponse> {
    const { baseUrl, connector } = this.options;
    const url = new URL((connector.accountBaseUrl?.(baseUrl, accountId) ?? baseUrl).replace(/\/$/, '') + request.path);
    for (const [key, value] of Object.entries(request.query ?? {})) url.searchParams.set(key, value);
    const headers: Record<string, string> = { accept: 'application/json', ...request.headers, ...connector.authHeaders(this.options.credential) };
    if (request.body !== undefined) headers['content-type'] = 'application/json';
    const body = request.body === undefined ? undefined : JSON.stringify(request.body);
    const answer = await this.options.transport.send(url, { method: request.method, headers, body }, this.options.limits.timeoutMs);
    let parsed: unknown = answer.text;
    let bodyInvalid = false;
    try {
      parsed = answer.text === '' ? null : JSON.parse(answer.text);
    } catch {
      bodyInvalid = true;
    }
    return { status: answer.status, headers: answer.headers, body: parsed, bodyInvalid };
  }

  /**
   * Sends one request until it succeeds, or throws PLATFORM_FAILED saying why it gave up. `priority` (default 0)
   * puts it ahead of lower ones waiting for the platform: the fetch passes how many pages the account's day has had.
   */
  async send(request: ApiRequest, accountId: string, priority = 0): Promise<ApiResponse> {
    const { limits, connector, retryBudget } = this.options;
    let retries = 0;
    let throttleWaits = 0;
    for (;;) {
      if (!this.breaker.allow(this.now())) throw this.fail('circuit open after repeated failures; not calling it until it cools down');
      await this.waitForTurn(accountId, priority);
      this.stats.calls += 1;
      retryBudget.recordCall();
      let reason: string;
      try {
        // Only the request itself holds an in-flight slot: waits for tokens and backoff sleeps hold nothing.
        const response = await this.inFlight(() => this.attempt(request, accountId));
        const verdict = connector.classify(response);
        if (verdict.kind === 'ok') {
          this.breaker.onSuccess();
          if (verdict.accountPauseMs) this.pauseAccount(accountId, this.now() + verdict.accountPauseMs);
          return response;
        }
        if (verdict.kind === 'fatal') {
          this.breaker.onSuccess(); // the platform answered; the request was wrong
          throw this.fail(`${verdict.reason} (HTTP ${response.status})`);
        }
        if (verdict.kind === 'throttled') {
          this.breaker.onSuccess(); // alive, only busy
          this.stats.throttles += 1;
          if (++throttleWaits > limits.maxThrottleWaits) throw this.fail(`still throttled after ${limits.maxThrottleWaits} waits: ${verdict.reason}`);
          const wait = verdict.retryAfterMs ?? backoffDelay(throttleWaits, limits.backoffBaseMs, limits.backoffMaxMs, this.random);
          this.stats.throttleWaitMs += wait;
          // Whoever shares the limit waits, not just this request: the platform's limit pauses every account, an
          // account's own (a Shopify shop's bucket, a Meta ad account's) only that account.
          const now = this.now();
          if (verdict.scope === 'account') this.pauseAccount(accountId, now + wait);
          else this.bucket.pauseUntil(now + wait, now);
          continue;
        }
        reason = `${verdict.reason} (HTTP ${response.status})`;
      } catch (error) {
        if (error instanceof BoscoError) throw error;
        if ((error as Error).name === 'TimeoutError') {
          this.stats.timeouts += 1;
          reason = `no answer within ${limits.timeoutMs} ms`;
        } else {
          reason = `network error: ${messageOf(error)}`;
        }
      }
      this.breaker.onFailure(this.now());
      if (retries >= limits.maxRetries) throw this.fail(`gave up after ${retries + 1} attempts: ${reason}`);
      if (!retryBudget.tryTake()) throw this.fail(`run-wide retry budget spent: ${reason}`);
      retries += 1;
      this.stats.retries += 1;
      await this.sleep(backoffDelay(retries, limits.backoffBaseMs, limits.backoffMaxMs, this.random));
    }
  }
}
