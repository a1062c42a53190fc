import { describe, expect, it } from 'vitest';
import { createTiktokAdsConnector, TIKTOK_API_VERSION, tiktokAdsConnector, type TiktokReportRow } from '../../../new-pipeline/connectors/tiktok-ads/tiktok-ads-connector.js';
import type { ApiRequest, ApiResponse, Connector, FetchContext } from '../../../new-pipeline/connectors/types.js';
import { simulatedTiktokAds } from '../../../new-pipeline/simulator/platforms/tiktok-ads.js';
import type { SimEnv } from '../../../new-pipeline/simulator/types.js';
import { envFactory, expectPayloadInvalid, runPartition, sendTo, sum, toApiResponse, toSimRequest } from './sim-harness.js';

const TOKEN = 'tiktok-test-token';
const ADVERTISER = '987654321012345';
const LONG_ID_ADVERTISER = '7000000000000000002';
const DATE = '2026-11-22';

function contextFor(accountId = ADVERTISER, date = DATE): FetchContext {
  return { account: { clientId: 'client-1', platform: 'tiktok_ads', accountId }, date };
}

const send = (connector: Connector<TiktokReportRow>, request: ApiRequest, env: SimEnv) => sendTo(simulatedTiktokAds, connector, request, env, TOKEN);
const fetchPartition = (connector: Connector<TiktokReportRow>, env: SimEnv, context = contextFor()) => runPartition(connector, (request) => send(connector, request, env), context);


/** TikTok's envelope with a non-zero code, always on HTTP 200. */
function tiktokError(code: number, message = 'simulated'): ApiResponse {
  return { status: 200, headers: {}, body: { code, message, request_id: '20261122000000ABCDEF', data: {} } };
}

describe('TikTok Ads connector against the simulated API for Business', () => {
  it('names the API version it speaks in its paths and its api label', () => {
    expect(tiktokAdsConnector.firstRequest(contextFor()).path).toBe(`/open_api/${TIKTOK_API_VERSION}/advertiser/info/`);
    expect(tiktokAdsConnector.api).toContain(`TikTok API for Business ${TIKTOK_API_VERSION}`);
  });

  it('pulls every campaign of the day across small pages and the totals match the ground truth', () => {
    const env = envFactory();
    const truth = env.world.dailyStats('tiktok_ads', ADVERTISER, DATE);
    expect(truth.length).toBeGreaterThan(6);
    const { records } = fetchPartition(createTiktokAdsConnector({ pageSize: 3 }), env);

    expect(records).toHaveLength(truth.length);
    expect(sum(records.map((r) => Number(r.metrics.spend)))).toBeCloseTo(sum(truth.map((t) => t.spend)), 6);
    expect(sum(records.map((r) => Number(r.metrics.impressions)))).toBe(sum(truth.map((t) => t.impressions)));
    expect(sum(records.map((r) => Number(r.metrics.clicks)))).toBe(sum(truth.map((t) => t.clicks)));
    expect(sum(records.map((r) => Number(r.metrics.complete_payment)))).toBeCloseTo(sum(truth.map((t) => t.conversions)), 6);
    expect(sum(records.map((r) => Number(r.metrics.total_complete_payment_rate)))).toBeCloseTo(sum(truth.map((t) => t.revenue)), 6);
    expect(records.every((r) => r.dimensions.stat_time_day === `${DATE} 00:00:00`)).toBe(true);
  });

  it('keeps 19-digit campaign ids as the exact strings the platform holds', () => {
    const env = envFactory();
    const { records } = fetchPartition(createTiktokAdsConnector({ pageSize: 3 }), env, contextFor(LONG_ID_ADVERTISER));
    const truthIds = env.world.dailyStats('tiktok_ads', LONG_ID_ADVERTISER, DATE).map((t) => t.campaignId);
    expect(records.map((r) => r.dimensions.campaign_id)).toEqual(truthIds);
    for (const id of truthIds) {
      expect(id).toMatch(/^\d{19}$/);
      expect(BigInt(id) > BigInt(Number.MAX_SAFE_INTEGER)).toBe(true);
    }
  });

  it('reports the advertiser currency and time zone from advertiser/info, first', () => {
    const env = envFactory();
    const { account, requests } = fetchPartition(tiktokAdsConnector, env);
    const truth = env.world.account('tiktok_ads', ADVERTISER);
    expect(requests[0]!.purpose).toBe('advertiser-info');
    expect(JSON.parse(requests[0]!.query!.advertiser_ids!)).toEqual([ADVERTISER]);
    expect(account).toEqual({ currency: truth.currency, timeZone: truth.timeZone });
  });

  it('walks page by page to page_info.total_page and never asks for a page past it', () => {
    const env = envFactory();
    const rows = env.world.dailyStats('tiktok_ads', ADVERTISER, DATE).length;
    const { requests, records } = fetchPartition(createTiktokAdsConnector({ pageSize: 4 }), env);
    const pages = requests.filter((r) => r.purpose === 'report').map((r) => Number(r.query!.page));
    expect(pages).toEqual(Array.from({ length: Math.ceil(rows / 4) }, (_, i) => i + 1));
    expect(new Set(records.map((r) => r.dimensions.campaign_id)).size).toBe(rows);
  });

  it('asks for one day of the BASIC campaign report by campaign and day', () => {
    const report = tiktokAdsConnector.parse(
      { code: 0, message: 'OK', request_id: 'r1', data: { list: [{ advertiser_id: ADVERTISER, currency: 'USD', timezone: 'UTC' }] } },
      contextFor(),
      tiktokAdsConnector.firstRequest(contextFor()),
    ).next!;
    expect(report.path).toBe(`/open_api/${TIKTOK_API_VERSION}/report/integrated/get/`);
    expect(report.query).toMatchObject({ advertiser_id: ADVERTISER, report_type: 'BASIC', data_level: 'AUCTION_CAMPAIGN', start_date: DATE, end_date: DATE, page: '1' });
    expect(JSON.parse(report.query!.dimensions!)).toEqual(['campaign_id', 'stat_time_day']);
    expect(JSON.parse(report.query!.metrics!)).toEqual(expect.arrayContaining(['spend', 'impressions', 'clicks', 'complete_payment', 'total_complete_payment_rate']));
  });

  it('ends after the advertiser info when the day has no campaigns running', () => {
    const env = envFactory();
    const { records, requests } = fetchPartition(tiktokAdsConnector, env, contextFor(ADVERTISER, '2024-06-01'));
    expect(env.world.dailyStats('tiktok_ads', ADVERTISER, '2024-06-01')).toHaveLength(0);
    expect(records).toHaveLength(0);
    expect(requests).toHaveLength(2);
  });
});

