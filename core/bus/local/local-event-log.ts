import { randomUUID } from 'node:crypto';
import { closeSync, fstatSync, fsyncSync, mkdirSync, openSync, readFileSync, readSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { BoscoError, messageOf } from '../../errors.js';
import { getLogger } from '../../logger.js';
import { checkBusName, consumeSettings, type ConsumeSettings } from '../consume-settings.js';
import type { BusEvent, ConsumeOptions, ConsumeSummary, Delivery, EventBus, PublishOptions } from '../types.js';
import { SubscriptionFiles, type ClaimHolder } from './local-subscription.js';

/** Why an event was dead-lettered, kept with it in the dead-letter topic. */
export interface DeadLetterInfo {
  /** The subscription that gave up on it. */
  subscription: string;
  attempts: number;
  /** The last handler error's message, cut to 500 characters. */
  error: string;
  at: string;
}

/** An event as stored and read back: its position in the topic, its ordering key, and why it was dead-lettered. */
export interface StoredEvent<T = unknown> extends BusEvent<T> {
  offset: number;
  orderingKey?: string;
  deadLetter?: DeadLetterInfo;
}

type StoredLine = Omit<StoredEvent, 'offset'>;

/** Polling bounds: quick after an event, backing off to at most this while the topic is quiet. */
const POLL_MIN_MS = 25;
const POLL_MAX_MS = 200;

/** Parses the complete lines of `text`, numbering events after `lastOffset`; a line cut short by a crash is skipped. */
function* parseLines<T>(text: string, lastOffset: number): Generator<StoredEvent<T>> {
  let offset = lastOffset;
  for (const line of text.split('\n')) {
    if (!line) continue;
    let event: Omit<StoredEvent<T>, 'offset'>;
    try {
      event = JSON.parse(line) as Omit<StoredEvent<T>, 'offset'>;
    } catch {
      continue;
    }
    yield { ...event, offset: ++offset };
  }
}

/** Follows one topic file, reading only what was appended since the last look. */
class TopicTail {
  private position = 0;
  private lastOffset = 0;
  /** Events read and not yet known to be done, in offset order. */
  pending: StoredEvent[] = [];

  constructor(private readonly path: string) {}

  refresh(committed: number): void {
    while (this.pending.length > 0 && this.pending[0]!.offset <= committed) this.pending.shift();
    let fd: number;
    try {
      fd = openSync(this.path, 'r');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw error;
    }
    try {
      const size = fstatSync(fd).size;
      if (size <= this.position) return;
      const buffer = Buffer.alloc(size - this.position);
      let read = 0;
      while (read < buffer.length) {
        const n = readSync(fd, buffer, read, buffer.length - read, this.position + read);
        if (n === 0) break;
        read += n;
      }
      // A line still being appended by a publisher has no newline yet: leave it for the next look.
      const end = buffer.subarray(0, read).lastIndexOf(0x0a);
      if (end < 0) return;
      this.position += end + 1;
      for (const event of parseLines(buffer.subarray(0, end + 1).toString('utf8'), this.lastOffset)) {
        this.lastOffset = event.offset;
        if (event.offset > committed) this.pending.push(event);
      }
    } finally {
      closeSync(fd);
    }
  }
}

function logError(error: unknown, dir: string, doing: string): BoscoError {
  if (error instanceof BoscoError) return error;
  return new BoscoError('BUS_FAILED', `the local event log failed while ${doing}: ${messageOf(error)}`, {
    hint: `check that ${dir} is writable and its disk not full`,
    cause: error,
  });
}

const plainEvent = <T>({ id, topic, type, at, data }: StoredEvent<T>): BusEvent<T> => ({ id, topic, type, at, data });

/**
 * The embedded event bus: one append-only JSON-lines file per topic in the workspace (`<topic>.jsonl`), synced to
 * disk on every publish, so nothing published is lost in a crash. A line cut short by a crash mid-write is
 * skipped on read.
 *
 * Consumers of one subscription, in any number of processes on this machine, share its events through the files
 * in `<topic>.subs/<subscription>/` (see SubscriptionFiles): each polls the topic, claims the first event that is
 * neither done nor held (O_EXCL claim files, one winner per delivery attempt), runs the handler while renewing its
 * lease, and marks the event done when the handler resolves. A handler that throws releases the event for the next
 * attempt; after `maxAttempts` the event is appended to the dead-letter topic, then marked done. A consumer killed
 * mid-handler stops renewing, and once its lease expires another consumer takes the event as the next attempt.
 * Events with one ordering key are handled strictly in order: a later one is not claimed until the earlier is done.
 *
 * Delivery is at least once: a consumer killed after its handler's side effects but before it marked the event
 * done, or one whose lease expired while its handler still ran, causes a redelivery, so handlers must be
 * idempotent (the event id tells a repeat). A new subscription starts at the topic's first event.
 */
export class LocalEventLog implements EventBus {
  private readonly closing = new AbortController();
  private readonly consuming = new Set<Promise<unknown>>();

  constructor(private readonly dir: string) {}

  private file(topic: string): string {
    return join(this.dir, `${checkBusName('topic', topic)}.jsonl`);
  }

  private subscriptionFiles(topic: string, subscription: string): SubscriptionFiles {
    return new SubscriptionFiles(join(this.dir, `${checkBusName('topic', topic)}.subs`, checkBusName('subscription', subscription)));
  }

  async publish<T>(topic: string, type: string, data: T, options: PublishOptions = {}): Promise<BusEvent<T>> {
    const event: BusEvent<T> = { id: randomUUID(), topic, type, at: new Date().toISOString(), data };
    try {
      this.append(topic, options.orderingKey === undefined ? event : { ...event, orderingKey: options.orderingKey });
    } catch (error) {
      throw logError(error, this.dir, `publishing to ${topic}`);
    }
    return event;
  }

  private append(topic: string, line: StoredLine): void {
    const path = this.file(topic);
    mkdirSync(this.dir, { recursive: true });
    const fd = openSync(path, 'a+');
    try {
      // A crash mid-write leaves a last line without its newline; end it, or this event would be glued to it and lost.
      const size = fstatSync(fd).size;
      const last = Buffer.alloc(1);
      const cut = size > 0 && readSync(fd, last, 0, 1, size - 1) === 1 && last[0] !== 0x0a;
      // One write per event: appends from several processes never interleave within a line.
      writeSync(fd, (cut ? '\n' : '') + JSON.stringify(line) + '\n');
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }

  /** Events of one topic in publish order, those after `after` (an offset) when given. Not part of the port. */
  async read<T = unknown>(topic: string, options: { after?: number } = {}): Promise<Array<StoredEvent<T>>> {
    let text: string;
    try {
      text = readFileSync(this.file(topic), 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    return [...parseLines<T>(text, 0)].filter((event) => options.after === undefined || event.offset > options.after);
  }

  /** Creates the subscription's folder. Every subscription reads its topic from the first event, so nothing else is needed. */
  async ensureSubscription(topic: string, subscription: string): Promise<void> {
    this.subscriptionFiles(topic, subscription).ensure();
  }

  async consume<T>(topic: string, subscription: string, handler: (delivery: Delivery<T>) => Promise<void>, options: ConsumeOptions = {}): Promise<ConsumeSummary> {
    const settings = consumeSettings(topic, options);
    const files = this.subscriptionFiles(topic, subscription);
    files.ensure();
    const run = this.run(topic, subscription, files, handler as (delivery: Delivery) => Promise<void>, settings);
    this.consuming.add(run);
    try {
      return await run;
    } finally {
      this.consuming.delete(run);
    }
  }

  private async run(topic: string, subscription: string, files: SubscriptionFiles, handler: (delivery: Delivery) => Promise<void>, settings: ConsumeSettings): Promise<ConsumeSummary> {
    // Stops this consume's other workers when one of them fails.
    const failed = new AbortController();
    const signal = AbortSignal.any([failed.signal, this.closing.signal, ...(settings.signal ? [settings.signal] : [])]);
    const tail = new TopicTail(this.file(topic));
    const holder: ClaimHolder = { consumer: randomUUID(), pid: process.pid, host: hostname(), leaseMs: settings.leaseMs };
    const summary: ConsumeSummary = { acked: 0, retried: 0, deadLettered: 0 };
    let lastWork = Date.now();
    let inFlight = 0;

    const claimNext = (): { event: StoredEvent; attempt: number } | undefined => {
      const state = files.snapshot();
      tail.refresh(state.committed);
      const now = Date.now();
      const blockedKeys = new Set<string>();
      for (const event of tail.pending) {
        if (event.offset <= state.committed || state.done.has(event.offset)) continue;
        if (event.orderingKey !== undefined) {
          if (blockedKeys.has(event.orderingKey)) continue;
          blockedKeys.add(event.orderingKey);
        }
        const latest = state.latest.get(event.offset);
        if (latest && !latest.failed && !files.leaseExpired(event.offset, latest.attempt, now, settings.leaseMs)) continue;
        const attempt = (latest?.attempt ?? 0) + 1;
        if (files.claim(event.offset, attempt, holder)) return { event, attempt };
      }
      return undefined;
    };

    const deadLetter = (event: StoredEvent, attempts: number, error: string): void => {
      const { offset: _offset, ...line } = event;
      this.append(settings.deadLetterTopic, { ...line, deadLetter: { subscription, attempts, error: error.slice(0, 500), at: new Date().toISOString() } });
      files.done(event.offset);
      summary.deadLettered++;
    };

    const deliver = async ({ event, attempt }: { event: StoredEvent; attempt: number }): Promise<void> => {
      if (attempt > settings.maxAttempts) {
        // The last allowed delivery never finished: its consumer died in it, perhaps because of this very event.
        deadLetter(event, attempt - 1, 'the consumer stopped during the last allowed delivery');
        return;
      }
      const renew = () => {
        try {
          files.renew(event.offset, attempt);
        } catch (error) {
          // A missed renewal risks only a redelivery; throwing from a timer would kill the process.
          getLogger().warn({ topic, subscription, eventId: event.id, error: messageOf(error) }, 'could not renew a lease');
        }
      };
      const renewal = setInterval(renew, Math.max(10, Math.floor(settings.leaseMs / 3)));
      try {
        await handler({ event: plainEvent(event), attempt });
      } catch (error) {
        getLogger().warn({ topic, subscription, eventId: event.id, attempt, error: messageOf(error) }, 'event handler failed');
        if (attempt >= settings.maxAttempts) {
          deadLetter(event, attempt, messageOf(error));
        } else {
          files.fail(event.offset, attempt);
          summary.retried++;
        }
        return;
      } finally {
        clearInterval(renewal);
      }
      files.done(event.offset);
      summary.acked++;
    };

    const worker = async (): Promise<void> => {
      let pause = POLL_MIN_MS;
      while (!signal.aborted) {
        const claimed = claimNext();
        if (claimed) {
          inFlight++;
          try {
            await deliver(claimed);
          } finally {
            inFlight--;
            lastWork = Date.now();
          }
          pause = POLL_MIN_MS;
          continue;
        }
        // Idle means nothing to do here at all: a worker does not quit while another of this consumer's is busy.
        if (settings.idleTimeoutMs !== undefined && inFlight === 0 && Date.now() - lastWork >= settings.idleTimeoutMs) return;
        await delay(pause, undefined, { signal }).catch(() => undefined);
        pause = Math.min(pause * 2, POLL_MAX_MS);
      }
    };

    const workers = await Promise.allSettled(
      Array.from({ length: settings.concurrency }, () =>
        worker().catch((error: unknown) => {
          failed.abort();
          throw error;
        }),
      ),
    );
    const failure = workers.find((result) => result.status === 'rejected');
    if (failure) throw logError(failure.reason, this.dir, `consuming ${topic} as ${subscription}`);
    return summary;
  }

  /** Stops every consume of this instance once its current handlers finish. */
  async close(): Promise<void> {
    this.closing.abort();
    await Promise.allSettled([...this.consuming]);
  }
}
