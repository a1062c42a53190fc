import { configDir, type LoadedConfig } from '../config.js';
import { DuckDbWarehouse } from './duckdb/duckdb-warehouse.js';
import type { Warehouse } from './types.js';

export type {
  ColumnInfo,
  ColumnType,
  ExternalSource,
  PartitionKey,
  PartitionRows,
  Row,
  SqlDialect,
  SqlValue,
  TableColumn,
  TableSpec,
  Warehouse,
} from './types.js';

/** Opens the workspace's warehouse as its config `kind` says. The one place that knows the vendors. */
export async function openWarehouse(loaded: LoadedConfig): Promise<Warehouse> {
  const settings = loaded.config.warehouse;
  switch (settings.kind) {
    case 'duckdb':
      return DuckDbWarehouse.open({ path: loaded.warehousePath, memoryLimit: settings.memoryLimit, threads: settings.threads });
    case 'bigquery': {
      // Loaded only when configured: the Google client is large, and a DuckDB workspace never needs it.
      const { BigQueryWarehouse } = await import('./bigquery/bigquery-warehouse.js');
      return BigQueryWarehouse.fromConfig(settings, configDir(loaded));
    }
  }
}
