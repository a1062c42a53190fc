import type { ClientConfig } from '../../core/config.js';
import { conversionsFor } from './conversions.js';
import { addDays, isValidTimeZone } from '../../core/dates.js';
import { BoscoError } from '../../core/errors.js';
import type { MetricRow } from '../../core/metric-row.js';
import { localMidnightUtc } from '../connectors/shopify/shopify-query.js';
import type { PartitionKey } from '../landing/raw-landing.js';
import { CANONICAL_DECIMALS, convertAmount, FxRateMissingError, type FxQuote, type FxTable, type MissingRate } from './currency-conversion.js';
import { addDecimals, roundToNumber, type Decimal } from './decimal.js';
import { transformFor } from './index.js';
import type { AccountRecords, PlatformTransform, RecordAmounts } from './types.js';

/** One landed partition's parsed records and what converting them needs. */
export interface PartitionTransformInput {
  key: PartitionKey;
  /** The client: its reporting currency and which conversions count for it. */
  client: Pick<ClientConfig, 'currency' | 'conversions'>;
  /** The client's reporting time zone: its `timeZone`, else the config's `reportingTimeZone`. */
  clientTimeZone: string;
  /** Every account of the partition, each fetched for the partition's day in its own time zone. */
  accounts: readonly AccountRecords[];
  rates: FxTable;
}

/** What the transform did with one account, for the partition's lineage. */
export interface AccountLineage {
  /** IANA zone the account's day is counted in, as its API reported it; null when it did not say. */
  time_zone: string | null;
  /**
   * True when that zone's day D starts or ends at another instant than the client's day D (its rows are the
   * client's day D by label, hours apart in fact), or when the zone is not one this runtime knows; false when the
   * days match or the API did not say.
   */
  time_zone_differs: boolean;
  /** The rows' currency: the client's reporting currency. */
  currency: string;
  /** The account's own currency when its amounts were converted, else null. */
  converted_from: string | null;
  /** The rate applied (units of `currency` per unit of `converted_from`), its day and how it was found; null when not converted. */
  fx: { date: string; rate: number; via: string } | null;
  /** Raw records read and canonical rows they made. */
  records: number;
  rows: number;
}

/** A partition's canonical rows and, for its lineage manifest, what was done per account. */
export interface PartitionTransformResult {
  /** One row per account and campaign, dated the partition's day, in the client's currency. */
  rows: MetricRow[];
  /** By account id. */
  accounts: Record<string, AccountLineage>;
  transformVersion: string;
}

type Amounts = Omit<RecordAmounts, 'day' | 'campaignId' | 'currency'>;

function sum<T extends Decimal | bigint>(a: T | null, b: T | null, add: (x: T, y: T) => T): T | null {
  return a === null ? b : b === null ? a : add(a, b);
}

const addCounts = (a: bigint, b: bigint) => a + b;

function invalid(key: PartitionKey, message: string, hint: string): BoscoError {
  return new BoscoError('PAYLOAD_INVALID', `${key.platform} ${key.clientId} ${key.date}: ${message}`, { hint });
}

/** One account's records summed to the canonical grain (one entry per campaign), exact, with the currency they are in. */
function aggregateAccount(transform: PlatformTransform, key: PartitionKey, account: AccountRecords, conversions: readonly string[]) {
  const campaigns = new Map<string, Amounts>();
  const currencies = new Set(account.facts.currency ? [account.facts.currency] : []);
  for (const record of account.records) {
    const { day, campaignId, currency, ...amounts } = transform.read(record, { conversions, facts: account.facts });
    if (day !== key.date) {
      throw invalid(key, `account ${account.accountId}: campaign ${campaignId} has a record for ${day}`, 'a partition holds one day; fetch the day again');
    }
    if (currency) currencies.add(currency);
    const seen = campaigns.get(campaignId);
    campaigns.set(
      campaignId,
      seen
        ? {
            spend: sum(seen.spend, amounts.spend, addDecimals),
            impressions: sum(seen.impressions, amounts.impressions, addCounts),
            clicks: sum(seen.clicks, amounts.clicks, addCounts),
            conversions: sum(seen.conversions, amounts.conversions, addDecimals),
            revenue: sum(seen.revenue, amounts.revenue, addDecimals),
          }
        : amounts,
    );
  }
  if (currencies.size > 1) {
    throw invalid(key, `account ${account.accountId} reports money in ${[...currencies].sort().join(' and ')}`, 'an account has one currency; compare the landed payload with the API');
  }
  const [currency] = currencies;
  if (campaigns.size > 0 && !currency) {
    throw invalid(key, `account ${account.accountId}: the API did not say which currency its amounts are in`, 'the account-info page carries the currency; fetch the day again');
  }
  return { campaigns, currency };
}

