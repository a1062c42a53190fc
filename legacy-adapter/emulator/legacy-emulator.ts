import pLimit from 'p-limit';
import type { ClientConfig } from '../../core/config.js';
import { dayInTimeZone, isRealIsoDate } from '../../core/dates.js';
import { BoscoError, messageOf } from '../../core/errors.js';
import { getLogger } from '../../core/logger.js';
import type { Platform } from '../../core/metric-row.js';
import { LEGACY_PLATFORM_CODES } from '../legacy-schema.js';
import type { FxRateLookup } from './legacy-fx.js';
import { LegacyHttp, type LegacyHttpOptions } from './legacy-http.js';
import { PIXEL_PURCHASE_ACTION, quirkApplies, type LegacyQuirks } from './legacy-quirks.js';
import { LEGACY_PULLERS } from './platforms/index.js';
import type { PulledAccount } from './platforms/types.js';
import { openLegacyStore, type LegacyTarget } from './stores/index.js';
import { statTimestamp, type LegacyExportRow } from './stores/legacy-store.js';

/** What the emulator needs of a configured client. */
export type LegacyClient = Pick<ClientConfig, 'id' | 'currency' | 'timeZone' | 'accounts' | 'conversions'>;

export interface LegacyRunRequest {
  clients: readonly LegacyClient[];
  /** The day to run, YYYY-MM-DD. */
  date: string;
  /** Each platform's API root, or one root serving every platform (the simulator's URL). Required for every platform a client uses. */
  baseUrl: string | Partial<Record<Platform, string>>;
  /** Each platform's credential, or one for every platform (the simulator's token). Never logged. */
  credential: string | Partial<Record<Platform, string>>;
  target: LegacyTarget;
  /** What the legacy system counts as conversions for a client on a platform: what its operators configured, the same as the new pipeline's unless a quirk says otherwise. */
  conversionsFor: (client: LegacyClient, platform: Platform) => readonly string[];
  /** The known legacy behaviours to reproduce, and where. Default: none, so the export matches the platforms. */
  quirks?: LegacyQuirks;
  /** Rates for converting account money into the client's currency (see `fxRateLookup`). Default: none, so a client needing a conversion fails. */
  fxRates?: FxRateLookup;
  /** Zone of a client without `timeZone`. Default UTC. */
  defaultTimeZone?: string;
  /** Clients pulled at the same time. Default 4. */
  concurrency?: number;
  http?: LegacyHttpOptions;
}

export interface LegacyClientOutcome {
  clientId: string;
  status: 'written' | 'failed';
  /** Rows inserted for the day, those inserted twice counted twice. */
  rows: number;
  /** Rows inserted a second time by the `retryDoubleInsert` quirk. */
  duplicatedRows: number;
  /** API calls made, retries included. */
  requests: number;
  /** Why the client failed, in one line; its rows of the day are then as they were before the run. */
  error?: string;
  /** How to fix that, when known. */
  hint?: string;
}

export interface LegacyDaySummary {
  date: string;
  /** The export as a source URI for `bosco reconcile --legacy <uri> --legacy-mapping bosco_legacy_v1`. */
  target: string;
  clients: LegacyClientOutcome[];
  elapsedMs: number;
}

const SRC_CODES = Object.fromEntries(Object.entries(LEGACY_PLATFORM_CODES).map(([code, platform]) => [platform, code])) as Record<Platform, string>;

function perPlatform(value: string | Partial<Record<Platform, string>>, platform: Platform): string | undefined {
  return typeof value === 'string' ? value : value[platform];
}

/** The rate the loader applied to an account's money, and the currency it labelled the rows with. */
function moneyOf(pulled: PulledAccount, client: LegacyClient, date: string, unconverted: boolean, fxRates: FxRateLookup | undefined): { ccy: string; rate: number } {
  const currency = pulled.currency ?? client.currency;
  if (currency === client.currency || unconverted) return { ccy: currency, rate: 1 };
  const rate = fxRates?.(date, currency, client.currency);
  if (rate === undefined) {
    throw new BoscoError('FX_RATE_MISSING', `no FX rate for ${currency}→${client.currency} on ${date}`, {
      hint: 'seed the rates with `bosco fx import <csv>` (columns date, base, quote, rate) for every day and currency the accounts report in',
    });
  }
  return { ccy: client.currency, rate };
}

const countRows = (pages: Iterable<readonly LegacyExportRow[]>) => [...pages].reduce((sum, page) => sum + page.length, 0);

const micros = (amount: number, rate: number) => Math.round(amount * rate * 1e6);

/**
 * One account's day as the loader sends it: one INSERT per API page, and the first page a second time where the
 * retry quirk is on.
 */
