import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addDays } from '../../../core/dates.js';
import { metricRow } from '../../helpers/factories.js';
import { startApi, writeNewRows, type ApiFixture } from '../helpers/api-fixture.js';

const LAST = '2026-03-30';

/** Insights over HTTP: the same keys and isolation as the metrics, from the new pipeline's rows. */
describe('GET /v1/clients/:id/insights', () => {
  let api: ApiFixture;
  beforeAll(async () => {
    api = await startApi({
      // Eight weeks of one campaign with a weekly cycle: enough history for a forecast.
      seed: (warehouse) =>
        writeNewRows(warehouse, Array.from({ length: 56 }, (_, i) => {
          const date = addDays(LAST, -i);
          const weekday = new Date(`${date}T00:00:00Z`).getUTCDay();
          const spend = 100 + (weekday === 0 || weekday === 6 ? -30 : 10) + i * 0.1;
          return metricRow({ client_id: 'acme', date, platform: 'google_ads', spend, impressions: 1000, clicks: 50, conversions: spend / 20, revenue: spend * 3 });
        })),
    });
  });
  afterAll(async () => {
    await api?.close();
  });

  it('answers a live client with its forecast, pacing, anomalies and recommendations', async () => {
    await api.setStage('acme', 'live');
    const response = await api.get(`/v1/clients/acme/insights?date=${LAST}`, { key: api.keys.acme });
    expect(response.status, response.text).toBe(200);
    expect(response.headers.get('x-bosco-stage')).toBe('live');
    expect(response.body).toMatchObject({ client_id: 'acme', date: LAST });
    expect(response.body.forecasts.length).toBeGreaterThan(0);
  });

  it('refuses another client’s key, a bad date, and a client the new pipeline does not run for yet', async () => {
    expect((await api.get(`/v1/clients/acme/insights?date=${LAST}`, { key: api.keys.bravo })).status).toBe(403);
    expect((await api.get('/v1/clients/acme/insights?date=30-03-2026', { key: api.keys.acme })).status).toBe(400);
    await api.setStage('bravo', 'shadow');
    await api.setStage('bravo', 'legacy');
    const legacy = await api.get(`/v1/clients/bravo/insights?date=${LAST}`, { key: api.keys.bravo });
    expect(legacy.status).toBe(400);
    expect(legacy.body.error.message).toMatch(/does not run for 'bravo' yet/);
  });
});
