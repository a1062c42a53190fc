import { createHash } from 'node:crypto';
import { join, sep } from 'node:path';
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
import { LEGACY_SNAPSHOT_ROWS_TABLE, LEGACY_SNAPSHOT_TABLE, SHADOW_RUNS_TABLE, SHADOW_TABLES, SLA_TABLE } from '../../shadow/shadow-tables.js';
import { restoreLegacySnapshot } from '../../shadow/legacy-snapshot.js';
import { rawRoot } from '../../new-pipeline/landing/raw-landing.js';
import { runShadowDay } from '../../shadow/shadow-run.js';
import { sharedWarehouse } from '../../core/warehouse/access.js';
import { readFileSync, writeFileSync } from 'node:fs';
import { makeTempDir } from '../helpers/cli.js';

const DATE = '2026-11-20';
const sha256Of = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');
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

    const runs = await warehouse.query(`SELECT client_id, status, reconcile_run_id, legacy_snapshot_id, new_lineage_run_id, error FROM ${SHADOW_RUNS_TABLE} ORDER BY client_id`);
    expect(runs.map((r) => [r.client_id, r.status])).toEqual([['client-1', 'pass'], ['client-2', 'fail'], ['client-3', 'pass'], ['client-4', 'failed']]);
    expect(runs.slice(0, 3).every((r) => r.new_lineage_run_id === summary.shadowRunId && r.error === null)).toBe(true);
    // The client that could not run is on record, with why, and no reconcile or lineage to link.
    expect(runs[3]).toMatchObject({ reconcile_run_id: null, legacy_snapshot_id: null, new_lineage_run_id: null });
    expect(runs[3]!.error).toMatch(/tiktok_ads/);
    const [history] = await warehouse.query(`SELECT count(*) AS n FROM reconcile_runs WHERE run_id IN (SELECT reconcile_run_id FROM ${SHADOW_RUNS_TABLE})`);
    expect(Number(history!.n)).toBe(3);
    // Its day never completed and its 08:00 deadline is long past: a miss, said once.
    const sla = await warehouse.query(`SELECT client_id, status, completed_at FROM ${SLA_TABLE} ORDER BY client_id`);
    expect(sla.map((r) => r.client_id)).toEqual(['client-1', 'client-2', 'client-3', 'client-4']);
    expect(sla[3]).toMatchObject({ status: 'missed', completed_at: null });

    const events = await (env.bus as unknown as LocalEventLog).read<{ client_id?: string }>(SHADOW_TOPIC);
    expect(events.filter((e) => e.type === 'reconcile.completed').map((e) => e.data.client_id).sort()).toEqual(['client-1', 'client-2', 'client-3']);
    expect(events.filter((e) => e.type === 'sla.missed').map((e) => e.data.client_id)).toContain('client-4');
    // A past day cannot be at risk: it is met or missed.
    expect(events.filter((e) => e.type === 'sla.at_risk')).toEqual([]);
  });

  it('lands its payloads in a raw tree of its own: the serving lineage still hashes to its files, and the shadow lineage to its own', async () => {
    const files = async (table: string) => {
      const rows = await warehouse.query(`SELECT raw_path, raw_sha256 FROM ${table} WHERE client_id IN ('client-1', 'client-2', 'client-3')`);
      expect(rows.length).toBeGreaterThan(0);
      for (const row of rows) expect(sha256Of(String(row.raw_path)), String(row.raw_path)).toBe(row.raw_sha256);
      return rows.map((row) => String(row.raw_path));
    };
    expect((await files(SERVING_TABLES.lineage)).every((path) => path.startsWith(rawRoot(dir.path) + sep))).toBe(true);
    expect((await files(SHADOW_TABLES.lineage)).every((path) => path.startsWith(rawRoot(dir.path, 'shadow') + sep))).toBe(true);
  });

  it('repeats nothing that finished when resumed, and gives the same answer', async () => {
    const summary = await runShadowDay(env, { date: DATE, clients: inShadow(), concurrency: 2, resume: true });
    const byClient = Object.fromEntries(summary.results.map((r) => [r.clientId, r]));
    for (const id of ['client-1', 'client-2', 'client-3']) expect(byClient[id]!.ran).toEqual([]);
    expect(byClient['client-2']!.status).toBe('fail');
    // Only the client that never finished ran again, from its first step.
    expect(byClient['client-4']!.ran).toEqual([]);
    expect(byClient['client-4']!.status).toBe('error');
    const failures = await warehouse.query(`SELECT shadow_run_id FROM ${SHADOW_RUNS_TABLE} WHERE client_id = 'client-4' AND status = 'failed'`);
    expect(failures.map((r) => r.shadow_run_id)).toContain(summary.shadowRunId);
    const events = await (env.bus as unknown as LocalEventLog).read<{ client_id?: string }>(SHADOW_TOPIC);
    expect(events.filter((e) => e.type === 'sla.missed' && e.data.client_id === 'client-4')).toHaveLength(1);
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
    // Live, its payloads are the serving side's: they landed in the serving raw tree, where its lineage points.
    const lineage = await warehouse.query(`SELECT raw_path, raw_sha256 FROM ${SERVING_TABLES.lineage} WHERE client_id = 'client-2' AND run_id = ?`, [summary.shadowRunId]);
    expect(lineage.length).toBeGreaterThan(0);
    for (const row of lineage) {
      expect(String(row.raw_path).startsWith(rawRoot(dir.path) + sep)).toBe(true);
      expect(sha256Of(String(row.raw_path))).toBe(row.raw_sha256);
    }
  });

  it('links a resumed day to the run that loaded its new side, not to the run that finished it', async () => {
    const client = { ...clients[2]!, stage: 'shadow' as const };
    const first = await runShadowDay(env, { date: DATE, clients: [client], concurrency: 1, resume: false, shadowRunId: 'sh-loaded' });
    expect(first.results[0]!.status).toBe('pass');
    // As if the first run had died after its load: only the new side's steps are checkpointed.
    const done = env.checkpoints.read(client.id, DATE);
    const crashed = new CheckpointStore(join(dir.path, 'crashed-checkpoints'));
    for (const step of ['new.fetch', 'new.load'] as const) crashed.record(client.id, DATE, step, done[step]!.detail);
    const resumed = await runShadowDay({ ...env, checkpoints: crashed }, { date: DATE, clients: [client], concurrency: 1, resume: true, shadowRunId: 'sh-resumed' });
    expect(resumed.results[0]!.ran).toEqual(['legacy.snapshot', 'reconcile']);
    const [row] = await warehouse.query(`SELECT new_lineage_run_id FROM ${SHADOW_RUNS_TABLE} WHERE client_id = ? AND shadow_run_id = 'sh-resumed'`, [client.id]);
    expect(row!.new_lineage_run_id).toBe('sh-loaded');
    const lineage = await warehouse.query(`SELECT DISTINCT run_id FROM ${SHADOW_TABLES.lineage} WHERE client_id = ? AND date = CAST(? AS DATE)`, [client.id, DATE]);
    expect(lineage.map((r) => r.run_id)).toContain('sh-loaded');
  });

  it('keeps every legacy snapshot by its id, stores an unchanged one once, and reconciles the snapshot its run recorded', async () => {
    const client = { ...clients[2]!, stage: 'shadow' as const };
    const snapshotOf = async (shadowRunId: string) => {
      const [row] = await warehouse.query(`SELECT legacy_snapshot_id, reconcile_status FROM ${SHADOW_RUNS_TABLE} WHERE client_id = ? AND shadow_run_id = ?`, [client.id, shadowRunId]);
      return row as { legacy_snapshot_id: string; reconcile_status: string };
    };
    const storedRows = async (snapshotId: string) =>
      Number((await warehouse.query(`SELECT count(*) AS n FROM ${LEGACY_SNAPSHOT_ROWS_TABLE} WHERE snapshot_id = ?`, [snapshotId]))[0]!.n);

    await runShadowDay(env, { date: DATE, clients: [client], concurrency: 1, resume: false, shadowRunId: 'sh-before' });
    await runShadowDay(env, { date: DATE, clients: [client], concurrency: 1, resume: false, shadowRunId: 'sh-unchanged' });
    const before = await snapshotOf('sh-before');
    expect(before.reconcile_status).toBe('pass');
    expect((await snapshotOf('sh-unchanged')).legacy_snapshot_id).toBe(before.legacy_snapshot_id);
    const rows = await storedRows(before.legacy_snapshot_id);
    expect(rows).toBeGreaterThan(0);

    await warehouse.run(`UPDATE legacy_copy SET spend = spend + 7 WHERE client_id = ? AND spend IS NOT NULL`, [client.id]);
    await runShadowDay(env, { date: DATE, clients: [client], concurrency: 1, resume: false, shadowRunId: 'sh-after' });
    const after = await snapshotOf('sh-after');
    expect(after.legacy_snapshot_id).not.toBe(before.legacy_snapshot_id);
    expect(after.reconcile_status).toBe('fail');
    // The older run's snapshot is still whole, and reconciling it again gives the answer that run recorded.
    expect(await storedRows(before.legacy_snapshot_id)).toBe(rows);
    await restoreLegacySnapshot(warehouse, before.legacy_snapshot_id, client.id, DATE);
    const again = await reconcile(warehouse, {
      date: DATE, clientId: client.id, legacy: { uri: `warehouse:${LEGACY_SNAPSHOT_TABLE}` }, next: { uri: `warehouse:${SHADOW_TABLES.metricRows}` },
      tolerances: buildToleranceTable([...METRIC_COLUMNS], {}, {}), scratchDir: join(dir.path, 'tmp'),
    });
    expect(again.status).toBe('pass');
    await expect(restoreLegacySnapshot(warehouse, 'ls-nowhere', client.id, DATE)).rejects.toThrow(/is not stored/);
    // A snapshot whose rows are gone is refused, never reconciled as an empty legacy side.
    await warehouse.run(`DELETE FROM ${LEGACY_SNAPSHOT_ROWS_TABLE} WHERE snapshot_id = ?`, [after.legacy_snapshot_id]);
    await expect(restoreLegacySnapshot(warehouse, after.legacy_snapshot_id, client.id, DATE)).rejects.toThrow(/but 0 are stored/);
  });
});
