import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalEventLog } from '../../core/bus/local/local-event-log.js';
import { parseConfig, type ClientConfig, type LoadedConfig } from '../../core/config.js';
import { METRIC_COLUMNS, PLATFORMS, type Platform } from '../../core/metric-row.js';
import { reconcile } from '../../reconcile/reconcile.js';
import { buildToleranceTable } from '../../reconcile/tolerance.js';
import { DuckDbWarehouse } from '../../core/warehouse/duckdb/duckdb-warehouse.js';
import type { Warehouse } from '../../core/warehouse/index.js';
import { planFetch } from '../../new-pipeline/fetch/fetch-plan.js';
import { runFetch } from '../../new-pipeline/fetch/run-fetch.js';
import { importFxRates } from '../../new-pipeline/load/fx-rates.js';
import { SERVING_TABLES } from '../../new-pipeline/load/pipeline-tables.js';
import { loadDay, transformDay } from '../../new-pipeline/run/run-pipeline.js';
import { simFxRatesCsv } from '../../new-pipeline/simulator/fx.js';
import { startSimulator, type RunningSimulator } from '../../new-pipeline/simulator/server.js';
import { auditHistory } from '../../flags/audit.js';
import { LocalStageStore } from '../../flags/local/local-stage-store.js';
import { CheckpointStore } from '../../shadow/checkpoints.js';
import { SHADOW_TOPIC, type ShadowEnvironment } from '../../shadow/run-client-day.js';
import { LEGACY_SNAPSHOT_TABLE, SHADOW_RUNS_TABLE, SHADOW_TABLES, SLA_TABLE } from '../../shadow/shadow-tables.js';
import { runShadowDay } from '../../shadow/shadow-run.js';
import { sharedWarehouse } from '../../core/warehouse/access.js';
import { writeFileSync } from 'node:fs';
import { makeTempDir } from '../helpers/cli.js';

const DATE = '2026-11-20';
const WITHOUT_TIKTOK = PLATFORMS.filter((p) => p !== 'tiktok_ads');

function clientFactory(index: number, platforms: readonly Platform[] = WITHOUT_TIKTOK): ClientConfig {
  return { id: `client-${index}`, currency: 'USD', accounts: platforms.map((platform) => ({ platform, accountId: platform === 'shopify' ? `shop${index}` : `${index}00${PLATFORMS.indexOf(platform)}` })) };
}

/**
 * The shadow run against the simulator, with a legacy side that is a copy of what the new pipeline served (so it
 * matches), then altered for one client. TikTok points at a port nothing listens on, so its only client fails.
 */
