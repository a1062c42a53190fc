import { randomBytes } from 'node:crypto';
import type { Warehouse } from '../core/warehouse/index.js';
import { redactUri } from '../core/redact.js';
import { stageCanonicalSource, type ResolvedSource } from '../legacy-adapter/canonical-source.js';
import { LEGACY_SNAPSHOT_TABLE, SNAPSHOTS_TABLE } from './shadow-tables.js';

export interface LegacySnapshot {
  snapshotId: string;
  rows: number;
}

/**
 * Copies the legacy system's canonical rows for one client and day into the shadow namespace, replacing the
 * previous copy. Legacy tables change under us (late restatements, reruns); the reconcile reads this copy, so it
 * can be run again later and give the same answer. Duplicate rows are copied as they are: they are findings.
 */
export async function snapshotLegacy(warehouse: Warehouse, source: ResolvedSource, clientId: string, date: string, scratchDir: string): Promise<LegacySnapshot> {
  const staged = await stageCanonicalSource(warehouse, { role: 'legacy', source, date, clientId, scratchDir });
  const snapshotId = `ls-${randomBytes(6).toString('hex')}`;
  return warehouse.transaction(async () => {
    await warehouse.replacePartition(LEGACY_SNAPSHOT_TABLE, { client_id: clientId, date }, { select: `SELECT * FROM ${staged.relation}` });
    const [count] = await warehouse.query(`SELECT count(*) AS n FROM ${LEGACY_SNAPSHOT_TABLE} WHERE client_id = ? AND date = CAST(? AS DATE)`, [clientId, date]);
    const rows = Number(count?.n ?? 0);
    await warehouse.run(`INSERT INTO ${SNAPSHOTS_TABLE} VALUES (?, ?, CAST(? AS DATE), ?, ?, CAST(? AS TIMESTAMP))`, [snapshotId, clientId, date, redactUri(source.uri), rows, new Date().toISOString()]);
    return { snapshotId, rows };
  });
}
