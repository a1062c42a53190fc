import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DuckDbWarehouse } from '../../../core/warehouse/duckdb/duckdb-warehouse.js';
import type { Row, Warehouse } from '../../../core/warehouse/index.js';
import { ACME_META, METRICS_SPEC, METRICS_TABLE, metricRow, describeWarehouseBehaviour } from './warehouse-behaviour.js';

describeWarehouseBehaviour('DuckDB', async () => {
  const warehouse = await DuckDbWarehouse.open({ path: ':memory:' });
  return { warehouse, close: () => warehouse.close() };
});

/** A client's meta_ads partition of the day, and a row of it. */
const partitionOf = (client: string) => ({ ...ACME_META, client_id: client });
const rowOf = (client: string, campaign: string, spend = 1) => metricRow({ client_id: client, campaign_id: campaign, spend });

describe('the DuckDB warehouse: partition replaces inside a transaction', () => {
  let w: Warehouse;

  beforeEach(async () => {
    w = await DuckDbWarehouse.open({ path: ':memory:' });
    await w.createTable(METRICS_TABLE, METRICS_SPEC);
  });
  afterEach(() => w.close());

  const rows = (where = 'true') => w.query(`SELECT client_id, campaign_id, spend FROM ${METRICS_TABLE} WHERE ${where} ORDER BY client_id, campaign_id`);

  it('replaces many partitions in one transaction, each with exactly its own rows', async () => {
    const clients = Array.from({ length: 300 }, (_, i) => `c${String(i).padStart(3, '0')}`);
    await w.transaction(async () => {
      for (const client of clients) await w.replacePartition(METRICS_TABLE, partitionOf(client), [rowOf(client, 'old')]);
    });
    await w.transaction(async () => {
      for (const client of clients.slice(0, 200)) await w.replacePartition(METRICS_TABLE, partitionOf(client), [rowOf(client, 'a'), rowOf(client, 'b')]);
    });
    const counts = await w.query(`SELECT client_id, string_agg(campaign_id, ',' ORDER BY campaign_id) AS campaigns FROM ${METRICS_TABLE} GROUP BY client_id ORDER BY client_id`);
    expect(counts).toEqual(clients.map((client, i) => ({ client_id: client, campaigns: i < 200 ? 'a,b' : 'old' })));
  });

  it('shows the transaction its own replaces before it commits', async () => {
    await w.transaction(async () => {
      await w.replacePartition(METRICS_TABLE, partitionOf('acme'), [rowOf('acme', 'c1')]);
      expect(await rows()).toEqual([{ client_id: 'acme', campaign_id: 'c1', spend: 1 }]);
      await w.replacePartition(METRICS_TABLE, partitionOf('beta'), [rowOf('beta', 'c2')]);
    });
    expect(await rows()).toHaveLength(2);
  });

  it('keeps the last rows of a partition replaced twice in one transaction', async () => {
    await w.transaction(async () => {
      await w.replacePartition(METRICS_TABLE, partitionOf('acme'), [rowOf('acme', 'first'), rowOf('acme', 'second')]);
      await w.replacePartition(METRICS_TABLE, partitionOf('acme'), [rowOf('acme', 'third')]);
    });
    expect(await rows()).toEqual([{ client_id: 'acme', campaign_id: 'third', spend: 1 }]);
  });

  it('replaces partitions named by other columns in the order they were given', async () => {
    await w.transaction(async () => {
      await w.replacePartition(METRICS_TABLE, { client_id: 'acme', date: ACME_META.date }, [rowOf('acme', 'whole-day'), metricRow({ platform: 'google_ads', campaign_id: 'g1' })]);
      await w.replacePartition(METRICS_TABLE, partitionOf('acme'), [rowOf('acme', 'meta-only')]);
    });
    expect(await w.query(`SELECT platform, campaign_id FROM ${METRICS_TABLE} ORDER BY platform`)).toEqual([
      { platform: 'google_ads', campaign_id: 'g1' },
      { platform: 'meta_ads', campaign_id: 'meta-only' },
    ]);
  });

  it('rolls the whole transaction back when the engine refuses a held-back row at commit', async () => {
    await w.replacePartition(METRICS_TABLE, partitionOf('acme'), [rowOf('acme', 'kept')]);
    await expect(
      w.transaction(async () => {
        await w.replacePartition(METRICS_TABLE, partitionOf('beta'), [rowOf('beta', 'b1')]);
        await w.replacePartition(METRICS_TABLE, partitionOf('acme'), [metricRow({ campaign_id: 'bad', impressions: 'lots' })]);
      }),
    ).rejects.toThrow(/lots/);
    expect(await rows()).toEqual([{ client_id: 'acme', campaign_id: 'kept', spend: 1 }]);
    // The warehouse is usable afterwards: nothing is left held back.
    await w.replacePartition(METRICS_TABLE, partitionOf('beta'), [rowOf('beta', 'b2')]);
    expect(await rows()).toHaveLength(2);
  });

  it('holds back no more than a bounded number of rows, and still commits them all together', async () => {
    const many: Row[] = Array.from({ length: 45_000 }, (_, i) => rowOf('acme', `c${i}`));
    await w.transaction(async () => {
      await w.replacePartition(METRICS_TABLE, partitionOf('acme'), many.slice(0, 25_000));
      await w.replacePartition(METRICS_TABLE, partitionOf('beta'), many.slice(25_000).map((row) => ({ ...row, client_id: 'beta' })));
    });
    expect(await w.query(`SELECT client_id, count(*) AS n FROM ${METRICS_TABLE} GROUP BY ALL ORDER BY ALL`)).toEqual([
      { client_id: 'acme', n: 25_000 },
      { client_id: 'beta', n: 20_000 },
    ]);
  });

  it('stores values as a bound INSERT would: numbers cast to the column, timestamps with their offset', async () => {
    await w.replacePartition(METRICS_TABLE, partitionOf('acme'), [metricRow({ spend: 3, impressions: 2.6, loaded_at: '2026-11-23T08:00:00+02:00' }), metricRow({ campaign_id: 42, impressions: 2n ** 40n })]);
    expect(await w.query(`SELECT campaign_id, spend, impressions, CAST(loaded_at AS VARCHAR) AS loaded_at FROM ${METRICS_TABLE} ORDER BY campaign_id`)).toEqual([
      { campaign_id: '42', spend: 12.5, impressions: 1_099_511_627_776, loaded_at: '2026-11-23 06:00:00+00' },
      { campaign_id: 'c1', spend: 3, impressions: 3, loaded_at: '2026-11-23 06:00:00+00' },
    ]);
  });

  it('refuses text that is not JSON for a JSON column, as the engine would', async () => {
    await w.createTable('loads_test', { columns: [{ name: 'client_id', type: 'text', required: true }, { name: 'detail', type: 'json' }] });
    await w.replacePartition('loads_test', { client_id: 'acme' }, [{ detail: { ok: true } }, { detail: '[1, 2]' }]);
    await expect(w.replacePartition('loads_test', { client_id: 'acme' }, [{ detail: 'not json' }])).rejects.toThrow(/JSON/);
    expect(await w.query('SELECT CAST(detail AS VARCHAR) AS detail FROM loads_test ORDER BY detail')).toEqual([{ detail: '[1, 2]' }, { detail: '{"ok":true}' }]);
  });

  it('sees a column added after a replace, and a table created in a transaction that rolled back is gone', async () => {
    await w.replacePartition(METRICS_TABLE, partitionOf('acme'), [rowOf('acme', 'c1')]);
    await w.run(`ALTER TABLE ${METRICS_TABLE} ADD COLUMN note VARCHAR`);
    await w.replacePartition(METRICS_TABLE, partitionOf('acme'), [{ ...rowOf('acme', 'c2'), note: 'added' }]);
    expect(await w.query(`SELECT campaign_id, note FROM ${METRICS_TABLE}`)).toEqual([{ campaign_id: 'c2', note: 'added' }]);

    await expect(
      w.transaction(async () => {
        await w.run('CREATE TABLE scratch_test (client_id VARCHAR)');
        await w.replacePartition('scratch_test', { client_id: 'acme' }, [{}]);
        throw new Error('undo');
      }),
    ).rejects.toThrow('undo');
    await expect(w.replacePartition('scratch_test', { client_id: 'acme' }, [{}])).rejects.toThrow(/does not exist/);
  });

  it('replaces a partition of a table in a schema', async () => {
    await w.createTable('shadow_test.metric_rows', METRICS_SPEC);
    await w.transaction(async () => {
      await w.replacePartition('shadow_test.metric_rows', partitionOf('acme'), [rowOf('acme', 'c1')]);
      await w.replacePartition('shadow_test.metric_rows', partitionOf('beta'), [rowOf('beta', 'c1')]);
    });
    expect(await w.query('SELECT count(*) AS n FROM shadow_test.metric_rows')).toEqual([{ n: 2 }]);
  });
});
