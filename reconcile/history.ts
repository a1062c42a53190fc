import type { TableSpec, Warehouse } from '../core/warehouse/index.js';
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

/** The reconcile history: one row per run, and one per run, client and metric. */
export const RUNS_TABLE = 'reconcile_runs';
export const RESULTS_TABLE = 'reconcile_results';

/** reconcile_runs: one row per run. BigQuery partitions it by the reconciled day. */
const RUNS_SPEC: TableSpec = {
  columns: [
    { name: 'run_id', type: 'text', required: true },
    { name: 'date', type: 'date' },
    { name: 'status', type: 'text' },
    { name: 'legacy_source', type: 'text' },
    { name: 'new_source', type: 'text' },
    { name: 'client_filter', type: 'text' },
    { name: 'metric_filter', type: 'text' },
    { name: 'clients_total', type: 'integer' },
    { name: 'clients_failed', type: 'integer' },
    { name: 'report', type: 'json' },
    { name: 'started_at', type: 'timestamp' },
    { name: 'finished_at', type: 'timestamp' },
    { name: 'tool_version', type: 'text' },
  ],
  partitionBy: 'date',
};

/** The columns of reconcile_results, in table order, with their logical types. */
const RESULT_COLUMNS = {
  run_id: 'text', date: 'date', client_id: 'text', client_status: 'text',
  rows_legacy: 'integer', rows_new: 'integer', rows_matched: 'integer',
  missing_in_new: 'integer', missing_in_legacy: 'integer', duplicate_keys: 'integer',
  metric: 'text', metric_status: 'text', legacy_total: 'double', new_total: 'double',
  delta: 'double', rel_delta: 'double', rows_mismatched: 'integer',
} as const;
type ResultRow = Record<keyof typeof RESULT_COLUMNS, string | number | null>;

/** reconcile_results: one row per run, client and metric. BigQuery partitions it by day and clusters it by client. */
const RESULTS_SPEC: TableSpec = {
  columns: Object.entries(RESULT_COLUMNS).map(([name, type]) => ({ name, type })),
  partitionBy: 'date',
  clusterBy: ['client_id', 'run_id'],
};

/** Creates the history tables through the warehouse port (outside any transaction: BigQuery creates tables outside one). */
export async function ensureHistoryTables(warehouse: Warehouse): Promise<void> {
  await warehouse.createTable(RUNS_TABLE, RUNS_SPEC);
  await warehouse.createTable(RESULTS_TABLE, RESULTS_SPEC);
}

/**
 * Writes the run and its per-client, per-metric results in one transaction: all of it or nothing. Each table's rows
 * are the run's partition (`run_id`, `date`) replaced through the port, so the same SQL-free write runs on every
 * engine, and writing a run twice leaves it once.
 */
export async function recordRun(warehouse: Warehouse, run: ReconcileRunRecord): Promise<void> {
  const { report } = run;
  await ensureHistoryTables(warehouse);
  const partition = { run_id: report.run_id, date: report.date };
  const results = report.clients.flatMap(({ client_id, status, rows: r, metrics }) =>
    metrics.map((m): ResultRow => ({
      run_id: report.run_id, date: report.date, client_id, client_status: status,
      rows_legacy: r.legacy, rows_new: r.new, rows_matched: r.matched,
      missing_in_new: r.missing_in_new, missing_in_legacy: r.missing_in_legacy, duplicate_keys: r.duplicate_keys,
      metric: m.metric, metric_status: m.status, legacy_total: m.legacy_total, new_total: m.new_total,
      delta: m.delta, rel_delta: m.rel_delta, rows_mismatched: m.rows_mismatched,
    })),
  );
  await warehouse.transaction(async () => {
    await warehouse.replacePartition(RUNS_TABLE, partition, [
      {
        run_id: report.run_id,
        date: report.date,
        status: report.status,
        legacy_source: run.legacySource,
        new_source: run.newSource,
        client_filter: run.clientFilter ?? null,
        metric_filter: run.metricFilter?.join(',') ?? null,
        clients_total: report.clients.length,
        clients_failed: report.clients.filter((client) => client.status === 'fail').length,
        report: JSON.stringify(report),
        started_at: run.startedAt.toISOString(),
        finished_at: run.finishedAt.toISOString(),
        tool_version: run.toolVersion,
      },
    ]);
    await warehouse.replacePartition(RESULTS_TABLE, partition, results);
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
  const d = warehouse.dialect;
  return warehouse.query<RunSummary & Record<string, unknown>>(
    `SELECT run_id, ${d.text('date')} AS date, status, clients_total, clients_failed, ${d.text('started_at')} AS started_at
     FROM reconcile_runs ORDER BY started_at DESC LIMIT ${Math.max(0, Math.floor(limit))}`,
  );
}
