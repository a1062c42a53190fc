import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

/**
 * A loopback stand-in for Pub/Sub: the Publisher and Subscriber gRPC services of the `google.pubsub.v1` protos
 * shipped inside `@google-cloud/pubsub` (their imports from google-gax's), served on 127.0.0.1 without TLS, kept
 * in memory. It follows the documented service semantics the adapter relies on: topics and subscriptions with
 * ALREADY_EXISTS / NOT_FOUND, fan-out of each published message to every subscription of its topic, StreamingPull
 * delivery within the stream's `maxOutstandingMessages`, ack deadlines (expiry redelivers), Acknowledge,
 * ModifyAckDeadline (0 is a nack), `deliveryAttempt` on subscriptions with a dead-letter policy, forwarding to the
 * dead-letter topic once `maxDeliveryAttempts` deliveries were made, and one-at-a-time delivery per ordering key on
 * subscriptions with message ordering. Every call is recorded; a method it does not implement answers UNIMPLEMENTED
 * and is listed in `unexpected`.
 */
export interface FakePubSub {
  /** `127.0.0.1:<port>`, for `apiEndpoint` or PUBSUB_EMULATOR_HOST. */
  endpoint: string;
  calls: RecordedCall[];
  unexpected: string[];
  /** Methods answered with PERMISSION_DENIED, to check the adapter's error mapping. */
  deny: Set<string>;
  /** Messages still held by a subscription (not acked), by full subscription name. */
  backlog(subscription: string): number;
  close(): Promise<void>;
}

export interface RecordedCall {
  method: string;
  request: Record<string, any>;
}

interface PubsubMessage {
  data: Buffer;
  attributes: Record<string, string>;
  messageId: string;
  publishTime: { seconds: number; nanos: number };
  orderingKey: string;
}

interface Held {
  message: PubsubMessage;
  deliveries: number;
  lease?: { ackId: string; deadline: number; stream: Stream };
}

interface Stream {
  call: grpc.ServerDuplexStream<any, any>;
  subscription: FakeSubscription;
  ackDeadlineMs: number;
  maxOutstanding: number;
  outstanding: number;
}

interface FakeSubscription {
  name: string;
  topic: string;
  ackDeadlineSeconds: number;
  enableMessageOrdering: boolean;
  deadLetterPolicy: { deadLetterTopic: string; maxDeliveryAttempts: number } | null;
  held: Held[];
  streams: Stream[];
}

const require = createRequire(import.meta.url);
const PUBSUB_PROTOS = join(dirname(require.resolve('@google-cloud/pubsub/package.json')), 'build/protos');
const GAX_PROTOS = join(dirname(createRequire(require.resolve('@google-cloud/pubsub')).resolve('google-gax')), '../protos');

function loadServices(): { publisher: grpc.ServiceDefinition; subscriber: grpc.ServiceDefinition } {
  const definition = protoLoader.loadSync('google/pubsub/v1/pubsub.proto', {
    includeDirs: [PUBSUB_PROTOS, GAX_PROTOS],
    keepCase: false,
    longs: Number,
    enums: String,
    defaults: true,
    oneofs: true,
  });
  const v1 = (grpc.loadPackageDefinition(definition) as any).google.pubsub.v1;
  return { publisher: v1.Publisher.service, subscriber: v1.Subscriber.service };
}

const failure = (code: grpc.status, details: string) => Object.assign(new Error(details), { code, details });

