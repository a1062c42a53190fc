/**
 * Google's REST error model, shared by the Google Ads and GA4 connectors: a `google.rpc.Status` envelope
 * (`{ error: { code, message, status, details } }`) on 4xx/5xx, the canonical code names, `google.rpc.RetryInfo`,
 * and how each answer maps to a verdict. Each API adds only its own reading of the details and its own hints.
 *
 * References: https://cloud.google.com/apis/design/errors (the error model and canonical codes),
 * https://github.com/googleapis/googleapis/blob/master/google/rpc/error_details.proto (RetryInfo).
 */
import { z } from 'zod';
import type { ApiResponse, LimitScope, ResponseVerdict } from './types.js';
import { classifyInvalidBody, retryAfterHeaderMs, throttled } from './verdicts.js';

/** `google.rpc.Status` as REST sends it. Read leniently, piece by piece: classification must never throw. */
export const GoogleRpcStatusSchema = z.object({
  error: z.object({
    code: z.number().optional(),
    message: z.string().optional(),
    /** The canonical code name: `RESOURCE_EXHAUSTED`, `UNAUTHENTICATED`, `INTERNAL`, … */
    status: z.string().optional(),
    details: z.array(z.unknown()).optional(),
  }),
});
export type GoogleRpcStatus = z.infer<typeof GoogleRpcStatusSchema>['error'];

/** A body that is a whole `google.rpc.Status` envelope, as `message (HTTP code, STATUS)`; undefined for any other body. */
export function describeRpcErrorBody(body: unknown): string | undefined {
  const envelope = Array.isArray(body) ? undefined : GoogleRpcStatusSchema.safeParse(body);
  if (!envelope?.success) return undefined;
  const { code, message, status } = envelope.data.error;
  const parts = [code !== undefined && `HTTP ${code}`, status].filter(Boolean);
  return `${message ?? 'no message'}${parts.length > 0 ? ` (${parts.join(', ')})` : ''}`;
}

/** The standard `google.rpc.RetryInfo` detail. */
export const RetryInfoSchema = z.object({
  '@type': z.literal('type.googleapis.com/google.rpc.RetryInfo'),
  retryDelay: z.string(),
});

/** Canonical codes Google says to retry with backoff. */
const TRANSIENT_STATUSES = new Set(['UNKNOWN', 'INTERNAL', 'UNAVAILABLE', 'DEADLINE_EXCEEDED', 'ABORTED']);

/** A protobuf Duration in JSON (`"40591s"`, `"0.5s"`) in ms; undefined when unreadable. */
export function durationMs(value: string | undefined): number | undefined {
  const match = /^(\d+(?:\.\d+)?)s$/.exec(value ?? '');
  return match ? Math.round(Number(match[1]) * 1000) : undefined;
}

/** The wait a `RetryInfo` detail asks for, if the status carries one. */
export function retryInfoMs(status: GoogleRpcStatus): number | undefined {
  for (const detail of status.details ?? []) {
    const retry = RetryInfoSchema.safeParse(detail);
    if (retry.success) return durationMs(retry.data.retryDelay);
  }
  return undefined;
}

/** What one API adds to the shared rules when it classifies a status. */
export interface RpcStatusReading {
  /** The status described for a person, with whatever the API's own details add. */
  reason: string;
  /** What a throttle is called in this API's words, e.g. `property quota exhausted`. */
  throttleLabel: string;
  /** How to fix a PERMISSION_DENIED in this API. */
  permissionHint: string;
  /** True when the API's own details say "slow down" although the status does not. Default false. */
  throttled?: boolean;
  /** A wait the API's own details give, used after `Retry-After` and `RetryInfo`. */
  retryAfterMs?: number;
  /** Whose limit a throttle is about (default the platform's: everyone waits). */
  throttleScope?: LimitScope;
}

/** The canonical mapping of a Google error status to a verdict. */
export function classifyRpcStatus(httpStatus: number, status: GoogleRpcStatus, headers: Record<string, string>, reading: RpcStatusReading): ResponseVerdict {
  const { reason } = reading;
  if (httpStatus === 429 || status.status === 'RESOURCE_EXHAUSTED' || reading.throttled) {
    return throttled(`${reading.throttleLabel}: ${reason}`, retryAfterHeaderMs(headers['retry-after']) ?? retryInfoMs(status) ?? reading.retryAfterMs, reading.throttleScope);
  }
  if (httpStatus === 401 || status.status === 'UNAUTHENTICATED') return { kind: 'fatal', reason: `not authenticated: ${reason}; refresh the OAuth access token` };
  if (httpStatus === 403 || status.status === 'PERMISSION_DENIED') return { kind: 'fatal', reason: `permission denied: ${reason}; ${reading.permissionHint}` };
  if (httpStatus >= 500 || (status.status !== undefined && TRANSIENT_STATUSES.has(status.status))) return { kind: 'retryable', reason: `server error: ${reason}` };
  return { kind: 'fatal', reason: `request rejected: ${reason}` };
}

export interface GoogleApiClassifier {
  /** What a good answer is, for messages: `a 2xx runReport answer`. */
  answer: string;
  /** The verdict on an error status (an envelope, or one made up for a bare 429). */
  classifyStatus(httpStatus: number, status: GoogleRpcStatus, headers: Record<string, string>): ResponseVerdict;
  /** The verdict on a 2xx body that is not an error envelope: is it whole and this API's? */
  classifyOk(body: unknown, httpStatus: number, headers: Record<string, string>): ResponseVerdict;
}

/** Classifies any answer of a Google REST API: non-JSON bodies, error envelopes, bare statuses, then the API's own check of a 2xx. */
export function classifyGoogleResponse(response: ApiResponse, api: GoogleApiClassifier): ResponseVerdict {
  const { status, headers, body } = response;
  if (response.bodyInvalid) return classifyInvalidBody(response, api.answer);
  const envelope = GoogleRpcStatusSchema.safeParse(body);
  if (envelope.success) return api.classifyStatus(status, envelope.data.error, headers);
  if (status >= 200 && status < 300) return api.classifyOk(body, status, headers);
  if (status === 429) return api.classifyStatus(status, { status: 'RESOURCE_EXHAUSTED', message: 'HTTP 429 without a Google error body' }, headers);
  if (status >= 500) return { kind: 'retryable', reason: `HTTP ${status} without a Google error body` };
  return { kind: 'fatal', reason: `HTTP ${status} without a Google error body` };
}
