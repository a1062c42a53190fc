import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalEventLog } from '../../core/bus/local/local-event-log.js';
import { parseConfig, type LoadedConfig } from '../../core/config.js';
import { PLATFORMS } from '../../core/metric-row.js';
import { resolveReportDate } from '../../core/dates.js';
import { LocalStageStore } from '../../flags/local/local-stage-store.js';
import { DuckDbWarehouse } from '../../core/warehouse/duckdb/duckdb-warehouse.js';
import { planFetch } from '../../new-pipeline/fetch/fetch-plan.js';
import { runFetch } from '../../new-pipeline/fetch/run-fetch.js';
import { importFxRates } from '../../new-pipeline/load/fx-rates.js';
import { SERVING_TABLES } from '../../new-pipeline/load/pipeline-tables.js';
import { loadDay, transformDay } from '../../new-pipeline/run/run-pipeline.js';
import { simFxRatesCsv } from '../../new-pipeline/simulator/fx.js';
import { startSimulator, type RunningSimulator } from '../../new-pipeline/simulator/server.js';
import { ensureShadowTables, SHADOW_RUNS_TABLE, SHADOW_TABLES, SLA_TABLE } from '../../shadow/shadow-tables.js';
import { SHADOW_TOPIC } from '../../shadow/run-client-day.js';
import { makeTempDir, REPO_ROOT, runCli } from '../helpers/cli.js';

/** Yesterday, so promotion gates (decided on today) can count it as a final day. */
const DATE = resolveReportDate('yesterday', 'UTC');
const CLIENTS = 6;
const platforms = PLATFORMS.filter((p) => p !== 'tiktok_ads');
const clients = Array.from({ length: CLIENTS }, (_, i) => ({
  id: `client-${i + 1}`,
  currency: 'USD',
  accounts: platforms.map((platform) => ({ platform, accountId: platform === 'shopify' ? `shop${i + 1}` : `${i + 1}00${PLATFORMS.indexOf(platform)}` })),
}));
const tokens = Object.fromEntries(PLATFORMS.map((p) => [`BOSCO_${p.toUpperCase()}_TOKEN`, 'sim-token']));

