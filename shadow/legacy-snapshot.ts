import { createHash, randomBytes } from 'node:crypto';
import type { Warehouse } from '../core/warehouse/index.js';
import { CANONICAL_COLUMNS } from '../core/metric-row.js';
import { BoscoError } from '../core/errors.js';
import { redactUri } from '../core/redact.js';
import { stageCanonicalSource, type ResolvedSource } from '../legacy-adapter/canonical-source.js';
import { LEGACY_SNAPSHOT_ROWS_TABLE, LEGACY_SNAPSHOT_TABLE, SNAPSHOTS_TABLE } from './shadow-tables.js';

export interface LegacySnapshot {
  snapshotId: string;
  rows: number;
  /** The legacy rows were the same as the client-day's previous snapshot, whose id this is: nothing new was stored. */
  reused: boolean;
}

/** The same rows, in any order, give the same fingerprint; duplicates count. */
async function snapshotFingerprint(warehouse: Warehouse, snapshotId: string): Promise<string> {
  const columns = CANONICAL_COLUMNS.map(({ name }) => warehouse.dialect.quoteIdent(name)).join(', ');
  const rows = await warehouse.query(`SELECT ${columns} FROM ${LEGACY_SNAPSHOT_ROWS_TABLE} WHERE snapshot_id = ?`, [snapshotId]);
  return createHash('sha256').update(rows.map((row) => JSON.stringify(row)).sort().join('\n')).digest('hex');
}

/**
 * Copies the legacy system's canonical rows for one client and day into the shadow namespace as a new snapshot,
 * kept under its id beside every earlier one. Legacy tables change under us (late restatements, reruns); a
 * reconcile reads the snapshot its shadow run recorded, so it can be run again later and give the same answer.
 * Duplicate rows are copied as they are: they are findings. When legacy has not changed since the client-day's
 * previous snapshot, that snapshot is returned instead, so reruns and backfills do not store the same rows again.
 */
export async function snapshotLegacy(warehouse: Warehouse, source: ResolvedSource, clientId: string, date: string, scratchDir: string): Promise<LegacySnapshot> {
  const staged = await stageCanonicalSource(warehouse, { role: 'legacy', source, date, clientId, scratchDir });
  const snapshotId = `ls-${randomBytes(6).toString('hex')}`;
  const d = warehouse.dialect;
  const columns = CANONICAL_COLUMNS.map(({ name }) => d.quoteIdent(name)).join(', ');
  return warehouse.transaction(async () => {
    const partition = { snapshot_id: snapshotId, client_id: clientId, date };
    await warehouse.replacePartition(LEGACY_SNAPSHOT_ROWS_TABLE, partition, { select: `SELECT ${d.quoteLiteral(snapshotId)} AS snapshot_id, ${columns} FROM ${staged.relation}` });
    const [count] = await warehouse.query(`SELECT count(*) AS n FROM ${LEGACY_SNAPSHOT_ROWS_TABLE} WHERE snapshot_id = ?`, [snapshotId]);
    const rows = Number(count?.n ?? 0);
    const [previous] = await warehouse.query(
      `SELECT snapshot_id, rows FROM ${SNAPSHOTS_TABLE} WHERE client_id = ? AND date = CAST(? AS DATE) ORDER BY taken_at DESC LIMIT 1`,
      [clientId, date],
    );
    if (previous && Number(previous.rows) === rows && (await snapshotFingerprint(warehouse, String(previous.snapshot_id))) === (await snapshotFingerprint(warehouse, snapshotId))) {
      await warehouse.replacePartition(LEGACY_SNAPSHOT_ROWS_TABLE, partition, []);
      return { snapshotId: String(previous.snapshot_id), rows, reused: true };
    }
    await warehouse.run(`INSERT INTO ${SNAPSHOTS_TABLE} VALUES (?, ?, CAST(? AS DATE), ?, ?, CAST(? AS TIMESTAMP))`, [snapshotId, clientId, date, redactUri(source.uri), rows, new Date().toISOString()]);
    return { snapshotId, rows, reused: false };
  });
}

/**
 * Puts a stored snapshot's rows in `LEGACY_SNAPSHOT_TABLE` for its client and day, where a reconcile reads them
 * (`warehouse:shadow.legacy_rows`, as any source). Fails when the snapshot is not stored whole: a reconcile never
 * silently compares against other rows than the ones its run recorded.
 */
export async function restoreLegacySnapshot(warehouse: Warehouse, snapshotId: string, clientId: string, date: string): Promise<number> {
  const [stored] = await warehouse.query(`SELECT rows FROM ${SNAPSHOTS_TABLE} WHERE snapshot_id = ? AND client_id = ? AND date = CAST(? AS DATE)`, [snapshotId, clientId, date]);
  if (!stored) {
    throw new BoscoError('SOURCE_NOT_FOUND', `legacy snapshot ${snapshotId} of ${clientId} on ${date} is not stored`, { hint: 'take a new snapshot: rerun the shadow day without --resume' });
  }
  const columns = CANONICAL_COLUMNS.map(({ name }) => warehouse.dialect.quoteIdent(name)).join(', ');
  await warehouse.replacePartition(LEGACY_SNAPSHOT_TABLE, { client_id: clientId, date }, {
    select: `SELECT ${columns} FROM ${LEGACY_SNAPSHOT_ROWS_TABLE} WHERE snapshot_id = ?`,
    params: [snapshotId],
  });
  // A snapshot listed but whose rows are not all there (taken before rows were kept by id) must not pass as empty.
  const [copied] = await warehouse.query(`SELECT count(*) AS n FROM ${LEGACY_SNAPSHOT_TABLE} WHERE client_id = ? AND date = CAST(? AS DATE)`, [clientId, date]);
  if (Number(copied?.n ?? 0) !== Number(stored.rows)) {
    throw new BoscoError('SOURCE_NOT_FOUND', `legacy snapshot ${snapshotId} of ${clientId} on ${date} lists ${Number(stored.rows)} row(s) but ${Number(copied?.n ?? 0)} are stored`, {
      hint: 'take a new snapshot: rerun the shadow day without --resume',
    });
  }
  return Number(stored.rows);
}
