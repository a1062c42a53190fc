import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insightsCommand, modelsBacktestCommand, modelsReconcileCommand, modelsRunCommand } from '../../../cli/commands/models.js';
import type { ClientConfig } from '../../../core/config.js';
import { DuckDbWarehouse } from '../../../core/warehouse/duckdb/duckdb-warehouse.js';
import { makeTempDir, runCli } from '../../helpers/cli.js';
import { loadMetricRows, simClient, simMetricRows } from './sim-rows.js';
import { LocalStageStore } from '../../../flags/local/local-stage-store.js';
import { pipelineTables } from '../../../new-pipeline/load/pipeline-tables.js';
import { SHADOW_NAMESPACE } from '../../../shadow/shadow-tables.js';

const DAY = '2026-11-22';

/** A workspace whose warehouse holds `clients`' simulated rows up to DAY (written straight from the simulator). */
async function workspace(clients: ClientConfig[], extra: ClientConfig[] = []): Promise<{ path: string; config: string; cleanup: () => void }> {
  const dir = makeTempDir();
  const config = join(dir.path, 'bosco.config.json');
  writeFileSync(config, JSON.stringify({ workspace: '.bosco', clients: [...clients, ...extra] }));
  const warehouse = await DuckDbWarehouse.open({ path: join(dir.path, '.bosco', 'warehouse.duckdb') });
  try {
    await loadMetricRows(warehouse, simMetricRows(clients, '2026-09-01', DAY));
  } finally {
    await warehouse.close();
  }
  return { ...dir, config };
}

/** Runs a handler as the CLI would, capturing what it writes. */
async function capture(run: (write: (text: string) => void) => Promise<number>): Promise<{ code: number; out: string }> {
  let out = '';
  const code = await run((text) => (out += text));
  return { code, out };
}

