import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../core/config.js';
import { configError } from '../../helpers/config.js';

describe('models config', () => {
  it('defaults to 8 weeks of training, 7 days ahead, 90% intervals and 99% anomalies', () => {
    expect(parseConfig({}, 'test').models).toMatchObject({ trainingDays: 56, horizonDays: 7, minHistoryDays: 14, intervalLevel: 0.9, anomalyLevel: 0.99, pacingBand: 0.05, recommendations: { shiftShare: 0.2, max: 3, minDailySpend: 1 } });
  });

  it('takes a monthly budget per client, zero included', () => {
    const config = parseConfig({ clients: [{ id: 'acme', budgets: { monthly: 25000 } }, { id: 'paused', budgets: { monthly: 0 } }] }, 'test');
    expect(config.clients.map((c) => c.budgets?.monthly)).toEqual([25000, 0]);
  });

  it('names the field and the fix for a bad budget or setting', () => {
    expect(configError({ clients: [{ id: 'acme', budgets: { monthly: -5 } }] }).message).toContain('clients.0.budgets.monthly');
    expect(configError({ clients: [{ id: 'acme', budgets: { monthly: 5, weekly: 5 } }] }).message).toContain("unknown field 'weekly'");
    expect(configError({ models: { trainingDays: 28, minHistoryDays: 30 } }).message).toContain('models.minHistoryDays: must not exceed trainingDays');
    expect(configError({ models: { intervalLevel: 1 } }).message).toContain('models.intervalLevel');
  });
});
