import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runbookCheckCommand, runbookListCommand, runbookShowCommand } from '../../cli/commands/runbook.js';
import type { ClientConfig } from '../../core/config.js';
import { addDays, resolveReportDate } from '../../core/dates.js';
import { BoscoError } from '../../core/errors.js';
import { PLATFORMS } from '../../core/metric-row.js';
import { DuckDbWarehouse } from '../../core/warehouse/duckdb/duckdb-warehouse.js';
import type { DayEvidence, GateDecision } from '../../flags/gate.js';
import { ensureHistoryTables } from '../../reconcile/history.js';
import { decideCutoverChecks, listRunbooks, readRunbook, type CutoverState } from '../../runbooks/index.js';
import { ensureShadowTables, SHADOW_RUNS_TABLE, SLA_TABLE } from '../../shadow/shadow-tables.js';
import { makeTempDir, runCli } from '../helpers/cli.js';
import { runbookRegistered } from './runbook-declaration.js';

const RUNBOOKS = ['backfill', 'cutover', 'flag-store-down', 'gdpr-erasure', 'platform-outage', 'reconcile-failing', 'rollback', 'schema-drift', 'sla-at-risk'];

describe('the runbooks', () => {
  it('are listed by name, each with a title and a one-line summary of when to use it', () => {
    const runbooks = listRunbooks();
    expect(runbooks.map((r) => r.name)).toEqual(RUNBOOKS);
    for (const r of runbooks) {
      expect(r.title, r.name).not.toBe(r.name);
      expect(r.summary, r.name).toMatch(/^Use /);
    }
    expect(runbooks.filter((r) => r.checks).map((r) => r.name)).toEqual(['cutover']);
  });

  it.each(RUNBOOKS)('%s says when to use it, the pre-checks, the steps, how to verify and how to back out', (name) => {
    const headings = readRunbook(name).text.split('\n').filter((line) => line.startsWith('## '));
    for (const section of ['## When to use it', '## Pre-checks', '## Steps', '## Verify', '## Back out']) {
      expect(headings.some((h) => h.startsWith(section)), `${name}: ${section}`).toBe(true);
    }
  });

  it('refuses a name that is not a runbook, or that would leave the folder, as bad input', () => {
    for (const name of ['nope', '../README', 'cutover.md']) {
      expect(() => readRunbook(name)).toThrow(BoscoError);
      try {
        readRunbook(name);
      } catch (error) {
        expect((error as BoscoError).exitCode).toBe(2);
        expect((error as BoscoError).hint).toMatch(/cutover/);
      }
    }
  });
});

const TODAY = '2026-11-23';
const client: ClientConfig = { id: 'acme', currency: 'USD', accounts: [{ platform: 'meta_ads', accountId: '1001' }] };
const passingGate: GateDecision = { pass: true, pendingDays: [], checks: [{ name: 'clean-streak', pass: true, detail: '7 consecutive final days', evidence: [] }, { name: 'sla', pass: true, detail: 'met', evidence: [] }, { name: 'data-quality', pass: true, detail: 'none', evidence: [] }] };
const day = (date: string, reconcile: DayEvidence['reconcile'], failing: string[] = [], sla: DayEvidence['sla'] = 'met'): DayEvidence => ({ date, reconcile, reconcileRunId: `rc-${date}`, failing, sla });
const state = (overrides: Partial<CutoverState> = {}): CutoverState => ({
  client, from: 'shadow', to: 'live', today: TODAY, decision: passingGate, days: [day('2026-11-22', 'pass')], acceptances: [], restatementDays: 7, autoRollback: true, ...overrides,
});
const outcomes = (s: CutoverState) => Object.fromEntries(decideCutoverChecks(s).map((c) => [c.name, c.outcome]));

