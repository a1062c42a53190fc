import { addDays, zonedTimeToUtc } from '../core/dates.js';

/** Yesterday's data must be ready by this time of the client's own morning. */
export const SLA_LOCAL_DEADLINE = '08:00';

export type SlaStatus = 'met' | 'missed' | 'pending';

/** When the client's day `date` must be complete: 08:00 the next morning in the client's time zone. */
export function slaDeadline(date: string, timeZone: string): Date {
  return new Date(zonedTimeToUtc(addDays(date, 1), SLA_LOCAL_DEADLINE, timeZone));
}

/** Met when complete by the deadline; missed once complete late, or still incomplete after it; else pending. */
export function slaStatus(deadline: Date, completedAt: Date | null, now: Date): SlaStatus {
  if (completedAt) return completedAt.getTime() <= deadline.getTime() ? 'met' : 'missed';
  return now.getTime() > deadline.getTime() ? 'missed' : 'pending';
}

/**
 * When a client's day will be complete if the calls still to make go out at the slowest of its platforms'
 * rates: the rate limits, not the network, bound a day's fetch. `remaining` maps platform → calls left.
 */
export function estimatedCompletion(now: Date, remaining: Readonly<Record<string, number>>, callsPerSecond: Readonly<Record<string, number>>): Date {
  const seconds = Math.max(0, ...Object.entries(remaining).map(([platform, calls]) => calls / Math.max(callsPerSecond[platform] ?? 1, 1e-9)));
  return new Date(now.getTime() + seconds * 1000);
}

/**
 * At risk when the estimate lands after the deadline, or within `marginMs` of it, while the deadline is still
 * ahead of `now`: past it, an incomplete day is missed (see `slaStatus`), not at risk.
 */
export function atRisk(deadline: Date, estimate: Date, now: Date, marginMs = 15 * 60_000): boolean {
  return now.getTime() <= deadline.getTime() && estimate.getTime() + marginMs > deadline.getTime();
}

/**
 * Calls one account's day takes at least: an account-facts call and one report page. The estimate for a platform
 * whose calls no earlier load of the client recorded.
 */
export const CALLS_PER_ACCOUNT = 2;

/**
 * Per platform, the calls a client's day needs when none of it is fetched yet: as many as the client's latest load
 * from that platform made (`lastLoad`: platform → calls, from lineage), else `CALLS_PER_ACCOUNT` per account.
 */
export function callsForDay(accounts: ReadonlyArray<{ platform: string }>, lastLoad: ReadonlyMap<string, number>): Record<string, number> {
  const calls: Record<string, number> = {};
  for (const account of accounts) calls[account.platform] = (calls[account.platform] ?? 0) + CALLS_PER_ACCOUNT;
  for (const platform of Object.keys(calls)) {
    const made = lastLoad.get(platform);
    if (made !== undefined && made > 0) calls[platform] = made;
  }
  return calls;
}

export interface SlaDay {
  client_id: string;
  date: string;
  status: SlaStatus;
}

export interface SlaHitRate {
  client_id: string;
  met: number;
  missed: number;
  pending: number;
  /** Met over decided days (met + missed); null when none is decided yet. */
  hit_rate: number | null;
}

/** Per client, how many decided days met the deadline. */
export function slaHitRates(days: readonly SlaDay[]): SlaHitRate[] {
  const byClient = new Map<string, SlaHitRate>();
  for (const day of days) {
    const rate = byClient.get(day.client_id) ?? { client_id: day.client_id, met: 0, missed: 0, pending: 0, hit_rate: null };
    rate[day.status]++;
    byClient.set(day.client_id, rate);
  }
  return [...byClient.values()]
    .map((rate) => ({ ...rate, hit_rate: rate.met + rate.missed > 0 ? rate.met / (rate.met + rate.missed) : null }))
    .sort((a, b) => a.client_id.localeCompare(b.client_id));
}
