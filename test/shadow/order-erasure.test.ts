import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalEventLog } from '../../core/bus/local/local-event-log.js';
import { DuckDbWarehouse } from '../../core/warehouse/duckdb/duckdb-warehouse.js';
import { partitionPath, readLandedPartition } from '../../new-pipeline/landing/raw-landing.js';
import { simFxRatesCsv } from '../../new-pipeline/simulator/fx.js';
import { startSimulator, type RunningSimulator } from '../../new-pipeline/simulator/server.js';
import { ERASURE_TOPIC } from '../../shadow/client-erasure.js';
import { ERASED_ORDER_ID, ERASED_TEXT, pseudonymiseOrders } from '../../shadow/order-erasure.js';
import { makeTempDir, runCli } from '../helpers/cli.js';

/** A landed orders page holding `orders` (id, cursor), asked for after `after`. */
function ordersPage(orders: Array<[string, string]>, after: string | null, endCursor: string | null) {
  return {
    kind: 'page',
    request: { method: 'POST', path: '/admin/api/2026-10/graphql.json', body: { variables: { first: 2, after } } },
    body: {
      data: {
        orders: {
          edges: orders.map(([id, cursor]) => ({ cursor, node: { id, name: `#${id.slice(-4)}`, createdAt: '2026-11-20T10:00:00Z', totalPriceSet: { shopMoney: { amount: '10.00', currencyCode: 'USD' } } } })),
          pageInfo: { hasNextPage: endCursor !== null, endCursor },
        },
      },
    },
  };
}

describe('pseudonymising orders in a landed payload', () => {
  const lines = [
    { kind: 'partition', clientId: 'acme' },
    ordersPage([['gid://shopify/Order/1001', 'c1'], ['gid://shopify/Order/1002', 'c2']], null, 'c2'),
    ordersPage([['gid://shopify/Order/1003', 'c3']], 'c2', null),
  ];

  it('replaces the named order’s id, name and cursor everywhere, keeps its amount and time, and leaves the others as they were', () => {
    const before = structuredClone(lines);
    const { lines: out, erased } = pseudonymiseOrders(lines, new Set(['gid://shopify/Order/1002', 'gid://shopify/Order/9999']));
    expect(erased).toEqual(['gid://shopify/Order/1002']);
    expect(lines).toEqual(before);
    const [, first, second] = out as Array<ReturnType<typeof ordersPage>>;
    const [, page1, page2] = before as Array<ReturnType<typeof ordersPage>>;
    const erasedEdge = first!.body.data.orders.edges[1]!;
    expect(erasedEdge).toEqual({ cursor: ERASED_TEXT, node: { ...page1!.body.data.orders.edges[1]!.node, id: ERASED_ORDER_ID, name: ERASED_TEXT } });
    expect(first!.body.data.orders.pageInfo.endCursor).toBe(ERASED_TEXT);
    expect(second!.request.body.variables.after).toBe(ERASED_TEXT);
    expect(first!.body.data.orders.edges[0]).toEqual(page1!.body.data.orders.edges[0]);
    expect(second!.body.data.orders.edges).toEqual(page2!.body.data.orders.edges);
    expect(JSON.stringify(out)).not.toContain('1002');
  });
});

