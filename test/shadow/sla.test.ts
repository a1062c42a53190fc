import { describe, expect, it } from 'vitest';
import { atRisk, estimatedCompletion, slaDeadline, slaHitRates, slaStatus } from '../../shadow/sla.js';

describe('the 08:00 deadline', () => {
  it('falls at 08:00 the next morning in the client’s zone, across a DST change', () => {
    expect(slaDeadline('2026-11-20', 'America/New_York').toISOString()).toBe('2026-11-21T13:00:00.000Z');
    expect(slaDeadline('2026-11-20', 'Australia/Sydney').toISOString()).toBe('2026-11-20T21:00:00.000Z');
    // New York leaves summer time in the night of 2026-11-01.
    expect(slaDeadline('2026-10-31', 'America/New_York').toISOString()).toBe('2026-11-01T13:00:00.000Z');
    expect(slaDeadline('2026-10-30', 'America/New_York').toISOString()).toBe('2026-10-31T12:00:00.000Z');
  });

  it('is met on time, missed late or when still incomplete after it, and pending before it', () => {
    const deadline = new Date('2026-11-21T13:00:00Z');
    expect(slaStatus(deadline, new Date('2026-11-21T12:59:59Z'), new Date('2026-11-22T00:00:00Z'))).toBe('met');
    expect(slaStatus(deadline, new Date('2026-11-21T13:00:01Z'), new Date('2026-11-21T13:00:01Z'))).toBe('missed');
    expect(slaStatus(deadline, null, new Date('2026-11-21T14:00:00Z'))).toBe('missed');
    expect(slaStatus(deadline, null, new Date('2026-11-21T06:00:00Z'))).toBe('pending');
  });

  it('estimates completion from the slowest platform’s calls left and rate, and flags a client at risk', () => {
    const now = new Date('2026-11-21T12:00:00Z');
    const estimate = estimatedCompletion(now, { meta_ads: 3600, google_ads: 100 }, { meta_ads: 2, google_ads: 10 });
    expect(estimate.toISOString()).toBe('2026-11-21T12:30:00.000Z');
    expect(atRisk(new Date('2026-11-21T13:00:00Z'), estimate)).toBe(false);
    expect(atRisk(new Date('2026-11-21T12:40:00Z'), estimate)).toBe(true);
  });

  it('rates each client by its decided days only', () => {
    const rates = slaHitRates([
      { client_id: 'b', date: '2026-11-19', status: 'met' },
      { client_id: 'b', date: '2026-11-20', status: 'missed' },
      { client_id: 'b', date: '2026-11-21', status: 'pending' },
      { client_id: 'a', date: '2026-11-21', status: 'pending' },
    ]);
    expect(rates).toEqual([
      { client_id: 'a', met: 0, missed: 0, pending: 1, hit_rate: null },
      { client_id: 'b', met: 1, missed: 1, pending: 1, hit_rate: 0.5 },
    ]);
  });
});
