import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Difference, ReconcileReport } from '../../reconcile/types.js';
import { makeTempDir, runCli, type CliResult } from '../helpers/cli.js';
import {
  SOURCE_KINDS,
  TEST_DATE,
  createScratchPostgres,
  historyCounts,
  metricRow,
  withWorkspace,
  writeCsv,
  writeDuckDbTable,
  writeJsonl,
  writeParquet,
  writeSource,
  type ScratchPostgres,
  type TestRow,
} from '../helpers/factories.js';

/**
 * One day on which every kind of difference happens once, in its own client:
 * acme (tolerances), drift (missing rows), bolt (a double insert, NULLs), cove (clean).
 * Rows for other days differ wildly and must not count.
 */
function classificationDay(): { legacy: TestRow[]; next: TestRow[] } {
  const bolt = (overrides: TestRow) => metricRow({ client_id: 'bolt', platform: 'meta_ads', account_id: 'act_9', ...overrides });
  const both = [
    metricRow({ campaign_id: 'same' }),
    metricRow({ client_id: 'cove', platform: 'shopify', account_id: 'shop-1', campaign_id: 'store' }),
    metricRow({ client_id: 'drift', campaign_id: 'kept' }),
    bolt({ campaign_id: 'null-vs-null', revenue: null }),
  ];
  return {
    legacy: [
      ...both,
      metricRow({ campaign_id: 'within-a-cent', spend: 10 }),
      metricRow({ campaign_id: 'beyond-a-cent', spend: 10 }),
      metricRow({ campaign_id: 'one-impression-off', impressions: 1000 }),
      metricRow({ campaign_id: 'other-day', date: '2026-02-28', spend: 999 }),
      metricRow({ client_id: 'drift', campaign_id: 'legacy-only' }),
      bolt({ campaign_id: 'double-insert', spend: 5 }),
      bolt({ campaign_id: 'double-insert', spend: 5 }),
      bolt({ campaign_id: 'null-vs-zero', conversions: null }),
    ],
    next: [
      ...both,
      metricRow({ campaign_id: 'within-a-cent', spend: 10.01 }),
      metricRow({ campaign_id: 'beyond-a-cent', spend: 10.02 }),
      metricRow({ campaign_id: 'one-impression-off', impressions: 1001 }),
      metricRow({ campaign_id: 'other-day', date: '2026-03-02', spend: 1 }),
      metricRow({ client_id: 'drift', campaign_id: 'new-only' }),
      bolt({ campaign_id: 'double-insert', spend: 10 }),
      bolt({ campaign_id: 'null-vs-zero', conversions: 0 }),
    ],
  };
}

async function reconcileJson(cwd: string, legacy: string, next: string, extra: string[] = [], env?: Record<string, string>) {
  const result = await runCli(['reconcile', '--date', TEST_DATE, '--legacy', legacy, '--new', next, '--format', 'json', ...extra], { cwd, env });
  if (result.code !== 0 && result.code !== 1) throw new Error(`bosco exited ${result.code}: ${result.stderr}`);
  return { ...result, report: JSON.parse(result.stdout) as ReconcileReport };
}

const withoutRunId = ({ run_id: _, ...rest }: ReconcileReport) => rest;
const clientOf = (report: ReconcileReport, id: string) => report.clients.find((client) => client.client_id === id)!;
const metricOf = (report: ReconcileReport, id: string, metric: string) => clientOf(report, id).metrics.find((m) => m.metric === metric)!;
const failingMetrics = (report: ReconcileReport, id: string) => clientOf(report, id).metrics.filter((m) => m.status === 'fail').map((m) => m.metric);
const differencesOf = (report: ReconcileReport, id: string): Array<Partial<Difference>> =>
  report.differences!.filter((d) => d.client_id === id).map(({ campaign_id, kind, metric, legacy, new: next }) => ({ campaign_id, kind, metric, legacy, new: next }));

