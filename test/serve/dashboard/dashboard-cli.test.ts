import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dashboardCommand } from '../../../cli/commands/dashboard.js';
import { loadConfig, type LoadedConfig } from '../../../core/config.js';
import { resolveReportDate } from '../../../core/dates.js';
import type { BoscoError } from '../../../core/errors.js';
import { openWarehouse } from '../../../core/warehouse/index.js';
import type { CutoverReport } from '../../../serve/dashboard/cutover-report.js';
import { makeTempDir } from '../../helpers/cli.js';
import { seedShadowDay } from './factories.js';

describe('bosco dashboard', () => {
  const dir = makeTempDir();
  // The command reports the days ending today, by the real clock.
  const yesterday = resolveReportDate('yesterday', 'UTC');
  let loaded: LoadedConfig;
  const run = async (options: { out: string; format?: 'json'; days?: number }) => {
    let output = '';
    const code = await dashboardCommand({ config: loaded.file, ...options, write: (text) => (output += text) });
    return { code, output };
  };

  beforeAll(async () => {
    const file = join(dir.path, 'bosco.config.json');
    writeFileSync(file, JSON.stringify({ clients: [{ id: 'acme' }, { id: 'bravo' }] }));
    loaded = await loadConfig({ explicitPath: file });
    const warehouse = await openWarehouse(loaded);
    try {
      await seedShadowDay(warehouse, { clientId: 'acme', date: yesterday });
      await seedShadowDay(warehouse, { clientId: 'bravo', date: yesterday, failing: ['spend'] });
    } finally {
      await warehouse.close();
    }
  });
  afterAll(() => dir.cleanup());

  it('writes one static page and says what it holds', async () => {
    const out = join(dir.path, 'reports', 'cutover.html');
    const { code, output } = await run({ out });
    expect(code).toBe(0);
    expect(output).toBe(`Wrote ${out}: 2 clients (2 legacy, 0 shadow, 0 live, 0 complete); no gate to live or complete is open\n`);
    const html = readFileSync(out, 'utf8');
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).toContain(`<tr><td>${yesterday}</td><td>1 of 2</td><td>3</td></tr>`);
    expect(html).not.toMatch(/<script|<form/);
  });

  it('prints the report the page is drawn from with --format json', async () => {
    const { output } = await run({ out: join(dir.path, 'cutover.html'), format: 'json' });
    const report = JSON.parse(output) as CutoverReport;
    expect(report.clients.map((c) => [c.client_id, c.last_reconcile?.status])).toEqual([['acme', 'pass'], ['bravo', 'fail']]);
    expect(report.trend).toEqual([{ date: yesterday, clients_reconciled: 2, clients_clean: 1, mismatched_rows: 3 }]);
  });

  it.each([0, 367, 1.5])('refuses --days %s', async (days) => {
    const error = (await run({ out: join(dir.path, 'x.html'), days }).catch((e: unknown) => e)) as BoscoError;
    expect([error.code, error.hint]).toEqual(['USAGE', 'give a whole number of days from 1 to 366']);
  });

  it('says so when the page cannot be written', async () => {
    const error = (await run({ out: join(dir.path, 'bosco.config.json', 'cutover.html') }).catch((e: unknown) => e)) as BoscoError;
    expect(error.code).toBe('USAGE');
    expect(error.message).toMatch(/^cannot write .*cutover\.html/);
  });
});
