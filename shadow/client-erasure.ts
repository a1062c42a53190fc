import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Warehouse } from '../core/warehouse/index.js';
import { ACCEPTANCES_TABLE } from '../flags/audit.js';
import { pipelineTables } from '../new-pipeline/load/pipeline-tables.js';
import { modelTables } from '../new-pipeline/models/series.js';
import { RESULTS_TABLE, RUNS_TABLE } from '../reconcile/history.js';
import { dayTrees, deleteRows } from './workspace-data.js';
import { LEGACY_SNAPSHOT_ROWS_TABLE, LEGACY_SNAPSHOT_TABLE, SHADOW_NAMESPACE, SHADOW_RUNS_TABLE, SLA_TABLE, SNAPSHOTS_TABLE } from './shadow-tables.js';

/** A table that holds a client's rows, and the column that names the client there. */
export interface ClientTable {
  table: string;
  column: string;
}

/**
 * Every table the toolkit writes a client's rows to, serving and shadow side. Left out on purpose: `flag_audit`
 * (the append-only audit trail of stage changes: operators' names and reasons, never a client's data) and the
 * reconcile runs over several clients (their reports hold business totals only, no personal data).
 */
export function clientTables(): ClientTable[] {
  const byClient = (table: string): ClientTable => ({ table, column: 'client_id' });
  const sides = [undefined, SHADOW_NAMESPACE].flatMap((namespace) => {
    const tables = pipelineTables(namespace);
    return [tables.metricRows, tables.lineage, tables.quality, modelTables(namespace).predictions].map(byClient);
  });
  return [
    ...sides,
    ...[LEGACY_SNAPSHOT_TABLE, LEGACY_SNAPSHOT_ROWS_TABLE, SNAPSHOTS_TABLE, SHADOW_RUNS_TABLE, SLA_TABLE, RESULTS_TABLE, ACCEPTANCES_TABLE].map(byClient),
    // A run of this client alone: its report is this client's.
    { table: RUNS_TABLE, column: 'client_filter' },
  ];
}

/** Whether a file name under those roots is the client's: `client=<encoded id>.jsonl.gz` or `client=<encoded id>.json`. */
export function isClientFile(name: string, clientId: string): boolean {
  const own = `client=${encodeURIComponent(clientId)}`;
  return name === `${own}.jsonl.gz` || name === `${own}.json`;
}

function clientFiles(workspaceDir: string, clientId: string): string[] {
  const found: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (isClientFile(entry.name, clientId)) found.push(path);
    }
  };
  for (const root of Object.values(dayTrees(workspaceDir)).flat()) if (existsSync(root)) walk(root);
  return found.sort();
}

export interface ErasureReport {
  client_id: string;
  dry_run: boolean;
  /** Rows per table (only tables that held some). */
  rows: Record<string, number>;
  /** Files, relative to the workspace. */
  files: string[];
}

/** Where erasures are announced: that one was done, by whom and why (no data of the client). */
export const ERASURE_TOPIC = 'erasure';

/**
 * Erases everything the workspace holds of one client: its rows in every table of `clientTables()`, in one
 * transaction (all go, or none), then its files. A failure among the files leaves the rows already gone and the
 * rest of the files in place; running it again finishes the job. `dryRun` only counts.
 */
export async function eraseClient(warehouse: Warehouse, workspaceDir: string, clientId: string, options: { dryRun: boolean }): Promise<ErasureReport> {
  const selections = clientTables().map(({ table, column }) => ({ table, column, where: `${column} = ?`, params: [clientId] }));
  const rows = await deleteRows(warehouse, selections, options.dryRun);
  const files = clientFiles(workspaceDir, clientId);
  if (!options.dryRun) for (const file of files) rmSync(file, { force: true });
  return { client_id: clientId, dry_run: options.dryRun, rows, files: files.map((f) => f.slice(workspaceDir.length + 1)) };
}
