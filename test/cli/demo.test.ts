import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuckDbWarehouse } from '../../core/warehouse/duckdb/duckdb-warehouse.js';
import { DEMO_CLIENTS, DEMO_DISCREPANCIES } from '../../reconcile/demo-workspace.js';
import type { ReconcileReport } from '../../reconcile/types.js';
import { makeTempDir, runCli } from '../helpers/cli.js';

describe('bosco demo', () => {
  const dir = makeTempDir();
  let demo: Awaited<ReturnType<typeof runCli>>;
  let report: ReconcileReport;

  beforeAll(async () => {
    demo = await runCli(['demo'], { cwd: dir.path });
    const json = await runCli(['reconcile', '--date', 'yesterday', '--format', 'json', '--rows'], { cwd: dir.path });
    expect(json.code).toBe(1);
    report = JSON.parse(json.stdout) as ReconcileReport;
  }, 120_000);
  afterAll(() => dir.cleanup());

  it('seeds the workspace, reconciles yesterday and exits 0', () => {
    expect(demo.code).toBe(0);
    expect(demo.stdout).toContain('FAIL: 5 of 20 clients differ beyond tolerance');
    expect(demo.stderr).toBe('');
  });

  it('fails exactly the clients with planted discrepancies', () => {
    expect(report.clients.map((c) => c.client_id)).toEqual([...DEMO_CLIENTS]);
    const failing = report.clients.filter((c) => c.status === 'fail').map((c) => c.client_id);
    expect(failing.sort()).toEqual(Object.keys(DEMO_DISCREPANCIES).sort());
  });

  it('finds each planted discrepancy as the right kind of difference', () => {
    const client = (id: string) => report.clients.find((c) => c.client_id === id)!;
    const failingMetrics = (id: string) => client(id).metrics.filter((m) => m.status === 'fail').map((m) => m.metric);
    expect(client('fjord-outdoor').rows.missing_in_new).toBe(1);
    expect(client('maple-beauty').rows.duplicate_keys).toBe(1);
    expect(failingMetrics('maple-beauty')).toEqual([]);
    expect(failingMetrics('harbor-pet')).toEqual(['spend', 'revenue']);
    expect(failingMetrics('bluefin-travel')).toEqual(['spend']);
    expect(failingMetrics('kestrel-home')).toEqual(['spend', 'impressions', 'clicks', 'conversions', 'revenue']);
  });

  it('explains why each failing client differs', () => {
    expect(demo.stdout).toMatch(/why harbor-pet: .*constant ×1\.0800/);
    expect(demo.stdout).toMatch(/why maple-beauty: .*double insert/);
    expect(demo.stdout).toMatch(/why fjord-outdoor: .*only in legacy/);
    expect(demo.stdout).toMatch(/why kestrel-home: .*time zone/);
    expect(demo.stdout).toMatch(/why bluefin-travel: .*rounding/);
  });

  it('drills into one client and metric row by row', async () => {
    const drill = await runCli(['reconcile', '--date', report.date, '--client', 'harbor-pet', '--metric', 'spend', '--rows', '--format', 'table'], { cwd: dir.path });
    expect(drill.code).toBe(1);
    expect(drill.stdout).toContain('Row-level differences (12)');
    expect(drill.stdout).toMatch(/~ spend: [\d,.]+ → [\d,.]+ \(\+[\d.]+\)/);
    expect(drill.stdout).not.toContain('revenue');
  });

  it('records every run in the history', async () => {
    const warehouse = await DuckDbWarehouse.open({ path: join(dir.path, '.bosco', 'warehouse.duckdb') });
    try {
      const runs = await warehouse.query('SELECT run_id, status, clients_failed FROM reconcile_runs ORDER BY started_at');
      expect(runs.length).toBeGreaterThanOrEqual(2);
      expect(runs[0]).toMatchObject({ status: 'fail', clients_failed: 5 });
      const [results] = await warehouse.query('SELECT count(*) AS n FROM reconcile_results WHERE run_id = $1', [String(runs[0]!.run_id)]);
      expect(results!.n).toBe(100);
    } finally {
      await warehouse.close();
    }
  });
});
