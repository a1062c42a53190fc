import { describe, expect, it } from 'vitest';
import { createMetaAdsConnector, META_API_VERSION, metaAdsConnector, type MetaInsightsRow } from '../../../new-pipeline/connectors/meta-ads/meta-ads-connector.js';
import type { ApiRequest, ApiResponse, Connector, FetchContext } from '../../../new-pipeline/connectors/types.js';
import { simulatedMetaAds } from '../../../new-pipeline/simulator/platforms/meta-ads.js';
import type { SimEnv } from '../../../new-pipeline/simulator/types.js';
import { envFactory, expectPayloadInvalid, runPartition, sendTo, sum, toApiResponse, toSimRequest } from './sim-harness.js';

const TOKEN = 'meta-test-token';
const ACCOUNT = '120000000000000001';
const DATE = '2026-11-22';

function contextFor(accountId = ACCOUNT, date = DATE): FetchContext {
  return { account: { clientId: 'client-1', platform: 'meta_ads', accountId }, date };
}

const send = (connector: Connector<MetaInsightsRow>, request: ApiRequest, env: SimEnv) => sendTo(simulatedMetaAds, connector, request, env, TOKEN);
const fetchPartition = (connector: Connector<MetaInsightsRow>, env: SimEnv, context = contextFor()) => runPartition(connector, (request) => send(connector, request, env), context);

const actionValue = (entries: MetaInsightsRow['actions'], type: string) => Number(entries?.find((entry) => entry.action_type === type)?.value ?? 0);

function graphErrorResponse(status: number, code: number, headers: Record<string, string> = {}, extra: Record<string, unknown> = {}): ApiResponse {
  return { status, headers, body: { error: { message: `(#${code}) simulated`, type: 'OAuthException', code, fbtrace_id: 'AbCdEf', ...extra } } };
}

describe('Meta Ads connector against the simulated Marketing API', () => {
  it('names the Graph API version it speaks in its paths and its api label', () => {
    const request = metaAdsConnector.firstRequest(contextFor());
    expect(request.path).toBe(`/${META_API_VERSION}/act_${ACCOUNT}`);
    expect(metaAdsConnector.api).toContain(`Marketing API ${META_API_VERSION}`);
  });

  it('pulls every campaign of the day across small pages and the totals match the ground truth', () => {
    const env = envFactory();
    const truth = env.world.dailyStats('meta_ads', ACCOUNT, DATE);
    expect(truth.length).toBeGreaterThan(6);
    const { records } = fetchPartition(createMetaAdsConnector({ pageSize: 3 }), env);

    expect(records).toHaveLength(truth.length);
    expect(sum(records.map((r) => Number(r.spend)))).toBeCloseTo(sum(truth.map((t) => t.spend)), 6);
    expect(sum(records.map((r) => Number(r.impressions)))).toBe(sum(truth.map((t) => t.impressions)));
    expect(sum(records.map((r) => Number(r.clicks)))).toBe(sum(truth.map((t) => t.clicks)));
    expect(sum(records.map((r) => actionValue(r.actions, 'purchase')))).toBeCloseTo(sum(truth.map((t) => t.conversions)), 6);
    expect(sum(records.map((r) => actionValue(r.action_values, 'purchase')))).toBeCloseTo(sum(truth.map((t) => t.revenue)), 6);
    expect(records.every((r) => r.date_start === DATE && r.date_stop === DATE)).toBe(true);
  });

  it('keeps 18-digit campaign ids as the exact strings the platform holds', () => {
    const env = envFactory();
    const { records } = fetchPartition(createMetaAdsConnector({ pageSize: 4 }), env);
    const truthIds = env.world.dailyStats('meta_ads', ACCOUNT, DATE).map((t) => t.campaignId);
    expect(records.map((r) => r.campaign_id)).toEqual(truthIds);
    for (const id of records.map((r) => r.campaign_id)) {
      expect(id).toMatch(/^\d{18}$/);
      expect(BigInt(id) > BigInt(Number.MAX_SAFE_INTEGER)).toBe(true);
    }
  });

  it('reports the ad account currency and time zone from the account node, first', () => {
    const env = envFactory();
    const { account, requests, records } = fetchPartition(metaAdsConnector, env);
    const truth = env.world.account('meta_ads', ACCOUNT);
    expect(requests[0]!.purpose).toBe('account-info');
    expect(account).toEqual({ currency: truth.currency, timeZone: truth.timeZone });
    expect(new Set(records.map((r) => r.account_currency))).toEqual(new Set([truth.currency]));
  });

  it('follows the after cursor exactly: one request per page and no row twice', () => {
    const env = envFactory();
    const rows = env.world.dailyStats('meta_ads', ACCOUNT, DATE).length;
    const { requests, records } = fetchPartition(createMetaAdsConnector({ pageSize: 5 }), env);
    const insights = requests.filter((r) => r.purpose === 'insights');
    expect(insights).toHaveLength(Math.ceil(rows / 5));
    expect(insights[0]!.query?.after).toBeUndefined();
    expect(insights.slice(1).every((r) => typeof r.query?.after === 'string')).toBe(true);
    expect(new Set(records.map((r) => r.campaign_id)).size).toBe(rows);
  });

  it('asks for one day at campaign level, broken down by day', () => {
    const insights = metaAdsConnector.parse({ id: `act_${ACCOUNT}`, currency: 'USD', timezone_name: 'UTC' }, contextFor(), metaAdsConnector.firstRequest(contextFor())).next!;
    expect(insights.path).toBe(`/${META_API_VERSION}/act_${ACCOUNT}/insights`);
    expect(insights.query).toMatchObject({ level: 'campaign', time_increment: '1', time_range: JSON.stringify({ since: DATE, until: DATE }) });
    expect(insights.query!.fields!.split(',')).toEqual(expect.arrayContaining(['campaign_id', 'spend', 'impressions', 'clicks', 'actions', 'action_values', 'account_currency']));
  });

  it('leaves choosing the purchase action to the transform: other action types come along', () => {
    const { records } = fetchPartition(metaAdsConnector, envFactory());
    const types = new Set(records.flatMap((r) => (r.actions ?? []).map((a) => a.action_type)));
    expect([...types]).toEqual(expect.arrayContaining(['purchase', 'link_click', 'lead']));
  });

  it('sees later-attributed conversions when the day is pulled again', () => {
    const first = fetchPartition(metaAdsConnector, envFactory());
    const again = fetchPartition(metaAdsConnector, envFactory({ pullsBefore: 2 }));
    const purchases = (rows: MetaInsightsRow[]) => sum(rows.map((r) => actionValue(r.actions, 'purchase')));
    expect(purchases(again.records)).toBeGreaterThan(purchases(first.records));
  });
});

