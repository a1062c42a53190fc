import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { LocalEventLog } from '../../../core/bus/local/local-event-log.js';
import { parseConfig, type BoscoConfig, type ClientConfig, type PlatformSettings } from '../../../core/config.js';
import { KEY_COLUMNS, METRIC_COLUMNS, PLATFORMS, type MetricName, type Platform } from '../../../core/metric-row.js';
import { DuckDbWarehouse } from '../../../core/warehouse/duckdb/duckdb-warehouse.js';
import type { Warehouse } from '../../../core/warehouse/index.js';
import { CONNECTORS } from '../../../new-pipeline/connectors/index.js';
import type { Connector } from '../../../new-pipeline/connectors/types.js';
import { runFetch } from '../../../new-pipeline/fetch/run-fetch.js';
import { importFxRates } from '../../../new-pipeline/load/fx-rates.js';
import { PARTITION_TOPIC } from '../../../new-pipeline/load/load-partition.js';
import { lineageFor } from '../../../new-pipeline/load/lineage.js';
import { SERVING_TABLES } from '../../../new-pipeline/load/pipeline-tables.js';

const { metricRows: METRIC_ROWS_TABLE, lineage: LINEAGE_TABLE, quality: QUALITY_TABLE } = SERVING_TABLES;
/** A load that kills itself between partitions, run as a child process. */
const CRASHING_LOAD = join(import.meta.dirname, 'crashing-load.ts');
import { loadDay, transformDay, type PipelineContext } from '../../../new-pipeline/run/run-pipeline.js';
import { partitionPath } from '../../../new-pipeline/landing/raw-landing.js';
import { simFxRate, simFxRatesCsv } from '../../../new-pipeline/simulator/fx.js';
import { startSimulator, type RunningSimulator } from '../../../new-pipeline/simulator/server.js';
import { makeTempDir } from '../../helpers/cli.js';

const DATE = '2026-11-20';
const FAST: PlatformSettings['limits'] = { requestsPerSecond: 500, burst: 100, perAccountRequestsPerSecond: 500, timeoutMs: 5_000, backoffBaseMs: 5, backoffMaxMs: 50, maxRetries: 4 };

/** A client with one account on every platform, reporting in `currency`. */
function clientFactory(index: number, currency = 'USD'): ClientConfig {
  return { id: `client-${index}`, currency, accounts: PLATFORMS.map((platform) => ({ platform, accountId: platform === 'shopify' ? `shop${index}` : `${index}00${PLATFORMS.indexOf(platform)}` })) };
}

const round2 = (value: number) => Math.round(value * 100) / 100;

/** What the client's rows must add up to: the simulator's numbers, converted per campaign to the client's currency. */
function groundTruth(sim: RunningSimulator, client: ClientConfig): Record<MetricName, number> {
  const totals: Record<MetricName, number> = { spend: 0, impressions: 0, clicks: 0, conversions: 0, revenue: 0 };
  for (const { platform, accountId } of client.accounts) {
    const account = sim.world.account(platform, accountId);
    const rate = account.currency === client.currency ? 1 : simFxRate(DATE, account.currency, client.currency);
    if (platform === 'shopify') {
      const byCampaign = new Map<string, { orders: number; amount: number }>();
      for (const order of sim.world.orders(accountId, DATE)) {
        const campaign = byCampaign.get(order.utmCampaign ?? '') ?? { orders: 0, amount: 0 };
        byCampaign.set(order.utmCampaign ?? '', { orders: campaign.orders + 1, amount: campaign.amount + order.amount });
      }
      for (const { orders, amount } of byCampaign.values()) {
        totals.conversions += orders;
        totals.revenue += round2(amount * rate);
      }
      continue;
    }
    for (const stats of sim.world.dailyStats(platform, accountId, DATE)) {
      totals.spend += round2(stats.spend * rate);
      totals.impressions += stats.impressions;
      totals.clicks += stats.clicks;
      totals.conversions += stats.conversions;
      totals.revenue += round2(stats.revenue * rate);
    }
  }
  return totals;
}

