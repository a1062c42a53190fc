/**
 * Exact decimal arithmetic for money and counts on their way from platform text to canonical numbers. Amounts are
 * summed and converted exactly (BigInt digits and a power-of-ten scale) and rounded once, at the end: summing
 * floats first would let `0.1 + 0.2` errors reach the cents.
 */

/** The exact value `digits × 10^-scale`. */
export interface Decimal {
  readonly digits: bigint;
  /** Digits after the decimal point; never negative. */
  readonly scale: number;
}

export const ZERO: Decimal = { digits: 0n, scale: 0 };
export const ONE: Decimal = { digits: 1n, scale: 0 };

const DECIMAL_TEXT = /^(-?)(\d+)(?:\.(\d+))?(?:[eE]([-+]?\d+))?$/;

/** `text` as an exact decimal, e.g. `"12.30"`, `"-4"`, `"1.5e-7"`; undefined when it is not a number. */
export function parseDecimal(text: string): Decimal | undefined {
  const match = DECIMAL_TEXT.exec(text);
  if (!match) return undefined;
  const [, sign, whole, fraction = '', exponent = '0'] = match;
  const digits = BigInt(`${sign}${whole}${fraction}`);
  const scale = fraction.length - Number(exponent);
  return scale >= 0 ? { digits, scale } : { digits: digits * 10n ** BigInt(-scale), scale: 0 };
}

/**
 * A JSON number as the decimal it was written as: JavaScript prints a double as the shortest text that reads back
 * as the same double, which is the API's own text for any value it wrote with up to 15 significant digits.
 */
export function decimalFromNumber(value: number): Decimal | undefined {
  return Number.isFinite(value) ? parseDecimal(String(value)) : undefined;
}

/** `value` in millionths, as Google Ads sends money (`costMicros`). */
export function fromMicros(micros: bigint): Decimal {
  return { digits: micros, scale: 6 };
}

function rescale(value: Decimal, scale: number): bigint {
  return value.digits * 10n ** BigInt(scale - value.scale);
}

export function addDecimals(a: Decimal, b: Decimal): Decimal {
  const scale = Math.max(a.scale, b.scale);
  return { digits: rescale(a, scale) + rescale(b, scale), scale };
}

export function multiplyDecimals(a: Decimal, b: Decimal): Decimal {
  return { digits: a.digits * b.digits, scale: a.scale + b.scale };
}

/** `numerator / denominator` rounded half away from zero, as SQL's `round` does; `denominator` is positive. */
function divideRounded(numerator: bigint, denominator: bigint): bigint {
  const magnitude = (2n * (numerator < 0n ? -numerator : numerator) + denominator) / (2n * denominator);
  return numerator < 0n ? -magnitude : magnitude;
}

/**
 * `value × multiplier / divisor` rounded to `places` decimals (half away from zero), as the nearest JavaScript
 * number. The product is exact; this is the only rounding on the way to a canonical value.
 */
export function roundToNumber(value: Decimal, places: number, multiplier: Decimal = ONE, divisor: Decimal = ONE): number {
  if (divisor.digits <= 0n) throw new RangeError('roundToNumber: the divisor must be positive');
  // value × multiplier / divisor = (v·m / d) × 10^(d.scale − v.scale − m.scale); shift so the quotient is in units of 10^-places.
  const shift = places + divisor.scale - value.scale - multiplier.scale;
  let numerator = value.digits * multiplier.digits;
  let denominator = divisor.digits;
  if (shift >= 0) numerator *= 10n ** BigInt(shift);
  else denominator *= 10n ** BigInt(-shift);
  return Number(divideRounded(numerator, denominator)) / 10 ** places;
}
