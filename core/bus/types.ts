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

/** An event as read back, with its position in the topic. */
export interface StoredEvent<T = unknown> extends BusEvent<T> {
  offset: number;
}

/**
 * The event bus port: where pipeline stages announce what they did (a partition loaded, quarantined, a quality
 * result) and where later stages and dashboards pick it up. Durable: an event published is an event kept.
 */
export interface EventBus {
  publish<T>(topic: string, type: string, data: T): Promise<BusEvent<T>>;
  /** Events of one topic in publish order, those after `after` (an offset) when given. */
  read<T = unknown>(topic: string, options?: { after?: number }): Promise<Array<StoredEvent<T>>>;
  close(): Promise<void>;
}
