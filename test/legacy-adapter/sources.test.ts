import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Mapping } from '../../core/config.js';
import { BoscoError } from '../../core/errors.js';
import { resolveSource, stageCanonicalSource } from '../../legacy-adapter/canonical-source.js';
import { makeTempDir } from '../helpers/cli.js';
import { TEST_DATE, metricRow, writeCsv, writeDuckDbTable, writeJsonl, writeSource, type TestRow } from '../helpers/factories.js';
import { memoryWarehouse } from '../helpers/warehouse.js';

const dir = makeTempDir();
afterAll(() => dir.cleanup());

/**
 * Stages `uri` as the legacy side for one day (optionally through a named mapping) and returns the canonical
 * rows it yields, in a stable order.
 */
async function stage(uri: string, options: { mapping?: string; mappings?: Record<string, Mapping>; date?: string; clientId?: string } = {}) {
  const warehouse = await memoryWarehouse();
  try {
    const source = resolveSource(options.mapping ? { uri, mapping: options.mapping } : uri, options.mappings ?? {}, 'sources.legacy');
    const staged = await stageCanonicalSource(warehouse, {
      role: 'legacy',
      source,
      date: options.date ?? TEST_DATE,
      clientId: options.clientId,
      scratchDir: join(dir.path, 'scratch'),
    });
    return await warehouse.query(`SELECT * FROM ${staged.relation} ORDER BY ALL`);
  } finally {
    await warehouse.close();
  }
}

/** The error `stage` fails with. */
async function stageError(uri: string, options: Parameters<typeof stage>[1] = {}): Promise<BoscoError> {
  const error = await stage(uri, options).then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(BoscoError);
  return error as BoscoError;
}

/** Canonical rows as the warehouse returns them: numbers as numbers, NULL as null. */
const canonical = (row: TestRow) => ({ ...row, account_id: String(row.account_id) });

describe('file and DuckDB sources', () => {
  const rows = [
    metricRow({ campaign_id: 'plain', spend: 12.34 }),
    metricRow({ client_id: ' Acme', campaign_id: 'padded' }),
    metricRow({ client_id: 'ACME', campaign_id: 'shouting', revenue: null }),
    metricRow({ client_id: "x'; drop table t; --", campaign_id: 'sql', conversions: null }),
    metricRow({ account_id: '9007199254740993123', campaign_id: 'big-id', platform: 'tiktok_ads' }),
    metricRow({ campaign_id: 'other-day', date: '2026-03-02' }),
  ];
  const expected = rows.filter((row) => row.date === TEST_DATE).map(canonical);

  it.each(['csv', 'parquet', 'jsonl', 'ndjson', 'duckdb'] as const)('reads %s into the same canonical rows, for the requested day only', async (kind) => {
    const uri = await writeSource(kind, dir.path, `same-${kind}`, rows);
    const staged = await stage(uri);
    expect(staged).toHaveLength(expected.length);
    expect(staged).toEqual(expect.arrayContaining(expected));
  });

  it('stages only the requested client when one is named, compared exactly', async () => {
    const uri = writeCsv(join(dir.path, 'clients.csv'), rows);
    expect((await stage(uri, { clientId: 'acme' })).map((row) => row.campaign_id)).toEqual(['plain', 'big-id']);
    expect((await stage(uri, { clientId: ' Acme' })).map((row) => row.campaign_id)).toEqual(['padded']);
    expect((await stage(uri, { clientId: "x'; drop table t; --" })).map((row) => row.campaign_id)).toEqual(['sql']);
  });

  it('keeps CSV keys byte for byte: padding and case are part of the id', async () => {
    const uri = writeCsv(join(dir.path, 'padding.csv'), [metricRow({ client_id: ' Acme ', account_id: '007', campaign_id: 'Camp-1' })]);
    expect(await stage(uri)).toEqual([expect.objectContaining({ client_id: ' Acme ', account_id: '007', campaign_id: 'Camp-1' })]);
  });

  it('reads an empty CSV cell as NULL, not as 0 or an empty string', async () => {
    const uri = writeCsv(join(dir.path, 'empty-cells.csv'), [metricRow({ spend: null, clicks: null, currency: null })]);
    expect(await stage(uri)).toEqual([expect.objectContaining({ spend: null, clicks: null, currency: null, impressions: 1000 })]);
  });

  it('keeps every digit of an id written as a bare JSON number', async () => {
    const uri = writeJsonl(join(dir.path, 'big-ids.jsonl'), [
      metricRow({ account_id: 9007199254740993123n, campaign_id: 123456789012345678901234567890n }),
    ]);
    expect(await stage(uri)).toEqual([expect.objectContaining({ account_id: '9007199254740993123', campaign_id: '123456789012345678901234567890' })]);
  });

  it('reads JSONL fields in any order and metrics written as strings', async () => {
    const shuffled = Object.fromEntries(Object.entries(metricRow({ spend: '10.25', revenue: '40.5' })).reverse());
    const uri = writeJsonl(join(dir.path, 'shuffled.jsonl'), [shuffled]);
    expect(await stage(uri)).toEqual([expect.objectContaining({ spend: 10.25, revenue: 40.5 })]);
  });
});

