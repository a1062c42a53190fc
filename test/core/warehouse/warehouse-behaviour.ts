import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BoscoError } from '../../../core/errors.js';
import type { Row, TableSpec, Warehouse } from '../../../core/warehouse/index.js';

/** A warehouse opened for one test, and how to let go of it (and of anything the backend started for it). */
export interface OpenedWarehouse {
  warehouse: Warehouse;
  close(): Promise<void>;
}

export const METRICS_TABLE = 'metric_rows_test';

export const METRICS_SPEC: TableSpec = {
  columns: [
    { name: 'client_id', type: 'text', required: true },
    { name: 'platform', type: 'text', required: true },
    { name: 'date', type: 'date', required: true },
    { name: 'campaign_id', type: 'text', required: true },
    { name: 'spend', type: 'double' },
    { name: 'impressions', type: 'integer' },
    { name: 'loaded_at', type: 'timestamp' },
  ],
  partitionBy: 'date',
  clusterBy: ['client_id', 'platform'],
};

export const ACME_META = { client_id: 'acme', platform: 'meta_ads', date: '2026-11-22' } as const;

export function metricRow(overrides: Partial<Record<string, unknown>> = {}): Row {
  return { ...ACME_META, campaign_id: 'c1', spend: 12.5, impressions: 100, loaded_at: '2026-11-23T06:00:00Z', ...overrides };
}

async function rejection(promise: Promise<unknown>): Promise<BoscoError> {
  try {
    await promise;
  } catch (error) {
    return error as BoscoError;
  }
  throw new Error('expected a rejection');
}

/**
 * Port-level behaviour every warehouse has, whatever the engine. Each backend's test file calls this with a way
 * to open a fresh, empty warehouse; the assertions go through the `Warehouse` port only.
 */
