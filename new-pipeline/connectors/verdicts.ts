import type { ApiResponse, LimitScope, ResponseVerdict } from './types.js';

/** A throttle verdict, carrying the wait only when the platform said how long, and the scope only when it is an account's. */
export function throttled(reason: string, retryAfterMs: number | undefined, scope: LimitScope = 'platform'): ResponseVerdict {
  const verdict: ResponseVerdict = retryAfterMs === undefined ? { kind: 'throttled', reason } : { kind: 'throttled', reason, retryAfterMs };
  return scope === 'account' ? { ...verdict, scope } : verdict;
}

/** A `Retry-After` header in ms: seconds (Shopify sends `2.0`) or an HTTP date, per RFC 9110; undefined when absent or unreadable. */
export function retryAfterHeaderMs(value: string | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, Math.ceil(seconds * 1000));
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/**
 * The verdict on a body that is not JSON, the same for every JSON API: a 2xx was cut short (retry), a 429 is a
 * throttle, a 5xx a transient error page, anything else will not get better by asking again.
 * `answer` names what a good answer is, e.g. `a 2xx runReport answer`.
 */
export function classifyInvalidBody(response: ApiResponse, answer = 'a 2xx answer'): ResponseVerdict {
  const { status, headers } = response;
  if (status >= 200 && status < 300) return { kind: 'retryable', reason: `truncated body: ${answer} that is not valid JSON` };
  if (status === 429) return throttled('HTTP 429 with a non-JSON body', retryAfterHeaderMs(headers['retry-after']));
  if (status >= 500) return { kind: 'retryable', reason: `HTTP ${status} with a non-JSON body` };
  return { kind: 'fatal', reason: `HTTP ${status} with a non-JSON body` };
}