/** Whether `zone`'s day `date` covers other instants than `clientZone`'s; names are not compared, so aliases match. */
function dayDiffers(date: string, zone: string, clientZone: string): boolean {
  const next = addDays(date, 1);
  return localMidnightUtc(date, zone) !== localMidnightUtc(date, clientZone) || localMidnightUtc(next, zone) !== localMidnightUtc(next, clientZone);
}

const count = (value: bigint | null) => (value === null ? null : Number(value));

/**
 * Turns one partition's raw records into canonical rows: each account's records summed per campaign, amounts
 * converted to the client's currency with the day's rate and rounded once, dated the partition's day (the client's
 * reporting day). Every rate the partition needs and lacks is reported together in one FxRateMissingError.
 */
export function transformPartition(input: PartitionTransformInput): PartitionTransformResult {
  const { key, client, rates } = input;
  const transform = transformFor(key.platform);
  const conversions = conversionsFor(client, key.platform);
  const aggregated = input.accounts.map((account) => ({ account, ...aggregateAccount(transform, key, account, conversions) }));

  const quotes = new Map<string, FxQuote>();
  const missing = new Map<string, MissingRate>();
  for (const { account, campaigns, currency } of aggregated) {
    if (campaigns.size === 0 || currency === client.currency) continue;
    const quote = rates.quote(key.date, currency!, client.currency);
    if (quote) quotes.set(account.accountId, quote);
    else {
      const pair = `${currency}/${client.currency}`;
      const entry = missing.get(pair) ?? missing.set(pair, { date: key.date, from: currency!, to: client.currency, accounts: [] }).get(pair)!;
      entry.accounts.push(account.accountId);
    }
  }
  if (missing.size > 0) throw new FxRateMissingError([...missing.values()]);

  const rows: MetricRow[] = [];
  const accounts: Record<string, AccountLineage> = {};
  for (const { account, campaigns, currency } of aggregated) {
    const quote = quotes.get(account.accountId);
    for (const [campaignId, amounts] of campaigns) {
      rows.push({
        client_id: key.clientId,
        date: key.date,
        platform: key.platform,
        account_id: account.accountId,
        campaign_id: campaignId,
        currency: client.currency,
        spend: amounts.spend && convertAmount(amounts.spend, quote),
        impressions: count(amounts.impressions),
        clicks: count(amounts.clicks),
        conversions: amounts.conversions && roundToNumber(amounts.conversions, CANONICAL_DECIMALS),
        revenue: amounts.revenue && convertAmount(amounts.revenue, quote),
      });
    }
    const timeZone = account.facts.timeZone ?? null;
    accounts[account.accountId] = {
      time_zone: timeZone,
      time_zone_differs: timeZone !== null && (!isValidTimeZone(timeZone) || dayDiffers(key.date, timeZone, input.clientTimeZone)),
      currency: client.currency,
      converted_from: quote ? currency! : null,
      fx: quote ? { date: key.date, rate: quote.rate, via: quote.via } : null,
      records: account.records.length,
      rows: campaigns.size,
    };
  }
  return { rows, accounts, transformVersion: transform.transformVersion };
}
