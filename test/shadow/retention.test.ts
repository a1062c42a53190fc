import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RETENTION_DEFAULTS } from '../../core/config.js';
import { DuckDbWarehouse } from '../../core/warehouse/duckdb/duckdb-warehouse.js';
import { applyRetention, expiredDays, retentionCutoffs } from '../../shadow/retention.js';
import { ensureShadowTables, LEGACY_SNAPSHOT_ROWS_TABLE, SNAPSHOTS_TABLE } from '../../shadow/shadow-tables.js';
import { makeTempDir, runCli } from '../helpers/cli.js';

describe('retention cutoffs', () => {
  it('keep today and the days before it, as many as configured in all', () => {
    expect(retentionCutoffs('2026-12-07', { rawDays: 1, stagedDays: 7, snapshotDays: 31, checkpointDays: 400 })).toEqual({
      raw: '2026-12-07',
      staged: '2026-12-01',
      snapshots: '2026-11-07',
      checkpoints: '2025-11-03',
    });
  });

  it('pick only well-formed day folders before the cutoff', () => {
    expect(expiredDays(['date=2026-11-01', 'date=2026-11-30', 'date=2026-12-01', 'date=junk', 'notes.txt', 'date=2026-11-30.tmp'], '2026-12-01')).toEqual(['2026-11-01', '2026-11-30']);
  });
});

/** A day folder of a workspace tree, holding one client file. */
function dayFolder(root: string, day: string, file = 'client=acme.jsonl.gz'): string {
  const dir = join(root, `date=${day}`, 'platform=ga4');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, file), 'x');
  return join(root, `date=${day}`);
}

async function seedSnapshots(warehouse: DuckDbWarehouse, days: readonly string[]): Promise<void> {
  await ensureShadowTables(warehouse);
  for (const day of days) {
    await warehouse.run(`INSERT INTO ${LEGACY_SNAPSHOT_ROWS_TABLE} (snapshot_id, client_id, date, platform, account_id, campaign_id, currency, spend) VALUES (?, 'acme', CAST(? AS DATE), 'ga4', '1', '2', 'USD', 1.5)`, [`s-${day}`, day]);
    await warehouse.run(`INSERT INTO ${SNAPSHOTS_TABLE} (snapshot_id, client_id, date, source, rows, taken_at) VALUES (?, 'acme', CAST(? AS DATE), 'legacy.csv', 1, now())`, [`s-${day}`, day]);
  }
}

describe('applying retention to a workspace', () => {
  let dir: ReturnType<typeof makeTempDir>;
  beforeEach(() => {
    dir = makeTempDir();
  });
  afterEach(() => dir.cleanup());

  it('counts on a dry run, then deletes only the days past each cutoff, files and snapshot rows, and a rerun finds nothing', async () => {
    const ws = join(dir.path, '.bosco');
    const oldRaw = dayFolder(join(ws, 'raw'), '2025-01-01');
    const oldShadowRaw = dayFolder(join(ws, 'raw-shadow'), '2025-01-02');
    const keptRaw = dayFolder(join(ws, 'raw'), '2026-12-01');
    const oldStaged = dayFolder(join(ws, 'staged-shadow'), '2026-11-01');
    const keptStaged = dayFolder(join(ws, 'staged'), '2026-11-20');
    const oldCheckpoint = join(ws, 'shadow', 'checkpoints', 'date=2026-10-01');
    mkdirSync(oldCheckpoint, { recursive: true });
    writeFileSync(join(oldCheckpoint, 'client=acme.json'), '{}');
    const warehouse = await DuckDbWarehouse.open({ path: join(ws, 'warehouse.duckdb') });
    try {
      await seedSnapshots(warehouse, ['2025-06-01', '2026-12-01']);
      const today = '2026-12-07';
      const dry = await applyRetention(warehouse, ws, RETENTION_DEFAULTS, today, { dryRun: true });
      expect(dry.files).toEqual({ raw: { days: 2, files: 2 }, staged: { days: 1, files: 1 }, checkpoints: { days: 1, files: 1 } });
      expect(dry.rows).toEqual({ [LEGACY_SNAPSHOT_ROWS_TABLE]: 1, [SNAPSHOTS_TABLE]: 1 });
      expect([oldRaw, oldShadowRaw, oldStaged, oldCheckpoint].every(existsSync)).toBe(true);

      const applied = await applyRetention(warehouse, ws, RETENTION_DEFAULTS, today, { dryRun: false });
      expect(applied.files).toEqual(dry.files);
      expect([oldRaw, oldShadowRaw, oldStaged, oldCheckpoint].some(existsSync)).toBe(false);
      expect([keptRaw, keptStaged].every(existsSync)).toBe(true);
      expect(await warehouse.query(`SELECT CAST(date AS VARCHAR) AS date FROM ${LEGACY_SNAPSHOT_ROWS_TABLE}`)).toEqual([{ date: '2026-12-01' }]);

      const again = await applyRetention(warehouse, ws, RETENTION_DEFAULTS, today, { dryRun: false });
      expect(again.files).toEqual({ raw: { days: 0, files: 0 }, staged: { days: 0, files: 0 }, checkpoints: { days: 0, files: 0 } });
      expect(again.rows).toEqual({});
    } finally {
      await warehouse.close();
    }
  });

  it('bosco retention apply refuses a retention of zero days with one clear line naming the field', async () => {
    writeFileSync(join(dir.path, 'bosco.config.json'), JSON.stringify({ retention: { rawDays: 0 } }));
    const result = await runCli(['retention', 'apply'], { cwd: dir.path });
    expect(result.code).toBe(2);
    expect(result.stderr.split('\n')[0]).toMatch(/retention\.rawDays/);
  });
});