describe('legacy mappings', () => {
  /** An old export: its own column names, micros, platform codes, a UTC timestamp and no currency. */
  const exportRow = (overrides: TestRow = {}): TestRow => ({
    customer: 'acme', booked_at: '2026-03-01 12:00:00', channel: 'FB', acct: 'acct-1', cmp: 'camp-1',
    cost_micros: 10_010_000, impr: 1000, clk: 50, conv: 2, revenue: 40, ...overrides,
  });
  const oldExport: Mapping = {
    columns: {
      client_id: 'customer',
      date: { column: 'booked_at', type: 'timestamp', timeZone: 'Asia/Tokyo' },
      platform: { column: 'channel', values: { FB: 'meta_ads', GADS: 'google_ads' } },
      account_id: 'acct',
      campaign_id: 'cmp',
      currency: { fixed: 'EUR' },
      spend: { column: 'cost_micros', scale: 0.000001 },
      impressions: 'impr',
      clicks: 'clk',
      conversions: 'conv',
    },
  };
  const mappings = { old_export: oldExport };
  const viaOldExport = (name: string, rows: TestRow[]) => stage(writeCsv(join(dir.path, `${name}.csv`), rows), { mapping: 'old_export', mappings });

  it('renames columns, scales micros to exact cents, and fixes the currency', async () => {
    expect(await viaOldExport('renamed', [exportRow()])).toEqual([
      { client_id: 'acme', date: TEST_DATE, platform: 'meta_ads', account_id: 'acct-1', campaign_id: 'camp-1', currency: 'EUR', spend: 10.01, impressions: 1000, clicks: 50, conversions: 2, revenue: 40 },
    ]);
  });

  it('translates listed platform codes and passes canonical names through', async () => {
    const staged = await viaOldExport('codes', [exportRow({ cmp: 'a', channel: 'GADS' }), exportRow({ cmp: 'b', channel: 'FB' }), exportRow({ cmp: 'c', channel: 'shopify' })]);
    expect(staged.map((row) => [row.campaign_id, row.platform])).toEqual([['a', 'google_ads'], ['b', 'meta_ads'], ['c', 'shopify']]);
  });

  it("puts a timestamp on the calendar day of the mapping's time zone", async () => {
    const staged = await viaOldExport('tokyo', [
      exportRow({ cmp: 'previous-evening-utc', booked_at: '2026-02-28 15:00:00' }), // 00:00 on March 1 in Tokyo
      exportRow({ cmp: 'late-utc', booked_at: '2026-03-01 14:59:59' }), // 23:59:59 on March 1 in Tokyo
      exportRow({ cmp: 'next-day-in-tokyo', booked_at: '2026-03-01 15:00:00' }),
      exportRow({ cmp: 'day-before-in-tokyo', booked_at: '2026-02-28 14:59:59' }),
    ]);
    expect(staged.map((row) => row.campaign_id)).toEqual(['late-utc', 'previous-evening-utc']);
  });

  it('reads the legacy export table through the built-in bosco_legacy_v1 mapping', async () => {
    const file = join(dir.path, 'legacy-export.duckdb');
    const legacyRow = (overrides: TestRow): TestRow => ({
      client_ref: 'acme', stat_ts: '2026-03-01 00:00:00', src: 'GADS', account_ref: 'acct-1', campaign_ref: 'camp-1', ccy: 'USD',
      cost_micros: 12_345_678, impr: 1000, clk: 50, conv: 2.5, rev_micros: 99_990_000, ...overrides,
    });
    await writeDuckDbTable(file, 'legacy_export.daily_stats', [
      legacyRow({ campaign_ref: 'late', stat_ts: '2026-03-01 23:59:59+00', src: 'TT' }),
      legacyRow({ campaign_ref: 'early', stat_ts: '2026-03-01 00:00:00+00' }),
      legacyRow({ campaign_ref: 'next-day', stat_ts: '2026-03-02 00:00:00+00' }),
    ], { stat_ts: 'TIMESTAMPTZ' });
    const staged = await stage(`duckdb:${file}?table=legacy_export.daily_stats`, { mapping: 'bosco_legacy_v1' });
    expect(staged).toEqual([
      { client_id: 'acme', date: TEST_DATE, platform: 'google_ads', account_id: 'acct-1', campaign_id: 'early', currency: 'USD', spend: 12.345678, impressions: 1000, clicks: 50, conversions: 2.5, revenue: 99.99 },
      { client_id: 'acme', date: TEST_DATE, platform: 'tiktok_ads', account_id: 'acct-1', campaign_id: 'late', currency: 'USD', spend: 12.345678, impressions: 1000, clicks: 50, conversions: 2.5, revenue: 99.99 },
    ]);
  });
});