describe('the cutover pre-checks', () => {
  it('pass when the gate passes, the dual run is current and the safety net is on', () => {
    expect(outcomes(state())).toEqual({ stage: 'pass', 'gate.clean-streak': 'pass', 'gate.sla': 'pass', 'gate.data-quality': 'pass', 'pending-days': 'pass', 'dual-run-current': 'pass', 'sla-recent': 'pass', 'auto-rollback': 'pass' });
  });

  it('fail with the gate, naming its own evidence', () => {
    const closed: GateDecision = { pass: false, pendingDays: [], checks: [{ name: 'clean-streak', pass: false, detail: '3 of 7 consecutive final days clean', evidence: ['2026-11-15: pass, run rc-1'] }, { name: 'data-quality', pass: true, detail: 'none', evidence: [] }] };
    const checks = decideCutoverChecks(state({ decision: closed }));
    expect(checks.find((c) => c.name === 'gate.clean-streak')).toMatchObject({ outcome: 'fail', detail: '3 of 7 consecutive final days clean', evidence: ['2026-11-15: pass, run rc-1'] });
  });

  it('warn about a failing day still inside the restatement window unless an exception covers it', () => {
    const days = [day('2026-11-20', 'fail', ['conversions']), day('2026-11-22', 'pass')];
    expect(outcomes(state({ days }))['pending-days']).toBe('warn');
    const acceptance = { id: 'acc-1', clientId: 'acme', metric: 'conversions', from: '2026-11-01', to: '2026-11-30', expires: '2026-12-31', reason: 'pixel' };
    expect(outcomes(state({ days, acceptances: [acceptance] }))['pending-days']).toBe('pass');
    expect(outcomes(state({ days, acceptances: [{ ...acceptance, expires: '2026-11-22' }] }))['pending-days']).toBe('warn');
  });

  it('warn when the dual run has stopped, a pending day missed 08:00, or a live client has no automatic rollback', () => {
    const result = outcomes(state({ days: [day('2026-11-19', 'pass', [], 'missed')], autoRollback: false }));
    expect(result).toMatchObject({ 'dual-run-current': 'warn', 'sla-recent': 'warn', 'auto-rollback': 'warn', stage: 'pass' });
  });

  it('fail for a client already complete, and for a client with no accounts starting its dual run', () => {
    expect(decideCutoverChecks(state({ from: 'complete', to: null, decision: undefined }))).toEqual([expect.objectContaining({ name: 'stage', outcome: 'fail' })]);
    const starting = state({ client: { ...client, accounts: [] }, from: 'legacy', to: 'shadow', decision: { pass: true, pendingDays: [], checks: [{ name: 'clean-streak', pass: true, detail: 'no evidence needed', evidence: [] }] } });
    expect(outcomes(starting)).toEqual({ stage: 'pass', accounts: 'fail', 'gate.clean-streak': 'pass' });
  });

  it('always warn before complete, where no rollback stage exists', () => {
    expect(outcomes(state({ from: 'live', to: 'complete' }))['point-of-no-return']).toBe('warn');
  });
});

/** A workspace with one client in shadow and two reconciled days, the newer one as `newest` says. */
async function workspace(root: string, name: string, newest: 'pass' | 'fail'): Promise<string> {
  const dir = join(root, name);
  mkdirSync(join(dir, '.bosco', 'flags'), { recursive: true });
  const flags = { restatementDays: Object.fromEntries(PLATFORMS.map((p) => [p, 0])), gates: { live: { cleanDays: 2, requireSla: true } }, autoRollback: { acme: {} } };
  writeFileSync(join(dir, 'bosco.config.json'), JSON.stringify({ workspace: '.bosco', clients: [client], flags }));
  writeFileSync(join(dir, '.bosco', 'flags', 'stages.json'), JSON.stringify({ clients: { acme: { stage: 'shadow', version: '1' } } }));
  const yesterday = resolveReportDate('yesterday', 'UTC');
  const warehouse = await DuckDbWarehouse.open({ path: join(dir, '.bosco', 'warehouse.duckdb') });
  try {
    await ensureShadowTables(warehouse);
    await ensureHistoryTables(warehouse);
    for (const [date, status] of [[addDays(yesterday, -1), 'pass'], [yesterday, newest]] as const) {
      const finished = new Date().toISOString();
      await warehouse.replacePartition(SHADOW_RUNS_TABLE, { client_id: 'acme', date, shadow_run_id: `sh-${date}` }, [
        { status, reconcile_run_id: `rc-${date}`, reconcile_status: status, legacy_snapshot_id: 'snap', new_lineage_run_id: `sh-${date}`, quarantined_partitions: 0, error: null, finished_at: finished },
      ]);
      await warehouse.replacePartition(SLA_TABLE, { client_id: 'acme', date }, [{ time_zone: 'UTC', deadline: `${addDays(date, 1)}T08:00:00.000Z`, completed_at: `${date}T23:00:00.000Z`, status: 'met' }]);
      if (status === 'fail') {
        await warehouse.run(
          `INSERT INTO reconcile_results (run_id, date, client_id, client_status, missing_in_new, missing_in_legacy, duplicate_keys, metric, metric_status) VALUES (?, CAST(? AS DATE), 'acme', 'fail', 0, 0, 0, 'spend', 'fail')`,
          [`rc-${date}`, date],
        );
      }
    }
  } finally {
    await warehouse.close();
  }
  return dir;
}

