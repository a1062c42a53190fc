import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Warehouse } from '../../core/warehouse/index.js';
import { comparisonPlan } from '../../reconcile/sql-plan.js';
import { valuesMatch } from '../../reconcile/tolerance.js';
import { memoryWarehouse } from '../helpers/warehouse.js';

interface Case {
  name: string;
  tolerance: { abs: number; rel: number };
  legacy: number | null;
  new: number | null;
  match: boolean;
}

const { cases } = JSON.parse(readFileSync(join(import.meta.dirname, '../spec/value-match-cases.json'), 'utf8')) as { cases: Case[] };

describe('value matching (golden cases shared by every engine)', () => {
  describe('the pure rule', () => {
    it.each(cases)('$name', (c) => {
      expect(valuesMatch(c.legacy, c.new, c.tolerance)).toBe(c.match);
    });
  });

  describe('the SQL plan on DuckDB', () => {
    let warehouse: Warehouse;
    beforeAll(async () => {
      warehouse = await memoryWarehouse();
    });
    afterAll(() => warehouse.close());

    // Both ways the plan can test equal values: with a check that they are finite, and without (known finite).
    describe.each([{ finite: [] }, { finite: ['m'] }])('finite metrics $finite', ({ finite }) => {
      it.each(cases)('$name', async (c) => {
        const spec = { keys: ['k'], clientKey: 'k', metrics: ['m'] };
        const plan = comparisonPlan(warehouse.dialect, spec, { defaults: { m: c.tolerance }, clients: {} });
        await warehouse.run('CREATE OR REPLACE TEMP TABLE l AS SELECT $1 AS k, CAST($2 AS DOUBLE) AS m', ['c', c.legacy]);
        await warehouse.run('CREATE OR REPLACE TEMP TABLE n AS SELECT $1 AS k, CAST($2 AS DOUBLE) AS m', ['c', c.new]);
        const counts = plan.tally(await warehouse.query(plan.comparison('l', 'n', undefined, finite))).get('c');
        expect(counts?.matched).toBe(1);
        expect(counts?.mismatched.m === 0).toBe(c.match);
      });
    });
  });
});
