import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Warehouse } from '../../../core/warehouse/index.js';
import { fxRatesFor, importFxRates } from '../../../new-pipeline/load/fx-rates.js';
import { simFxRate, simFxRatesCsv } from '../../../new-pipeline/simulator/fx.js';
import { makeTempDir } from '../../helpers/cli.js';
import { memoryWarehouse } from '../../helpers/warehouse.js';

describe('FX rates', () => {
  const dir = makeTempDir();
  const csv = (name: string, text: string) => {
    const path = join(dir.path, name);
    writeFileSync(path, text);
    return path;
  };
  let warehouse: Warehouse;
  beforeEach(async () => (warehouse = await memoryWarehouse()));
  afterEach(() => warehouse.close());
  afterAll(() => dir.cleanup());

  it('imports the simulator’s rates and looks them up by day', async () => {
    const path = csv('rates.csv', simFxRatesCsv('2026-11-20', '2026-11-22'));
    expect(await importFxRates(warehouse, path)).toEqual({ rates: 3 * 20 });
    const rates = await fxRatesFor(warehouse, ['2026-11-21']);
    expect(rates).toHaveLength(20);
    expect(rates.find((r) => r.base === 'EUR' && r.quote === 'USD')?.rate).toBe(simFxRate('2026-11-21', 'EUR', 'USD'));
  });

  it('replaces a day’s rate on re-import instead of adding a second one', async () => {
    await importFxRates(warehouse, csv('a.csv', 'date,base,quote,rate\n2026-11-21,EUR,USD,1.05\n'));
    await importFxRates(warehouse, csv('b.csv', 'date,base,quote,rate\n2026-11-21,eur,usd,1.10\n'));
    expect(await fxRatesFor(warehouse, ['2026-11-21'])).toEqual([{ date: '2026-11-21', base: 'EUR', quote: 'USD', rate: 1.1 }]);
  });

  it.each([
    ['a missing column', 'date,base,rate\n2026-11-21,EUR,1.1\n', /missing column 'quote'/],
    ['a bad date', 'date,base,quote,rate\n21/11/2026,EUR,USD,1.1\n', /'date' has 1 value\(s\) that are not dates, e.g. '21\/11\/2026'/],
    ['a zero rate', 'date,base,quote,rate\n2026-11-21,EUR,USD,0\n', /'rate' has 1 value\(s\) that are not positive numbers/],
    ['a bad currency code', 'date,base,quote,rate\n2026-11-21,EURO,USD,1.1\n', /'EURO' in column 'base' or 'quote' is not a currency code/],
    ['a repeated pair', 'date,base,quote,rate\n2026-11-21,EUR,USD,1.1\n2026-11-21,EUR,USD,1.2\n', /repeat a \(date, base, quote\)/],
  ])('refuses a file with %s and writes nothing', async (_, text, message) => {
    await expect(importFxRates(warehouse, csv('bad.csv', text))).rejects.toThrow(message);
    expect(await fxRatesFor(warehouse, ['2026-11-21'])).toEqual([]);
  });

  it('names a file that does not exist', async () => {
    await expect(importFxRates(warehouse, join(dir.path, 'nope.csv'))).rejects.toThrow(/nope.csv does not exist/);
  });
});
