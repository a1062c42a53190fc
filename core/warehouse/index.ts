import type { LoadedConfig } from '../config.js';
import { DuckDbWarehouse } from './duckdb/duckdb-warehouse.js';
import type { Warehouse } from './types.js';

export type { ColumnInfo, ExternalSource, Row, SqlDialect, SqlValue, Warehouse } from './types.js';

/** Opens the workspace's warehouse as its config `kind` says. The one place that knows the vendors. */
export async function openWarehouse(loaded: LoadedConfig): Promise<Warehouse> {
  const settings = loaded.config.warehouse;
  switch (settings.kind) {
    case 'duckdb':
      return DuckDbWarehouse.open({ path: loaded.warehousePath, memoryLimit: settings.memoryLimit, threads: settings.threads });
  }
}
