import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { ClientConfig, Message, PubSub, Subscription, Topic } from '@google-cloud/pubsub';
import type { PubSubBusSettings } from '../../config.js';
import { BoscoError, messageOf } from '../../errors.js';
import { getLogger } from '../../logger.js';
import { checkBusName, consumeSettings, type ConsumeSettings } from '../consume-settings.js';
import type { BusEvent, ConsumeOptions, ConsumeSummary, Delivery, EventBus, PublishOptions } from '../types.js';

/** The part of the `@google-cloud/pubsub` client the adapter uses. */
export type PubSubLike = Pick<PubSub, 'createTopic' | 'createSubscription' | 'topic' | 'subscription' | 'close'>;

export interface PubSubBusOptions {
  /** Put before every topic and subscription name, so several workspaces can share a project. Default `bosco-`. */
  topicPrefix?: string;
  /** The client, or a function making it on first use (so opening the bus loads nothing and makes no request). */
  client: PubSubLike | (() => Promise<PubSubLike>);
}

/** Message attributes the adapter sets: the event's id and type (for filters and people), and why a message was dead-lettered. */
export const PUBSUB_ATTRIBUTES = {
  id: 'bosco_id',
  type: 'bosco_type',
  deadLetterSubscription: 'bosco_dead_letter_subscription',
  deadLetterAttempts: 'bosco_dead_letter_attempts',
  deadLetterError: 'bosco_dead_letter_error',
} as const;

const GRPC = { deadlineExceeded: 4, notFound: 5, alreadyExists: 6, permissionDenied: 7, unavailable: 14, unauthenticated: 16 } as const;
const UNREACHABLE = /^(ECONNREFUSED|ECONNRESET|ENOTFOUND|ETIMEDOUT|EAI_AGAIN|EHOSTUNREACH)$/;

const clamp = (value: number, min: number, max: number) => Math.min(max, Math.max(min, value));

function pubsubError(error: unknown, doing: string): BoscoError {
  if (error instanceof BoscoError) return error;
  const message = messageOf(error);
  const code = (error as { code?: unknown } | null)?.code;
  if (code === GRPC.unavailable || code === GRPC.deadlineExceeded || (typeof code === 'string' && UNREACHABLE.test(code))) {
    return new BoscoError('SOURCE_UNREACHABLE', `Pub/Sub could not be reached while ${doing}: ${message}`, {
      hint: 'check the network, and bus.apiEndpoint or PUBSUB_EMULATOR_HOST if one is set',
      cause: error,
    });
  }
  if (code === GRPC.unauthenticated || /default credentials/i.test(message)) {
    return new BoscoError('CREDENTIALS_MISSING', `Pub/Sub did not accept the credentials while ${doing}: ${message}`, {
      hint: 'set bus.credential (a key file, or an environment variable holding the key JSON), or run `gcloud auth application-default login`',
      cause: error,
    });
  }
  const hints: Record<number, string> = {
    [GRPC.permissionDenied]: 'grant the account Pub/Sub Editor on the project, or create the topics and subscriptions beforehand and grant Pub/Sub Publisher and Subscriber',
    [GRPC.notFound]: 'the topic or subscription does not exist and could not be created: create it, or grant the account Pub/Sub Editor',
  };
  return new BoscoError('BUS_FAILED', `Pub/Sub failed while ${doing}: ${message}`, {
    hint: hints[code as number] ?? "the message is Pub/Sub's own; check bus.projectId and the topic and subscription names",
    cause: error,
  });
}

function credentialOptions(source: PubSubBusSettings['credential'], baseDir: string, env: NodeJS.ProcessEnv): Pick<ClientConfig, 'keyFilename' | 'credentials'> {
  if (!source) return {};
  if ('file' in source) {
    const keyFilename = resolve(baseDir, source.file);
    if (!existsSync(keyFilename)) {
      throw new BoscoError('CREDENTIALS_MISSING', `the Pub/Sub key file ${keyFilename} does not exist`, {
        hint: 'create a service-account key for the project there, or fix bus.credential.file',
      });
    }
    return { keyFilename };
  }
  const text = env[source.env]?.trim();
  if (!text) {
    throw new BoscoError('CREDENTIALS_MISSING', `environment variable ${source.env} is not set`, {
      hint: `export ${source.env}='<the service-account key JSON>', or point bus.credential at a key file`,
    });
  }
  try {
    return { credentials: JSON.parse(text) as ClientConfig['credentials'] };
  } catch {
    throw new BoscoError('CREDENTIALS_MISSING', `environment variable ${source.env} does not hold a JSON key`, {
      hint: `put the whole service-account key file's JSON in ${source.env}`,
    });
  }
}

