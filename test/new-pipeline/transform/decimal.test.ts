import { describe, expect, it } from 'vitest';
import { addDecimals, decimalFromNumber, fromMicros, multiplyDecimals, parseDecimal, roundToNumber, type Decimal } from '../../../new-pipeline/transform/decimal.js';

const d = (text: string): Decimal => parseDecimal(text)!;

describe('exact decimals', () => {
  it('reads platform text exactly, exponents included', () => {
    expect(parseDecimal('12.30')).toEqual({ digits: 1230n, scale: 2 });
    expect(parseDecimal('-4')).toEqual({ digits: -4n, scale: 0 });
    expect(parseDecimal('1.5e-7')).toEqual({ digits: 15n, scale: 8 });
    expect(parseDecimal('2E+3')).toEqual({ digits: 2000n, scale: 0 });
  });

  it('refuses text that is not a number', () => {
    for (const text of ['', '1,5', '12.', '.5', 'NaN', '1e', '--1']) expect(parseDecimal(text)).toBeUndefined();
  });

  it('reads a JSON double as the decimal it was written as, and refuses non-finite numbers', () => {
    expect(decimalFromNumber(2.3)).toEqual({ digits: 23n, scale: 1 });
    expect(decimalFromNumber(1e21)).toEqual({ digits: 10n ** 21n, scale: 0 });
    expect(decimalFromNumber(Number.NaN)).toBeUndefined();
    expect(decimalFromNumber(Number.POSITIVE_INFINITY)).toBeUndefined();
  });

  it('sums without float error: 0.1 + 0.2 is 0.3, a hundred thousand cents are 1000', () => {
    expect(roundToNumber(addDecimals(d('0.1'), d('0.2')), 2)).toBe(0.3);
    let total = d('0');
    for (let i = 0; i < 100_000; i++) total = addDecimals(total, d('0.01'));
    expect(roundToNumber(total, 2)).toBe(1_000);
  });

  it('turns micros into units exactly, beyond 2^53 micros', () => {
    expect(roundToNumber(fromMicros(12_345_678n), 2)).toBe(12.35);
    expect(roundToNumber(fromMicros(9_007_199_254_740_993_000n), 2)).toBe(9_007_199_254_740.99);
  });

  it('rounds half away from zero, as SQL round does', () => {
    expect(roundToNumber(d('0.125'), 2)).toBe(0.13);
    expect(roundToNumber(d('0.135'), 2)).toBe(0.14);
    expect(roundToNumber(d('-0.125'), 2)).toBe(-0.13);
    expect(roundToNumber(d('0.1249999'), 2)).toBe(0.12);
  });

  it('multiplies and divides before the single rounding', () => {
    // 100 / 3 × 3 rounded once is 100, where rounding 33.33 first would give 99.99.
    expect(roundToNumber(d('100'), 2, d('3'), d('3'))).toBe(100);
    expect(roundToNumber(d('10.00'), 2, multiplyDecimals(d('1.1'), d('1.1')))).toBe(12.1);
    expect(() => roundToNumber(d('1'), 2, d('1'), d('0'))).toThrow(RangeError);
  });
});
