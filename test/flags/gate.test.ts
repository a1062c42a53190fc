import { describe, expect, it } from 'vitest';
import { addDays } from '../../core/dates.js';
import { decideGate, type Acceptance, type DayEvidence, type GateEvidence } from '../../flags/gate.js';

const TODAY = '2026-11-23';
/** With a 3-day restatement window the newest final day is 2026-11-19. */
const LAST_FINAL = '2026-11-19';

const day = (date: string, overrides: Partial<DayEvidence> = {}): DayEvidence => ({ date, reconcile: 'pass', reconcileRunId: `rc-${date}`, failing: [], sla: 'met', ...overrides });
/** `n` clean days ending `last`, newest first, with `change` applied to the days it names. */
const days = (n: number, last = TODAY, change: Record<string, Partial<DayEvidence>> = {}) =>
  Array.from({ length: n }, (_, i) => addDays(last, -i)).map((date) => day(date, change[date]));
const acceptance = (overrides: Partial<Acceptance> = {}): Acceptance => ({ id: 'acc-1', clientId: 'acme', metric: 'conversions', from: '2026-11-01', to: '2026-11-30', expires: '2026-12-31', reason: 'known Meta attribution gap', ...overrides });

const evidence = (overrides: Partial<GateEvidence> = {}): GateEvidence => ({
  clientId: 'acme', from: 'shadow', to: 'live', today: TODAY, days: days(14), openQualityFailures: [], acceptances: [],
  settings: { cleanDays: 7, requireSla: true, restatementDays: 3 }, ...overrides,
});
const check = (decision: ReturnType<typeof decideGate>, name: string) => decision.checks.find((c) => c.name === name)!;

describe('the promotion gate', () => {
  it('passes seven final clean days with the SLA met, and says which days it counted', () => {
    const decision = decideGate(evidence());
    expect(decision.pass).toBe(true);
    expect(check(decision, 'clean-streak').evidence[0]).toBe(`${LAST_FINAL}: pass, run rc-${LAST_FINAL}`);
    expect(decision.pendingDays).toEqual(['2026-11-20', '2026-11-21', '2026-11-22', '2026-11-23']);
  });

  it.each([
    ['a failing day breaks the streak', { '2026-11-16': { reconcile: 'fail' as const, failing: ['spend'] } }, /3 of 7 .* broken at 2026-11-16: spend failed/],
    ['a day never reconciled breaks the streak', { '2026-11-18': { reconcile: 'missing' as const, reconcileRunId: undefined } }, /1 of 7 .* broken at 2026-11-18: not reconciled/],
    ['a fail with only row problems breaks it', { '2026-11-19': { reconcile: 'fail' as const, failing: ['rows'] } }, /0 of 7 .* rows failed/],
  ])('fails when %s', (_, change, message) => {
    const decision = decideGate(evidence({ days: days(14, TODAY, change) }));
    expect(decision.pass).toBe(false);
    expect(check(decision, 'clean-streak').detail).toMatch(message);
  });

  it('does not count pending days: a failure inside the restatement window neither breaks nor makes the streak', () => {
    const decision = decideGate(evidence({ days: days(14, TODAY, { '2026-11-22': { reconcile: 'fail', failing: ['spend'] } }) }));
    expect(decision.pass).toBe(true);
    expect(decideGate(evidence({ days: days(6) })).pass).toBe(false);
  });

  it('treats a failing metric covered by a live exception as clean, and names the exception', () => {
    const failing = { '2026-11-15': { reconcile: 'fail' as const, failing: ['conversions'] } };
    const decision = decideGate(evidence({ days: days(14, TODAY, failing), acceptances: [acceptance()] }));
    expect(decision.pass).toBe(true);
    expect(check(decision, 'clean-streak').evidence).toContain('2026-11-15: conversions accepted (acc-1), run rc-2026-11-15');
  });

  it.each([
    ['expired', acceptance({ expires: '2026-11-22' })],
    ['for another metric', acceptance({ metric: 'revenue' })],
    ['for other days', acceptance({ from: '2026-11-16', to: '2026-11-30' })],
  ])('counts an exception %s for nothing', (_, exception) => {
    const failing = { '2026-11-15': { reconcile: 'fail' as const, failing: ['conversions'] } };
    expect(decideGate(evidence({ days: days(14, TODAY, failing), acceptances: [exception] })).pass).toBe(false);
  });

  it('fails on an SLA miss inside the streak, but not outside it', () => {
    const inside = decideGate(evidence({ days: days(14, TODAY, { '2026-11-17': { sla: 'missed' } }) }));
    expect(inside.pass).toBe(false);
    expect(check(inside, 'sla').evidence).toEqual(['2026-11-17: missed']);
    expect(decideGate(evidence({ days: days(14, TODAY, { '2026-11-12': { sla: 'missed' } }) })).pass).toBe(true);
    expect(decideGate(evidence({ days: days(14, TODAY, { '2026-11-17': { sla: 'missed' } }), settings: { cleanDays: 7, requireSla: false, restatementDays: 3 } })).pass).toBe(true);
  });

  it('fails while a partition is quarantined', () => {
    const decision = decideGate(evidence({ openQualityFailures: [{ date: '2026-11-22', platform: 'meta_ads', reason: 'payload.schema' }] }));
    expect(decision.pass).toBe(false);
    expect(check(decision, 'data-quality').evidence).toEqual(['2026-11-22 meta_ads: payload.schema']);
  });

  it('lets a client into shadow with no evidence at all', () => {
    expect(decideGate(evidence({ from: 'legacy', to: 'shadow', days: [] })).pass).toBe(true);
  });
});