/** `bosco shadow run` as an operator runs it, killed mid-way and resumed. */
describe('bosco shadow run', () => {
  const root = makeTempDir();
  let sim: RunningSimulator;
  let legacyCsv: string;

  /** A workspace with its own config, FX rates and the shared legacy file. */
  async function workspace(name: string): Promise<string> {
    const dir = join(root.path, name);
    const limits = { requestsPerSecond: 500, burst: 100, perAccountRequestsPerSecond: 500 };
    // Gates count a day as final at once, and need one clean day: enough to see a promotion pass on real evidence.
    const flags = { restatementDays: Object.fromEntries(PLATFORMS.map((p) => [p, 0])), gates: { live: { cleanDays: 1, requireSla: false } } };
    const config = { workspace: '.bosco', clients, sources: { legacy: legacyCsv }, platforms: Object.fromEntries(PLATFORMS.map((p) => [p, { baseUrl: sim.url, limits }])), shadow: { concurrency: 1 }, flags };
    const { mkdirSync } = await import('node:fs');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'bosco.config.json'), JSON.stringify(config));
    writeFileSync(join(dir, 'rates.csv'), simFxRatesCsv(DATE, DATE));
    expect((await runCli(['fx', 'import', 'rates.csv'], { cwd: dir })).code).toBe(0);
    const stages = new LocalStageStore(join(dir, '.bosco', 'flags', 'stages.json'));
    for (const client of clients) await stages.set({ clientId: client.id, stage: 'shadow', expectedVersion: undefined });
    return dir;
  }

  async function shadowState(dir: string) {
    const warehouse = await DuckDbWarehouse.open({ path: join(dir, '.bosco', 'warehouse.duckdb') });
    try {
      return {
        rows: await warehouse.query(`SELECT * FROM ${SHADOW_TABLES.metricRows} ORDER BY ALL`),
        outcomes: await warehouse.query(`SELECT client_id, status FROM (SELECT *, row_number() OVER (PARTITION BY client_id ORDER BY finished_at DESC) AS n FROM ${SHADOW_RUNS_TABLE}) WHERE n = 1 ORDER BY client_id`),
      };
    } finally {
      await warehouse.close();
    }
  }

  beforeAll(async () => {
    Object.assign(process.env, tokens);
    sim = await startSimulator();
    // The legacy side: what the new pipeline itself makes of the day, written to CSV, so every client matches.
    const config = parseConfig({ clients, platforms: Object.fromEntries(PLATFORMS.map((p) => [p, { baseUrl: sim.url }])) }, 'test');
    const scratch = join(root.path, 'legacy');
    const loaded = { config, workspaceDir: scratch, warehousePath: join(scratch, 'w.duckdb') } as LoadedConfig;
    const warehouse = await DuckDbWarehouse.open({ path: loaded.warehousePath });
    try {
      writeFileSync(join(root.path, 'rates.csv'), simFxRatesCsv(DATE, DATE));
      await importFxRates(warehouse, join(root.path, 'rates.csv'));
      await runFetch(planFetch(loaded, DATE, 'legacy'));
      const context = { config, workspaceDir: scratch, warehouse, bus: new LocalEventLog(join(scratch, 'events')), tables: SERVING_TABLES, runId: 'legacy' };
      await transformDay(context, DATE);
      await loadDay(context, DATE);
      legacyCsv = join(root.path, 'legacy.csv');
      await warehouse.run(`COPY ${SERVING_TABLES.metricRows} TO '${legacyCsv}' (HEADER)`);
    } finally {
      await warehouse.close();
    }
  }, 60_000);
  afterAll(async () => {
    for (const name of Object.keys(tokens)) delete process.env[name];
    await sim.close();
    root.cleanup();
  });

  it('ends a run killed with SIGKILL mid-way and resumed in the same state as an uninterrupted run', async () => {
    const clean = await workspace('clean');
    const straight = await runCli(['shadow', 'run', '--date', DATE, '--format', 'json'], { cwd: clean, env: tokens, timeoutMs: 120_000 });
    expect(straight.code, straight.stdout.slice(0, 3000) + straight.stderr).toBe(0);

    const crashed = await workspace('crashed');
    const child = spawn(process.execPath, [join(REPO_ROOT, 'bin/bosco.js'), 'shadow', 'run', '--date', DATE], { cwd: crashed, env: { ...process.env, ...tokens, BOSCO_LOG_LEVEL: 'silent' }, stdio: 'ignore' });
    const exited = new Promise((resolve) => child.on('exit', resolve));
    const checkpoints = join(crashed, '.bosco', 'shadow', 'checkpoints', `date=${DATE}`);
    const finished = () => (existsSync(checkpoints) ? readdirSync(checkpoints).filter((f) => f.endsWith('.json') && readFileSync(join(checkpoints, f), 'utf8').includes('"reconcile"')).length : 0);
    const deadline = Date.now() + 90_000;
    while (finished() < 2 && Date.now() < deadline) await sleep(20);
    child.kill('SIGKILL');
    await exited;
    const finishedBeforeKill = finished();
    expect(finishedBeforeKill).toBeGreaterThanOrEqual(2);
    expect(finishedBeforeKill).toBeLessThan(CLIENTS);

    const resumed = await runCli(['shadow', 'run', '--date', DATE, '--resume', '--format', 'json'], { cwd: crashed, env: tokens, timeoutMs: 120_000 });
    expect(resumed.code, resumed.stderr).toBe(0);
    const results = JSON.parse(resumed.stdout).days[0].results as Array<{ ran: string[] }>;
    expect(results.filter((r) => r.ran.length === 0).length).toBe(finishedBeforeKill);

    const [a, b] = [await shadowState(clean), await shadowState(crashed)];
    expect(b.rows).toEqual(a.rows);
    expect(b.outcomes).toEqual(a.outcomes);
    expect(a.outcomes).toHaveLength(CLIENTS);

    // Each client's day was complete when its new side loaded: hit or miss against 08:00 today in its zone.
    const sla = await runCli(['sla', 'report', '--from', DATE, '--to', DATE, '--format', 'json'], { cwd: clean });
    const rates = JSON.parse(sla.stdout).clients as Array<{ client_id: string; met: number; missed: number; hit_rate: number | null }>;
    expect(rates.map((r) => r.client_id)).toEqual(clients.map((c) => c.id));
    expect(rates.every((r) => r.met + r.missed === 1)).toBe(true);
    expect(sla.code).toBe(rates.some((r) => r.missed > 0) ? 1 : 0);

    // The clean run is the evidence a promotion needs: client-1 may go live; a client with no shadow day may not.
    const promoted = await runCli(['flags', 'promote', 'client-1', '--reason', 'one clean final day', '--actor', 'ops-test'], { cwd: clean });
    expect(promoted.code, promoted.stdout + promoted.stderr).toBe(0);
    expect(promoted.stdout).toMatch(/PASS clean-streak: 1 consecutive final days reconciled clean/);
    expect(promoted.stdout).toMatch(/client-1: shadow → live/);
    // Going live publishes the client's verified shadow history to the serving tables.
    const published = await DuckDbWarehouse.open({ path: join(clean, '.bosco', 'warehouse.duckdb') });
    try {
      const rows = (table: string) => published.query(`SELECT * FROM ${table} WHERE client_id = 'client-1' ORDER BY ALL`);
      const served = await rows(SERVING_TABLES.metricRows);
      expect(served.length).toBeGreaterThan(0);
      expect(served).toEqual(await rows(SHADOW_TABLES.metricRows));
    } finally {
      await published.close();
    }

    // Complete needs 14 clean days (the default gate): one is not enough, and nothing changes.
    const refused = await runCli(['flags', 'promote', 'client-1', '--reason', 'straight to complete'], { cwd: clean });
    expect(refused.code).toBe(1);
    expect(refused.stdout).toMatch(/FAIL clean-streak: 1 of 14/);
    expect((await runCli(['flags', 'get', 'client-1'], { cwd: clean })).stdout).toBe('client-1: live\n');
  }, 240_000);

  it('spreads a dispatched day over three worker processes, each client run exactly once', async () => {
    const dir = await workspace('workers');
    const dispatched = await runCli(['shadow', 'run', '--date', DATE, '--dispatch', '--format', 'json'], { cwd: dir, env: tokens });
    expect(dispatched.code, dispatched.stderr).toBe(0);
    expect(JSON.parse(dispatched.stdout)).toMatchObject({ topic: 'shadow.jobs', jobs: CLIENTS });
    const workers = await Promise.all([1, 2, 3].map(() => runCli(['worker', '--idle-exit', '3'], { cwd: dir, env: tokens, timeoutMs: 180_000 })));
    for (const worker of workers) expect(worker.code, worker.stderr).toBe(0);
    const done = workers.map((w) => Number(/(\d+) job\(s\) done/.exec(w.stdout)?.[1]));
    expect(done.reduce((a, b) => a + b, 0)).toBe(CLIENTS);
    expect(done.filter((n) => n > 0).length, `jobs done per worker: ${done.join(', ')}`).toBeGreaterThan(1);
    // shadow_runs keeps one row per client, day and run, so a second run of a job would replace the first there:
    // the event log, which appends every execution, is what shows each client was reconciled exactly once.
    const events = await new LocalEventLog(join(dir, '.bosco', 'events')).read<{ client_id?: string }>(SHADOW_TOPIC);
    const reconciled = events.filter((e) => e.type === 'reconcile.completed').map((e) => String(e.data.client_id)).sort();
    expect(reconciled).toEqual(clients.map((c) => c.id));
    const warehouse = await DuckDbWarehouse.open({ path: join(dir, '.bosco', 'warehouse.duckdb') });
    try {
      const runs = await warehouse.query(`SELECT client_id, count(*) AS n, min(status) AS status FROM ${SHADOW_RUNS_TABLE} GROUP BY client_id ORDER BY client_id`);
      expect(runs).toEqual(clients.map((c) => ({ client_id: c.id, n: 1, status: 'pass' })));
    } finally {
      await warehouse.close();
    }
  }, 240_000);

  it('records as missed, with one sla.missed, an earlier day that failed before its deadline and was never rerun', async () => {
    const dir = await workspace('overdue');
    const warehouse = await DuckDbWarehouse.open({ path: join(dir, '.bosco', 'warehouse.duckdb') });
    try {
      await ensureShadowTables(warehouse);
      await warehouse.replacePartition(SLA_TABLE, { client_id: 'client-2', date: '2026-01-05' }, [{ time_zone: 'UTC', deadline: '2026-01-06T08:00:00.000Z', completed_at: null, status: 'pending' }]);
    } finally {
      await warehouse.close();
    }
    const run = await runCli(['shadow', 'run', '--date', DATE, '--client', 'client-1'], { cwd: dir, env: tokens, timeoutMs: 120_000 });
    expect(run.code, run.stderr).toBe(0);
    const events = await new LocalEventLog(join(dir, '.bosco', 'events')).read<{ client_id?: string; date?: string }>(SHADOW_TOPIC);
    // The run's own day may be missed too, depending on the hour this test runs: only the seeded day is checked.
    expect(events.filter((e) => e.type === 'sla.missed' && e.data.date === '2026-01-05').map((e) => e.data.client_id)).toEqual(['client-2']);
  }, 120_000);

  it('refuses a client that is not in shadow, and a backfill range given backwards', async () => {
    const dir = await workspace('refusals');
    const unknown = await runCli(['shadow', 'run', '--date', DATE, '--client', 'nobody'], { cwd: dir });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/client 'nobody' is not in the config/);
    const backwards = await runCli(['shadow', 'backfill', '--from', DATE, '--to', '2026-11-01'], { cwd: dir });
    expect(backwards.code).toBe(2);
    expect(backwards.stderr).toMatch(/is after --to/);
  }, 60_000);
});