/** The event a message carries, as published by this adapter; anything else is a payload no handler can read. */
function decodeEvent(message: Message): BusEvent {
  let event: Partial<BusEvent> | undefined;
  try {
    event = JSON.parse(message.data.toString('utf8')) as Partial<BusEvent>;
  } catch {
    // Reported below with the message id.
  }
  if (!event || typeof event.id !== 'string' || typeof event.topic !== 'string' || typeof event.type !== 'string' || typeof event.at !== 'string') {
    throw new BoscoError('PAYLOAD_INVALID', `Pub/Sub message ${message.id} does not hold a Bosco event`, {
      hint: 'publish to Bosco topics only through the bus; the message goes to the dead-letter topic',
    });
  }
  return { id: event.id, topic: event.topic, type: event.type, at: event.at, data: event.data };
}

/**
 * The event bus on Google Cloud Pub/Sub. A topic is `<prefix><topic>`, created on first use; a subscription is
 * `<prefix><topic>~<subscription>` (`~` cannot occur in a Bosco name, so no two pairs collide), created on first
 * consume or `ensureSubscription` with message ordering, an ack deadline of `leaseMs` (10 to 600 s) and a dead-letter
 * policy to `<prefix><deadLetterTopic>`; an existing subscription is used as it is. The dead-letter topic gets a
 * subscription of the same name, since Pub/Sub keeps a message only for the subscriptions that exist when it is
 * published.
 *
 * Each event is one message: the event as JSON, the ordering key, and its id and type as attributes. The client
 * extends a message's lease while its handler runs (up to an hour), acks when the handler resolves and nacks when
 * it throws. The adapter dead-letters itself after `maxAttempts` deliveries (Pub/Sub's count, `deliveryAttempt`):
 * it publishes the message unchanged, with the reason as attributes, then acks it. The subscription's own policy,
 * `maxAttempts` held to Pub/Sub's 5 to 100, catches a message whose consumers die before they can. Flow control
 * holds at most `concurrency` messages per consumer; one ordering key's messages run one at a time.
 *
 * Unlike the local log, a new subscription receives only what is published after it exists: call
 * `ensureSubscription` before publishing jobs for consumers not yet running.
 */
export class PubSubBus implements EventBus {
  private readonly prefix: string;
  private clientPromise: Promise<PubSubLike> | undefined;
  private readonly topics = new Map<string, Promise<Topic>>();
  private readonly subscriptions = new Map<string, Promise<void>>();
  private readonly closing = new AbortController();
  private readonly consuming = new Set<Promise<unknown>>();

  constructor(private readonly options: PubSubBusOptions) {
    this.prefix = options.topicPrefix ?? 'bosco-';
  }