describe('bosco models run | backtest, bosco insights (handlers)', () => {
  let ws: Awaited<ReturnType<typeof workspace>>;
  beforeAll(async () => {
    ws = await workspace([simClient(1, { budgets: { monthly: 1_000_000 } })], [{ id: 'fresh', currency: 'EUR', accounts: [] }]);
  });
  afterAll(() => ws.cleanup());

  it('runs the models for a day and reports per client, in JSON and as a table', async () => {
    const json = await capture((write) => modelsRunCommand({ date: DAY, config: ws.config, format: 'json', write }));
    expect(json.code).toBe(0);
    const report = JSON.parse(json.out);
    expect(report).toMatchObject({ forecast_date: DAY, predictions_table: 'predictions', dry_run: false });
    expect(report.clients.map((c: { client_id: string; status: string }) => `${c.client_id} ${c.status}`)).toEqual(['client-1 forecast', 'fresh not_enough_history']);

    const table = await capture((write) => modelsRunCommand({ date: DAY, config: ws.config, format: 'table', dryRun: true, write }));
    expect(table.out).toContain(`Models run ${DAY} · seasonal_trend_regression 1.0.0 · trained on 2026-09-28..${DAY} · forecasts 2026-11-23..2026-11-29`);
    expect(table.out).toMatch(/dry run: \d+ row\(s\) would be written to predictions; nothing was written/);
  });

  it('backtests against the baseline and exits 0 when the model beats it everywhere', async () => {
    const { code, out } = await capture((write) => modelsBacktestCommand({ from: '2026-10-25', to: '2026-11-08', config: ws.config, format: 'table', write }));
    expect(code).toBe(0);
    expect(out).toContain('Backtest · forecast origins 2026-10-25..2026-11-08 · 7-day forecasts · 90% intervals');
    expect(out).toMatch(/PASS: seasonal_trend_regression beats the seasonal_naive baseline/);
    expect(out).toMatch(/│ all\s+│ spend/);
  });

  it('exits 1 from a backtest with nothing to score', async () => {
    const { code, out } = await capture((write) => modelsBacktestCommand({ from: '2025-01-01', to: '2025-01-03', config: ws.config, format: 'table', write }));
    expect(code).toBe(1);
    expect(out).toContain('FAIL: nothing to score');
  });

  it('shows a client’s insights as a table and as JSON', async () => {
    const table = await capture((write) => insightsCommand({ client: 'client-1', date: DAY, config: ws.config, format: 'table', write }));
    expect(table.code).toBe(0);
    for (const section of [`Insights for client-1 on ${DAY}`, 'Forecast, next 7 days (90% interval) USD', 'Budget pacing 2026-11: under', `Anomalies on ${DAY}`, 'Recommendations', '1. Move ']) {
      expect(table.out).toContain(section);
    }
    const json = JSON.parse((await capture((write) => insightsCommand({ client: 'client-1', date: DAY, config: ws.config, format: 'json', write }))).out);
    expect(json).toMatchObject({ client_id: 'client-1', status: 'ok', pacing: { status: 'under', budget: 1_000_000 } });
  });

  it('reconciles the legacy system’s predictions against the new ones, in the reconcile JSON contract', async () => {
    await modelsRunCommand({ date: DAY, config: ws.config, format: 'json', write: () => undefined });
    const warehouse = await DuckDbWarehouse.open({ path: join(ws.path, '.bosco', 'warehouse.duckdb') });
    try {
      // The legacy model forecasts 1% more, inside the new intervals; then one campaign three times more.
      await warehouse.run('CREATE SCHEMA IF NOT EXISTS legacy_export');
      await warehouse.run(`CREATE OR REPLACE TABLE legacy_export.predictions AS SELECT * REPLACE (spend * 1.01 AS spend, 'legacy_v3' AS model) FROM predictions`);
    } finally {
      await warehouse.close();
    }
    const args = { date: DAY, legacy: 'legacy_export.predictions', config: ws.config, format: 'json' as const };
    const clean = await capture((write) => modelsReconcileCommand({ ...args, write }));
    expect(clean.code).toBe(0);
    expect(JSON.parse(clean.out)).toMatchObject({ date: DAY, status: 'pass', clients: [{ client_id: 'client-1', status: 'pass' }] });

    const again = await DuckDbWarehouse.open({ path: join(ws.path, '.bosco', 'warehouse.duckdb') });
    try {
      await again.run(`UPDATE legacy_export.predictions SET spend = spend * 3, spend_lower = spend * 2.9, spend_upper = spend * 3.1
        WHERE campaign_id = (SELECT min(campaign_id) FROM predictions WHERE platform = 'meta_ads') AND date = DATE '2026-11-23'`);
    } finally {
      await again.close();
    }
    const failed = await capture((write) => modelsReconcileCommand({ ...args, rows: true, write }));
    expect(failed.code).toBe(1);
    const report = JSON.parse(failed.out);
    expect(report.status).toBe('fail');
    expect(report.differences).toEqual([expect.objectContaining({ kind: 'value_mismatch', metric: 'spend', platform: 'meta_ads', date: '2026-11-23' })]);
    const table = await capture((write) => modelsReconcileCommand({ ...args, format: 'table', write }));
    expect(table.out).toContain(`Reconcile ${DAY} · legacy legacy_export.predictions · new predictions`);
  });

  it('says "not enough history" for a configured client without data, and refuses an unknown one', async () => {
    const fresh = await capture((write) => insightsCommand({ client: 'fresh', date: DAY, config: ws.config, format: 'table', write }));
    expect(fresh.code).toBe(0);
    expect(fresh.out).toContain('Not enough history: no rows for client fresh');
    expect(fresh.out).toContain('Budget pacing 2026-11: not enough history');
    await expect(insightsCommand({ client: 'nobody', date: DAY, config: ws.config, write: () => undefined })).rejects.toMatchObject({ code: 'UNKNOWN_CLIENT', exitCode: 2 });
    await expect(modelsRunCommand({ date: DAY, config: ws.config, namespace: 'bad name', write: () => undefined })).rejects.toMatchObject({ code: 'USAGE' });
    await expect(modelsBacktestCommand({ from: DAY, to: '2026-11-01', config: ws.config, write: () => undefined })).rejects.toMatchObject({ code: 'USAGE', message: expect.stringContaining('is after') });
  });
});

