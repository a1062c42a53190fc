import { describe, expect, it } from 'vitest';
import { BoscoError } from '../../../core/errors.js';
import { convertAmount, FxRateMissingError, fxTable, type FxRateRow } from '../../../new-pipeline/transform/currency-conversion.js';
import { parseDecimal } from '../../../new-pipeline/transform/decimal.js';
import { DAY } from '../../helpers/pipeline-factories.js';

const rate = (base: string, quote: string, value: number, date = DAY): FxRateRow => ({ date, base, quote, rate: value });
const amount = (text: string) => parseDecimal(text)!;

describe('FX rates lookup', () => {
  it('converts with the day\'s rate as written: one EUR buys 1.08 USD', () => {
    const quote = fxTable([rate('EUR', 'USD', 1.08)]).quote(DAY, 'EUR', 'USD')!;
    expect(quote).toMatchObject({ rate: 1.08, via: 'direct' });
    expect(convertAmount(amount('100.00'), quote)).toBe(108);
  });

  it('inverts a rate written the other way, rounding only the converted amount', () => {
    const quote = fxTable([rate('EUR', 'USD', 1.08)]).quote(DAY, 'USD', 'EUR')!;
    expect(quote.via).toBe('inverse');
    expect(convertAmount(amount('108.00'), quote)).toBe(100);
    expect(convertAmount(amount('100.00'), quote)).toBe(92.59);
  });

  it('crosses through a shared base, as EUR reference rates convert GBP to USD', () => {
    const table = fxTable([rate('EUR', 'USD', 1.08), rate('EUR', 'GBP', 0.86)]);
    const quote = table.quote(DAY, 'GBP', 'USD')!;
    expect(quote.via).toBe('via EUR');
    // 86 GBP = 100 EUR = 108 USD, exactly.
    expect(convertAmount(amount('86.00'), quote)).toBe(108);
  });

  it('prefers the row as written over the inverse of the opposite row', () => {
    const quote = fxTable([rate('USD', 'EUR', 0.9), rate('EUR', 'USD', 1.08)]).quote(DAY, 'EUR', 'USD')!;
    expect(quote).toMatchObject({ rate: 1.08, via: 'direct' });
  });

  it('never uses another day\'s rate, and never assumes 1', () => {
    const table = fxTable([rate('EUR', 'USD', 1.08, '2026-11-21')]);
    expect(table.quote(DAY, 'EUR', 'USD')).toBeUndefined();
    expect(table.quote(DAY, 'JPY', 'USD')).toBeUndefined();
  });

  it('refuses a rate that is not a positive number', () => {
    for (const bad of [0, -1.08, Number.NaN]) {
      expect(() => fxTable([rate('EUR', 'USD', bad)])).toThrow(BoscoError);
    }
  });

  it('keeps an amount that needs no conversion as it is, rounded to cents', () => {
    expect(convertAmount(amount('12.345'), undefined)).toBe(12.35);
  });

  it('names every missing pair and the way to seed them', () => {
    const error = new FxRateMissingError([
      { date: DAY, from: 'EUR', to: 'USD', accounts: ['111', '222'] },
      { date: DAY, from: 'GBP', to: 'USD', accounts: ['333'] },
    ]);
    expect(error).toBeInstanceOf(BoscoError);
    expect(error.code).toBe('FX_RATE_MISSING');
    expect(error.message).toBe(`no FX rate for EUR→USD on ${DAY} (accounts 111, 222); GBP→USD on ${DAY} (account 333)`);
    expect(error.hint).toMatch(/seed the rates table from a CSV/);
    expect(error.exitCode).toBe(1);
  });
});
