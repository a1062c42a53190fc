import { setTimeout as sleep } from 'node:timers/promises';
import { BoscoError, messageOf } from '../../core/errors.js';
import type { Platform } from '../../core/metric-row.js';

export interface LegacyHttpOptions {
  /** Per request; default 30 s. */
  timeoutMs?: number;
  /** Tries per request, the first included; default 3. */
  attempts?: number;
  /** Fixed pause between tries; default 250 ms. */
  retryPauseMs?: number;
}

export interface LegacyRequest {
  method: 'GET' | 'POST';
  url: string;
  headers: Record<string, string>;
  body?: unknown;
}

export interface LegacyResponse {
  status: number;
  body: unknown;
}

/**
 * A platform's own way of saying "try again" inside an answer (TikTok's envelope codes, Shopify's THROTTLED): the
 * reason to retry, or undefined when the answer is final.
 */
export type TransientAnswer = (body: unknown) => string | undefined;

/**
 * The legacy system's HTTP client: plain fetch, a fixed pause and a few tries on timeouts, 429s, 5xx, cut-short
 * answers and a platform's own transient answers, and none of the new pipeline's rate limiting or backoff. One per
 * client run, to count its calls.
 */
export class LegacyHttp {
  requests = 0;
  private readonly timeoutMs: number;
  private readonly attempts: number;
  private readonly retryPauseMs: number;

  constructor(options: LegacyHttpOptions = {}) {
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.attempts = options.attempts ?? 3;
    this.retryPauseMs = options.retryPauseMs ?? 250;
  }

  /** The answer's status and JSON body; throws PLATFORM_FAILED when no try got a usable answer. */
  async send(platform: Platform, accountId: string, request: LegacyRequest, transient?: TransientAnswer): Promise<LegacyResponse> {
    const where = `${platform} account ${accountId}: ${request.method} ${request.url.split('?')[0]}`;
    let reason = '';
    for (let attempt = 1; attempt <= this.attempts; attempt++) {
      if (attempt > 1) await sleep(this.retryPauseMs);
      this.requests += 1;
      let response: Response;
      let text: string;
      try {
        response = await fetch(request.url, {
          method: request.method,
          headers: { ...request.headers, ...(request.body === undefined ? {} : { 'content-type': 'application/json' }) },
          body: request.body === undefined ? undefined : JSON.stringify(request.body),
          signal: AbortSignal.timeout(this.timeoutMs),
        });
        text = await response.text();
      } catch (error) {
        // fetch says only "fetch failed"; the cause says why (ECONNREFUSED, a reset).
        reason = (error as Error).name === 'TimeoutError' ? `no answer within ${this.timeoutMs} ms` : messageOf((error as { cause?: unknown }).cause ?? error);
        continue;
      }
      if (response.status === 429 || response.status >= 500) {
        reason = `HTTP ${response.status}`;
        continue;
      }
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        if (response.ok) {
          reason = 'a cut-short answer';
          continue;
        }
        // A non-JSON error page: the caller reports the status.
        body = text;
      }
      const again = transient?.(body);
      if (again) {
        reason = again;
        continue;
      }
      return { status: response.status, body };
    }
    throw new BoscoError('PLATFORM_FAILED', `${where} failed after ${this.attempts} tries: ${reason}`, {
      hint: 'check that the platform (or the simulator) is reachable at the configured base URL, then run the day again',
    });
  }
}

/** A platform answer the legacy loader cannot use: the client's day fails with the platform's own words. */
export function platformRefused(platform: Platform, accountId: string, detail: string): BoscoError {
  return new BoscoError('PLATFORM_FAILED', `${platform} account ${accountId}: ${detail}`, {
    hint: 'check the credential, the account id and the base URL for this platform, then run the day again',
  });
}
