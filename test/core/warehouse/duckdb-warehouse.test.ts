import { DuckDbWarehouse } from '../../../core/warehouse/duckdb/duckdb-warehouse.js';
import { describeWarehouseBehaviour } from './warehouse-behaviour.js';

describeWarehouseBehaviour('DuckDB', async () => {
  const warehouse = await DuckDbWarehouse.open({ path: ':memory:' });
  return { warehouse, close: () => warehouse.close() };
});
