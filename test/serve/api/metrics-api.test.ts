import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BoscoError } from '../../../core/errors.js';
import type { WarehouseAccess } from '../../../core/warehouse/access.js';
import type { Warehouse } from '../../../core/warehouse/index.js';
import type { StageStore } from '../../../flags/types.js';
import { legacyRow, startApi, writeLegacyRows, writeNewRows, type ApiFixture } from '../helpers/api-fixture.js';
import { metricRow } from '../../helpers/factories.js';

const RANGE = 'from=2026-03-01&to=2026-03-30';

/** acme and bravo on both sides, with different numbers on each side so a response shows which side it came from. */
async function seed(warehouse: Warehouse): Promise<void> {
  await writeLegacyRows(warehouse, [
    legacyRow({ client_id: 'acme', date: '2026-03-01', platform: 'google_ads', spend: 12.5, impressions: 1000, clicks: 50, conversions: 5, revenue: 50 }),
    legacyRow({ client_id: 'acme', date: '2026-03-01', platform: 'meta_ads', campaign_id: 'camp-9', spend: 7.5, impressions: 500, clicks: 0, conversions: 0, revenue: 0 }),
    legacyRow({ client_id: 'acme', date: '2026-03-02', platform: 'google_ads', spend: 10, impressions: 800, clicks: 40, conversions: 4, revenue: 30 }),
    legacyRow({ client_id: 'bravo', date: '2026-03-01', spend: 99 }),
  ]);
  await writeNewRows(warehouse, [
    metricRow({ client_id: 'acme', date: '2026-03-01', platform: 'google_ads', spend: 20, impressions: 2000, clicks: 100, conversions: 10, revenue: 80 }),
    metricRow({ client_id: 'acme', date: '2026-03-02', platform: 'google_ads', spend: 30, impressions: 3000, clicks: 150, conversions: 15, revenue: 90 }),
    metricRow({ client_id: 'bravo', date: '2026-03-01', spend: 1 }),
  ]);
}

/** A response's error body, after checking it is one and carries no stack. */
function errorOf(response: { status: number; body: any; text: string }) {
  expect(response.body?.error).toEqual({ code: expect.any(String), message: expect.any(String), hint: expect.any(String) });
  expect(response.text).not.toMatch(/\n\s+at |\.ts:\d+/);
  return response.body.error as { code: string; message: string; hint: string };
}