describe('bosco runbook list, show and check', () => {
  const root = makeTempDir();
  let passing: string;
  let failing: string;
  beforeAll(async () => {
    passing = await workspace(root.path, 'passing', 'pass');
    failing = await workspace(root.path, 'failing', 'fail');
  });
  afterAll(() => root.cleanup());

  const capture = () => {
    let out = '';
    return { write: (text: string) => void (out += text), text: () => out };
  };

  it('lists every runbook, as a table and as JSON', async () => {
    const table = capture();
    expect(await runbookListCommand({ write: table.write })).toBe(0);
    for (const name of RUNBOOKS) expect(table.text()).toContain(name);
    const json = capture();
    await runbookListCommand({ format: 'json', write: json.write });
    expect(JSON.parse(json.text()).runbooks.map((r: { name: string }) => r.name)).toEqual(RUNBOOKS);
  });

  it('shows a runbook as its Markdown', async () => {
    const out = capture();
    expect(await runbookShowCommand({ name: 'rollback', write: out.write })).toBe(0);
    expect(out.text()).toBe(readRunbook('rollback').text);
  });

  it('passes the cutover pre-checks of a client whose gate is open, and prints each check', async () => {
    const out = capture();
    expect(await runbookCheckCommand({ name: 'cutover', client: 'acme', config: join(passing, 'bosco.config.json'), write: out.write })).toBe(0);
    expect(out.text()).toMatch(/PASS gate\.clean-streak: 2 consecutive final days reconciled clean/);
    expect(out.text()).toMatch(/PASS gate\.sla/);
    expect(out.text()).toMatch(/PASS gate\.data-quality/);
    expect(out.text()).toMatch(/^OK: every required check passed/m);
  });

  it('fails them, exit 1, naming the day and run that broke the streak', async () => {
    const out = capture();
    expect(await runbookCheckCommand({ name: 'cutover', client: 'acme', config: join(failing, 'bosco.config.json'), format: 'json', write: out.write })).toBe(1);
    const report = JSON.parse(out.text());
    expect(report).toMatchObject({ runbook: 'cutover', client_id: 'acme', from: 'shadow', to: 'live', pass: false });
    expect(report.checks.find((c: { name: string }) => c.name === 'gate.clean-streak')).toMatchObject({ outcome: 'fail', detail: expect.stringMatching(/spend failed \(run rc-/) });
  });

  it('refuses an unknown client, a runbook without pre-checks and a missing --client with exit code 2', async () => {
    const config = join(passing, 'bosco.config.json');
    await expect(runbookCheckCommand({ name: 'cutover', client: 'nobody', config })).rejects.toMatchObject({ code: 'UNKNOWN_CLIENT', exitCode: 2 });
    await expect(runbookCheckCommand({ name: 'rollback', client: 'acme', config })).rejects.toMatchObject({ code: 'USAGE', exitCode: 2, hint: expect.stringMatching(/cutover/) });
    await expect(runbookCheckCommand({ name: 'cutover', config })).rejects.toMatchObject({ code: 'USAGE', exitCode: 2 });
    await expect(runbookShowCommand({ name: 'nope' })).rejects.toMatchObject({ exitCode: 2 });
  });

  describe.skipIf(!runbookRegistered())('through the CLI (once cli/main.ts registers bosco runbook)', () => {
    it('lists and shows runbooks', async () => {
      const list = await runCli(['runbook', 'list'], { cwd: passing });
      expect(list.code, list.stderr).toBe(0);
      for (const name of RUNBOOKS) expect(list.stdout).toContain(name);
      const show = await runCli(['runbook', 'show', 'cutover'], { cwd: passing });
      expect(show.code).toBe(0);
      expect(show.stdout).toBe(readRunbook('cutover').text);
    });

    it('exits 1 with the failing check printed when the gate fails, 0 when it passes', async () => {
      const failed = await runCli(['runbook', 'check', 'cutover', '--client', 'acme'], { cwd: failing });
      expect(failed.code, failed.stderr).toBe(1);
      expect(failed.stdout).toMatch(/FAIL gate\.clean-streak: .*spend failed/);
      expect(failed.stdout).toMatch(/^FAIL: 2 of \d+ check\(s\) failed/m);
      const passed = await runCli(['runbook', 'check', 'cutover', '--client', 'acme'], { cwd: passing });
      expect(passed.code, passed.stderr).toBe(0);
    });

    it('exits 2 with one clear line for an unknown runbook or client', async () => {
      const runbook = await runCli(['runbook', 'show', 'nope'], { cwd: passing });
      expect(runbook.code).toBe(2);
      expect(runbook.stderr).toMatch(/^bosco: unknown runbook 'nope'\n {2}hint: runbooks: backfill, cutover/);
      const client = await runCli(['runbook', 'check', 'cutover', '--client', 'nobody'], { cwd: passing });
      expect(client.code).toBe(2);
      expect(client.stderr).toMatch(/^bosco: client 'nobody' is not in the config/);
    });
  });
});
