import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig, type LoadedConfig } from '../../../core/config.js';
import { openWarehouseWaiting, warehouseWhileBusy } from '../../../core/warehouse/access.js';
import { makeTempDir, REPO_ROOT } from '../../helpers/cli.js';

const run = promisify(execFile);

/** Whether another process can open the DuckDB file now (DuckDB admits one process at a time). */
async function anotherProcessCanOpen(path: string): Promise<boolean> {
  const script = `const { DuckDBInstance } = require('@duckdb/node-api'); DuckDBInstance.create(${JSON.stringify(path)}).then(() => process.exit(0), () => process.exit(1));`;
  return run(process.execPath, ['-e', script], { cwd: REPO_ROOT, timeout: 20_000 }).then(() => true, () => false);
}

describe('a warehouse held while busy', () => {
  let dir: ReturnType<typeof makeTempDir>;
  let loaded: LoadedConfig;
  beforeEach(async () => {
    dir = makeTempDir();
    loaded = await loadConfig({ cwd: dir.path });
  });
  afterEach(() => dir.cleanup());

  it('runs uses one at a time on one open warehouse, and lets the file go once idle', async () => {
    const access = warehouseWhileBusy(loaded, { idleMs: 300 });
    try {
      const order: string[] = [];
      await Promise.all(['a', 'b', 'c'].map((name) => access.use(async (w) => {
        order.push(`${name} in`);
        await w.run('CREATE TABLE IF NOT EXISTS t (x INTEGER)');
        await sleep(20);
        order.push(`${name} out`);
      })));
      expect(order).toEqual(['a in', 'a out', 'b in', 'b out', 'c in', 'c out']);
      expect(await anotherProcessCanOpen(loaded.warehousePath)).toBe(false);
      await sleep(600);
      expect(await anotherProcessCanOpen(loaded.warehousePath)).toBe(true);
      // The next use opens it again and sees what the first ones wrote.
      expect(await access.use((w) => w.query('SELECT count(*) AS n FROM t'))).toEqual([{ n: 0 }]);
    } finally {
      await access.close();
    }
    expect(await anotherProcessCanOpen(loaded.warehousePath)).toBe(true);
  });

  it('waits for a file another process holds, and fails with WORKSPACE_LOCKED once the wait is over', async () => {
    await (await openWarehouseWaiting(loaded)).close();
    // Another process holds the file for a while, as a busy `bosco serve` would, then lets it go.
    const holdFor = (ms: number) => {
      const script = `const { DuckDBInstance } = require('@duckdb/node-api'); DuckDBInstance.create(${JSON.stringify(loaded.warehousePath)}).then(() => { console.log('held'); setTimeout(() => process.exit(0), ${ms}); });`;
      const child = spawn(process.execPath, ['-e', script], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
      return new Promise<ReturnType<typeof spawn>>((resolve) => child.stdout!.once('data', () => resolve(child)));
    };
    const short = await holdFor(1_500);
    const started = Date.now();
    const warehouse = await openWarehouseWaiting(loaded, 20_000);
    expect(Date.now() - started).toBeGreaterThan(500);
    await warehouse.close();
    short.kill();

    const long = await holdFor(20_000);
    try {
      await expect(openWarehouseWaiting(loaded, 300)).rejects.toMatchObject({ code: 'WORKSPACE_LOCKED' });
    } finally {
      long.kill();
    }
  });
});
