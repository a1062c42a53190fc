import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addDays } from '../../core/dates.js';
import { DuckDbWarehouse } from '../../core/warehouse/duckdb/duckdb-warehouse.js';
import type { ReconcileReport } from '../../reconcile/types.js';
import { DEMO_CLIENT_IDS } from '../../shadow/demo/dual-run-demo.js';
import { makeTempDir, runCli } from '../helpers/cli.js';

/** The demo as a new user runs it: the whole dual run on embedded defaults, then a reconcile and a drill-down. */
describe('bosco demo', () => {
  const dir = makeTempDir();
  let demo: Awaited<ReturnType<typeof runCli>>;
  let report: ReconcileReport;

  beforeAll(async () => {
    demo = await runCli(['demo', '--days', '4'], { cwd: dir.path, timeoutMs: 180_000 });
    const json = await runCli(['reconcile', '--date', 'yesterday', '--format', 'json', '--rows'], { cwd: dir.path });
    expect(json.code, json.stderr).toBe(1);
    report = JSON.parse(json.stdout) as ReconcileReport;
  }, 240_000);
  afterAll(() => dir.cleanup());

  it('runs the legacy emulator and the shadow run day by day, reconciles yesterday and exits 0', () => {
    expect(demo.code, demo.stderr).toBe(0);
    expect(demo.stdout.match(/legacy written, shadow run sh-\S+: \d+ clean, \d+ differ, 0 could not run/g)).toHaveLength(4);
    expect(demo.stdout).toMatch(/FAIL: [34] of 20 clients differ beyond tolerance/);
  });

  it('ends with the cutover dashboard as one static file: every demo client in shadow, no external URL', () => {
    const out = join(dir.path, '.bosco', 'cutover.html');
    expect(demo.stdout).toContain(`Wrote ${out}: 20 clients (0 legacy, 20 shadow, 0 live, 0 complete)`);
    const html = readFileSync(out, 'utf8');
    expect(html).toMatch(/data-stage-count="shadow"><span class="n">20</);
    expect(html).toContain('kestrel-home');
    // The demo plans its rollout, so leadership sees the phases too.
    expect(html).toContain('Month 2: pilot clients live');
    expect(html).not.toMatch(/(src|href)="https?:/);
  });

  it('stamps each replayed night as run in the client’s night, so every day met its 08:00 deadline', async () => {
    // The demo ran 4 days ending yesterday, in one go, after every deadline but yesterday's had passed.
    const sla = await runCli(['sla', 'report', '--from', addDays(report.date, -3), '--to', report.date, '--format', 'json'], { cwd: dir.path });
    expect(sla.code, sla.stderr).toBe(0);
    const rates = JSON.parse(sla.stdout).clients as Array<{ met: number; missed: number }>;
    expect(rates).toHaveLength(20);
    expect(rates.every((r) => r.met === 4 && r.missed === 0)).toBe(true);
  });

  it('fails exactly the clients whose legacy quirks were switched on', () => {
    expect(report.clients.map((c) => c.client_id)).toEqual([...DEMO_CLIENT_IDS]);
    const findings = [...demo.stdout.matchAll(/^ {2}([a-z-]+): legacy /gm)].map((m) => m[1]);
    const failing = report.clients.filter((c) => c.status === 'fail').map((c) => c.client_id);
    expect(failing.sort()).toEqual(findings.sort());
  });

  it('finds each quirk as the right kind of difference, and explains it', () => {
    const client = (id: string) => report.clients.find((c) => c.client_id === id)!;
    const failingMetrics = (id: string) => client(id).metrics.filter((m) => m.status === 'fail').map((m) => m.metric);
    expect(client('maple-beauty').rows.duplicate_keys).toBeGreaterThan(0);
    expect(failingMetrics('maple-beauty')).toEqual([]);
    expect(failingMetrics('kestrel-home')).toEqual(['spend', 'impressions', 'clicks', 'conversions', 'revenue']);
    expect(failingMetrics('river-books')).toEqual(['conversions', 'revenue']);
    expect(demo.stdout).toMatch(/why maple-beauty: .*double insert/);
    expect(demo.stdout).toMatch(/why kestrel-home: .*shifted by a day/);
    expect(demo.stdout).toMatch(/why river-books: .*conversion/);
    // Its revenue is off by one factor only because its conversions are: that is no currency.
    expect(demo.stdout).not.toMatch(/why river-books: .*currency/);
    if (client('harbor-pet').status === 'fail') expect(demo.stdout).toMatch(/why harbor-pet: .*constant ×/);
  });

  it('drills into one client and metric row by row', async () => {
    const drill = await runCli(['reconcile', '--date', report.date, '--client', 'kestrel-home', '--metric', 'spend', '--rows', '--format', 'table'], { cwd: dir.path });
    expect(drill.code).toBe(1);
    expect(drill.stdout).toMatch(/Row-level differences \(\d+\)/);
    expect(drill.stdout).toMatch(/~ spend: [\d,.]+ → [\d,.]+ \([+-][\d,.]+\)/);
    expect(drill.stdout).not.toContain('revenue');
  });

  it('records each shadow reconcile in the history', async () => {
    const warehouse = await DuckDbWarehouse.open({ path: join(dir.path, '.bosco', 'warehouse.duckdb') });
    try {
      const [shadow] = await warehouse.query('SELECT count(*) AS n, count(DISTINCT date) AS days FROM shadow.shadow_runs');
      expect(shadow).toEqual({ n: 80, days: 4 });
      const [runs] = await warehouse.query('SELECT count(*) AS n FROM reconcile_runs WHERE run_id IN (SELECT reconcile_run_id FROM shadow.shadow_runs)');
      expect(runs!.n).toBe(80);
    } finally {
      await warehouse.close();
    }
  });

  it('refuses to wipe a workspace it did not make', async () => {
    const other = makeTempDir();
    try {
      writeFileSync(join(other.path, 'bosco.config.json'), JSON.stringify({ workspace: '.' }));
      const refused = await runCli(['demo', '--days', '1'], { cwd: other.path });
      expect(refused.code).toBe(2);
      expect(refused.stderr).toMatch(/holds data the demo did not make/);
    } finally {
      other.cleanup();
    }
  });
});
