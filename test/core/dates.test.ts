import { describe, expect, it } from 'vitest';
import { addDays, resolveReportDate } from '../../core/dates.js';

describe('report dates', () => {
  const now = new Date('2026-11-23T03:00:00Z');

  it('computes yesterday in the reporting time zone, not the machine one', () => {
    expect(resolveReportDate('yesterday', 'UTC', now)).toBe('2026-11-22');
    expect(resolveReportDate('yesterday', 'America/Los_Angeles', now)).toBe('2026-11-21');
    expect(resolveReportDate('today', 'Asia/Tokyo', now)).toBe('2026-11-23');
  });

  it('accepts real ISO dates and rejects impossible ones with a hint', () => {
    expect(resolveReportDate('2024-02-29', 'UTC', now)).toBe('2024-02-29');
    for (const bad of ['2026-02-30', '22/11/2026', 'tomorrow', '2026-11-22; drop']) {
      expect(() => resolveReportDate(bad, 'UTC', now)).toThrow(/is not a date/);
    }
  });

  it('adds days across month and year ends', () => {
    expect(addDays('2026-12-31', 1)).toBe('2027-01-01');
    expect(addDays('2026-03-01', -1)).toBe('2026-02-28');
  });
});
