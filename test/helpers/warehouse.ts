import { DuckDbWarehouse } from '../../core/warehouse/duckdb/duckdb-warehouse.js';
import type { SqlValue, Warehouse } from '../../core/warehouse/index.js';
import { CANONICAL_COLUMNS } from '../../core/metric-row.js';

/** An in-memory DuckDB warehouse: the real engine, nothing on disk. */
export function memoryWarehouse(): Promise<Warehouse> {
  return DuckDbWarehouse.open({ path: ':memory:' });
}

const SQL_TYPES: Record<string, string> = { text: 'VARCHAR', date: 'DATE', integer: 'BIGINT', decimal: 'DOUBLE' };

/** Creates `table` with the canonical columns and inserts `rows` (objects keyed by column name). */
export async function createMetricTable(warehouse: Warehouse, table: string, rows: ReadonlyArray<Record<string, unknown>>): Promise<void> {
  await warehouse.run(`CREATE OR REPLACE TABLE ${table} (${CANONICAL_COLUMNS.map((c) => `${c.name} ${SQL_TYPES[c.type]}`).join(', ')})`);
  for (const row of rows) {
    const values = CANONICAL_COLUMNS.map((c) => (row[c.name] ?? null) as SqlValue);
    await warehouse.run(`INSERT INTO ${table} VALUES (${values.map((_, i) => `$${i + 1}`).join(', ')})`, values);
  }
}
