import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { isRealIsoDate, resolveReportDate } from '../../core/dates.js';
import { BoscoError } from '../../core/errors.js';
import { stageOf } from '../../flags/cutover.js';
import { clientInsights } from '../../new-pipeline/models/insights.js';
import { modelTables } from '../../new-pipeline/models/series.js';
import { SHADOW_NAMESPACE } from '../../shadow/shadow-tables.js';
import { authorizeClient } from '../auth/api-key-authenticator.js';
import type { ServeDeps } from '../types.js';
import { requireConfiguredClient } from './known-client.js';
import { annotate } from './tracing.js';

const QuerySchema = z.object({ date: z.string().refine(isRealIsoDate, 'expected YYYY-MM-DD').optional() }).strict();

/**
 * `GET /v1/clients/:id/insights[?date=YYYY-MM-DD]`: the client's forecast, budget pacing, anomalies and
 * recommendations, from the new pipeline's rows: the served ones once the client is live, its shadow rows while in
 * shadow (a preview). Same key rules as the metrics: a client key reads only its own client.
 */
export function registerInsightsRoutes(app: FastifyInstance, deps: ServeDeps): void {
  app.get('/v1/clients/:id/insights', async (request, reply) => {
    const { id } = request.params as { id: string };
    annotate(request, { 'bosco.client_id': id });
    authorizeClient(await deps.auth.caller(request), id);
    requireConfiguredClient(deps, id);
    const parsed = QuerySchema.safeParse(request.query);
    if (!parsed.success) {
      throw new BoscoError('USAGE', `bad query: ${parsed.error.issues[0]!.path.join('.') || 'query'}: ${parsed.error.issues[0]!.message}`, { hint: 'use ?date=YYYY-MM-DD (default yesterday)' });
    }
    const { records, stale } = await deps.stages.list();
    const stage = stageOf(records, id);
    if (stage === 'legacy') {
      throw new BoscoError('USAGE', `insights come from the new pipeline, which does not run for '${id}' yet`, { hint: 'they are available once the client is in shadow' });
    }
    const date = parsed.data.date ?? resolveReportDate('yesterday', deps.loaded.config.reportingTimeZone, deps.now());
    const tables = modelTables(stage === 'shadow' ? SHADOW_NAMESPACE : undefined);
    const insights = await deps.warehouse.use((warehouse) => clientInsights(warehouse, id, date, deps.loaded.config, { tables }));
    reply.header('x-bosco-stage', stage).header('cache-control', 'private, no-store');
    if (stale) reply.header('x-bosco-stage-stale', 'true');
    return insights;
  });
}