describe('bosco reconcile on every source kind', () => {
  const dir = makeTempDir();
  let postgres: ScratchPostgres;
  const uris = {} as Record<(typeof SOURCE_KINDS)[number], { legacy: string; next: string }>;
  const reports = new Map<string, CliResult & { report: ReconcileReport }>();

  beforeAll(async () => {
    postgres = await createScratchPostgres();
    const { legacy, next } = classificationDay();
    for (const kind of SOURCE_KINDS) {
      uris[kind] = {
        legacy: await writeSource(kind, dir.path, 'legacy', legacy, postgres),
        next: await writeSource(kind, dir.path, 'next', next, postgres),
      };
    }
    reports.set('csv', await reconcileJson(dir.path, uris.csv.legacy, uris.csv.next, ['--rows']));
  });
  afterAll(async () => {
    await postgres?.cleanup();
    dir.cleanup();
  });

  const csv = () => reports.get('csv')!.report;

  it.each(SOURCE_KINDS.filter((kind) => kind !== 'csv'))('gives the same report from %s as from CSV', async (kind) => {
    const { code, report } = await reconcileJson(dir.path, uris[kind].legacy, uris[kind].next, ['--rows']);
    expect(code).toBe(1);
    expect(withoutRunId(report)).toEqual(withoutRunId(csv()));
  });

  it('reconciles a CSV legacy side against a Parquet new side', async () => {
    const { report } = await reconcileJson(dir.path, uris.csv.legacy, uris.parquet.next, ['--rows']);
    expect(withoutRunId(report)).toEqual(withoutRunId(csv()));
  });

  it('reconciles a PostgreSQL legacy side against a JSONL new side', async () => {
    const { report } = await reconcileJson(dir.path, uris.postgres.legacy, uris.jsonl.next, ['--rows']);
    expect(withoutRunId(report)).toEqual(withoutRunId(csv()));
  });

  it('exits 1 and prints only the JSON report when anything differs', () => {
    const { code, stderr, report } = reports.get('csv')!;
    expect(code).toBe(1);
    expect(stderr).toBe('');
    expect(report.status).toBe('fail');
    expect(report.clients.map((c) => [c.client_id, c.status])).toEqual([
      ['acme', 'fail'],
      ['bolt', 'fail'],
      ['cove', 'pass'],
      ['drift', 'fail'],
    ]);
  });

  it('follows the JSON contract: run, clients with row counts, metrics with totals, differences', () => {
    const report = csv();
    expect(Object.keys(report)).toEqual(['run_id', 'date', 'status', 'clients', 'differences']);
    expect(report.run_id).toMatch(/^rc-\d{8}T\d{6}-[0-9a-f]{6}$/);
    expect(report.date).toBe(TEST_DATE);
    for (const client of report.clients) {
      expect(Object.keys(client)).toEqual(['client_id', 'status', 'rows', 'metrics']);
      expect(Object.keys(client.rows)).toEqual(['legacy', 'new', 'matched', 'missing_in_new', 'missing_in_legacy', 'duplicate_keys']);
      expect(client.metrics.map((m) => m.metric)).toEqual(['spend', 'impressions', 'clicks', 'conversions', 'revenue']);
      for (const metric of client.metrics) {
        expect(Object.keys(metric)).toEqual(['metric', 'legacy_total', 'new_total', 'delta', 'rel_delta', 'rows_mismatched', 'status']);
      }
    }
    expect(metricOf(report, 'acme', 'spend')).toEqual({
      metric: 'spend', legacy_total: 40, new_total: 40.03, delta: 0.03, rel_delta: 0.00075, rows_mismatched: 1, status: 'fail',
    });
    for (const difference of report.differences!) {
      expect(Object.keys(difference)).toEqual(['client_id', 'date', 'platform', 'account_id', 'campaign_id', 'kind', 'metric', 'legacy', 'new']);
    }
  });

  it('matches spend 10.00 against 10.01 but not against 10.02, and impressions only exactly', () => {
    const report = csv();
    expect(clientOf(report, 'acme').rows).toEqual({ legacy: 4, new: 4, matched: 4, missing_in_new: 0, missing_in_legacy: 0, duplicate_keys: 0 });
    expect(failingMetrics(report, 'acme')).toEqual(['spend', 'impressions']);
    expect(differencesOf(report, 'acme')).toEqual([
      { campaign_id: 'one-impression-off', kind: 'value_mismatch', metric: 'impressions', legacy: 1000, new: 1001 },
      { campaign_id: 'beyond-a-cent', kind: 'value_mismatch', metric: 'spend', legacy: 10, new: 10.02 },
    ]);
  });

  it('leaves rows for other days out of scope', () => {
    expect(csv().differences!.some((d) => d.campaign_id === 'other-day')).toBe(false);
    expect(csv().differences!.every((d) => d.date === TEST_DATE)).toBe(true);
  });

  it('reports rows on one side only as missing_in_new and missing_in_legacy', () => {
    expect(clientOf(csv(), 'drift').rows).toEqual({ legacy: 2, new: 2, matched: 1, missing_in_new: 1, missing_in_legacy: 1, duplicate_keys: 0 });
    expect(differencesOf(csv(), 'drift')).toEqual([
      { campaign_id: 'legacy-only', kind: 'missing_in_new', metric: null, legacy: null, new: null },
      { campaign_id: 'new-only', kind: 'missing_in_legacy', metric: null, legacy: null, new: null },
    ]);
  });

  it('reports a duplicate key once with each side’s row count instead of summing it', () => {
    const bolt = clientOf(csv(), 'bolt');
    expect(bolt.status).toBe('fail');
    expect(bolt.rows).toEqual({ legacy: 4, new: 3, matched: 2, missing_in_new: 0, missing_in_legacy: 0, duplicate_keys: 1 });
    // 5 + 5 in legacy would equal the 10 in new if the rows were summed; they are not compared at all.
    expect(metricOf(csv(), 'bolt', 'spend')).toMatchObject({ rows_mismatched: 0, status: 'pass' });
    expect(differencesOf(csv(), 'bolt').filter((d) => d.campaign_id === 'double-insert')).toEqual([
      { campaign_id: 'double-insert', kind: 'duplicate_key', metric: null, legacy: 2, new: 1 },
    ]);
  });

  it('treats NULL against 0 as a mismatch and NULL against NULL as a match', () => {
    expect(failingMetrics(csv(), 'bolt')).toEqual(['conversions']);
    expect(differencesOf(csv(), 'bolt').filter((d) => d.kind === 'value_mismatch')).toEqual([
      { campaign_id: 'null-vs-zero', kind: 'value_mismatch', metric: 'conversions', legacy: null, new: 0 },
    ]);
  });

  it('lists the worst differences first: duplicates, missing rows, then the largest mismatches', () => {
    expect(csv().differences!.map((d) => d.kind)).toEqual([
      'duplicate_key', 'missing_in_new', 'missing_in_legacy', 'value_mismatch', 'value_mismatch', 'value_mismatch',
    ]);
  });

  it('caps the differences at --limit while still counting every problem', async () => {
    const { report } = await reconcileJson(dir.path, uris.csv.legacy, uris.csv.next, ['--rows', '--limit', '2']);
    expect(report.differences!.map((d) => d.kind)).toEqual(['duplicate_key', 'missing_in_new']);
    expect(report.clients).toEqual(csv().clients);
  });

  it('leaves differences out of the JSON unless --rows is given', async () => {
    const { report } = await reconcileJson(dir.path, uris.csv.legacy, uris.csv.next);
    expect(Object.keys(report)).toEqual(['run_id', 'date', 'status', 'clients']);
  });

  it('reconciles only the client named by --client', async () => {
    const { code, report } = await reconcileJson(dir.path, uris.csv.legacy, uris.csv.next, ['--client', 'cove', '--rows']);
    expect(code).toBe(0);
    expect(report.clients.map((c) => c.client_id)).toEqual(['cove']);
    expect(report.differences).toEqual([]);
  });

  it('compares only the metrics named by --metric', async () => {
    const { report } = await reconcileJson(dir.path, uris.csv.legacy, uris.csv.next, ['--metric', 'clicks,revenue', '--client', 'acme', '--rows']);
    expect(clientOf(report, 'acme').metrics.map((m) => m.metric)).toEqual(['clicks', 'revenue']);
    expect(clientOf(report, 'acme').status).toBe('pass');
    expect(report.differences).toEqual([]);
  });
});

