import { addDays } from '../../../core/dates.js';
import type { SqlValue, TableSpec, Warehouse } from '../../../core/warehouse/index.js';
import { LEGACY_EXPORT_COLUMNS, statTimestamp, type LegacyExportRow, type LegacyStore } from './legacy-store.js';

/** Rows per INSERT statement: a few thousand parameters each. */
const STATEMENT_ROWS = 500;

const EXPORT_TABLE_SPEC: TableSpec = {
  columns: [
    { name: 'client_ref', type: 'text', required: true },
    { name: 'stat_ts', type: 'timestamp', required: true },
    { name: 'src', type: 'text', required: true },
    { name: 'account_ref', type: 'text', required: true },
    { name: 'campaign_ref', type: 'text', required: true },
    { name: 'ccy', type: 'text' },
    { name: 'cost_micros', type: 'integer' },
    { name: 'impr', type: 'integer' },
    { name: 'clk', type: 'integer' },
    { name: 'conv', type: 'double' },
    { name: 'rev_micros', type: 'integer' },
  ],
};

/**
 * The export in a warehouse: the embedded DuckDB file (the workspace's, or another `duckdb:` file). `close` closes the
 * warehouse only when the store opened it.
 */
export function warehouseLegacyStore(warehouse: Warehouse, table: string, options: { sourceUri: string; ownsWarehouse: boolean }): LegacyStore {
  const name = table.split('.').map((part) => warehouse.dialect.quoteIdent(part)).join('.');
  const columns = LEGACY_EXPORT_COLUMNS.map((column) => warehouse.dialect.quoteIdent(column)).join(', ');
  const tuple = `(${LEGACY_EXPORT_COLUMNS.map((column) => (column === 'stat_ts' ? 'CAST(? AS TIMESTAMP)' : '?')).join(', ')})`;
  return {
    sourceUri: options.sourceUri,
    prepare: () => warehouse.createTable(table, EXPORT_TABLE_SPEC),
    replaceClientDay: (clientId, date, inserts) =>
      warehouse.transaction(async () => {
        await warehouse.run(`DELETE FROM ${name} WHERE client_ref = ? AND stat_ts >= CAST(? AS TIMESTAMP) AND stat_ts < CAST(? AS TIMESTAMP)`, [clientId, statTimestamp(date), statTimestamp(addDays(date, 1))]);
        for (const rows of inserts) {
          for (let start = 0; start < rows.length; start += STATEMENT_ROWS) {
            const batch = rows.slice(start, start + STATEMENT_ROWS);
            const values = batch.flatMap((row: LegacyExportRow) => LEGACY_EXPORT_COLUMNS.map((column): SqlValue => row[column]));
            await warehouse.run(`INSERT INTO ${name} (${columns}) VALUES ${batch.map(() => tuple).join(', ')}`, values);
          }
        }
      }),
    close: async () => {
      if (options.ownsWarehouse) await warehouse.close();
    },
  };
}