/** A person's orders erased from a workspace that fetched and loaded a Shopify day, as the GDPR runbook does it. */
describe('bosco erase --order', () => {
  const dir = makeTempDir();
  const DAY = '2026-11-20';
  const env = { BOSCO_SHOPIFY_TOKEN: 'sim-token' };
  const cli = (...args: string[]) => runCli(args, { cwd: dir.path, env, timeoutMs: 60_000 });
  const rawFile = () => partitionPath(join(dir.path, '.bosco'), { date: DAY, platform: 'shopify', clientId: 'acme' });
  const rawText = () => gunzipSync(readFileSync(rawFile())).toString('utf8');
  let sim: RunningSimulator;

  async function metricRows() {
    const warehouse = await DuckDbWarehouse.open({ path: join(dir.path, '.bosco', 'warehouse.duckdb') });
    try {
      return await warehouse.query('SELECT * FROM metric_rows ORDER BY ALL');
    } finally {
      await warehouse.close();
    }
  }

  beforeAll(async () => {
    sim = await startSimulator();
    const clients = [{ id: 'acme', currency: 'USD', accounts: [{ platform: 'shopify', accountId: 'acmeshop' }] }];
    writeFileSync(join(dir.path, 'bosco.config.json'), JSON.stringify({ workspace: '.bosco', clients, platforms: { shopify: { baseUrl: sim.url } } }));
    writeFileSync(join(dir.path, 'rates.csv'), simFxRatesCsv(DAY, DAY));
    expect((await cli('fx', 'import', 'rates.csv')).code).toBe(0);
    const run = await cli('pipeline', 'run', '--date', DAY);
    expect(run.code, run.stderr).toBe(0);
  }, 90_000);
  afterAll(async () => {
    await sim.close();
    dir.cleanup();
  });

  it('pseudonymises the order in the landed payload, reloads the day with fresh lineage, and the numbers stay the same', async () => {
    const orders = readLandedPartition(rawFile()).pages.flatMap((page) => ((page.body as { data?: { orders?: { edges?: Array<{ node: { id: string } }> } } }).data?.orders?.edges ?? []).map((e) => e.node.id));
    expect(orders.length).toBeGreaterThan(1);
    const [order] = orders as [string];
    const rowsBefore = await metricRows();
    // The same day as a shadow run would have landed it, in the shadow tree.
    const shadowFile = partitionPath(join(dir.path, '.bosco'), { date: DAY, platform: 'shopify', clientId: 'acme' }, 'shadow');
    mkdirSync(dirname(shadowFile), { recursive: true });
    copyFileSync(rawFile(), shadowFile);

    const dry = await cli('erase', '--client', 'acme', '--order', order, '--dry-run', '--format', 'json');
    expect(dry.code, dry.stderr).toBe(0);
    expect(JSON.parse(dry.stdout)).toMatchObject({ orders_found: 1, orders_not_found: 0, files: [{ side: 'serving', date: DAY }, { side: 'shadow', date: DAY }] });
    expect(rawText()).toContain(`"${order}"`);

    const erased = await cli('erase', '--client', 'acme', '--order', order, '--reason', 'data subject request (DPO-31)', '--actor', 'dpo');
    expect(erased.code, erased.stderr).toBe(0);
    expect(erased.stdout).toMatch(/^Erased 1 order\(s\) of acme from 2 payload file\(s\)/);
    expect(gunzipSync(readFileSync(shadowFile)).toString('utf8')).not.toContain(`"${order}"`);
    expect(rawText()).not.toContain(`"${order}"`);
    expect(rawText()).toContain(`"${orders[1]}"`);
    expect(await metricRows()).toEqual(rowsBefore);

    const lineage = await cli('lineage', 'show', '--client', 'acme', '--date', DAY, '--format', 'json');
    expect(lineage.code, lineage.stderr).toBe(0);
    expect(JSON.parse(lineage.stdout).loads[0]).toMatchObject({ state: 'current', raw_payload: { state: 'verified' } });
    const shadowLineage = await cli('lineage', 'show', '--client', 'acme', '--date', DAY, '--namespace', 'shadow', '--format', 'json');
    expect(shadowLineage.code, shadowLineage.stderr).toBe(0);
    expect(JSON.parse(shadowLineage.stdout).loads[0]).toMatchObject({ state: 'current', raw_payload: { state: 'verified' } });

    const events = await new LocalEventLog(join(dir.path, '.bosco', 'events')).read<Record<string, unknown>>(ERASURE_TOPIC);
    expect(events.map((e) => [e.type, e.data.client_id, e.data.orders, e.data.actor])).toEqual([['orders.erased', 'acme', 1, 'dpo']]);
    expect(JSON.stringify(events)).not.toContain(order);
  });

  it('refuses an order no payload holds, or one that is not an order id, changing nothing', async () => {
    const before = rawText();
    const absent = await cli('erase', '--client', 'acme', '--order', 'gid://shopify/Order/987654321', '--reason', 'DPO-32');
    expect(absent.code).toBe(2);
    expect(absent.stderr).toMatch(/no landed Shopify payload of client 'acme' holds that order/);
    const malformed = await cli('erase', '--client', 'acme', '--order', '5550001', '--reason', 'DPO-32');
    expect(malformed.code).toBe(2);
    expect(malformed.stderr).toMatch(/--order '5550001' is not a Shopify order id/);
    expect(rawText()).toBe(before);
  });
});
