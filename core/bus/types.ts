/** One event on the bus: what happened (`type`), to what, and when. Payloads are plain JSON. */
export interface BusEvent<T = unknown> {
  /** Unique per event, so a consumer that sees one twice (at-least-once delivery) can drop the repeat. */
  id: string;
  topic: string;
  type: string;
  /** ISO timestamp of publication. */
  at: string;
  data: T;
}

export interface PublishOptions {
  /** Events with the same key are delivered in publish order (e.g. a client id). */
  orderingKey?: string;
}

/** A delivery of an event to a consumer; `attempt` counts from 1. */
export interface Delivery<T = unknown> {
  event: BusEvent<T>;
  attempt: number;
}

export interface ConsumeOptions {
  /** Deliveries of one event before it goes to the dead-letter topic. Default 5. */
  maxAttempts?: number;
  /** Where an event goes after `maxAttempts` failed deliveries. Default `<topic>.dead-letter`. */
  deadLetterTopic?: string;
  /**
   * How long a consumer may hold an event before another consumer may take it (a crashed consumer's lease expires).
   * A live consumer renews its lease while its handler runs, so a handler may take longer than this. Default 60 s.
   */
  leaseMs?: number;
  /** Deliveries this consumer handles at once; events with one ordering key are still handled one at a time. Default 1. */
  concurrency?: number;
  /** Stop when no event has been waiting for this long; default: run until `signal` aborts. */
  idleTimeoutMs?: number;
  signal?: AbortSignal;
}

export interface ConsumeSummary {
  /** Events handled and acknowledged. */
  acked: number;
  /** Failed deliveries that were retried. */
  retried: number;
  /** Events sent to the dead-letter topic. */
  deadLettered: number;
}

/**
 * The event bus port: where pipeline stages announce what they did (a partition loaded, a quality result, a
 * reconcile completed) and where jobs are handed to workers. Durable: an event published is an event kept.
 * Delivery is at least once, so handlers must be idempotent (the event id tells a repeat).
 */
export interface EventBus {
  publish<T>(topic: string, type: string, data: T, options?: PublishOptions): Promise<BusEvent<T>>;
  /**
   * Consumes `topic` as `subscription`: any number of consumers (processes, machines) of one subscription share
   * its events, each event handled by one of them at a time. An event is acknowledged when `handler` resolves and
   * redelivered when it throws, until `maxAttempts`, then dead-lettered.
   */
  consume<T>(topic: string, subscription: string, handler: (delivery: Delivery<T>) => Promise<void>, options?: ConsumeOptions): Promise<ConsumeSummary>;
  /**
   * Creates `subscription` (and its dead-letter topic) if missing, without consuming, so events published from now on
   * are kept for it. Where a subscription starts differs by backend: on the local log a new subscription reads the
   * topic from its first event; on Pub/Sub it receives only what is published after it exists, so call this before
   * publishing events (jobs) that must reach consumers not yet running. `consume` does it too.
   */
  ensureSubscription?(topic: string, subscription: string, options?: Pick<ConsumeOptions, 'maxAttempts' | 'deadLetterTopic' | 'leaseMs'>): Promise<void>;
  close(): Promise<void>;
}
