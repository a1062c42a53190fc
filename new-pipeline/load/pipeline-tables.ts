import { z } from 'zod';
import { BoscoError } from '../../core/errors.js';
import { CANONICAL_COLUMNS, KEY_COLUMNS, type ColumnType } from '../../core/metric-row.js';
import type { Warehouse } from '../../core/warehouse/index.js';
import type { TableColumn, TableSpec } from '../../core/warehouse/types.js';

/**
 * The tables one run of the pipeline writes. A namespace (a schema, a BigQuery dataset) keeps a shadow run's rows,
 * lineage and quality apart from what clients are served; drift and FX rates are facts about the world, shared.
 */
export interface PipelineTables {
  namespace?: string;
  /** The canonical rows: served to clients (no namespace), or compared only (a shadow namespace). */
  metricRows: string;
  /** One manifest per partition load: where every number in a partition came from. */
  lineage: string;
  /** One quality result per partition and run: pass, warn or quarantined, with each check. */
  quality: string;
  /** Fields the platforms sent that the connectors do not know, with when each was first seen. */
  drift: string;
  /** Daily FX rates: one unit of `base` buys `rate` units of `quote`. */
  fxRates: string;
}

export function pipelineTables(namespace?: string): PipelineTables {
  const inNamespace = (name: string) => (namespace ? `${namespace}.${name}` : name);
  return { namespace, metricRows: inNamespace('metric_rows'), lineage: inNamespace('partition_lineage'), quality: inNamespace('partition_quality'), drift: 'schema_drift', fxRates: 'fx_rates' };
}

const NamespaceSchema = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'expected a schema name (letters, digits, underscores)').optional();

/**
 * A namespace a user named (`--namespace shadow`), checked before it goes into SQL: a schema (BigQuery: dataset)
 * name, or undefined for the serving tables. Anything else is a USAGE error.
 */
export function checkNamespace(namespace: string | undefined): string | undefined {
  const parsed = NamespaceSchema.safeParse(namespace);
  if (!parsed.success) {
    throw new BoscoError('USAGE', `--namespace '${namespace}' is not a schema name`, { hint: 'use letters, digits and underscores, e.g. --namespace shadow' });
  }
  return parsed.data;
}

/** What clients are served from. */
export const SERVING_TABLES = pipelineTables();

const LOGICAL: Record<ColumnType, TableColumn['type']> = { text: 'text', date: 'date', integer: 'integer', decimal: 'double' };
const KEYS: readonly string[] = KEY_COLUMNS;
const column = (name: string, type: TableColumn['type'], required = false): TableColumn => ({ name, type, required });

/** Partitioned by day and clustered by client and platform, as the load replaces and the reconciler reads them. */
const BY_PARTITION = { partitionBy: 'date', clusterBy: ['client_id', 'platform'] } as const;

const SPECS: Record<'metricRows' | 'lineage' | 'quality' | 'drift' | 'fxRates', TableSpec> = {
  metricRows: { columns: CANONICAL_COLUMNS.map(({ name, type }) => column(name, LOGICAL[type], KEYS.includes(name))), ...BY_PARTITION },
  lineage: {
    columns: [
      column('run_id', 'text', true), column('client_id', 'text', true), column('platform', 'text', true), column('date', 'date', true),
      column('api', 'text'), column('connector_version', 'text'), column('transform_version', 'text'),
      column('raw_path', 'text'), column('raw_sha256', 'text'), column('requests', 'integer'), column('records', 'integer'), column('rows', 'integer'),
      column('schema_fingerprint', 'text'), column('accounts', 'json'), column('fetched_at', 'timestamp'), column('loaded_at', 'timestamp', true),
    ],
    ...BY_PARTITION,
  },
  quality: {
    columns: [
      column('run_id', 'text', true), column('client_id', 'text', true), column('platform', 'text', true), column('date', 'date', true),
      column('status', 'text', true), column('reason', 'text'), column('checks', 'json'), column('checked_at', 'timestamp', true),
    ],
    ...BY_PARTITION,
  },
  drift: {
    columns: [column('platform', 'text', true), column('field_path', 'text', true), column('first_seen_at', 'timestamp'), column('first_seen_run', 'text'), column('last_seen_at', 'timestamp')],
  },
  fxRates: { columns: [column('date', 'date', true), column('base', 'text', true), column('quote', 'text', true), column('rate', 'double', true)], partitionBy: 'date' },
};

/** Creates the pipeline's tables when missing; safe to call on every run. */
export async function ensurePipelineTables(warehouse: Warehouse, tables: PipelineTables = SERVING_TABLES): Promise<void> {
  for (const [name, spec] of Object.entries(SPECS)) await warehouse.createTable(tables[name as keyof typeof SPECS], spec);
}
