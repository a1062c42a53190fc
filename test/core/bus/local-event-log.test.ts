import { appendFileSync, readdirSync, readFileSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LocalEventLog } from '../../../core/bus/local/local-event-log.js';
import { SubscriptionFiles } from '../../../core/bus/local/local-subscription.js';
import { makeTempDir } from '../../helpers/cli.js';
import { describeBusBehaviour } from './bus-behaviour.js';

describeBusBehaviour(
  'local event log',
  async () => {
    const dir = makeTempDir();
    const events = join(dir.path, 'events');
    const bus = new LocalEventLog(events);
    const others: LocalEventLog[] = [];
    return {
      bus,
      another: async () => {
        others.push(new LocalEventLog(events));
        return others.at(-1)!;
      },
      async close() {
        await Promise.all([bus, ...others].map((log) => log.close()));
        dir.cleanup();
      },
    };
  },
  { idleMs: 300 },
);

describe('the local event log', () => {
  const dirs: Array<{ cleanup: () => void }> = [];
  const freshLog = () => {
    const dir = makeTempDir();
    dirs.push(dir);
    return { log: new LocalEventLog(join(dir.path, 'events')), dir: join(dir.path, 'events') };
  };
  afterEach(() => dirs.splice(0).forEach((dir) => dir.cleanup()));

  it('reads back what was published, in order, with offsets and ids', async () => {
    const { log } = freshLog();
    await log.publish('partition.loaded', 'loaded', { client: 'a' });
    await log.publish('partition.loaded', 'loaded', { client: 'b' });
    const events = await log.read<{ client: string }>('partition.loaded');
    expect(events.map((e) => [e.offset, e.data.client])).toEqual([[1, 'a'], [2, 'b']]);
    expect(new Set(events.map((e) => e.id)).size).toBe(2);
  });

  it('keeps events across instances, as after a restart', async () => {
    const { log, dir } = freshLog();
    await log.publish('quality', 'result', { n: 1 });
    expect(await new LocalEventLog(dir).read('quality')).toHaveLength(1);
  });

  it('reads only the events after an offset', async () => {
    const { log } = freshLog();
    for (const n of [1, 2, 3]) await log.publish('t', 'e', { n });
    expect((await log.read<{ n: number }>('t', { after: 2 })).map((e) => e.data.n)).toEqual([3]);
  });

  it('skips a line cut short by a crash mid-write and keeps later events', async () => {
    const { log, dir } = freshLog();
    await log.publish('t', 'e', { n: 1 });
    appendFileSync(join(dir, 't.jsonl'), '{"id":"x","topic":"t","ty');
    appendFileSync(join(dir, 't.jsonl'), '\n');
    await log.publish('t', 'e', { n: 2 });
    expect((await log.read<{ n: number }>('t')).map((e) => e.data.n)).toEqual([1, 2]);
  });

  it('reads an unknown topic as empty and refuses a topic name that could escape its folder', async () => {
    const { log, dir } = freshLog();
    expect(await log.read('never.published')).toEqual([]);
    await expect(log.publish('../outside', 'e', {})).rejects.toThrow(/not a valid topic name/);
    expect(() => readFileSync(join(dir, '..', 'outside.jsonl'))).toThrow();
  });

  it('ends a line cut short by a crash before appending, so the next event is not glued to it and lost', async () => {
    const { log, dir } = freshLog();
    await log.publish('t', 'e', { n: 1 });
    appendFileSync(join(dir, 't.jsonl'), '{"id":"x","topic":"t","ty');
    await log.publish('t', 'e', { n: 2 });
    expect((await log.read<{ n: number }>('t')).map((e) => e.data.n)).toEqual([1, 2]);
  });

  it('keeps the ordering key with the event and the reason with a dead letter', async () => {
    const { log } = freshLog();
    await log.publish('jobs', 'job', { n: 1 }, { orderingKey: 'client-1' });
    await log.consume('jobs', 'workers', async () => {
      throw new Error('bad row');
    }, { maxAttempts: 2, idleTimeoutMs: 100 });
    const [dead] = await log.read('jobs.dead-letter');
    expect(dead).toMatchObject({ topic: 'jobs', orderingKey: 'client-1', data: { n: 1 }, deadLetter: { subscription: 'workers', attempts: 2, error: 'bad row' } });
  });

  it('keeps a subscription as files: a claim per attempt while it runs, then only the committed offset', async () => {
    const { log, dir } = freshLog();
    for (const n of [1, 2, 3]) await log.publish('jobs', 'job', { n });
    const subscription = join(dir, 'jobs.subs', 'workers');
    const during: string[][] = [];
    await log.consume('jobs', 'workers', async ({ event, attempt }) => {
      during.push(readdirSync(subscription).sort());
      if ((event.data as { n: number }).n === 2 && attempt === 1) throw new Error('retry me');
    }, { idleTimeoutMs: 100 });
    expect(during[0]).toEqual(['1.1']);
    expect(during[2]).toEqual(['2.1.failed', '2.1', '2.2', 'committed.1'].sort());
    expect(readdirSync(subscription)).toEqual(['committed.3']);
    expect(JSON.parse(readFileSync(join(dir, 'jobs.jsonl'), 'utf8').split('\n')[0]!)).toMatchObject({ data: { n: 1 } });
  });

  it('lets another consumer take an event whose consumer stopped renewing its lease, as the next attempt', async () => {
    const { log, dir } = freshLog();
    await log.publish('jobs', 'job', { n: 1 });
    const files = new SubscriptionFiles(join(dir, 'jobs.subs', 'workers'));
    files.ensure();
    // A consumer that claimed the event and died: its claim is never renewed.
    expect(files.claim(1, 1, { consumer: 'dead', pid: 0, host: 'here', leaseMs: 200 })).toBe(true);
    const seen: number[] = [];
    const started = Date.now();
    const summary = await log.consume('jobs', 'workers', async ({ attempt }) => void seen.push(attempt), { leaseMs: 200, idleTimeoutMs: 600 });
    expect(seen).toEqual([2]);
    expect(summary.acked).toBe(1);
    expect(Date.now() - started).toBeGreaterThanOrEqual(150);
  });

  it('renews the lease while a slow handler runs, so no other consumer takes the event meanwhile', async () => {
    const { log, dir } = freshLog();
    await log.publish('jobs', 'job', { n: 1 });
    const other = new LocalEventLog(dir);
    const seen: string[] = [];
    const [slow, waiting] = await Promise.all([
      log.consume('jobs', 'workers', async () => {
        seen.push('slow');
        await new Promise((resolve) => setTimeout(resolve, 700));
      }, { leaseMs: 150, idleTimeoutMs: 100 }),
      new Promise((resolve) => setTimeout(resolve, 50)).then(() =>
        other.consume('jobs', 'workers', async () => void seen.push('other'), { leaseMs: 150, idleTimeoutMs: 900 }),
      ),
    ]);
    expect(seen).toEqual(['slow']);
    expect(slow.acked + waiting.acked).toBe(1);
  });

  it('dead-letters, without delivering it again, an event whose consumer died in its last allowed delivery', async () => {
    const { log, dir } = freshLog();
    await log.publish('jobs', 'job', { n: 1 });
    const files = new SubscriptionFiles(join(dir, 'jobs.subs', 'workers'));
    files.ensure();
    files.claim(1, 1, { consumer: 'a', pid: 0, host: 'here', leaseMs: 50 });
    files.fail(1, 1);
    files.claim(1, 2, { consumer: 'b', pid: 0, host: 'here', leaseMs: 50 });
    const past = new Date(Date.now() - 10_000);
    utimesSync(join(dir, 'jobs.subs', 'workers', '1.2'), past, past);
    const handled: number[] = [];
    const summary = await log.consume('jobs', 'workers', async ({ attempt }) => void handled.push(attempt), { maxAttempts: 2, idleTimeoutMs: 100 });
    expect(handled).toEqual([]);
    expect(summary).toEqual({ acked: 0, retried: 0, deadLettered: 1 });
    expect((await log.read('jobs.dead-letter'))[0]?.deadLetter).toMatchObject({ attempts: 2, error: /stopped during the last allowed delivery/ });
  });
});
