import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openBus } from '../../../core/bus/index.js';
import { parseConfig } from '../../../core/config.js';
import { sharedWarehouse } from '../../../core/warehouse/access.js';
import type { Warehouse } from '../../../core/warehouse/index.js';
import { promote, setStage, type CutoverContext } from '../../../flags/cutover.js';
import { LocalStageStore } from '../../../flags/local/local-stage-store.js';
import { buildCutoverReport, gatherCutoverReport, phaseProgress, TIMELINE_LIMIT, trendByDay, type CutoverReport } from '../../../serve/dashboard/cutover-report.js';
import { shadowEvidence } from '../../../shadow/gate-evidence.js';
import { makeTempDir } from '../../helpers/cli.js';
import { memoryWarehouse } from '../../helpers/warehouse.js';
import { auditEntry, clientDay, closedGate, cutoverInputs, lastReconcileRow, NOW, seedShadowDay, TODAY } from './factories.js';

describe('the cutover report, from what was read', () => {
  it('counts every stage, with clients only the store knows and configured clients it does not know (legacy)', () => {
    const report = buildCutoverReport(cutoverInputs({
      stages: [{ clientId: 'acme', stage: 'live', version: 'v2' }, { clientId: 'ghost', stage: 'shadow', version: 'v1' }],
      config: { ...cutoverInputs().config, clients: [{ id: 'acme', currency: 'USD', accounts: [] }, { id: 'bravo', currency: 'USD', accounts: [] }] },
    }));
    expect(report.stage_counts).toEqual({ legacy: 1, shadow: 1, live: 1, complete: 0 });
    expect(report.clients.map((c) => [c.client_id, c.stage, c.configured])).toEqual([['acme', 'live', true], ['bravo', 'legacy', true], ['ghost', 'shadow', false]]);
    const ghost = report.clients.find((c) => c.client_id === 'ghost')!;
    expect([ghost.can_promote, ghost.can_rollback, ghost.gate]).toEqual([false, false, null]);
  });

  it('counts days in stage from the last stage change in the audit log, and none when that change led elsewhere', () => {
    const audit = [
      auditEntry({ at: '2026-11-10 09:00:00+00', to_stage: 'shadow' }),
      auditEntry({ action: 'accept', from_stage: null, to_stage: null, at: '2026-11-22T09:00:00Z' }),
    ];
    const [acme] = buildCutoverReport(cutoverInputs({ audit })).clients;
    expect(acme!.stage_since).toBe('2026-11-10T09:00:00.000Z');
    expect(acme!.days_in_stage).toBe(13);
    const moved = buildCutoverReport(cutoverInputs({ audit: [auditEntry({ to_stage: 'live' })] })).clients[0]!;
    expect([moved.stage_since, moved.days_in_stage]).toEqual([null, null]);
  });

  it('reports the clean streak the gate counted, and none for a move that needs no streak', () => {
    const counted = { lastFinal: '2026-11-15', days: [], notes: [], broken: '2026-11-15: not reconciled', pendingDays: ['2026-11-16', '2026-11-17'] };
    const gates = new Map([['acme', { to: 'live' as const, decision: closedGate(), streak: { needed: 7, counted } }]]);
    expect(buildCutoverReport(cutoverInputs({ gates })).clients[0]!.clean_streak).toEqual({
      final_days: 0, needed: 7, through: '2026-11-15', pending_days: ['2026-11-16', '2026-11-17'], broken: '2026-11-15: not reconciled',
    });
    expect(buildCutoverReport(cutoverInputs()).clients[0]!.clean_streak).toBeNull();
  });

  it('sums each day across clients: compared, clean and mismatched rows', () => {
    const trend = trendByDay([
      clientDay({ date: '2026-11-22', status: 'fail', mismatched_rows: 7 }),
      clientDay({ client_id: 'bravo', date: '2026-11-22', mismatched_rows: 0 }),
      clientDay({ date: '2026-11-21' }),
    ]);
    expect(trend).toEqual([
      { date: '2026-11-21', clients_reconciled: 1, clients_clean: 1, mismatched_rows: 0 },
      { date: '2026-11-22', clients_reconciled: 2, clients_clean: 1, mismatched_rows: 7 },
    ]);
  });

  it('says why a gate is closed, one line per failing check', () => {
    const [acme] = buildCutoverReport(cutoverInputs({ gates: new Map([['acme', { to: 'live', decision: closedGate() }]]) })).clients;
    expect(acme!.gate).toMatchObject({ to: 'live', open: false, blockers: [expect.stringMatching(/^clean-streak: 0 of 7 .*spend failed/)] });
    expect([acme!.can_promote, acme!.can_rollback]).toEqual([true, true]);
  });

  it('lists the last reconcile metric by metric in canonical order, and the SLA hit rate over decided days', () => {
    const report = buildCutoverReport(cutoverInputs({
      lastReconciles: [lastReconcileRow({ metric: 'revenue', metric_status: 'fail', rows_mismatched: 2, rel_delta: 0.1 }), lastReconcileRow({ metric: 'spend' })],
      slaDays: [{ client_id: 'acme', date: '2026-11-20', status: 'met' }, { client_id: 'acme', date: '2026-11-21', status: 'missed' }, { client_id: 'acme', date: '2026-11-22', status: 'pending' }],
    }));
    const acme = report.clients[0]!;
    expect(acme.last_reconcile!.metrics.map((m) => [m.metric, m.status])).toEqual([['spend', 'pass'], ['revenue', 'fail']]);
    expect(acme.sla).toEqual({ met: 1, missed: 1, pending: 1, hit_rate: 0.5 });
  });

  it('follows each planned phase: done, in progress or not started, naming clients the config lacks', () => {
    const stages = { a: 'live', b: 'shadow', c: 'legacy', d: 'complete' } as const;
    const phases = phaseProgress(
      [{ name: 'pilot', clients: ['a', 'd'], target: 'live' }, { name: 'cohort 1', clients: ['b', 'c'], target: 'live' }, { name: 'cohort 2', clients: ['c', 'zed'], target: 'complete' }],
      (id) => stages[id as keyof typeof stages] ?? 'legacy',
      new Set(['a', 'b', 'c', 'd']),
    );
    expect(phases.map((p) => [p.name, p.reached, p.status, p.unknown_clients])).toEqual([['pilot', 2, 'done', []], ['cohort 1', 0, 'in-progress', []], ['cohort 2', 0, 'not-started', ['zed']]]);
  });

  it('keeps the newest audit entries for the timeline, newest first', () => {
    const audit = Array.from({ length: TIMELINE_LIMIT + 5 }, (_, i) => auditEntry({ entry_id: `fl-${i}`, reason: `change ${i}`, at: new Date(NOW.getTime() - (TIMELINE_LIMIT + 5 - i) * 60_000).toISOString() }));
    const report = buildCutoverReport(cutoverInputs({ audit }));
    expect(report.timeline).toHaveLength(TIMELINE_LIMIT);
    expect(report.timeline[0]!.reason).toBe(`change ${TIMELINE_LIMIT + 4}`);
    expect(report.timeline_total).toBe(TIMELINE_LIMIT + 5);
  });
});

