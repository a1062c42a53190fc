/** Units of `quote` that one unit of `base` buys on `date`; undefined when the rates do not say. */
export type FxRateLookup = (date: string, base: string, quote: string) => number | undefined;

/** One rate row, as the workspace's rates table holds them: on `date`, one `base` buys `rate` units of `quote`. */
export interface FxRate {
  date: string;
  base: string;
  quote: string;
  rate: number;
}

/**
 * The legacy system's rate lookup over a table of daily rates: the pair as written, else its inverse; never another
 * day's rate and never a cross through a third currency (where none is found the client's day fails).
 */
export function fxRateLookup(rates: readonly FxRate[]): FxRateLookup {
  const byKey = new Map(rates.map((row) => [`${row.date}|${row.base}|${row.quote}`, row.rate]));
  return (date, base, quote) => {
    const direct = byKey.get(`${date}|${base}|${quote}`);
    if (direct !== undefined) return direct;
    const inverse = byKey.get(`${date}|${quote}|${base}`);
    return inverse === undefined ? undefined : 1 / inverse;
  };
}
