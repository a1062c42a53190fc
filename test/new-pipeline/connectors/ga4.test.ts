import { describe, expect, it } from 'vitest';
import { createGa4Connector, GA4_API_VERSION, GA4_DIMENSIONS, GA4_METRICS, ga4Connector, type Ga4ReportRow } from '../../../new-pipeline/connectors/ga4/ga4-connector.js';
import type { ApiRequest, ApiResponse, Connector, FetchContext } from '../../../new-pipeline/connectors/types.js';
import { simulatedGa4 } from '../../../new-pipeline/simulator/platforms/ga4.js';
import type { SimEnv } from '../../../new-pipeline/simulator/types.js';
import { envFactory, expectPayloadInvalid, runPartition, sendTo, sum, toApiResponse, toSimRequest } from './sim-harness.js';

const TOKEN = 'ya29.ga4-test-token';
const PROPERTY = '312345678';
const DATE = '2026-11-22';

function contextFor(accountId = PROPERTY, date = DATE): FetchContext {
  return { account: { clientId: 'client-1', platform: 'ga4', accountId }, date };
}

const send = (connector: Connector<Ga4ReportRow>, request: ApiRequest, env: SimEnv) => sendTo(simulatedGa4, connector, request, env, TOKEN);
const fetchPartition = (connector: Connector<Ga4ReportRow>, env: SimEnv, context = contextFor()) => runPartition(connector, (request) => send(connector, request, env), context);

const bodyOf = (request: ApiRequest) => request.body as { limit: string; offset: string; dateRanges: unknown; dimensions: unknown; metrics: unknown };

function googleErrorResponse(status: number, canonical: string, options: { headers?: Record<string, string>; details?: unknown[] } = {}): ApiResponse {
  return { status, headers: options.headers ?? {}, body: { error: { code: status, message: `simulated ${canonical}`, status: canonical, ...(options.details ? { details: options.details } : {}) } } };
}

