import type { FastifyInstance } from 'fastify';
import { BoscoError, isBoscoError } from '../../core/errors.js';
import { inSpan } from '../../core/telemetry.js';
import { stageOf } from '../../flags/cutover.js';
import { servingSide } from '../../flags/stages.js';
import { authorizeClient } from '../auth/api-key-authenticator.js';
import type { ServeDeps } from '../types.js';
import { ApiError, RETRY_AFTER_SECONDS } from './errors.js';
import { requireConfiguredClient } from './known-client.js';
import { parseMetricsRequest, queryMetrics, type MetricsRow, type ServingSide } from './metrics-query.js';
import { annotate } from './tracing.js';

/** The body of `GET /v1/clients/:id/metrics`. */
export interface MetricsResponse {
  client_id: string;
  from: string;
  to: string;
  granularity: 'day' | 'total';
  platform: string | null;
  stage: string;
  served_by: ServingSide;
  /** True when the flag store could not be read and the last stages read were used. */
  stage_stale: boolean;
  /** Days with rows only (granularity=day), or one row for the range; one row per currency, never summed across currencies. */
  rows: MetricsRow[];
}

/**
 * The chosen side could not be read or failed (a BigQuery 5xx is WAREHOUSE_FAILED): a 503 with Retry-After saying
 * so, never an answer from the other side instead. The warehouse's own message stays in the log.
 */
function sideUnavailable(side: ServingSide, error: unknown): unknown {
  if (!isBoscoError(error)) return error;
  const hint = `retry in ${RETRY_AFTER_SECONDS} s; this client's numbers come only from the ${side} side, so none are given meanwhile`;
  if (error.code === 'SOURCE_UNREACHABLE' || error.code === 'WORKSPACE_LOCKED') {
    return new BoscoError('SOURCE_UNREACHABLE', `the ${side} side's warehouse cannot be reached`, { hint, cause: error });
  }
  if (error.code === 'WAREHOUSE_FAILED') return new ApiError(503, 'WAREHOUSE_FAILED', 'WAREHOUSE_FAILED', `the ${side} side's warehouse failed`, { hint, cause: error });
  return error;
}

/**
 * `GET /v1/clients/:id/metrics?from&to&platform&granularity`: the client's metrics from the side its stage says
 * (legacy for legacy and shadow, new for live and complete), read per request so a flag change applies without a
 * restart. The key is checked before anything about the client is looked at, so a client key asking for another
 * client gets the same 403 whether that client exists or not; an admin key asking for a client the config does
 * not list gets a 404 naming it.
 */
export function registerMetricsRoutes(app: FastifyInstance, deps: ServeDeps): void {
  app.get('/v1/clients/:id/metrics', async (request, reply): Promise<MetricsResponse> => {
    const { id } = request.params as { id: string };
    annotate(request, { 'bosco.client_id': id });
    const caller = await deps.auth.caller(request);
    annotate(request, { 'bosco.caller.kind': caller.kind, 'bosco.key_id': caller.keyId });
    authorizeClient(caller, id);
    const query = parseMetricsRequest(id, request.query);
    requireConfiguredClient(deps, query.clientId);

    const { records, stale } = await deps.stages.list();
    const stage = stageOf(records, query.clientId);
    const side = servingSide(stage);
    annotate(request, { 'bosco.stage': stage, 'bosco.served_by': side, 'bosco.stage_stale': stale });
    // Its own span, so a trace shows the wait for the warehouse and the query apart from the rest of the request.
    const rows = await inSpan('bosco.serve.metrics_query', { 'bosco.served_by': side, 'bosco.granularity': query.granularity }, () =>
      deps.warehouse.use((warehouse) => queryMetrics(warehouse, side, query)),
    ).catch((error: unknown) => {
      throw sideUnavailable(side, error);
    });

    reply.header('x-bosco-served-by', side).header('x-bosco-stage', stage).header('cache-control', 'private, no-store');
    if (stale) reply.header('x-bosco-stage-stale', 'true');
    return {
      client_id: query.clientId,
      from: query.from,
      to: query.to,
      granularity: query.granularity,
      platform: query.platform ?? null,
      stage,
      served_by: side,
      stage_stale: stale,
      rows,
    };
  });
}