export function describeWarehouseBehaviour(backend: string, open: () => Promise<OpenedWarehouse>): void {
  describe(`the ${backend} warehouse (port behaviour)`, () => {
    let opened: OpenedWarehouse;
    let w: Warehouse;
    let table: string;

    /** Every row of the metrics table in key order, timestamps as UTC ISO text so engines compare equal. */
    async function metrics(): Promise<Row[]> {
      const rows = await w.query(`SELECT * FROM ${table} ORDER BY client_id, platform, date, campaign_id`);
      return rows.map((row) => ({ ...row, loaded_at: row.loaded_at === null ? null : new Date(String(row.loaded_at)).toISOString() }));
    }

    beforeEach(async () => {
      opened = await open();
      w = opened.warehouse;
      table = w.dialect.quoteIdent(METRICS_TABLE);
      await w.createTable(METRICS_TABLE, METRICS_SPEC);
    });
    afterEach(async () => opened.close());

    it('binds positional parameters as values, never as SQL text', async () => {
      const [row] = await w.query('SELECT ? AS text, ? AS whole, ? AS fraction, ? AS flag, ? AS nothing, ? AS big', [
        "O'Brien'); DROP TABLE x; --",
        42,
        1.25,
        true,
        null,
        2n ** 60n,
      ]);
      expect(row).toEqual({ text: "O'Brien'); DROP TABLE x; --", whole: 42, fraction: 1.25, flag: true, nothing: null, big: '1152921504606846976' });
    });

    it('creates a table once and describes its columns by kind', async () => {
      await w.createTable(METRICS_TABLE, METRICS_SPEC);
      const columns = await w.describe(table);
      expect(columns.map((c) => [c.name, c.kind])).toEqual([
        ['client_id', 'text'],
        ['platform', 'text'],
        ['date', 'date'],
        ['campaign_id', 'text'],
        ['spend', 'number'],
        ['impressions', 'number'],
        ['loaded_at', 'timestamp'],
      ]);
      expect(await w.describe(w.dialect.quoteIdent('no_such_table'))).toEqual([]);
    });

    it('replaces exactly one partition, returning dates as YYYY-MM-DD, numbers as numbers and timestamps as ISO', async () => {
      await w.replacePartition(METRICS_TABLE, ACME_META, [metricRow(), metricRow({ campaign_id: 'c2', spend: 3 })]);
      await w.replacePartition(METRICS_TABLE, { ...ACME_META, platform: 'google_ads' }, [metricRow({ platform: 'google_ads' })]);
      await w.replacePartition(METRICS_TABLE, { ...ACME_META, date: '2026-11-21' }, [metricRow({ date: '2026-11-21' })]);

      await w.replacePartition(METRICS_TABLE, ACME_META, [metricRow({ campaign_id: 'c3', spend: 7.25, impressions: 9_007_199_254 })]);

      expect(await metrics()).toEqual([
        metricRow({ platform: 'google_ads', loaded_at: '2026-11-23T06:00:00.000Z' }),
        metricRow({ date: '2026-11-21', loaded_at: '2026-11-23T06:00:00.000Z' }),
        metricRow({ campaign_id: 'c3', spend: 7.25, impressions: 9_007_199_254, loaded_at: '2026-11-23T06:00:00.000Z' }),
      ]);
    });

    it('leaves the same rows when the same replace runs again', async () => {
      const rows = [metricRow(), metricRow({ campaign_id: 'c2' })];
      await w.replacePartition(METRICS_TABLE, ACME_META, rows);
      const first = await metrics();
      await w.replacePartition(METRICS_TABLE, ACME_META, rows);
      expect(await metrics()).toEqual(first);
      expect(first).toHaveLength(2);
    });

    it("fills the partition's columns into rows that leave them out, and empties a partition given no rows", async () => {
      await w.replacePartition(METRICS_TABLE, ACME_META, [{ campaign_id: 'c1', spend: 1 }]);
      expect(await metrics()).toEqual([{ ...ACME_META, campaign_id: 'c1', spend: 1, impressions: null, loaded_at: null }]);
      await w.replacePartition(METRICS_TABLE, ACME_META, []);
      expect(await metrics()).toEqual([]);
    });

    it('replaces a partition from a select with its own parameters', async () => {
      await w.createTable('metric_rows_staging', METRICS_SPEC);
      await w.replacePartition('metric_rows_staging', ACME_META, [metricRow()]);
      const staging = w.dialect.quoteIdent('metric_rows_staging');
      await w.replacePartition(METRICS_TABLE, ACME_META, {
        select: `SELECT client_id, platform, date, campaign_id, spend * ? AS spend, impressions, loaded_at FROM ${staging} WHERE client_id = ?`,
        params: [2, 'acme'],
      });
      expect(await metrics()).toEqual([metricRow({ spend: 25, loaded_at: '2026-11-23T06:00:00.000Z' })]);
    });

    it('refuses a row outside the partition and keeps the partition as it was', async () => {
      await w.replacePartition(METRICS_TABLE, ACME_META, [metricRow()]);
      const before = await metrics();
      const error = await rejection(w.replacePartition(METRICS_TABLE, ACME_META, [metricRow({ campaign_id: 'c9' }), metricRow({ date: '2026-11-23' })]));
      expect(error).toBeInstanceOf(BoscoError);
      expect(error.message).toContain('outside the partition');
      expect(await metrics()).toEqual(before);
    });

    it('keeps the previous partition when the engine rejects the new rows', async () => {
      await w.replacePartition(METRICS_TABLE, ACME_META, [metricRow()]);
      const before = await metrics();
      await expect(w.replacePartition(METRICS_TABLE, ACME_META, [metricRow({ campaign_id: 'c2' }), metricRow({ impressions: 'lots' })])).rejects.toThrow();
      expect(await metrics()).toEqual(before);
    });

    it('refuses to replace a partition of a table that does not exist', async () => {
      const error = await rejection(w.replacePartition('no_such_table', ACME_META, [metricRow()]));
      expect(error.code).toBe('WAREHOUSE_FAILED');
      expect(error.hint).toContain('createTable');
    });

    it('commits every write of a transaction together, a partition replace included', async () => {
      await w.createTable('loads_test', { columns: [{ name: 'client_id', type: 'text' }, { name: 'rows', type: 'integer' }] });
      const loads = w.dialect.quoteIdent('loads_test');
      const result = await w.transaction(async () => {
        await w.replacePartition(METRICS_TABLE, ACME_META, [metricRow()]);
        await w.run(`INSERT INTO ${loads} (client_id, ${w.dialect.quoteIdent('rows')}) VALUES (?, ?)`, ['acme', 1]);
        return 'done';
      });
      expect(result).toBe('done');
      expect(await metrics()).toHaveLength(1);
      expect(await w.query(`SELECT client_id FROM ${loads}`)).toEqual([{ client_id: 'acme' }]);
    });

    it('rolls back every write of a transaction that fails', async () => {
      await w.replacePartition(METRICS_TABLE, ACME_META, [metricRow()]);
      const before = await metrics();
      await expect(
        w.transaction(async () => {
          await w.replacePartition(METRICS_TABLE, ACME_META, [metricRow({ campaign_id: 'c2' })]);
          await w.replacePartition(METRICS_TABLE, { ...ACME_META, client_id: 'beta' }, [metricRow({ client_id: 'beta' })]);
          throw new Error('the load failed half way');
        }),
      ).rejects.toThrow('the load failed half way');
      expect(await metrics()).toEqual(before);
    });

    it('refuses to open a transaction inside another, and the outer one still commits', async () => {
      await w.transaction(async () => {
        const error = await rejection(w.transaction(async () => undefined));
        expect(error.code).toBe('INTERNAL');
        await w.replacePartition(METRICS_TABLE, ACME_META, [metricRow()]);
      });
      expect(await metrics()).toHaveLength(1);
    });

    it('keeps temp tables for as long as the warehouse is open', async () => {
      await w.run(w.dialect.createTempTable('scratch_test', 'SELECT 1 AS one'));
      expect(await w.query('SELECT one FROM scratch_test')).toEqual([{ one: 1 }]);
    });
  });
}