describe('bosco reconcile on matching sources', () => {
  const dir = makeTempDir();
  afterAll(() => dir.cleanup());

  it('exits 0 with status pass and an empty difference list', async () => {
    const rows = [metricRow(), metricRow({ client_id: 'bolt', campaign_id: 'c-2', spend: 12.34 })];
    const legacy = writeCsv(join(dir.path, 'legacy.csv'), rows);
    const next = await writeParquet(join(dir.path, 'next.parquet'), rows);
    const { code, report } = await reconcileJson(dir.path, legacy, next, ['--rows']);
    expect(code).toBe(0);
    expect(report.status).toBe('pass');
    expect(report.clients.every((c) => c.status === 'pass' && c.rows.matched === 1)).toBe(true);
    expect(report.differences).toEqual([]);
  });

  it('warns on stderr when neither side has a row for the day, so a scheduler sees it compared nothing', async () => {
    const legacy = writeCsv(join(dir.path, 'other-day.csv'), [metricRow({ date: '2026-01-01' })]);
    const { code, report, stderr } = await reconcileJson(dir.path, legacy, legacy, [], { BOSCO_LOG_LEVEL: 'warn' });
    expect([code, report.status, report.clients]).toEqual([0, 'pass', []]);
    expect(stderr).toMatch(new RegExp(`no rows for ${TEST_DATE} on either side: nothing was compared`));
  });
});

