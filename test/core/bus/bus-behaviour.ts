import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { BusEvent, ConsumeOptions, Delivery, EventBus } from '../../../core/bus/index.js';
import { BoscoError } from '../../../core/errors.js';

/** A bus opened for one test, another client of the same bus (as another process would be), and how to let go of them. */
export interface OpenedBus {
  bus: EventBus;
  another(): Promise<EventBus>;
  close(): Promise<void>;
}

export interface BusBehaviourOptions {
  /** How long a consume waits with nothing to do before it returns: long enough for the backend's first delivery. */
  idleMs: number;
}

interface Job {
  n: number;
}

/**
 * Port-level behaviour every event bus has, whatever the backend. Each backend's test file calls this with a way
 * to open its bus; the assertions go through the `EventBus` port only. Topics are fresh per test, so the suite can
 * run against a shared server (an emulator).
 */
export function describeBusBehaviour(backend: string, open: () => Promise<OpenedBus>, { idleMs }: BusBehaviourOptions): void {
  describe(`the ${backend} bus (port behaviour)`, () => {
    let opened: OpenedBus;
    let bus: EventBus;
    let topic: string;

    beforeEach(async () => {
      opened = await open();
      bus = opened.bus;
      topic = `t-${randomUUID().slice(0, 8)}`;
    });
    afterEach(async () => opened.close());

    async function publishJobs(count: number, orderingKey?: (n: number) => string, on = topic): Promise<Array<BusEvent<Job>>> {
      const events: Array<BusEvent<Job>> = [];
      for (let n = 0; n < count; n++) events.push(await bus.publish(on, 'job', { n }, orderingKey ? { orderingKey: orderingKey(n) } : {}));
      return events;
    }

    async function collect(handler: (delivery: Delivery<Job>) => Promise<void> | void, options: ConsumeOptions & { on?: string; subscription?: string; via?: EventBus } = {}) {
      const deliveries: Array<Delivery<Job>> = [];
      const { on = topic, subscription = 'workers', via = bus, ...consume } = options;
      const summary = await via.consume<Job>(on, subscription, async (delivery) => {
        deliveries.push(delivery);
        await handler(delivery);
      }, { idleTimeoutMs: idleMs, ...consume });
      return { summary, deliveries };
    }

    it('delivers every published event once, acknowledges it, and does not deliver an acknowledged event again', async () => {
      await bus.ensureSubscription?.(topic, 'workers');
      const published = await publishJobs(5);
      const first = await collect(() => undefined);
      expect(first.deliveries.map((d) => d.event).sort((a, b) => a.data.n - b.data.n)).toEqual(published);
      expect(first.deliveries.every((d) => d.attempt === 1)).toBe(true);
      expect(first.summary).toEqual({ acked: 5, retried: 0, deadLettered: 0 });

      const again = await collect(() => undefined);
      expect(again.deliveries).toEqual([]);
    });

    it('delivers the events of one ordering key in publish order and one at a time, even when handling several at once', async () => {
      await bus.ensureSubscription?.(topic, 'workers');
      await publishJobs(12, (n) => `client-${n % 3}`);
      const busy = new Set<string>();
      let overlapped = false;
      const { deliveries, summary } = await collect(
        async ({ event }) => {
          const key = `client-${event.data.n % 3}`;
          if (busy.has(key)) overlapped = true;
          busy.add(key);
          await new Promise((resolve) => setTimeout(resolve, 5 + Math.random() * 15));
          busy.delete(key);
        },
        { concurrency: 3 },
      );
      expect(summary.acked).toBe(12);
      expect(overlapped).toBe(false);
      for (const key of [0, 1, 2]) {
        const seen = deliveries.map((d) => d.event.data.n).filter((n) => n % 3 === key);
        expect(seen).toEqual([...seen].sort((a, b) => a - b));
      }
    });

    it('redelivers an event whose handler throws, counting the attempts', async () => {
      await bus.ensureSubscription?.(topic, 'workers');
      const [flaky] = await publishJobs(3);
      const { deliveries, summary } = await collect(({ event, attempt }) => {
        if (event.id === flaky!.id && attempt === 1) throw new Error('the warehouse blinked');
      });
      expect(deliveries.filter((d) => d.event.id === flaky!.id).map((d) => d.attempt)).toEqual([1, 2]);
      expect(summary).toEqual({ acked: 3, retried: 1, deadLettered: 0 });
    });

    it('dead-letters an event after maxAttempts failed deliveries, keeping its id, type and data, and goes on with the rest', async () => {
      await bus.ensureSubscription?.(topic, 'workers', { maxAttempts: 3 });
      const [, poison] = await publishJobs(3);
      const { deliveries, summary } = await collect(
        ({ event }) => {
          if (event.id === poison!.id) throw new Error('cannot parse this payload');
        },
        { maxAttempts: 3 },
      );
      expect(deliveries.filter((d) => d.event.id === poison!.id).map((d) => d.attempt)).toEqual([1, 2, 3]);
      expect(summary).toEqual({ acked: 2, retried: 2, deadLettered: 1 });

      const dead = await collect(() => undefined, { on: `${topic}.dead-letter` });
      expect(dead.deliveries.map((d) => d.event)).toEqual([poison]);
    });

    it('sends dead letters to the deadLetterTopic given', async () => {
      const options = { maxAttempts: 1, deadLetterTopic: `${topic}.poison` };
      await bus.ensureSubscription?.(topic, 'workers', options);
      const [poison] = await publishJobs(1);
      const { summary } = await collect(
        () => {
          throw new Error('never works');
        },
        options,
      );
      expect(summary).toEqual({ acked: 0, retried: 0, deadLettered: 1 });
      expect((await collect(() => undefined, { on: `${topic}.poison` })).deliveries.map((d) => d.event.id)).toEqual([poison!.id]);
    });

    it('gives each subscription every event', async () => {
      await bus.ensureSubscription?.(topic, 'workers');
      await bus.ensureSubscription?.(topic, 'alerts');
      await publishJobs(4);
      const [workers, alerts] = await Promise.all([collect(() => undefined), collect(() => undefined, { subscription: 'alerts' })]);
      expect(workers.summary.acked).toBe(4);
      expect(alerts.summary.acked).toBe(4);
    });

    it('shares a subscription between competing consumers: each event is handled by exactly one of them', async () => {
      await bus.ensureSubscription?.(topic, 'workers');
      await publishJobs(30);
      const other = await opened.another();
      const slow = () => new Promise<void>((resolve) => setTimeout(resolve, 20));
      const [a, b] = await Promise.all([collect(slow), collect(slow, { via: other })]);
      const handled = [...a.deliveries, ...b.deliveries].map((d) => d.event.data.n).sort((x, y) => x - y);
      expect(handled).toEqual(Array.from({ length: 30 }, (_, n) => n));
      expect(a.deliveries.length).toBeGreaterThan(0);
      expect(b.deliveries.length).toBeGreaterThan(0);
    });

    it('is at least once: an idempotent consumer applies each event once although deliveries were lost after their side effect', async () => {
      await bus.ensureSubscription?.(topic, 'workers');
      const published = await publishJobs(10);
      const applied = new Map<string, number>();
      const { deliveries } = await collect(({ event, attempt }) => {
        // The side effect, made idempotent by the event id: a repeat is recognised and dropped.
        if (!applied.has(event.id)) applied.set(event.id, event.data.n);
        // As if the consumer died before its ack: the delivery counts as failed although the effect happened.
        if (attempt === 1 && event.data.n % 2 === 0) throw new Error('lost before the ack');
      });
      expect(deliveries).toHaveLength(15);
      expect([...applied.keys()].sort()).toEqual(published.map((e) => e.id).sort());
    });

    it('stops when its signal aborts, finishing the delivery in hand, and leaves the rest for the next consumer', async () => {
      await bus.ensureSubscription?.(topic, 'workers');
      await publishJobs(3);
      const stop = new AbortController();
      const first = await collect(
        async () => {
          stop.abort();
          await new Promise((resolve) => setTimeout(resolve, 20));
        },
        { signal: stop.signal, idleTimeoutMs: undefined },
      );
      expect(first.summary.acked).toBe(first.deliveries.length);
      expect(first.deliveries.length).toBeGreaterThanOrEqual(1);
      const rest = await collect(() => undefined);
      expect(new Set([...first.deliveries, ...rest.deliveries].map((d) => d.event.data.n))).toEqual(new Set([0, 1, 2]));
    });

    it('refuses a bad topic or subscription name, or a bad option, with a usage error', async () => {
      await expect(bus.publish('../outside', 'e', {})).rejects.toMatchObject({ code: 'USAGE' });
      await expect(bus.consume(topic, 'Has Spaces', async () => undefined, { idleTimeoutMs: 0 })).rejects.toBeInstanceOf(BoscoError);
      await expect(bus.consume(topic, 'workers', async () => undefined, { maxAttempts: 0 })).rejects.toThrow(/maxAttempts/);
    });
  });
}