describe('gathering the cutover report from a workspace', () => {
  const dir = makeTempDir();
  const loaded = {
    config: parseConfig({
      clients: ['acme', 'bravo', 'carol', 'dave'].map((id) => ({ id, accounts: [{ platform: 'shopify', accountId: `${id}-shop` }] })),
      flags: { gates: { live: { cleanDays: 2 } }, restatementDays: { shopify: 1 } },
    }, 'test'),
    file: undefined,
    workspaceDir: dir.path,
    warehousePath: join(dir.path, 'warehouse.duckdb'),
  };
  let warehouse: Warehouse;
  let context: CutoverContext;
  let report: CutoverReport;

  beforeAll(async () => {
    warehouse = await memoryWarehouse();
    context = {
      store: new LocalStageStore(join(dir.path, 'stages.json')), warehouse: sharedWarehouse(warehouse), bus: openBus(loaded), evidence: shadowEvidence(() => NOW),
      clients: loaded.config.clients, settings: loaded.config.flags, actor: 'ops', today: TODAY,
    };
    for (const id of ['acme', 'bravo', 'carol']) await setStage(context, id, 'shadow', { reason: 'start the dual run' });
    await setStage(context, 'carol', 'live', { reason: 'pilot', force: true });
    for (const date of ['2026-11-19', '2026-11-20', '2026-11-21', '2026-11-22']) {
      await seedShadowDay(warehouse, { clientId: 'acme', date });
      await seedShadowDay(warehouse, { clientId: 'bravo', date, failing: date === '2026-11-21' ? ['spend', 'revenue'] : [], slaMet: date !== '2026-11-19' });
      await seedShadowDay(warehouse, { clientId: 'carol', date, duplicateKeys: date === '2026-11-22' ? 4 : 0 });
    }
    // A later run of the same day replaces the earlier one in every view.
    await seedShadowDay(warehouse, { clientId: 'bravo', date: '2026-11-22', failing: ['clicks'] });
    report = await gatherCutoverReport(warehouse, await context.store.list(), loaded.config, TODAY, NOW);
  });
  afterAll(async () => {
    await context.bus.close();
    await warehouse.close();
    dir.cleanup();
  });

  it('decides every gate exactly as `bosco flags promote --dry-run` does', async () => {
    for (const client of report.clients) {
      const dryRun = await promote(context, client.client_id, { reason: 'check', dryRun: true }).catch(() => undefined);
      expect(client.gate?.open, client.client_id).toBe(dryRun?.decision?.pass);
      expect(client.gate?.checks, client.client_id).toEqual(dryRun?.decision?.checks);
    }
    const gate = (id: string) => report.clients.find((c) => c.client_id === id)!.gate;
    expect(gate('acme')!.open).toBe(true);
    expect(gate('bravo')!.blockers).toEqual([expect.stringMatching(/^clean-streak: 0 of 2 .*broken at 2026-11-21: spend, revenue failed/), 'sla: no complete streak to check']);
    expect(gate('dave')).toMatchObject({ to: 'shadow', open: true });
  });

  it("reads each client's stage, streak, latest reconcile and SLA", () => {
    const client = (id: string) => report.clients.find((c) => c.client_id === id)!;
    expect(report.stage_counts).toEqual({ legacy: 1, shadow: 2, live: 1, complete: 0 });
    // Final days only (shopify restates 1 day: 11-22 is pending on 11-23), counted as the gate counts them.
    expect(client('acme').clean_streak).toEqual({ final_days: 2, needed: 2, through: '2026-11-21', pending_days: ['2026-11-22'], broken: null });
    expect(client('bravo').clean_streak).toMatchObject({ final_days: 0, needed: 2, pending_days: ['2026-11-22'], broken: expect.stringMatching(/^2026-11-21: spend, revenue failed/) });
    expect(client('carol').clean_streak).toMatchObject({ final_days: 3, needed: 14, broken: '2026-11-18: not reconciled' });
    expect(client('dave').clean_streak).toBeNull();
    for (const c of report.clients.filter((c) => c.clean_streak)) {
      const check = c.gate!.checks.find((k) => k.name === 'clean-streak')!;
      expect(check.pass, c.client_id).toBe(c.clean_streak!.final_days >= c.clean_streak!.needed);
      expect(check.detail, c.client_id).toContain(`${c.clean_streak!.final_days === c.clean_streak!.needed ? c.clean_streak!.needed : `${c.clean_streak!.final_days} of ${c.clean_streak!.needed}`} consecutive final days`);
    }
    expect(client('bravo').last_reconcile!.metrics.filter((m) => m.status === 'fail').map((m) => m.metric)).toEqual(['clicks']);
    expect(client('carol').last_reconcile!.rows.duplicate_keys).toBe(4);
    expect(client('bravo').sla).toEqual({ met: 3, missed: 1, pending: 0, hit_rate: 0.75 });
    expect(client('carol').days_in_stage).toBe(0);
    expect(client('dave').last_reconcile).toBeNull();
  });

  it('draws the trend from the latest run of each client and day', () => {
    expect(report.trend.map((d) => [d.date, d.clients_clean, d.clients_reconciled, d.mismatched_rows])).toEqual([
      ['2026-11-19', 3, 3, 0],
      ['2026-11-20', 3, 3, 0],
      ['2026-11-21', 2, 3, 6],
      ['2026-11-22', 1, 3, 7],
    ]);
  });

  it('lists the flag changes, newest first', () => {
    expect(report.timeline.map((e) => `${e.client_id} ${e.from_stage}→${e.to_stage}`)).toEqual(['carol shadow→live', 'carol legacy→shadow', 'bravo legacy→shadow', 'acme legacy→shadow']);
  });

  it('reports an empty workspace without failing', async () => {
    const empty = await memoryWarehouse();
    try {
      const blank = await gatherCutoverReport(empty, [], loaded.config, TODAY, NOW);
      expect(blank.stage_counts.legacy).toBe(4);
      expect([blank.trend, blank.timeline]).toEqual([[], []]);
    } finally {
      await empty.close();
    }
  });
});
