import type { z } from 'zod';
import type { Platform } from '../../core/metric-row.js';
import type { PlatformTransform } from '../transform/types.js';

/** An account a client has connected on one platform. */
export interface ConnectedAccount {
  clientId: string;
  platform: Platform;
  /**
   * The platform's own account id, always text: Google Ads customer id (digits, no dashes), Meta ad account id
   * (digits, without `act_`), TikTok advertiser id, GA4 property id, Shopify shop name (`<shop>` of `<shop>.myshopify.com`).
   */
  accountId: string;
}

/** One HTTP request a connector wants made, relative to the account's base URL. Never holds a secret. */
export interface ApiRequest {
  method: 'GET' | 'POST';
  /** Path from the base URL, starting with `/`, e.g. `/v21/customers/123/googleAds:searchStream`. */
  path: string;
  query?: Record<string, string>;
  /** Non-secret headers; auth headers come from `Connector.authHeaders`. */
  headers?: Record<string, string>;
  /** JSON body. */
  body?: unknown;
  /** What this request is for, for the connector's own `parse` (e.g. `account-info`, `report`). */
  purpose?: string;
}

export interface ApiResponse {
  status: number;
  /** Lower-cased header names. */
  headers: Record<string, string>;
  /** Parsed JSON body; the raw text when it is not JSON (a truncated body, an HTML error page). */
  body: unknown;
  /** True when the body was not valid JSON. */
  bodyInvalid?: boolean;
}

/**
 * Whose limit a throttle is about: the whole platform's (an app's or developer token's quota: everyone waits) or
 * only the account the request was for (a Shopify shop's cost bucket, a Meta ad account's limit: other accounts
 * keep going).
 */
export type LimitScope = 'platform' | 'account';

/** What a response means to the fetch loop; each connector reads its own platform's signals. */
export type ResponseVerdict =
  /**
   * Success. `accountPauseMs`: the answer reported the account's own budget too low for another request like it
   * (Shopify's `throttleStatus`, Meta's usage headers), so the account's next request waits this long instead of
   * being throttled. Default: no wait.
   */
  | { kind: 'ok'; accountPauseMs?: number }
  /**
   * Over a rate limit: wait (`retryAfterMs` when the platform says how long) and retry. Not a failure. `scope`
   * (default `platform`) says who waits.
   */
  | { kind: 'throttled'; reason: string; retryAfterMs?: number; scope?: LimitScope }
  /** Transient (5xx, a truncated body, a platform "try again"): back off and retry within the budget. */
  | { kind: 'retryable'; reason: string }
  /** Will not succeed by retrying (auth, a bad request): the partition fails with this reason. */
  | { kind: 'fatal'; reason: string };

/** Facts about the account that the API reports alongside the data. */
export interface AccountFacts {
  /** ISO 4217 code of money in the records. */
  currency?: string;
  /** IANA time zone of the account's reporting day. */
  timeZone?: string;
}

export interface PageResult<R> {
  records: R[];
  /** The next request (the next page, or the report after an account-info call), or undefined when done. */
  next?: ApiRequest;
  account?: AccountFacts;
  /** Paths of fields in the payload that the schema does not know (`data[].new_field`): schema drift, reported, not fatal. */
  unknownFields: string[];
}

/** The partition a connector fetches: one account's data for one day. */
export interface FetchContext {
  account: ConnectedAccount;
  /** The day, YYYY-MM-DD, in the account's own time zone (the platform's reporting day). */
  date: string;
}

/**
 * A source connector, written against one platform's real reporting API. `firstRequest`, `classify` and `parse`
 * are pure, so a saved response body can be replayed through `parse` without any network.
 */
/** A platform's published rate limits, rounded down; config `platforms.<p>.limits` overrides them. */
export interface PublishedLimits {
  requestsPerSecond: number;
  /** Requests that may go out back to back before spacing applies. */
  burst: number;
  /** A tighter limit per account (platforms meter accounts separately); none when undefined. */
  perAccountRequestsPerSecond?: number;
}

/** Everything the fetch knows of one platform's API, kept in that platform's folder and listed in `connectors/index.ts`. */
export interface Connector<R = unknown> {
  readonly platform: Platform;
  /** Where the real API lives; config `platforms.<p>.baseUrl` (or `--base-url`) overrides it. */
  readonly defaultBaseUrl: string;
  readonly publishedLimits: PublishedLimits;
  /** The API and version spoken, e.g. `Google Ads API v21 (REST searchStream)`. */
  readonly api: string;
  /** Bumped whenever what the connector requests or yields changes; recorded with every landed payload. */
  readonly connectorVersion: string;
  /** The zod schema of one raw record (one row of the API's report). */
  readonly recordSchema: z.ZodType<R>;
  /**
   * The `purpose` of each kind of request the connector makes, in the order it makes them; the last is the one whose
   * answers carry the records. `parse` reads a body by its request's purpose.
   */
  readonly purposes: readonly string[];
  /** Headers carrying the credential; the only place a secret is used. */
  authHeaders(credential: string): Record<string, string>;
  /**
   * Where one account's requests go, for platforms where every account has a host of its own (Shopify's
   * `https://{shop}.myshopify.com`). Throws CONFIG_INVALID for an account id that cannot be addressed.
   * Default: the platform's base URL as configured.
   */
  accountBaseUrl?(baseUrl: string, accountId: string): string;
  firstRequest(context: FetchContext): ApiRequest;
  classify(response: ApiResponse): ResponseVerdict;
  /**
   * Turns a successful response body into records and the next request. Throws a BoscoError with code
   * `PAYLOAD_INVALID` whose message names the field path when the body does not match the API's schema.
   */
  parse(body: unknown, context: FetchContext, request: ApiRequest): PageResult<R>;
  /** Removes personal data (emails, names, phones, addresses) from a body before it is landed. */
  redact?(body: unknown): unknown;
  /**
   * The reporting day (YYYY-MM-DD) a saved answer to a `purpose` request is about, read from the body, so that it can
   * be replayed through `parse` without being told; undefined when the body does not say or the connector never checks.
   */
  replayDay?(body: unknown, purpose: string): string | undefined;
}

/** What counts as a conversion on a platform. */
export interface ConversionDefinition {
  /** What counts for a client that lists nothing for the platform. */
  default: readonly string[];
  /** The names the platform's connector fetches (metric fields of its report); absent: any action type its API reports. */
  choices?: readonly string[];
}

/**
 * Everything the pipeline knows of one platform, kept in the platform's folder and listed once in
 * `connectors/index.ts`: how to fetch it, how its records become canonical rows, what counts as a conversion there,
 * and how long it may still restate a day.
 */
export interface PlatformDefinition<R = unknown> {
  readonly connector: Connector<R>;
  readonly transform: PlatformTransform<R>;
  readonly conversions: ConversionDefinition;
  /** Days the platform may still restate a day (late conversions): a younger day is pending, not clean, at a gate. */
  readonly restatementDays: number;
}