  /**
   * The bus as configured. PUBSUB_EMULATOR_HOST, when set and `apiEndpoint` is not, names the endpoint. An endpoint
   * outside googleapis.com is an emulator (as the client itself decides): plain-text gRPC and no credentials.
   */
  static fromConfig(settings: PubSubBusSettings, baseDir: string, env: NodeJS.ProcessEnv = process.env): PubSubBus {
    const apiEndpoint = settings.apiEndpoint ?? (env.PUBSUB_EMULATOR_HOST || undefined);
    const host = apiEndpoint?.replace(/^https?:\/\//i, '').split(/[:/]/)[0];
    const emulator = host !== undefined && !host.endsWith('.googleapis.com');
    const clientOptions: ClientConfig = {
      projectId: settings.projectId,
      ...(apiEndpoint === undefined ? {} : { apiEndpoint }),
      // A stated universe keeps the client from asking the metadata server for one, which an emulator never needs.
      ...(emulator ? { emulatorMode: true, universeDomain: 'googleapis.com' } : credentialOptions(settings.credential, baseDir, env)),
    };
    return new PubSubBus({
      topicPrefix: settings.topicPrefix,
      client: async () => {
        // Loaded only when configured: the Google client is large, and a local workspace never needs it.
        const { PubSub } = await import('@google-cloud/pubsub');
        return new PubSub(clientOptions);
      },
    });
  }

  /** The Pub/Sub topic id of a Bosco topic. */
  topicId(topic: string): string {
    return this.prefix + checkBusName('topic', topic);
  }

  /** The Pub/Sub subscription id of a Bosco subscription. */
  subscriptionId(topic: string, subscription: string): string {
    return `${this.topicId(topic)}~${checkBusName('subscription', subscription)}`;
  }

  private client(): Promise<PubSubLike> {
    const { client } = this.options;
    this.clientPromise ??= typeof client === 'function' ? client() : Promise.resolve(client);
    return this.clientPromise;
  }

  /** Runs a create call; one that finds the resource there, or may not create it (it was made beforehand), is fine. */
  private async create(action: () => Promise<unknown>, doing: string): Promise<void> {
    try {
      await action();
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      if (code === GRPC.alreadyExists) return;
      if (code === GRPC.permissionDenied) {
        getLogger().debug({ doing }, 'not allowed to create a Pub/Sub resource; using it as provisioned');
        return;
      }
      throw pubsubError(error, doing);
    }
  }

  private topic(topic: string): Promise<Topic> {
    let handle = this.topics.get(topic);
    if (!handle) {
      const id = this.topicId(topic);
      handle = this.client().then(async (client) => {
        await this.create(() => client.createTopic(id), `creating the topic ${id}`);
        return client.topic(id, { messageOrdering: true });
      });
      // A failed creation is tried again on next use rather than remembered.
      handle.catch(() => this.topics.delete(topic));
      this.topics.set(topic, handle);
    }
    return handle;
  }

  private async publishMessage(topic: Topic, message: { data: Buffer; attributes: Record<string, string>; orderingKey?: string }, doing: string): Promise<void> {
    try {
      await topic.publishMessage(message.orderingKey ? message : { data: message.data, attributes: message.attributes });
    } catch (error) {
      // The client pauses a key after a failed publish so later messages cannot overtake it; the caller decides.
      if (message.orderingKey) topic.resumePublishing(message.orderingKey);
      throw pubsubError(error, doing);
    }
  }

  async publish<T>(topic: string, type: string, data: T, options: PublishOptions = {}): Promise<BusEvent<T>> {
    const event: BusEvent<T> = { id: randomUUID(), topic, type, at: new Date().toISOString(), data };
    const handle = await this.topic(topic);
    await this.publishMessage(
      handle,
      {
        data: Buffer.from(JSON.stringify(event)),
        attributes: { [PUBSUB_ATTRIBUTES.id]: event.id, [PUBSUB_ATTRIBUTES.type]: type },
        orderingKey: options.orderingKey,
      },
      `publishing to ${handle.name}`,
    );
    return event;
  }

  async ensureSubscription(topic: string, subscription: string, options: Pick<ConsumeOptions, 'maxAttempts' | 'deadLetterTopic' | 'leaseMs'> = {}): Promise<void> {
    const settings = consumeSettings(topic, options);
    const id = this.subscriptionId(topic, subscription);
    let ready = this.subscriptions.get(id);
    if (!ready) {
      ready = this.createSubscription(topic, subscription, id, settings);
      ready.catch(() => this.subscriptions.delete(id));
      this.subscriptions.set(id, ready);
    }
    await ready;
  }

  private async createSubscription(topic: string, subscription: string, id: string, settings: ConsumeSettings): Promise<void> {
    const client = await this.client();
    const [source, deadLetters] = await Promise.all([this.topic(topic), this.topic(settings.deadLetterTopic)]);
    const ackDeadlineSeconds = clamp(Math.ceil(settings.leaseMs / 1000), 10, 600);
    const deadLetterId = this.subscriptionId(settings.deadLetterTopic, subscription);
    await this.create(
      () => client.createSubscription(deadLetters, deadLetterId, { ackDeadlineSeconds, enableMessageOrdering: true }),
      `creating the subscription ${deadLetterId}`,
    );
    await this.create(
      () =>
        client.createSubscription(source, id, {
          ackDeadlineSeconds,
          enableMessageOrdering: true,
          deadLetterPolicy: { deadLetterTopic: deadLetters.name, maxDeliveryAttempts: clamp(settings.maxAttempts, 5, 100) },
        }),
      `creating the subscription ${id}`,
    );
  }

  async consume<T>(topic: string, subscription: string, handler: (delivery: Delivery<T>) => Promise<void>, options: ConsumeOptions = {}): Promise<ConsumeSummary> {
    const settings = consumeSettings(topic, options);
    await this.ensureSubscription(topic, subscription, options);
    const client = await this.client();
    const deadLetters = await this.topic(settings.deadLetterTopic);
    const stream = client.subscription(this.subscriptionId(topic, subscription), {
      flowControl: { maxMessages: settings.concurrency, allowExcessMessages: false },
      // Pub/Sub sends the next message only once an outstanding one is acked: with few allowed, batching acks for
      // the client's default 100 ms would cap a consumer at ten events a second.
      batching: { maxMilliseconds: 10 },
      // One stream, so Pub/Sub holds out at most `concurrency` messages: the client's default five would each hold
      // more, and every message held and handed back on close counts as a delivery attempt.
      streamingOptions: { maxStreams: 1 },
    });
    const run = this.receive(stream, subscription, deadLetters, handler as (delivery: Delivery) => Promise<void>, settings);
    this.consuming.add(run);
    try {
      return await run;
    } finally {
      this.consuming.delete(run);
    }
  }

  private receive(stream: Subscription, subscription: string, deadLetters: Topic, handler: (delivery: Delivery) => Promise<void>, settings: ConsumeSettings): Promise<ConsumeSummary> {
    const summary: ConsumeSummary = { acked: 0, retried: 0, deadLettered: 0 };
    // Pub/Sub counts deliveries only on a subscription with a dead-letter policy; one made elsewhere may lack it.
    const attemptsSeen = new Map<string, number>();
    const byKey = new Map<string, Promise<void>>();
    const signal = AbortSignal.any([this.closing.signal, ...(settings.signal ? [settings.signal] : [])]);

    const handle = async (message: Message): Promise<void> => {
      const attempt = message.deliveryAttempt > 0 ? message.deliveryAttempt : (attemptsSeen.get(message.id) ?? 0) + 1;
      attemptsSeen.set(message.id, attempt);
      try {
        await handler({ event: decodeEvent(message), attempt });
        message.ack();
        attemptsSeen.delete(message.id);
        summary.acked++;
        return;
      } catch (error) {
        getLogger().warn({ subscription: stream.name, messageId: message.id, attempt, error: messageOf(error) }, 'event handler failed');
        if (attempt < settings.maxAttempts) {
          message.nack();
          summary.retried++;
          return;
        }
        try {
          const attributes = {
            ...message.attributes,
            [PUBSUB_ATTRIBUTES.deadLetterSubscription]: subscription,
            [PUBSUB_ATTRIBUTES.deadLetterAttempts]: String(attempt),
            [PUBSUB_ATTRIBUTES.deadLetterError]: messageOf(error).slice(0, 500),
          };
          await this.publishMessage(deadLetters, { data: message.data, attributes, orderingKey: message.orderingKey || undefined }, `dead-lettering to ${deadLetters.name}`);
        } catch (deadLetterError) {
          // Redelivered, and dead-lettered next time or by the subscription's policy.
          getLogger().warn({ subscription: stream.name, messageId: message.id, error: messageOf(deadLetterError) }, 'could not dead-letter a message');
          message.nack();
          return;
        }
        message.ack();
        attemptsSeen.delete(message.id);
        summary.deadLettered++;
      }
    };

    return new Promise<ConsumeSummary>((resolvePromise, reject) => {
      let inFlight = 0;
      let idleTimer: NodeJS.Timeout | undefined;
      let stopping = false;
      let failure: BoscoError | undefined;

      const armIdle = () => {
        if (settings.idleTimeoutMs !== undefined) idleTimer = setTimeout(() => stop(), settings.idleTimeoutMs);
      };
      const finish = () => {
        // Closing flushes the acks the client batches.
        stream.close().then(
          () => (failure ? reject(failure) : resolvePromise(summary)),
          (error: unknown) => reject(failure ?? pubsubError(error, `closing ${stream.name}`)),
        );
      };
      const stop = (error?: BoscoError) => {
        if (stopping) return;
        stopping = true;
        failure = error;
        clearTimeout(idleTimer);
        signal.removeEventListener('abort', onAbort);
        stream.removeListener('message', onMessage);
        if (inFlight === 0) finish();
      };
      const onAbort = () => stop();
      const onMessage = (message: Message) => {
        clearTimeout(idleTimer);
        inFlight++;
        const key = message.orderingKey;
        const turn = (key && byKey.get(key)) || Promise.resolve();
        const done = turn.then(() => handle(message));
        if (key) {
          byKey.set(key, done);
          void done.then(() => byKey.get(key) === done && byKey.delete(key));
        }
        void done.then(() => {
          inFlight--;
          if (inFlight > 0) return;
          if (stopping) finish();
          else armIdle();
        });
      };

      stream.on('message', onMessage);
      stream.on('error', (error: unknown) => stop(pubsubError(error, `receiving from ${stream.name}`)));
      if (signal.aborted) stop();
      else signal.addEventListener('abort', onAbort, { once: true });
      armIdle();
    });
  }

  /** Stops every consume once its current handlers finish, then closes the client. */
  async close(): Promise<void> {
    this.closing.abort();
    await Promise.allSettled([...this.consuming]);
    // A client that never came up has nothing to close.
    const client = await this.clientPromise?.catch(() => undefined);
    await client?.close();
  }
}
