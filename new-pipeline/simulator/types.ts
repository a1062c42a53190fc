import type { Platform } from '../../core/metric-row.js';
import type { SimWorld } from './world.js';

export interface SimRequest {
  method: string;
  pathname: string;
  query: URLSearchParams;
  /** Lower-cased header names. */
  headers: Record<string, string>;
  /** Parsed JSON body, or undefined. */
  body: unknown;
}

export interface SimResponse {
  status: number;
  headers?: Record<string, string>;
  body: unknown;
}

/** Faults the simulator injects, to prove the connectors cope with what real platforms do. */
export interface SimFaults {
  /** Requests per second each platform allows (token bucket, burst = 1 s); beyond it, the platform's own throttle answer. */
  rateLimitPerSecond?: Partial<Record<Platform, number>>;
  /**
   * Every `every`th request to a platform gets its throttle answer, saying to wait `retryAfterMs` (default 1000) in
   * the platform's own terms: a rate limit that depends on the count of requests only, not on the clock. With
   * `accounts`, only requests for those accounts are counted and throttled, with the platform's per-account signal
   * (a shop's cost bucket, an ad account's limit); without, the count is the platform's and so is the signal.
   */
  throttle?: { every: number; retryAfterMs?: number; platforms?: Platform[]; accounts?: string[] };
  /** Every `every`th request to a platform starts a burst of `burst` 5xx answers. */
  serverErrors?: { every: number; burst: number; platforms?: Platform[] };
  /** Latency added to every answer, ms. */
  latencyMs?: number;
  /** Every `every`th request is answered only after `ms` (longer than a client's timeout), or never if the client gives up first. */
  slow?: { every: number; ms: number };
  /** Every `every`th answer's body is cut short mid-JSON. */
  truncate?: { every: number };
  /** One platform's payload changes shape: a field renamed, a field added, or a field's type changed. */
  drift?: { platform: Platform; kind: 'rename' | 'add' | 'type' };
  /**
   * Re-pulling a day returns higher conversions (late attribution), as real platforms restate: the simulator counts
   * the pulls of each platform's account-day it serves (a pull is a report's first page), and each later one reports
   * more, deterministically.
   */
  restatements?: boolean;
}

/** Per request, what a platform route needs beyond the request itself. */
export interface SimEnv {
  world: SimWorld;
  faults: SimFaults;
  /**
   * How many times this account's day was pulled before the pull this request belongs to (0 on the first pull, and
   * always without `restatements`), for restatements. `startsPull` marks a report's first page: it starts a new pull
   * and counts it; later pages belong to the latest pull and get its number, so one pull's pages agree.
   */
  pullsBefore(accountId: string, date: string, startsPull: boolean): number;
}

/**
 * One platform's API as the simulator speaks it: its paths, auth header, paging, and its own shapes for data,
 * throttling and errors. One file per platform in `platforms/`, registered in `platforms/index.ts`.
 */
export interface SimulatedPlatform {
  readonly platform: Platform;
  matches(request: SimRequest): boolean;
  /** True when the request carries `token` the way this API expects it. */
  authorized(request: SimRequest, token: string): boolean;
  handle(request: SimRequest, env: SimEnv): SimResponse;
  /** The account a request is for (customer, ad account, property, shop, advertiser id); undefined when it names none. */
  accountOf(request: SimRequest): string | undefined;
  /**
   * This API's answer when a caller is over its rate limit, saying (as far as this API can) to wait `retryAfterMs`.
   * `scope` (default `platform`) is whose limit: the app's or developer token's as a whole, or the one account's,
   * answered with the signal this API uses for that.
   */
  throttled(retryAfterMs: number, scope?: 'platform' | 'account'): SimResponse;
  /** This API's answer to a missing or wrong credential. */
  unauthorized(): SimResponse;
  /** This API's answer to an internal error. */
  serverError(): SimResponse;
}