describe('Meta Ads classify', () => {
  const connector = metaAdsConnector;

  it('treats a 2xx Graph body as ok', () => {
    expect(connector.classify({ status: 200, headers: {}, body: { data: [] } })).toEqual({ kind: 'ok' });
  });

  it('treats code 17 (user request limit) as throttled', () => {
    expect(connector.classify(graphErrorResponse(400, 17, {}, { error_subcode: 2446079 })).kind).toBe('throttled');
  });

  it('waits as long as x-business-use-case-usage says on a business-use-case throttle (80004)', () => {
    const usage = JSON.stringify({ '123': [{ type: 'ads_management', call_count: 100, total_cputime: 20, total_time: 25, estimated_time_to_regain_access: 3 }] });
    expect(connector.classify(graphErrorResponse(400, 80004, { 'x-business-use-case-usage': usage }))).toMatchObject({ kind: 'throttled', retryAfterMs: 180_000 });
  });

  it('falls back to the ad account reset window, then to Retry-After', () => {
    const adAccount = JSON.stringify({ acc_id_util_pct: 100, reset_time_duration: 42, ads_api_access_tier: 'standard_access' });
    expect(connector.classify(graphErrorResponse(400, 613, { 'x-ad-account-usage': adAccount }))).toMatchObject({ kind: 'throttled', retryAfterMs: 42_000 });
    expect(connector.classify(graphErrorResponse(400, 4, { 'retry-after': '7', 'x-app-usage': '{"call_count":100}' }))).toMatchObject({ kind: 'throttled', retryAfterMs: 7_000 });
  });

  it("reads the simulator's own throttle answers: an ad account's (80000) pauses that account, the app's (4) every account", () => {
    const account = connector.classify(toApiResponse(simulatedMetaAds.throttled(120_000, 'account')));
    expect(account).toMatchObject({ kind: 'throttled', retryAfterMs: 120_000, scope: 'account' });
    expect(account.kind === 'throttled' && account.reason).toContain('80000');
    const app = connector.classify(toApiResponse(simulatedMetaAds.throttled(120_000)));
    expect(app).toMatchObject({ kind: 'throttled' });
    expect(app.kind === 'throttled' && app.scope).toBeUndefined();
    expect(app.kind === 'throttled' && app.reason).toContain('code 4');
  });

  it('scopes each throttle code to the limit it names: ad account codes to the account, app and user codes to the platform', () => {
    const scopeOf = (code: number, extra: Record<string, unknown> = {}) => {
      const verdict = connector.classify(graphErrorResponse(400, code, {}, extra));
      return verdict.kind === 'throttled' ? (verdict.scope ?? 'platform') : verdict.kind;
    };
    expect(scopeOf(80000)).toBe('account');
    expect(scopeOf(80004)).toBe('account');
    expect(scopeOf(613, { error_subcode: 1487742 })).toBe('account');
    expect(scopeOf(17, { error_subcode: 2446079 })).toBe('account');
    expect(scopeOf(17)).toBe('platform');
    expect(scopeOf(4)).toBe('platform');
    expect(scopeOf(32)).toBe('platform');
  });

  it('pauses an ad account whose usage headers say it is spent, on a successful answer, before it is throttled', () => {
    const spent = JSON.stringify({ acc_id_util_pct: 100, reset_time_duration: 30, ads_api_access_tier: 'standard_access' });
    expect(connector.classify({ status: 200, headers: { 'x-ad-account-usage': spent }, body: { data: [] } })).toEqual({ kind: 'ok', accountPauseMs: 30_000 });
    const regain = JSON.stringify({ '1001': [{ type: 'ads_insights', call_count: 96, total_cputime: 20, total_time: 30, estimated_time_to_regain_access: 2 }] });
    expect(connector.classify({ status: 200, headers: { 'x-business-use-case-usage': regain }, body: { data: [] } })).toEqual({ kind: 'ok', accountPauseMs: 120_000 });
    const room = JSON.stringify({ acc_id_util_pct: 40, reset_time_duration: 0 });
    expect(connector.classify({ status: 200, headers: { 'x-ad-account-usage': room }, body: { data: [] } })).toEqual({ kind: 'ok' });
  });

  it('fails the partition on an invalid token (190)', () => {
    const verdict = connector.classify(graphErrorResponse(400, 190));
    expect(verdict.kind).toBe('fatal');
    expect(verdict.kind === 'fatal' && verdict.reason).toMatch(/access token/);
  });

  it('retries a 500 and the transient codes 1 and 2', () => {
    expect(connector.classify(toApiResponse(simulatedMetaAds.serverError())).kind).toBe('retryable');
    expect(connector.classify(graphErrorResponse(400, 2)).kind).toBe('retryable');
    expect(connector.classify({ status: 502, headers: {}, body: '<html>Bad Gateway</html>', bodyInvalid: true }).kind).toBe('retryable');
  });

  it('retries a 2xx body cut short as a truncated body', () => {
    const verdict = connector.classify({ status: 200, headers: {}, body: '{"data":[{"campaign_id":"12', bodyInvalid: true });
    expect(verdict.kind).toBe('retryable');
    expect(verdict.kind === 'retryable' && verdict.reason).toContain('truncated body');
  });

  it('fails on an invalid parameter, such as a request without time_range', () => {
    const answer = simulatedMetaAds.handle({ method: 'GET', pathname: `/${META_API_VERSION}/act_${ACCOUNT}/insights`, query: new URLSearchParams({ level: 'campaign', time_increment: '1' }), headers: {}, body: undefined }, envFactory());
    expect(connector.classify(toApiResponse(answer)).kind).toBe('fatal');
  });
});

