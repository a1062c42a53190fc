import { describe, expect, it } from 'vitest';
import { GOOGLE_ADS_API_VERSION, googleAdsConnector, type GoogleAdsRow } from '../../../new-pipeline/connectors/google-ads/google-ads-connector.js';
import type { ApiRequest, ApiResponse, FetchContext } from '../../../new-pipeline/connectors/types.js';
import { createSimulatedGoogleAds, simulatedGoogleAds } from '../../../new-pipeline/simulator/platforms/google-ads.js';
import type { SimEnv, SimulatedPlatform } from '../../../new-pipeline/simulator/types.js';
import { envFactory, expectPayloadInvalid, runPartition, sendTo, sum, toApiResponse, toSimRequest } from './sim-harness.js';

const TOKEN = 'ya29.google-ads-test-token';
const CREDENTIAL = `${TOKEN}|dev-token-123`;
const CUSTOMER = '1234567890';
const DATE = '2026-11-22';
const connector = googleAdsConnector;

function contextFor(accountId = CUSTOMER, date = DATE): FetchContext {
  return { account: { clientId: 'client-1', platform: 'google_ads', accountId }, date };
}

const send = (request: ApiRequest, env: SimEnv, route: SimulatedPlatform = simulatedGoogleAds) => sendTo(route, connector, request, env, CREDENTIAL);
const fetchPartition = (env: SimEnv, options: { route?: SimulatedPlatform; context?: FetchContext } = {}) =>
  runPartition(connector, (request) => send(request, env, options.route), options.context ?? contextFor());

/** The day's stream body straight from the route, for tests that edit it before parsing. */
function streamBody(env = envFactory()): Array<{ results?: Array<Record<string, Record<string, unknown>>> }> {
  return send(connector.firstRequest(contextFor()), env).body as Array<{ results?: Array<Record<string, Record<string, unknown>>> }>;
}


/** A Google error body, optionally with a GoogleAdsFailure of one error and extra details. */
function googleErrorResponse(status: number, canonical: string, options: { errorCode?: Record<string, string>; headers?: Record<string, string>; details?: unknown[] } = {}): ApiResponse {
  const failure = options.errorCode
    ? [{ '@type': `type.googleapis.com/google.ads.googleads.${GOOGLE_ADS_API_VERSION}.errors.GoogleAdsFailure`, errors: [{ errorCode: options.errorCode, message: 'simulated' }], requestId: 'req-1' }]
    : [];
  return { status, headers: options.headers ?? {}, body: { error: { code: status, message: `simulated ${canonical}`, status: canonical, details: [...failure, ...(options.details ?? [])] } } };
}

