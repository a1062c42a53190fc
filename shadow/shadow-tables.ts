import type { Warehouse } from '../core/warehouse/index.js';
import { CANONICAL_COLUMNS } from '../core/metric-row.js';
import type { TableColumn } from '../core/warehouse/types.js';
import { pipelineTables } from '../new-pipeline/load/pipeline-tables.js';

/** The schema a shadow run writes to: never the tables clients are served from. */
export const SHADOW_NAMESPACE = 'shadow';
/** The new pipeline's tables inside the shadow namespace. */
export const SHADOW_TABLES = pipelineTables(SHADOW_NAMESPACE);
/**
 * Every legacy snapshot's rows, by snapshot id: the legacy side as a shadow run read it, kept so that any recorded
 * reconcile can be run again and agree. A snapshot identical to the client-day's previous one is not stored twice.
 */
export const LEGACY_SNAPSHOT_ROWS_TABLE = `${SHADOW_NAMESPACE}.legacy_snapshot_rows`;
/** One row per stored snapshot: its client, day, source and row count. */
export const SNAPSHOTS_TABLE = `${SHADOW_NAMESPACE}.legacy_snapshots`;
/** Per client and day, the rows of the snapshot its latest reconcile read (copied from `LEGACY_SNAPSHOT_ROWS_TABLE`). */
export const LEGACY_SNAPSHOT_TABLE = `${SHADOW_NAMESPACE}.legacy_rows`;
/** One row per client, day and shadow run: its outcome and links to both sides' lineage and the reconcile. */
export const SHADOW_RUNS_TABLE = `${SHADOW_NAMESPACE}.shadow_runs`;
/** When each client's day was complete on the new side, against its 08:00 deadline. */
export const SLA_TABLE = `${SHADOW_NAMESPACE}.sla_days`;

const column = (name: string, type: TableColumn['type'], required = false): TableColumn => ({ name, type, required });
const LOGICAL = { text: 'text', date: 'date', integer: 'integer', decimal: 'double' } as const;

export async function ensureShadowTables(warehouse: Warehouse): Promise<void> {
  const byDay = { partitionBy: 'date', clusterBy: ['client_id'] } as const;
  const canonical = CANONICAL_COLUMNS.map((c) => column(c.name, LOGICAL[c.type]));
  await warehouse.createTable(LEGACY_SNAPSHOT_TABLE, { columns: canonical, ...byDay });
  await warehouse.createTable(LEGACY_SNAPSHOT_ROWS_TABLE, { columns: [column('snapshot_id', 'text', true), ...canonical], partitionBy: 'date', clusterBy: ['client_id', 'snapshot_id'] });
  await warehouse.createTable(SNAPSHOTS_TABLE, {
    columns: [column('snapshot_id', 'text', true), column('client_id', 'text', true), column('date', 'date', true), column('source', 'text'), column('rows', 'integer'), column('taken_at', 'timestamp', true)],
    ...byDay,
  });
  await warehouse.createTable(SHADOW_RUNS_TABLE, {
    columns: [
      column('shadow_run_id', 'text', true), column('client_id', 'text', true), column('date', 'date', true), column('status', 'text', true),
      column('reconcile_run_id', 'text'), column('reconcile_status', 'text'), column('legacy_snapshot_id', 'text'), column('new_lineage_run_id', 'text'),
      column('quarantined_partitions', 'integer'), column('error', 'text'), column('finished_at', 'timestamp', true),
    ],
    ...byDay,
  });
  await warehouse.createTable(SLA_TABLE, {
    columns: [column('client_id', 'text', true), column('date', 'date', true), column('time_zone', 'text'), column('deadline', 'timestamp'), column('completed_at', 'timestamp'), column('status', 'text')],
    ...byDay,
  });
}
