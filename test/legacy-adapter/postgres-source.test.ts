import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Mapping } from '../../core/config.js';
import { resolveSource, stageCanonicalSource } from '../../legacy-adapter/canonical-source.js';
import type { ReconcileReport } from '../../reconcile/types.js';
import { makeTempDir, runCli } from '../helpers/cli.js';
import { TEST_DATE, createScratchPostgres, metricRow, withWorkspace, writeCsv, type ScratchPostgres, type TestRow } from '../helpers/factories.js';
import { memoryWarehouse } from '../helpers/warehouse.js';

/** Real PostgreSQL (127.0.0.1:5432), one scratch database for the file, dropped at the end. */
describe('PostgreSQL source', () => {
  const dir = makeTempDir();
  let postgres: ScratchPostgres;
  const scratchDir = join(dir.path, 'scratch');

  beforeAll(async () => {
    postgres = await createScratchPostgres();
  });
  afterAll(async () => {
    await postgres?.cleanup();
    dir.cleanup();
  });

  async function stage(uri: string, options: { mapping?: string; mappings?: Record<string, Mapping>; clientId?: string } = {}) {
    const warehouse = await memoryWarehouse();
    try {
      const source = resolveSource(options.mapping ? { uri, mapping: options.mapping } : uri, options.mappings ?? {}, 'sources.legacy');
      const staged = await stageCanonicalSource(warehouse, { role: 'legacy', source, date: TEST_DATE, clientId: options.clientId, scratchDir });
      return await warehouse.query(`SELECT * FROM ${staged.relation} ORDER BY ALL`);
    } finally {
      await warehouse.close();
    }
  }

  /** A project folder whose CLI runs keep their workspace apart from the other tests'. */
  function project(name: string, config?: unknown): string {
    const path = join(dir.path, name);
    mkdirSync(path);
    if (config) writeFileSync(join(path, 'bosco.config.json'), JSON.stringify(config));
    return path;
  }

  it('streams a table through COPY into the same canonical rows as the same data in CSV', async () => {
    const rows = [
      metricRow({ campaign_id: 'cents', spend: 10.01, revenue: 1234.56 }),
      metricRow({ client_id: ' Acme', campaign_id: 'padded' }),
      metricRow({ client_id: 'with, comma and "quotes"', campaign_id: 'csv-hostile' }),
      metricRow({ account_id: '9007199254740993123', campaign_id: 'big-id', conversions: null }),
      metricRow({ campaign_id: 'other-day', date: '2026-02-28' }),
    ];
    await postgres.createTable('public.same_rows', rows);
    const fromPostgres = await stage(postgres.uri('public.same_rows'));
    expect(fromPostgres).toEqual(await stage(writeCsv(join(dir.path, 'same_rows.csv'), rows)));
    expect(fromPostgres.map((row) => row.campaign_id)).toEqual(['padded', 'big-id', 'cents', 'csv-hostile']);
    expect(readdirSync(scratchDir)).toEqual([]);
  });

  it('keeps NULL apart from an empty string and from 0', async () => {
    await postgres.createTable('public.nulls', [metricRow({ campaign_id: '', spend: null, clicks: 0, currency: '' })]);
    expect(await stage(postgres.uri('public.nulls'))).toEqual([expect.objectContaining({ campaign_id: '', currency: '', spend: null, clicks: 0 })]);
  });

  it('reads a table named without a schema from public, and one in another schema', async () => {
    await postgres.createTable('public.plain', [metricRow({ campaign_id: 'in-public' })]);
    await postgres.createTable('legacy.plain', [metricRow({ campaign_id: 'in-legacy' })]);
    expect((await stage(postgres.uri('plain'))).map((row) => row.campaign_id)).toEqual(['in-public']);
    expect((await stage(postgres.uri('legacy.plain'))).map((row) => row.campaign_id)).toEqual(['in-legacy']);
  });

  it('filters by an SQL-looking client id as plain text, in PostgreSQL and after', async () => {
    const id = "x'; drop table legacy; --";
    await postgres.createTable('public.legacy', [metricRow(), metricRow({ client_id: id })], { client_id: 'varchar(64)' });
    expect((await stage(postgres.uri('public.legacy'), { clientId: id })).map((row) => row.client_id)).toEqual([id]);

    const cwd = project('injection');
    const next = writeCsv(join(cwd, 'next.csv'), [metricRow()]);
    const run = await runCli(['reconcile', '--date', TEST_DATE, '--legacy', postgres.uri('public.legacy'), '--new', next, '--client', id, '--format', 'json'], { cwd });
    expect(run.code).toBe(1);
    const report = JSON.parse(run.stdout) as ReconcileReport;
    expect(report.clients.map((c) => [c.client_id, c.rows.legacy, c.rows.missing_in_new])).toEqual([[id, 1, 1]]);
    const { rows } = await postgres.query('SELECT count(*)::int AS n FROM public.legacy');
    expect(rows).toEqual([{ n: 2 }]);
  });

  it("keeps rows whose day in the mapping's zone is not their UTC day", async () => {
    const at = (campaign: string, instant: string): TestRow => ({ ...metricRow({ campaign_id: campaign }), date: instant });
    await postgres.createTable('public.stamped', [
      at('kiritimati-midnight', '2026-02-28 10:00:00+00'), // 00:00 on March 1 at UTC+14
      at('kiritimati-late', '2026-03-01 09:59:59+00'),
      at('kiritimati-next-day', '2026-03-01 10:00:00+00'),
    ], { date: 'timestamptz' });
    const mappings = { kiritimati: { columns: { date: { column: 'date', type: 'timestamp', timeZone: 'Pacific/Kiritimati' } } } } satisfies Record<string, Mapping>;
    const staged = await stage(postgres.uri('public.stamped'), { mapping: 'kiritimati', mappings });
    expect(staged.map((row) => row.campaign_id)).toEqual(['kiritimati-late', 'kiritimati-midnight']);
  });

  it('reconciles a day with no rows in PostgreSQL as rows missing in legacy', async () => {
    await postgres.createTable('public.quiet', [metricRow({ date: '2026-02-27' })]);
    const cwd = project('quiet');
    const next = writeCsv(join(cwd, 'next.csv'), [metricRow()]);
    const run = await runCli(['reconcile', '--date', TEST_DATE, '--legacy', postgres.uri('public.quiet'), '--new', next, '--format', 'json'], { cwd });
    expect(run.code).toBe(1);
    const report = JSON.parse(run.stdout) as ReconcileReport;
    expect(report.clients.map((c) => [c.client_id, c.rows.legacy, c.rows.missing_in_legacy])).toEqual([['acme', 0, 1]]);
  });

  it('exits 2 naming a table the database does not have', async () => {
    const cwd = project('missing-table');
    const next = writeCsv(join(cwd, 'next.csv'), [metricRow()]);
    const run = await runCli(['reconcile', '--date', TEST_DATE, '--legacy', postgres.uri('legacy.no_such_table'), '--new', next, '--format', 'json'], { cwd });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`bosco: table legacy.no_such_table does not exist in postgres://postgres@127.0.0.1:5432/${postgres.name}`);
    expect(run.stderr).toContain('hint: name an existing table');
  });

  describe('the legacy export through bosco_legacy_v1, with a password in the URI', () => {
    const password = 'Pg-Secret-42';
    let cwd: string;
    let uri: string;

    beforeAll(async () => {
      const exportRow = (overrides: TestRow): TestRow => ({
        client_ref: 'acme', stat_ts: '2026-03-01 23:30:00+00', src: 'FB', account_ref: 'acct-1', campaign_ref: 'camp-1', ccy: 'USD',
        cost_micros: 10_000_000, impr: 1000, clk: 50, conv: 2, rev_micros: 40_000_000, ...overrides,
      });
      await postgres.createTable('legacy_export.daily_stats', [
        exportRow({}),
        exportRow({ client_ref: 'bolt', src: 'GADS', cost_micros: 7_770_000, stat_ts: '2026-03-01 00:00:00+00' }),
        exportRow({ client_ref: 'bolt', src: 'GADS', stat_ts: '2026-03-02 00:00:00+00' }),
      ], { stat_ts: 'timestamptz', conv: 'numeric(10,2)' });
      uri = postgres.uri('legacy_export.daily_stats').replace('postgres@', `postgres:${password}@`);
      cwd = project('legacy-export', { sources: { legacy: { uri, mapping: 'bosco_legacy_v1' }, new: 'next.csv' } });
      writeCsv(join(cwd, 'next.csv'), [metricRow({ platform: 'meta_ads' }), metricRow({ client_id: 'bolt', spend: 7.77 })]);
    });

    it('reconciles it against the new rows from the config sources alone', async () => {
      const run = await runCli(['reconcile', '--date', TEST_DATE, '--format', 'json'], { cwd });
      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
      const report = JSON.parse(run.stdout) as ReconcileReport;
      expect(report.clients.map((c) => [c.client_id, c.status, c.rows.matched])).toEqual([['acme', 'pass', 1], ['bolt', 'pass', 1]]);
    });

    it.each(['table', 'markdown', 'json'])('never prints the password in %s output or in info logs', async (format) => {
      const run = await runCli(['reconcile', '--date', TEST_DATE, '--format', format], { cwd, env: { BOSCO_LOG_LEVEL: 'info' } });
      expect(run.code).toBe(0);
      expect(run.stdout + run.stderr).not.toContain(password);
      if (format !== 'json') expect(run.stdout).toContain('postgres:***@');
    });

    it('stores the source in the history without the password', async () => {
      const sources = await withWorkspace(cwd, (warehouse) => warehouse.query('SELECT DISTINCT legacy_source FROM reconcile_runs'));
      expect(sources).toEqual([{ legacy_source: uri.replace(password, '***') }]);
    });
  });
});
