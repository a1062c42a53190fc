import type { LimitFunction } from 'p-limit';
import { BoscoError, messageOf } from '../../core/errors.js';
import type { Platform } from '../../core/metric-row.js';
import type { ApiRequest, ApiResponse, Connector } from '../connectors/types.js';
import { backoffDelay, CircuitBreaker } from './circuit-breaker.js';
import { TokenBucket } from './token-bucket.js';

/** How hard one platform may be called. Defaults in `DEFAULT_LIMITS` follow each API's published limits, rounded down. */
export interface PlatformLimits {
  requestsPerSecond: number;
  /** Requests that may go out back to back before spacing applies. */
  burst: number;
  /** A tighter limit per account (platforms meter accounts separately); none when undefined. */
  perAccountRequestsPerSecond?: number;
  /** Requests in flight to this platform at once. */
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

export const DEFAULT_LIMITS: Record<Platform, PlatformLimits> = {
  google_ads: { ...BASE, requestsPerSecond: 10, burst: 10 },
  meta_ads: { ...BASE, requestsPerSecond: 5, burst: 5, perAccountRequestsPerSecond: 2 },
  ga4: { ...BASE, requestsPerSecond: 10, burst: 10 },
  shopify: { ...BASE, requestsPerSecond: 2, burst: 4, perAccountRequestsPerSecond: 2 },
  tiktok_ads: { ...BASE, requestsPerSecond: 10, burst: 10 },
};

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
  calls: number;
  retries: number;
  throttles: number;
}

export interface PlatformClientOptions {
  connector: Connector;
  baseUrl: string;
  credential: string;
  limits: PlatformLimits;
  /** Caps sockets across every platform of a run. */
  sockets: LimitFunction;
  retryBudget: RetryBudget;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function headersOf(response: Response): Record<string, string> {
  const out: Record<string, string> = {};
  response.headers.forEach((value, key) => {
    out[key.toLowerCase()] = value;
  });
  return out;
}

/**
 * Calls one platform within its limits: token buckets per platform and per account, bounded concurrency, a
 * timeout on every request, the platform's own throttle signals honoured, exponential backoff with jitter on
 * transient failures, a run-wide retry budget and a circuit breaker. Errors never carry the credential.
 */
export class PlatformClient {
  readonly stats: CallStats = { calls: 0, retries: 0, throttles: 0 };
  private readonly bucket: TokenBucket;
  private readonly accountBuckets = new Map<string, TokenBucket>();
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

  private async waitForTurn(accountId: string): Promise<void> {
    const { perAccountRequestsPerSecond } = this.options.limits;
    let wait = this.bucket.reserve(this.now());
    if (perAccountRequestsPerSecond) {
      let bucket = this.accountBuckets.get(accountId);
      if (!bucket) {
        bucket = new TokenBucket(perAccountRequestsPerSecond, perAccountRequestsPerSecond, this.now());
        this.accountBuckets.set(accountId, bucket);
      }
      wait = Math.max(wait, bucket.reserve(this.now()));
    }
    if (wait > 0) await this.sleep(wait);
  }

  private async attempt(request: ApiRequest): Promise<ApiResponse> {
    const url = new URL(this.options.baseUrl.replace(/\/$/, '') + request.path);
    for (const [key, value] of Object.entries(request.query ?? {})) url.searchParams.set(key, value);
    const headers: Record<string, string> = { accept: 'application/json', ...request.headers, ...this.options.connector.authHeaders(this.options.credential) };
    if (request.body !== undefined) headers['content-type'] = 'application/json';
    const response = await this.options.sockets(() =>
      fetch(url, {
        method: request.method,
        headers,
        body: request.body === undefined ? undefined : JSON.stringify(request.body),
        signal: AbortSignal.timeout(this.options.limits.timeoutMs),
      }).then(async (res) => ({ res, text: await res.text() })),
    );
    let body: unknown = response.text;
    let bodyInvalid = false;
    try {
      body = response.text === '' ? null : JSON.parse(response.text);
    } catch {
      bodyInvalid = true;
    }
    return { status: response.res.status, headers: headersOf(response.res), body, bodyInvalid };
  }

  /** Sends one request until it succeeds, or throws PLATFORM_FAILED saying why it gave up. */
  async send(request: ApiRequest, accountId: string): Promise<ApiResponse> {
    const { limits, connector, retryBudget } = this.options;
    let retries = 0;
    let throttleWaits = 0;
    return this.inFlight(async () => {
      for (;;) {
        if (!this.breaker.allow(this.now())) throw this.fail('circuit open after repeated failures; not calling it until it cools down');
        await this.waitForTurn(accountId);
        this.stats.calls += 1;
        retryBudget.recordCall();
        let reason: string;
        try {
          const response = await this.attempt(request);
          const verdict = connector.classify(response);
          if (verdict.kind === 'ok') {
            this.breaker.onSuccess();
            return response;
          }
          if (verdict.kind === 'fatal') {
            this.breaker.onSuccess(); // the platform answered; the request was wrong
            throw this.fail(`${verdict.reason} (HTTP ${response.status})`);
          }
          if (verdict.kind === 'throttled') {
            this.stats.throttles += 1;
            if (++throttleWaits > limits.maxThrottleWaits) throw this.fail(`still throttled after ${limits.maxThrottleWaits} waits: ${verdict.reason}`);
            const wait = verdict.retryAfterMs ?? backoffDelay(throttleWaits, limits.backoffBaseMs, limits.backoffMaxMs, this.random);
            // Everyone waits, not just this request: the limit is the platform's, not ours.
            this.bucket.pauseUntil(this.now() + wait, this.now());
            continue;
          }
          reason = `${verdict.reason} (HTTP ${response.status})`;
        } catch (error) {
          if (error instanceof BoscoError) throw error;
          reason = (error as Error).name === 'TimeoutError' ? `no answer within ${limits.timeoutMs} ms` : `network error: ${messageOf(error)}`;
        }
        this.breaker.onFailure(this.now());
        if (retries >= limits.maxRetries) throw this.fail(`gave up after ${retries + 1} attempts: ${reason}`);
        if (!retryBudget.tryTake()) throw this.fail(`run-wide retry budget spent: ${reason}`);
        retries += 1;
        this.stats.retries += 1;
        await this.sleep(backoffDelay(retries, limits.backoffBaseMs, limits.backoffMaxMs, this.random));
      }
    });
  }
}
