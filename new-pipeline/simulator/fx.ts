import { addDays } from '../../core/dates.js';

/** What one unit of each simulated account currency is worth in USD, before the day's wiggle. */
const USD_VALUE: Record<string, number> = { USD: 1, EUR: 1.08, GBP: 1.27, AUD: 0.66, CAD: 0.73 };

export const SIM_CURRENCIES = Object.keys(USD_VALUE);

/** A deterministic daily wiggle of ±1%, so a rate taken from the wrong day shows. */
function wiggle(currency: string, date: string): number {
  if (currency === 'USD') return 1;
  let h = 0;
  for (const char of `${currency}${date}`) h = (Math.imul(h, 31) + char.charCodeAt(0)) >>> 0;
  return 1 + ((h % 2001) - 1000) / 100_000;
}

/** The simulated market's rate on `date`: units of `quote` that buy one unit of `base`. */
export function simFxRate(date: string, base: string, quote: string): number {
  const b = USD_VALUE[base];
  const q = USD_VALUE[quote];
  if (b === undefined || q === undefined) throw new RangeError(`the simulator has no rate for ${base}/${quote}`);
  return Math.round(((b * wiggle(base, date)) / (q * wiggle(quote, date))) * 1e6) / 1e6;
}

/** Every pair's rate for each day from `from` to `to` (inclusive), as the CSV `bosco fx import` reads. */
export function simFxRatesCsv(from: string, to: string): string {
  const lines = ['date,base,quote,rate'];
  for (let date = from; date <= to; date = addDays(date, 1)) {
    for (const base of SIM_CURRENCIES) {
      for (const quote of SIM_CURRENCIES) if (base !== quote) lines.push(`${date},${base},${quote},${simFxRate(date, base, quote)}`);
    }
  }
  return lines.join('\n') + '\n';
}