describe('Google Ads connector against the simulated searchStream', () => {
  it('names the API version it speaks in its path and its api label', () => {
    const request = connector.firstRequest(contextFor());
    expect(request.method).toBe('POST');
    expect(request.path).toBe(`/${GOOGLE_ADS_API_VERSION}/customers/${CUSTOMER}/googleAds:searchStream`);
    expect(connector.api).toContain(`Google Ads API ${GOOGLE_ADS_API_VERSION}`);
  });

  it('asks for one day of campaigns with spend, traffic, conversions and the customer currency and time zone', () => {
    const { query } = connector.firstRequest(contextFor()).body as { query: string };
    expect(query).toMatch(/^SELECT .+ FROM campaign WHERE segments\.date = '2026-11-22'$/);
    for (const field of ['campaign.id', 'campaign.name', 'metrics.cost_micros', 'metrics.impressions', 'metrics.clicks', 'metrics.conversions', 'metrics.conversions_value', 'segments.date', 'customer.currency_code', 'customer.time_zone']) {
      expect(query).toContain(field);
    }
  });

  it('accepts a customer id written with dashes, as the Ads UI shows it', () => {
    expect(connector.firstRequest(contextFor('123-456-7890')).path).toBe(`/${GOOGLE_ADS_API_VERSION}/customers/1234567890/googleAds:searchStream`);
  });

  it('pulls every campaign of the day in one request and the totals match the ground truth', () => {
    const env = envFactory();
    const truth = env.world.dailyStats('google_ads', CUSTOMER, DATE);
    expect(truth.length).toBeGreaterThan(3);
    const { records, requests } = fetchPartition(env);

    expect(requests).toHaveLength(1);
    expect(records).toHaveLength(truth.length);
    expect(sum(records.map((r) => Number(r.metrics.costMicros))) / 1e6).toBeCloseTo(sum(truth.map((t) => t.spend)), 6);
    expect(sum(records.map((r) => Number(r.metrics.impressions)))).toBe(sum(truth.map((t) => t.impressions)));
    expect(sum(records.map((r) => Number(r.metrics.clicks)))).toBe(sum(truth.map((t) => t.clicks)));
    expect(sum(records.map((r) => r.metrics.conversions))).toBeCloseTo(sum(truth.map((t) => t.conversions)), 6);
    expect(sum(records.map((r) => r.metrics.conversionsValue))).toBeCloseTo(sum(truth.map((t) => t.revenue)), 6);
    expect(records.every((r) => r.segments.date === DATE)).toBe(true);
  });

  it('keeps int64 values as the strings the API sends, money in micros', () => {
    const { records } = fetchPartition(envFactory());
    for (const record of records) {
      expect(typeof record.metrics.costMicros).toBe('string');
      expect(typeof record.metrics.impressions).toBe('string');
      expect(typeof record.campaign.id).toBe('string');
    }
  });

  it('collects the rows of every batch when the stream comes in several', () => {
    const env = envFactory();
    const truth = env.world.dailyStats('google_ads', CUSTOMER, DATE);
    const route = createSimulatedGoogleAds({ batchSize: 3 });
    const body = send(connector.firstRequest(contextFor()), env, route).body as unknown[];
    expect(body.length).toBe(Math.ceil(truth.length / 3));
    expect(fetchPartition(env, { route }).records.map((r) => r.campaign.id)).toEqual(truth.map((t) => t.campaignId));
  });

  it('keeps campaign ids as the exact strings the platform holds, even past 2^53', () => {
    const env = envFactory();
    const { records } = fetchPartition(env);
    expect(records.map((r) => r.campaign.id)).toEqual(env.world.dailyStats('google_ads', CUSTOMER, DATE).map((t) => t.campaignId));

    const huge = '18446744073709551557';
    const body = streamBody();
    body[0]!.results![0]!.campaign!.id = huge;
    const parsed = connector.parse(JSON.parse(JSON.stringify(body)), contextFor(), connector.firstRequest(contextFor()));
    expect(parsed.records[0]!.campaign.id).toBe(huge);
    expect(BigInt(parsed.records[0]!.campaign.id) > BigInt(Number.MAX_SAFE_INTEGER)).toBe(true);
  });

  it('reports the customer currency and time zone that every row carries', () => {
    const env = envFactory();
    const { account } = fetchPartition(env);
    const truth = env.world.account('google_ads', CUSTOMER);
    expect(account).toEqual({ currency: truth.currency, timeZone: truth.timeZone });
  });

  it('yields no records and no account facts for a day before any campaign ran', () => {
    const { records, account, requests } = fetchPartition(envFactory(), { context: contextFor(CUSTOMER, '2024-06-01') });
    expect(records).toEqual([]);
    expect(account).toEqual({});
    expect(requests).toHaveLength(1);
  });

  it('sees later-attributed conversions when the day is pulled again', () => {
    const conversions = (rows: GoogleAdsRow[]) => sum(rows.map((r) => r.metrics.conversions));
    const first = fetchPartition(envFactory());
    const again = fetchPartition(envFactory({ pullsBefore: 2 }));
    expect(conversions(again.records)).toBeGreaterThan(conversions(first.records));
  });

  it('refuses a row from another day rather than landing it under this one', () => {
    const body = streamBody();
    body[0]!.results![1]!.segments!.date = '2026-11-21';
    expectPayloadInvalid(() => connector.parse(body, contextFor(), connector.firstRequest(contextFor())), '[0].results[1].segments.date');
  });
});

