import { describe, expect, it } from 'vitest';
import { addDays, dayInTimeZone } from '../../../core/dates.js';
import { SimWorld, zonedMidnightUtc } from '../../../new-pipeline/simulator/world.js';

/** The first `shop-<n>` whose simulated time zone is `timeZone`: the world assigns zones by hashing the name. */
function shopIn(world: SimWorld, timeZone: string): string {
  for (let i = 0; i < 500; i++) if (world.account('shopify', `shop-${i}`).timeZone === timeZone) return `shop-${i}`;
  throw new Error(`no simulated shop in ${timeZone}`);
}

const HOUR = 3_600_000;

describe('simulated Shopify orders on a day the clocks change', () => {
  const world = new SimWorld();

  it.each([
    // Sydney springs forward on 2026-10-04: a 23-hour day.
    ['Australia/Sydney', '2026-10-04', 23],
    // Los Angeles falls back on 2026-11-01: a 25-hour day.
    ['America/Los_Angeles', '2026-11-01', 25],
    ['Europe/Berlin', '2026-03-29', 23],
    ['Europe/Berlin', '2026-06-15', 24],
  ])('stamps every order of a %s shop on %s inside that %d-hour local day', (timeZone, date, hours) => {
    const shop = shopIn(world, timeZone);
    const start = zonedMidnightUtc(date, timeZone);
    const end = zonedMidnightUtc(addDays(date, 1), timeZone);
    expect(end - start).toBe(hours * HOUR);
    const orders = world.orders(shop, date);
    expect(orders.length).toBeGreaterThan(5);
    for (const order of orders) {
      const at = Date.parse(order.createdAt);
      expect(at).toBeGreaterThanOrEqual(start);
      expect(at).toBeLessThan(end);
      expect(dayInTimeZone(new Date(at), timeZone)).toBe(order.shopDate);
    }
  });

  it('spreads a 25-hour day\'s orders into its last hour too', () => {
    const shop = shopIn(world, 'America/Los_Angeles');
    // A launch spike gives the shop enough orders that an hour without any would be a bug, not chance.
    const orders = new SimWorld({ spikeAccounts: [shop] }).orders(shop, '2026-11-01');
    const end = zonedMidnightUtc('2026-11-02', 'America/Los_Angeles');
    expect(orders.filter((order) => Date.parse(order.createdAt) >= end - HOUR).length).toBeGreaterThan(2);
  });
});