describe('shadow run', () => {
  const dir = makeTempDir();
  let sim: RunningSimulator;
  let warehouse: Warehouse;
  let loaded: LoadedConfig;
  let env: ShadowEnvironment;
  const clients = [clientFactory(1), clientFactory(2), clientFactory(3), clientFactory(4, ['tiktok_ads'])];
  const inShadow = () => clients.map((c) => ({ ...c, stage: 'shadow' as const }));
  const tokens = Object.fromEntries(PLATFORMS.map((p) => [`BOSCO_${p.toUpperCase()}_TOKEN`, 'sim-token']));

  beforeAll(async () => {
    Object.assign(process.env, tokens);
    sim = await startSimulator();
    const fast = { requestsPerSecond: 500, burst: 100, perAccountRequestsPerSecond: 500, timeoutMs: 1_000, backoffBaseMs: 5, backoffMaxMs: 20, maxRetries: 1 };
    const platforms = Object.fromEntries(PLATFORMS.map((p) => [p, { baseUrl: p === 'tiktok_ads' ? 'http://127.0.0.1:1' : sim.url, limits: fast }]));
    const config = parseConfig({ clients, platforms }, 'test');
    loaded = { config, file: undefined, workspaceDir: dir.path, warehousePath: join(dir.path, 'warehouse.duckdb') } as LoadedConfig;
    warehouse = await DuckDbWarehouse.open({ path: loaded.warehousePath });
    writeFileSync(join(dir.path, 'rates.csv'), simFxRatesCsv(DATE, DATE));
    await importFxRates(warehouse, join(dir.path, 'rates.csv'));

    // What the legacy system would hold: the new pipeline's own numbers, served; then one client altered.
    const bus = new LocalEventLog(join(dir.path, 'events'));
    const served = { clients: ['client-1', 'client-2', 'client-3'] };
    await runFetch({ ...planFetch(loaded, DATE, 'serve', served) });
    const context = { config, workspaceDir: dir.path, warehouse, bus, tables: SERVING_TABLES, runId: 'serve' };
    await transformDay(context, DATE);
    await loadDay(context, DATE);
    await warehouse.run(`CREATE TABLE legacy_copy AS SELECT * FROM ${SERVING_TABLES.metricRows}`);
    await warehouse.run(`UPDATE legacy_copy SET spend = spend + 5 WHERE client_id = 'client-2' AND campaign_id = (SELECT min(campaign_id) FROM legacy_copy WHERE client_id = 'client-2' AND spend IS NOT NULL)`);

    const stages = new LocalStageStore(join(dir.path, 'flags', 'stages.json'));
    for (const client of clients) await stages.set({ clientId: client.id, stage: 'shadow', expectedVersion: undefined });
    env = {
      loaded,
      warehouse: sharedWarehouse(warehouse),
      bus,
      stages,
      checkpoints: new CheckpointStore(join(dir.path, 'checkpoints')),
      legacy: { uri: 'warehouse:legacy_copy' },
    };
  }, 60_000);
  afterAll(async () => {
    for (const name of Object.keys(tokens)) delete process.env[name];
    await warehouse.close();
    await sim.close();
    dir.cleanup();
  });

  it('reconciles each client apart: clean ones pass, the altered one fails, the unreachable one errors alone', async () => {
    const servedBefore = await warehouse.query(`SELECT count(*) AS n, sum(spend) AS spend FROM ${SERVING_TABLES.metricRows}`);
    const summary = await runShadowDay(env, { date: DATE, clients: inShadow(), concurrency: 2, resume: false });
    const byClient = Object.fromEntries(summary.results.map((r) => [r.clientId, r]));
    expect(byClient['client-1']!.status).toBe('pass');
    expect(byClient['client-3']!.status).toBe('pass');
    expect(byClient['client-2']!.status).toBe('fail');
    expect(byClient['client-4']!.status).toBe('error');
    expect(byClient['client-4']!.error).toMatch(/tiktok_ads/);

    // The shadow run wrote its own namespace only.
    expect(await warehouse.query(`SELECT count(*) AS n, sum(spend) AS spend FROM ${SERVING_TABLES.metricRows}`)).toEqual(servedBefore);
    const [shadowRows] = await warehouse.query(`SELECT count(*) AS n FROM ${SHADOW_TABLES.metricRows}`);
    expect(Number(shadowRows!.n)).toBe(Number(servedBefore[0]!.n));

    const runs = await warehouse.query(`SELECT client_id, status, reconcile_run_id, legacy_snapshot_id FROM ${SHADOW_RUNS_TABLE} ORDER BY client_id`);
    expect(runs.map((r) => [r.client_id, r.status])).toEqual([['client-1', 'pass'], ['client-2', 'fail'], ['client-3', 'pass']]);
    const [history] = await warehouse.query(`SELECT count(*) AS n FROM reconcile_runs WHERE run_id IN (SELECT reconcile_run_id FROM ${SHADOW_RUNS_TABLE})`);
    expect(Number(history!.n)).toBe(3);
    const sla = await warehouse.query(`SELECT client_id, status FROM ${SLA_TABLE} ORDER BY client_id`);
    expect(sla.map((r) => r.client_id)).toEqual(['client-1', 'client-2', 'client-3']);

    const events = await (env.bus as unknown as LocalEventLog).read<{ client_id?: string }>(SHADOW_TOPIC);
    expect(events.filter((e) => e.type === 'reconcile.completed').map((e) => e.data.client_id).sort()).toEqual(['client-1', 'client-2', 'client-3']);
  });

  it('repeats nothing that finished when resumed, and gives the same answer', async () => {
    const summary = await runShadowDay(env, { date: DATE, clients: inShadow(), concurrency: 2, resume: true });
    const byClient = Object.fromEntries(summary.results.map((r) => [r.clientId, r]));
    for (const id of ['client-1', 'client-2', 'client-3']) expect(byClient[id]!.ran).toEqual([]);
    expect(byClient['client-2']!.status).toBe('fail');
    // Only the client that never finished ran again, from its first step.
    expect(byClient['client-4']!.ran).toEqual([]);
    expect(byClient['client-4']!.status).toBe('error');
  });

  it('reconciles against the legacy snapshot, so a later change to legacy does not change the answer', async () => {
    await warehouse.run(`UPDATE legacy_copy SET spend = spend + 100 WHERE client_id = 'client-1'`);
    const again = (legacy: string) =>
      reconcile(warehouse, {
        date: DATE, clientId: 'client-1', legacy: { uri: legacy }, next: { uri: `warehouse:${SHADOW_TABLES.metricRows}` },
        tolerances: buildToleranceTable([...METRIC_COLUMNS], {}, {}), scratchDir: join(dir.path, 'tmp'),
      });
    expect((await again(`warehouse:${LEGACY_SNAPSHOT_TABLE}`)).status).toBe('pass');
    expect((await again('warehouse:legacy_copy')).status).toBe('fail');
  });

  it('moves a live client whose reverse-shadow reconcile fails back to shadow, when its config opts in', async () => {
    const live = (await env.stages.get('client-2'))!;
    await env.stages.set({ clientId: 'client-2', stage: 'live', expectedVersion: live.version });
    const optedIn = { ...env, loaded: { ...loaded, config: { ...loaded.config, flags: { ...loaded.config.flags, autoRollback: { 'client-2': { maxFailingMetrics: 0 } } } } } };
    const summary = await runShadowDay(optedIn, { date: DATE, clients: [{ ...clients[1]!, stage: 'live' }], concurrency: 1, resume: false });
    expect(summary.results[0]!.status).toBe('fail');
    expect((await env.stages.get('client-2'))?.stage).toBe('shadow');
    const audit = await auditHistory(warehouse, 'client-2');
    expect(audit.at(-1)).toMatchObject({ action: 'auto-rollback', from_stage: 'live', to_stage: 'shadow', actor: 'bosco shadow run' });
    expect(audit.at(-1)!.reason).toMatch(/reverse-shadow reconcile rc-\S+ on 2026-11-20 failed: spend/);
    // Live, the new side loaded into the serving tables, which is what the reconcile compared.
    const events = await (env.bus as unknown as LocalEventLog).read<{ client_id?: string }>(SHADOW_TOPIC);
    expect(events.filter((e) => e.type === 'client.rolled_back').map((e) => e.data.client_id)).toEqual(['client-2']);
  });
});
