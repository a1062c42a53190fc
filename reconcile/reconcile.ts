import { randomBytes } from 'node:crypto';
import { BoscoError } from '../core/errors.js';
import { getLogger } from '../core/logger.js';
import { redactUri } from '../core/redact.js';
import { meter, inSpan } from '../core/telemetry.js';
import { TOOL_VERSION } from '../core/version.js';
import type { Warehouse } from '../core/warehouse/index.js';
import { stageCanonicalSource, type ResolvedSource } from '../legacy-adapter/canonical-source.js';
import { compareRelations } from './engine.js';
import { recordRun } from './history.js';
import { runStatus } from './rollup.js';
import { METRIC_ROW_COMPARISON } from './tolerance.js';
import type { ReconcileReport, ToleranceTable } from './types.js';

export interface ReconcileRequest {
  /** The reporting day, YYYY-MM-DD. */
  date: string;
  legacy: ResolvedSource;
  next: ResolvedSource;
  tolerances: ToleranceTable;
  clientId?: string;
  /** Compare only these metrics; default all. */
  metrics?: readonly string[];
  /** Fetch up to this many row-level differences when anything differs. */
  differencesLimit?: number;
  scratchDir: string;
}

const differenceCounter = meter.createCounter('bosco.reconcile.differences', { description: 'rows that differ, by kind' });

export function newRunId(now: Date = new Date()): string {
  return `rc-${now.toISOString().replace(/[-:]/g, '').slice(0, 15)}-${randomBytes(3).toString('hex')}`;
}

export function selectMetrics(requested: readonly string[] | undefined): readonly string[] {
  const known = METRIC_ROW_COMPARISON.metrics;
  if (!requested || requested.length === 0) return known;
  const unknown = requested.filter((metric) => !known.includes(metric));
  if (unknown.length > 0) {
    throw new BoscoError('USAGE', `unknown metric '${unknown[0]}'`, { hint: `metrics are ${known.join(', ')}` });
  }
  return known.filter((metric) => requested.includes(metric));
}

/** Stages both sides for one day, compares them in the warehouse, and records the run in the history. */
export async function reconcile(warehouse: Warehouse, request: ReconcileRequest): Promise<ReconcileReport> {
  const startedAt = new Date();
  const runId = newRunId(startedAt);
  const metrics = selectMetrics(request.metrics);
  const log = getLogger().child({ run_id: runId, date: request.date });
  return inSpan('bosco.reconcile', { 'bosco.run_id': runId, 'bosco.date': request.date, 'bosco.client_id': request.clientId ?? '*' }, async () => {
    log.info({ legacy: redactUri(request.legacy.uri), new: redactUri(request.next.uri) }, 'reconcile started');
    const common = { date: request.date, clientId: request.clientId, scratchDir: request.scratchDir };
    const legacy = await stageCanonicalSource(warehouse, { ...common, role: 'legacy', source: request.legacy });
    const next = await stageCanonicalSource(warehouse, { ...common, role: 'new', source: request.next });

    const comparison = await compareRelations(warehouse, {
      legacy: legacy.relation,
      next: next.relation,
      spec: { ...METRIC_ROW_COMPARISON, metrics },
      tolerances: request.tolerances,
      differencesLimit: request.differencesLimit,
    });
    if (request.clientId !== undefined && comparison.clients.length === 0) {
      throw new BoscoError('UNKNOWN_CLIENT', `client '${request.clientId}' has no rows on ${request.date} in either source`, {
        hint: 'check the client id (ids are compared exactly, case included); run without --client to list every client',
      });
    }
    const report: ReconcileReport = {
      run_id: runId,
      date: request.date,
      status: runStatus(comparison.clients),
      clients: comparison.clients,
      ...(comparison.differences ? { differences: comparison.differences } : {}),
    };
    for (const difference of comparison.differences ?? []) differenceCounter.add(1, { kind: difference.kind });
    await recordRun(warehouse, {
      report,
      legacySource: legacy.label,
      newSource: next.label,
      clientFilter: request.clientId,
      metricFilter: request.metrics?.length ? metrics : undefined,
      startedAt,
      finishedAt: new Date(),
      toolVersion: TOOL_VERSION,
    });
    log.info({ status: report.status, clients: report.clients.length, failed: report.clients.filter((c) => c.status === 'fail').length }, 'reconcile finished');
    return report;
  });
}
