import { BoscoError } from '../../core/errors.js';
import { decimalFromNumber, multiplyDecimals, ONE, roundToNumber, type Decimal } from './decimal.js';

/** One row of the rates table: on `date`, one unit of `base` buys `rate` units of `quote`. */
export interface FxRateRow {
  date: string;
  base: string;
  quote: string;
  rate: number;
}

/** How to turn an amount of one currency into another on a day: × `multiplier` / `divisor`, both exact. */
export interface FxQuote {
  multiplier: Decimal;
  divisor: Decimal;
  /** The same rate as a number (10 decimals), for lineage and people. */
  rate: number;
  /** Which rows gave it: `direct` (from → to), `inverse` (to → from) or `via EUR` (two rows through another currency). */
  via: string;
}

/** A day's rates, looked up by the pure conversion. */
export interface FxTable {
  /** Units of `to` per unit of `from` on `date`; undefined when the table cannot say. */
  quote(date: string, from: string, to: string): FxQuote | undefined;
}

type Leg = Omit<FxQuote, 'rate'>;

/** Canonical money (and fractional conversions) carry two decimals: the cents the reconciler's 0.01 tolerance is made for. */
export const CANONICAL_DECIMALS = 2;

/**
 * Indexes rate rows by day. A pair is found as written, inverted, or through one other currency on the same day (a
 * table of EUR-based reference rates converts GBP to USD), but never from another day and never defaulted to 1.
 */
export function fxTable(rows: readonly FxRateRow[]): FxTable {
  // Per day: from → to → the leg, both directions of every row.
  const days = new Map<string, Map<string, Map<string, Leg>>>();
  const put = (date: string, from: string, to: string, leg: Leg) => {
    const day = days.get(date) ?? days.set(date, new Map()).get(date)!;
    const legs = day.get(from) ?? day.set(from, new Map()).get(from)!;
    if (!legs.has(to)) legs.set(to, leg);
  };
  // Rows as written first, so a pair present both ways is converted with its own row rather than the inverse.
  for (const row of rows) {
    const rate = decimalFromNumber(row.rate);
    if (!rate || rate.digits <= 0n) {
      throw new BoscoError('SOURCE_MALFORMED', `FX rate ${row.base}→${row.quote} on ${row.date} is ${row.rate}, not a positive number`, {
        hint: 'fix the row in the rates table: a rate is how many units of quote buy one unit of base, e.g. 1.08',
      });
    }
    put(row.date, row.base, row.quote, { multiplier: rate, divisor: ONE, via: 'direct' });
  }
  for (const row of rows) put(row.date, row.quote, row.base, { multiplier: ONE, divisor: decimalFromNumber(row.rate)!, via: 'inverse' });

  const quoteOf = (leg: Leg): FxQuote => ({ ...leg, rate: roundToNumber(ONE, 10, leg.multiplier, leg.divisor) });
  return {
    quote(date, from, to) {
      const day = days.get(date);
      const legs = day?.get(from);
      if (!day || !legs) return undefined;
      const direct = legs.get(to);
      if (direct) return quoteOf(direct);
      const pivot = [...legs.keys()].sort().find((currency) => day.get(currency)?.has(to));
      if (pivot === undefined) return undefined;
      const first = legs.get(pivot)!;
      const second = day.get(pivot)!.get(to)!;
      return quoteOf({ multiplier: multiplyDecimals(first.multiplier, second.multiplier), divisor: multiplyDecimals(first.divisor, second.divisor), via: `via ${pivot}` });
    },
  };
}

/** A rate the conversion needed and the table does not have. */
export interface MissingRate {
  date: string;
  from: string;
  to: string;
  /** The accounts whose amounts needed it. */
  accounts: string[];
}

/** A partition whose amounts cannot be converted: an error for that partition, never a silent rate of 1. */
export class FxRateMissingError extends BoscoError {
  readonly missing: readonly MissingRate[];

  constructor(missing: readonly MissingRate[]) {
    const pairs = missing.map((rate) => `${rate.from}→${rate.to} on ${rate.date} (account${rate.accounts.length > 1 ? 's' : ''} ${rate.accounts.join(', ')})`);
    super('FX_RATE_MISSING', `no FX rate for ${pairs.join('; ')}`, {
      hint: 'seed the rates table from a CSV with the columns date, base, quote, rate, holding a rate for every day and currency the accounts report in',
    });
    this.name = 'FxRateMissingError';
    this.missing = missing;
  }
}

/** `amount` in the target currency (`quote` undefined: already in it), rounded to cents: the one rounding it goes through. */
export function convertAmount(amount: Decimal, quote: FxQuote | undefined): number {
  return roundToNumber(amount, CANONICAL_DECIMALS, quote?.multiplier, quote?.divisor);
}
