import { addDays } from '../core/dates.js';
import type { Stage } from './types.js';

/** One day of a client's dual run, as the gate weighs it. */
export interface DayEvidence {
  date: string;
  /** The day's latest shadow reconcile; `missing` when the day was not reconciled. */
  reconcile: 'pass' | 'fail' | 'missing';
  reconcileRunId?: string;
  /** Metrics that failed, plus `rows` when rows were missing or duplicated. */
  failing: string[];
  /** The new side's 08:00 deadline that day. */
  sla: 'met' | 'missed' | 'pending' | 'missing';
}

/** An approved, scoped, expiring exception: differences on `metric` for the client on those days count as clean. */
export interface Acceptance {
  id: string;
  clientId: string;
  metric: string;
  from: string;
  to: string;
  /** Last day the exception holds, inclusive. */
  expires: string;
  reason: string;
}

export interface GateSettings {
  /** Consecutive final, clean days needed. */
  cleanDays: number;
  /** Whether those days must also have met the 08:00 SLA. */
  requireSla: boolean;
  /** Days a platform may still restate a day; the client's window is the longest of its platforms'. */
  restatementDays: number;
}

export interface GateEvidence {
  clientId: string;
  from: Stage;
  to: Stage;
  /** The day the gate is decided on (today in the reporting zone). */
  today: string;
  days: readonly DayEvidence[];
  /** Partitions whose latest quality result is quarantined: open data-quality failures. */
  openQualityFailures: ReadonlyArray<{ date: string; platform: string; reason: string }>;
  acceptances: readonly Acceptance[];
  settings: GateSettings;
}

export interface GateCheck {
  name: 'clean-streak' | 'sla' | 'data-quality';
  pass: boolean;
  detail: string;
  /** The dates, run ids and exceptions the check rests on. */
  evidence: string[];
}

export interface GateDecision {
  pass: boolean;
  checks: GateCheck[];
  /** Days not yet final: neither clean nor failing. */
  pendingDays: string[];
}

/** Whether an exception covers `metric` on `date` as of `today`: in scope and not expired. */
function accepted(acceptances: readonly Acceptance[], metric: string, date: string, today: string): Acceptance | undefined {
  return acceptances.find((a) => a.metric === metric && a.from <= date && date <= a.to && today <= a.expires);
}

/** The clean streak as the gate counts it: final days only, back from the newest final day. */
export interface CleanStreak {
  /** The newest final day: days after it are pending. */
  lastFinal: string;
  /** The streak's days, newest first; at most the `cleanDays` asked for. */
  days: DayEvidence[];
  /** One line per streak day: its run, or the exceptions that cover it. */
  notes: string[];
  /** What ended the streak (`<date>: …`); undefined when it reached `cleanDays`. */
  broken?: string;
  /** Days with evidence that are not final yet: neither clean nor failing. */
  pendingDays: string[];
}

/**
 * Counts consecutive clean final days back from the newest final day (older than `restatementDays`), stopping at
 * `cleanDays`: a day is clean when it passed or every failing metric is covered by a live exception; a missing day
 * breaks the streak. The gate and the cutover dashboard both count with this.
 */
export function finalCleanStreak(input: Pick<GateEvidence, 'today' | 'days' | 'acceptances'> & { restatementDays: number; cleanDays: number }): CleanStreak {
  const { today } = input;
  const lastFinal = addDays(today, -input.restatementDays - 1);
  const byDate = new Map(input.days.map((day) => [day.date, day]));
  const pendingDays = input.days.filter((d) => d.date > lastFinal).map((d) => d.date).sort();

  const streak: DayEvidence[] = [];
  const notes: string[] = [];
  let broken: string | undefined;
  for (let date = lastFinal; streak.length < input.cleanDays; date = addDays(date, -1)) {
    const day = byDate.get(date);
    if (!day || day.reconcile === 'missing') {
      broken = `${date}: not reconciled`;
      break;
    }
    if (day.reconcile === 'fail') {
      const uncovered = day.failing.filter((metric) => !accepted(input.acceptances, metric, date, today));
      if (uncovered.length > 0 || day.failing.length === 0) {
        broken = `${date}: ${day.failing.join(', ') || 'differences'} failed (run ${day.reconcileRunId})`;
        break;
      }
      const ids = day.failing.map((metric) => accepted(input.acceptances, metric, date, today)!.id);
      notes.push(`${date}: ${day.failing.join(', ')} accepted (${[...new Set(ids)].join(', ')}), run ${day.reconcileRunId}`);
    } else {
      notes.push(`${date}: pass, run ${day.reconcileRunId}`);
    }
    streak.push(day);
  }
  return { lastFinal, days: streak, notes, broken, pendingDays };
}

/**
 * Decides a promotion from its evidence. Pure: the same evidence gives the same decision, and every check says
 * what it looked at. A day younger than the restatement window is pending (its numbers may still change), so the
 * streak is counted back from the newest final day (see `finalCleanStreak`).
 */
export function decideGate(evidence: GateEvidence): GateDecision {
  const { settings } = evidence;
  // Starting the dual run needs no evidence: shadow serves nobody.
  if (evidence.to === 'shadow' || settings.cleanDays === 0) {
    return { pass: true, pendingDays: [], checks: [{ name: 'clean-streak', pass: true, detail: `moving to ${evidence.to} needs no reconcile evidence`, evidence: [] }] };
  }
  const { lastFinal, days: streak, notes: streakNotes, broken, pendingDays } = finalCleanStreak({ ...evidence, restatementDays: settings.restatementDays, cleanDays: settings.cleanDays });
  const streakPass = streak.length >= settings.cleanDays;
  const checks: GateCheck[] = [
    {
      name: 'clean-streak',
      pass: streakPass,
      detail: streakPass
        ? `${settings.cleanDays} consecutive final days reconciled clean up to ${lastFinal}`
        : `${streak.length} of ${settings.cleanDays} consecutive final days clean up to ${lastFinal}; broken at ${broken}`,
      evidence: [...streakNotes, ...(pendingDays.length ? [`pending (within the ${settings.restatementDays}-day restatement window): ${pendingDays.join(', ')}`] : [])],
    },
  ];
  if (settings.requireSla) {
    const misses = streak.filter((day) => day.sla !== 'met');
    checks.push({
      name: 'sla',
      pass: streakPass && misses.length === 0,
      detail: misses.length === 0 ? (streakPass ? '08:00 SLA met on every day of the streak' : 'no complete streak to check') : `08:00 SLA not met on ${misses.length} day(s) of the streak`,
      evidence: misses.map((day) => `${day.date}: ${day.sla}`),
    });
  }
  const failures = evidence.openQualityFailures;
  checks.push({
    name: 'data-quality',
    pass: failures.length === 0,
    detail: failures.length === 0 ? 'no open data-quality failure' : `${failures.length} partition(s) quarantined`,
    evidence: failures.map((f) => `${f.date} ${f.platform}: ${f.reason}`),
  });
  return { pass: checks.every((check) => check.pass), checks, pendingDays };
}