describe('the new pipeline end to end: simulator → raw → staged → warehouse', () => {
  let sim: RunningSimulator;
  const dirs: Array<{ cleanup: () => void }> = [];
  const open: Warehouse[] = [];
  const clients = [clientFactory(1), clientFactory(2, 'EUR'), clientFactory(3, 'GBP')];

  beforeAll(async () => {
    sim = await startSimulator();
  });
  afterAll(() => sim.close());
  afterEach(async () => {
    sim.setFaults({});
    await Promise.all(open.splice(0).map((w) => w.close()));
    dirs.splice(0).forEach((dir) => dir.cleanup());
  });

  async function workspace(): Promise<PipelineContext & { dir: string }> {
    const dir = makeTempDir();
    dirs.push(dir);
    const config: BoscoConfig = parseConfig({ clients }, 'test');
    const warehouse = await DuckDbWarehouse.open({ path: join(dir.path, 'warehouse.duckdb') });
    open.push(warehouse);
    const rates = join(dir.path, 'rates.csv');
    writeFileSync(rates, simFxRatesCsv(DATE, DATE));
    await importFxRates(warehouse, rates);
    return { config, workspaceDir: dir.path, warehouse, bus: new LocalEventLog(join(dir.path, 'events')), tables: SERVING_TABLES, runId: 'e2e-run', dir: dir.path };
  }

  async function fetchDay(context: PipelineContext) {
    const connectors = new Map<Platform, Connector>(CONNECTORS.map((c) => [c.platform, c]));
    const endpoints = new Map(PLATFORMS.map((p) => [p, { baseUrl: sim.url, credential: sim.token, settings: { limits: FAST } }] as const));
    return runFetch({ runId: context.runId, date: DATE, clients, connectors, endpoints, workspaceDir: context.workspaceDir, sockets: 16, partitionConcurrency: 8 });
  }

  async function clientTotals(warehouse: Warehouse): Promise<Map<string, Record<string, number>>> {
    const rows = await warehouse.query(`SELECT client_id, ${METRIC_COLUMNS.map((m) => `coalesce(sum(${m}), 0) AS ${m}`).join(', ')}, count(*) AS n FROM ${METRIC_ROWS_TABLE} GROUP BY client_id`);
    // Rounded: a float sum's last digits depend on the order the engine adds in.
    const metrics = (row: Record<string, unknown>) => Object.fromEntries([...METRIC_COLUMNS, 'n'].map((m) => [m, Math.round(Number(row[m]) * 1e6) / 1e6]));
    return new Map(rows.map((row) => [String(row.client_id), metrics(row)]));
  }

  /** Each of `expected`'s clients' totals equal the simulator's ground truth. */
  function expectGroundTruth(totals: Map<string, Record<string, number>>, expected: readonly ClientConfig[]): void {
    for (const client of expected) {
      const truth = groundTruth(sim, client);
      const actual = totals.get(client.id)!;
      expect(actual, client.id).toBeDefined();
      expect(actual.impressions, `${client.id} impressions`).toBe(truth.impressions);
      expect(actual.clicks, `${client.id} clicks`).toBe(truth.clicks);
      for (const metric of ['spend', 'conversions', 'revenue'] as const) {
        // Each campaign is rounded to the cent once; the sums may differ only by float noise.
        expect(Math.abs(actual[metric]! - truth[metric]), `${client.id} ${metric}`).toBeLessThan(0.005);
      }
    }
  }

  it('loads totals equal to the simulator’s ground truth for every client and metric', async () => {
    const context = await workspace();
    const fetched = await fetchDay(context);
    expect(fetched.partitions.every((p) => p.status === 'landed')).toBe(true);
    const staged = await transformDay(context, DATE);
    expect(staged.map((p) => [p.status, p.reason])).toEqual(staged.map(() => ['staged', undefined]));
    const loaded = await loadDay(context, DATE);
    expect(loaded.filter((p) => p.status === 'loaded')).toHaveLength(15);

    expectGroundTruth(await clientTotals(context.warehouse), clients);
  });

  it('leaves exactly the same rows when the day is loaded again', async () => {
    const context = await workspace();
    await fetchDay(context);
    await transformDay(context, DATE);
    await loadDay(context, DATE);
    const first = await context.warehouse.query(`SELECT * FROM ${METRIC_ROWS_TABLE} ORDER BY ALL`);

    await transformDay({ ...context, runId: 'e2e-rerun' }, DATE);
    await loadDay({ ...context, runId: 'e2e-rerun' }, DATE);
    expect(await context.warehouse.query(`SELECT * FROM ${METRIC_ROWS_TABLE} ORDER BY ALL`)).toEqual(first);
    expect(await context.warehouse.query(`SELECT count(*) AS n FROM ${LINEAGE_TABLE}`)).toEqual([{ n: 30 }]);
  });

  it('loses nothing and doubles nothing when the load process is killed between partitions, once rerun', async () => {
    const context = await workspace();
    await fetchDay(context);
    await transformDay(context, DATE);
    // The child process needs the warehouse file to itself.
    open.splice(open.indexOf(context.warehouse), 1);
    await context.warehouse.close();

    const child = spawn(process.execPath, ['--import', 'tsx', CRASHING_LOAD, context.workspaceDir, DATE, JSON.stringify(clients), '1'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.on('close', (...exit) => resolve(exit)));
    expect({ code, signal, stdout, stderr }).toEqual({ code: null, signal: 'SIGKILL', stdout: 'committed client-1\n', stderr: '' });

    const warehouse = await DuckDbWarehouse.open({ path: join(context.workspaceDir, 'warehouse.duckdb') });
    open.push(warehouse);
    const perClient = async (table: string) =>
      Object.fromEntries((await warehouse.query(`SELECT client_id, count(*) AS n FROM ${table} GROUP BY client_id ORDER BY client_id`)).map((row) => [row.client_id, row.n]));
    // The first client was committed whole; the second's rows and lineage, written when the process died, are gone.
    const afterCrash = await clientTotals(warehouse);
    expect([...afterCrash.keys()]).toEqual(['client-1']);
    expectGroundTruth(afterCrash, [clients[0]!]);
    expect(await perClient(LINEAGE_TABLE)).toEqual({ 'client-1': 5 });
    expect(await perClient(QUALITY_TABLE)).toEqual({ 'client-1': 5 });

    const rerun = await loadDay({ ...context, warehouse, runId: 'e2e-rerun' }, DATE);
    expect(rerun.map((p) => p.status)).toEqual(rerun.map(() => 'loaded'));
    expect(rerun).toHaveLength(15);
    expectGroundTruth(await clientTotals(warehouse), clients);
    const keys = KEY_COLUMNS.join(', ');
    expect(await warehouse.query(`SELECT ${keys}, count(*) AS n FROM ${METRIC_ROWS_TABLE} GROUP BY ${keys} HAVING count(*) > 1`)).toEqual([]);
    // client-1's partitions were loaded twice (each load replacing the last), the others once.
    expect(await perClient(LINEAGE_TABLE)).toEqual({ 'client-1': 10, 'client-2': 5, 'client-3': 5 });
  });

  it('quarantines only a partition whose raw file is cut short, and keeps its previous rows', async () => {
    const context = await workspace();
    await fetchDay(context);
    await transformDay(context, DATE);
    await loadDay(context, DATE);
    const before = await clientTotals(context.warehouse);

    writeFileSync(partitionPath(context.workspaceDir, { date: DATE, platform: 'meta_ads', clientId: 'client-2' }), Buffer.from([0x1f, 0x8b, 0x08, 0x00]));
    const staged = await transformDay(context, DATE);
    const broken = staged.find((p) => p.platform === 'meta_ads' && p.clientId === 'client-2')!;
    expect(broken.quality).toBe('quarantined');
    expect(broken.reason).toMatch(/cannot be read/);
    expect(staged.filter((p) => p.quality === 'quarantined')).toHaveLength(1);
    const loaded = await loadDay(context, DATE);
    expect(loaded.filter((p) => p.status === 'quarantined')).toHaveLength(1);
    expect(await clientTotals(context.warehouse)).toEqual(before);

    const [quality] = await context.warehouse.query(`SELECT status, reason FROM ${QUALITY_TABLE} WHERE client_id = 'client-2' AND platform = 'meta_ads' AND status = 'quarantined'`);
    expect(quality?.reason).toMatch(/cannot be read/);
    const events = await (context.bus as LocalEventLog).read<{ clientId?: string; client_id?: string; platform: string; reason: string; checks: Array<{ check: string }> }>(PARTITION_TOPIC);
    expect(events.filter((e) => e.type === 'partition.quarantined').map((e) => e.data.clientId)).toEqual(['client-2']);
    const failed = events.filter((e) => e.type === 'quality.failed');
    expect(failed.map((e) => [e.data.client_id, e.data.platform])).toEqual([['client-2', 'meta_ads']]);
    expect(failed[0]!.data.reason).toMatch(/cannot be read/);
    expect(failed[0]!.data.checks.map((c) => c.check)).toEqual(['payload.file']);
  });

  it('quarantines a partition whose FX rate is missing instead of converting at 1.0', async () => {
    const context = await workspace();
    await fetchDay(context);
    await context.warehouse.run(`DELETE FROM fx_rates`);
    const staged = await transformDay(context, DATE);
    const foreign = staged.filter((p) => p.quality === 'quarantined');
    expect(foreign.length).toBeGreaterThan(0);
    expect(foreign.every((p) => /rate/i.test(p.reason ?? ''))).toBe(true);
  });

  it('records a lineage manifest that leads from a partition back to its raw payload file', async () => {
    const context = await workspace();
    await fetchDay(context);
    await transformDay(context, DATE);
    await loadDay(context, DATE);
    const [google] = await lineageFor(context.warehouse, SERVING_TABLES, 'client-1', DATE, 'google_ads');
    expect(google).toMatchObject({
      run_id: 'e2e-run',
      raw_path: partitionPath(context.workspaceDir, { date: DATE, platform: 'google_ads', clientId: 'client-1' }),
      rows: sim.world.dailyStats('google_ads', '1000', DATE).length,
    });
    expect(google!.raw_sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(google!.requests).toBeGreaterThan(0);
    expect(google!.schema_fingerprint).toMatch(/^[0-9a-f]{16}$/);
  });
});