async function accountInserts(request: LegacyRunRequest, client: LegacyClient, account: LegacyClient['accounts'][number], http: LegacyHttp): Promise<LegacyExportRow[][]> {
  const { date } = request;
  const { platform, accountId } = account;
  const applies = (quirk: keyof LegacyQuirks) => quirkApplies(request.quirks ?? {}, quirk, client.id, accountId);
  const puller = LEGACY_PULLERS[platform];
  // A platform added after the legacy system was written: it has none of its rows, as the old system would not.
  if (!puller) return [];
  const baseUrl = perPlatform(request.baseUrl, platform)?.replace(/\/+$/, '');
  const credential = perPlatform(request.credential, platform);
  if (!baseUrl) throw new BoscoError('CONFIG_INVALID', `no base URL for ${platform}`, { hint: `set platforms.${platform}.baseUrl, or pass --base-url` });
  if (!credential) throw new BoscoError('CREDENTIALS_MISSING', `no credential for ${platform}`, { hint: `export BOSCO_${platform.toUpperCase()}_TOKEN=<token>` });

  const utcDays = applies('utcDays');
  const clientZone = client.timeZone ?? request.defaultTimeZone ?? 'UTC';
  const pulled = await puller.pull({
    http,
    baseUrl,
    credential,
    accountId,
    // A legacy day starts at midnight UTC; whole-day reports were asked for the client's day at that instant.
    day: utcDays && puller.reportsWholeDays ? dayInTimeZone(new Date(`${date}T00:00:00Z`), clientZone) : date,
    bucketTimeZone: utcDays ? 'UTC' : undefined,
    conversions: platform === 'meta_ads' && applies('pixelPurchasesOnly') ? [PIXEL_PURCHASE_ACTION] : request.conversionsFor(client, platform),
  });
  const { ccy, rate } = moneyOf(pulled, client, date, applies('unconvertedCurrency'), request.fxRates);
  const inserts = pulled.pages.map((page) =>
    page.map((campaign): LegacyExportRow => ({
      client_ref: client.id,
      stat_ts: statTimestamp(date),
      src: SRC_CODES[platform],
      account_ref: accountId,
      campaign_ref: campaign.campaignId,
      ccy,
      cost_micros: campaign.spend === null ? null : micros(campaign.spend, rate),
      impr: campaign.impressions,
      clk: campaign.clicks,
      conv: campaign.conversions,
      rev_micros: micros(campaign.revenue, rate),
    })),
  );
  // The first page's insert is acknowledged after the loader's timeout; it sends the page again, unaware it landed.
  return applies('retryDoubleInsert') && inserts.length > 0 ? [inserts[0]!, ...inserts] : inserts;
}

/**
 * The legacy pipeline for one day: pulls every configured client's accounts from the platforms' APIs, the way the old
 * system called them, and writes its own export table, `legacy_export.daily_stats`, with a delete-then-insert per
 * client. The legacy system's known behaviours are reproduced only where `quirks` scope them. Clients are
 * independent: one that fails keeps its previous rows and the others are still written.
 */
export async function runLegacyDay(request: LegacyRunRequest): Promise<LegacyDaySummary> {
  const started = Date.now();
  const { date } = request;
  if (!isRealIsoDate(date)) throw new BoscoError('USAGE', `legacy run date '${date}' is not a day`, { hint: 'pass the day as YYYY-MM-DD' });
  const log = getLogger().child({ legacy_run: date });
  const store = await openLegacyStore(request.target);
  try {
    await store.prepare();
    const pulls = pLimit(request.concurrency ?? 4);
    // One flow of statements at a time: a warehouse connection does not interleave transactions.
    const writes = pLimit(1);

    const runClient = async (client: LegacyClient): Promise<LegacyClientOutcome> => {
      const http = new LegacyHttp(request.http);
      try {
        const inserts: LegacyExportRow[][] = [];
        for (const account of client.accounts) inserts.push(...(await accountInserts(request, client, account, http)));
        await writes(() => store.replaceClientDay(client.id, date, inserts));
        const rows = countRows(inserts);
        // A page sent twice is the same array both times.
        return { clientId: client.id, status: 'written', rows, duplicatedRows: rows - countRows(new Set(inserts)), requests: http.requests };
      } catch (error) {
        const reason = error instanceof BoscoError ? error.message : `unexpected: ${messageOf(error)}`;
        log.error({ client_id: client.id, error: reason }, 'legacy client day failed');
        const hint = error instanceof BoscoError ? error.hint : undefined;
        return { clientId: client.id, status: 'failed', rows: 0, duplicatedRows: 0, requests: http.requests, error: reason, ...(hint ? { hint } : {}) };
      }
    };

    const clients = await Promise.all(request.clients.map((client) => pulls(() => runClient(client))));
    return { date, target: store.sourceUri, clients, elapsedMs: Date.now() - started };
  } finally {
    await store.close();
  }
}