describe('metrics API over HTTP', () => {
  let api: ApiFixture;
  beforeAll(async () => {
    api = await startApi({ seed });
  });
  afterAll(async () => {
    await api?.close();
  });

  describe('routing by stage', () => {
    it('serves a client without a stage from the legacy export, read through the bosco_legacy_v1 mapping', async () => {
      const response = await api.get(`/v1/clients/acme/metrics?${RANGE}`, { key: api.keys.acme });
      expect(response.status).toBe(200);
      expect(response.headers.get('x-bosco-served-by')).toBe('legacy');
      expect(response.headers.get('x-bosco-stage')).toBe('legacy');
      expect(response.headers.get('x-bosco-stage-stale')).toBeNull();
      expect(response.body).toMatchObject({ client_id: 'acme', served_by: 'legacy', stage: 'legacy', stage_stale: false, granularity: 'day' });
      expect(response.body.rows).toEqual([
        { date: '2026-03-01', currency: 'USD', spend: 20, impressions: 1500, clicks: 50, conversions: 5, revenue: 50, ctr: 50 / 1500, cpc: 0.4, cpa: 4, roas: 2.5 },
        { date: '2026-03-02', currency: 'USD', spend: 10, impressions: 800, clicks: 40, conversions: 4, revenue: 30, ctr: 0.05, cpc: 0.25, cpa: 2.5, roas: 3 },
      ]);
    });

    it('switches a client to the new side on the next request after its stage goes live, without a restart', async () => {
      await api.setStage('acme', 'shadow');
      const shadow = await api.get(`/v1/clients/acme/metrics?${RANGE}&granularity=total`, { key: api.keys.acme });
      expect(shadow.headers.get('x-bosco-served-by')).toBe('legacy');
      expect(shadow.headers.get('x-bosco-stage')).toBe('shadow');
      expect(shadow.body.rows).toEqual([expect.objectContaining({ spend: 30 })]);

      await api.setStage('acme', 'live');
      const live = await api.get(`/v1/clients/acme/metrics?${RANGE}&granularity=total`, { key: api.keys.acme });
      expect(live.status).toBe(200);
      expect(live.headers.get('x-bosco-served-by')).toBe('new');
      expect(live.headers.get('x-bosco-stage')).toBe('live');
      expect(live.body.rows).toEqual([{ currency: 'USD', spend: 50, impressions: 5000, clicks: 250, conversions: 25, revenue: 170, ctr: 0.05, cpc: 0.2, cpa: 2, roas: 3.4 }]);

      await api.setStage('acme', 'shadow');
      const rolledBack = await api.get(`/v1/clients/acme/metrics?${RANGE}&granularity=total`, { key: api.keys.acme });
      expect(rolledBack.headers.get('x-bosco-served-by')).toBe('legacy');
    });

    it('filters by platform on either side, legacy platform codes included', async () => {
      const legacy = await api.get(`/v1/clients/acme/metrics?${RANGE}&platform=meta_ads`, { key: api.keys.acme });
      expect(legacy.headers.get('x-bosco-served-by')).toBe('legacy');
      // No clicks and no conversions: the ratios that would divide by zero are null, not Infinity or 0.
      expect(legacy.body.rows).toEqual([{ date: '2026-03-01', currency: 'USD', spend: 7.5, impressions: 500, clicks: 0, conversions: 0, revenue: 0, ctr: 0, cpc: null, cpa: null, roas: 0 }]);
      expect(legacy.body.platform).toBe('meta_ads');
      const none = await api.get(`/v1/clients/acme/metrics?${RANGE}&platform=tiktok_ads`, { key: api.keys.acme });
      expect(none.body.rows).toEqual([]);
    });

    it('keeps currencies apart instead of summing them', async () => {
      await writeLegacyRows(api.warehouse, [legacyRow({ client_id: 'carol', spend: 10, currency: 'USD' }), legacyRow({ client_id: 'carol', campaign_id: 'camp-2', spend: 8, currency: 'EUR' })]);
      const response = await api.get(`/v1/clients/carol/metrics?${RANGE}&granularity=total`, { key: api.keys.admin });
      expect(response.body.rows.map((r: { currency: string; spend: number }) => [r.currency, r.spend])).toEqual([['EUR', 8], ['USD', 10]]);
    });
  });

  describe('tenant isolation', () => {
    it("refuses a client key on another client's numbers with the same 403 whether that client exists or not", async () => {
      const existing = await api.get(`/v1/clients/bravo/metrics?${RANGE}`, { key: api.keys.acme });
      const unknown = await api.get(`/v1/clients/no-such-client/metrics?${RANGE}`, { key: api.keys.acme });
      const unknownBadQuery = await api.get('/v1/clients/no-such-client/metrics?from=nope', { key: api.keys.acme });
      for (const response of [existing, unknown, unknownBadQuery]) {
        expect(response.status).toBe(403);
        expect(errorOf(response).code).toBe('FORBIDDEN');
        expect(response.headers.get('x-bosco-served-by')).toBeNull();
      }
      expect(unknown.text).toBe(existing.text);
      expect(unknownBadQuery.text).toBe(existing.text);
      expect(existing.text).not.toContain('bravo');
    });

    it('answers 401 without a key or with an unknown one, and accepts x-api-key as well as Bearer', async () => {
      const none = await api.get(`/v1/clients/acme/metrics?${RANGE}`);
      const wrong = await api.get(`/v1/clients/acme/metrics?${RANGE}`, { key: `${api.keys.acme}x` });
      expect(none.status).toBe(401);
      expect(wrong.status).toBe(401);
      expect(errorOf(none).code).toBe('UNAUTHORIZED');
      expect(wrong.text).toBe(none.text);
      const viaHeader = await api.get(`/v1/clients/acme/metrics?${RANGE}`, { headers: { 'x-api-key': api.keys.acme } });
      expect(viaHeader.status).toBe(200);
    });

    it('answers an admin key asking for a client the config does not list with a 404 naming it, not empty rows', async () => {
      const response = await api.get(`/v1/clients/no-such-client/metrics?${RANGE}`, { key: api.keys.admin });
      expect(response.status).toBe(404);
      expect(errorOf(response)).toMatchObject({ code: 'UNKNOWN_CLIENT', message: "no client 'no-such-client' is configured" });
      expect(response.headers.get('x-bosco-served-by')).toBeNull();
      const insights = await api.get('/v1/clients/no-such-client/insights', { key: api.keys.admin });
      expect([insights.status, errorOf(insights).code]).toEqual([404, 'UNKNOWN_CLIENT']);
    });

    it("lets an admin key read any client, and refuses a client key on the admin endpoints", async () => {
      const admin = await api.get(`/v1/clients/bravo/metrics?${RANGE}`, { key: api.keys.admin });
      expect(admin.status).toBe(200);
      expect(admin.body.rows).toEqual([expect.objectContaining({ date: '2026-03-01', spend: 99 })]);
      const whoami = await api.get('/v1/cutover/whoami', { key: api.keys.acme });
      expect(whoami.status).toBe(403);
      expect(errorOf(whoami).code).toBe('FORBIDDEN');
    });
  });

  describe('bad input', () => {
    const cases: Array<[string, string, RegExp]> = [
      ['a missing from', 'to=2026-03-30', /^from: is required/],
      ['a date that does not exist', 'from=2026-02-30&to=2026-03-30', /^from: expected a real date/],
      ['a date in another format', 'from=03/01/2026&to=2026-03-30', /^from: expected a real date/],
      ['from after to', 'from=2026-03-30&to=2026-03-01', /^from 2026-03-30 is after to 2026-03-01/],
      ['a range over 366 days', 'from=2025-01-01&to=2026-03-30', /is longer than 366 days/],
      ['an unknown granularity', `${RANGE}&granularity=week`, /^granularity: /],
      ['an unknown platform', `${RANGE}&platform=myspace`, /^platform: /],
      ['an unknown parameter', `${RANGE}&granularty=day`, /unknown parameter 'granularty'/],
      ['a parameter given twice', `${RANGE}&from=2026-03-02`, /^from: must be given once/],
    ];
    it.each(cases)('answers %s with a 400 naming the parameter and the fix', async (_name, query, message) => {
      const response = await api.get(`/v1/clients/acme/metrics?${query}`, { key: api.keys.acme });
      expect(response.status).toBe(400);
      const error = errorOf(response);
      expect(error.code).toBe('USAGE');
      expect(error.message).toMatch(message);
    });

    it('accepts a range of exactly 366 days', async () => {
      const response = await api.get('/v1/clients/acme/metrics?from=2025-03-30&to=2026-03-30', { key: api.keys.acme });
      expect(response.status).toBe(200);
    });

    it('answers an unknown route with a JSON 404', async () => {
      const response = await api.get('/v1/clients/acme/spend', { key: api.keys.acme });
      expect(response.status).toBe(404);
      expect(errorOf(response).code).toBe('NOT_FOUND');
    });
  });

  describe('health', () => {
    it('answers /healthz and /readyz without a key when the warehouse and the stage store answer', async () => {
      expect((await api.get('/healthz')).body).toEqual({ status: 'ok' });
      const ready = await api.get('/readyz');
      expect(ready.status).toBe(200);
      expect(ready.body).toEqual({ status: 'ready', checks: { warehouse: 'ok', stages: 'ok' } });
    });
  });
});