describe('GA4 connector against the simulated Data API', () => {
  it('names the API version it speaks in its path and its api label', () => {
    const request = ga4Connector.firstRequest(contextFor());
    expect(request.method).toBe('POST');
    expect(request.path).toBe(`/${GA4_API_VERSION}/properties/${PROPERTY}:runReport`);
    expect(ga4Connector.api).toContain(`Data API ${GA4_API_VERSION}`);
  });

  it('asks for one day by date and campaign, 10,000 rows a page from offset 0, with the property quota', () => {
    const body = bodyOf(ga4Connector.firstRequest(contextFor()));
    expect(body).toMatchObject({ dateRanges: [{ startDate: DATE, endDate: DATE }], limit: '10000', offset: '0', returnPropertyQuota: true });
    expect(body.dimensions).toEqual(GA4_DIMENSIONS.map((name) => ({ name })));
    expect(body.metrics).toEqual(GA4_METRICS.map((name) => ({ name })));
  });

  it('pulls every campaign of the day across small pages and the totals match the ground truth', () => {
    const env = envFactory();
    const truth = env.world.dailyStats('ga4', PROPERTY, DATE);
    expect(truth.length).toBeGreaterThan(6);
    const { records } = fetchPartition(createGa4Connector({ pageSize: 3 }), env);

    expect(records).toHaveLength(truth.length);
    expect(sum(records.map((r) => Number(r.advertiserAdCost)))).toBeCloseTo(sum(truth.map((t) => t.spend)), 6);
    expect(sum(records.map((r) => Number(r.advertiserAdImpressions)))).toBe(sum(truth.map((t) => t.impressions)));
    expect(sum(records.map((r) => Number(r.advertiserAdClicks)))).toBe(sum(truth.map((t) => t.clicks)));
    expect(sum(records.map((r) => Number(r.keyEvents)))).toBeCloseTo(sum(truth.map((t) => t.conversions)), 6);
    expect(sum(records.map((r) => Number(r.totalRevenue)))).toBeCloseTo(sum(truth.map((t) => t.revenue)), 6);
    expect(records.every((r) => r.date === '20261122')).toBe(true);
  });

  it('turns each row into a record keyed by header name, every value still text', () => {
    const { records } = fetchPartition(ga4Connector, envFactory());
    expect(Object.keys(records[0]!).sort()).toEqual([...GA4_DIMENSIONS, ...GA4_METRICS].sort());
    expect(Object.values(records[0]!).every((value) => typeof value === 'string')).toBe(true);
  });

  it('advances the offset page by page until offset + rows reaches rowCount, each row once', () => {
    const env = envFactory();
    const rows = env.world.dailyStats('ga4', PROPERTY, DATE).length;
    const { requests, records } = fetchPartition(createGa4Connector({ pageSize: 4 }), env);
    expect(requests).toHaveLength(Math.ceil(rows / 4));
    expect(requests.map((r) => bodyOf(r).offset)).toEqual(requests.map((_, i) => String(i * 4)));
    expect(requests.every((r) => bodyOf(r).limit === '4')).toBe(true);
    expect(new Set(records.map((r) => r.sessionCampaignId)).size).toBe(rows);
  });

  it('stops after one request when the first page holds the whole report', () => {
    const env = envFactory();
    const rows = env.world.dailyStats('ga4', PROPERTY, DATE).length;
    expect(fetchPartition(createGa4Connector({ pageSize: rows }), env).requests).toHaveLength(1);
  });

  it('keeps campaign ids as the exact strings the platform holds, even past 2^53', () => {
    const env = envFactory();
    const { records } = fetchPartition(ga4Connector, env);
    expect(new Set(records.map((r) => r.sessionCampaignId))).toEqual(new Set(env.world.dailyStats('ga4', PROPERTY, DATE).map((t) => t.campaignId)));

    const huge = '18446744073709551557';
    const request = ga4Connector.firstRequest(contextFor());
    const body = send(ga4Connector, request, env).body as { rows: Array<{ dimensionValues: Array<{ value: string }> }> };
    body.rows[0]!.dimensionValues[1]!.value = huge;
    const parsed = ga4Connector.parse(JSON.parse(JSON.stringify(body)), contextFor(), request);
    expect(parsed.records[0]!.sessionCampaignId).toBe(huge);
    expect(BigInt(parsed.records[0]!.sessionCampaignId) > BigInt(Number.MAX_SAFE_INTEGER)).toBe(true);
  });

  it("reports the property's currency and time zone from the report metadata", () => {
    const env = envFactory();
    const truth = env.world.account('ga4', PROPERTY);
    expect(fetchPartition(ga4Connector, env).account).toEqual({ currency: truth.currency, timeZone: truth.timeZone });
  });

  it('reads an empty day, whose answer leaves out rows and rowCount, as no records and no next page', () => {
    const env = envFactory();
    const { records, requests, account } = fetchPartition(ga4Connector, env, contextFor(PROPERTY, '2024-06-01'));
    expect(records).toEqual([]);
    expect(requests).toHaveLength(1);
    expect(account.currency).toBe(env.world.account('ga4', PROPERTY).currency);
  });

  it('sees later-attributed key events when the day is pulled again', () => {
    const keyEvents = (rows: Ga4ReportRow[]) => sum(rows.map((r) => Number(r.keyEvents)));
    const first = fetchPartition(ga4Connector, envFactory());
    const again = fetchPartition(ga4Connector, envFactory({ pullsBefore: 2 }));
    expect(keyEvents(again.records)).toBeGreaterThan(keyEvents(first.records));
  });

  it('refuses a row from another day rather than landing it under this one', () => {
    const request = ga4Connector.firstRequest(contextFor());
    const body = send(ga4Connector, request, envFactory()).body as { rows: Array<{ dimensionValues: Array<{ value: string }> }> };
    body.rows[2]!.dimensionValues[0]!.value = '20261121';
    expectPayloadInvalid(() => ga4Connector.parse(body, contextFor(), request), 'rows[2].date');
  });

  it('refuses a page size the API would reject', () => {
    expect(() => createGa4Connector({ pageSize: 0 })).toThrow(RangeError);
    expect(() => createGa4Connector({ pageSize: 250_001 })).toThrow(RangeError);
  });
});