describe('bosco reconcile keeps keys exactly as written', () => {
  const dir = makeTempDir();
  afterAll(() => dir.cleanup());

  it("treats CSV client ' Acme' and 'acme' as different clients (no trimming, no case folding)", async () => {
    const legacy = writeCsv(join(dir.path, 'legacy.csv'), [metricRow({ client_id: ' Acme' }), metricRow({ client_id: 'ACME' })]);
    const next = writeCsv(join(dir.path, 'next.csv'), [metricRow({ client_id: 'acme' }), metricRow({ client_id: 'ACME' })]);
    const { report } = await reconcileJson(dir.path, legacy, next);
    expect(report.clients.map((c) => [c.client_id, c.rows.missing_in_new, c.rows.missing_in_legacy, c.rows.matched])).toEqual([
      [' Acme', 1, 0, 0],
      ['ACME', 0, 0, 1],
      ['acme', 0, 1, 0],
    ]);
  });

  it('reads an empty CSV cell as NULL, which matches NULL and not 0', async () => {
    const legacy = writeCsv(join(dir.path, 'nulls-legacy.csv'), [metricRow({ campaign_id: 'a', revenue: null }), metricRow({ campaign_id: 'b', revenue: null })]);
    const next = writeCsv(join(dir.path, 'nulls-next.csv'), [metricRow({ campaign_id: 'a', revenue: null }), metricRow({ campaign_id: 'b', revenue: 0 })]);
    const { report } = await reconcileJson(dir.path, legacy, next, ['--rows']);
    expect(report.differences!.map((d) => [d.campaign_id, d.metric, d.legacy, d.new])).toEqual([['b', 'revenue', null, 0]]);
  });

  it('keeps large numeric JSONL ids exact, so ids one apart stay two rows', async () => {
    const ids = [9007199254740993123n, 9007199254740993124n];
    const legacy = writeJsonl(join(dir.path, 'ids.jsonl'), ids.map((id) => metricRow({ account_id: id })));
    const next = writeCsv(join(dir.path, 'ids.csv'), ids.map((id) => metricRow({ account_id: id.toString() })));
    const { code, report } = await reconcileJson(dir.path, legacy, next);
    expect(code).toBe(0);
    expect(clientOf(report, 'acme').rows).toMatchObject({ legacy: 2, new: 2, matched: 2, duplicate_keys: 0 });
  });

  it("reconciles a CSV client whose id is x'; drop table t; -- like any other, with --client too", async () => {
    const id = "x'; drop table t; --";
    const legacy = writeCsv(join(dir.path, 'sql-legacy.csv'), [metricRow({ client_id: id }), metricRow({ client_id: id, campaign_id: 'c-2' })]);
    const next = writeCsv(join(dir.path, 'sql-next.csv'), [metricRow({ client_id: id }), metricRow({ client_id: id, campaign_id: 'c-2', clicks: 51 })]);
    const { code, report } = await reconcileJson(dir.path, legacy, next, ['--client', id, '--rows']);
    expect(code).toBe(1);
    expect(report.clients.map((c) => c.client_id)).toEqual([id]);
    expect(report.differences!.map((d) => [d.client_id, d.campaign_id, d.metric])).toEqual([[id, 'c-2', 'clicks']]);
  });
});

