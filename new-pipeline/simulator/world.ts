import { addDays } from '../../core/dates.js';
import type { Platform } from '../../core/metric-row.js';

/**
 * The simulated platforms' data: deterministic from a seed, for any account id and any day, with the texture of
 * real ad data (campaigns start and stop, weekends dip, a slow trend, spend and conversions correlate,
 * currencies and time zones vary by account). It is also the ground truth the tests check the pipeline against.
 */

export interface SimCampaign {
  /** Text: real ids exceed 2^53. */
  id: string;
  name: string;
  /** First and last active day (inclusive); `end` undefined while running. */
  start: string;
  end?: string;
}

export interface SimAccount {
  platform: Platform;
  accountId: string;
  currency: string;
  timeZone: string;
  campaigns: SimCampaign[];
}

/** One campaign's numbers for one day, in the account's currency and on the account's reporting day. */
export interface SimDailyStats {
  campaignId: string;
  campaignName: string;
  date: string;
  spend: number;
  impressions: number;
  clicks: number;
  conversions: number;
  revenue: number;
}

/** A Shopify order, with the customer data a real order carries (which must never leave the connector). */
export interface SimOrder {
  id: string;
  name: string;
  /** UTC instant, ISO 8601. */
  createdAt: string;
  /** The shop's reporting day the order belongs to. */
  shopDate: string;
  amount: number;
  currency: string;
  /** The campaign id from the order's landing UTM parameters, if any. */
  utmCampaign?: string;
  customer: { email: string; firstName: string; lastName: string; phone: string };
  shippingAddress: { address1: string; city: string; zip: string; countryCode: string };
}

export interface WorldOptions {
  seed?: number;
  /** Accounts (platform account ids) whose volume is ten times normal, as on a campaign launch. */
  spikeAccounts?: readonly string[];
}

const CURRENCIES = ['USD', 'USD', 'USD', 'EUR', 'GBP', 'AUD', 'CAD'];
const TIME_ZONES = ['America/New_York', 'America/Los_Angeles', 'Europe/London', 'Europe/Berlin', 'Australia/Sydney', 'America/Chicago', 'UTC'];
const ID_DIGITS: Record<Platform, number> = { google_ads: 11, meta_ads: 18, ga4: 9, shopify: 13, tiktok_ads: 19 };
/** Days of history before which no campaign starts, so any reasonable date has data. */
const EPOCH = '2025-01-01';

/** FNV-1a over the parts: a stable 32-bit hash. */
function hash32(parts: ReadonlyArray<string | number>): number {
  let h = 0x811c9dc5;
  for (const char of parts.join('\u0001')) {
    h ^= char.charCodeAt(0);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** A number in [0, 1) determined by the parts. */
function unit(...parts: Array<string | number>): number {
  // Two rounds of mixing: FNV alone leaves neighbouring inputs correlated.
  let x = hash32(parts);
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b) >>> 0;
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35) >>> 0;
  return ((x ^ (x >>> 16)) >>> 0) / 2 ** 32;
}

function digits(count: number, ...parts: Array<string | number>): string {
  let out = String(1 + Math.floor(unit(...parts, 'lead') * 9));
  for (let i = 1; i < count; i++) out += String(Math.floor(unit(...parts, i) * 10));
  return out;
}

function daysBetween(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000);
}

const round2 = (value: number) => Math.round(value * 100) / 100;

export class SimWorld {
  private readonly seed: number;
  private readonly spike: ReadonlySet<string>;
  private readonly accounts = new Map<string, SimAccount>();

  constructor(options: WorldOptions = {}) {
    this.seed = options.seed ?? 42;
    this.spike = new Set(options.spikeAccounts ?? []);
  }

  account(platform: Platform, accountId: string): SimAccount {
    const key = `${platform}/${accountId}`;
    const cached = this.accounts.get(key);
    if (cached) return cached;
    const s = this.seed;
    const count = (4 + Math.floor(unit(s, key, 'n') * 30)) * (this.spike.has(accountId) ? 10 : 1);
    const campaigns: SimCampaign[] = [];
    for (let i = 0; i < count; i++) {
      const start = addDays(EPOCH, Math.floor(unit(s, key, i, 'start') * 600));
      const stops = unit(s, key, i, 'stops') < 0.3;
      campaigns.push({
        id: digits(ID_DIGITS[platform], s, key, i, 'id'),
        name: `${['Brand', 'Prospecting', 'Retargeting', 'Sale', 'Launch'][i % 5]} ${i + 1}`,
        start,
        end: stops ? addDays(start, 30 + Math.floor(unit(s, key, i, 'len') * 400)) : undefined,
      });
    }
    const account: SimAccount = {
      platform,
      accountId,
      currency: CURRENCIES[Math.floor(unit(s, key, 'ccy') * CURRENCIES.length)]!,
      timeZone: TIME_ZONES[Math.floor(unit(s, key, 'tz') * TIME_ZONES.length)]!,
      campaigns,
    };
    this.accounts.set(key, account);
    return account;
  }

