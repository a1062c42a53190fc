import { BoscoError } from './errors.js';
import { ISO_DATE } from './metric-row.js';

/** True when `zone` is an IANA time zone this runtime knows. */
export function isValidTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** The calendar day (YYYY-MM-DD) that `instant` falls on in `timeZone`. */
export function dayInTimeZone(instant: Date, timeZone: string): string {
  // en-CA formats as YYYY-MM-DD.
  return new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(instant);
}

export function addDays(isoDate: string, days: number): string {
  const date = new Date(`${isoDate}T00:00:00Z`);
  date.setUTCDate(date.getUTCDate() + days);
  return date.toISOString().slice(0, 10);
}

export function isRealIsoDate(value: string): boolean {
  if (!ISO_DATE.test(value)) return false;
  const parsed = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(parsed.getTime()) && parsed.toISOString().slice(0, 10) === value;
}

/**
 * Resolves a user's `--date` (YYYY-MM-DD, `today` or `yesterday`) to a reporting day.
 * `today` and `yesterday` are computed in the reporting time zone, not the machine's.
 */
export function resolveReportDate(input: string, timeZone: string, now: Date = new Date()): string {
  const value = input.trim().toLowerCase();
  if (value === 'today') return dayInTimeZone(now, timeZone);
  if (value === 'yesterday') return addDays(dayInTimeZone(now, timeZone), -1);
  if (isRealIsoDate(value)) return value;
  throw new BoscoError('USAGE', `--date '${input}' is not a date`, {
    hint: 'use YYYY-MM-DD (e.g. 2026-11-22), "yesterday" or "today"',
  });
}

/** One formatter per zone: building one costs far more than using it, and pipelines read clocks per record. */
const wallClocks = new Map<string, Intl.DateTimeFormat>();

/** How far `timeZone`'s wall clock is ahead of UTC at `instant`, in ms. */
function offsetAt(instant: number, timeZone: string): number {
  let formatter = wallClocks.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' });
    wallClocks.set(timeZone, formatter);
  }
  const p = Object.fromEntries(formatter.formatToParts(new Date(instant)).map((part) => [part.type, part.value]));
  return Date.parse(`${p.year}-${p.month}-${p.day}T${p.hour}:${p.minute}:${p.second}Z`) - instant;
}

/** The UTC instant (epoch ms) when `timeZone`'s wall clock shows `time` (HH:MM) on `date`, across DST changes. */
export function zonedTimeToUtc(date: string, time: string, timeZone: string): number {
  const naive = Date.parse(`${date}T${time}:00Z`);
  // The offset at the naive guess can be the other side of a DST change; a second pass settles it.
  return naive - offsetAt(naive - offsetAt(naive, timeZone), timeZone);
}