describe('Google Ads credential', () => {
  it('is refused by a simulator requiring the developer token unless the credential carries it, as the real API does', () => {
    const strict = createSimulatedGoogleAds({ developerToken: 'dev-token-123' });
    const request = connector.firstRequest(contextFor());
    expect(connector.classify(sendTo(strict, connector, request, envFactory(), CREDENTIAL)).kind).toBe('ok');
    for (const [credential, message] of [[TOKEN, /developer-token header is missing/], [`${TOKEN}|wrong-token`, /developer token is not valid/]] as const) {
      const verdict = connector.classify(sendTo(strict, connector, request, envFactory(), credential));
      expect(verdict.kind).toBe('fatal');
      expect(verdict.kind === 'fatal' && verdict.reason).toMatch(message);
      expect(verdict.kind === 'fatal' && verdict.reason).toContain('DEVELOPER_TOKEN_INVALID');
    }
  });

  it('sends the access token as a bearer token and the developer token in its own header', () => {
    expect(connector.authHeaders(CREDENTIAL)).toEqual({ Authorization: `Bearer ${TOKEN}`, 'developer-token': 'dev-token-123' });
  });

  it('adds login-customer-id, without dashes, when a manager account id follows', () => {
    expect(connector.authHeaders(`${TOKEN}|dev-token-123|111-222-3333`)).toEqual({ Authorization: `Bearer ${TOKEN}`, 'developer-token': 'dev-token-123', 'login-customer-id': '1112223333' });
  });

  it('sends a credential without separators as the bearer token alone', () => {
    expect(connector.authHeaders(TOKEN)).toEqual({ Authorization: `Bearer ${TOKEN}` });
  });

  it('is unauthorized with the wrong bearer token, and the answer is a fatal 401', () => {
    const request = connector.firstRequest(contextFor());
    expect(simulatedGoogleAds.authorized(toSimRequest(request, connector.authHeaders(`wrong|dev-token-123`)), TOKEN)).toBe(false);
    expect(simulatedGoogleAds.authorized(toSimRequest(request, connector.authHeaders(CREDENTIAL)), TOKEN)).toBe(true);
    const verdict = connector.classify(toApiResponse(simulatedGoogleAds.unauthorized()));
    expect(verdict.kind).toBe('fatal');
    expect(verdict.kind === 'fatal' && verdict.reason).toMatch(/Oauth token is invalid.*authenticationError: OAUTH_TOKEN_INVALID/);
  });
});