describe('bosco reconcile with a config file', () => {
  const dir = makeTempDir();
  afterAll(() => dir.cleanup());

  /** A fresh folder holding `config` as bosco.config.json; the CLI runs there. */
  function project(name: string, config: unknown): string {
    const path = join(dir.path, name);
    mkdirSync(path);
    writeFileSync(join(path, 'bosco.config.json'), JSON.stringify(config, null, 2));
    return path;
  }

  it('applies a per-client tolerance override to that client only', async () => {
    const cwd = project('tolerance', { reconcile: { clients: { acme: { tolerances: { spend: { abs: 0.05 } } } } } });
    const day = (spend: number) => ['acme', 'bolt'].map((client_id) => metricRow({ client_id, spend }));
    const legacy = writeCsv(join(cwd, 'legacy.csv'), day(10));
    const next = writeCsv(join(cwd, 'next.csv'), day(10.04));
    const { report } = await reconcileJson(cwd, legacy, next);
    expect(report.clients.map((c) => [c.client_id, c.status])).toEqual([['acme', 'pass'], ['bolt', 'fail']]);
  });

  /** The legacy export as an older system might write it: its own names, micros, codes, a timestamp, no currency. */
  const legacyExportRow = (overrides: TestRow = {}): TestRow => ({
    customer: 'acme', booked_at: '2026-03-01 15:00:00', channel: 'FB', acct: 'acct-1', cmp: 'camp-1',
    cost_micros: 10_000_000, impr: 1000, clk: 50, conv: 2, revenue: 40, ...overrides,
  });
  const legacyMapping = {
    columns: {
      client_id: 'customer',
      date: { column: 'booked_at', type: 'timestamp', timeZone: 'America/New_York' },
      platform: { column: 'channel', values: { FB: 'meta_ads', GADS: 'google_ads' } },
      account_id: 'acct',
      campaign_id: 'cmp',
      currency: { fixed: 'USD' },
      spend: { column: 'cost_micros', scale: 0.000001 },
      impressions: 'impr',
      clicks: 'clk',
      conversions: 'conv',
    },
  };

  it('reads the legacy source through the sources.legacy mapping: renames, micros, codes, fixed currency, the day in its zone', async () => {
    const cwd = project('mapped', { mappings: { old_export: legacyMapping }, sources: { legacy: { uri: 'legacy.csv', mapping: 'old_export' }, new: 'next.csv' } });
    writeCsv(join(cwd, 'legacy.csv'), [
      legacyExportRow({ cmp: 'evening', booked_at: '2026-03-02 03:30:00' }), // 22:30 on March 1 in New York
      legacyExportRow({ cmp: 'morning', booked_at: '2026-03-01 05:00:00', channel: 'GADS', cost_micros: 12_345_678 }), // midnight, March 1
      legacyExportRow({ cmp: 'day-before', booked_at: '2026-03-01 04:59:59' }), // still February 28 in New York
    ]);
    writeCsv(join(cwd, 'next.csv'), [
      metricRow({ campaign_id: 'evening', platform: 'meta_ads', spend: 10 }),
      metricRow({ campaign_id: 'morning', platform: 'google_ads', spend: 12.345678 }),
    ]);
    // The zone of the machine running bosco must not move a row to another day.
    const result = await runCli(['reconcile', '--date', TEST_DATE, '--format', 'json'], { cwd, env: { TZ: 'Asia/Tokyo' } });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout) as ReconcileReport;
    expect(clientOf(report, 'acme').rows).toMatchObject({ legacy: 2, new: 2, matched: 2 });
  });

  it('applies a config mapping named by --legacy-mapping to a --legacy file', async () => {
    const cwd = project('flag-mapped', { mappings: { old_export: legacyMapping } });
    const legacy = writeCsv(join(cwd, 'export.csv'), [legacyExportRow({ cost_micros: 10_010_000 })]);
    const next = writeCsv(join(cwd, 'next.csv'), [metricRow({ platform: 'meta_ads', spend: 10.02 })]);
    const { code, report } = await reconcileJson(cwd, legacy, next, ['--legacy-mapping', 'old_export', '--rows']);
    expect(code).toBe(0);
    expect(metricOf(report, 'acme', 'spend')).toMatchObject({ legacy_total: 10.01, new_total: 10.02, status: 'pass' });
  });

  it('reads the legacy export through the built-in bosco_legacy_v1 mapping, whatever the machine’s time zone', async () => {
    const cwd = project('built-in', {});
    const file = join(cwd, 'legacy.duckdb');
    await writeDuckDbTable(file, 'legacy_export.daily_stats', [
      { client_ref: 'acme', stat_ts: '2026-03-01 23:30:00+00', src: 'GADS', account_ref: 'acct-1', campaign_ref: 'camp-1', ccy: 'USD', cost_micros: 10_000_000, impr: 1000, clk: 50, conv: 2, rev_micros: 40_000_000 },
      { client_ref: 'acme', stat_ts: '2026-03-02 00:30:00+00', src: 'TT', account_ref: 'acct-1', campaign_ref: 'camp-1', ccy: 'USD', cost_micros: 1, impr: 1, clk: 1, conv: 1, rev_micros: 1 },
    ], { stat_ts: 'TIMESTAMPTZ' });
    const next = writeCsv(join(cwd, 'next.csv'), [metricRow()]);
    const { code, report } = await reconcileJson(cwd, `duckdb:${file}?table=legacy_export.daily_stats`, next, ['--legacy-mapping', 'bosco_legacy_v1'], { TZ: 'Pacific/Auckland' });
    expect(code).toBe(0);
    expect(clientOf(report, 'acme').rows).toMatchObject({ legacy: 1, new: 1, matched: 1 });
  });
});

