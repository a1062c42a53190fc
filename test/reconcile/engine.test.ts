import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Warehouse } from '../../core/warehouse/index.js';
import { compareRelations } from '../../reconcile/engine.js';
import { buildToleranceTable, METRIC_ROW_COMPARISON } from '../../reconcile/tolerance.js';
import { metricRow } from '../helpers/factories.js';
import { createMetricTable, memoryWarehouse } from '../helpers/warehouse.js';

const METRICS = METRIC_ROW_COMPARISON.metrics;

describe('compareRelations on DuckDB', () => {
  let warehouse: Warehouse;
  beforeEach(async () => {
    warehouse = await memoryWarehouse();
  });
  afterEach(() => warehouse.close());

  async function compare(legacy: object[], next: object[], options: { limit?: number; perClient?: Record<string, { tolerances: object }> } = {}) {
    await createMetricTable(warehouse, 'l', legacy as Record<string, unknown>[]);
    await createMetricTable(warehouse, 'n', next as Record<string, unknown>[]);
    return compareRelations(warehouse, {
      legacy: 'l',
      next: 'n',
      spec: METRIC_ROW_COMPARISON,
      tolerances: buildToleranceTable(METRICS, {}, options.perClient as never),
      differencesLimit: options.limit ?? 100,
    });
  }

  it('passes identical sides and fetches no differences', async () => {
    const rows = [metricRow({ campaign_id: '1' }), metricRow({ campaign_id: '2' })];
    const result = await compare(rows, rows);
    expect(result.clients).toHaveLength(1);
    expect(result.clients[0]!.status).toBe('pass');
    expect(result.clients[0]!.rows).toMatchObject({ legacy: 2, new: 2, matched: 2 });
    expect(result.differences).toBeUndefined();
  });

  it('classifies rows missing on either side', async () => {
    const result = await compare([metricRow({ campaign_id: '1' }), metricRow({ campaign_id: '2' })], [metricRow({ campaign_id: '1' }), metricRow({ campaign_id: '3' })]);
    expect(result.clients[0]!.rows).toMatchObject({ matched: 1, missing_in_new: 1, missing_in_legacy: 1 });
    const kinds = result.differences!.map((d) => `${d.kind}:${d.campaign_id}`);
    expect(kinds).toEqual(['missing_in_new:2', 'missing_in_legacy:3']);
  });

  it('reports a duplicate key instead of summing it', async () => {
    const row = metricRow({ campaign_id: '7', spend: 5 });
    const result = await compare([row, row, metricRow({ campaign_id: '8' })], [row, metricRow({ campaign_id: '8' })]);
    const client = result.clients[0]!;
    expect(client.rows).toMatchObject({ legacy: 3, new: 2, duplicate_keys: 1, matched: 1, missing_in_new: 0 });
    expect(client.status).toBe('fail');
    expect(client.metrics.find((m) => m.metric === 'spend')!.rows_mismatched).toBe(0);
    expect(result.differences).toEqual([expect.objectContaining({ kind: 'duplicate_key', campaign_id: '7', legacy: 2, new: 1, metric: null })]);
  });

  it('counts a key duplicated on both sides once', async () => {
    const row = metricRow({ campaign_id: '7' });
    const result = await compare([row, row], [row, row, row]);
    expect(result.clients[0]!.rows.duplicate_keys).toBe(1);
    expect(result.differences![0]).toMatchObject({ legacy: 2, new: 3 });
  });

  it('reports a key repeated on one side only as a duplicate, even when its rows carry different values', async () => {
    const result = await compare([metricRow({ campaign_id: '7', spend: 0 }), metricRow({ campaign_id: '7', spend: 5 }), metricRow({ campaign_id: '8' })], [metricRow({ campaign_id: '8' })]);
    expect(result.clients[0]!.rows).toMatchObject({ legacy: 3, new: 1, duplicate_keys: 1, matched: 1, missing_in_new: 0, missing_in_legacy: 0 });
    expect(result.differences).toEqual([expect.objectContaining({ kind: 'duplicate_key', campaign_id: '7', legacy: 2, new: 0 })]);
  });

  it('still tests equal infinite values against the tolerance, where they do not match', async () => {
    // Equality alone would pass them; the tolerance rule (|∞ − ∞| is NaN) does not.
    const rows = [metricRow({ campaign_id: '1', spend: Number.POSITIVE_INFINITY }), metricRow({ campaign_id: '2' })];
    const result = await compare(rows, rows, { perClient: { acme: { tolerances: { spend: { abs: 0, rel: 0.01 } } } } });
    const metrics = result.clients[0]!.metrics;
    expect(metrics.find((m) => m.metric === 'spend')!.rows_mismatched).toBe(1);
    expect(metrics.filter((m) => m.metric !== 'spend').every((m) => m.status === 'pass')).toBe(true);
  });

  it('fails a metric that a missing row carries, and not one it does not', async () => {
    const result = await compare([metricRow({ campaign_id: '1' }), metricRow({ campaign_id: '2', clicks: 0, spend: 3 })], [metricRow({ campaign_id: '1' })]);
    const status = Object.fromEntries(result.clients[0]!.metrics.map((m) => [m.metric, m.status]));
    expect(status.spend).toBe('fail');
    expect(status.clicks).toBe('pass');
  });

  it('ranks value mismatches by size and caps them at the limit', async () => {
    const legacy = [1, 2, 3].map((i) => metricRow({ campaign_id: String(i), spend: 10 }));
    const next = [1, 2, 3].map((i) => metricRow({ campaign_id: String(i), spend: 10 + i }));
    const result = await compare(legacy, next, { limit: 2 });
    expect(result.differences!.map((d) => [d.campaign_id, d.metric, d.legacy, d.new])).toEqual([
      ['3', 'spend', 10, 13],
      ['2', 'spend', 10, 12],
    ]);
    expect(result.clients[0]!.metrics.find((m) => m.metric === 'spend')).toMatchObject({ rows_mismatched: 3, delta: 6, legacy_total: 30, new_total: 36 });
  });

  it('honours a per-client tolerance override and only for that client', async () => {
    const legacy = ['a', 'b'].map((client_id) => metricRow({ client_id, clicks: 100 }));
    const next = ['a', 'b'].map((client_id) => metricRow({ client_id, clicks: 101 }));
    const result = await compare(legacy, next, { perClient: { a: { tolerances: { clicks: { abs: 1 } } } } });
    expect(result.clients.map((c) => [c.client_id, c.status])).toEqual([['a', 'pass'], ['b', 'fail']]);
  });

  it('treats keys as exact text: case and spaces make different rows', async () => {
    const result = await compare([metricRow({ client_id: 'Acme' })], [metricRow({ client_id: 'acme ' })]);
    expect(result.clients.map((c) => c.client_id)).toEqual(['Acme', 'acme ']);
    expect(result.clients.every((c) => c.status === 'fail')).toBe(true);
  });

  it('keeps a client id that looks like SQL as plain data', async () => {
    const id = "x'; DROP TABLE l; --";
    const result = await compare([metricRow({ client_id: id })], [metricRow({ client_id: id })], { perClient: { [id]: { tolerances: { spend: { abs: 1 } } } } });
    expect(result.clients).toEqual([expect.objectContaining({ client_id: id, status: 'pass' })]);
    expect(await warehouse.describe('l')).not.toHaveLength(0);
  });
});
