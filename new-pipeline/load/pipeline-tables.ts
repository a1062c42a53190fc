import { CANONICAL_COLUMNS, type ColumnType } from '../../core/metric-row.js';
import type { Warehouse } from '../../core/warehouse/index.js';

/** Where the new pipeline's canonical rows live: what clients on the new side are served, and what is reconciled. */
export const METRIC_ROWS_TABLE = 'metric_rows';
/** One manifest per partition load: where every number in a partition came from. */
export const LINEAGE_TABLE = 'partition_lineage';
/** One quality result per partition and run: pass, warn or quarantined, with each check. */
export const QUALITY_TABLE = 'partition_quality';
/** Fields the platforms sent that the connectors do not know, with when each was first seen. */
export const DRIFT_TABLE = 'schema_drift';
/** Daily FX rates: `rate` units of `quote` buy one unit of `base`. */
export const FX_RATES_TABLE = 'fx_rates';

const LOGICAL: Record<ColumnType, 'text' | 'date' | 'integer' | 'double'> = { text: 'text', date: 'date', integer: 'integer', decimal: 'double' };

/** `name TYPE, …` for the canonical columns in this warehouse's types. */
export function canonicalColumnsDdl(warehouse: Warehouse): string {
  return CANONICAL_COLUMNS.map(({ name, type }) => `${warehouse.dialect.quoteIdent(name)} ${warehouse.dialect.columnType(LOGICAL[type])}`).join(', ');
}

/** Creates the pipeline's tables when missing; safe to call on every run. */
export async function ensurePipelineTables(warehouse: Warehouse): Promise<void> {
  const t = warehouse.dialect.columnType;
  await warehouse.run(`CREATE TABLE IF NOT EXISTS ${METRIC_ROWS_TABLE} (${canonicalColumnsDdl(warehouse)})`);
  await warehouse.run(`CREATE TABLE IF NOT EXISTS ${LINEAGE_TABLE} (
    run_id ${t('text')}, client_id ${t('text')}, platform ${t('text')}, date ${t('date')},
    api ${t('text')}, connector_version ${t('text')}, transform_version ${t('text')},
    raw_path ${t('text')}, raw_sha256 ${t('text')}, requests ${t('integer')}, records ${t('integer')}, rows ${t('integer')},
    schema_fingerprint ${t('text')}, accounts ${t('json')}, fetched_at ${t('timestamp')}, loaded_at ${t('timestamp')})`);
  await warehouse.run(`CREATE TABLE IF NOT EXISTS ${QUALITY_TABLE} (
    run_id ${t('text')}, client_id ${t('text')}, platform ${t('text')}, date ${t('date')},
    status ${t('text')}, reason ${t('text')}, checks ${t('json')}, checked_at ${t('timestamp')})`);
  await warehouse.run(`CREATE TABLE IF NOT EXISTS ${DRIFT_TABLE} (
    platform ${t('text')}, field_path ${t('text')}, first_seen_at ${t('timestamp')}, first_seen_run ${t('text')}, last_seen_at ${t('timestamp')})`);
  await warehouse.run(`CREATE TABLE IF NOT EXISTS ${FX_RATES_TABLE} (date ${t('date')}, base ${t('text')}, quote ${t('text')}, rate ${t('double')})`);
}