describe('bosco reconcile history', () => {
  const dir = makeTempDir();
  afterAll(() => dir.cleanup());

  it('appends one run and its per-client, per-metric results to the workspace warehouse', async () => {
    const legacy = writeCsv(join(dir.path, 'legacy.csv'), [metricRow(), metricRow({ client_id: 'bolt' })]);
    const next = writeCsv(join(dir.path, 'next.csv'), [metricRow(), metricRow({ client_id: 'bolt', clicks: 49 })]);

    const first = await reconcileJson(dir.path, legacy, next);
    expect(await historyCounts(dir.path)).toEqual({ runs: 1, results: 10 });
    const second = await reconcileJson(dir.path, legacy, next, ['--client', 'bolt', '--metric', 'clicks']);
    expect(await historyCounts(dir.path)).toEqual({ runs: 2, results: 11 });

    await withWorkspace(dir.path, async (warehouse) => {
      const runs = await warehouse.query(
        'SELECT run_id, CAST(date AS VARCHAR) AS date, status, legacy_source, client_filter, metric_filter, clients_total, clients_failed FROM reconcile_runs ORDER BY started_at',
      );
      expect(runs).toEqual([
        { run_id: first.report.run_id, date: TEST_DATE, status: 'fail', legacy_source: legacy, client_filter: null, metric_filter: null, clients_total: 2, clients_failed: 1 },
        { run_id: second.report.run_id, date: TEST_DATE, status: 'fail', legacy_source: legacy, client_filter: 'bolt', metric_filter: 'clicks', clients_total: 1, clients_failed: 1 },
      ]);
      const results = await warehouse.query(
        `SELECT client_id, metric, metric_status, legacy_total, new_total FROM reconcile_results WHERE run_id = $1 AND metric = 'clicks' ORDER BY client_id`,
        [first.report.run_id],
      );
      expect(results).toEqual([
        { client_id: 'acme', metric: 'clicks', metric_status: 'pass', legacy_total: 50, new_total: 50 },
        { client_id: 'bolt', metric: 'clicks', metric_status: 'fail', legacy_total: 50, new_total: 49 },
      ]);
    });
  });
});
