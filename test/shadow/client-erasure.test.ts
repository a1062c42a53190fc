import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalEventLog } from '../../core/bus/local/local-event-log.js';
import { DuckDbWarehouse } from '../../core/warehouse/duckdb/duckdb-warehouse.js';
import { clientTables, ERASURE_TOPIC, isClientFile } from '../../shadow/client-erasure.js';
import { makeTempDir, runCli } from '../helpers/cli.js';

describe('which files are a client’s', () => {
  it('matches the client’s own encoded name only, never a client whose id starts the same', () => {
    expect(isClientFile('client=acme.jsonl.gz', 'acme')).toBe(true);
    expect(isClientFile('client=acme.json', 'acme')).toBe(true);
    expect(isClientFile('client=acme-retail.jsonl.gz', 'acme')).toBe(false);
    expect(isClientFile('client=a%2Fb.jsonl.gz', 'a/b')).toBe(true);
    expect(isClientFile('client=a/b.jsonl.gz', 'a/b')).toBe(false);
  });
});

/** Rows per table held for `clientId`, over every table the erasure covers that exists. */
async function rowsOf(workspace: string, clientId: string): Promise<Record<string, number>> {
  const warehouse = await DuckDbWarehouse.open({ path: join(workspace, '.bosco', 'warehouse.duckdb') });
  try {
    const counts: Record<string, number> = {};
    for (const { table, column } of clientTables()) {
      if ((await warehouse.describe(table)).length === 0) continue;
      const [row] = await warehouse.query(`SELECT count(*) AS n FROM ${table} WHERE ${column} = ?`, [clientId]);
      counts[table] = Number(row!.n);
    }
    return counts;
  } finally {
    await warehouse.close();
  }
}

function filesOf(workspace: string, clientId: string): string[] {
  return (readdirSync(join(workspace, '.bosco'), { recursive: true }) as string[]).filter((path) => path.split('/').pop()!.startsWith(`client=${clientId}.`));
}

/** A departed client erased from a workspace a demo dual run filled, as an operator does it. */
describe('bosco erase', () => {
  const dir = makeTempDir();
  const cli = (...args: string[]) => runCli(args, { cwd: dir.path, timeoutMs: 120_000 });

  beforeAll(async () => {
    const demo = await cli('demo', '--days', '1');
    expect(demo.code, demo.stderr).toBe(0);
  }, 150_000);
  afterAll(() => dir.cleanup());

  it('refuses a client still in the config, and an erasure without a reason, erasing nothing', async () => {
    const inConfig = await cli('erase', '--client', 'kestrel-home', '--reason', 'DPO-12');
    expect(inConfig.code).toBe(2);
    expect(inConfig.stderr).toMatch(/client 'kestrel-home' is still in the config/);
    const noReason = await cli('erase', '--client', 'kestrel-home');
    expect(noReason.code).toBe(2);
    expect(noReason.stderr).toMatch(/a reason is required/);
    expect((await rowsOf(dir.path, 'kestrel-home'))['shadow.metric_rows']).toBeGreaterThan(0);
  });

  it('counts on --dry-run, then erases every row and file of the client alone, and says so on the bus', async () => {
    const configPath = join(dir.path, 'bosco.config.json');
    const config = JSON.parse(readFileSync(configPath, 'utf8'));
    config.clients = config.clients.filter((c: { id: string }) => c.id !== 'kestrel-home');
    writeFileSync(configPath, JSON.stringify(config));
    const before = await rowsOf(dir.path, 'kestrel-home');
    const othersBefore = await rowsOf(dir.path, 'acme-retail');
    const files = filesOf(dir.path, 'kestrel-home');
    expect(files.length).toBeGreaterThan(0);

    const dry = await cli('erase', '--client', 'kestrel-home', '--dry-run', '--format', 'json');
    expect(dry.code, dry.stderr).toBe(0);
    const counted = JSON.parse(dry.stdout);
    expect(counted).toMatchObject({ client_id: 'kestrel-home', dry_run: true });
    expect(counted.rows).toEqual(Object.fromEntries(Object.entries(before).filter(([, n]) => n > 0)));
    expect(counted.rows['shadow.metric_rows']).toBeGreaterThan(0);
    expect(counted.rows['reconcile_results']).toBeGreaterThan(0);
    expect(counted.files).toHaveLength(files.length);
    expect(await rowsOf(dir.path, 'kestrel-home')).toEqual(before);

    const erased = await cli('erase', '--client', 'kestrel-home', '--reason', 'client left (DPO-12)', '--actor', 'dpo');
    expect(erased.code, erased.stderr).toBe(0);
    expect(erased.stdout).toMatch(/^erased client kestrel-home: \d+ row\(s\) in \d+ table\(s\), \d+ file\(s\)/);
    expect(Object.values(await rowsOf(dir.path, 'kestrel-home')).every((n) => n === 0)).toBe(true);
    expect(filesOf(dir.path, 'kestrel-home')).toEqual([]);
    expect(await rowsOf(dir.path, 'acme-retail')).toEqual(othersBefore);
    expect(filesOf(dir.path, 'acme-retail').length).toBeGreaterThan(0);

    const events = await new LocalEventLog(join(dir.path, '.bosco', 'events')).read<Record<string, unknown>>(ERASURE_TOPIC);
    expect(events.map((e) => [e.type, e.data.client_id, e.data.actor, e.data.reason])).toEqual([['client.erased', 'kestrel-home', 'dpo', 'client left (DPO-12)']]);

    const again = await cli('erase', '--client', 'kestrel-home', '--reason', 'client left (DPO-12)');
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/the workspace holds nothing of client 'kestrel-home'/);
  });
});