describe('GA4 classify', () => {
  const connector = ga4Connector;

  it('treats a 2xx report object as ok', () => {
    expect(connector.classify({ status: 200, headers: {}, body: { dimensionHeaders: [], metricHeaders: [], kind: 'analyticsData#runReport' } })).toEqual({ kind: 'ok' });
  });

  it('waits as long as Retry-After says on a 429, and only that property waits: GA4 counts its quotas per property', () => {
    expect(connector.classify(googleErrorResponse(429, 'RESOURCE_EXHAUSTED', { headers: { 'retry-after': '12' } }))).toMatchObject({ kind: 'throttled', retryAfterMs: 12_000, scope: 'account' });
  });

  it("reads the simulator's own quota answer as throttled, waiting its RetryInfo delay", () => {
    const verdict = connector.classify(toApiResponse(simulatedGa4.throttled(3_000)));
    expect(verdict).toMatchObject({ kind: 'throttled', retryAfterMs: 3_000 });
    expect(verdict.kind === 'throttled' && verdict.reason).toContain('RESOURCE_EXHAUSTED');
  });

  it('treats RESOURCE_EXHAUSTED in the body as throttled even without a 429', () => {
    expect(connector.classify(googleErrorResponse(403, 'RESOURCE_EXHAUSTED')).kind).toBe('throttled');
  });

  it('retries a 500 and a 503', () => {
    expect(connector.classify(toApiResponse(simulatedGa4.serverError())).kind).toBe('retryable');
    expect(connector.classify(googleErrorResponse(503, 'UNAVAILABLE')).kind).toBe('retryable');
  });

  it('fails a 401 and a 403 with the API message', () => {
    const unauthenticated = connector.classify(toApiResponse(simulatedGa4.unauthorized()));
    expect(unauthenticated.kind === 'fatal' && unauthenticated.reason).toContain('Request had invalid authentication credentials');
    const denied = connector.classify(googleErrorResponse(403, 'PERMISSION_DENIED'));
    expect(denied.kind === 'fatal' && denied.reason).toContain('simulated PERMISSION_DENIED');
  });

  it('fails a 400 for an unknown metric with the name the API gives', () => {
    const request = ga4Connector.firstRequest(contextFor());
    const verdict = connector.classify(send(ga4Connector, { ...request, body: { ...bodyOf(request), metrics: [{ name: 'adCost' }] } }, envFactory()));
    expect(verdict.kind).toBe('fatal');
    expect(verdict.kind === 'fatal' && verdict.reason).toContain('adCost is not a valid metric');
  });

  it('retries a 2xx body cut short, or not a JSON object, as a truncated body', () => {
    const cut = connector.classify({ status: 200, headers: {}, body: '{"dimensionHeaders":[{"name":"da', bodyInvalid: true });
    expect(cut.kind === 'retryable' && cut.reason).toContain('truncated body');
    const notObject = connector.classify({ status: 200, headers: {}, body: [] });
    expect(notObject.kind === 'retryable' && notObject.reason).toContain('truncated body');
  });
});

describe('GA4 schema drift and auth', () => {
  const drifted = (kind: 'rename' | 'add' | 'type') => envFactory({ faults: { drift: { platform: 'ga4', kind } } });

  it('reports an added row field as unknown and still yields every record', () => {
    const env = drifted('add');
    const { records, unknownFields } = fetchPartition(createGa4Connector({ pageSize: 5 }), env);
    expect(unknownFields).toEqual(['rows[].sampled']);
    expect(records).toHaveLength(env.world.dailyStats('ga4', PROPERTY, DATE).length);
  });

  it('rejects a renamed advertiserAdCost column as PAYLOAD_INVALID naming rows[0].advertiserAdCost', () => {
    expectPayloadInvalid(() => fetchPartition(ga4Connector, drifted('rename')), 'rows[0].advertiserAdCost');
  });

  it('rejects impressions sent as a number as PAYLOAD_INVALID naming rows[0].advertiserAdImpressions', () => {
    expectPayloadInvalid(() => fetchPartition(ga4Connector, drifted('type')), 'rows[0].advertiserAdImpressions');
  });

  it('is unauthorized with the wrong bearer token', () => {
    const request = ga4Connector.firstRequest(contextFor());
    expect(simulatedGa4.authorized(toSimRequest(request, ga4Connector.authHeaders('wrong-token')), TOKEN)).toBe(false);
    expect(simulatedGa4.authorized(toSimRequest(request, ga4Connector.authHeaders(TOKEN)), TOKEN)).toBe(true);
  });

  it('serves only the runReport path', () => {
    const post = (pathname: string) => ({ method: 'POST', pathname, query: new URLSearchParams(), headers: {}, body: undefined });
    expect(simulatedGa4.matches(post(`/${GA4_API_VERSION}/properties/${PROPERTY}:runReport`))).toBe(true);
    expect(simulatedGa4.matches(post(`/${GA4_API_VERSION}/properties/${PROPERTY}:batchRunReports`))).toBe(false);
    expect(simulatedGa4.matches(post('/v26/customers/123/googleAds:searchStream'))).toBe(false);
  });
});