describe('models and insights follow each client’s stage', () => {
  it('forecast a client in shadow from the shadow namespace and the others from the serving tables, unless --namespace says otherwise', async () => {
    const served = simClient(3);
    const previewed = simClient(4);
    const ws = await workspace([served], [previewed]);
    try {
      const warehouse = await DuckDbWarehouse.open({ path: join(ws.path, '.bosco', 'warehouse.duckdb') });
      try {
        await loadMetricRows(warehouse, simMetricRows([previewed], '2026-09-01', DAY), pipelineTables(SHADOW_NAMESPACE));
      } finally {
        await warehouse.close();
      }
      await new LocalStageStore(join(ws.path, '.bosco', 'flags', 'stages.json')).set({ clientId: previewed.id, stage: 'shadow', expectedVersion: undefined });

      const runs = (await capture((write) => modelsRunCommand({ date: DAY, config: ws.config, format: 'json', write }))).out.trim().split('\n').map((line) => JSON.parse(line));
      expect(runs.map((r: { predictions_table: string; clients: Array<{ client_id: string; status: string }> }) => [r.predictions_table, r.clients.map((c) => `${c.client_id} ${c.status}`)])).toEqual([
        ['predictions', [`${served.id} forecast`]],
        ['shadow.predictions', [`${previewed.id} forecast`]],
      ]);
      const insights = async (client: string, namespace?: string) =>
        JSON.parse((await capture((write) => insightsCommand({ client, date: DAY, config: ws.config, format: 'json', namespace, write }))).out);
      expect(await insights(previewed.id)).toMatchObject({ client_id: previewed.id, status: 'ok' });
      expect(await insights(served.id)).toMatchObject({ client_id: served.id, status: 'ok' });
      // Asked for the serving tables, the client in shadow has nothing there yet.
      expect(await insights(previewed.id, 'main')).toMatchObject({ status: 'not_enough_history' });
    } finally {
      ws.cleanup();
    }
  });
});

describe('bosco models and bosco insights (the real CLI)', () => {
  let ws: Awaited<ReturnType<typeof workspace>>;
  const cli = (...args: string[]) => runCli(args, { cwd: ws.path, timeoutMs: 60_000 });
  beforeAll(async () => {
    ws = await workspace([simClient(2)]);
  });
  afterAll(() => ws.cleanup());

  it('runs, backtests, reconciles and answers insights with exit codes a script can use', async () => {
    const run = await cli('models', 'run', '--date', DAY, '--format', 'json');
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout).clients[0]).toMatchObject({ client_id: 'client-2', status: 'forecast' });

    const backtest = await cli('models', 'backtest', '--from', '2026-11-01', '--to', '2026-11-08', '--format', 'json');
    expect(backtest.code, backtest.stderr).toBe(0);
    expect(JSON.parse(backtest.stdout).status).toBe('pass');

    const reconciled = await cli('models', 'reconcile', '--date', DAY, '--legacy', 'predictions', '--format', 'json');
    expect(reconciled.code, reconciled.stderr).toBe(0);
    expect(JSON.parse(reconciled.stdout)).toMatchObject({ date: DAY, status: 'pass' });

    const insights = await cli('insights', '--client', 'client-2', '--date', DAY);
    expect(insights.code, insights.stderr).toBe(0);
    expect(JSON.parse(insights.stdout)).toMatchObject({ client_id: 'client-2', status: 'ok' });
  });

  it('exits 2 with a hint for an unknown client or a bad date', async () => {
    const unknown = await cli('insights', '--client', 'nobody', '--date', DAY);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("client 'nobody' is not in the config");
    expect(unknown.stderr).toContain('hint:');
    const badDate = await cli('models', 'run', '--date', 'someday');
    expect(badDate.code).toBe(2);
    expect(badDate.stderr).toContain("--date 'someday' is not a date");
  });
});
