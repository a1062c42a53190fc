import { addDays } from '../../core/dates.js';

/** Calendar arithmetic on reporting days (YYYY-MM-DD), in UTC so a day is always 24 hours. */

/** Days since 1970-01-01, remembered: a backtest asks for the same few hundred days millions of times. */
const epochDays = new Map<string, number>();

export function epochDay(date: string): number {
  let day = epochDays.get(date);
  if (day === undefined) {
    day = Math.round(Date.parse(`${date}T00:00:00Z`) / 86_400_000);
    if (epochDays.size >= 100_000) epochDays.clear();
    epochDays.set(date, day);
  }
  return day;
}

/** Whole days from `from` to `to`: negative when `to` is earlier. */
export function daysBetween(from: string, to: string): number {
  return epochDay(to) - epochDay(from);
}

/** 0 for Sunday to 6 for Saturday, as `Date.getUTCDay` (1970-01-01 was a Thursday). */
export function weekday(date: string): number {
  return (((epochDay(date) + 4) % 7) + 7) % 7;
}

/** Every day from `from` to `to`, both included; empty when `to` is earlier. */
export function daysFrom(from: string, to: string): string[] {
  const days: string[] = [];
  for (let day = from; day <= to; day = addDays(day, 1)) days.push(day);
  return days;
}

export function monthStart(date: string): string {
  return `${date.slice(0, 7)}-01`;
}

export function monthEnd(date: string): string {
  const [year, month] = date.split('-').map(Number) as [number, number];
  // Day 0 of the next month is the last day of this one.
  return new Date(Date.UTC(year, month, 0)).toISOString().slice(0, 10);
}
