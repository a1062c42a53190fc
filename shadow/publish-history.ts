import type { Warehouse } from '../core/warehouse/index.js';
import { ensurePipelineTables, SERVING_TABLES } from '../new-pipeline/load/pipeline-tables.js';
import { SHADOW_TABLES } from './shadow-tables.js';

/**
 * When a client goes live, the new side starts serving it: its shadow history (the same pipeline's rows, verified
 * day by day) becomes its served history, with the lineage behind it, so a range spanning the promotion is whole.
 * One transaction: the client's served rows are replaced, never added to.
 */
export async function publishShadowHistory(warehouse: Warehouse, clientId: string): Promise<number> {
  await ensurePipelineTables(warehouse, SERVING_TABLES);
  await ensurePipelineTables(warehouse, SHADOW_TABLES);
  return warehouse.transaction(async () => {
    await warehouse.run(`DELETE FROM ${SERVING_TABLES.metricRows} WHERE client_id = ?`, [clientId]);
    await warehouse.run(`INSERT INTO ${SERVING_TABLES.metricRows} SELECT * FROM ${SHADOW_TABLES.metricRows} WHERE client_id = ?`, [clientId]);
    await warehouse.run(`DELETE FROM ${SERVING_TABLES.lineage} WHERE client_id = ? AND run_id IN (SELECT run_id FROM ${SHADOW_TABLES.lineage} WHERE client_id = ?)`, [clientId, clientId]);
    await warehouse.run(`INSERT INTO ${SERVING_TABLES.lineage} SELECT * FROM ${SHADOW_TABLES.lineage} WHERE client_id = ?`, [clientId]);
    const [count] = await warehouse.query(`SELECT count(*) AS n FROM ${SERVING_TABLES.metricRows} WHERE client_id = ?`, [clientId]);
    return Number(count?.n ?? 0);
  });
}