describe('Meta Ads schema drift and auth', () => {
  const drifted = (kind: 'rename' | 'add' | 'type') => envFactory({ faults: { drift: { platform: 'meta_ads', kind } } });

  it('reports an added field as unknown and still yields every record', () => {
    const env = drifted('add');
    const { records, unknownFields } = fetchPartition(createMetaAdsConnector({ pageSize: 4 }), env);
    expect(unknownFields).toEqual(['data[].estimated_ad_recallers']);
    expect(records).toHaveLength(env.world.dailyStats('meta_ads', ACCOUNT, DATE).length);
  });

  it('rejects a renamed spend field as PAYLOAD_INVALID naming data[0].spend', () => {
    expectPayloadInvalid(() => fetchPartition(metaAdsConnector, drifted('rename')), 'data[0].spend');
  });

  it('rejects impressions sent as a number as PAYLOAD_INVALID naming data[0].impressions', () => {
    expectPayloadInvalid(() => fetchPartition(metaAdsConnector, drifted('type')), 'data[0].impressions');
  });

  it('is unauthorized with the wrong bearer token and answers with code 190, which is fatal', () => {
    const request = metaAdsConnector.firstRequest(contextFor());
    expect(simulatedMetaAds.authorized(toSimRequest(request, metaAdsConnector.authHeaders('wrong-token')), TOKEN)).toBe(false);
    expect(simulatedMetaAds.authorized(toSimRequest(request, metaAdsConnector.authHeaders(TOKEN)), TOKEN)).toBe(true);
    expect(metaAdsConnector.classify(toApiResponse(simulatedMetaAds.unauthorized())).kind).toBe('fatal');
  });

  it('serves only the Graph paths it knows', () => {
    const get = (pathname: string) => ({ method: 'GET', pathname, query: new URLSearchParams(), headers: {}, body: undefined });
    expect(simulatedMetaAds.matches(get(`/${META_API_VERSION}/act_${ACCOUNT}/insights`))).toBe(true);
    expect(simulatedMetaAds.matches(get(`/${META_API_VERSION}/act_${ACCOUNT}`))).toBe(true);
    expect(simulatedMetaAds.matches(get('/v21/customers/123/googleAds:searchStream'))).toBe(false);
    expect(simulatedMetaAds.matches(get('/open_api/v1.3/report/integrated/get/'))).toBe(false);
  });
});