describe('source errors name the source, the column and where to fix it', () => {
  const mappings = { old_export: { columns: { campaign_id: 'cmp', spend: { column: 'cost_micros', scale: 0.000001 }, platform: { column: 'channel', values: { FB: 'meta_ads' } } } } } satisfies Record<string, Mapping>;
  const exportRow = (overrides: TestRow = {}): TestRow => {
    const { campaign_id, spend, platform, ...rest } = metricRow();
    return { ...rest, cmp: campaign_id!, cost_micros: 10_000_000, channel: 'FB', ...overrides };
  };

  it('names a missing mapped column and the mapping entry to change', async () => {
    const { cmp: _, ...withoutCampaign } = exportRow();
    const error = await stageError(writeCsv(join(dir.path, 'no-cmp.csv'), [withoutCampaign]), { mapping: 'old_export', mappings });
    expect(error.code).toBe('SOURCE_MISSING_COLUMN');
    expect(error.message).toMatch(/no-cmp\.csv: missing column 'cmp'$/);
    expect(error.hint).toContain('mappings.old_export.columns.campaign_id');
  });

  it('names an untranslated platform code and points at the values map', async () => {
    const error = await stageError(writeCsv(join(dir.path, 'codes.csv'), [exportRow({ channel: 'SNAP' })]), { mapping: 'old_export', mappings });
    expect(error.message).toContain("column 'channel' holds 'SNAP'");
    expect(error.hint).toContain('"values" at mappings.old_export.columns.platform');
  });

  it('names the source column of a metric that does not parse, with a sample', async () => {
    const error = await stageError(writeCsv(join(dir.path, 'micros.csv'), [exportRow({ cost_micros: 'n/a' })]), { mapping: 'old_export', mappings });
    expect(error.message).toContain("column 'cost_micros' has 1 value(s) that are not a number, e.g. 'n/a'");
    expect(error.hint).toContain('mappings.old_export.columns.spend');
  });

  it('refuses a row without a key value, naming the column', async () => {
    const error = await stageError(writeCsv(join(dir.path, 'no-account.csv'), [metricRow(), metricRow({ campaign_id: 'c-2', account_id: null })]));
    expect(error.message).toContain("1 row(s) have an empty account_id (column 'account_id')");
  });

  it('names a date that does not parse, even on another day, and suggests a timestamp mapping', async () => {
    const error = await stageError(writeCsv(join(dir.path, 'dates.csv'), [metricRow(), metricRow({ date: '01.03.2026' })]));
    expect(error.message).toContain("column 'date' has 1 value(s) that are not a date (YYYY-MM-DD), e.g. '01.03.2026'");
    expect(error.hint).toContain('"type": "timestamp"');
  });

  it('names a table that is not in the DuckDB file', async () => {
    const file = await writeDuckDbTable(join(dir.path, 'tables.duckdb'), 'main.daily', [metricRow()]);
    const error = await stageError(`duckdb:${file}?table=main.weekly`);
    expect(error.code).toBe('SOURCE_NOT_FOUND');
    expect(error.message).toContain('table main.weekly does not exist');
  });
});
