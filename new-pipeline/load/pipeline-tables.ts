import { CANONICAL_COLUMNS, KEY_COLUMNS, type ColumnType } from '../../core/metric-row.js';
import type { Warehouse } from '../../core/warehouse/index.js';
import type { TableColumn, TableSpec } from '../../core/warehouse/types.js';

/** Where the new pipeline's canonical rows live: what clients on the new side are served, and what is reconciled. */
export const METRIC_ROWS_TABLE = 'metric_rows';
/** One manifest per partition load: where every number in a partition came from. */
export const LINEAGE_TABLE = 'partition_lineage';
/** One quality result per partition and run: pass, warn or quarantined, with each check. */
export const QUALITY_TABLE = 'partition_quality';
/** Fields the platforms sent that the connectors do not know, with when each was first seen. */
export const DRIFT_TABLE = 'schema_drift';
/** Daily FX rates: one unit of `base` buys `rate` units of `quote`. */
export const FX_RATES_TABLE = 'fx_rates';

const LOGICAL: Record<ColumnType, TableColumn['type']> = { text: 'text', date: 'date', integer: 'integer', decimal: 'double' };
const KEYS: readonly string[] = KEY_COLUMNS;
const column = (name: string, type: TableColumn['type'], required = false): TableColumn => ({ name, type, required });

/** Partitioned by day and clustered by client and platform, as the load replaces and the reconciler reads them. */
const BY_PARTITION = { partitionBy: 'date', clusterBy: ['client_id', 'platform'] } as const;

export const PIPELINE_TABLES: Record<string, TableSpec> = {
  [METRIC_ROWS_TABLE]: { columns: CANONICAL_COLUMNS.map(({ name, type }) => column(name, LOGICAL[type], KEYS.includes(name))), ...BY_PARTITION },
  [LINEAGE_TABLE]: {
    columns: [
      column('run_id', 'text', true), column('client_id', 'text', true), column('platform', 'text', true), column('date', 'date', true),
      column('api', 'text'), column('connector_version', 'text'), column('transform_version', 'text'),
      column('raw_path', 'text'), column('raw_sha256', 'text'), column('requests', 'integer'), column('records', 'integer'), column('rows', 'integer'),
      column('schema_fingerprint', 'text'), column('accounts', 'json'), column('fetched_at', 'timestamp'), column('loaded_at', 'timestamp', true),
    ],
    ...BY_PARTITION,
  },
  [QUALITY_TABLE]: {
    columns: [
      column('run_id', 'text', true), column('client_id', 'text', true), column('platform', 'text', true), column('date', 'date', true),
      column('status', 'text', true), column('reason', 'text'), column('checks', 'json'), column('checked_at', 'timestamp', true),
    ],
    ...BY_PARTITION,
  },
  [DRIFT_TABLE]: {
    columns: [column('platform', 'text', true), column('field_path', 'text', true), column('first_seen_at', 'timestamp'), column('first_seen_run', 'text'), column('last_seen_at', 'timestamp')],
  },
  [FX_RATES_TABLE]: { columns: [column('date', 'date', true), column('base', 'text', true), column('quote', 'text', true), column('rate', 'double', true)], partitionBy: 'date' },
};

/** Creates the pipeline's tables when missing; safe to call on every run. */
export async function ensurePipelineTables(warehouse: Warehouse): Promise<void> {
  for (const [table, spec] of Object.entries(PIPELINE_TABLES)) await warehouse.createTable(table, spec);
}
