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
  /** UTC instant, ISO 8601, whole seconds. */
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
/** Digits in each platform's ids, as the real ones have them; a platform not listed gets 12. */
const ID_DIGITS: Partial<Record<Platform, number>> = { google_ads: 11, meta_ads: 18, ga4: 9, shopify: 13, tiktok_ads: 19 };
/** Days of history before which no campaign starts, so any reasonable date has data. */
const EPOCH = '2025-01-01';

/** FNV-1a over the parts: a stable 32-bit hash. */
function hash32(parts: ReadonlyArray<string | number>): number {
  const text = parts.join('\u0001');
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
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

/**
 * A deterministic stream of numbers in [0, 1) from one seed (mulberry32): for the many draws of one order, one
 * hash and cheap steps instead of a string hash per draw.
 */
function stream(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

/** `count` digits drawn from `next`, the first never 0. */
function drawDigits(count: number, next: () => number): string {
  let out = String(1 + Math.floor(next() * 9));
  for (let i = 1; i < count; i++) out += String(Math.floor(next() * 10));
  return out;
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

/** Plain code-unit order: ISO instants in UTC and ids sort right by it, and far faster than `localeCompare`. */
const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * The most recently used days kept per kind. A client pages through one account's day in a row, and generating
 * a day is far dearer than slicing a page from it (a shop in a spike has thousands of orders).
 */
const CACHED_DAYS = 256;

/** Returns the cached value for `key`, or makes, caches and returns it; the least recently used goes first. */
function cached<T>(cache: Map<string, T>, key: string, make: () => T): T {
  const hit = cache.get(key);
  if (hit !== undefined) {
    cache.delete(key);
    cache.set(key, hit);
    return hit;
  }
  const value = make();
  cache.set(key, value);
  if (cache.size > CACHED_DAYS) cache.delete(cache.keys().next().value!);
  return value;
}

export class SimWorld {
  private readonly seed: number;
  private readonly spike: ReadonlySet<string>;
  private readonly accounts = new Map<string, SimAccount>();
  private readonly stats = new Map<string, SimDailyStats[]>();
  private readonly orderDays = new Map<string, SimOrder[]>();

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
        id: digits(ID_DIGITS[platform] ?? 12, s, key, i, 'id'),
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
    return cached(this.stats, `${platform}/${accountId}/${date}/${pullsBefore}`, () => this.makeDailyStats(platform, accountId, date, pullsBefore));
  }

  private makeDailyStats(platform: Platform, accountId: string, date: string, pullsBefore: number): SimDailyStats[] {
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
   * A shop's orders on its reporting day `date`: about one per ten campaign clicks, spread over the local day, each
   * with a UTC timestamp (Shopify's), attributed to a campaign by UTM for most orders.
   */
  orders(shop: string, date: string): SimOrder[] {
    return cached(this.orderDays, `${shop}/${date}`, () => this.makeOrders(shop, date));
  }

  private makeOrders(shop: string, date: string): SimOrder[] {
    const account = this.account('shopify', shop);
    const s = this.seed;
    const stats = this.dailyStats('shopify', shop, date);
    const count = Math.round(stats.reduce((sum, day) => sum + day.conversions, 0));
    // The local day runs from its midnight to the next one: 23 or 25 hours when the clocks change.
    const dayStartUtc = zonedMidnightUtc(date, account.timeZone);
    const dayLengthMs = zonedMidnightUtc(addDays(date, 1), account.timeZone) - dayStartUtc;
    const orders: SimOrder[] = [];
    for (let i = 0; i < count; i++) {
      const next = stream(hash32([s, shop, date, i]));
      // Whole seconds, as Shopify stamps orders.
      const createdAt = new Date(dayStartUtc + Math.floor((next() * dayLengthMs) / 1000) * 1000).toISOString();
      const attributed = stats.length > 0 && next() < 0.8;
      const first = ['Ana', 'Ben', 'Chloe', 'Dev', 'Eli', 'Fay'][Math.floor(next() * 6)]!;
      const last = ['Smith', 'Garcia', 'Ng', 'Okafor', 'Muller'][Math.floor(next() * 5)]!;
      const campaign = stats[Math.floor(next() * stats.length)];
      orders.push({
        id: `gid://shopify/Order/${drawDigits(13, next)}`,
        name: `#${1000 + i}`,
        createdAt,
        shopDate: date,
        amount: round2(15 + next() * 250),
        currency: account.currency,
        utmCampaign: attributed ? campaign!.campaignId : undefined,
        customer: { email: `${first}.${last}${i}@example.com`.toLowerCase(), firstName: first, lastName: last, phone: `+1555${drawDigits(7, next)}` },
        shippingAddress: { address1: `${1 + Math.floor(next() * 200)} Market St`, city: 'Springfield', zip: drawDigits(5, next), countryCode: 'US' },
      });
    }
    // By time, then id: a total order, so cursors over it are stable.
    return orders.sort((a, b) => byText(a.createdAt, b.createdAt) || byText(a.id, b.id));
  }
}

/** One formatter per zone: building one costs far more than using it, and the simulator reads clocks per request. */
const wallClocks = new Map<string, Intl.DateTimeFormat>();

/** The wall clock of `timeZone` at `instant`: year, month, day, hour, minute, second, as text. */
function wallClock(instant: number, timeZone: string): Record<string, string> {
  let formatter = wallClocks.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' });
    wallClocks.set(timeZone, formatter);
  }
  return Object.fromEntries(formatter.formatToParts(new Date(instant)).map((part) => [part.type, part.value]));
}

/** The calendar day (YYYY-MM-DD) `instant` falls on in `timeZone`. */
export function zonedDay(instant: number, timeZone: string): string {
  const { year, month, day } = wallClock(instant, timeZone);
  return `${year}-${month}-${day}`;
}

/** The UTC instant (ms) at which `date` begins in `timeZone`. */
export function zonedMidnightUtc(date: string, timeZone: string): number {
  const guess = Date.parse(`${date}T00:00:00Z`);
  const offset = (instant: number) => {
    const p = wallClock(instant, timeZone);
    return Date.parse(`${p.year}-${p.month}-${p.day}T${p.hour}:${p.minute}:${p.second}Z`) - instant;
  };
  // Two passes settle the offset across a DST change near midnight.
  const first = guess - offset(guess);
  return guess - offset(first);
}