describe('TikTok Ads classify reads the code in the body', () => {
  const connector = tiktokAdsConnector;

  it('treats code 0 as ok', () => {
    expect(connector.classify(tiktokError(0, 'OK'))).toEqual({ kind: 'ok' });
  });

  it('treats HTTP 200 with code 40100 (QPS limit) as throttled', () => {
    const verdict = connector.classify(toApiResponse(simulatedTiktokAds.throttled(1_000)));
    expect(verdict.kind).toBe('throttled');
    expect(verdict.kind === 'throttled' && verdict.reason).toContain('40100');
  });

  it('fails the partition on auth codes: a revoked or expired token, no permission', () => {
    expect(connector.classify(toApiResponse(simulatedTiktokAds.unauthorized())).kind).toBe('fatal');
    expect(connector.classify(tiktokError(40102, 'Access token has expired.')).kind).toBe('fatal');
    expect(connector.classify(tiktokError(40001, 'No permission to operate advertiser.')).kind).toBe('fatal');
  });

  it('retries TikTok system errors (5xxxx) and gateway 5xx', () => {
    expect(connector.classify(toApiResponse(simulatedTiktokAds.serverError())).kind).toBe('retryable');
    expect(connector.classify(tiktokError(51001, 'internal service timeout')).kind).toBe('retryable');
    expect(connector.classify({ status: 503, headers: {}, body: '<html>unavailable</html>', bodyInvalid: true }).kind).toBe('retryable');
  });

  it('fails on an invalid parameter', () => {
    const answer = simulatedTiktokAds.handle(
      { method: 'GET', pathname: '/open_api/v1.3/report/integrated/get/', query: new URLSearchParams({ advertiser_id: ADVERTISER, report_type: 'BASIC' }), headers: {}, body: undefined },
      envFactory(),
    );
    expect(answer.status).toBe(200);
    expect(connector.classify(toApiResponse(answer)).kind).toBe('fatal');
  });

  it('retries an HTTP 200 body cut short as a truncated body', () => {
    const verdict = connector.classify({ status: 200, headers: {}, body: '{"code":0,"message":"OK","data":{"li', bodyInvalid: true });
    expect(verdict.kind).toBe('retryable');
    expect(verdict.kind === 'retryable' && verdict.reason).toContain('truncated body');
  });
});

describe('TikTok Ads schema drift and auth', () => {
  const drifted = (kind: 'rename' | 'add' | 'type') => envFactory({ faults: { drift: { platform: 'tiktok_ads', kind } } });

  it('reports an added metric as unknown and still yields every record', () => {
    const env = drifted('add');
    const { records, unknownFields } = fetchPartition(createTiktokAdsConnector({ pageSize: 5 }), env);
    expect(unknownFields).toEqual(['data.list[].metrics.video_play_actions']);
    expect(records).toHaveLength(env.world.dailyStats('tiktok_ads', ADVERTISER, DATE).length);
  });

  it('rejects a renamed spend metric as PAYLOAD_INVALID naming data.list[0].metrics.spend', () => {
    expectPayloadInvalid(() => fetchPartition(tiktokAdsConnector, drifted('rename')), 'data.list[0].metrics.spend');
  });

  it('rejects impressions sent as a number as PAYLOAD_INVALID naming data.list[0].metrics.impressions', () => {
    expectPayloadInvalid(() => fetchPartition(tiktokAdsConnector, drifted('type')), 'data.list[0].metrics.impressions');
  });

  it('is unauthorized with the wrong Access-Token', () => {
    const request = tiktokAdsConnector.firstRequest(contextFor());
    expect(simulatedTiktokAds.authorized(toSimRequest(request, tiktokAdsConnector.authHeaders('wrong-token')), TOKEN)).toBe(false);
    expect(simulatedTiktokAds.authorized(toSimRequest(request, tiktokAdsConnector.authHeaders(TOKEN)), TOKEN)).toBe(true);
  });

  it('serves only the TikTok paths it knows', () => {
    const get = (pathname: string) => ({ method: 'GET', pathname, query: new URLSearchParams(), headers: {}, body: undefined });
    expect(simulatedTiktokAds.matches(get('/open_api/v1.3/report/integrated/get/'))).toBe(true);
    expect(simulatedTiktokAds.matches(get('/open_api/v1.3/advertiser/info/'))).toBe(true);
    expect(simulatedTiktokAds.matches(get('/v26.0/act_1/insights'))).toBe(false);
  });
});
