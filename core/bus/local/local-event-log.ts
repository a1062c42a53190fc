import { randomUUID } from 'node:crypto';
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { BoscoError } from '../../errors.js';
import type { BusEvent, EventBus } from '../types.js';

/** An event as read back, with its position in the topic. */
export interface StoredEvent<T = unknown> extends BusEvent<T> {
  offset: number;
}

const TOPIC_NAME = /^[a-z][a-z0-9._-]{0,99}$/;

/**
 * The embedded event bus: one append-only JSON-lines file per topic in the workspace, synced to disk on every
 * publish, so nothing published is lost in a crash. A line cut short by a crash mid-write is skipped on read.
 */
export class LocalEventLog implements EventBus {
  constructor(private readonly dir: string) {}

  private file(topic: string): string {
    if (!TOPIC_NAME.test(topic)) {
      throw new BoscoError('USAGE', `'${topic}' is not a valid topic name`, { hint: 'topics are lower-case letters, digits, dots, dashes and underscores' });
    }
    return join(this.dir, `${topic}.jsonl`);
  }

  async publish<T>(topic: string, type: string, data: T): Promise<BusEvent<T>> {
    const path = this.file(topic);
    const event: BusEvent<T> = { id: randomUUID(), topic, type, at: new Date().toISOString(), data };
    mkdirSync(this.dir, { recursive: true });
    const fd = openSync(path, 'a');
    try {
      // One write per event: appends from several processes never interleave within a line.
      writeSync(fd, JSON.stringify(event) + '\n');
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    return event;
  }

  async read<T = unknown>(topic: string, options: { after?: number } = {}): Promise<Array<StoredEvent<T>>> {
    let text: string;
    try {
      text = readFileSync(this.file(topic), 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    const events: Array<StoredEvent<T>> = [];
    let offset = 0;
    for (const line of text.split('\n')) {
      if (!line) continue;
      let event: BusEvent<T>;
      try {
        event = JSON.parse(line) as BusEvent<T>;
      } catch {
        continue;
      }
      offset++;
      if (options.after === undefined || offset > options.after) events.push({ ...event, offset });
    }
    return events;
  }

  async close(): Promise<void> {}
}