export async function startFakePubSub(): Promise<FakePubSub> {
  const { publisher, subscriber } = loadServices();
  const calls: RecordedCall[] = [];
  const unexpected: string[] = [];
  const deny = new Set<string>();
  const topics = new Set<string>();
  const subscriptions = new Map<string, FakeSubscription>();
  let nextId = 1;

  const publishTo = (topic: string, messages: Array<Pick<PubsubMessage, 'data' | 'attributes' | 'orderingKey'>>): string[] =>
    messages.map((input) => {
      const now = Date.now();
      const message: PubsubMessage = {
        data: Buffer.from(input.data),
        attributes: { ...input.attributes },
        orderingKey: input.orderingKey ?? '',
        messageId: String(nextId++),
        publishTime: { seconds: Math.floor(now / 1000), nanos: (now % 1000) * 1e6 },
      };
      for (const subscription of subscriptions.values()) {
        if (subscription.topic === topic) subscription.held.push({ message: { ...message, attributes: { ...message.attributes } }, deliveries: 0 });
      }
      return message.messageId;
    });

  /** A message back in the queue, or, past its subscription's delivery attempts, forwarded to the dead-letter topic. */
  const release = (subscription: FakeSubscription, held: Held) => {
    if (held.lease) held.lease.stream.outstanding--;
    held.lease = undefined;
    const policy = subscription.deadLetterPolicy;
    if (policy && held.deliveries >= policy.maxDeliveryAttempts) {
      subscription.held.splice(subscription.held.indexOf(held), 1);
      publishTo(policy.deadLetterTopic, [
        {
          data: held.message.data,
          orderingKey: held.message.orderingKey,
          attributes: {
            ...held.message.attributes,
            CloudPubSubDeadLetterSourceDeliveryCount: String(held.deliveries),
            CloudPubSubDeadLetterSourceSubscription: subscription.name,
          },
        },
      ]);
    }
  };

  const dispatch = () => {
    for (const subscription of subscriptions.values()) {
      const busyKeys = new Set<string>();
      for (const held of subscription.held) {
        const key = subscription.enableMessageOrdering ? held.message.orderingKey : '';
        if (key && busyKeys.has(key)) continue;
        if (key) busyKeys.add(key);
        if (held.lease) continue;
        const stream = subscription.streams.find((s) => s.outstanding < s.maxOutstanding);
        if (!stream) break;
        held.deliveries++;
        held.lease = { ackId: `${held.message.messageId}-${held.deliveries}-${nextId++}`, deadline: Date.now() + stream.ackDeadlineMs, stream };
        stream.outstanding++;
        // Rotate so that competing streams share the work.
        subscription.streams.push(...subscription.streams.splice(subscription.streams.indexOf(stream), 1));
        stream.call.write({
          receivedMessages: [{ ackId: held.lease.ackId, message: held.message, deliveryAttempt: subscription.deadLetterPolicy ? held.deliveries : 0 }],
          subscriptionProperties: { exactlyOnceDeliveryEnabled: false, messageOrderingEnabled: subscription.enableMessageOrdering },
        });
      }
    }
  };

  const findLease = (ackId: string): [FakeSubscription, Held] | undefined => {
    for (const subscription of subscriptions.values()) {
      const held = subscription.held.find((h) => h.lease?.ackId === ackId);
      if (held) return [subscription, held];
    }
    return undefined;
  };

  const acknowledge = (ackIds: string[]) => {
    for (const ackId of ackIds) {
      const found = findLease(ackId);
      if (!found) continue;
      const [subscription, held] = found;
      held.lease!.stream.outstanding--;
      subscription.held.splice(subscription.held.indexOf(held), 1);
    }
  };

  const modify = (ackIds: string[], seconds: number) => {
    for (const ackId of ackIds) {
      const found = findLease(ackId);
      if (!found) continue;
      if (seconds === 0) release(...found);
      else found[1].lease!.deadline = Date.now() + seconds * 1000;
    }
  };

  const sweep = setInterval(() => {
    const now = Date.now();
    for (const subscription of subscriptions.values()) {
      for (const held of [...subscription.held]) if (held.lease && held.lease.deadline < now) release(subscription, held);
    }
    dispatch();
  }, 25);

  type Unary = (request: any) => unknown;
  const unary =
    (method: string, handle: Unary): grpc.handleUnaryCall<any, any> =>
    (call, callback) => {
      calls.push({ method, request: call.request });
      if (deny.has(method)) return callback(failure(grpc.status.PERMISSION_DENIED, `the caller may not ${method}`));
      try {
        const response = handle(call.request);
        callback(null, response);
        dispatch();
      } catch (error) {
        callback(error as grpc.ServiceError);
      }
    };

  const publisherImpl: grpc.UntypedServiceImplementation = {
    CreateTopic: unary('CreateTopic', (topic) => {
      if (topics.has(topic.name)) throw failure(grpc.status.ALREADY_EXISTS, `Topic already exists: ${topic.name}`);
      topics.add(topic.name);
      return { name: topic.name };
    }),
    GetTopic: unary('GetTopic', ({ topic }) => {
      if (!topics.has(topic)) throw failure(grpc.status.NOT_FOUND, `Topic not found: ${topic}`);
      return { name: topic };
    }),
    Publish: unary('Publish', ({ topic, messages }) => {
      if (!topics.has(topic)) throw failure(grpc.status.NOT_FOUND, `Topic not found: ${topic}`);
      return { messageIds: publishTo(topic, messages) };
    }),
  };

  const subscriberImpl: grpc.UntypedServiceImplementation = {
    CreateSubscription: unary('CreateSubscription', (request) => {
      if (subscriptions.has(request.name)) throw failure(grpc.status.ALREADY_EXISTS, `Subscription already exists: ${request.name}`);
      if (!topics.has(request.topic)) throw failure(grpc.status.NOT_FOUND, `Topic not found: ${request.topic}`);
      const policy = request.deadLetterPolicy as FakeSubscription['deadLetterPolicy'];
      if (policy && !topics.has(policy.deadLetterTopic)) throw failure(grpc.status.NOT_FOUND, `Dead-letter topic not found: ${policy.deadLetterTopic}`);
      subscriptions.set(request.name, {
        name: request.name,
        topic: request.topic,
        ackDeadlineSeconds: request.ackDeadlineSeconds || 10,
        enableMessageOrdering: request.enableMessageOrdering,
        deadLetterPolicy: policy,
        held: [],
        streams: [],
      });
      return request;
    }),
    GetSubscription: unary('GetSubscription', ({ subscription }) => {
      const found = subscriptions.get(subscription);
      if (!found) throw failure(grpc.status.NOT_FOUND, `Subscription not found: ${subscription}`);
      return { name: found.name, topic: found.topic, ackDeadlineSeconds: found.ackDeadlineSeconds, enableMessageOrdering: found.enableMessageOrdering, deadLetterPolicy: found.deadLetterPolicy };
    }),
    Acknowledge: unary('Acknowledge', ({ ackIds }) => {
      acknowledge(ackIds);
      return {};
    }),
    ModifyAckDeadline: unary('ModifyAckDeadline', ({ ackIds, ackDeadlineSeconds }) => {
      modify(ackIds, ackDeadlineSeconds);
      return {};
    }),
    StreamingPull: (call: grpc.ServerDuplexStream<any, any>) => {
      let stream: Stream | undefined;
      const drop = () => {
        if (!stream) return;
        const { streams } = stream.subscription;
        if (streams.includes(stream)) streams.splice(streams.indexOf(stream), 1);
      };
      call.on('data', (request: any) => {
        calls.push({ method: 'StreamingPull', request });
        if (!stream) {
          const subscription = subscriptions.get(request.subscription);
          if (!subscription) {
            call.emit('error', failure(grpc.status.NOT_FOUND, `Subscription not found: ${request.subscription}`));
            return;
          }
          stream = {
            call,
            subscription,
            ackDeadlineMs: (request.streamAckDeadlineSeconds || subscription.ackDeadlineSeconds) * 1000,
            maxOutstanding: request.maxOutstandingMessages || 1000,
            outstanding: 0,
          };
          subscription.streams.push(stream);
        }
        acknowledge(request.ackIds ?? []);
        (request.modifyDeadlineAckIds ?? []).forEach((ackId: string, i: number) => modify([ackId], request.modifyDeadlineSeconds[i]));
        dispatch();
      });
      call.on('end', () => {
        drop();
        call.end();
      });
      call.on('cancelled', drop);
      call.on('error', drop);
    },
  };

  const fillUnimplemented = (service: grpc.ServiceDefinition, impl: grpc.UntypedServiceImplementation) => {
    for (const name of Object.keys(service)) {
      if (impl[name]) continue;
      impl[name] = ((call: any, callback?: grpc.sendUnaryData<unknown>) => {
        unexpected.push(name);
        const error = failure(grpc.status.UNIMPLEMENTED, `${name} is not implemented by the fake`);
        if (callback) callback(error);
        else call.emit('error', error);
      }) as grpc.UntypedHandleCall;
    }
  };
  fillUnimplemented(publisher, publisherImpl);
  fillUnimplemented(subscriber, subscriberImpl);

  const server = new grpc.Server();
  server.addService(publisher, publisherImpl);
  server.addService(subscriber, subscriberImpl);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound))),
  );

  return {
    endpoint: `127.0.0.1:${port}`,
    calls,
    unexpected,
    deny,
    backlog: (subscription) => subscriptions.get(subscription)?.held.length ?? 0,
    async close() {
      clearInterval(sweep);
      await new Promise<void>((resolve) => {
        const force = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, 1000);
        server.tryShutdown(() => {
          clearTimeout(force);
          resolve();
        });
      });
    },
  };
}
