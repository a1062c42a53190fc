import type { Platform } from '../../core/metric-row.js';
import type { AccountFacts } from '../connectors/types.js';
import type { Decimal } from './decimal.js';

/** One account's records for a partition's day, as its connector's `parse` yielded them, with the facts its API reported. */
export interface AccountRecords<R = unknown> {
  accountId: string;
  facts: AccountFacts;
  records: readonly R[];
}

/** What a transform needs besides the record. */
export interface RecordContext {
  /** The action types or report metrics that count as conversions for the client (see `conversionsFor`). */
  conversions: readonly string[];
  /** What the account's API reported about it: Shopify buckets orders by the shop's time zone. */
  facts: AccountFacts;
}

/**
 * One raw record's contribution to its campaign's canonical row, exact and in the account's currency. A metric the
 * platform does not measure (Shopify has no spend) is null on every record, so it stays null in the row.
 */
export interface RecordAmounts {
  /** The account's reporting day the record belongs to, YYYY-MM-DD. */
  day: string;
  campaignId: string;
  /** ISO 4217 code of the record's money, when the record itself says (else the account's facts do). */
  currency?: string;
  spend: Decimal | null;
  impressions: bigint | null;
  clicks: bigint | null;
  conversions: Decimal | null;
  revenue: Decimal | null;
}

/**
 * One platform's transform: how a raw record of its connector becomes canonical amounts. Pure, so landed payloads
 * can be re-transformed at any time; bump `transformVersion` whenever what it yields for the same records changes.
 */
export interface PlatformTransform<R = unknown> {
  readonly platform: Platform;
  /** Recorded in every partition's lineage. */
  readonly transformVersion: string;
  /** What the platform's conversions and revenue are, for a person reading the registry. */
  readonly description: string;
  /** Throws a `PAYLOAD_INVALID` BoscoError naming the field when a value cannot be read. */
  read(record: R, context: RecordContext): RecordAmounts;
}
