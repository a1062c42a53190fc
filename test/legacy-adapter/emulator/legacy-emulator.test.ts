import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addDays } from '../../../core/dates.js';
import { DuckDbWarehouse } from '../../../core/warehouse/duckdb/duckdb-warehouse.js';
import { legacyRunCommand } from '../../../cli/commands/legacy.js';
import { runLegacyDay, type LegacyClient, type LegacyQuirks } from '../../../legacy-adapter/emulator/index.js';
import { importFxRates } from '../../../new-pipeline/load/fx-rates.js';
import { simFxRate, simFxRatesCsv } from '../../../new-pipeline/simulator/fx.js';
import { startSimulator, type RunningSimulator } from '../../../new-pipeline/simulator/server.js';
import type { ReconcileReport } from '../../../reconcile/types.js';
import { makeTempDir, runCli } from '../../helpers/cli.js';
import { createScratchPostgres, writeJsonl, type ScratchPostgres, type TestRow } from '../../helpers/factories.js';
import { CLIENTS, DAY, expectedRows, reconcileExport, type Expectation } from './ground-truth.js';
import { conversionsFor } from '../../../new-pipeline/transform/conversions.js';

interface Backend {
  name: 'duckdb' | 'postgres';
  /** A fresh place for the export, named for the test. */
  target(name: string): string;
  /** Every row of the export at the summary's `target`, in a stable order. */
  rows(sourceUri: string): Promise<unknown[]>;
}

