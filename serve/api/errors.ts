import type { FastifyError, FastifyInstance, FastifyReply } from 'fastify';
import { BoscoError, isBoscoError, type ErrorCode } from '../../core/errors.js';
import { getLogger } from '../../core/logger.js';

/** The body of every error answer; the request's id is in the `x-request-id` header, so equal refusals have equal bodies. */
export interface ErrorBody {
  error: { code: string; message: string; hint: string | null };
}

/** Seconds a caller is told to wait before retrying a 503. */
export const RETRY_AFTER_SECONDS = 5;

/**
 * A BoscoError that carries its own HTTP status and public code, for answers the tool's error codes do not name
 * (401 and 403), and any headers the answer needs (a 401's `WWW-Authenticate`). Its BoscoError code is what the CLI
 * would make of it.
 */
export class ApiError extends BoscoError {
  readonly headers: Readonly<Record<string, string>>;
  constructor(
    readonly status: number,
    readonly apiCode: string,
    code: ErrorCode,
    message: string,
    options: { hint?: string; cause?: unknown; headers?: Record<string, string> } = {},
  ) {
    super(code, message, options);
    this.headers = options.headers ?? {};
  }
}

/** Every code has a status, so a new code cannot reach a caller unmapped (the compiler asks for it here). */
const STATUS_BY_CODE: Record<ErrorCode, number> = {
  USAGE: 400,
  PAYLOAD_INVALID: 400,
  CREDENTIALS_MISSING: 401,
  UNKNOWN_CLIENT: 404,
  FLAG_CONFLICT: 409,
  GATE_CLOSED: 409,
  // The data a request needs is not there or cannot be reached now: try again, never fall back to the other side.
  SOURCE_UNREACHABLE: 503,
  WORKSPACE_LOCKED: 503,
  SOURCE_NOT_FOUND: 503,
  // The warehouse failed (a BigQuery 5xx, a query the engine could not run): retryable; its detail goes to the log only.
  WAREHOUSE_FAILED: 503,
  CONFIG_INVALID: 500,
  CONFIG_UNREADABLE: 500,
  SOURCE_UNSUPPORTED: 500,
  SOURCE_MALFORMED: 500,
  SOURCE_MISSING_COLUMN: 500,
  FX_RATE_MISSING: 500,
  PLATFORM_FAILED: 500,
  BUS_FAILED: 500,
  ALERT_FAILED: 500,
  INTERNAL: 500,
};

const internal = (reply: FastifyReply) =>
  send(reply, 500, 'INTERNAL', 'the server could not answer this request', 'retry later; if it persists, give the operator the x-request-id header of this answer');

function send(reply: FastifyReply, status: number, code: string, message: string, hint: string | undefined): FastifyReply {
  if (status === 503) reply.header('retry-after', String(RETRY_AFTER_SECONDS));
  const body: ErrorBody = { error: { code, message, hint: hint ?? null } };
  return reply.code(status).type('application/json; charset=utf-8').send(body);
}

/**
 * Turns anything a route throws into `{ error: { code, message, hint } }`: BoscoErrors by their code, Fastify's
 * own 4xx (a malformed body, a bad content type) as they are, and everything else as a 500 whose detail goes to
 * the log only. No stack ever reaches a caller.
 */
export function installErrorHandlers(app: FastifyInstance): void {
  const log = getLogger().child({ component: 'serve' });
  app.setErrorHandler((error: FastifyError | BoscoError | Error, request, reply) => {
    if (isBoscoError(error)) {
      const status = error instanceof ApiError ? error.status : STATUS_BY_CODE[error.code];
      if (status >= 500 && status !== 503) {
        log.error({ err: error, requestId: request.id, route: request.routeOptions.url }, 'request failed');
        return internal(reply);
      }
      if (error instanceof ApiError) for (const [name, value] of Object.entries(error.headers)) reply.header(name, value);
      if (status === 503 && error.code === 'WAREHOUSE_FAILED' && !(error instanceof ApiError)) {
        // The engine's own message may name tables and statements: it goes to the log, the caller gets a retry.
        log.error({ err: error, requestId: request.id, route: request.routeOptions.url }, 'request refused: the warehouse failed');
        return send(reply, 503, 'WAREHOUSE_FAILED', 'the warehouse failed while answering this request', `retry in ${RETRY_AFTER_SECONDS} s; if it persists, give the operator the x-request-id header of this answer`);
      }
      if (status === 503) log.warn({ err: error.cause ?? error, code: error.code, message: error.message, requestId: request.id }, 'request refused: a dependency is unavailable');
      return send(reply, status, error instanceof ApiError ? error.apiCode : error.code, error.message, error.hint);
    }
    const status = (error as FastifyError).statusCode;
    if (status !== undefined && status >= 400 && status < 500) {
      return send(reply, status, 'BAD_REQUEST', error.message, 'check the request’s method, headers and body');
    }
    log.error({ err: error, requestId: request.id, route: request.routeOptions.url }, 'request failed');
    return internal(reply);
  });
  app.setNotFoundHandler((request, reply) =>
    send(reply, 404, 'NOT_FOUND', `no route ${request.method} ${request.url.split('?')[0]}`, 'metrics are at GET /v1/clients/<client id>/metrics?from=YYYY-MM-DD&to=YYYY-MM-DD'),
  );
}