  /** Campaigns running on `date`. */
  activeCampaigns(platform: Platform, accountId: string, date: string): SimCampaign[] {
    return this.account(platform, accountId).campaigns.filter((c) => c.start <= date && (c.end === undefined || date <= c.end));
  }

  /**
   * The day's numbers per active campaign. `pullsBefore` > 0 models late attribution: each later pull of the
   * same day reports a few percent more conversions and revenue, up to +20%.
   */
  dailyStats(platform: Platform, accountId: string, date: string, pullsBefore = 0): SimDailyStats[] {
    const s = this.seed;
    const weekday = new Date(`${date}T00:00:00Z`).getUTCDay();
    const weekendDip = weekday === 0 || weekday === 6 ? 0.7 : 1;
    const restated = 1 + Math.min(0.2, 0.05 * pullsBefore);
    return this.activeCampaigns(platform, accountId, date).map((campaign) => {
      const c = `${platform}/${accountId}/${campaign.id}`;
      const age = daysBetween(campaign.start, date);
      const trend = 1 + Math.min(1, age / 365) * (unit(s, c, 'trend') - 0.3);
      const noise = 0.85 + unit(s, c, date, 'noise') * 0.3;
      const impressions = Math.round((500 + unit(s, c, 'size') * 20_000) * weekendDip * trend * noise);
      const clicks = Math.round(impressions * (0.005 + unit(s, c, 'ctr') * 0.04));
      const spend = round2(clicks * (0.2 + unit(s, c, 'cpc') * 2.5));
      const conversionRate = 0.01 + unit(s, c, 'cvr') * 0.08;
      const conversions = Math.round(clicks * conversionRate * restated * 100) / 100;
      const revenue = round2(conversions * (20 + unit(s, c, 'aov') * 180));
      return { campaignId: campaign.id, campaignName: campaign.name, date, spend, impressions, clicks, conversions, revenue };
    });
  }

  /**
   * A shop's orders on its reporting day `date`: about one per ten campaign clicks, spread over the day, each
   * with a UTC timestamp (Shopify's), attributed to a campaign by UTM for most orders.
   */
  orders(shop: string, date: string): SimOrder[] {
    const account = this.account('shopify', shop);
    const s = this.seed;
    const stats = this.dailyStats('shopify', shop, date);
    const count = Math.round(stats.reduce((sum, day) => sum + day.conversions, 0));
    const dayStartUtc = zonedMidnightUtc(date, account.timeZone);
    const orders: SimOrder[] = [];
    for (let i = 0; i < count; i++) {
      const o = `${shop}/${date}/${i}`;
      const createdAt = new Date(dayStartUtc + Math.floor(unit(s, o, 't') * 86_399_000)).toISOString();
      const attributed = stats.length > 0 && unit(s, o, 'utm') < 0.8;
      const first = ['Ana', 'Ben', 'Chloe', 'Dev', 'Eli', 'Fay'][Math.floor(unit(s, o, 'fn') * 6)]!;
      const last = ['Smith', 'Garcia', 'Ng', 'Okafor', 'Muller'][Math.floor(unit(s, o, 'ln') * 5)]!;
      orders.push({
        id: `gid://shopify/Order/${digits(13, s, o, 'id')}`,
        name: `#${1000 + i}`,
        createdAt,
        shopDate: date,
        amount: round2(15 + unit(s, o, 'amt') * 250),
        currency: account.currency,
        utmCampaign: attributed ? stats[Math.floor(unit(s, o, 'c') * stats.length)]!.campaignId : undefined,
        customer: { email: `${first}.${last}${i}@example.com`.toLowerCase(), firstName: first, lastName: last, phone: `+1555${digits(7, s, o, 'ph')}` },
        shippingAddress: { address1: `${1 + Math.floor(unit(s, o, 'no') * 200)} Market St`, city: 'Springfield', zip: digits(5, s, o, 'zip'), countryCode: 'US' },
      });
    }
    return orders.sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  }
}

/** The UTC instant (ms) at which `date` begins in `timeZone`. */
export function zonedMidnightUtc(date: string, timeZone: string): number {
  const guess = Date.parse(`${date}T00:00:00Z`);
  const offset = (instant: number) => {
    const parts = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' })
      .formatToParts(new Date(instant))
      .reduce<Record<string, string>>((acc, part) => ({ ...acc, [part.type]: part.value }), {});
    return Date.parse(`${parts.year}-${parts.month}-${parts.day}T${parts.hour}:${parts.minute}:${parts.second}Z`) - instant;
  };
  // Two passes settle the offset across a DST change near midnight.
  const first = guess - offset(guess);
  return guess - offset(first);
}