describe('legacy system emulator', () => {
  const dir = makeTempDir('bosco-legacy-emulator-');
  let sim: RunningSimulator;
  let postgres: ScratchPostgres;

  beforeAll(async () => {
    [sim, postgres] = await Promise.all([startSimulator(), createScratchPostgres()]);
  });
  afterAll(async () => {
    await Promise.all([sim?.close(), postgres?.cleanup()]);
    dir.cleanup();
  });

  const BACKENDS: Backend[] = [
    {
      name: 'duckdb',
      target: (name) => `duckdb:${join(dir.path, `${name}.duckdb`)}`,
      async rows(sourceUri) {
        const warehouse = await DuckDbWarehouse.open({ path: sourceUri.slice('duckdb:'.length).split('?')[0]! });
        try {
          return await warehouse.query('SELECT * FROM legacy_export.daily_stats ORDER BY ALL');
        } finally {
          await warehouse.close();
        }
      },
    },
    {
      name: 'postgres',
      target: (name) => `postgres://postgres@127.0.0.1:5432/${postgres.name}?table=legacy_export.${name.replaceAll('-', '_')}`,
      async rows(sourceUri) {
        const table = new URL(sourceUri).searchParams.get('table')!;
        const columns = "client_ref, to_char(stat_ts, 'YYYY-MM-DD HH24:MI:SS') AS stat_ts, src, account_ref, campaign_ref, ccy, cost_micros, impr, clk, conv, rev_micros";
        return (await postgres.query(`SELECT ${columns} FROM ${table} ORDER BY client_ref, stat_ts, src, account_ref, campaign_ref, conv, cost_micros`)).rows;
      },
    },
  ];

  const run = (target: string, options: { quirks?: LegacyQuirks; clients?: LegacyClient[]; date?: string; concurrency?: number } = {}) =>
    runLegacyDay({ clients: options.clients ?? CLIENTS, date: options.date ?? DAY, baseUrl: sim.url, credential: sim.token, target, conversionsFor, quirks: options.quirks, fxRates: simFxRate, concurrency: options.concurrency, http: { retryPauseMs: 10 } });
  const truth = (expectations: Record<string, Expectation> = {}) => CLIENTS.flatMap((client) => expectedRows(sim.world, client, expectations[client.id]));
  const failing = (report: ReconcileReport) => report.clients.filter((c) => c.status === 'fail').map((c) => c.client_id);

  it('stands on the world facts the quirk tests lean on', () => {
    expect(sim.world.account('google_ads', '1000000002').currency).toBe('EUR');
    expect(sim.world.account('shopify', 'shop-5').timeZone).toBe('America/New_York');
    expect(sim.world.dailyStats('tiktok_ads', '7000000004', DAY)).toHaveLength(22);
    expect(sim.world.dailyStats('meta_ads', '200000000003', DAY).every((stats) => stats.conversions > 0)).toBe(true);
  });

  for (const backend of BACKENDS) {
    describe(`into ${backend.name}`, () => {
      it("writes the platforms' own numbers with every quirk off: reconcile-clean against the simulator's ground truth", async () => {
        const summary = await run(backend.target('clean'));
        const expected = truth();
        expect(summary.clients.map((c) => [c.clientId, c.status, c.rows, c.duplicatedRows])).toEqual(
          CLIENTS.map((client) => [client.id, 'written', expected.filter((row) => row.client_id === client.id).length, 0]),
        );
        const { report } = await reconcileExport(summary.target, expected, dir.path, `clean-${backend.name}`);
        expect(report.status).toBe('pass');
        expect(report.clients.map((c) => c.rows.matched)).toEqual(report.clients.map((c) => c.rows.new));
      });

      it('a rerun replaces the day: the same rows, the retried page in twice and never three times', async () => {
        const target = backend.target('rerun');
        const quirks: LegacyQuirks = { retryDoubleInsert: { accounts: ['7000000004'] } };
        const first = await run(target, { quirks });
        const before = await backend.rows(first.target);
        await run(target, { quirks });
        expect(await backend.rows(first.target)).toEqual(before);
        expect(before).toHaveLength(truth().length + 10);
      });

      it("leaves other days, and the clients it did not run, as they were", async () => {
        const target = backend.target('scoped');
        const { target: sourceUri } = await run(target);
        await run(target, { date: addDays(DAY, -1) });
        const before = await backend.rows(sourceUri);
        // harbor-west alone, now with its Meta pixel quirk: only its rows of DAY change.
        await run(target, { clients: [CLIENTS[0]!], quirks: { pixelPurchasesOnly: 'all' } });
        const after = await backend.rows(sourceUri);
        const untouched = (rows: unknown[]) =>
          rows.filter((row) => {
            const { client_ref, stat_ts } = row as { client_ref: string; stat_ts: string };
            return client_ref !== 'harbor-west' || !stat_ts.startsWith(DAY);
          });
        expect(untouched(after)).toEqual(untouched(before));
        expect(after).toHaveLength(before.length);
        expect(after).not.toEqual(before);
      });

      it('a client that fails keeps its rows of the day while the others are rewritten', async () => {
        const target = backend.target('failing');
        const { target: sourceUri } = await run(target);
        const before = await backend.rows(sourceUri);
        const broken = { ...CLIENTS[0]!, accounts: [...CLIENTS[0]!.accounts, { platform: 'shopify' as const, accountId: 'Not A Shop!' }] };
        const summary = await run(target, { clients: [broken, CLIENTS[1]!] });
        expect(summary.clients.map((c) => c.status)).toEqual(['failed', 'written']);
        expect(summary.clients[0]!.error).toContain("shopify account 'Not A Shop!' is not a shop name");
        expect(await backend.rows(sourceUri)).toEqual(before);
      });
    });
  }

  it('tries again after 5xx and cut-short answers, and the day is still clean', async () => {
    sim.setFaults({ serverErrors: { every: 4, burst: 1 }, truncate: { every: 5 } });
    try {
      // One client at a time: the fault counters are per platform, so another client's calls between one request's
      // tries could line all three up on faults (the 4th, 5th and 8th call). In sequence, at most two in a row fail.
      const summary = await run(BACKENDS[0]!.target('faults'), { concurrency: 1 });
      expect(summary.clients.map((c) => c.error ?? c.status)).toEqual(['written', 'written']);
      expect(sim.counters.shopify!.serverErrors).toBeGreaterThan(0);
      expect((await reconcileExport(summary.target, truth(), dir.path, 'faults')).report.status).toBe('pass');
    } finally {
      sim.setFaults({});
    }
  });

  describe('each known legacy behaviour, turned on alone, makes exactly its explainable difference', () => {
    /** Runs with `quirks` into a DuckDB file; reconciles against the ground truth and against the expected legacy rows. */
    async function withQuirk(name: string, quirks: LegacyQuirks, expectation: Record<string, Expectation>) {
      const summary = await run(BACKENDS[0]!.target(name), { quirks });
      const againstTruth = await reconcileExport(summary.target, truth(), dir.path, `${name}-truth`);
      const againstExpected = await reconcileExport(summary.target, truth(expectation), dir.path, `${name}-expected`);
      return { summary, againstTruth, againstExpected };
    }

    it('utcDays: a New York client gets the previous day from the ad platforms and its orders by UTC day', async () => {
      const { againstTruth, againstExpected } = await withQuirk('utc-days', { utcDays: { clients: ['harbor-west'] } }, {
        'harbor-west': { adDay: addDays(DAY, -1), ordersByUtcDay: true },
      });
      expect(againstExpected.report.status).toBe('pass');
      expect(failing(againstTruth.report)).toEqual(['harbor-west']);
      const accounts = new Set(againstTruth.report.differences!.map((d) => d.account_id));
      expect([...accounts].sort()).toEqual(CLIENTS[0]!.accounts.map((a) => a.accountId).sort());
      expect(againstTruth.explanations.get('harbor-west')!.join(' ')).toMatch(/shifted by a day/);
    });

    it('utcDays changes nothing for whole-day reports of a client east of UTC', async () => {
      const { againstTruth } = await withQuirk('utc-days-east', { utcDays: { accounts: ['1000000000', '200000000002', '300007', '7000000009'] } }, {});
      expect(againstTruth.report.status).toBe('pass');
    });

    it('unconvertedCurrency: an EUR account of a USD client keeps its euros and says so, a constant ratio of the day’s rate', async () => {
      const { againstTruth, againstExpected } = await withQuirk('unconverted', { unconvertedCurrency: { accounts: ['1000000002'] } }, {
        'harbor-west': { unconverted: ['1000000002'] },
      });
      expect(againstExpected.report.status).toBe('pass');
      expect(failing(againstTruth.report)).toEqual(['harbor-west']);
      const differences = againstTruth.report.differences!;
      expect(new Set(differences.map((d) => `${d.kind} ${d.account_id} ${d.metric}`))).toEqual(new Set(['value_mismatch 1000000002 spend', 'value_mismatch 1000000002 revenue']));
      expect(againstTruth.explanations.get('harbor-west')).toContain(
        `account 1000000002: new/legacy money is a constant ×${simFxRate(DAY, 'EUR', 'USD').toFixed(4)} over ${differences.length} values; one side did not convert the account's currency`,
      );
    });

    it('pixelPurchasesOnly: Meta conversions and revenue count only the purchases the pixel saw', async () => {
      const { againstTruth, againstExpected } = await withQuirk('pixel', { pixelPurchasesOnly: { clients: ['harbor-west'] } }, {
        'harbor-west': { metaPixelPurchasesOnly: true },
      });
      expect(againstExpected.report.status).toBe('pass');
      expect(failing(againstTruth.report)).toEqual(['harbor-west']);
      const differences = againstTruth.report.differences!;
      expect(new Set(differences.map((d) => `${d.kind} ${d.platform} ${d.metric}`))).toEqual(new Set(['value_mismatch meta_ads conversions', 'value_mismatch meta_ads revenue']));
      expect(differences.length).toBeGreaterThan(0);
      // Lower in legacy by the pixel's share, give or take a cent.
      expect(differences.every((d) => d.legacy! < d.new! && Math.abs(d.legacy! - d.new! * 0.85) <= 0.02)).toBe(true);
    });

    it("retryDoubleInsert: the account's first page (ten TikTok campaigns) is in the export twice", async () => {
      const { summary, againstTruth, againstExpected } = await withQuirk('retry', { retryDoubleInsert: { accounts: ['7000000004'] } }, {});
      expect(summary.clients.map((c) => c.duplicatedRows)).toEqual([10, 0]);
      for (const { report } of [againstTruth, againstExpected]) {
        expect(failing(report)).toEqual(['harbor-west']);
        const differences = report.differences!;
        expect(differences.every((d) => d.kind === 'duplicate_key' && d.legacy === 2 && d.new === 1)).toBe(true);
        expect(differences.map((d) => d.campaign_id).sort()).toEqual(sim.world.dailyStats('tiktok_ads', '7000000004', DAY).slice(0, 10).map((s) => s.campaignId).sort());
      }
      expect(againstTruth.explanations.get('harbor-west')![0]).toMatch(/^10 key\(s\) appear more than once in legacy: a double insert/);
    });
  });

  describe('bosco legacy run', () => {
    function project(name: string): { path: string; config: string } {
      const path = join(dir.path, name);
      mkdirSync(path);
      writeFileSync(join(path, 'sim-token.txt'), sim.token);
      const platforms = Object.fromEntries(['google_ads', 'meta_ads', 'ga4', 'shopify', 'tiktok_ads'].map((p) => [p, { baseUrl: sim.url, credential: { file: 'sim-token.txt' } }]));
      const config = join(path, 'bosco.config.json');
      writeFileSync(config, JSON.stringify({ clients: CLIENTS, platforms }));
      return { path, config };
    }

    it('writes the workspace export with the rates `bosco fx import` seeded, and `bosco reconcile` reads it by default', async () => {
      const { path, config } = project('cli');
      const warehouse = await DuckDbWarehouse.open({ path: join(path, '.bosco', 'warehouse.duckdb') });
      writeFileSync(join(path, 'rates.csv'), simFxRatesCsv(DAY, DAY));
      await importFxRates(warehouse, join(path, 'rates.csv'));
      await warehouse.close();

      let output = '';
      const code = await legacyRunCommand({ config, date: DAY, quirks: '{"retryDoubleInsert":{"accounts":["7000000004"]}}', write: (text) => (output += text) });
      expect(code).toBe(0);
      expect(output).toContain('→ warehouse:legacy_export.daily_stats');
      expect(output).toMatch(/harbor-west\s*│\s*written\s*│\s*\d+\s*│\s*10\s*│/);
      expect(output).toContain('OK: 2 client(s) written');

      writeJsonl(join(path, 'truth.jsonl'), truth() as unknown as TestRow[]);
      const result = await runCli(['reconcile', '--date', DAY, '--new', 'truth.jsonl', '--format', 'json'], { cwd: path });
      expect(result.code).toBe(1);
      const report = JSON.parse(result.stdout) as ReconcileReport;
      expect(report.clients.map((c) => [c.client_id, c.status, c.rows.duplicate_keys])).toEqual([
        ['alpine-east', 'pass', 0],
        ['harbor-west', 'fail', 10],
      ]);
    });

    it('refuses quirks it does not know and targets it cannot write, naming the fix', async () => {
      const { config } = project('cli-errors');
      await expect(legacyRunCommand({ config, date: DAY, quirks: '{"utcDay":"all"}' })).rejects.toMatchObject({ code: 'USAGE', message: expect.stringContaining('utcDay') });
      await expect(legacyRunCommand({ config, date: DAY, target: 'mysql://db/legacy', write: () => undefined })).rejects.toMatchObject({ code: 'USAGE', hint: expect.stringContaining('postgres://') });
    });
  });
});
