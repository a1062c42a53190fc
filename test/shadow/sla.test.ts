import { describe, expect, it } from 'vitest';
import { atRisk, callsForDay, CALLS_PER_ACCOUNT, estimatedCompletion, slaDeadline, slaHitRates, slaStatus } from '../../shadow/sla.js';

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
    expect(atRisk(new Date('2026-11-21T13:00:00Z'), estimate, now)).toBe(false);
    expect(atRisk(new Date('2026-11-21T12:40:00Z'), estimate, now)).toBe(true);
  });

  it('never calls a day at risk once its deadline has passed: it is missed then', () => {
    const deadline = new Date('2026-11-21T13:00:00Z');
    const late = new Date('2026-11-23T09:00:00Z');
    expect(atRisk(deadline, estimatedCompletion(late, { meta_ads: 10 }, { meta_ads: 1 }), late)).toBe(false);
    expect(slaStatus(deadline, null, late)).toBe('missed');
  });

  it('counts the calls a day needs from what the client’s latest load made, else a floor per account', () => {
    const accounts = [{ platform: 'meta_ads' }, { platform: 'meta_ads' }, { platform: 'google_ads' }, { platform: 'shopify' }];
    const calls = callsForDay(accounts, new Map([['meta_ads', 7_200], ['google_ads', 0]]));
    expect(calls).toEqual({ meta_ads: 7_200, google_ads: CALLS_PER_ACCOUNT, shopify: CALLS_PER_ACCOUNT });
    // 7,200 calls at 2 a second are an hour: at 12:00 a 13:00 deadline is at risk, which the floor alone never showed.
    const now = new Date('2026-11-21T12:00:00Z');
    const deadline = new Date('2026-11-21T13:00:00Z');
    expect(atRisk(deadline, estimatedCompletion(now, calls, { meta_ads: 2, google_ads: 10, shopify: 2 }), now)).toBe(true);
    expect(atRisk(deadline, estimatedCompletion(now, callsForDay(accounts, new Map()), { meta_ads: 2, google_ads: 10, shopify: 2 }), now)).toBe(false);
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
