import { appendFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LocalEventLog } from '../../../core/bus/local/local-event-log.js';
import { makeTempDir } from '../../helpers/cli.js';

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
});