describe('Google Ads classify', () => {
  it('treats a 2xx JSON array as ok', () => {
    expect(connector.classify({ status: 200, headers: {}, body: [{ results: [], requestId: 'r' }] })).toEqual({ kind: 'ok' });
  });

  it('waits as long as Retry-After says on a 429', () => {
    expect(connector.classify(googleErrorResponse(429, 'RESOURCE_EXHAUSTED', { headers: { 'retry-after': '7' } }))).toMatchObject({ kind: 'throttled', retryAfterMs: 7_000 });
  });

  it("reads the simulator's own quota answer, waiting the quotaErrorDetails retryDelay", () => {
    const verdict = connector.classify(toApiResponse(simulatedGoogleAds.throttled(30_000)));
    expect(verdict).toMatchObject({ kind: 'throttled', retryAfterMs: 30_000 });
    expect(verdict.kind === 'throttled' && verdict.reason).toContain('quotaError: RESOURCE_EXHAUSTED');
  });

  it('treats RESOURCE_EXHAUSTED in the body as throttled whatever the HTTP status, waiting a RetryInfo delay', () => {
    const retryInfo = { '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '2.5s' };
    const verdict = connector.classify(googleErrorResponse(400, 'INVALID_ARGUMENT', { errorCode: { quotaError: 'RESOURCE_TEMPORARILY_EXHAUSTED' }, details: [retryInfo] }));
    expect(verdict).toMatchObject({ kind: 'throttled', retryAfterMs: 2_500 });
  });

  it('treats a stream that ended in RESOURCE_EXHAUSTED as throttled, not ok', () => {
    const body = [{ results: [], requestId: 'r' }, { error: { code: 429, message: 'Resource has been exhausted (e.g. check quota).', status: 'RESOURCE_EXHAUSTED' } }];
    expect(connector.classify({ status: 200, headers: {}, body }).kind).toBe('throttled');
  });

  it('fails on ACCESS_PROHIBITED: no quota to wait for', () => {
    expect(connector.classify(googleErrorResponse(403, 'PERMISSION_DENIED', { errorCode: { quotaError: 'ACCESS_PROHIBITED' } })).kind).toBe('fatal');
  });

  it('retries a 500 and a 503', () => {
    expect(connector.classify(toApiResponse(simulatedGoogleAds.serverError())).kind).toBe('retryable');
    expect(connector.classify(googleErrorResponse(503, 'UNAVAILABLE')).kind).toBe('retryable');
    expect(connector.classify({ status: 502, headers: {}, body: '<html>Bad Gateway</html>', bodyInvalid: true }).kind).toBe('retryable');
  });

  it('fails a 401 and a 403 with the API message', () => {
    const unauthenticated = connector.classify(googleErrorResponse(401, 'UNAUTHENTICATED', { errorCode: { authenticationError: 'NOT_ADS_USER' } }));
    expect(unauthenticated).toMatchObject({ kind: 'fatal' });
    expect(unauthenticated.kind === 'fatal' && unauthenticated.reason).toContain('authenticationError: NOT_ADS_USER');
    const denied = connector.classify(googleErrorResponse(403, 'PERMISSION_DENIED', { errorCode: { authorizationError: 'USER_PERMISSION_DENIED' } }));
    expect(denied.kind === 'fatal' && denied.reason).toContain('authorizationError: USER_PERMISSION_DENIED');
  });

  it('fails a 400 bad query with the field the API names', () => {
    const request: ApiRequest = { ...connector.firstRequest(contextFor()), body: { query: `SELECT campaign.id, metrics.cost FROM campaign WHERE segments.date = '${DATE}'` } };
    const verdict = connector.classify(send(request, envFactory()));
    expect(verdict.kind).toBe('fatal');
    expect(verdict.kind === 'fatal' && verdict.reason).toContain("'metrics.cost'");
  });

  it('retries a 2xx body cut short, or not a JSON array, as a truncated body', () => {
    const cut = connector.classify({ status: 200, headers: {}, body: '[{"results":[{"campaign":{"id":"12', bodyInvalid: true });
    expect(cut.kind === 'retryable' && cut.reason).toContain('truncated body');
    const notArray = connector.classify({ status: 200, headers: {}, body: null });
    expect(notArray.kind === 'retryable' && notArray.reason).toContain('truncated body');
  });
});

describe('Google Ads schema drift and replay', () => {
  const drifted = (kind: 'rename' | 'add' | 'type') => envFactory({ faults: { drift: { platform: 'google_ads', kind } } });

  it('reports an added field as unknown and still yields every record', () => {
    const env = drifted('add');
    const { records, unknownFields } = fetchPartition(env);
    expect(unknownFields).toEqual(['[].results[].metrics.engagements']);
    expect(records).toHaveLength(env.world.dailyStats('google_ads', CUSTOMER, DATE).length);
  });

  it('rejects a renamed costMicros as PAYLOAD_INVALID naming its path', () => {
    expectPayloadInvalid(() => fetchPartition(drifted('rename')), '[0].results[0].metrics.costMicros');
  });

  it('rejects impressions sent as a number as PAYLOAD_INVALID naming its path', () => {
    expectPayloadInvalid(() => fetchPartition(drifted('type')), '[0].results[0].metrics.impressions');
  });

  it('refuses to parse a stream that ended in an error, which holds only part of the day', () => {
    const body = [...streamBody(), { error: { code: 500, message: 'Internal error encountered.', status: 'INTERNAL' } }];
    expectPayloadInvalid(() => connector.parse(body, contextFor(), connector.firstRequest(contextFor())), '[1].error');
  });

  it('serves only the searchStream path', () => {
    const post = (pathname: string) => ({ method: 'POST', pathname, query: new URLSearchParams(), headers: {}, body: undefined });
    expect(simulatedGoogleAds.matches(post(`/${GOOGLE_ADS_API_VERSION}/customers/${CUSTOMER}/googleAds:searchStream`))).toBe(true);
    expect(simulatedGoogleAds.matches(post(`/${GOOGLE_ADS_API_VERSION}/customers/${CUSTOMER}/googleAds:search`))).toBe(false);
    expect(simulatedGoogleAds.matches(post('/v1beta/properties/123:runReport'))).toBe(false);
    expect(simulatedGoogleAds.matches({ ...post(`/${GOOGLE_ADS_API_VERSION}/customers/${CUSTOMER}/googleAds:searchStream`), method: 'GET' })).toBe(false);
  });
});
