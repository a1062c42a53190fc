import type { Warehouse } from '../core/warehouse/index.js';
import type { ReconcileReport } from './types.js';

/** One reconcile as the history keeps it; later stages (promotion gates, dashboard) read it back. */
export interface ReconcileRunRecord {
  report: ReconcileReport;
  legacySource: string;
  newSource: string;
  clientFilter?: string;
  metricFilter?: readonly string[];
  startedAt: Date;
  finishedAt: Date;
  toolVersion: string;
}

export async function ensureHistoryTables(warehouse: Warehouse): Promise<void> {
  const t = warehouse.dialect.columnType;
  await warehouse.run(`CREATE TABLE IF NOT EXISTS reconcile_runs (
    run_id ${t('text')} PRIMARY KEY, date ${t('date')}, status ${t('text')},
    legacy_source ${t('text')}, new_source ${t('text')}, client_filter ${t('text')}, metric_filter ${t('text')},
    clients_total ${t('integer')}, clients_failed ${t('integer')}, report ${t('json')},
    started_at ${t('timestamp')}, finished_at ${t('timestamp')}, tool_version ${t('text')})`);
  await warehouse.run(`CREATE TABLE IF NOT EXISTS reconcile_results (
    run_id ${t('text')}, date ${t('date')}, client_id ${t('text')}, client_status ${t('text')},
    rows_legacy ${t('integer')}, rows_new ${t('integer')}, rows_matched ${t('integer')},
    missing_in_new ${t('integer')}, missing_in_legacy ${t('integer')}, duplicate_keys ${t('integer')},
    metric ${t('text')}, metric_status ${t('text')}, legacy_total ${t('double')}, new_total ${t('double')},
    delta ${t('double')}, rel_delta ${t('double')}, rows_mismatched ${t('integer')})`);
}

/** Writes the run and its per-client, per-metric results in one transaction: all of it or nothing. */
export async function recordRun(warehouse: Warehouse, run: ReconcileRunRecord): Promise<void> {
  const { report } = run;
  await ensureHistoryTables(warehouse);
  await warehouse.transaction(async () => {
    await warehouse.run(
      `INSERT INTO reconcile_runs VALUES ($1, CAST($2 AS DATE), $3, $4, $5, $6, $7, $8, $9, $10, CAST($11 AS TIMESTAMPTZ), CAST($12 AS TIMESTAMPTZ), $13)`,
      [
        report.run_id,
        report.date,
        report.status,
        run.legacySource,
        run.newSource,
        run.clientFilter ?? null,
        run.metricFilter?.join(',') ?? null,
        report.clients.length,
        report.clients.filter((client) => client.status === 'fail').length,
        JSON.stringify(report),
        run.startedAt.toISOString(),
        run.finishedAt.toISOString(),
        run.toolVersion,
      ],
    );
    const rows = report.clients.flatMap((client) =>
      client.metrics.map((metric) => {
        const r = client.rows;
        return [
          report.run_id, report.date, client.client_id, client.status,
          r.legacy, r.new, r.matched, r.missing_in_new, r.missing_in_legacy, r.duplicate_keys,
          metric.metric, metric.status, metric.legacy_total, metric.new_total, metric.delta, metric.rel_delta, metric.rows_mismatched,
        ];
      }),
    );
    // Batched: a day of 500 clients is 2,500 rows, and one statement per row would dominate a fast reconcile.
    for (let start = 0; start < rows.length; start += 500) {
      const batch = rows.slice(start, start + 500);
      const tuples = batch.map((row, i) => `(${row.map((_, j) => (j === 1 ? `CAST($${i * row.length + j + 1} AS DATE)` : `$${i * row.length + j + 1}`)).join(', ')})`);
      await warehouse.run(`INSERT INTO reconcile_results VALUES ${tuples.join(', ')}`, batch.flat());
    }
  });
}

export interface RunSummary {
  run_id: string;
  date: string;
  status: string;
  clients_total: number;
  clients_failed: number;
  started_at: string;
}

export async function recentRuns(warehouse: Warehouse, limit = 20): Promise<RunSummary[]> {
  await ensureHistoryTables(warehouse);
  return warehouse.query<RunSummary & Record<string, unknown>>(
    'SELECT run_id, CAST(date AS VARCHAR) AS date, status, clients_total, clients_failed, CAST(started_at AS VARCHAR) AS started_at FROM reconcile_runs ORDER BY started_at DESC LIMIT $1',
    [limit],
  );
}