/** The real store, whose reads fail once `down` is set (as an unreachable Unleash would). */
function failingStore(store: StageStore, state: { down: boolean }): StageStore {
  return {
    get: (clientId) => store.get(clientId),
    list: async () => {
      if (state.down) throw new BoscoError('SOURCE_UNREACHABLE', 'the flag service is down', { hint: 'test' });
      return store.list();
    },
    set: (change) => store.set(change),
    close: () => store.close(),
  };
}

describe('metrics API with its dependencies instrumented', () => {
  let api: ApiFixture | undefined;
  afterEach(async () => {
    await api?.close();
    api = undefined;
  });

  it('refuses another client before reading stages or rows, so the 403 takes one path whatever the id asked for', async () => {
    const reads = { stages: 0, warehouse: 0 };
    api = await startApi({
      seed,
      wrapStore: (store) => ({
        get: (id) => store.get(id),
        set: (change) => store.set(change),
        close: () => store.close(),
        list: () => {
          reads.stages++;
          return store.list();
        },
      }),
      wrapWarehouse: (access) => ({
        use: (work) => {
          reads.warehouse++;
          return access.use(work);
        },
        close: () => access.close(),
      }),
    });
    for (const client of ['bravo', 'no-such-client']) {
      expect((await api.get(`/v1/clients/${client}/metrics?${RANGE}`, { key: api.keys.acme })).status).toBe(403);
    }
    expect(reads).toEqual({ stages: 0, warehouse: 0 });
  });

  it('serves a live client from the new side with the last stages read when the flag store goes down', async () => {
    const state = { down: false };
    api = await startApi({ seed, wrapStore: (store) => failingStore(store, state) });
    await api.setStage('acme', 'live');
    const before = await api.get(`/v1/clients/acme/metrics?${RANGE}&granularity=total`, { key: api.keys.acme });
    expect(before.headers.get('x-bosco-served-by')).toBe('new');

    state.down = true;
    const during = await api.get(`/v1/clients/acme/metrics?${RANGE}&granularity=total`, { key: api.keys.acme });
    expect(during.status).toBe(200);
    expect(during.headers.get('x-bosco-served-by')).toBe('new');
    expect(during.headers.get('x-bosco-stage')).toBe('live');
    expect(during.headers.get('x-bosco-stage-stale')).toBe('true');
    expect(during.body).toMatchObject({ stage_stale: true, rows: [expect.objectContaining({ spend: 50 })] });
    const ready = await api.get('/readyz');
    expect(ready.status).toBe(503);
    expect(ready.body.checks).toEqual({ warehouse: 'ok', stages: 'unreachable' });

    state.down = false;
    const after = await api.get(`/v1/clients/acme/metrics?${RANGE}&granularity=total`, { key: api.keys.acme });
    expect(after.headers.get('x-bosco-stage-stale')).toBeNull();
  });

  it('answers 503 with Retry-After when no stage has ever been read', async () => {
    api = await startApi({ seed, wrapStore: (store) => failingStore(store, { down: true }) });
    const response = await api.get(`/v1/clients/acme/metrics?${RANGE}`, { key: api.keys.acme });
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toBe('5');
    expect(errorOf(response).code).toBe('SOURCE_UNREACHABLE');
    expect(response.headers.get('x-bosco-served-by')).toBeNull();
  });

  /** The real warehouse access, failing with `state.error` while one is set. */
  const failingWarehouse = (state: { error?: BoscoError }) => (access: WarehouseAccess): WarehouseAccess => ({
    use: (work) => (state.error ? Promise.reject(state.error) : access.use(work)),
    close: () => access.close(),
  });

  /** acme (live, the new side) and bravo (legacy) are both refused with a 503 saying which side, and no numbers. */
  async function expectEachSideRefused(fixture: ApiFixture, code: string, saying: (side: string) => string): Promise<void> {
    for (const [client, key, side] of [['acme', fixture.keys.acme, 'new'], ['bravo', fixture.keys.bravo, 'legacy']] as const) {
      const response = await fixture.get(`/v1/clients/${client}/metrics?${RANGE}`, { key });
      expect([response.status, response.headers.get('retry-after'), response.headers.get('x-bosco-served-by')]).toEqual([503, '5', null]);
      expect(errorOf(response)).toMatchObject({ code, message: saying(side), hint: expect.stringMatching(/^retry in 5 s/) });
      expect(response.text).not.toContain('proj.ds');
    }
  }

  it("answers 503 with Retry-After and a hint when the chosen side's warehouse is unreachable, never the other side's numbers", async () => {
    const state: { error?: BoscoError } = {};
    api = await startApi({ seed, wrapWarehouse: failingWarehouse(state) });
    await api.setStage('acme', 'live');
    state.error = new BoscoError('SOURCE_UNREACHABLE', 'connection refused', { hint: 'test' });
    await expectEachSideRefused(api, 'SOURCE_UNREACHABLE', (side) => `the ${side} side's warehouse cannot be reached`);
    const ready = await api.get('/readyz');
    expect(ready.status).toBe(503);
    expect(ready.body.checks).toEqual({ warehouse: 'unreachable', stages: 'ok' });
    expect((await api.get('/healthz')).status).toBe(200);
  });

  it("answers 503 with Retry-After when the chosen side's warehouse fails (a BigQuery 5xx), keeping the engine's message out of the answer", async () => {
    const state: { error?: BoscoError } = {};
    api = await startApi({ seed, wrapWarehouse: failingWarehouse(state) });
    await api.setStage('acme', 'live');
    state.error = new BoscoError('WAREHOUSE_FAILED', 'BigQuery failed while running SELECT … FROM `proj.ds.metric_rows`: 503 Service Unavailable', { hint: 'test' });
    await expectEachSideRefused(api, 'WAREHOUSE_FAILED', (side) => `the ${side} side's warehouse failed`);
    // Any other route the warehouse fails under is a 503 too, with the detail kept in the log.
    const cutover = await api.get('/v1/cutover', { key: api.keys.admin });
    expect([cutover.status, cutover.headers.get('retry-after'), errorOf(cutover).code]).toEqual([503, '5', 'WAREHOUSE_FAILED']);
    expect(cutover.text).not.toContain('proj.ds');
    state.error = undefined;
    const recovered = await api.get(`/v1/clients/acme/metrics?${RANGE}&granularity=total`, { key: api.keys.acme });
    expect([recovered.status, recovered.headers.get('x-bosco-served-by')]).toEqual([200, 'new']);
  });

  it('answers for a table as it is now after it was dropped and made again since the last request', async () => {
    api = await startApi({ seed });
    await api.setStage('acme', 'live');
    expect((await api.get(`/v1/clients/acme/metrics?${RANGE}`, { key: api.keys.acme })).status).toBe(200);
    await api.warehouse.run('DROP TABLE metric_rows');
    const dropped = await api.get(`/v1/clients/acme/metrics?${RANGE}`, { key: api.keys.acme });
    expect(dropped.status).toBe(503);
    expect(errorOf(dropped).code).toBe('SOURCE_NOT_FOUND');
    await writeNewRows(api.warehouse, [metricRow({ client_id: 'acme', spend: 3 })]);
    const again = await api.get(`/v1/clients/acme/metrics?${RANGE}&granularity=total`, { key: api.keys.acme });
    expect(again.body.rows).toEqual([expect.objectContaining({ spend: 3 })]);
  });

  it("answers 503 when the chosen side has no table yet, rather than an empty answer", async () => {
    api = await startApi({ seed: (warehouse) => writeLegacyRows(warehouse, [legacyRow({ client_id: 'acme' })]) });
    await api.setStage('acme', 'live');
    const response = await api.get(`/v1/clients/acme/metrics?${RANGE}`, { key: api.keys.acme });
    expect(response.status).toBe(503);
    expect(errorOf(response)).toMatchObject({ code: 'SOURCE_NOT_FOUND', message: expect.stringContaining('metric_rows') });
  });
});
